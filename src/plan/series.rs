use chrono::{DateTime, NaiveDate, Utc};

use super::Policy;
use super::window::local_instant;
use crate::calendar::Calendar;
use crate::domain::Rule;

/// A line of reminders of one task that share recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Before the deadline, on it, and repeated while overdue: lead and coordinating.
    Reminders,
    /// Once, when the task has been overdue `escalate_after`: the escalation target.
    Escalation,
}

/// One reminder the schedule calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub rule: Rule,
    /// The day the schedule names, before moving off a day off.
    pub nominal_day: NaiveDate,
    /// The working day it goes out.
    pub day: NaiveDate,
    /// `day` at the configured send time.
    pub at: DateTime<Utc>,
}

impl Series {
    /// The series' occurrences for a deadline, in time order, for a recipient whose working
    /// days `calendar` tells; the overdue repeats never end. Offsets count from the due date:
    /// the deadline, moved off a day off when the policy says so.
    pub fn occurrences<'a>(
        self,
        deadline: NaiveDate,
        policy: &'a Policy,
        calendar: &'a Calendar,
    ) -> Box<dyn Iterator<Item = Occurrence> + 'a> {
        let schedule = &policy.schedule;
        let due = policy.due_date(deadline);
        let occurrence = move |rule: Rule, nominal_day: NaiveDate, day: NaiveDate| Occurrence {
            rule,
            nominal_day,
            day,
            at: local_instant(day, schedule.send_at, policy),
        };
        // Before and on the deadline a reminder moves earlier, so that the time left is never
        // shorter than the schedule promises; overdue repeats move later.
        let earlier = move |day: NaiveDate| {
            if schedule.working_days_only { calendar.on_or_before(day) } else { day }
        };
        let later = move |day: NaiveDate| {
            if schedule.working_days_only { calendar.on_or_after(day) } else { day }
        };
        match self {
            Series::Reminders => {
                // In date order: "10wd" may fall before or after "14d" depending on holidays.
                let mut before: Vec<Occurrence> = schedule
                    .before
                    .iter()
                    .filter_map(|offset| {
                        let nominal = calendar.before(due, *offset)?;
                        Some(occurrence(Rule::Before(*offset), nominal, earlier(nominal)))
                    })
                    .collect();
                before.sort_by_key(|o| (o.day, o.nominal_day));
                let on_due = schedule.on_due_date.then(|| occurrence(Rule::Due, due, earlier(due)));
                let every = schedule.overdue_every;
                let first = calendar.after(due, every.unwrap_or(crate::domain::Offset::days(1)));
                let nominals =
                    std::iter::successors(first, move |previous| calendar.after(*previous, every?));
                let overdue = nominals.map(move |nominal| occurrence(Rule::Overdue, nominal, later(nominal)));
                Box::new(merge_same_day(before.into_iter().chain(on_due).chain(overdue)))
            }
            Series::Escalation => {
                let escalation = schedule.escalate_after.and_then(|after| {
                    let nominal = calendar.after(due, after)?;
                    Some(occurrence(Rule::Escalate, nominal, later(nominal)))
                });
                Box::new(escalation.into_iter())
            }
        }
    }
}

/// Two occurrences moved onto the same working day become one: the later rule, which is
/// the nearer to the deadline, wins.
fn merge_same_day(occurrences: impl Iterator<Item = Occurrence>) -> impl Iterator<Item = Occurrence> {
    let mut occurrences = occurrences.peekable();
    std::iter::from_fn(move || {
        let mut current = occurrences.next()?;
        while let Some(next) = occurrences.next_if(|next| next.day <= current.day) {
            current = next;
        }
        Some(current)
    })
}
