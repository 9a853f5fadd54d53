//! The daemon polling a folder directives are dropped into: real files (a PDF and a DOCX
//! made by the writers offices use, TCVN3 text, a file still being written, garbage), the
//! real daemon, a real SMTP server and webhook receiver for the reminders that follow.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{ConfigParts, SmtpServer, TestEnv, free_port};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const WAIT: Duration = Duration::from_secs(40);
const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/00-nam-dinh-2021-09-21.txt");
const MAKER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/make_document.py");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples");

/// A folder source named "inbox" on `inbox`, polled every second.
fn folder_source(inbox: &Path, mode: &str) -> String {
    format!(
        "\n[[sources]]\nname = \"inbox\"\nkind = \"folder\"\npath = \"{}\"\npoll_every = \"1s\"\nsettle = \"1s\"\nmode = \"{mode}\"\n",
        inbox.display()
    )
}

/// The Nam Định config, sending now whatever the hour, with a folder source.
fn nam_dinh(env: &TestEnv, smtp: &SmtpServer, webhook: &str, mode: &str) -> PathBuf {
    let inbox = env.path("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let text = std::fs::read_to_string(format!("{EXAMPLES}/nam-dinh.toml"))
        .unwrap()
        .replace("sqlite://data/nam-dinh.db", &format!("sqlite://{}", env.path("data/nam-dinh.db").display()))
        .replace("port = 25", &format!("port = {}", smtp.port))
        .replace("http://127.0.0.1:9000", webhook)
        .replace("send_at = \"08:00\"", "send_at = \"00:00\"")
        .replace("send_window = [\"07:30\", \"17:00\"]", "send_window = [\"00:00\", \"23:59\"]")
        .replace("working_days_only = true", "working_days_only = false")
        .replace("poll_interval = \"30s\"", "poll_interval = \"1s\"");
    std::fs::write(&env.config, text + &folder_source(&inbox, mode)).unwrap();
    inbox
}

/// Makes a document of `kind` (pdf, docx) from the text file `source`.
fn make(env: &TestEnv, kind: &str, source: &Path, name: &str) -> PathBuf {
    let out = env.path(name);
    let status = Command::new("python3").args([MAKER, kind]).arg(source).arg(&out).status().unwrap();
    assert!(status.success(), "{MAKER} {kind} failed: pip install fpdf2 python-docx pypdf");
    out
}

/// Puts a finished file into the folder the way a careful writer does: renamed into place.
fn drop_into(inbox: &Path, file: &Path) {
    let name = file.file_name().unwrap().to_str().unwrap();
    let hidden = inbox.join(format!(".{name}.tmp"));
    std::fs::copy(file, &hidden).unwrap();
    std::fs::rename(&hidden, inbox.join(name)).unwrap();
}

fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Open tasks with a deadline: (lead, deadline) in order.
fn dated(env: &TestEnv) -> Vec<(String, String)> {
    let mut dated: Vec<(String, String)> = env
        .json(&["task", "list"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["deadline"].is_null())
        .map(|t| (t["lead"].as_str().unwrap().to_owned(), t["deadline"].as_str().unwrap().to_owned()))
        .collect();
    dated.sort();
    dated
}

fn seed_dated() -> Vec<(String, String)> {
    [("sgddt", "2021-12-31"), ("snv", "2021-11-30"), ("ubnd-tpnd", "2022-12-31")]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn in_auto_mode_the_seed_dropped_as_a_pdf_is_imported_in_one_poll_and_reminded() {
    let smtp = SmtpServer::start();
    let webhook = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let env = TestEnv::new(ConfigParts::default());
    let inbox = nam_dinh(&env, &smtp, &webhook.uri(), "auto");
    env.ok(&["check"]);
    let pdf = make(&env, "pdf", Path::new(SEED), "thong-bao-ket-luan.pdf");
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    drop_into(&inbox, &pdf);

    daemon
        .wait_for("the PDF filed in done/", WAIT, || {
            (names_in(&inbox.join("done")) == ["thong-bao-ket-luan.pdf"]).then_some(())
        })
        .await;
    assert!(names_in(&inbox).is_empty());
    // One poll read it: the first poll that found anything imported it.
    let log = daemon.log();
    let polled = log.lines().find(|l| l.contains("source polled")).unwrap_or_default();
    assert!(polled.contains("imported=1"), "{polled}");
    assert_eq!(dated(&env), seed_dated());
    // Each dated task's history names the source; the group task the config does not know
    // ("Các Sở, ngành") waits as a draft of the same directive.
    let tasks = env.json(&["task", "list"]);
    let snv =
        tasks.as_array().unwrap().iter().find(|t| t["lead"] == "snv" && !t["deadline"].is_null()).unwrap();
    let shown = env.json(&["task", "show", &snv["id"].to_string()]);
    assert_eq!(shown["history"][0]["actor"], "source:inbox", "{shown:#}");
    let drafts = env.json(&["draft", "list"]);
    assert_eq!(drafts.as_array().unwrap().len(), 1, "{drafts:#}");
    assert_eq!(drafts[0]["directive"], tasks[0]["directive_id"]);

    // The three deadlines are years past: each lead is reminded now, by its channel.
    let outbox = daemon
        .wait_for("the dated tasks' reminders sent", WAIT, || {
            let outbox = env.outbox();
            let sent = |department: &str| {
                outbox
                    .iter()
                    .any(|i| i["department"] == department && i["state"] == "sent" && i["role"] == "lead")
            };
            (sent("snv") && sent("sgddt") && sent("ubnd-tpnd")).then_some(outbox)
        })
        .await;
    assert!(outbox.iter().all(|i| i["state"] != "dead"), "{outbox:#?}");
    let sources = env.json(&["sources"]);
    assert_eq!(sources[0]["name"], "inbox");
    assert_eq!(sources[0]["imported"], 1);
    assert_eq!(sources[0]["drafts"], 1);
    assert_eq!(sources[0]["failed"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn in_review_mode_the_seed_waits_as_one_draft_and_nothing_is_sent_until_it_is_accepted() {
    let smtp = SmtpServer::start();
    let webhook = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&webhook).await;
    let env = TestEnv::new(ConfigParts::default());
    let inbox = nam_dinh(&env, &smtp, &webhook.uri(), "review");
    let pdf = make(&env, "pdf", Path::new(SEED), "seed.pdf");
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    drop_into(&inbox, &pdf);
    let drafts = daemon
        .wait_for("one draft", WAIT, || {
            let drafts = env.json(&["draft", "list"]);
            (drafts.as_array().unwrap().len() == 1).then_some(drafts)
        })
        .await;
    assert_eq!(names_in(&inbox.join("done")), ["seed.pdf"]);
    let id = drafts[0]["id"].to_string();
    // Three more polls: still one draft, no task, nothing in the outbox.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(env.json(&["draft", "list"]).as_array().unwrap().len(), 1);
    assert!(env.json(&["task", "list"]).as_array().unwrap().is_empty());
    assert!(env.outbox().is_empty());

    // The draft shows each task with its line, confidence and flags.
    let shown = env.json(&["draft", "show", &id]);
    assert_eq!(shown["state"], "waiting");
    assert!(shown["content"]["findings"].as_array().unwrap().iter().all(|f| f["line"].as_u64().is_some()));
    // As it stands it cannot be accepted: "Các Sở, ngành" is no department of this config.
    let refused = env.cli(&["draft", "accept", &id]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("unknown department") && stderr.contains("--format toml"), "{stderr}");
    assert!(env.json(&["task", "list"]).as_array().unwrap().is_empty());
    // Corrected as a directive file, it is accepted whole, in one transaction.
    let toml = env
        .ok(&["draft", "show", &id, "--format", "toml"])
        .replace("lead = \"Các Sở, ngành\"", "lead = \"skhdt\"");
    let corrected = env.write("draft.toml", &toml);
    let accepted = env.ok(&["draft", "accept", &id, "--from", corrected.to_str().unwrap()]);
    assert!(accepted.contains(&format!("draft {id} accepted")), "{accepted}");
    assert_eq!(dated(&env), seed_dated());
    daemon
        .wait_for("the reminders sent once accepted", WAIT, || {
            let outbox = env.outbox();
            (outbox.iter().filter(|i| i["role"] == "lead" && i["state"] == "sent").count() >= 3).then_some(())
        })
        .await;
    // Accepted once: a second time is refused.
    let again = env.cli(&["draft", "accept", &id]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("accepted already"));
    let sources = env.json(&["sources"]);
    assert_eq!((sources[0]["imported"].as_u64(), sources[0]["drafts"].as_u64()), (Some(1), Some(0)));
}

/// A short notice with two dated tasks for the test config's departments.
const NOTICE: &str = "UỶ BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố: 12/TB-UBND\nNam Định, ngày 05 tháng 3 năm 2024\n\
THÔNG BÁO\nKết luận của Chủ tịch UBND tỉnh\n\
1. Giao Sở Nội vụ chủ trì, phối hợp với UBND thành phố Nam Định rà soát biên chế, báo cáo trước ngày 15/4/2024.\n\
2. UBND thành phố Nam Định hoàn thành sắp xếp tổ dân phố trong tháng 6/2024.\n";

#[tokio::test(flavor = "multi_thread")]
async fn files_dropped_into_the_folder_end_in_done_or_failed_with_the_reason() {
    let env = TestEnv::new(ConfigParts::default());
    let inbox = env.path("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let config = std::fs::read_to_string(&env.config).unwrap() + &folder_source(&inbox, "auto");
    std::fs::write(&env.config, config).unwrap();
    let notice = env.write("notice.txt", NOTICE);
    let docx = make(&env, "docx", &notice, "thong-bao.docx");
    let tcvn3 = "Giao Së Néi vô chñ tr×, phèi hîp víi thµnh phè Nam §Þnh x©y dùng §Ò ¸n, b¸o c¸o tr\u{ad}íc ngµy 15/12/2021.\n";
    let tcvn3_file = env.path("tcvn3.txt");
    std::fs::write(&tcvn3_file, tcvn3.chars().map(|c| c as u32 as u8).collect::<Vec<u8>>()).unwrap();
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    drop_into(&inbox, &docx);
    drop_into(&inbox, &tcvn3_file);
    std::fs::write(inbox.join("rac.pdf"), b"%PDF-1.7\n\x00\x01 not a pdf at all").unwrap();
    std::fs::write(inbox.join("bang-tinh.xlsx"), b"PK\x03\x04 a spreadsheet").unwrap();
    std::fs::write(
        inbox.join("sai.toml"),
        "[directive]\ntitle = \"Công văn\"\nissuer = \"UBND tỉnh\"\nissued_on = 2024-03-05\n\n[[tasks]]\nsummary = \"Báo cáo\"\nlead = \"Sở Không Có\"\n",
    )
    .unwrap();
    // A file still being written, another notice: a line every 300 ms, for longer than
    // the settle time. Read half-way, it would lose its second task.
    let slow = inbox.join("dang-ghi.txt");
    let later = NOTICE
        .replace("12/TB-UBND", "13/TB-UBND")
        .replace("15/4/2024", "20/5/2024")
        .replace("tháng 6/2024", "tháng 7/2024");
    let lines: Vec<&str> = later.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&slow).unwrap();
        writeln!(file, "{line}").unwrap();
        drop(file);
        if i + 1 < lines.len() {
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(slow.exists(), "a file still being written was taken");
        }
    }
    daemon.wait_for("every file filed away", WAIT, || names_in(&inbox).is_empty().then_some(())).await;
    assert_eq!(names_in(&inbox.join("done")), ["dang-ghi.txt", "tcvn3.txt", "thong-bao.docx"]);
    assert_eq!(
        names_in(&inbox.join("failed")),
        [
            "bang-tinh.xlsx",
            "bang-tinh.xlsx.error.txt",
            "rac.pdf",
            "rac.pdf.error.txt",
            "sai.toml",
            "sai.toml.error.txt"
        ]
    );
    let reason = |name: &str| std::fs::read_to_string(inbox.join("failed").join(name)).unwrap();
    assert!(reason("rac.pdf.error.txt").starts_with("rac.pdf: "), "{}", reason("rac.pdf.error.txt"));
    assert!(reason("bang-tinh.xlsx.error.txt").contains(".docx"), "{}", reason("bang-tinh.xlsx.error.txt"));
    let toml_reason = reason("sai.toml.error.txt");
    assert!(toml_reason.contains("sai.toml:8") && toml_reason.contains("Sở Không Có"), "{toml_reason}");
    // The DOCX and the file written slowly are applied whole, both tasks each.
    let directives = env.json(&["directive", "list"]);
    assert_eq!(directives.as_array().unwrap().len(), 2, "{directives:#?}");
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        dated(&env),
        [
            pair("snv", "2024-04-15"),
            pair("snv", "2024-05-20"),
            pair("ubnd-tpnd", "2024-06-30"),
            pair("ubnd-tpnd", "2024-07-31")
        ]
    );
    // The TCVN3 line names neither issuer nor date: it waits as a draft, converted.
    let drafts = env.json(&["draft", "list"]);
    assert_eq!(drafts.as_array().unwrap().len(), 1, "{drafts:#}");
    assert_eq!(drafts[0]["label"], "tcvn3.txt");
    let draft = env.json(&["draft", "show", &drafts[0]["id"].to_string()]);
    assert_eq!(draft["content"]["encoding"], "tcvn3");
    assert_eq!(draft["content"]["directive"]["tasks"][0]["lead"], "snv");
    assert_eq!(draft["content"]["directive"]["tasks"][0]["deadline"], "2021-12-15");
    let sources = env.json(&["sources"]);
    let counts = ["imported", "drafts", "failed"].map(|k| sources[0][k].as_u64().unwrap());
    assert_eq!(counts, [2, 1, 3], "{sources:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_killed_mid_poll_imports_nothing_twice_and_loses_nothing() {
    let env = TestEnv::new(ConfigParts::default());
    let inbox = env.path("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let config = std::fs::read_to_string(&env.config).unwrap() + &folder_source(&inbox, "auto");
    std::fs::write(&env.config, config).unwrap();
    const FILES: usize = 300;
    for n in 1..=FILES {
        let text = NOTICE
            .replace("12/TB-UBND", &format!("{n}/TB-UBND"))
            .replace("15/4/2024", &format!("{}/4/2024", n % 28 + 1));
        std::fs::write(inbox.join(format!("tb-{n:02}.txt")), text).unwrap();
    }
    let mut daemon = env.spawn_daemon();
    // Killed as soon as the first file is imported, in the middle of the poll.
    daemon.wait_for("a first import", WAIT, || daemon.log().contains("imported").then_some(())).await;
    daemon.kill();
    let left = names_in(&inbox).len();
    assert!(left > 0 && left < FILES, "{left} files left: the kill did not fall mid-poll");
    let daemon = env.spawn_daemon();
    daemon.wait_for("every file filed away", WAIT, || names_in(&inbox).is_empty().then_some(())).await;
    let done = names_in(&inbox.join("done"));
    assert_eq!(done.len(), FILES, "{done:?}");
    let directives = env.json(&["directive", "list"]);
    assert_eq!(directives.as_array().unwrap().len(), FILES);
    assert_eq!(env.json(&["task", "list"]).as_array().unwrap().len(), 2 * FILES);
    let sources = env.json(&["sources"]);
    assert_eq!(sources[0]["imported"].as_u64(), Some(FILES as u64));
    // A file dropped again is filed away again, and imported no second time.
    std::fs::copy(inbox.join("done/tb-01.txt"), inbox.join("tb-01.txt")).unwrap();
    daemon.wait_for("the copy filed away", WAIT, || names_in(&inbox).is_empty().then_some(())).await;
    assert!(names_in(&inbox.join("done")).contains(&"tb-01 (2).txt".to_owned()));
    assert_eq!(env.json(&["directive", "list"]).as_array().unwrap().len(), FILES);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_folder_is_reported_and_retried_while_reminders_go_out() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let smtp = SmtpServer::start();
    let http_port = free_port();
    let env = TestEnv::new(ConfigParts {
        smtp_port: smtp.port,
        extra: format!("[http]\nlisten = \"127.0.0.1:{http_port}\"\n"),
        ..ConfigParts::default()
    });
    let inbox = env.path("not-yet");
    let config = std::fs::read_to_string(&env.config).unwrap() + &folder_source(&inbox, "auto");
    std::fs::write(&env.config, config).unwrap();
    let checked = env.cli(&["check"]);
    assert_eq!(checked.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&checked.stderr).contains("is not a folder"));
    env.add_task("snv", &[], support::days_from_today(3));
    let daemon = env.spawn_daemon();
    daemon.wait_for("the reminder delivered", WAIT, || (!smtp.messages().is_empty()).then_some(())).await;
    let failing = daemon
        .wait_for("the source failing twice", WAIT, || {
            let sources = env.json(&["sources"]);
            (sources[0]["failures"].as_u64() >= Some(2)).then_some(sources)
        })
        .await;
    assert!(failing[0]["last_error"].as_str().unwrap().contains("cannot read the folder"), "{failing:#}");
    let ready = reqwest::get(format!("http://127.0.0.1:{http_port}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let body = ready.text().await.unwrap();
    assert!(body.contains("source inbox: failing"), "{body}");
    let metrics =
        reqwest::get(format!("http://127.0.0.1:{http_port}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("nhacviec_source_up{source=\"inbox\"} 0"), "{metrics}");
    // Retried with backoff: a second, then two, then four… not every poll interval forever.
    let log = daemon.log();
    assert!(log.contains("retry_in=1s") && log.contains("retry_in=2s"), "{log}");
    // The folder appears: the next retry reads it.
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("tb.txt"), NOTICE).unwrap();
    daemon
        .wait_for("the notice imported", WAIT, || (names_in(&inbox.join("done")) == ["tb.txt"]).then_some(()))
        .await;
    let sources = env.json(&["sources"]);
    assert_eq!(sources[0]["failures"], 0);
    assert!(sources[0]["last_error"].is_null());
}
