use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How precisely a directive wrote its deadline. The due date of a month, a quarter or a
/// year is its last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Day,
    Month,
    Quarter,
    Year,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Month => "month",
            Precision::Quarter => "quarter",
            Precision::Year => "year",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "day" => Some(Precision::Day),
            "month" => Some(Precision::Month),
            "quarter" => Some(Precision::Quarter),
            "year" => Some(Precision::Year),
            _ => None,
        }
    }
}

/// The date a task is due, how it was written, and the directive's own words for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub date: NaiveDate,
    pub precision: Precision,
    /// The words as written in the directive, e.g. "vào tháng 11/2021".
    pub phrase: Option<String>,
}

/// A deadline as a directive may write it: a date, or a number of days from a date
/// ("trong thời hạn 10 ngày làm việc kể từ ngày ký"): `+10wd`, `+10wd from 2021-09-21`,
/// `+30d from 2021-09-21`. Without `from`, the count starts at the directive's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadlineSpec {
    Absolute(Deadline),
    Relative { offset: super::Offset, from: Option<NaiveDate>, phrase: Option<String> },
}

impl DeadlineSpec {
    pub fn parse(text: &str, phrase: Option<String>) -> Result<Self, DeadlineError> {
        let text = text.trim();
        let Some(relative) = text.strip_prefix('+') else {
            return Deadline::parse(text, phrase).map(DeadlineSpec::Absolute);
        };
        let malformed = || DeadlineError::Malformed(text.to_owned());
        let (count, from) = match relative.split_once(" from ") {
            Some((count, from)) => {
                let from = match Deadline::parse(from.trim(), None)? {
                    Deadline { date, precision: Precision::Day, .. } => date,
                    _ => return Err(malformed()),
                };
                (count.trim(), Some(from))
            }
            None => (relative.trim(), None),
        };
        let offset = super::Offset::parse(count).map_err(|_| malformed())?;
        Ok(DeadlineSpec::Relative { offset, from, phrase })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeadlineError {
    #[error(
        "'{0}' is not a deadline: write a day (2021-11-30), a month (2021-11), a quarter (2022-Q4), a year (2021), or days from a date (+10wd from 2021-09-21, +30d)"
    )]
    Malformed(String),
    #[error("'{0}' is not a date in the calendar")]
    ImpossibleDate(String),
}

impl Deadline {
    /// Parses the forms a directive file may use: `2021-11-30`, `2021-11`, `2022-Q4`, `2021`.
    pub fn parse(text: &str, phrase: Option<String>) -> Result<Self, DeadlineError> {
        let text = text.trim();
        let malformed = || DeadlineError::Malformed(text.to_owned());
        let parts: Vec<&str> = text.split('-').collect();
        let number = |part: &str, digits: usize| -> Result<u32, DeadlineError> {
            if part.len() == digits && part.chars().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| malformed())
            } else {
                Err(malformed())
            }
        };
        let year_of = |part: &str| -> Result<i32, DeadlineError> {
            let year = number(part, 4)?;
            if (1900..=2200).contains(&year) {
                Ok(year as i32)
            } else {
                Err(DeadlineError::ImpossibleDate(text.to_owned()))
            }
        };
        let impossible = || DeadlineError::ImpossibleDate(text.to_owned());
        let (date, precision) = match parts.as_slice() {
            [year] => {
                let year = year_of(year)?;
                (NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(impossible)?, Precision::Year)
            }
            [year, quarter] if quarter.starts_with(['Q', 'q']) => {
                let year = year_of(year)?;
                let quarter = number(&quarter[1..], 1)?;
                if !(1..=4).contains(&quarter) {
                    return Err(impossible());
                }
                (last_day_of_month(year, quarter * 3).ok_or_else(impossible)?, Precision::Quarter)
            }
            [year, month] => {
                let year = year_of(year)?;
                let month = number(month, 2)?;
                (last_day_of_month(year, month).ok_or_else(impossible)?, Precision::Month)
            }
            [year, month, day] => {
                let year = year_of(year)?;
                let (month, day) = (number(month, 2)?, number(day, 2)?);
                (NaiveDate::from_ymd_opt(year, month, day).ok_or_else(impossible)?, Precision::Day)
            }
            _ => return Err(malformed()),
        };
        Ok(Self { date, precision, phrase })
    }

    /// The deadline in the form a directive file writes it (`2022-Q4`), the inverse of `parse`.
    pub fn written(&self) -> String {
        let d = self.date;
        match self.precision {
            Precision::Day => d.format("%Y-%m-%d").to_string(),
            Precision::Month => d.format("%Y-%m").to_string(),
            Precision::Quarter => format!("{}-Q{}", d.year(), d.month().div_ceil(3)),
            Precision::Year => d.year().to_string(),
        }
    }
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.date.format("%d/%m/%Y"))
    }
}

