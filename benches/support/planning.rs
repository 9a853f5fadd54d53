//! Section `planning`: planning ticks over a store of 1,000,000 open tasks.
//!
//! The store is built once and kept under `target/bench-data/` (building it takes a
//! while); each run works on a fresh copy. Its clock is the instant it was built for
//! (`t0`, local noon of the day it was built), passed to every tick, so the copy stays
//! valid on any later day.
//!
//! Most tasks have deadlines 20 days to 2 years after `t0`, so their first reminder lies
//! in the future. `GROUPS` groups of `PER_GROUP` tasks, spread through the table, have
//! deadlines within 2 weeks and become due one group a minute after `t0`: the tick at
//! `t0 + k min` finds exactly group k due. Ticks after the last group find nothing.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Days, Duration as ChronoDuration, NaiveTime, Utc};
use nhacviec::config::Settings;
use nhacviec::daemon::planning::{plan_due, plan_record};
use nhacviec::domain::{Deadline, DepartmentCode, Precision};
use nhacviec::domain::{NewDirective, NewTask};
use nhacviec::plan::{Policy, first_planning_at};
use nhacviec::store::Store;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::{
    ConfigSpec, Report, department_codes, env_number, local_at, local_date, median_max, ms, sqlite_url,
    target_dir,
};

const SECTION: &str = "planning";
/// Bump when the way the store is filled changes, so that old caches are not reused.
const CACHE_VERSION: u32 = 2;
const CHUNK: usize = 50_000;
const GROUPS: usize = 10;
const PER_GROUP: usize = 200;
const EMPTY_TICKS: usize = 20;
const DEPARTMENTS: usize = 20;
const TARGET_MS: f64 = 10.0;

/// `due_tasks` in src/store/tasks.rs with the columns of `TASK_COLUMNS` in
/// src/store/rows.rs, copied here to ask SQLite how it runs it. Keep in step with them.
const DUE_TASKS_PLAN: &str = "EXPLAIN QUERY PLAN SELECT t.id, t.directive_id, t.section, \
     t.summary, t.details, t.lead, t.deadline, t.deadline_precision, t.deadline_phrase, \
     t.status, t.done_on, t.created_at, t.planned_until, t.next_reminder_at, \
     (SELECT group_concat(c.department, ',') FROM \
        (SELECT department FROM task_coordinators WHERE task_id = t.id ORDER BY position) c) \
        AS coordinating, t.revision \
     FROM tasks t WHERE t.status = 'open' AND t.next_reminder_at IS NOT NULL \
     AND t.next_reminder_at <= ? ORDER BY t.next_reminder_at LIMIT ?";

