//! The daemon reading tasks from e-office databases (`kind = "sql"`): a PostgreSQL table
//! and a MariaDB table, each in a database of the test's own, dropped after; rows added
//! and changed between polls, read a batch at a time by the cursor.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::databases::Database;
use support::{ConfigParts, SmtpServer, TestEnv, days_from_today, free_port};

const WAIT: Duration = Duration::from_secs(40);
fn source(url: &str, query: &str) -> String {
    format!(
        r#"
[[sources]]
name = "eoffice-db"
kind = "sql"
url = "{url}"
poll_every = "1s"
mode = "auto"
query = """{query}"""
cursor = "cap_nhat"
[sources.map]
id = "id"
directive_id = "van_ban"
directive_number = "so_hieu"
directive_title = "trich_yeu"
directive_issuer = "co_quan"
directive_date = "ngay"
summary = "noi_dung"
lead = "chu_tri"
coordinating = "phoi_hop"
deadline = "han"
done = "trang_thai"
"#
    )
}

fn insert(id: u32, lead: &str, days: u64, minute: u32) -> String {
    format!(
        "INSERT INTO nhiem_vu VALUES ({id}, 'VB-7', '7/TB-UBND', 'Kết luận', 'UBND tỉnh Nam Định', '2026-03-09', 'Nhiệm vụ {id}', '{lead}', 'Sở Nội vụ', '{}', 'dang_xu_ly', '2026-03-10 08:{minute:02}:00')",
        days_from_today(days)
    )
}

fn task_of(env: &TestEnv, summary: &str) -> Value {
    let tasks = env.json(&["task", "list"]);
    tasks.as_array().unwrap().iter().find(|t| t["summary"] == summary).cloned().unwrap_or(Value::Null)
}

