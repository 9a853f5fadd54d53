//! `[[sources]]`: each source's name, kind, poll schedule and mode. Whether a folder
//! exists is not checked here: a source that is unreachable is retried by the daemon and
//! named by `nhacviec check`, which looks.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::{Problems, parse_duration};
use crate::config::raw::RawSource;
use crate::config::{FolderSettings, Poll, SourceKind, SourceMode, SourceSettings};

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
        Some("folder") => folder(key, &raw, problems).map(SourceKind::Folder),
        Some(other) => {
            problems.add(format!("{key}.kind"), format!("'{other}' is not a source kind: use folder"));
            None
        }
        None => {
            problems.add(format!("{key}.kind"), "missing: use folder");
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
