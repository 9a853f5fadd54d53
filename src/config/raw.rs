//! The config file as written: loose types, so that every problem can be found and reported
//! with its key path in one pass by `validate`, rather than serde stopping at the first.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
pub struct RawSettings {
    pub timezone: Option<String>,
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub schedule: RawSchedule,
    #[serde(default)]
    pub delivery: RawDelivery,
    #[serde(default)]
    pub calendar: RawCalendar,
    #[serde(default)]
    pub templates: RawTemplates,
    #[serde(default)]
    pub http: RawHttp,
    #[serde(default)]
    pub pages: RawPages,
    #[serde(default)]
    pub channels: BTreeMap<String, RawChannel>,
    #[serde(default)]
    pub departments: Vec<RawDepartment>,
    #[serde(default)]
    pub groups: Vec<RawGroup>,
    #[serde(default)]
    pub sources: Vec<RawSource>,
}

/// `[[sources]]`: a place directives arrive, polled. Every key any kind accepts; `validate`
/// checks which apply to the given kind.
#[derive(Debug, Deserialize, Default)]
pub struct RawSource {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub poll_every: Option<String>,
    pub poll_cron: Option<String>,
    pub mode: Option<String>,
    pub min_confidence: Option<f64>,
    // folder
    pub path: Option<String>,
    pub settle: Option<String>,
    // http
    pub url: Option<String>,
    pub token: Option<SecretString>,
    pub token_file: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub password_file: Option<String>,
    pub timeout: Option<String>,
    // sql
    pub url_file: Option<String>,
    pub query: Option<String>,
    pub cursor: Option<String>,
    // feeds and databases
    pub wins: Option<String>,
    pub map: Option<BTreeMap<String, String>>,
    pub done_values: Option<Vec<String>>,
}

/// `[[groups]]`: a group addressee of directives ("các Sở, ngành") and its members.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawStore {
    pub url: Option<String>,
    pub max_size: Option<String>,
    pub pool_size: Option<u32>,
    pub notify: Option<bool>,
    pub keep_sent: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawSchedule {
    pub send_at: Option<String>,
    pub send_window: Option<Vec<String>>,
    pub working_days_only: Option<bool>,
    pub before: Option<Vec<String>>,
    pub on_due_date: Option<bool>,
    pub overdue_every: Option<String>,
    pub escalate_after: Option<String>,
    pub poll_interval: Option<String>,
    pub replan: Option<String>,
    pub digest: Option<bool>,
    pub digest_at: Option<String>,
    pub summary_at: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawDelivery {
    pub max_attempts: Option<u32>,
    pub retry_initial: Option<String>,
    pub retry_max: Option<String>,
    pub batch_size: Option<u32>,
    pub concurrency: Option<u32>,
    pub shutdown_grace: Option<String>,
    pub lease: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawHttp {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub body_limit: Option<String>,
    pub link_key: Option<SecretString>,
    pub link_key_file: Option<String>,
    pub link_valid_for: Option<String>,
    #[serde(default)]
    pub tokens: Vec<RawToken>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawPages {
    pub sign_in_valid_for: Option<String>,
    pub session_for: Option<String>,
    pub sign_in_channel: Option<String>,
    #[serde(default)]
    pub people: Vec<RawPerson>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawPerson {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub department: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawToken {
    pub name: Option<String>,
    pub sha256: Option<String>,
    pub scope: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawTemplates {
    pub dir: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct RawCalendar {
    pub deadline_on_day_off: Option<String>,
    pub tet_first_day: Option<i8>,
    pub tet_days: Option<u8>,
    pub national_day_extra: Option<String>,
    #[serde(default)]
    pub days: Vec<RawDay>,
}

#[derive(Debug, Deserialize)]
pub struct RawDay {
    pub date: Option<String>,
    pub off: Option<bool>,
    pub reason: Option<String>,
}

/// Every key any channel kind accepts; `validate` checks which apply to the given kind.
#[derive(Debug, Deserialize)]
pub struct RawChannel {
    pub kind: Option<String>,
    // smtp
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub password_file: Option<String>,
    pub from: Option<String>,
    pub pool_size: Option<u32>,
    // webhook and chat presets
    pub url: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub secret: Option<SecretString>,
    pub secret_file: Option<String>,
    pub signature_header: Option<String>,
    pub template: Option<String>,
    // telegram
    pub bot_token: Option<SecretString>,
    pub bot_token_file: Option<String>,
    pub chat_id: Option<String>,
    pub api_url: Option<String>,
    // every kind
    pub timeout: Option<String>,
    pub quiet_hours: Option<Vec<String>>,
    pub rate_limit: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RawDepartment {
    pub code: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub webhooks: BTreeMap<String, String>,
    #[serde(default)]
    pub chat_ids: BTreeMap<String, String>,
    pub escalate_to: Option<String>,
    pub digest: Option<bool>,
    pub summary: Option<bool>,
    #[serde(default)]
    pub channel_rules: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub calendar_days: Vec<RawDay>,
}
