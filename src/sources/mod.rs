//! The places directives arrive (`[[sources]]`), polled on their own schedules: each item
//! found is read (the importer for documents, the directive checks for directive files),
//! then applied or left as a draft as the source's mode says, and recorded under its
//! external id, so that nothing is imported twice, even by a poll killed half-way.
//!
//! It owns when each source is polled, its backoff and its metrics. It must not read a
//! document itself (that is `import`'s), decide reminders (`plan`'s) or send anything.

pub mod feed;
pub mod folder;
pub mod http;
pub mod sql;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};

use crate::app::imports::{self, Intake};
use crate::app::input::{DirectiveFields, DirectiveInput};
use crate::app::sync::Synced;
use crate::app::{Actor, Changes};
use crate::config::{FolderSettings, Poll, Settings, SourceKind, SourceMode, SourceSettings};
use crate::import::{self, Setting};
use crate::shutdown::Shutdown;
use crate::store::{ItemOutcome, ItemWrite, Lease, Store, StoreError};
use folder::{FileKind, file_away};

/// Documents larger than this are not directives.
const MAX_DOCUMENT_BYTES: u64 = import::MAX_DOCUMENT_BYTES as u64;

/// Why a poll failed as a whole (a single item that cannot be read fails alone).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read the folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("cannot move {file} out of the folder: {source}")]
    FileAway { file: String, source: std::io::Error },
    #[error("feed: {0}")]
    Feed(String),
    #[error("database: {0}")]
    Database(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Change(#[from] crate::app::ChangeError),
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Items applied (whole, or their sure part).
    pub imported: usize,
    /// Items left as drafts.
    pub drafts: usize,
    /// Items that could not be read.
    pub failed: usize,
    /// Known items whose task followed a change at the source.
    pub updated: usize,
    /// Known items the source marked removed.
    pub removed: usize,
    /// Conflicts met: fields changed both here and at the source.
    pub conflicts: usize,
}

/// Whether `source` can be polled as configured: a folder that exists, can be listed, and
/// can hold its `done/` and `failed/` folders. `Err` names the problem.
pub fn check(source: &SourceSettings) -> Result<(), String> {
    match &source.kind {
        SourceKind::Folder(folder) => {
            let path = folder.path.display();
            if !folder.path.is_dir() {
                return Err(format!("'{path}' is not a folder"));
            }
            std::fs::read_dir(&folder.path).map_err(|e| format!("cannot list '{path}': {e}"))?;
            for into in [folder::DONE, folder::FAILED] {
                std::fs::create_dir_all(folder.path.join(into))
                    .map_err(|e| format!("cannot make '{path}/{into}' to move files into: {e}"))?;
            }
            Ok(())
        }
        // A feed's URL (http or https, with a host) and a query (read-only, naming the
        // mapped columns) were checked with the config; whether they answer is the poll's
        // to find, and it reports it.
        SourceKind::Http(_) | SourceKind::Sql(_) => Ok(()),
    }
}

/// Polls `source` once, and records how it went.
pub async fn poll(
    store: &Store,
    settings: &Arc<Settings>,
    source: &SourceSettings,
) -> Result<PollReport, SourceError> {
    let result = match &source.kind {
        SourceKind::Folder(folder) => poll_folder(store, settings, source, folder).await.map(|r| (r, None)),
        SourceKind::Http(feed) => poll_feed(store, settings, source, feed).await,
        SourceKind::Sql(sql_settings) => poll_sql(store, settings, source, sql_settings).await,
    };
    let now = Utc::now();
    let recorded = match &result {
        Ok((_, cursor)) => store.record_poll(&source.name, Ok(cursor.as_deref()), now).await,
        Err(error) => store.record_poll(&source.name, Err(&error.to_string()), now).await,
    };
    let result = result.and_then(|(report, _)| recorded.map(|()| report).map_err(SourceError::from));
    let label = if result.is_ok() { "ok" } else { "error" };
    metrics::counter!("nhacviec_source_polls_total", "source" => source.name.clone(), "result" => label)
        .increment(1);
    result
}

/// Polls a feed: every item of every page is followed; the cursor and the validators
/// are kept only when the whole poll went through, so a poll cut off is read again.
async fn poll_feed(
    store: &Store,
    settings: &Arc<Settings>,
    source: &SourceSettings,
    feed: &crate::config::FeedSettings,
) -> Result<(PollReport, Option<String>), SourceError> {
    let stored = store.source_cursor(&source.name).await?;
    let state = http::FeedState::read(stored.as_deref());
    let client = reqwest::Client::builder()
        .timeout(feed.timeout)
        .build()
        .map_err(|e| SourceError::Feed(format!("cannot make an HTTP client: {e}")))?;
    let mut items = Vec::new();
    let fetched = http::fetch(&client, feed, &state, |body| {
        let page = feed::page(body, &feed.map).map_err(|e| SourceError::Feed(e.to_string()))?;
        items.extend(page.items);
        Ok(page.next)
    })
    .await?;
    let mut report = PollReport::default();
    // 304: nothing changed since the last poll, whose cursor stays.
    let Some(fetched) = fetched else { return Ok((report, None)) };
    let cursor =
        latest(state.cursor.clone(), items.iter().filter_map(|i| i.as_ref().ok()?.updated_at.clone()));
    follow_items(store, settings, source, feed.wins, items, &mut report).await?;
    let state = http::FeedState { etag: fetched.etag, last_modified: fetched.last_modified, cursor };
    Ok((report, Some(state.to_json())))
}

/// Follows each item of a poll: a new one made (or drafted), a changed one's task moved,
/// a removed one marked; counted in `report`.
async fn follow_items(
    store: &Store,
    settings: &Arc<Settings>,
    source: &SourceSettings,
    wins: crate::config::Wins,
    items: Vec<Result<crate::app::sync::SourceTask, String>>,
    report: &mut PollReport,
) -> Result<(), SourceError> {
    // An id that comes twice in one poll (a join that repeats a row, a page read after an
    // update moved its item) is followed once, as it came last.
    let mut last: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (index, item) in items.iter().enumerate() {
        if let Ok(item) = item {
            last.insert(item.id.clone(), index);
        }
    }
    let items: Vec<_> = items
        .into_iter()
        .enumerate()
        .filter(|(index, item)| item.as_ref().map_or(true, |item| last.get(&item.id) == Some(index)))
        .map(|(_, item)| item)
        .collect();
    let ids: Vec<&str> = items.iter().filter_map(|item| item.as_ref().ok().map(|i| i.id.as_str())).collect();
    let known = store.source_items(&source.name, &ids).await?;
    let changes = Changes::new(store, settings, Actor::source(&source.name));
    for item in items {
        let item = match item {
            Ok(item) => item,
            Err(problem) => {
                report.failed += 1;
                tracing::warn!(source = %source.name, %problem, "item not read");
                continue;
            }
        };
        match changes.sync_task(source, wins, &item, known.get(&item.id)).await? {
            Synced::Created => report.imported += 1,
            Synced::Drafted => report.drafts += 1,
            Synced::Updated { conflicts, .. } => {
                report.updated += 1;
                report.conflicts += conflicts.len();
            }
            Synced::Removed => report.removed += 1,
            Synced::Unchanged => {}
        }
    }
    Ok(())
}

/// The latest of a cursor and the values seen.
fn latest(cursor: Option<String>, seen: impl Iterator<Item = String>) -> Option<String> {
    seen.fold(cursor, |latest, value| match latest {
        Some(latest) if !later(&value, &latest) => Some(latest),
        _ => Some(value),
    })
}

/// Polls a database: the query is run with the cursor, its rows followed, and run again
/// from the new cursor until no row comes back or the cursor stops moving.
async fn poll_sql(
    store: &Store,
    settings: &Arc<Settings>,
    source: &SourceSettings,
    sql_settings: &crate::config::SqlSettings,
) -> Result<(PollReport, Option<String>), SourceError> {
    /// Runs of the query in one poll, at most: a cursor that never stops is a bug to report.
    const MAX_RUNS: usize = 10_000;
    let mut cursor = store.source_cursor(&source.name).await?;
    let mut report = PollReport::default();
    for _ in 0..MAX_RUNS {
        let rows = sql::fetch(sql_settings, cursor.as_deref()).await?;
        if rows.is_empty() {
            break;
        }
        let next = latest(cursor.clone(), rows.iter().filter_map(|(_, c)| c.clone()));
        follow_items(
            store,
            settings,
            source,
            sql_settings.wins,
            rows.into_iter().map(|(item, _)| item).collect(),
            &mut report,
        )
        .await?;
        if sql_settings.cursor.is_none() || next == cursor {
            break;
        }
        cursor = next;
    }
    Ok((report, cursor))
}

/// Whether cursor value `a` comes after `b`: as numbers when both are, else as text (ISO
/// times order so).
fn later(a: &str, b: &str) -> bool {
    match (a.parse::<i128>(), b.parse::<i128>()) {
        (Ok(a), Ok(b)) => a > b,
        _ => a > b,
    }
}

async fn poll_folder(
    store: &Store,
    settings: &Arc<Settings>,
    source: &SourceSettings,
    folder: &FolderSettings,
) -> Result<PollReport, SourceError> {
    let path = folder.path.clone();
    let settle = folder.settle;
    let listed =
        tokio::task::spawn_blocking(move || folder::ready(&path, settle, std::time::SystemTime::now()))
            .await
            .map_err(|e| SourceError::Folder {
                path: folder.path.display().to_string(),
                source: std::io::Error::other(e),
            })?
            .map_err(|source| SourceError::Folder { path: folder.path.display().to_string(), source })?;
    let mut report = PollReport::default();
    for candidate in listed {
        let outcome = take_file(store, settings, source, &folder.path, candidate).await?;
        match outcome {
            Some(Taken::Recorded(ItemOutcome::Imported)) => report.imported += 1,
            Some(Taken::Recorded(ItemOutcome::Draft)) => report.drafts += 1,
            Some(Taken::Recorded(ItemOutcome::Failed)) => report.failed += 1,
            Some(Taken::SeenBefore) | None => {}
        }
    }
    Ok(report)
}

enum Taken {
    Recorded(ItemOutcome),
    SeenBefore,
}

/// Reads one file, records what it became and files it away; `None` when it changed while
/// it was read (it is taken at a later poll).
async fn take_file(
    store: &Store,
    settings: &Arc<Settings>,
    source: &SourceSettings,
    inbox: &Path,
    candidate: folder::Candidate,
) -> Result<Option<Taken>, SourceError> {
    let file_error = |e| SourceError::FileAway { file: candidate.name.clone(), source: e };
    let read = {
        let candidate = candidate.clone();
        tokio::task::spawn_blocking(move || read_file(&candidate))
            .await
            .map_err(|e| file_error(std::io::Error::other(e)))?
    };
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(error) => {
            // Unreadable (permissions): left where it is for a later poll, and logged; the
            // files after it are read all the same.
            tracing::warn!(source = %source.name, file = %candidate.name, %error, "cannot read the file: left in place");
            return Ok(None);
        }
    };
    let hash = imports::document_hash(&bytes);
    // Recorded by an earlier poll that stopped before filing it away, or dropped again. One
    // that failed is read again: the config may have changed since (a department added).
    if let Some(item) = store.source_item(&source.name, &hash).await?
        && item.outcome != ItemOutcome::Failed
    {
        file_away(inbox, &candidate.path, folder::DONE, None).map_err(file_error)?;
        tracing::info!(source = %source.name, file = %candidate.name, "seen before: filed away again");
        return Ok(Some(Taken::SeenBefore));
    }
    let found = read_item(store, settings, source, &candidate.name, &hash, bytes).await?;
    let (intake, error, same_as) = match found {
        Found::Intake(intake) => (*intake, None, None),
        Found::Failed(message) => (Intake::default(), Some(message), None),
        Found::SameAs(directive) => (Intake::default(), None, Some(directive)),
    };
    let mut intake = intake;
    let changes = Changes::new(store, settings, Actor::source(&source.name));
    if let Some(directive) = intake.apply.as_mut() {
        changes.plan_new_tasks(directive);
    }
    let draft = intake.draft.as_ref().map(|d| d.to_json());
    let write = ItemWrite {
        source: &source.name,
        external_id: &hash,
        content_hash: &hash,
        label: &candidate.name,
        directive: intake.apply.as_ref(),
        draft: draft.as_deref(),
        error: error.as_deref(),
        same_as,
        task_for: None,
        draft_for: None,
        directive_key: None,
        content: None,
    };
    let recorded = store.record_item(&write, changes.actor.as_str(), changes.now).await?;
    let outcome = match &recorded {
        r if r.directive.is_some() => ItemOutcome::Imported,
        r if r.draft.is_some() => ItemOutcome::Draft,
        _ => ItemOutcome::Failed,
    };
    let into = if outcome == ItemOutcome::Failed { folder::FAILED } else { folder::DONE };
    let filed = file_away(inbox, &candidate.path, into, error.as_deref()).map_err(file_error)?;
    metrics::counter!("nhacviec_source_items_total", "source" => source.name.clone(), "outcome" => outcome.as_str())
        .increment(1);
    match outcome {
        ItemOutcome::Failed => tracing::warn!(
            source = %source.name, file = %candidate.name, moved_to = %filed.display(),
            error = error.as_deref().unwrap_or(""), "could not import"
        ),
        _ => tracing::info!(
            source = %source.name, file = %candidate.name, outcome = outcome.as_str(),
            directive = ?recorded.directive.map(|d| d.0), tasks = recorded.tasks.len(), draft = ?recorded.draft,
            "imported"
        ),
    }
    Ok(Some(Taken::Recorded(outcome)))
}

