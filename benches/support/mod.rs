//! Shared parts of the throughput benchmark: the report of figures against their targets,
//! the config text of a bench store, and small helpers.

pub mod dispatch;
pub mod idle;
pub mod planning;
pub mod receivers;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The time zone of every bench config.
pub const TIMEZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// One measured figure, as printed and as summed up at the end.
pub struct Figure {
    pub section: &'static str,
    pub name: String,
    pub shown: String,
    pub target: String,
    /// `None` for a figure printed for information only.
    pub pass: Option<bool>,
}

/// Every figure of the run, printed as it is measured.
#[derive(Default)]
pub struct Report {
    pub figures: Vec<Figure>,
    pub failures: Vec<(&'static str, String)>,
}

impl Report {
    fn push(&mut self, figure: Figure) {
        let verdict = match figure.pass {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "",
        };
        let target =
            if figure.target.is_empty() { String::new() } else { format!("target {}", figure.target) };
        println!("  {:<46} {:>16}   {:<24} {}", figure.name, figure.shown, target, verdict);
        self.figures.push(figure);
    }

    /// A figure that must not exceed `limit`.
    pub fn at_most(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        value: f64,
        unit: &str,
        limit: f64,
    ) {
        self.push(Figure {
            section,
            name: name.into(),
            shown: format!("{} {unit}", number(value)),
            target: format!("≤ {} {unit}", number(limit)),
            pass: Some(value <= limit),
        });
    }

    /// A figure that must reach at least `limit`.
    pub fn at_least(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        value: f64,
        unit: &str,
        limit: f64,
    ) {
        self.push(Figure {
            section,
            name: name.into(),
            shown: format!("{} {unit}", number(value)),
            target: format!("≥ {} {unit}", number(limit)),
            pass: Some(value >= limit),
        });
    }

    /// A yes/no check, shown as `shown` against `target`.
    pub fn check(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        ok: bool,
        shown: impl Into<String>,
        target: impl Into<String>,
    ) {
        self.push(Figure {
            section,
            name: name.into(),
            shown: shown.into(),
            target: target.into(),
            pass: Some(ok),
        });
    }

    /// A figure with no target.
    pub fn info(&mut self, section: &'static str, name: impl Into<String>, shown: impl Into<String>) {
        self.push(Figure {
            section,
            name: name.into(),
            shown: shown.into(),
            target: String::new(),
            pass: None,
        });
    }

    pub fn failed(&mut self, section: &'static str, error: &anyhow::Error) {
        println!("  {section} FAILED: {error:#}");
        self.failures.push((section, format!("{error:#}")));
    }

    /// The table at the end of the run: every figure (those with a target marked PASS or
    /// MISS), then the sections that failed.
    pub fn print_summary(&self) {
        println!();
        println!("== summary ==");
        println!("{:<9} {:<46} {:>18}   {:<22} result", "section", "figure", "measured", "target");
        for figure in &self.figures {
            let verdict = match figure.pass {
                Some(true) => "PASS",
                Some(false) => "MISS",
                None => "",
            };
            println!(
                "{:<9} {:<46} {:>18}   {:<22} {verdict}",
                figure.section, figure.name, figure.shown, figure.target
            );
        }
        for (section, error) in &self.failures {
            println!("{section:<9} FAILED: {error}");
        }
        let missed = self.figures.iter().filter(|f| f.pass == Some(false)).count();
        let passed = self.figures.iter().filter(|f| f.pass == Some(true)).count();
        println!("{passed} passed, {missed} missed, {} section(s) failed", self.failures.len());
    }
}

/// A number as a person reads it: thousands separated, at most 3 significant decimals.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value.abs() >= 1000.0 {
        let rounded = value.round() as i64;
        let digits = rounded.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        return if rounded < 0 { format!("-{grouped}") } else { grouped };
    }
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Median and maximum of some samples (0 for none).
pub fn median_max(samples: &[f64]) -> (f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0);
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    let median = if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    };
    (median, sorted[sorted.len() - 1])
}

