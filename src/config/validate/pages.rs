//! `[pages]`: the web pages' sign-in, sessions, and the people who see every department.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::{Problems, parse_duration};
use crate::config::raw::RawPages;
use crate::config::{ChannelSettings, Departments, PagesSettings, Person, PersonRole};
use crate::domain::DepartmentCode;

pub(super) fn pages(
    raw: RawPages,
    departments: Option<&Departments>,
    channels: &BTreeMap<String, ChannelSettings>,
    problems: &mut Problems,
) -> Option<PagesSettings> {
    let mut bounded = |key: &str, default: &str, range: std::ops::RangeInclusive<Duration>, hint: &str| {
        let path = format!("pages.{key}");
        let text = match key {
            "sign_in_valid_for" => raw.sign_in_valid_for.as_deref(),
            _ => raw.session_for.as_deref(),
        }
        .unwrap_or(default);
        problems.check(&path, parse_duration(text)).filter(|d| range.contains(d)).or_else(|| {
            problems.add(path, hint.to_owned());
            None
        })
    };
    let sign_in_valid_for = bounded(
        "sign_in_valid_for",
        "15m",
        Duration::from_secs(60)..=Duration::from_secs(24 * 3600),
        "a sign-in link works from a minute to a day: write e.g. '15m'",
    );
    let session_for = bounded(
        "session_for",
        "8h",
        Duration::from_secs(5 * 60)..=Duration::from_secs(30 * 24 * 3600),
        "a session lasts from 5 minutes to 30 days: write e.g. '8h'",
    );
    let smtp: Vec<&String> = channels
        .iter()
        .filter(|(_, c)| matches!(c, ChannelSettings::Smtp(_)))
        .map(|(name, _)| name)
        .collect();
    let sign_in_channel = match raw.sign_in_channel {
        Some(name) if smtp.contains(&&name) => Some(name),
        Some(name) if channels.contains_key(&name) => {
            problems.add(
                "pages.sign_in_channel",
                format!("'{name}' is not an smtp channel: sign-in links go by email"),
            );
            None
        }
        Some(name) => {
            problems.add("pages.sign_in_channel", format!("no channel is named '{name}' in [channels]"));
            None
        }
        None => smtp.first().map(|name| (*name).clone()),
    };
    let mut emails = BTreeSet::new();
    let mut people = Vec::new();
    for (i, person) in raw.people.into_iter().enumerate() {
        let path = format!("pages.people[{i}]");
        let email = match person.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(email) if !email.contains('@') || email.contains(char::is_whitespace) => {
                problems.add(format!("{path}.email"), format!("'{email}' is not an email address"));
                None
            }
            Some(email) if !emails.insert(email.to_lowercase()) => {
                problems.add(format!("{path}.email"), format!("'{email}' is listed twice"));
                None
            }
            Some(email) => Some(email.to_lowercase()),
            None => {
                problems.add(format!("{path}.email"), "missing: the address sign-in links go to");
                None
            }
        };
        let role = match person.role.as_deref() {
            Some("office") => Some(PersonRole::Office),
            Some("admin") => Some(PersonRole::Admin),
            Some(other) => {
                problems.add(format!("{path}.role"), format!("'{other}' is not a role: use office or admin"));
                None
            }
            None => {
                problems.add(format!("{path}.role"), "missing: office or admin");
                None
            }
        };
        let department = match person.department.as_deref().map(DepartmentCode::parse) {
            Some(Ok(code)) if departments.is_none_or(|d| d.get(&code).is_some()) => Some(code),
            Some(Ok(code)) => {
                problems.add(format!("{path}.department"), format!("no department has the code '{code}'"));
                None
            }
            Some(Err(error)) => {
                problems.add(format!("{path}.department"), error.to_string());
                None
            }
            None => {
                problems
                    .add(format!("{path}.department"), "missing: the code of the person's own department");
                None
            }
        };
        let name = person.name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if let (Some(email), Some(role), Some(department)) = (email, role, department) {
            people.push(Person { name: name.unwrap_or_else(|| email.clone()), email, role, department });
        }
    }
    if !people.is_empty()
        && sign_in_channel.is_none()
        && !problems.0.iter().any(|p| p.path == "pages.sign_in_channel")
    {
        problems.add("pages.people", "sign-in links go by email: add an smtp channel in [channels]");
    }
    Some(PagesSettings {
        sign_in_valid_for: sign_in_valid_for?,
        session_for: session_for?,
        sign_in_channel,
        people,
    })
}
