//! Dispatch: claims the outbox items that are due, checks each is still wanted, renders
//! it, sends it on its channel, and records how every attempt ended.
//!
//! Delivery is at least once: an item is marked sent only after its channel accepted it,
//! and an item whose sender died is claimed again when its lease runs out. It must not
//! plan: what is in the outbox was decided by the planner.

mod breaker;
mod compose;
mod notices;
mod summary;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;

pub use compose::{Reminder, link_expiry, reminder_facts};

use crate::calendar::Calendar;
use crate::channels::{Channel, Channels, Outgoing, SendError};
use crate::config::{Delivery, Department, Settings};
use crate::domain::{Acknowledgement, Directive, Role, TaskId};
use crate::links::ReminderLinks;
use crate::message::{self, Facts, ReminderFacts, Renderer, SummaryFacts};
use crate::outbox::notices::NoticePayload;
use crate::outbox::{ItemKind, OutboxItem, Outcome, backoff, may_retry};
use crate::plan::{self, Policy, next_send_moment};
use crate::store::{Store, StoreError, TaskRecord};
use crate::summary::Summary;

/// What one round of dispatch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    pub cancelled: usize,
    /// Not tried: their channel rests after failing.
    pub deferred: usize,
}

impl DispatchReport {
    pub fn total(&self) -> usize {
        self.sent + self.retried + self.dead + self.cancelled + self.deferred
    }

    pub fn add(&mut self, other: &DispatchReport) {
        self.sent += other.sent;
        self.retried += other.retried;
        self.dead += other.dead;
        self.cancelled += other.cancelled;
        self.deferred += other.deferred;
    }

    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Sent { .. } => self.sent += 1,
            Outcome::Retry { .. } => self.retried += 1,
            Outcome::Dead { .. } => self.dead += 1,
            Outcome::Cancelled { .. } => self.cancelled += 1,
            Outcome::Deferred { .. } => self.deferred += 1,
        }
    }
}

/// Batches in flight at once.
const WORKERS: usize = 2;

pub struct Dispatcher {
    store: Store,
    settings: Arc<Settings>,
    policy: Policy,
    channels: Channels,
    renderer: Renderer,
    breakers: breaker::Breakers,
    /// Acknowledge links put in reminders, when `http.public_url` is set.
    links: Option<ReminderLinks>,
}

impl Dispatcher {
    pub fn new(store: Store, settings: Arc<Settings>, channels: Channels, renderer: Renderer) -> Self {
        let policy = Policy::from_settings(&settings);
        // A failing channel rests as long as a first retry waits, longer each time.
        let delivery = &settings.delivery;
        let breakers = breaker::Breakers::new(delivery.retry_initial, delivery.retry_max);
        let links = ReminderLinks::from_settings(&settings.http);
        // A channel added by a reload is counted from zero too.
        expose_counters(&settings);
        Self { store, settings, policy, channels, renderer, breakers, links }
    }

    /// Sends everything due, a few batches at a time: claims are atomic, so two workers never
    /// take the same item, and while one batch is on the wire another is being claimed or
    /// recorded. Stops claiming when `keep_going` says so, or when the store fails; the
    /// batches in hand finish.
    pub async fn dispatch_due(
        &self,
        keep_going: &(dyn Fn() -> bool + Sync),
    ) -> Result<DispatchReport, StoreError> {
        let worker = || async {
            let mut total = DispatchReport::default();
            while keep_going() {
                let report = self.dispatch_batch(Utc::now()).await?;
                if report.total() == 0 {
                    break;
                }
                total.add(&report);
            }
            Ok::<_, StoreError>(total)
        };
        // A worker that fails stops alone: the others' batches on the wire finish and are
        // recorded, rather than being dropped half-sent to go out again after their lease.
        let reports = futures_util::future::join_all((0..WORKERS).map(|_| worker()))
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        let mut total =
            if keep_going() { self.dispatch_digests(Utc::now()).await? } else { DispatchReport::default() };
        for report in &reports {
            total.add(report);
        }
        Ok(total)
    }

