//! The daemon: opens the store, then plans and dispatches whenever something is due,
//! sleeping in between until the next due instant, the next re-plan or the poll interval.
//!
//! Wiring and timing only: what to send is the planner's, how to send is dispatch's.
//! SIGTERM and SIGINT stop claiming work, let in-flight sends finish within the grace
//! period, and exit cleanly.

pub mod planning;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::channels::{ChannelBuildError, Channels};
use crate::config::{ConfigSource, Settings};
use crate::dispatch::Dispatcher;
use crate::message::{Renderer, TemplateError};
use crate::plan::Policy;
use crate::shutdown::{self, Shutdown};
use crate::store::{JobClaim, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Channel(#[from] ChannelBuildError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Http(#[from] crate::http::HttpError),
    #[error("cannot listen for signals: {0}")]
    Signal(std::io::Error),
}

/// Everything the loop needs, built from the settings, and rebuilt on SIGHUP.
pub struct Daemon {
    settings: Arc<Settings>,
    /// Where the settings were read from, to read them again on SIGHUP.
    source: ConfigSource,
    store: Store,
    policy: Policy,
    dispatcher: Dispatcher,
    /// Notified by the API after a change, so that the loop plans it at once.
    wake: Arc<tokio::sync::Notify>,
    /// The running settings, for the HTTP server; sent again after each reload.
    published: tokio::sync::watch::Sender<Arc<Settings>>,
    /// SIGUSR1: the CLI changed the store (see `wake_running_daemon`).
    changed_elsewhere: tokio::signal::unix::Signal,
}

impl Daemon {
    /// Takes the store's lock, applies migrations and builds the channels.
    pub async fn build(settings: Settings, source: ConfigSource) -> Result<Self, DaemonError> {
        // SIGUSR1 would end the process by default: take it over before the lock file names
        // this process to the CLI.
        let changed_elsewhere = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())
            .map_err(DaemonError::Signal)?;
        let store = Store::open_for_daemon(
            &settings.store.url,
            crate::store::StoreOptions::from_settings(&settings.store),
        )
        .await?;
        let (settings, policy, dispatcher) = Self::parts(settings, &store)?;
        let wake = Arc::new(tokio::sync::Notify::new());
        let published = tokio::sync::watch::Sender::new(settings.clone());
        Ok(Self { settings, source, store, policy, dispatcher, wake, published, changed_elsewhere })
    }

    /// The pieces that depend on the settings: rebuilt whole, or not at all.
    fn parts(settings: Settings, store: &Store) -> Result<(Arc<Settings>, Policy, Dispatcher), DaemonError> {
        let settings = Arc::new(settings);
        let channels = Channels::from_settings(&settings)?;
        let renderer = Renderer::new(settings.templates_dir.as_deref())?;
        let dispatcher = Dispatcher::new(store.clone(), settings.clone(), channels, renderer);
        let policy = Policy::from_settings(&settings);
        Ok((settings, policy, dispatcher))
    }

    /// Reads the config again: a valid one takes effect (schedules, departments, channels,
    /// templates) and every task is planned again; an invalid one is logged and the
    /// running one kept. The store cannot move while running.
    async fn reload(&mut self) {
        notify_systemd(&[sd_notify::NotifyState::Reloading, monotonic_now()]);
        let applied = self.apply_new_config().await;
        metrics::counter!("nhacviec_config_reloads_total", "result" => if applied { "ok" } else { "refused" })
            .increment(1);
        notify_systemd(&[sd_notify::NotifyState::Ready]);
    }

    /// Puts new settings in place, tells the HTTP server, and plans every task again.
    async fn apply_parts(&mut self, (settings, policy, dispatcher): (Arc<Settings>, Policy, Dispatcher)) {
        // Departments whose escalation moved: their open tasks are planned afresh, so that
        // the new target gets an escalation already due (the keys keep the rest from
        // going out twice).
        let moved: Vec<String> = settings
            .departments
            .iter()
            .filter(|d| self.settings.departments.escalate_to(&d.code) != d.escalate_to.as_ref())
            .map(|d| d.code.to_string())
            .collect();
        (self.settings, self.policy, self.dispatcher) = (settings, policy, dispatcher);
        self.published.send_replace(self.settings.clone());
        if !moved.is_empty() {
            match self.store.plan_afresh(&moved, Utc::now()).await {
                Ok(tasks) => {
                    tracing::info!(departments = ?moved, tasks, "escalation moved: their tasks are planned afresh")
                }
                Err(error) => {
                    tracing::error!(%error, "escalation moved, but its tasks could not be planned afresh")
                }
            }
        }
        match planning::replan_all(&self.store, &self.settings, &self.policy).await {
            Ok(changed) => tracing::info!(source = %self.source.name(), changed, "config reloaded"),
            Err(error) => tracing::error!(%error, "config reloaded, but re-planning failed"),
        }
    }

    /// Whether the config read again was valid and took effect.
    async fn apply_new_config(&mut self) -> bool {
        match Settings::load(&self.source) {
            Ok(settings) if settings.store.url != self.settings.store.url => {
                tracing::error!(
                    running = %self.settings.store.url,
                    new = %settings.store.url,
                    "config not reloaded: store.url cannot change while running; restart to move the store"
                );
                false
            }
            Ok(settings) => match Self::parts(settings, &self.store) {
                Ok(parts)
                    if parts.0.http.listen != self.settings.http.listen
                        || parts.0.http.body_limit != self.settings.http.body_limit =>
                {
                    tracing::warn!(
                        running = ?self.settings.http.listen,
                        new = ?parts.0.http.listen,
                        "http.listen or http.body_limit changed: they take effect at the next restart; the rest is reloaded"
                    );
                    self.apply_parts(parts).await;
                    true
                }
                Ok(parts) => {
                    self.apply_parts(parts).await;
                    true
                }
                Err(error) => {
                    tracing::error!(%error, "config not reloaded; the running one is kept");
                    false
                }
            },
            Err(error) => {
                tracing::error!(%error, "config not reloaded; the running one is kept");
                false
            }
        }
    }

    /// Runs until `shutdown` fires.
    pub async fn run(mut self, mut shutdown: Shutdown) -> Result<(), DaemonError> {
        let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .map_err(DaemonError::Signal)?;
        let heartbeat = Arc::new(crate::http::Heartbeat::default());
        let http = match self.settings.http.listen {
            Some(address) => {
                // A loop asleep for its longest (the poll interval) is still a live loop.
                let stale_after = self.settings.schedule.poll_interval * 3 + Duration::from_secs(60);
                let context = crate::http::HttpContext {
                    store: self.store.clone(),
                    settings: self.published.subscribe(),
                    heartbeat: heartbeat.clone(),
                    stale_after,
                    wake: self.wake.clone(),
                };
                let server = crate::http::serve(address, context, shutdown.clone()).await?;
                Some(server)
            }
            None => None,
        };
        let watchdog = sd_notify::watchdog_enabled();
        let released = self.store.start_daemon().await?;
        if released > 0 {
            tracing::warn!(
                released,
                "reminders in flight at the last stop are sent again, with the same keys"
            );
        }
        let changed = planning::replan_all(&self.store, &self.settings, &self.policy).await?;
        tracing::info!(changed, "planned every open task");
        // Sources are polled beside the loop: a slow or failing source never holds up a
        // reminder.
        let sources = tokio::spawn(crate::sources::run(
            self.store.clone(),
            self.published.subscribe(),
            self.wake.clone(),
            shutdown.clone(),
        ));
        // Changes made through other daemons and commands wake this one (PostgreSQL),
        // unless notifications are off (a pooler that cannot pass them on): then they are
        // found at the next poll.
        let listener =
            if self.settings.store.notify { self.store.listen_for_changes(self.wake.clone()) } else { None };
        notify_systemd(&[sd_notify::NotifyState::Ready]);
        tracing::info!(store = %crate::store::url_without_password(&self.settings.store.url), "nhacviec is running");

        let mut timetable = Timetable::new(&self.settings, &self.store, Utc::now());
        timetable.catch_up(&self.store, &self.settings, Utc::now()).await;
        let mut failures: u32 = 0;
        while !shutdown.is_shutdown() {
            let result = self.tick_within_grace(&mut shutdown, &heartbeat).await;
            heartbeat.beat();
            self.run_timetable(&mut timetable).await;
            let mut sleep = self.time_to_next_work().await.min(timetable.time_to_next());
            if let Err(error) = result {
                // The store may be busy, full or briefly unavailable: log, back off (2s, 4s…
                // up to a minute, or the poll interval if shorter) and try again; nothing is
                // marked sent meanwhile.
                failures += 1;
                let backoff = Duration::from_secs(1 << failures.min(6));
                sleep = backoff.min(self.settings.schedule.poll_interval);
                tracing::error!(%error, retry_in = ?sleep, "tick failed");
            } else {
                failures = 0;
            }
            if let Some(watchdog) = watchdog {
                // Pinged from the loop itself: a loop that stops turning is restarted.
                notify_systemd(&[sd_notify::NotifyState::Watchdog]);
                sleep = sleep.min(watchdog / 2);
            }
            if under_systemd() {
                match self.store.pending_stats().await {
                    Ok((pending, _)) => notify_systemd(&[sd_notify::NotifyState::Status(&format!(
                        "{pending} reminders waiting"
                    ))]),
                    Err(error) => tracing::warn!(%error, "cannot count the waiting reminders"),
                }
            }
            tracing::debug!(?sleep, "sleeping");
            tokio::select! {
                _ = hangup.recv() => {
                    // A job whose instant has come runs first, under the settings it was due by.
                    self.run_timetable(&mut timetable).await;
                    self.reload().await;
                    timetable = Timetable::new(&self.settings, &self.store, Utc::now());
                }
                _ = tokio::time::sleep(sleep) => {}
                // A change through the API (in this process) or the CLI (SIGUSR1).
                _ = self.wake.notified() => tracing::debug!("woken by a change"),
                _ = self.changed_elsewhere.recv() => tracing::debug!("woken by a change from the CLI"),
                _ = shutdown.recv() => {}
            }
        }
        tracing::info!("stopping");
        notify_systemd(&[sd_notify::NotifyState::Stopping]);
        if let Some(http) = http {
            let _ = http.await;
        }
        let _ = sources.await;
        if let Some(listener) = listener {
            listener.abort();
        }
        // The sources and jobs this daemon held are the others' at once.
        if let Err(error) = self.store.release_leases().await {
            tracing::warn!(%error, "cannot release this daemon's leases; others take them when they run out");
        }
        self.store.close().await;
        Ok(())
    }

    /// A tick that, once shutdown is asked for, gets `shutdown_grace` to finish its
    /// in-flight sends. Sends cut off then stay claimed and go out again after their lease.
    async fn tick_within_grace(
        &self,
        shutdown: &mut Shutdown,
        heartbeat: &crate::http::Heartbeat,
    ) -> Result<(), StoreError> {
        let tick_shutdown = shutdown.clone();
        let tick = self.tick(&tick_shutdown, heartbeat);
        tokio::pin!(tick);
        tokio::select! {
            result = &mut tick => result,
            _ = shutdown.recv() => match tokio::time::timeout(self.settings.delivery.shutdown_grace, &mut tick).await {
                Ok(result) => result,
                Err(_) => {
                    tracing::warn!("grace period over: unfinished sends will be retried after their lease");
                    Ok(())
                }
            },
        }
    }

    /// Plans what is due, then sends batches until nothing due is left or shutdown.
    /// The loop beats `heartbeat` (and systemd's watchdog) between batches, so that a
    /// long backlog is not taken for a stuck loop.
    async fn tick(&self, shutdown: &Shutdown, heartbeat: &crate::http::Heartbeat) -> Result<(), StoreError> {
        heartbeat.beat();
        let now = Utc::now();
        let planned = planning::plan_due(&self.store, &self.settings, &self.policy, now).await?;
        if planned.tasks > 0 {
            tracing::info!(
                tasks = planned.tasks,
                enqueued = planned.enqueued,
                superseded = planned.superseded,
                "planned"
            );
        }
        let total = if self.settings.delivery.enabled {
            let between_batches = || {
                heartbeat.beat();
                notify_systemd(&[sd_notify::NotifyState::Watchdog]);
                !shutdown.is_shutdown()
            };
            self.dispatcher.dispatch_due(&between_batches).await?
        } else {
            Default::default()
        };
        if planned.tasks > 0 || total.total() > 0 {
            self.store.after_busy_tick().await?;
        }
        if total.total() > 0 {
            tracing::info!(
                sent = total.sent,
                retried = total.retried,
                dead = total.dead,
                cancelled = total.cancelled,
                "dispatched"
            );
        }
        Ok(())
    }

    /// Until the earliest of: a task to plan, an item to send, the poll interval.
    async fn time_to_next_work(&self) -> Duration {
        let poll = self.settings.schedule.poll_interval;
        let next_task = self.store.next_task_due().await.ok().flatten();
        // A daemon that does not send does not wake for what waits to be sent.
        let next_item = match self.settings.delivery.enabled {
            true => self.store.next_outbox_due().await.ok().flatten(),
            false => None,
        };
        let Some(next) = next_task.into_iter().chain(next_item).min() else {
            return poll;
        };
        let until = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        // A little after the instant, so that the tick finds it due.
        (until + Duration::from_millis(5)).min(poll)
    }

    /// Runs the cron jobs whose instant has come: each once, however late the loop is,
    /// and once across every daemon on the store: the one that claims the instant runs
    /// it; the others ask again when its lease runs out, in case it died mid-run.
    async fn run_timetable(&self, timetable: &mut Timetable) {
        for job in [&mut timetable.summary, &mut timetable.replan, &mut timetable.maintenance] {
            let now = Utc::now();
            let Some(instant) = job.next else { continue };
            if job.wake_at().is_none_or(|at| at > now) {
                continue;
            }
            let name = job.kind.name();
            match self.store.claim_job(name, instant, now + JOB_LEASE, now).await {
                Ok(JobClaim::Run) => match self.run_job(job.kind, instant, now).await {
                    Ok(()) => job.advance(&self.settings, now),
                    // Still this daemon's: it tries again in a minute.
                    Err(error) => {
                        tracing::error!(%error, job = name, "the job failed; trying again in a minute");
                        job.ask_again = Some(now + chrono::Duration::minutes(1));
                    }
                },
                Ok(JobClaim::Done) => {
                    tracing::debug!(job = name, "run by another daemon");
                    job.advance(&self.settings, now);
                }
                Ok(JobClaim::HeldUntil(until)) => {
                    // Asked again before the lease runs out, in case its holder stopped
                    // cleanly and let it go.
                    tracing::debug!(job = name, %until, "being run by another daemon");
                    job.ask_again = Some(
                        until.min(now + crate::store::LEASE_RECHECK).max(now) + chrono::Duration::seconds(1),
                    );
                }
                Err(error) => {
                    tracing::error!(%error, job = name, "cannot claim the job; asking again in 30 s");
                    job.ask_again = Some(now + chrono::Duration::seconds(30));
                }
            }
        }
    }

    /// Runs a job claimed for `instant` and marks it done; an error leaves it undone.
    async fn run_job(
        &self,
        kind: JobKind,
        instant: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match kind {
            JobKind::Summary => {
                let enqueued = self.dispatcher.enqueue_summaries(now).await?;
                tracing::info!(enqueued, "weekly summaries enqueued");
            }
            JobKind::Replan => {
                let changed = planning::replan_all(&self.store, &self.settings, &self.policy).await?;
                tracing::info!(changed, "re-planned every open task");
                self.housekeeping(now).await?;
            }
            // Vacuuming may take minutes: beside the loop, not in it; marked done when over.
            JobKind::Maintenance => {
                let store = self.store.clone();
                tokio::spawn(async move {
                    match store.maintain().await {
                        Ok(_) => finish_job(&store, kind.name(), instant).await,
                        Err(error) => tracing::warn!(%error, "the store's upkeep failed"),
                    }
                });
                return Ok(());
            }
        }
        finish_job(&self.store, kind.name(), instant).await;
        Ok(())
    }

    /// The daily housekeeping: API idempotency keys older than a month go, and the sign-in
    /// links used more than a day ago (each expired long before); and finished reminders
    /// older than `store.keep_sent`, a batch at a time so that no transaction holds the
    /// outbox long, and at most `PRUNE_BATCHES` a day so that a first run over years of
    /// history does not hold up the loop (the rest goes on the next days).
    async fn housekeeping(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.store.forget_keys_before(now - crate::store::KEYS_KEPT_FOR).await?;
        // A sign-in link works for a day at most (`pages.sign_in_valid_for`).
        self.store.forget_sign_ins_before(now - chrono::Duration::days(2)).await?;
        let Some(kept) = self.settings.store.keep_sent.and_then(|k| chrono::Duration::from_std(k).ok())
        else {
            return Ok(());
        };
        let mut pruned = 0;
        for _ in 0..PRUNE_BATCHES {
            let count = self.store.prune_finished(now - kept, PRUNE_BATCH).await?;
            pruned += count;
            notify_systemd(&[sd_notify::NotifyState::Watchdog]);
            if count < u64::from(PRUNE_BATCH) {
                break;
            }
        }
        if pruned > 0 {
            tracing::info!(pruned, "finished reminders older than store.keep_sent deleted");
        }
        Ok(())
    }
}

