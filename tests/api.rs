//! The HTTP face over real HTTP: the `/api/v1` API with its tokens and error answers, a
//! task created through it delivered at once, acknowledge links from a delivered email,
//! and the calendar feed read by Python's `icalendar`.

mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{ConfigParts, DaemonProcess, SmtpServer, TestEnv, days_from_today};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const WAIT: Duration = Duration::from_secs(30);
const WRITE_TOKEN: &str = "nv_write_token_for_the_e_office";
const READ_TOKEN: &str = "nv_read_token_for_the_dashboard";
pub const LINK_KEY: &str = "khoa-ky-lien-ket-dai-hon-ba-muoi-hai-ky-tu";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A daemon with the HTTP face on, its SMTP server and its webhook receiver.
struct Server {
    env: TestEnv,
    daemon: DaemonProcess,
    smtp: SmtpServer,
    webhook: MockServer,
    base: String,
    http: reqwest::Client,
}

async fn start(poll_interval: &str, before: &str) -> Server {
    let smtp = SmtpServer::start();
    let webhook = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let port = support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let extra = format!(
        r#"[http]
listen = "127.0.0.1:{port}"
public_url = "{base}/"
link_key = "{LINK_KEY}"
body_limit = "64KB"
[[http.tokens]]
name = "e-office"
sha256 = "{write}"
scope = "write"
[[http.tokens]]
name = "dashboard"
sha256 = "{read}"
scope = "read"
"#,
        write = sha256(WRITE_TOKEN),
        read = sha256(READ_TOKEN),
    );
    let env = TestEnv::new(ConfigParts {
        smtp_port: smtp.port,
        webhook_url: format!("{}/hook", webhook.uri()),
        extra,
        ..ConfigParts::default()
    });
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("poll_interval = \"1s\"", &format!("poll_interval = \"{poll_interval}\""))
        .replace("before = [\"14d\", \"7d\", \"3d\", \"1d\"]", &format!("before = {before}"));
    // A folder whose documents wait as drafts, for the drafts' endpoints.
    let inbox = env.path("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let text = text
        + &format!(
            "\n[[sources]]\nname = \"van-thu\"\nkind = \"folder\"\npath = \"{}\"\npoll_every = \"1s\"\nsettle = \"1s\"\nmode = \"review\"\n",
            inbox.display()
        );
    std::fs::write(&env.config, text).unwrap();
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    // reqwest is built without a default TLS provider; plain HTTP needs none, but the
    // client wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let server = Server { env, daemon, smtp, webhook, base, http };
    server
        .daemon
        .wait_for("the HTTP server", WAIT, || std::net::TcpStream::connect(&server.base[7..]).ok())
        .await;
    server
}

impl Server {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PATCH, path, token, Some(body)).await
    }

    /// POSTs raw bytes with a content type.
    async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, String, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(WRITE_TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let kind =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let text = response.text().await.unwrap_or_default();
        (status, kind, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

fn directive(tasks: Value) -> Value {
    json!({
        "number": "123/TB-UBND",
        "title": "Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc với thành phố Nam Định",
        "issuer": "UBND tỉnh Nam Định",
        "issued_on": "2021-09-21",
        "tasks": tasks,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_answers_with_what_it_documents() {
    let server = start("1s", "[\"7d\"]").await;
    let far = days_from_today(60).to_string();
    let body = directive(json!([
        {"section": "1", "summary": "Rà soát quy hoạch", "lead": "Sở Nội vụ", "coordinating": ["ubnd-tpnd"], "deadline": far, "deadline_phrase": "trong quý"},
        {"summary": "Báo cáo kết quả", "lead": "SNV", "deadline": "+10wd"},
        {"summary": "Theo dõi thường xuyên", "lead": "ubnd-tpnd"},
    ]));

    let (status, created) = server.post("/api/v1/directives", Some(WRITE_TOKEN), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let directive_id = created["directive"]["id"].as_i64().unwrap();
    assert_eq!(created["directive"]["tasks"], 3);
    let tasks = created["tasks"].as_array().unwrap();
    assert_eq!(tasks[0]["lead"], "snv");
    assert_eq!(tasks[0]["coordinating"], json!(["ubnd-tpnd"]));
    assert_eq!(tasks[0]["deadline"], far);
    assert_eq!(tasks[0]["deadline_phrase"], "trong quý");
    // 10 working days from 21/09/2021 (a Tuesday): 05/10/2021.
    assert_eq!(tasks[1]["deadline"], "2021-10-05");
    assert_eq!(tasks[2]["deadline"], Value::Null);
    let task_id = tasks[0]["id"].as_i64().unwrap();

    let (status, list) = server.get("/api/v1/directives", Some(READ_TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["directives"][0]["number"], "123/TB-UBND");

    let (status, one) = server.get(&format!("/api/v1/directives/{directive_id}"), Some(READ_TOKEN)).await;
    assert_eq!((status, one["tasks"].as_array().map(Vec::len)), (StatusCode::OK, Some(3)));

    let (status, patched) = server
        .patch(
            &format!("/api/v1/directives/{directive_id}"),
            Some(WRITE_TOKEN),
            json!({"number": "124/TB-UBND"}),
        )
        .await;
    assert_eq!((status, &patched["directive"]["number"]), (StatusCode::OK, &json!("124/TB-UBND")));
    assert_eq!(patched["directive"]["title"], created["directive"]["title"]);
    let (_, first_task) = server.get(&format!("/api/v1/tasks/{task_id}"), Some(READ_TOKEN)).await;
    let noted = first_task["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&noted["kind"], &noted["actor"]),
        (&json!("directive_updated"), &json!("api:e-office")),
        "{noted}"
    );

    let (status, added) = server
        .post(
            &format!("/api/v1/directives/{directive_id}/tasks"),
            Some(WRITE_TOKEN),
            json!({"summary": "Tổng hợp ý kiến", "lead": "vp-ubnd", "deadline": "+5wd from 2021-10-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["deadline"], "2021-10-08");
    assert_eq!(added["history"][0]["kind"], "created");
    assert_eq!(added["history"][0]["actor"], "api:e-office");

    let (status, page) = server.get("/api/v1/tasks?limit=2", Some(READ_TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["tasks"].as_array().unwrap().len(), 2);
    let after = page["next_after"].as_i64().unwrap();
    let (_, rest) = server.get(&format!("/api/v1/tasks?after={after}"), Some(READ_TOKEN)).await;
    assert_eq!(rest["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(rest["next_after"], Value::Null);
    let (_, of_snv) = server.get("/api/v1/tasks?department=snv&status=open", Some(READ_TOKEN)).await;
    assert_eq!(of_snv["tasks"].as_array().unwrap().len(), 2);
    let (_, overdue) = server.get("/api/v1/tasks?overdue=true", Some(READ_TOKEN)).await;
    assert_eq!(overdue["tasks"].as_array().unwrap().len(), 2, "{overdue}");

    let (status, task) = server.get(&format!("/api/v1/tasks/{task_id}"), Some(READ_TOKEN)).await;
    assert_eq!((status, &task["summary"]), (StatusCode::OK, &json!("Rà soát quy hoạch")));

    let (status, task) = server
        .patch(
            &format!("/api/v1/tasks/{task_id}"),
            Some(WRITE_TOKEN),
            json!({"summary": "Rà soát, điều chỉnh quy hoạch", "coordinating": []}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{task}");
    assert_eq!(task["summary"], "Rà soát, điều chỉnh quy hoạch");
    assert_eq!(task["coordinating"], json!([]));
    assert_eq!(task["lead"], "snv");

    let new_deadline = days_from_today(90).to_string();
    let (status, task) = server
        .post(
            &format!("/api/v1/tasks/{task_id}/extend"),
            Some(WRITE_TOKEN),
            json!({"to": new_deadline, "reason": "Chờ ý kiến của Bộ Nội vụ"}),
        )
        .await;
    assert_eq!((status, &task["deadline"]), (StatusCode::OK, &json!(new_deadline)), "{task}");
    let extended =
        task["history"].as_array().unwrap().iter().find(|e| e["kind"] == "extended").cloned().unwrap();
    assert!(extended["detail"].as_str().unwrap().contains("Chờ ý kiến của Bộ Nội vụ"));
    assert_eq!(extended["actor"], "api:e-office");

    let (status, snv_open) = server.get("/api/v1/departments/Sở Nội vụ/tasks", Some(READ_TOKEN)).await;
    assert_eq!((status, snv_open["tasks"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)));

    let (status, done) = server
        .post(
            &format!("/api/v1/tasks/{task_id}/done"),
            Some(WRITE_TOKEN),
            json!({"note": "Báo cáo số 45/BC-SNV"}),
        )
        .await;
    assert_eq!(
        (status, &done["changed"], &done["task"]["status"]),
        (StatusCode::OK, &json!(true), &json!("done"))
    );
    let (_, again) =
        server.post(&format!("/api/v1/tasks/{task_id}/done"), Some(WRITE_TOKEN), json!({})).await;
    assert_eq!(again["changed"], false);
    let (_, snv_open) = server.get("/api/v1/departments/snv/tasks", Some(READ_TOKEN)).await;
    assert_eq!(snv_open["tasks"].as_array().map(Vec::len), Some(1));
    let (_, snv_done) = server.get("/api/v1/departments/snv/tasks?status=done", Some(READ_TOKEN)).await;
    assert_eq!(snv_done["tasks"][0]["id"], task_id);

    let (status, departments) = server.get("/api/v1/departments", Some(READ_TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(departments["departments"][0]["code"], "snv");
    assert_eq!(departments["departments"][0]["aliases"], json!(["SNV", "Nội vụ"]));

    // The overdue task reminded snv by email: its item is in the outbox.
    server.daemon.wait_for("a reminder sent", WAIT, || server.smtp.messages().into_iter().next()).await;
    // The server has the message a moment before the daemon records it sent.
    let started = Instant::now();
    let outbox = loop {
        let (status, outbox) = server.get("/api/v1/outbox?state=sent", Some(READ_TOKEN)).await;
        assert_eq!(status, StatusCode::OK);
        if outbox["items"].as_array().is_some_and(|items| !items.is_empty()) || started.elapsed() > WAIT {
            break outbox;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let items = outbox["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|i| i["state"] == "sent"), "{outbox}");

    // Paged: one item, then the rest.
    let (_, first) = server.get("/api/v1/outbox?limit=1", Some(READ_TOKEN)).await;
    let after = first["next_after"].as_i64().unwrap();
    let (_, rest) = server.get(&format!("/api/v1/outbox?after={after}"), Some(READ_TOKEN)).await;
    assert!(rest["items"].as_array().unwrap().iter().all(|i| i["id"].as_i64().unwrap() > after), "{rest}");
    assert_eq!(rest["next_after"], Value::Null);
    // A last page that is exactly full says so.
    let (_, all) = server.get("/api/v1/tasks", Some(READ_TOKEN)).await;
    let count = all["tasks"].as_array().unwrap().len();
    let (_, exact) = server.get(&format!("/api/v1/tasks?limit={count}"), Some(READ_TOKEN)).await;
    assert_eq!(exact["next_after"], Value::Null);

    let (status, document) = server.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    // Every path the document names answers: a 404 there names a missing resource (no
    // draft has the task's id), never an unknown path.
    for path in document["paths"].as_object().unwrap().keys() {
        let concrete = path.replace("{id}", &task_id.to_string()).replace("{code}", "snv");
        let (status, body) = server.get(&concrete, Some(READ_TOKEN)).await;
        let unknown = body.to_string().contains("no such API path");
        assert!(status != StatusCode::NOT_FOUND || !unknown, "{path}: {status} {body}");
    }
    // A retried create with its Idempotency-Key makes nothing twice.
    let keyed = |body: &Value| {
        server
            .http
            .post(format!("{}/api/v1/directives", server.base))
            .bearer_auth(WRITE_TOKEN)
            .header("idempotency-key", "eoffice-2021-0921-123")
            .json(body)
            .send()
    };
    let once = directive(json!([{"summary": "Một lần", "lead": "snv"}]));
    let first = keyed(&once).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let again = keyed(&once).await.unwrap();
    assert_eq!(
        (again.status(), again.headers()["location"].to_str().unwrap()),
        (StatusCode::CREATED, location.as_str())
    );
    let other = keyed(&directive(json!([{"summary": "Khác", "lead": "snv"}]))).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = server.get("/api/v1/directives", Some(READ_TOKEN)).await;
    assert_eq!(list["directives"].as_array().map(Vec::len), Some(2));

    let (status, unknown) = server.get("/api/v1/nothing-here", Some(READ_TOKEN)).await;
    assert_eq!((status, &unknown["status"]), (StatusCode::NOT_FOUND, &json!(404)));
    let (status, wrong) =
        server.call(reqwest::Method::DELETE, "/api/v1/tasks/1", Some(WRITE_TOKEN), None).await;
    assert_eq!((status, &wrong["status"]), (StatusCode::METHOD_NOT_ALLOWED, &json!(405)));
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_required_and_scoped() {
    let server = start("1s", "[\"7d\"]").await;
    let body = directive(json!([{"summary": "Việc A", "lead": "snv"}]));
    for (token, expected) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some("not-a-token"), StatusCode::UNAUTHORIZED),
        (Some(READ_TOKEN), StatusCode::FORBIDDEN),
    ] {
        let response = server
            .http
            .post(format!("{}/api/v1/directives", server.base))
            .json(&body)
            .header("authorization", token.map(|t| format!("Bearer {t}")).unwrap_or_default())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "{token:?}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.starts_with("Bearer realm=\"nhacviec\""), "{challenge}");
        if expected == StatusCode::FORBIDDEN {
            assert!(challenge.contains("insufficient_scope"), "{challenge}");
        }
    }
    let (status, _) = server.get("/api/v1/tasks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The token is checked before the body is read: no token, no 413 or 422.
    let huge = json!({"title": "x".repeat(70 * 1024)});
    // On a connection of its own: the server answers before reading the body and closes it,
    // which a pooled connection's next request would meet half-way.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/directives", server.base))
        .json(&huge)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = server.post("/api/v1/directives", Some(READ_TOKEN), json!({"nonsense": 1})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = server
        .http
        .get(format!("{}/api/v1/tasks", server.base))
        .header("authorization", format!("BEARER {READ_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = server.get("/api/v1/outbox", Some("nv_wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let response = server
        .http
        .get(format!("{}/api/v1/tasks", server.base))
        .basic_auth("u", Some("p"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // A write token reads too; nothing was written by the refused requests.
    let (status, list) = server.get("/api/v1/directives", Some(WRITE_TOKEN)).await;
    assert_eq!((status, list["directives"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (status, _) = server.post("/api/v1/directives", Some(WRITE_TOKEN), body).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_naming_the_field_and_nothing_is_written() {
    let server = start("1s", "[\"7d\"]").await;
    let good = directive(json!([{"summary": "Việc A", "lead": "snv", "deadline": "2030-01-31"}]));
    let (status, created) = server.post("/api/v1/directives", Some(WRITE_TOKEN), good.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let task_id = created["tasks"][0]["id"].as_i64().unwrap();
    let before = server.env.json(&["task", "list"]);

    // Not JSON.
    let (status, kind, problem) =
        server.post_raw("/api/v1/directives", "application/json", b"{\"title\": ".to_vec()).await;
    assert_eq!((status, kind.as_str()), (StatusCode::BAD_REQUEST, "application/problem+json"));
    assert!(problem["detail"].as_str().unwrap().contains("not valid JSON"), "{problem}");
    // Not sent as JSON.
    let (status, _, _) =
        server.post_raw("/api/v1/directives", "text/plain", serde_json::to_vec(&good).unwrap()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Over the body limit (64KB here).
    let mut huge = good.clone();
    huge["title"] = json!("x".repeat(70 * 1024));
    let (status, _, problem) =
        server.post_raw("/api/v1/directives", "application/json", serde_json::to_vec(&huge).unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");

    let cases = [
        // An unknown field, at the top and in a task.
        (json!({"titel": "x", "issuer": "y", "issued_on": "2021-09-21", "tasks": []}), "titel"),
        (directive(json!([{"summary": "A", "lead": "snv", "leader": "snv"}])), "tasks[0].leader"),
        // A missing field, a wrong type, an impossible date.
        (directive(json!([{"summary": "A"}])), "tasks[0].lead"),
        (
            directive(json!([{"summary": "A", "lead": "snv", "coordinating": "ubnd-tpnd"}])),
            "tasks[0].coordinating",
        ),
        (json!({"title": "x", "issuer": "y", "issued_on": "2021-02-30", "tasks": []}), "issued_on"),
        // An unknown department, a bad deadline, an empty summary.
        (directive(json!([{"summary": "A", "lead": "Sở Không Có"}])), "tasks[0].lead"),
        (
            directive(json!([{"summary": "A", "lead": "snv", "coordinating": ["snv", "sxyz"]}])),
            "tasks[0].coordinating[1]",
        ),
        (directive(json!([{"summary": "A", "lead": "snv", "deadline": "31/12/2021"}])), "tasks[0].deadline"),
        (directive(json!([{"summary": "  ", "lead": "snv"}])), "tasks[0].summary"),
        (directive(json!([])), "tasks"),
    ];
    for (body, field) in cases {
        let (status, problem) = server.post("/api/v1/directives", Some(WRITE_TOKEN), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{field} not in {fields:?}: {problem}");
        assert_eq!(problem["status"], 422);
    }
    let (status, problem) = server
        .post(
            &format!("/api/v1/tasks/{task_id}/extend"),
            Some(WRITE_TOKEN),
            json!({"to": "2031-01-31", "reason": " "}),
        )
        .await;
    assert_eq!(
        (status, &problem["errors"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("reason"))
    );
    let (status, problem) = server
        .patch(&format!("/api/v1/tasks/{task_id}"), Some(WRITE_TOKEN), json!({"deadline": "2031-01-31"}))
        .await;
    assert_eq!(
        (status, &problem["errors"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("deadline"))
    );
    let (status, problem) =
        server.patch(&format!("/api/v1/tasks/{task_id}"), Some(WRITE_TOKEN), json!({"lead": "nobody"})).await;
    assert_eq!((status, &problem["errors"][0]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("lead")));
    let (status, problem) = server
        .post("/api/v1/directives/9999/tasks", Some(WRITE_TOKEN), json!({"summary": "A", "lead": "snv"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, _) = server.get("/api/v1/tasks/9999", Some(READ_TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.get("/api/v1/tasks/abc", Some(READ_TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = server.get("/api/v1/tasks?colour=red", Some(READ_TOKEN)).await;
    assert_eq!((status, &problem["errors"][0]["field"]), (StatusCode::BAD_REQUEST, &json!("colour")));
    let (status, problem) = server.get("/api/v1/tasks?department=nowhere", Some(READ_TOKEN)).await;
    assert_eq!(
        (status, &problem["errors"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("department"))
    );
    let (status, _) = server.get("/api/v1/departments/nowhere/tasks", Some(READ_TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = server.get("/api/v1/outbox?state=lost", Some(READ_TOKEN)).await;
    assert_eq!((status, &problem["errors"][0]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("state")));

    // Nothing of all that was written.
    assert_eq!(server.env.json(&["task", "list"]), before);
    let (_, list) = server.get("/api/v1/directives", Some(READ_TOKEN)).await;
    assert_eq!(list["directives"].as_array().map(Vec::len), Some(1));

    // A done task cannot change.
    server.post(&format!("/api/v1/tasks/{task_id}/done"), Some(WRITE_TOKEN), json!({})).await;
    let (status, problem) = server
        .post(
            &format!("/api/v1/tasks/{task_id}/extend"),
            Some(WRITE_TOKEN),
            json!({"to": "2031-01-31", "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, _) = server
        .post(&format!("/api/v1/tasks/{task_id}/done"), Some(WRITE_TOKEN), json!({"on": "2999-01-01"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_created_through_the_api_is_delivered_within_a_second_with_an_hour_long_poll() {
    let server = start("1h", "[\"14d\", \"7d\", \"3d\", \"1d\"]").await;
    // Let the daemon settle into its hour-long sleep.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(server.webhook.received_requests().await.unwrap_or_default().is_empty());
    let body = directive(
        json!([{"summary": "Báo cáo gấp", "lead": "ubnd-tpnd", "deadline": days_from_today(1).to_string()}]),
    );
    let started = Instant::now();
    let (status, _) = server.post("/api/v1/directives", Some(WRITE_TOKEN), body).await;
    assert_eq!(status, StatusCode::CREATED);
    let received = support::requests(&server.webhook, 1, WAIT).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "delivered after {took:?}\n{}", server.daemon.log());
    let json: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(json["rule"], "before:1d", "{json}");
    println!("created through the API to delivered: {took:?}");
}

/// The first URL after `label` in `text`.
fn link_after(text: &str, label: &str) -> String {
    let start = text.find(label).unwrap_or_else(|| panic!("no {label:?} in:\n{text}")) + label.len();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledge_links_act_once_on_post_and_stop_the_repeat() {
    let server = start("1s", "[\"7d\"]").await;
    // A deadline 3 days out: "7d" is due, for snv (email) and ubnd-tpnd (chat).
    let deadline = days_from_today(3);
    let body = directive(
        json!([{"summary": "Rà soát hồ sơ", "lead": "snv", "coordinating": ["ubnd-tpnd"], "deadline": deadline.to_string()}]),
    );
    let (_, created) = server.post("/api/v1/directives", Some(WRITE_TOKEN), body).await;
    let task_id = created["tasks"][0]["id"].as_i64().unwrap();
    let mail = server.daemon.wait_for("the email", WAIT, || server.smtp.messages().into_iter().next()).await;
    let text = mail["body"].as_str().unwrap().to_owned();
    let received = link_after(&text, "Đã nhận (ngừng nhắc lại): ");
    let done = link_after(&text, "Báo cáo hoàn thành: ");
    assert!(
        received.starts_with(&format!("{}/ack/{task_id}.snv.received-due_soon.", server.base)),
        "{received}"
    );
    let history =
        |server: &Server| server.env.json(&["task", "show", &task_id.to_string()])["history"].clone();
    let history_before = history(&server);

    // GET shows the page and does nothing.
    let page = server.http.get(&received).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Xác nhận đã nhận nhắc việc")
            && html.contains("Rà soát hồ sơ")
            && html.contains("<form method=\"post\">"),
        "{html}"
    );
    assert_eq!(history(&server), history_before);

    // Tampered and expired links are refused, on GET and POST.
    let tampered = received.replacen(".snv.", ".sgddt.", 1);
    for response in
        [server.http.get(&tampered).send().await.unwrap(), server.http.post(&tampered).send().await.unwrap()]
    {
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.text().await.unwrap().contains("Liên kết không hợp lệ"));
    }
    let signer = nhacviec::links::LinkSigner::new(LINK_KEY.to_owned().into());
    let expired = signer.ack_token(&nhacviec::links::AckLink {
        task: nhacviec::domain::TaskId(task_id),
        department: nhacviec::domain::DepartmentCode::parse("snv").unwrap(),
        action: nhacviec::links::LinkAction::Done,
        deadline,
        expires: chrono::Utc::now() - chrono::Duration::minutes(1),
    });
    let response = server.http.post(format!("{}/ack/{expired}", server.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(response.text().await.unwrap().contains("Liên kết đã hết hạn"));
    assert_eq!(history(&server), history_before);

    // POST acts, once.
    let response = server.http.post(&received).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Đã ghi nhận"));
    let history_now = history(&server);
    let event = history_now.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&event["kind"], &event["actor"]),
        (&json!("acknowledged"), &json!("link:snv")),
        "{history_now}"
    );
    for replay in
        [server.http.post(&received).send().await.unwrap(), server.http.get(&received).send().await.unwrap()]
    {
        assert_eq!(replay.status(), StatusCode::CONFLICT);
        assert!(replay.text().await.unwrap().contains("đã được sử dụng"));
    }
    assert_eq!(history(&server), history_now);

    // The repeat stops for snv, not for ubnd-tpnd: with "3d" added and the task planned
    // again from scratch, "3d" (due today) goes to the chat only.
    support::requests(&server.webhook, 1, WAIT).await;
    let text = std::fs::read_to_string(&server.env.config)
        .unwrap()
        .replace("before = [\"7d\"]", "before = [\"7d\", \"3d\"]");
    std::fs::write(&server.env.config, text).unwrap();
    server.daemon.signal("HUP");
    server
        .daemon
        .wait_for("the reload", WAIT, || server.daemon.log().contains("config reloaded").then_some(()))
        .await;
    let (status, _) = server
        .patch(
            &format!("/api/v1/tasks/{task_id}"),
            Some(WRITE_TOKEN),
            json!({"details": "Theo Thông báo 123"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let chat = support::requests(&server.webhook, 2, WAIT).await;
    let rules: Vec<String> = chat
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["rule"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rules, ["before:7d", "before:3d"]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(server.smtp.messages().len(), 1, "snv acknowledged, yet was reminded again");

    // "Báo cáo hoàn thành": the page asks for a note; the POST marks the task done.
    let html = server.http.get(&done).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Báo cáo hoàn thành nhiệm vụ") && html.contains("name=\"note\""), "{html}");
    let response = server.http.post(&done).form(&[("note", "Báo cáo số 45/BC-SNV")]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (_, task) = server.get(&format!("/api/v1/tasks/{task_id}"), Some(READ_TOKEN)).await;
    assert_eq!(task["status"], "done");
    let event = task["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(event["actor"], "link:snv");
    assert!(event["detail"].as_str().unwrap().contains("Báo cáo số 45/BC-SNV"), "{event}");
    let replay = server.http.post(&done).send().await.unwrap();
    assert_ne!(replay.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // Refused as used, not shown again as a page to act on.
    assert_eq!(replay.status(), StatusCode::CONFLICT);
    let text = replay.text().await.unwrap();
    assert!(text.contains("đã"));
    assert!(text.contains("Liên kết đã được sử dụng") && !text.contains("<form"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_calendar_feed_reads_in_python_icalendar_with_its_dates_and_alarms() {
    let server = start("1s", "[\"14d\", \"7d\", \"3wd\"]").await;
    let deadline = chrono::NaiveDate::from_ymd_opt(2031, 2, 14).unwrap(); // a Friday
    let body = directive(json!([
        {"summary": "Rà soát; báo cáo, tổng hợp", "lead": "snv", "deadline": deadline.to_string()},
        {"summary": "Phối hợp kiểm tra", "lead": "ubnd-tpnd", "coordinating": ["snv"], "deadline": "2031-03"},
        {"summary": "Không có hạn", "lead": "snv"},
        {"summary": "Việc của đơn vị khác", "lead": "vp-ubnd", "deadline": "2031-01-15"},
    ]));
    let (status, _) = server.post("/api/v1/directives", Some(WRITE_TOKEN), body).await;
    assert_eq!(status, StatusCode::CREATED);
    let url = server.env.ok(&["feed-url", "--department", "Sở Nội vụ"]).trim().to_owned();
    assert!(url.starts_with(&format!("{}/calendar/snv.ics?token=", server.base)), "{url}");

    let response = server.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/calendar; charset=utf-8");
    let ics = response.text().await.unwrap();
    let file = server.env.write("feed.ics", &ics);
    let script = r#"
import json, sys, icalendar
calendar = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
events = []
for event in calendar.walk('VEVENT'):
    events.append({
        'summary': str(event['SUMMARY']),
        'start': event['DTSTART'].dt.isoformat(),
        'end': event['DTEND'].dt.isoformat(),
        'uid': str(event['UID']),
        'alarms': [str(alarm['TRIGGER'].dt) for alarm in event.walk('VALARM')],
        'actions': [str(alarm['ACTION']) for alarm in event.walk('VALARM')],
    })
print(json.dumps({'name': str(calendar.get('X-WR-CALNAME')), 'version': str(calendar['VERSION']), 'events': events}, ensure_ascii=False))
"#;
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(&file).output().unwrap();
    assert!(
        output.status.success(),
        "icalendar could not read the feed: {}\n{ics}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed["version"], "2.0");
    assert_eq!(parsed["name"], "Nhắc việc: Sở Nội vụ");
    let events = parsed["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{parsed}");
    let first = &events[0];
    assert_eq!(first["summary"], "Hạn: Rà soát; báo cáo, tổng hợp");
    assert_eq!((&first["start"], &first["end"]), (&json!("2031-02-14"), &json!("2031-02-15")));
    // Sent at 00:00: 14 and 7 days before, and 3 working days before (Tue 11/02); then on
    // the day.
    assert_eq!(
        first["alarms"],
        json!(["-14 days, 0:00:00", "-7 days, 0:00:00", "-3 days, 0:00:00", "0:00:00"])
    );
    assert!(first["actions"].as_array().unwrap().iter().all(|a| a == "DISPLAY"));
    // "2031-03": the end of March; snv coordinates it.
    assert_eq!(events[1]["start"], "2031-03-31");
    assert_ne!(events[0]["uid"], events[1]["uid"]);

    // Another department's token, none, an unknown department.
    let other = url.replace("/snv.ics", "/ubnd-tpnd.ics");
    assert_eq!(server.http.get(&other).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let bare = url.split('?').next().unwrap().to_owned();
    assert_eq!(server.http.get(&bare).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let unknown = url.replace("/snv.ics", "/sxyz.ics");
    assert_eq!(server.http.get(&unknown).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fuzzing_run_over_the_openapi_document_finds_no_server_error() {
    let server = start("1s", "[\"7d\"]").await;
    // Something to read, update, extend and mark done.
    let body = directive(json!([
        {"summary": "Việc A", "lead": "snv", "deadline": "2030-01-31"},
        {"summary": "Việc B", "lead": "ubnd-tpnd", "coordinating": ["snv"], "deadline": "2030-03"},
    ]));
    server.post("/api/v1/directives", Some(WRITE_TOKEN), body).await;
    // No 5xx, and every answer as documented: status, content type, body schema.
    // `NHACVIEC_FUZZ_CHECKS=all NHACVIEC_FUZZ_EXCLUDE=` adds schemathesis' input checks.
    let checks = std::env::var("NHACVIEC_FUZZ_CHECKS").unwrap_or_else(|_| {
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
            .into()
    });
    let excluded =
        std::env::var("NHACVIEC_FUZZ_EXCLUDE").unwrap_or_else(|_| "positive_data_acceptance".into());
    // Through python3, so that no PATH set-up (pyenv shims, ~/.local/bin) is needed.
    let launcher = "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'schemathesis'; sys.exit(schemathesis())";
    let output = std::process::Command::new("python3")
        .args(["-c", launcher])
        .args(["run", &format!("{}/api/v1/openapi.json", server.base)])
        .args(["--header", &format!("Authorization: Bearer {WRITE_TOKEN}")])
        .args(["--checks", &checks])
        .args(if excluded.is_empty() { vec![] } else { vec!["--exclude-checks", excluded.as_str()] })
        .args(["--max-examples", "30", "--max-time", "60", "--seed", "1", "--request-timeout", "10"])
        .args(["--phases", "examples,coverage,fuzzing", "--workers", "2", "--no-color"])
        .args(std::env::var("NHACVIEC_FUZZ_ARGS").unwrap_or_default().split_whitespace())
        .env("SCHEMATHESIS_HOOKS", "")
        // Its cache and reports go to the test's folder, not the source tree.
        .current_dir(server.env.dir.path())
        .output()
        .expect("schemathesis runs (pip install schemathesis)");
    let report =
        format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{report}");
    let log = server.daemon.log();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\ndaemon errors:\n{}",
        errors.join("\n")
    );
    assert!(errors.is_empty(), "the daemon logged errors:\n{}", errors.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_stops_working_when_its_department_leaves_the_task_or_the_deadline_moves() {
    let server = start("1s", "[\"7d\"]").await;
    let body =
        directive(json!([{"summary": "Rà soát", "lead": "snv", "deadline": days_from_today(3).to_string()}]));
    let (_, created) = server.post("/api/v1/directives", Some(WRITE_TOKEN), body).await;
    let task_id = created["tasks"][0]["id"].as_i64().unwrap();
    let mail = server.daemon.wait_for("the email", WAIT, || server.smtp.messages().into_iter().next()).await;
    let text = mail["body"].as_str().unwrap().to_owned();
    let received = link_after(&text, "Đã nhận (ngừng nhắc lại): ");
    let done = link_after(&text, "Báo cáo hoàn thành: ");

    // snv is no longer the lead: its "done" link no longer acts, on GET or POST.
    let (status, _) = server
        .patch(&format!("/api/v1/tasks/{task_id}"), Some(WRITE_TOKEN), json!({"lead": "ubnd-tpnd"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    for response in
        [server.http.get(&done).send().await.unwrap(), server.http.post(&done).send().await.unwrap()]
    {
        assert_eq!(response.status(), StatusCode::GONE);
        assert!(response.text().await.unwrap().contains("Liên kết không còn hiệu lực"));
    }
    // Back as the lead, with the deadline moved: the old links are for the old deadline.
    server.patch(&format!("/api/v1/tasks/{task_id}"), Some(WRITE_TOKEN), json!({"lead": "snv"})).await;
    let (status, _) = server
        .post(
            &format!("/api/v1/tasks/{task_id}/extend"),
            Some(WRITE_TOKEN),
            json!({"to": days_from_today(30).to_string(), "reason": "Chờ số liệu"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for link in [&received, &done] {
        let response = server.http.post(link).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::GONE);
        assert!(response.text().await.unwrap().contains("Thời hạn đã thay đổi"));
    }
    let (_, task) = server.get(&format!("/api/v1/tasks/{task_id}"), Some(READ_TOKEN)).await;
    assert_eq!(task["status"], "open");
    assert!(task["history"].as_array().unwrap().iter().all(|e| e["kind"] != "acknowledged"));
}

#[tokio::test(flavor = "multi_thread")]
async fn render_prints_the_very_message_the_daemon_delivers_links_and_all() {
    let server = start("1s", "[\"7d\"]").await;
    // A deadline 3 days out: "7d" is due at once, for ubnd-tpnd on the chat webhook.
    let deadline = days_from_today(3);
    let body = directive(
        json!([{"summary": "Rà soát hồ sơ", "lead": "ubnd-tpnd", "deadline": deadline.to_string()}]),
    );
    let (_, created) = server.post("/api/v1/directives", Some(WRITE_TOKEN), body).await;
    let task_id = created["tasks"][0]["id"].as_i64().unwrap().to_string();
    let delivered = support::requests(&server.webhook, 1, WAIT).await.remove(0);

    let today = support::today().to_string();
    let rendered = server.env.ok(&[
        "render",
        "--task",
        &task_id,
        "--rule",
        "before:7d",
        "--channel",
        "chat",
        "--on",
        &today,
    ]);
    let (head, json_text) = rendered.split_once("\n\n").expect("a head and a body");
    let key = delivered.headers.get("Idempotency-Key").unwrap().to_str().unwrap();
    assert!(head.ends_with(&format!("\nIdempotency-Key: {key}")), "{head}");
    // The body as delivered, in render's layout, is render's body to the byte.
    let sent: Value = serde_json::from_slice(&delivered.body).unwrap();
    assert_eq!(json_text.trim_end(), serde_json::to_string_pretty(&sent).unwrap());
    assert!(sent["received_url"].as_str().is_some_and(|u| u.starts_with(&server.base)), "{sent}");
    assert!(sent["done_url"].as_str().is_some_and(|u| u.contains(".done.")), "{sent}");
}

/// A letter with two tasks for the test config's departments.
const LETTER: &str = "\
UỶ BAN NHÂN DÂN CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH NAM ĐỊNH Độc lập - Tự do - Hạnh phúc
Số: 812/UBND-VP3 Nam Định, ngày 04 tháng 10 năm 2021
V/v triển khai Kết luận của Chủ tịch UBND tỉnh
UBND tỉnh có ý kiến như sau:
1. Giao Sở Nội vụ chủ trì, phối hợp với UBND thành phố Nam Định hoàn thiện hồ sơ đề án,
báo cáo UBND tỉnh trước ngày 15/11/2021.
2. Văn phòng UBND tỉnh theo dõi, đôn đốc việc thực hiện.
Nơi nhận:
- Như trên;
";

#[tokio::test(flavor = "multi_thread")]
async fn a_document_posted_to_imports_is_proposed_then_applied_once() {
    let server = start("1s", "[\"14d\", \"7d\", \"3d\", \"1d\"]").await;
    let path = "/api/v1/imports?name=cong-van-812.txt";
    let (status, _, proposal) = server.post_raw(path, "text/plain", LETTER.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{proposal}");
    assert_eq!(proposal["sha256"], sha256(LETTER));
    assert_eq!(proposal["document"]["number"], "812/UBND-VP3");
    assert_eq!(proposal["tasks"][0]["lead_code"], "snv");
    assert_eq!(proposal["tasks"][0]["deadline"], "2021-11-15");
    assert_eq!(proposal["tasks"][1]["lead_code"], "vp-ubnd");
    // Proposing wrote nothing.
    let (_, tasks) = server.get("/api/v1/tasks", Some(READ_TOKEN)).await;
    assert_eq!(tasks["tasks"].as_array().map(Vec::len), Some(0), "{tasks}");
    let apply = "/api/v1/imports?name=cong-van-812.txt&apply=true";
    let (status, _, created) = server.post_raw(apply, "text/plain", LETTER.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["tasks"].as_array().map(Vec::len), Some(2), "{created}");
    let (status, _, again) = server.post_raw(apply, "text/plain", LETTER.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], created["id"]);
    let (_, tasks) = server.get("/api/v1/tasks", Some(READ_TOKEN)).await;
    assert_eq!(tasks["tasks"].as_array().map(Vec::len), Some(2), "{tasks}");
    // A body that no department of the config leads is refused, naming the task's line.
    let unknown = LETTER.replace("2. Văn phòng UBND tỉnh", "2. Ban Quản lý Khu di tích Trần");
    let (status, kind, problem) = server.post_raw(apply, "text/plain", unknown.into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(kind, "application/problem+json");
    assert_eq!(problem["errors"][0]["field"], "tasks[1].lead", "{problem}");
    assert!(problem["errors"][0]["message"].as_str().unwrap_or("").contains("line 8"), "{problem}");
    // The same document as a form's file, as a browser sends it.
    let form = reqwest::multipart::Form::new().part(
        "document",
        reqwest::multipart::Part::bytes(LETTER.as_bytes().to_vec()).file_name("cong-van-812.txt"),
    );
    let response = server
        .http
        .post(format!("{}/api/v1/imports", server.base))
        .bearer_auth(WRITE_TOKEN)
        .multipart(form)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let proposal: Value = response.json().await.unwrap_or_default();
    assert_eq!(proposal["sha256"], sha256(LETTER), "{proposal}");
    // What is not a document says why.
    let (status, _, problem) = server.post_raw(path, "application/pdf", b"%PDF-1.4 broken".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["detail"].as_str().unwrap_or("").contains("this PDF cannot be read"), "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draft_is_listed_shown_and_accepted_once_corrected_over_the_api() {
    let server = start("1s", "[\"7d\"]").await;
    let notice = "UỶ BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố: 12/TB-UBND\nNam Định, ngày 05 tháng 3 năm 2024\nTHÔNG BÁO\nKết luận của Chủ tịch UBND tỉnh\n\
1. Giao Sở Nội vụ chủ trì rà soát biên chế, báo cáo trước ngày 15/4/2024.\n\
2. Sở Không Có hoàn thành kiểm kê trong tháng 6/2024.\n";
    std::fs::write(server.env.path("inbox").join("tb-12.txt"), notice).unwrap();
    let listed = server
        .daemon
        .wait_for("a draft", WAIT, || {
            let (_, list) = futures_block(server.get("/api/v1/drafts", Some(READ_TOKEN)));
            (list["drafts"].as_array().is_some_and(|d| d.len() == 1)).then_some(list)
        })
        .await;
    let id = listed["drafts"][0]["id"].as_i64().unwrap();
    assert_eq!(listed["drafts"][0]["label"], "tb-12.txt");
    let (status, draft) = server.get(&format!("/api/v1/drafts/{id}"), Some(READ_TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!(draft["state"], "waiting");
    assert_eq!(draft["content"]["findings"][0]["line"], 7);
    // As it stands it names a department the config does not have.
    let (status, refused) =
        server.post(&format!("/api/v1/drafts/{id}/accept"), Some(WRITE_TOKEN), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("Sở Không Có"), "{refused}");
    let (status, _) = server.post(&format!("/api/v1/drafts/{id}/accept"), Some(READ_TOKEN), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Corrected, it is applied whole.
    let corrected = json!({"directive": {
    "number": "12/TB-UBND", "title": "Kết luận", "issuer": "UBND tỉnh Nam Định", "issued_on": "2024-03-05",
    "tasks": [
        {"summary": "Rà soát biên chế", "lead": "snv", "deadline": "2024-04-15"},
        {"summary": "Hoàn thành kiểm kê", "lead": "ubnd-tpnd", "deadline": "2024-06"}
    ]}});
    let (status, accepted) =
        server.post(&format!("/api/v1/drafts/{id}/accept"), Some(WRITE_TOKEN), corrected.clone()).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["tasks"].as_array().map(Vec::len), Some(2));
    assert_eq!(accepted["draft"]["state"], "accepted");
    assert_eq!(accepted["draft"]["decided_by"], "api:e-office");
    // Once only.
    let (status, again) =
        server.post(&format!("/api/v1/drafts/{id}/accept"), Some(WRITE_TOKEN), corrected).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, _) = server
        .post(&format!("/api/v1/drafts/{id}/reject"), Some(WRITE_TOKEN), json!({"reason": "trùng"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, waiting) = server.get("/api/v1/drafts", Some(READ_TOKEN)).await;
    assert_eq!(waiting["drafts"], json!([]));
    let (_, all) = server.get("/api/v1/drafts?state=all", Some(READ_TOKEN)).await;
    assert_eq!(all["drafts"][0]["state"], "accepted");
    for missing in ["/api/v1/drafts/999", "/api/v1/drafts/abc"] {
        let (status, _) = server.get(missing, Some(READ_TOKEN)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
}

fn futures_block<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}
