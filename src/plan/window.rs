use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};

use super::Policy;
use crate::calendar::Calendar;

/// The instant at `time` on local `date`. Time zones with a gap at that moment (none in
/// Vietnam) get the first valid instant after it.
pub fn local_instant(date: NaiveDate, time: NaiveTime, policy: &Policy) -> DateTime<Utc> {
    let local = date.and_time(time);
    match policy.timezone.from_local_datetime(&local).earliest() {
        Some(at) => at.with_timezone(&Utc),
        None => {
            let later = local + chrono::Duration::hours(1);
            policy
                .timezone
                .from_local_datetime(&later)
                .earliest()
                .map(|at| at.with_timezone(&Utc))
                .unwrap_or_else(|| later.and_utc())
        }
    }
}

/// `at`, or the end of the quiet hours `(start, end)` (local times; the period may cross
/// midnight) when `at` falls inside them.
pub fn after_quiet_hours(
    at: DateTime<Utc>,
    (start, end): (NaiveTime, NaiveTime),
    policy: &Policy,
) -> DateTime<Utc> {
    let local = at.with_timezone(&policy.timezone);
    let (date, time) = (local.date_naive(), local.time());
    let end_on = |day: NaiveDate| local_instant(day, end, policy);
    if start <= end {
        if start <= time && time < end { end_on(date) } else { at }
    } else if time >= start {
        // In the evening part: quiet until `end` tomorrow.
        end_on(date.checked_add_days(Days::new(1)).unwrap_or(date))
    } else if time < end {
        end_on(date)
    } else {
        at
    }
}

/// The first digest time (`schedule.digest_at`) at or after `at`, on a working day of
/// `calendar` when the schedule sends on working days only.
pub fn digest_moment(at: DateTime<Utc>, policy: &Policy, calendar: &Calendar) -> Option<DateTime<Utc>> {
    let mut from = at.with_timezone(&policy.timezone);
    let mut inclusive = true;
    // A run of days off is far shorter than this; the bound guards a cron that never fires.
    for _ in 0..400 {
        let next = policy.schedule.digest_at.find_next_occurrence(&from, inclusive).ok()?;
        if !policy.schedule.working_days_only || calendar.is_working_day(next.date_naive()) {
            return Some(next.with_timezone(&Utc));
        }
        from = next;
        inclusive = false;
    }
    None
}

/// The first moment at or after `at` inside the send window, on a working day of
/// `calendar` when the schedule sends on working days only.
pub fn next_send_moment(at: DateTime<Utc>, policy: &Policy, calendar: &Calendar) -> DateTime<Utc> {
    let (start, end) = policy.schedule.send_window;
    let local = at.with_timezone(&policy.timezone);
    let date = local.date_naive();
    let time = local.time();
    let allowed = |day: NaiveDate| !policy.schedule.working_days_only || calendar.is_working_day(day);
    if allowed(date) {
        if time < start {
            return local_instant(date, start, policy);
        }
        if time <= end {
            return at;
        }
    }
    let next_day = date.checked_add_days(Days::new(1)).unwrap_or(date);
    let next_day = if policy.schedule.working_days_only { calendar.on_or_after(next_day) } else { next_day };
    local_instant(next_day, start, policy)
}
