//! The reminder plan: from a task, the schedule policy, the working-day calendar and the
//! time now, which reminders are due and when the task next needs attention.
//!
//! Pure functions over plain data; the clock is a parameter. This module does no I/O: the
//! store persists what it computes, the dispatcher sends it.

mod rule;
mod series;
mod window;

pub use rule::{Rule, RuleError};
pub use series::{Occurrence, Series};
pub use window::next_send_moment;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::calendar::Calendar;
use crate::config::Schedule;
use crate::domain::{DepartmentCode, Role, Task, TaskId, TaskStatus};

/// Everything the plan needs besides the task and the clock.
#[derive(Debug, Clone)]
pub struct Policy {
    pub schedule: Schedule,
    pub calendar: Calendar,
    pub timezone: Tz,
}

impl Policy {
    pub fn new(schedule: Schedule, timezone: Tz) -> Self {
        let calendar = if schedule.working_days_only {
            Calendar::weekends_off()
        } else {
            Calendar::every_day()
        };
        Self {
            schedule,
            calendar,
            timezone,
        }
    }

    /// The local calendar date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }
}

/// One department to be reminded of one task by one rule on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedReminder {
    pub task_id: TaskId,
    pub department: DepartmentCode,
    pub role: Role,
    pub rule: Rule,
    /// The local day the reminder belongs to (after moving off non-working days).
    pub day: NaiveDate,
    /// The deadline it reminds of; a reminder for another deadline is stale.
    pub deadline: NaiveDate,
    /// When the occurrence fell due by the schedule.
    pub due_at: DateTime<Utc>,
    /// Not to be sent before this instant (inside the send window, on a working day).
    pub send_after: DateTime<Utc>,
}

/// What one planning step decides for one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPlan {
    /// The newest due occurrence of each series, for each of its recipients.
    pub reminders: Vec<PlannedReminder>,
    /// Older due occurrences replaced by the newest (missed while the daemon was down).
    pub superseded: Vec<Occurrence>,
    /// When the task next needs planning; `None` when it never will.
    pub next_at: Option<DateTime<Utc>>,
}

/// Who receives each series of a task: the lead and coordinating departments share the
/// reminder series; the escalation target gets the escalation series.
pub fn recipients(
    task: &Task,
    series: Series,
    escalate_to: Option<&DepartmentCode>,
) -> Vec<(DepartmentCode, Role)> {
    match series {
        Series::Reminders => std::iter::once((task.lead.clone(), Role::Lead))
            .chain(
                task.coordinating
                    .iter()
                    .filter(|code| **code != task.lead)
                    .map(|code| (code.clone(), Role::Coordinating)),
            )
            .collect(),
        Series::Escalation => escalate_to
            .map(|code| vec![(code.clone(), Role::Escalation)])
            .unwrap_or_default(),
    }
}

/// The reminders of `task` that fell due after `planned_until` and by `now`. Of each
/// series only the newest is sent: after downtime a department gets one current
/// reminder, not a burst of stale ones.
pub fn plan_task(
    task: &Task,
    escalate_to: Option<&DepartmentCode>,
    policy: &Policy,
    planned_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> TaskPlan {
    let mut plan = TaskPlan {
        reminders: Vec::new(),
        superseded: Vec::new(),
        next_at: None,
    };
    let (Some(deadline), TaskStatus::Open) = (&task.deadline, task.status) else {
        return plan;
    };
    let send_after = next_send_moment(now, policy);
    for series in [Series::Reminders, Series::Escalation] {
        let recipients = recipients(task, series, escalate_to);
        if recipients.is_empty() {
            continue;
        }
        let mut due: Vec<Occurrence> = series
            .occurrences(deadline.date, policy)
            .take_while(|o| o.at <= now)
            .filter(|o| planned_until.is_none_or(|p| o.at > p))
            .collect();
        if let Some(newest) = due.pop() {
            plan.reminders
                .extend(
                    recipients
                        .into_iter()
                        .map(|(department, role)| PlannedReminder {
                            task_id: task.id,
                            department,
                            role,
                            rule: newest.rule,
                            day: newest.day,
                            deadline: deadline.date,
                            due_at: newest.at,
                            send_after: send_after.max(newest.at),
                        }),
                );
        }
        plan.superseded.extend(due);
    }
    plan.next_at = next_planning_after(task, escalate_to, policy, Some(now));
    plan
}

/// When a task next needs planning after `after`: its first occurrence past that
/// instant. With `after` unset, its very first occurrence, past or future: a task entered
/// after some reminders' days is planned at once and gets the newest of them.
pub fn next_planning_after(
    task: &Task,
    escalate_to: Option<&DepartmentCode>,
    policy: &Policy,
    after: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let (Some(deadline), TaskStatus::Open) = (&task.deadline, task.status) else {
        return None;
    };
    [Series::Reminders, Series::Escalation]
        .into_iter()
        .filter(|series| !recipients(task, *series, escalate_to).is_empty())
        .filter_map(|series| {
            series
                .occurrences(deadline.date, policy)
                .find(|o| after.is_none_or(|a| o.at > a))
                .map(|o| o.at)
        })
        .min()
}

/// When a new task first needs planning.
pub fn first_planning_at(
    task: &Task,
    escalate_to: Option<&DepartmentCode>,
    policy: &Policy,
) -> Option<DateTime<Utc>> {
    next_planning_after(task, escalate_to, policy, None)
}

#[cfg(test)]
mod tests;
