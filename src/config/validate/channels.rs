//! The `[channels.NAME]` tables: SMTP, the generic webhook and the chat presets.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use secrecy::SecretString;

use super::super::raw::RawChannel;
use super::super::{ChannelSettings, Preset, SmtpSettings, TlsMode, WebhookSettings};
use super::{Problems, parse_duration, parse_time};

/// The channels, and their quiet hours and rate limits, by name.
pub(super) struct ChannelTables {
    pub channels: BTreeMap<String, ChannelSettings>,
    pub quiet_hours: BTreeMap<String, (NaiveTime, NaiveTime)>,
    pub rate_limits: BTreeMap<String, super::super::RateLimit>,
}

pub(super) fn channels(raw: BTreeMap<String, RawChannel>, problems: &mut Problems) -> ChannelTables {
    let mut channels = BTreeMap::new();
    let mut quiet_hours = BTreeMap::new();
    let mut rate_limits = BTreeMap::new();
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
        if let Some(rate) = &raw.rate_limit
            && let Some(rate) =
                problems.check(&format!("{path}.rate_limit"), super::super::RateLimit::parse(rate))
        {
            rate_limits.insert(name.clone(), rate);
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
    ChannelTables { channels, quiet_hours, rate_limits }
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

/// A secret file's path with `${CREDENTIALS_DIRECTORY}` (systemd's `LoadCredential=`)
/// replaced by its value.
fn credential_path(file: &str) -> String {
    match std::env::var("CREDENTIALS_DIRECTORY") {
        Ok(dir) => file.replace("${CREDENTIALS_DIRECTORY}", &dir),
        Err(_) => file.to_owned(),
    }
}

/// A secret given inline or in a file (trailing newline dropped), not both.
pub(super) fn secret(
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
        (None, Some(file)) => match std::fs::read_to_string(credential_path(&file)) {
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
