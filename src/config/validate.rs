//! Turns the raw config into `Settings`, collecting every problem with its key path.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::NaiveTime;
use chrono_tz::Tz;
use secrecy::SecretString;

use super::raw::{RawCalendar, RawChannel, RawDay, RawDelivery, RawDepartment, RawSchedule, RawSettings};
use super::{
    CalendarSettings, ChannelSettings, Delivery, Department, Departments, Preset, Problem, Schedule,
    Settings, SmtpSettings, StoreSettings, TlsMode, WebhookSettings,
};
use crate::calendar::{AdjacentDay, Calendar, DayOverride, HolidayRules};
use crate::domain::{DepartmentCode, Offset};

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
    let store =
        StoreSettings { url: raw.store.url.unwrap_or_else(|| "sqlite://data/nhacviec.db".to_owned()) };
    if !store.url.starts_with("sqlite://") || store.url.len() <= "sqlite://".len() {
        problems.add("store.url", format!("'{}' is not a store URL: write sqlite://PATH", store.url));
    }
    let schedule = schedule(raw.schedule, &mut problems);
    let delivery = delivery(raw.delivery, &mut problems);
    let calendar = calendar(raw.calendar, &mut problems);
    let templates_dir = raw.templates.dir.map(std::path::PathBuf::from);
    if let Some(dir) = &templates_dir
        && !dir.is_dir()
    {
        problems.add("templates.dir", format!("'{}' is not a folder", dir.display()));
    }
    let (channels, quiet_hours) = channels(raw.channels, &mut problems);
    let departments = departments(raw.departments, &channels, &mut problems);

    match (timezone, schedule, delivery, calendar, departments) {
        (Some(timezone), Some(schedule), Some(delivery), Some(calendar), Some(departments))
            if problems.0.is_empty() =>
        {
            Ok(Settings {
                timezone,
                store,
                schedule,
                delivery,
                calendar,
                templates_dir,
                channels,
                quiet_hours,
                departments,
                source: source_name.to_owned(),
            })
        }
        _ => Err(problems.0),
    }
}

fn parse_time(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| format!("'{text}' is not a time of day: write HH:MM, e.g. '08:00'"))
}

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

fn channels(
    raw: BTreeMap<String, RawChannel>,
    problems: &mut Problems,
) -> (BTreeMap<String, ChannelSettings>, BTreeMap<String, (NaiveTime, NaiveTime)>) {
    let mut channels = BTreeMap::new();
    let mut quiet_hours = BTreeMap::new();
    for (name, raw) in raw {
        let path = format!("channels.{name}");
        // The name is part of every outbox key, Message-ID and Idempotency-Key.
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            problems.add(&path, "a channel name uses lowercase ASCII letters, digits, '-' and '_' only");
            continue;
        }
        if let Some(hours) = &raw.quiet_hours {
            let key = format!("{path}.quiet_hours");
            match hours.as_slice() {
                [start, end] => {
                    let start = problems.check(&format!("{key}[0]"), parse_time(start));
                    let end = problems.check(&format!("{key}[1]"), parse_time(end));
                    match (start, end) {
                        (Some(start), Some(end)) if start != end => {
                            quiet_hours.insert(name.clone(), (start, end));
                        }
                        (Some(_), Some(_)) => {
                            problems.add(key, "the quiet hours must not start and end at once")
                        }
                        _ => {}
                    }
                }
                _ => problems.add(key, "write two times of day: [\"21:00\", \"07:00\"]"),
            }
        }
        let channel = match raw.kind.as_deref() {
            Some("smtp") => smtp(&path, raw, problems).map(ChannelSettings::Smtp),
            Some(other) => match Preset::parse(other) {
                Some(preset) => http_channel(&path, preset, raw, problems).map(ChannelSettings::Webhook),
                None => {
                    let kinds: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
                    problems.add(
                        format!("{path}.kind"),
                        format!("unknown channel kind '{other}': use smtp, {}", kinds.join(", ")),
                    );
                    None
                }
            },
            None => {
                problems.add(format!("{path}.kind"), "missing: use smtp, webhook or a chat preset");
                None
            }
        };
        if let Some(channel) = channel {
            channels.insert(name, channel);
        }
    }
    (channels, quiet_hours)
}

