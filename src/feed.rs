//! A department's open deadlines as an iCalendar (RFC 5545) feed, with an alarm at each
//! reminder the schedule gives it, so that heads can subscribe in Outlook, Thunderbird or
//! a phone.
//!
//! Pure: tasks, policy and clock in, text out. The alarms come from the same series as the
//! reminders, so a calendar never disagrees with the email.

use chrono::{DateTime, Days, NaiveDate, Utc};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, Trigger};

use crate::domain::{Directive, Role, Task, Unit};
use crate::plan::{Policy, Rule, Series};

/// One task on a department's calendar.
pub struct FeedTask<'a> {
    pub task: &'a Task,
    pub directive: Option<&'a Directive>,
    /// The department's part in it.
    pub role: Role,
}

/// The calendar of `department` (its name in `department_name`) at `now`: each open task
/// with a deadline as an all-day event on its due date.
pub fn render(
    department: &crate::domain::DepartmentCode,
    department_name: &str,
    tasks: &[FeedTask<'_>],
    policy: &Policy,
    host: &str,
    now: DateTime<Utc>,
) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//nhacviec//Nhac viec//VI"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .name(&format!("Nhắc việc: {department_name}"))
        .description(&format!("Thời hạn các nhiệm vụ của {department_name}"))
        .timezone(policy.timezone.name())
        // Clients refresh a subscription about this often.
        .ttl(&chrono::Duration::hours(6));
    let recipient_calendar = policy.calendar_for(department);
    for entry in tasks {
        let task = entry.task;
        let Some(deadline) = task.deadline.as_ref() else { continue };
        let due = policy.due_date(deadline.date);
        let mut event = Event::new();
        event
            .uid(&format!("task-{}-{department}@{host}", task.id.0))
            .timestamp(now)
            .starts(due)
            .ends(next_day(due))
            .summary(&format!("Hạn: {}", task.summary))
            .description(&description(entry, deadline.date, due))
            .add_property("TRANSP", "TRANSPARENT")
            .add_property("CATEGORIES", entry.role.vietnamese());
        for occurrence in Series::Reminders.occurrences(deadline.date, policy, recipient_calendar) {
            if matches!(occurrence.rule, Rule::Overdue) {
                break;
            }
            event.alarm(
                Alarm::display(
                    &alarm_text(occurrence.rule, &task.summary),
                    trigger(occurrence.at, due, policy),
                )
                .done(),
            );
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

/// An alarm at `at`, as an offset from the start of the all-day event on `due` (local
/// midnight), which every client reads the same way.
fn trigger(at: DateTime<Utc>, due: NaiveDate, policy: &Policy) -> Trigger {
    let local = at.with_timezone(&policy.timezone).naive_local();
    let start = due.and_hms_opt(0, 0, 0).unwrap_or_default();
    let offset = local - start;
    if offset < chrono::Duration::zero() {
        Trigger::before_start(-offset)
    } else {
        Trigger::after_start(offset)
    }
}

fn alarm_text(rule: Rule, summary: &str) -> String {
    match rule {
        Rule::Before(offset) => {
            let unit = match offset.unit() {
                Unit::Days => "ngày",
                Unit::WorkingDays => "ngày làm việc",
            };
            format!("Còn {} {unit} đến hạn: {summary}", offset.count())
        }
        _ => format!("Đến hạn hôm nay: {summary}"),
    }
}

fn description(entry: &FeedTask<'_>, written: NaiveDate, due: NaiveDate) -> String {
    let mut lines = vec![entry.task.summary.clone()];
    if let Some(details) = &entry.task.details {
        lines.push(format!("Nội dung: {details}"));
    }
    if let Some(directive) = entry.directive {
        lines.push(format!("Văn bản: {}", directive.citation()));
    }
    lines.push(format!("Vai trò: {}", entry.role.vietnamese()));
    if due != written {
        lines.push(format!(
            "Hạn ghi trong văn bản {} là ngày nghỉ nên chuyển sang {}",
            written.format("%d/%m/%Y"),
            due.format("%d/%m/%Y")
        ));
    }
    if let Some(phrase) = entry.task.deadline.as_ref().and_then(|d| d.phrase.as_deref()) {
        lines.push(format!("Thời hạn: {phrase}"));
    }
    lines.join("\n")
}

/// The day after `day`: an all-day event ends there (RFC 5545 `DTEND` is exclusive).
fn next_day(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1)).unwrap_or(day)
}
