//! What the store's queries take and give, beyond the domain's own types: the same for
//! every engine.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Result, StoreError};
use crate::domain::{DepartmentCode, DirectiveId, NewDirective, NewTask, Task, TaskId, TaskStatus};
use crate::outbox::{NewOutboxItem, Supersede};

/// A task with its planning state.
#[derive(Debug, Clone)]
pub struct TaskRecord {
    pub task: Task,
    pub planned_until: Option<DateTime<Utc>>,
    pub next_reminder_at: Option<DateTime<Utc>>,
    /// Changes made to the task so far: a plan writes only on the revision it read.
    pub revision: i64,
}

#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Tasks this department leads or coordinates.
    pub department: Option<DepartmentCode>,
    /// Open tasks whose deadline is before this date.
    pub overdue_on: Option<NaiveDate>,
    /// Tasks due on or before this date.
    pub due_before: Option<NaiveDate>,
    pub directive: Option<DirectiveId>,
    pub status: Option<TaskStatus>,
    /// Only tasks with a larger id: the next page.
    pub after: Option<TaskId>,
    /// At most this many tasks.
    pub limit: Option<u32>,
}

/// One entry of a task's history.
#[derive(Debug, Clone, Serialize)]
pub struct TaskEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: Option<String>,
    /// Who made the change: `cli`, `api:TOKEN-NAME`, or `link:DEPARTMENT`.
    pub actor: Option<String>,
}

/// What a planning step writes for one task.
#[derive(Debug, Clone)]
pub struct PlanWrite {
    pub task_id: TaskId,
    /// The deadline the plan was made for: a task extended meanwhile is left alone.
    pub deadline: Option<NaiveDate>,
    pub planned_until: DateTime<Utc>,
    pub next_reminder_at: Option<DateTime<Utc>>,
    pub items: Vec<NewOutboxItem>,
    /// What the plan replaces: older reminders still pending for a department and channel.
    pub supersede: Vec<Supersede>,
    /// The task's revision when the plan read it: a task changed meanwhile keeps the marks
    /// its change set, and is planned afresh.
    pub revision: i64,
}

/// One keyed request, as recorded with what it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    pub client: String,
    pub key: String,
    /// `POST /api/v1/directives`.
    pub request: String,
    pub body_sha256: String,
}

/// What a key already answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedAnswer {
    pub request: String,
    pub body_sha256: String,
    pub location: String,
}

/// How long a key is remembered: retries come within minutes or hours, never a month on.
pub const KEYS_KEPT_FOR: chrono::Duration = chrono::Duration::days(30);

/// Why a link cannot act.
#[derive(Debug, thiserror::Error)]
pub enum LinkUseError {
    #[error("this link was already used")]
    AlreadyUsed,
    #[error("the task's deadline changed since the link was sent")]
    DeadlineChanged,
    #[error("the department no longer leads the task")]
    NotLead,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A link's one use: `signature` is its proof, kept to refuse it next time.
#[derive(Debug, Clone)]
pub struct LinkUse<'a> {
    pub signature: &'a str,
    pub department: &'a str,
    pub action: &'a str,
}

/// A source as the store knows it: where its next poll goes on from, how its last polls
/// went, and what it delivered.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceState {
    pub name: String,
    pub cursor: Option<String>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Polls failed in a row.
    pub failures: u32,
    /// Items applied, whole or in part.
    pub imported: u64,
    /// Drafts waiting for a person.
    pub drafts: u64,
    /// Items that could not be read.
    pub failed: u64,
}

/// What an item became.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Applied (what was unsure may wait as a draft beside it).
    Imported,
    /// Waits as a draft.
    Draft,
    /// Could not be read; `error` says why.
    Failed,
}

impl ItemOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemOutcome::Imported => "imported",
            ItemOutcome::Draft => "draft",
            ItemOutcome::Failed => "failed",
        }
    }

    pub(super) fn parse(text: &str) -> Result<Self> {
        match text {
            "imported" => Ok(ItemOutcome::Imported),
            "draft" => Ok(ItemOutcome::Draft),
            "failed" => Ok(ItemOutcome::Failed),
            other => Err(StoreError::Corrupt(format!("source item outcome '{other}'"))),
        }
    }
}

/// An item a source delivered before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceItem {
    pub external_id: String,
    pub content_hash: String,
    pub label: String,
    pub outcome: ItemOutcome,
    pub directive: Option<DirectiveId>,
    pub draft: Option<i64>,
    /// The task a task item became.
    pub task: Option<TaskId>,
    /// The source's id of the item's directive.
    pub directive_key: Option<String>,
    /// What the source said, as applied (JSON).
    pub content: Option<String>,
    pub error: Option<String>,
    pub removed: bool,
}

/// What one item of a source becomes, written together.
#[derive(Debug, Clone, Copy)]
pub struct ItemWrite<'a> {
    pub source: &'a str,
    pub external_id: &'a str,
    pub content_hash: &'a str,
    /// For people: the file's name, the item's title.
    pub label: &'a str,
    /// Applied now.
    pub directive: Option<&'a NewDirective>,
    /// Waits for a person (JSON): the whole item, or what of it was not applied.
    pub draft: Option<&'a str>,
    /// Could not be read.
    pub error: Option<&'a str>,
    /// The same directive was applied before (the same document through another way in).
    pub same_as: Option<DirectiveId>,
    /// A task item: the directive it joins, applied before, with its new task.
    pub task_for: Option<(DirectiveId, &'a NewTask)>,
    /// The directive a draft's tasks join when it is accepted.
    pub draft_for: Option<DirectiveId>,
    /// The source's id of the item's directive.
    pub directive_key: Option<&'a str>,
    /// What the source said, as applied.
    pub content: Option<&'a str>,
}

