//! The Vietnamese lunar calendar (âm lịch): months begin on the day of the new moon as seen
//! in Vietnam, years on the second new moon after the winter solstice, and a year of 13
//! months repeats the first month without a major solar term (tháng nhuận).
//!
//! It is the Chinese calendar computed for UTC+7 instead of UTC+8 (North Vietnam adopted
//! UTC+7 for the calendar on 8 August 1967), which is why Tết fell on 21/01/1985 in Vietnam
//! but 20/02/1985 in China, and on 17/02/2007 instead of 18/02/2007.
//!
//! The astronomy (new moons, solar terms) is ICU4X's implementation of Reingold &
//! Dershowitz, *Calendrical Calculations* (4th ed., ch. 19), in the `calendrical_calculations`
//! crate; this module supplies the Vietnamese meridian and turns ordinal months into
//! numbered months with a leap flag. Rules: Hồ Ngọc Đức, "Thuật toán tính âm lịch"
//! (https://www.informatik.uni-leipzig.de/~duc/amlich/calrules_vn.html).

use calendrical_calculations::chinese_based::{self, ChineseBased, YearBounds};
use calendrical_calculations::gregorian::fixed_from_gregorian;
use calendrical_calculations::rata_die::RataDie;
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

/// The calendar's observer: Hà Nội time.
struct Vietnamese;

impl ChineseBased for Vietnamese {
    fn utc_offset(fixed: RataDie) -> f64 {
        if fixed < const { fixed_from_gregorian(1967, 8, 8) } { 8.0 / 24.0 } else { 7.0 / 24.0 }
    }

    // The same reckoning of cycles as the Chinese calendar; only year boundaries matter here.
    const EPOCH: RataDie = fixed_from_gregorian(-2636, 2, 15);
    const DEBUG_NAME: &'static str = "vietnamese";
}

/// A day of the lunar calendar. `year` is the Gregorian year in which its lunar year began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LunarDate {
    pub day: u8,
    pub month: u8,
    pub year: i32,
    /// A day of the repeated (leap) month, tháng nhuận.
    pub leap: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LunarError {
    #[error("{0} is outside the years the lunar calendar covers (1900–2199)")]
    OutOfRange(String),
    #[error("lunar year {year} has no {}month {month}", if *leap { "leap " } else { "" })]
    NoSuchMonth { year: i32, month: u8, leap: bool },
    #[error("lunar month {month}{} of {year} has {days} days, not {day}", if *leap { " (leap)" } else { "" })]
    NoSuchDay { year: i32, month: u8, leap: bool, day: u8, days: u8 },
}

/// The years whose conversions are tested and supported.
pub const YEARS: std::ops::RangeInclusive<i32> = 1899..=2199;

/// One lunar year: its first day and its months in order.
struct LunarYear {
    year: i32,
    new_year: NaiveDate,
    /// (number, leap, first day, length in days)
    months: Vec<(u8, bool, NaiveDate, u8)>,
}

/// A Rata Die counts days from the proleptic Gregorian 0001-01-01, which chrono numbers 1.
fn from_fixed(fixed: RataDie) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(fixed.to_i64_date()).ok()?)
}

impl LunarYear {
    /// Computes the lunar year that contains `fixed`: the costly part (solstices, new moons).
    fn compute(fixed: RataDie) -> Option<Self> {
        let bounds = YearBounds::compute::<Vietnamese>(fixed);
        let (lengths, leap_index) =
            chinese_based::month_structure_for_year::<Vietnamese>(bounds.new_year, bounds.next_new_year);
        let new_year = from_fixed(bounds.new_year)?;
        let count = if leap_index.is_some() { 13 } else { 12 };
        let mut months = Vec::with_capacity(count);
        let mut start = new_year;
        for ordinal in 1..=count as u8 {
            let (number, leap) = match leap_index {
                Some(leap) if ordinal == leap => (ordinal - 1, true),
                Some(leap) if ordinal > leap => (ordinal - 1, false),
                _ => (ordinal, false),
            };
            let length = if lengths[usize::from(ordinal - 1)] { 30 } else { 29 };
            months.push((number, leap, start, length));
            start = start.checked_add_days(Days::new(u64::from(length)))?;
        }
        debug_assert_eq!(Some(start), from_fixed(bounds.next_new_year));
        Some(Self { year: new_year.year(), new_year, months })
    }

