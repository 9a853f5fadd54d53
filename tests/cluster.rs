//! Several daemons on one PostgreSQL store, as processes: the work shared and taken over
//! when one is killed, a change made through one delivered by another at once, and the
//! database lost for ten seconds under load. Each test has a database of its own on the
//! server at 127.0.0.1:5432, dropped after.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};
use support::databases::Database;
use support::{ConfigParts, DaemonProcess, TestEnv, days_from_today, free_port, wait_for};
use wiremock::MockServer;

const TOKEN: &str = "nv_write_token_for_the_cluster";

/// Each test runs several daemons: one test at a time, so that none is slowed by another's
/// on a small machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How many times each key came to `receiver`.
async fn keys_received(receiver: &MockServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for request in receiver.received_requests().await.unwrap_or_default() {
        let key =
            request.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// A test home whose store is `database`, its reminders to `receiver`.
fn cluster_env(database: &Database, receiver: &MockServer) -> TestEnv {
    TestEnv::new(ConfigParts {
        webhook_url: format!("{}/hook", receiver.uri()),
        max_attempts: 20,
        store_url: Some(database.url()),
        ..ConfigParts::default()
    })
}

/// The HTTP face of a daemon on `port`, with the write token.
fn http_section(port: u16) -> String {
    format!(
        "[http]\nlisten = \"127.0.0.1:{port}\"\n[[http.tokens]]\nname = \"e-office\"\nsha256 = \"{}\"\nscope = \"write\"\n",
        hex::encode(Sha256::digest(TOKEN.as_bytes()))
    )
}

fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn sent(database: &Database) -> i64 {
    database.number("SELECT count(*) FROM outbox WHERE state = 'sent'").await
}

#[tokio::test(flavor = "multi_thread")]
async fn three_daemons_share_ten_thousand_reminders_and_take_over_the_batch_of_one_killed() {
    const TASKS: usize = 10_000;
    let _alone = ONE_AT_A_TIME.lock().await;
    let database = Database::create("postgres").await;
    let receiver = support::webhook_receiver(Duration::ZERO).await;
    let env = cluster_env(&database, &receiver);
    // A short lease, so that the takeover is seen within the test.
    let config = env.config_variant("cluster.toml", &[("lease = \"30s\"", "lease = \"15s\"")], "");
    env.ok(&["migrate"]);
    env.add_tasks(TASKS, "ubnd-tpnd", &[]);

    let started = Instant::now();
    let mut daemons: Vec<DaemonProcess> = (0..3).map(|_| env.spawn_daemon_from(&config, &[])).collect();
    // Killed mid-run: the daemon holding the most claims once a fifth is sent.
    wait_for("a fifth of the reminders sent", Duration::from_secs(120), || {
        let sent = block_on_here(sent(&database));
        (sent >= TASKS as i64 / 5).then_some(())
    })
    .await;
    let mut owners = Vec::new();
    for _ in 0..500 {
        owners = database
            .texts("SELECT owner FROM outbox WHERE state = 'sending' GROUP BY owner ORDER BY count(*) DESC")
            .await;
        if !owners.is_empty() {
            break;
        }
    }
    let killed_owner = owners.first().cloned().expect("a daemon holds claims mid-run");
    let pid: u32 =
        killed_owner.split(':').nth(1).and_then(|p| p.parse().ok()).expect("owner host:pid:random");
    let killed = daemons.iter().position(|d| d.child.id() == pid).expect("the owner is one of the three");
    daemons[killed].signal("KILL");
    let killed_at = Instant::now();
    daemons[killed].wait_exit(Duration::from_secs(10)).await;
    let leased: HashSet<String> = database
        .texts(&format!("SELECT key FROM outbox WHERE state = 'sending' AND owner = '{killed_owner}'"))
        .await
        .into_iter()
        .collect();

    // The survivors take over the dead daemon's batch once its lease runs out.
    let mut taken_over = None;
    wait_for("every reminder sent", Duration::from_secs(120), || {
        let held = block_on_here(database.number(&format!(
            "SELECT count(*) FROM outbox WHERE state = 'sending' AND owner = '{killed_owner}'"
        )));
        if held == 0 && taken_over.is_none() {
            taken_over = Some(killed_at.elapsed());
        }
        (block_on_here(sent(&database)) == TASKS as i64).then_some(())
    })
    .await;
    let taken_over = taken_over.unwrap_or_default();
    let elapsed = started.elapsed();
    let shares =
        database.texts("SELECT owner || ' ' || count(*) FROM outbox GROUP BY owner ORDER BY owner").await;

    let counts = keys_received(&receiver).await;
    let delivered = counts.len();
    let repeats: usize = counts.values().map(|n| n - 1).sum();
    let repeated: Vec<&String> = counts.iter().filter(|(_, n)| **n > 1).map(|(k, _)| k).collect();
    let outbox_keys: HashSet<String> = database.texts("SELECT key FROM outbox").await.into_iter().collect();
    println!(
        "reminders: {TASKS}, delivered: {delivered}, lost: {}, repeats: {repeats}, leased by the killed daemon: {}, \
         taken over {:.1} s after the kill (lease 15 s), all sent in {:.1} s; sent last by each daemon: {shares:?}",
        TASKS - delivered,
        leased.len(),
        taken_over.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    assert_eq!(delivered, TASKS, "every reminder delivered");
    assert!(counts.keys().all(|key| !key.is_empty()), "every request carries its key");
    // A repeat is one of the killed daemon's leased batch, with its key.
    for key in &repeated {
        assert!(leased.contains(*key), "{key} repeated but was not the killed daemon's");
    }
    assert!(counts.keys().all(|key| outbox_keys.contains(key)), "every request is a reminder of the outbox");
    assert!(
        taken_over <= Duration::from_secs(10 + 10),
        "taken over {taken_over:?} after the kill, lease 10 s"
    );
    assert_eq!(shares.len(), 3, "each of the three sent: {shares:?}");
}

/// Runs a future to its end from a synchronous check (the store's figures are read
/// through their own connection).
fn block_on_here<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

/// A change through daemon A's API (A plans but does not send) reaches daemon B, which
/// sleeps for an hour between polls, at once by notification; with notifications off, at
/// B's next poll.
#[tokio::test(flavor = "multi_thread")]
async fn a_change_through_one_daemon_is_delivered_by_another_within_a_second() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let database = Database::create("postgres").await;
    let receiver = support::webhook_receiver(Duration::ZERO).await;
    let env = cluster_env(&database, &receiver);
    env.ok(&["migrate"]);
    let http = http_client();
    for (notify, poll, within) in
        [(true, "1h", Duration::from_secs(1)), (false, "3s", Duration::from_secs(4))]
    {
        let port = free_port();
        let poll_line = format!("poll_interval = \"{poll}\"");
        let store_line = format!("[store]\nnotify = {notify}\n");
        let front = env.config_variant(
            "front.toml",
            &[
                ("poll_interval = \"1s\"", &poll_line),
                ("lease = \"30s\"", "lease = \"30s\"\nenabled = false"),
            ],
            &http_section(port),
        );
        let sender = env.config_variant("sender.toml", &[("poll_interval = \"1s\"", &poll_line)], "");
        let (front, sender) = (front, sender);
        for config in [&front, &sender] {
            let text = std::fs::read_to_string(config).unwrap().replacen("[store]\n", &store_line, 1);
            std::fs::write(config, text).unwrap();
        }
        let a = env.spawn_daemon_from(&front, &[]);
        let b = env.spawn_daemon_from(&sender, &[]);
        a.wait_running().await;
        b.wait_running().await;
        if notify {
            // B listens once its listener's first wake-up has turned the loop.
            b.wait_for("B to listen", Duration::from_secs(10), || {
                b.log().contains("woken by a change").then_some(())
            })
            .await;
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let before = receiver.received_requests().await.unwrap_or_default().len();
        let body = json!({
            "title": "Kết luận",
            "issuer": "UBND tỉnh Nam Định",
            "issued_on": "2026-01-05",
            "tasks": [{"summary": format!("Báo cáo (notify = {notify})"), "lead": "ubnd-tpnd", "deadline": days_from_today(7).to_string()}],
        });
        let changed = Instant::now();
        let response = http
            .post(format!("http://127.0.0.1:{port}/api/v1/directives"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("A answers");
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let mut arrived = None;
        for _ in 0..200 {
            if receiver.received_requests().await.unwrap_or_default().len() > before {
                arrived = Some(changed.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let arrived = arrived.unwrap_or_else(|| panic!("not delivered; B's log:\n{}", b.log()));
        println!(
            "store.notify = {notify}, poll_interval = {poll}: delivered by B {arrived:?} after the change through A"
        );
        assert!(arrived <= within, "delivered after {arrived:?}, wanted within {within:?}");
        b.wait_for("B to say it sent it", Duration::from_secs(5), || {
            b.log().contains("dispatched").then_some(())
        })
        .await;
        assert!(!a.log().contains("dispatched"), "A sends nothing:\n{}", a.log());
    }
}

/// PostgreSQL lost for ten seconds while three daemons send: each answers 503 on /readyz
/// meanwhile, then recovers by itself, and every reminder is delivered, repeats only
/// among what was in flight when the connections were cut.
#[tokio::test(flavor = "multi_thread")]
async fn three_daemons_ride_out_ten_seconds_without_their_database() {
    const TASKS: usize = 3_000;
    let _alone = ONE_AT_A_TIME.lock().await;
    let database = Database::create("postgres").await;
    // A slow receiver keeps the daemons sending through the outage.
    let receiver = support::webhook_receiver(Duration::from_millis(400)).await;
    let env = cluster_env(&database, &receiver);
    env.ok(&["migrate"]);
    env.add_tasks(TASKS, "ubnd-tpnd", &[]);
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let daemons: Vec<DaemonProcess> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let config = env.config_variant(&format!("daemon-{i}.toml"), &[], &http_section(*port));
            env.spawn_daemon_from(&config, &[])
        })
        .collect();
    let http = http_client();
    let ready = |port: u16| {
        let http = http.clone();
        async move {
            match http.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
                Ok(response) => response.status().as_u16(),
                Err(_) => 0,
            }
        }
    };
    for daemon in &daemons {
        daemon.wait_running().await;
    }
    wait_for("sending under way", Duration::from_secs(60), || {
        (block_on_here(sent(&database)) >= 100).then_some(())
    })
    .await;
    for port in &ports {
        assert_eq!(ready(*port).await, 200, "ready before the outage");
    }

    // The outage: no new connection to the database, every open one cut.
    use sqlx::Connection;
    let mut witness = sqlx::PgConnection::connect(&database.url()).await.unwrap();
    let witness_pid: i32 =
        sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut witness).await.unwrap();
    let name = database.url().rsplit('/').next().unwrap().to_owned();
    database.admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    database
        .admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> {witness_pid}"
        ))
        .await;
    let down = Instant::now();
    let in_flight: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT key FROM outbox WHERE state = 'sending'")
            .fetch_all(&mut witness)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let sent_at_outage: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state = 'sent'")
        .fetch_one(&mut witness)
        .await
        .unwrap();
    drop(witness);
    let mut probes = 0;
    tokio::time::sleep(Duration::from_secs(1)).await;
    while down.elapsed() < Duration::from_secs(10) {
        for port in &ports {
            let status = ready(*port).await;
            assert_eq!(status, 503, "/readyz of the daemon on {port} while the database is down");
            probes += 1;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    database.admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    let outage = down.elapsed();

    for port in &ports {
        let port = *port;
        let mut recovered = false;
        for _ in 0..120 {
            if ready(port).await == 200 {
                recovered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert!(recovered, "the daemon on {port} is ready again");
    }
    let recovered_in = down.elapsed() - outage;
    wait_for("every reminder sent", Duration::from_secs(120), || {
        (block_on_here(sent(&database)) == TASKS as i64).then_some(())
    })
    .await;
    let counts = keys_received(&receiver).await;
    let repeats: Vec<&String> = counts.iter().filter(|(_, n)| **n > 1).map(|(k, _)| k).collect();
    println!(
        "reminders: {TASKS}, sent before the outage: {sent_at_outage}, database down {:.1} s, /readyz 503 at all {probes} probes, \
         ready again {:.1} s after, delivered: {}, lost: {}, repeats: {} (in flight at the cut: {})",
        outage.as_secs_f64(),
        recovered_in.as_secs_f64(),
        counts.len(),
        TASKS - counts.len(),
        repeats.len(),
        in_flight.len()
    );
    assert_eq!(counts.len(), TASKS, "nothing lost");
    for key in repeats {
        assert!(in_flight.contains(key), "{key} repeated but was not in flight at the cut");
    }
    let dead = database.number("SELECT count(*) FROM outbox WHERE state = 'dead'").await;
    assert_eq!(dead, 0);
    for daemon in &daemons {
        let log = daemon.log();
        let saw = ["tick failed", "cannot record what was sent", "polling meanwhile"]
            .iter()
            .any(|m| log.contains(m));
        assert!(saw, "each daemon saw the outage:\n{log}");
    }
}
