//! The SQLite engine: one file, one daemon. Writers take turns (`BEGIN IMMEDIATE`), the
//! write-ahead log is checkpointed when the daemon goes idle, and claims are leased on the
//! daemon's own clock, since it is the only one. The queries are those of `sql/`.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use chrono::{DateTime, Utc};

use super::rows::{OUTBOX_COLUMNS, OutboxRow, items};
use super::{EngineError, Result, StoreError, instance, to_unix};
use crate::outbox::OutboxItem;

pub(super) type Db = sqlx::Sqlite;

/// What locks the rows a planning transaction reads: nothing more, one writer at a time
/// already holds the whole file.
pub(super) const SKIP_LOCKED: &str = "";

// The queries of `sql/`, compiled for this engine: each engine loads the same files.
#[path = "sql/acknowledgements.rs"]
#[allow(clippy::duplicate_mod)]
mod acknowledgements;
#[path = "sql/board.rs"]
#[allow(clippy::duplicate_mod)]
pub(super) mod board;
#[path = "sql/extensions.rs"]
#[allow(clippy::duplicate_mod)]
mod extensions;
#[path = "sql/leases.rs"]
#[allow(clippy::duplicate_mod)]
mod leases;
#[path = "sql/notices.rs"]
#[allow(clippy::duplicate_mod)]
mod notices;
#[path = "sql/outbox.rs"]
#[allow(clippy::duplicate_mod)]
mod outbox;
#[path = "sql/plans.rs"]
#[allow(clippy::duplicate_mod)]
mod plans;
#[path = "sql/requests.rs"]
#[allow(clippy::duplicate_mod)]
mod requests;
#[path = "sql/sources.rs"]
#[allow(clippy::duplicate_mod)]
mod sources;
#[path = "sql/tasks.rs"]
#[allow(clippy::duplicate_mod)]
pub(super) mod tasks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The departments and channels with digest items due: two index ranges (pending by
/// `send_after`, sending by lease), never a scan.
pub(super) const DIGESTS_DUE_SQL: &str = "\
    SELECT department, channel FROM outbox WHERE state = 'pending' AND digest = 1 AND send_after <= $1 \
    UNION SELECT department, channel FROM outbox WHERE state = 'sending' AND digest = 1 AND lease_until <= $1 \
    ORDER BY department, channel";

/// When a lease taken at `now` runs out, in whole seconds, never early.
fn lease_until(now: DateTime<Utc>, lease: Duration) -> i64 {
    super::to_unix_ceil(now) + super::lease_seconds(lease)
}

/// A pool of connections to one SQLite file; cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct Backend {
    pub(super) pool: SqlitePool,
    /// Who claims: the outcomes of a claim are written only while it is still this one's.
    owner: Arc<str>,
}

