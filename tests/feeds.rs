//! The daemon following a JSON feed of tasks (an e-office export) served over HTTP on
//! loopback, which changes between polls: a new item, an extended deadline, a reassigned
//! lead, a task done at the source, a conflict with a change made here, an item removed.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{ConfigParts, SmtpServer, TestEnv, days_from_today};
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WAIT: Duration = Duration::from_secs(40);

/// A feed source named "eoffice" on `url`, polled every second.
fn feed_source(url: &str, mode: &str) -> String {
    format!(
        r#"
[[sources]]
name = "eoffice"
kind = "http"
url = "{url}"
poll_every = "1s"
mode = "{mode}"
token = "mã-thông-báo-bí-mật-của-eoffice"
[sources.map]
items = "/data"
next = "/next"
id = "/id"
directive_id = "/van_ban/id"
directive_number = "/van_ban/so_hieu"
directive_title = "/van_ban/trich_yeu"
directive_issuer = "/van_ban/co_quan"
directive_date = "/van_ban/ngay"
summary = "/noi_dung"
lead = "/chu_tri"
coordinating = "/phoi_hop"
deadline = "/han_xu_ly"
done = "/trang_thai"
removed = "/da_xoa"
updated_at = "/cap_nhat"
"#
    )
}

fn day(days: u64) -> String {
    days_from_today(days).format("%d/%m/%Y").to_string()
}

fn item(id: &str, lead: &str, deadline: &str, status: &str, updated: u32) -> Value {
    json!({
        "id": id,
        "van_ban": {"id": "vb-41", "so_hieu": "41/TB-UBND", "trich_yeu": "Kết luận của Chủ tịch UBND tỉnh", "co_quan": "UBND tỉnh Nam Định", "ngay": "09/03/2026"},
        "noi_dung": format!("Nhiệm vụ {id}"),
        "chu_tri": lead,
        "phoi_hop": "",
        "han_xu_ly": deadline,
        "trang_thai": status,
        "cap_nhat": format!("2026-03-{updated:02}T08:00:00+07:00"),
    })
}

/// Serves `items` as two pages, the first with `etag`; a request that already has that
/// ETag gets 304.
async fn serve(server: &MockServer, items: &[Value], etag: &str) {
    server.reset().await;
    let (first, second) = items.split_at(items.len().div_ceil(2));
    Mock::given(method("GET"))
        .and(path("/tasks"))
        .and(header("if-none-match", etag))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/tasks"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", etag)
                .set_body_json(json!({"data": first, "next": format!("{}/tasks/2", server.uri())})),
        )
        .with_priority(2)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/tasks/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": second})))
        .mount(server)
        .await;
}

fn task_of(env: &TestEnv, summary: &str) -> Value {
    let tasks = env.json(&["task", "list"]);
    tasks.as_array().unwrap().iter().find(|t| t["summary"] == summary).cloned().unwrap_or(Value::Null)
}

