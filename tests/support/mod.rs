//! The test harness: a temporary store and config, a real SMTP server (aiosmtpd) and a
//! real HTTP receiver (wiremock) on loopback, the `nhacviec` binary run as a process, and
//! helpers that read what arrived. Each test is a short story on top of it.

#![allow(dead_code)]

pub mod databases;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use serde_json::Value;
use tempfile::TempDir;

pub const BINARY: &str = env!("CARGO_BIN_EXE_nhacviec");

/// Today in Vietnam, the zone of every test config.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).date_naive()
}

pub fn days_from_today(days: u64) -> NaiveDate {
    today().checked_add_days(Days::new(days)).expect("date in range")
}

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn wait_for<T>(what: &str, timeout: Duration, check: impl FnMut() -> Option<T>) -> T {
    wait_or_explain(what, timeout, check, String::new).await
}

/// `wait_for`, with `explain()` in the failure.
async fn wait_or_explain<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
    explain: impl Fn() -> String,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}\n{}", explain());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the HTTP receiver got at least `count` requests, and returns them all.
pub async fn requests(
    server: &wiremock::MockServer,
    count: usize,
    timeout: Duration,
) -> Vec<wiremock::Request> {
    let started = Instant::now();
    loop {
        let received = server.received_requests().await.unwrap_or_default();
        if received.len() >= count {
            return received;
        }
        assert!(started.elapsed() < timeout, "timed out after {timeout:?} waiting for {count} request(s)");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A real SMTP server on loopback that records each message, parsed by Python's `email`.
pub struct SmtpServer {
    pub port: u16,
    pub out: PathBuf,
    child: Child,
    _dir: TempDir,
}

impl SmtpServer {
    pub fn start() -> Self {
        Self::start_with(&[], None)
    }

    /// `reject` lists recipients the server answers with a permanent 550; with `auth`
    /// (`user:password`) the server requires AUTH.
    pub fn start_with(reject: &[&str], auth: Option<&str>) -> Self {
        Self::start_on(free_port(), reject, auth)
    }

    /// A server that offers STARTTLS with this certificate and key, and requires it.
    pub fn start_tls(cert: &Path, key: &Path) -> Self {
        let tls = format!("{}:{}", cert.display(), key.display());
        Self::start_args(free_port(), &[], None, Some(&tls))
    }

    /// On a given port, e.g. one a daemon was told of while nothing listened there.
    pub fn start_on(port: u16, reject: &[&str], auth: Option<&str>) -> Self {
        Self::start_args(port, reject, auth, None)
    }

    fn start_args(port: u16, reject: &[&str], auth: Option<&str>, tls: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("received.jsonl");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mut command = Command::new("python3");
        command.arg(script).arg(port.to_string()).arg(&out);
        for address in reject {
            command.arg("--reject-rcpt").arg(address);
        }
        if let Some(auth) = auth {
            command.arg("--auth").arg(auth);
        }
        if let Some(tls) = tls {
            command.arg("--starttls").arg(tls);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the SMTP server (pip install aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("SMTP server output");
        assert_eq!(
            line.trim(),
            "READY",
            "the SMTP server did not start (is aiosmtpd installed? pip install aiosmtpd)"
        );
        Self { port, out, child, _dir: dir }
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary home for one test: config, store and directive files.
pub struct TestEnv {
    pub dir: TempDir,
    pub config: PathBuf,
}

/// The parts of a test config that tests vary.
pub struct ConfigParts {
    pub smtp_port: u16,
    pub webhook_url: String,
    pub max_attempts: u32,
    pub extra: String,
    /// The store, when not a SQLite file in the test's folder.
    pub store_url: Option<String>,
}

impl Default for ConfigParts {
    fn default() -> Self {
        Self {
            smtp_port: 9,
            webhook_url: "http://127.0.0.1:9/hook".into(),
            max_attempts: 5,
            extra: String::new(),
            store_url: None,
        }
    }
}

impl TestEnv {
    pub fn new(parts: ConfigParts) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("nhacviec.toml");
        let store = dir.path().join("data/nhacviec.db");
        // Send at midnight with a whole-day window, every day: whatever the hour the test
        // runs, today's reminder is already due and may go out at once.
        let text = format!(
            r#"
timezone = "Asia/Ho_Chi_Minh"
[store]
url = "{store}"
[schedule]
send_at = "00:00"
send_window = ["00:00", "23:59"]
working_days_only = false
before = ["14d", "7d", "3d", "1d"]
on_due_date = true
overdue_every = "3d"
escalate_after = "7d"
poll_interval = "1s"
[calendar]
# Deadlines stay on the day written, whatever day of the week the test runs.
deadline_on_day_off = "keep"
[delivery]
max_attempts = {max_attempts}
retry_initial = "1s"
retry_max = "2s"
shutdown_grace = "10s"
lease = "30s"
[channels.email]
kind = "smtp"
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
from = "Nhắc việc <nhacviec@namdinh.example>"
timeout = "5s"
[channels.chat]
kind = "webhook"
url = "{webhook_url}"
timeout = "5s"
[[departments]]
code = "snv"
name = "Sở Nội vụ"
aliases = ["SNV", "Nội vụ"]
emails = ["vanthu@snv.namdinh.example"]
channels = ["email"]
escalate_to = "vp-ubnd"
[[departments]]
code = "ubnd-tpnd"
name = "UBND thành phố Nam Định"
emails = ["vanthu@tpnd.namdinh.example"]
channels = ["chat"]
escalate_to = "vp-ubnd"
[[departments]]
code = "vp-ubnd"
name = "Văn phòng UBND tỉnh"
emails = ["vanthu@vpubnd.namdinh.example"]
channels = ["email"]
{extra}
"#,
            store = parts.store_url.unwrap_or_else(|| format!("sqlite://{}", store.display())),
            max_attempts = parts.max_attempts,
            smtp_port = parts.smtp_port,
            webhook_url = parts.webhook_url,
            extra = parts.extra,
        );
        std::fs::write(&config, text).expect("write config");
        Self { dir, config }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// Runs a CLI command to completion.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(BINARY)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env_remove("NHACVIEC_CONFIG")
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run nhacviec")
    }

    /// Runs a CLI command that must succeed, returning its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        assert!(
            output.status.success(),
            "nhacviec {args:?} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&args)).expect("JSON output")
    }

    /// Adds a directive with one task led by `lead`, coordinated by `coordinating`.
    pub fn add_task(&self, lead: &str, coordinating: &[&str], deadline: NaiveDate) {
        let coordinating = coordinating.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let text = format!(
            r#"
[directive]
number = "123/TB-UBND"
title = "Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc với thành phố Nam Định"
issuer = "UBND tỉnh Nam Định"
issued_on = "2021-09-21"
[[tasks]]
section = "3"
summary = "Xây dựng Đề án mở rộng địa giới hành chính TP Nam Định"
lead = "{lead}"
coordinating = [{coordinating}]
deadline = "{deadline}"
deadline_phrase = "trong tháng"
"#
        );
        let file = self.write("directive.toml", &text);
        self.ok(&["directive", "add", file.to_str().expect("path")]);
    }

    /// Adds one directive of `count` tasks led by `lead`, coordinated by `coordinating`,
    /// each due in 7 days: today's reminder of each is due at once.
    pub fn add_tasks(&self, count: usize, lead: &str, coordinating: &[&str]) {
        let coordinating = coordinating.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let mut text = String::from(
            "[directive]\ntitle = \"Kết luận\"\nissuer = \"UBND tỉnh Nam Định\"\nissued_on = \"2026-01-05\"\n",
        );
        let deadline = days_from_today(7);
        for i in 0..count {
            text.push_str(&format!(
                "[[tasks]]\nsummary = \"Nhiệm vụ {i}\"\nlead = \"{lead}\"\ncoordinating = [{coordinating}]\ndeadline = \"{deadline}\"\n"
            ));
        }
        let file = self.write("tasks.toml", &text);
        self.ok(&["directive", "add", file.to_str().expect("path")]);
    }

    pub fn outbox(&self) -> Vec<Value> {
        self.json(&["outbox", "list"]).as_array().cloned().unwrap_or_default()
    }

    /// Starts `nhacviec run`, its log going to a file in the test's folder.
    pub fn spawn_daemon(&self) -> DaemonProcess {
        self.spawn_daemon_with(&[])
    }

    /// Starts `nhacviec run` with more environment variables.
    pub fn spawn_daemon_with(&self, env: &[(&str, &str)]) -> DaemonProcess {
        self.spawn_daemon_from(&self.config, env)
    }

    /// A copy of the config named `name`, each `(from, to)` replaced and `more` added at
    /// the end: another daemon's config on the same store.
    pub fn config_variant(&self, name: &str, replace: &[(&str, &str)], more: &str) -> PathBuf {
        let mut text = std::fs::read_to_string(&self.config).expect("read config");
        for (from, to) in replace {
            assert!(text.contains(from), "the config has no {from:?}");
            text = text.replace(from, to);
        }
        text.push_str(more);
        self.write(name, &text)
    }

    /// Starts `nhacviec run` on the config at `config`.
    pub fn spawn_daemon_from(&self, config: &Path, env: &[(&str, &str)]) -> DaemonProcess {
        // Each start its own log, so that none overwrites another's.
        static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let start = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = self.path(&format!("daemon-{start}.log"));
        let log_file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(BINARY)
            .arg("--config")
            .arg(config)
            .arg("run")
            .env("NHACVIEC_LOG", "info,nhacviec=debug")
            .env("RUST_BACKTRACE", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start nhacviec run");
        DaemonProcess { child, log }
    }
}

pub struct DaemonProcess {
    pub child: Child,
    pub log: PathBuf,
}

impl DaemonProcess {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `wait_for`, with this daemon's log in the failure.
    pub async fn wait_for<T>(&self, what: &str, timeout: Duration, check: impl FnMut() -> Option<T>) -> T {
        wait_or_explain(what, timeout, check, || self.log()).await
    }

    /// Waits until the daemon has planned every task and runs its loop.
    pub async fn wait_running(&self) {
        self.wait_for("the daemon to run", Duration::from_secs(30), || {
            self.log().contains("nhacviec is running").then_some(())
        })
        .await
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit and returns its exit code.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let child = &mut self.child;
        wait_for("the daemon to exit", timeout, || child.try_wait().expect("try_wait")).await.code()
    }

    /// CPU time the process has used so far (user and system).
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> =
            stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        Duration::from_millis((ticks(11) + ticks(12)) * 10)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every secret any test configures: no daemon log may ever show one.
pub const SECRETS: [&str; 6] = [
    "mật-khẩu-bí-mật",
    "khóa-bí-mật",
    "TOPSECRET",
    "123:ABC",
    "123:SECRET",
    "khoa-ky-lien-ket-dai-hon-ba-muoi-hai-ky-tu",
];

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        self.kill();
        if !std::thread::panicking() {
            let log = self.log();
            for secret in SECRETS {
                assert!(!log.contains(secret), "a secret is in the daemon's log:\n{log}");
            }
        }
    }
}

/// A webhook receiver on loopback that answers 200 after `delay`: a send stays in flight
/// that long.
pub async fn webhook_receiver(delay: Duration) -> wiremock::MockServer {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(delay))
        .mount(&server)
        .await;
    server
}