/// `time` on local `date`, in UTC.
pub fn local_at(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    TIMEZONE
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map_or_else(|| date.and_time(time).and_utc(), |at| at.with_timezone(&Utc))
}

pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&TIMEZONE).date_naive()
}

/// An integer from the environment, or `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

/// The `target/` folder this bench runs from (`target/release/deps/throughput-…`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map(Path::to_path_buf)
        .or_else(|| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The department codes of a bench config: `so-01` … `so-NN`, escalated to `vp-ubnd`.
pub fn department_codes(count: usize) -> Vec<String> {
    (1..=count).map(|i| format!("so-{i:02}")).collect()
}

/// When reminders go out in a bench config.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// The shipped defaults: 08:00, a 07:30–17:00 window, working days only.
    Office,
    /// Whole-day window every day, sent at midnight: a reminder due today goes out at once.
    AllDay,
}

/// The parts of a bench config that sections vary.
pub struct ConfigSpec {
    pub store_url: String,
    pub schedule: Schedule,
    pub poll_interval: &'static str,
    pub batch_size: u32,
    pub concurrency: u32,
    pub smtp_port: u16,
    pub pool_size: u32,
    pub webhook_url: String,
    /// The channel names every department uses.
    pub channels: &'static [&'static str],
    pub departments: usize,
}

impl ConfigSpec {
    pub fn new(store_url: String) -> Self {
        Self {
            store_url,
            schedule: Schedule::Office,
            poll_interval: "30s",
            batch_size: 256,
            concurrency: 32,
            smtp_port: 9,
            pool_size: 8,
            webhook_url: "http://127.0.0.1:9/hook".into(),
            channels: &["email"],
            departments: 20,
        }
    }

    pub fn text(&self) -> String {
        let schedule = match self.schedule {
            Schedule::Office => {
                "send_at = \"08:00\"\nsend_window = [\"07:30\", \"17:00\"]\nworking_days_only = true"
            }
            Schedule::AllDay => {
                "send_at = \"00:00\"\nsend_window = [\"00:00\", \"23:59\"]\nworking_days_only = false"
            }
        };
        let channels = self.channels.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let mut departments = String::new();
        for (i, code) in department_codes(self.departments).iter().enumerate() {
            departments.push_str(&format!(
                "[[departments]]\ncode = \"{code}\"\nname = \"Sở số {n:02}\"\n\
                 emails = [\"vanthu@{code}.namdinh.example\"]\nchannels = [{channels}]\n\
                 escalate_to = \"vp-ubnd\"\n\n",
                n = i + 1
            ));
        }
        format!(
            r#"timezone = "Asia/Ho_Chi_Minh"

[store]
url = "{store}"

[schedule]
{schedule}
before = ["14d", "7d", "3d", "1d"]
on_due_date = true
overdue_every = "3d"
escalate_after = "7d"
poll_interval = "{poll}"

[delivery]
max_attempts = 8
retry_initial = "1m"
retry_max = "6h"
batch_size = {batch}
concurrency = {concurrency}
shutdown_grace = "10s"
lease = "5m"

[channels.email]
kind = "smtp"
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
from = "Nhắc việc <nhacviec@namdinh.example>"
pool_size = {pool}
timeout = "30s"

[channels.chat]
kind = "webhook"
url = "{webhook}"
timeout = "30s"

{departments}[[departments]]
code = "vp-ubnd"
name = "Văn phòng UBND tỉnh"
emails = ["vanthu@vpubnd.namdinh.example"]
channels = [{channels}]
"#,
            store = self.store_url,
            poll = self.poll_interval,
            batch = self.batch_size,
            concurrency = self.concurrency,
            smtp_port = self.smtp_port,
            pool = self.pool_size,
            webhook = self.webhook_url,
        )
    }

    pub fn settings(&self) -> anyhow::Result<nhacviec::config::Settings> {
        nhacviec::config::Settings::from_toml(&self.text(), "bench", &[])
            .map_err(|e| anyhow::anyhow!("the bench config is invalid: {e}"))
    }
}

/// The SQLite URL of a file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}