pub async fn run(report: &mut Report) -> anyhow::Result<()> {
    let tasks: usize = env_number("NHACVIEC_BENCH_TASKS", 1_000_000);
    let data_dir = target_dir().join("bench-data");
    let cache = data_dir.join(format!("planning-v{CACHE_VERSION}-{tasks}.db"));
    let meta = cache.with_extension("t0");
    let spec = ConfigSpec::new(sqlite_url(&cache));
    let settings = spec.settings()?;
    let policy = Policy::from_settings(&settings);

    let cached = read_t0(&meta).filter(|_| cache.is_file());
    let (t0, work, url, store) = match cached {
        Some(t0) => {
            println!("  using the store cached in {}", cache.display());
            match open_copy(&cache).await {
                Ok((work, url, store)) => (t0, work, url, store),
                Err(error) => {
                    println!("  the cached store cannot be used ({error:#}): rebuilding it");
                    let t0 = build_cache(&cache, &meta, tasks, &settings, &policy, report).await?;
                    let (work, url, store) = open_copy(&cache).await?;
                    (t0, work, url, store)
                }
            }
        }
        None => {
            let t0 = build_cache(&cache, &meta, tasks, &settings, &policy, report).await?;
            let (work, url, store) = open_copy(&cache).await?;
            (t0, work, url, store)
        }
    };

    explain_due_query(&url, t0, report).await?;

    let expected = expected_per_group(tasks);
    let mut due_ms = Vec::new();
    let mut wrong = Vec::new();
    for (group, expected) in expected.iter().enumerate() {
        let now = t0 + minutes(group + 1);
        let started = Instant::now();
        let planned = plan_due(&store, &settings, &policy, now).await?;
        let took = ms(started.elapsed());
        due_ms.push(took);
        // As the daemon does after a tick that wrote, outside the tick.
        store.after_busy_tick().await?;
        println!(
            "  tick {:>2} at t0+{}min: {} due tasks planned, {} reminders enqueued, {took:.2} ms",
            group + 1,
            group + 1,
            planned.tasks,
            planned.enqueued
        );
        if planned.tasks != *expected {
            wrong.push(format!("tick {} planned {} of {expected}", group + 1, planned.tasks));
        }
    }
    let mut empty_ms = Vec::new();
    for tick in 0..EMPTY_TICKS {
        let now = t0 + minutes(GROUPS + 1) + ChronoDuration::seconds(tick as i64);
        let started = Instant::now();
        let planned = plan_due(&store, &settings, &policy, now).await?;
        empty_ms.push(ms(started.elapsed()));
        if planned.tasks != 0 {
            wrong.push(format!("empty tick {} planned {}", tick + 1, planned.tasks));
        }
    }
    store.close().await;

    let per_tick = expected.first().copied().unwrap_or(0);
    let (median, max) = median_max(&due_ms);
    println!(
        "  ticks with {per_tick} due: {}",
        due_ms.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>().join(" ")
    );
    report.info(
        SECTION,
        "first tick after opening (cold)",
        format!("{:.2} ms", due_ms.first().copied().unwrap_or(0.0)),
    );
    report.at_most(SECTION, format!("tick with {per_tick} due, median"), median, "ms", TARGET_MS);
    report.at_most(SECTION, format!("tick with {per_tick} due, max"), max, "ms", TARGET_MS);
    let (median, max) = median_max(&empty_ms);
    report.at_most(SECTION, "empty tick, median", median, "ms", TARGET_MS);
    report.at_most(SECTION, "empty tick, max", max, "ms", TARGET_MS);
    report.check(
        SECTION,
        "each tick planned exactly the tasks due",
        wrong.is_empty(),
        if wrong.is_empty() { "yes".to_owned() } else { wrong.join("; ") },
        "yes",
    );
    drop(work);
    phases(&cache, t0, &settings, &policy, report).await
}

/// The same due ticks again on a fresh copy, phase by phase as `plan_due` runs them, to
/// show where a tick's time goes.
async fn phases(
    cache: &Path,
    t0: DateTime<Utc>,
    settings: &Settings,
    policy: &Policy,
    report: &mut Report,
) -> anyhow::Result<()> {
    let (_work, url, store) = open_copy(cache).await?;
    let batch = settings.delivery.batch_size.max(100);
    let (mut read, mut plan, mut write) = (Vec::new(), Vec::new(), Vec::new());
    let mut statements = 0;
    for group in 0..GROUPS {
        let now = t0 + minutes(group + 1);
        let started = Instant::now();
        let due = store.due_tasks(now, batch).await?;
        read.push(ms(started.elapsed()));
        let started = Instant::now();
        let writes: Vec<_> = due
            .iter()
            .map(|record| plan_record(record, &Default::default(), settings, policy, now).0)
            .collect();
        plan.push(ms(started.elapsed()));
        // Per task one UPDATE; per item one INSERT and one UPDATE (superseding).
        statements = writes.len() + 2 * writes.iter().map(|w| w.items.len()).sum::<usize>();
        let started = Instant::now();
        store.record_plans(&writes, now).await?;
        write.push(ms(started.elapsed()));
    }
    store.close().await;
    let round_trip = sqlx_round_trip(&url).await?;
    let median = |samples: &[f64]| median_max(samples).0;
    report.info(SECTION, "  of which due_tasks read, median", format!("{:.2} ms", median(&read)));
    report.info(SECTION, "  of which plan (pure), median", format!("{:.2} ms", median(&plan)));
    report.info(
        SECTION,
        format!("  of which record_plans ({statements} stmts), median"),
        format!("{:.2} ms", median(&write)),
    );
    report.info(
        SECTION,
        "  record_plans per statement, median",
        format!("{:.0} µs", median(&write) * 1000.0 / statements.max(1) as f64),
    );
    report.info(SECTION, "  sqlx round trip alone (SELECT 1 in a tx)", format!("{round_trip:.0} µs"));
    Ok(())
}