fn history(env: &TestEnv, task: &Value) -> Vec<(String, String)> {
    let shown = env.json(&["task", "show", &task["id"].to_string()]);
    shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap_or("").to_owned(), e["actor"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feed_that_changes_between_polls_is_followed_task_by_task() {
    let smtp = SmtpServer::start();
    let chat = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&chat).await;
    let feed = MockServer::start().await;
    let env = TestEnv::new(ConfigParts {
        smtp_port: smtp.port,
        webhook_url: format!("{}/hook", chat.uri()),
        ..ConfigParts::default()
    });
    let config = std::fs::read_to_string(&env.config).unwrap()
        + &feed_source(&format!("{}/tasks?since={{cursor}}", feed.uri()), "auto");
    std::fs::write(&env.config, config).unwrap();
    env.ok(&["check"]);

    // First: two tasks of one directive, one led by a body the config does not know.
    serve(
        &feed,
        &[
            item("t1", "Sở Nội vụ", &day(20), "dang_xu_ly", 1),
            item("t2", "UBND thành phố Nam Định", &day(3), "dang_xu_ly", 2),
            item("t9", "Sở Không Có", &day(30), "dang_xu_ly", 3),
        ],
        "\"v1\"",
    )
    .await;
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    daemon
        .wait_for("two tasks from the feed", WAIT, || {
            (env.json(&["task", "list"]).as_array().unwrap().len() == 2).then_some(())
        })
        .await;
    let directives = env.json(&["directive", "list"]);
    assert_eq!(directives.as_array().unwrap().len(), 1, "{directives:#}");
    let t1 = task_of(&env, "Nhiệm vụ t1");
    assert_eq!(
        (t1["lead"].as_str(), t1["deadline"].as_str()),
        (Some("snv"), Some(days_from_today(20).to_string().as_str()))
    );
    assert_eq!(history(&env, &t1)[0], ("created".to_owned(), "source:eoffice".to_owned()));
    // The unknown lead waits as a draft of the same directive.
    let drafts = env.json(&["draft", "list"]);
    assert_eq!(drafts.as_array().unwrap().len(), 1);
    assert_eq!(drafts[0]["directive"], t1["directive_id"]);
    // t2 is due in three days: its lead is reminded today, on its chat.
    daemon
        .wait_for("t2's reminder", WAIT, || {
            env.outbox().iter().any(|i| i["department"] == "ubnd-tpnd" && i["state"] == "sent").then_some(())
        })
        .await;
    // Unchanged, the feed answers 304 to the next polls, which send its ETag.
    daemon.wait_for("a conditional request", WAIT, || asked_with_etag(&feed).then_some(())).await;

    // Second: t1 extended, t2 reassigned to Sở Nội vụ, a new t3; t3's deadline is then
    // changed here.
    serve(
        &feed,
        &[
            item("t1", "Sở Nội vụ", &day(25), "dang_xu_ly", 4),
            item("t2", "snv", &day(3), "dang_xu_ly", 5),
            item("t3", "UBND thành phố Nam Định", &day(10), "dang_xu_ly", 6),
            item("t9", "Sở Không Có", &day(30), "dang_xu_ly", 3),
        ],
        "\"v2\"",
    )
    .await;
    daemon
        .wait_for("t3 from the feed", WAIT, || (!task_of(&env, "Nhiệm vụ t3").is_null()).then_some(()))
        .await;
    daemon
        .wait_for("t1 extended and t2 reassigned", WAIT, || {
            let t1 = task_of(&env, "Nhiệm vụ t1");
            let t2 = task_of(&env, "Nhiệm vụ t2");
            (t1["deadline"] == days_from_today(25).to_string() && t2["lead"] == "snv").then_some(())
        })
        .await;
    let t1 = task_of(&env, "Nhiệm vụ t1");
    assert!(
        history(&env, &t1).contains(&("extended".to_owned(), "source:eoffice".to_owned())),
        "{:?}",
        history(&env, &t1)
    );
    let t3 = task_of(&env, "Nhiệm vụ t3");
    env.ok(&[
        "task",
        "extend",
        &t3["id"].to_string(),
        "--to",
        &days_from_today(15).to_string(),
        "--reason",
        "Xin gia hạn",
    ]);

    // Third: t1 done at the source, t3's deadline changed there too, t2 removed.
    let mut removed = item("t2", "snv", &day(3), "dang_xu_ly", 8);
    removed["da_xoa"] = json!(true);
    serve(
        &feed,
        &[
            item("t1", "Sở Nội vụ", &day(25), "Hoàn thành", 7),
            removed,
            item("t3", "UBND thành phố Nam Định", &day(12), "dang_xu_ly", 9),
            item("t9", "Sở Không Có", &day(30), "dang_xu_ly", 3),
        ],
        "\"v3\"",
    )
    .await;
    daemon
        .wait_for("t1 done", WAIT, || (task_of(&env, "Nhiệm vụ t1")["status"] == "done").then_some(()))
        .await;
    let t3 = daemon
        .wait_for("the conflict on t3 reported", WAIT, || {
            let t3 = task_of(&env, "Nhiệm vụ t3");
            history(&env, &t3).iter().any(|(kind, _)| kind == "conflict").then_some(t3)
        })
        .await;
    // nhacviec wins by default: the deadline set here stays.
    assert_eq!(t3["deadline"], days_from_today(15).to_string());
    let t2 = task_of(&env, "Nhiệm vụ t2");
    assert!(history(&env, &t2).iter().any(|(kind, _)| kind == "removed_at_source"));
    assert_eq!(t2["status"], "open", "an item removed at the source is marked, not deleted");
    // Nothing more is sent for t1.
    assert!(env.outbox().iter().filter(|i| i["task_id"] == t1["id"]).all(|i| i["state"] != "pending"));
    let sources = env.json(&["sources"]);
    let cursor: Value = serde_json::from_str(sources[0]["cursor"].as_str().unwrap()).unwrap();
    assert_eq!(cursor["cursor"], "2026-03-09T08:00:00+07:00");
    assert_eq!(cursor["etag"], "\"v3\"");
    assert!(!daemon.log().contains("mã-thông-báo-bí-mật"));
}

/// Whether the feed was asked conditionally, with the ETag it gave.
fn asked_with_etag(feed: &MockServer) -> bool {
    let requests = futures_block(feed.received_requests());
    requests.unwrap_or_default().iter().any(|r| r.headers.get("if-none-match").is_some_and(|v| v == "\"v1\""))
}

fn futures_block<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feed_that_fails_is_retried_and_reported_while_reminders_go_out() {
    let smtp = SmtpServer::start();
    let feed = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&feed)
        .await;
    let env = TestEnv::new(ConfigParts { smtp_port: smtp.port, ..ConfigParts::default() });
    let config = std::fs::read_to_string(&env.config).unwrap()
        + &feed_source(&format!("{}/tasks", feed.uri()), "auto");
    std::fs::write(&env.config, config).unwrap();
    env.add_task("snv", &[], days_from_today(3));
    let daemon = env.spawn_daemon();
    daemon.wait_for("the reminder delivered", WAIT, || (!smtp.messages().is_empty()).then_some(())).await;
    let failing = daemon
        .wait_for("the feed failing twice", WAIT, || {
            let sources = env.json(&["sources"]);
            (sources[0]["failures"].as_u64() >= Some(2)).then_some(sources)
        })
        .await;
    assert!(failing[0]["last_error"].as_str().unwrap().contains("500"), "{failing:#}");
    // Garbage instead of JSON: reported as such.
    feed.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>bảo trì</html>"))
        .mount(&feed)
        .await;
    daemon
        .wait_for("garbage reported", WAIT, || {
            let sources = env.json(&["sources"]);
            sources[0]["last_error"].as_str().is_some_and(|e| e.contains("not JSON")).then_some(())
        })
        .await;
    // Back: the next retry reads it.
    feed.reset().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [item("t1", "snv", &day(20), "", 1)]})),
        )
        .mount(&feed)
        .await;
    daemon
        .wait_for("the feed read", WAIT, || {
            let sources = env.json(&["sources"]);
            (sources[0]["failures"] == 0 && sources[0]["imported"] == 1).then_some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_killed_mid_feed_poll_applies_nothing_twice_and_loses_nothing() {
    let feed = MockServer::start().await;
    let env = TestEnv::new(ConfigParts::default());
    let config = std::fs::read_to_string(&env.config).unwrap()
        + &feed_source(&format!("{}/tasks", feed.uri()), "auto");
    std::fs::write(&env.config, config).unwrap();
    const ITEMS: usize = 1500;
    let items: Vec<Value> =
        (0..ITEMS).map(|n| item(&format!("t{n}"), "snv", &day(20 + (n % 50) as u64), "", 1)).collect();
    serve(&feed, &items, "\"big\"").await;
    let mut daemon = env.spawn_daemon();
    daemon.wait_running().await;
    let count = || env.json(&["task", "list"]).as_array().map_or(0, Vec::len);
    // Killed once some of the items are applied, in the middle of the poll.
    daemon.wait_for("a first task", WAIT, || (count() > 0).then_some(())).await;
    daemon.kill();
    let applied = count();
    assert!(applied > 0 && applied < ITEMS, "{applied} of {ITEMS} applied: the kill did not fall mid-poll");
    let sources = env.json(&["sources"]);
    assert!(sources[0]["cursor"].is_null(), "a poll cut off keeps no cursor: {sources:#}");
    let daemon = env.spawn_daemon();
    daemon
        .wait_for("every item applied", Duration::from_secs(120), || (count() >= ITEMS).then_some(()))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(), ITEMS, "an item applied twice");
    assert_eq!(env.json(&["directive", "list"]).as_array().unwrap().len(), 1);
    let sources = env.json(&["sources"]);
    assert_eq!(sources[0]["imported"].as_u64(), Some(ITEMS as u64));
}

#[tokio::test(flavor = "multi_thread")]
async fn in_review_mode_tasks_wait_as_drafts_and_join_their_directive_when_accepted() {
    let feed = MockServer::start().await;
    let env = TestEnv::new(ConfigParts::default());
    let config = std::fs::read_to_string(&env.config).unwrap()
        + &feed_source(&format!("{}/tasks", feed.uri()), "review");
    std::fs::write(&env.config, config).unwrap();
    // Two tasks of one directive, one already done at the source, and an id that comes
    // twice in the feed (the later one counts).
    serve(
        &feed,
        &[
            item("t1", "snv", &day(20), "", 1),
            item("t2", "ubnd-tpnd", &day(30), "Hoàn thành", 1),
            item("t3", "snv", &day(40), "", 1),
            twice_later(),
        ],
        "\"r1\"",
    )
    .await;
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    let drafts = daemon
        .wait_for("three drafts", WAIT, || {
            let drafts = env.json(&["draft", "list"]);
            (drafts.as_array().unwrap().len() == 3).then_some(drafts)
        })
        .await;
    assert!(env.json(&["task", "list"]).as_array().unwrap().is_empty());
    for draft in drafts.as_array().unwrap() {
        env.ok(&["draft", "accept", &draft["id"].to_string()]);
    }
    let tasks = env.json(&["task", "list"]);
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 3, "{tasks:#?}");
    assert_eq!(
        env.json(&["directive", "list"]).as_array().unwrap().len(),
        1,
        "the drafts join one directive"
    );
    assert_eq!(task_of(&env, "Nhiệm vụ t2")["status"], "done", "done at the source, done once accepted");
    assert!(!task_of(&env, "Nhiệm vụ t3 (bản sau)").is_null());
    // Accepted, the tasks follow their source: t1 extended there is extended here.
    serve(
        &feed,
        &[
            item("t1", "snv", &day(22), "", 3),
            item("t2", "ubnd-tpnd", &day(30), "Hoàn thành", 1),
            twice_later(),
        ],
        "\"r2\"",
    )
    .await;
    daemon
        .wait_for("t1 extended", WAIT, || {
            (task_of(&env, "Nhiệm vụ t1")["deadline"] == days_from_today(22).to_string()).then_some(())
        })
        .await;
}

/// t3 as the source says it the second time.
fn twice_later() -> Value {
    let mut twice = item("t3", "snv", &day(40), "", 2);
    twice["noi_dung"] = json!("Nhiệm vụ t3 (bản sau)");
    twice
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_page_on_another_host_is_not_followed_with_the_token() {
    let feed = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [item("t1", "snv", &day(20), "", 1)], "next": format!("{}/steal", elsewhere.uri())})))
        .mount(&feed)
        .await;
    let env = TestEnv::new(ConfigParts::default());
    let config = std::fs::read_to_string(&env.config).unwrap()
        + &feed_source(&format!("{}/tasks", feed.uri()), "auto");
    std::fs::write(&env.config, config).unwrap();
    let daemon = env.spawn_daemon();
    daemon
        .wait_for("the poll refused", WAIT, || {
            let sources = env.json(&["sources"]);
            sources[0]["last_error"].as_str().is_some_and(|e| e.contains("another host")).then_some(())
        })
        .await;
    assert!(futures_block(elsewhere.received_requests()).unwrap_or_default().is_empty());
}
