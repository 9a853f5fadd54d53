//! What the sources left: each source's cursor and last poll, each item it delivered and
//! what that became, and the drafts waiting for a person. An item's outcome and what it
//! made (a directive, a draft) are written in one transaction, so that a poll killed
//! half-way imports nothing twice and loses nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Sqlite;

use super::tasks::{insert_directive, insert_task};
use super::{Result, Store, StoreError, from_unix, to_unix};
use crate::domain::{DirectiveId, NewDirective, NewTask, TaskId};

/// A source as the store knows it: where its next poll goes on from, how its last polls
/// went, and what it delivered.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceState {
    pub name: String,
    pub cursor: Option<String>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Polls failed in a row.
    pub failures: u32,
    /// Items applied, whole or in part.
    pub imported: u64,
    /// Drafts waiting for a person.
    pub drafts: u64,
    /// Items that could not be read.
    pub failed: u64,
}

/// What an item became.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Applied (what was unsure may wait as a draft beside it).
    Imported,
    /// Waits as a draft.
    Draft,
    /// Could not be read; `error` says why.
    Failed,
}

impl ItemOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemOutcome::Imported => "imported",
            ItemOutcome::Draft => "draft",
            ItemOutcome::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "imported" => Ok(ItemOutcome::Imported),
            "draft" => Ok(ItemOutcome::Draft),
            "failed" => Ok(ItemOutcome::Failed),
            other => Err(StoreError::Corrupt(format!("source item outcome '{other}'"))),
        }
    }
}

/// An item a source delivered before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceItem {
    pub external_id: String,
    pub content_hash: String,
    pub label: String,
    pub outcome: ItemOutcome,
    pub directive: Option<DirectiveId>,
    pub draft: Option<i64>,
    /// The task a task item became.
    pub task: Option<TaskId>,
    /// The source's id of the item's directive.
    pub directive_key: Option<String>,
    /// What the source said, as applied (JSON).
    pub content: Option<String>,
    pub error: Option<String>,
    pub removed: bool,
}

type ItemRow = (
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

const ITEM_COLUMNS: &str = "external_id, content_hash, label, outcome, directive_id, draft_id, task_id, directive_key, content, error, removed_at";

fn source_item(row: ItemRow) -> Result<SourceItem> {
    let (
        external_id,
        content_hash,
        label,
        outcome,
        directive,
        draft,
        task,
        directive_key,
        content,
        error,
        removed,
    ) = row;
    Ok(SourceItem {
        external_id,
        content_hash,
        label,
        outcome: ItemOutcome::parse(&outcome)?,
        directive: directive.map(DirectiveId),
        draft,
        task: task.map(TaskId),
        directive_key,
        content,
        error,
        removed: removed.is_some(),
    })
}

/// What one item of a source becomes, written together.
#[derive(Debug, Clone, Copy)]
pub struct ItemWrite<'a> {
    pub source: &'a str,
    pub external_id: &'a str,
    pub content_hash: &'a str,
    /// For people: the file's name, the item's title.
    pub label: &'a str,
    /// Applied now.
    pub directive: Option<&'a NewDirective>,
    /// Waits for a person (JSON): the whole item, or what of it was not applied.
    pub draft: Option<&'a str>,
    /// Could not be read.
    pub error: Option<&'a str>,
    /// The same directive was applied before (the same document through another way in).
    pub same_as: Option<DirectiveId>,
    /// A task item: the directive it joins, applied before, with its new task.
    pub task_for: Option<(DirectiveId, &'a NewTask)>,
    /// The directive a draft's tasks join when it is accepted.
    pub draft_for: Option<DirectiveId>,
    /// The source's id of the item's directive.
    pub directive_key: Option<&'a str>,
    /// What the source said, as applied.
    pub content: Option<&'a str>,
}

/// What recording an item made.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recorded {
    pub directive: Option<DirectiveId>,
    pub tasks: Vec<TaskId>,
    pub draft: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftState {
    Waiting,
    Accepted,
    Rejected,
}

impl DraftState {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftState::Waiting => "waiting",
            DraftState::Accepted => "accepted",
            DraftState::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "waiting" => Ok(DraftState::Waiting),
            "accepted" => Ok(DraftState::Accepted),
            "rejected" => Ok(DraftState::Rejected),
            other => Err(StoreError::Corrupt(format!("draft state '{other}'"))),
        }
    }
}

