//! What planning writes: reminders into the outbox, and each task's planning marks.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder};

use super::acknowledgements::read_acknowledgements;
use super::outbox::insert_items;
use super::tasks::due_tasks_sql;
use super::{Backend, Db, SKIP_LOCKED};
use crate::domain::{Acknowledgement, TaskId};
use crate::outbox::NewOutboxItem;
use crate::store::records::{PlanWrite, TaskRecord};
use crate::store::rows::{TaskRow, record, shaped_chunks};
use crate::store::{Result, to_unix};

impl Backend {
    pub async fn record_plans(&self, plans: &[PlanWrite], now: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let inserted = write_plans(&mut tx, plans, now).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// Plans up to `limit` tasks due by `now` in one transaction: they are read and locked
    /// (rows another daemon is planning are skipped, not waited for), `plan` decides
    /// their writes from them and their acknowledgements, and the writes are made before
    /// the locks go. Returns how many tasks were planned and how many reminders enqueued.
    pub async fn plan_due<F>(&self, now: DateTime<Utc>, limit: u32, plan: F) -> Result<(usize, u64)>
    where
        F: FnOnce(&[TaskRecord], &HashSet<Acknowledgement>) -> Vec<PlanWrite> + Send,
    {
        let mut tx = self.begin_write().await?;
        let rows: Vec<TaskRow> = sqlx::query_as(AssertSqlSafe(format!("{}{SKIP_LOCKED}", due_tasks_sql())))
            .bind(to_unix(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        let due = rows.into_iter().map(record).collect::<Result<Vec<_>>>()?;
        let ids: Vec<TaskId> = due.iter().map(|r| r.task.id).collect();
        let acknowledged = read_acknowledgements(&mut tx, &ids).await?;
        let writes = plan(&due, &acknowledged);
        let inserted = write_plans(&mut tx, &writes, now).await?;
        tx.commit().await?;
        Ok((due.len(), inserted))
    }
}

/// Writes `plans` inside `tx`: their reminders into the outbox (a key already there is
/// left as it is), the older reminders they supersede cancelled, and each task's marks.
async fn write_plans(
    tx: &mut sqlx::Transaction<'static, Db>,
    plans: &[PlanWrite],
    now: DateTime<Utc>,
) -> Result<u64> {
    let items: Vec<&NewOutboxItem> = plans.iter().flat_map(|p| &p.items).collect();
    let inserted = insert_items(tx, &items, None, now).await?;
    for chunk in shaped_chunks(&plans.iter().flat_map(|p| &p.supersede).collect::<Vec<_>>()) {
        let mut supersede: QueryBuilder<Db> =
            QueryBuilder::new("WITH n (task_id, department, channel, due_at) AS (");
        supersede.push_values(chunk, |mut row, older| {
            row.push_bind(older.task_id.0)
                .push_bind(older.department.as_str())
                .push_bind(&older.channel)
                .push_bind(to_unix(older.before));
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
        supersede.build().execute(&mut **tx).await?;
    }
    // A task closed or extended by another process meanwhile keeps its own marks.
    for chunk in shaped_chunks(plans) {
        let mut update: QueryBuilder<Db> =
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
                 FROM p WHERE tasks.id = p.id AND tasks.status = 'open' AND tasks.deadline IS NOT DISTINCT FROM p.deadline \
                 AND tasks.revision = p.revision",
            );
        update.build().execute(&mut **tx).await?;
    }
    Ok(inserted)
}
