use chrono::NaiveDate;
use serde_json::json;

use super::FieldProblem;
use super::input::{self, DirectiveInput, DirectivePatch, TaskPatch};
use crate::config::Settings;
use crate::domain::DepartmentCode;
use crate::domain::TaskText;

fn settings() -> Settings {
    Settings::from_toml(include_str!("../../config/examples/nam-dinh.toml"), "nam-dinh.toml", &[]).unwrap()
}

fn directive(value: serde_json::Value) -> Result<crate::domain::NewDirective, Vec<FieldProblem>> {
    let settings = settings();
    let input: DirectiveInput = serde_json::from_value(value).unwrap();
    input::directive(input.into(), "", &settings.departments, &settings.calendar.calendar)
}

fn fields(problems: &[FieldProblem]) -> Vec<&str> {
    problems.iter().map(|p| p.field.as_str()).collect()
}

fn code(text: &str) -> DepartmentCode {
    DepartmentCode::parse(text).unwrap()
}

#[test]
fn a_directive_resolves_departments_and_deadlines_as_a_file_does() {
    let directive = directive(json!({
        "number": " 123/TB-UBND ", "title": "Kết luận", "issuer": "UBND tỉnh", "issued_on": "2021-09-21",
        "tasks": [
            {"summary": "A", "lead": "Sở Nội vụ", "coordinating": ["snv", "SGDĐT", "sgddt"], "deadline": "2021-11"},
            {"summary": "B", "lead": "snv", "deadline": "+10wd", "deadline_phrase": "trong 10 ngày làm việc"},
            {"summary": "C", "lead": "snv", "deadline": "+10wd from 2021-12-31"},
            {"summary": " D ", "details": "  nhiều   khoảng  trắng ", "lead": "snv"},
        ],
    }))
    .unwrap();
    assert_eq!(directive.number.as_deref(), Some("123/TB-UBND"));
    let tasks = &directive.tasks;
    assert_eq!(tasks[0].lead, code("snv"));
    // The lead is not also coordinating, and nothing twice.
    assert_eq!(tasks[0].coordinating, vec![code("sgddt")]);
    assert_eq!(tasks[0].deadline.as_ref().unwrap().date, NaiveDate::from_ymd_opt(2021, 11, 30).unwrap());
    // From the directive's date (Tuesday 21/09/2021), 10 working days: 05/10/2021.
    assert_eq!(tasks[1].deadline.as_ref().unwrap().date, NaiveDate::from_ymd_opt(2021, 10, 5).unwrap());
    assert_eq!(tasks[1].deadline.as_ref().unwrap().phrase.as_deref(), Some("trong 10 ngày làm việc"));
    // From 31/12/2021, past the New Year day off and its compensatory Monday 03/01/2022:
    // 17/01/2022.
    assert_eq!(tasks[2].deadline.as_ref().unwrap().date, NaiveDate::from_ymd_opt(2022, 1, 17).unwrap());
    assert_eq!(tasks[3].summary, "D");
    assert_eq!(tasks[3].details.as_deref(), Some("nhiều khoảng trắng"));
    assert_eq!(tasks[3].deadline, None);
}

#[test]
fn every_problem_of_a_directive_is_named_by_its_field() {
    let problems = directive(json!({
        "title": " ", "issuer": "UBND tỉnh", "issued_on": "2021-09-21",
        "tasks": [
            {"summary": "", "lead": "Sở Không Có", "coordinating": ["snv", "xyz"]},
            {"summary": "B", "lead": "snv", "deadline": "30/11/2021"},
            {"summary": "C", "lead": "snv", "deadline_phrase": "trong tháng"},
        ],
    }))
    .unwrap_err();
    assert_eq!(
        fields(&problems),
        [
            "title",
            "tasks[0].summary",
            "tasks[0].lead",
            "tasks[0].coordinating[1]",
            "tasks[1].deadline",
            "tasks[2].deadline_phrase"
        ]
    );
    let problems =
        directive(json!({"title": "T", "issuer": "I", "issued_on": "2021-09-21", "tasks": []})).unwrap_err();
    assert_eq!(fields(&problems), ["tasks"]);
}

fn current() -> TaskText {
    TaskText {
        section: Some("1".into()),
        summary: "Rà soát".into(),
        details: Some("Chi tiết".into()),
        lead: code("snv"),
        coordinating: vec![code("sgddt")],
    }
}

fn patch(value: serde_json::Value) -> Result<TaskText, Vec<FieldProblem>> {
    let patch: TaskPatch = serde_json::from_value(value).unwrap();
    input::patched(current(), patch, &settings().departments)
}

#[test]
fn a_patch_keeps_absent_fields_clears_nulls_and_refuses_null_required_ones() {
    assert_eq!(patch(json!({})).unwrap(), current());
    let changed =
        patch(json!({"summary": "Rà soát lại", "details": null, "lead": "Sở Giáo dục và Đào tạo"})).unwrap();
    assert_eq!(changed.summary, "Rà soát lại");
    assert_eq!(changed.details, None);
    assert_eq!(changed.section.as_deref(), Some("1"));
    // The new lead drops out of the coordinating departments.
    assert_eq!((changed.lead, changed.coordinating), (code("sgddt"), vec![]));
    let problems = patch(json!({"summary": null, "lead": "nobody", "coordinating": null})).unwrap_err();
    assert_eq!(fields(&problems), ["summary", "coordinating", "lead"]);
    assert_eq!(fields(&patch(json!({"summary": "  "})).unwrap_err()), ["summary"]);
}

#[test]
fn a_directive_patch_keeps_its_date_and_refuses_empty_text() {
    let current = crate::domain::Directive {
        id: crate::domain::DirectiveId(1),
        number: Some("123/TB-UBND".into()),
        title: "Kết luận".into(),
        issuer: "UBND tỉnh".into(),
        issued_on: NaiveDate::from_ymd_opt(2021, 9, 21).unwrap(),
    };
    let patched = |value| {
        let patch: DirectivePatch = serde_json::from_value(value).unwrap();
        input::patched_directive(&current, patch)
    };
    assert_eq!(
        patched(json!({})).unwrap(),
        (Some("123/TB-UBND".into()), "Kết luận".into(), "UBND tỉnh".into())
    );
    assert_eq!(patched(json!({"number": null, "title": " Kết luận mới "})).unwrap().0, None);
    assert_eq!(patched(json!({"number": null, "title": " Kết luận mới "})).unwrap().1, "Kết luận mới");
    assert_eq!(fields(&patched(json!({"title": null, "issuer": ""})).unwrap_err()), ["title", "issuer"]);
}
