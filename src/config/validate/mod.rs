//! Turns the raw config into `Settings`, collecting every problem with its key path.

mod channels;
mod departments;
mod http;
mod pages;
mod query;
mod sources;

use std::time::Duration;

use chrono::NaiveTime;
use chrono_tz::Tz;

use super::raw::{RawCalendar, RawDay, RawDelivery, RawSchedule, RawSettings};
use super::{CalendarSettings, Delivery, Problem, Schedule, Settings, StoreSettings};
use crate::calendar::{AdjacentDay, Calendar, DayOverride, HolidayRules};
use crate::domain::Offset;

/// Collects problems as a validation walks the tree.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem { path: path.into(), message: message.into() });
    }

    /// Runs a parse and records its error at `path`; `None` when it failed.
    fn check<T, E: std::fmt::Display>(&mut self, path: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(path, e.to_string())).ok()
    }
}

pub(super) fn validate(value: serde_json::Value, source_name: &str) -> Result<Settings, Vec<Problem>> {
    let mut problems = Problems::default();
    let mut unknown = Vec::new();
    let raw: Option<RawSettings> = {
        let mut on_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
        let ignored = serde_ignored::Deserializer::new(&value, &mut on_unknown);
        match serde_path_to_error::deserialize(ignored) {
            Ok(raw) => Some(raw),
            Err(e) => {
                problems.add(e.path().to_string(), e.inner().to_string());
                None
            }
        }
    };
    for path in unknown {
        problems.add(path, "unknown key");
    }
    let Some(raw) = raw else {
        return Err(problems.0);
    };

    let timezone = match raw.timezone.as_deref().unwrap_or("Asia/Ho_Chi_Minh").parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            problems.add("timezone", "not an IANA time zone name (e.g. 'Asia/Ho_Chi_Minh')");
            None
        }
    };
    let max_size =
        raw.store.max_size.as_deref().and_then(|text| problems.check("store.max_size", parse_size(text)));
    let pool_size = raw.store.pool_size.unwrap_or(DEFAULT_POOL_SIZE);
    if !(2..=500).contains(&pool_size) {
        problems.add("store.pool_size", format!("{pool_size} connections: write a number from 2 to 500"));
    }
    let keep_sent = match raw.store.keep_sent.as_deref().unwrap_or("90d") {
        "forever" => None,
        text => problems.check(
            "store.keep_sent",
            parse_duration(text).and_then(|kept| {
                if kept < MIN_KEEP_SENT {
                    Err(format!(
                        "'{text}' is too short: a reminder is kept at least 30 days, so that a task planned \
                     afresh finds what was already sent (or write 'forever')"
                    ))
                } else {
                    Ok(kept)
                }
            }),
        ),
    };
    let store = StoreSettings {
        url: raw.store.url.unwrap_or_else(|| "sqlite://data/nhacviec.db".to_owned()),
        max_size,
        pool_size,
        notify: raw.store.notify.unwrap_or(true),
        keep_sent,
    };
    match store_engine(&store.url) {
        Ok(StoreEngine::File) if raw.store.pool_size.is_some() => problems.add(
            "store.pool_size",
            "applies to a database server only: a store in a file is written by one daemon",
        ),
        Ok(StoreEngine::File) => {}
        Ok(StoreEngine::Server) if store.max_size.is_some() => problems.add(
            "store.max_size",
            "applies to a store in a file only: a database server sizes its own databases",
        ),
        Ok(StoreEngine::Server) => {}
        Err(problem) => problems.add("store.url", problem),
    }
    let schedule = schedule(raw.schedule, &mut problems);
    let delivery = delivery(raw.delivery, &mut problems);
    let calendar = calendar(raw.calendar, &mut problems);
    let templates_dir = raw.templates.dir.map(std::path::PathBuf::from);
    let http = http::http(raw.http, &mut problems);
    if let Some(dir) = &templates_dir
        && !dir.is_dir()
    {
        problems.add("templates.dir", format!("'{}' is not a folder", dir.display()));
    }
    let channels::ChannelTables { channels, quiet_hours, rate_limits } =
        channels::channels(raw.channels, &mut problems);
    let departments = departments::departments(raw.departments, raw.groups, &channels, &mut problems);
    let sources = sources::sources(raw.sources, &mut problems);
    let pages = pages::pages(raw.pages, departments.as_ref(), &channels, &mut problems);

    match (timezone, schedule, delivery, calendar, departments, http, pages) {
        (
            Some(timezone),
            Some(schedule),
            Some(delivery),
            Some(calendar),
            Some(departments),
            Some(http),
            Some(pages),
        ) if problems.0.is_empty() => Ok(Settings {
            timezone,
            store,
            schedule,
            delivery,
            calendar,
            templates_dir,
            http,
            pages,
            channels,
            quiet_hours,
            rate_limits,
            departments,
            sources,
            source: source_name.to_owned(),
        }),
        _ => Err(problems.0),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreEngine {
    /// `sqlite://PATH`: a file beside the daemon.
    File,
    /// `postgres://…`: a database server.
    Server,
}

/// Which engine a store URL names, or what is wrong with it (never showing a password).
fn store_engine(text: &str) -> Result<StoreEngine, String> {
    if let Some(path) = text.strip_prefix("sqlite://") {
        return if path.is_empty() {
            Err("'sqlite://' names no file: write sqlite://PATH".to_owned())
        } else {
            Ok(StoreEngine::File)
        };
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let url = url::Url::parse(text).map_err(|e| format!("not a PostgreSQL URL ({e})"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(
                "the PostgreSQL URL names no host: write postgres://USER@HOST:PORT/DATABASE".to_owned()
            );
        }
        if url.path().trim_start_matches('/').is_empty() {
            return Err(
                "the PostgreSQL URL names no database: write postgres://USER@HOST:PORT/DATABASE".to_owned()
            );
        }
        return Ok(StoreEngine::Server);
    }
    let shown = text.split_once('@').map_or(text, |(_, host)| host);
    Err(format!("'{shown}' is not a store URL: write sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"))
}

/// A size in bytes: "500MB", "2GB", "64KB".
fn parse_size(text: &str) -> Result<u64, String> {
    let error = || format!("'{text}' is not a size of at least 64KB: write e.g. '500MB' or '2GB'");
    let upper = text.trim().to_ascii_uppercase();
    let (number, unit) = upper.split_at(upper.find(|c: char| !c.is_ascii_digit()).unwrap_or(upper.len()));
    let number: u64 = number.parse().map_err(|_| error())?;
    let unit: u64 = match unit.trim() {
        "KB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        _ => return Err(error()),
    };
    number.checked_mul(unit).filter(|bytes| *bytes >= 64 << 10).ok_or_else(error)
}

fn parse_time(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| format!("'{text}' is not a time of day: write HH:MM, e.g. '08:00'"))
}

/// Connections to a database server each daemon keeps, unless `store.pool_size` says.
const DEFAULT_POOL_SIZE: u32 = 10;

/// The shortest `store.keep_sent`: longer than any reminder series' spacing, so that a
/// task planned afresh never finds a key gone and sends it again.
const MIN_KEEP_SENT: Duration = Duration::from_secs(30 * 24 * 3600);

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("'{text}' is not a duration ({e}): write e.g. '30s', '5m', '6h'"))
}

