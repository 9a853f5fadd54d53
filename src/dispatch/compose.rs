//! What a claimed item says, as it is sent: a reminder's facts with its acknowledge links,
//! a summary's figures. Pure over what dispatch read, so that `render` shows the very bytes
//! dispatch sends.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use crate::config::{Department, Settings};
use crate::domain::{Directive, Role, Rule, Task};
use crate::links::ReminderLinks;
use crate::message::{self, ReminderFacts, SummaryFacts, SummaryRow};
use crate::plan::Policy;
use crate::summary::Summary;

/// One reminder as it goes out: its key, the department's part now, the rule, the deadline
/// it was planned for, and the local day it is sent (for the days left).
#[derive(Debug, Clone, Copy)]
pub struct Reminder<'a> {
    pub key: &'a str,
    pub role: Role,
    pub rule: Rule,
    pub deadline: NaiveDate,
    pub today: NaiveDate,
}

/// When the links in a message sent on local day `today` stop working: `valid_for` after
/// that day ends. Counted from the day, not the instant, so that the message a day sends is
/// the same whenever that day it is made.
pub fn link_expiry(today: NaiveDate, policy: &Policy, valid_for: chrono::Duration) -> DateTime<Utc> {
    let end_of_day = today.checked_add_days(Days::new(1)).unwrap_or(today);
    let end = crate::plan::local_instant(end_of_day, NaiveTime::MIN, policy);
    end.checked_add_signed(valid_for).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The facts of a reminder to `department` (the task's own, in the reminder), with the
/// acknowledge links when `links` are on.
pub fn reminder_facts(
    reminder: &Reminder<'_>,
    task: &Task,
    directive: &Directive,
    department: &crate::domain::DepartmentCode,
    settings: &Settings,
    policy: &Policy,
    links: Option<&ReminderLinks>,
) -> ReminderFacts {
    let rule = reminder.rule.to_string();
    let facts = message::Reminder {
        key: reminder.key,
        task,
        directive,
        department: department.as_str(),
        role: reminder.role,
        rule: &rule,
        deadline: reminder.deadline,
        due: policy.due_date(reminder.deadline),
        today: reminder.today,
    };
    let mut facts = message::facts(&facts, &settings.departments);
    if let Some(links) = links {
        let expires = link_expiry(reminder.today, policy, links.valid_for());
        let (received, done) = links.for_reminder(
            task.id,
            department,
            reminder.role,
            reminder.rule.kind(),
            reminder.deadline,
            expires,
        );
        (facts.received_url, facts.done_url) = (Some(received), done);
    }
    facts
}

/// The weekly summary's facts for `department`, as of `day`.
pub fn summary_facts(
    key: &str,
    department: &Department,
    day: NaiveDate,
    summary: &Summary,
    settings: &Settings,
) -> SummaryFacts {
    let rows = summary
        .by_department
        .iter()
        .map(|(code, figures)| SummaryRow {
            department: code.clone(),
            department_name: message::DepartmentNames::name_of(&settings.departments, code),
            figures: figures.clone(),
        })
        .collect();
    SummaryFacts {
        key: key.to_owned(),
        department: department.code.to_string(),
        department_name: department.name.clone(),
        date: day.format("%d/%m/%Y").to_string(),
        rows,
        total: summary.total.clone(),
    }
}
