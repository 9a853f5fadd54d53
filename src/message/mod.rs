//! The words of a reminder: subject, plain text and HTML, in Vietnamese, rendered from the
//! templates under `templates/` (embedded in the binary), or from an admin's own.
//!
//! Pure: given the facts of a reminder and the day it is sent, it returns text. It must
//! not decide whom to remind or when.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Directive, Role, Task};

mod digest;
mod templates;

pub use digest::{DigestFacts, DigestGroup, digest, digest_key};
pub use templates::{Renderer, TemplateError};

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
    /// "Đã nhận": stops this kind of reminder; set when `http.public_url` is.
    pub received_url: Option<String>,
    /// "Báo cáo hoàn thành": marks the task done; for the lead department only.
    pub done_url: Option<String>,
}

/// The facts behind a message, as a generic webhook's template sees them.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub enum Facts<'a> {
    Reminder(&'a ReminderFacts),
    Digest(&'a DigestFacts),
    Summary(&'a SummaryFacts),
    Notice(&'a NoticeFacts),
}

/// A notice of the web pages as the `notice.*` templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeFacts {
    pub key: String,
    /// `sign_in`, `extension_requested` or `extension_decided`.
    pub kind: &'static str,
    pub department: String,
    /// Whom it is to: a person's name, or the department's.
    pub recipient_name: String,
    /// The subject's words, without the `[Nhắc việc]` tag.
    pub title: String,
    pub paragraphs: Vec<String>,
    pub task: Option<NoticeTask>,
    pub actions: Vec<NoticeAction>,
    /// Until when its links work, as the reader's clock says.
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoticeTask {
    pub id: i64,
    pub summary: String,
    pub directive: String,
    pub lead_name: String,
    pub deadline: String,
}

/// A link the notice offers.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeAction {
    pub label: String,
    pub url: String,
}

/// The weekly summary as the `summary.*` templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryFacts {
    pub key: String,
    pub department: String,
    pub department_name: String,
    /// The day the figures are as of, dd/mm/yyyy.
    pub date: String,
    pub rows: Vec<SummaryRow>,
    pub total: crate::summary::Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    pub department: String,
    pub department_name: String,
    #[serde(flatten)]
    pub figures: crate::summary::Figures,
}

/// A rendered reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
}

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
        received_url: None,
        done_url: None,
    }
}

/// A sample notice of the pages (an extension request, to the office), to check the
/// `notice.*` templates render.
pub fn sample_notice() -> NoticeFacts {
    NoticeFacts {
        key: "notice.extension.0.requested.sample.email".to_owned(),
        kind: "extension_requested",
        department: "vp".to_owned(),
        recipient_name: "Văn phòng UBND tỉnh".to_owned(),
        title: "Sở Nội vụ đề nghị gia hạn nhiệm vụ".to_owned(),
        paragraphs: vec!["Sở Nội vụ đề nghị gia hạn nhiệm vụ dưới đây đến ngày 31/12/2021.".to_owned()],
        task: Some(NoticeTask {
            id: 0,
            summary: "Nhiệm vụ mẫu".to_owned(),
            directive: "Văn bản mẫu".to_owned(),
            lead_name: "Sở Nội vụ".to_owned(),
            deadline: "30/11/2021".to_owned(),
        }),
        actions: vec![NoticeAction {
            label: "Đồng ý gia hạn".to_owned(),
            url: "https://example.invalid/".to_owned(),
        }],
        expires: Some("17:00 ngày 30/12/2021".to_owned()),
    }
}

/// A reminder with every field filled, to try templates on (`nhacviec check`, `send-test`).
pub fn sample_facts(department: &str, department_name: &str) -> ReminderFacts {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    ReminderFacts {
        key: "t0.sample.before-7d.20211123.d20211130.sample".to_owned(),
        department: department.to_owned(),
        department_name: department_name.to_owned(),
        role: Role::Lead,
        role_name: Role::Lead.vietnamese(),
        rule: "before:7d".to_owned(),
        task_id: 0,
        summary: "Tin nhắn thử của hệ thống Nhắc việc".to_owned(),
        summary_short: "Tin nhắn thử của hệ thống Nhắc việc".to_owned(),
        details: Some("Đây là tin nhắn thử: không cần thực hiện gì.".to_owned()),
        section: Some("1".to_owned()),
        lead_name: department_name.to_owned(),
        coordinating_names: String::new(),
        directive: "Tin nhắn thử".to_owned(),
        directive_number: None,
        directive_issued_on: date(2021, 9, 21).format("%d/%m/%Y").to_string(),
        directive_issuer: "Nhắc việc".to_owned(),
        deadline: date(2021, 11, 30).format("%d/%m/%Y").to_string(),
        deadline_iso: date(2021, 11, 30).to_string(),
        deadline_written: None,
        deadline_phrase: Some("vào tháng 11/2021".to_owned()),
        days_left: 7,
        status: "còn 7 ngày đến hạn".to_owned(),
        status_short: "Còn 7 ngày".to_owned(),
        received_url: Some("https://nhacviec.example/ack/sample-received".to_owned()),
        done_url: Some("https://nhacviec.example/ack/sample-done".to_owned()),
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

#[cfg(test)]
mod tests;
