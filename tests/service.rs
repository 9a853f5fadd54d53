//! The daemon as a systemd service: readiness, watchdog, status, reload and stop, as seen
//! on a notify socket; and SIGHUP with a valid and an invalid config.

mod support;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use support::{ConfigParts, SmtpServer, TestEnv, days_from_today, requests, wait_for};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const WAIT: Duration = Duration::from_secs(30);

/// The notify messages received so far, one string each.
fn drain(socket: &UnixDatagram, into: &mut Vec<String>) {
    let mut buffer = [0u8; 4096];
    while let Ok(n) = socket.recv(&mut buffer) {
        into.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn it_tells_systemd_ready_watchdog_status_reloading_and_stopping() {
    let env = TestEnv::new(ConfigParts::default());
    let path = env.path("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket.set_nonblocking(true).unwrap();
    let mut daemon =
        env.spawn_daemon_with(&[("NOTIFY_SOCKET", path.to_str().unwrap()), ("WATCHDOG_USEC", "600000")]);
    let mut messages = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1_500) {
        drain(&socket, &mut messages);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = messages.join("\n");
    assert!(messages.iter().any(|m| m.contains("READY=1")), "{all}\n{}", daemon.log());
    assert!(messages.iter().filter(|m| m.contains("WATCHDOG=1")).count() >= 3, "{all}");
    assert!(messages.iter().any(|m| m.contains("STATUS=0 reminders waiting")), "{all}");

    daemon.signal("HUP");
    wait_for("reloading then ready", WAIT, || {
        drain(&socket, &mut messages);
        let reloading = messages.iter().position(|m| m.contains("RELOADING=1"))?;
        messages[reloading..].iter().any(|m| m.contains("READY=1")).then_some(())
    })
    .await;
    assert!(
        messages.iter().any(|m| m.contains("RELOADING=1") && m.contains("MONOTONIC_USEC=")),
        "{messages:?}"
    );

    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(WAIT).await, Some(0));
    drain(&socket, &mut messages);
    assert!(messages.iter().any(|m| m.contains("STOPPING=1")), "{messages:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_applies_a_valid_config_and_keeps_the_running_one_when_invalid() {
    let smtp = SmtpServer::start();
    let broken = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&broken).await;
    let working = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&working).await;
    let env = TestEnv::new(ConfigParts {
        smtp_port: smtp.port,
        webhook_url: format!("{}/hook", broken.uri()),
        max_attempts: 50,
        ..ConfigParts::default()
    });
    env.add_task("ubnd-tpnd", &[], days_from_today(5));
    let mut daemon = env.spawn_daemon();
    requests(&broken, 1, WAIT).await;

    // An invalid config is refused with its reasons; the daemon goes on with the old one.
    let good = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(&env.config, good.replace("send_at = \"00:00\"", "send_at = \"soon\"")).unwrap();
    daemon.signal("HUP");
    wait_for("the refusal logged", WAIT, || daemon.log().contains("config not reloaded").then_some(())).await;
    assert!(daemon.log().contains("schedule.send_at: 'soon' is not a time of day"), "{}", daemon.log());
    requests(&broken, 2, WAIT).await;
    assert!(daemon.child.try_wait().unwrap().is_none());

    // A valid one takes effect without a restart: the retries now reach the new URL.
    std::fs::write(&env.config, good.replace(&broken.uri(), &working.uri())).unwrap();
    daemon.signal("HUP");
    wait_for("the reload logged", WAIT, || daemon.log().contains("config reloaded").then_some(())).await;
    let item =
        wait_for("the item sent", WAIT, || env.outbox().into_iter().find(|i| i["state"] == "sent")).await;
    assert_eq!(requests(&working, 1, WAIT).await.len(), 1);
    assert!(item["attempts"].as_i64().unwrap() >= 3, "{item:#}");
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(WAIT).await, Some(0));
}

