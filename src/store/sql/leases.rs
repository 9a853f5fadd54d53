//! Leases: what is done once however many daemons share the store. A source's polls are
//! held by one daemon while it renews them; a cron job's run of an instant by the daemon
//! that claimed it, and marked done once it finished. A lease that runs out (its holder
//! died) is taken by the next daemon that asks.

use chrono::{DateTime, Utc};

use sqlx::QueryBuilder;

use super::{Backend, Db};
use crate::store::records::{JobClaim, Lease};
use crate::store::rows::push_list;
use crate::store::{Result, from_unix, to_unix};

impl Backend {
    pub async fn take_lease(&self, name: &str, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<Lease> {
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, owner, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until \
             WHERE leases.owner = excluded.owner OR leases.lease_until <= $4 \
             RETURNING name",
        )
        .bind(name)
        .bind(self.owner.as_ref())
        .bind(to_unix(until))
        .bind(to_unix(now))
        .fetch_optional(&self.pool)
        .await?;
        if taken.is_some() {
            return Ok(Lease::Taken);
        }
        let held: Option<i64> = sqlx::query_scalar("SELECT lease_until FROM leases WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        // Released between the two statements: free to take at once.
        Ok(Lease::HeldUntil(held.map(from_unix).transpose()?.unwrap_or(now)))
    }

    pub async fn claim_job(
        &self,
        job: &str,
        instant: DateTime<Utc>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<JobClaim> {
        let claimed: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, owner, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until \
             WHERE (leases.done_through IS NULL OR leases.done_through < $4) \
               AND (leases.owner = excluded.owner OR leases.lease_until <= $5) \
             RETURNING name",
        )
        .bind(job)
        .bind(self.owner.as_ref())
        .bind(to_unix(until))
        .bind(to_unix(instant))
        .bind(to_unix(now))
        .fetch_optional(&self.pool)
        .await?;
        if claimed.is_some() {
            return Ok(JobClaim::Run);
        }
        let row: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT lease_until, done_through FROM leases WHERE name = $1")
                .bind(job)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some((_, Some(done))) if done >= to_unix(instant) => JobClaim::Done,
            Some((until, _)) => JobClaim::HeldUntil(from_unix(until)?),
            None => JobClaim::HeldUntil(now),
        })
    }

    pub async fn finish_job(&self, job: &str, instant: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE leases SET done_through = $3, lease_until = $4 \
             WHERE name = $1 AND owner = $2 AND (done_through IS NULL OR done_through < $3)",
        )
        .bind(job)
        .bind(self.owner.as_ref())
        .bind(to_unix(instant))
        .bind(to_unix(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn job_done_through(&self, job: &str) -> Result<Option<DateTime<Utc>>> {
        let done: Option<Option<i64>> = sqlx::query_scalar("SELECT done_through FROM leases WHERE name = $1")
            .bind(job)
            .fetch_optional(&self.pool)
            .await?;
        done.flatten().map(from_unix).transpose()
    }

    pub async fn release_leases(&self) -> Result<u64> {
        Ok(sqlx::query("UPDATE leases SET lease_until = 0 WHERE owner = $1")
            .bind(self.owner.as_ref())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    pub async fn prune_finished(&self, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        // Chosen once, so that the attempts and their reminders go together.
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE state IN ('sent', 'dead', 'cancelled') AND finished_at < $1 \
             ORDER BY finished_at, id LIMIT $2",
        )
        .bind(to_unix(before))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        for chunk in ids.chunks(500) {
            for table in ["delivery_attempts WHERE outbox_id", "outbox WHERE id"] {
                let mut delete = QueryBuilder::<Db>::new(format!("DELETE FROM {table} IN ("));
                push_list(&mut delete, chunk.iter().copied());
                delete.build().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }
}