    /// Claims and sends one batch of due items. An empty report means nothing was due.
    pub async fn dispatch_batch(&self, now: DateTime<Utc>) -> Result<DispatchReport, StoreError> {
        let delivery = &self.settings.delivery;
        let items = self.store.claim(now, delivery.lease, delivery.batch_size).await?;
        if items.is_empty() {
            return Ok(DispatchReport::default());
        }
        let loaded = self.load(&items).await?;
        let outcomes: Vec<(OutboxItem, Outcome)> = futures_util::stream::iter(items)
            .map(|item| async {
                let started = Instant::now();
                let outcome = match self.send(&item, &loaded).await {
                    Ok(()) => Outcome::Sent { duration_ms: elapsed_ms(started) },
                    Err(Skip::Cancelled(reason)) => Outcome::Cancelled { reason },
                    Err(Skip::Deferred(at)) => Outcome::Deferred { at },
                    Err(Skip::Failed(error)) => {
                        self.failure_outcome(&item, error, elapsed_ms(started), Utc::now())
                    }
                };
                (item, outcome)
            })
            .buffer_unordered(delivery.concurrency as usize)
            .collect()
            .await;
        let mut report = DispatchReport::default();
        for (item, outcome) in &outcomes {
            report.count(outcome);
            record_metrics(item, outcome);
            match outcome {
                Outcome::Sent { .. } => tracing::debug!(key = %item.key, "sent"),
                Outcome::Retry { error, at, .. } => {
                    tracing::warn!(key = %item.key, %error, retry_at = %at, "send failed, will retry")
                }
                Outcome::Dead { error, .. } => {
                    tracing::error!(key = %item.key, %error, "send failed for good")
                }
                Outcome::Cancelled { reason } => {
                    tracing::info!(key = %item.key, %reason, "not sent")
                }
                Outcome::Deferred { at } => tracing::debug!(key = %item.key, %at, "channel resting"),
            }
        }
        self.record(&outcomes).await?;
        Ok(report)
    }

    fn failure_outcome(
        &self,
        item: &OutboxItem,
        error: SendError,
        duration_ms: i64,
        now: DateTime<Utc>,
    ) -> Outcome {
        let attempt = u32::try_from(item.attempts).unwrap_or(u32::MAX);
        if error.permanent || !may_retry(&self.settings.delivery, attempt) {
            return Outcome::Dead { error: error.message, duration_ms };
        }
        let calendar = self.policy.calendar_for(&item.department);
        let mut at = retry_at(
            &self.settings.delivery,
            &self.policy,
            calendar,
            attempt,
            jitter(&item.key, attempt),
            error.retry_after,
            now,
        );
        if let Some(quiet) = self.settings.quiet_hours.get(&item.channel) {
            at = plan::after_quiet_hours(at, *quiet, &self.policy);
        }
        Outcome::Retry { at, error: error.message, duration_ms }
    }

    /// What the claimed items' checks and messages need, read in three queries, and the
    /// summary's figures once for each day a summary in the batch is for.
    async fn load(&self, items: &[OutboxItem]) -> Result<Loaded, StoreError> {
        let mut summaries = HashMap::new();
        for item in items.iter().filter(|i| i.kind == ItemKind::Summary) {
            if let std::collections::hash_map::Entry::Vacant(entry) = summaries.entry(item.day) {
                entry.insert(crate::app::summary(&self.store, &self.policy, item.day).await?);
            }
        }
        let task_ids: Vec<i64> = unique(items.iter().filter_map(|i| i.task_id));
        let tasks = self.store.tasks_by_ids(&task_ids).await?;
        let directive_ids: Vec<i64> = unique(tasks.values().map(|t| t.task.directive_id.0));
        let directives = self.store.directives_by_ids(&directive_ids).await?;
        let ids: Vec<TaskId> = task_ids.into_iter().map(TaskId).collect();
        let acknowledged = self.store.acknowledgements(&ids).await?;
        let notice_ids: Vec<i64> = unique(items.iter().filter_map(|i| i.notice_id));
        let mut notices = HashMap::new();
        for (id, (_, payload)) in self.store.notices_by_ids(&notice_ids).await? {
            // A notice that cannot be read is not sent: `prepare_notice` says so.
            match serde_json::from_str::<NoticePayload>(&payload) {
                Ok(payload) => {
                    notices.insert(id, payload);
                }
                Err(error) => tracing::error!(notice = id, %error, "a notice in the store cannot be read"),
            }
        }
        Ok(Loaded { tasks, directives, acknowledged, summaries, notices })
    }