/// GET over plain HTTP/1.1 on loopback: (status, body).
async fn get(address: &str, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// The metrics text parsed by `prometheus-parse`, after checking every line is a comment,
/// a sample or empty; each sample as `name{labels}` → value.
fn parse_metrics(text: &str) -> std::collections::BTreeMap<String, f64> {
    use prometheus_parse::{LineInfo, Scrape, Value};
    for line in text.lines() {
        let known = !matches!(LineInfo::parse(line), LineInfo::Ignored) || line.starts_with('#');
        assert!(known, "not a Prometheus text line: {line:?}");
    }
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text");
    let mut samples = std::collections::BTreeMap::new();
    for sample in scrape.samples {
        let mut labels: Vec<String> = sample.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        labels.sort();
        let name = format!("{}{{{}}}", sample.metric, labels.join(","));
        let value = match sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => 0.0,
        };
        samples.insert(name, value);
    }
    samples
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_metrics_are_served_over_http() {
    let smtp = SmtpServer::start();
    let webhook = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let port = support::free_port();
    let env = TestEnv::new(ConfigParts {
        smtp_port: smtp.port,
        webhook_url: format!("{}/hook", webhook.uri()),
        extra: format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"),
        ..ConfigParts::default()
    });
    let mut daemon = env.spawn_daemon();
    let address = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let health = loop {
        if let Some(answer) = get(&address, "/healthz").await {
            break answer;
        }
        assert!(started.elapsed() < WAIT, "the HTTP server never answered\n{}", daemon.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(health, (200, "ok\n".to_owned()));
    daemon.wait_running().await;

    // Before any reminder: every channel's counters are there, at 0, for each rule of the
    // schedule, so that rate() and alerts on their absence work from the start.
    let (status, text) = get(&address, "/metrics").await.unwrap();
    assert_eq!(status, 200);
    let before = parse_metrics(&text);
    let sent = "nhacviec_reminders_sent_total{channel=\"email\",rule=\"before:7d\"}";
    for name in [
        sent,
        "nhacviec_reminders_sent_total{channel=\"chat\",rule=\"escalate\"}",
        "nhacviec_reminders_failed_total{channel=\"email\",rule=\"due\"}",
        "nhacviec_reminders_dead_total{channel=\"chat\",rule=\"before:14d\"}",
    ] {
        assert_eq!(before.get(name), Some(&0.0), "{name} in:\n{text}");
    }

    env.add_task("snv", &["ubnd-tpnd"], days_from_today(7));
    wait_for("both sent", WAIT, || {
        (env.outbox().iter().filter(|i| i["state"] == "sent").count() == 2).then_some(())
    })
    .await;
    let (status, body) = get(&address, "/readyz").await.unwrap();
    assert_eq!((status, body.as_str()), (200, "ready\n"), "{}", daemon.log());
    let (status, text) = get(&address, "/metrics").await.unwrap();
    assert_eq!(status, 200);
    let after = parse_metrics(&text);
    for (name, value) in [
        (sent, 1.0),
        ("nhacviec_reminders_sent_total{channel=\"chat\",rule=\"before:7d\"}", 1.0),
        ("nhacviec_reminders_planned_total{channel=\"email\",rule=\"before:7d\"}", 1.0),
        ("nhacviec_outbox_pending{}", 0.0),
        ("nhacviec_outbox_oldest_pending_age_seconds{}", 0.0),
    ] {
        assert_eq!(after.get(name), Some(&value), "{name} in:\n{text}");
    }
    // Every metric says what it is.
    for name in
        ["nhacviec_reminders_sent_total", "nhacviec_outbox_pending", "nhacviec_delivery_duration_seconds"]
    {
        assert!(text.contains(&format!("# HELP {name} ")), "no HELP for {name} in:\n{text}");
    }
    // Two deliveries timed; the last tick is recent.
    assert!(text.contains("# TYPE nhacviec_delivery_duration_seconds histogram"), "{text}");
    assert_eq!(
        after.get("nhacviec_delivery_duration_seconds_count{channel=\"email\"}").copied(),
        Some(1.0),
        "{text}"
    );
    let tick = after.get("nhacviec_last_tick_timestamp_seconds{}").copied().unwrap_or(0.0);
    assert!((chrono::Utc::now().timestamp() as f64 - tick).abs() < 60.0, "{text}");
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(WAIT).await, Some(0));
}
