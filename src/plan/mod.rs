//! The reminder plan: from a task, the schedule policy, the working-day calendar and the
//! time now, which reminders are due and when the task next needs attention.
//!
//! Pure functions over plain data; the clock is a parameter. This module does no I/O: the
//! store persists what it computes, the dispatcher sends it.

mod fanout;
mod series;
mod window;

pub use fanout::{FanOut, SkipReason, Skipped, fan_out};

pub use series::{Occurrence, Series};
pub use window::{after_quiet_hours, digest_moment, local_instant, next_send_moment};

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::calendar::Calendar;
use crate::config::{Schedule, Settings};
use crate::domain::{Acknowledgement, DepartmentCode, Role, Rule, Task, TaskId, TaskStatus};
use crate::outbox::{NewOutboxItem, Supersede};

/// Everything the plan needs besides the task and the clock.
#[derive(Debug, Clone)]
pub struct Policy {
    pub schedule: Schedule,
    /// The province's working days: due dates and working-day counts.
    pub calendar: Calendar,
    /// Departments with days off of their own.
    pub department_calendars: HashMap<DepartmentCode, Calendar>,
    /// Whether a deadline on a day off is due on the next working day, as Vietnamese law
    /// counts time limits.
    pub move_deadline_off_days_off: bool,
    pub timezone: Tz,
}

impl Policy {
    /// A policy on `calendar` with no department calendars, deadlines moved off days off.
    pub fn new(schedule: Schedule, calendar: Calendar, timezone: Tz) -> Self {
        Self {
            schedule,
            calendar,
            department_calendars: HashMap::new(),
            move_deadline_off_days_off: true,
            timezone,
        }
    }

    /// The policy the settings describe.
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        let calendar = settings.calendar.calendar.clone();
        let department_calendars = settings
            .departments
            .iter()
            .filter(|d| !d.calendar_days.is_empty())
            .map(|d| (d.code.clone(), calendar.with_overrides(d.calendar_days.clone())))
            .collect();
        Self {
            schedule: settings.schedule.clone(),
            calendar,
            department_calendars,
            move_deadline_off_days_off: settings.calendar.move_deadline_off_days_off,
            timezone: settings.timezone,
        }
    }

    /// The working days of a department.
    pub fn calendar_for(&self, department: &DepartmentCode) -> &Calendar {
        self.department_calendars.get(department).unwrap_or(&self.calendar)
    }

    /// The day a task with this deadline is due: the deadline, or the next working day when
    /// it falls on a day off and the policy moves it.
    pub fn due_date(&self, deadline: NaiveDate) -> NaiveDate {
        if self.move_deadline_off_days_off { self.calendar.on_or_after(deadline) } else { deadline }
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
    /// The local day the reminder belongs to (after moving off days off).
    pub day: NaiveDate,
    /// The deadline as the task has it; a reminder for another deadline is stale.
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
        Series::Escalation => {
            escalate_to.map(|code| vec![(code.clone(), Role::Escalation)]).unwrap_or_default()
        }
    }
}

/// Everyone a task's reminders go to, with their part in it.
pub fn all_recipients(task: &Task, escalate_to: Option<&DepartmentCode>) -> Vec<(DepartmentCode, Role)> {
    SERIES.iter().flat_map(|series| recipients(task, *series, escalate_to)).collect()
}

const SERIES: [Series; 2] = [Series::Reminders, Series::Escalation];

/// The reminders of `task` that fell due after `planned_until` and by `now`. Of each
/// series only the newest is sent to each recipient: after downtime a department gets one
/// current reminder, not a burst of stale ones.
pub fn plan_task(
    task: &Task,
    escalate_to: Option<&DepartmentCode>,
    policy: &Policy,
    planned_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> TaskPlan {
    let mut plan = TaskPlan { reminders: Vec::new(), superseded: Vec::new(), next_at: None };
    let (Some(deadline), TaskStatus::Open) = (&task.deadline, task.status) else {
        return plan;
    };
    for series in SERIES {
        for (department, role) in recipients(task, series, escalate_to) {
            let calendar = policy.calendar_for(&department);
            let mut due: Vec<Occurrence> = series
                .occurrences(deadline.date, policy, calendar)
                .take_while(|o| o.at <= now)
                .filter(|o| planned_until.is_none_or(|p| o.at > p))
                .collect();
            if let Some(newest) = due.pop() {
                plan.reminders.push(PlannedReminder {
                    task_id: task.id,
                    department,
                    role,
                    rule: newest.rule,
                    day: newest.day,
                    deadline: deadline.date,
                    due_at: newest.at,
                    send_after: next_send_moment(now, policy, calendar).max(newest.at),
                });
            }
            // Shared occurrences are counted once, for the first recipient.
            if role != Role::Coordinating {
                plan.superseded.extend(due);
            }
        }
    }
    plan.next_at = next_planning_after(task, escalate_to, policy, Some(now));
    plan
}

/// What planning one task at an instant writes: the messages of each reminder due, what
/// they supersede, and when the task next needs planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskMessages {
    pub items: Vec<NewOutboxItem>,
    /// Reminders due that make no message on some channel, and why.
    pub skipped: Vec<(PlannedReminder, Skipped)>,
    /// Older reminders still pending that the new ones replace.
    pub supersede: Vec<Supersede>,
    /// How many older occurrences were passed over for the newest (missed while down).
    pub superseded: usize,
    pub next_at: Option<DateTime<Utc>>,
}

