//! `nhacviec calendar`: a year's days off other than plain weekends, with their reasons, and
//! conversions between the solar and the Vietnamese lunar calendar.

use chrono::{Datelike, NaiveDate};
use clap::Args;
use serde::Serialize;

use super::{Format, InputError, parse_date, table};
use crate::calendar::lunar::{self, LunarDate};
use crate::calendar::{DayKind, SpecialDay};
use crate::config::Settings;
use crate::plan::Policy;

#[derive(Args, Debug)]
pub struct CalendarArgs {
    /// The year whose days off to list.
    #[arg(required_unless_present_any = ["lunar", "from_lunar"])]
    year: Option<i32>,
    /// Convert this solar date (YYYY-MM-DD) to the lunar calendar.
    #[arg(long, value_parser = parse_date, conflicts_with_all = ["year", "from_lunar"])]
    lunar: Option<NaiveDate>,
    /// Convert this lunar date (YYYY-MM-DD: lunar year, month, day) to the solar calendar.
    #[arg(long, conflicts_with = "year")]
    from_lunar: Option<String>,
    /// With --from-lunar: the day is in the leap month (tháng nhuận).
    #[arg(long, requires = "from_lunar")]
    leap: bool,
    /// The calendar of this department (code, name or alias), with its own days.
    #[arg(long)]
    department: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Serialize)]
struct Day {
    date: NaiveDate,
    weekday: &'static str,
    off: bool,
    kind: DayKind,
    reason: String,
}

const WEEKDAYS: [&str; 7] = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"];

fn weekday(date: NaiveDate) -> &'static str {
    WEEKDAYS[date.weekday().num_days_from_monday() as usize]
}

pub fn run(settings: &Settings, args: &CalendarArgs) -> anyhow::Result<()> {
    if let Some(date) = args.lunar {
        let lunar = lunar::to_lunar(date).map_err(|e| InputError(format!("--lunar: {e}")))?;
        return match args.format {
            Format::Json => table::print_json(&lunar),
            Format::Table => {
                outln!("{} ({}) = {}", date.format("%d/%m/%Y"), weekday(date), describe(lunar));
                Ok(())
            }
        };
    }
    if let Some(text) = &args.from_lunar {
        let (year, month, day) = parse_lunar(text).ok_or_else(|| {
            InputError(format!(
                "--from-lunar: '{text}' is not a lunar date: write YYYY-MM-DD (lunar year, month, day)"
            ))
        })?;
        let lunar = LunarDate { day, month, year, leap: args.leap };
        let date = lunar::to_solar(lunar).map_err(|e| InputError(format!("--from-lunar: {e}")))?;
        return match args.format {
            Format::Json => table::print_json(&serde_json::json!({ "date": date })),
            Format::Table => {
                outln!("{} = {} ({})", describe(lunar), date.format("%d/%m/%Y"), weekday(date));
                Ok(())
            }
        };
    }
    let Some(year) = args.year else {
        return Err(InputError("give a YEAR, --lunar DATE or --from-lunar DATE".into()).into());
    };
    if !lunar::YEARS.contains(&year) {
        return Err(InputError(format!("year {year} is outside the calendar (1900–2199)")).into());
    }
    let policy = Policy::from_settings(settings);
    let calendar = match &args.department {
        Some(label) => {
            let department = settings
                .departments
                .resolve(label)
                .ok_or_else(|| InputError(format!("unknown department '{label}'")))?;
            policy.calendar_for(&department.code).clone()
        }
        None => policy.calendar.clone(),
    };
    let days: Vec<Day> = calendar
        .special_days(year)
        .into_iter()
        .map(|SpecialDay { date, off, kind, reason }| Day { date, weekday: weekday(date), off, kind, reason })
        .collect();
    match args.format {
        Format::Json => table::print_json(&days),
        Format::Table => {
            let rows: Vec<Vec<String>> = days
                .iter()
                .map(|d| {
                    vec![
                        d.date.format("%d/%m/%Y").to_string(),
                        d.weekday.to_owned(),
                        if d.off { "nghỉ".to_owned() } else { "làm việc".to_owned() },
                        d.reason.clone(),
                    ]
                })
                .collect();
            table::print(&["NGÀY", "THỨ", "NGHỈ/LÀM", "LÝ DO"], &rows);
            let off = days.iter().filter(|d| d.off).count();
            outln!("{off} ngày nghỉ ngoài thứ Bảy, Chủ nhật; {} ngày làm việc bù", days.len() - off);
            Ok(())
        }
    }
}

fn parse_lunar(text: &str) -> Option<(i32, u8, u8)> {
    let mut parts = text.trim().split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((year, month, day))
}

/// "1/2 (nhuận) năm Quý Mão (2023)".
fn describe(lunar: LunarDate) -> String {
    const STEMS: [&str; 10] = ["Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý"];
    const BRANCHES: [&str; 12] =
        ["Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi"];
    let stem = STEMS[(lunar.year + 6).rem_euclid(10) as usize];
    let branch = BRANCHES[(lunar.year + 8).rem_euclid(12) as usize];
    let leap = if lunar.leap { " (nhuận)" } else { "" };
    format!("{}/{}{leap} năm {stem} {branch} ({}) âm lịch", lunar.day, lunar.month, lunar.year)
}