    /// The department and channel of a claimed item, both still in the config.
    fn target<'a>(&'a self, item: &OutboxItem) -> Result<(&'a Department, &'a Channel), Skip> {
        let department = self.settings.departments.get(&item.department).ok_or_else(|| {
            Skip::Failed(SendError::permanent(format!(
                "department '{}' is not in the config",
                item.department
            )))
        })?;
        let channel = self.channels.get(&item.channel).ok_or_else(|| {
            Skip::Failed(SendError::permanent(format!("channel '{}' is not in the config", item.channel)))
        })?;
        Ok((department, channel))
    }

    /// The facts of a claimed reminder, after checking it is still wanted: its task open
    /// with the same deadline and not acknowledged, its department still on it, its department
    /// and channel in the config.
    fn prepare<'a>(
        &'a self,
        item: &OutboxItem,
        loaded: &Loaded,
    ) -> Result<(&'a Department, &'a Channel, ReminderFacts), Skip> {
        let record = item
            .task_id
            .and_then(|id| loaded.tasks.get(&id))
            .ok_or_else(|| Skip::Cancelled("the task no longer exists".into()))?;
        let task = &record.task;
        let role = plan::still_wanted(
            task,
            self.settings.departments.escalate_to(&task.lead),
            &item.department,
            item.role == Role::Escalation,
            item.deadline,
            Some(item.rule.kind()),
            &loaded.acknowledged,
        )
        .map_err(|unwanted| Skip::Cancelled(unwanted.reason().into()))?;
        let directive = loaded
            .directives
            .get(&task.directive_id.0)
            .ok_or_else(|| Skip::Cancelled("the directive no longer exists".into()))?;
        let (department, channel) = self.target(item)?;
        let today = self.policy.local_date(Utc::now());
        let facts = reminder_facts(
            &compose::Reminder { key: &item.key, role, rule: item.rule, deadline: item.deadline, today },
            task,
            directive,
            &item.department,
            &self.settings,
            &self.policy,
            self.links.as_ref(),
        );
        Ok((department, channel, facts))
    }

    /// The facts of a claimed weekly summary, as of its day.
    fn prepare_summary<'a>(
        &'a self,
        item: &OutboxItem,
        loaded: &Loaded,
    ) -> Result<(&'a Department, &'a Channel, SummaryFacts), Skip> {
        let (department, channel) = self.target(item)?;
        let summary = loaded.summaries.get(&item.day).cloned().unwrap_or_default();
        Ok((
            department,
            channel,
            compose::summary_facts(&item.key, department, item.day, &summary, &self.settings),
        ))
    }

    async fn send(&self, item: &OutboxItem, loaded: &Loaded) -> Result<(), Skip> {
        let failed = |e: message::TemplateError| Skip::Failed(SendError::permanent(e.to_string()));
        let (department, channel, rendered, reminder, summary, notice);
        let facts = match item.kind {
            ItemKind::Reminder => {
                let recipient;
                (recipient, channel, reminder) = self.prepare(item, loaded)?;
                department = std::borrow::Cow::Borrowed(recipient);
                rendered = self.renderer.render(&reminder).map_err(failed)?;
                Facts::Reminder(&reminder)
            }
            ItemKind::Summary => {
                let recipient;
                (recipient, channel, summary) = self.prepare_summary(item, loaded)?;
                department = std::borrow::Cow::Borrowed(recipient);
                rendered = self.renderer.render_summary(&summary).map_err(failed)?;
                Facts::Summary(&summary)
            }
            ItemKind::Notice => {
                let recipient;
                (recipient, channel, notice) = self.prepare_notice(item, loaded)?;
                department = recipient;
                rendered = self.renderer.render_notice(&notice).map_err(failed)?;
                Facts::Notice(&notice)
            }
        };
        let department: &Department = &department;
        let outgoing =
            Outgoing { key: &item.key, department, message: &rendered, facts, renderer: &self.renderer };
        if let Some(until) = self.breakers.resting_until(&item.channel, Utc::now()) {
            return Err(Skip::Deferred(until));
        }
        let result = channel.send(&item.channel, &outgoing).await;
        self.breakers.record(&item.channel, result.as_ref().is_err_and(|e| !e.permanent), Utc::now());
        result.map_err(Skip::Failed)
    }

    /// Records the outcomes of a claim. Those whose lease ran out and whose items another
    /// daemon took over are dropped by the store: that daemon's outcome stands.
    /// A store briefly unreachable (a database restarting) is tried again for up to half
    /// the lease or a minute, so that what was sent meanwhile is recorded rather than sent
    /// again (within systemd's watchdog, which the loop pings between batches).
    async fn record(&self, outcomes: &[(OutboxItem, Outcome)]) -> Result<(), StoreError> {
        let give_up = Instant::now() + (self.settings.delivery.lease / 2).min(Duration::from_secs(60));
        let mut wait = Duration::from_millis(250);
        let dropped = loop {
            match self.store.finish(outcomes, Utc::now()).await {
                Ok(dropped) => break dropped,
                Err(error) if Instant::now() + wait < give_up => {
                    tracing::warn!(%error, retry_in = ?wait, outcomes = outcomes.len(), "cannot record what was sent; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                Err(error) => return Err(error),
            }
        };
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "outcomes came after their lease ran out and another daemon took the items over"
            );
        }
        Ok(())
    }

    /// Sends every digest due by `now`: for each department and channel, all its due items
    /// in one message, and records the one outcome for each item.
    pub async fn dispatch_digests(&self, now: DateTime<Utc>) -> Result<DispatchReport, StoreError> {
        let lease = self.settings.delivery.lease;
        let mut report = DispatchReport::default();
        for (department, channel) in self.store.digests_due(now).await? {
            let items = self.store.claim_digest(&department, &channel, now, lease).await?;
            if items.is_empty() {
                continue;
            }
            let loaded = self.load(&items).await?;
            let started = Instant::now();
            let mut outcomes = Vec::new();
            let mut live = Vec::new();
            for item in items {
                match self.prepare(&item, &loaded) {
                    Ok(prepared) => live.push((item, prepared)),
                    Err(Skip::Cancelled(reason)) => outcomes.push((item, Outcome::Cancelled { reason })),
                    Err(Skip::Deferred(at)) => outcomes.push((item, Outcome::Deferred { at })),
                    Err(Skip::Failed(error)) => {
                        let outcome = self.failure_outcome(&item, error, elapsed_ms(started), Utc::now());
                        outcomes.push((item, outcome));
                    }
                }
            }
            if let Some((_, (target, channel_client, _))) = live.first() {
                let (target, channel_client) = (*target, *channel_client);
                let today = self.policy.local_date(now);
                let key = message::digest_key(&department, today, &channel);
                let facts: Vec<ReminderFacts> = live.iter().map(|(_, (_, _, facts))| facts.clone()).collect();
                let digest = message::digest(key.clone(), &department, &target.name, today, facts);
                let sent = match self.renderer.render_digest(&digest) {
                    Ok(rendered) => {
                        let outgoing = Outgoing {
                            key: &key,
                            department: target,
                            message: &rendered,
                            facts: Facts::Digest(&digest),
                            renderer: &self.renderer,
                        };
                        channel_client.send(&channel, &outgoing).await
                    }
                    Err(e) => Err(SendError::permanent(e.to_string())),
                };
                let duration_ms = elapsed_ms(started);
                for (item, _) in live {
                    let outcome = match &sent {
                        Ok(()) => Outcome::Sent { duration_ms },
                        Err(error) => self.failure_outcome(&item, error.clone(), duration_ms, Utc::now()),
                    };
                    outcomes.push((item, outcome));
                }
                match &sent {
                    Ok(()) => tracing::info!(%key, items = digest.total, "digest sent"),
                    Err(error) => tracing::warn!(%key, %error, "digest failed"),
                }
            }
            for (item, outcome) in &outcomes {
                report.count(outcome);
                record_metrics(item, outcome);
            }
            self.record(&outcomes).await?;
        }
        Ok(report)
    }
}

