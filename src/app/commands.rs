//! The changes people make to directives and tasks: add, edit, mark done, extend a
//! deadline, acknowledge a reminder. Each is checked against the config, planned, and
//! written in one transaction, the same way whether it comes from the CLI, the API or an
//! acknowledge link; each is in the task's history with who made it.
//!
//! It must not send anything, nor know about HTTP or the command line: callers wake the
//! daemon and put the result in words.

use chrono::{DateTime, NaiveDate, Utc};

use super::input;
pub use super::input::{DirectiveInput, DirectivePatch, DoneInput, ExtendInput, TaskInput, TaskPatch};

use crate::config::Settings;
use crate::domain::RuleKind;
use crate::domain::{Acknowledgement, DepartmentCode, NewDirective, Role, TaskText};
use crate::domain::{Deadline, DirectiveId, Task, TaskId, TaskStatus};
use crate::outbox::notices::{self, NoticePayload};
use crate::plan::{self, Policy};
use crate::store::{
    ExtensionDecision, ExtensionRequest, KeyedRequest, LinkUse, LinkUseError, NewExtensionRequest, Store,
    StoreError,
};

/// One problem with a change's input, named by its field path (`tasks[2].lead`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
    #[error("task {0} is done; it cannot change")]
    TaskDone(i64),
    #[error("task {0} changed meanwhile (its deadline moved): read it again and retry")]
    Changed(i64),
    #[error("the task's deadline changed since the link was sent")]
    DeadlineChanged,
    #[error("the department no longer leads the task")]
    NotLead,
    #[error("the Idempotency-Key '{0}' was used by a request made at the same time")]
    KeyInUse(String),
    #[error("this link was already used")]
    LinkUsed,
    #[error("draft {id} was {state} already")]
    DraftDecided { id: i64, state: &'static str },
    #[error("extension request {id} was {state} already")]
    ExtensionDecided { id: i64, state: &'static str },
    #[error("{0}")]
    Notice(#[from] crate::outbox::notices::NoticeError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ChangeError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NoSuchTask(id) => ChangeError::NotFound { what: "task", id },
            StoreError::NoSuchDirective(id) => ChangeError::NotFound { what: "directive", id },
            StoreError::NoSuchDraft(id) => ChangeError::NotFound { what: "draft", id },
            StoreError::DraftDecided { id, state } => ChangeError::DraftDecided { id, state },
            StoreError::NoSuchExtensionRequest(id) => ChangeError::NotFound { what: "extension request", id },
            StoreError::ExtensionDecided { id, state } => ChangeError::ExtensionDecided { id, state },
            StoreError::TaskDone(id) => ChangeError::TaskDone(id),
            StoreError::Changed(id) => ChangeError::Changed(id),
            StoreError::KeyInUse(key) => ChangeError::KeyInUse(key),
            other => ChangeError::Store(other),
        }
    }
}

impl From<LinkUseError> for ChangeError {
    fn from(error: LinkUseError) -> Self {
        match error {
            LinkUseError::AlreadyUsed => ChangeError::LinkUsed,
            LinkUseError::DeadlineChanged => ChangeError::DeadlineChanged,
            LinkUseError::NotLead => ChangeError::NotLead,
            LinkUseError::Store(error) => error.into(),
        }
    }
}

/// The notice of `payload`; one that reaches nobody (said in the log) when it cannot be made.
fn notice_or_none(
    payload: &NoticePayload,
    settings: &Settings,
    now: DateTime<Utc>,
) -> crate::outbox::NewNotice {
    notices::notice(payload, settings, now).unwrap_or_else(|error| {
        tracing::warn!(%error, "a notice reaches nobody");
        crate::outbox::NewNotice {
            kind: payload.kind(),
            payload: serde_json::to_string(payload).unwrap_or_default(),
            items: Vec::new(),
        }
    })
}

fn invalid(field: &str, message: impl Into<String>) -> ChangeError {
    ChangeError::Invalid(vec![FieldProblem { field: field.to_owned(), message: message.into() }])
}

