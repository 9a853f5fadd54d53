//! How directives and tasks look outside the program: the JSON of the CLI's
//! `--format json` and of the API. Shapes only; reading and deciding live elsewhere.

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Settings;
use crate::domain::{Directive, Recurrence};
use crate::store::TaskRecord;

/// A task as the CLI and the API show it.
#[derive(Debug, Serialize)]
pub struct TaskView {
    pub id: i64,
    pub directive_id: i64,
    pub section: Option<String>,
    pub summary: String,
    pub details: Option<String>,
    pub lead: String,
    pub coordinating: Vec<String>,
    pub deadline: Option<NaiveDate>,
    pub deadline_precision: Option<&'static str>,
    pub deadline_phrase: Option<String>,
    /// How a recurring task comes due again; its `deadline` is the current occurrence's.
    pub recurrence: Option<Recurrence>,
    /// The occurrences after the current one, up to a year ahead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub next_occurrences: Vec<NaiveDate>,
    pub status: &'static str,
    pub done_on: Option<NaiveDate>,
    /// When the task is next looked at for reminders, in the configured zone.
    pub next_reminder_at: Option<String>,
}

pub fn view(record: &TaskRecord, settings: &Settings) -> TaskView {
    let task = &record.task;
    TaskView {
        id: task.id.0,
        directive_id: task.directive_id.0,
        section: task.section.clone(),
        summary: task.summary.clone(),
        details: task.details.clone(),
        lead: task.lead.to_string(),
        coordinating: task.coordinating.iter().map(ToString::to_string).collect(),
        deadline: task.deadline.as_ref().map(|d| d.date),
        deadline_precision: task.deadline.as_ref().map(|d| d.precision.as_str()),
        deadline_phrase: task.deadline.as_ref().and_then(|d| d.phrase.clone()),
        recurrence: task.recurrence,
        next_occurrences: match (task.recurrence, &task.deadline) {
            (Some(recurrence), Some(deadline)) => {
                let year_ahead =
                    deadline.date.checked_add_days(chrono::Days::new(366)).unwrap_or(deadline.date);
                recurrence
                    .occurrences_from(deadline.date)
                    .skip(1)
                    .take_while(|d| *d <= year_ahead)
                    .take(60)
                    .collect()
            }
            _ => Vec::new(),
        },
        status: task.status.as_str(),
        done_on: task.done_on,
        next_reminder_at: record.next_reminder_at.map(|at| at.with_timezone(&settings.timezone).to_rfc3339()),
    }
}

/// A directive with the number of its tasks.
#[derive(Debug, Serialize)]
pub struct DirectiveView {
    pub id: i64,
    pub number: Option<String>,
    pub title: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub tasks: i64,
}

impl DirectiveView {
    pub fn new(directive: Directive, tasks: i64) -> Self {
        Self {
            id: directive.id.0,
            number: directive.number,
            title: directive.title,
            issuer: directive.issuer,
            issued_on: directive.issued_on,
            tasks,
        }
    }
}

/// The headings of the summary's figures, as the Government Office's reports word them.
pub const SUMMARY_HEADERS: [&str; 6] = [
    "Đơn vị chủ trì",
    "Đang thực hiện",
    "Đến hạn trong 7 ngày",
    "Quá hạn",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
];

/// The summary's figures as a sheet: a row per lead department, by name, then the total.
pub fn summary_sheet(
    today: NaiveDate,
    summary: &crate::summary::Summary,
    names: &impl crate::message::DepartmentNames,
) -> crate::export::Sheet {
    use crate::export::Cell;
    use crate::summary::Figures;
    let cells = |name: &str, f: &Figures| -> Vec<Cell> {
        vec![
            name.into(),
            f.open.into(),
            f.due_within_7_days.into(),
            f.overdue.into(),
            f.done_on_time.into(),
            f.done_late.into(),
        ]
    };
    let mut lines: Vec<Vec<Cell>> =
        summary.by_department.iter().map(|(code, figures)| cells(&names.name_of(code), figures)).collect();
    lines.push(cells("Tổng cộng", &summary.total));
    crate::export::Sheet {
        title: format!("Đến ngày {}", today.format("%d-%m-%Y")),
        headers: SUMMARY_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows: lines,
    }
}
