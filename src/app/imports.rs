//! Applying what the importer proposes for a document: the proposal becomes a directive
//! through the same checks (`input::directive`) and the same command as a directive file
//! or the API's JSON, in one transaction, with the document's SHA-256 and each task's
//! source line in its history. The same document imported again changes nothing.

use sha2::{Digest, Sha256};

use super::commands::{ChangeError, Changes};
use super::drafts::{DraftContent, Finding};
use super::input::{self, DirectiveFields, TaskFields};
use crate::config::Settings;
use crate::domain::{DirectiveId, NewDirective};
use crate::import::Proposal;

/// What applying a proposal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Added {
        directive: DirectiveId,
        tasks: usize,
        with_deadline: usize,
    },
    /// The same document was imported before, as this directive: nothing changed.
    AlreadyImported(DirectiveId),
}

/// A problem of a proposal, with the document's line it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: Option<usize>,
    /// The field of the directive, as `input::directive` names it (`tasks[3].lead`).
    pub field: String,
    pub message: String,
}

impl LineProblem {
    /// `file:line: field: message`.
    pub fn describe(&self, file: &str) -> String {
        let line = self.line.map_or(String::new(), |line| format!("{line}:"));
        format!("{file}:{line} {}: {}", self.field, self.message)
    }
}

/// Why a proposal cannot be applied as it is.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<LineProblem>),
    #[error(transparent)]
    Change(#[from] ChangeError),
}

/// The SHA-256 of a document's bytes, in hex.
pub fn document_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The proposal as the fields of a directive: each task led by its configured department,
/// or by the words the document wrote, which the checks then name as unknown.
pub fn fields(proposal: &Proposal, file: &str, hash: &str) -> DirectiveFields {
    let document = &proposal.document;
    let tasks = proposal
        .tasks
        .iter()
        .map(|task| TaskFields {
            section: task.section.clone(),
            summary: Some(task.summary.clone()),
            details: Some(task.details.clone()),
            lead: task.lead_code.clone().or_else(|| task.lead.clone()),
            coordinating: task
                .coordinating
                .iter()
                .zip(&task.coordinating_codes)
                .map(|(name, code)| code.clone().unwrap_or_else(|| name.clone()))
                .collect(),
            deadline: task.deadline_written.clone(),
            // A recurring task keeps its phrase ("trước ngày 20 hằng tháng") beside its
            // occurrences; a deadline with no day (no anchor) has only its flag.
            deadline_phrase: match (&task.deadline_written, &task.recurrence) {
                (None, None) => None,
                _ => task.deadline_phrase.clone(),
            },
            recurrence: task.recurrence,
            origin: Some(format!("nhập từ {file}, dòng {}", task.line)),
        })
        .collect();
    DirectiveFields {
        number: document.number.clone(),
        title: document.title.clone().or_else(|| document.kind.clone()),
        issuer: document.issuer.clone(),
        issued_on: document.issue_date.or(document.meeting_date),
        source: Some(file.to_owned()),
        source_hash: Some(hash.to_owned()),
        tasks,
    }
}

/// Checks a proposal as applying it will, each problem with the document's line.
pub fn check(
    settings: &Settings,
    proposal: &Proposal,
    file: &str,
    hash: &str,
) -> Result<NewDirective, Vec<LineProblem>> {
    input::directive(
        fields(proposal, file, hash),
        "document.",
        &settings.departments,
        &settings.calendar.calendar,
    )
    .map_err(|problems| {
        problems
            .into_iter()
            .map(|problem| {
                // "tasks[3].lead" is the fourth task: the line it was read from.
                let line = problem
                    .field
                    .strip_prefix("tasks[")
                    .and_then(|rest| rest.split_once(']'))
                    .and_then(|(index, _)| index.parse::<usize>().ok())
                    .and_then(|index| proposal.tasks.get(index))
                    .map(|task| task.line);
                LineProblem { line, field: problem.field, message: problem.message }
            })
            .collect()
    })
}

