use chrono::NaiveDate;

use super::*;
use crate::config::Settings;

fn nam_dinh() -> Settings {
    let text = include_str!("../../config/examples/nam-dinh.toml");
    match Settings::from_toml(text, "nam-dinh.toml", &[]) {
        Ok(settings) => settings,
        Err(error) => panic!("{error}"),
    }
}

fn seed() -> Proposal {
    let settings = nam_dinh();
    let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
    propose(include_str!("../../tests/fixtures/import/00-nam-dinh-2021-09-21.txt"), &setting)
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[test]
fn the_seed_gives_its_three_dated_tasks_with_lead_coordinating_and_due_date() {
    let proposal = seed();
    let dated: Vec<&ProposedTask> = proposal.tasks.iter().filter(|t| t.deadline.is_some()).collect();
    type Finding<'a> = (Option<&'a str>, Vec<Option<&'a str>>, Option<NaiveDate>, Option<&'a str>);
    let found: Vec<Finding> = dated
        .iter()
        .map(|t| {
            (
                t.lead_code.as_deref(),
                t.coordinating_codes.iter().map(|c| c.as_deref()).collect(),
                t.deadline,
                t.deadline_phrase.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (Some("snv"), vec![Some("ubnd-tpnd")], date("2021-11-30"), Some("vào tháng 11/2021")),
            (Some("ubnd-tpnd"), vec![], date("2022-12-31"), Some("trong Quý IV năm 2022")),
            (Some("sgddt"), vec![], date("2021-12-31"), Some("hoàn thành trong tháng 12/2021")),
        ],
        "{:#?}",
        dated
    );
}

#[test]
fn the_seed_gives_its_other_tasks_without_a_deadline_and_no_trap_date() {
    let proposal = seed();
    let count = proposal.tasks.len();
    assert!((38..=52).contains(&count), "{count} tasks: {:#?}", proposal.tasks);
    for task in &proposal.tasks {
        for trap in [
            "19/8/2021",
            "17/9/2021",
            "22/8/2018",
            "17/7/2012",
            "18/6/2021",
            "16/7/2021",
            "20/8/2021",
            "2021-2025",
            "2021-2026",
            "167/2017",
        ] {
            assert!(!task.deadline_phrase.as_deref().unwrap_or("").contains(trap), "{task:#?}");
        }
    }
    let leads: Vec<Option<&str>> = proposal.tasks.iter().map(|t| t.lead_code.as_deref()).collect();
    assert!(leads.iter().filter(|l| **l == Some("ubnd-tpnd")).count() >= 30, "{leads:?}");
    assert_eq!(proposal.document.meeting_date, date("2021-09-21"));
}
