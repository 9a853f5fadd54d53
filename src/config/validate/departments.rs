//! The `[[departments]]`: codes, names, channels, escalation, calendars.

use std::collections::{BTreeMap, BTreeSet};

use super::super::raw::{RawDepartment, RawGroup};
use super::super::{ChannelSettings, Department, Departments, Group, Preset};
use super::channels::parse_http_url;
use super::{Problems, days};
use crate::domain::DepartmentCode;

pub(super) fn departments(
    raw: Vec<RawDepartment>,
    raw_groups: Vec<RawGroup>,
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
                match crate::domain::RuleKind::parse(kind) {
                    Some(kind) => parsed.push(kind),
                    None => problems.add(
                        format!("{key}[{j}]"),
                        format!(
                            "'{kind}' is not a kind of reminder: use {}",
                            crate::domain::RuleKind::NAMES.join(", ")
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
    let departments = Departments::new(list.into_iter().map(|(_, d)| d).collect());
    let groups = groups(raw_groups, &departments, problems);
    Some(departments.with_groups(groups))
}

/// The `[[groups]]`: each with a name, and members that are configured departments.
fn groups(raw: Vec<RawGroup>, departments: &Departments, problems: &mut Problems) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, raw) in raw.into_iter().enumerate() {
        let path = format!("groups[{i}]");
        let name = raw.name.filter(|n| !n.trim().is_empty());
        if name.is_none() {
            problems.add(format!("{path}.name"), "missing");
        }
        for label in name.iter().chain(raw.aliases.iter()) {
            if departments.resolve(label).is_some() {
                problems.add(format!("{path}.name"), format!("'{label}' already names a department"));
            }
        }
        if raw.members.is_empty() {
            problems.add(format!("{path}.members"), "name the departments of the group");
        }
        let mut members = Vec::new();
        for (j, member) in raw.members.iter().enumerate() {
            match departments.resolve(member) {
                Some(department) if !members.contains(&department.code) => {
                    members.push(department.code.clone())
                }
                Some(_) => {}
                None => {
                    problems.add(format!("{path}.members[{j}]"), format!("unknown department '{member}'"))
                }
            }
        }
        if let Some(name) = name {
            groups.push(Group { name, aliases: raw.aliases, members });
        }
    }
    groups
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
            let normal = super::super::departments::normalize(label);
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