impl Changes<'_> {
    /// Applies the proposal for the document `file` of SHA-256 `hash`, unless that
    /// document was imported before.
    pub async fn apply_import(
        &self,
        proposal: &Proposal,
        file: &str,
        hash: &str,
    ) -> Result<Applied, ApplyError> {
        if let Some(existing) = self.store.directive_by_source_hash(hash).await.map_err(ChangeError::Store)? {
            return Ok(Applied::AlreadyImported(existing));
        }
        let directive = check(self.settings, proposal, file, hash).map_err(ApplyError::Invalid)?;
        let tasks = directive.tasks.len();
        let with_deadline = directive.tasks.iter().filter(|t| t.deadline.is_some()).count();
        let (id, _) = self.add_directive(directive).await?;
        Ok(Applied::Added { directive: id, tasks, with_deadline })
    }
}

/// What becomes of a directive a source delivered: what is applied now, and what waits
/// for a person.
#[derive(Debug, Clone, Default)]
pub struct Intake {
    pub apply: Option<NewDirective>,
    pub draft: Option<DraftContent>,
}

/// Splits a proposal. With `min_confidence` (a source in `auto` mode), the tasks found with
/// at least that confidence and no problem are applied, and the rest wait as a draft of
/// the same directive; without it, or when the directive itself has a problem (no issuer,
/// no date), everything waits.
pub fn intake(
    settings: &Settings,
    proposal: &Proposal,
    file: &str,
    hash: &str,
    min_confidence: Option<f64>,
) -> Intake {
    let all = fields(proposal, file, hash);
    let problems = match check(settings, proposal, file, hash) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    };
    let task_of = |problem: &LineProblem| {
        problem
            .field
            .strip_prefix("tasks[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(index, _)| index.parse::<usize>().ok())
    };
    let header_problem = problems.iter().any(|p| task_of(p).is_none());
    let findings: Vec<Finding> = proposal
        .tasks
        .iter()
        .enumerate()
        .map(|(index, task)| Finding {
            line: Some(task.line),
            confidence: Some(task.confidence),
            flags: task.flags.iter().map(|f| f.as_str().to_owned()).collect(),
            problems: problems
                .iter()
                .filter(|p| task_of(p) == Some(index))
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect(),
        })
        .collect();
    let sure: Vec<bool> = match min_confidence {
        Some(min) if !header_problem => {
            findings.iter().map(|f| f.problems.is_empty() && f.confidence.unwrap_or(0.0) >= min).collect()
        }
        _ => vec![false; findings.len()],
    };
    let encoding = Some(proposal.encoding.to_owned());
    if !sure.contains(&true) {
        return Intake {
            apply: None,
            draft: Some(DraftContent { directive: all, findings, encoding, text: None }),
        };
    }
    let pick = |keep: bool| {
        let tasks: Vec<TaskFields> =
            all.tasks.iter().zip(&sure).filter(|(_, s)| **s == keep).map(|(t, _)| t.clone()).collect();
        DirectiveFields { tasks, ..all.clone() }
    };
    let apply =
        input::directive(pick(true), "document.", &settings.departments, &settings.calendar.calendar).ok();
    let waiting: Vec<Finding> =
        findings.into_iter().zip(&sure).filter(|(_, s)| !**s).map(|(f, _)| f).collect();
    let draft = (!waiting.is_empty()).then(|| DraftContent {
        directive: pick(false),
        findings: waiting,
        encoding,
        text: None,
    });
    Intake { apply, draft }
}

/// What becomes of a directive written as fields (a directive file, the API's JSON): in
/// `auto` mode it is applied; in `review` mode it waits. Fields with a problem are refused,
/// every problem named: they were written by a person or a program, not guessed.
pub fn intake_fields(
    settings: &Settings,
    fields: DirectiveFields,
    auto: bool,
) -> Result<Intake, Vec<super::FieldProblem>> {
    let directive = input::directive(fields.clone(), "", &settings.departments, &settings.calendar.calendar)?;
    Ok(if auto {
        Intake { apply: Some(directive), draft: None }
    } else {
        let findings = vec![Finding::default(); fields.tasks.len()];
        Intake {
            apply: None,
            draft: Some(DraftContent { directive: fields, findings, encoding: None, text: None }),
        }
    })
}
