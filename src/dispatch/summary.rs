//! The weekly summary: enqueued for each department with `summary = true` on each of its
//! channels, keyed by department, day and channel, and then sent like any message (claimed,
//! retried, rested with its channel, counted in the metrics, sent again after a crash).

use chrono::{DateTime, Utc};

use super::Dispatcher;
use crate::domain::{Role, Rule};
use crate::outbox::{ItemKind, NewOutboxItem};
use crate::plan;
use crate::store::StoreError;

impl Dispatcher {
    /// Enqueues the summary as of `now` for every summary department and channel; returns
    /// how many were new. A summary already enqueued that day (before a restart, or by a
    /// reload) is not enqueued again: its key is taken.
    pub async fn enqueue_summaries(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let today = self.policy.local_date(now);
        let mut items = Vec::new();
        for department in self.settings.departments.iter().filter(|d| d.summary) {
            for channel in &department.channels {
                let mut send_after = now;
                if let Some(quiet) = self.settings.quiet_hours.get(channel) {
                    send_after = plan::after_quiet_hours(send_after, *quiet, &self.policy);
                }
                items.push(NewOutboxItem {
                    key: format!("summary.{}.{}.{channel}", department.code, today.format("%Y%m%d")),
                    kind: ItemKind::Summary,
                    task_id: None,
                    department: department.code.clone(),
                    role: Role::Escalation,
                    rule: Rule::Summary,
                    day: today,
                    deadline: today,
                    channel: channel.clone(),
                    due_at: now,
                    send_after,
                    digest: false,
                });
            }
        }
        self.store.enqueue(&items, now).await
    }
}