/// The file's bytes, if it did not change while it was read.
fn read_file(candidate: &folder::Candidate) -> std::io::Result<Option<Vec<u8>>> {
    if candidate.size > MAX_DOCUMENT_BYTES {
        // Too large to be a directive: read no further than the limit; its hash still
        // keys it.
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(&candidate.path)?.take(MAX_DOCUMENT_BYTES + 1).read_to_end(&mut bytes)?;
        return Ok(folder::unchanged(candidate).then_some(bytes));
    }
    let bytes = std::fs::read(&candidate.path)?;
    Ok(folder::unchanged(candidate).then_some(bytes))
}

enum Found {
    Intake(Box<Intake>),
    /// Why it cannot be imported, naming the problem and where it is.
    Failed(String),
    /// The same document was applied before, as this directive.
    SameAs(crate::domain::DirectiveId),
}

/// What an item's bytes become under the source's mode.
async fn read_item(
    store: &Store,
    settings: &Arc<Settings>,
    source: &SourceSettings,
    name: &str,
    hash: &str,
    bytes: Vec<u8>,
) -> Result<Found, SourceError> {
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Ok(Found::Failed(format!(
            "{name}: quá lớn để là một văn bản chỉ đạo (hơn {} MB)",
            MAX_DOCUMENT_BYTES / (1024 * 1024)
        )));
    }
    if let Some(directive) = store.directive_by_source_hash(hash).await? {
        return Ok(Found::SameAs(directive));
    }
    let auto = source.mode == SourceMode::Auto;
    let found = match FileKind::of(name) {
        FileKind::Document => {
            let settings_for_import = settings.clone();
            let (name_owned, hash_owned) = (name.to_owned(), hash.to_owned());
            let min_confidence = auto.then_some(source.min_confidence);
            tokio::task::spawn_blocking(move || {
                read_document(&settings_for_import, &name_owned, &hash_owned, &bytes, min_confidence)
            })
            .await
            .unwrap_or_else(|e| Found::Failed(format!("{name}: the importer stopped: {e}")))
        }
        FileKind::DirectiveToml => match String::from_utf8(bytes) {
            Ok(text) => {
                match crate::directive_file::read(
                    &text,
                    name,
                    &settings.departments,
                    &settings.calendar.calendar,
                ) {
                    Ok((mut fields, _)) => {
                        fields.source_hash = Some(hash.to_owned());
                        fields_intake(settings, fields, auto, name)
                    }
                    Err(error) => Found::Failed(error.to_string()),
                }
            }
            Err(_) => Found::Failed(format!("{name}: a directive file must be UTF-8 text")),
        },
        FileKind::DirectiveJson => match serde_json::from_slice::<DirectiveInput>(&bytes) {
            Ok(input) => {
                let mut fields = DirectiveFields::from(input);
                fields.source = fields.source.or_else(|| Some(name.to_owned()));
                fields.source_hash = Some(hash.to_owned());
                fields_intake(settings, fields, auto, name)
            }
            Err(error) => Found::Failed(format!("{name}:{}:{}: {error}", error.line(), error.column())),
        },
        FileKind::Other => Found::Failed(format!(
            "{name}: nhacviec đọc tệp .pdf (có lớp chữ), .docx, .txt, tệp chỉ đạo .toml và .json; \
             hãy lưu văn bản thành một trong các dạng đó"
        )),
    };
    Ok(found)
}

