//! What planning writes: reminders into the outbox, and each task's planning marks.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{QueryBuilder, Sqlite};

use super::outbox::{NewOutboxItem, shaped_chunks};
use super::{Result, Store, to_unix};
use crate::domain::TaskId;

/// What a planning step writes for one task.
#[derive(Debug, Clone)]
pub struct PlanWrite {
    pub task_id: TaskId,
    /// The deadline the plan was made for: a task extended meanwhile is left alone.
    pub deadline: Option<NaiveDate>,
    pub planned_until: DateTime<Utc>,
    pub next_reminder_at: Option<DateTime<Utc>>,
    pub items: Vec<NewOutboxItem>,
    /// The task's revision when the plan read it: a task changed meanwhile keeps the marks
    /// its change set, and is planned afresh.
    pub revision: i64,
}

impl Store {
    /// Enqueues the planned reminders and moves each task's planning mark, all in one
    /// transaction and a few statements per batch. A key already present is left as it is;
    /// a newer reminder cancels an older one still pending for the same department, channel
    /// and task.
    pub async fn record_plans(&self, plans: &[PlanWrite], now: DateTime<Utc>) -> Result<u64> {
        let items: Vec<&NewOutboxItem> = plans.iter().flat_map(|p| &p.items).collect();
        let mut tx = self.begin_write().await?;
        let mut inserted = 0;
        for chunk in shaped_chunks(&items) {
            let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO outbox (key, task_id, department, role, rule, day, deadline, channel, due_at, \
                 send_after, created_at, digest) ",
            );
            insert.push_values(chunk, |mut row, item| {
                row.push_bind(&item.key)
                    .push_bind(item.task_id.0)
                    .push_bind(&item.department)
                    .push_bind(&item.role)
                    .push_bind(&item.rule)
                    .push_bind(item.day)
                    .push_bind(item.deadline)
                    .push_bind(&item.channel)
                    .push_bind(to_unix(item.due_at))
                    .push_bind(to_unix(item.send_after))
                    .push_bind(to_unix(now))
                    .push_bind(item.digest);
            });
            insert.push(" ON CONFLICT (key) DO NOTHING");
            inserted += insert.build().execute(&mut *tx).await?.rows_affected();

            let mut supersede: QueryBuilder<Sqlite> =
                QueryBuilder::new("WITH n (task_id, department, channel, due_at) AS (");
            supersede.push_values(chunk, |mut row, item| {
                row.push_bind(item.task_id.0)
                    .push_bind(&item.department)
                    .push_bind(&item.channel)
                    .push_bind(to_unix(item.due_at));
            });
            supersede
                .push(
                    ") UPDATE outbox SET state = 'cancelled', last_error = 'superseded by a newer reminder', finished_at = ",
                )
                .push_bind(to_unix(now))
                .push(
                    // CROSS JOIN keeps `n` outside: SQLite would otherwise build an automatic
                    // index over the whole outbox for every statement.
                    " WHERE id IN (SELECT o.id FROM n CROSS JOIN outbox o WHERE o.task_id = n.task_id \
                     AND o.state = 'pending' AND o.department = n.department AND o.channel = n.channel \
                     AND o.due_at < n.due_at)",
                );
            supersede.build().execute(&mut *tx).await?;
        }
        // A task closed or extended by another process meanwhile keeps its own marks.
        for chunk in shaped_chunks(plans) {
            let mut update: QueryBuilder<Sqlite> =
                QueryBuilder::new("WITH p (id, planned_until, next_reminder_at, deadline, revision) AS (");
            update.push_values(chunk, |mut row, plan| {
                row.push_bind(plan.task_id.0)
                    .push_bind(to_unix(plan.planned_until))
                    .push_bind(plan.next_reminder_at.map(to_unix))
                    .push_bind(plan.deadline)
                    .push_bind(plan.revision);
            });
            update.push(
                ") UPDATE tasks SET planned_until = p.planned_until, next_reminder_at = p.next_reminder_at \
                 FROM p WHERE tasks.id = p.id AND tasks.status = 'open' AND tasks.deadline IS p.deadline \
                 AND tasks.revision = p.revision",
            );
            update.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }
}
