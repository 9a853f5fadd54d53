//! A department's open deadlines as an iCalendar (RFC 5545) feed, with an alarm at each
//! reminder the schedule gives it, so that heads can subscribe in Outlook, Thunderbird or
//! a phone.
//!
//! Pure: tasks, policy and clock in, text out. The alarms come from the same series as the
//! reminders, so a calendar never disagrees with the email.

use chrono::{DateTime, Days, NaiveDate, Utc};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, Property, Trigger};

use crate::domain::Rule;
use crate::domain::{Directive, Role, Task, Unit};
use crate::plan::{Policy, Series};

/// One task on a department's calendar.
pub struct FeedTask<'a> {
    pub task: &'a Task,
    pub directive: Option<&'a Directive>,
    /// The department's part in it.
    pub role: Role,
}

/// The calendar of `department` (its name in `department_name`) at `now`: each open task
/// with a deadline as an all-day event on its due date; a recurring task as one event per
/// occurrence, a year ahead.
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
        let Some(current) = task.deadline.as_ref() else { continue };
        // A recurring task: its current occurrence and those of the year after it.
        let year_ahead = current.date.checked_add_days(chrono::Days::new(366)).unwrap_or(current.date);
        let later: Vec<NaiveDate> = task
            .recurrence
            .map(|r| {
                r.occurrences_from(current.date).skip(1).take_while(|d| *d <= year_ahead).take(60).collect()
            })
            .unwrap_or_default();
        for date in std::iter::once(current.date).chain(later) {
            let deadline = &crate::domain::Deadline { date, ..current.clone() };
            let due = policy.due_date(deadline.date);
            let uid = match task.recurrence {
                Some(_) => {
                    format!("task-{}-{}-{department}@{host}", task.id.0, deadline.date.format("%Y%m%d"))
                }
                None => format!("task-{}-{department}@{host}", task.id.0),
            };
            let mut event = Event::new();
            event
                .uid(&uid)
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
                // The trigger is written by `trigger`, in days and hours; this one is replaced.
                let mut alarm = Alarm::display(
                    &alarm_text(occurrence.rule, &task.summary),
                    Trigger::before_start(chrono::Duration::zero()),
                );
                alarm.append_property(trigger(occurrence.at, due, policy));
                event.alarm(alarm.done());
            }
            calendar.push(event.done());
        }
    }
    calendar.done().to_string()
}

/// An alarm at `at`, as an offset from the start of the all-day event on `due` (local
/// midnight), which every client reads the same way, written in days, hours and minutes
/// (`-P13DT16H`) as calendar programs write it.
fn trigger(at: DateTime<Utc>, due: NaiveDate, policy: &Policy) -> Property {
    let local = at.with_timezone(&policy.timezone).naive_local();
    let start = due.and_hms_opt(0, 0, 0).unwrap_or_default();
    Property::new("TRIGGER", rfc5545_duration(local - start)).add_parameter("RELATED", "START").done()
}

