//! The explanation of one task: every reminder its schedule calls for up to a moment, on
//! each channel the planner's fan-out gives, and what became of each: sent, pending (and
//! when), or skipped and why.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Settings;
use crate::domain::TaskStatus;
use crate::outbox::{OutboxItem, OutboxState};
use crate::plan::{self, PlannedReminder, Policy, Series};
use crate::store::{Store, StoreError, TaskRecord};

#[derive(Debug, Serialize)]
pub struct Entry {
    pub at: String,
    pub day: NaiveDate,
    /// The day the schedule names, when the reminder moved off a day off.
    pub moved_from: Option<NaiveDate>,
    pub rule: String,
    pub department: String,
    pub role: &'static str,
    pub channel: Option<String>,
    /// sent, pending, sending, dead, cancelled, skipped, due, scheduled.
    pub status: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Explanation {
    pub task_id: i64,
    pub task: String,
    pub status: &'static str,
    pub deadline: Option<NaiveDate>,
    pub at: String,
    pub notes: Vec<String>,
    pub reminders: Vec<Entry>,
}

/// The explanation of `record` as of `at`, with `upcoming` reminders after it.
pub async fn explain(
    store: &Store,
    settings: &Settings,
    record: &TaskRecord,
    at: DateTime<Utc>,
    upcoming: usize,
) -> Result<Explanation, StoreError> {
    let rows = store.outbox(None, Some(record.task.id), 100_000).await?;
    let events = store.task_events(record.task.id).await?;
    let acknowledged = store.acknowledgements(&[record.task.id]).await?;
    let policy = Policy::from_settings(settings);
    let task = &record.task;
    let local = |t: DateTime<Utc>| t.with_timezone(&settings.timezone).format("%d/%m/%Y %H:%M").to_string();
    let mut notes = Vec::new();
    for event in events.iter().filter(|e| e.kind != "created") {
        notes.push(format!("{}: {} {}", local(event.at), event.kind, event.detail.as_deref().unwrap_or("")));
    }
    let mut entries = Vec::new();
    match (&task.deadline, task.status) {
        (None, _) => notes.push("the task has no deadline: it is never reminded".to_owned()),
        (Some(_), TaskStatus::Done) => notes.push(format!(
            "the task is done{}: no reminder goes out any more",
            task.done_on.map(|d| format!(" (on {d})")).unwrap_or_default()
        )),
        (Some(deadline), TaskStatus::Open) => {
            let due = policy.due_date(deadline.date);
            if let Some(recurrence) = task.recurrence {
                let next = recurrence.next_after(deadline.date).map_or_else(String::new, |next| {
                    format!("; once it is done, the next is due {}", next.format("%d/%m/%Y"))
                });
                notes.push(format!(
                    "a recurring task ({}): the current occurrence is due {}{next}",
                    recurrence.vietnamese(),
                    deadline.date.format("%d/%m/%Y")
                ));
            }
            if due != deadline.date {
                let why = policy
                    .calendar
                    .special_day(deadline.date)
                    .map_or_else(|| "weekend".to_owned(), |d| d.reason);
                notes.push(format!(
                    "the deadline {} is not a working day ({why}): the task is due {}",
                    deadline.date.format("%d/%m/%Y"),
                    due.format("%d/%m/%Y")
                ));
            }
            let escalate_to = settings.departments.escalate_to(&task.lead);
            if escalate_to.is_none() {
                notes.push(format!("lead '{}' has no escalate_to: no escalation", task.lead));
            }
            for series in [Series::Reminders, Series::Escalation] {
                for (code, role) in &plan::recipients(task, series, escalate_to) {
                    let mut shown = 0;
                    let mut occurrences = Vec::new();
                    for occurrence in series.occurrences(deadline.date, &policy, policy.calendar_for(code)) {
                        if occurrence.at > at {
                            if shown == upcoming {
                                break;
                            }
                            shown += 1;
                        }
                        occurrences.push(occurrence);
                    }
                    for (index, occurrence) in occurrences.iter().enumerate() {
                        // A newer reminder also due by `at` replaces this one if it was not sent.
                        let newer = occurrences.get(index + 1).map(|next| next.at).filter(|next| *next <= at);
                        let moved_from =
                            (occurrence.day != occurrence.nominal_day).then_some(occurrence.nominal_day);
                        let entry = |channel: Option<String>, status: String, reason: String| Entry {
                            at: occurrence.at.with_timezone(&settings.timezone).to_rfc3339(),
                            day: occurrence.day,
                            moved_from,
                            rule: occurrence.rule.to_string(),
                            department: code.to_string(),
                            role: role.as_str(),
                            channel,
                            status,
                            reason,
                        };
                        let reminder =
                            PlannedReminder::of(task, code, *role, occurrence, deadline.date, occurrence.at);
                        let fanned = plan::fan_out(&reminder, settings, &policy, &acknowledged);
                        for skipped in &fanned.skipped {
                            let reason = skipped.reason.describe(&reminder);
                            entries.push(entry(skipped.channel.clone(), "skipped".into(), reason));
                        }
                        for item in fanned.items {
                            let row = rows.iter().find(|r| r.key == item.key);
                            let (status, mut reason) =
                                fate(row, (occurrence.at, newer), record.planned_until, at, settings, &local);
                            if let Some(from) = moved_from {
                                let why = policy
                                    .calendar_for(code)
                                    .special_day(from)
                                    .map_or_else(|| "weekend".to_owned(), |day| day.reason);
                                reason = format!(
                                    "{reason}; moved from {} (not a working day: {why})",
                                    from.format("%a %d/%m/%Y")
                                );
                            }
                            entries.push(entry(Some(item.channel), status, reason));
                        }
                    }
                }
            }
        }
    }
    // Reminders kept for an earlier deadline (before an extension).
    let current = task.deadline.as_ref().map(|d| d.date);
    for row in rows.iter().filter(|r| Some(r.deadline) != current) {
        entries.push(Entry {
            at: row.due_at.with_timezone(&settings.timezone).to_rfc3339(),
            day: row.day,
            moved_from: None,
            rule: row.rule.to_string(),
            department: row.department.to_string(),
            role: row.role.as_str(),
            channel: Some(row.channel.clone()),
            status: row.state.as_str().to_owned(),
            reason: format!(
                "for the earlier deadline {}{}",
                row.deadline,
                row.last_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
            ),
        });
    }
    entries.sort_by(|a, b| a.at.cmp(&b.at).then(a.department.cmp(&b.department)));
    let explanation = Explanation {
        task_id: task.id.0,
        task: task.summary.clone(),
        status: task.status.as_str(),
        deadline: current,
        at: at.with_timezone(&settings.timezone).to_rfc3339(),
        notes,
        reminders: entries,
    };
    Ok(explanation)
}

/// What became of one reminder, and why.
/// `due` is when the reminder fell due and when a newer one of its series did, if that was
/// by `at` too.
fn fate(
    row: Option<&OutboxItem>,
    (due, newer): (DateTime<Utc>, Option<DateTime<Utc>>),
    planned_until: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    settings: &Settings,
    local: &dyn Fn(DateTime<Utc>) -> String,
) -> (String, String) {
    let (start, end) = settings.schedule.send_window;
    if let Some(row) = row {
        let reason = match row.state {
            OutboxState::Sent => format!("sent {}", row.finished_at.map(local).unwrap_or_default()),
            OutboxState::Pending if row.attempts > 0 => format!(
                "attempt {} failed ({}); next try {}",
                row.attempts,
                row.last_error.as_deref().unwrap_or("?"),
                local(row.send_after)
            ),
            OutboxState::Pending if row.send_after > due => format!(
                "waiting for the send window ({}–{}): goes out {}",
                start.format("%H:%M"),
                end.format("%H:%M"),
                local(row.send_after)
            ),
            OutboxState::Pending => format!("goes out {}", local(row.send_after)),
            OutboxState::Sending => "being sent now".to_owned(),
            OutboxState::Dead => format!(
                "failed for good after {} attempts: {}",
                row.attempts,
                row.last_error.as_deref().unwrap_or("?")
            ),
            OutboxState::Cancelled => {
                format!("cancelled: {}", row.last_error.as_deref().unwrap_or("?"))
            }
        };
        return (row.state.as_str().to_owned(), reason);
    }
    if planned_until.is_some_and(|p| due <= p) {
        return (
            "skipped".to_owned(),
            "replaced by a newer reminder (missed while the daemon was not running, or before the task was entered)".to_owned(),
        );
    }
    if let Some(newer) = newer {
        return (
            "skipped".to_owned(),
            format!("replaced by the newer reminder due {}: only the newest is sent", local(newer)),
        );
    }
    if due <= at {
        return ("due".to_owned(), "due: the daemon sends it at its next tick".to_owned());
    }
    ("scheduled".to_owned(), format!("will go out {}", local(due)))
}
