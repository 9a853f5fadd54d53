//! The outbox rows and delivery attempts: idempotent inserts, leased claims, outcomes.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{QueryBuilder, Sqlite};

use super::{Result, Store, StoreError, from_unix, to_unix, to_unix_ceil};
use crate::domain::{DepartmentCode, Role, Rule, TaskId};
use crate::outbox::{ItemKind, NewOutboxItem, OutboxItem, OutboxState, Outcome};

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    key: String,
    kind: String,
    task_id: Option<i64>,
    department: String,
    role: String,
    rule: String,
    day: NaiveDate,
    deadline: NaiveDate,
    channel: String,
    state: String,
    due_at: i64,
    send_after: i64,
    attempts: i64,
    last_error: Option<String>,
    finished_at: Option<i64>,
    digest: bool,
}

const OUTBOX_COLUMNS: &str = "id, key, kind, task_id, department, role, rule, day, deadline, channel, state, due_at, \
                              send_after, attempts, last_error, finished_at, digest";

impl TryFrom<OutboxRow> for OutboxItem {
    type Error = StoreError;
    fn try_from(row: OutboxRow) -> Result<Self> {
        let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("outbox {what} '{value}'"));
        Ok(OutboxItem {
            id: row.id,
            kind: ItemKind::parse(&row.kind).ok_or_else(|| corrupt("kind", &row.kind))?,
            key: row.key,
            task_id: row.task_id,
            department: DepartmentCode::parse(&row.department)
                .map_err(|_| corrupt("department", &row.department))?,
            role: Role::parse(&row.role).ok_or_else(|| corrupt("role", &row.role))?,
            rule: Rule::parse(&row.rule).map_err(|_| corrupt("rule", &row.rule))?,
            day: row.day,
            deadline: row.deadline,
            channel: row.channel,
            state: OutboxState::parse(&row.state)
                .ok_or_else(|| StoreError::Corrupt(format!("outbox state '{}'", row.state)))?,
            due_at: from_unix(row.due_at)?,
            send_after: from_unix(row.send_after)?,
            attempts: row.attempts,
            last_error: row.last_error,
            finished_at: row.finished_at.map(from_unix).transpose()?,
            digest: row.digest,
        })
    }
}