/// Marks a job's instant done; a failure only means another daemon may run it again.
async fn finish_job(store: &Store, name: &str, instant: DateTime<Utc>) {
    if let Err(error) = store.finish_job(name, instant, Utc::now()).await {
        tracing::warn!(%error, job = name, "cannot mark the job done; another daemon may run it again");
    }
}

/// How long a daemon holds a cron job's run before another may take it over.
const JOB_LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// How often the store's upkeep runs.
const MAINTENANCE_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// Finished reminders deleted per transaction.
const PRUNE_BATCH: u32 = 5_000;

/// Transactions of pruning a day at most.
const PRUNE_BATCHES: u32 = 40;

/// The cron jobs (`schedule.summary_at`, `schedule.replan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Summary,
    Replan,
    /// The store's upkeep (`Store::maintain`), every few minutes.
    Maintenance,
}

impl JobKind {
    /// Its name in the store's leases.
    fn name(self) -> &'static str {
        match self {
            Self::Summary => "job:summary",
            Self::Replan => "job:replan",
            Self::Maintenance => "job:maintenance",
        }
    }

    /// Its last instant at or before `now`, for the cron jobs.
    fn previous_before(self, settings: &Settings, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let cron = match self {
            Self::Summary => &settings.schedule.summary_at,
            Self::Replan => &settings.schedule.replan,
            Self::Maintenance => return None,
        };
        let local = now.with_timezone(&settings.timezone);
        cron.find_previous_occurrence(&local, true).ok().map(|at| at.with_timezone(&Utc))
    }

    /// Its first instant after `now`; `None` when it will never run again.
    fn next_after(self, settings: &Settings, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Summary => next_occurrence(&settings.schedule.summary_at, settings, now),
            Self::Replan => next_occurrence(&settings.schedule.replan, settings, now),
            Self::Maintenance => {
                let every = MAINTENANCE_EVERY.num_seconds();
                DateTime::from_timestamp((now.timestamp() / every + 1) * every, 0)
            }
        }
    }
}

