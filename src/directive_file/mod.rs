//! Reads a directive and its tasks from a TOML file, resolving each department by code,
//! name or alias, and reports every problem with its line and key.
//!
//! Parsing only: nothing here touches the store. A file with any problem yields no
//! directive at all, so a bad file can never leave half its tasks behind.

use std::fmt;
use std::ops::Range;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use crate::calendar::Calendar;
use crate::config::Departments;
use crate::domain::{DeadlineSpec, DepartmentCode};
use crate::store::{NewDirective, NewTask};

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
    let mut required = |value: Option<String>, key: &str| -> Option<String> {
        match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            Some(v) => Some(v),
            None => {
                problems.add(&header_span, format!("directive.{key}"), "missing");
                None
            }
        }
    };
    let title = required(header.title, "title");
    let issuer = required(header.issuer, "issuer");
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
    if shape.tasks.is_empty() {
        problems.add(&header_span, "tasks", "the directive has no [[tasks]]");
    }
    let mut tasks = Vec::new();
    for (i, task) in shape.tasks.into_iter().enumerate() {
        let context = TaskContext { departments, calendar, issued_on };
        if let Some(task) = parse_task(i, task, &context, &mut problems) {
            tasks.push(task);
        }
    }
    match (title, issuer, issued_on) {
        (Some(title), Some(issuer), Some(issued_on)) if problems.list.is_empty() => Ok(NewDirective {
            number: header.number.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
            title,
            issuer,
            issued_on,
            source: Some(file.to_owned()),
            tasks,
        }),
        _ => Err(fail(problems.list)),
    }
}

fn resolve(
    label: &Spanned<String>,
    key: &str,
    departments: &Departments,
    problems: &mut Problems<'_>,
) -> Option<DepartmentCode> {
    match departments.resolve(label.get_ref()) {
        Some(department) => Some(department.code.clone()),
        None => {
            problems.add(
                &label.span(),
                key,
                format!(
                    "unknown department '{}': use a code, name or alias from the config's [[departments]]",
                    label.get_ref()
                ),
            );
            None
        }
    }
}

/// What a task's fields are read against.
struct TaskContext<'a> {
    departments: &'a Departments,
    calendar: &'a Calendar,
    /// Where relative deadlines count from, when they do not say.
    issued_on: Option<NaiveDate>,
}

fn parse_task(
    i: usize,
    task: Spanned<TaskShape>,
    context: &TaskContext<'_>,
    problems: &mut Problems<'_>,
) -> Option<NewTask> {
    let departments = context.departments;
    let span = task.span();
    let task = task.into_inner();
    let key = |field: &str| format!("tasks[{i}].{field}");
    let summary = task.summary.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if summary.is_none() {
        problems.add(&span, key("summary"), "missing");
    }
    let lead = match &task.lead {
        Some(label) => resolve(label, &key("lead"), departments, problems),
        None => {
            problems.add(&span, key("lead"), "missing: the department that leads the task");
            None
        }
    };
    let mut coordinating = Vec::new();
    for (j, label) in task.coordinating.iter().enumerate() {
        if let Some(code) = resolve(label, &key(&format!("coordinating[{j}]")), departments, problems)
            && Some(&code) != lead.as_ref()
            && !coordinating.contains(&code)
        {
            coordinating.push(code);
        }
    }
    let deadline = match task.deadline {
        Some(value) => {
            let span = value.span();
            match date_text(value.get_ref()) {
                Some(text) => match DeadlineSpec::parse(&text, task.deadline_phrase.clone()) {
                    // Without the directive's date a relative deadline cannot be counted;
                    // that problem is already reported.
                    Ok(spec) => context.issued_on.and_then(|start| context.calendar.resolve(spec, start)),
                    Err(e) => {
                        problems.add(&span, key("deadline"), e.to_string());
                        None
                    }
                },
                None => {
                    problems.add(&span, key("deadline"), "write the deadline as text, e.g. \"2021-11\"");
                    None
                }
            }
        }
        None => {
            if task.deadline_phrase.is_some() {
                problems.add(
                    &span,
                    key("deadline_phrase"),
                    "a phrase without a deadline: add deadline = \"…\"",
                );
            }
            None
        }
    };
    Some(NewTask {
        section: task.section,
        summary: summary?,
        details: task.details.map(|d| d.split_whitespace().collect::<Vec<_>>().join(" ")),
        lead: lead?,
        coordinating,
        deadline,
        next_reminder_at: None,
    })
}

#[cfg(test)]
mod tests;
