//! Reports sent on a schedule: which were sent, so that none goes out twice.

use chrono::{DateTime, Utc};

use super::{Result, Store, to_unix};

impl Store {
    /// Whether the report with this key was sent.
    pub async fn report_sent(&self, key: &str) -> Result<bool> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM reports WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(state.as_deref() == Some("sent"))
    }

    /// Records an attempt at a report: sent, or failed with its error.
    pub async fn record_report(
        &self,
        key: &str,
        department: &str,
        channel: &str,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO reports (key, department, channel, state, attempts, last_error, updated_at) \
             VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state, \
             attempts = reports.attempts + 1, last_error = coalesce(excluded.last_error, reports.last_error), \
             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(department)
        .bind(channel)
        .bind(if error.is_some() { "failed" } else { "sent" })
        .bind(error)
        .bind(to_unix(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