/// A draft: what waits for a person, and what they decided.
#[derive(Debug, Clone, Serialize)]
pub struct DraftRecord {
    pub id: i64,
    pub source: String,
    pub label: String,
    /// Where its tasks go when it is the unsure part of an applied directive.
    pub directive: Option<DirectiveId>,
    /// The fields and findings, JSON.
    #[serde(skip)]
    pub content: String,
    pub state: DraftState,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
}

/// What accepting a draft applies.
#[derive(Debug, Clone)]
pub enum DraftApply {
    /// A directive of its own, with its tasks.
    Directive(NewDirective),
    /// Tasks of a directive applied before.
    Tasks(DirectiveId, Vec<NewTask>),
}

type DraftRow =
    (i64, String, String, Option<i64>, String, String, i64, Option<i64>, Option<String>, Option<String>);

const DRAFT_COLUMNS: &str =
    "id, source, label, directive_id, content, state, created_at, decided_at, decided_by, reason";

fn draft_record(row: DraftRow) -> Result<DraftRecord> {
    let (id, source, label, directive, content, state, created_at, decided_at, decided_by, reason) = row;
    Ok(DraftRecord {
        id,
        source,
        label,
        directive: directive.map(DirectiveId),
        content,
        state: DraftState::parse(&state)?,
        created_at: from_unix(created_at)?,
        decided_at: decided_at.map(from_unix).transpose()?,
        decided_by,
        reason,
    })
}

