use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Deadline, DepartmentCode, Recurrence, RuleKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DirectiveId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub i64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The document that assigns tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    pub id: DirectiveId,
    pub number: Option<String>,
    pub title: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
}

impl Directive {
    /// How a message names the directive: "Thông báo số 123/TB-UBND ngày 21/09/2021 của
    /// UBND tỉnh Nam Định", or without the number when the directive has none.
    pub fn citation(&self) -> String {
        let date = self.issued_on.format("%d/%m/%Y");
        match &self.number {
            Some(number) => format!("Văn bản số {number} ngày {date} của {}", self.issuer),
            None => format!("{} ngày {date} của {}", self.title, self.issuer),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Open,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(TaskStatus::Open),
            "done" => Some(TaskStatus::Done),
            _ => None,
        }
    }
}

/// Why a department receives a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Chủ trì: responsible for the task.
    Lead,
    /// Phối hợp: must help the lead.
    Coordinating,
    /// Told because the lead is overdue past the escalation threshold.
    Escalation,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Coordinating => "coordinating",
            Role::Escalation => "escalation",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "lead" => Some(Role::Lead),
            "coordinating" => Some(Role::Coordinating),
            "escalation" => Some(Role::Escalation),
            _ => None,
        }
    }

    /// The role as a message names it.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Role::Lead => "chủ trì",
            Role::Coordinating => "phối hợp",
            Role::Escalation => "theo dõi, đôn đốc",
        }
    }
}

/// One assignment of a directive, as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub id: TaskId,
    pub directive_id: DirectiveId,
    pub section: Option<String>,
    pub summary: String,
    pub details: Option<String>,
    pub lead: DepartmentCode,
    pub coordinating: Vec<DepartmentCode>,
    /// The current occurrence's deadline of a recurring task is `deadline`.
    pub deadline: Option<Deadline>,
    /// How the task comes due again; done, it moves to its next occurrence.
    pub recurrence: Option<Recurrence>,
    pub status: TaskStatus,
    pub done_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

/// A directive and its tasks, checked and ready to be added: from a directive file, the
/// API or, later, an imported document.
#[derive(Debug, Clone)]
pub struct NewDirective {
    pub number: Option<String>,
    pub title: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub source: Option<String>,
    /// The SHA-256 of the document it was imported from, in hex.
    pub source_hash: Option<String>,
    pub tasks: Vec<NewTask>,
}

#[derive(Debug, Clone)]
pub struct NewTask {
    pub section: Option<String>,
    pub summary: String,
    pub details: Option<String>,
    pub lead: DepartmentCode,
    pub coordinating: Vec<DepartmentCode>,
    pub deadline: Option<Deadline>,
    pub recurrence: Option<Recurrence>,
    /// When the task first needs planning, computed by `plan::first_planning_at`.
    pub next_reminder_at: Option<DateTime<Utc>>,
    /// Where its words were found ("dòng 143 của thong-bao.pdf"), for its history.
    pub origin: Option<String>,
}

impl NewTask {
    /// The task as the plan sees it before the store gives it an id.
    pub fn as_unsaved_task(&self, now: DateTime<Utc>) -> Task {
        Task {
            id: TaskId(0),
            directive_id: DirectiveId(0),
            section: self.section.clone(),
            summary: self.summary.clone(),
            details: self.details.clone(),
            lead: self.lead.clone(),
            coordinating: self.coordinating.clone(),
            deadline: self.deadline.clone(),
            recurrence: self.recurrence,
            status: TaskStatus::Open,
            done_on: None,
            created_at: now,
        }
    }
}

/// What a task says, apart from its deadline: the fields `update_task` replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskText {
    pub section: Option<String>,
    pub summary: String,
    pub details: Option<String>,
    pub lead: DepartmentCode,
    pub coordinating: Vec<DepartmentCode>,
}

/// One acknowledgement ("Đã nhận"): `department` wants no more `rule_kind` reminders of
/// `task` for `deadline`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Acknowledgement {
    pub task: TaskId,
    pub department: DepartmentCode,
    pub rule_kind: RuleKind,
    pub deadline: NaiveDate,
}