/// Microseconds per statement of a `SELECT 1` run 1,000 times in one transaction on a
/// pool like the store's: what sqlx costs before SQLite does any work.
async fn sqlx_round_trip(url: &str) -> anyhow::Result<f64> {
    let options = SqliteConnectOptions::from_str(url)?
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
    let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
    let mut samples = Vec::new();
    for _ in 0..5 {
        let mut tx = pool.begin().await?;
        let started = Instant::now();
        for _ in 0..1000 {
            sqlx::query("SELECT 1").execute(&mut *tx).await?;
        }
        samples.push(started.elapsed().as_secs_f64() * 1e6 / 1000.0);
        tx.commit().await?;
    }
    pool.close().await;
    Ok(median_max(&samples).0)
}

/// A fresh copy of the cached store in a temp dir, opened (and migrated) as the daemon
/// would.
async fn open_copy(cache: &Path) -> anyhow::Result<(tempfile::TempDir, String, Store)> {
    let work = tempfile::tempdir().context("temp dir")?;
    let db = work.path().join("x.db");
    let started = Instant::now();
    tokio::fs::copy(cache, &db).await.with_context(|| format!("cannot copy {}", cache.display()))?;
    let size_mb = std::fs::metadata(&db).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "  copied the store ({size_mb:.0} MB) to {} in {:.1} s",
        db.display(),
        started.elapsed().as_secs_f64()
    );
    let url = sqlite_url(&db);
    let store = Store::open(&url).await?;
    Ok((work, url, store))
}

fn minutes(n: usize) -> ChronoDuration {
    ChronoDuration::minutes(n as i64)
}

/// Which due group task number `i` (0-based) is in, if any.
fn due_group(i: usize, tasks: usize) -> Option<usize> {
    let every = (tasks / (GROUPS * PER_GROUP)).max(1);
    (i.is_multiple_of(every) && i / every < GROUPS * PER_GROUP).then_some((i / every) % GROUPS)
}

fn expected_per_group(tasks: usize) -> Vec<usize> {
    let mut counts = vec![0; GROUPS];
    for i in 0..tasks {
        if let Some(group) = due_group(i, tasks) {
            counts[group] += 1;
        }
    }
    counts
}

fn read_t0(meta: &Path) -> Option<DateTime<Utc>> {
    let text = std::fs::read_to_string(meta).ok()?;
    DateTime::from_timestamp(text.trim().parse().ok()?, 0)
}

async fn build_cache(
    cache: &Path,
    meta: &Path,
    tasks: usize,
    settings: &Settings,
    policy: &Policy,
    report: &mut Report,
) -> anyhow::Result<DateTime<Utc>> {
    let noon = NaiveTime::from_hms_opt(12, 0, 0).context("noon")?;
    let t0 = local_at(local_date(Utc::now()), noon);
    let folder = cache.parent().context("cache folder")?;
    std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let building = cache.with_extension("building.db");
    for path in [cache.to_path_buf(), building.clone(), meta.to_path_buf()] {
        remove_db(&path);
    }
    println!("  building a store of {tasks} open tasks in {} (cached for later runs)", building.display());
    let started = Instant::now();
    let store = Store::open(&sqlite_url(&building)).await?;
    let codes: Vec<DepartmentCode> =
        department_codes(DEPARTMENTS).iter().map(|c| DepartmentCode::parse(c)).collect::<Result<_, _>>()?;
    let today = local_date(t0);
    let mut start = 0;
    while start < tasks {
        let end = (start + CHUNK).min(tasks);
        let mut new_tasks = Vec::with_capacity(end - start);
        for i in start..end {
            new_tasks.push(make_task(i, tasks, &codes, today, t0, settings, policy)?);
        }
        let directive = NewDirective {
            number: Some(format!("{}/TB-UBND", start / CHUNK + 1)),
            title: "Thông báo kết luận của Chủ tịch UBND tỉnh (dữ liệu đo hiệu năng)".to_owned(),
            issuer: "UBND tỉnh Nam Định".to_owned(),
            issued_on: today,
            source: None,
            source_hash: None,
            tasks: new_tasks,
        };
        store.add_directive(&directive, "bench", t0).await?;
        start = end;
        println!("  … {end} tasks inserted ({:.0} s)", started.elapsed().as_secs_f64());
    }
    store.close().await;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", building.display()));
        if side.exists() {
            bail!("{} is still there after closing the store", side.display());
        }
    }
    std::fs::rename(&building, cache)
        .with_context(|| format!("cannot move the store to {}", cache.display()))?;
    std::fs::write(meta, t0.timestamp().to_string())
        .with_context(|| format!("cannot write {}", meta.display()))?;
    let took = started.elapsed().as_secs_f64();
    report.info(SECTION, format!("building the {tasks}-task store"), format!("{took:.0} s"));
    Ok(t0)
}