/// A cron job's next instant, kept rather than recomputed from the clock at each sleep,
/// so that a firing that passes while a tick runs, or while another wake-up is handled,
/// is run late, not lost.
#[derive(Debug, Clone, Copy)]
struct Job {
    kind: JobKind,
    next: Option<DateTime<Utc>>,
    /// Another daemon holds the run of `next`: when to ask again.
    ask_again: Option<DateTime<Utc>>,
}

impl Job {
    fn new(kind: JobKind, settings: &Settings, now: DateTime<Utc>) -> Self {
        Self { kind, next: kind.next_after(settings, now), ask_again: None }
    }

    /// When the job next wants the loop; `None` when it will never fire again.
    fn wake_at(&self) -> Option<DateTime<Utc>> {
        Some(self.next?.max(self.ask_again.unwrap_or(DateTime::<Utc>::MIN_UTC)))
    }

    /// On to the instant after `now`.
    fn advance(&mut self, settings: &Settings, now: DateTime<Utc>) {
        *self = Self::new(self.kind, settings, now);
    }
}

/// The daemon keeps its own time rather than a cron ticker, so that it wakes only when
/// something is due.
#[derive(Debug, Clone, Copy)]
struct Timetable {
    summary: Job,
    replan: Job,
    maintenance: Job,
}

