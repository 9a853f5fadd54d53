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
