//! The web pages over real HTTP, with a real SMTP server: sign-in from the link in a
//! delivered email, the desk and its actions, an extension request approved by the office
//! and the department told, the board and its exports; and the pages' security: another
//! department's task, forms without their token, replayed and expired links, the session
//! cookie, escaping and the Content-Security-Policy.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use support::{ConfigParts, DaemonProcess, SmtpServer, TestEnv, days_from_today};

const WAIT: Duration = Duration::from_secs(30);
const LINK_KEY: &str = "khoa-ky-lien-ket-cua-trang-web-dai-hon-32-ky-tu";
const HEAD_OF_SNV: &str = "vanthu@snv.namdinh.example";
const OFFICE: &str = "chanh.vanphong@vpubnd.namdinh.example";

struct Server {
    env: TestEnv,
    daemon: DaemonProcess,
    smtp: SmtpServer,
    base: String,
}

async fn start() -> Server {
    let smtp = SmtpServer::start();
    let port = support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let extra = format!(
        r#"[http]
listen = "127.0.0.1:{port}"
public_url = "{base}/"
link_key = "{LINK_KEY}"
[pages]
sign_in_valid_for = "15m"
session_for = "8h"
[[pages.people]]
email = "{OFFICE}"
name = "Chánh Văn phòng"
role = "office"
department = "vp-ubnd"
"#
    );
    let env = TestEnv::new(ConfigParts { smtp_port: smtp.port, extra, ..ConfigParts::default() });
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    daemon.wait_for("the HTTP server", WAIT, || std::net::TcpStream::connect(&base[7..]).ok()).await;
    Server { env, daemon, smtp, base }
}

/// A browser of one person: its cookies, no redirect followed.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    /// The form token the page's forms carry.
    fn form_token(&self) -> String {
        let at = self
            .body
            .find("name=\"form_token\" value=\"")
            .unwrap_or_else(|| panic!("no form token in:\n{}", self.body));
        let rest = &self.body[at + "name=\"form_token\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    }
}

impl Browser {
    fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, base: base.to_owned(), cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let response =
            request.header("cookie", self.cookie_header()).send().await.expect("the server answers");
        let page =
            Page { status: response.status(), headers: response.headers().clone(), body: String::new() };
        let body = response.text().await.unwrap_or_default();
        let page = Page { body, ..page };
        for cookie in page.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let request = self.http.get(url);
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let request = self.http.post(url).form(form);
        self.send(request).await
    }
}

/// The link of the newest email to `to` whose subject has `subject`, starting with `prefix`.
async fn link_in_mail(server: &Server, to: &str, subject: &str, prefix: &str) -> String {
    let wanted = format!("{}{prefix}", server.base);
    server
        .daemon
        .wait_for(&format!("an email '{subject}' to {to}"), WAIT, || {
            server.smtp.messages().into_iter().rev().find_map(|m| {
                let to_matches = m["rcpt_tos"].as_array()?.iter().any(|r| r.as_str() == Some(to));
                let subject_matches = m["subject"].as_str()?.contains(subject);
                if !(to_matches && subject_matches) {
                    return None;
                }
                let body = m["body"].as_str()?;
                let at = body.find(&wanted)?;
                Some(body[at..].split_whitespace().next()?.to_owned())
            })
        })
        .await
}