impl Store {
    /// The item `external_id` of `source`, if it delivered it before.
    pub async fn source_item(&self, source: &str, external_id: &str) -> Result<Option<SourceItem>> {
        let row: Option<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM source_items WHERE source = ? AND external_id = ?"
        )))
        .bind(source)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(source_item).transpose()
    }

    /// The items of `ids` that `source` delivered before, by external id: a few reads for
    /// a whole poll, whose cost follows what the poll brought, not what the source holds.
    pub async fn source_items(
        &self,
        source: &str,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, SourceItem>> {
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut query = sqlx::QueryBuilder::<Sqlite>::new(format!(
                "SELECT {ITEM_COLUMNS} FROM source_items WHERE source = "
            ));
            query.push_bind(source).push(" AND external_id IN (");
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            query.push(")");
            let rows: Vec<ItemRow> = query.build_query_as().fetch_all(&self.pool).await?;
            for row in rows {
                let item = source_item(row)?;
                found.insert(item.external_id.clone(), item);
            }
        }
        Ok(found)
    }

    /// The item a draft came from, with its source's name.
    pub async fn draft_item(&self, draft: i64) -> Result<Option<(String, SourceItem)>> {
        let key: Option<(String, String)> =
            sqlx::query_as("SELECT source, external_id FROM source_items WHERE draft_id = ? LIMIT 1")
                .bind(draft)
                .fetch_optional(&self.pool)
                .await?;
        let Some((source, external_id)) = key else { return Ok(None) };
        Ok(self.source_item(&source, &external_id).await?.map(|item| (source, item)))
    }

    /// Where `source`'s next poll goes on from.
    pub async fn source_cursor(&self, source: &str) -> Result<Option<String>> {
        let cursor: Option<Option<String>> = sqlx::query_scalar("SELECT cursor FROM sources WHERE name = ?")
            .bind(source)
            .fetch_optional(&self.pool)
            .await?;
        Ok(cursor.flatten())
    }

    /// The directive `source` delivered under its id `key`, if any.
    pub async fn source_directive(&self, source: &str, key: &str) -> Result<Option<DirectiveId>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT directive_id FROM source_items WHERE source = ? AND directive_key = ? \
             AND directive_id IS NOT NULL LIMIT 1",
        )
        .bind(source)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.map(DirectiveId))
    }

    /// Records that a task item's change was applied: what the source said, and its hash.
    pub async fn item_applied(
        &self,
        source: &str,
        external_id: &str,
        content_hash: &str,
        content: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE source_items SET content_hash = ?, content = ?, last_seen_at = ?, removed_at = NULL \
             WHERE source = ? AND external_id = ?",
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

    /// Marks an item gone from its source, with a line in its task's history; nothing is
    /// deleted.
    pub async fn item_removed(
        &self,
        source: &str,
        external_id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let task: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE source_items SET removed_at = ? WHERE source = ? AND external_id = ? AND removed_at IS NULL \
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

    /// A line in a task's history that changes nothing: a conflict with its source.
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

    /// Records what an item became, with the directive it applies and the draft it leaves,
    /// in one transaction; `actor` names the source in the tasks' history.
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
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
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
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
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

    /// Records a poll of `source`: on success, the cursor it leaves (`None` keeps the one
    /// before); on failure, its error, counted for the backoff.
    pub async fn record_poll(
        &self,
        source: &str,
        result: std::result::Result<Option<&str>, &str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let query = match result {
            Ok(cursor) => sqlx::query(
                "INSERT INTO sources (name, cursor, last_poll_at, last_success_at, failures) \
                 VALUES (?, ?, ?, ?, 0) ON CONFLICT (name) DO UPDATE SET \
                 cursor = coalesce(excluded.cursor, cursor), last_poll_at = excluded.last_poll_at, \
                 last_success_at = excluded.last_success_at, last_error = NULL, failures = 0",
            )
            .bind(source)
            .bind(cursor)
            .bind(to_unix(now))
            .bind(to_unix(now)),
            Err(error) => sqlx::query(
                "INSERT INTO sources (name, last_poll_at, last_error, failures) VALUES (?, ?, ?, 1) \
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

    /// What the store knows of the source `name`: nothing yet but its name when it was
    /// never polled.
    pub async fn source_state(&self, name: &str) -> Result<SourceState> {
        type Row = (Option<String>, Option<i64>, Option<i64>, Option<String>, i64, i64, i64, i64);
        let (cursor, last_poll, last_success, last_error, failures, imported, drafts, failed): Row = sqlx::query_as(
            "SELECT s.cursor, s.last_poll_at, s.last_success_at, s.last_error, coalesce(s.failures, 0), \
                    (SELECT count(*) FROM source_items i WHERE i.source = n.name AND i.outcome = 'imported'), \
                    (SELECT count(*) FROM drafts d WHERE d.source = n.name AND d.state = 'waiting'), \
                    (SELECT count(*) FROM source_items i WHERE i.source = n.name AND i.outcome = 'failed') \
             FROM (SELECT ? AS name) n LEFT JOIN sources s ON s.name = n.name",
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

    /// Drafts, the newest last: only those waiting, or all.
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
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE id = ?")))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(draft_record).transpose()?.ok_or(StoreError::NoSuchDraft(id))
    }

    /// Applies a waiting draft and marks it accepted, in one transaction; the item it came
    /// from is then imported.
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
            "UPDATE source_items SET outcome = 'imported', directive_id = coalesce(directive_id, ?), \
             task_id = CASE WHEN directive_key IS NOT NULL THEN coalesce(task_id, ?) ELSE task_id END \
             WHERE draft_id = ?",
        )
        .bind(directive.0)
        .bind(tasks.first().map(|t| t.0))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((directive, tasks))
    }

    /// Marks a waiting draft rejected; nothing of it is applied.
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
async fn waiting(tx: &mut sqlx::Transaction<'_, Sqlite>, id: i64) -> Result<()> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM drafts WHERE id = ?")
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
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    id: i64,
    state: DraftState,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE drafts SET state = ?, decided_at = ?, decided_by = ?, reason = ? WHERE id = ?")
        .bind(state.as_str())
        .bind(to_unix(now))
        .bind(actor)
        .bind(reason)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
