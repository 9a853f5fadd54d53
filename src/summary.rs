//! The weekly summary for the supervising office: per lead department, the figures
//! provincial offices report on task execution: tasks open, due within 7 days, overdue,
//! done on time, done late.
//!
//! Pure: counts tasks handed to it as of a day; `app` reads the tasks, the dispatcher sends
//! the result through the templates.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::domain::{Task, TaskStatus};
use crate::plan::Policy;

/// One department's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Open tasks, with or without a deadline.
    pub open: usize,
    /// Open, due today or in the next 7 days.
    pub due_within_7_days: usize,
    /// Open, past their due date.
    pub overdue: usize,
    /// Done on or before their due date.
    pub done_on_time: usize,
    /// Done after their due date.
    pub done_late: usize,
}

impl Figures {
    /// Counts one task as of `today`; due dates are moved off days off as the policy says.
    pub fn add(&mut self, task: &Task, policy: &Policy, today: NaiveDate) {
        let due = task.deadline.as_ref().map(|d| policy.due_date(d.date));
        match task.status {
            TaskStatus::Open => {
                self.open += 1;
                match due {
                    Some(due) if due < today => self.overdue += 1,
                    Some(due) if due <= today.checked_add_days(Days::new(7)).unwrap_or(today) => {
                        self.due_within_7_days += 1
                    }
                    _ => {}
                }
            }
            TaskStatus::Done => match (due, task.done_on) {
                (Some(due), Some(done)) if done > due => self.done_late += 1,
                (Some(_), _) => self.done_on_time += 1,
                // Work without a deadline cannot be late.
                (None, _) => self.done_on_time += 1,
            },
        }
    }

    pub fn merge(&mut self, other: &Figures) {
        self.open += other.open;
        self.due_within_7_days += other.due_within_7_days;
        self.overdue += other.overdue;
        self.done_on_time += other.done_on_time;
        self.done_late += other.done_late;
    }
}

/// The written deadlines that split open tasks as of `today`, the same way `Figures::add`
/// does through the due dates: a task written due before the first is overdue, one written
/// due from the first to the second (inclusive) is due within 7 days. The due date never
/// comes before the deadline and keeps its order, so each split is one boundary.
pub fn open_boundaries(policy: &Policy, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let soon = today.checked_add_days(Days::new(7)).unwrap_or(today);
    // The first deadline whose due date is today or later: at most today, earlier when
    // the days just before today are days off that move to today.
    let mut overdue_before = today;
    while let Some(before) = overdue_before.pred_opt()
        && policy.due_date(before) >= today
    {
        overdue_before = before;
    }
    // The last deadline due by `soon`: at most `soon`, earlier when `soon` is a day off
    // that moves past it.
    let mut soon_until = soon;
    while policy.due_date(soon_until) > soon
        && let Some(before) = soon_until.pred_opt()
    {
        soon_until = before;
    }
    (overdue_before, soon_until)
}

/// The days from `first` to `last` whose deadline moves to a later due date.
pub fn moved_deadlines(policy: &Policy, first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    first.iter_days().take_while(|d| *d <= last).filter(|d| policy.due_date(*d) != *d).collect()
}

/// Whether a task with `deadline`, done on `done_on`, was done late, as `Figures::add`
/// counts it.
pub fn done_late(policy: &Policy, deadline: Option<NaiveDate>, done_on: Option<NaiveDate>) -> bool {
    matches!((deadline, done_on), (Some(deadline), Some(done)) if done > policy.due_date(deadline))
}

/// Figures by lead department, and their total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub by_department: BTreeMap<String, Figures>,
    pub total: Figures,
}

