//! The rows of the outbox as the rest of the program sees them: what planning enqueues, what
//! dispatch claims, and how an attempt ended. Plain values with typed fields; the store
//! reads and writes them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::{DepartmentCode, Role, Rule, TaskId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    Pending,
    Sending,
    Sent,
    Dead,
    Cancelled,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Dead => "dead",
            OutboxState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Sending, Self::Sent, Self::Dead, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What an outbox row carries: one reminder of a task, the weekly summary, or a notice of
/// the web pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Reminder,
    Summary,
    Notice,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Reminder => "reminder",
            ItemKind::Summary => "summary",
            ItemKind::Notice => "notice",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Reminder, Self::Summary, Self::Notice].into_iter().find(|k| k.as_str() == text)
    }
}

/// A message to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxItem {
    pub key: String,
    pub kind: ItemKind,
    /// The task a reminder is about; none for a summary.
    pub task_id: Option<TaskId>,
    pub department: DepartmentCode,
    pub role: Role,
    pub rule: Rule,
    pub day: NaiveDate,
    pub deadline: NaiveDate,
    pub channel: String,
    pub due_at: DateTime<Utc>,
    pub send_after: DateTime<Utc>,
    /// Goes out in the department's daily digest, not alone.
    pub digest: bool,
}

/// A notice to enqueue: what it says, and its messages, whose notice the store sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub kind: NoticeKind,
    /// What the notice says, as JSON: rendered when it is sent.
    pub payload: String,
    pub items: Vec<NewOutboxItem>,
}

/// What a notice of the web pages is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A sign-in link, to one person's address.
    SignIn,
    /// A department asks for a later deadline: to the supervising office.
    ExtensionRequested,
    /// The supervising office approved or refused it: to the department.
    ExtensionDecided,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::SignIn => "sign_in",
            NoticeKind::ExtensionRequested => "extension_requested",
            NoticeKind::ExtensionDecided => "extension_decided",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::SignIn, Self::ExtensionRequested, Self::ExtensionDecided]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A row of the outbox, as listed or claimed.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub key: String,
    pub kind: ItemKind,
    pub task_id: Option<i64>,
    pub department: DepartmentCode,
    pub role: Role,
    pub rule: Rule,
    pub day: NaiveDate,
    pub deadline: NaiveDate,
    pub channel: String,
    pub state: OutboxState,
    pub due_at: DateTime<Utc>,
    pub send_after: DateTime<Utc>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    pub digest: bool,
    /// The notice a notice row carries.
    pub notice_id: Option<i64>,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        duration_ms: i64,
    },
    /// Failed; try again at `at`.
    Retry {
        at: DateTime<Utc>,
        error: String,
        duration_ms: i64,
    },
    /// Failed for good.
    Dead {
        error: String,
        duration_ms: i64,
    },
    /// Not sent: the task is done or its deadline changed since the item was planned.
    Cancelled {
        reason: String,
    },
    /// Not tried: its channel rests; try at `at`, without using up an attempt.
    Deferred {
        at: DateTime<Utc>,
    },
}

/// The planner's word that the pending reminders of `task_id` to `department` on `channel`
/// that fell due before `before` are replaced by a newer one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supersede {
    pub task_id: TaskId,
    pub department: DepartmentCode,
    pub channel: String,
    pub before: DateTime<Utc>,
}
