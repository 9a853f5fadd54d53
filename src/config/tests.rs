use super::*;

fn load(text: &str) -> Result<Settings, ConfigError> {
    Settings::from_toml(text, "test.toml", &[])
}

fn problems(text: &str) -> Vec<String> {
    match load(text) {
        Err(ConfigError::Invalid { problems, .. }) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn the_embedded_default_is_valid() {
    let settings = Settings::from_toml(DEFAULT_CONFIG, "default", &[]).unwrap();
    assert_eq!(settings.timezone, chrono_tz::Asia::Ho_Chi_Minh);
    assert_eq!(
        settings.schedule.before,
        vec![Offset::days(14), Offset::days(7), Offset::days(3), Offset::days(1)]
    );
    assert_eq!(settings.store.url, "sqlite://data/nhacviec.db");
    assert!(settings.departments.resolve("Sở Nội vụ").is_some());
}

#[test]
fn the_nam_dinh_example_is_valid() {
    let text = include_str!("../../config/examples/nam-dinh.toml");
    let settings = Settings::from_toml(text, "nam-dinh.toml", &[]).unwrap();
    for label in ["snv", "Sở Nội vụ", "SNV", "UBND thành phố Nam Định", "Văn phòng UBND tỉnh"]
    {
        assert!(settings.departments.resolve(label).is_some(), "{label}");
    }
}

#[test]
fn environment_overrides_single_keys() {
    let env = vec![
        ("NHACVIEC__SCHEDULE__SEND_AT".to_owned(), "09:15".to_owned()),
        ("NHACVIEC__STORE__URL".to_owned(), "sqlite:///tmp/x.db".to_owned()),
        ("NHACVIEC__SCHEDULE__BEFORE".to_owned(), "5d,2d".to_owned()),
        ("NHACVIEC_CONFIG".to_owned(), "/elsewhere.toml".to_owned()),
    ];
    let settings = Settings::from_toml(DEFAULT_CONFIG, "default", &env).unwrap();
    assert_eq!(settings.schedule.send_at, NaiveTime::from_hms_opt(9, 15, 0).unwrap());
    assert_eq!(settings.store.url, "sqlite:///tmp/x.db");
    assert_eq!(settings.schedule.before, vec![Offset::days(5), Offset::days(2)]);
}

#[test]
fn every_problem_is_reported_with_its_key_path() {
    let text = r#"
timezone = "Asia/Hanoi_Typo"
colour = "blue"
[schedule]
send_at = "8h"
before = ["7d", "3 days"]
overdue_every = "3x"
poll_interval = "soon"
[channels.email]
kind = "smtp"
tls = "ssl"
url = "http://x"
[channels.pager]
kind = "carrier-pigeon"
[[departments]]
code = "SNV"
name = "Sở Nội vụ"
channels = ["email", "fax"]
[[departments]]
code = "stc"
name = "Sở Tài chính"
aliases = ["Sở Nội vụ"]
emails = ["not an address"]
channels = ["email"]
escalate_to = "vp-ubnd"
"#;
    let got = problems(text);
    let expected = [
        "colour: unknown key",
        "timezone: not an IANA time zone name",
        "schedule.send_at: '8h' is not a time of day",
        "schedule.before[1]: '3 days' is not a day offset",
        "schedule.overdue_every: '3x' is not a day offset",
        "schedule.poll_interval: 'soon' is not a duration",
        "channels.email.tls: 'ssl' is not a TLS mode",
        "channels.email.url: does not apply to a channel of kind 'smtp'",
        "channels.pager.kind: unknown channel kind 'carrier-pigeon'",
        "departments[0].code: 'SNV' is not a department code",
        "departments[0].channels[1]: unknown channel 'fax'",
        "departments[1].emails[0]: 'not an address' is not an email address",
        "departments[1].escalate_to: unknown department 'vp-ubnd'",
    ];
    for want in expected {
        assert!(got.iter().any(|p| p.starts_with(want)), "missing {want:?} in {got:#?}");
    }
}

#[test]
fn ambiguous_names_and_duplicate_codes_are_rejected() {
    let text = r#"
[channels.email]
kind = "smtp"
[[departments]]
code = "snv"
name = "Sở Nội vụ"
emails = ["a@b.example"]
channels = ["email"]
[[departments]]
code = "snv"
name = "Sở Tài chính"
emails = ["a@b.example"]
channels = ["email"]
[[departments]]
code = "sxd"
name = "Sở Xây dựng"
aliases = ["sở nội  vụ"]
emails = ["a@b.example"]
channels = ["email"]
"#;
    let got = problems(text);
    assert!(
        got.iter().any(|p| p.starts_with("departments[1].code: duplicate department code 'snv'")),
        "{got:#?}"
    );
    assert!(
        got.iter().any(|p| p.starts_with("departments[2].aliases[0]: 'sở nội  vụ' already names")),
        "{got:#?}"
    );
}

#[test]
fn malformed_toml_names_the_line() {
    let err = load("[schedule\nsend_at = 1").unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { .. }));
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn secrets_are_never_printed() {
    let text = r#"
[channels.email]
kind = "smtp"
username = "u"
password = "hunter2-secret"
port = "not a port"
"#;
    let err = load(text).unwrap_err().to_string();
    assert!(!err.contains("hunter2"), "{err}");
    let settings =
        load("[channels.email]\nkind = \"smtp\"\nusername = \"u\"\npassword = \"hunter2-secret\"\n").unwrap();
    assert!(!format!("{settings:?}").contains("hunter2"));
}

#[test]
fn calendar_settings_are_checked() {
    let text = r#"
[calendar]
deadline_on_day_off = "previous"
tet_days = 0
national_day_extra = "both"
[[calendar.days]]
date = "2026-02-30"
[[calendar.days]]
off = false
[channels.email]
kind = "smtp"
[[departments]]
code = "snv"
name = "Sở Nội vụ"
emails = ["a@b.example"]
channels = ["email"]
[[departments.calendar_days]]
date = "26/04/2026"
"#;
    let got = problems(text);
    for want in [
        "calendar.deadline_on_day_off: 'previous' is not a rule",
        "calendar.tet_days: must be between 1 and 9",
        "calendar.national_day_extra: 'both' is not a side",
        "calendar.days[0].date: '2026-02-30' is not a date in the calendar",
        "calendar.days[1].date: missing",
        "departments[0].calendar_days[0].date: '26/04/2026' is not a date",
    ] {
        assert!(got.iter().any(|p| p.starts_with(want)), "missing {want:?} in {got:#?}");
    }
}

#[test]
fn the_default_calendar_carries_the_2026_swaps() {
    let settings = Settings::from_toml(DEFAULT_CONFIG, "default", &[]).unwrap();
    let calendar = &settings.calendar.calendar;
    let date = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    assert!(!calendar.is_working_day(date(1, 2)));
    assert!(calendar.is_working_day(date(1, 10)));
    assert!(settings.calendar.move_deadline_off_days_off);
}

#[test]
fn rate_limits_parse_per_second_minute_and_hour() {
    let rate = |t| RateLimit::parse(t);
    assert_eq!(rate("20/s").unwrap().per, std::time::Duration::from_secs(1));
    assert_eq!(rate("600/m").unwrap().count.get(), 600);
    assert_eq!(rate(" 1000 / h ").unwrap().per, std::time::Duration::from_secs(3600));
    for bad in ["", "20", "0/s", "-1/s", "20/d", "x/s", "20/"] {
        assert!(rate(bad).is_err(), "{bad:?}");
    }
    let got = problems("[channels.email]\nkind = \"smtp\"\nrate_limit = \"fast\"\n");
    assert!(got.iter().any(|p| p.starts_with("channels.email.rate_limit: 'fast' is not a rate")), "{got:?}");
}

#[test]
fn every_problem_of_the_http_table_is_named_and_the_key_is_not_shown() {
    let zeros = "0".repeat(64);
    let text = format!(
        r#"
[http]
listen = "127.0.0.1:99999"
public_url = "ftp://x"
link_key = "short-secret"
link_valid_for = "5y"
body_limit = "1KB"
[[http.tokens]]
name = "a"
sha256 = "zz"
scope = "admin"
[[http.tokens]]
sha256 = "{zeros}"
scope = "read"
[[http.tokens]]
name = "c"
sha256 = "{zeros}"
scope = "read"
"#
    );
    let found = problems(&text);
    let paths: Vec<&str> = found.iter().filter_map(|p| p.split(':').next()).collect();
    assert_eq!(
        paths,
        [
            "http.listen",
            "http.public_url",
            "http.body_limit",
            "http.link_key",
            "http.link_valid_for",
            "http.tokens[0].sha256",
            "http.tokens[0].scope",
            "http.tokens[1].name",
            "http.tokens[2].sha256"
        ],
        "{found:#?}"
    );
    assert!(found.iter().all(|p| !p.contains("short-secret")));
    // A public address needs a key to sign its links.
    let found = problems("[http]\npublic_url = \"https://nhacviec.example\"\n");
    assert!(found.iter().any(|p| p.starts_with("http.link_key")), "{found:#?}");
}

#[test]
fn a_store_is_a_file_or_a_postgresql_database_and_its_password_is_never_shown() {
    let url = |text: &str| format!("[store]\nurl = \"{text}\"\n");
    let postgres = load(&url("postgres://nhacviec:s3cret@db.local:5432/nhacviec")).unwrap();
    assert_eq!(postgres.store.url, "postgres://nhacviec:s3cret@db.local:5432/nhacviec");
    assert!(load(&url("postgresql://nhacviec@10.0.0.5/nhacviec")).is_ok());
    for (text, problem) in [
        ("sqlite://", "names no file"),
        ("postgres://nhacviec:s3cret@db.local:5432/", "names no database"),
        ("postgres:///nhacviec", "names no host"),
        ("mysql://root:s3cret@db.local/nhacviec", "is not a store URL"),
    ] {
        let found = problems(&url(text));
        assert!(found.iter().any(|p| p.starts_with("store.url") && p.contains(problem)), "{text}: {found:?}");
        assert!(!found.iter().any(|p| p.contains("s3cret")), "{text}: {found:?}");
    }
    let sized = problems("[store]\nurl = \"postgres://u@h/d\"\nmax_size = \"1GB\"\n");
    assert!(sized.iter().any(|p| p.starts_with("store.max_size")), "{sized:?}");
}

#[test]
fn a_store_keeps_sent_reminders_ninety_days_and_a_server_store_takes_a_pool_size_and_notify() {
    let defaults = load("").unwrap();
    assert_eq!(defaults.store.keep_sent, Some(std::time::Duration::from_secs(90 * 24 * 3600)));
    assert!(defaults.store.notify);
    assert_eq!(defaults.store.pool_size, 10);
    let server =
        load("[store]\nurl = \"postgres://u@h/d\"\npool_size = 4\nnotify = false\nkeep_sent = \"forever\"\n")
            .unwrap();
    assert_eq!((server.store.pool_size, server.store.notify, server.store.keep_sent), (4, false, None));
    for (text, key, problem) in [
        ("keep_sent = \"7d\"", "store.keep_sent", "too short"),
        ("keep_sent = \"soon\"", "store.keep_sent", "not a duration"),
        ("url = \"postgres://u@h/d\"\npool_size = 1", "store.pool_size", "from 2 to 500"),
        ("pool_size = 4", "store.pool_size", "database server only"),
    ] {
        let found = problems(&format!("[store]\n{text}\n"));
        assert!(found.iter().any(|p| p.starts_with(key) && p.contains(problem)), "{text}: {found:?}");
    }
}