impl Backend {
    /// Opens the database at `url` (creating file and folder when `create`), its file held
    /// to at most `max_bytes`: past it, writes fail as on a full disk.
    pub(super) async fn connect(url: &str, create: bool, max_bytes: Option<u64>) -> Result<Self> {
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
        // Switching a file that another process is creating to WAL answers "database is
        // locked" at once, without waiting: such an open is tried again, within the busy timeout.
        let mut attempts = 0;
        let pool = loop {
            match SqlitePoolOptions::new().max_connections(4).connect_with(options.clone()).await {
                Err(sqlx::Error::Database(error))
                    if error.code().as_deref() == Some("5") && attempts < 40 =>
                {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                other => break other.map_err(open_error)?,
            }
        };
        Ok(Self { pool, owner: super::claim_owner().into() })
    }

    /// Brings the schema up to date. Two processes opening a new store at once (the daemon
    /// starting, a command run beside it) take turns: SQLite's migrations are not locked
    /// by sqlx.
    pub(super) async fn migrate(&self, url: &str) -> Result<()> {
        let guard = match instance::database_path(url) {
            Some(db) => Some(instance::migration_lock(db).await?),
            None => None,
        };
        MIGRATOR.run(&self.pool).await?;
        drop(guard);
        Ok(())
    }

    /// The migrations applied to this database, or none when it was never migrated.
    pub(super) async fn applied_migrations(&self) -> Result<Vec<i64>> {
        let migrated: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if migrated.is_none() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&self.pool)
            .await?)
    }

    /// The migrations this binary knows.
    pub(super) fn known_migrations() -> Vec<(i64, String)> {
        MIGRATOR.iter().map(|m| (m.version, m.description.to_string())).collect()
    }

    /// A transaction that writes: `BEGIN IMMEDIATE` takes the write lock at once (waiting
    /// up to the busy timeout), so that a transaction that reads first is never refused
    /// its write because another writer committed in between (SQLITE_BUSY_SNAPSHOT).
    pub(super) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Claims up to `limit` items due by `now` for sending for `lease`, on the daemon's
    /// clock: the only one that claims. Items whose lease ran out (their sender died) are
    /// claimed again.
    pub async fn claim(&self, now: DateTime<Utc>, lease: Duration, limit: u32) -> Result<Vec<OutboxItem>> {
        let sql = format!(
            "UPDATE outbox SET state = 'sending', owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN ( \
               SELECT id FROM outbox WHERE state = 'pending' AND send_after <= $3 AND digest = 0 \
               UNION ALL SELECT id FROM outbox WHERE state = 'sending' AND lease_until <= $3 AND digest = 0 \
               LIMIT $4) RETURNING {OUTBOX_COLUMNS}"
        );
        let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(self.owner.as_ref())
            .bind(lease_until(now, lease))
            .bind(to_unix(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        items(rows)
    }

    /// The departments and channels with digest items due by `now`.
    pub async fn digests_due(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(DIGESTS_DUE_SQL).bind(to_unix(now)).fetch_all(&self.pool).await?)
    }

    /// Claims every digest item of one department and channel due by `now`, all at once,
    /// so that they go out in one message.
    pub async fn claim_digest(
        &self,
        department: &str,
        channel: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<OutboxItem>> {
        let sql = format!(
            "UPDATE outbox SET state = 'sending', owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN ( \
               SELECT id FROM outbox WHERE state = 'pending' AND digest = 1 AND send_after <= $3 \
                 AND department = $4 AND channel = $5 \
               UNION ALL SELECT id FROM outbox WHERE state = 'sending' AND digest = 1 AND lease_until <= $3 \
                 AND department = $4 AND channel = $5) \
             RETURNING {OUTBOX_COLUMNS}"
        );
        let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(self.owner.as_ref())
            .bind(lease_until(now, lease))
            .bind(to_unix(now))
            .bind(department)
            .bind(channel)
            .fetch_all(&self.pool)
            .await?;
        let mut items = items(rows)?;
        items.sort_by_key(|item| item.id);
        Ok(items)
    }

    /// Returns every claimed item to pending, for a daemon that holds the store alone and
    /// starts after a crash: what was in flight then goes out again, with the same key.
    pub(super) async fn release_claims(&self) -> Result<u64> {
        let released =
            sqlx::query("UPDATE outbox SET state = 'pending', lease_until = NULL WHERE state = 'sending'")
                .execute(&self.pool)
                .await?
                .rows_affected();
        // Sources and cron jobs held by the daemon that stopped are this one's at once.
        sqlx::query("UPDATE leases SET lease_until = 0").execute(&self.pool).await?;
        Ok(released)
    }

    /// Copies the write-ahead log into the database while nothing else is going on, so
    /// that no later commit pays for it.
    pub(super) async fn checkpoint(&self) -> Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&self.pool).await?;
        Ok(())
    }

    /// A consistent copy of the store at `path`, taken while the daemon runs (`VACUUM
    /// INTO`: a snapshot that readers and writers go on beside).
    pub(super) async fn backup(&self, path: &Path) -> Result<()> {
        let target =
            path.to_str().ok_or_else(|| StoreError::Corrupt(format!("{} is not UTF-8", path.display())))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    /// The same database as another daemon would use it: same pool, another owner.
    #[cfg(test)]
    pub(super) fn as_another_daemon(&self) -> Self {
        Self { owner: super::claim_owner().into(), ..self.clone() }
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}