/// An offset that may be switched off with `"0d"` or `"off"`.
fn optional_offset(text: &str) -> Result<Option<Offset>, String> {
    if text == "off" {
        return Ok(None);
    }
    let offset = Offset::parse(text).map_err(|e| e.to_string())?;
    Ok((offset.count() > 0).then_some(offset))
}

fn schedule(raw: RawSchedule, problems: &mut Problems) -> Option<Schedule> {
    let send_at = problems.check("schedule.send_at", parse_time(raw.send_at.as_deref().unwrap_or("08:00")));
    let window = raw.send_window.unwrap_or_else(|| vec!["07:30".into(), "17:00".into()]);
    let send_window = match window.as_slice() {
        [start, end] => {
            let start = problems.check("schedule.send_window[0]", parse_time(start));
            let end = problems.check("schedule.send_window[1]", parse_time(end));
            match (start, end) {
                (Some(start), Some(end)) if start < end => Some((start, end)),
                (Some(_), Some(_)) => {
                    problems.add("schedule.send_window", "the window must start before it ends");
                    None
                }
                _ => None,
            }
        }
        _ => {
            problems.add("schedule.send_window", "write two times of day: [\"07:30\", \"17:00\"]");
            None
        }
    };
    if let (Some(at), Some((start, end))) = (send_at, send_window)
        && !(start <= at && at <= end)
    {
        problems.add("schedule.send_at", "must fall inside schedule.send_window");
    }
    let mut before = Vec::new();
    for (i, text) in raw
        .before
        .unwrap_or_else(|| vec!["14d".into(), "7d".into(), "3d".into(), "1d".into()])
        .iter()
        .enumerate()
    {
        match Offset::parse(text) {
            Ok(offset) if offset.count() == 0 => {
                problems.add(format!("schedule.before[{i}]"), "use on_due_date for the due date itself")
            }
            Ok(offset) => before.push(offset),
            Err(e) => problems.add(format!("schedule.before[{i}]"), e.to_string()),
        }
    }
    before.sort_by(|a, b| b.cmp(a));
    before.dedup();
    let overdue_every = problems
        .check("schedule.overdue_every", optional_offset(raw.overdue_every.as_deref().unwrap_or("3d")));
    let escalate_after = problems
        .check("schedule.escalate_after", optional_offset(raw.escalate_after.as_deref().unwrap_or("7d")));
    let poll_interval = problems
        .check("schedule.poll_interval", parse_duration(raw.poll_interval.as_deref().unwrap_or("30s")));
    if poll_interval.is_some_and(|d| d < Duration::from_secs(1)) {
        problems.add("schedule.poll_interval", "must be at least 1s");
    }
    let replan =
        problems.check("schedule.replan", super::parse_cron(raw.replan.as_deref().unwrap_or("0 5 0 * * *")));
    let summary_at = problems.check(
        "schedule.summary_at",
        super::parse_cron(raw.summary_at.as_deref().unwrap_or("0 0 8 * * Mon")),
    );
    let digest_at = problems.check(
        "schedule.digest_at",
        super::parse_cron(raw.digest_at.as_deref().unwrap_or("0 0 8 * * Mon-Fri")),
    );
    Some(Schedule {
        send_at: send_at?,
        send_window: send_window?,
        working_days_only: raw.working_days_only.unwrap_or(true),
        before,
        on_due_date: raw.on_due_date.unwrap_or(true),
        overdue_every: overdue_every?,
        escalate_after: escalate_after?,
        poll_interval: poll_interval?,
        replan: replan?,
        digest: raw.digest.unwrap_or(false),
        digest_at: digest_at?,
        summary_at: summary_at?,
    })
}

