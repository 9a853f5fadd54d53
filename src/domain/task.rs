use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Deadline, DepartmentCode};

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
    pub deadline: Option<Deadline>,
    pub status: TaskStatus,
    pub done_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}
