//! The words of a reminder: subject and text, in Vietnamese, rendered from the templates
//! under `templates/` (embedded in the binary).
//!
//! Pure: given the facts of a reminder and the day it is sent, it returns text. It must
//! not decide whom to remind or when.

use chrono::NaiveDate;
use minijinja::Environment;
use serde::Serialize;

use crate::domain::{Directive, Role, Task};

const SUBJECT: &str = include_str!("../../templates/subject.txt.j2");
const BODY: &str = include_str!("../../templates/body.txt.j2");

/// Everything a reminder says, as the templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct ReminderFacts {
    pub key: String,
    pub department: String,
    pub department_name: String,
    pub role: Role,
    pub role_name: &'static str,
    pub rule: String,
    pub task_id: i64,
    pub summary: String,
    pub summary_short: String,
    pub details: Option<String>,
    pub section: Option<String>,
    pub lead_name: String,
    pub coordinating_names: String,
    pub directive: String,
    pub directive_number: Option<String>,
    pub directive_issued_on: String,
    pub directive_issuer: String,
    /// The day the task is due, dd/mm/yyyy.
    pub deadline: String,
    pub deadline_iso: String,
    /// The deadline as written, dd/mm/yyyy, when it fell on a day off and moved.
    pub deadline_written: Option<String>,
    pub deadline_phrase: Option<String>,
    /// Days from the sending day to the deadline; negative when overdue.
    pub days_left: i64,
    /// "còn 7 ngày đến hạn", "đến hạn hôm nay", "đã quá hạn 3 ngày".
    pub status: String,
    /// "Còn 7 ngày", "Đến hạn hôm nay", "Quá hạn 3 ngày".
    pub status_short: String,
}

/// A rendered reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot render the reminder template: {0}")]
pub struct RenderError(#[from] minijinja::Error);

/// Who is who, for the words of a message: department codes to names.
pub trait DepartmentNames {
    fn name_of(&self, code: &str) -> String;
}

impl DepartmentNames for crate::config::Departments {
    fn name_of(&self, code: &str) -> String {
        crate::domain::DepartmentCode::parse(code)
            .ok()
            .and_then(|code| self.get(&code).map(|d| d.name.clone()))
            .unwrap_or_else(|| code.to_owned())
    }
}

/// One reminder as the dispatcher knows it, before it is put in words.
pub struct Reminder<'a> {
    pub key: &'a str,
    pub task: &'a Task,
    pub directive: &'a Directive,
    pub department: &'a str,
    pub role: Role,
    pub rule: &'a str,
    /// The deadline as the directive wrote it.
    pub deadline: NaiveDate,
    /// The day it is due: the deadline, or the next working day when it is a day off.
    pub due: NaiveDate,
    /// The local day the reminder is sent.
    pub today: NaiveDate,
}

/// The facts of a reminder, with departments named by `names`.
pub fn facts(reminder: &Reminder<'_>, names: &impl DepartmentNames) -> ReminderFacts {
    let Reminder { key, task, directive, department, role, rule, deadline, due, today } = *reminder;
    let days_left = (due - today).num_days();
    let (status, status_short) = match days_left {
        0 => ("đến hạn hôm nay".to_owned(), "Đến hạn hôm nay".to_owned()),
        n if n > 0 => (format!("còn {n} ngày đến hạn"), format!("Còn {n} ngày")),
        n => (format!("đã quá hạn {} ngày", -n), format!("Quá hạn {} ngày", -n)),
    };
    let phrase = task.deadline.as_ref().filter(|d| d.date == deadline).and_then(|d| d.phrase.clone());
    ReminderFacts {
        key: key.to_owned(),
        department: department.to_owned(),
        department_name: names.name_of(department),
        role,
        role_name: role.vietnamese(),
        rule: rule.to_owned(),
        task_id: task.id.0,
        summary: task.summary.clone(),
        summary_short: shorten(&task.summary, 90),
        details: task.details.clone(),
        section: task.section.clone(),
        lead_name: names.name_of(task.lead.as_str()),
        coordinating_names: task
            .coordinating
            .iter()
            .map(|c| names.name_of(c.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        directive: directive.citation(),
        directive_number: directive.number.clone(),
        directive_issued_on: directive.issued_on.format("%d/%m/%Y").to_string(),
        directive_issuer: directive.issuer.clone(),
        deadline: due.format("%d/%m/%Y").to_string(),
        deadline_iso: due.to_string(),
        deadline_written: (due != deadline).then(|| deadline.format("%d/%m/%Y").to_string()),
        deadline_phrase: phrase,
        days_left,
        status,
        status_short,
    }
}

/// At most `max` characters, cut at a word and marked with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

/// Renders reminders; built once, shared by the senders.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    pub fn new() -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.add_template("subject", SUBJECT)?;
        env.add_template("body", BODY)?;
        Ok(Self { env })
    }

    pub fn render(&self, facts: &ReminderFacts) -> Result<Message, RenderError> {
        let subject = self.env.get_template("subject")?.render(minijinja::value::Serde(facts))?;
        let text = self.env.get_template("body")?.render(minijinja::value::Serde(facts))?;
        Ok(Message {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: text.trim().to_owned() + "\n",
        })
    }
}

#[cfg(test)]
mod tests;
