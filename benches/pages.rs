//! The web pages with 100,000 tasks in the store: each page's server-side time (its
//! `Server-Timing`), median and worst of 20 requests after 3 to warm up, against a target
//! of 50 ms. `nhacviec run` serves them on the shipped defaults; the store is a SQLite file
//! (and, with `-- postgres`, a PostgreSQL database as well) filled before it starts with
//! 2,000 directives of 50 tasks, led by 40 departments, due from two years ago to a year
//! ahead of today, two in five done (some late), one in five with a coordinating
//! department, and 50 extension requests waiting.
//!
//! `cargo bench --bench pages` (NHACVIEC_BENCH_PAGES_TASKS: tasks, default 100000).

#[allow(dead_code)]
#[path = "../tests/support/databases.rs"]
mod databases;
#[allow(dead_code)]
mod support;

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Days, Utc};
use nhacviec::domain::{Deadline, DepartmentCode, NewDirective, NewTask};
use nhacviec::store::Store;
use support::{ConfigSpec, Report, department_codes, env_number, local_date, median_max, number};

const BINARY: &str = env!("CARGO_BIN_EXE_nhacviec");
const LINK_KEY: &str = "khoa-ky-cua-bench-trang-web-dai-hon-32-ky-tu";
const OFFICE: &str = "chanh.vanphong@vpubnd.namdinh.example";
const DEPARTMENTS: usize = 40;
const TASKS_PER_DIRECTIVE: usize = 50;

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let postgres = std::env::args().skip(1).any(|a| a == "postgres");
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("the bench's runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut report = Report::default();
    println!("nhacviec pages bench: {} tasks", env_number("NHACVIEC_BENCH_PAGES_TASKS", 100_000usize));
    if let Err(error) = runtime.block_on(run(&mut report, "sqlite")) {
        report.failed("sqlite", &error);
    }
    if postgres && let Err(error) = runtime.block_on(run(&mut report, "postgres")) {
        report.failed("postgres", &error);
    }
    report.print_summary();
    if report.failures.is_empty() && report.figures.iter().all(|f| f.pass != Some(false)) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Fills `store` with the bench's tasks; returns a task and a directive to open.
async fn fill(store: &Store, tasks: usize) -> anyhow::Result<(i64, i64)> {
    let today = local_date(Utc::now());
    let codes = department_codes(DEPARTMENTS);
    let code = |i: usize| DepartmentCode::parse(&codes[i % DEPARTMENTS]).context("a bench department code");
    let started = Instant::now();
    let mut first = None;
    for d in 0..tasks.div_ceil(TASKS_PER_DIRECTIVE) {
        let issued_on = today.checked_sub_days(Days::new(800 - (d as u64 * 800) / 2000)).context("a date")?;
        let mut list = Vec::with_capacity(TASKS_PER_DIRECTIVE);
        for t in 0..TASKS_PER_DIRECTIVE.min(tasks - d * TASKS_PER_DIRECTIVE) {
            let n = d * TASKS_PER_DIRECTIVE + t;
            // From two years ago to a year ahead; one in ten without a deadline.
            let deadline = (!n.is_multiple_of(10))
                .then(|| {
                    today
                        .checked_sub_days(Days::new(730))
                        .and_then(|d| d.checked_add_days(Days::new((n * 7919 % 1095) as u64)))
                })
                .flatten()
                .map(|date| Deadline::parse(&date.to_string(), None))
                .transpose()?;
            list.push(NewTask {
                section: None,
                summary: format!(
                    "Nhiệm vụ số {n}: tham mưu, tổ chức thực hiện nội dung được giao tại văn bản"
                ),
                details: None,
                lead: code(n)?,
                coordinating: if n.is_multiple_of(5) { vec![code(n + 7)?] } else { vec![] },
                deadline,
                origin: None,
                recurrence: None,
                next_reminder_at: None,
            });
        }
        let directive = NewDirective {
            number: Some(format!("{}/TB-UBND", d + 1)),
            title: format!("Kết luận số {}", d + 1),
            issuer: "UBND tỉnh Nam Định".into(),
            issued_on,
            source: None,
            source_hash: None,
            tasks: list,
        };
        let (id, _) = store.add_directive(&directive, "bench", Utc::now()).await?;
        first.get_or_insert(id.0);
    }
    println!("  filled {tasks} tasks in {:.1} s", started.elapsed().as_secs_f64());
    Ok((tasks as i64 / 2, first.unwrap_or(1)))
}

async fn run(report: &mut Report, engine: &'static str) -> anyhow::Result<()> {
    let tasks = env_number("NHACVIEC_BENCH_PAGES_TASKS", 100_000usize);
    let folder = tempfile::tempdir()?;
    let database =
        if engine == "postgres" { Some(databases::Database::create("postgres").await) } else { None };
    let url = match &database {
        Some(database) => database.url(),
        None => support::sqlite_url(&folder.path().join("pages.db")),
    };
    let store = Store::open(&url).await?;
    let (task, directive) = fill(&store, tasks).await?;
    // Two tasks in five done: on the deadline, or a few days after it.
    let done =
        "UPDATE tasks SET status = 'done', done_on = deadline WHERE id % 5 = 1 AND deadline IS NOT NULL";
    let late = if engine == "postgres" {
        "UPDATE tasks SET status = 'done', done_on = deadline + 3 WHERE id % 5 = 2 AND deadline IS NOT NULL"
    } else {
        "UPDATE tasks SET status = 'done', done_on = date(deadline, '+3 days') WHERE id % 5 = 2 AND deadline IS NOT NULL"
    };
    match &database {
        Some(database) => {
            let mut connection = database.connect().await?;
            for statement in [done, late, "VACUUM ANALYZE"] {
                sqlx::Executor::execute(&mut connection, statement).await?;
            }
        }
        None => {
            let pool = sqlx::SqlitePool::connect(&url).await?;
            for statement in [done, late, "ANALYZE"] {
                sqlx::query(statement).execute(&pool).await?;
            }
            pool.close().await;
        }
    }
    store.close().await;
    // The daemon, on the shipped defaults, with the pages on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let mut spec = ConfigSpec::new(url.clone());
    spec.departments = DEPARTMENTS;
    let config = spec.text()
        + &format!(
            "\n[http]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{base}/\"\nlink_key = \"{LINK_KEY}\"\n\
             [pages]\n[[pages.people]]\nemail = \"{OFFICE}\"\nrole = \"office\"\ndepartment = \"vp-ubnd\"\n"
        );
    let path = folder.path().join("nhacviec.toml");
    std::fs::write(&path, config)?;
    let mut daemon = Command::new(BINARY)
        .args(["--config", path.to_str().context("a path")?, "run"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let result = measure(report, engine, &base, task, directive).await;
    let _ = daemon.kill();
    let _ = daemon.wait();
    drop(database);
    result
}

async fn measure(
    report: &mut Report,
    engine: &'static str,
    base: &str,
    task: i64,
    directive: i64,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let started = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the daemon did not answer within a minute");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let signer = nhacviec::links::LinkSigner::new(LINK_KEY.to_owned().into());
    let expires = Utc::now() + chrono::Duration::hours(2);
    let office = format!("nhacviec_session={}", signer.session_token(OFFICE, expires));
    let head = format!("nhacviec_session={}", signer.session_token("vanthu@so-07.namdinh.example", expires));
    let pages: Vec<(&str, String, &str)> = vec![
        ("board", "/board".into(), &office),
        ("board, one department", "/board?department=so-07".into(), &office),
        ("board, one directive", format!("/board?directive={directive}"), &office),
        ("board, a period", "/board?from=2025-01-01&to=2025-03-31".into(), &office),
        ("list: overdue", "/board/list?status=overdue".into(), &office),
        ("list: done late", "/board/list?status=done_late".into(), &office),
        (
            "list: one department, due soon",
            "/board/list?status=due_within_7_days&department=so-07".into(),
            &office,
        ),
        ("desk (2,500 tasks led, 500 coordinated)", "/desk".into(), &head),
        ("task", format!("/tasks/{task}"), &office),
        ("directive (50 tasks)", format!("/directives/{directive}"), &office),
        ("extension requests", "/extensions".into(), &office),
        ("import review", "/imports".into(), &office),
    ];
    let section: &'static str = engine;
    println!("== {engine}: server-side time of each page (median of 20, worst) ==");
    for (name, path, cookie) in pages {
        let mut samples = Vec::new();
        for i in 0..23 {
            let response = http.get(format!("{base}{path}")).header("cookie", cookie).send().await?;
            let status = response.status();
            let timing = response
                .headers()
                .get("server-timing")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split("dur=").nth(1))
                .and_then(|v| v.parse::<f64>().ok());
            let body = response.bytes().await?;
            if status != reqwest::StatusCode::OK {
                bail!("{path} answered {status}: {}", String::from_utf8_lossy(&body));
            }
            let Some(ms) = timing else { bail!("{path} has no Server-Timing") };
            if i >= 3 {
                samples.push(ms);
            }
        }
        let (median, worst) = median_max(&samples);
        report.at_most(section, format!("{name} (worst {} ms)", number(worst)), median, "ms", 50.0);
    }
    Ok(())
}