impl Summary {
    pub fn add(&mut self, task: &Task, policy: &Policy, today: NaiveDate) {
        let mut one = Figures::default();
        one.add(task, policy, today);
        self.by_department.entry(task.lead.to_string()).or_default().merge(&one);
        self.total.merge(&one);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::calendar::Calendar;
    use crate::domain::{Deadline, DepartmentCode, DirectiveId, TaskId};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn task(id: i64, lead: &str, deadline: Option<&str>, done_on: Option<NaiveDate>) -> Task {
        Task {
            id: TaskId(id),
            directive_id: DirectiveId(1),
            section: None,
            summary: format!("Nhiệm vụ {id}"),
            details: None,
            lead: DepartmentCode::parse(lead).unwrap(),
            coordinating: vec![],
            deadline: deadline.map(|d| Deadline::parse(d, None).unwrap()),
            recurrence: None,
            status: if done_on.is_some() { TaskStatus::Done } else { TaskStatus::Open },
            done_on,
            created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    fn policy() -> Policy {
        let text = crate::config::DEFAULT_CONFIG;
        let settings = crate::config::Settings::from_toml(text, "default", &[]).unwrap();
        Policy::new(settings.schedule, Calendar::vietnam(), chrono_tz::Asia::Ho_Chi_Minh)
    }

    #[test]
    fn figures_of_a_fixture_with_known_counts() {
        // As of Monday 16/11/2026.
        let today = date(2026, 11, 16);
        let tasks = [
            task(1, "snv", Some("2026-11-30"), None), // open, due in 14 days
            task(2, "snv", Some("2026-11-20"), None), // open, due within 7 days
            task(3, "snv", Some("2026-11-23"), None), // open, due in 7 days exactly
            task(4, "snv", Some("2026-11-10"), None), // overdue
            task(5, "snv", None, None),               // open, no deadline
            task(6, "snv", Some("2026-11-10"), Some(date(2026, 11, 9))), // done on time
            task(7, "snv", Some("2026-11-10"), Some(date(2026, 11, 12))), // done late
            // Due Saturday 14/11, so on Monday 16/11: done that Monday is on time.
            task(8, "sgddt", Some("2026-11-14"), Some(date(2026, 11, 16))),
            task(9, "sgddt", Some("2026-11"), None),  // open, due 30/11
            task(10, "sgddt", Some("2026-Q3"), None), // overdue since 30/09
            task(11, "sgddt", None, Some(date(2026, 3, 1))), // done, no deadline
        ];
        let mut summary = Summary::default();
        for task in &tasks {
            summary.add(task, &policy(), today);
        }
        assert_eq!(
            summary.by_department["snv"],
            Figures { open: 5, due_within_7_days: 2, overdue: 1, done_on_time: 1, done_late: 1 }
        );
        assert_eq!(
            summary.by_department["sgddt"],
            Figures { open: 2, due_within_7_days: 0, overdue: 1, done_on_time: 2, done_late: 0 }
        );
        assert_eq!(
            summary.total,
            Figures { open: 7, due_within_7_days: 2, overdue: 2, done_on_time: 3, done_late: 1 }
        );
    }

    /// Every day of two years (Tết, Giỗ Tổ, the 30/4–1/5 and 2/9 holidays and their make-up
    /// days among them), under the policy that moves deadlines off days off and the one
    /// that keeps them: the boundaries split open tasks exactly as `Figures::add` does for
    /// every deadline within three weeks either side.
    #[test]
    fn the_boundaries_split_deadlines_as_the_figures_do_on_every_day() {
        let moving = policy();
        let text = crate::config::DEFAULT_CONFIG
            .replace("deadline_on_day_off = \"next_working_day\"", "deadline_on_day_off = \"keep\"");
        let settings = crate::config::Settings::from_toml(&text, "keep", &[]).unwrap();
        let keeping = Policy::new(settings.schedule, Calendar::vietnam(), chrono_tz::Asia::Ho_Chi_Minh);
        for policy in [&moving, &keeping] {
            let mut today = date(2025, 1, 1);
            while today <= date(2026, 12, 31) {
                let (overdue_before, soon_until) = open_boundaries(policy, today);
                for offset in -21i64..=21 {
                    let deadline = today + chrono::Duration::days(offset);
                    let mut one = Figures::default();
                    let written = deadline.format("%Y-%m-%d").to_string();
                    one.add(&task(1, "snv", Some(&written), None), policy, today);
                    assert_eq!(one.overdue == 1, deadline < overdue_before, "{today} {deadline}");
                    assert_eq!(
                        one.due_within_7_days == 1,
                        deadline >= overdue_before && deadline <= soon_until,
                        "{today} {deadline}"
                    );
                }
                today = today.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn late_is_after_the_day_a_deadline_moved_to() {
        let policy = policy();
        // Saturday 14/11/2026 moves to Monday 16/11.
        let saturday = Some(date(2026, 11, 14));
        assert!(!done_late(&policy, saturday, Some(date(2026, 11, 16))));
        assert!(done_late(&policy, saturday, Some(date(2026, 11, 17))));
        assert!(!done_late(&policy, None, Some(date(2030, 1, 1))));
        assert!(!done_late(&policy, saturday, None));
        let moved = moved_deadlines(&policy, date(2026, 11, 9), date(2026, 11, 22));
        assert_eq!(moved, [date(2026, 11, 14), date(2026, 11, 15), date(2026, 11, 21), date(2026, 11, 22)]);
    }
}