/// What recording an item made.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recorded {
    pub directive: Option<DirectiveId>,
    pub tasks: Vec<TaskId>,
    pub draft: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftState {
    Waiting,
    Accepted,
    Rejected,
}

impl DraftState {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftState::Waiting => "waiting",
            DraftState::Accepted => "accepted",
            DraftState::Rejected => "rejected",
        }
    }

    pub(super) fn parse(text: &str) -> Result<Self> {
        match text {
            "waiting" => Ok(DraftState::Waiting),
            "accepted" => Ok(DraftState::Accepted),
            "rejected" => Ok(DraftState::Rejected),
            other => Err(StoreError::Corrupt(format!("draft state '{other}'"))),
        }
    }
}

/// A draft: what waits for a person, and what they decided.
#[derive(Debug, Clone, Serialize)]
pub struct DraftRecord {
    pub id: i64,
    pub source: String,
    pub label: String,
    /// Where its tasks go when it is the unsure part of an applied directive.
    pub directive: Option<DirectiveId>,
    /// The fields and findings, JSON.
    #[serde(skip)]
    pub content: String,
    pub state: DraftState,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
}

/// What accepting a draft applies.
#[derive(Debug, Clone)]
pub enum DraftApply {
    /// A directive of its own, with its tasks.
    Directive(NewDirective),
    /// Tasks of a directive applied before.
    Tasks(DirectiveId, Vec<NewTask>),
}

/// How often a daemon asks again for a lease another holds, rather than wait for it to run
/// out: a holder that stopped cleanly let go of it, and it is taken within this.
pub const LEASE_RECHECK: chrono::Duration = chrono::Duration::seconds(30);

/// Whether a daemon holds a lease (`Store::take_lease`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Taken or renewed: this daemon does the work until the lease runs out.
    Taken,
    /// Another daemon holds it until then.
    HeldUntil(DateTime<Utc>),
}

/// What a daemon does with a cron job's instant (`Store::claim_job`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobClaim {
    /// Run it, then say so with `finish_job`.
    Run,
    /// Another daemon is running it; ask again once its lease runs out, in case it died.
    HeldUntil(DateTime<Utc>),
    /// Already run for this instant (or a later one).
    Done,
}

/// Where an extension request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtensionState {
    Pending,
    Approved,
    Refused,
    /// Outlived: the task was done or its deadline moved another way before a decision.
    Withdrawn,
}

impl ExtensionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionState::Pending => "pending",
            ExtensionState::Approved => "approved",
            ExtensionState::Refused => "refused",
            ExtensionState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Refused, Self::Withdrawn]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A department's request for a later deadline (`đề nghị gia hạn`).
#[derive(Debug, Clone, Serialize)]
pub struct ExtensionRequest {
    pub id: i64,
    pub task_id: TaskId,
    pub department: DepartmentCode,
    /// The task's deadline when it was asked.
    pub deadline: Option<NaiveDate>,
    pub requested_to: NaiveDate,
    pub reason: String,
    pub requested_by: String,
    pub state: ExtensionState,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A request to record.
#[derive(Debug, Clone)]
pub struct NewExtensionRequest {
    pub task_id: TaskId,
    pub department: DepartmentCode,
    pub deadline: Option<NaiveDate>,
    pub requested_to: NaiveDate,
    pub reason: String,
}

/// What the supervising office decided.
#[derive(Debug, Clone)]
pub enum ExtensionDecision {
    /// The task's deadline becomes this, planned from `next_reminder_at`.
    Approve {
        deadline: crate::domain::Deadline,
        next_reminder_at: Option<DateTime<Utc>>,
    },
    Refuse,
}

/// Which tasks the follow-up board counts: all by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardFilter {
    pub directive: Option<DirectiveId>,
    /// Tasks this department leads.
    pub lead: Option<DepartmentCode>,
    /// Tasks of directives issued on or after this day.
    pub issued_from: Option<NaiveDate>,
    /// Tasks of directives issued on or before this day.
    pub issued_to: Option<NaiveDate>,
}

/// The dates that split open tasks as of a day, from the policy: open tasks written due
/// before `overdue_before` are overdue; those up to `soon_until` are due within 7 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardDates {
    pub overdue_before: NaiveDate,
    pub soon_until: NaiveDate,
}

/// One lead department's tasks counted by the board's query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadCounts {
    pub lead: String,
    pub open: i64,
    pub open_overdue: i64,
    pub open_soon: i64,
    pub done: i64,
    /// Done after the written deadline: late unless the deadline fell on a day off and the
    /// day it moved to was kept.
    pub done_after_deadline: i64,
}

/// Which list a count of the board opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardList {
    /// Every task the filter takes.
    All,
    Open,
    OpenOverdue,
    /// Open, not overdue (due within 7 days, later, or with no deadline).
    OpenInTime,
    DueSoon,
    Done,
    /// Done after the written deadline: the caller keeps those late by the policy.
    DoneAfterDeadline,
}

/// What a department was sent about one task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentSoFar {
    pub sent: i64,
    pub last_sent_at: Option<DateTime<Utc>>,
    pub next_at: Option<DateTime<Utc>>,
}
