//! The store: directives, tasks and their history, the outbox of reminders and every
//! delivery attempt, the leases that let one daemon of several do a job, in SQLite (one file, one daemon: the embedded default) or PostgreSQL
//! (one database, any number of daemons).
//!
//! The only shared state of the daemons, and the only module that names a database engine.
//! Each query is written once, in `sql/`, in the SQL both engines speak, and compiled for
//! each (`sqlite`, `postgres`); what differs between them (connecting, migrating, locking,
//! claiming, waking, upkeep) is written in the engine's own file. `Store` runs each query on the
//! engine its URL names. Every write that belongs together is one transaction, so a failed
//! command leaves the store as it was. It must not decide anything: what to plan, send,
//! supersede or cancel is computed by `plan`, `outbox`, `app` and `dispatch`, and only
//! written here.

mod instance;
mod postgres;
mod records;
mod rows;
mod sqlite;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

pub use instance::{LockError, wake_running_daemon};
pub use records::{
    BoardDates, BoardFilter, BoardList, DraftApply, DraftRecord, DraftState, ExtensionDecision,
    ExtensionRequest, ExtensionState, ItemOutcome, ItemWrite, JobClaim, KEYS_KEPT_FOR, KeyedAnswer,
    KeyedRequest, LEASE_RECHECK, LeadCounts, Lease, LinkUse, LinkUseError, NewExtensionRequest, PlanWrite,
    Recorded, SentSoFar, SourceItem, SourceState, TaskEvent, TaskFilter, TaskRecord,
};

use crate::domain::{
    Acknowledgement, Deadline, DepartmentCode, Directive, DirectiveId, NewDirective, NewTask, Role, TaskId,
    TaskText,
};
use crate::outbox::{NewNotice, NewOutboxItem, NoticeKind, OutboxItem, OutboxState, Outcome};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the store's folder {path}: {source}")]
    CreateFolder { path: String, source: std::io::Error },
    #[error("cannot open the store {url}: {source}")]
    Open { url: String, source: EngineError },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot take the lock for the store's migrations beside {path}: {source}")]
    MigrationLock { path: String, source: std::io::Error },
    #[error("cannot apply the store's migrations: {0}")]
    Migrate(EngineError),
    #[error("store error: {0}")]
    Query(EngineError),
    #[error("no task with id {0}")]
    NoSuchTask(i64),
    #[error("no directive with id {0}")]
    NoSuchDirective(i64),
    #[error("task {0} is done; it cannot change")]
    TaskDone(i64),
    #[error("task {0} changed meanwhile (its deadline moved): read it again and retry")]
    Changed(i64),
    #[error("the Idempotency-Key '{0}' was used by a request made at the same time")]
    KeyInUse(String),
    #[error("no draft with id {0}")]
    NoSuchDraft(i64),
    #[error("draft {id} was {state} already")]
    DraftDecided { id: i64, state: &'static str },
    #[error("no extension request with id {0}")]
    NoSuchExtensionRequest(i64),
    #[error("extension request {id} was {state} already")]
    ExtensionDecided { id: i64, state: &'static str },
    #[error("no outbox item with id {0}")]
    NoSuchOutboxItem(i64),
    #[error("the store holds a value it cannot read: {0}")]
    Corrupt(String),
    #[error("'{0}' names no store engine: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnknownEngine(String),
    #[error(
        "a PostgreSQL store is copied by PostgreSQL: run pg_dump --format=custom --file=nhacviec.dump with the store's URL, and pg_restore to bring it back"
    )]
    BackupByEngine,
    #[error(
        "the store has schema version {0}, written by a newer nhacviec than this one: upgrade nhacviec, or restore a backup taken before"
    )]
    NewerSchema(i64),
}