impl Timetable {
    /// The jobs' next instants after `now`; the store's upkeep only where it has some.
    fn new(settings: &Settings, store: &Store, now: DateTime<Utc>) -> Self {
        let mut maintenance = Job::new(JobKind::Maintenance, settings, now);
        if !store.needs_upkeep() {
            maintenance.next = None;
        }
        Self {
            summary: Job::new(JobKind::Summary, settings, now),
            replan: Job::new(JobKind::Replan, settings, now),
            maintenance,
        }
    }

    /// At start: a job whose last instant passed while no daemon ran (its store knows it
    /// ran before, and not since) runs now, late rather than lost, when it is less than a
    /// day late.
    async fn catch_up(&mut self, store: &Store, settings: &Settings, now: DateTime<Utc>) {
        for job in [&mut self.summary, &mut self.replan] {
            let done = match store.job_done_through(job.kind.name()).await {
                Ok(done) => done,
                Err(error) => {
                    tracing::warn!(%error, job = job.kind.name(), "cannot read when the job last ran");
                    continue;
                }
            };
            if let Some(missed) = missed_instant(job.kind.previous_before(settings, now), done, now) {
                tracing::info!(job = job.kind.name(), %missed, "run late: no daemon ran it at its instant");
                job.next = Some(missed);
            }
        }
    }

