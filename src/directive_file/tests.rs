use super::*;
use crate::config::Settings;
use crate::domain::Precision;

fn settings() -> Settings {
    let text = include_str!("../../config/examples/nam-dinh.toml");
    Settings::from_toml(text, "nam-dinh.toml", &[]).unwrap()
}

fn parse(text: &str, file: &str) -> Result<NewDirective, DirectiveFileError> {
    let settings = settings();
    super::parse(text, file, &settings.departments, &settings.calendar.calendar)
}

fn problems(text: &str) -> Vec<String> {
    let err = parse(text, "d.toml").unwrap_err();
    err.to_string().lines().map(str::to_owned).collect()
}

const HEADER: &str =
    "[directive]\ntitle = \"Kết luận\"\nissuer = \"UBND tỉnh Nam Định\"\nissued_on = \"2021-09-21\"\n";

#[test]
fn the_seed_directive_parses_with_its_three_deadlines() {
    let text = include_str!("../../config/examples/nam-dinh-2021-09-21.toml");
    let directive = parse(text, "seed.toml").unwrap();
    assert_eq!(directive.issued_on, NaiveDate::from_ymd_opt(2021, 9, 21).unwrap());
    assert!(directive.tasks.len() >= 30, "{}", directive.tasks.len());
    let with_deadline: Vec<_> = directive
        .tasks
        .iter()
        .filter_map(|t| t.deadline.as_ref().map(|d| (t.lead.as_str(), d.date.to_string(), d.precision)))
        .collect();
    assert_eq!(
        with_deadline,
        vec![
            ("snv", "2021-11-30".to_owned(), Precision::Month),
            ("ubnd-tpnd", "2022-12-31".to_owned(), Precision::Quarter),
            ("sgddt", "2021-12-31".to_owned(), Precision::Month),
        ]
    );
}

#[test]
fn names_and_aliases_resolve_to_codes() {
    let text = format!(
        "{HEADER}[[tasks]]\nsummary = \"x\"\nlead = \"Sở Nội vụ\"\ncoordinating = [\"UBND thành phố Nam Định\", \"snv\", \"ubnd-tpnd\"]\n"
    );
    let directive = parse(&text, "d.toml").unwrap();
    assert_eq!(directive.tasks[0].lead.as_str(), "snv");
    // The lead and repeats are dropped from the coordinating list.
    let coordinating: Vec<_> = directive.tasks[0].coordinating.iter().map(|c| c.as_str()).collect();
    assert_eq!(coordinating, vec!["ubnd-tpnd"]);
}

#[test]
fn unknown_department_is_named_with_its_line_and_key() {
    let text = format!("{HEADER}[[tasks]]\nsummary = \"x\"\nlead = \"so-xyz\"\n");
    assert_eq!(
        problems(&text),
        vec![
            "d.toml:7: tasks[0].lead: unknown department 'so-xyz': use a code, name or alias from the config's [[departments]]"
        ]
    );
}

#[test]
fn impossible_date_is_named() {
    let text = format!("{HEADER}[[tasks]]\nsummary = \"x\"\nlead = \"snv\"\ndeadline = \"2022-02-30\"\n");
    assert_eq!(
        problems(&text),
        vec!["d.toml:8: tasks[0].deadline: '2022-02-30' is not a date in the calendar"]
    );
    let text = HEADER.replace("2021-09-21", "2021-02-29") + "[[tasks]]\nsummary = \"x\"\nlead = \"snv\"\n";
    assert_eq!(
        problems(&text),
        vec!["d.toml:4: directive.issued_on: not a date in the calendar: write YYYY-MM-DD"]
    );
}

#[test]
fn malformed_toml_names_its_line() {
    let text = format!("{HEADER}[[tasks]]\nsummary = \"x\nlead = \"snv\"\n");
    let got = problems(&text);
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("d.toml:6: not valid TOML"), "{got:?}");
}

#[test]
fn empty_file_is_rejected() {
    assert_eq!(
        problems("  \n"),
        vec!["d.toml:1: the file is empty: a directive file needs a [directive] table and [[tasks]]"]
    );
    let got = problems("# only a comment\n");
    assert!(got[0].contains("directive: missing"), "{got:?}");
}

#[test]
fn unknown_keys_and_missing_fields_are_rejected() {
    let text = format!("{HEADER}[[tasks]]\nsummary = \"x\"\nlead = \"snv\"\ndeadlin = \"2021-11\"\n");
    let got = problems(&text);
    assert!(got[0].contains("unknown field `deadlin`"), "{got:?}");
    let text = format!("{HEADER}[[tasks]]\nsummary = \" \"\n");
    let got = problems(&text);
    assert!(got.iter().any(|p| p.ends_with("tasks[0].summary: missing")), "{got:?}");
    assert!(got.iter().any(|p| p.contains("tasks[0].lead: missing")), "{got:?}");
}

#[test]
fn every_problem_of_a_file_is_listed() {
    let text = format!(
        "{HEADER}[[tasks]]\nsummary = \"a\"\nlead = \"nobody\"\n[[tasks]]\nsummary = \"b\"\nlead = \"snv\"\ndeadline = \"2021-13\"\n"
    );
    assert_eq!(problems(&text).len(), 2);
}

#[test]
fn relative_deadlines_count_working_days_from_the_directive_or_a_date() {
    let text = format!(
        "{HEADER}[[tasks]]\nsummary = \"a\"\nlead = \"snv\"\ndeadline = \"+10wd\"\ndeadline_phrase = \"trong 10 ngày làm việc kể từ ngày ký\"\n\
         [[tasks]]\nsummary = \"b\"\nlead = \"snv\"\ndeadline = \"+10wd from 2021-08-25\"\n\
         [[tasks]]\nsummary = \"c\"\nlead = \"snv\"\ndeadline = \"+30d\"\n"
    );
    let directive = parse(&text, "d.toml").unwrap();
    let dates: Vec<String> =
        directive.tasks.iter().map(|t| t.deadline.as_ref().unwrap().date.to_string()).collect();
    // 21/09/2021 + 10 working days; 25/08/2021 + 10 working days across Quốc khánh (1–2/09).
    assert_eq!(dates, ["2021-10-05", "2021-09-10", "2021-10-21"]);
    assert_eq!(
        directive.tasks[0].deadline.as_ref().unwrap().phrase.as_deref(),
        Some("trong 10 ngày làm việc kể từ ngày ký")
    );
}
