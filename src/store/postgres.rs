//! The PostgreSQL engine: any number of daemons on one database. Migrations are locked by
//! the database itself (an advisory lock), so daemons starting together take turns. The
//! queries are those of `sql/`.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use chrono::{DateTime, Utc};

use super::rows::{OUTBOX_COLUMNS, OutboxRow, items};
use super::{EngineError, Result, StoreError, to_unix};
use crate::outbox::OutboxItem;

pub(super) type Db = sqlx::Postgres;

/// What locks the tasks a planning transaction reads, so that two daemons never plan the
/// same task at once: each skips the rows another holds.
pub(super) const SKIP_LOCKED: &str = " FOR UPDATE OF t SKIP LOCKED";

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

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// What the schema's triggers notify when a task is made or changed by a person, or a
/// reminder starts to wait (`migrations/postgres`).
const WAKE_CHANNEL: &str = "nhacviec_wake";

/// The database's clock, in Unix seconds: what every lease is taken and read on, so that
/// daemons whose clocks differ agree on when a lease ran out.
const DATABASE_NOW: &str = "floor(extract(epoch FROM now()))::bigint";

/// When a lease of `$2` seconds taken now runs out: never early.
const LEASE_UNTIL: &str = "ceil(extract(epoch FROM now()))::bigint + $2";

/// The claim of `claim`: `$1` owner, `$2` lease in seconds, `$3` now, `$4` limit.
pub(super) fn claim_sql() -> String {
    format!(
        "WITH expired AS MATERIALIZED ( \
           SELECT id FROM outbox WHERE state = 'sending' AND lease_until <= {DATABASE_NOW} AND digest = 0 \
           ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED), \
         due AS MATERIALIZED ( \
           SELECT id FROM outbox WHERE state = 'pending' AND send_after <= $3 AND digest = 0 \
           ORDER BY send_after LIMIT $4 FOR UPDATE SKIP LOCKED), \
         chosen AS MATERIALIZED (SELECT id FROM expired UNION ALL SELECT id FROM due LIMIT $4) \
         UPDATE outbox SET state = 'sending', owner = $1, lease_until = {LEASE_UNTIL}, \
           attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM chosen) RETURNING {OUTBOX_COLUMNS}"
    )
}

/// The query of `digests_due`: `$1` now.
pub(super) fn digests_due_sql() -> String {
    format!(
        "SELECT department, channel FROM outbox WHERE state = 'pending' AND digest = 1 AND send_after <= $1 \
         UNION SELECT department, channel FROM outbox WHERE state = 'sending' AND digest = 1 \
           AND lease_until <= {DATABASE_NOW} \
         ORDER BY department, channel"
    )
}

/// A pool of connections to one PostgreSQL database; cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct Backend {
    pub(super) pool: PgPool,
    /// For the listener's connection of its own.
    pub(super) url: Arc<str>,
    /// Who claims: the outcomes of a claim are written only while it is still this one's.
    owner: Arc<str>,
}

impl Backend {
    /// Connects to the database at `url`; nothing is created.
    pub(super) async fn connect(url: &str, pool_size: u32) -> Result<Self> {
        let open_error = |source: sqlx::Error| StoreError::Open {
            url: super::url_without_password(url),
            source: EngineError(Box::new(source)),
        };
        let options = PgConnectOptions::from_str(url)
            .map_err(open_error)?
            .application_name("nhacviec")
            .log_slow_statements(log::LevelFilter::Info, Duration::from_secs(1));
        let pool = PgPoolOptions::new()
            .max_connections(pool_size)
            // Short, so that a loop waiting on an unreachable server still pings systemd's
            // watchdog in time.
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await;
        let pool = match pool {
            Ok(pool) => pool,
            // The pool says only that it waited: one connection of its own says why
            // (refused, unknown host, no such database, authentication).
            Err(sqlx::Error::PoolTimedOut) => {
                return Err(open_error(options.connect().await.err().unwrap_or(sqlx::Error::PoolTimedOut)));
            }
            Err(error) => return Err(open_error(error)),
        };
        Ok(Self { pool, url: url.into(), owner: super::claim_owner().into() })
    }

    /// Brings the schema up to date; daemons doing it at once take turns.
    pub(super) async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// The migrations applied to this database, or none when it was never migrated.
    pub(super) async fn applied_migrations(&self) -> Result<Vec<i64>> {
        let migrated: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&self.pool)
            .await?;
        if !migrated {
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

    /// A transaction that writes. Each query of `sql/` that reads before it writes states
    /// in its `WHERE` what it read, so that a concurrent change is seen, not overwritten.
    pub(super) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        self.pool.begin().await
    }