    /// Until the earliest job; a long time when none will fire again.
    fn time_to_next(&self) -> Duration {
        let jobs = [self.summary, self.replan, self.maintenance];
        let Some(next) = jobs.iter().filter_map(Job::wake_at).min() else {
            return Duration::from_secs(365 * 24 * 3600);
        };
        (next - Utc::now()).to_std().unwrap_or(Duration::ZERO)
    }
}

/// How late a missed job may still run at start.
const CATCH_UP: chrono::Duration = chrono::Duration::days(1);

/// The instant a job missed while no daemon ran, if it is to run now: its last instant
/// `previous` came after the last one run (`done`) and less than `CATCH_UP` ago. A job that
/// never ran on this store has nothing to catch up: a new store does not send last week's
/// summary.
fn missed_instant(
    previous: Option<DateTime<Utc>>,
    done: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let (previous, done) = (previous?, done?);
    (previous > done && now - previous < CATCH_UP).then_some(previous)
}

/// The first instant of `cron` after `now`, read in the configured zone; `None` for an
/// expression that never matches again.
fn next_occurrence(cron: &croner::Cron, settings: &Settings, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&settings.timezone);
    cron.find_next_occurrence(&local, false).ok().map(|next| next.with_timezone(&Utc))
}

/// systemd's MONOTONIC_USEC, which it wants with RELOADING=1.
fn monotonic_now() -> sd_notify::NotifyState<'static> {
    sd_notify::NotifyState::monotonic_usec_now()
        .unwrap_or(sd_notify::NotifyState::Custom("X_MONOTONIC=unknown"))
}

