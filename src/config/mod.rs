//! Settings: one tree, read from a TOML file (the embedded `config/default.toml` unless
//! another is named) and `NHACVIEC__SECTION__KEY` environment variables, then validated
//! into typed values.
//!
//! Owns the whole shape of the config and every check on it; `nhacviec check` prints what
//! `load` finds. It must not open the store or the network: reachability is the caller's.

mod departments;
mod raw;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveTime;
use chrono_tz::Tz;
use secrecy::SecretString;

pub use departments::{Department, Departments, Group};

use crate::domain::Offset;

/// The config `run` uses when no file is named.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/default.toml");
/// Environment variables with this prefix and `__` between keys override single keys.
pub const ENV_PREFIX: &str = "NHACVIEC";

#[derive(Debug, Clone)]
pub struct Settings {
    pub timezone: Tz,
    pub store: StoreSettings,
    pub schedule: Schedule,
    pub delivery: Delivery,
    pub calendar: CalendarSettings,
    pub http: HttpSettings,
    pub pages: PagesSettings,
    /// A folder of templates that replace or add to the built-in ones (`templates.dir`).
    pub templates_dir: Option<PathBuf>,
    pub channels: BTreeMap<String, ChannelSettings>,
    /// Per channel: local hours `(start, end)` in which nothing is sent on it.
    pub quiet_hours: BTreeMap<String, (NaiveTime, NaiveTime)>,
    /// Per channel: at most this many messages per this period (`rate_limit = "20/s"`).
    pub rate_limits: BTreeMap<String, RateLimit>,
    pub departments: Departments,
    /// The places directives arrive (`[[sources]]`), polled by the daemon.
    pub sources: Vec<SourceSettings>,
    /// Where the settings came from, for messages.
    pub source: String,
}

/// One place directives arrive (`[[sources]]`).
#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// Unique; what the store keeps its cursor and items under, and the history names.
    pub name: String,
    pub poll: Poll,
    pub mode: SourceMode,
    /// In `auto` mode, a task found with less confidence than this waits as a draft.
    pub min_confidence: f64,
    pub kind: SourceKind,
}

/// When a source is polled.
#[derive(Debug, Clone)]
pub enum Poll {
    /// `poll_every = "1m"`: this long after the previous poll began.
    Every(Duration),
    /// `poll_cron`: at each instant of a cron expression, seconds first, local time.
    Cron(Box<croner::Cron>),
}

/// What becomes of what a source finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMode {
    /// Everything waits as a draft until a person accepts it.
    Review,
    /// Findings at or above `min_confidence` are applied; the rest wait as drafts.
    Auto,
}

impl SourceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceMode::Review => "review",
            SourceMode::Auto => "auto",
        }
    }
}

#[derive(Debug, Clone)]
pub enum SourceKind {
    /// A directory of documents (`.pdf`, `.docx`, `.txt`, `.toml`, `.json`).
    Folder(FolderSettings),
    /// A JSON feed of directives' tasks (an e-office export), paged.
    Http(Box<FeedSettings>),
    /// A read-only query on an e-office database (PostgreSQL, MySQL or MariaDB).
    Sql(Box<SqlSettings>),
}

/// A database (`kind = "sql"`).
#[derive(Debug, Clone)]
pub struct SqlSettings {
    pub engine: SqlEngine,
    /// `postgres://…` or `mysql://…` (`mariadb://…`), with its password: a secret.
    pub url: SecretString,
    /// One SELECT; `{cursor}` in it is the cursor kept from the last poll (NULL at the first).
    pub query: String,
    /// The column whose latest value is the cursor; without it every poll reads all rows.
    pub cursor: Option<String>,
    pub timeout: Duration,
    /// Column names, in the map's fields.
    pub map: ItemMap,
    pub wins: Wins,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlEngine {
    Postgres,
    MySql,
}

impl SourceKind {
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Folder(_) => "folder",
            SourceKind::Http(_) => "http",
            SourceKind::Sql(_) => "sql",
        }
    }
}

/// A JSON feed (`kind = "http"`).
#[derive(Debug, Clone)]
pub struct FeedSettings {
    /// The first page; `{cursor}` in it is replaced by the cursor kept from the last poll
    /// (empty at the first), URL-encoded.
    pub url: reqwest::Url,
    pub auth: Option<FeedAuth>,
    pub timeout: Duration,
    pub map: ItemMap,
    /// Which side a conflict goes to.
    pub wins: Wins,
}

