use chrono::{DateTime, Days, NaiveDate, Utc};

use super::window::local_instant;
use super::{Policy, Rule};

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
    /// The day the schedule names, before moving off a non-working day.
    pub nominal_day: NaiveDate,
    /// The working day it goes out.
    pub day: NaiveDate,
    /// `day` at the configured send time.
    pub at: DateTime<Utc>,
}

impl Series {
    /// The series' occurrences for a deadline, in time order; the overdue repeats never end.
    pub fn occurrences(
        self,
        deadline: NaiveDate,
        policy: &Policy,
    ) -> Box<dyn Iterator<Item = Occurrence> + '_> {
        let calendar = &policy.calendar;
        let schedule = &policy.schedule;
        let occurrence = move |rule: Rule, nominal_day: NaiveDate, day: NaiveDate| Occurrence {
            rule,
            nominal_day,
            day,
            at: local_instant(day, schedule.send_at, policy),
        };
        match self {
            Series::Reminders => {
                // Before and on the deadline a reminder moves earlier, so that the time left
                // is never shorter than the schedule promises; overdue repeats move later.
                let before = schedule.before.iter().filter_map(move |offset| {
                    let nominal = deadline.checked_sub_days(Days::new(offset.in_days().into()))?;
                    Some(occurrence(
                        Rule::Before(*offset),
                        nominal,
                        calendar.on_or_before(nominal),
                    ))
                });
                let due = schedule
                    .on_due_date
                    .then(|| occurrence(Rule::Due, deadline, calendar.on_or_before(deadline)));
                let every = schedule.overdue_every.map_or(1, |o| o.in_days());
                let repeats = if schedule.overdue_every.is_some() {
                    u64::MAX
                } else {
                    1
                };
                let overdue = (1..=repeats).map_while(move |k| {
                    let nominal =
                        deadline.checked_add_days(Days::new(k.checked_mul(every.into())?))?;
                    Some(occurrence(
                        Rule::Overdue,
                        nominal,
                        calendar.on_or_after(nominal),
                    ))
                });
                Box::new(merge_same_day(before.chain(due).chain(overdue)))
            }
            Series::Escalation => {
                let escalation = schedule.escalate_after.and_then(|after| {
                    let nominal = deadline.checked_add_days(Days::new(after.in_days().into()))?;
                    Some(occurrence(
                        Rule::Escalate,
                        nominal,
                        calendar.on_or_after(nominal),
                    ))
                });
                Box::new(escalation.into_iter())
            }
        }
    }
}

/// Two occurrences moved onto the same working day become one: the later rule, which is
/// the nearer to the deadline, wins.
fn merge_same_day(
    occurrences: impl Iterator<Item = Occurrence>,
) -> impl Iterator<Item = Occurrence> {
    let mut occurrences = occurrences.peekable();
    std::iter::from_fn(move || {
        let mut current = occurrences.next()?;
        while let Some(next) = occurrences.next_if(|next| next.day <= current.day) {
            current = next;
        }
        Some(current)
    })
}