/// The messages of `task` due after `planned_until` and by `now`: `plan_task`'s reminders,
/// each fanned out to its department's channels, less what was acknowledged.
pub fn messages_due(
    task: &Task,
    settings: &Settings,
    policy: &Policy,
    acknowledged: &HashSet<Acknowledgement>,
    planned_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> TaskMessages {
    let plan = plan_task(task, settings.departments.escalate_to(&task.lead), policy, planned_until, now);
    let mut messages =
        TaskMessages { superseded: plan.superseded.len(), next_at: plan.next_at, ..TaskMessages::default() };
    for reminder in plan.reminders {
        let fanned = fan_out(&reminder, settings, policy, acknowledged);
        messages.skipped.extend(fanned.skipped.into_iter().map(|skip| (reminder.clone(), skip)));
        messages.items.extend(fanned.items);
    }
    messages.supersede = messages
        .items
        .iter()
        .map(|item| Supersede {
            task_id: task.id,
            department: item.department.clone(),
            channel: item.channel.clone(),
            before: item.due_at,
        })
        .collect();
    messages
}

/// Why a reminder planned earlier is no longer wanted when its turn comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwanted {
    TaskDone,
    DeadlineChanged,
    /// The department is no longer on the task (in that series).
    NotOnTask,
    /// The department said "Đã nhận" to this kind of reminder for this deadline.
    Acknowledged,
}

impl Unwanted {
    pub fn reason(self) -> &'static str {
        match self {
            Unwanted::TaskDone => "task done",
            Unwanted::DeadlineChanged => "deadline changed",
            Unwanted::NotOnTask => "no longer on the task",
            Unwanted::Acknowledged => "acknowledged",
        }
    }
}

/// Whether `department` still wants a reminder of `task` for `deadline`, in the escalation
/// series or the reminders': the task open with that deadline, the department still on it in
/// that series, and (for a reminder of kind `kind`) not acknowledged. Its part now, when so:
/// a department moved between lead and coordinating is reminded in its new part.
pub fn still_wanted(
    task: &Task,
    escalate_to: Option<&DepartmentCode>,
    department: &DepartmentCode,
    escalation: bool,
    deadline: NaiveDate,
    kind: Option<crate::domain::RuleKind>,
    acknowledged: &HashSet<Acknowledgement>,
) -> Result<Role, Unwanted> {
    if task.status == TaskStatus::Done {
        return Err(Unwanted::TaskDone);
    }
    if task.deadline.as_ref().map(|d| d.date) != Some(deadline) {
        return Err(Unwanted::DeadlineChanged);
    }
    let role = all_recipients(task, escalate_to)
        .into_iter()
        .find(|(code, role)| code == department && (*role == Role::Escalation) == escalation)
        .map(|(_, role)| role)
        .ok_or(Unwanted::NotOnTask)?;
    let acknowledgement =
        |rule_kind| Acknowledgement { task: task.id, department: department.clone(), rule_kind, deadline };
    if kind.is_some_and(|kind| acknowledged.contains(&acknowledgement(kind))) {
        return Err(Unwanted::Acknowledged);
    }
    Ok(role)
}

/// When a task next needs planning after `after`: its first occurrence past that
/// instant, for any recipient. With `after` unset, its very first occurrence, past or
/// future: a task entered after some reminders' days is planned at once and gets the
/// newest of them.
pub fn next_planning_after(
    task: &Task,
    escalate_to: Option<&DepartmentCode>,
    policy: &Policy,
    after: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let (Some(deadline), TaskStatus::Open) = (&task.deadline, task.status) else {
        return None;
    };
    SERIES
        .into_iter()
        .flat_map(|series| {
            recipients(task, series, escalate_to).into_iter().map(move |(code, _)| (series, code))
        })
        .filter_map(|(series, code)| {
            let calendar = policy.calendar_for(&code);
            series
                .occurrences(deadline.date, policy, calendar)
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
pub(crate) mod tests;
