//! Extension requests (`đề nghị gia hạn`): a department asks for a later deadline, the
//! supervising office approves (the task is extended in the same transaction) or refuses;
//! each step with its notice, in the task's history.

use chrono::{DateTime, NaiveDate, Utc};

use super::notices::insert_notice;
use super::tasks::{deadline_and_status, insert_event};
use super::{Backend, Db};
use crate::domain::{DepartmentCode, TaskId};
use crate::outbox::NewNotice;
use crate::store::records::{ExtensionDecision, ExtensionRequest, ExtensionState, NewExtensionRequest};
use crate::store::{Result, StoreError, from_unix, to_unix};

const COLUMNS: &str = "id, task_id, department, deadline, requested_to, reason, requested_by, state, decided_by, \
                       decision_note, created_at, decided_at";

type Row = (
    i64,
    i64,
    String,
    Option<NaiveDate>,
    NaiveDate,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);

fn request(row: Row) -> Result<ExtensionRequest> {
    let (
        id,
        task_id,
        department,
        deadline,
        requested_to,
        reason,
        requested_by,
        state,
        decided_by,
        note,
        at,
        decided,
    ) = row;
    Ok(ExtensionRequest {
        id,
        task_id: TaskId(task_id),
        department: DepartmentCode::parse(&department)
            .map_err(|_| StoreError::Corrupt(format!("extension request department '{department}'")))?,
        deadline,
        requested_to,
        reason,
        requested_by,
        state: ExtensionState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("extension request state '{state}'")))?,
        decided_by,
        decision_note: note,
        created_at: from_unix(at)?,
        decided_at: decided.map(from_unix).transpose()?,
    })
}

async fn read(tx: &mut sqlx::Transaction<'_, Db>, id: i64) -> Result<ExtensionRequest> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM extension_requests WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    request(row.ok_or(StoreError::NoSuchExtensionRequest(id))?)
}

impl Backend {
    /// Records a request against the task's deadline as it is, with the notice that
    /// `notice` makes of the request's id; a pending request of the same department for
    /// the task is replaced (withdrawn).
    pub async fn request_extension(
        &self,
        new: &NewExtensionRequest,
        notice: &(dyn Fn(i64) -> NewNotice + Send + Sync),
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let (deadline, status) = deadline_and_status(&mut tx, new.task_id).await?;
        if status != "open" {
            return Err(StoreError::TaskDone(new.task_id.0));
        }
        if deadline != new.deadline {
            return Err(StoreError::Changed(new.task_id.0));
        }
        sqlx::query(
            "UPDATE extension_requests SET state = 'withdrawn', decided_at = $1, decision_note = 'thay bằng đề nghị mới' \
             WHERE task_id = $2 AND department = $3 AND state = 'pending'",
        )
        .bind(to_unix(now))
        .bind(new.task_id.0)
        .bind(new.department.as_str())
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO extension_requests (task_id, department, deadline, requested_to, reason, requested_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.task_id.0)
        .bind(new.department.as_str())
        .bind(new.deadline)
        .bind(new.requested_to)
        .bind(&new.reason)
        .bind(actor)
        .bind(to_unix(now))
        .fetch_one(&mut *tx)
        .await?;
        let detail = format!("{} đề nghị gia hạn đến {}: {}", new.department, new.requested_to, new.reason);
        insert_event(&mut tx, new.task_id.0, now, "extension_requested", Some(&detail), actor).await?;
        insert_notice(&mut tx, &notice(id), now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Decides a pending request: approving extends the task as `task extend` does.
    /// A request whose task was done or extended meanwhile is withdrawn, not decided.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_extension(
        &self,
        id: i64,
        decision: &ExtensionDecision,
        note: Option<&str>,
        notice: &(dyn Fn(&ExtensionRequest) -> NewNotice + Send + Sync),
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ExtensionRequest> {
        let mut tx = self.begin_write().await?;
        let request = read(&mut tx, id).await?;
        if request.state != ExtensionState::Pending {
            return Err(StoreError::ExtensionDecided { id, state: request.state.as_str() });
        }
        let (deadline, status) = deadline_and_status(&mut tx, request.task_id).await?;
        let outlived = if status != "open" {
            Some("nhiệm vụ đã hoàn thành")
        } else if deadline != request.deadline {
            Some("thời hạn đã được điều chỉnh")
        } else {
            None
        };
        if let Some(why) = outlived {
            sqlx::query(
                "UPDATE extension_requests SET state = 'withdrawn', decided_at = $1, decision_note = $2 \
                 WHERE id = $3 AND state = 'pending'",
            )
            .bind(to_unix(now))
            .bind(why)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Err(StoreError::ExtensionDecided { id, state: "withdrawn" });
        }
        let state = match decision {
            ExtensionDecision::Approve { .. } => "approved",
            ExtensionDecision::Refuse => "refused",
        };
        // Decided here, once: a decision made meanwhile (by another daemon, or another of
        // the office) leaves nothing to update, and this one is refused, undone.
        let claimed = sqlx::query(
            "UPDATE extension_requests SET state = $1, decided_by = $2, decision_note = $3, decided_at = $4 \
             WHERE id = $5 AND state = 'pending'",
        )
        .bind(state)
        .bind(actor)
        .bind(note)
        .bind(to_unix(now))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            let current: Option<String> =
                sqlx::query_scalar("SELECT state FROM extension_requests WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let current =
                current.as_deref().and_then(ExtensionState::parse).unwrap_or(ExtensionState::Withdrawn);
            return Err(StoreError::ExtensionDecided { id, state: current.as_str() });
        }
        let kind = match decision {
            ExtensionDecision::Approve { deadline, next_reminder_at } => {
                let reason =
                    format!("{} (đề nghị của {}, {} duyệt)", request.reason, request.department, actor);
                super::tasks::extend_in(
                    &mut tx,
                    request.task_id,
                    deadline,
                    &reason,
                    *next_reminder_at,
                    actor,
                    now,
                )
                .await?;
                "extension_approved"
            }
            ExtensionDecision::Refuse => "extension_refused",
        };
        let decided = read(&mut tx, id).await?;
        let detail = match (decision, note) {
            (ExtensionDecision::Approve { .. }, _) => format!("đồng ý gia hạn đến {}", request.requested_to),
            (ExtensionDecision::Refuse, Some(note)) => format!("không đồng ý gia hạn: {note}"),
            (ExtensionDecision::Refuse, None) => "không đồng ý gia hạn".to_owned(),
        };
        insert_event(&mut tx, request.task_id.0, now, kind, Some(&detail), actor).await?;
        insert_notice(&mut tx, &notice(&decided), now).await?;
        tx.commit().await?;
        Ok(decided)
    }

    pub async fn extension_request(&self, id: i64) -> Result<ExtensionRequest> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM extension_requests WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        request(row.ok_or(StoreError::NoSuchExtensionRequest(id))?)
    }

    /// Pending requests, oldest first, at most `limit`.
    pub async fn pending_extensions(&self, limit: u32) -> Result<Vec<ExtensionRequest>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM extension_requests WHERE state = 'pending' ORDER BY created_at, id LIMIT $1"
        )))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(request).collect()
    }

    /// A task's requests, newest first.
    pub async fn task_extensions(&self, task: TaskId) -> Result<Vec<ExtensionRequest>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM extension_requests WHERE task_id = $1 ORDER BY id DESC"
        )))
        .bind(task.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(request).collect()
    }
}
