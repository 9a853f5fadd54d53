//! `nhacviec preview`: every reminder the schedule calls for between two dates, as if the
//! daemon ran throughout, computed with a simulated clock. Sends nothing, writes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use serde::Serialize;

use super::{Format, InputError, open_store, parse_date, table};
use crate::config::Settings;
use crate::domain::TaskStatus;
use crate::outbox;
use crate::plan::{self, Policy, Series};
use crate::store::TaskFilter;

#[derive(Args, Debug)]
pub struct PreviewArgs {
    /// First day (YYYY-MM-DD), local time.
    #[arg(long, value_parser = parse_date)]
    from: NaiveDate,
    /// Last day (YYYY-MM-DD), included.
    #[arg(long, value_parser = parse_date)]
    to: NaiveDate,
    /// Only reminders to this department (code, name or alias).
    #[arg(long)]
    department: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// One reminder that would go out.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewItem {
    pub at: String,
    pub department: String,
    pub department_name: String,
    pub role: &'static str,
    pub task_id: i64,
    pub task: String,
    pub deadline: NaiveDate,
    /// The day the task is due: the deadline, moved to the next working day when it falls
    /// on a day off.
    pub due_date: NaiveDate,
    pub rule: String,
    pub channel: String,
    pub key: String,
    /// `planned`, or the state of the same reminder already in the outbox.
    pub status: String,
    /// For a digest (`rule` = `digest`): the reminders it lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<DigestEntry>,
}

/// One reminder listed in a digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestEntry {
    pub task_id: i64,
    pub task: String,
    pub deadline: NaiveDate,
    pub role: &'static str,
    pub rule: String,
    pub key: String,
}

pub async fn run(settings: &Settings, args: &PreviewArgs) -> anyhow::Result<()> {
    if args.to < args.from {
        return Err(InputError(format!("--to {} is before --from {}", args.to, args.from)).into());
    }
    let only = match &args.department {
        Some(label) => Some(
            settings
                .departments
                .resolve(label)
                .map(|d| d.code.clone())
                .ok_or_else(|| InputError(format!("unknown department '{label}'")))?,
        ),
        None => None,
    };
    let policy = Policy::from_settings(settings);
    let store = open_store(settings).await?;
    let records = store.tasks(&TaskFilter::default()).await?;
    let mut items = Vec::new();
    for record in records.iter().filter(|r| r.task.status == TaskStatus::Open) {
        let task = &record.task;
        let Some(deadline) = &task.deadline else {
            continue;
        };
        let escalate_to = settings.departments.escalate_to(&task.lead);
        for series in [Series::Reminders, Series::Escalation] {
            for (code, role) in &plan::recipients(task, series, escalate_to) {
                if only.as_ref().is_some_and(|only| only != code) {
                    continue;
                }
                let occurrences = series
                    .occurrences(deadline.date, &policy, policy.calendar_for(code))
                    .take_while(|o| o.day <= args.to)
                    .filter(|o| o.day >= args.from);
                for occurrence in occurrences {
                    let Some(department) = settings.departments.get(code) else {
                        continue;
                    };
                    let digest = settings
                        .departments
                        .digest(code, settings.schedule.digest)
                        .then(|| plan::digest_moment(occurrence.at, &policy, policy.calendar_for(code)))
                        .flatten();
                    for channel in &department.channels {
                        if !crate::config::Departments::channel_carries(
                            department,
                            channel,
                            occurrence.rule.kind(),
                        ) {
                            continue;
                        }
                        let quiet = settings.quiet_hours.get(channel);
                        let at = quiet
                            .map_or(occurrence.at, |q| plan::after_quiet_hours(occurrence.at, *q, &policy));
                        let key = outbox::key_of(
                            task.id.0,
                            code.as_str(),
                            &occurrence.rule.to_string(),
                            occurrence.day,
                            deadline.date,
                            channel,
                        );
                        items.push((
                            digest.unwrap_or(at),
                            digest.is_some(),
                            PreviewItem {
                                at: at.with_timezone(&settings.timezone).to_rfc3339(),
                                department: code.to_string(),
                                department_name: department.name.clone(),
                                role: role.as_str(),
                                task_id: task.id.0,
                                task: task.summary.clone(),
                                deadline: deadline.date,
                                due_date: policy.due_date(deadline.date),
                                rule: occurrence.rule.to_string(),
                                channel: channel.clone(),
                                key,
                                status: "planned".to_owned(),
                                items: Vec::new(),
                            },
                        ));
                    }
                }
            }
        }
    }
    let mut items = with_digests(items, settings);
    items.sort_by(|(a, x), (b, y)| {
        a.cmp(b)
            .then(x.task_id.cmp(&y.task_id))
            .then(x.role.cmp(y.role))
            .then(x.department.cmp(&y.department))
    });
    let mut items: Vec<PreviewItem> = items.into_iter().map(|(_, item)| item).collect();
    let keys: Vec<String> = items.iter().map(|i| i.key.clone()).collect();
    let states = store.outbox_states(&keys).await?;
    for item in &mut items {
        if let Some(state) = states.get(&item.key) {
            item.status = state.as_str().to_owned();
        }
    }
    match args.format {
        Format::Json => table::print_json(&items),
        Format::Table => {
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    vec![
                        i.at.get(..16).unwrap_or(&i.at).replace('T', " "),
                        i.department.clone(),
                        role_name(i.role).to_owned(),
                        i.rule.clone(),
                        i.channel.clone(),
                        i.task_id.to_string(),
                        i.deadline.format("%d/%m/%Y").to_string(),
                        i.task.clone(),
                    ]
                })
                .collect();
            table::print(
                &["GỬI LÚC", "ĐƠN VỊ", "VAI TRÒ", "QUY TẮC", "KÊNH", "NV", "HẠN", "NHIỆM VỤ"],
                &rows,
            );
            outln!("{} nhắc việc", items.len());
            Ok(())
        }
    }
}