fn reject_keys(path: &str, kind: &str, keys: &[(&str, bool)], problems: &mut Problems) {
    for (key, present) in keys {
        if *present {
            problems.add(format!("{path}.{key}"), format!("does not apply to a channel of kind '{kind}'"));
        }
    }
}

fn smtp(path: &str, raw: RawChannel, problems: &mut Problems) -> Option<SmtpSettings> {
    reject_keys(
        path,
        "smtp",
        &[
            ("url", raw.url.is_some()),
            ("headers", raw.headers.is_some()),
            ("secret", raw.secret.is_some()),
            ("secret_file", raw.secret_file.is_some()),
            ("signature_header", raw.signature_header.is_some()),
            ("template", raw.template.is_some()),
            ("bot_token", raw.bot_token.is_some()),
            ("bot_token_file", raw.bot_token_file.is_some()),
            ("chat_id", raw.chat_id.is_some()),
            ("api_url", raw.api_url.is_some()),
        ],
        problems,
    );
    let host = raw.host.unwrap_or_else(|| "127.0.0.1".to_owned());
    if host.trim().is_empty() {
        problems.add(format!("{path}.host"), "must not be empty");
    }
    let tls = match raw.tls.as_deref().unwrap_or("none") {
        "none" => Some(TlsMode::None),
        "starttls" => Some(TlsMode::StartTls),
        "tls" => Some(TlsMode::Tls),
        other => {
            problems.add(
                format!("{path}.tls"),
                format!("'{other}' is not a TLS mode: use none, starttls or tls"),
            );
            None
        }
    };
    let port = raw.port.unwrap_or(match tls {
        Some(TlsMode::Tls) => 465,
        Some(TlsMode::StartTls) => 587,
        _ => 25,
    });
    let from = raw.from.unwrap_or_else(|| "Nhắc việc <nhacviec@localhost>".to_owned());
    let from = problems.check(
        &format!("{path}.from"),
        from.parse::<lettre::message::Mailbox>().map_err(|e| format!("'{from}' is not a mailbox ({e})")),
    );
    let username = raw.username.filter(|u| !u.is_empty());
    let password = secret(path, "password", raw.password, raw.password_file, problems);
    let credentials = match (username, password) {
        (Some(user), Some(password)) => Some((user, password)),
        (Some(_), None) => {
            problems.add(format!("{path}.password"), "a username needs password or password_file");
            None
        }
        (None, Some(_)) => {
            problems.add(format!("{path}.username"), "a password needs a username");
            None
        }
        (None, None) => None,
    };
    let timeout =
        problems.check(&format!("{path}.timeout"), parse_duration(raw.timeout.as_deref().unwrap_or("30s")));
    let pool_size = raw.pool_size.unwrap_or(8);
    if pool_size == 0 {
        problems.add(format!("{path}.pool_size"), "must be at least 1");
    }
    Some(SmtpSettings { host, port, tls: tls?, credentials, from: from?, pool_size, timeout: timeout? })
}

/// A secret given inline or in a file (trailing newline dropped), not both.
fn secret(
    path: &str,
    key: &str,
    inline: Option<SecretString>,
    file: Option<String>,
    problems: &mut Problems,
) -> Option<SecretString> {
    match (inline, file) {
        (Some(_), Some(_)) => {
            problems.add(format!("{path}.{key}_file"), format!("set {key} or {key}_file, not both"));
            None
        }
        (Some(inline), None) => Some(inline),
        (None, Some(file)) => match std::fs::read_to_string(&file) {
            Ok(text) => Some(SecretString::from(text.trim_end_matches(['\n', '\r']).to_owned())),
            Err(e) => {
                problems.add(format!("{path}.{key}_file"), format!("cannot read '{file}': {e}"));
                None
            }
        },
        (None, None) => None,
    }
}