#[derive(Debug, Clone)]
pub enum FeedAuth {
    Bearer(SecretString),
    Basic { username: String, password: SecretString },
}

/// When the source and nhacviec both changed the same field of a task since the last
/// poll: which value stays. Either way the conflict is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wins {
    Source,
    Nhacviec,
}

impl Wins {
    pub fn as_str(self) -> &'static str {
        match self {
            Wins::Source => "source",
            Wins::Nhacviec => "nhacviec",
        }
    }
}

impl ItemMap {
    /// Each field given, with its name.
    pub fn pointers(&self) -> Vec<(&'static str, &str)> {
        let optional = [
            ("next", &self.next),
            ("directive_id", &self.directive_id),
            ("directive_number", &self.directive_number),
            ("directive_title", &self.directive_title),
            ("directive_issuer", &self.directive_issuer),
            ("directive_date", &self.directive_date),
            ("details", &self.details),
            ("coordinating", &self.coordinating),
            ("deadline", &self.deadline),
            ("deadline_phrase", &self.deadline_phrase),
            ("done", &self.done),
            ("removed", &self.removed),
            ("updated_at", &self.updated_at),
        ];
        let mut all = vec![
            ("items", self.items.as_str()),
            ("id", &self.id),
            ("summary", &self.summary),
            ("lead", &self.lead),
        ];
        all.extend(optional.into_iter().filter_map(|(name, value)| value.as_deref().map(|v| (name, v))));
        all
    }
}

/// Where each field of a task item is (`[sources.map]`): JSON pointers into a feed's item
/// (`/van_ban/so_hieu`), or a database row's column names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemMap {
    /// The items of a page (a JSON pointer into the page; "" when the page is the list).
    pub items: String,
    /// The next page's URL, when there is one.
    pub next: Option<String>,
    pub id: String,
    pub directive_id: Option<String>,
    pub directive_number: Option<String>,
    pub directive_title: Option<String>,
    pub directive_issuer: Option<String>,
    pub directive_date: Option<String>,
    pub summary: String,
    pub details: Option<String>,
    pub lead: String,
    pub coordinating: Option<String>,
    pub deadline: Option<String>,
    pub deadline_phrase: Option<String>,
    /// Whether the task is done: true, or a value of `done_values`.
    pub done: Option<String>,
    /// Whether the item was removed at the source.
    pub removed: Option<String>,
    /// The item's last change, kept as the cursor for the next poll.
    pub updated_at: Option<String>,
    /// Values of `done` that mean done (besides `true`), compared without case.
    pub done_values: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FolderSettings {
    pub path: PathBuf,
    /// A file is read once its size and modification time have not changed for this long.
    pub settle: Duration,
}

/// The HTTP server (`[http]`): health, metrics, the API, acknowledge links, calendar feeds.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Where it listens; no server when unset.
    pub listen: Option<std::net::SocketAddr>,
    /// The address department heads reach it at, for the links put in messages; no links
    /// when unset.
    pub public_url: Option<reqwest::Url>,
    /// The largest request body the API accepts, in bytes.
    pub body_limit: usize,
    /// Signs acknowledge links and calendar-feed tokens; links and feeds are off without it.
    pub link_key: Option<SecretString>,
    /// How long an acknowledge link works after its message is sent.
    pub link_valid_for: Duration,
    /// The API's bearer tokens, stored as SHA-256 digests.
    pub tokens: Vec<ApiToken>,
}

impl HttpSettings {
    /// Whether messages carry acknowledge links.
    pub fn links_on(&self) -> bool {
        self.public_url.is_some() && self.link_key.is_some()
    }
}

/// The web pages (`[pages]`): sign-in and sessions, and who sees every department.
#[derive(Debug, Clone)]
pub struct PagesSettings {
    /// How long an emailed sign-in link works.
    pub sign_in_valid_for: Duration,
    /// How long a session lasts once signed in.
    pub session_for: Duration,
    /// The smtp channel that sends sign-in links: `sign_in_channel`, or the first smtp one.
    pub sign_in_channel: Option<String>,
    /// The supervising office's staff and the admins (`[[pages.people]]`).
    pub people: Vec<Person>,
}

/// Someone of the supervising office or an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Lower case.
    pub email: String,
    pub name: String,
    pub role: PersonRole,
    /// Their own department.
    pub department: crate::domain::DepartmentCode,
}

