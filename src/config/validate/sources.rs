//! `[[sources]]`: each source's name, kind, poll schedule and mode. Whether a folder
//! exists is not checked here: a source that is unreachable is retried by the daemon and
//! named by `nhacviec check`, which looks.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::channels::{parse_http_url, secret};
use super::{Problems, parse_duration};
use crate::config::raw::RawSource;
use crate::config::{
    FeedAuth, FeedSettings, FolderSettings, ItemMap, Poll, SourceKind, SourceMode, SourceSettings, SqlEngine,
    SqlSettings, Wins,
};

/// The confidence `auto` mode applies from, unless a source says otherwise.
const DEFAULT_MIN_CONFIDENCE: f64 = 0.8;

/// Polling more often than this only loads the places directives live.
const MIN_POLL: Duration = Duration::from_secs(1);

pub(super) fn sources(raw: Vec<RawSource>, problems: &mut Problems) -> Vec<SourceSettings> {
    let mut names = BTreeSet::new();
    let mut sources = Vec::new();
    for (i, raw) in raw.into_iter().enumerate() {
        let key = format!("sources[{i}]");
        let name = match raw.name.as_deref().map(str::trim) {
            Some(name) if is_name(name) => {
                if !names.insert(name.to_owned()) {
                    problems.add(format!("{key}.name"), format!("'{name}' names another source too"));
                }
                Some(name.to_owned())
            }
            Some(name) => {
                problems.add(
                    format!("{key}.name"),
                    format!("'{name}' is not a source name: use letters, digits, '-' and '_'"),
                );
                None
            }
            None => {
                problems.add(format!("{key}.name"), "missing");
                None
            }
        };
        if let Some(source) = source(&key, name, raw, problems) {
            sources.push(source);
        }
    }
    sources
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn source(
    key: &str,
    name: Option<String>,
    raw: RawSource,
    problems: &mut Problems,
) -> Option<SourceSettings> {
    let poll = match (raw.poll_every.as_deref(), raw.poll_cron.as_deref()) {
        (Some(_), Some(_)) => {
            problems.add(format!("{key}.poll_cron"), "write poll_every or poll_cron, not both");
            None
        }
        (Some(text), None) => match parse_duration(text) {
            Ok(every) if every >= MIN_POLL => Some(Poll::Every(every)),
            Ok(_) => {
                problems.add(format!("{key}.poll_every"), "must be at least 1s");
                None
            }
            Err(message) => {
                problems.add(format!("{key}.poll_every"), message);
                None
            }
        },
        (None, Some(text)) => problems
            .check(&format!("{key}.poll_cron"), crate::config::parse_cron(text))
            .map(|cron| Poll::Cron(Box::new(cron))),
        (None, None) => Some(Poll::Every(Duration::from_secs(60))),
    };
    let mode = match raw.mode.as_deref().unwrap_or("review") {
        "review" => Some(SourceMode::Review),
        "auto" => Some(SourceMode::Auto),
        other => {
            problems.add(format!("{key}.mode"), format!("'{other}' is not a mode: use review or auto"));
            None
        }
    };
    let min_confidence = raw.min_confidence.unwrap_or(DEFAULT_MIN_CONFIDENCE);
    if !(0.0..=1.0).contains(&min_confidence) {
        problems.add(format!("{key}.min_confidence"), "must be between 0 and 1");
    }
    if raw.min_confidence.is_some() && mode == Some(SourceMode::Review) {
        problems.add(format!("{key}.min_confidence"), "applies in mode = \"auto\" only");
    }
    let kind = match raw.kind.as_deref() {
        Some("folder") => {
            not_for(key, "folder", &[("url", raw.url.is_some()), ("map", raw.map.is_some())], problems);
            folder(key, &raw, problems).map(SourceKind::Folder)
        }
        Some("http") => {
            not_for(key, "http", &[("path", raw.path.is_some()), ("settle", raw.settle.is_some())], problems);
            feed(key, raw, problems).map(|feed| SourceKind::Http(Box::new(feed)))
        }
        Some("sql") => {
            not_for(key, "sql", &[("path", raw.path.is_some()), ("settle", raw.settle.is_some())], problems);
            sql(key, raw, problems).map(|sql| SourceKind::Sql(Box::new(sql)))
        }
        Some(other) => {
            problems.add(
                format!("{key}.kind"),
                format!("'{other}' is not a source kind: use folder, http or sql"),
            );
            None
        }
        None => {
            problems.add(format!("{key}.kind"), "missing: use folder, http or sql");
            None
        }
    };
    Some(SourceSettings { name: name?, poll: poll?, mode: mode?, min_confidence, kind: kind? })
}

fn folder(key: &str, raw: &RawSource, problems: &mut Problems) -> Option<FolderSettings> {
    let path = match raw.path.as_deref().map(str::trim) {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            problems.add(format!("{key}.path"), "missing: the folder documents are dropped into");
            None
        }
    };
    let settle =
        problems.check(&format!("{key}.settle"), parse_duration(raw.settle.as_deref().unwrap_or("2s")));
    Some(FolderSettings { path: path?, settle: settle? })
}