/// Whether systemd listens for notifications (`Type=notify`).
fn under_systemd() -> bool {
    std::env::var_os("NOTIFY_SOCKET").is_some()
}

fn notify_systemd(states: &[sd_notify::NotifyState]) {
    if under_systemd() {
        let _ = sd_notify::notify(states);
    }
}

/// A shutdown that fires on the first SIGTERM or SIGINT.
pub fn shutdown_on_signals() -> Result<Shutdown, DaemonError> {
    use tokio::signal::unix::{SignalKind, signal};
    let (trigger, shutdown) = shutdown::channel();
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received: finishing in-flight sends"),
            _ = int.recv() => tracing::info!("SIGINT received: finishing in-flight sends"),
        }
        trigger.trigger();
    });
    Ok(shutdown)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_job_missed_while_no_daemon_ran_runs_at_start_within_a_day() {
        // Summary on Monday 2 March at 00:00 UTC; the last run was the week before.
        let monday = at(2, 0);
        let week_before = monday - chrono::Duration::days(7);
        assert_eq!(missed_instant(Some(monday), Some(week_before), at(2, 3)), Some(monday));
        assert_eq!(missed_instant(Some(monday), Some(week_before), at(2, 23)), Some(monday));
        // A day late or more: the next instant comes instead.
        assert_eq!(missed_instant(Some(monday), Some(week_before), at(3, 0)), None);
        // Already run, by this daemon before it stopped or by another.
        assert_eq!(missed_instant(Some(monday), Some(monday), at(2, 3)), None);
        // A store on which the job never ran: nothing to catch up.
        assert_eq!(missed_instant(Some(monday), None, at(2, 3)), None);
        // A cron that never matched.
        assert_eq!(missed_instant(None, Some(week_before), at(2, 3)), None);
    }
}