/// What someone signed in may see and do, from the least to the most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonRole {
    /// A department's people: its own tasks, as lead or coordinating.
    Department,
    /// The supervising office: every department's tasks, the follow-up board, extension
    /// requests, import review.
    Office,
    /// Everything the office does.
    Admin,
}

impl PersonRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonRole::Department => "department",
            PersonRole::Office => "office",
            PersonRole::Admin => "admin",
        }
    }
}

impl Settings {
    /// Who an address belongs to: one of `[[pages.people]]`, or else someone of the first
    /// department that lists it among its `emails`. Compared without regard to case.
    pub fn person(&self, email: &str) -> Option<Person> {
        let email = email.trim().to_lowercase();
        if let Some(person) = self.pages.people.iter().find(|p| p.email == email) {
            return Some(person.clone());
        }
        let department =
            self.departments.iter().find(|d| d.emails.iter().any(|e| e.to_lowercase() == email))?;
        Some(Person {
            email,
            name: department.name.clone(),
            role: PersonRole::Department,
            department: department.code.clone(),
        })
    }
}

/// One API client (`[[http.tokens]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub name: String,
    pub sha256: [u8; 32],
    pub scope: Scope,
}

/// What a token may do: read only, or read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub url: String,
    /// The largest the database may grow (`max_size`, e.g. "2GB"); none by default.
    pub max_size: Option<u64>,
    /// Connections each daemon keeps to a database server (`pool_size`).
    pub pool_size: u32,
    /// Whether daemons on a database server wake each other when something changes
    /// (`notify`); off, each finds changes at its next poll.
    pub notify: bool,
    /// How long finished reminders and their delivery attempts are kept (`keep_sent`);
    /// `None` keeps them for ever.
    pub keep_sent: Option<Duration>,
}

/// When reminders go out: the policy the plan applies to every open task.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub send_at: NaiveTime,
    pub send_window: (NaiveTime, NaiveTime),
    pub working_days_only: bool,
    /// Sorted from the farthest to the nearest offset.
    pub before: Vec<Offset>,
    pub on_due_date: bool,
    /// `None` when overdue tasks are reminded only once, on the first day overdue.
    pub overdue_every: Option<Offset>,
    /// `None` when overdue tasks are never escalated.
    pub escalate_after: Option<Offset>,
    pub poll_interval: Duration,
    /// When every open task is planned again (after the calendar turns a day, or the
    /// schedule changed): a cron expression in local time, seconds first.
    pub replan: croner::Cron,
    /// Whether departments get one digest a day rather than one message per reminder
    /// (a department's own `digest` wins).
    pub digest: bool,
    /// When digests go out: a cron expression in local time, seconds first; a time that
    /// falls on a day off moves to the next working day.
    pub digest_at: croner::Cron,
    /// When the weekly summary goes to departments with `summary = true`: a cron
    /// expression in local time, seconds first.
    pub summary_at: croner::Cron,
}

/// The working-day calendar and how deadlines meet it.
#[derive(Debug, Clone)]
pub struct CalendarSettings {
    /// The province's calendar: statutory holidays and `[[calendar.days]]`.
    pub calendar: crate::calendar::Calendar,
    /// `deadline_on_day_off = "next_working_day"` (the default) or `"keep"`.
    pub move_deadline_off_days_off: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Whether this daemon sends (`enabled`). One that does not still plans, runs the
    /// jobs and serves its HTTP face: a front daemon beside the senders on one database.
    pub enabled: bool,
    pub max_attempts: u32,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    pub batch_size: u32,
    pub concurrency: u32,
    pub shutdown_grace: Duration,
    /// How long a claimed item stays reserved before another claim may take it again.
    pub lease: Duration,
}

#[derive(Debug, Clone)]
pub enum ChannelSettings {
    Smtp(SmtpSettings),
    Webhook(WebhookSettings),
}

impl ChannelSettings {
    pub fn kind(&self) -> &'static str {
        match self {
            ChannelSettings::Smtp(_) => "smtp",
            ChannelSettings::Webhook(webhook) => webhook.preset.name(),
        }
    }
}

/// The HTTP services a channel can post to, each with the payload it documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// A JSON body from a template, signed with HMAC-SHA256 when a secret is set.
    Webhook,
    Slack,
    /// Microsoft Teams Workflows (incoming webhook) with an Adaptive Card.
    Teams,
    GoogleChat,
    Discord,
    Mattermost,
    /// The Telegram Bot API's `sendMessage`.
    Telegram,
}