/// Keys set that the kind does not read.
fn not_for(key: &str, kind: &str, keys: &[(&str, bool)], problems: &mut Problems) {
    for (name, set) in keys {
        if *set {
            problems.add(format!("{key}.{name}"), format!("does not apply to kind = \"{kind}\""));
        }
    }
}

fn feed(key: &str, raw: RawSource, problems: &mut Problems) -> Option<FeedSettings> {
    let url = match raw.url.as_deref() {
        Some(text) => problems.check(&format!("{key}.url"), parse_http_url(text)),
        None => {
            problems.add(format!("{key}.url"), "missing: the feed's first page");
            None
        }
    };
    let token = secret(key, "token", raw.token, raw.token_file, problems);
    let password = secret(key, "password", raw.password, raw.password_file, problems);
    let auth = match (token, raw.username, password) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            problems.add(format!("{key}.token"), "use a token or a username and password, not both");
            None
        }
        (Some(token), None, None) => Some(FeedAuth::Bearer(token)),
        (None, Some(username), Some(password)) => Some(FeedAuth::Basic { username, password }),
        (None, Some(_), None) => {
            problems.add(format!("{key}.password_file"), "a username needs a password (password_file)");
            None
        }
        (None, None, Some(_)) => {
            problems.add(format!("{key}.username"), "a password needs a username");
            None
        }
        (None, None, None) => None,
    };
    let timeout =
        problems.check(&format!("{key}.timeout"), parse_duration(raw.timeout.as_deref().unwrap_or("30s")));
    let wins = wins(key, raw.wins.as_deref(), problems);
    let map = item_map(key, raw.map, raw.done_values, true, problems);
    Some(FeedSettings { url: url?, auth, timeout: timeout?, map: map?, wins: wins? })
}

pub(super) fn wins(key: &str, text: Option<&str>, problems: &mut Problems) -> Option<Wins> {
    match text.unwrap_or("nhacviec") {
        "nhacviec" => Some(Wins::Nhacviec),
        "source" => Some(Wins::Source),
        other => {
            problems.add(format!("{key}.wins"), format!("'{other}' is not a side: use nhacviec or source"));
            None
        }
    }
}