    /// Claims up to `limit` items due by `now` for sending for `lease`, on the database's
    /// clock. Each set is read in the order of its index and locked as it is read; rows
    /// another daemon is claiming are skipped, not waited for. The sets are materialised
    /// before the update, so that the planner cannot turn the limit into a scan of every
    /// row. Items whose lease ran out (their sender died) are taken over in the same claim.
    pub async fn claim(&self, now: DateTime<Utc>, lease: Duration, limit: u32) -> Result<Vec<OutboxItem>> {
        let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(claim_sql()))
            .bind(self.owner.as_ref())
            .bind(super::lease_seconds(lease))
            .bind(to_unix(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        items(rows)
    }

    /// The departments and channels with digest items due by `now`, or whose lease ran
    /// out on the database's clock: two index ranges, never a scan.
    pub async fn digests_due(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(digests_due_sql()))
            .bind(to_unix(now))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Claims every digest item of one department and channel due by `now`, all at once,
    /// so that they go out in one message; rows another daemon is claiming are skipped.
    pub async fn claim_digest(
        &self,
        department: &str,
        channel: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<OutboxItem>> {
        let sql = format!(
            "WITH chosen AS MATERIALIZED ( \
               SELECT id FROM outbox WHERE department = $4 AND channel = $5 AND digest = 1 \
                 AND ((state = 'pending' AND send_after <= $3) \
                   OR (state = 'sending' AND lease_until <= {DATABASE_NOW})) \
               FOR UPDATE SKIP LOCKED) \
             UPDATE outbox SET state = 'sending', owner = $1, lease_until = {LEASE_UNTIL}, \
               attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM chosen) RETURNING {OUTBOX_COLUMNS}"
        );
        let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(self.owner.as_ref())
            .bind(super::lease_seconds(lease))
            .bind(to_unix(now))
            .bind(department)
            .bind(channel)
            .fetch_all(&self.pool)
            .await?;
        let mut items = items(rows)?;
        items.sort_by_key(|item| item.id);
        Ok(items)
    }

    /// Wakes `wake` whenever any daemon, command or request changes what is due, and
    /// after every reconnection, when notifications may have been missed. On a connection
    /// of its own, outside the pool, so that a busy pool never holds it up; a lost
    /// connection is made again with backoff, the daemon polling meanwhile.
    pub(super) fn listen(&self, wake: Arc<tokio::sync::Notify>) -> tokio::task::JoinHandle<()> {
        let url = self.url.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                match sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut listener) => match listener.listen(WAKE_CHANNEL).await {
                        Ok(()) => {
                            backoff = Duration::from_secs(1);
                            // What changed while nobody listened is found by a whole tick.
                            wake.notify_one();
                            loop {
                                match listener.try_recv().await {
                                    Ok(Some(_)) => wake.notify_one(),
                                    // Reconnected: notifications sent meanwhile are lost.
                                    Ok(None) => wake.notify_one(),
                                    Err(error) => {
                                        tracing::warn!(%error, "stopped listening for changes; polling meanwhile");
                                        break;
                                    }
                                }
                            }
                        }
                        Err(error) => tracing::warn!(%error, "cannot listen for changes; polling meanwhile"),
                    },
                    Err(error) => tracing::warn!(%error, "cannot listen for changes; polling meanwhile"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        })
    }

    /// The same database as another daemon would use it: same pool, another owner.
    #[cfg(test)]
    pub(super) fn as_another_daemon(&self) -> Self {
        Self { owner: super::claim_owner().into(), ..self.clone() }
    }

    /// Vacuums the tables nhacviec updates most when the server's autovacuum is off and
    /// their dead rows pile up. Returns the tables vacuumed.
    pub(super) async fn maintain(&self) -> Result<Vec<String>> {
        let autovacuum: String =
            sqlx::query_scalar("SELECT current_setting('autovacuum')").fetch_one(&self.pool).await?;
        if autovacuum == "on" {
            return Ok(Vec::new());
        }
        let swollen: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_stat_user_tables \
             WHERE relname IN ('outbox', 'delivery_attempts', 'tasks', 'leases') \
               AND n_dead_tup > 1000 + n_live_tup / 10 ORDER BY relname",
        )
        .fetch_all(&self.pool)
        .await?;
        for table in &swollen {
            // Not in a transaction, as VACUUM wants: the simple protocol, one statement.
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM (ANALYZE) {table}")))
                .execute(&self.pool)
                .await?;
        }
        if !swollen.is_empty() {
            tracing::warn!(
                vacuumed = ?swollen,
                "the server's autovacuum is off: nhacviec vacuumed its own tables; turn autovacuum on"
            );
        }
        Ok(swollen)
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}
