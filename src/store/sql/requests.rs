//! API requests made with an `Idempotency-Key`: what each made, so that a retry gets the
//! same answer instead of a second directive or task.

use chrono::{DateTime, Utc};

use super::{Backend, Db};
use crate::store::records::{KeyedAnswer, KeyedRequest};
use crate::store::{Result, StoreError, to_unix};

impl Backend {
    pub async fn forget_keys_before(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM api_requests WHERE created_at < $1")
            .bind(to_unix(before))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    pub async fn keyed_answer(&self, client: &str, key: &str) -> Result<Option<KeyedAnswer>> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT request, body_sha256, location FROM api_requests WHERE client = $1 AND key = $2",
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
    tx: &mut sqlx::Transaction<'_, Db>,
    request: &KeyedRequest,
    location: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO api_requests (client, key, request, body_sha256, location, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
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