/// The fields of `[sources.map]`, each a JSON pointer (or a column); `id`, `summary` and
/// `lead` are required.
pub(super) fn item_map(
    key: &str,
    raw: Option<std::collections::BTreeMap<String, String>>,
    done_values: Option<Vec<String>>,
    pointers: bool,
    problems: &mut Problems,
) -> Option<ItemMap> {
    const KNOWN: [&str; 17] = [
        "items",
        "next",
        "id",
        "directive_id",
        "directive_number",
        "directive_title",
        "directive_issuer",
        "directive_date",
        "summary",
        "details",
        "lead",
        "coordinating",
        "deadline",
        "deadline_phrase",
        "done",
        "removed",
        "updated_at",
    ];
    let Some(mut raw) = raw else {
        problems.add(
            format!("{key}.map"),
            "missing: where each field of an item is ([sources.map] id, summary, lead …)",
        );
        return None;
    };
    for name in raw.keys() {
        if !KNOWN.contains(&name.as_str()) {
            problems.add(format!("{key}.map.{name}"), format!("unknown field: use {}", KNOWN.join(", ")));
        }
    }
    let mut required = |name: &str| match raw.remove(name) {
        Some(value) if !value.trim().is_empty() => Some(value),
        _ => {
            problems.add(format!("{key}.map.{name}"), "missing");
            None
        }
    };
    let (id, summary, lead) = (required("id"), required("summary"), required("lead"));
    let map = ItemMap {
        items: raw.remove("items").unwrap_or_default(),
        next: raw.remove("next"),
        id: id?,
        directive_id: raw.remove("directive_id"),
        directive_number: raw.remove("directive_number"),
        directive_title: raw.remove("directive_title"),
        directive_issuer: raw.remove("directive_issuer"),
        directive_date: raw.remove("directive_date"),
        summary: summary?,
        details: raw.remove("details"),
        lead: lead?,
        coordinating: raw.remove("coordinating"),
        deadline: raw.remove("deadline"),
        deadline_phrase: raw.remove("deadline_phrase"),
        done: raw.remove("done"),
        removed: raw.remove("removed"),
        updated_at: raw.remove("updated_at"),
        done_values: done_values.unwrap_or_else(|| {
            ["done", "completed", "closed", "hoàn thành", "đã hoàn thành"].map(str::to_owned).to_vec()
        }),
    };
    for (name, pointer) in map.pointers() {
        if pointers && !pointer.is_empty() && !pointer.starts_with('/') {
            problems.add(
                format!("{key}.map.{name}"),
                format!("'{pointer}' is not a JSON pointer: write e.g. '/{pointer}'"),
            );
        }
    }
    Some(map)
}

fn sql(key: &str, raw: RawSource, problems: &mut Problems) -> Option<SqlSettings> {
    use secrecy::ExposeSecret;
    let url = match (raw.url, raw.url_file) {
        (Some(_), Some(_)) => {
            problems.add(format!("{key}.url_file"), "set url or url_file, not both");
            None
        }
        (Some(url), None) => Some(secrecy::SecretString::from(url)),
        (None, Some(file)) => secret(key, "url", None, Some(file), problems),
        (None, None) => {
            problems.add(format!("{key}.url"), "missing: postgres://… or mysql://… (or url_file)");
            None
        }
    };
    let engine = url.as_ref().and_then(|url| {
        let scheme = url.expose_secret().split_once("://").map(|(scheme, _)| scheme.to_owned());
        match scheme.as_deref() {
            Some("postgres" | "postgresql") => Some(SqlEngine::Postgres),
            Some("mysql" | "mariadb") => Some(SqlEngine::MySql),
            _ => {
                // The URL holds a password: name its scheme only.
                problems.add(format!("{key}.url"), "not a database URL: write postgres://… or mysql://…");
                None
            }
        }
    });
    let query = match raw.query.as_deref().map(str::trim) {
        Some(query) if !query.is_empty() => {
            if let Err(problem) = super::query::read_only(query) {
                problems.add(format!("{key}.query"), problem);
            }
            Some(query.trim_end_matches(';').to_owned())
        }
        _ => {
            problems.add(format!("{key}.query"), "missing: one SELECT of the task rows");
            None
        }
    };
    let timeout =
        problems.check(&format!("{key}.timeout"), parse_duration(raw.timeout.as_deref().unwrap_or("30s")));
    let wins = wins(key, raw.wins.as_deref(), problems);
    let map = item_map(key, raw.map, raw.done_values, false, problems);
    if let (Some(query), Some(map)) = (&query, &map) {
        for column in super::query::missing_columns(query, map, raw.cursor.as_deref()) {
            problems.add(format!("{key}.map"), format!("the query does not name the column '{column}'"));
        }
        if raw.cursor.is_some() && !query.contains("{cursor}") {
            problems.add(
                format!("{key}.query"),
                "with a cursor column, write {cursor} where the query compares it",
            );
        }
    }
    Some(SqlSettings {
        engine: engine?,
        url: url?,
        query: query?,
        cursor: raw.cursor,
        timeout: timeout?,
        map: map?,
        wins: wins?,
    })
}