fn delivery(raw: RawDelivery, problems: &mut Problems) -> Option<Delivery> {
    let mut duration = |key: &str, value: Option<String>, default: &str| {
        problems.check(&format!("delivery.{key}"), parse_duration(value.as_deref().unwrap_or(default)))
    };
    let retry_initial = duration("retry_initial", raw.retry_initial, "1m");
    let retry_max = duration("retry_max", raw.retry_max, "6h");
    let shutdown_grace = duration("shutdown_grace", raw.shutdown_grace, "30s");
    let lease = duration("lease", raw.lease, "5m");
    let max_attempts = raw.max_attempts.unwrap_or(8);
    let batch_size = raw.batch_size.unwrap_or(256);
    let concurrency = raw.concurrency.unwrap_or(32);
    for (key, value, max) in [
        ("max_attempts", max_attempts, 100),
        ("batch_size", batch_size, 10_000),
        ("concurrency", concurrency, 1024),
    ] {
        if value == 0 || value > max {
            problems.add(format!("delivery.{key}"), format!("must be between 1 and {max}"));
        }
    }
    if let (Some(initial), Some(max)) = (retry_initial, retry_max)
        && initial > max
    {
        problems.add("delivery.retry_initial", "must not exceed delivery.retry_max");
    }
    Some(Delivery {
        enabled: raw.enabled.unwrap_or(true),
        max_attempts,
        retry_initial: retry_initial?,
        retry_max: retry_max?,
        batch_size,
        concurrency,
        shutdown_grace: shutdown_grace?,
        lease: lease?,
    })
}

fn days(path: &str, raw: Vec<RawDay>, problems: &mut Problems) -> Vec<DayOverride> {
    let mut days = Vec::new();
    for (i, day) in raw.into_iter().enumerate() {
        let key = format!("{path}[{i}]");
        let date = match day.date.as_deref() {
            Some(text) => problems.check(
                &format!("{key}.date"),
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| format!("'{text}' is not a date in the calendar: write YYYY-MM-DD")),
            ),
            None => {
                problems.add(format!("{key}.date"), "missing");
                None
            }
        };
        let off = day.off.unwrap_or(true);
        let reason = day.reason.filter(|r| !r.trim().is_empty()).unwrap_or_else(|| {
            if off {
                "Ngày nghỉ theo cấu hình".to_owned()
            } else {
                "Ngày làm việc theo cấu hình".to_owned()
            }
        });
        if let Some(date) = date {
            days.push(DayOverride { date, off, reason });
        }
    }
    days
}

fn calendar(raw: RawCalendar, problems: &mut Problems) -> Option<CalendarSettings> {
    let move_deadline = match raw.deadline_on_day_off.as_deref().unwrap_or("next_working_day") {
        "next_working_day" => Some(true),
        "keep" => Some(false),
        other => {
            problems.add(
                "calendar.deadline_on_day_off",
                format!("'{other}' is not a rule: use next_working_day or keep"),
            );
            None
        }
    };
    let defaults = HolidayRules::default();
    let tet_first_day = raw.tet_first_day.unwrap_or(defaults.tet_first_day);
    if !(-3..=0).contains(&tet_first_day) {
        problems.add("calendar.tet_first_day", "must be between -3 and 0 (days before lunar New Year's Day)");
    }
    let tet_days = raw.tet_days.unwrap_or(defaults.tet_days);
    if !(1..=9).contains(&tet_days) {
        problems.add("calendar.tet_days", "must be between 1 and 9");
    }
    let national_day_extra = match raw.national_day_extra.as_deref().unwrap_or("before") {
        "before" => Some(AdjacentDay::Before),
        "after" => Some(AdjacentDay::After),
        other => {
            problems.add(
                "calendar.national_day_extra",
                format!("'{other}' is not a side: use before (1/9) or after (3/9)"),
            );
            None
        }
    };
    let overrides = days("calendar.days", raw.days, problems);
    let rules = HolidayRules { tet_first_day, tet_days, national_day_extra: national_day_extra? };
    Some(CalendarSettings {
        calendar: Calendar::new(rules, overrides),
        move_deadline_off_days_off: move_deadline?,
    })
}