fn http_channel(
    path: &str,
    preset: Preset,
    raw: RawChannel,
    problems: &mut Problems,
) -> Option<WebhookSettings> {
    let kind = preset.name();
    let generic = preset == Preset::Webhook;
    let telegram = preset == Preset::Telegram;
    reject_keys(
        path,
        kind,
        &[
            ("host", raw.host.is_some()),
            ("port", raw.port.is_some()),
            ("tls", raw.tls.is_some()),
            ("username", raw.username.is_some()),
            ("password", raw.password.is_some()),
            ("password_file", raw.password_file.is_some()),
            ("from", raw.from.is_some()),
            ("pool_size", raw.pool_size.is_some()),
            ("secret", !generic && raw.secret.is_some()),
            ("secret_file", !generic && raw.secret_file.is_some()),
            ("signature_header", !generic && raw.signature_header.is_some()),
            ("template", !generic && raw.template.is_some()),
            ("url", telegram && raw.url.is_some()),
            ("bot_token", !telegram && raw.bot_token.is_some()),
            ("bot_token_file", !telegram && raw.bot_token_file.is_some()),
            ("chat_id", !telegram && raw.chat_id.is_some()),
            ("api_url", !telegram && raw.api_url.is_some()),
        ],
        problems,
    );
    let url = if telegram {
        let api_url = raw.api_url.as_deref().unwrap_or("https://api.telegram.org");
        problems.check(&format!("{path}.api_url"), parse_http_url(api_url))
    } else {
        match raw.url.as_deref() {
            Some(url) => problems.check(&format!("{path}.url"), parse_http_url(url)),
            None => {
                problems.add(format!("{path}.url"), format!("missing: the {kind} webhook URL to POST to"));
                None
            }
        }
    };
    let headers = raw.headers.unwrap_or_default();
    for (name, value) in &headers {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(value).is_err()
        {
            problems.add(format!("{path}.headers.{name}"), "not a valid HTTP header");
        }
    }
    let signature_header = raw.signature_header.unwrap_or_else(|| "X-Nhacviec-Signature".to_owned());
    if reqwest::header::HeaderName::from_bytes(signature_header.as_bytes()).is_err() {
        problems.add(
            format!("{path}.signature_header"),
            format!("'{signature_header}' is not an HTTP header name"),
        );
    }
    let signing_key = secret(path, "secret", raw.secret, raw.secret_file, problems);
    let bot_token = secret(path, "bot_token", raw.bot_token, raw.bot_token_file, problems);
    if telegram && bot_token.is_none() {
        problems.add(format!("{path}.bot_token"), "missing: set bot_token or bot_token_file");
    }
    let timeout =
        problems.check(&format!("{path}.timeout"), parse_duration(raw.timeout.as_deref().unwrap_or("10s")));
    Some(WebhookSettings {
        preset,
        url: url?,
        headers,
        timeout: timeout?,
        secret: signing_key,
        signature_header,
        template: raw.template.unwrap_or_else(|| "webhook.json".to_owned()),
        bot_token,
        chat_id: raw.chat_id,
    })
}

pub(super) fn parse_http_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("'{text}' is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("'{text}' is not an http or https URL"));
    }
    Ok(url)
}

