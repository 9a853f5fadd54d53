//! What a change asks for, and its checks against the config: departments named by code,
//! name or alias, deadlines as the directive files write them. A directive and its tasks
//! are checked by one function (`directive`), whatever they were read from: a directive
//! file, the API's JSON, an imported document. Every problem is named by its field path.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::FieldProblem;
use crate::calendar::Calendar;
use crate::config::Departments;
use crate::domain::{Deadline, DeadlineSpec, DepartmentCode, Precision, Recurrence};
use crate::domain::{NewDirective, NewTask, TaskText};

/// A directive with its tasks (`POST /api/v1/directives`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectiveInput {
    pub number: Option<String>,
    pub title: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    /// Where the directive came from (a file, a URL in the e-office).
    pub source: Option<String>,
    #[serde(default)]
    pub tasks: Vec<TaskInput>,
}

/// A task (`tasks[]` of a directive, or `POST /api/v1/directives/{id}/tasks`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub section: Option<String>,
    pub summary: String,
    pub details: Option<String>,
    /// The leading department: code, name or alias.
    pub lead: String,
    #[serde(default)]
    pub coordinating: Vec<String>,
    /// `2021-11-30`, `2021-11`, `2021-Q4`, `2021`, or `+10wd` / `+10wd from 2021-09-21`.
    pub deadline: Option<String>,
    pub deadline_phrase: Option<String>,
    /// `{"every": "month", "day": 20}`: the task comes due again; done, it moves on.
    pub recurrence: Option<Recurrence>,
}

/// The fields of a task to replace (`PATCH /api/v1/tasks/{id}`): an absent field stays,
/// `null` clears an optional one. The deadline moves only with `extend`, which keeps the
/// reason.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[serde(default, deserialize_with = "present")]
    pub section: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub summary: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub details: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub lead: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub coordinating: Option<Option<Vec<String>>>,
}

/// A field that is present, as `Some(value)` or `Some(None)` for `null`; with
/// `#[serde(default)]`, an absent one is `None`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A patched required field: absent keeps `current`; `null` is a problem at `field`.
pub(super) fn required_patch<T>(
    value: Option<Option<T>>,
    current: T,
    field: &str,
    problems: &mut Problems,
) -> T {
    match value {
        None => current,
        Some(Some(value)) => value,
        Some(None) => {
            problems.add(field, "cannot be null: leave the field out to keep it");
            current
        }
    }
}

/// The fields of a directive to replace (`PATCH /api/v1/directives/{id}`): number, title,
/// issuer. Its date stays, since relative deadlines were counted from it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectivePatch {
    #[serde(default, deserialize_with = "present")]
    pub number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub issuer: Option<Option<String>>,
}

/// `POST /api/v1/tasks/{id}/done`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneInput {
    /// The day it was done; today by default.
    pub on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// `POST /api/v1/tasks/{id}/extend`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendInput {
    /// The new deadline, written as in a directive file; relative ones count from today.
    pub to: String,
    pub reason: String,
    pub phrase: Option<String>,
}

/// Collects problems with their field paths.
#[derive(Debug, Default)]
pub(super) struct Problems(pub Vec<FieldProblem>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldProblem { field: field.into(), message: message.into() });
    }
}

/// A department named by code, name or alias, as `field` of the input.
pub fn resolve_department(departments: &Departments, label: &str) -> Result<DepartmentCode, String> {
    departments.resolve(label).map(|d| d.code.clone()).ok_or_else(|| match departments.group(label) {
        Some(group) => format!(
            "'{label}' is the group '{}': a directive gives its task to each member; here name one department",
            group.name
        ),
        None => format!(
            "unknown department '{label}': use a code, name or alias from the config's [[departments]]"
        ),
    })
}

/// A deadline as written, counted from `start` when relative.
pub fn resolve_deadline(
    calendar: &Calendar,
    text: &str,
    phrase: Option<String>,
    start: NaiveDate,
) -> Result<Deadline, String> {
    let spec = DeadlineSpec::parse(text, phrase).map_err(|e| e.to_string())?;
    calendar.resolve(spec, start).ok_or_else(|| format!("'{text}' is out of the calendar's range"))
}

/// Non-empty text, trimmed, or a problem at `field`.
fn required(text: &str, field: &str, problems: &mut Problems) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        problems.add(field, "must not be empty");
        None
    } else {
        Some(text.to_owned())
    }
}

