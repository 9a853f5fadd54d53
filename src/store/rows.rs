//! Rows as the engines return them, and their conversion into domain values; the shapes
//! of multi-row statements. The same for every engine.

use chrono::NaiveDate;

use super::records::{DraftRecord, DraftState, ItemOutcome, SourceItem, TaskRecord};
use super::{Result, StoreError, from_unix};
use crate::domain::{
    Deadline, DepartmentCode, Directive, DirectiveId, Precision, Recurrence, Role, Rule, Task, TaskId,
    TaskStatus,
};
use crate::outbox::{ItemKind, OutboxItem, OutboxState};

#[derive(sqlx::FromRow)]
pub(super) struct DirectiveRow {
    pub id: i64,
    pub number: Option<String>,
    pub title: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
}

impl From<DirectiveRow> for Directive {
    fn from(row: DirectiveRow) -> Self {
        Directive {
            id: DirectiveId(row.id),
            number: row.number,
            title: row.title,
            issuer: row.issuer,
            issued_on: row.issued_on,
        }
    }
}

/// The columns every task query selects, in this order.
pub(super) const TASK_COLUMNS: &str = "t.id, t.directive_id, t.section, t.summary, t.details, t.lead, \
     t.deadline, t.deadline_precision, t.deadline_phrase, t.status, t.done_on, t.created_at, \
     t.planned_until, t.next_reminder_at, t.coordinating, t.revision, t.recurrence";

#[derive(sqlx::FromRow)]
pub(super) struct TaskRow {
    pub id: i64,
    pub directive_id: i64,
    pub section: Option<String>,
    pub summary: String,
    pub details: Option<String>,
    pub lead: String,
    pub deadline: Option<NaiveDate>,
    pub deadline_precision: Option<String>,
    pub deadline_phrase: Option<String>,
    pub status: String,
    pub done_on: Option<NaiveDate>,
    pub created_at: i64,
    pub planned_until: Option<i64>,
    pub next_reminder_at: Option<i64>,
    pub coordinating: Option<String>,
    pub revision: i64,
    pub recurrence: Option<String>,
}

/// A task's recurrence as stored (JSON).
pub(super) fn recurrence(text: Option<&str>) -> Result<Option<Recurrence>> {
    text.map(|text| {
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("recurrence {text}: {e}")))
    })
    .transpose()
}

fn code(text: &str) -> Result<DepartmentCode> {
    DepartmentCode::parse(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl TaskRow {
    /// The task, with its planning marks and revision.
    pub fn into_task(self) -> Result<(Task, Option<i64>, Option<i64>, i64)> {
        let deadline = match (self.deadline, self.deadline_precision.as_deref()) {
            (Some(date), precision) => Some(Deadline {
                date,
                precision: precision.and_then(Precision::parse).unwrap_or(Precision::Day),
                phrase: self.deadline_phrase,
            }),
            (None, _) => None,
        };
        let coordinating = match self.coordinating.as_deref() {
            Some(list) if !list.is_empty() => list.split(',').map(code).collect::<Result<Vec<_>>>()?,
            _ => Vec::new(),
        };
        let task = Task {
            id: TaskId(self.id),
            directive_id: DirectiveId(self.directive_id),
            section: self.section,
            summary: self.summary,
            details: self.details,
            lead: code(&self.lead)?,
            coordinating,
            deadline,
            recurrence: recurrence(self.recurrence.as_deref())?,
            status: TaskStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("task status '{}'", self.status)))?,
            done_on: self.done_on,
            created_at: from_unix(self.created_at)?,
        };
        Ok((task, self.planned_until, self.next_reminder_at, self.revision))
    }
}
pub(super) fn record(row: TaskRow) -> Result<TaskRecord> {
    let (task, planned_until, next_reminder_at, revision) = row.into_task()?;
    Ok(TaskRecord {
        task,
        planned_until: planned_until.map(from_unix).transpose()?,
        next_reminder_at: next_reminder_at.map(from_unix).transpose()?,
        revision,
    })
}

pub(super) type ItemRow = (
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

pub(super) const ITEM_COLUMNS: &str = "external_id, content_hash, label, outcome, directive_id, draft_id, task_id, directive_key, content, error, removed_at";

pub(super) fn source_item(row: ItemRow) -> Result<SourceItem> {
    let (
        external_id,
        content_hash,
        label,
        outcome,
        directive,
        draft,
        task,
        directive_key,
        content,
        error,
        removed,
    ) = row;
    Ok(SourceItem {
        external_id,
        content_hash,
        label,
        outcome: ItemOutcome::parse(&outcome)?,
        directive: directive.map(DirectiveId),
        draft,
        task: task.map(TaskId),
        directive_key,
        content,
        error,
        removed: removed.is_some(),
    })
}

pub(super) type DraftRow =
    (i64, String, String, Option<i64>, String, String, i64, Option<i64>, Option<String>, Option<String>);

pub(super) const DRAFT_COLUMNS: &str =
    "id, source, label, directive_id, content, state, created_at, decided_at, decided_by, reason";

pub(super) fn draft_record(row: DraftRow) -> Result<DraftRecord> {
    let (id, source, label, directive, content, state, created_at, decided_at, decided_by, reason) = row;
    Ok(DraftRecord {
        id,
        source,
        label,
        directive: directive.map(DirectiveId),
        content,
        state: DraftState::parse(&state)?,
        created_at: from_unix(created_at)?,
        decided_at: decided_at.map(from_unix).transpose()?,
        decided_by,
        reason,
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct OutboxRow {
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
    digest: i64,
    notice_id: Option<i64>,
}

pub(super) const OUTBOX_COLUMNS: &str = "id, key, kind, task_id, department, role, rule, day, deadline, channel, state, due_at, \
                              send_after, attempts, last_error, finished_at, digest, notice_id";

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
            digest: row.digest != 0,
            notice_id: row.notice_id,
        })
    }
}

pub(super) fn items(rows: Vec<OutboxRow>) -> Result<Vec<OutboxItem>> {
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

/// Binds each of `items` into `query`, comma-separated, and closes the list that the
/// query's text opened with `IN (`.
pub(super) fn push_list<'t, DB, T>(query: &mut sqlx::QueryBuilder<DB>, items: impl IntoIterator<Item = T>)
where
    DB: sqlx::Database,
    T: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut list = query.separated(", ");
    for item in items {
        list.push_bind(item);
    }
    query.push(")");
}