/// Signs `email` in from the link a real email brought; returns the link used.
async fn sign_in(server: &Server, browser: &mut Browser, email: &str) -> String {
    let form = browser.get("/sign-in").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let sent = browser.post("/sign-in", &[("email", email), ("form_token", &form.form_token())]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("kiểm tra hộp thư"), "{}", sent.body);
    let link = link_in_mail(server, email, "Liên kết đăng nhập", "/sign-in/").await;
    // Opening the link does nothing by itself: a button does.
    let shown = browser.get(&link).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(!browser.cookies.contains_key("nhacviec_session"));
    // The button's form only: the link posted from elsewhere signs nobody in.
    let forged = Browser::new(&server.base).post(&link, &[("form_token", &shown.form_token())]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let signed_in = browser.post(&link, &[("form_token", &shown.form_token())]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    let cookie = signed_in
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("nhacviec_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    link
}

fn task_id_with(server: &Server, summary: &str) -> i64 {
    let tasks = server.env.json(&["task", "list"]);
    tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["summary"].as_str() == Some(summary))
        .and_then(|t| t["id"].as_i64())
        .unwrap()
}

fn add_directive(server: &Server, tasks: &[(&str, &str, String)]) {
    let mut text = String::from(
        "[directive]\nnumber = \"45/TB-UBND\"\ntitle = \"Kết luận\"\nissuer = \"UBND tỉnh Nam Định\"\nissued_on = \"2026-01-05\"\n",
    );
    for (summary, lead, deadline) in tasks {
        text.push_str(&format!(
            "[[tasks]]\nsummary = {summary:?}\nlead = \"{lead}\"\ndeadline = \"{deadline}\"\n"
        ));
    }
    let file = server.env.write("directive.toml", &text);
    server.env.ok(&["directive", "add", file.to_str().unwrap()]);
}

/// Every page: the policy that allows no inline script, and no inline script in it.
fn assert_secure(page: &Page) {
    let policy = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(policy.contains("script-src 'self'"), "policy: {policy}");
    assert!(!policy.contains("unsafe-inline"), "policy: {policy}");
    let lower = page.body.to_lowercase();
    for (at, _) in lower.match_indices("<script") {
        let tag = &lower[at..at + lower[at..].find('>').unwrap_or(0)];
        assert!(tag.contains(" src="), "an inline script: {tag}");
    }
    for handler in [" onclick=", " onload=", " onsubmit=", " onerror=", "javascript:"] {
        assert!(!lower.contains(handler), "an inline handler {handler}");
    }
}

#[tokio::test]
async fn a_department_signs_in_from_its_email_works_its_desk_and_the_office_approves_its_extension() {
    let server = start().await;
    let ours = "Xây dựng Đề án mở rộng địa giới hành chính";
    let theirs = "Hoàn thành giải phóng mặt bằng khu đô thị";
    add_directive(
        &server,
        &[
            (ours, "snv", days_from_today(30).to_string()),
            (theirs, "ubnd-tpnd", days_from_today(30).to_string()),
        ],
    );
    let ours_id = task_id_with(&server, ours);
    let theirs_id = task_id_with(&server, theirs);

    let mut head = Browser::new(&server.base);
    // Signed out, a page sends to the sign-in form.
    assert_eq!(head.get("/desk").await.location(), "/sign-in");
    let link = sign_in(&server, &mut head, HEAD_OF_SNV).await;
    // The link signs in once.
    let replayed = Browser::new(&server.base).post(&link, &[]).await;
    assert_eq!(replayed.status, StatusCode::CONFLICT, "{}", replayed.body);
    assert!(replayed.body.contains("đã được sử dụng"));

    let home = head.get("/").await;
    assert_eq!(home.location(), "/desk");
    let desk = head.get("/desk").await;
    assert_eq!(desk.status, StatusCode::OK, "{}", desk.body);
    assert_secure(&desk);
    assert!(desk.body.contains(ours), "{}", desk.body);
    assert!(!desk.body.contains(theirs), "another department's task on the desk");
    assert!(desk.body.contains("Đến hạn trong 7 ngày") && desk.body.contains("Còn hạn"));

    // Another department's task is not there; nor is the board.
    assert_eq!(head.get(&format!("/tasks/{theirs_id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(head.get("/board").await.status, StatusCode::FORBIDDEN);

    // Acknowledge: refused without the form's token, done with it.
    let token = desk.form_token();
    let forged = head.post(&format!("/tasks/{ours_id}/acknowledge"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let wrong = head.post(&format!("/tasks/{ours_id}/acknowledge"), &[("form_token", "0123")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let history = |server: &Server| server.env.json(&["task", "show", &ours_id.to_string()]);
    let kinds = |shown: &Value| -> Vec<String> {
        shown["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
    };
    assert!(!kinds(&history(&server)).contains(&"acknowledged".to_owned()), "a forged form acted");
    let acknowledged = head.post(&format!("/tasks/{ours_id}/acknowledge"), &[("form_token", &token)]).await;
    assert_eq!(acknowledged.status, StatusCode::SEE_OTHER, "{}", acknowledged.body);
    let shown = history(&server);
    let event = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "acknowledged")
        .expect("acknowledged");
    assert_eq!(event["actor"], format!("page:{HEAD_OF_SNV}"));
    let page = head.get(&format!("/tasks/{ours_id}")).await;
    assert_secure(&page);
    assert!(page.body.contains("Trang web"), "the history names the channel:\n{}", page.body);

    // Ask for a later deadline: the office is told, with links.
    let wanted = days_from_today(60);
    let asked = head
        .post(
            &format!("/tasks/{ours_id}/extension"),
            &[("form_token", &token), ("to", &wanted.to_string()), ("reason", "Chờ ý kiến của Bộ Nội vụ")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let approve =
        link_in_mail(&server, "vanthu@vpubnd.namdinh.example", "đề nghị gia hạn", "/extensions/decide/")
            .await;
    assert!(approve.contains(".approve."), "{approve}");
    // Reminders go on meanwhile: the deadline has not moved.
    assert_eq!(history(&server)["deadline"], days_from_today(30).to_string());

    // The office signs in and approves on its list.
    let mut office = Browser::new(&server.base);
    sign_in(&server, &mut office, OFFICE).await;
    assert_eq!(office.get("/").await.location(), "/board");
    let board = office.get("/board").await;
    assert_eq!(board.status, StatusCode::OK, "{}\n{}", board.body, server.daemon.log());
    assert_secure(&board);
    assert!(board.body.contains("<svg class=\"chart\""), "no chart:\n{}", board.body);
    let list = office.get("/extensions").await;
    assert!(list.body.contains("Chờ ý kiến của Bộ Nội vụ"), "{}", list.body);
    let action =
        list.body.split("action=\"/extensions/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let decided = office
        .post(&format!("/extensions/{action}"), &[("form_token", &list.form_token()), ("verdict", "approve")])
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let shown = history(&server);
    assert_eq!(shown["deadline"], wanted.to_string());
    let kinds = kinds(&shown);
    assert!(kinds.ends_with(&["extended".to_owned(), "extension_approved".to_owned()]), "{kinds:?}");
    // The department is told; the link of the office's email no longer acts.
    link_in_mail(&server, HEAD_OF_SNV, "Đồng ý gia hạn", "/tasks/").await;
    let late = Browser::new(&server.base).post(&approve, &[]).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);

    // A second request, refused through the emailed link, with its reason.
    let asked = head
        .post(
            &format!("/tasks/{ours_id}/extension"),
            &[("form_token", &token), ("to", &days_from_today(90).to_string()), ("reason", "Thêm thời gian")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let refuse = server
        .daemon
        .wait_for("the refuse link", WAIT, || {
            server.smtp.messages().into_iter().rev().find_map(|m| {
                let body = m["body"].as_str()?;
                let at = body.find(".refuse.")?;
                let start = body[..at].rfind("http")?;
                let link = body[start..].split_whitespace().next()?.to_owned();
                (!body.contains(&approve)).then_some(link)
            })
        })
        .await;
    let mut anyone = Browser::new(&server.base);
    assert_eq!(anyone.get(&refuse).await.status, StatusCode::OK);
    let without_reason = anyone.post(&refuse, &[]).await;
    assert_eq!(without_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", without_reason.body);
    let refused = anyone.post(&refuse, &[("note", "Đề nghị hoàn thành đúng hạn")]).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    link_in_mail(&server, HEAD_OF_SNV, "Không đồng ý gia hạn", "/tasks/").await;
    assert_eq!(history(&server)["deadline"], wanted.to_string());

    // Report done, from the lead's page.
    let done = head
        .post(
            &format!("/tasks/{ours_id}/done"),
            &[("form_token", &token), ("note", "Văn bản số 12/BC-SNV"), ("attachment", "bao-cao.pdf")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(history(&server)["status"], "done");

    // Signing out ends the session, with the form's token only.
    assert_eq!(head.post("/sign-out", &[]).await.status, StatusCode::FORBIDDEN);
    let out = head.post("/sign-out", &[("form_token", &token)]).await;
    assert_eq!(out.location(), "/sign-in");
    assert_eq!(head.get("/desk").await.location(), "/sign-in");
}

#[tokio::test]
async fn expired_altered_and_unknown_sign_ins_are_refused_with_why() {
    let server = start().await;
    let signer = nhacviec::links::LinkSigner::new(LINK_KEY.to_owned().into());
    let expired = signer.sign_in_token(
        HEAD_OF_SNV,
        "00112233445566778899aabbccddeeff",
        chrono::Utc::now() - chrono::Duration::minutes(1),
    );
    let mut browser = Browser::new(&server.base);
    let page = browser.get(&format!("/sign-in/{expired}")).await;
    assert_eq!(page.status, StatusCode::GONE, "{}", page.body);
    assert!(page.body.contains("hết hạn"));
    assert_eq!(browser.post(&format!("/sign-in/{expired}"), &[]).await.status, StatusCode::GONE);
    let good = signer.sign_in_token(
        HEAD_OF_SNV,
        "ffeeddccbbaa99887766554433221100",
        chrono::Utc::now() + chrono::Duration::minutes(5),
    );
    let altered = good.replacen(&hex::encode(HEAD_OF_SNV), &hex::encode(OFFICE), 1);
    let page = browser.get(&format!("/sign-in/{altered}")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.body.contains("không hợp lệ"));
    // A session cookie signed by another key is no session.
    let other =
        nhacviec::links::LinkSigner::new("mot-khoa-khac-cung-dai-hon-ba-muoi-hai-ky-tu".to_owned().into());
    browser.cookies.insert(
        "nhacviec_session".into(),
        other.session_token(OFFICE, chrono::Utc::now() + chrono::Duration::hours(1)),
    );
    assert_eq!(browser.get("/board").await.location(), "/sign-in");
    // An address nobody has gets the same answer, and no email.
    let form = browser.get("/sign-in").await;
    let sent = browser
        .post("/sign-in", &[("email", "nguoi.la@example.com"), ("form_token", &form.form_token())])
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    // A sign-in form without its token sends nothing.
    let forged = Browser::new(&server.base).post("/sign-in", &[("email", HEAD_OF_SNV)]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        server
            .smtp
            .messages()
            .iter()
            .all(|m| !m["subject"].as_str().unwrap_or("").contains("Liên kết đăng nhập"))
    );
}

#[tokio::test]
async fn pages_show_what_people_wrote_as_text() {
    let server = start().await;
    let summary = "<script>alert('x')</script> Báo cáo \"quý\" & <b>tổng kết</b>";
    add_directive(&server, &[(summary, "snv", days_from_today(20).to_string())]);
    let id = task_id_with(&server, summary);
    let mut head = Browser::new(&server.base);
    sign_in(&server, &mut head, HEAD_OF_SNV).await;
    for path in ["/desk".to_owned(), format!("/tasks/{id}")] {
        let page = head.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("<script>alert"), "{path} shows a script:\n{}", page.body);
        assert!(!page.body.contains("<b>tổng kết"), "{path}");
        assert!(page.body.contains("&lt;script&gt;alert("), "{path}:\n{}", page.body);
        assert_secure(&page);
    }
    let mut office = Browser::new(&server.base);
    sign_in(&server, &mut office, OFFICE).await;
    let list = office.get("/board/list?status=all").await;
    assert!(list.body.contains("&lt;script&gt;"), "{}", list.body);
    assert_secure(&list);
}

#[tokio::test]
async fn the_board_export_opens_in_openpyxl_with_the_weekly_summary_rows() {
    let server = start().await;
    // Fixed dates, as of a fixed day: nothing depends on today.
    add_directive(
        &server,
        &[
            ("Nhiệm vụ quá hạn", "snv", "2026-03-02".into()),
            ("Nhiệm vụ đến hạn", "snv", "2026-03-12".into()),
            ("Nhiệm vụ còn hạn", "ubnd-tpnd", "2026-06-30".into()),
            ("Nhiệm vụ xong đúng hạn", "ubnd-tpnd", "2026-03-05".into()),
            ("Nhiệm vụ xong muộn", "snv", "2026-02-27".into()),
        ],
    );
    let on_time = task_id_with(&server, "Nhiệm vụ xong đúng hạn").to_string();
    let late = task_id_with(&server, "Nhiệm vụ xong muộn").to_string();
    server.env.ok(&["task", "done", &on_time, "--on", "2026-03-04"]);
    server.env.ok(&["task", "done", &late, "--on", "2026-03-03"]);
    let at = "2026-03-10";
    let summary = server.env.json(&["summary", "--at", at]);

    let mut office = Browser::new(&server.base);
    sign_in(&server, &mut office, OFFICE).await;
    let board = office.get(&format!("/board?at={at}")).await;
    assert_eq!(board.status, StatusCode::OK, "{}\n{}", board.body, server.daemon.log());
    let response = office.get(&format!("/board/export/xlsx?at={at}")).await;
    assert_eq!(response.status, StatusCode::OK);
    let csv = office.get(&format!("/board/export/csv?at={at}")).await;
    assert!(csv.body.starts_with('\u{feff}'), "a CSV for Excel starts with a byte-order mark");
    // The XLSX as bytes, read by openpyxl.
    let bytes = reqwest::Client::new()
        .get(format!("{}/board/export/xlsx?at={at}", server.base))
        .header("cookie", office.cookie_header())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let path = server.env.path("board.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let script = "import json, sys, openpyxl\nsheet = openpyxl.load_workbook(sys.argv[1]).active\nprint(json.dumps([[c for c in row] for row in sheet.iter_rows(values_only=True)]))";
    let output =
        std::process::Command::new("python3").args(["-c", script, path.to_str().unwrap()]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let rows: Vec<Vec<Value>> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows[0][0], "Đơn vị chủ trì");
    let expected: Vec<Vec<Value>> = summary["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let mut row = vec![d["department_name"].clone()];
            for key in ["open", "due_within_7_days", "overdue", "done_on_time", "done_late"] {
                row.push(Value::from(d[key].as_f64().unwrap() as i64));
            }
            row
        })
        .collect();
    let got: Vec<Vec<Value>> = rows[1..rows.len() - 1]
        .iter()
        .map(|r| {
            r.iter().map(|c| c.as_f64().map(|n| Value::from(n as i64)).unwrap_or_else(|| c.clone())).collect()
        })
        .collect();
    assert_eq!(got, expected);
    // Known counts: snv 2 open (1 overdue, 1 due within 7 days) and 1 done late;
    // ubnd-tpnd 1 open, 1 done on time.
    assert_eq!(summary["total"]["overdue"], 1);
    assert_eq!(summary["total"]["done_late"], 1);
    assert_eq!(summary["total"]["done_on_time"], 1);
    assert_eq!(summary["total"]["due_within_7_days"], 1);
}

/// The whole walk in a real browser: Debian's Chromium, driven by Playwright
/// (`tests/browser/walk.mjs`), against `nhacviec run` on the seed's province's config.
#[tokio::test]
async fn a_browser_walks_the_pages_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: apt-get install chromium (the README's test command installs it)"
    );
    assert!(
        std::path::Path::new(&format!("{folder}/node_modules/playwright-core")).exists(),
        "playwright-core is missing: npm ci --prefix tests/browser (the README's test command runs it)"
    );
    let smtp = SmtpServer::start();
    let port = support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = TestEnv::new(ConfigParts::default());
    // The seed's province, every department the notice names; sent at once, at any hour.
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/nam-dinh.toml"))
            .unwrap();
    let store = env.path("data/nhacviec.db");
    let mut config = example
        .replace("url = \"sqlite://data/nam-dinh.db\"", &format!("url = \"sqlite://{}\"", store.display()))
        .replace("send_at = \"08:00\"", "send_at = \"00:00\"")
        .replace("send_window = [\"07:30\", \"17:00\"]", "send_window = [\"00:00\", \"23:59\"]")
        .replace("working_days_only = true", "working_days_only = false")
        .replace("poll_interval = \"30s\"", "poll_interval = \"1s\"")
        .replace("retry_initial = \"1m\"", "retry_initial = \"1s\"")
        .replace("port = 25\n", &format!("port = {}\n", smtp.port));
    assert!(config.contains(&format!("port = {}", smtp.port)), "the example's SMTP port moved");
    config.push_str(&format!(
        "\n[http]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{base}/\"\nlink_key = \"{LINK_KEY}\"\n\
         [pages]\n[[pages.people]]\nemail = \"{OFFICE}\"\nname = \"Chánh Văn phòng\"\nrole = \"office\"\ndepartment = \"vp-ubnd\"\n"
    ));
    std::fs::write(&env.config, config).unwrap();
    let task = "Tham mưu xây dựng Đề án sắp xếp đơn vị hành chính cấp xã";
    let file = env.write(
        "directive.toml",
        &format!(
            "[directive]\nnumber = \"12/TB-UBND\"\ntitle = \"Kết luận\"\nissuer = \"UBND tỉnh Nam Định\"\nissued_on = \"2026-01-05\"\n\
             [[tasks]]\nsummary = \"{task}\"\nlead = \"snv\"\ndeadline = \"{}\"\n",
            days_from_today(30)
        ),
    );
    env.ok(&["directive", "add", file.to_str().unwrap()]);
    let task_id = env.json(&["task", "list"]).as_array().unwrap()[0]["id"].as_i64().unwrap();
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    daemon.wait_for("the HTTP server", WAIT, || std::net::TcpStream::connect(&base[7..]).ok()).await;

    // The seed, as the PDF an office would send: DejaVu text in fpdf2.
    let seed = env.path("seed.pdf");
    let made = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/make_document.py"))
        .args([
            "pdf",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/00-nam-dinh-2021-09-21.txt"),
        ])
        .arg(&seed)
        .status()
        .unwrap();
    assert!(made.success(), "make_document.py pdf failed: pip install fpdf2");
    let screenshots = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
    let output = tokio::process::Command::new("node")
        .arg(format!("{folder}/walk.mjs"))
        .current_dir(folder)
        .env("NHACVIEC_BASE", &base)
        .env("NHACVIEC_SMTP_OUT", &smtp.out)
        .env("NHACVIEC_SEED_PDF", &seed)
        .env("NHACVIEC_SCREENSHOTS", screenshots)
        .env("NHACVIEC_HEAD", HEAD_OF_SNV)
        .env("NHACVIEC_OFFICE", OFFICE)
        .env("NHACVIEC_TASK", task_id.to_string())
        .env("NHACVIEC_EXTEND_TO", days_from_today(75).to_string())
        .env("CHROMIUM", &chromium)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), output)
        .await
        .expect("the walk ends within 4 minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the walk failed:\n{stdout}\n{}\n--- daemon ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        daemon.log()
    );
    let result: Value = stdout
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok().filter(|v| v.get("dated").is_some()))
        .unwrap();
    // The seed notice gives three of its tasks a date.
    assert_eq!(result["dated"], 3, "{result}");
    assert!(result["tasks"].as_i64().unwrap() >= 3, "{result}");
    // The corrected finding was applied as corrected.
    let directive = result["directive"].as_i64().unwrap();
    let tasks = env.json(&["task", "list", "--directive", &directive.to_string()]);
    let corrected = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["summary"] == result["corrected"]["summary"])
        .expect("the corrected task");
    assert_eq!(corrected["lead"], result["corrected"]["lead"]);
    for name in ["sign-in-head", "desk", "task", "board", "extensions", "review", "list"] {
        for width in ["phone", "desktop"] {
            let path = format!("{screenshots}/{name}-{width}.png");
            assert!(
                std::fs::metadata(&path).map(|m| m.len() > 1000).unwrap_or(false),
                "no screenshot {path}"
            );
        }
    }
}