fn items(rows: Vec<OutboxRow>) -> Result<Vec<OutboxItem>> {
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Splits rows for multi-row statements into chunks of a few fixed sizes (256, 64, 16, 4
/// or 1 rows), so that each statement's SQL is one of a handful that sqlx has prepared and
/// cached, and stays well under SQLite's limit of 32,766 bound values.
pub(super) fn shaped_chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let size = [256, 64, 16, 4, 1].into_iter().find(|size| *size <= rows.len())?;
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// The departments and channels with digest items due: two index ranges (pending by
/// `send_after`, sending by lease), never a scan.
pub(super) const DIGESTS_DUE_SQL: &str = "\
    SELECT department, channel FROM outbox WHERE state = 'pending' AND digest = 1 AND send_after <= ? \
    UNION SELECT department, channel FROM outbox WHERE state = 'sending' AND digest = 1 AND lease_until <= ? \
    ORDER BY department, channel";

impl Store {
    /// Claims up to `limit` items due by `now` for sending until `lease_until`. Items whose
    /// lease ran out (their sender died) are claimed again.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxItem>> {
        let sql = format!(
            "UPDATE outbox SET state = 'sending', lease_until = ?, attempts = attempts + 1 WHERE id IN ( \
               SELECT id FROM outbox WHERE state = 'pending' AND send_after <= ? AND digest = 0 \
               UNION ALL SELECT id FROM outbox WHERE state = 'sending' AND lease_until <= ? AND digest = 0 \
               LIMIT ?) RETURNING {OUTBOX_COLUMNS}"
        );
        let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(to_unix(lease_until))
            .bind(to_unix(now))
            .bind(to_unix(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        items(rows)
    }

    /// The departments and channels with digest items due by `now`.
    pub async fn digests_due(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(DIGESTS_DUE_SQL)
            .bind(to_unix(now))
            .bind(to_unix(now))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Claims every digest item of one department and channel due by `now`, all at once, so
    /// that they go out in one message.
    pub async fn claim_digest(
        &self,
        department: &str,
        channel: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxItem>> {
        let sql = format!(
            "UPDATE outbox SET state = 'sending', lease_until = ?, attempts = attempts + 1 WHERE id IN ( \
               SELECT id FROM outbox WHERE state = 'pending' AND digest = 1 AND send_after <= ? \
                 AND department = ? AND channel = ? \
               UNION ALL SELECT id FROM outbox WHERE state = 'sending' AND digest = 1 AND lease_until <= ? \
                 AND department = ? AND channel = ?) \
             RETURNING {OUTBOX_COLUMNS}"
        );
        let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(to_unix(lease_until))
            .bind(to_unix(now))
            .bind(department)
            .bind(channel)
            .bind(to_unix(now))
            .bind(department)
            .bind(channel)
            .fetch_all(&self.pool)
            .await?;
        let mut items = items(rows)?;
        items.sort_by_key(|item| item.id);
        Ok(items)
    }

    /// Records how each claimed item's attempt ended, in one transaction: the sent ones in a
    /// single statement, every attempt in a multi-row insert.
    pub async fn finish(&self, outcomes: &[(OutboxItem, Outcome)], now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let sent: Vec<i64> = outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Outcome::Sent { .. }))
            .map(|(item, _)| item.id)
            .collect();
        for chunk in shaped_chunks(&sent) {
            let mut update: QueryBuilder<Sqlite> =
                QueryBuilder::new("UPDATE outbox SET state = 'sent', lease_until = NULL, finished_at = ");
            update.push_bind(to_unix(now)).push(" WHERE state = 'sending' AND id IN (");
            let mut ids = update.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            update.push(")");
            update.build().execute(&mut *tx).await?;
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
            sqlx::query(
                "UPDATE outbox SET state = ?, send_after = coalesce(?, send_after), \
                 last_error = coalesce(?, last_error), \
                 lease_until = NULL, finished_at = ?, attempts = attempts - ? WHERE id = ? AND state = 'sending'",
            )
            .bind(state)
            .bind(send_after.map(to_unix_ceil))
            .bind(error)
            .bind(finished)
            .bind(uncounted)
            .bind(item.id)
            .execute(&mut *tx)
            .await?;
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
            .collect();
        for chunk in shaped_chunks(&attempts) {
            let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
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
        Ok(())
    }

    /// Returns every claimed item to pending, for a daemon that holds the store alone and
    /// starts after a crash: what was in flight then goes out again, with the same key.
    pub(super) async fn release_claims(&self) -> Result<u64> {
        let released =
            sqlx::query("UPDATE outbox SET state = 'pending', lease_until = NULL WHERE state = 'sending'")
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(released)
    }

    /// The earliest instant a pending item may be sent, or a lease runs out.
    pub async fn next_outbox_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT min(at) FROM (SELECT min(send_after) AS at FROM outbox WHERE state = 'pending' \
             UNION ALL SELECT min(lease_until) FROM outbox WHERE state = 'sending')",
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

    /// Outbox items in id order, after the id `after` when given.
    pub async fn outbox_page(
        &self,
        state: Option<OutboxState>,
        task: Option<TaskId>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<OutboxItem>> {
        let mut query: QueryBuilder<Sqlite> =
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
        query.push(" ORDER BY id LIMIT ").push_bind(limit);
        items(query.build_query_as().fetch_all(&self.pool).await?)
    }

    /// Sends a dead or cancelled item again, as soon as the window allows.
    pub async fn retry(&self, id: i64, send_after: DateTime<Utc>) -> Result<OutboxState> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM outbox WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let state = state.ok_or(StoreError::NoSuchOutboxItem(id))?;
        let state = OutboxState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox state '{state}'")))?;
        if matches!(state, OutboxState::Dead | OutboxState::Cancelled) {
            sqlx::query(
                "UPDATE outbox SET state = 'pending', attempts = 0, send_after = ?, finished_at = NULL WHERE id = ?",
            )
            .bind(to_unix_ceil(send_after))
            .bind(id)
            .execute(&self.pool)
            .await?;
        }
        Ok(state)
    }

    /// The state of each of these keys that is in the outbox.
    pub async fn outbox_states(&self, keys: &[String]) -> Result<HashMap<String, OutboxState>> {
        let mut states = HashMap::new();
        for chunk in keys.chunks(500) {
            let mut query: QueryBuilder<Sqlite> =
                QueryBuilder::new("SELECT key, state FROM outbox WHERE key IN (");
            let mut list = query.separated(", ");
            for key in chunk {
                list.push_bind(key.clone());
            }
            query.push(")");
            let rows: Vec<(String, String)> = query.build_query_as().fetch_all(&self.pool).await?;
            for (key, state) in rows {
                if let Some(state) = OutboxState::parse(&state) {
                    states.insert(key, state);
                }
            }
        }
        Ok(states)
    }

    /// How many reminders wait, and since when the oldest of them could have gone out.
    pub async fn pending_stats(&self) -> Result<(i64, Option<DateTime<Utc>>)> {
        let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT count(*), min(send_after) FROM outbox WHERE state = 'pending' AND send_after >= 0",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((count, oldest.map(from_unix).transpose()?.filter(|at| *at <= Utc::now())))
    }

    /// Counts of items in each state, for status lines and metrics.
    pub async fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?)
    }
}

/// Cancels a task's pending reminders; part of the caller's transaction.
pub(super) async fn cancel_pending(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    task: TaskId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'cancelled', last_error = ?, finished_at = ? WHERE task_id = ? AND state = 'pending'",
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
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    items: &[&NewOutboxItem],
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in shaped_chunks(items) {
        let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO outbox (key, kind, task_id, department, role, rule, day, deadline, channel, due_at, \
             send_after, created_at, digest) ",
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
                .push_bind(item.digest);
        });
        insert.push(" ON CONFLICT (key) DO NOTHING");
        inserted += insert.build().execute(&mut **tx).await?.rows_affected();
    }
    Ok(inserted)
}

impl Store {
    /// Enqueues messages that belong to no task's plan (the weekly summary); a key already
    /// present is left as it is. Returns how many were new.
    pub async fn enqueue(&self, items: &[NewOutboxItem], now: DateTime<Utc>) -> Result<u64> {
        let items: Vec<&NewOutboxItem> = items.iter().collect();
        let mut tx = self.begin_write().await?;
        let inserted = insert_items(&mut tx, &items, now).await?;
        tx.commit().await?;
        Ok(inserted)
    }
}
