//! `nhacviec explain TASK`: for one task, every reminder its schedule calls for up to a
//! moment, and what became of each: sent, pending (and when), or skipped and why.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::Args;
use serde::Serialize;

use super::{Format, InputError, open_store, table};
use crate::config::Settings;
use crate::domain::{TaskId, TaskStatus};
use crate::outbox;
use crate::plan::{self, Policy, Series};
use crate::store::{OutboxItem, OutboxState, StoreError};

#[derive(Args, Debug)]
pub struct ExplainArgs {
    task: i64,
    /// The moment to explain at: RFC 3339, or YYYY-MM-DD[THH:MM] in local time (a day means its end); now by default.
    #[arg(long)]
    at: Option<String>,
    /// How many reminders after that moment to show.
    #[arg(long, default_value_t = 3)]
    upcoming: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Serialize)]
struct Entry {
    at: String,
    day: NaiveDate,
    /// The day the schedule names, when the reminder moved off a day off.
    moved_from: Option<NaiveDate>,
    rule: String,
    department: String,
    role: &'static str,
    channel: Option<String>,
    /// sent, pending, sending, dead, cancelled, skipped, due, scheduled.
    status: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct Explanation {
    task_id: i64,
    task: String,
    status: &'static str,
    deadline: Option<NaiveDate>,
    at: String,
    notes: Vec<String>,
    reminders: Vec<Entry>,
}

fn parse_at(text: &str, settings: &Settings) -> Result<DateTime<Utc>, InputError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_hms_opt(23, 59, 59).unwrap_or_default())
        })
        .map_err(|_| {
            InputError(format!("--at: '{text}' is not a moment: write YYYY-MM-DD or YYYY-MM-DDTHH:MM"))
        })?;
    settings
        .timezone
        .from_local_datetime(&local)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| InputError(format!("--at: '{text}' does not exist in {}", settings.timezone)))
}

pub async fn run(settings: &Settings, args: &ExplainArgs) -> anyhow::Result<()> {
    let at = match &args.at {
        Some(text) => parse_at(text, settings)?,
        None => Utc::now(),
    };
    let store = open_store(settings).await?;
    let record = store.task(TaskId(args.task)).await.map_err(|e| match e {
        StoreError::NoSuchTask(id) => anyhow::Error::from(InputError(format!("no task with id {id}"))),
        other => other.into(),
    })?;
    let rows = store.outbox(None, Some(TaskId(args.task)), 100_000).await?;
    let events = store.task_events(TaskId(args.task)).await?;
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
                    let mut upcoming = 0;
                    let mut occurrences = Vec::new();
                    for occurrence in series.occurrences(deadline.date, &policy, policy.calendar_for(code)) {
                        if occurrence.at > at {
                            if upcoming == args.upcoming {
                                break;
                            }
                            upcoming += 1;
                        }
                        occurrences.push(occurrence);
                    }
                    for (index, occurrence) in occurrences.iter().enumerate() {
                        // A newer reminder also due by `at` replaces this one if it was not sent.
                        let newer = occurrences.get(index + 1).map(|next| next.at).filter(|next| *next <= at);
                        let channels =
                            settings.departments.get(code).map(|d| d.channels.clone()).unwrap_or_default();
                        let base = Entry {
                            at: occurrence.at.with_timezone(&settings.timezone).to_rfc3339(),
                            day: occurrence.day,
                            moved_from: (occurrence.day != occurrence.nominal_day)
                                .then_some(occurrence.nominal_day),
                            rule: occurrence.rule.to_string(),
                            department: code.to_string(),
                            role: role.as_str(),
                            channel: None,
                            status: String::new(),
                            reason: String::new(),
                        };
                        if channels.is_empty() {
                            entries.push(Entry {
                                status: "skipped".into(),
                                reason: "department is not in the config".into(),
                                ..base
                            });
                            continue;
                        }
                        for channel in channels {
                            let key = outbox::key_of(
                                task.id.0,
                                code.as_str(),
                                &occurrence.rule.to_string(),
                                occurrence.day,
                                deadline.date,
                                &channel,
                            );
                            let row = rows.iter().find(|r| r.key == key);
                            let (status, reason) =
                                fate(row, (occurrence.at, newer), record.planned_until, at, settings, &local);
                            let mut reason = reason;
                            if let Some(from) = base.moved_from {
                                let why = policy
                                    .calendar_for(code)
                                    .special_day(from)
                                    .map_or_else(|| "weekend".to_owned(), |day| day.reason);
                                reason = format!(
                                    "{reason}; moved from {} (not a working day: {why})",
                                    from.format("%a %d/%m/%Y")
                                );
                            }
                            entries.push(Entry {
                                channel: Some(channel),
                                status,
                                reason,
                                at: base.at.clone(),
                                rule: base.rule.clone(),
                                department: base.department.clone(),
                                ..base
                            });
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
            rule: row.rule.clone(),
            department: row.department.clone(),
            role: crate::domain::Role::parse(&row.role).map_or("lead", |r| r.as_str()),
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
    match args.format {
        Format::Json => table::print_json(&explanation),
        Format::Table => {
            outln!("task {}: {} ({})", explanation.task_id, explanation.task, explanation.status);
            if let Some(deadline) = explanation.deadline {
                outln!("deadline: {}", deadline.format("%d/%m/%Y"));
            }
            outln!("as of {}", local(at));
            for note in &explanation.notes {
                outln!("note: {note}");
            }
            let rows: Vec<Vec<String>> = explanation
                .reminders
                .iter()
                .map(|e| {
                    vec![
                        e.at.get(..16).unwrap_or(&e.at).replace('T', " "),
                        e.rule.clone(),
                        e.department.clone(),
                        e.role.to_owned(),
                        e.channel.clone().unwrap_or_default(),
                        e.status.clone(),
                        e.reason.clone(),
                    ]
                })
                .collect();
            table::print(&["DUE", "RULE", "DEPARTMENT", "ROLE", "CHANNEL", "STATUS", "WHY"], &rows);
            Ok(())
        }
    }
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
