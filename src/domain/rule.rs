use std::fmt;

use crate::domain::Offset;

/// Which line of the schedule produced a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `before:7d`: so many days before the deadline.
    Before(Offset),
    /// `due`: on the due date.
    Due,
    /// `overdue`: a repeat after the deadline.
    Overdue,
    /// `escalate`: the supervising department is told the task is overdue.
    Escalate,
    /// `summary`: the weekly summary of every lead department's tasks, to the supervising
    /// office; not a line of a task's schedule.
    Summary,
    /// `notice`: a message of the web pages (a sign-in link, an extension request or its
    /// decision); not a line of a task's schedule.
    Notice,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a reminder rule: use before:Nd, due, overdue or escalate")]
pub struct RuleError(pub String);

/// The kinds of reminder a department can route to a channel (`channel_rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// Before the deadline.
    DueSoon,
    /// On the due date.
    Due,
    /// Repeats after the deadline.
    Overdue,
    /// To the supervising office.
    Escalation,
    /// The weekly summary: every channel of the supervising office carries it.
    Summary,
    /// A notice of the web pages: every channel carries it.
    Notice,
}

impl RuleKind {
    pub const NAMES: [&'static str; 4] = ["due_soon", "due", "overdue", "escalation"];

    pub fn name(self) -> &'static str {
        match self {
            RuleKind::DueSoon => "due_soon",
            RuleKind::Due => "due",
            RuleKind::Overdue => "overdue",
            RuleKind::Escalation => "escalation",
            RuleKind::Summary => "summary",
            RuleKind::Notice => "notice",
        }
    }

    /// What a department head reads for it.
    pub fn vietnamese(self) -> &'static str {
        match self {
            RuleKind::DueSoon => "nhắc trước hạn",
            RuleKind::Due => "nhắc đến hạn",
            RuleKind::Overdue => "nhắc quá hạn",
            RuleKind::Escalation => "báo cáo quá hạn",
            RuleKind::Summary => "báo cáo tổng hợp",
            RuleKind::Notice => "thông báo",
        }
    }

    /// A kind a department can route (`channel_rules`); the summary is not one.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "due_soon" => Some(RuleKind::DueSoon),
            "due" => Some(RuleKind::Due),
            "overdue" => Some(RuleKind::Overdue),
            "escalation" => Some(RuleKind::Escalation),
            _ => None,
        }
    }
}

impl Rule {
    pub fn kind(self) -> RuleKind {
        match self {
            Rule::Before(_) => RuleKind::DueSoon,
            Rule::Due => RuleKind::Due,
            Rule::Overdue => RuleKind::Overdue,
            Rule::Escalate => RuleKind::Escalation,
            Rule::Summary => RuleKind::Summary,
            Rule::Notice => RuleKind::Notice,
        }
    }

    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let error = || RuleError(text.to_owned());
        match text {
            "due" => Ok(Rule::Due),
            "overdue" => Ok(Rule::Overdue),
            "escalate" => Ok(Rule::Escalate),
            "summary" => Ok(Rule::Summary),
            "notice" => Ok(Rule::Notice),
            _ => {
                let offset = text.strip_prefix("before:").ok_or_else(error)?;
                Ok(Rule::Before(Offset::parse(offset).map_err(|_| error())?))
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Before(offset) => write!(f, "before:{offset}"),
            Rule::Due => f.write_str("due"),
            Rule::Overdue => f.write_str("overdue"),
            Rule::Escalate => f.write_str("escalate"),
            Rule::Summary => f.write_str("summary"),
            Rule::Notice => f.write_str("notice"),
        }
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
