//! Directives, tasks and the tasks' history.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder};

use super::{Backend, Db};
use crate::domain::{
    Deadline, DepartmentCode, Directive, DirectiveId, NewDirective, NewTask, Role, TaskId, TaskText,
};
use crate::store::records::{KeyedRequest, TaskEvent, TaskFilter, TaskRecord};
use crate::store::rows::{DirectiveRow, TASK_COLUMNS, TaskRow, push_list, record};
use crate::store::{Result, StoreError, from_unix, to_unix};

impl Backend {
    pub async fn add_directive(
        &self,
        directive: &NewDirective,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(DirectiveId, Vec<TaskId>)> {
        self.add_directive_keyed(directive, None, actor, now).await
    }

    pub async fn add_directive_keyed(
        &self,
        directive: &NewDirective,
        keyed: Option<&KeyedRequest>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(DirectiveId, Vec<TaskId>)> {
        let mut tx = self.begin_write().await?;
        let (directive_id, task_ids) = insert_directive(&mut tx, directive, actor, now).await?;
        if let Some(keyed) = keyed {
            super::requests::record(&mut tx, keyed, &format!("/api/v1/directives/{}", directive_id.0), now)
                .await?;
        }
        tx.commit().await?;
        Ok((directive_id, task_ids))
    }

    pub async fn directive_by_source_hash(&self, hash: &str) -> Result<Option<DirectiveId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM directives WHERE source_hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(id.map(DirectiveId))
    }

    pub async fn add_task(
        &self,
        directive: DirectiveId,
        task: &NewTask,
        keyed: Option<&KeyedRequest>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<TaskId> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM directives WHERE id = $1")
            .bind(directive.0)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NoSuchDirective(directive.0));
        }
        let id = insert_task(&mut tx, directive, task, actor, now).await?;
        if let Some(keyed) = keyed {
            super::requests::record(&mut tx, keyed, &format!("/api/v1/tasks/{}", id.0), now).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn update_task(
        &self,
        id: TaskId,
        task: &TaskText,
        deadline: Option<NaiveDate>,
        moves: &[(DepartmentCode, Role)],
        keep: &[(DepartmentCode, Role)],
        next_reminder_at: Option<DateTime<Utc>>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE tasks SET section = $1, summary = $2, details = $3, lead = $4, coordinating = $5, \
             planned_until = NULL, next_reminder_at = $6, revision = revision + 1 \
             WHERE id = $7 AND status = 'open' AND deadline IS NOT DISTINCT FROM $8",
        )
        .bind(&task.section)
        .bind(&task.summary)
        .bind(&task.details)
        .bind(task.lead.as_str())
        .bind(task.coordinating.iter().map(DepartmentCode::as_str).collect::<Vec<_>>().join(","))
        .bind(next_reminder_at.map(to_unix))
        .bind(id.0)
        .bind(deadline)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(match task_status(&mut tx, id).await?.as_deref() {
                Some("open") => StoreError::Changed(id.0),
                Some(_) => StoreError::TaskDone(id.0),
                None => StoreError::NoSuchTask(id.0),
            });
        }
        sqlx::query("DELETE FROM task_coordinators WHERE task_id = $1").bind(id.0).execute(&mut *tx).await?;
        insert_coordinators(&mut tx, id.0, &task.coordinating).await?;
        for (department, role) in moves {
            sqlx::query(
                "UPDATE outbox SET role = $1 WHERE state = 'pending' AND task_id = $2 AND department = $3 \
                 AND role IN ('lead', 'coordinating')",
            )
            .bind(role.as_str())
            .bind(id.0)
            .bind(department.as_str())
            .execute(&mut *tx)
            .await?;
        }
        let mut cancel = QueryBuilder::<Db>::new(
            "UPDATE outbox SET state = 'cancelled', last_error = 'no longer on the task', finished_at = ",
        );
        cancel.push_bind(to_unix(now)).push(" WHERE state = 'pending' AND task_id = ").push_bind(id.0);
        cancel.push(" AND NOT (FALSE");
        for (department, role) in keep {
            cancel.push(" OR (department = ").push_bind(department.as_str());
            cancel.push(" AND role = ").push_bind(role.as_str()).push(")");
        }
        cancel.push(")");
        cancel.build().execute(&mut *tx).await?;
        insert_event(&mut tx, id.0, now, "updated", None, actor).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn directives(&self) -> Result<Vec<(Directive, i64)>> {
        let rows: Vec<(i64, Option<String>, String, String, NaiveDate, i64)> = sqlx::query_as(
            "SELECT d.id, d.number, d.title, d.issuer, d.issued_on, \
             (SELECT count(*) FROM tasks t WHERE t.directive_id = d.id) FROM directives d ORDER BY d.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, number, title, issuer, issued_on, tasks)| {
                (DirectiveRow { id, number, title, issuer, issued_on }.into(), tasks)
            })
            .collect())
    }

    /// The `limit` directives issued last, newest first, without their tasks' count.
    pub async fn recent_directives(&self, limit: u32) -> Result<Vec<Directive>> {
        let rows: Vec<(i64, Option<String>, String, String, NaiveDate)> = sqlx::query_as(
            "SELECT id, number, title, issuer, issued_on FROM directives ORDER BY issued_on DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, number, title, issuer, issued_on)| {
                DirectiveRow { id, number, title, issuer, issued_on }.into()
            })
            .collect())
    }

    pub async fn directive(&self, id: DirectiveId) -> Result<Option<Directive>> {
        let row: Option<DirectiveRow> =
            sqlx::query_as("SELECT id, number, title, issuer, issued_on FROM directives WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Into::into))
    }

    pub async fn update_directive(
        &self,
        id: DirectiveId,
        number: Option<&str>,
        title: &str,
        issuer: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE directives SET number = $1, title = $2, issuer = $3 WHERE id = $4")
            .bind(number)
            .bind(title)
            .bind(issuer)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NoSuchDirective(id.0));
        }
        let detail =
            format!("văn bản: {}{title} ({issuer})", number.map(|n| format!("số {n}, ")).unwrap_or_default());
        sqlx::query(
            "INSERT INTO task_events (task_id, at, kind, detail, actor) \
             SELECT id, $1, 'directive_updated', $2, $3 FROM tasks WHERE directive_id = $4",
        )
        .bind(to_unix(now))
        .bind(&detail)
        .bind(actor)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn task(&self, id: TaskId) -> Result<TaskRecord> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM tasks t WHERE t.id = $1");
        let row: Option<TaskRow> =
            sqlx::query_as(AssertSqlSafe(sql)).bind(id.0).fetch_optional(&self.pool).await?;
        record(row.ok_or(StoreError::NoSuchTask(id.0))?)
    }

    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>> {
        let mut query: QueryBuilder<Db> =
            QueryBuilder::new(format!("SELECT {TASK_COLUMNS} FROM tasks t WHERE 1 = 1"));
        if let Some(department) = &filter.department {
            query
                .push(" AND (t.lead = ")
                .push_bind(department.as_str().to_owned())
                .push(" OR EXISTS (SELECT 1 FROM task_coordinators c WHERE c.task_id = t.id AND c.department = ")
                .push_bind(department.as_str().to_owned())
                .push("))");
        }
        if let Some(date) = filter.overdue_on {
            query.push(" AND t.status = 'open' AND t.deadline < ").push_bind(date);
        }
        if let Some(date) = filter.due_before {
            query.push(" AND t.deadline <= ").push_bind(date);
        }
        if let Some(directive) = filter.directive {
            query.push(" AND t.directive_id = ").push_bind(directive.0);
        }
        if let Some(status) = filter.status {
            query.push(" AND t.status = ").push_bind(status.as_str());
        }
        if let Some(after) = filter.after {
            query.push(" AND t.id > ").push_bind(after.0);
        }
        query.push(" ORDER BY t.id");
        if let Some(limit) = filter.limit {
            query.push(" LIMIT ").push_bind(i64::from(limit));
        }
        let rows: Vec<TaskRow> = query.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(record).collect()
    }

    pub async fn tasks_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, TaskRecord>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut query: QueryBuilder<Db> =
                QueryBuilder::new(format!("SELECT {TASK_COLUMNS} FROM tasks t WHERE t.id IN ("));
            push_list(&mut query, chunk.iter().copied());
            let rows: Vec<TaskRow> = query.build_query_as().fetch_all(&self.pool).await?;
            for row in rows {
                let record = record(row)?;
                found.insert(record.task.id.0, record);
            }
        }
        Ok(found)
    }

    pub async fn directives_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Directive>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut query: QueryBuilder<Db> = QueryBuilder::new(
                "SELECT id, number, title, issuer, issued_on FROM directives WHERE id IN (",
            );
            push_list(&mut query, chunk.iter().copied());
            let rows: Vec<DirectiveRow> = query.build_query_as().fetch_all(&self.pool).await?;
            for row in rows {
                found.insert(row.id, row.into());
            }
        }
        Ok(found)
    }

    pub async fn due_tasks(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<TaskRecord>> {
        let rows: Vec<TaskRow> = sqlx::query_as(AssertSqlSafe(due_tasks_sql()))
            .bind(to_unix(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(record).collect()
    }

    pub async fn next_task_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT min(next_reminder_at) FROM tasks WHERE status = 'open' AND next_reminder_at IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        next.map(from_unix).transpose()
    }

    pub async fn open_tasks_page(&self, after: TaskId, limit: u32) -> Result<Vec<TaskRecord>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks t WHERE t.status = 'open' AND t.deadline IS NOT NULL AND t.id > $1 \
             ORDER BY t.id LIMIT $2"
        );
        let rows: Vec<TaskRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(after.0)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(record).collect()
    }

    pub async fn tasks_page(&self, after: TaskId, limit: u32) -> Result<Vec<TaskRecord>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM tasks t WHERE t.id > $1 ORDER BY t.id LIMIT $2");
        let rows: Vec<TaskRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(after.0)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(record).collect()
    }

    pub async fn plan_afresh(&self, leads: &[String], now: DateTime<Utc>) -> Result<u64> {
        let mut query = QueryBuilder::<Db>::new("UPDATE tasks SET planned_until = NULL, next_reminder_at = ");
        query.push_bind(to_unix(now)).push(", revision = revision + 1 WHERE status = 'open' AND lead IN (");
        push_list(&mut query, leads.iter().map(String::as_str));
        Ok(query.build().execute(&self.pool).await?.rows_affected())
    }

    pub async fn set_next_reminders(&self, updates: &[(TaskId, i64, Option<DateTime<Utc>>)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (task, revision, next) in updates {
            sqlx::query(
                "UPDATE tasks SET next_reminder_at = $1 WHERE id = $2 AND status = 'open' AND revision = $3",
            )
            .bind(next.map(to_unix))
            .bind(task.0)
            .bind(revision)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn mark_done(
        &self,
        id: TaskId,
        on: NaiveDate,
        note: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let changed = mark_done_in(&mut tx, id, on, note, actor, now).await?;
        if changed {
            tx.commit().await?;
        }
        Ok(changed)
    }

    pub async fn extend(
        &self,
        id: TaskId,
        deadline: &Deadline,
        reason: &str,
        next_reminder_at: Option<DateTime<Utc>>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        extend_in(&mut tx, id, deadline, reason, next_reminder_at, actor, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn task_events(&self, id: TaskId) -> Result<Vec<TaskEvent>> {
        let rows: Vec<(i64, String, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT at, kind, detail, actor FROM task_events WHERE task_id = $1 ORDER BY id")
                .bind(id.0)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(at, kind, detail, actor)| Ok(TaskEvent { at: from_unix(at)?, kind, detail, actor }))
            .collect()
    }
}

/// The query of `due_tasks`: the partial index `tasks_due` gives the rows in order.
pub(in crate::store) fn due_tasks_sql() -> String {
    format!(
        "SELECT {TASK_COLUMNS} FROM tasks t WHERE t.status = 'open' AND t.next_reminder_at IS NOT NULL \
         AND t.next_reminder_at <= $1 ORDER BY t.next_reminder_at LIMIT $2"
    )
}

/// A task's deadline and status, read inside a transaction.
pub(super) async fn deadline_and_status(
    tx: &mut sqlx::Transaction<'_, Db>,
    id: TaskId,
) -> Result<(Option<NaiveDate>, String)> {
    let found: Option<(Option<NaiveDate>, String)> =
        sqlx::query_as("SELECT deadline, status FROM tasks WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?;
    found.ok_or(StoreError::NoSuchTask(id.0))
}

/// Moves an open task's deadline inside a transaction: what waits for the old one is
/// cancelled, the task is planned afresh from `next_reminder_at`.
pub(super) async fn extend_in(
    tx: &mut sqlx::Transaction<'_, Db>,
    id: TaskId,
    deadline: &Deadline,
    reason: &str,
    next_reminder_at: Option<DateTime<Utc>>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let (old, status) = deadline_and_status(tx, id).await?;
    if status != "open" {
        return Err(StoreError::TaskDone(id.0));
    }
    sqlx::query(
        "UPDATE tasks SET deadline = $1, deadline_precision = $2, deadline_phrase = $3, planned_until = NULL, \
         revision = revision + 1, \
         next_reminder_at = $4 WHERE id = $5",
    )
    .bind(deadline.date)
    .bind(deadline.precision.as_str())
    .bind(&deadline.phrase)
    .bind(next_reminder_at.map(to_unix))
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    super::outbox::cancel_pending(tx, id, "deadline extended", now).await?;
    let from = old.map_or_else(|| "không có hạn".to_owned(), |d| d.to_string());
    let detail = format!("gia hạn từ {from} đến {}: {reason}", deadline.date);
    insert_event(tx, id.0, now, "extended", Some(&detail), actor).await
}

/// Inserts a directive and its tasks inside a transaction.
pub(super) async fn insert_directive(
    tx: &mut sqlx::Transaction<'_, Db>,
    directive: &NewDirective,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(DirectiveId, Vec<TaskId>)> {
    let directive_id: i64 = sqlx::query_scalar(
        "INSERT INTO directives (number, title, issuer, issued_on, source, source_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&directive.number)
    .bind(&directive.title)
    .bind(&directive.issuer)
    .bind(directive.issued_on)
    .bind(&directive.source)
    .bind(&directive.source_hash)
    .bind(to_unix(now))
    .fetch_one(&mut **tx)
    .await?;
    let mut task_ids = Vec::with_capacity(directive.tasks.len());
    for task in &directive.tasks {
        task_ids.push(insert_task(tx, DirectiveId(directive_id), task, actor, now).await?);
    }
    Ok((DirectiveId(directive_id), task_ids))
}

pub(super) async fn insert_task(
    tx: &mut sqlx::Transaction<'_, Db>,
    directive: DirectiveId,
    task: &NewTask,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TaskId> {
    let deadline = task.deadline.as_ref();
    let task_id: i64 = sqlx::query_scalar(
        "INSERT INTO tasks (directive_id, section, summary, details, lead, deadline, deadline_precision, \
         deadline_phrase, created_at, next_reminder_at, coordinating, recurrence) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(directive.0)
    .bind(&task.section)
    .bind(&task.summary)
    .bind(&task.details)
    .bind(task.lead.as_str())
    .bind(deadline.map(|d| d.date))
    .bind(deadline.map(|d| d.precision.as_str()))
    .bind(deadline.and_then(|d| d.phrase.clone()))
    .bind(to_unix(now))
    .bind(task.next_reminder_at.map(to_unix))
    .bind(task.coordinating.iter().map(DepartmentCode::as_str).collect::<Vec<_>>().join(","))
    .bind(
        task.recurrence
            .map(|r| serde_json::to_string(&r))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    )
    .fetch_one(&mut **tx)
    .await?;
    insert_coordinators(tx, task_id, &task.coordinating).await?;
    let detail = [deadline.map(|d| format!("hạn {}", d.date)), task.origin.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    let detail = (!detail.is_empty()).then(|| detail.join("; "));
    insert_event(tx, task_id, now, "created", detail.as_deref(), actor).await?;
    Ok(TaskId(task_id))
}

async fn insert_coordinators(
    tx: &mut sqlx::Transaction<'_, Db>,
    task_id: i64,
    coordinating: &[DepartmentCode],
) -> Result<()> {
    for (position, department) in coordinating.iter().enumerate() {
        sqlx::query("INSERT INTO task_coordinators (task_id, position, department) VALUES ($1, $2, $3)")
            .bind(task_id)
            .bind(position as i64)
            .bind(department.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// `mark_done` inside a transaction; false when the task was already done.
pub(super) async fn mark_done_in(
    tx: &mut sqlx::Transaction<'_, Db>,
    id: TaskId,
    on: NaiveDate,
    note: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let current: Option<(Option<String>, Option<NaiveDate>)> =
        sqlx::query_as("SELECT recurrence, deadline FROM tasks WHERE id = $1 AND status = 'open'")
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((Some(recurrence), Some(deadline))) = current {
        let recurrence = crate::store::rows::recurrence(Some(&recurrence))?;
        if let Some(next) = recurrence.and_then(|r| r.next_after(deadline)) {
            return next_occurrence(tx, id, deadline, next, on, note, actor, now).await;
        }
    }
    let changed = sqlx::query(
        "UPDATE tasks SET status = 'done', done_on = $1, next_reminder_at = NULL WHERE id = $2 AND status = 'open'",
    )
    .bind(on)
    .bind(id.0)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return match task_status(tx, id).await? {
            Some(_) => Ok(false),
            None => Err(StoreError::NoSuchTask(id.0)),
        };
    }
    super::outbox::cancel_pending(tx, id, "task done", now).await?;
    let detail = match note {
        Some(note) => format!("hoàn thành ngày {on}: {note}"),
        None => format!("hoàn thành ngày {on}"),
    };
    insert_event(tx, id.0, now, "done", Some(&detail), actor).await?;
    Ok(true)
}

/// An occurrence of a recurring task done: the task moves to its next occurrence, what was
/// pending for the one done is cancelled, and the next is planned at once (its newest
/// reminder already due goes out).
#[allow(clippy::too_many_arguments)]
async fn next_occurrence(
    tx: &mut sqlx::Transaction<'_, Db>,
    id: TaskId,
    done: NaiveDate,
    next: NaiveDate,
    on: NaiveDate,
    note: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    sqlx::query(
        "UPDATE tasks SET deadline = $1, deadline_precision = 'day', planned_until = NULL, \
         revision = revision + 1, next_reminder_at = $2 WHERE id = $3",
    )
    .bind(next)
    .bind(to_unix(now))
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    super::outbox::cancel_pending(tx, id, "occurrence done", now).await?;
    let detail = match note {
        Some(note) => format!("kỳ hạn {done} hoàn thành ngày {on}: {note}; kỳ tiếp theo hạn {next}"),
        None => format!("kỳ hạn {done} hoàn thành ngày {on}; kỳ tiếp theo hạn {next}"),
    };
    insert_event(tx, id.0, now, "done", Some(&detail), actor).await?;
    Ok(true)
}

/// A task's status, `None` when there is no such task.
pub(super) async fn task_status(tx: &mut sqlx::Transaction<'_, Db>, id: TaskId) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT status FROM tasks WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?)
}

pub(super) async fn insert_event(
    tx: &mut sqlx::Transaction<'_, Db>,
    task_id: i64,
    at: DateTime<Utc>,
    kind: &str,
    detail: Option<&str>,
    actor: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO task_events (task_id, at, kind, detail, actor) VALUES ($1, $2, $3, $4, $5)")
        .bind(task_id)
        .bind(to_unix(at))
        .bind(kind)
        .bind(detail)
        .bind(actor)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