/// Reminders bound for a digest become one item per department, channel and digest time.
fn with_digests(
    items: Vec<(DateTime<Utc>, bool, PreviewItem)>,
    settings: &Settings,
) -> Vec<(DateTime<Utc>, PreviewItem)> {
    let mut single = Vec::new();
    let mut digests: BTreeMap<(DateTime<Utc>, String, String), Vec<PreviewItem>> = BTreeMap::new();
    for (at, digest, item) in items {
        if digest {
            digests.entry((at, item.department.clone(), item.channel.clone())).or_default().push(item);
        } else {
            single.push((at, item));
        }
    }
    for ((at, department, channel), mut listed) in digests {
        listed.sort_by_key(|i| (i.task_id, i.role));
        let day = at.with_timezone(&settings.timezone).date_naive();
        let first = listed[0].clone();
        let entries: Vec<DigestEntry> = listed
            .iter()
            .map(|i| DigestEntry {
                task_id: i.task_id,
                task: i.task.clone(),
                deadline: i.deadline,
                role: i.role,
                rule: i.rule.clone(),
                key: i.key.clone(),
            })
            .collect();
        let earliest = listed.iter().map(|i| i.deadline).min().unwrap_or(first.deadline);
        single.push((
            at,
            PreviewItem {
                at: at.with_timezone(&settings.timezone).to_rfc3339(),
                department: department.clone(),
                department_name: first.department_name.clone(),
                role: "digest",
                task_id: first.task_id,
                task: format!("Tổng hợp {} nhắc việc", entries.len()),
                deadline: earliest,
                due_date: listed.iter().map(|i| i.due_date).min().unwrap_or(first.due_date),
                rule: "digest".to_owned(),
                channel: channel.clone(),
                key: crate::message::digest_key(&department, day, &channel),
                status: "planned".to_owned(),
                items: entries,
            },
        ));
    }
    single
}

fn role_name(role: &str) -> &'static str {
    crate::domain::Role::parse(role).map_or("?", |r| r.vietnamese())
}