/// Who makes a change, as the task's history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    pub fn cli() -> Self {
        Self("cli".into())
    }

    /// A client of the API, by its token's name.
    pub fn api(token: &str) -> Self {
        Self(format!("api:{token}"))
    }

    /// A source the daemon polls (`[[sources]]`), by its name.
    pub fn source(name: &str) -> Self {
        Self(format!("source:{name}"))
    }

    /// A department through an acknowledge link.
    pub fn link(department: &str) -> Self {
        Self(format!("link:{department}"))
    }

    /// Someone signed in to the web pages, by address.
    pub fn page(email: &str) -> Self {
        Self(format!("page:{email}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The change's plan and clock: one value per change, built from the running settings.
pub struct Changes<'a> {
    pub store: &'a Store,
    pub settings: &'a Settings,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

impl<'a> Changes<'a> {
    /// Changes by `actor`, made now.
    pub fn new(store: &'a Store, settings: &'a Settings, actor: Actor) -> Self {
        Self { store, settings, actor, now: Utc::now() }
    }

    fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.settings.timezone).date_naive()
    }

    pub(super) fn first_planning(&self, task: &Task) -> Option<DateTime<Utc>> {
        let policy = Policy::from_settings(self.settings);
        plan::first_planning_at(task, self.settings.departments.escalate_to(&task.lead), &policy)
    }

    /// Gives each new task of `directive` its first planning instant, as adding it does.
    pub fn plan_new_tasks(&self, directive: &mut NewDirective) {
        for task in &mut directive.tasks {
            task.next_reminder_at = self.first_planning(&task.as_unsaved_task(self.now));
        }
    }

    /// Adds a directive read from a file or the API, with its tasks planned.
    pub async fn add_directive(
        &self,
        directive: NewDirective,
    ) -> Result<(DirectiveId, Vec<TaskId>), ChangeError> {
        self.add_directive_keyed(directive, None).await
    }

    async fn add_directive_keyed(
        &self,
        mut directive: NewDirective,
        keyed: Option<&KeyedRequest>,
    ) -> Result<(DirectiveId, Vec<TaskId>), ChangeError> {
        self.plan_new_tasks(&mut directive);
        Ok(self.store.add_directive_keyed(&directive, keyed, self.actor.as_str(), self.now).await?)
    }

    /// A directive from the API; `keyed`, its `Idempotency-Key`, is recorded with it.
    pub async fn add_directive_input(
        &self,
        input: DirectiveInput,
        keyed: Option<&KeyedRequest>,
    ) -> Result<(DirectiveId, Vec<TaskId>), ChangeError> {
        let directive =
            input::directive(input.into(), "", &self.settings.departments, &self.settings.calendar.calendar)
                .map_err(ChangeError::Invalid)?;
        self.add_directive_keyed(directive, keyed).await
    }

    /// Replaces a directive's number, title or issuer.
    pub async fn update_directive(&self, id: DirectiveId, patch: DirectivePatch) -> Result<(), ChangeError> {
        let current =
            self.store.directive(id).await?.ok_or(ChangeError::NotFound { what: "directive", id: id.0 })?;
        let (number, title, issuer) =
            input::patched_directive(&current, patch).map_err(ChangeError::Invalid)?;
        Ok(self
            .store
            .update_directive(id, number.as_deref(), &title, &issuer, self.actor.as_str(), self.now)
            .await?)
    }

    /// Adds a task to a directive; a relative deadline counts from the directive's date.
    pub async fn add_task(
        &self,
        directive: DirectiveId,
        input: TaskInput,
        keyed: Option<&KeyedRequest>,
    ) -> Result<TaskId, ChangeError> {
        let header = self
            .store
            .directive(directive)
            .await?
            .ok_or(ChangeError::NotFound { what: "directive", id: directive.0 })?;
        let context = input::Context {
            departments: &self.settings.departments,
            calendar: &self.settings.calendar.calendar,
            issued_on: Some(header.issued_on),
        };
        let mut problems = input::Problems::default();
        let task = input::task(input.into(), "", &context, &mut problems);
        let Some(mut task) = task.filter(|_| problems.0.is_empty()) else {
            return Err(ChangeError::Invalid(problems.0));
        };
        task.next_reminder_at = self.first_planning(&task.as_unsaved_task(self.now));
        Ok(self.store.add_task(directive, &task, keyed, self.actor.as_str(), self.now).await?)
    }

    /// Replaces a task's text and departments; departments no longer on it get nothing more.
    pub async fn update_task(&self, id: TaskId, patch: TaskPatch) -> Result<(), ChangeError> {
        let record = self.store.task(id).await?;
        if record.task.status == TaskStatus::Done {
            return Err(ChangeError::TaskDone(id.0));
        }
        let current = TaskText {
            section: record.task.section.clone(),
            summary: record.task.summary.clone(),
            details: record.task.details.clone(),
            lead: record.task.lead.clone(),
            coordinating: record.task.coordinating.clone(),
        };
        let text =
            input::patched(current, patch, &self.settings.departments).map_err(ChangeError::Invalid)?;
        let mut task = record.task.clone();
        task.section = text.section.clone();
        task.summary = text.summary.clone();
        task.details = text.details.clone();
        task.lead = text.lead.clone();
        task.coordinating = text.coordinating.clone();
        // Everyone still on the task keeps what waits for them; a department that moved
        // between lead and coordinating keeps it in its new part (the keys do not name the
        // part); a department no longer on the task, or no longer its escalation, gets
        // nothing more.
        let keep = plan::all_recipients(&task, self.settings.departments.escalate_to(&task.lead));
        let moves: Vec<_> = keep.iter().filter(|(_, role)| *role != Role::Escalation).cloned().collect();
        let next = self.first_planning(&task);
        let deadline = task.deadline.as_ref().map(|d| d.date);
        Ok(self
            .store
            .update_task(id, &text, deadline, &moves, &keep, next, self.actor.as_str(), self.now)
            .await?)
    }

    /// Marks a task done; false when it already was.
    pub async fn mark_done(&self, id: TaskId, input: DoneInput) -> Result<bool, ChangeError> {
        let on = self.done_on(input.on)?;
        let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        Ok(self.store.mark_done(id, on, note, self.actor.as_str(), self.now).await?)
    }

    fn done_on(&self, on: Option<NaiveDate>) -> Result<NaiveDate, ChangeError> {
        let today = self.today();
        match on {
            Some(on) if on > today => Err(invalid("on", format!("{on} is after today ({today})"))),
            Some(on) => Ok(on),
            None => Ok(today),
        }
    }

    /// Moves a task's deadline; reminders for the old one stop, the new one is planned.
    pub async fn extend(&self, id: TaskId, input: ExtendInput) -> Result<Deadline, ChangeError> {
        let reason = input.reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "say why the deadline is extended"));
        }
        let deadline = input::resolve_deadline(
            &self.settings.calendar.calendar,
            &input.to,
            input.phrase.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
            self.today(),
        )
        .map_err(|e| invalid("to", e))?;
        let record = self.store.task(id).await?;
        if record.task.status == TaskStatus::Done {
            return Err(ChangeError::TaskDone(id.0));
        }
        let mut task = record.task.clone();
        task.deadline = Some(deadline.clone());
        let next = self.first_planning(&task);
        self.store.extend(id, &deadline, reason, next, self.actor.as_str(), self.now).await?;
        Ok(deadline)
    }

    /// `department`, the task's lead, asks for its deadline to move to `to` (a date after
    /// the current one, not in the past); the supervising office is told. Reminders go on
    /// for the current deadline until a decision.
    pub async fn request_extension(
        &self,
        id: TaskId,
        department: &DepartmentCode,
        to: NaiveDate,
        reason: &str,
    ) -> Result<i64, ChangeError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "cần ghi lý do đề nghị gia hạn"));
        }
        let record = self.store.task(id).await?;
        let task = &record.task;
        if task.status == TaskStatus::Done {
            return Err(ChangeError::TaskDone(id.0));
        }
        if &task.lead != department {
            return Err(ChangeError::NotLead);
        }
        let deadline = task.deadline.as_ref().map(|d| d.date);
        if to < self.today() {
            return Err(invalid("to", format!("ngày {} đã qua", to.format("%d/%m/%Y"))));
        }
        if let Some(current) = deadline
            && to <= current
        {
            return Err(invalid(
                "to",
                format!("thời hạn hiện tại là {}: hãy đề nghị một ngày sau đó", current.format("%d/%m/%Y")),
            ));
        }
        // The notice is checked before anything is written: nobody to tell is an error.
        let probe = NoticePayload::ExtensionRequested {
            request: 0,
            task: id.0,
            department: department.clone(),
            deadline,
            requested_to: to,
            reason: reason.to_owned(),
        };
        notices::notice(&probe, self.settings, self.now)?;
        let new = NewExtensionRequest {
            task_id: id,
            department: department.clone(),
            deadline,
            requested_to: to,
            reason: reason.to_owned(),
        };
        let make = |request: i64| {
            let mut payload = probe.clone();
            if let NoticePayload::ExtensionRequested { request: r, .. } = &mut payload {
                *r = request;
            }
            // Checked above: the same settings make the same messages.
            notice_or_none(&payload, self.settings, self.now)
        };
        Ok(self.store.request_extension(&new, &make, self.actor.as_str(), self.now).await?)
    }

    /// Approves or refuses extension request `id`: approving moves the task's deadline as
    /// `extend` does; refusing needs a reason. The department is told either way.
    pub async fn decide_extension(
        &self,
        id: i64,
        approve: bool,
        note: Option<&str>,
    ) -> Result<ExtensionRequest, ChangeError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if !approve && note.is_none() {
            return Err(invalid("note", "cần ghi lý do không đồng ý: đơn vị sẽ được thông báo lý do"));
        }
        let request = self.store.extension_request(id).await?;
        let record = self.store.task(request.task_id).await?;
        let decision = if approve {
            let deadline = Deadline {
                date: request.requested_to,
                precision: crate::domain::Precision::Day,
                phrase: None,
            };
            let mut task = record.task.clone();
            task.deadline = Some(deadline.clone());
            ExtensionDecision::Approve { deadline, next_reminder_at: self.first_planning(&task) }
        } else {
            ExtensionDecision::Refuse
        };
        let decided_by = self.actor.as_str().to_owned();
        let make = |decided: &ExtensionRequest| {
            let payload = NoticePayload::ExtensionDecided {
                request: decided.id,
                task: decided.task_id.0,
                department: decided.department.clone(),
                approved: approve,
                requested_to: decided.requested_to,
                note: decided.decision_note.clone(),
                decided_by: decided_by.clone(),
            };
            // A department with no channel is still decided for: its desk shows it.
            notice_or_none(&payload, self.settings, self.now)
        };
        Ok(self.store.decide_extension(id, &decision, note, &make, self.actor.as_str(), self.now).await?)
    }

    /// "Đã nhận": `department` wants no more `kind` reminders of the task for `deadline`,
    /// which must still be the task's. `link` is the acknowledge link it came through, used
    /// up by it.
    pub async fn acknowledge(
        &self,
        id: TaskId,
        department: &DepartmentCode,
        kind: RuleKind,
        deadline: NaiveDate,
        link: Option<&LinkUse<'_>>,
    ) -> Result<(), ChangeError> {
        let acknowledgement =
            Acknowledgement { task: id, department: department.clone(), rule_kind: kind, deadline };
        Ok(self.store.acknowledge(&acknowledgement, link, self.actor.as_str(), self.now).await?)
    }

    /// "Báo cáo hoàn thành" through a link sent for `deadline`; false when the task was
    /// already done.
    pub async fn mark_done_by_link(
        &self,
        id: TaskId,
        deadline: NaiveDate,
        note: Option<&str>,
        link: &LinkUse<'_>,
    ) -> Result<bool, ChangeError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let today = self.today();
        Ok(self
            .store
            .mark_done_by_link(id, deadline, today, note, link, self.actor.as_str(), self.now)
            .await?)
    }
}

#[cfg(test)]
#[path = "commands_tests.rs"]
mod tests;
