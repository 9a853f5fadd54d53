//! Which days are working days in Vietnam: weekends, the statutory public holidays (Tết and
//! Giỗ Tổ Hùng Vương by the lunar calendar), their compensatory days, and the swaps the
//! government announces each year, which admins add as overrides. Counting and moving
//! dates by working days.
//!
//! Pure: no clock, no I/O. A year's days off are computed once and kept.

pub mod holidays;
pub mod lunar;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

pub use holidays::{AdjacentDay, HolidayRules};

use crate::domain::{Deadline, DeadlineSpec, Offset, Precision, Unit};

/// A day an admin declares off (an extra day, a swap) or on (a working Saturday, a holiday
/// moved), with the reason shown to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOverride {
    pub date: NaiveDate,
    pub off: bool,
    pub reason: String,
}

/// Why a day is not an ordinary weekday or weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A statutory public holiday.
    Holiday,
    /// Off because a holiday fell on a weekend.
    Compensatory,
    /// Set in the config.
    Override,
}

/// A day that differs from the plain rule "Monday to Friday work, weekends off".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecialDay {
    pub date: NaiveDate,
    /// Whether the day is off; an override can make a weekend day a working day.
    pub off: bool,
    pub kind: DayKind,
    pub reason: String,
}

/// A working-day calendar: shared, cheap to clone.
#[derive(Debug, Clone)]
pub struct Calendar {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    rules: HolidayRules,
    overrides: BTreeMap<NaiveDate, DayOverride>,
    years: Mutex<HashMap<i32, Arc<BTreeMap<NaiveDate, SpecialDay>>>>,
}

impl PartialEq for Calendar {
    fn eq(&self, other: &Self) -> bool {
        self.inner.rules == other.inner.rules && self.inner.overrides == other.inner.overrides
    }
}

