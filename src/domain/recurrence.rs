//! A task that comes due again and again: "trước ngày 20 hằng tháng", "định kỳ hằng quý",
//! "báo cáo 6 tháng, hằng năm". Each occurrence has its own nominal day; the plan moves it
//! off a day off as it does any deadline.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::last_day_of_month;

/// How often a recurring task comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    Quarter,
    HalfYear,
    Year,
}

/// When each occurrence is due: every `every`, on `day` (of the month; of the week for a
/// week, 1 = Monday) and, for a year, in `month`. Without a day, at the period's end (a
/// week's Friday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    pub every: Period,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<u32>,
}

/// Why a recurrence is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("day {0} is not a day of the month (1 to 31)")]
    Day(u32),
    #[error("day {0} is not a day of the week (1 = Monday to 7 = Sunday)")]
    Weekday(u32),
    #[error("month {0} is not a month (1 to 12)")]
    Month(u32),
    #[error("a month is given only for a yearly recurrence")]
    MonthNotYearly,
}

impl Recurrence {
    /// Checks the day and month against the period.
    pub fn check(self) -> Result<Self, RecurrenceError> {
        match (self.every, self.month, self.day) {
            (Period::Year, Some(month), _) if !(1..=12).contains(&month) => {
                Err(RecurrenceError::Month(month))
            }
            (Period::Year, _, _) | (_, None, _) => Ok(()),
            (_, Some(_), _) => Err(RecurrenceError::MonthNotYearly),
        }?;
        match (self.every, self.day) {
            (Period::Week, Some(day)) if !(1..=7).contains(&day) => Err(RecurrenceError::Weekday(day)),
            (Period::Week, _) => Ok(self),
            (_, Some(day)) if !(1..=31).contains(&day) => Err(RecurrenceError::Day(day)),
            _ => Ok(self),
        }
    }

    /// Whether an occurrence falls in `month` (1 to 12).
    fn due_month(self, month: u32) -> bool {
        match self.every {
            Period::Week | Period::Month => true,
            Period::Quarter => month.is_multiple_of(3),
            Period::HalfYear => month.is_multiple_of(6),
            Period::Year => month == self.month.unwrap_or(12),
        }
    }

    /// The nominal day of the occurrence in a due month: `day`, or the month's last day
    /// (and the 31st of February is its last day).
    fn day_in(self, year: i32, month: u32) -> Option<NaiveDate> {
        let last = last_day_of_month(year, month)?;
        match self.day {
            Some(day) => NaiveDate::from_ymd_opt(year, month, day.min(last.day())),
            None => Some(last),
        }
    }

    /// The first occurrence on or after `date`.
    pub fn first_on_or_after(self, date: NaiveDate) -> Option<NaiveDate> {
        if self.every == Period::Week {
            let weekday = self.day.unwrap_or(5);
            let ahead = (weekday + 7 - date.weekday().number_from_monday()) % 7;
            return date.checked_add_days(Days::new(ahead.into()));
        }
        let first = date.with_day(1)?;
        (0..=24).find_map(|k| {
            let month = first.checked_add_months(Months::new(k))?;
            if !self.due_month(month.month()) {
                return None;
            }
            self.day_in(month.year(), month.month()).filter(|due| *due >= date)
        })
    }

    /// The occurrence after the one of `date`.
    pub fn next_after(self, date: NaiveDate) -> Option<NaiveDate> {
        self.first_on_or_after(date.succ_opt()?)
    }

    /// The occurrences from the first on or after `date`, in order.
    pub fn occurrences_from(self, date: NaiveDate) -> impl Iterator<Item = NaiveDate> {
        std::iter::successors(self.first_on_or_after(date), move |d| self.next_after(*d))
    }

