//! Acknowledgements ("Đã nhận"): which kinds of reminder a department stopped for a task
//! and deadline; and the acknowledge links that have acted, so that none acts twice.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::tasks::insert_event;
use super::{Backend, Db};
use crate::domain::{Acknowledgement, DepartmentCode, RuleKind, TaskId};
use crate::store::records::{LinkUse, LinkUseError};
use crate::store::rows::push_list;
use crate::store::{Result, StoreError, to_unix};

/// The outbox rules of a kind, as a LIKE pattern.
fn rule_pattern(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::DueSoon => "before:%",
        RuleKind::Due => "due",
        RuleKind::Overdue => "overdue",
        RuleKind::Escalation => "escalate",
        RuleKind::Summary => "summary",
        RuleKind::Notice => "notice",
    }
}

impl Backend {
    pub async fn acknowledge(
        &self,
        acknowledgement: &Acknowledgement,
        link: Option<&LinkUse<'_>>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LinkUseError> {
        let mut tx = self.begin_write().await.map_err(StoreError::from)?;
        open_with_deadline(&mut tx, acknowledgement.task, acknowledgement.deadline, None).await?;
        if let Some(link) = link {
            use_link(&mut tx, acknowledgement.task, link, now).await?;
        }
        let new = sqlx::query(
            "INSERT INTO acknowledgements (task_id, department, rule_kind, deadline, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(acknowledgement.task.0)
        .bind(acknowledgement.department.as_str())
        .bind(acknowledgement.rule_kind.name())
        .bind(acknowledgement.deadline)
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?
        .rows_affected()
            > 0;
        sqlx::query(
            "UPDATE outbox SET state = 'cancelled', last_error = 'acknowledged', finished_at = $1 \
             WHERE task_id = $2 AND department = $3 AND rule LIKE $4 AND deadline = $5 AND state = 'pending'",
        )
        .bind(to_unix(now))
        .bind(acknowledgement.task.0)
        .bind(acknowledgement.department.as_str())
        .bind(rule_pattern(acknowledgement.rule_kind))
        .bind(acknowledgement.deadline)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let detail = format!(
            "{} đã nhận nhắc việc ({}, hạn {})",
            acknowledgement.department,
            acknowledgement.rule_kind.vietnamese(),
            acknowledgement.deadline
        );
        // Acknowledged once already (another link, the same kind): nothing new to record.
        if new {
            insert_event(&mut tx, acknowledgement.task.0, now, "acknowledged", Some(&detail), actor).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn mark_done_by_link(
        &self,
        id: TaskId,
        deadline: NaiveDate,
        on: NaiveDate,
        note: Option<&str>,
        link: &LinkUse<'_>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, LinkUseError> {
        let mut tx = self.begin_write().await.map_err(StoreError::from)?;
        // Only the lead reports the task done: checked here too, against a lead changed
        // since the link was checked.
        match open_with_deadline(&mut tx, id, deadline, Some(link.department)).await {
            Err(LinkUseError::Store(StoreError::TaskDone(_))) => return Ok(false),
            other => other?,
        }
        use_link(&mut tx, id, link, now).await?;
        super::tasks::mark_done_in(&mut tx, id, on, note, actor, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(true)
    }

    pub async fn link_used(&self, signature: &str) -> Result<bool> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT signature FROM used_links WHERE signature = $1")
                .bind(signature)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    pub async fn acknowledgements(&self, tasks: &[TaskId]) -> Result<HashSet<Acknowledgement>> {
        let mut connection = self.pool.acquire().await?;
        read_acknowledgements(&mut connection, tasks).await
    }
}

/// Checks, inside the transaction, that the task is open, still due on `deadline`, and led
/// by `lead` when given.
async fn open_with_deadline(
    tx: &mut sqlx::Transaction<'_, Db>,
    task: TaskId,
    deadline: NaiveDate,
    lead: Option<&str>,
) -> Result<(), LinkUseError> {
    let found: Option<(String, Option<NaiveDate>, String)> =
        sqlx::query_as("SELECT status, deadline, lead FROM tasks WHERE id = $1")
            .bind(task.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(StoreError::from)?;
    match found {
        None => Err(StoreError::NoSuchTask(task.0).into()),
        Some((status, _, _)) if status != "open" => Err(StoreError::TaskDone(task.0).into()),
        Some((_, current, _)) if current != Some(deadline) => Err(LinkUseError::DeadlineChanged),
        Some((_, _, current)) if lead.is_some_and(|lead| lead != current) => Err(LinkUseError::NotLead),
        Some(_) => Ok(()),
    }
}

async fn use_link(
    tx: &mut sqlx::Transaction<'_, Db>,
    task: TaskId,
    link: &LinkUse<'_>,
    now: DateTime<Utc>,
) -> Result<(), LinkUseError> {
    let inserted = sqlx::query(
        "INSERT INTO used_links (signature, task_id, department, action, used_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(link.signature)
    .bind(task.0)
    .bind(link.department)
    .bind(link.action)
    .bind(to_unix(now))
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .rows_affected();
    if inserted == 0 {
        return Err(LinkUseError::AlreadyUsed);
    }
    Ok(())
}

/// The acknowledgements of `tasks`, read on `connection` (a transaction's, to read them
/// with the tasks they belong to).
pub(super) async fn read_acknowledgements(
    connection: &mut <Db as sqlx::Database>::Connection,
    tasks: &[TaskId],
) -> Result<HashSet<Acknowledgement>> {
    let mut found = HashSet::new();
    for chunk in tasks.chunks(500) {
        let mut query = sqlx::QueryBuilder::<Db>::new(
            "SELECT task_id, department, rule_kind, deadline FROM acknowledgements WHERE task_id IN (",
        );
        push_list(&mut query, chunk.iter().map(|task| task.0));
        let rows: Vec<(i64, String, String, NaiveDate)> =
            query.build_query_as().fetch_all(&mut *connection).await?;
        found.extend(rows.into_iter().filter_map(|(task, department, kind, deadline)| {
            Some(Acknowledgement {
                task: TaskId(task),
                department: DepartmentCode::parse(&department).ok()?,
                rule_kind: RuleKind::parse(&kind)?,
                deadline,
            })
        }));
    }
    Ok(found)
}
