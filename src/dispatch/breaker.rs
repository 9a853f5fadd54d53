//! A circuit breaker per channel: after a run of failures that say the peer is down, the
//! channel rests for a while, and its reminders wait without using up their attempts, so
//! that one dead channel neither holds up the others nor spins the CPU.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Failures in a row that open a channel's breaker.
const THRESHOLD: u32 = 5;

#[derive(Debug, Default)]
struct State {
    failures: u32,
    /// How many times in a row it opened: the rest doubles each time.
    openings: u32,
    open_until: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct Breakers {
    states: Mutex<HashMap<String, State>>,
    /// The first rest; doubled on each opening in a row, up to `max_rest`.
    rest: Duration,
    max_rest: Duration,
}

impl Breakers {
    pub fn new(rest: Duration, max_rest: Duration) -> Self {
        Self { states: Mutex::new(HashMap::new()), rest, max_rest }
    }

    fn states(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        self.states.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Until when `channel` rests, if it does at `now`. After the rest, one send may try
    /// again (half-open): its outcome closes or reopens the breaker.
    pub fn resting_until(&self, channel: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.states().get(channel).and_then(|s| s.open_until).filter(|until| *until > now)
    }

    /// Records a send on `channel`: `failed_peer` when it failed in a way that says the peer
    /// is unreachable or overloaded (not a refusal of one message).
    pub fn record(&self, channel: &str, failed_peer: bool, now: DateTime<Utc>) {
        let mut states = self.states();
        let state = states.entry(channel.to_owned()).or_default();
        if !failed_peer {
            *state = State::default();
            return;
        }
        state.failures += 1;
        if state.failures >= THRESHOLD {
            let rest = self.rest.saturating_mul(1 << state.openings.min(16)).min(self.max_rest);
            state.open_until =
                Some(now + chrono::Duration::from_std(rest).unwrap_or(chrono::Duration::minutes(5)));
            state.openings += 1;
            state.failures = 0;
            tracing::warn!(channel, rest = ?rest, "channel failing: resting before trying again");
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn opens_after_a_run_of_failures_and_rests_longer_each_time() {
        let breakers = Breakers::new(Duration::from_secs(10), Duration::from_secs(25));
        let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 1, 0, 0).unwrap();
        for _ in 0..4 {
            breakers.record("email", true, t0);
        }
        assert_eq!(breakers.resting_until("email", t0), None);
        breakers.record("email", true, t0);
        assert_eq!(breakers.resting_until("email", t0), Some(t0 + chrono::Duration::seconds(10)));
        assert_eq!(breakers.resting_until("chat", t0), None);
        // After the rest one try is allowed; five more failures rest twice as long, capped.
        let t1 = t0 + chrono::Duration::seconds(11);
        assert_eq!(breakers.resting_until("email", t1), None);
        for _ in 0..5 {
            breakers.record("email", true, t1);
        }
        assert_eq!(breakers.resting_until("email", t1), Some(t1 + chrono::Duration::seconds(20)));
        let t2 = t1 + chrono::Duration::seconds(21);
        for _ in 0..5 {
            breakers.record("email", true, t2);
        }
        assert_eq!(breakers.resting_until("email", t2), Some(t2 + chrono::Duration::seconds(25)));
        // A success closes it and forgets.
        breakers.record("email", false, t2);
        assert_eq!(breakers.resting_until("email", t2), None);
    }
}