fn fields_intake(settings: &Settings, fields: DirectiveFields, auto: bool, name: &str) -> Found {
    match imports::intake_fields(settings, fields, auto) {
        Ok(intake) => Found::Intake(Box::new(intake)),
        Err(problems) => Found::Failed(
            problems
                .iter()
                .map(|p| format!("{name}: {}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    }
}

/// The importer on a document's bytes: its proposal split as the mode says.
fn read_document(
    settings: &Settings,
    name: &str,
    hash: &str,
    bytes: &[u8],
    min_confidence: Option<f64>,
) -> Found {
    let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
    let (proposal, decoded) = match import::read_with_text(bytes, &setting) {
        Ok(read) => read,
        Err(error) => return Found::Failed(format!("{name}: {error}")),
    };
    let encoding = decoded.encoding;
    if proposal.tasks.is_empty() {
        return Found::Failed(format!(
            "{name}: không tìm thấy nhiệm vụ nào trong văn bản (đọc theo mã {}): đây có phải là văn bản chỉ đạo?",
            encoding.as_str()
        ));
    }
    let mut intake = imports::intake(settings, &proposal, name, hash, min_confidence);
    // What waits keeps the text, for the import page to show each finding on its line.
    if let Some(draft) = &mut intake.draft {
        draft.text = Some(decoded.text);
    }
    Found::Intake(Box::new(intake))
}

/// Runs every configured source on its schedule until shutdown, following the settings
/// as they are reloaded: a source added starts, a source removed stops. `wake` is told
/// when something was applied, so that the daemon plans it at once.
pub async fn run(
    store: Store,
    mut settings: watch::Receiver<Arc<Settings>>,
    wake: Arc<Notify>,
    shutdown: Shutdown,
) {
    let mut running: std::collections::BTreeMap<String, tokio::task::JoinHandle<()>> = Default::default();
    let mut shutdown_wait = shutdown.clone();
    loop {
        let names: Vec<String> = settings.borrow().sources.iter().map(|s| s.name.clone()).collect();
        running.retain(|name, handle| {
            let keep = names.contains(name) && !handle.is_finished();
            if !keep {
                handle.abort();
            }
            keep
        });
        for name in names {
            running.entry(name.clone()).or_insert_with(|| {
                tokio::spawn(run_source(
                    store.clone(),
                    settings.clone(),
                    name,
                    wake.clone(),
                    shutdown.clone(),
                ))
            });
        }
        tokio::select! {
            changed = settings.changed() => if changed.is_err() { break },
            _ = shutdown_wait.recv() => break,
        }
    }
    for (_, handle) in running {
        // A poll cut off here is taken up again from what the store recorded.
        handle.abort();
    }
}

/// Polls one source, named `name`, until it leaves the settings or shutdown.
async fn run_source(
    store: Store,
    mut settings: watch::Receiver<Arc<Settings>>,
    name: String,
    wake: Arc<Notify>,
    mut shutdown: Shutdown,
) {
    let mut failures: u32 = 0;
    loop {
        let current = settings.borrow_and_update().clone();
        let Some(source) = current.sources.iter().find(|s| s.name == name).cloned() else { return };
        let started = Utc::now();
        let lease = format!("source:{name}");
        // One daemon polls each source: the one holding its lease, renewed at each poll.
        match store.take_lease(&lease, started + POLL_LEASE, started).await {
            Ok(Lease::Taken) => {}
            Ok(Lease::HeldUntil(until)) => {
                tracing::debug!(source = %name, %until, "polled by another daemon");
                // Asked again before it runs out, in case its holder stopped cleanly.
                let until = until.min(started + crate::store::LEASE_RECHECK);
                let wait = (until - started).to_std().unwrap_or_default() + Duration::from_secs(1);
                if !wait_for_next_poll(&mut settings, &name, &source, wait, &mut shutdown).await {
                    return;
                }
                continue;
            }
            Err(error) => {
                failures += 1;
                let wait = retry_after(&source.poll, failures);
                tracing::error!(source = %name, %error, retry_in = ?wait, "cannot take the source's lease");
                if !wait_for_next_poll(&mut settings, &name, &source, wait, &mut shutdown).await {
                    return;
                }
                continue;
            }
        }
        let result = poll(&store, &current, &source).await;
        let wait = match &result {
            Ok(report) => {
                failures = 0;
                if report.imported + report.updated + report.removed > 0 {
                    wake.notify_one();
                }
                if report.imported + report.drafts + report.failed + report.updated + report.removed > 0 {
                    tracing::info!(
                        source = %name, imported = report.imported, drafts = report.drafts,
                        failed = report.failed, updated = report.updated, removed = report.removed,
                        conflicts = report.conflicts, "source polled"
                    );
                }
                next_poll(&source.poll, &current, started, Utc::now())
            }
            Err(error) => {
                failures += 1;
                let wait = retry_after(&source.poll, failures);
                tracing::error!(source = %name, %error, retry_in = ?wait, failures, "source poll failed");
                wait
            }
        };
        // Held until a little after the next poll: if this daemon dies, another polls.
        let now = Utc::now();
        let hold = chrono::Duration::from_std(wait + LEASE_MARGIN).unwrap_or(chrono::Duration::MAX);
        if let Err(error) = store.take_lease(&lease, now.checked_add_signed(hold).unwrap_or(now), now).await {
            tracing::warn!(source = %name, %error, "cannot renew the source's lease");
        }
        publish_state(&store, &name).await;
        if !wait_for_next_poll(&mut settings, &name, &source, wait, &mut shutdown).await {
            return;
        }
    }
}

/// How long a daemon holds a source while it polls it: another takes over after this
/// if it dies mid-poll. Longer than any poll should last (a poll of 10,000 items takes a
/// few seconds).
const POLL_LEASE: chrono::Duration = chrono::Duration::minutes(30);

/// How long after its next poll a source's lease runs: another daemon takes the source
/// over once its holder missed that poll by this much.
const LEASE_MARGIN: Duration = Duration::from_secs(60);

/// Sleeps `wait`, or less when a reload changes `source` (or removes it): then it is
/// polled at once under its new settings; a reload that leaves it as it was keeps its
/// schedule and its backoff. `false` at shutdown or when the settings are gone.
async fn wait_for_next_poll(
    settings: &mut watch::Receiver<Arc<Settings>>,
    name: &str,
    source: &SourceSettings,
    wait: Duration,
    shutdown: &mut Shutdown,
) -> bool {
    let as_it_was = format!("{source:?}");
    let until = tokio::time::Instant::now() + wait;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return true,
            changed = settings.changed() => {
                if changed.is_err() {
                    return false;
                }
                let now = settings.borrow().sources.iter().find(|s| s.name == name).map(|s| format!("{s:?}"));
                if now.as_deref() != Some(as_it_was.as_str()) {
                    return true;
                }
            }
            _ = shutdown.recv() => return false,
        }
    }
}

/// Until the next regular poll: `poll_every` after the last one began, or the cron's next
/// instant.
fn next_poll(poll: &Poll, settings: &Settings, started: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let next = match poll {
        Poll::Every(every) => {
            match chrono::Duration::from_std(*every).ok().and_then(|every| started.checked_add_signed(every))
            {
                Some(next) => next,
                None => return Duration::from_secs(365 * 24 * 3600),
            }
        }
        Poll::Cron(cron) => {
            let local = now.with_timezone(&settings.timezone);
            match cron.find_next_occurrence(&local, false) {
                Ok(next) => next.with_timezone(&Utc),
                Err(_) => return Duration::from_secs(365 * 24 * 3600),
            }
        }
    };
    (next - now).to_std().unwrap_or(Duration::ZERO)
}

/// The longest a failing source waits between tries, unless it is polled less often.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// After `failures` failed polls in a row: 1 s, 2 s, 4 s … doubling, up to the longer of
/// the poll interval and five minutes (a cron source: five minutes).
fn retry_after(poll: &Poll, failures: u32) -> Duration {
    let backoff = Duration::from_secs(1u64 << failures.saturating_sub(1).min(20));
    let longest = match poll {
        Poll::Every(every) => (*every).max(MAX_BACKOFF),
        Poll::Cron(_) => MAX_BACKOFF,
    };
    backoff.min(longest)
}

/// The source's figures as `nhacviec sources` shows them, as gauges for `/metrics`.
async fn publish_state(store: &Store, name: &str) {
    let Ok(state) = store.source_state(name).await else { return };
    let gauge =
        |metric: &'static str, value: f64| metrics::gauge!(metric, "source" => name.to_owned()).set(value);
    gauge("nhacviec_source_imported", state.imported as f64);
    gauge("nhacviec_source_drafts_waiting", state.drafts as f64);
    gauge("nhacviec_source_failed", state.failed as f64);
    gauge("nhacviec_source_consecutive_failures", f64::from(state.failures));
    gauge("nhacviec_source_up", if state.failures == 0 { 1.0 } else { 0.0 });
    if let Some(at) = state.last_poll_at {
        gauge("nhacviec_source_last_poll_timestamp_seconds", at.timestamp() as f64);
    }
    if let Some(at) = state.last_success_at {
        gauge("nhacviec_source_last_success_timestamp_seconds", at.timestamp() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_source_backs_off_doubling_up_to_its_longest_wait() {
        let every_second = Poll::Every(Duration::from_secs(1));
        let waits: Vec<u64> = (1..=11).map(|n| retry_after(&every_second, n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        let hourly = Poll::Every(Duration::from_secs(3600));
        assert_eq!(retry_after(&hourly, 13).as_secs(), 3600);
        assert_eq!(retry_after(&hourly, 40).as_secs(), 3600);
    }
}
