use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Whether an offset counts every day or only working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    /// `d`: calendar days.
    Days,
    /// `wd`: working days (ngày làm việc).
    WorkingDays,
}

/// A distance from a deadline, as the schedule writes it: `"14d"` (calendar days) or
/// `"3wd"` (working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Offset {
    count: u32,
    unit: Unit,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "'{0}' is not a day offset: write a whole number of days followed by 'd' (calendar days, e.g. '7d') or 'wd' (working days, e.g. '3wd')"
)]
pub struct OffsetError(pub String);

impl Offset {
    pub const fn days(count: u32) -> Self {
        Self { count, unit: Unit::Days }
    }

    pub const fn working_days(count: u32) -> Self {
        Self { count, unit: Unit::WorkingDays }
    }

    pub fn count(self) -> u32 {
        self.count
    }

    pub fn unit(self) -> Unit {
        self.unit
    }

    pub fn parse(text: &str) -> Result<Self, OffsetError> {
        let error = || OffsetError(text.to_owned());
        let text = text.trim();
        let (number, unit) = match text.strip_suffix("wd") {
            Some(number) => (number, Unit::WorkingDays),
            None => (text.strip_suffix('d').ok_or_else(error)?, Unit::Days),
        };
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
            return Err(error());
        }
        let count: u32 = number.parse().map_err(|_| error())?;
        // A deadline more than ten years away is a typo, not a schedule.
        if count > 3660 {
            return Err(error());
        }
        Ok(Self { count, unit })
    }

    /// An approximate length in hundredths of a calendar day, to order offsets of both
    /// units: a working day is about 1.46 days once weekends and holidays are counted.
    fn approximate_days(self) -> u64 {
        match self.unit {
            Unit::Days => u64::from(self.count) * 100,
            Unit::WorkingDays => u64::from(self.count) * 146,
        }
    }
}

impl PartialOrd for Offset {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Offset {
    /// By approximate length, then by unit.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.approximate_days()
            .cmp(&other.approximate_days())
            .then(self.unit.cmp(&other.unit))
            .then(self.count.cmp(&other.count))
    }
}

impl FromStr for Offset {
    type Err = OffsetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Offset {
    type Error = OffsetError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Offset> for String {
    fn from(offset: Offset) -> Self {
        offset.to_string()
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            Unit::Days => write!(f, "{}d", self.count),
            Unit::WorkingDays => write!(f, "{}wd", self.count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_calendar_and_working_days() {
        assert_eq!(Offset::parse("14d").unwrap(), Offset::days(14));
        assert_eq!(Offset::parse("0d").unwrap(), Offset::days(0));
        assert_eq!(Offset::parse("3wd").unwrap(), Offset::working_days(3));
        assert_eq!(Offset::days(3).to_string(), "3d");
        assert_eq!(Offset::working_days(10).to_string(), "10wd");
    }

    #[test]
    fn rejects_other_units_and_garbage() {
        for text in ["", "d", "wd", "14", "-1d", "1.5d", "1w", "3 d", "99999d", "+3d", "3dw", "3wdd"] {
            assert!(Offset::parse(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn orders_by_length() {
        let mut offsets = [
            Offset::days(1),
            Offset::working_days(3),
            Offset::days(14),
            Offset::days(3),
            Offset::working_days(10),
        ];
        offsets.sort_by(|a, b| b.cmp(a));
        let text: Vec<String> = offsets.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["10wd", "14d", "3wd", "3d", "1d"]);
    }
}
