//! Writes a directive file from a directive's fields: what `draft show --format toml` and
//! `import --format toml` print for a person to correct and add. What `parse` reads back
//! is what was written; comments carry the notes for the person.

use crate::app::input::DirectiveFields;
use crate::domain::{Period, Recurrence};

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn comment(out: &mut String, note: &str) {
    for line in note.lines() {
        out.push_str(&format!("# {line}\n"));
    }
}

fn period_name(period: Period) -> &'static str {
    match period {
        Period::Week => "week",
        Period::Month => "month",
        Period::Quarter => "quarter",
        Period::HalfYear => "half_year",
        Period::Year => "year",
    }
}

fn recurrence(recurrence: &Recurrence) -> String {
    let mut parts = vec![format!("every = {}", quoted(period_name(recurrence.every)))];
    if let Some(month) = recurrence.month {
        parts.push(format!("month = {month}"));
    }
    if let Some(day) = recurrence.day {
        parts.push(format!("day = {day}"));
    }
    format!("{{ {} }}", parts.join(", "))
}

/// The directive file of `fields`: `heading` as comments at the top, and `notes[i]` as
/// comments above task `i`. A missing title, issuer or date is written empty or commented
/// out, for the person to fill in (`parse` names what is still missing).
pub fn write(fields: &DirectiveFields, heading: &[String], notes: &[Vec<String>]) -> String {
    let mut out = String::new();
    for note in heading {
        comment(&mut out, note);
    }
    if !heading.is_empty() {
        out.push('\n');
    }
    out.push_str("[directive]\n");
    if let Some(number) = &fields.number {
        out.push_str(&format!("number = {}\n", quoted(number)));
    }
    out.push_str(&format!("title = {}\n", quoted(fields.title.as_deref().unwrap_or(""))));
    match &fields.issuer {
        Some(issuer) => out.push_str(&format!("issuer = {}\n", quoted(issuer))),
        None => out.push_str("issuer = \"\" # xem lại: không đọc được cơ quan ban hành\n"),
    }
    match fields.issued_on {
        Some(date) => out.push_str(&format!("issued_on = {date}\n")),
        None => out.push_str("# issued_on = YYYY-MM-DD # xem lại: không đọc được ngày ban hành\n"),
    }
    for (index, task) in fields.tasks.iter().enumerate() {
        out.push('\n');
        for note in notes.get(index).into_iter().flatten() {
            comment(&mut out, note);
        }
        out.push_str("[[tasks]]\n");
        if let Some(section) = &task.section {
            out.push_str(&format!("section = {}\n", quoted(section)));
        }
        out.push_str(&format!("summary = {}\n", quoted(task.summary.as_deref().unwrap_or(""))));
        if let Some(details) = &task.details {
            out.push_str(&format!("details = {}\n", quoted(details)));
        }
        out.push_str(&format!("lead = {}\n", quoted(task.lead.as_deref().unwrap_or(""))));
        if !task.coordinating.is_empty() {
            let names: Vec<String> = task.coordinating.iter().map(|c| quoted(c)).collect();
            out.push_str(&format!("coordinating = [{}]\n", names.join(", ")));
        }
        if let Some(deadline) = &task.deadline {
            out.push_str(&format!("deadline = {}\n", quoted(deadline)));
        }
        if let Some(every) = &task.recurrence {
            out.push_str(&format!("recurrence = {}\n", recurrence(every)));
        }
        if let Some(phrase) = &task.deadline_phrase {
            out.push_str(&format!("deadline_phrase = {}\n", quoted(phrase)));
        }
    }
    out
}

/// The proposal as a directive file that `nhacviec directive add` accepts, each task with
/// its source line, confidence and what to check in a comment for the person editing it.
pub fn proposal_file(proposal: &crate::import::Proposal, file: &str) -> String {
    let document = &proposal.document;
    let mut heading = vec![
        format!("Đề xuất nhập từ {file}: {} nhiệm vụ.", proposal.tasks.len()),
        "Kiểm tra các dòng có \"xem lại\" trước khi thêm bằng `nhacviec directive add`.".to_owned(),
    ];
    if document.issue_date.is_none() && document.meeting_date.is_some() {
        heading.push("xem lại: issued_on là ngày họp, văn bản không ghi ngày ban hành".to_owned());
    }
    let notes: Vec<Vec<String>> = proposal
        .tasks
        .iter()
        .map(|task| {
            let review: Vec<&str> =
                task.flags.iter().filter(|f| f.needs_review()).map(|f| f.as_str()).collect();
            let review =
                if review.is_empty() { String::new() } else { format!("; xem lại: {}", review.join(", ")) };
            let mut notes = vec![format!("dòng {}, độ tin cậy {:.2}{review}", task.line, task.confidence)];
            if task.deadline_written.is_none()
                && task.recurrence.is_none()
                && let Some(phrase) = &task.deadline_phrase
            {
                notes.push(format!("thời hạn không tính được ngày: {phrase}"));
            }
            notes
        })
        .collect();
    write(&crate::app::imports::fields(proposal, file, ""), &heading, &notes)
}
