//! The outbox's rules and rows: the deterministic key of a message, the items planning
//! enqueues and dispatch claims, and when a failed one is tried again.
//!
//! Pure: the store keeps the rows, the dispatcher moves them. A key names one reminder to
//! one department on one channel for one deadline on one day, so planning it twice, after
//! a restart or from a second process, inserts nothing new.

use std::time::Duration;

use chrono::NaiveDate;

use crate::config::Delivery;
mod items;

pub mod notices;

pub use items::{
    ItemKind, NewNotice, NewOutboxItem, NoticeKind, OutboxItem, OutboxState, Outcome, Supersede,
};

/// The key of a reminder on a channel: `t12.snv.before-7d.20211123.d20211130.email`.
/// It is also the local part of the email's Message-ID and the webhook's Idempotency-Key,
/// so it uses only characters valid in both.
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

/// The delay before attempt `attempt + 1` after `attempt` failed ones: capped exponential
/// backoff with up to a quarter of jitter, so that retries of one outage spread out.
pub fn backoff(delivery: &Delivery, attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    let base = delivery.retry_initial.saturating_mul(1u32 << exponent).min(delivery.retry_max);
    let jitter = jitter.clamp(0.0, 1.0);
    base.mul_f64(1.0 - 0.25 * jitter).max(Duration::from_secs(1).min(delivery.retry_initial))
}

/// Whether another attempt is allowed after `attempt` failed ones.
pub fn may_retry(delivery: &Delivery, attempt: u32) -> bool {
    attempt < delivery.max_attempts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery {
            enabled: true,
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
        let key = key_of(12, "snv", "before:7d", date(23), date(30), "email");
        assert_eq!(key, "t12.snv.before-7d.20211123.d20211130.email");
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)));
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