async fn follows_a_table(engine: &'static str) {
    let database = Database::create(engine).await;
    let (timestamp, query) = match engine {
        "postgres" => (
            "TIMESTAMPTZ",
            "SELECT id, van_ban, so_hieu, trich_yeu, co_quan, ngay, noi_dung, chu_tri, phoi_hop, han, trang_thai, cap_nhat FROM nhiem_vu WHERE ({cursor}::text IS NULL OR cap_nhat > {cursor}::timestamptz) ORDER BY cap_nhat LIMIT 2",
        ),
        _ => (
            "DATETIME",
            "SELECT id, van_ban, so_hieu, trich_yeu, co_quan, ngay, noi_dung, chu_tri, phoi_hop, han, trang_thai, cap_nhat FROM nhiem_vu WHERE ({cursor} IS NULL OR cap_nhat > {cursor}) ORDER BY cap_nhat LIMIT 2",
        ),
    };
    database
        .run(&[
            format!("CREATE TABLE nhiem_vu (id INTEGER PRIMARY KEY, van_ban VARCHAR(20), so_hieu VARCHAR(40), trich_yeu VARCHAR(200), co_quan VARCHAR(100), ngay DATE, noi_dung VARCHAR(500), chu_tri VARCHAR(100), phoi_hop VARCHAR(200), han DATE, trang_thai VARCHAR(20), cap_nhat {timestamp})"),
            insert(1, "Sở Nội vụ", 20, 1),
            insert(2, "UBND thành phố Nam Định", 3, 2),
            insert(3, "snv", 30, 3),
        ])
        .await;
    let smtp = SmtpServer::start();
    let env = TestEnv::new(ConfigParts { smtp_port: smtp.port, ..ConfigParts::default() });
    let config = std::fs::read_to_string(&env.config).unwrap() + &source(&database.url(), query);
    std::fs::write(&env.config, config).unwrap();
    env.ok(&["check"]);
    let daemon = env.spawn_daemon();
    daemon.wait_running().await;
    // Three rows, two a run: read in two runs of the query, by the cursor.
    daemon
        .wait_for("three tasks", WAIT, || {
            (env.json(&["task", "list"]).as_array().unwrap().len() == 3).then_some(())
        })
        .await;
    assert_eq!(env.json(&["directive", "list"]).as_array().unwrap().len(), 1);
    let sources = env.json(&["sources"]);
    assert!(sources[0]["cursor"].as_str().unwrap().contains("08:03:00"), "{sources:#}");
    // Extended, reassigned, done at the source.
    database
        .run(&[
            format!(
                "UPDATE nhiem_vu SET han = '{}', cap_nhat = '2026-03-11 09:00:00' WHERE id = 1",
                days_from_today(25)
            ),
            "UPDATE nhiem_vu SET chu_tri = 'Sở Nội vụ', cap_nhat = '2026-03-11 09:01:00' WHERE id = 2"
                .to_owned(),
            "UPDATE nhiem_vu SET trang_thai = 'done', cap_nhat = '2026-03-11 09:02:00' WHERE id = 3"
                .to_owned(),
            insert(4, "snv", 40, 4).replace("2026-03-10 08:04:00", "2026-03-11 09:03:00"),
        ])
        .await;
    daemon
        .wait_for("the changes followed", WAIT, || {
            let (t1, t2, t3, t4) = (
                task_of(&env, "Nhiệm vụ 1"),
                task_of(&env, "Nhiệm vụ 2"),
                task_of(&env, "Nhiệm vụ 3"),
                task_of(&env, "Nhiệm vụ 4"),
            );
            (t1["deadline"] == days_from_today(25).to_string()
                && t2["lead"] == "snv"
                && t3["status"] == "done"
                && !t4.is_null())
            .then_some(())
        })
        .await;
    let t1 = task_of(&env, "Nhiệm vụ 1");
    let shown = env.json(&["task", "show", &t1["id"].to_string()]);
    let kinds: Vec<(&str, &str)> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("extended", "source:eoffice-db")), "{kinds:?}");
    // The reminder of the task due in three days went out (to its new lead, by email).
    daemon.wait_for("a reminder sent", WAIT, || (!smtp.messages().is_empty()).then_some(())).await;
    let log = daemon.log();
    assert!(!log.contains("postgres://postgres@") && !log.contains("mysql://root@"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgresql_table_is_followed_by_its_cursor() {
    follows_a_table("postgres").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mariadb_table_is_followed_by_its_cursor() {
    follows_a_table("mariadb").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_is_down_is_retried_and_reported_while_reminders_go_out() {
    let smtp = SmtpServer::start();
    let env = TestEnv::new(ConfigParts { smtp_port: smtp.port, ..ConfigParts::default() });
    let down = format!("postgres://postgres@127.0.0.1:{}/eoffice", free_port());
    let config = std::fs::read_to_string(&env.config).unwrap()
        + &source(
            &down,
            "SELECT id, van_ban, so_hieu, trich_yeu, co_quan, ngay, noi_dung, chu_tri, phoi_hop, han, trang_thai, cap_nhat FROM nhiem_vu WHERE cap_nhat > {cursor}::timestamptz",
        );
    std::fs::write(&env.config, config).unwrap();
    env.add_task("snv", &[], days_from_today(3));
    let daemon = env.spawn_daemon();
    daemon.wait_for("the reminder delivered", WAIT, || (!smtp.messages().is_empty()).then_some(())).await;
    let failing = daemon
        .wait_for("the database failing twice", WAIT, || {
            let sources = env.json(&["sources"]);
            (sources[0]["failures"].as_u64() >= Some(2)).then_some(sources)
        })
        .await;
    let error = failing[0]["last_error"].as_str().unwrap();
    assert!(error.contains("cannot reach the database"), "{failing:#}");
    assert!(!error.contains("postgres://"), "the database's URL is never shown: {error}");
    // A query that writes is refused with the config.
    let writes = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("SELECT id,", "DELETE FROM nhiem_vu; SELECT id,");
    std::fs::write(&env.config, writes).unwrap();
    let checked = env.cli(&["check"]);
    assert_eq!(checked.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&checked.stderr).contains("sources[0].query"),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
}
