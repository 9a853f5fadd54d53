//! API requests made with an `Idempotency-Key`: what each made, so that a retry gets the
//! same answer instead of a second directive or task.

use chrono::{DateTime, Utc};

use super::{Result, Store, StoreError, to_unix};

/// One keyed request, as recorded with what it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    pub client: String,
    pub key: String,
    /// `POST /api/v1/directives`.
    pub request: String,
    pub body_sha256: String,
}

/// What a key already answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedAnswer {
    pub request: String,
    pub body_sha256: String,
    pub location: String,
}

/// How long a key is remembered: retries come within minutes or hours, never a month on.
pub const KEYS_KEPT_FOR: chrono::Duration = chrono::Duration::days(30);

impl Store {
    /// Forgets the keys of requests made before `before`; returns how many.
    pub async fn forget_keys_before(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM api_requests WHERE created_at < ?")
            .bind(to_unix(before))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// What the request with this client's key made, if it was made.
    pub async fn keyed_answer(&self, client: &str, key: &str) -> Result<Option<KeyedAnswer>> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT request, body_sha256, location FROM api_requests WHERE client = ? AND key = ?",
        )
        .bind(client)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(request, body_sha256, location)| KeyedAnswer { request, body_sha256, location }))
    }
}

/// Records `request` as having made `location`, in the transaction that made it. A key
/// recorded meanwhile by a concurrent twin fails the transaction, so only one is made.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    request: &KeyedRequest,
    location: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO api_requests (client, key, request, body_sha256, location, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(&request.client)
    .bind(&request.key)
    .bind(&request.request)
    .bind(&request.body_sha256)
    .bind(location)
    .bind(to_unix(now))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::KeyInUse(request.key.clone()));
    }
    Ok(())
}