fn remove_db(path: &Path) {
    let _ = std::fs::remove_file(path);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn make_task(
    i: usize,
    tasks: usize,
    codes: &[DepartmentCode],
    today: chrono::NaiveDate,
    t0: DateTime<Utc>,
    settings: &Settings,
    policy: &Policy,
) -> anyhow::Result<NewTask> {
    let lead = codes[i % codes.len()].clone();
    let coordinating =
        if i.is_multiple_of(4) { vec![codes[(i + 7) % codes.len()].clone()] } else { Vec::new() };
    let group = due_group(i, tasks);
    // Due tasks: deadlines 1 to 12 days away. Others: 20 days to about 2 years away.
    let days = match group {
        Some(_) => 1 + (i / GROUPS) % 12,
        None => 20 + (i.wrapping_mul(7919)) % 726,
    };
    let date = today.checked_add_days(Days::new(days as u64)).context("deadline out of range")?;
    let mut task = NewTask {
        section: Some(format!("{}", i % 12 + 1)),
        summary: format!(
            "Nhiệm vụ {i}: xây dựng và triển khai kế hoạch cải cách hành chính, báo cáo kết quả về UBND tỉnh"
        ),
        details: None,
        lead,
        coordinating,
        deadline: Some(Deadline { date, precision: Precision::Day, phrase: None }),
        origin: None,
        recurrence: None,
        next_reminder_at: None,
    };
    task.next_reminder_at = match group {
        Some(group) => Some(t0 + minutes(group + 1) - ChronoDuration::seconds(30)),
        None => {
            let unsaved = task.as_unsaved_task(t0);
            first_planning_at(&unsaved, settings.departments.escalate_to(&task.lead), policy)
        }
    };
    Ok(task)
}

/// Asks SQLite, on a connection of its own, how it runs the due-tasks query.
async fn explain_due_query(url: &str, t0: DateTime<Utc>, report: &mut Report) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(url)?.read_only(true);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
    let rows: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(DUE_TASKS_PLAN).bind(t0.timestamp()).bind(256_i64).fetch_all(&pool).await?;
    pool.close().await;
    println!("  EXPLAIN QUERY PLAN of the due-tasks query:");
    for (_, _, _, detail) in &rows {
        println!("    {detail}");
    }
    let uses_index = rows.iter().any(|(.., d)| d.contains("USING INDEX tasks_due"));
    let scans_tasks =
        rows.iter().any(|(.., d)| d == "SCAN t" || d.starts_with("SCAN t ") || d.starts_with("SCAN tasks"));
    let sorts = rows.iter().any(|(.., d)| d.contains("TEMP B-TREE"));
    let ok = uses_index && !scans_tasks && !sorts;
    let shown = match (uses_index, scans_tasks, sorts) {
        (true, false, false) => "tasks_due".to_owned(),
        _ => format!("index:{uses_index} scan:{scans_tasks} sort:{sorts}"),
    };
    report.check(SECTION, "due-tasks query plan", ok, shown, "tasks_due, no SCAN");
    Ok(())
}
