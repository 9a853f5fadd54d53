//! Reads a directive and its tasks from a TOML file, and reports every problem with its
//! line and key. The fields are checked by `app::input::directive`, as the API's are; this
//! reader adds only what TOML can get wrong (syntax, types, unknown keys) and the lines.
//!
//! Parsing only: nothing here touches the store. A file with any problem yields no
//! directive at all, so a bad file can never leave half its tasks behind.

use std::fmt;
use std::ops::Range;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use std::collections::HashMap;

use crate::app::input::{self, DirectiveFields, TaskFields};
use crate::calendar::Calendar;
use crate::config::Departments;
use crate::domain::NewDirective;

mod write;
pub use write::{proposal_file, write};

/// One problem in a directive file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub line: usize,
    pub key: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub struct DirectiveFileError {
    pub file: String,
    pub problems: Vec<FileProblem>,
}

impl fmt::Display for DirectiveFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self
            .problems
            .iter()
            .map(|p| {
                let key = if p.key.is_empty() { String::new() } else { format!("{}: ", p.key) };
                format!("{}:{}: {key}{}", self.file, p.line, p.message)
            })
            .collect();
        f.write_str(&lines.join("\n"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    directive: Option<Spanned<HeaderShape>>,
    #[serde(default)]
    tasks: Vec<Spanned<TaskShape>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderShape {
    number: Option<String>,
    title: Option<String>,
    issuer: Option<String>,
    issued_on: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskShape {
    section: Option<String>,
    summary: Option<String>,
    details: Option<String>,
    lead: Option<Spanned<String>>,
    #[serde(default)]
    coordinating: Vec<Spanned<String>>,
    deadline: Option<Spanned<toml::Value>>,
    deadline_phrase: Option<String>,
    recurrence: Option<crate::domain::Recurrence>,
}

struct Problems<'a> {
    text: &'a str,
    list: Vec<FileProblem>,
}

impl Problems<'_> {
    fn line_of(&self, span: &Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())].matches('\n').count() + 1
    }

    fn add(&mut self, span: &Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let line = self.line_of(span);
        self.list.push(FileProblem { line, key: key.into(), message: message.into() });
    }
}

/// A date written as a TOML date (`2021-09-21`) or a string (`"2021-09-21"`), as text.
fn date_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text.clone()),
        toml::Value::Datetime(datetime) => Some(datetime.to_string()),
        toml::Value::Integer(year) => Some(year.to_string()),
        _ => None,
    }
}

/// Parses `text`, read from `file`, into a directive ready for the store.
/// Departments are found in `departments`; relative deadlines are counted on `calendar`.
pub fn parse(
    text: &str,
    file: &str,
    departments: &Departments,
    calendar: &Calendar,
) -> Result<NewDirective, DirectiveFileError> {
    read(text, file, departments, calendar).map(|(_, directive)| directive)
}

/// `parse`, with the fields as the file wrote them (to keep as a draft, and check again
/// when it is accepted).
pub fn read(
    text: &str,
    file: &str,
    departments: &Departments,
    calendar: &Calendar,
) -> Result<(DirectiveFields, NewDirective), DirectiveFileError> {
    let fail = |problems: Vec<FileProblem>| DirectiveFileError { file: file.to_owned(), problems };
    let mut problems = Problems { text, list: Vec::new() };
    if text.trim().is_empty() {
        problems.add(
            &(0..0),
            "",
            "the file is empty: a directive file needs a [directive] table and [[tasks]]",
        );
        return Err(fail(problems.list));
    }
    let shape: FileShape = match toml::from_str(text) {
        Ok(shape) => shape,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            problems.add(&span, "", format!("not valid TOML: {}", e.message()));
            return Err(fail(problems.list));
        }
    };
    let Some(header) = shape.directive else {
        problems.add(&(0..0), "directive", "missing: the [directive] table with title, issuer and issued_on");
        return Err(fail(problems.list));
    };
    let header_span = header.span();
    let header = header.into_inner();
    // Where each field was written, to give a checker's problem its line.
    let mut spans: HashMap<String, Range<usize>> = HashMap::new();
    let issued_on = match header.issued_on {
        Some(value) => {
            let span = value.span();
            let parsed =
                date_text(value.get_ref()).and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok());
            if parsed.is_none() {
                problems.add(&span, "directive.issued_on", "not a date in the calendar: write YYYY-MM-DD");
            }
            parsed
        }
        None => {
            problems.add(&header_span, "directive.issued_on", "missing");
            None
        }
    };
    let mut tasks = Vec::new();
    for (i, task) in shape.tasks.into_iter().enumerate() {
        let key = |field: &str| format!("tasks[{i}].{field}");
        spans.insert(format!("tasks[{i}]"), task.span());
        let task = task.into_inner();
        if let Some(lead) = &task.lead {
            spans.insert(key("lead"), lead.span());
        }
        for (j, label) in task.coordinating.iter().enumerate() {
            spans.insert(key(&format!("coordinating[{j}]")), label.span());
        }
        let (deadline, deadline_phrase) = match task.deadline {
            Some(value) => {
                spans.insert(key("deadline"), value.span());
                match date_text(value.get_ref()) {
                    Some(text) => (Some(text), task.deadline_phrase),
                    None => {
                        problems.add(
                            &value.span(),
                            key("deadline"),
                            "write the deadline as text, e.g. \"2021-11\"",
                        );
                        (None, None)
                    }
                }
            }
            None => (None, task.deadline_phrase),
        };
        tasks.push(TaskFields {
            section: task.section,
            summary: task.summary,
            details: task.details,
            lead: task.lead.map(Spanned::into_inner),
            coordinating: task.coordinating.into_iter().map(Spanned::into_inner).collect(),
            deadline,
            deadline_phrase,
            recurrence: task.recurrence,
            origin: None,
        });
    }
    let fields = DirectiveFields {
        number: header.number,
        title: header.title,
        issuer: header.issuer,
        issued_on,
        source: Some(file.to_owned()),
        source_hash: None,
        tasks,
    };
    let checked = input::directive(fields.clone(), "directive.", departments, calendar);
    let checked = match checked {
        Ok(directive) => Some(directive),
        Err(found) => {
            for problem in found {
                // The field's own span, else its task's, else the header's.
                let task = problem.field.split_once('.').map(|(task, _)| task).unwrap_or("");
                let span = spans.get(&problem.field).or_else(|| spans.get(task)).unwrap_or(&header_span);
                problems.add(span, problem.field, problem.message);
            }
            None
        }
    };
    match checked {
        Some(directive) if problems.list.is_empty() => Ok((fields, directive)),
        _ => Err(fail(problems.list)),
    }
}

#[cfg(test)]
mod tests;
