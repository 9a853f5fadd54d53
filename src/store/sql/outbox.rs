//! The outbox rows and delivery attempts: idempotent inserts, leased claims, outcomes.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::{Backend, Db};
use crate::domain::TaskId;
use crate::outbox::{NewOutboxItem, OutboxItem, OutboxState, Outcome};
use crate::store::rows::{OUTBOX_COLUMNS, items, push_list, shaped_chunks};
use crate::store::{Result, StoreError, from_unix, to_unix, to_unix_ceil};

impl Backend {
    pub async fn finish(&self, outcomes: &[(OutboxItem, Outcome)], now: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        // The items whose claim is still this store's: same owner, same attempt.
        let mut kept: HashSet<i64> = HashSet::with_capacity(outcomes.len());
        let sent: Vec<&OutboxItem> = outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Outcome::Sent { .. }))
            .map(|(item, _)| item)
            .collect();
        for chunk in shaped_chunks(&sent) {
            let mut update: QueryBuilder<Db> = QueryBuilder::new("WITH s (id, attempts) AS (");
            update.push_values(chunk, |mut row, item| {
                row.push_bind(item.id).push_bind(item.attempts);
            });
            update
                .push(") UPDATE outbox SET state = 'sent', lease_until = NULL, finished_at = ")
                .push_bind(to_unix(now))
                .push(" WHERE state = 'sending' AND owner = ")
                .push_bind(self.owner.as_ref())
                .push(" AND id IN (SELECT s.id FROM s WHERE s.attempts = outbox.attempts) RETURNING id");
            let ids: Vec<i64> = update.build_query_scalar().fetch_all(&mut *tx).await?;
            kept.extend(ids);
        }
        for (item, outcome) in outcomes {
            let (state, send_after, error) = match outcome {
                Outcome::Sent { .. } => continue,
                Outcome::Retry { at, error, .. } => ("pending", Some(*at), Some(error.as_str())),
                Outcome::Dead { error, .. } => ("dead", None, Some(error.as_str())),
                Outcome::Cancelled { reason } => ("cancelled", None, Some(reason.as_str())),
                Outcome::Deferred { at } => ("pending", Some(*at), None),
            };
            let finished = (state != "pending").then_some(to_unix(now));
            // An item cancelled or deferred was not attempted: its claim does not count.
            let uncounted =
                i64::from(matches!(outcome, Outcome::Cancelled { .. } | Outcome::Deferred { .. }));
            let changed = sqlx::query(
                "UPDATE outbox SET state = $1, send_after = coalesce($2, send_after), \
                 last_error = coalesce($3, last_error), lease_until = NULL, finished_at = $4, \
                 attempts = attempts - $5 \
                 WHERE id = $6 AND state = 'sending' AND owner = $7 AND attempts = $8",
            )
            .bind(state)
            .bind(send_after.map(to_unix_ceil))
            .bind(error)
            .bind(finished)
            .bind(uncounted)
            .bind(item.id)
            .bind(self.owner.as_ref())
            .bind(item.attempts)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                kept.insert(item.id);
            }
        }
        let attempts: Vec<(&OutboxItem, &'static str, Option<&str>, i64)> = outcomes
            .iter()
            .filter_map(|(item, outcome)| match outcome {
                Outcome::Sent { duration_ms } => Some((item, "sent", None, *duration_ms)),
                Outcome::Retry { error, duration_ms, .. } => {
                    Some((item, "retry", Some(error.as_str()), *duration_ms))
                }
                Outcome::Dead { error, duration_ms } => {
                    Some((item, "dead", Some(error.as_str()), *duration_ms))
                }
                Outcome::Cancelled { .. } | Outcome::Deferred { .. } => None,
            })
            .filter(|(item, ..)| kept.contains(&item.id))
            .collect();
        for chunk in shaped_chunks(&attempts) {
            let mut insert: QueryBuilder<Db> = QueryBuilder::new(
                "INSERT INTO delivery_attempts (outbox_id, attempt, at, outcome, error, duration_ms) ",
            );
            insert.push_values(chunk, |mut row, (item, outcome, error, duration_ms)| {
                row.push_bind(item.id)
                    .push_bind(item.attempts)
                    .push_bind(to_unix(now))
                    .push_bind(*outcome)
                    .push_bind(*error)
                    .push_bind(*duration_ms);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(outcomes.iter().filter(|(item, _)| !kept.contains(&item.id)).count() as u64)
    }

    pub async fn next_outbox_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT min(at) FROM (SELECT min(send_after) AS at FROM outbox WHERE state = 'pending' \
             UNION ALL SELECT min(lease_until) FROM outbox WHERE state = 'sending') AS due",
        )
        .fetch_one(&self.pool)
        .await?;
        next.map(from_unix).transpose()
    }

    pub async fn outbox(
        &self,
        state: Option<OutboxState>,
        task: Option<TaskId>,
        limit: u32,
    ) -> Result<Vec<OutboxItem>> {
        self.outbox_page(state, task, None, limit).await
    }

    pub async fn outbox_page(
        &self,
        state: Option<OutboxState>,
        task: Option<TaskId>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<OutboxItem>> {
        let mut query: QueryBuilder<Db> =
            QueryBuilder::new(format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE 1 = 1"));
        if let Some(state) = state {
            query.push(" AND state = ").push_bind(state.as_str());
        }
        if let Some(task) = task {
            query.push(" AND task_id = ").push_bind(task.0);
        }
        if let Some(after) = after {
            query.push(" AND id > ").push_bind(after);
        }
        query.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
        items(query.build_query_as().fetch_all(&self.pool).await?)
    }

    pub async fn retry(&self, id: i64, send_after: DateTime<Utc>) -> Result<OutboxState> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let state = state.ok_or(StoreError::NoSuchOutboxItem(id))?;
        let state = OutboxState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox state '{state}'")))?;
        if matches!(state, OutboxState::Dead | OutboxState::Cancelled) {
            sqlx::query(
                "UPDATE outbox SET state = 'pending', attempts = 0, send_after = $1, finished_at = NULL WHERE id = $2",
            )
            .bind(to_unix_ceil(send_after))
            .bind(id)
            .execute(&self.pool)
            .await?;
        }
        Ok(state)
    }

    pub async fn outbox_states(&self, keys: &[String]) -> Result<HashMap<String, OutboxState>> {
        let mut states = HashMap::new();
        for chunk in keys.chunks(500) {
            let mut query: QueryBuilder<Db> =
                QueryBuilder::new("SELECT key, state FROM outbox WHERE key IN (");
            push_list(&mut query, chunk.iter().cloned());
            let rows: Vec<(String, String)> = query.build_query_as().fetch_all(&self.pool).await?;
            for (key, state) in rows {
                if let Some(state) = OutboxState::parse(&state) {
                    states.insert(key, state);
                }
            }
        }
        Ok(states)
    }

    pub async fn pending_stats(&self) -> Result<(i64, Option<DateTime<Utc>>)> {
        let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT count(*), min(send_after) FROM outbox WHERE state = 'pending' AND send_after >= 0",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((count, oldest.map(from_unix).transpose()?.filter(|at| *at <= Utc::now())))
    }

    pub async fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?)
    }
}

