//! Crash safety: 10,000 reminders due, the daemon killed with SIGKILL at random moments and
//! restarted, and at the end every reminder delivered, each repeat with its key, and no more
//! repeats than sends in flight at the kills.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use support::{ConfigParts, SmtpServer, TestEnv, wait_for};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TASKS: usize = 5_000;

/// A small deterministic generator, seeded from the clock and printed, so a failing run can
/// be replayed by setting NHACVIEC_CRASH_SEED.
struct Random(u64);

impl Random {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn count_by_key(keys: impl Iterator<Item = String>) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for key in keys {
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_at_random_moments_the_daemon_loses_nothing_and_repeats_only_what_was_in_flight() {
    let seed = std::env::var("NHACVIEC_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64));
    println!("seed {seed}");
    let mut random = Random(seed);
    let smtp = SmtpServer::start();
    let webhook = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let env = TestEnv::new(ConfigParts {
        smtp_port: smtp.port,
        webhook_url: format!("{}/hook", webhook.uri()),
        max_attempts: 20,
        ..ConfigParts::default()
    });
    // 5,000 tasks, each reminding snv by email and ubnd-tpnd by webhook: 10,000 reminders.
    env.add_tasks(TASKS, "snv", &["ubnd-tpnd"]);

    let started = Instant::now();
    let mut in_flight_at_kills = 0;
    let kills = 4;
    for kill in 0..kills {
        let mut daemon = env.spawn_daemon();
        tokio::time::sleep(Duration::from_millis(300 + random.next(1_500))).await;
        daemon.signal("KILL");
        daemon.wait_exit(Duration::from_secs(30)).await;
        let outbox = env.outbox_all();
        let sending = outbox.iter().filter(|i| i["state"] == "sending").count();
        let sent = outbox.iter().filter(|i| i["state"] == "sent").count();
        println!("kill {}: {sent} sent, {sending} in flight", kill + 1);
        in_flight_at_kills += sending;
    }
    let _daemon = env.spawn_daemon();
    wait_for("every reminder sent", Duration::from_secs(150), || {
        let outbox = env.outbox_all();
        (outbox.len() == 2 * TASKS && outbox.iter().all(|i| i["state"] == "sent")).then_some(())
    })
    .await;
    wait_for("the receivers to have them all", Duration::from_secs(30), || {
        (smtp.messages().len() >= TASKS).then_some(())
    })
    .await;

    let emails =
        count_by_key(smtp.messages().iter().map(|m| m["message_id"].as_str().unwrap_or("").to_owned()));
    let hooks =
        count_by_key(webhook.received_requests().await.unwrap().iter().map(|r| {
            r.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
        }));
    let delivered = emails.len() + hooks.len();
    let repeats: usize = emails.values().chain(hooks.values()).map(|n| n - 1).sum();
    let lost = 2 * TASKS - delivered;
    println!(
        "reminders: {}, delivered: {delivered}, lost: {lost}, repeats: {repeats}, in flight at {kills} kills: {in_flight_at_kills}, {:.1} s",
        2 * TASKS,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(lost, 0);
    assert!(emails.keys().all(|k| k.starts_with("<t") && k.ends_with("@namdinh.example>")));
    assert!(hooks.keys().all(|k| k.starts_with('t') && k.ends_with(".chat")));
    assert!(repeats <= in_flight_at_kills, "{repeats} repeats > {in_flight_at_kills} in flight");
}

trait OutboxAll {
    fn outbox_all(&self) -> Vec<Value>;
}

impl OutboxAll for TestEnv {
    fn outbox_all(&self) -> Vec<Value> {
        self.json(&["outbox", "list", "--limit", "100000"]).as_array().cloned().unwrap_or_default()
    }
}
