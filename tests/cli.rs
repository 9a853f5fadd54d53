//! The command line on the seed directive and on bad input: what an admin types and sees.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{ConfigParts, TestEnv};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples");

/// An env whose config is the Nam Định example, with its store in the test's folder.
fn nam_dinh() -> TestEnv {
    let env = TestEnv::new(ConfigParts::default());
    let text = std::fs::read_to_string(Path::new(EXAMPLES).join("nam-dinh.toml")).unwrap();
    let store = env.path("data/nam-dinh.db");
    let text = text.replace("sqlite://data/nam-dinh.db", &format!("sqlite://{}", store.display()));
    std::fs::write(&env.config, text).unwrap();
    env
}

fn seed() -> String {
    format!("{EXAMPLES}/nam-dinh-2021-09-21.toml")
}

#[test]
fn the_seed_preview_reminds_each_lead_and_marks_coordinators() {
    let env = nam_dinh();
    let added = env.ok(&["directive", "add", &seed()]);
    assert!(added.contains("3 with a deadline"), "{added}");
    let preview = env.json(&["preview", "--from", "2021-10-01", "--to", "2022-12-31"]);
    let items = preview.as_array().unwrap();
    let find = |department: &str, role: &str, deadline: &str| {
        items
            .iter()
            .filter(|i| i["department"] == department && i["role"] == role && i["deadline"] == deadline)
            .count()
    };
    assert!(find("snv", "lead", "2021-11-30") > 0);
    assert!(find("sgddt", "lead", "2021-12-31") > 0);
    assert!(find("ubnd-tpnd", "lead", "2022-12-31") > 0);
    assert!(find("ubnd-tpnd", "coordinating", "2021-11-30") > 0);
    assert!(find("vp-ubnd", "escalation", "2021-11-30") > 0);
    let department_name =
        |code: &str| items.iter().find(|i| i["department"] == code).map(|i| i["department_name"].clone());
    assert_eq!(department_name("snv"), Some(Value::from("Sở Nội vụ")));

    // The lead of the Đề án hears 14, 7, 3 and 1 days before 30/11/2021, on it, then every 3 days.
    let snv_days: Vec<&str> = items
        .iter()
        .filter(|i| i["department"] == "snv" && i["channel"] == "email")
        .map(|i| &i["at"].as_str().unwrap()[..10])
        .take(7)
        .collect();
    assert_eq!(
        snv_days,
        ["2021-11-16", "2021-11-23", "2021-11-26", "2021-11-29", "2021-11-30", "2021-12-03", "2021-12-06"]
    );

    for item in items {
        let at = chrono::DateTime::parse_from_rfc3339(item["at"].as_str().unwrap()).unwrap();
        assert_eq!(at.offset().local_minus_utc(), 7 * 3600);
        let weekday = chrono::Datelike::weekday(&at.date_naive());
        assert!(!matches!(weekday, chrono::Weekday::Sat | chrono::Weekday::Sun), "{item:#}");
        for field in ["department_name", "task_id", "task", "rule", "channel"] {
            assert!(!item[field].is_null(), "{field} missing in {item:#}");
        }
    }
    // Tasks without a deadline are never reminded.
    let tasks = env.json(&["task", "list"]);
    let with_deadline: Vec<i64> = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["deadline"].is_null())
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(with_deadline.len(), 3);
    assert!(items.iter().all(|i| with_deadline.contains(&i["task_id"].as_i64().unwrap())));
    // Preview sends and writes nothing.
    assert_eq!(env.json(&["outbox", "list"]), serde_json::json!([]));
}

#[test]
fn extending_a_task_moves_its_reminders_and_keeps_the_reason() {
    let env = nam_dinh();
    env.ok(&["directive", "add", &seed()]);
    let task = env.json(&["task", "list", "--department", "Sở Nội vụ", "--due-before", "2021-12-01"]);
    let id = task[0]["id"].to_string();
    env.ok(&["task", "extend", &id, "--to", "2022-Q1", "--reason", "Chờ ý kiến Bộ Nội vụ"]);
    let shown = env.json(&["task", "show", &id]);
    assert_eq!(shown["deadline"], "2022-03-31");
    assert!(shown["history"].to_string().contains("Chờ ý kiến Bộ Nội vụ"), "{shown:#}");
    let preview = env.json(&["preview", "--from", "2021-11-01", "--to", "2022-03-31", "--department", "snv"]);
    let first = &preview[0];
    assert_eq!(first["deadline"], "2022-03-31");
    assert_eq!(first["rule"], "before:14d");
    env.ok(&["task", "done", &id, "--on", "2022-03-01"]);
    let preview = env.json(&["preview", "--from", "2021-11-01", "--to", "2022-12-31", "--department", "snv"]);
    assert_eq!(preview, serde_json::json!([]));
}

