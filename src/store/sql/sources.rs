//! What the sources left: each source's cursor and last poll, each item it delivered and
//! what that became, and the drafts waiting for a person. An item's outcome and what it
//! made (a directive, a draft) are written in one transaction, so that a poll killed
//! half-way imports nothing twice and loses nothing.

use chrono::{DateTime, Utc};

use super::tasks::{insert_directive, insert_task};
use super::{Backend, Db};
use crate::domain::{DirectiveId, TaskId};
use crate::store::records::{
    DraftApply, DraftRecord, DraftState, ItemOutcome, ItemWrite, Recorded, SourceItem, SourceState,
};
use crate::store::rows::{
    DRAFT_COLUMNS, DraftRow, ITEM_COLUMNS, ItemRow, draft_record, push_list, source_item,
};
use crate::store::{Result, StoreError, from_unix, to_unix};

impl Backend {
    pub async fn source_item(&self, source: &str, external_id: &str) -> Result<Option<SourceItem>> {
        let row: Option<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM source_items WHERE source = $1 AND external_id = $2"
        )))
        .bind(source)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(source_item).transpose()
    }

    pub async fn source_items(
        &self,
        source: &str,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, SourceItem>> {
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut query = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {ITEM_COLUMNS} FROM source_items WHERE source = "
            ));
            query.push_bind(source).push(" AND external_id IN (");
            push_list(&mut query, chunk.iter().copied());
            let rows: Vec<ItemRow> = query.build_query_as().fetch_all(&self.pool).await?;
            for row in rows {
                let item = source_item(row)?;
                found.insert(item.external_id.clone(), item);
            }
        }
        Ok(found)
    }

    pub async fn draft_item(&self, draft: i64) -> Result<Option<(String, SourceItem)>> {
        let key: Option<(String, String)> =
            sqlx::query_as("SELECT source, external_id FROM source_items WHERE draft_id = $1 LIMIT 1")
                .bind(draft)
                .fetch_optional(&self.pool)
                .await?;
        let Some((source, external_id)) = key else { return Ok(None) };
        Ok(self.source_item(&source, &external_id).await?.map(|item| (source, item)))
    }

    pub async fn source_cursor(&self, source: &str) -> Result<Option<String>> {
        let cursor: Option<Option<String>> = sqlx::query_scalar("SELECT cursor FROM sources WHERE name = $1")
            .bind(source)
            .fetch_optional(&self.pool)
            .await?;
        Ok(cursor.flatten())
    }

    pub async fn source_directive(&self, source: &str, key: &str) -> Result<Option<DirectiveId>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT directive_id FROM source_items WHERE source = $1 AND directive_key = $2 \
             AND directive_id IS NOT NULL LIMIT 1",
        )
        .bind(source)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.map(DirectiveId))
    }

    pub async fn item_applied(
        &self,
        source: &str,
        external_id: &str,
        content_hash: &str,
        content: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE source_items SET content_hash = $1, content = $2, last_seen_at = $3, removed_at = NULL \
             WHERE source = $4 AND external_id = $5",
        )
        .bind(content_hash)
        .bind(content)
        .bind(to_unix(now))
        .bind(source)
        .bind(external_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn item_removed(
        &self,
        source: &str,
        external_id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let task: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE source_items SET removed_at = $1 WHERE source = $2 AND external_id = $3 AND removed_at IS NULL \
             RETURNING task_id",
        )
        .bind(to_unix(now))
        .bind(source)
        .bind(external_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(Some(task)) = task {
            super::tasks::insert_event(
                &mut tx,
                task,
                now,
                "removed_at_source",
                Some("nguồn đã xóa mục này"),
                actor,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn note_task(
        &self,
        task: TaskId,
        kind: &str,
        detail: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        super::tasks::insert_event(&mut tx, task.0, now, kind, Some(detail), actor).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn record_item(
        &self,
        item: &ItemWrite<'_>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Recorded> {
        let mut tx = self.begin_write().await?;
        let mut recorded = Recorded::default();
        if let Some(directive) = item.directive {
            let (id, tasks) = insert_directive(&mut tx, directive, actor, now).await?;
            recorded.directive = Some(id);
            recorded.tasks = tasks;
        }
        if let Some((directive, task)) = item.task_for {
            recorded.tasks.push(insert_task(&mut tx, directive, task, actor, now).await?);
            recorded.directive = Some(directive);
        }
        if let Some(content) = item.draft {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO drafts (source, label, directive_id, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(item.source)
            .bind(item.label)
            .bind(recorded.directive.or(item.draft_for).map(|d| d.0))
            .bind(content)
            .bind(to_unix(now))
            .fetch_one(&mut *tx)
            .await?;
            recorded.draft = Some(id);
        }
        if recorded.directive.is_none() {
            recorded.directive = item.same_as;
        }
        let outcome = match &recorded {
            Recorded { directive: Some(_), .. } => ItemOutcome::Imported,
            Recorded { draft: Some(_), .. } => ItemOutcome::Draft,
            _ => ItemOutcome::Failed,
        };
        sqlx::query(
            "INSERT INTO source_items (source, external_id, content_hash, label, outcome, directive_id, \
             draft_id, task_id, directive_key, content, error, first_seen_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (source, external_id) DO UPDATE SET content_hash = excluded.content_hash, \
             label = excluded.label, outcome = excluded.outcome, \
             directive_id = coalesce(excluded.directive_id, directive_id), \
             draft_id = coalesce(excluded.draft_id, draft_id), task_id = coalesce(excluded.task_id, task_id), \
             directive_key = coalesce(excluded.directive_key, directive_key), content = excluded.content, \
             error = excluded.error, last_seen_at = excluded.last_seen_at, removed_at = NULL",
        )
        .bind(item.source)
        .bind(item.external_id)
        .bind(item.content_hash)
        .bind(item.label)
        .bind(outcome.as_str())
        .bind(recorded.directive.map(|d| d.0))
        .bind(recorded.draft)
        .bind(if item.task_for.is_some() || item.directive_key.is_some() { recorded.tasks.first().map(|t| t.0) } else { None })
        .bind(item.directive_key)
        .bind(item.content)
        .bind(item.error)
        .bind(to_unix(now))
        .bind(to_unix(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(recorded)
    }

    pub async fn record_poll(
        &self,
        source: &str,
        result: std::result::Result<Option<&str>, &str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let query = match result {
            Ok(cursor) => sqlx::query(
                "INSERT INTO sources (name, cursor, last_poll_at, last_success_at, failures) \
                 VALUES ($1, $2, $3, $4, 0) ON CONFLICT (name) DO UPDATE SET \
                 cursor = coalesce(excluded.cursor, cursor), last_poll_at = excluded.last_poll_at, \
                 last_success_at = excluded.last_success_at, last_error = NULL, failures = 0",
            )
            .bind(source)
            .bind(cursor)
            .bind(to_unix(now))
            .bind(to_unix(now)),
            Err(error) => sqlx::query(
                "INSERT INTO sources (name, last_poll_at, last_error, failures) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (name) DO UPDATE SET last_poll_at = excluded.last_poll_at, \
                 last_error = excluded.last_error, failures = failures + 1",
            )
            .bind(source)
            .bind(to_unix(now))
            .bind(error),
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    pub async fn source_state(&self, name: &str) -> Result<SourceState> {
        type Row = (Option<String>, Option<i64>, Option<i64>, Option<String>, i64, i64, i64, i64);
        let (cursor, last_poll, last_success, last_error, failures, imported, drafts, failed): Row = sqlx::query_as(
            "SELECT s.cursor, s.last_poll_at, s.last_success_at, s.last_error, coalesce(s.failures, 0), \
                    (SELECT count(*) FROM source_items i WHERE i.source = n.name AND i.outcome = 'imported'), \
                    (SELECT count(*) FROM drafts d WHERE d.source = n.name AND d.state = 'waiting'), \
                    (SELECT count(*) FROM source_items i WHERE i.source = n.name AND i.outcome = 'failed') \
             FROM (SELECT $1 AS name) n LEFT JOIN sources s ON s.name = n.name",
        )
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        Ok(SourceState {
            name: name.to_owned(),
            cursor,
            last_poll_at: last_poll.map(from_unix).transpose()?,
            last_success_at: last_success.map(from_unix).transpose()?,
            last_error,
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            imported: u64::try_from(imported).unwrap_or(0),
            drafts: u64::try_from(drafts).unwrap_or(0),
            failed: u64::try_from(failed).unwrap_or(0),
        })
    }

    pub async fn drafts(&self, waiting_only: bool) -> Result<Vec<DraftRecord>> {
        let filter = if waiting_only { "WHERE state = 'waiting'" } else { "" };
        let rows: Vec<DraftRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DRAFT_COLUMNS} FROM drafts {filter} ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(draft_record).collect()
    }

    pub async fn draft(&self, id: i64) -> Result<DraftRecord> {
        let row: Option<DraftRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE id = $1")))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(draft_record).transpose()?.ok_or(StoreError::NoSuchDraft(id))
    }

    pub async fn accept_draft(
        &self,
        id: i64,
        apply: &DraftApply,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(DirectiveId, Vec<TaskId>)> {
        let mut tx = self.begin_write().await?;
        waiting(&mut tx, id).await?;
        let (directive, tasks) = match apply {
            DraftApply::Directive(directive) => insert_directive(&mut tx, directive, actor, now).await?,
            DraftApply::Tasks(directive, tasks) => {
                let mut ids = Vec::with_capacity(tasks.len());
                for task in tasks {
                    ids.push(insert_task(&mut tx, *directive, task, actor, now).await?);
                }
                (*directive, ids)
            }
        };
        decide(&mut tx, id, DraftState::Accepted, actor, None, now).await?;
        sqlx::query(
            "UPDATE source_items SET outcome = 'imported', directive_id = coalesce(directive_id, $1), \
             task_id = CASE WHEN directive_key IS NOT NULL THEN coalesce(task_id, $2) ELSE task_id END \
             WHERE draft_id = $3",
        )
        .bind(directive.0)
        .bind(tasks.first().map(|t| t.0))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((directive, tasks))
    }

    /// A draft made by a person (a document uploaded on the import page), waiting.
    pub async fn add_draft(
        &self,
        source: &str,
        label: &str,
        content: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO drafts (source, label, content, state, created_at) VALUES ($1, $2, $3, 'waiting', $4) RETURNING id",
        )
        .bind(source)
        .bind(label)
        .bind(content)
        .bind(to_unix(now))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Replaces a waiting draft's content with a person's corrections.
    pub async fn update_draft(&self, id: i64, content: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        waiting(&mut tx, id).await?;
        sqlx::query("UPDATE drafts SET content = $1 WHERE id = $2")
            .bind(content)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn reject_draft(
        &self,
        id: i64,
        actor: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        waiting(&mut tx, id).await?;
        decide(&mut tx, id, DraftState::Rejected, actor, reason, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Refuses a draft that is missing or decided already.
async fn waiting(tx: &mut sqlx::Transaction<'_, Db>, id: i64) -> Result<()> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM drafts WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match state.as_deref().map(DraftState::parse).transpose()? {
        None => Err(StoreError::NoSuchDraft(id)),
        Some(DraftState::Waiting) => Ok(()),
        Some(state) => Err(StoreError::DraftDecided { id, state: state.as_str() }),
    }
}

async fn decide(
    tx: &mut sqlx::Transaction<'_, Db>,
    id: i64,
    state: DraftState,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE drafts SET state = $1, decided_at = $2, decided_by = $3, reason = $4 WHERE id = $5")
        .bind(state.as_str())
        .bind(to_unix(now))
        .bind(actor)
        .bind(reason)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
