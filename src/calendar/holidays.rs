//! Vietnam's statutory public holidays (Bộ luật Lao động 2019, Điều 112) and the
//! compensatory days off when one falls on a weekly day off (Điều 111, khoản 3).
//!
//! Pure functions of a year and the rules an admin may adjust. The earlier codes are kept
//! for past years: Giỗ Tổ Hùng Vương is a holiday from 2007 (Luật sửa đổi Bộ luật Lao động
//! 2007), Tết has 5 days from 2013 (Bộ luật Lao động 2012; 4 before), and Quốc khánh 2 days
//! from 2021 (Bộ luật Lao động 2019; 1 before).

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

use super::lunar::{self, LunarDate, LunarError};

/// Which day next to 2 September is the second Quốc khánh holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AdjacentDay {
    /// 1 September, the usual choice.
    Before,
    /// 3 September.
    After,
}

/// The parts of the holiday law that the government sets year by year, with their usual
/// values as defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayRules {
    /// The first day of Tết relative to lunar New Year's Day: -1 is the last day of the old
    /// year (29 or 30 Tết).
    pub tet_first_day: i8,
    /// How many days Tết lasts.
    pub tet_days: u8,
    pub national_day_extra: AdjacentDay,
}

impl Default for HolidayRules {
    fn default() -> Self {
        Self { tet_first_day: -1, tet_days: 5, national_day_extra: AdjacentDay::Before }
    }
}

/// Why a day is off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Holiday,
    Compensatory,
}

/// A statutory day off: a holiday or the day that makes up for one on a weekend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatutoryDay {
    pub date: NaiveDate,
    pub kind: Kind,
    pub reason: String,
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn ymd(year: i32, month: u32, day: u32) -> Result<NaiveDate, LunarError> {
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| LunarError::OutOfRange(format!("{year}-{month}-{day}")))
}

/// The holidays of a year, in date order, without compensatory days.
pub fn holidays(year: i32, rules: &HolidayRules) -> Result<Vec<StatutoryDay>, LunarError> {
    let holiday = |date, reason: &str| StatutoryDay { date, kind: Kind::Holiday, reason: reason.to_owned() };
    let mut days = vec![holiday(ymd(year, 1, 1)?, "Tết Dương lịch")];

    let (first_day, count) = if year >= 2013 { (rules.tet_first_day, rules.tet_days) } else { (-1, 4) };
    let new_year = lunar::new_year(year)?;
    for offset in 0..i64::from(count) {
        let date = new_year + chrono::Duration::days(i64::from(first_day) + offset);
        let name = match i64::from(first_day) + offset {
            n if n < 0 => "Tết Nguyên đán, cuối năm âm lịch".to_owned(),
            n => format!("Tết Nguyên đán, mùng {}", n + 1),
        };
        days.push(holiday(date, &name));
    }
    if year >= 2007 {
        let gio_to = lunar::to_solar(LunarDate { day: 10, month: 3, year, leap: false })?;
        days.push(holiday(gio_to, "Giỗ Tổ Hùng Vương, 10/3 âm lịch"));
    }
    days.push(holiday(ymd(year, 4, 30)?, "Ngày Chiến thắng"));
    days.push(holiday(ymd(year, 5, 1)?, "Ngày Quốc tế Lao động"));
    if year >= 2021 {
        let extra = match rules.national_day_extra {
            AdjacentDay::Before => ymd(year, 9, 1)?,
            AdjacentDay::After => ymd(year, 9, 3)?,
        };
        days.push(holiday(extra, "Quốc khánh, ngày liền kề"));
    }
    days.push(holiday(ymd(year, 9, 2)?, "Quốc khánh"));
    days.sort_by_key(|d| d.date);
    days.dedup_by_key(|d| d.date);
    Ok(days)
}