pub(crate) fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    if !(1..=12).contains(&month) {
        return None;
    }
    NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn each_precision_is_due_on_its_last_day() {
        let cases = [
            ("2021-11-30", date(2021, 11, 30), Precision::Day),
            ("2021-11", date(2021, 11, 30), Precision::Month),
            ("2021-12", date(2021, 12, 31), Precision::Month),
            ("2024-02", date(2024, 2, 29), Precision::Month),
            ("2023-02", date(2023, 2, 28), Precision::Month),
            ("2022-Q4", date(2022, 12, 31), Precision::Quarter),
            ("2022-Q1", date(2022, 3, 31), Precision::Quarter),
            ("2022-q2", date(2022, 6, 30), Precision::Quarter),
            ("2022-Q3", date(2022, 9, 30), Precision::Quarter),
            ("2021", date(2021, 12, 31), Precision::Year),
        ];
        for (text, due, precision) in cases {
            let deadline = Deadline::parse(text, None).unwrap();
            assert_eq!((deadline.date, deadline.precision), (due, precision), "{text}");
        }
    }

    #[test]
    fn written_form_round_trips() {
        for text in ["2021-11-30", "2021-11", "2022-Q4", "2021"] {
            assert_eq!(Deadline::parse(text, None).unwrap().written(), text);
        }
    }

    #[test]
    fn impossible_dates_are_named_as_such() {
        for text in ["2022-02-30", "2021-13", "2022-Q5", "2022-Q0", "2021-00", "1800"] {
            assert_eq!(
                Deadline::parse(text, None),
                Err(DeadlineError::ImpossibleDate(text.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_text_is_rejected() {
        for text in ["", "tháng 11", "2021/11/30", "21-11-30", "2021-11-30-1", "2021-1", "Q4-2022"] {
            assert!(matches!(Deadline::parse(text, None), Err(DeadlineError::Malformed(_))), "{text:?}");
        }
    }

    #[test]
    fn relative_deadlines_count_from_a_date_or_the_directive() {
        use super::super::Offset;
        assert_eq!(
            DeadlineSpec::parse("+10wd from 2021-09-21", None),
            Ok(DeadlineSpec::Relative {
                offset: Offset::working_days(10),
                from: Some(date(2021, 9, 21)),
                phrase: None
            })
        );
        assert_eq!(
            DeadlineSpec::parse(" +30d ", Some("30 ngày".into())),
            Ok(DeadlineSpec::Relative {
                offset: Offset::days(30),
                from: None,
                phrase: Some("30 ngày".into())
            })
        );
        assert!(matches!(DeadlineSpec::parse("2021-11", None), Ok(DeadlineSpec::Absolute(_))));
        for text in
            ["+10", "+10wd from", "+10wd from 2021-09", "+x from 2021-09-21", "+10wd since 2021-09-21"]
        {
            assert!(DeadlineSpec::parse(text, None).is_err(), "{text}");
        }
        assert_eq!(
            DeadlineSpec::parse("+10wd from 2022-02-30", None),
            Err(DeadlineError::ImpossibleDate("2022-02-30".into()))
        );
    }

    #[test]
    fn displays_as_vietnamese_date() {
        assert_eq!(Deadline::parse("2021-11", None).unwrap().to_string(), "30/11/2021");
    }
}