/// Cancels a task's pending reminders; part of the caller's transaction.
pub(super) async fn cancel_pending(
    tx: &mut sqlx::Transaction<'_, Db>,
    task: TaskId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'cancelled', last_error = $1, finished_at = $2 WHERE task_id = $3 AND state = 'pending'",
    )
    .bind(reason)
    .bind(to_unix(now))
    .bind(task.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts items into the outbox; a key already present is left as it is. Returns how many
/// were new. Part of the caller's transaction.
pub(super) async fn insert_items(
    tx: &mut sqlx::Transaction<'_, Db>,
    items: &[&NewOutboxItem],
    notice: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in shaped_chunks(items) {
        let mut insert: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO outbox (key, kind, task_id, department, role, rule, day, deadline, channel, due_at, \
             send_after, created_at, digest, notice_id) ",
        );
        insert.push_values(chunk, |mut row, item| {
            row.push_bind(&item.key)
                .push_bind(item.kind.as_str())
                .push_bind(item.task_id.map(|t| t.0))
                .push_bind(item.department.as_str())
                .push_bind(item.role.as_str())
                .push_bind(item.rule.to_string())
                .push_bind(item.day)
                .push_bind(item.deadline)
                .push_bind(&item.channel)
                .push_bind(to_unix(item.due_at))
                .push_bind(to_unix(item.send_after))
                .push_bind(to_unix(now))
                .push_bind(i64::from(item.digest))
                .push_bind(notice);
        });
        insert.push(" ON CONFLICT (key) DO NOTHING");
        inserted += insert.build().execute(&mut **tx).await?.rows_affected();
    }
    Ok(inserted)
}

impl Backend {
    pub async fn enqueue(&self, items: &[NewOutboxItem], now: DateTime<Utc>) -> Result<u64> {
        let items: Vec<&NewOutboxItem> = items.iter().collect();
        let mut tx = self.begin_write().await?;
        let inserted = insert_items(&mut tx, &items, None, now).await?;
        tx.commit().await?;
        Ok(inserted)
    }
}