    /// The lunar year that began in Gregorian `year`, computed once per process.
    fn of(year: i32) -> Option<&'static Self> {
        const COUNT: usize = (*YEARS.end() - *YEARS.start() + 1) as usize;
        static CACHE: [OnceLock<Option<LunarYear>>; COUNT] = [const { OnceLock::new() }; COUNT];
        let index = usize::try_from(year.checked_sub(*YEARS.start())?).ok()?;
        CACHE
            .get(index)?
            .get_or_init(|| {
                // Tết falls between 21 January and 20 February: 1 March is always in that year.
                let lunar = Self::compute(fixed_from_gregorian(year, 3, 1))?;
                (lunar.year == year).then_some(lunar)
            })
            .as_ref()
    }

    /// The lunar year that contains a solar date.
    fn containing(date: NaiveDate) -> Option<&'static Self> {
        let this = Self::of(date.year())?;
        if date >= this.new_year { Some(this) } else { Self::of(date.year() - 1) }
    }
}

/// The lunar date of a solar (Gregorian) date.
pub fn to_lunar(date: NaiveDate) -> Result<LunarDate, LunarError> {
    let out_of_range = || LunarError::OutOfRange(date.to_string());
    if !YEARS.contains(&date.year()) {
        return Err(out_of_range());
    }
    let lunar = LunarYear::containing(date).ok_or_else(out_of_range)?;
    let (month, leap, start, _) = lunar
        .months
        .iter()
        .rev()
        .find(|(_, _, start, _)| *start <= date)
        .copied()
        .ok_or_else(out_of_range)?;
    let day = u8::try_from((date - start).num_days() + 1).map_err(|_| out_of_range())?;
    Ok(LunarDate { day, month, year: lunar.year, leap })
}

/// The solar (Gregorian) date of a lunar date.
pub fn to_solar(lunar: LunarDate) -> Result<NaiveDate, LunarError> {
    let LunarDate { day, month, year, leap } = lunar;
    let out_of_range = || LunarError::OutOfRange(format!("lunar year {year}"));
    if !YEARS.contains(&year) {
        return Err(out_of_range());
    }
    let lunar_year = LunarYear::of(year).ok_or_else(out_of_range)?;
    let (_, _, start, days) = lunar_year
        .months
        .iter()
        .find(|(number, is_leap, _, _)| *number == month && *is_leap == leap)
        .copied()
        .ok_or(LunarError::NoSuchMonth { year, month, leap })?;
    if day == 0 || day > days {
        return Err(LunarError::NoSuchDay { year, month, leap, day, days });
    }
    start.checked_add_days(Days::new(u64::from(day - 1))).ok_or_else(out_of_range)
}

/// Tết: the first day of the lunar year that begins in Gregorian `year`.
pub fn new_year(year: i32) -> Result<NaiveDate, LunarError> {
    LunarYear::of(year)
        .map(|y| y.new_year)
        .ok_or_else(|| LunarError::OutOfRange(format!("lunar year {year}")))
}

/// The leap month of the lunar year that begins in `year`, if it has one.
pub fn leap_month(year: i32) -> Result<Option<u8>, LunarError> {
    let lunar = LunarYear::of(year).ok_or_else(|| LunarError::OutOfRange(format!("lunar year {year}")))?;
    Ok(lunar.months.iter().find(|m| m.1).map(|m| m.0))
}

#[cfg(test)]
mod tests;
