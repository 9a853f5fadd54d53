//! Several daemons on one PostgreSQL store, each figure beside SQLite's in the same run:
//!
//! - `dispatch`: webhooks to a loopback receiver, every send recorded, from one daemon on
//!   SQLite and from 1, 2 and 3 daemons on PostgreSQL (target: ≥ 5,000/s with one daemon on
//!   PostgreSQL, and more with two than with one). The daemons are `nhacviec run`
//!   processes on the shipped delivery defaults (batch 256, concurrency 32, pool 10); the
//!   reminders are planned before they start, due at once, and the rate is counted from
//!   the first message received to the last.
//! - `planning`: planning ticks over 1,000,000 open tasks on PostgreSQL (each reads only
//!   the 200 due, by index: its EXPLAIN is shown), beside the same ticks on SQLite (the
//!   throughput bench's `planning` section, its cached store).
//! - `soak` (only when named): 3 daemons for 30 minutes (NHACVIEC_BENCH_SOAK_SECONDS) on
//!   one PostgreSQL store under a steady stream of new tasks and sends: the outbox's dead
//!   tuples stay bounded (autovacuum keeps up) and no daemon's RSS grows.
//!
//! `cargo bench --bench cluster` runs dispatch and planning; `-- soak` the soak;
//! `-- dispatch` one section. PostgreSQL at 127.0.0.1:5432, as for the tests; each
//! section makes a database of its own and drops it. NHACVIEC_BENCH_CLUSTER_ITEMS: reminders per dispatch run (default 30000).

#[allow(dead_code)]
#[path = "../tests/support/databases.rs"]
mod databases;
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use databases::Database;
use nhacviec::daemon::planning::plan_due;
use nhacviec::plan::Policy;
use nhacviec::store::Store;
use sqlx::Executor;
use support::receivers::HttpReceiver;
use support::{
    ConfigSpec, Report, Schedule, department_codes, env_number, local_date, median_max, ms, number,
};