    /// The recurrence in Vietnamese, as a message says it: "hằng tháng, ngày 20".
    pub fn vietnamese(self) -> String {
        let weekday = |d: u32| match Weekday::try_from((d.clamp(1, 7) - 1) as u8) {
            Ok(Weekday::Sun) => "chủ nhật".to_owned(),
            Ok(w) => format!("thứ {}", w.number_from_monday() + 1),
            Err(_) => String::new(),
        };
        match (self.every, self.month, self.day) {
            (Period::Week, _, day) => format!("hằng tuần, {}", weekday(day.unwrap_or(5))),
            (Period::Month, _, Some(day)) => format!("hằng tháng, ngày {day}"),
            (Period::Month, _, None) => "hằng tháng, ngày cuối tháng".to_owned(),
            (Period::Quarter, _, Some(day)) => format!("hằng quý, ngày {day} tháng cuối quý"),
            (Period::Quarter, _, None) => "hằng quý, ngày cuối quý".to_owned(),
            (Period::HalfYear, _, Some(day)) => format!("6 tháng một lần, ngày {day} tháng 6 và tháng 12"),
            (Period::HalfYear, _, None) => "6 tháng một lần, ngày 30/6 và 31/12".to_owned(),
            (Period::Year, month, day) => {
                let month = month.unwrap_or(12);
                match day {
                    Some(day) => format!("hằng năm, ngày {day}/{month}"),
                    None => format!("hằng năm, ngày cuối tháng {month}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn first(recurrence: Recurrence, from: &str, count: usize) -> Vec<String> {
        recurrence.occurrences_from(date(from)).take(count).map(|d| d.to_string()).collect()
    }

    #[test]
    fn a_monthly_day_comes_each_month_and_the_31st_is_a_short_months_last() {
        let monthly = Recurrence { every: Period::Month, month: None, day: Some(20) };
        assert_eq!(first(monthly, "2022-01-05", 3), ["2022-01-20", "2022-02-20", "2022-03-20"]);
        assert_eq!(first(monthly, "2022-01-20", 1), ["2022-01-20"]);
        assert_eq!(first(monthly, "2022-01-21", 1), ["2022-02-20"]);
        let end = Recurrence { every: Period::Month, month: None, day: Some(31) };
        assert_eq!(first(end, "2023-01-31", 3), ["2023-01-31", "2023-02-28", "2023-03-31"]);
    }

    #[test]
    fn quarters_halves_years_and_weeks() {
        let quarterly = Recurrence { every: Period::Quarter, month: None, day: None };
        assert_eq!(first(quarterly, "2022-02-10", 3), ["2022-03-31", "2022-06-30", "2022-09-30"]);
        let quarterly_15 = Recurrence { every: Period::Quarter, month: None, day: Some(15) };
        assert_eq!(first(quarterly_15, "2022-03-16", 2), ["2022-06-15", "2022-09-15"]);
        let half = Recurrence { every: Period::HalfYear, month: None, day: None };
        assert_eq!(first(half, "2022-07-01", 2), ["2022-12-31", "2023-06-30"]);
        let yearly = Recurrence { every: Period::Year, month: Some(12), day: Some(15) };
        assert_eq!(first(yearly, "2022-12-16", 2), ["2023-12-15", "2024-12-15"]);
        let weekly = Recurrence { every: Period::Week, month: None, day: None };
        // 2022-01-05 is a Wednesday: Fridays from the 7th.
        assert_eq!(first(weekly, "2022-01-05", 2), ["2022-01-07", "2022-01-14"]);
    }

    #[test]
    fn days_and_months_out_of_range_are_refused() {
        let bad = |every, month, day| Recurrence { every, month, day }.check().is_err();
        assert!(bad(Period::Month, None, Some(32)));
        assert!(bad(Period::Week, None, Some(8)));
        assert!(bad(Period::Year, Some(13), Some(1)));
        assert!(bad(Period::Month, Some(2), Some(1)));
        assert!(!bad(Period::Year, Some(2), Some(31)));
        let json =
            serde_json::to_string(&Recurrence { every: Period::Month, month: None, day: Some(20) }).unwrap();
        assert_eq!(json, r#"{"every":"month","day":20}"#);
    }
}