/// What the database engine said, as text and source, without naming the engine.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct EngineError(Box<dyn std::error::Error + Send + Sync>);

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Query(EngineError(Box::new(error)))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(EngineError(Box::new(error)))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How a store is opened, from `[store]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// A SQLite file is held to at most this size: past it, writes fail as on a full
    /// disk, and nothing half-written is kept.
    pub max_bytes: Option<u64>,
    /// Connections kept to a database server. Its listener for changes has one more of
    /// its own, outside the pool, so that a busy pool never holds it up.
    pub pool_size: u32,
}

impl StoreOptions {
    /// The options `[store]` sets.
    pub fn from_settings(settings: &crate::config::StoreSettings) -> Self {
        Self { max_bytes: settings.max_size, pool_size: settings.pool_size }
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { max_bytes: None, pool_size: 10 }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    engine: Engine,
    /// A daemon's hold on a SQLite store (`open_for_daemon`), released with the last clone.
    lock: Option<Arc<instance::StoreLock>>,
}

/// The engine a store's URL names.
#[derive(Debug, Clone)]
enum Engine {
    Sqlite(sqlite::Backend),
    Postgres(postgres::Backend),
}

/// Which engine `url` names, by its scheme.
fn engine_of(url: &str) -> Result<EngineKind> {
    if url.starts_with("sqlite:") {
        Ok(EngineKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(EngineKind::Postgres)
    } else {
        Err(StoreError::UnknownEngine(url_without_password(url)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EngineKind {
    Sqlite,
    Postgres,
}

/// Who claims outbox items through this store: host, process and a random part, so that
/// a restarted daemon never takes its predecessor's claims for its own.
fn claim_owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    format!("{}:{}:{}", host.trim(), std::process::id(), hex::encode(random))
}

/// A lease's length in whole seconds, at least one.
fn lease_seconds(lease: Duration) -> i64 {
    i64::try_from(lease.as_secs()).unwrap_or(i64::MAX / 2).max(1)
}

/// `url` with its password, if any, replaced by `***`: for messages and logs.
pub fn url_without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens (creating a SQLite file and its folder if missing) and brings the schema up to
    /// date. A store written by a newer version is refused before anything is migrated.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, StoreOptions::default()).await
    }

    /// `open`, with the options of `[store]`.
    pub async fn open_with(url: &str, options: StoreOptions) -> Result<Self> {
        let store = Self::connect(url, true, options).await?;
        store.check_schema().await?;
        match &store.engine {
            Engine::Sqlite(db) => db.migrate(url).await?,
            Engine::Postgres(db) => db.migrate().await?,
        }
        Ok(store)
    }

    /// Opens an existing store without creating or migrating anything.
    pub async fn open_existing(url: &str) -> Result<Self> {
        Self::connect(url, false, StoreOptions::default()).await
    }

    async fn connect(url: &str, create: bool, options: StoreOptions) -> Result<Self> {
        let engine = match engine_of(url)? {
            EngineKind::Sqlite => {
                Engine::Sqlite(sqlite::Backend::connect(url, create, options.max_bytes).await?)
            }
            EngineKind::Postgres => {
                Engine::Postgres(postgres::Backend::connect(url, options.pool_size).await?)
            }
        };
        Ok(Self { engine, lock: None })
    }

    /// Brings the schema of the store at `url` up to date, creating a SQLite file if it is
    /// missing. Returns the migrations it applied, each as "VERSION description"; a store
    /// written by a newer version is refused before anything is migrated.
    pub async fn migrate(url: &str) -> Result<Vec<String>> {
        let store = Self::connect(url, true, StoreOptions::default()).await?;
        let before = store.check_schema().await?;
        let known = match &store.engine {
            Engine::Sqlite(db) => {
                db.migrate(url).await?;
                sqlite::Backend::known_migrations()
            }
            Engine::Postgres(db) => {
                db.migrate().await?;
                postgres::Backend::known_migrations()
            }
        };
        store.close().await;
        Ok(known
            .into_iter()
            .filter(|(version, _)| !before.contains(version))
            .map(|(version, description)| format!("{version} {description}"))
            .collect())
    }

    /// Whether the schema is one this binary can use: not newer than it knows. A store
    /// not migrated yet is fine: `run` migrates it. Returns the migrations applied.
    async fn check_schema(&self) -> Result<Vec<i64>> {
        let (applied, known) = match &self.engine {
            Engine::Sqlite(db) => (db.applied_migrations().await?, sqlite::Backend::known_migrations()),
            Engine::Postgres(db) => (db.applied_migrations().await?, postgres::Backend::known_migrations()),
        };
        if let Some(newer) = applied.iter().find(|v| !known.iter().any(|(known, _)| known == *v)) {
            return Err(StoreError::NewerSchema(*newer));
        }
        Ok(applied)
    }

    /// A consistent copy of a SQLite store at `path`, taken while the daemon runs. A
    /// PostgreSQL store is copied by PostgreSQL's own tools.
    pub async fn backup(&self, path: &Path) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(db) => db.backup(path).await,
            Engine::Postgres(_) => Err(StoreError::BackupByEngine),
        }
    }

    /// Wakes `wake` whenever another daemon, a command or a request changes what is due in
    /// a PostgreSQL store (LISTEN/NOTIFY), until the returned task is aborted. A SQLite
    /// store has one daemon, woken by the command line's signal instead: `None`.
    pub fn listen_for_changes(&self, wake: Arc<tokio::sync::Notify>) -> Option<tokio::task::JoinHandle<()>> {
        match &self.engine {
            Engine::Sqlite(_) => None,
            Engine::Postgres(db) => Some(db.listen(wake)),
        }
    }

    /// Plans up to `limit` tasks due by `now` in one transaction: `plan` turns the tasks
    /// and their acknowledgements into writes, made before anyone else may plan them.
    /// Daemons planning at once each take different tasks. Returns the tasks planned and
    /// the reminders enqueued.
    pub async fn plan_due<F>(&self, now: DateTime<Utc>, limit: u32, plan: F) -> Result<(usize, u64)>
    where
        F: FnOnce(&[TaskRecord], &HashSet<Acknowledgement>) -> Vec<PlanWrite> + Send,
    {
        match &self.engine {
            Engine::Sqlite(db) => db.plan_due(now, limit, plan).await,
            Engine::Postgres(db) => db.plan_due(now, limit, plan).await,
        }
    }

    pub async fn close(&self) {
        match &self.engine {
            Engine::Sqlite(db) => db.close().await,
            Engine::Postgres(db) => db.close().await,
        }
    }
}

/// The queries every engine answers, each written once in `sql/` and run by the engine
/// the store was opened on.
macro_rules! queries {
    ($(
        $(#[$attr:meta])*
        pub async fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;
    )*) => {
        impl Store {$(
            $(#[$attr])*
            pub async fn $name(&self $(, $arg: $ty)*) -> $ret {
                match &self.engine {
                    Engine::Sqlite(db) => db.$name($($arg),*).await,
                    Engine::Postgres(db) => db.$name($($arg),*).await,
                }
            }
        )*}
    };
}

queries! {
    // the engines' own (sqlite.rs, postgres.rs)
    /// Whether the store answers.
    pub async fn ping(&self) -> Result<()>;
    /// Claims up to `limit` items due by `now` for sending, each for `lease`. Items whose
    /// lease ran out (their sender died) are claimed again.
    pub async fn claim(&self, now: DateTime<Utc>, lease: Duration, limit: u32) -> Result<Vec<OutboxItem>>;
    /// The departments and channels with digest items due by `now`.
    pub async fn digests_due(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>>;
    /// Claims every digest item of one department and channel due by `now`, all at once,
    /// so that they go out in one message.
    pub async fn claim_digest(
        &self,
        department: &str,
        channel: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<OutboxItem>>;

    // board.rs
    pub async fn board_counts(&self, filter: &BoardFilter, dates: BoardDates) -> Result<(Vec<LeadCounts>, Option<(NaiveDate, NaiveDate)>)>;
    pub async fn board_done_after(&self, filter: &BoardFilter, deadlines: &[NaiveDate]) -> Result<Vec<(String, NaiveDate, NaiveDate, i64)>>;
    pub async fn board_tasks(&self, filter: &BoardFilter, list: BoardList, dates: BoardDates, after: TaskId, limit: u32) -> Result<Vec<TaskRecord>>;
    pub async fn desk_tasks(&self, department: &DepartmentCode, limit: u32) -> Result<Vec<TaskRecord>>;
    pub async fn sent_to(&self, department: &DepartmentCode, tasks: &[TaskId]) -> Result<HashMap<i64, SentSoFar>>;

    // extensions.rs
    pub async fn request_extension(&self, new: &NewExtensionRequest, notice: &(dyn Fn(i64) -> NewNotice + Send + Sync), actor: &str, now: DateTime<Utc>) -> Result<i64>;
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_extension(&self, id: i64, decision: &ExtensionDecision, note: Option<&str>, notice: &(dyn Fn(&ExtensionRequest) -> NewNotice + Send + Sync), actor: &str, now: DateTime<Utc>) -> Result<ExtensionRequest>;
    pub async fn extension_request(&self, id: i64) -> Result<ExtensionRequest>;
    pub async fn pending_extensions(&self, limit: u32) -> Result<Vec<ExtensionRequest>>;
    pub async fn task_extensions(&self, task: TaskId) -> Result<Vec<ExtensionRequest>>;

    // notices.rs
    pub async fn enqueue_notice(&self, notice: &NewNotice, now: DateTime<Utc>) -> Result<i64>;
    pub async fn notices_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, (NoticeKind, String)>>;
    pub async fn use_sign_in(&self, signature: &str, email: &str, now: DateTime<Utc>) -> Result<bool>;
    pub async fn sign_in_used(&self, signature: &str) -> Result<bool>;
    pub async fn forget_sign_ins_before(&self, before: DateTime<Utc>) -> Result<u64>;

    // leases.rs
    /// Takes the lease `name` until `until`, or renews it: done only when this daemon
    /// holds it already or its holder's ran out by `now`.
    pub async fn take_lease(&self, name: &str, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<Lease>;
    /// Claims the run of cron job `job` for its `instant`, leased until `until`: refused
    /// while another daemon's lease runs, and once a run of this instant finished.
    pub async fn claim_job(&self, job: &str, instant: DateTime<Utc>, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<JobClaim>;
    /// The latest instant of `job` whose run finished; `None` if it never ran on this store.
    pub async fn job_done_through(&self, job: &str) -> Result<Option<DateTime<Utc>>>;
    /// Marks the run of `job` for `instant` finished, and its lease free.
    pub async fn finish_job(&self, job: &str, instant: DateTime<Utc>, now: DateTime<Utc>) -> Result<()>;
    /// Lets go of every lease this daemon holds, so that others take them at once (at a
    /// clean stop). Returns how many.
    pub async fn release_leases(&self) -> Result<u64>;
    /// Deletes up to `limit` reminders finished (sent, dead or cancelled) before `before`,
    /// with their delivery attempts, oldest first. Returns how many.
    pub async fn prune_finished(&self, before: DateTime<Utc>, limit: u32) -> Result<u64>;

    // tasks.rs
    /// Inserts a directive and all its tasks in one transaction.
    pub async fn add_directive(&self, directive: &NewDirective, actor: &str, now: DateTime<Utc>) -> Result<(DirectiveId, Vec<TaskId>)>;
    /// `add_directive`, recording `keyed` with the directive it made in the same
    /// transaction.
    pub async fn add_directive_keyed(&self, directive: &NewDirective, keyed: Option<&KeyedRequest>, actor: &str, now: DateTime<Utc>) -> Result<(DirectiveId, Vec<TaskId>)>;
    /// The directive imported from the document of this SHA-256, if any.
    pub async fn directive_by_source_hash(&self, hash: &str) -> Result<Option<DirectiveId>>;
    /// Adds one task to an existing directive, recording `keyed` with it when given.
    pub async fn add_task(&self, directive: DirectiveId, task: &NewTask, keyed: Option<&KeyedRequest>, actor: &str, now: DateTime<Utc>) -> Result<TaskId>;
    /// Replaces what a task says (summary, details, section, departments), moves what waits
    /// in the reminder series for each department of `moves` to the part it names, cancels
    /// what waits for a department and role not in `keep`, and plans it again from
    /// `next_reminder_at`. `deadline` is the one the caller planned for: a task extended
    /// meanwhile is refused as changed. The deadline moves only through `extend`, which keeps
    /// its reason.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_task(&self, id: TaskId, task: &TaskText, deadline: Option<NaiveDate>, moves: &[(DepartmentCode, Role)], keep: &[(DepartmentCode, Role)], next_reminder_at: Option<DateTime<Utc>>, actor: &str, now: DateTime<Utc>) -> Result<()>;
    pub async fn directives(&self) -> Result<Vec<(Directive, i64)>>;
    pub async fn recent_directives(&self, limit: u32) -> Result<Vec<Directive>>;
    pub async fn directive(&self, id: DirectiveId) -> Result<Option<Directive>>;
    /// Replaces a directive's number, title and issuer, and notes it in the history of
    /// each of its tasks. Its date stays: relative deadlines were counted from it.
    pub async fn update_directive(&self, id: DirectiveId, number: Option<&str>, title: &str, issuer: &str, actor: &str, now: DateTime<Utc>) -> Result<()>;
    pub async fn task(&self, id: TaskId) -> Result<TaskRecord>;
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>>;
    /// The tasks with these ids, by id; ids with no task are left out.
    pub async fn tasks_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, TaskRecord>>;
    /// The directives with these ids, by id.
    pub async fn directives_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Directive>>;
    /// Open tasks whose next planning is due by `now`, the earliest first: an index range.
    pub async fn due_tasks(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<TaskRecord>>;
    /// The earliest instant any open task needs planning.
    pub async fn next_task_due(&self) -> Result<Option<DateTime<Utc>>>;
    /// Open tasks with a deadline, by id from `after`, for a full re-plan in pages.
    pub async fn open_tasks_page(&self, after: TaskId, limit: u32) -> Result<Vec<TaskRecord>>;
    /// All tasks by id from `after`, open or done, for counting in pages.
    pub async fn tasks_page(&self, after: TaskId, limit: u32) -> Result<Vec<TaskRecord>>;
    /// Plans the open tasks these departments lead afresh at `now`, as if new: the newest
    /// reminder due of each series for each recipient. Returns how many.
    pub async fn plan_afresh(&self, leads: &[String], now: DateTime<Utc>) -> Result<u64>;
    /// Sets when each task next needs planning, in one transaction; a task changed since
    /// its revision was read keeps what its change set.
    pub async fn set_next_reminders(&self, updates: &[(TaskId, i64, Option<DateTime<Utc>>)]) -> Result<()>;
    /// Marks a task done, cancels its pending reminders, and records the event.
    /// Returns false when the task was already done.
    pub async fn mark_done(&self, id: TaskId, on: NaiveDate, note: Option<&str>, actor: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Moves a task's deadline, cancels what was pending for the old one, and re-plans from
    /// scratch: the newest reminder already due for the new deadline goes out at once.
    pub async fn extend(&self, id: TaskId, deadline: &Deadline, reason: &str, next_reminder_at: Option<DateTime<Utc>>, actor: &str, now: DateTime<Utc>) -> Result<()>;
    pub async fn task_events(&self, id: TaskId) -> Result<Vec<TaskEvent>>;

    // plans.rs
    /// Enqueues the planned reminders, cancels what the plans supersede, and moves each
    /// task's planning mark, all in one transaction and a few statements per batch. A key
    /// already present is left as it is.
    pub async fn record_plans(&self, plans: &[PlanWrite], now: DateTime<Utc>) -> Result<u64>;

    // outbox.rs
    /// Records how each claimed item's attempt ended, in one transaction: the sent ones in a
    /// single statement, every attempt in a multi-row insert. Only claims that are still
    /// this store's (same owner, same attempt) are written: an outcome that comes after its
    /// lease ran out and another daemon took the item over changes nothing. Returns how
    /// many outcomes were dropped so.
    pub async fn finish(&self, outcomes: &[(OutboxItem, Outcome)], now: DateTime<Utc>) -> Result<u64>;
    /// The earliest instant a pending item may be sent, or a lease runs out.
    pub async fn next_outbox_due(&self) -> Result<Option<DateTime<Utc>>>;
    pub async fn outbox(&self, state: Option<OutboxState>, task: Option<TaskId>, limit: u32) -> Result<Vec<OutboxItem>>;
    /// Outbox items in id order, after the id `after` when given.
    pub async fn outbox_page(&self, state: Option<OutboxState>, task: Option<TaskId>, after: Option<i64>, limit: u32) -> Result<Vec<OutboxItem>>;
    /// Sends a dead or cancelled item again, as soon as the window allows.
    pub async fn retry(&self, id: i64, send_after: DateTime<Utc>) -> Result<OutboxState>;
    /// The state of each of these keys that is in the outbox.
    pub async fn outbox_states(&self, keys: &[String]) -> Result<HashMap<String, OutboxState>>;
    /// How many reminders wait, and since when the oldest of them could have gone out.
    pub async fn pending_stats(&self) -> Result<(i64, Option<DateTime<Utc>>)>;
    /// Counts of items in each state, for status lines and metrics.
    pub async fn outbox_counts(&self) -> Result<Vec<(String, i64)>>;
    /// Enqueues messages that belong to no task's plan (the weekly summary); a key already
    /// present is left as it is. Returns how many were new.
    pub async fn enqueue(&self, items: &[NewOutboxItem], now: DateTime<Utc>) -> Result<u64>;

    // acknowledgements.rs
    /// Records an acknowledgement (once), cancels the pending reminders it stops and
    /// writes the history, in one transaction. `link`, when the change comes through an
    /// acknowledge link, is marked used in the same transaction.
    pub async fn acknowledge(&self, acknowledgement: &Acknowledgement, link: Option<&LinkUse<'_>>, actor: &str, now: DateTime<Utc>) -> Result<(), LinkUseError>;
    /// Marks a task done through a link, using the link in the same transaction.
    /// Returns false when the task was already done (the link is then not used).
    #[allow(clippy::too_many_arguments)]
    pub async fn mark_done_by_link(&self, id: TaskId, deadline: NaiveDate, on: NaiveDate, note: Option<&str>, link: &LinkUse<'_>, actor: &str, now: DateTime<Utc>) -> Result<bool, LinkUseError>;
    /// Whether a link with this signature has acted.
    pub async fn link_used(&self, signature: &str) -> Result<bool>;
    /// The acknowledgements of these tasks.
    pub async fn acknowledgements(&self, tasks: &[TaskId]) -> Result<HashSet<Acknowledgement>>;

    // requests.rs
    /// Forgets the keys of requests made before `before`; returns how many.
    pub async fn forget_keys_before(&self, before: DateTime<Utc>) -> Result<u64>;
    /// What the request with this client's key made, if it was made.
    pub async fn keyed_answer(&self, client: &str, key: &str) -> Result<Option<KeyedAnswer>>;

    // sources.rs
    /// The item `external_id` of `source`, if it delivered it before.
    pub async fn source_item(&self, source: &str, external_id: &str) -> Result<Option<SourceItem>>;
    /// The items of `ids` that `source` delivered before, by external id: a few reads for
    /// a whole poll, whose cost follows what the poll brought, not what the source holds.
    pub async fn source_items(&self, source: &str, ids: &[&str]) -> Result<HashMap<String, SourceItem>>;
    /// The item a draft came from, with its source's name.
    pub async fn draft_item(&self, draft: i64) -> Result<Option<(String, SourceItem)>>;
    /// Where `source`'s next poll goes on from.
    pub async fn source_cursor(&self, source: &str) -> Result<Option<String>>;
    /// The directive `source` delivered under its id `key`, if any.
    pub async fn source_directive(&self, source: &str, key: &str) -> Result<Option<DirectiveId>>;
    /// Records that a task item's change was applied: what the source said, and its hash.
    pub async fn item_applied(&self, source: &str, external_id: &str, content_hash: &str, content: &str, now: DateTime<Utc>) -> Result<()>;
    /// Marks an item gone from its source, with a line in its task's history; nothing is
    /// deleted.
    pub async fn item_removed(&self, source: &str, external_id: &str, actor: &str, now: DateTime<Utc>) -> Result<()>;
    /// A line in a task's history that changes nothing: a conflict with its source.
    pub async fn note_task(&self, task: TaskId, kind: &str, detail: &str, actor: &str, now: DateTime<Utc>) -> Result<()>;
    /// Records what an item became, with the directive it applies and the draft it leaves,
    /// in one transaction; `actor` names the source in the tasks' history.
    pub async fn record_item(&self, item: &ItemWrite<'_>, actor: &str, now: DateTime<Utc>) -> Result<Recorded>;
    /// Records a poll of `source`: on success, the cursor it leaves (`None` keeps the one
    /// before); on failure, its error, counted for the backoff.
    pub async fn record_poll(&self, source: &str, result: std::result::Result<Option<&str>, &str>, now: DateTime<Utc>) -> Result<()>;
    /// What the store knows of the source `name`: nothing yet but its name when it was
    /// never polled.
    pub async fn source_state(&self, name: &str) -> Result<SourceState>;
    /// Drafts, the newest last: only those waiting, or all.
    pub async fn drafts(&self, waiting_only: bool) -> Result<Vec<DraftRecord>>;
    pub async fn draft(&self, id: i64) -> Result<DraftRecord>;
    pub async fn add_draft(&self, source: &str, label: &str, content: &str, now: DateTime<Utc>) -> Result<i64>;
    pub async fn update_draft(&self, id: i64, content: &str) -> Result<()>;
    /// Applies a waiting draft and marks it accepted, in one transaction; the item it came
    /// from is then imported.
    pub async fn accept_draft(&self, id: i64, apply: &DraftApply, actor: &str, now: DateTime<Utc>) -> Result<(DirectiveId, Vec<TaskId>)>;
    /// Marks a waiting draft rejected; nothing of it is applied.
    pub async fn reject_draft(&self, id: i64, actor: &str, reason: Option<&str>, now: DateTime<Utc>) -> Result<()>;
}

pub(crate) fn to_unix(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// Rounded up to the second: for "not before" instants, which must never come early.
pub(crate) fn to_unix_ceil(at: DateTime<Utc>) -> i64 {
    at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0)
}

pub(crate) fn from_unix(seconds: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| StoreError::Corrupt(format!("instant {seconds}")))
}

#[cfg(test)]
pub(crate) mod tests;