const BINARY: &str = env!("CARGO_BIN_EXE_nhacviec");

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let words: Vec<String> = std::env::args().skip(1).filter(|w| !w.starts_with('-')).collect();
    for word in &words {
        if !["dispatch", "planning", "soak"].contains(&word.as_str()) {
            eprintln!("unknown section '{word}': use dispatch, planning or soak");
            return ExitCode::from(2);
        }
    }
    let has = |name: &str| {
        if words.is_empty() { name != "soak" } else { words.iter().any(|w| w == name) }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("the bench's runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut report = Report::default();
    println!(
        "nhacviec cluster bench on {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    runtime.block_on(async {
        if has("dispatch") {
            println!("\n== dispatch: webhooks from 1 daemon on SQLite, 1, 2 and 3 on PostgreSQL ==");
            if let Err(error) = dispatch(&mut report).await {
                report.failed("dispatch", &error);
            }
        }
        if has("planning") {
            println!("\n== planning: ticks over 1,000,000 open tasks, PostgreSQL beside SQLite ==");
            if let Err(error) = planning_postgres(&mut report).await {
                report.failed("planning", &error);
            }
            if let Err(error) = support::planning::run(&mut report).await {
                report.failed("planning", &error);
            }
        }
        if has("soak") {
            println!("\n== soak: 3 daemons, a steady stream of tasks and sends ==");
            if let Err(error) = soak(&mut report).await {
                report.failed("soak", &error);
            }
        }
    });
    report.print_summary();
    if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// `nhacviec run` processes on one config, stopped with SIGTERM when dropped.
struct Daemons(Vec<Child>);

impl Daemons {
    fn start(config: &Path, count: usize, log_dir: &Path) -> anyhow::Result<Self> {
        let mut children = Vec::new();
        for i in 0..count {
            let log = std::fs::File::create(log_dir.join(format!("daemon-{i}.log")))?;
            children.push(
                Command::new(BINARY)
                    .arg("--config")
                    .arg(config)
                    .arg("run")
                    .env("NHACVIEC_LOG", "warn")
                    .stdout(Stdio::null())
                    .stderr(log)
                    .spawn()
                    .context("start nhacviec run")?,
            );
        }
        Ok(Self(children))
    }

    /// Resident memory of each daemon, in MB.
    fn rss_mb(&self) -> Vec<f64> {
        self.0
            .iter()
            .map(|child| {
                let status =
                    std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                    .map_or(0.0, |kb| kb / 1024.0)
            })
            .collect()
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for child in &self.0 {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        }
        for child in &mut self.0 {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The bench config on `store_url`, reminders by webhook to `receiver`, sent as soon as
/// due whatever the hour; everything else the shipped defaults.
fn config(
    store_url: String,
    receiver: &HttpReceiver,
    dir: &Path,
    name: &str,
) -> anyhow::Result<(ConfigSpec, PathBuf)> {
    let mut spec = ConfigSpec::new(store_url);
    spec.schedule = Schedule::AllDay;
    spec.channels = &["chat"];
    spec.webhook_url = receiver.url();
    spec.departments = support::dispatch::DEPARTMENTS;
    let path = dir.join(name);
    std::fs::write(&path, spec.text())?;
    Ok((spec, path))
}

/// Waits until `receiver` counted `expected` more than `before`; the rate from the first
/// message to the last.
async fn measure(receiver: &HttpReceiver, before: u64, expected: u64) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut first = None;
    loop {
        let received = receiver.count() - before;
        if received > 0 && first.is_none() {
            first = Some(Instant::now());
        }
        if received >= expected {
            let elapsed = first.map_or(0.0, |f| f.elapsed().as_secs_f64());
            return Ok(expected as f64 / elapsed.max(1e-3));
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("only {received} of {expected} received in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn dispatch(report: &mut Report) -> anyhow::Result<()> {
    const SECTION: &str = "dispatch";
    let items: usize = env_number("NHACVIEC_BENCH_CLUSTER_ITEMS", 30_000);
    let receiver = HttpReceiver::start()?;
    let dir = tempfile::tempdir()?;
    let mut rates = Vec::new();
    for (engine, daemons) in [("sqlite", 1), ("postgres", 1), ("postgres", 2), ("postgres", 3)] {
        let database = match engine {
            "postgres" => Some(Database::create("postgres").await),
            _ => None,
        };
        let url = match &database {
            Some(database) => database.url(),
            None => support::sqlite_url(&dir.path().join(format!("dispatch{daemons}.db"))),
        };
        let (spec, path) = config(url, &receiver, dir.path(), &format!("{engine}-{daemons}.toml"))?;
        let (_, store) = support::dispatch::prepare(&spec, items, Utc::now()).await?;
        store.close().await;
        let before = receiver.count();
        let running = Daemons::start(&path, daemons, dir.path())?;
        let rate = measure(&receiver, before, items as u64).await?;
        drop(running);
        let store = Store::open_existing(&spec.store_url).await?;
        let counts = store.outbox_counts().await?;
        store.close().await;
        let all_sent = counts.len() == 1 && counts[0].0 == "sent" && counts[0].1 == items as i64;
        let shown = counts.iter().map(|(s, n)| format!("{s}={n}")).collect::<Vec<_>>().join(" ");
        let repeats = receiver.count() - before - items as u64;
        println!(
            "  {engine}, {daemons} daemon(s): {} webhooks/s; outbox {shown}; repeats {repeats}",
            number(rate)
        );
        report.check(
            SECTION,
            format!("{engine} ×{daemons}: every reminder sent once"),
            all_sent && repeats == 0,
            shown,
            format!("sent={items}"),
        );
        rates.push(((engine, daemons), rate));
    }
    let rate = |engine: &str, daemons: usize| {
        rates.iter().find(|((e, d), _)| *e == engine && *d == daemons).map_or(0.0, |(_, r)| *r)
    };
    report.info(SECTION, "SQLite, 1 daemon", format!("{} webhooks/s", number(rate("sqlite", 1))));
    report.at_least(SECTION, "PostgreSQL, 1 daemon", rate("postgres", 1), "webhooks/s", 5_000.0);
    report.check(
        SECTION,
        "PostgreSQL, 2 daemons (more than 1)",
        rate("postgres", 2) > rate("postgres", 1),
        format!("{} webhooks/s", number(rate("postgres", 2))),
        format!("> {}", number(rate("postgres", 1))),
    );
    report.info(SECTION, "PostgreSQL, 3 daemons", format!("{} webhooks/s", number(rate("postgres", 3))));
    Ok(())
}

/// Tasks due a group a minute after `t0`, as the SQLite planning section lays them out.
const GROUPS: i64 = 10;
const PER_GROUP: i64 = 200;
const TASKS: i64 = 1_000_000;

async fn planning_postgres(report: &mut Report) -> anyhow::Result<()> {
    const SECTION: &str = "planning";
    let database = Database::create("postgres").await;
    let spec = ConfigSpec::new(database.url());
    let settings = spec.settings()?;
    let policy = Policy::from_settings(&settings);
    let store = Store::open(&database.url()).await?;
    // t0: a whole minute, in the past, so that nothing else is due at the ticks.
    let t0 = DateTime::from_timestamp(Utc::now().timestamp() / 60 * 60 - 3_600, 0).context("t0")?;
    let started = Instant::now();
    let mut connection = database.connect().await?;
    let departments = department_codes(support::dispatch::DEPARTMENTS);
    let departments = departments.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
    let t0_seconds = t0.timestamp();
    let today = local_date(t0);
    // Built by the server itself: a million rows in one statement. Every group-th task of
    // the first GROUPS × PER_GROUP × 50 is due at t0 + its group's minute, its deadline 10
    // days away; the rest next need planning 20 days to 2 years on.
    let fill = format!(
        "INSERT INTO directives (number, title, issuer, issued_on, created_at) \
           VALUES ('123/TB-UBND', 'Kết luận', 'UBND tỉnh Nam Định', DATE '{today}', {t0_seconds}); \
         INSERT INTO tasks (directive_id, section, summary, lead, deadline, deadline_precision, deadline_phrase, \
           status, created_at, next_reminder_at) \
         SELECT 1, '2', 'Nhiệm vụ ' || i || ': hoàn thiện hồ sơ đề án và báo cáo UBND tỉnh', \
           (ARRAY[{departments}])[1 + i % {departments_count}], \
           CASE WHEN due THEN DATE '{today}' + 10 ELSE DATE '{today}' + 20 + (i % 700) END, 'day', 'trong tháng', \
           'open', {t0_seconds}, \
           CASE WHEN due THEN {t0_seconds} + 60 * ((i / 50) % {GROUPS}) \
                ELSE {t0_seconds} + 86400 * (6 + i % 700) END \
         FROM (SELECT i, (i % 50 = 0 AND i < {due_span}) AS due FROM generate_series(0, {last}) AS i) s; \
         ANALYZE tasks;",
        departments_count = support::dispatch::DEPARTMENTS,
        due_span = GROUPS * PER_GROUP * 50,
        last = TASKS - 1,
    );
    connection.execute(sqlx::AssertSqlSafe(fill)).await?;
    println!("  1,000,000 tasks made by PostgreSQL in {:.1} s", started.elapsed().as_secs_f64());

    let mut busy = Vec::new();
    for group in 0..GROUPS {
        let now = t0 + chrono::Duration::seconds(60 * group + 1);
        let started = Instant::now();
        let planned = plan_due(&store, &settings, &policy, now).await?;
        busy.push(ms(started.elapsed()));
        if planned.tasks != PER_GROUP as usize {
            bail!("the tick at t0 + {group} min planned {} tasks, not {PER_GROUP}", planned.tasks);
        }
    }
    let mut empty = Vec::new();
    for _ in 0..20 {
        let now = t0 + chrono::Duration::seconds(60 * GROUPS + 1);
        let started = Instant::now();
        let planned = plan_due(&store, &settings, &policy, now).await?;
        empty.push(ms(started.elapsed()));
        if planned.tasks != 0 {
            bail!("a tick with nothing due planned {} tasks", planned.tasks);
        }
    }
    store.close().await;
    let (busy_median, busy_max) = median_max(&busy);
    let (empty_median, empty_max) = median_max(&empty);
    report.info(
        SECTION,
        "PostgreSQL: tick with 200 due, median",
        format!("{busy_median:.1} ms (max {busy_max:.1})"),
    );
    report.at_most(SECTION, "PostgreSQL: tick with nothing due, median", empty_median, "ms", 10.0);
    report.info(SECTION, "PostgreSQL: tick with nothing due, max", format!("{empty_max:.1} ms"));

    // How PostgreSQL reads the due tasks: the query of the store's `due_tasks` (kept in
    // step with src/store/sql/tasks.rs), as the planner locks it.
    let explain = format!(
        "EXPLAIN SELECT t.id FROM tasks t WHERE t.status = 'open' AND t.next_reminder_at IS NOT NULL \
         AND t.next_reminder_at <= {} ORDER BY t.next_reminder_at LIMIT 256 FOR UPDATE OF t SKIP LOCKED",
        t0_seconds + 60 * GROUPS
    );
    let plan: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(explain)).fetch_all(&mut connection).await?;
    for line in &plan {
        println!("    {line}");
    }
    let by_index =
        plan.iter().any(|l| l.contains("tasks_due")) && !plan.iter().any(|l| l.contains("Seq Scan"));
    report.check(SECTION, "PostgreSQL: due tasks read by index", by_index, "tasks_due", "no Seq Scan");
    Ok(())
}

async fn soak(report: &mut Report) -> anyhow::Result<()> {
    const SECTION: &str = "soak";
    let seconds: u64 = env_number("NHACVIEC_BENCH_SOAK_SECONDS", 1_800);
    let per_second: usize = env_number("NHACVIEC_BENCH_SOAK_RATE", 50);
    let database = Database::create("postgres").await;
    let receiver = HttpReceiver::start()?;
    let dir = tempfile::tempdir()?;
    let (spec, path) = config(database.url(), &receiver, dir.path(), "soak.toml")?;
    let settings = spec.settings()?;
    let policy = Policy::from_settings(&settings);
    let store = Store::open(&database.url()).await?;
    let daemons = Daemons::start(&path, 3, dir.path())?;
    let mut connection = database.connect().await?;
    let started = Instant::now();
    let mut samples: Vec<(f64, i64, i64, Vec<f64>)> = Vec::new();
    let mut added = 0usize;
    let mut next_sample = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        // A directive a second of `per_second` tasks, each due for a reminder at once.
        let now = Utc::now();
        let directive = support::dispatch::due_directive(&settings, &policy, added..added + per_second, now)?;
        store.add_directive(&directive, "bench", now).await?;
        added += per_second;
        if Instant::now() >= next_sample {
            let (dead, live): (i64, i64) = sqlx::query_as(
                "SELECT n_dead_tup, n_live_tup FROM pg_stat_user_tables WHERE relname = 'outbox'",
            )
            .fetch_one(&mut connection)
            .await?;
            let rss = daemons.rss_mb();
            let minute = started.elapsed().as_secs_f64() / 60.0;
            println!(
                "  {minute:5.1} min: {} tasks, {} received, outbox {live} live / {dead} dead, RSS {} MB",
                number(added as f64),
                number(receiver.count() as f64),
                rss.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>().join(" / ")
            );
            samples.push((minute, dead, live, rss));
            next_sample += Duration::from_secs(30);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Everything added is sent before the end.
    let deadline = Instant::now() + Duration::from_secs(120);
    while (receiver.count() as usize) < added && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(daemons);
    store.close().await;
    report.check(
        SECTION,
        "every reminder of the stream delivered",
        receiver.count() as usize >= added,
        number(receiver.count() as f64),
        format!("≥ {}", number(added as f64)),
    );
    if samples.len() < 6 {
        bail!("too short a soak to judge: {} samples", samples.len());
    }
    // Dead tuples: autovacuum keeps up when the worst of the second half is no worse than
    // the worst of the first (the stream is steady, the table grows).
    let half = samples.len() / 2;
    let worst = |range: &[(f64, i64, i64, Vec<f64>)]| {
        range.iter().map(|(_, dead, _, _)| *dead as f64).fold(0.0, f64::max)
    };
    let (first_half, second_half) = (worst(&samples[..half]), worst(&samples[half..]));
    report.info(SECTION, "outbox dead tuples, worst of the first half", number(first_half));
    report.at_most(
        SECTION,
        "outbox dead tuples, worst of the second half",
        second_half,
        "rows",
        first_half * 1.5 + 1_000.0,
    );
    let vacuums: i64 = sqlx::query_scalar(
        "SELECT autovacuum_count + vacuum_count FROM pg_stat_user_tables WHERE relname = 'outbox'",
    )
    .fetch_one(&mut connection)
    .await?;
    report.info(SECTION, "vacuums of the outbox during the soak", number(vacuums as f64));
    // RSS: the last third against the middle third (the first is warming up).
    let third = samples.len() / 3;
    let total = |range: &[(f64, i64, i64, Vec<f64>)]| -> Vec<f64> {
        range.iter().map(|(_, _, _, rss)| rss.iter().sum::<f64>()).collect()
    };
    let (middle, _) = median_max(&total(&samples[third..2 * third]));
    let (last, _) = median_max(&total(&samples[2 * third..]));
    report.info(SECTION, "RSS of the 3 daemons, middle third", format!("{middle:.1} MB"));
    report.at_most(SECTION, "RSS of the 3 daemons, last third", last, "MB", middle * 1.10 + 3.0);
    Ok(())
}
