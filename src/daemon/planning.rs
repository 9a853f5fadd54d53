//! The planning step of the daemon: reads the tasks that are due from the store, asks the
//! pure plan what to send, and writes it to the outbox.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::{Acknowledgement, TaskId};
use crate::plan::{self, Policy, SkipReason};
use crate::store::{PlanWrite, Store, StoreError, TaskRecord};

/// What one planning step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PlanReport {
    pub tasks: usize,
    pub enqueued: u64,
    pub superseded: usize,
}

/// The outbox writes for one task at `now`, without the kinds of reminder a department
/// acknowledged for the task's deadline.
pub fn plan_record(
    record: &TaskRecord,
    acknowledged: &HashSet<Acknowledgement>,
    settings: &Settings,
    policy: &Policy,
    now: DateTime<Utc>,
) -> (PlanWrite, usize) {
    let task = &record.task;
    let messages = plan::messages_due(task, settings, policy, acknowledged, record.planned_until, now);
    for (reminder, skipped) in &messages.skipped {
        if skipped.reason == SkipReason::NotInConfig {
            tracing::warn!(
                task = task.id.0,
                department = %reminder.department,
                "department is not in the config; its reminder is skipped"
            );
        }
    }
    let write = PlanWrite {
        task_id: task.id,
        deadline: task.deadline.as_ref().map(|d| d.date),
        planned_until: now,
        next_reminder_at: messages.next_at,
        items: messages.items,
        supersede: messages.supersede,
        revision: record.revision,
    };
    (write, messages.superseded)
}

/// Plans every task due by `now`, a batch at a time, each batch in one transaction of the
/// store. Reads only due tasks, by index; daemons planning at once take different tasks.
pub async fn plan_due(
    store: &Store,
    settings: &Settings,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<PlanReport, StoreError> {
    let batch = settings.delivery.batch_size.max(100);
    let mut report = PlanReport::default();
    // Each round moves every task it reads past `now`, so the rounds end; the bound only
    // guards against another writer racing on the same tasks.
    for _ in 0..10_000 {
        let mut superseded = 0;
        let mut planned = Vec::new();
        let (tasks, enqueued) = store
            .plan_due(now, batch, |due, acknowledged| {
                due.iter()
                    .map(|record| {
                        let (write, count) = plan_record(record, acknowledged, settings, policy, now);
                        superseded += count;
                        write
                    })
                    .inspect(|write| {
                        planned.extend(write.items.iter().map(|i| (i.channel.clone(), i.rule.to_string())))
                    })
                    .collect()
            })
            .await?;
        report.tasks += tasks;
        report.superseded += superseded;
        report.enqueued += enqueued;
        for (channel, rule) in planned {
            metrics::counter!("nhacviec_reminders_planned_total", "channel" => channel, "rule" => rule)
                .increment(1);
        }
        if tasks < batch as usize {
            break;
        }
    }
    Ok(report)
}

/// Recomputes when every open task next needs planning, after the schedule or the
/// calendar changed. Pages through the tasks; writes only what differs.
pub async fn replan_all(store: &Store, settings: &Settings, policy: &Policy) -> Result<usize, StoreError> {
    let mut after = TaskId(0);
    let mut changed = 0;
    loop {
        let page = store.open_tasks_page(after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.task.id;
        let updates: Vec<(TaskId, i64, Option<DateTime<Utc>>)> = page
            .iter()
            .filter_map(|record| {
                let escalate_to = settings.departments.escalate_to(&record.task.lead);
                let next = plan::next_planning_after(&record.task, escalate_to, policy, record.planned_until);
                (next != record.next_reminder_at).then_some((record.task.id, record.revision, next))
            })
            .collect();
        changed += updates.len();
        store.set_next_reminders(&updates).await?;
    }
    Ok(changed)
}
