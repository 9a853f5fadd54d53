//! Which days are working days, and moving a date onto one.
//!
//! Today the calendar knows weekends; public holidays and the government's yearly swaps
//! extend it in place. Pure: no clock, no I/O.

pub mod lunar;

use chrono::{Datelike, Days, NaiveDate, Weekday};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    skip_weekends: bool,
}

impl Calendar {
    /// Saturdays and Sundays are days off.
    pub fn weekends_off() -> Self {
        Self {
            skip_weekends: true,
        }
    }

    /// Every day is a working day (`schedule.working_days_only = false`).
    pub fn every_day() -> Self {
        Self {
            skip_weekends: false,
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !(self.skip_weekends && matches!(date.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The date itself when it is a working day, else the nearest working day after it.
    pub fn on_or_after(&self, date: NaiveDate) -> NaiveDate {
        self.walk(date, |d| d.checked_add_days(Days::new(1)))
    }

    /// The date itself when it is a working day, else the nearest working day before it.
    pub fn on_or_before(&self, date: NaiveDate) -> NaiveDate {
        self.walk(date, |d| d.checked_sub_days(Days::new(1)))
    }

    fn walk(
        &self,
        mut date: NaiveDate,
        step: impl Fn(NaiveDate) -> Option<NaiveDate>,
    ) -> NaiveDate {
        // A year has far fewer than 370 consecutive days off; the bound only guards the
        // ends of the representable calendar.
        for _ in 0..370 {
            if self.is_working_day(date) {
                return date;
            }
            match step(date) {
                Some(next) => date = next,
                None => return date,
            }
        }
        date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weekends_are_days_off() {
        let calendar = Calendar::weekends_off();
        assert!(calendar.is_working_day(date(2021, 11, 26))); // Friday
        assert!(!calendar.is_working_day(date(2021, 11, 27)));
        assert!(!calendar.is_working_day(date(2021, 11, 28)));
        assert!(calendar.is_working_day(date(2021, 11, 29)));
    }

    #[test]
    fn moves_to_the_nearest_working_day() {
        let calendar = Calendar::weekends_off();
        assert_eq!(calendar.on_or_after(date(2021, 11, 27)), date(2021, 11, 29));
        assert_eq!(
            calendar.on_or_before(date(2021, 11, 28)),
            date(2021, 11, 26)
        );
        assert_eq!(calendar.on_or_after(date(2021, 11, 30)), date(2021, 11, 30));
        assert_eq!(
            Calendar::every_day().on_or_before(date(2021, 11, 28)),
            date(2021, 11, 28)
        );
    }
}
