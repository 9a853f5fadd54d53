use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A distance in days from a deadline, as the schedule writes it: `"14d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Offset {
    days: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a day offset: write a whole number of days followed by 'd', e.g. '7d'")]
pub struct OffsetError(pub String);

impl Offset {
    pub const fn days(days: u32) -> Self {
        Self { days }
    }

    pub fn in_days(self) -> u32 {
        self.days
    }

    pub fn parse(text: &str) -> Result<Self, OffsetError> {
        let error = || OffsetError(text.to_owned());
        let number = text.trim().strip_suffix('d').ok_or_else(error)?;
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
            return Err(error());
        }
        let days: u32 = number.parse().map_err(|_| error())?;
        // A deadline more than ten years away is a typo, not a schedule.
        if days > 3660 {
            return Err(error());
        }
        Ok(Self { days })
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
        write!(f, "{}d", self.days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_days() {
        assert_eq!(Offset::parse("14d").unwrap(), Offset::days(14));
        assert_eq!(Offset::parse("0d").unwrap(), Offset::days(0));
        assert_eq!(Offset::days(3).to_string(), "3d");
    }

    #[test]
    fn rejects_other_units_and_garbage() {
        for text in ["", "d", "14", "-1d", "1.5d", "1w", "3 d", "99999d", "+3d"] {
            assert!(Offset::parse(text).is_err(), "{text:?} accepted");
        }
    }
}