/// The tasks, directives and acknowledgements of a batch of claimed items.
struct Loaded {
    tasks: HashMap<i64, TaskRecord>,
    directives: HashMap<i64, Directive>,
    acknowledged: HashSet<Acknowledgement>,
    /// The weekly summary's figures, by the day they are as of.
    summaries: HashMap<NaiveDate, Summary>,
    /// What the claimed notices say, by id.
    notices: HashMap<i64, NoticePayload>,
}

/// Why an item was not delivered in this attempt.
enum Skip {
    Cancelled(String),
    Failed(SendError),
    /// The channel rests after failing: try again then, without using up an attempt.
    Deferred(DateTime<Utc>),
}

/// Puts the delivery counters of every configured channel and rule in the metrics at zero
/// (as Prometheus advises for known label sets), so that `rate()` and alerts on their
/// absence work before the first send. Registering changes no count: safe after a reload.
pub fn expose_counters(settings: &Settings) {
    use crate::domain::Rule;
    let schedule = &settings.schedule;
    let mut rules: Vec<Rule> = schedule.before.iter().map(|offset| Rule::Before(*offset)).collect();
    if schedule.on_due_date {
        rules.push(Rule::Due);
    }
    if schedule.overdue_every.is_some() {
        rules.push(Rule::Overdue);
    }
    if schedule.escalate_after.is_some() {
        rules.push(Rule::Escalate);
    }
    rules.extend([Rule::Summary, Rule::Notice]);
    for channel in settings.channels.keys() {
        for rule in &rules {
            let labels = [("channel", channel.clone()), ("rule", rule.to_string())];
            for name in [
                "nhacviec_reminders_sent_total",
                "nhacviec_reminders_failed_total",
                "nhacviec_reminders_dead_total",
            ] {
                metrics::counter!(name, &labels).increment(0);
            }
        }
    }
}

