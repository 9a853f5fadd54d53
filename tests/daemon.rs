//! `nhacviec run` as a process against a real SMTP server and a real HTTP server on
//! loopback: delivery, content, keys, retries, dead letters, restarts and shutdown.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{ConfigParts, SmtpServer, TestEnv, days_from_today, requests, wait_for};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WAIT: Duration = Duration::from_secs(30);

async fn webhook_server(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

fn env_with(smtp: &SmtpServer, webhook: &MockServer, max_attempts: u32) -> TestEnv {
    TestEnv::new(ConfigParts {
        smtp_port: smtp.port,
        webhook_url: format!("{}/hook", webhook.uri()),
        max_attempts,
        ..ConfigParts::default()
    })
}

fn states(outbox: &[Value]) -> Vec<String> {
    outbox.iter().map(|i| i["state"].as_str().unwrap_or("?").to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn reminders_arrive_with_vietnamese_content_and_their_keys() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    let deadline = days_from_today(7);
    env.add_task("Sở Nội vụ", &["ubnd-tpnd"], deadline);

    let daemon = env.spawn_daemon();
    let mail = wait_for("the email", WAIT, || smtp.messages().into_iter().next()).await;
    let requests = requests(&webhook, 1, WAIT).await;

    let due = deadline.format("%d/%m/%Y").to_string();
    assert_eq!(
        mail["subject"],
        format!("[Nhắc việc] Còn 7 ngày: Xây dựng Đề án mở rộng địa giới hành chính TP Nam Định (hạn {due})")
    );
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["vanthu@snv.namdinh.example"]));
    assert_eq!(mail["charset"], "utf-8");
    // Multipart: plain text and HTML, parsed by Python's email package; Date in Vietnam's zone.
    assert_eq!(mail["content_type"], "multipart/alternative");
    assert_eq!(mail["parts"], serde_json::json!(["multipart/alternative", "text/plain", "text/html"]));
    let html = mail["html"].as_str().unwrap();
    assert!(html.contains("<strong>Sở Nội vụ</strong>") && html.contains("Thời hạn"), "{html}");
    assert!(mail["date"].as_str().unwrap().ends_with("+0700"), "{}", mail["date"]);
    assert!(mail["raw_subject"].as_str().unwrap().starts_with("=?utf-8?"), "{}", mail["raw_subject"]);
    assert_eq!(mail["defects"], serde_json::json!([]));
    let key = format!(
        "t1.snv.before-7d.{}.d{}.email",
        support::today().format("%Y%m%d"),
        deadline.format("%Y%m%d")
    );
    assert_eq!(mail["message_id"], format!("<{key}@namdinh.example>"));
    let body = mail["body"].as_str().unwrap();
    for part in [
        "Kính gửi: Sở Nội vụ",
        "Văn bản: Văn bản số 123/TB-UBND ngày 21/09/2021 của UBND tỉnh Nam Định (mục 3)",
        "Vai trò: chủ trì",
        "Đơn vị phối hợp: UBND thành phố Nam Định",
        &format!("Thời hạn: {due} (trong tháng)"),
        "Tình trạng: còn 7 ngày đến hạn",
    ] {
        assert!(body.contains(part), "missing {part:?} in:\n{body}");
    }

    let request = &requests[0];
    let hook_key = format!(
        "t1.ubnd-tpnd.before-7d.{}.d{}.chat",
        support::today().format("%Y%m%d"),
        deadline.format("%Y%m%d")
    );
    assert_eq!(request.headers.get("idempotency-key").unwrap().to_str().unwrap(), hook_key);
    let json: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(json["key"], hook_key);
    assert_eq!(json["role"], "coordinating");
    assert_eq!(json["department"], "ubnd-tpnd");
    assert_eq!(json["days_left"], 7);
    assert!(json["text"].as_str().unwrap().contains("đơn vị phối hợp"));

    let outbox = wait_for("both sent", WAIT, || {
        let outbox = env.outbox();
        (states(&outbox) == ["sent", "sent"]).then_some(outbox)
    })
    .await;
    assert!(outbox.iter().all(|i| i["attempts"] == 1), "{outbox:#?}");
    drop(daemon);
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_and_restarted_the_daemon_sends_nothing_twice() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    env.add_task("snv", &["ubnd-tpnd"], days_from_today(3));
    env.add_task("snv", &[], days_from_today(14));

    let mut daemon = env.spawn_daemon();
    wait_for("two emails", WAIT, || (smtp.messages().len() == 2).then_some(())).await;
    wait_for("everything sent", WAIT, || states(&env.outbox()).iter().all(|s| s == "sent").then_some(()))
        .await;
    daemon.signal("KILL");
    daemon.wait_exit(WAIT).await;

    for _ in 0..2 {
        let mut daemon = env.spawn_daemon();
        // Several ticks (poll every second) with nothing new to send.
        tokio::time::sleep(Duration::from_secs(3)).await;
        daemon.signal("KILL");
        daemon.wait_exit(WAIT).await;
    }
    assert_eq!(smtp.messages().len(), 2, "{:#?}", smtp.messages());
    assert_eq!(webhook.received_requests().await.unwrap().len(), 1);
    assert_eq!(env.outbox().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_cut_off_by_a_crash_goes_out_again_with_the_same_key() {
    let smtp = SmtpServer::start();
    let webhook = support::webhook_receiver(Duration::from_secs(3)).await;
    let env = env_with(&smtp, &webhook, 5);
    env.add_task("ubnd-tpnd", &[], days_from_today(7));

    let mut daemon = env.spawn_daemon();
    requests(&webhook, 1, WAIT).await;
    daemon.signal("KILL");
    daemon.wait_exit(WAIT).await;
    assert_eq!(states(&env.outbox()), ["sending"]);

    let _daemon = env.spawn_daemon();
    wait_for("the item sent", WAIT, || (states(&env.outbox()) == ["sent"]).then_some(())).await;
    let requests = webhook.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one repeat for the one send in flight at the kill");
    assert_eq!(requests[0].headers.get("idempotency-key"), requests[1].headers.get("idempotency-key"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_answering_500_is_retried_then_delivered() {
    let smtp = SmtpServer::start();
    let webhook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("máy chủ bận"))
        .up_to_n_times(2)
        .mount(&webhook)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let env = env_with(&smtp, &webhook, 5);
    env.add_task("ubnd-tpnd", &[], days_from_today(1));

    let _daemon = env.spawn_daemon();
    let item =
        wait_for("the item sent", WAIT, || env.outbox().into_iter().find(|i| i["state"] == "sent")).await;
    assert_eq!(item["attempts"], 3);
    assert!(item["last_error"].as_str().unwrap().contains("HTTP 500"), "{item:#?}");
    let requests = webhook.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    // Every attempt carries the same key.
    let keys: Vec<_> = requests.iter().map(|r| r.headers.get("idempotency-key").unwrap().clone()).collect();
    assert!(keys.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_retry_after_is_retried_after_that_delay() {
    let smtp = SmtpServer::start();
    let webhook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .mount(&webhook)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let env = env_with(&smtp, &webhook, 5);
    env.add_task("ubnd-tpnd", &[], days_from_today(1));

    let _daemon = env.spawn_daemon();
    requests(&webhook, 1, WAIT).await;
    let refused = std::time::Instant::now();
    let both = requests(&webhook, 2, WAIT).await;
    let waited = refused.elapsed();
    // Backoff alone would try again after 1 second; the receiver asked for 3.
    assert!(waited >= Duration::from_millis(2_900), "retried after {waited:?}");
    assert!(waited < Duration::from_secs(10), "retried after {waited:?}");
    assert_eq!(both[0].headers.get("idempotency-key"), both[1].headers.get("idempotency-key"));
    let item =
        wait_for("the item sent", WAIT, || env.outbox().into_iter().find(|i| i["state"] == "sent")).await;
    assert_eq!(item["attempts"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_always_failing_webhook_goes_dead_with_its_error() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(503).await;
    let env = env_with(&smtp, &webhook, 3);
    env.add_task("ubnd-tpnd", &[], days_from_today(1));

    let _daemon = env.spawn_daemon();
    let item =
        wait_for("the item dead", WAIT, || env.outbox().into_iter().find(|i| i["state"] == "dead")).await;
    assert_eq!(item["attempts"], 3);
    assert!(item["last_error"].as_str().unwrap().contains("HTTP 503 Service Unavailable"), "{item:#?}");
    assert_eq!(webhook.received_requests().await.unwrap().len(), 3);

    // An admin sends it again once the receiver is fixed.
    webhook.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let id = item["id"].to_string();
    env.ok(&["outbox", "retry", &id]);
    wait_for("the retried item sent", WAIT, || env.outbox().into_iter().find(|i| i["state"] == "sent")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_refusal_goes_dead_at_once() {
    let smtp = SmtpServer::start_with(&["vanthu@snv.namdinh.example"], None);
    let webhook = webhook_server(404).await;
    let env = env_with(&smtp, &webhook, 5);
    env.add_task("snv", &["ubnd-tpnd"], days_from_today(1));

    let _daemon = env.spawn_daemon();
    let outbox = wait_for("both dead", WAIT, || {
        let outbox = env.outbox();
        (states(&outbox) == ["dead", "dead"]).then_some(outbox)
    })
    .await;
    assert!(outbox.iter().all(|i| i["attempts"] == 1), "{outbox:#?}");
    let errors: Vec<&str> = outbox.iter().map(|i| i["last_error"].as_str().unwrap()).collect();
    assert!(errors.iter().any(|e| e.contains("550")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("HTTP 404")), "{errors:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn smtp_authentication_uses_the_password_file() {
    let smtp = SmtpServer::start_with(&[], Some("nhacviec:mật-khẩu-bí-mật"));
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 2);
    let password = env.write("smtp-password", "mật-khẩu-bí-mật\n");
    let text = std::fs::read_to_string(&env.config).unwrap().replace(
        "tls = \"none\"",
        &format!("tls = \"none\"\nusername = \"nhacviec\"\npassword_file = \"{}\"", password.display()),
    );
    std::fs::write(&env.config, text).unwrap();
    env.add_task("snv", &[], days_from_today(1));
    let daemon = env.spawn_daemon();
    let mail = wait_for("the email", WAIT, || smtp.messages().into_iter().next()).await;
    assert!(mail["subject"].as_str().unwrap().starts_with("[Nhắc việc] Còn 1 ngày:"), "{mail:#}");
    // The wrong password is refused, and the reminder is not marked sent.
    let env2 = env_with(&smtp, &webhook, 1);
    let text = std::fs::read_to_string(&env2.config)
        .unwrap()
        .replace("tls = \"none\"", "tls = \"none\"\nusername = \"nhacviec\"\npassword = \"sai\"");
    std::fs::write(&env2.config, text).unwrap();
    env2.add_task("snv", &[], days_from_today(1));
    let daemon2 = env2.spawn_daemon();
    let item =
        wait_for("the item dead", WAIT, || env2.outbox().into_iter().find(|i| i["state"] == "dead")).await;
    assert!(item["last_error"].as_str().unwrap().contains("535"), "{item:#}");
    assert_eq!(smtp.messages().len(), 1);
    // Neither password shows in the logs or the outbox.
    for text in [
        daemon.log(),
        daemon2.log(),
        env.outbox().iter().chain(env2.outbox().iter()).map(|i| i.to_string()).collect(),
    ] {
        assert!(!text.contains("mật-khẩu-bí-mật") && !text.contains("\"sai\""), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_exits_zero_after_in_flight_sends_finish() {
    let smtp = SmtpServer::start();
    let webhook = support::webhook_receiver(Duration::from_secs(2)).await;
    let env = env_with(&smtp, &webhook, 5);
    env.add_task("ubnd-tpnd", &[], days_from_today(7));

    let mut daemon = env.spawn_daemon();
    requests(&webhook, 1, WAIT).await;
    daemon.signal("TERM");
    let code = daemon.wait_exit(WAIT).await;
    assert_eq!(code, Some(0), "{}", daemon.log());
    // The send in flight finished and was recorded before the exit.
    assert_eq!(states(&env.outbox()), ["sent"], "{}", daemon.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_marked_done_while_the_daemon_runs_is_never_reminded_again() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    // Due in 3 days: reminded today; done now, so tomorrow's and later never go out.
    env.add_task("snv", &[], days_from_today(3));
    let _daemon = env.spawn_daemon();
    wait_for("the email", WAIT, || (smtp.messages().len() == 1).then_some(())).await;
    env.ok(&["task", "done", "1"]);
    let explained = env.json(&["explain", "1"]);
    assert!(explained["notes"].to_string().contains("done"), "{explained:#}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_the_same_store_refuses_to_start() {
    let env = TestEnv::new(ConfigParts::default());
    env.add_task("snv", &[], days_from_today(30));
    let mut first = env.spawn_daemon();
    // Wait until the first has taken the lock and opened the store.
    wait_for("the first daemon to start", WAIT, || env.path("data/nhacviec.db.lock").exists().then_some(()))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let output = env.cli(&["run"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("another `nhacviec run` is already using the store"), "{stderr}");
    // The first goes on undisturbed, and the store is as it was.
    assert!(first.child.try_wait().unwrap().is_none(), "{}", first.log());
    assert_eq!(env.json(&["task", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(env.outbox(), Vec::<Value>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn send_test_reports_each_channel_of_a_department() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    let text = std::fs::read_to_string(&env.config).unwrap().replace(
        "emails = [\"vanthu@tpnd.namdinh.example\"]\nchannels = [\"chat\"]",
        "emails = [\"vanthu@tpnd.namdinh.example\"]\nchannels = [\"email\", \"chat\"]",
    );
    std::fs::write(&env.config, text).unwrap();
    let output = env.cli(&["send-test", "--department", "UBND thành phố Nam Định"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("email: đã gửi") && stdout.contains("chat: đã gửi"), "{stdout}");
    let mail = wait_for("the test email", WAIT, || smtp.messages().into_iter().next()).await;
    assert!(mail["subject"].as_str().unwrap().contains("Tin nhắn thử"), "{mail:#}");
    assert_eq!(requests(&webhook, 1, WAIT).await.len(), 1);

    // A channel that fails is reported, and the command fails.
    webhook.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(404)).mount(&webhook).await;
    let output = env.cli(&["send-test", "--department", "ubnd-tpnd", "--channel", "chat"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("chat: lỗi:") && stdout.contains("HTTP 404"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_digests_the_seed_reminders_to_a_department_arrive_as_one_message() {
    let smtp = SmtpServer::start();
    let webhook = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let env = TestEnv::new(ConfigParts::default());
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples");
    // The Nam Định config, sending now whatever the hour, every department on digests.
    let text = std::fs::read_to_string(format!("{examples}/nam-dinh.toml"))
        .unwrap()
        .replace("sqlite://data/nam-dinh.db", &format!("sqlite://{}", env.path("data/nam-dinh.db").display()))
        .replace("port = 25", &format!("port = {}", smtp.port))
        .replace("http://127.0.0.1:9000", &webhook.uri())
        .replace("send_at = \"08:00\"", "send_at = \"00:00\"\ndigest = true\ndigest_at = \"0 0 0 * * *\"")
        .replace("send_window = [\"07:30\", \"17:00\"]", "send_window = [\"00:00\", \"23:59\"]")
        .replace("working_days_only = true", "working_days_only = false")
        .replace("poll_interval = \"30s\"", "poll_interval = \"1s\"");
    std::fs::write(&env.config, text).unwrap();
    env.ok(&["directive", "add", &format!("{examples}/nam-dinh-2021-09-21.toml")]);

    let _daemon = env.spawn_daemon();
    // Every reminder of the seed is years overdue: each department's newest ones are due now.
    let outbox = wait_for("every reminder sent", WAIT, || {
        let outbox = env.outbox();
        (!outbox.is_empty() && outbox.iter().all(|i| i["state"] == "sent")).then_some(outbox)
    })
    .await;
    assert!(outbox.iter().all(|i| i["digest"] == true), "{outbox:#?}");
    let mails = smtp.messages();
    let to = |address: &str| -> Vec<Value> {
        mails
            .iter()
            .filter(|m| m["rcpt_tos"].as_array().unwrap().iter().any(|r| r == address))
            .cloned()
            .collect()
    };
    // UBND thành phố Nam Định: lead of the construction start, coordinating on the Đề án.
    let city = to("vanthu@ubnd-tpnd.namdinh.example");
    assert_eq!(city.len(), 1, "{city:#?}");
    let body = city[0]["body"].as_str().unwrap();
    assert!(body.contains("Khởi công dự án đường trục phía Nam"), "{body}");
    assert!(body.contains("Xây dựng Đề án mở rộng địa giới hành chính"), "{body}");
    assert!(body.contains("QUÁ HẠN (2)"), "{body}");
    assert!(
        city[0]["subject"].as_str().unwrap().contains("2 nhiệm vụ cần chú ý, 2 quá hạn"),
        "{}",
        city[0]["subject"]
    );
    assert!(
        city[0]["message_id"].as_str().unwrap().starts_with("<digest.ubnd-tpnd."),
        "{}",
        city[0]["message_id"]
    );
    // Văn phòng UBND tỉnh follows up the three overdue tasks: one message too.
    let office = to("vanthu@vpubnd.namdinh.example");
    assert_eq!(office.len(), 1, "{office:#?}");
    assert!(office[0]["body"].as_str().unwrap().contains("(3)"), "{}", office[0]["body"]);
    // One message per department in all: no department got two.
    let mut recipients: Vec<String> = mails.iter().map(|m| m["rcpt_tos"].to_string()).collect();
    let count = recipients.len();
    recipients.dedup();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), count, "{recipients:#?}");
    // The city's chat gets one digest too.
    let chat: Vec<_> = webhook
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/hook/ubnd-tpnd")
        .collect();
    assert_eq!(chat.len(), 1);
    let json: Value = serde_json::from_slice(&chat[0].body).unwrap();
    assert_eq!(json["total"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_weekly_summary_reaches_the_supervising_office_once() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    // The summary every 2 seconds, to see it now and to see it not sent twice.
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("poll_interval = \"1s\"", "poll_interval = \"1s\"\nsummary_at = \"*/2 * * * * *\"")
        .replace("code = \"vp-ubnd\"", "code = \"vp-ubnd\"\nsummary = true");
    std::fs::write(&env.config, text).unwrap();
    env.add_task("snv", &[], days_from_today(3)); // due within 7 days
    env.add_task("snv", &[], days_from_today(30));
    env.add_task("ubnd-tpnd", &[], support::today() - chrono::Duration::days(10)); // overdue
    env.ok(&["task", "done", "2"]);

    let daemon = env.spawn_daemon();
    let summary = daemon
        .wait_for("the summary", WAIT, || {
            smtp.messages()
                .into_iter()
                .find(|m| m["subject"].as_str().unwrap_or("").contains("Tình hình thực hiện"))
        })
        .await;
    assert_eq!(summary["rcpt_tos"], serde_json::json!(["vanthu@vpubnd.namdinh.example"]));
    assert!(
        summary["subject"].as_str().unwrap().ends_with("1 quá hạn, 1 đến hạn trong 7 ngày"),
        "{}",
        summary["subject"]
    );
    let body = summary["body"].as_str().unwrap();
    assert!(body.contains("Sở Nội vụ: 1 đang thực hiện (1 đến hạn trong 7 ngày, 0 quá hạn); 1 hoàn thành đúng hạn, 0 hoàn thành quá hạn."), "{body}");
    assert!(
        body.contains("UBND thành phố Nam Định: 1 đang thực hiện (0 đến hạn trong 7 ngày, 1 quá hạn)"),
        "{body}"
    );
    // Several more firings today: still one summary.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let count = smtp
        .messages()
        .iter()
        .filter(|m| m["subject"].as_str().unwrap_or("").contains("Tình hình thực hiện"))
        .count();
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_smtp_outage_costs_little_cpu_holds_up_no_other_channel_and_loses_nothing() {
    let port = support::free_port();
    let webhook = webhook_server(200).await;
    let env = TestEnv::new(ConfigParts {
        smtp_port: port,
        webhook_url: format!("{}/hook", webhook.uri()),
        max_attempts: 50,
        ..ConfigParts::default()
    });
    for days in 1..=10 {
        env.add_task("snv", &["ubnd-tpnd"], days_from_today(days));
    }
    let daemon = env.spawn_daemon();
    // The chat channel delivers while email is down.
    requests(&webhook, 10, WAIT).await;
    let before = daemon.cpu_time();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let spent = daemon.cpu_time() - before;
    // Nothing listens: every email fails, and the channel rests instead of spinning.
    assert!(spent < Duration::from_millis(600), "{spent:?} of CPU in 6 s of outage\n{}", daemon.log());
    assert!(daemon.log().contains("channel failing: resting"), "{}", daemon.log());
    let waiting: Vec<_> = env.outbox().into_iter().filter(|i| i["channel"] == "email").collect();
    assert_eq!(waiting.len(), 10);
    assert!(waiting.iter().all(|i| i["state"] == "pending"), "{waiting:#?}");

    // The server comes back: everything is delivered, once.
    let smtp = SmtpServer::start_on(port, &[], None);
    wait_for("every email", Duration::from_secs(60), || (smtp.messages().len() >= 10).then_some(())).await;
    wait_for("all sent", WAIT, || env.outbox().iter().all(|i| i["state"] == "sent").then_some(())).await;
    assert_eq!(smtp.messages().len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_is_backed_up_while_the_daemon_runs() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    env.add_task("snv", &["ubnd-tpnd"], days_from_today(7));
    let _daemon = env.spawn_daemon();
    wait_for("both sent", WAIT, || (states(&env.outbox()) == ["sent", "sent"]).then_some(())).await;
    let copy = env.path("backup.db");
    env.ok(&["backup", copy.to_str().unwrap()]);
    // The copy is a store of its own, with everything committed.
    let restored = TestEnv::new(ConfigParts::default());
    let text = std::fs::read_to_string(&restored.config).unwrap();
    let store_line = text.lines().find(|l| l.starts_with("url = \"sqlite://")).unwrap().to_owned();
    std::fs::write(
        &restored.config,
        text.replace(&store_line, &format!("url = \"sqlite://{}\"", copy.display())),
    )
    .unwrap();
    assert_eq!(restored.json(&["task", "list"]), env.json(&["task", "list"]));
    assert_eq!(states(&restored.outbox()), ["sent", "sent"]);
    // It never overwrites.
    assert_eq!(env.cli(&["backup", copy.to_str().unwrap()]).status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_handshake_failure_and_a_timeout_are_retried_not_dead() {
    // STARTTLS with a certificate no one trusts: every handshake fails.
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let smtp = SmtpServer::start_tls(&cert, &key);
    // A receiver slower than the channel's timeout.
    let webhook = support::webhook_receiver(Duration::from_secs(10)).await;
    let env = env_with(&smtp, &webhook, 50);
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("tls = \"none\"", "tls = \"starttls\"")
        .replace("url = \"http", "timeout = \"1s\"\nurl = \"http")
        .replace("timeout = \"5s\"\n[[departments]]", "[[departments]]");
    std::fs::write(&env.config, text).unwrap();
    env.add_task("snv", &["ubnd-tpnd"], days_from_today(2));
    let daemon = env.spawn_daemon();
    let retried = wait_for("both retried", WAIT, || {
        let outbox = env.outbox();
        (outbox.len() == 2 && outbox.iter().all(|i| i["state"] == "pending" && !i["last_error"].is_null()))
            .then_some(outbox)
    })
    .await;
    let errors: Vec<&str> = retried.iter().map(|i| i["last_error"].as_str().unwrap()).collect();
    assert!(
        errors.iter().any(|e| e.contains("STARTTLS") || e.contains("certificate")),
        "{errors:?}\n{}",
        daemon.log()
    );
    assert!(errors.iter().any(|e| e.contains("timed out") || e.contains("timeout")), "{errors:?}");
    assert!(smtp.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_locked_by_another_writer_is_waited_for_and_nothing_is_lost() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    env.add_task("snv", &[], days_from_today(2));
    // Another process holds the write lock for 3 seconds while the daemon starts and plans.
    let db = env.path("data/nhacviec.db");
    let mut holder = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(3); c.execute('COMMIT')",
            db.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(holder.stdout.take().unwrap()), &mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    let locked_at = std::time::Instant::now();
    let daemon = env.spawn_daemon();
    let mail = wait_for("the email", WAIT, || smtp.messages().into_iter().next()).await;
    assert!(locked_at.elapsed() >= Duration::from_millis(2_500), "sent while the store was locked");
    assert!(mail["subject"].as_str().unwrap().starts_with("[Nhắc việc] Còn 2 ngày:"));
    wait_for("sent", WAIT, || (states(&env.outbox()) == ["sent"]).then_some(())).await;
    assert!(holder.wait().unwrap().success());
    assert!(!daemon.log().contains("panicked"), "{}", daemon.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_added_from_the_cli_is_sent_at_once_not_at_the_next_poll() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("poll_interval = \"1s\"", "poll_interval = \"1h\"");
    std::fs::write(&env.config, text).unwrap();
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;

    let started = std::time::Instant::now();
    env.add_task("snv", &[], days_from_today(1));
    daemon.wait_for("the email", WAIT, || smtp.messages().into_iter().next()).await;
    let took = started.elapsed();
    // The CLI's own run is in it: well under the hour's poll all the same.
    assert!(took < Duration::from_secs(3), "{took:?}\n{}", daemon.log());
    assert!(daemon.log().contains("woken by a change from the CLI"), "{}", daemon.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_that_moves_the_escalation_tells_the_new_office_once() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    // Overdue 10 days: escalated (after 7 days) to vp-ubnd by email.
    env.add_task("snv", &[], support::today() - chrono::Duration::days(10));
    let daemon = env.spawn_daemon();
    let escalated_to = |address: &str| {
        smtp.messages().into_iter().filter(|m| m["rcpt_tos"] == serde_json::json!([address])).count()
    };
    daemon
        .wait_for("the escalation to vp-ubnd", WAIT, || {
            (escalated_to("vanthu@vpubnd.namdinh.example") == 1).then_some(())
        })
        .await;

    // snv now escalates to UBND thành phố, on the chat channel.
    let text = std::fs::read_to_string(&env.config).unwrap().replacen(
        "escalate_to = \"vp-ubnd\"",
        "escalate_to = \"ubnd-tpnd\"",
        1,
    );
    std::fs::write(&env.config, text).unwrap();
    daemon.signal("HUP");
    let chat = requests(&webhook, 1, WAIT).await;
    let json: Value = serde_json::from_slice(&chat[0].body).unwrap();
    assert_eq!(
        (&json["role"], &json["department"]),
        (&serde_json::json!("escalation"), &serde_json::json!("ubnd-tpnd")),
        "{json}"
    );
    // Nothing went out twice: snv's overdue reminder and vp-ubnd's escalation, once each.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(escalated_to("vanthu@vpubnd.namdinh.example"), 1);
    assert_eq!(escalated_to("vanthu@snv.namdinh.example"), 1, "{}", daemon.log());
    assert_eq!(webhook.received_requests().await.unwrap().len(), 1);
    assert!(daemon.log().contains("escalation moved"), "{}", daemon.log());
}

/// A loopback port that accepts connections and says nothing: an SMTP client waits there for
/// a greeting that never comes, its message not yet sent.
struct SilentServer {
    port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SilentServer {
    fn start() -> Self {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (count, stopped) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        held.push(stream);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self { port, accepted, stop, thread: Some(thread) }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_weekly_summary_survives_a_kill_between_claim_and_send_and_goes_out_once() {
    let silent = SilentServer::start();
    let port = silent.port;
    let webhook = webhook_server(200).await;
    let env = TestEnv::new(ConfigParts {
        smtp_port: port,
        webhook_url: format!("{}/hook", webhook.uri()),
        ..ConfigParts::default()
    });
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("poll_interval = \"1s\"", "poll_interval = \"1s\"\nsummary_at = \"*/2 * * * * *\"")
        .replace("code = \"vp-ubnd\"", "code = \"vp-ubnd\"\nsummary = true");
    std::fs::write(&env.config, text).unwrap();
    env.add_task("snv", &[], days_from_today(60));

    // The summary is claimed and its email is on its way to a server that never answers:
    // the daemon is killed there, before anything was sent.
    let mut daemon = env.spawn_daemon();
    daemon.wait_for("the summary's connection", WAIT, || (silent.accepted() > 0).then_some(())).await;
    daemon.kill();
    let claimed: Vec<Value> = env.outbox().into_iter().filter(|i| i["kind"] == "summary").collect();
    assert_eq!(states(&claimed), ["sending"], "{claimed:?}");
    drop(silent);

    // A real server on that port now; the restarted daemon sends the summary once.
    let smtp = SmtpServer::start_on(port, &[], None);
    let daemon = env.spawn_daemon();
    let is_summary = |m: &Value| m["subject"].as_str().unwrap_or("").contains("Tình hình thực hiện");
    let summary =
        daemon.wait_for("the summary", WAIT, || smtp.messages().into_iter().find(|m| is_summary(m))).await;
    assert_eq!(summary["rcpt_tos"], serde_json::json!(["vanthu@vpubnd.namdinh.example"]));
    // More firings the same day, and a while to send anything twice: still one.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(smtp.messages().iter().filter(|m| is_summary(m)).count(), 1);
    let rows: Vec<Value> = env.outbox().into_iter().filter(|i| i["kind"] == "summary").collect();
    assert_eq!(states(&rows), ["sent"], "{rows:?}");
}

/// A letter of 5 January 2022 asking for a report before the 20th of every month.
const MONTHLY_LETTER: &str = "\
ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH NAM ĐỊNH Độc lập - Tự do - Hạnh phúc
Số: 05/UBND-VP3 Nam Định, ngày 05 tháng 01 năm 2022
V/v báo cáo tiến độ giải ngân vốn đầu tư công
UBND tỉnh có ý kiến như sau:
1. Giao Sở Nội vụ tổng hợp tình hình giải ngân vốn đầu tư công, báo cáo UBND tỉnh trước ngày 20 hằng tháng.
Nơi nhận:
- Như trên;
";

#[tokio::test(flavor = "multi_thread")]
async fn a_monthly_task_is_reminded_of_february_once_january_is_done() {
    let smtp = SmtpServer::start();
    let webhook = webhook_server(200).await;
    let env = env_with(&smtp, &webhook, 5);
    let letter = env.write("cong-van-05.txt", MONTHLY_LETTER);
    let added = env.ok(&["import", "--apply", &letter.display().to_string()]);
    assert!(added.contains("1 tasks (1 with a deadline)"), "{added}");
    let task = env.json(&["task", "show", "1"]);
    assert_eq!(task["deadline"], "2022-01-20", "{task:#}");
    assert_eq!(task["recurrence"], serde_json::json!({"every": "month", "day": 20}));
    let daemon = env.spawn_daemon();
    // January's occurrence is long past: its newest reminder goes out.
    let january = daemon
        .wait_for("January's reminder", WAIT, || {
            smtp.messages().into_iter().find(|m| m.to_string().contains("20/01/2022"))
        })
        .await;
    assert!(!january.to_string().contains("20/02/2022"), "{january}");
    env.ok(&["task", "done", "1", "--note", "đã báo cáo tháng 1"]);
    let february = daemon
        .wait_for("February's reminder", WAIT, || {
            smtp.messages().into_iter().find(|m| m.to_string().contains("20/02/2022"))
        })
        .await;
    assert!(!february.to_string().contains("20/01/2022"), "{february}");
    let task = env.json(&["task", "show", "1"]);
    assert_eq!(task["status"], "open");
    assert_eq!(task["deadline"], "2022-02-20");
    let history = task["history"].to_string();
    assert!(history.contains("kỳ hạn 2022-01-20 hoàn thành"), "{history}");
    // Nothing more for January once it is done.
    let outbox = env.json(&["outbox", "list"]);
    let pending_january = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["deadline"] == "2022-01-20" && i["state"] == "pending")
        .count();
    assert_eq!(pending_january, 0, "{outbox:#}");
}