fn optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The lead and the coordinating departments, without the lead or repeats among the latter.
fn departments_of(
    departments: &Departments,
    prefix: &str,
    lead: &str,
    coordinating: &[String],
    problems: &mut Problems,
) -> (Option<DepartmentCode>, Vec<DepartmentCode>) {
    let lead =
        resolve_department(departments, lead).map_err(|e| problems.add(format!("{prefix}lead"), e)).ok();
    let mut codes = Vec::new();
    for (i, label) in coordinating.iter().enumerate() {
        match resolve_department(departments, label) {
            Ok(code) if Some(&code) != lead.as_ref() && !codes.contains(&code) => codes.push(code),
            Ok(_) => {}
            Err(e) => problems.add(format!("{prefix}coordinating[{i}]"), e),
        }
    }
    (lead, codes)
}

/// A task's fields as read, from any source, before they are checked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TaskFields {
    pub section: Option<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub lead: Option<String>,
    pub coordinating: Vec<String>,
    pub deadline: Option<String>,
    pub deadline_phrase: Option<String>,
    /// How the task comes due again; its first deadline is the first occurrence from the
    /// directive's date unless `deadline` says otherwise.
    pub recurrence: Option<Recurrence>,
    pub origin: Option<String>,
}

impl From<TaskInput> for TaskFields {
    fn from(input: TaskInput) -> Self {
        Self {
            section: input.section,
            summary: Some(input.summary),
            details: input.details,
            lead: Some(input.lead),
            coordinating: input.coordinating,
            deadline: input.deadline,
            deadline_phrase: input.deadline_phrase,
            recurrence: input.recurrence,
            origin: None,
        }
    }
}

/// A directive's fields as read, before they are checked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DirectiveFields {
    pub number: Option<String>,
    pub title: Option<String>,
    pub issuer: Option<String>,
    /// Where relative deadlines count from; a reader that could not read it has said so.
    pub issued_on: Option<NaiveDate>,
    pub source: Option<String>,
    pub source_hash: Option<String>,
    pub tasks: Vec<TaskFields>,
}

impl From<DirectiveInput> for DirectiveFields {
    fn from(input: DirectiveInput) -> Self {
        Self {
            number: input.number,
            title: Some(input.title),
            issuer: Some(input.issuer),
            issued_on: Some(input.issued_on),
            source: input.source,
            source_hash: None,
            tasks: input.tasks.into_iter().map(TaskFields::from).collect(),
        }
    }
}

/// Present, non-empty text, trimmed, or "missing" at `field`.
fn present_text(text: Option<String>, field: &str, problems: &mut Problems) -> Option<String> {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text.is_none() {
        problems.add(field, "missing");
    }
    text
}

/// What a task's checks need.
pub(super) struct Context<'a> {
    pub departments: &'a Departments,
    pub calendar: &'a Calendar,
    /// Where relative deadlines count from: the directive's date, when it is known.
    pub issued_on: Option<NaiveDate>,
}

/// Checks one task; `prefix` is its path (`tasks[2].`).
pub(super) fn task(
    fields: TaskFields,
    prefix: &str,
    context: &Context<'_>,
    problems: &mut Problems,
) -> Option<NewTask> {
    let summary = present_text(fields.summary, &format!("{prefix}summary"), problems);
    let (lead, coordinating) = match &fields.lead {
        Some(lead) => departments_of(context.departments, prefix, lead, &fields.coordinating, problems),
        None => {
            problems.add(format!("{prefix}lead"), "missing: the department that leads the task");
            (None, Vec::new())
        }
    };
    let phrase = optional(fields.deadline_phrase);
    let recurrence = match fields.recurrence.map(Recurrence::check) {
        Some(Ok(recurrence)) => Some(recurrence),
        Some(Err(e)) => {
            problems.add(format!("{prefix}recurrence"), e.to_string());
            return None;
        }
        None => None,
    };
    let deadline = match (&fields.deadline, context.issued_on) {
        (Some(text), Some(start)) => match resolve_deadline(context.calendar, text, phrase, start) {
            Ok(deadline) => Some(Ok(deadline)),
            Err(e) => {
                problems.add(format!("{prefix}deadline"), e);
                Some(Err(()))
            }
        },
        // Without the directive's date a deadline cannot be counted; that problem is
        // already reported where the date was read.
        (Some(_), None) => Some(Err(())),
        // A recurring task is due first at its first occurrence from the directive's date.
        (None, Some(start)) if recurrence.is_some() => {
            match recurrence.and_then(|r| r.first_on_or_after(start)) {
                Some(date) => Some(Ok(Deadline { date, precision: Precision::Day, phrase })),
                None => {
                    problems.add(format!("{prefix}recurrence"), "no occurrence follows the directive's date");
                    Some(Err(()))
                }
            }
        }
        (None, None) if recurrence.is_some() => Some(Err(())),
        (None, _) => {
            if phrase.is_some() {
                problems.add(
                    format!("{prefix}deadline_phrase"),
                    "a phrase without a deadline: add deadline = \"…\"",
                );
            }
            None
        }
    };
    let deadline = match deadline {
        Some(Ok(deadline)) => Some(deadline),
        Some(Err(())) => return None,
        None => None,
    };
    Some(NewTask {
        section: optional(fields.section),
        summary: summary?,
        details: optional(fields.details).map(|d| d.split_whitespace().collect::<Vec<_>>().join(" ")),
        lead: lead?,
        coordinating,
        deadline,
        recurrence,
        next_reminder_at: None,
        origin: fields.origin,
    })
}