/// Counts an outcome in the metrics, by channel and rule.
fn record_metrics(item: &OutboxItem, outcome: &Outcome) {
    let labels = [("channel", item.channel.clone()), ("rule", item.rule.to_string())];
    match outcome {
        Outcome::Sent { duration_ms } => {
            metrics::counter!("nhacviec_reminders_sent_total", &labels).increment(1);
            metrics::histogram!("nhacviec_delivery_duration_seconds", "channel" => item.channel.clone())
                .record(*duration_ms as f64 / 1000.0);
        }
        Outcome::Retry { .. } => metrics::counter!("nhacviec_reminders_failed_total", &labels).increment(1),
        Outcome::Dead { .. } => metrics::counter!("nhacviec_reminders_dead_total", &labels).increment(1),
        Outcome::Cancelled { .. } => {
            metrics::counter!("nhacviec_reminders_cancelled_total", &labels).increment(1)
        }
        Outcome::Deferred { .. } => {}
    }
}

fn unique(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let set: HashSet<i64> = ids.collect();
    set.into_iter().collect()
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// When a failed attempt is tried again: after the backoff, or after the wait the peer asked
/// for when that is longer, and inside the send window on a working day of `calendar`.
pub fn retry_at(
    delivery: &Delivery,
    policy: &Policy,
    calendar: &Calendar,
    attempt: u32,
    jitter: f64,
    retry_after: Option<std::time::Duration>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let delay = backoff(delivery, attempt, jitter).max(retry_after.unwrap_or_default());
    let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
    next_send_moment(now + delay, policy, calendar)
}

/// A stable jitter in [0, 1) per item and attempt, so retries of one outage spread out.
fn jitter(key: &str, attempt: u32) -> f64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (key, attempt).hash(&mut hasher);
    (hasher.finish() % 10_000) as f64 / 10_000.0
}