/// Far enough to cross any run of days off; only guards the ends of the calendar.
const MAX_WALK: usize = 400;

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Calendar {
    /// Vietnam's calendar with these rules and overrides (a later override of a date wins).
    pub fn new(rules: HolidayRules, overrides: Vec<DayOverride>) -> Self {
        let overrides = overrides.into_iter().map(|o| (o.date, o)).collect();
        Self { inner: Arc::new(Inner { rules, overrides, years: Mutex::new(HashMap::new()) }) }
    }

    /// Vietnam's calendar with the usual rules and no overrides.
    pub fn vietnam() -> Self {
        Self::new(HolidayRules::default(), Vec::new())
    }

    /// The same calendar with more overrides, e.g. a department's own days.
    pub fn with_overrides(&self, extra: Vec<DayOverride>) -> Self {
        let mut overrides: Vec<DayOverride> = self.inner.overrides.values().cloned().collect();
        overrides.extend(extra);
        Self::new(self.inner.rules.clone(), overrides)
    }

    /// The days of a year that are not plain weekdays or plain weekends, in date order.
    pub fn special_days(&self, year: i32) -> Vec<SpecialDay> {
        self.year(year).values().cloned().collect()
    }

    fn year(&self, year: i32) -> Arc<BTreeMap<NaiveDate, SpecialDay>> {
        let mut years = match self.inner.years.lock() {
            Ok(years) => years,
            Err(poisoned) => poisoned.into_inner(),
        };
        years.entry(year).or_insert_with(|| Arc::new(self.compute_year(year))).clone()
    }

    fn compute_year(&self, year: i32) -> BTreeMap<NaiveDate, SpecialDay> {
        let mut days = BTreeMap::new();
        // Outside the lunar calendar's range only weekends and overrides apply.
        for day in holidays::statutory_days_off(year, &self.inner.rules).unwrap_or_default() {
            let kind = match day.kind {
                holidays::Kind::Holiday => DayKind::Holiday,
                holidays::Kind::Compensatory => DayKind::Compensatory,
            };
            days.insert(day.date, SpecialDay { date: day.date, off: true, kind, reason: day.reason });
        }
        let start = NaiveDate::from_ymd_opt(year, 1, 1);
        let end = NaiveDate::from_ymd_opt(year, 12, 31);
        if let (Some(start), Some(end)) = (start, end) {
            for o in self.inner.overrides.range(start..=end).map(|(_, o)| o) {
                // An override that re-states what the calendar already says adds nothing.
                let off_now = days.get(&o.date).map_or(is_weekend(o.date), |d| d.off);
                if off_now != o.off {
                    let day = SpecialDay {
                        date: o.date,
                        off: o.off,
                        kind: DayKind::Override,
                        reason: o.reason.clone(),
                    };
                    days.insert(o.date, day);
                }
            }
        }
        days
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.year(date.year()).get(&date) {
            Some(day) => !day.off,
            None => !is_weekend(date),
        }
    }

    /// The special day `date` is, if it is one.
    pub fn special_day(&self, date: NaiveDate) -> Option<SpecialDay> {
        self.year(date.year()).get(&date).cloned()
    }

    /// The date itself when it is a working day, else the nearest working day after it.
    pub fn on_or_after(&self, date: NaiveDate) -> NaiveDate {
        self.walk(date, |d| d.checked_add_days(Days::new(1)))
    }

    /// The date itself when it is a working day, else the nearest working day before it.
    pub fn on_or_before(&self, date: NaiveDate) -> NaiveDate {
        self.walk(date, |d| d.checked_sub_days(Days::new(1)))
    }

    fn walk(&self, mut date: NaiveDate, step: impl Fn(NaiveDate) -> Option<NaiveDate>) -> NaiveDate {
        for _ in 0..MAX_WALK {
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

    /// The `n`th working day after `date` (`date` itself when `n` is 0).
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        self.count_off(date, n, |d| d.checked_add_days(Days::new(1)))
    }

    /// The `n`th working day before `date` (`date` itself when `n` is 0).
    pub fn sub_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        self.count_off(date, n, |d| d.checked_sub_days(Days::new(1)))
    }

    fn count_off(
        &self,
        mut date: NaiveDate,
        n: u32,
        step: impl Fn(NaiveDate) -> Option<NaiveDate>,
    ) -> NaiveDate {
        let mut left = n;
        while left > 0 {
            match step(date) {
                Some(next) => date = next,
                None => return date,
            }
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// The date `offset` before `date`: calendar days, or working days of this calendar.
    pub fn before(&self, date: NaiveDate, offset: Offset) -> Option<NaiveDate> {
        match offset.unit() {
            Unit::Days => date.checked_sub_days(Days::new(u64::from(offset.count()))),
            Unit::WorkingDays => Some(self.sub_working_days(date, offset.count())),
        }
    }

    /// The date `offset` after `date`: calendar days, or working days of this calendar.
    pub fn after(&self, date: NaiveDate, offset: Offset) -> Option<NaiveDate> {
        match offset.unit() {
            Unit::Days => date.checked_add_days(Days::new(u64::from(offset.count()))),
            Unit::WorkingDays => Some(self.add_working_days(date, offset.count())),
        }
    }

    /// The deadline a spec names: a relative one counts from its own date or `start` (the
    /// directive's date), in calendar or working days of this calendar.
    pub fn resolve(&self, spec: DeadlineSpec, start: NaiveDate) -> Option<Deadline> {
        match spec {
            DeadlineSpec::Absolute(deadline) => Some(deadline),
            DeadlineSpec::Relative { offset, from, phrase } => Some(Deadline {
                date: self.after(from.unwrap_or(start), offset)?,
                precision: Precision::Day,
                phrase,
            }),
        }
    }

    /// How many working days lie after `from` up to and including `to` (negative when `to`
    /// is before `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (start, end, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let mut count = 0;
        let mut date = start;
        while date < end {
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
            if self.is_working_day(date) {
                count += 1;
            }
        }
        sign * count
    }
}

#[cfg(test)]
mod tests;
