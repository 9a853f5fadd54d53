//! The store: directives, tasks and their history, the outbox of reminders and every
//! delivery attempt, in SQLite.
//!
//! The only shared state of the daemon, and the only module that names the database
//! engine: its types, its SQL, its file and what running a daemon on it takes (`instance`).
//! Every write that belongs together is one transaction, so a failed command leaves the
//! store as it was. It must not decide anything: what to plan, send, supersede or cancel is
//! computed by `plan`, `outbox`, `app` and `dispatch`, and only written here.

mod acknowledgements;
mod instance;
mod outbox;
mod plans;
mod requests;
mod rows;
mod sources;
mod tasks;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::ConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use acknowledgements::{LinkUse, LinkUseError};
pub use instance::{LockError, wake_running_daemon};
pub use plans::PlanWrite;
pub use requests::{KEYS_KEPT_FOR, KeyedAnswer, KeyedRequest};
pub use sources::{
    DraftApply, DraftRecord, DraftState, ItemOutcome, ItemWrite, Recorded, SourceItem, SourceState,
};
pub use tasks::{TaskEvent, TaskFilter, TaskRecord};

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
    #[error("no outbox item with id {0}")]
    NoSuchOutboxItem(i64),
    #[error("the store holds a value it cannot read: {0}")]
    Corrupt(String),
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

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// A daemon's hold on the store (`open_for_daemon`), released with the last clone.
    lock: Option<Arc<instance::StoreLock>>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Store {
    /// Opens (creating file and folder if missing) and brings the schema up to date.
    /// A store written by a newer version is refused before anything is migrated.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_limited(url, None).await
    }

    /// `open`, with the database file held to at most `max_bytes` (`store.max_size`): past
    /// it, writes fail as on a full disk, and nothing half-written is kept.
    pub async fn open_limited(url: &str, max_bytes: Option<u64>) -> Result<Self> {
        let store = Self::connect(url, true, max_bytes).await?;
        store.check_schema().await?;
        // Two processes opening a new store at once (the daemon starting, a command run
        // beside it) take turns: SQLite's migrations are not locked by sqlx.
        let guard = match instance::database_path(url) {
            Some(db) => Some(instance::migration_lock(db).await?),
            None => None,
        };
        MIGRATOR.run(&store.pool).await?;
        drop(guard);
        Ok(store)
    }

    /// Opens an existing store without creating or migrating anything.
    pub async fn open_existing(url: &str) -> Result<Self> {
        Self::connect(url, false, None).await
    }

    /// A transaction that writes: `BEGIN IMMEDIATE` takes the write lock at once (waiting
    /// up to the busy timeout), so that a transaction that reads first is never refused
    /// its write because another writer committed in between (SQLITE_BUSY_SNAPSHOT).
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    async fn connect(url: &str, create: bool, max_bytes: Option<u64>) -> Result<Self> {
        let open_error = |source: sqlx::Error| StoreError::Open {
            url: url.to_owned(),
            source: EngineError(Box::new(source)),
        };
        if create
            && let Some(parent) = instance::database_path(url).and_then(Path::parent)
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|source| StoreError::CreateFolder { path: parent.display().to_string(), source })?;
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(open_error)?
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Checkpoints run when the daemon goes idle (`checkpoint`), not inside the
            // commit that crosses SQLite's default 1,000 pages; this is only the backstop.
            .pragma("wal_autocheckpoint", "16384")
            // Statements are logged at debug; one slower than a second at info.
            .log_slow_statements(log::LevelFilter::Info, Duration::from_secs(1));
        // SQLite's pages are 4 KiB here.
        let options = match max_bytes {
            Some(bytes) => options.pragma("max_page_count", (bytes / 4096).max(1).to_string()),
            None => options,
        };
        let pool =
            SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(open_error)?;
        Ok(Self { pool, lock: None })
    }

    /// Whether the schema is one this binary can use: not newer than it knows. A store
    /// not migrated yet is fine: `run` migrates it.
    async fn check_schema(&self) -> Result<()> {
        let migrated: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if migrated.is_none() {
            return Ok(());
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&self.pool)
                .await?;
        let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        if let Some(newer) = applied.iter().find(|v| !known.contains(v)) {
            return Err(StoreError::NewerSchema(*newer));
        }
        Ok(())
    }

    /// Copies the write-ahead log into the database while nothing else is going on, so
    /// that no later commit pays for it.
    async fn checkpoint(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&self.pool).await?;
        Ok(())
    }

    /// A consistent copy of the store at `path`, taken while the daemon runs (SQLite's
    /// `VACUUM INTO`: a snapshot that readers and writers go on beside).
    pub async fn backup(&self, path: &Path) -> Result<()> {
        let target =
            path.to_str().ok_or_else(|| StoreError::Corrupt(format!("{} is not UTF-8", path.display())))?;
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
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
mod tests;
