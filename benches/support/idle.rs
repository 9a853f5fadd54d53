//! Section `idle`: the release binary running `run` on an empty store with a one-hour poll
//! interval: its memory, how often its threads wake, how often its loop goes to sleep, and
//! a clean exit on SIGTERM.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{ConfigSpec, Report, sqlite_url};

const SECTION: &str = "idle";
const RSS_TARGET_MB: f64 = 20.0;
const FIRST_SAMPLE: Duration = Duration::from_secs(3);
const WINDOW: Duration = Duration::from_secs(10);

/// The `nhacviec` binary built beside this bench (`target/release/nhacviec`).
fn daemon_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = option_env!("CARGO_BIN_EXE_nhacviec").map(PathBuf::from)
        && path.is_file()
    {
        return Ok(path);
    }
    let exe = std::env::current_exe().context("cannot find the bench's own path")?;
    exe.ancestors().skip(1).take(3).map(|dir| dir.join("nhacviec")).find(|path| path.is_file()).with_context(
        || format!("no nhacviec binary near {}: run `cargo build --release` first", exe.display()),
    )
}

/// Kills the daemon if the section ends early; only this child, by its handle.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub async fn run(report: &mut Report) -> anyhow::Result<()> {
    let binary = daemon_binary()?;
    let age = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map_or(String::new(), |d| format!(", built {} min ago", d.as_secs() / 60));
    println!("  binary {}{age}", binary.display());
    let dir = tempfile::tempdir().context("temp dir")?;
    let mut spec = ConfigSpec::new(sqlite_url(&dir.path().join("data/nhacviec.db")));
    spec.poll_interval = "1h";
    let config = dir.path().join("nhacviec.toml");
    std::fs::write(&config, spec.text()).context("cannot write the config")?;
    let log = dir.path().join("daemon.log");
    let log_file = std::fs::File::create(&log).context("cannot create the log file")?;

    let mut command = Command::new(&binary);
    command
        .arg("--config")
        .arg(&config)
        .arg("run")
        .current_dir(dir.path())
        .env("NHACVIEC_LOG", "nhacviec=debug")
        .env("RUST_BACKTRACE", "0")
        .env_remove("NHACVIEC_CONFIG")
        .env_remove("JOURNAL_STREAM")
        .env_remove("NOTIFY_SOCKET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("NHACVIEC__") {
            command.env_remove(key);
        }
    }
    let started = Instant::now();
    let mut daemon = Daemon(command.spawn().with_context(|| format!("cannot start {}", binary.display()))?);
    let pid = daemon.0.id();

    tokio::time::sleep(FIRST_SAMPLE.saturating_sub(started.elapsed())).await;
    if let Some(status) = daemon.0.try_wait()? {
        bail!("the daemon exited early ({status}): {}", read_log(&log));
    }
    let text = read_log(&log);
    if !text.contains("is running") {
        bail!("the daemon is not running after {FIRST_SAMPLE:?}: {text}");
    }
    let rss_kb = vm_rss_kb(pid).context("cannot read VmRSS")?;
    let sleeping_at_start = count_sleeping(&text);
    let first = thread_switches(pid);
    let threads_at_start = first.len();
    let mut base = first.clone();
    let mut last = first;
    let window_end = FIRST_SAMPLE + WINDOW;
    while started.elapsed() < window_end {
        let step = Duration::from_secs(1).min(window_end.saturating_sub(started.elapsed()));
        tokio::time::sleep(step).await;
        for (tid, switches) in thread_switches(pid) {
            base.entry(tid).or_insert(0);
            last.insert(tid, switches);
        }
    }
    let wakeups: u64 =
        last.iter().map(|(tid, n)| n.saturating_sub(base.get(tid).copied().unwrap_or(0))).sum();
    let threads_at_end = thread_switches(pid).len();
    let mut by_thread: Vec<(u32, u64)> =
        last.iter().map(|(tid, n)| (*tid, n.saturating_sub(base.get(tid).copied().unwrap_or(0)))).collect();
    by_thread.sort_unstable();
    for (tid, switches) in &by_thread {
        let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).unwrap_or_default();
        println!("  thread {tid} ({}): {switches} switches in t=3..13 s", name.trim());
    }
    let text = read_log(&log);
    let sleeping = count_sleeping(&text);

    let term = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().context("cannot run kill")?;
    if !term.success() {
        bail!("kill -TERM {pid} failed");
    }
    let stop_started = Instant::now();
    let status = loop {
        if let Some(status) = daemon.0.try_wait()? {
            break Some(status);
        }
        if stop_started.elapsed() > Duration::from_secs(15) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    let rss_mb = rss_kb as f64 / 1024.0;
    report.at_most(SECTION, "VmRSS after 3 s", rss_mb, "MB", RSS_TARGET_MB);
    let per_second = wakeups as f64 / WINDOW.as_secs_f64();
    report.at_most(SECTION, "context switches while idle (t=3..13 s)", per_second, "/s", 1.0);
    report.info(SECTION, "threads at t=3 s / t=13 s", format!("{threads_at_start} / {threads_at_end}"));
    report.check(SECTION, "'sleeping' log lines by t=13 s", sleeping == 1, sleeping.to_string(), "1");
    report.info(SECTION, "  of which in t=3..13 s", (sleeping - sleeping_at_start).to_string());
    match status {
        Some(status) => report.check(
            SECTION,
            "exit on SIGTERM",
            status.code() == Some(0),
            format!(
                "{} in {:.0} ms",
                status.code().map_or("signal".to_owned(), |c| format!("code {c}")),
                stop_started.elapsed().as_secs_f64() * 1000.0
            ),
            "code 0",
        ),
        None => report.check(SECTION, "exit on SIGTERM", false, "still running after 15 s", "code 0"),
    }
    Ok(())
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn count_sleeping(log: &str) -> usize {
    log.lines().filter(|line| line.contains("sleeping")).count()
}

fn status_field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|value| value.parse().ok())
}

fn vm_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_field(&status, "VmRSS")
}

/// Voluntary plus involuntary context switches of each thread of `pid`, by thread id.
fn thread_switches(pid: u32) -> HashMap<u32, u64> {
    let mut switches = HashMap::new();
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return switches;
    };
    for entry in entries.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let voluntary = status_field(&status, "voluntary_ctxt_switches").unwrap_or(0);
        let involuntary = status_field(&status, "nonvoluntary_ctxt_switches").unwrap_or(0);
        switches.insert(tid, voluntary + involuntary);
    }
    switches
}