/// Checks a directive and every task of it, naming each problem by its field path; the
/// header's fields are prefixed with `header` (`directive.` in a directive file). A
/// directive with any problem yields nothing.
pub fn directive(
    fields: DirectiveFields,
    header: &str,
    departments: &Departments,
    calendar: &Calendar,
) -> Result<NewDirective, Vec<FieldProblem>> {
    let mut problems = Problems::default();
    let title = present_text(fields.title, &format!("{header}title"), &mut problems);
    let issuer = present_text(fields.issuer, &format!("{header}issuer"), &mut problems);
    if fields.tasks.is_empty() {
        problems.add("tasks", "a directive needs at least one task");
    }
    let context = Context { departments, calendar, issued_on: fields.issued_on };
    let mut tasks: Vec<NewTask> = Vec::new();
    for (i, fields) in fields.tasks.into_iter().enumerate() {
        let prefix = format!("tasks[{i}].");
        // A task given to a group ("các Sở, ngành") the config defines is each member's.
        let group = fields
            .lead
            .as_deref()
            .filter(|lead| departments.resolve(lead).is_none())
            .and_then(|lead| departments.group(lead));
        let Some(group) = group else {
            tasks.extend(task(fields, &prefix, &context, &mut problems));
            continue;
        };
        for member in &group.members {
            let mut each = fields.clone();
            each.lead = Some(member.to_string());
            each.coordinating.retain(|c| departments.resolve(c).is_none_or(|d| d.code != *member));
            let given = format!("giao cho {}", group.name);
            each.origin = Some(match each.origin.take() {
                Some(origin) => format!("{origin}; {given}"),
                None => given,
            });
            tasks.extend(task(each, &prefix, &context, &mut problems));
        }
    }
    match (title, issuer, fields.issued_on) {
        (Some(title), Some(issuer), Some(issued_on)) if problems.0.is_empty() => Ok(NewDirective {
            number: optional(fields.number),
            title,
            issuer,
            issued_on,
            source: optional(fields.source),
            source_hash: fields.source_hash,
            tasks,
        }),
        _ => Err(problems.0),
    }
}

/// The task's text after `patch`.
pub(super) fn patched(
    current: TaskText,
    patch: TaskPatch,
    departments: &Departments,
) -> Result<TaskText, Vec<FieldProblem>> {
    let mut problems = Problems::default();
    let summary = required_patch(patch.summary, current.summary, "summary", &mut problems);
    let summary = required(&summary, "summary", &mut problems);
    let lead_label = required_patch(patch.lead, current.lead.to_string(), "lead", &mut problems);
    let current_coordinating = current.coordinating.iter().map(ToString::to_string).collect();
    let coordinating_labels =
        required_patch(patch.coordinating, current_coordinating, "coordinating", &mut problems);
    let (lead, coordinating) =
        departments_of(departments, "", &lead_label, &coordinating_labels, &mut problems);
    match (summary, lead) {
        (Some(summary), Some(lead)) if problems.0.is_empty() => Ok(TaskText {
            section: patch.section.map_or(current.section, optional),
            summary,
            details: patch.details.map_or(current.details, optional),
            lead,
            coordinating,
        }),
        _ => Err(problems.0),
    }
}

/// A directive's number, title and issuer after `patch`.
pub(super) fn patched_directive(
    current: &crate::domain::Directive,
    patch: DirectivePatch,
) -> Result<(Option<String>, String, String), Vec<FieldProblem>> {
    let mut problems = Problems::default();
    let title = required_patch(patch.title, current.title.clone(), "title", &mut problems);
    let title = required(&title, "title", &mut problems);
    let issuer = required_patch(patch.issuer, current.issuer.clone(), "issuer", &mut problems);
    let issuer = required(&issuer, "issuer", &mut problems);
    let number = patch.number.map_or(current.number.clone(), optional);
    match (title, issuer) {
        (Some(title), Some(issuer)) if problems.0.is_empty() => Ok((number, title, issuer)),
        _ => Err(problems.0),
    }
}