/// The holidays of a year with their compensatory days: each holiday that falls on a
/// Saturday or Sunday gives a day off on the next working day after its run of days off.
pub fn statutory_days_off(year: i32, rules: &HolidayRules) -> Result<Vec<StatutoryDay>, LunarError> {
    let holidays = holidays(year, rules)?;
    let is_holiday = |date: NaiveDate| holidays.iter().any(|h| h.date == date);
    let mut days = holidays.clone();
    let mut index = 0;
    while index < holidays.len() {
        // A run: consecutive holidays, with the weekends between them.
        let start = index;
        while index + 1 < holidays.len() && (holidays[index + 1].date - holidays[index].date).num_days() == 1
        {
            index += 1;
        }
        let run = &holidays[start..=index];
        let owed: Vec<&StatutoryDay> = run.iter().filter(|h| is_weekend(h.date)).collect();
        let mut next = run[run.len() - 1].date;
        for holiday in owed {
            loop {
                next = next
                    .checked_add_days(Days::new(1))
                    .ok_or_else(|| LunarError::OutOfRange(next.to_string()))?;
                let taken = days.iter().any(|d| d.date == next);
                if !is_weekend(next) && !is_holiday(next) && !taken {
                    break;
                }
            }
            days.push(StatutoryDay {
                date: next,
                kind: Kind::Compensatory,
                reason: format!("Nghỉ bù {} ({})", holiday.reason, holiday.date.format("%d/%m/%Y")),
            });
        }
        index += 1;
    }
    days.sort_by_key(|d| d.date);
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(year: i32) -> Vec<String> {
        statutory_days_off(year, &HolidayRules::default())
            .unwrap()
            .iter()
            .map(|d| {
                format!("{}{}", d.date.format("%d/%m"), if d.kind == Kind::Compensatory { "*" } else { "" })
            })
            .collect()
    }

    #[test]
    fn the_holidays_of_2026() {
        // Tết Bính Ngọ: 29 Chạp is Monday 16/02; Giỗ Tổ on Sunday 26/04 is made up on 27/04.
        assert_eq!(
            dates(2026),
            [
                "01/01", "16/02", "17/02", "18/02", "19/02", "20/02", "26/04", "27/04*", "30/04", "01/05",
                "01/09", "02/09"
            ]
        );
    }

    #[test]
    fn a_weekend_inside_tet_gives_days_after_it() {
        // Tết Quý Mão by the usual rule: 30 Tết (Saturday 21/01/2023) to mùng 4; Saturday and
        // Sunday inside are owed on 26 and 27/01. 1/1/2023 was a Sunday: 2/1 off.
        let days = dates(2023);
        assert_eq!(
            &days[..9],
            ["01/01", "02/01*", "21/01", "22/01", "23/01", "24/01", "25/01", "26/01*", "27/01*"]
        );
        // The government chose 29 Tết to mùng 3 that year: off 20–26/01/2023, as announced.
        let rules = HolidayRules { tet_first_day: -2, ..HolidayRules::default() };
        let chosen: Vec<String> = statutory_days_off(2023, &rules)
            .unwrap()
            .iter()
            .map(|d| d.date.format("%d/%m").to_string())
            .collect();
        assert_eq!(&chosen[2..9], ["20/01", "21/01", "22/01", "23/01", "24/01", "25/01", "26/01"]);
        // Giỗ Tổ on Saturday 29/04, 30/04 a Sunday, 1/5 Monday: 2 and 3/05 are owed.
        assert!(days.contains(&"02/05*".to_owned()) && days.contains(&"03/05*".to_owned()), "{days:?}");
        // 2/9/2023 a Saturday: Monday 4/9.
        assert!(days.contains(&"04/09*".to_owned()), "{days:?}");
    }

    #[test]
    fn earlier_codes_apply_to_earlier_years() {
        // 2012: Tết 4 days, no Giỗ Tổ before 2007, Quốc khánh one day before 2021.
        let days = statutory_days_off(2006, &HolidayRules::default()).unwrap();
        assert!(!days.iter().any(|d| d.reason.starts_with("Giỗ Tổ")));
        assert_eq!(days.iter().filter(|d| d.reason.starts_with("Tết Nguyên đán")).count(), 4);
        assert!(!days.iter().any(|d| d.date == NaiveDate::from_ymd_opt(2006, 9, 1).unwrap()));
    }

    #[test]
    fn rules_set_tet_and_the_national_day() {
        let rules = HolidayRules { tet_first_day: -2, tet_days: 5, national_day_extra: AdjacentDay::After };
        let days = holidays(2025, &rules).unwrap();
        let tet: Vec<_> = days
            .iter()
            .filter(|d| d.reason.starts_with("Tết Nguyên"))
            .map(|d| d.date.format("%d/%m").to_string())
            .collect();
        assert_eq!(tet, ["27/01", "28/01", "29/01", "30/01", "31/01"]);
        assert!(days.iter().any(|d| d.date == NaiveDate::from_ymd_opt(2025, 9, 3).unwrap()));
    }
}