/// An RFC 5545 duration in days, hours and minutes: `-P13DT16H`, `PT8H`, `P1D`, `PT0S`.
fn rfc5545_duration(offset: chrono::Duration) -> String {
    let sign = if offset < chrono::Duration::zero() { "-" } else { "" };
    let minutes = offset.num_minutes().abs();
    let (days, hours, minutes) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    let mut text = format!("{sign}P");
    if days > 0 {
        text.push_str(&format!("{days}D"));
    }
    if hours > 0 || minutes > 0 {
        text.push('T');
        if hours > 0 {
            text.push_str(&format!("{hours}H"));
        }
        if minutes > 0 {
            text.push_str(&format!("{minutes}M"));
        }
    }
    if days == 0 && hours == 0 && minutes == 0 {
        text.push_str("T0S");
    }
    text
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::calendar::Calendar;
    use crate::config::Schedule;
    use crate::domain::{Deadline, DepartmentCode, DirectiveId, Offset, TaskId, TaskStatus};

    fn policy() -> Policy {
        let schedule = Schedule {
            before: vec![Offset::days(14), Offset::days(7), Offset::working_days(3)],
            ..crate::plan::tests::schedule()
        };
        Policy::new(schedule, Calendar::vietnam(), chrono_tz::Asia::Ho_Chi_Minh)
    }

    fn task(id: i64, summary: &str, deadline: &str) -> Task {
        Task {
            id: TaskId(id),
            directive_id: DirectiveId(1),
            section: None,
            summary: summary.into(),
            details: None,
            lead: DepartmentCode::parse("snv").unwrap(),
            coordinating: vec![],
            deadline: Some(Deadline::parse(deadline, Some("trong tháng 4".into())).unwrap()),
            recurrence: None,
            status: TaskStatus::Open,
            done_on: None,
            created_at: Utc.with_ymd_and_hms(2021, 9, 21, 2, 0, 0).unwrap(),
        }
    }

    #[test]
    fn durations_are_written_in_days_hours_and_minutes() {
        let d = |minutes: i64| rfc5545_duration(chrono::Duration::minutes(minutes));
        assert_eq!(d(0), "PT0S");
        assert_eq!(d(8 * 60), "PT8H");
        assert_eq!(d(-(13 * 24 + 16) * 60), "-P13DT16H");
        assert_eq!(d(24 * 60), "P1D");
        assert_eq!(d(-(2 * 24 * 60 + 90)), "-P2DT1H30M");
        assert_eq!(d(-30), "-PT30M");
    }

    fn unfolded(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn a_recurring_task_is_an_event_for_each_occurrence_a_year_ahead() {
        let policy = policy();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0).unwrap();
        let mut monthly = task(5, "Báo cáo giải ngân", "2026-05-20");
        monthly.recurrence = Some(crate::domain::Recurrence {
            every: crate::domain::Period::Month,
            month: None,
            day: Some(20),
        });
        let entries = [FeedTask { task: &monthly, directive: None, role: Role::Lead }];
        let snv = DepartmentCode::parse("snv").unwrap();
        let text = unfolded(&render(&snv, "Sở Nội vụ", &entries, &policy, "nhacviec.example", now));
        // May 2026 to May 2027; 20/06/2026 is a Saturday, due Monday 22/06.
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 13, "{text}");
        assert!(text.contains("UID:task-5-20260620-snv@nhacviec.example"), "{text}");
        assert!(text.contains("DTSTART;VALUE=DATE:20260622"), "{text}");
        assert!(text.contains("DTSTART;VALUE=DATE:20270520"), "{text}");
    }

    #[test]
    fn deadlines_are_all_day_events_with_an_alarm_at_each_reminder() {
        let policy = policy();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0).unwrap();
        // Thursday 30/04/2026 is a holiday, and 01/05 too: the task is due Monday 04/05.
        let long =
            "Xây dựng Đề án mở rộng địa giới hành chính thành phố Nam Định; báo cáo, đề xuất, kiến nghị";
        let tasks = [task(7, long, "2026-04-30"), task(8, "Không có hạn", "2026-06-15")];
        let mut entries: Vec<FeedTask<'_>> =
            tasks.iter().map(|task| FeedTask { task, directive: None, role: Role::Lead }).collect();
        let mut no_deadline = task(9, "Không hạn", "2026-06-15");
        no_deadline.deadline = None;
        entries.push(FeedTask { task: &no_deadline, directive: None, role: Role::Coordinating });
        let snv = DepartmentCode::parse("snv").unwrap();
        let text = render(&snv, "Sở Nội vụ", &entries, &policy, "nhacviec.example", now);

        assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
        // Folded at 75 octets, never inside a character.
        assert!(text.split("\r\n").all(|line| line.len() <= 75), "{text}");
        let text = unfolded(&text);
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
        assert!(text.contains("UID:task-7-snv@nhacviec.example"), "{text}");
        assert!(text.contains("DTSTART;VALUE=DATE:20260504"), "{text}");
        assert!(text.contains("DTEND;VALUE=DATE:20260505"), "{text}");
        assert!(text.contains("SUMMARY:Hạn: Xây dựng Đề án mở rộng địa giới hành chính thành phố Nam Định\\; báo cáo\\, đề xuất\\, kiến nghị"), "{text}");
        assert!(text.contains("là ngày nghỉ nên chuyển sang 04/05/2026"), "{text}");
        // 14 days before 04/05 is Monday 20/04. 7 days before is Monday 27/04, the day off
        // for Giỗ Tổ (Sunday 26/04), so Friday 24/04; 3 working days before is 24/04 too
        // (29, 28, then 24: 30/04, 01/05 and 27/04 are off); the two are one reminder, so
        // one alarm. Then the day itself at 08:00.
        let event = &text[..text.find("END:VEVENT").unwrap()];
        let triggers: Vec<&str> = event.lines().filter_map(|l| l.strip_prefix("TRIGGER")).collect();
        assert_eq!(triggers.len(), 3, "{event}");
        assert_eq!(triggers, [";RELATED=START:-P13DT16H", ";RELATED=START:-P9DT16H", ";RELATED=START:PT8H"]);
        assert_eq!(event.matches("BEGIN:VALARM").count(), 3);
        assert!(event.contains("ACTION:DISPLAY"));
    }
}