fn departments(
    raw: Vec<RawDepartment>,
    channels: &BTreeMap<String, ChannelSettings>,
    problems: &mut Problems,
) -> Option<Departments> {
    let mut list = Vec::new();
    for (i, raw) in raw.into_iter().enumerate() {
        let path = format!("departments[{i}]");
        let code = match raw.code.as_deref() {
            Some(code) => problems.check(&format!("{path}.code"), DepartmentCode::parse(code)),
            None => {
                problems.add(format!("{path}.code"), "missing");
                None
            }
        };
        let name = raw.name.filter(|n| !n.trim().is_empty());
        if name.is_none() {
            problems.add(format!("{path}.name"), "missing");
        }
        for (j, email) in raw.emails.iter().enumerate() {
            if email.parse::<lettre::Address>().is_err() {
                problems.add(format!("{path}.emails[{j}]"), format!("'{email}' is not an email address"));
            }
        }
        if raw.channels.is_empty() {
            problems.add(format!("{path}.channels"), "name at least one channel under [channels]");
        }
        for (j, channel) in raw.channels.iter().enumerate() {
            match channels.get(channel) {
                None => problems.add(format!("{path}.channels[{j}]"), format!("unknown channel '{channel}'")),
                Some(ChannelSettings::Smtp(_)) if raw.emails.is_empty() => problems.add(
                    format!("{path}.emails"),
                    format!("channel '{channel}' sends email, but the department has no address"),
                ),
                Some(_) => {}
            }
        }
        let mut webhooks = BTreeMap::new();
        for (channel, url) in &raw.webhooks {
            let key = format!("{path}.webhooks.{channel}");
            match channels.get(channel) {
                Some(ChannelSettings::Webhook(webhook)) if webhook.preset != Preset::Telegram => {
                    if let Some(url) = problems.check(&key, parse_http_url(url)) {
                        webhooks.insert(channel.clone(), url);
                    }
                }
                Some(_) => problems.add(key, format!("channel '{channel}' does not post to a webhook URL")),
                None => problems.add(key, format!("unknown channel '{channel}'")),
            }
        }
        for channel in raw.chat_ids.keys() {
            let key = format!("{path}.chat_ids.{channel}");
            match channels.get(channel) {
                Some(ChannelSettings::Webhook(webhook)) if webhook.preset == Preset::Telegram => {}
                Some(_) => problems.add(key, format!("channel '{channel}' is not a telegram channel")),
                None => problems.add(key, format!("unknown channel '{channel}'")),
            }
        }
        for channel in &raw.channels {
            if let Some(ChannelSettings::Webhook(webhook)) = channels.get(channel)
                && webhook.preset == Preset::Telegram
                && webhook.chat_id.is_none()
                && !raw.chat_ids.contains_key(channel)
            {
                problems.add(
                    format!("{path}.chat_ids.{channel}"),
                    format!("telegram channel '{channel}' has no chat_id for this department"),
                );
            }
        }
        let calendar_days = days(&format!("{path}.calendar_days"), raw.calendar_days, problems);
        let mut channel_rules = BTreeMap::new();
        for (channel, kinds) in raw.channel_rules {
            let key = format!("{path}.channel_rules.{channel}");
            if !raw.channels.contains(&channel) {
                problems.add(&key, format!("the department does not use channel '{channel}'"));
            }
            let mut parsed = Vec::new();
            for (j, kind) in kinds.iter().enumerate() {
                match crate::plan::RuleKind::parse(kind) {
                    Some(kind) => parsed.push(kind),
                    None => problems.add(
                        format!("{key}[{j}]"),
                        format!(
                            "'{kind}' is not a kind of reminder: use {}",
                            crate::plan::RuleKind::NAMES.join(", ")
                        ),
                    ),
                }
            }
            channel_rules.insert(channel, parsed);
        }
        let escalate_to = raw
            .escalate_to
            .as_deref()
            .and_then(|text| problems.check(&format!("{path}.escalate_to"), DepartmentCode::parse(text)));
        if let (Some(code), Some(name)) = (code, name) {
            list.push((
                path,
                Department {
                    code,
                    name,
                    aliases: raw.aliases,
                    emails: raw.emails,
                    channels: raw.channels,
                    webhooks,
                    chat_ids: raw.chat_ids,
                    digest: raw.digest,
                    channel_rules,
                    summary: raw.summary.unwrap_or(false),
                    escalate_to,
                    calendar_days,
                },
            ));
        }
    }
    check_references(&list, problems);
    Some(Departments::new(list.into_iter().map(|(_, d)| d).collect()))
}

/// Codes unique, names and aliases unambiguous, escalation targets known and acyclic.
fn check_references(list: &[(String, Department)], problems: &mut Problems) {
    let mut codes = BTreeSet::new();
    let mut labels: BTreeMap<String, &str> = BTreeMap::new();
    for (path, department) in list {
        if !codes.insert(department.code.as_str()) {
            problems.add(format!("{path}.code"), format!("duplicate department code '{}'", department.code));
        }
        let own_labels = std::iter::once((format!("{path}.name"), &department.name))
            .chain(department.aliases.iter().enumerate().map(|(j, a)| (format!("{path}.aliases[{j}]"), a)));
        for (key, label) in own_labels {
            let normal = super::departments::normalize(label);
            match labels.get(&normal) {
                Some(other) if *other != department.code.as_str() => {
                    problems.add(key, format!("'{label}' already names department '{other}'"))
                }
                _ => {
                    labels.insert(normal, department.code.as_str());
                }
            }
        }
    }
    for (path, department) in list {
        if let Some(target) = &department.escalate_to {
            if target == &department.code {
                problems.add(format!("{path}.escalate_to"), "a department cannot escalate to itself");
            } else if !codes.contains(target.as_str()) {
                problems.add(format!("{path}.escalate_to"), format!("unknown department '{target}'"));
            }
        }
    }
}
