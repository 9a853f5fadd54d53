//! Notices of the web pages (sign-in links, extension requests and their decisions), each
//! with its messages in the outbox; and the sign-in links that were used, so that none
//! signs in twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Backend, Db};
use crate::outbox::{NewNotice, NoticeKind};
use crate::store::rows::push_list;
use crate::store::{Result, StoreError, to_unix};

/// Inserts a notice and its messages inside a transaction; returns the notice's id.
pub(super) async fn insert_notice(
    tx: &mut sqlx::Transaction<'_, Db>,
    notice: &NewNotice,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notices (kind, payload, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(notice.kind.as_str())
    .bind(&notice.payload)
    .bind(to_unix(now))
    .fetch_one(&mut **tx)
    .await?;
    let items: Vec<_> = notice.items.iter().collect();
    super::outbox::insert_items(tx, &items, Some(id), now).await?;
    Ok(id)
}

impl Backend {
    /// Records a notice and puts its messages in the outbox.
    pub async fn enqueue_notice(&self, notice: &NewNotice, now: DateTime<Utc>) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = insert_notice(&mut tx, notice, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The notices of these ids: their kind and payload.
    pub async fn notices_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, (NoticeKind, String)>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut query: sqlx::QueryBuilder<Db> =
                sqlx::QueryBuilder::new("SELECT id, kind, payload FROM notices WHERE id IN (");
            push_list(&mut query, chunk.iter().copied());
            let rows: Vec<(i64, String, String)> = query.build_query_as().fetch_all(&self.pool).await?;
            for (id, kind, payload) in rows {
                let kind = NoticeKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("notice kind '{kind}'")))?;
                found.insert(id, (kind, payload));
            }
        }
        Ok(found)
    }

    /// Uses up a sign-in link: false when it was used before.
    pub async fn use_sign_in(&self, signature: &str, email: &str, now: DateTime<Utc>) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO used_sign_ins (signature, email, used_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(signature)
        .bind(email)
        .bind(to_unix(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted > 0)
    }

    pub async fn sign_in_used(&self, signature: &str) -> Result<bool> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT signature FROM used_sign_ins WHERE signature = $1")
                .bind(signature)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Forgets the sign-in links used before `before`: they expired long since.
    pub async fn forget_sign_ins_before(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM used_sign_ins WHERE used_at < $1")
            .bind(to_unix(before))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
