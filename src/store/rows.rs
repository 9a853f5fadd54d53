//! Rows as SQLite returns them, and their conversion into domain values.

use chrono::NaiveDate;

use super::{Result, StoreError, from_unix};
use crate::domain::{
    Deadline, DepartmentCode, Directive, DirectiveId, Precision, Recurrence, Task, TaskId, TaskStatus,
};

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