#[test]
fn explain_tells_what_is_scheduled_and_why_a_reminder_moved() {
    let env = nam_dinh();
    env.ok(&["directive", "add", &seed()]);
    let task = env.json(&["task", "list", "--department", "snv", "--overdue"]);
    let id = task[0]["id"].to_string();
    let explained = env.json(&["explain", &id, "--at", "2021-11-20"]);
    let reminders = explained["reminders"].as_array().unwrap();
    let first = &reminders[0];
    assert_eq!(first["rule"], "before:14d");
    assert_eq!(first["status"], "due");
    let moved = reminders.iter().find(|r| r["rule"] == "before:3d" && r["department"] == "snv").unwrap();
    assert_eq!(moved["moved_from"], "2021-11-27");
    assert_eq!(moved["status"], "scheduled");
    assert!(moved["reason"].as_str().unwrap().contains("not a working day"));
}

fn assert_bad_input(env: &TestEnv, args: &[&str], message: &str) {
    let before = env.json(&["task", "list"]);
    let output = env.cli(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(message), "{args:?}: expected {message:?} in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(env.json(&["task", "list"]), before, "the store changed");
}

const HEADER: &str =
    "[directive]\ntitle = \"Kết luận\"\nissuer = \"UBND tỉnh Nam Định\"\nissued_on = \"2021-09-21\"\n";

#[test]
fn bad_directive_files_are_refused_and_the_store_is_unchanged() {
    let env = nam_dinh();
    env.ok(&["directive", "add", &seed()]);
    let cases = [
        (
            "malformed.toml",
            format!("{HEADER}[[tasks]]\nsummary = \"x\nlead = \"snv\"\n"),
            "malformed.toml:6: not valid TOML",
        ),
        (
            "unknown.toml",
            format!(
                "{HEADER}[[tasks]]\nsummary = \"a\"\nlead = \"snv\"\n[[tasks]]\nsummary = \"b\"\nlead = \"so-xyz\"\n"
            ),
            "unknown.toml:10: tasks[1].lead: unknown department 'so-xyz'",
        ),
        (
            "impossible.toml",
            format!("{HEADER}[[tasks]]\nsummary = \"a\"\nlead = \"snv\"\ndeadline = \"2022-02-30\"\n"),
            "impossible.toml:8: tasks[0].deadline: '2022-02-30' is not a date in the calendar",
        ),
        ("empty.toml", String::new(), "empty.toml:1: the file is empty"),
    ];
    for (name, text, message) in cases {
        let file = env.write(name, &text);
        assert_bad_input(&env, &["directive", "add", file.to_str().unwrap()], message);
    }
    assert_bad_input(&env, &["directive", "add", "/nonexistent/d.toml"], "cannot read /nonexistent/d.toml");
    assert_bad_input(&env, &["task", "done", "9999"], "no task with id 9999");
    assert_bad_input(
        &env,
        &["task", "extend", "1", "--to", "2022-02-30", "--reason", "x"],
        "'2022-02-30' is not a date",
    );
    assert_bad_input(&env, &["task", "list", "--due-before", "2022-02-30"], "'2022-02-30' is not a date");
    assert_eq!(env.json(&["directive", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn check_reports_every_config_problem_with_its_key_path() {
    let env = TestEnv::new(ConfigParts::default());
    assert!(env.ok(&["check"]).contains("valid"));
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("send_at = \"00:00\"", "send_at = \"25:00\"")
        .replace("channels = [\"chat\"]", "channels = [\"fax\"]")
        .replace(
            "escalate_to = \"vp-ubnd\"\n[[departments]]\ncode = \"ubnd-tpnd\"",
            "escalate_to = \"nobody\"\n[[departments]]\ncode = \"ubnd-tpnd\"",
        )
        + "\n[schedule2]\nx = 1\n";
    std::fs::write(&env.config, text).unwrap();
    let output = env.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for problem in [
        "schedule2: unknown key",
        "schedule.send_at: '25:00' is not a time of day",
        "departments[1].channels[0]: unknown channel 'fax'",
        "departments[0].escalate_to: unknown department 'nobody'",
    ] {
        assert!(stderr.contains(problem), "missing {problem:?} in:\n{stderr}");
    }
    // Every command refuses to run on an invalid config.
    let output = env.cli(&["task", "list"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn check_never_prints_secrets() {
    let env = TestEnv::new(ConfigParts::default());
    let text = std::fs::read_to_string(&env.config).unwrap().replace(
        "tls = \"none\"",
        "tls = \"none\"\nusername = \"u\"\npassword = \"hunter2-secret\"\npool_size = -1",
    );
    std::fs::write(&env.config, text).unwrap();
    let output = env.cli(&["check"]);
    let all =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(!all.contains("hunter2"), "{all}");
}

#[test]
fn a_config_file_that_is_not_toml_is_a_clear_error() {
    let env = TestEnv::new(ConfigParts::default());
    std::fs::write(&env.config, "timezone = \n").unwrap();
    let output = env.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("not valid TOML") && stderr.contains("line 1"), "{stderr}");
    let output = std::process::Command::new(support::BINARY)
        .args(["--config", "/nonexistent.toml", "check"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr.trim(),
        "error: cannot read config file /nonexistent.toml: No such file or directory (os error 2)"
    );
}

#[test]
fn check_reports_a_store_that_is_not_a_database() {
    let env = TestEnv::new(ConfigParts::default());
    std::fs::create_dir_all(env.path("data")).unwrap();
    std::fs::write(
        env.path("data/nhacviec.db"),
        "this is not a database, only text that is long enough to have a header",
    )
    .unwrap();
    let output = env.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("store.url") && stderr.contains("not a database"), "{stderr}");
    let output = env.cli(&["task", "list"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a database"));
}

#[test]
fn check_reports_a_store_that_cannot_be_created() {
    let env = TestEnv::new(ConfigParts::default());
    env.write("afile", "x");
    let text = std::fs::read_to_string(&env.config).unwrap();
    let text = text.replace("data/nhacviec.db", "afile/sub/nhacviec.db");
    std::fs::write(&env.config, text).unwrap();
    let output = env.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("store.url") && stderr.contains("afile is not a folder"), "{stderr}");
}

#[test]
fn the_calendar_lists_each_statutory_day_off_with_its_reason_and_the_overrides() {
    let env = TestEnv::new(ConfigParts {
        extra: r#"
[[calendar.days]]
date = "2026-01-02"
off = true
reason = "Nghỉ hoán đổi Tết Dương lịch"
[[calendar.days]]
date = "2026-01-10"
off = false
reason = "Làm bù thứ Bảy"
"#
        .into(),
        ..ConfigParts::default()
    });
    let days = env.json(&["calendar", "2026"]);
    let listed: Vec<(String, bool, String)> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["off"].as_bool().unwrap(),
                d["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let off: Vec<&str> = listed.iter().filter(|d| d.1).map(|d| d.0.as_str()).collect();
    assert_eq!(
        off,
        [
            "2026-01-01",
            "2026-01-02",
            "2026-02-16",
            "2026-02-17",
            "2026-02-18",
            "2026-02-19",
            "2026-02-20",
            "2026-04-26",
            "2026-04-27",
            "2026-04-30",
            "2026-05-01",
            "2026-09-01",
            "2026-09-02"
        ]
    );
    let reason = |date: &str| listed.iter().find(|d| d.0 == date).map(|d| d.2.clone()).unwrap();
    assert_eq!(reason("2026-02-17"), "Tết Nguyên đán, mùng 1");
    assert!(reason("2026-04-27").starts_with("Nghỉ bù Giỗ Tổ Hùng Vương"));
    assert_eq!(reason("2026-01-02"), "Nghỉ hoán đổi Tết Dương lịch");
    assert!(listed.contains(&("2026-01-10".to_owned(), false, "Làm bù thứ Bảy".to_owned())));
    assert!(days.as_array().unwrap().iter().all(|d| d["kind"].is_string() && d["weekday"].is_string()));
}

#[test]
fn the_lunar_date_of_a_solar_one() {
    let env = TestEnv::new(ConfigParts::default());
    let lunar = env.json(&["calendar", "--lunar", "2023-03-22"]);
    assert_eq!(lunar, serde_json::json!({"day": 1, "month": 2, "year": 2023, "leap": true}));
    let lunar = env.json(&["calendar", "--lunar", "2026-02-16"]);
    assert_eq!(lunar, serde_json::json!({"day": 29, "month": 12, "year": 2025, "leap": false}));
    let solar = env.json(&["calendar", "--from-lunar", "2026-03-10"]);
    assert_eq!(solar, serde_json::json!({"date": "2026-04-26"}));
    let output = env.cli(&["calendar", "--from-lunar", "2023-03-01", "--leap"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no leap month 3"));
}

#[test]
fn preview_across_tet_sends_nothing_on_a_holiday_and_counts_working_days() {
    let env = TestEnv::new(ConfigParts::default());
    // Reminders on working days only, 3 working days and 7 calendar days before.
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("working_days_only = false", "working_days_only = true")
        .replace("before = [\"14d\", \"7d\", \"3d\", \"1d\"]", "before = [\"7d\", \"3wd\"]")
        .replace("send_at = \"00:00\"", "send_at = \"08:00\"")
        .replace("send_window = [\"00:00\", \"23:59\"]", "send_window = [\"07:30\", \"17:00\"]");
    std::fs::write(&env.config, text).unwrap();
    // Due Monday 23/02/2026, the first working day after Tết Bính Ngọ (off 14–22/02).
    env.add_task("snv", &["ubnd-tpnd"], chrono::NaiveDate::from_ymd_opt(2026, 2, 23).unwrap());
    let preview = env.json(&["preview", "--from", "2026-02-01", "--to", "2026-03-10", "--department", "snv"]);
    let got: Vec<(String, String)> = preview
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["at"].as_str().unwrap()[..10].to_owned(), i["rule"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        &got[..4],
        [
            // 7 days before is Monday 16/02, in Tết: the Friday before it.
            ("2026-02-11".to_owned(), "before:3wd".to_owned()),
            ("2026-02-13".to_owned(), "before:7d".to_owned()),
            ("2026-02-23".to_owned(), "due".to_owned()),
            ("2026-02-26".to_owned(), "overdue".to_owned()),
        ]
    );
    let holidays = ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"];
    for item in preview.as_array().unwrap() {
        let day = &item["at"].as_str().unwrap()[..10];
        assert!(!holidays.contains(&day), "{item:#}");
    }
}

#[test]
fn a_relative_working_day_deadline_resolves_across_a_holiday() {
    let env = TestEnv::new(ConfigParts::default());
    let text = "[directive]\ntitle = \"Công văn\"\nissuer = \"UBND tỉnh Nam Định\"\nissued_on = \"2026-04-22\"\n\
                [[tasks]]\nsummary = \"Báo cáo\"\nlead = \"snv\"\ndeadline = \"+5wd\"\n\
                deadline_phrase = \"trong thời hạn 05 ngày làm việc kể từ ngày ký\"\n";
    let file = env.write("relative.toml", text);
    env.ok(&["directive", "add", file.to_str().unwrap()]);
    // From Wednesday 22/04/2026: 23, 24, (25–27 weekend and Giỗ Tổ with its day off), 28, 29,
    // (30/4 and 1/5 holidays), Monday 04/05.
    let tasks = env.json(&["task", "list"]);
    assert_eq!(tasks[0]["deadline"], "2026-05-04");
    assert_eq!(tasks[0]["deadline_phrase"], "trong thời hạn 05 ngày làm việc kể từ ngày ký");
}

#[test]
fn check_names_a_broken_template_by_file_and_line_and_an_unknown_preset_by_key() {
    let env = TestEnv::new(ConfigParts::default());
    let templates = env.path("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("body.txt.j2"),
        "Kính gửi: {{ department_name }}\n\n{% if days_left > 0 %}\ncòn hạn\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(&env.config).unwrap()
        + &format!("\n[templates]\ndir = \"{}\"\n", templates.display());
    std::fs::write(&env.config, text).unwrap();
    let output = env.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let file = templates.join("body.txt.j2");
    assert!(stderr.contains(&format!("{}:3: syntax error", file.display())), "{stderr}");

    std::fs::write(templates.join("body.txt.j2"), "Kính gửi: {{ department_name | no_such_filter }}\n")
        .unwrap();
    let stderr = String::from_utf8_lossy(&env.cli(&["check"]).stderr).into_owned();
    assert!(
        stderr.contains(&format!("{}:1:", file.display())) && stderr.contains("no_such_filter"),
        "{stderr}"
    );

    std::fs::remove_file(templates.join("body.txt.j2")).unwrap();
    let text = std::fs::read_to_string(&env.config).unwrap().replace("kind = \"webhook\"", "kind = \"zalo\"");
    std::fs::write(&env.config, text).unwrap();
    let output = env.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("channels.chat.kind: unknown channel kind 'zalo': use smtp, webhook, slack, teams"),
        "{stderr}"
    );
}

#[test]
fn a_generic_webhook_template_that_does_not_render_json_is_a_check_error() {
    let env = TestEnv::new(ConfigParts::default());
    let templates = env.path("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("ticket.json.j2"), "title: {{ reminder.subject }}\n").unwrap();
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("kind = \"webhook\"", "kind = \"webhook\"\ntemplate = \"ticket.json\"")
        + &format!("\n[templates]\ndir = \"{}\"\n", templates.display());
    std::fs::write(&env.config, text).unwrap();
    let output = env.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("channels.chat.template:") && stderr.contains("does not render JSON"),
        "{stderr}"
    );
}

#[test]
fn render_prints_one_reminder_as_it_would_be_sent() {
    let env = nam_dinh();
    env.ok(&["directive", "add", &seed()]);
    let task = env.json(&["task", "list", "--department", "snv", "--overdue"]);
    let id = task[0]["id"].to_string();
    let text = env.ok(&["render", "--task", &id, "--rule", "before:7d"]);
    assert!(text.contains("Gửi lúc: 23/11/2021 · Sở Nội vụ (chủ trì)"), "{text}");
    assert!(text.contains("[Nhắc việc] Còn 7 ngày:") && text.contains("(hạn 30/11/2021)"), "{text}");
    let chat =
        env.ok(&["render", "--task", &id, "--rule", "due", "--department", "ubnd-tpnd", "--channel", "chat"]);
    // The URL's path may hold a token: only its host is shown.
    assert!(chat.starts_with("POST http://127.0.0.1:9000/…\n"), "{chat}");
    assert!(chat.contains("\"role\": \"coordinating\"") && chat.contains("\"days_left\": 0"), "{chat}");
    let email = env.ok(&["render", "--task", &id, "--rule", "escalate", "--channel", "email"]);
    assert!(email.contains("Content-Type: multipart/alternative") && email.contains("+0700"), "{email}");
    let output = env.cli(&["render", "--task", &id, "--rule", "before:5d"]);
    assert_eq!(output.status.code(), Some(2));
    let output = env.cli(&["render", "--task", &id, "--rule", "later"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn with_digests_preview_shows_one_item_per_department_and_day() {
    let env = TestEnv::new(ConfigParts::default());
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("poll_interval = \"1s\"", "poll_interval = \"1s\"\ndigest = true");
    std::fs::write(&env.config, text).unwrap();
    let directive = "[directive]\ntitle = \"Kết luận\"\nissuer = \"UBND tỉnh Nam Định\"\nissued_on = \"2026-03-02\"\n\
        [[tasks]]\nsummary = \"Báo cáo A\"\nlead = \"snv\"\ndeadline = \"2026-03-31\"\n\
        [[tasks]]\nsummary = \"Báo cáo B\"\nlead = \"snv\"\ncoordinating = [\"ubnd-tpnd\"]\ndeadline = \"2026-03-31\"\n\
        [[tasks]]\nsummary = \"Báo cáo C\"\nlead = \"ubnd-tpnd\"\ncoordinating = [\"snv\"]\ndeadline = \"2026-03-24\"\n";
    let file = env.write("d.toml", directive);
    env.ok(&["directive", "add", file.to_str().unwrap()]);
    let preview = env.json(&["preview", "--from", "2026-03-01", "--to", "2026-03-31"]);
    let items = preview.as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        assert_eq!(item["rule"], "digest", "{item:#}");
        let slot = (item["department"].to_string(), item["channel"].to_string(), item["at"].to_string());
        assert!(seen.insert(slot), "two digests for one department, channel and time: {item:#}");
        // At the digest time (08:00, Monday to Friday).
        assert!(item["at"].as_str().unwrap().ends_with("T08:00:00+07:00"), "{item:#}");
    }
    // 24/03: C is due (snv coordinating) and A and B are 7 days away (snv lead): one digest.
    let snv_24 = items
        .iter()
        .find(|i| i["department"] == "snv" && i["at"].as_str().unwrap().starts_with("2026-03-24"))
        .unwrap();
    let listed: Vec<(i64, &str, &str)> = snv_24["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["task_id"].as_i64().unwrap(), e["role"].as_str().unwrap(), e["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [(1, "lead", "before:7d"), (2, "lead", "before:7d"), (3, "coordinating", "due")]);
    assert_eq!(snv_24["task"], "Tổng hợp 3 nhắc việc");
}

#[test]
fn a_department_routes_kinds_of_reminder_to_channels_and_a_channel_keeps_quiet_hours() {
    let env = TestEnv::new(ConfigParts::default());
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("send_at = \"00:00\"", "send_at = \"08:00\"")
        .replace("url = \"http://127.0.0.1:9/hook\"", "url = \"http://127.0.0.1:9/hook\"\nquiet_hours = [\"00:00\", \"09:30\"]")
        .replace(
            "emails = [\"vanthu@tpnd.namdinh.example\"]\nchannels = [\"chat\"]",
            "emails = [\"vanthu@tpnd.namdinh.example\"]\nchannels = [\"email\", \"chat\"]\nchannel_rules = { chat = [\"due_soon\"] }",
        );
    std::fs::write(&env.config, text).unwrap();
    env.add_task("ubnd-tpnd", &[], chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    let preview =
        env.json(&["preview", "--from", "2026-03-01", "--to", "2026-04-10", "--department", "ubnd-tpnd"]);
    let got: Vec<(String, String, String)> = preview
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["channel"].as_str().unwrap().to_owned(),
                i["rule"].as_str().unwrap().to_owned(),
                i["at"].as_str().unwrap()[11..16].to_owned(),
            )
        })
        .collect();
    // Chat carries only the reminders before the deadline, after its quiet hours end.
    assert!(
        got.iter().filter(|g| g.0 == "chat").all(|g| g.1.starts_with("before:") && g.2 == "09:30"),
        "{got:#?}"
    );
    assert_eq!(got.iter().filter(|g| g.0 == "chat").count(), 4, "{got:#?}");
    // Email carries everything, at the send time.
    assert!(got.iter().any(|g| g.0 == "email" && g.1 == "due" && g.2 == "08:00"), "{got:#?}");
    assert!(got.iter().any(|g| g.0 == "email" && g.1 == "overdue"), "{got:#?}");
}

#[test]
fn a_full_store_refuses_the_write_clearly_and_keeps_what_was_committed() {
    let env = TestEnv::new(ConfigParts::default());
    let text =
        std::fs::read_to_string(&env.config).unwrap().replace("[store]\n", "[store]\nmax_size = \"256KB\"\n");
    std::fs::write(&env.config, text).unwrap();
    env.add_task("snv", &[], chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    let mut big = String::from(
        "[directive]\ntitle = \"Kết luận\"\nissuer = \"UBND tỉnh Nam Định\"\nissued_on = \"2026-01-05\"\n",
    );
    for i in 0..3_000 {
        big.push_str(&format!(
            "[[tasks]]\nsummary = \"Nhiệm vụ rất dài số {i} {}\"\nlead = \"snv\"\n",
            "x".repeat(100)
        ));
    }
    let file = env.write("big.toml", &big);
    let output = env.cli(&["directive", "add", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot add the directive") && stderr.contains("full"), "{stderr}");
    // Nothing of the refused directive was kept; the earlier one is whole.
    assert_eq!(env.json(&["task", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(env.json(&["directive", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn a_store_written_by_a_newer_version_is_refused_before_anything_changes() {
    let env = TestEnv::new(ConfigParts::default());
    env.add_task("snv", &[], chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    let db = env.path("data/nhacviec.db");
    let status = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (99, 'future', '2030-01-01', 1, x'00', 0)\"); c.commit()", db.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    for args in [vec!["run"], vec!["task", "list"]] {
        let output = env.cli(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("schema version 99, written by a newer nhacviec"), "{stderr}");
    }
    let output = env.cli(&["check"]);
    assert_eq!(output.status.code(), Some(2));
}

const SEED_TEXT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/00-nam-dinh-2021-09-21.txt");

#[test]
fn import_proposes_the_seeds_tasks_as_json_and_as_a_directive_file_that_loads() {
    let env = nam_dinh();
    let proposal = env.json(&["import", SEED_TEXT]);
    let dated: Vec<(&str, &str, &str)> = proposal["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["deadline"].is_null())
        .map(|t| {
            (
                t["lead_code"].as_str().unwrap(),
                t["deadline"].as_str().unwrap(),
                t["deadline_kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        dated,
        [
            ("snv", "2021-11-30", "month"),
            ("ubnd-tpnd", "2022-12-31", "quarter"),
            ("sgddt", "2021-12-31", "month")
        ]
    );
    assert_eq!(proposal["document"]["type"], "thông báo kết luận");
    // The header was not extracted: the issuer is the committee whose chair concludes, and
    // the date is the meeting's, which the file says to check. The directive file loads once
    // a person gives a department for the group task of item 12.
    let toml = env.ok(&["import", "--format", "toml", SEED_TEXT]);
    assert!(toml.contains("issuer = \"UBND tỉnh\""), "{toml}");
    assert!(toml.contains("# xem lại: issued_on là ngày họp"), "{toml}");
    let toml = toml.replace("lead = \"Các Sở, ngành\"", "lead = \"skhdt\"");
    let file = env.write("seed-proposal.toml", &toml);
    let added = env.ok(&["directive", "add", &file.display().to_string()]);
    assert!(added.contains("3 with a deadline"), "{added}");
}

#[test]
fn import_refuses_what_is_not_a_directive_with_the_file_and_the_reason() {
    let env = nam_dinh();
    let empty = env.write("empty.txt", "");
    assert_bad_input(&env, &["import", &empty.display().to_string()], "empty.txt: the file is empty");
    let binary = env.path("binary.txt");
    std::fs::write(&binary, [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]).unwrap();
    assert_bad_input(&env, &["import", &binary.display().to_string()], "binary.txt: this is not text");
    assert_bad_input(&env, &["import", "no-such-file.txt"], "no-such-file.txt: cannot read it");
    let large = env.path("large.txt");
    std::fs::write(&large, "Giao Sở Nội vụ chủ trì.\n".repeat(700_000)).unwrap();
    assert_bad_input(&env, &["import", &large.display().to_string()], "too large for a directive");
}

#[test]
fn import_converts_tcvn3_text_and_says_so() {
    let env = nam_dinh();
    let tcvn3 = "Giao Së Néi vô chñ tr×, phèi hîp víi thµnh phè Nam §Þnh x©y dùng §Ò ¸n, b¸o c¸o tr\u{ad}íc ngµy 15/12/2021.\n";
    let file = env.path("tcvn3.txt");
    std::fs::write(&file, tcvn3.chars().map(|c| c as u32 as u8).collect::<Vec<u8>>()).unwrap();
    let output = env.cli(&["import", "--format", "json", &file.display().to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("converted from tcvn3"));
    let proposal: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(proposal["encoding"], "tcvn3");
    assert_eq!(proposal["tasks"][0]["lead_code"], "snv");
    assert_eq!(proposal["tasks"][0]["deadline_phrase"], "trước ngày 15/12/2021");
}

/// A short letter of the province with three tasks for configured departments.
const LETTER: &str = "\
UỶ BAN NHÂN DÂN CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH NAM ĐỊNH Độc lập - Tự do - Hạnh phúc
Số: 812/UBND-VP3 Nam Định, ngày 04 tháng 10 năm 2021
V/v triển khai Kết luận của Chủ tịch UBND tỉnh
Kính gửi: các Sở, ngành và UBND thành phố Nam Định.
Thực hiện Kết luận số 43-KL/TU ngày 22/8/2018, UBND tỉnh có ý kiến như sau:
1. Giao Sở Nội vụ chủ trì, phối hợp với UBND thành phố Nam Định hoàn thiện hồ sơ đề án,
báo cáo UBND tỉnh trước ngày 15/11/2021.
2. Sở Giáo dục và Đào tạo hướng dẫn tuyển sinh lớp 1; hoàn thành trong tháng 12/2021.
3. Thanh tra tỉnh tăng cường kiểm tra, giải quyết khiếu nại, tố cáo trên địa bàn.
Nơi nhận:
- Như trên;
- Lưu: VT.
";

#[test]
fn import_apply_stores_the_directive_once_with_each_tasks_source_line() {
    let env = nam_dinh();
    let letter = env.write("cong-van-812.txt", LETTER);
    let letter = letter.display().to_string();
    let added = env.ok(&["import", "--apply", &letter]);
    assert!(added.contains("directive 1 added: 3 tasks (2 with a deadline)"), "{added}");
    let tasks = env.json(&["task", "list"]);
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks[0]["lead"], "snv");
    assert_eq!(tasks[0]["deadline"], "2021-11-15");
    let shown = env.json(&["task", "show", &tasks[0]["id"].to_string()]);
    let history = shown.to_string();
    assert!(history.contains("nhập từ") && history.contains("dòng 7"), "{history}");
    // The same document again changes nothing, and says so.
    let again = env.ok(&["import", "--apply", &letter]);
    assert!(again.contains("already imported as directive 1: nothing changed"), "{again}");
    assert_eq!(env.json(&["task", "list"]).as_array().unwrap().len(), 3);
}

#[test]
fn import_apply_of_a_document_with_an_unknown_body_stores_nothing_and_names_the_line() {
    let env = nam_dinh();
    let letter = LETTER.replace("3. Thanh tra tỉnh", "3. Ban Quản lý Khu di tích Trần");
    let file = env.write("cong-van-unknown.txt", &letter);
    assert_bad_input(
        &env,
        &["import", "--apply", &file.display().to_string()],
        "cong-van-unknown.txt:10: tasks[2].lead: unknown department 'Ban Quản lý Khu di tích Trần'",
    );
}

#[test]
fn a_monthly_task_imported_from_a_letter_is_previewed_once_a_month_on_its_working_day() {
    let env = nam_dinh();
    let letter = LETTER
        .replace("ngày 04 tháng 10 năm 2021", "ngày 05 tháng 01 năm 2022")
        .replace("báo cáo UBND tỉnh trước ngày 15/11/2021.", "báo cáo UBND tỉnh trước ngày 20 hằng tháng.");
    let file = env.write("cong-van-hang-thang.txt", &letter);
    let proposal = env.json(&["import", &file.display().to_string()]);
    assert_eq!(proposal["tasks"][0]["deadline_kind"], "recurring");
    assert_eq!(proposal["tasks"][0]["recurrence"], serde_json::json!({"every": "month", "day": 20}));
    env.ok(&["import", "--apply", &file.display().to_string()]);
    let preview = env.json(&["preview", "--from", "2022-01-01", "--to", "2022-06-30", "--department", "snv"]);
    let mut due: Vec<(String, String)> = preview
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["rule"] == "due")
        .map(|i| (i["deadline"].as_str().unwrap().to_owned(), i["due_date"].as_str().unwrap().to_owned()))
        .collect();
    due.dedup();
    // One series a month; the 20th of February and of March 2022 are Sundays.
    let expected = [
        ("2022-01-20", "2022-01-20"),
        ("2022-02-20", "2022-02-21"),
        ("2022-03-20", "2022-03-21"),
        ("2022-04-20", "2022-04-20"),
        ("2022-05-20", "2022-05-20"),
        ("2022-06-20", "2022-06-20"),
    ];
    assert_eq!(due, expected.map(|(d, w)| (d.to_owned(), w.to_owned())));
    for (deadline, _) in &expected[1..] {
        let before: Vec<&Value> =
            preview.as_array().unwrap().iter().filter(|i| i["deadline"] == *deadline).collect();
        assert!(before.iter().any(|i| i["rule"] == "before:7d"), "{deadline}: {before:?}");
        assert!(before.iter().all(|i| i["rule"] != "overdue"), "{deadline}: {before:?}");
    }
}

#[test]
fn a_task_given_to_a_configured_group_is_each_members_task() {
    let env = nam_dinh();
    let config = std::fs::read_to_string(&env.config).unwrap()
        + "\n[[groups]]\nname = \"Các Sở, ngành\"\naliases = [\"các sở, ban, ngành\"]\nmembers = [\"snv\", \"sgddt\", \"Thanh tra tỉnh\"]\n";
    std::fs::write(&env.config, config).unwrap();
    let letter = LETTER.replace("3. Thanh tra tỉnh tăng cường", "3. Các sở, ban, ngành tăng cường");
    let file = env.write("cong-van-nhom.txt", &letter);
    let proposal = env.json(&["import", &file.display().to_string()]);
    let group_task = &proposal["tasks"][2];
    assert_eq!(group_task["lead"], "Các Sở, ngành", "{proposal:#}");
    assert_eq!(group_task["lead_members"], serde_json::json!(["snv", "sgddt", "thanh-tra"]));
    assert_eq!(group_task["flags"], serde_json::json!([]));
    let added = env.ok(&["import", "--apply", &file.display().to_string()]);
    assert!(added.contains("5 tasks"), "{added}");
    let tasks = env.json(&["task", "list"]);
    let leads: Vec<&str> = tasks.as_array().unwrap().iter().map(|t| t["lead"].as_str().unwrap()).collect();
    assert_eq!(leads, ["snv", "sgddt", "snv", "sgddt", "thanh-tra"]);
    let shown = env.json(&["task", "show", "5"]);
    assert!(shown["history"].to_string().contains("giao cho Các Sở, ngành"), "{shown:#}");
}

#[test]
fn check_names_every_problem_of_a_group() {
    let env = nam_dinh();
    let config = std::fs::read_to_string(&env.config).unwrap()
        + "\n[[groups]]\nname = \"Sở Nội vụ\"\nmembers = [\"snv\", \"so-khong-co\"]\n\n[[groups]]\nmembers = []\n";
    std::fs::write(&env.config, config).unwrap();
    let output = env.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for expected in [
        "groups[0].name: 'Sở Nội vụ' already names a department",
        "groups[0].members[1]: unknown department 'so-khong-co'",
        "groups[1].name: missing",
        "groups[1].members: name the departments of the group",
    ] {
        assert!(stderr.contains(expected), "{expected} not in:\n{stderr}");
    }
}

#[test]
fn migrate_names_each_migration_it_applies_then_finds_the_schema_up_to_date() {
    let env = TestEnv::new(ConfigParts::default());
    let first = env.ok(&["migrate"]);
    let applied: Vec<&str> = first.lines().filter(|line| line.starts_with("applied ")).collect();
    assert!(applied.first().is_some_and(|line| line.starts_with("applied 1 ")), "{first}");
    assert!(applied.len() >= 10, "{first}");
    assert_eq!(env.ok(&["migrate"]).trim(), "the store's schema is up to date");
}

/// Reads an export back as Python reads it: an XLSX with openpyxl, a CSV with the csv
/// module (utf-8-sig drops the byte-order mark), each as a list of rows.
fn read_export(path: &Path) -> Vec<Vec<serde_json::Value>> {
    let script = r#"
import csv, datetime, json, sys
path = sys.argv[1]
if path.endswith(".xlsx"):
    import openpyxl
    sheet = openpyxl.load_workbook(path).active
    rows = [[c.isoformat()[:10] if isinstance(c, datetime.datetime) else c for c in row] for row in sheet.iter_rows(values_only=True)]
else:
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
print(json.dumps(rows, ensure_ascii=False))
"#;
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(path).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_summary_and_a_task_list_export_to_xlsx_and_csv_with_the_same_rows() {
    let env = nam_dinh();
    env.ok(&["directive", "add", &seed()]);
    let figures = env.json(&["summary", "--at", "2021-11-23"]);
    let departments = figures["departments"].as_array().unwrap();
    for name in ["tong-hop.xlsx", "tong-hop.csv"] {
        let path = env.path(name);
        let said = env.ok(&["summary", "--at", "2021-11-23", "--export", path.to_str().unwrap()]);
        assert!(said.contains(name), "{said}");
        let rows = read_export(&path);
        assert_eq!(rows[0][0], "Đơn vị chủ trì", "{name}");
        assert_eq!(rows.len(), departments.len() + 2, "headers, a row per department, the total: {name}");
        let number = |value: &serde_json::Value| value.as_f64().or_else(|| value.as_str()?.parse().ok());
        for (row, department) in rows[1..].iter().zip(departments) {
            assert_eq!(row[0], department["department_name"], "{name}");
            let keys = ["open", "due_within_7_days", "overdue", "done_on_time", "done_late"];
            for (cell, key) in row[1..].iter().zip(keys) {
                assert_eq!(number(cell), department[key].as_f64(), "{name}: {key} of {}", row[0]);
            }
        }
        let total = rows.last().unwrap();
        assert_eq!(
            (total[0].as_str(), number(&total[1])),
            (Some("Tổng cộng"), figures["total"]["open"].as_f64())
        );
    }
    let tasks = env.json(&["task", "list"]);
    let path = env.path("nhiem-vu.xlsx");
    env.ok(&["task", "list", "--export", path.to_str().unwrap()]);
    let rows = read_export(&path);
    assert_eq!(rows.len(), tasks.as_array().unwrap().len() + 1);
    assert_eq!(rows[1][5], tasks[0]["summary"]);
    assert_eq!(rows[1][2], tasks[0]["deadline"], "a date cell, read back as the same day");
    let refused = env.cli(&["summary", "--export", env.path("bao-cao.ods").to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("bao-cao.ods"));
}

#[test]
fn check_says_why_a_database_server_cannot_be_reached_without_its_password() {
    let env = TestEnv::new(ConfigParts::default());
    let port = support::free_port();
    let text = std::fs::read_to_string(&env.config).unwrap();
    let start = text.find("url = \"sqlite://").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    let url = format!("url = \"postgres://nhacviec:mat-khau-kho-doan@127.0.0.1:{port}/nhacviec\"");
    std::fs::write(&env.config, format!("{}{url}{}", &text[..start], &text[end..])).unwrap();
    let output = env.cli(&["check"]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("store.url") && said.contains("refused"), "{said}");
    assert!(said.contains("nhacviec:***@127.0.0.1") && !said.contains("mat-khau-kho-doan"), "{said}");
}
