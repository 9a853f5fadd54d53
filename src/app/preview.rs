//! The preview: every message the schedule calls for between two days, as if the daemon
//! ran throughout, with a simulated clock, through the planner's own fan-out. A recurring
//! task shows its current occurrence as it stands (overdue, at most, until the next falls
//! due) and each later one as if the one before was done on its day. Sends nothing, writes
//! nothing.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Settings;
use crate::domain::{Deadline, DepartmentCode, Precision, Role, Task, TaskStatus};
use crate::plan::{self, PlannedReminder, Policy, Series};
use crate::store::{Store, StoreError, TaskFilter};

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

/// Every message that would go out between `from` and `to` (local days, both included),
/// to `only` when given, in the order they would go out.
pub async fn preview(
    store: &Store,
    settings: &Settings,
    from: NaiveDate,
    to: NaiveDate,
    only: Option<&DepartmentCode>,
) -> Result<Vec<PreviewItem>, StoreError> {
    let policy = Policy::from_settings(settings);
    let records = store.tasks(&TaskFilter::default()).await?;
    let mut items = Vec::new();
    // Acknowledgements are not looked at: a preview shows what the schedule calls for.
    let none = HashSet::new();
    for record in records.iter().filter(|r| r.task.status == TaskStatus::Open) {
        let all = occurrences(&record.task, to);
        // A recurring task's current occurrence is overdue, at most, until the next is due.
        let next_due = all.get(1).and_then(|(t, _)| t.deadline.as_ref()).map(|d| policy.due_date(d.date));
        for (task, current) in all {
            let task = &task;
            let Some(deadline) = &task.deadline else {
                continue;
            };
            for (code, role) in plan::all_recipients(task, settings.departments.escalate_to(&task.lead)) {
                if only.is_some_and(|only| *only != code) {
                    continue;
                }
                let series = if role == Role::Escalation { Series::Escalation } else { Series::Reminders };
                if !current && series == Series::Escalation {
                    continue;
                }
                let Some(department) = settings.departments.get(&code) else { continue };
                let due = policy.due_date(deadline.date);
                let occurrences = series
                    .occurrences(deadline.date, &policy, policy.calendar_for(&code))
                    .take_while(|o| o.day <= to)
                    .filter(|o| o.day >= from)
                    // Each occurrence is shown as if the one before was done on its day.
                    .filter(|o| o.day <= due || current && next_due.is_none_or(|next| o.day < next));
                for occurrence in occurrences {
                    let reminder =
                        PlannedReminder::of(task, &code, role, &occurrence, deadline.date, occurrence.at);
                    for item in plan::fan_out(&reminder, settings, &policy, &none).items {
                        items.push((
                            item.send_after,
                            item.digest,
                            PreviewItem {
                                at: item.send_after.with_timezone(&settings.timezone).to_rfc3339(),
                                department: code.to_string(),
                                department_name: department.name.clone(),
                                role: role.as_str(),
                                task_id: task.id.0,
                                task: task.summary.clone(),
                                deadline: deadline.date,
                                due_date: policy.due_date(deadline.date),
                                rule: occurrence.rule.to_string(),
                                channel: item.channel,
                                key: item.key,
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
    Ok(items)
}

/// The task as each of its occurrences whose reminders may fall by `to`: the task itself,
/// and for a recurring task, the occurrences after its current one, each as its deadline.
/// `true` marks the current occurrence, the only one that can be overdue.
fn occurrences(task: &Task, to: NaiveDate) -> Vec<(Task, bool)> {
    let mut all = vec![(task.clone(), true)];
    let (Some(recurrence), Some(deadline)) = (task.recurrence, &task.deadline) else {
        return all;
    };
    // Reminders start at most a few weeks before a due day.
    let horizon = to.checked_add_days(chrono::Days::new(92)).unwrap_or(to);
    for date in recurrence.occurrences_from(deadline.date).skip(1).take_while(|d| *d <= horizon).take(400) {
        let mut next = task.clone();
        next.deadline = Some(Deadline { date, precision: Precision::Day, phrase: deadline.phrase.clone() });
        all.push((next, false));
    }
    all
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