impl Preset {
    pub const ALL: [Preset; 7] = [
        Preset::Webhook,
        Preset::Slack,
        Preset::Teams,
        Preset::GoogleChat,
        Preset::Discord,
        Preset::Mattermost,
        Preset::Telegram,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Webhook => "webhook",
            Preset::Slack => "slack",
            Preset::Teams => "teams",
            Preset::GoogleChat => "google_chat",
            Preset::Discord => "discord",
            Preset::Mattermost => "mattermost",
            Preset::Telegram => "telegram",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    None,
    StartTls,
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<(String, SecretString)>,
    pub from: lettre::message::Mailbox,
    pub pool_size: u32,
    pub timeout: Duration,
}

/// A channel that POSTs to an HTTP service.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub preset: Preset,
    /// The webhook URL; for Telegram, the Bot API's base URL.
    pub url: reqwest::Url,
    pub headers: BTreeMap<String, String>,
    pub timeout: Duration,
    /// Generic webhook: the HMAC-SHA256 key that signs each body.
    pub secret: Option<SecretString>,
    /// Generic webhook: the header carrying `sha256=<hex>`.
    pub signature_header: String,
    /// Generic webhook: the template of the body, by name (built in, or in `templates.dir`).
    pub template: String,
    /// Telegram: the bot's token.
    pub bot_token: Option<SecretString>,
    /// Telegram: the chat a department without its own `chat_ids` entry is sent to.
    pub chat_id: Option<String>,
}

/// Parses a cron expression of six fields, seconds first: `"0 5 0 * * *"`.
pub fn parse_cron(text: &str) -> Result<croner::Cron, String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .build()
        .parse(text)
        .map_err(|e| {
            format!(
                "'{text}' is not a cron expression of six fields, seconds first ({e}), e.g. '0 5 0 * * *'"
            )
        })
}

/// At most `count` messages per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub count: std::num::NonZeroU32,
    pub per: Duration,
}

impl RateLimit {
    /// `"20/s"`, `"600/m"`, `"1000/h"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let error =
            || format!("'{text}' is not a rate: write messages per second, minute or hour, e.g. '20/s'");
        let (count, unit) = text.trim().split_once('/').ok_or_else(error)?;
        let count = count.trim().parse::<u32>().ok().and_then(std::num::NonZeroU32::new).ok_or_else(error)?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(error()),
        };
        Ok(Self { count, per })
    }
}

/// One thing wrong with the config, at its key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config {source_name} is not valid TOML: {message}")]
    Syntax { source_name: String, message: String },
    #[error("config {source_name} has {} problem(s):\n{}", problems.len(), list(problems))]
    Invalid { source_name: String, problems: Vec<Problem> },
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
}

/// Where to read settings from.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    Embedded,
    File(PathBuf),
}

impl ConfigSource {
    pub fn name(&self) -> String {
        match self {
            ConfigSource::Embedded => "(embedded default.toml)".to_owned(),
            ConfigSource::File(path) => path.display().to_string(),
        }
    }
}

impl Settings {
    /// Reads, merges with the environment, and validates. All problems come back at once.
    pub fn load(source: &ConfigSource) -> Result<Self, ConfigError> {
        let text = match source {
            ConfigSource::Embedded => DEFAULT_CONFIG.to_owned(),
            ConfigSource::File(path) => std::fs::read_to_string(path)
                .map_err(|source| ConfigError::Read { path: path.clone(), source })?,
        };
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_toml(&text, &source.name(), &env)
    }

    /// The pure part of `load`: `env` stands for the process environment.
    pub fn from_toml(text: &str, source_name: &str, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let syntax = |message: String| ConfigError::Syntax { source_name: source_name.to_owned(), message };
        // Parse once with `toml` alone: its errors name the line and column.
        toml::from_str::<toml::Table>(text).map_err(|e| syntax(e.to_string()))?;
        let env_map: config::Map<String, String> =
            env.iter().filter(|(key, _)| key.starts_with(&format!("{ENV_PREFIX}__"))).cloned().collect();
        let merged = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix(ENV_PREFIX)
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("schedule.before")
                    .with_list_parse_key("schedule.send_window")
                    .source(Some(env_map)),
            )
            .build()
            .map_err(|e| syntax(e.to_string()))?;
        let value: serde_json::Value = merged.try_deserialize().map_err(|e| syntax(e.to_string()))?;
        validate::validate(value, source_name)
            .map_err(|problems| ConfigError::Invalid { source_name: source_name.to_owned(), problems })
    }
}

#[cfg(test)]
mod tests;
