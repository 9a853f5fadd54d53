//! The outbox's rules: the deterministic key of a reminder, and when a failed one is
//! tried again.
//!
//! Pure: the store keeps the rows, the dispatcher moves them. A key names one reminder to
//! one department on one channel for one deadline on one day, so planning it twice, after
//! a restart or from a second process, inserts nothing new.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::Calendar;
use crate::config::Delivery;
use crate::plan::{PlannedReminder, Policy, next_send_moment};
use crate::store::NewOutboxItem;

/// Builds the key of a reminder on a channel: `t12.snv.before-7d.20211123.d20211130.email`.
/// It is also the local part of the email's Message-ID and the webhook's Idempotency-Key,
/// so it uses only characters valid in both.
pub fn key(reminder: &PlannedReminder, channel: &str) -> String {
    key_of(
        reminder.task_id.0,
        reminder.department.as_str(),
        &reminder.rule.to_string(),
        reminder.day,
        reminder.deadline,
        channel,
    )
}

pub fn key_of(
    task: i64,
    department: &str,
    rule: &str,
    day: NaiveDate,
    deadline: NaiveDate,
    channel: &str,
) -> String {
    let rule = rule.replace(':', "-");
    format!("t{task}.{department}.{rule}.{}.d{}.{channel}", day.format("%Y%m%d"), deadline.format("%Y%m%d"))
}

/// The outbox item for a planned reminder on one of its department's channels; with
/// `digest_at`, it waits for the department's digest at that instant.
pub fn item(reminder: &PlannedReminder, channel: &str, digest_at: Option<DateTime<Utc>>) -> NewOutboxItem {
    NewOutboxItem {
        key: key(reminder, channel),
        task_id: reminder.task_id,
        department: reminder.department.to_string(),
        role: reminder.role.as_str().to_owned(),
        rule: reminder.rule.to_string(),
        day: reminder.day,
        deadline: reminder.deadline,
        channel: channel.to_owned(),
        due_at: reminder.due_at,
        send_after: digest_at.unwrap_or(reminder.send_after),
        digest: digest_at.is_some(),
    }
}

/// The delay before attempt `attempt + 1` after `attempt` failed ones: capped exponential
/// backoff with up to a quarter of jitter, so that retries of one outage spread out.
pub fn backoff(delivery: &Delivery, attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    let base = delivery.retry_initial.saturating_mul(1u32 << exponent).min(delivery.retry_max);
    let jitter = jitter.clamp(0.0, 1.0);
    base.mul_f64(1.0 - 0.25 * jitter).max(Duration::from_secs(1).min(delivery.retry_initial))
}

/// When a failed attempt is tried again: after the backoff, or after the wait the peer asked
/// for when that is longer, and inside the send window on a working day of `calendar`.
pub fn retry_at(
    delivery: &Delivery,
    policy: &Policy,
    calendar: &Calendar,
    attempt: u32,
    jitter: f64,
    retry_after: Option<Duration>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let delay = backoff(delivery, attempt, jitter).max(retry_after.unwrap_or_default());
    let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
    next_send_moment(now + delay, policy, calendar)
}

/// Whether another attempt is allowed after `attempt` failed ones.
pub fn may_retry(delivery: &Delivery, attempt: u32) -> bool {
    attempt < delivery.max_attempts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rule;
    use crate::domain::{DepartmentCode, Offset, Role, TaskId};

    fn delivery() -> Delivery {
        Delivery {
            max_attempts: 5,
            retry_initial: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            batch_size: 10,
            concurrency: 2,
            shutdown_grace: Duration::from_secs(5),
            lease: Duration::from_secs(300),
        }
    }

    #[test]
    fn key_is_deterministic_and_safe_in_headers() {
        let date = |d| NaiveDate::from_ymd_opt(2021, 11, d).unwrap();
        let reminder = PlannedReminder {
            task_id: TaskId(12),
            department: DepartmentCode::parse("snv").unwrap(),
            role: Role::Lead,
            rule: Rule::Before(Offset::days(7)),
            day: date(23),
            deadline: date(30),
            due_at: DateTime::UNIX_EPOCH,
            send_after: DateTime::UNIX_EPOCH,
        };
        let key = key(&reminder, "email");
        assert_eq!(key, "t12.snv.before-7d.20211123.d20211130.email");
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)));
        assert_eq!(item(&reminder, "email", None).key, key);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let d = delivery();
        let secs: Vec<u64> = (1..=8).map(|a| backoff(&d, a, 0.0).as_secs()).collect();
        assert_eq!(secs, vec![60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(&d, 1, 1.0).as_secs(), 45);
        assert_eq!(backoff(&d, 40, 0.0).as_secs(), 3600);
    }

    #[test]
    fn attempts_stop_at_the_maximum() {
        let d = delivery();
        assert!(may_retry(&d, 4));
        assert!(!may_retry(&d, 5));
    }
}
