use chrono::{Datelike, NaiveTime, TimeZone, Weekday};

use super::*;
use crate::calendar::Calendar;
use crate::domain::{Deadline, DirectiveId, Offset};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn code(text: &str) -> DepartmentCode {
    DepartmentCode::parse(text).unwrap()
}

/// The schedule most tests use: 14, 7, 3 and 1 days before, at 08:00 on working days.
pub(crate) fn schedule() -> Schedule {
    Schedule {
        send_at: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        send_window: (NaiveTime::from_hms_opt(7, 30, 0).unwrap(), NaiveTime::from_hms_opt(17, 0, 0).unwrap()),
        working_days_only: true,
        before: vec![Offset::days(14), Offset::days(7), Offset::days(3), Offset::days(1)],
        on_due_date: true,
        overdue_every: Some(Offset::days(3)),
        escalate_after: Some(Offset::days(7)),
        poll_interval: std::time::Duration::from_secs(30),
        replan: crate::config::parse_cron("0 5 0 * * *").unwrap(),
        digest: false,
        digest_at: crate::config::parse_cron("0 0 8 * * Mon-Fri").unwrap(),
        summary_at: crate::config::parse_cron("0 0 8 * * Mon").unwrap(),
    }
}

fn policy() -> Policy {
    Policy::new(schedule(), Calendar::vietnam(), chrono_tz::Asia::Ho_Chi_Minh)
}

/// Local Vietnamese time.
fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

fn task(deadline: &str) -> Task {
    Task {
        id: TaskId(1),
        directive_id: DirectiveId(1),
        section: Some("3".into()),
        summary: "Xây dựng Đề án mở rộng địa giới hành chính thành phố Nam Định".into(),
        details: None,
        lead: code("snv"),
        coordinating: vec![code("ubnd-tpnd")],
        deadline: Some(Deadline::parse(deadline, None).unwrap()),
        recurrence: None,
        status: TaskStatus::Open,
        done_on: None,
        created_at: at(2021, 9, 21, 9, 0),
    }
}

fn days(series: Series, deadline: NaiveDate, until: NaiveDate) -> Vec<(String, NaiveDate)> {
    let policy = policy();
    series
        .occurrences(deadline, &policy, &policy.calendar)
        .take_while(|o| o.day <= until)
        .map(|o| (o.rule.to_string(), o.day))
        .collect()
}

#[test]
fn reminder_series_for_a_month_deadline_skips_weekends() {
    // 30/11/2021 is a Tuesday: 14d before is Tue 16/11, 7d Tue 23/11, 3d Sat 27/11 -> Fri 26/11,
    // 1d Mon 29/11; overdue every 3 days: Fri 3/12, Mon 6/12, Thu 9/12.
    let got = days(Series::Reminders, date(2021, 11, 30), date(2021, 12, 9));
    let want = vec![
        ("before:14d".to_owned(), date(2021, 11, 16)),
        ("before:7d".to_owned(), date(2021, 11, 23)),
        ("before:3d".to_owned(), date(2021, 11, 26)),
        ("before:1d".to_owned(), date(2021, 11, 29)),
        ("due".to_owned(), date(2021, 11, 30)),
        ("overdue".to_owned(), date(2021, 12, 3)),
        ("overdue".to_owned(), date(2021, 12, 6)),
        ("overdue".to_owned(), date(2021, 12, 9)),
    ];
    assert_eq!(got, want);
}

#[test]
fn weekend_deadline_is_reminded_on_the_friday_before() {
    // 31/12/2022 is a Saturday; kept as the due date, 1d before is Friday 30/12 and so is the
    // due reminder: one wins.
    let mut policy = policy();
    policy.move_deadline_off_days_off = false;
    let got: Vec<(String, NaiveDate)> = Series::Reminders
        .occurrences(date(2022, 12, 31), &policy, &policy.calendar)
        .take_while(|o| o.day <= date(2022, 12, 31))
        .map(|o| (o.rule.to_string(), o.day))
        .collect();
    assert_eq!(
        got,
        vec![
            ("before:14d".to_owned(), date(2022, 12, 16)),
            ("before:7d".to_owned(), date(2022, 12, 23)),
            ("before:3d".to_owned(), date(2022, 12, 28)),
            ("due".to_owned(), date(2022, 12, 30)),
        ]
    );
}

#[test]
fn no_occurrence_ever_falls_on_a_weekend() {
    let policy = policy();
    let mut deadline = date(2021, 1, 1);
    for _ in 0..800 {
        for series in [Series::Reminders, Series::Escalation] {
            for o in series.occurrences(deadline, &policy, &policy.calendar).take(40) {
                assert!(!matches!(o.day.weekday(), Weekday::Sat | Weekday::Sun), "{deadline}: {o:?}");
                assert_eq!(o.at, window::local_instant(o.day, policy.schedule.send_at, &policy));
            }
        }
        deadline = deadline.succ_opt().unwrap();
    }
}

proptest::proptest! {
    /// Whatever the deadline, the offsets (calendar or working days) and the department's
    /// own days off, every reminder goes out on a working day of that department.
    #[test]
    fn no_computed_reminder_falls_on_a_day_off(
        days_since in 0i64..(30 * 365),
        before in proptest::collection::vec((1u32..30, proptest::bool::ANY), 0..5),
        every in 1u32..10,
        every_working in proptest::bool::ANY,
        own_day_off in 0i64..60,
    ) {
        let offset = |(n, working): (u32, bool)| if working { Offset::working_days(n) } else { Offset::days(n) };
        let mut schedule = schedule();
        schedule.before = before.into_iter().map(offset).collect();
        schedule.overdue_every = Some(offset((every, every_working)));
        let deadline = date(2000, 1, 1) + chrono::Duration::days(days_since);
        let own = crate::calendar::DayOverride {
            date: deadline - chrono::Duration::days(30) + chrono::Duration::days(own_day_off),
            off: true,
            reason: "riêng".into(),
        };
        let policy = Policy::new(schedule, Calendar::vietnam(), chrono_tz::Asia::Ho_Chi_Minh);
        let calendar = policy.calendar.with_overrides(vec![own]);
        for series in [Series::Reminders, Series::Escalation] {
            let mut previous = None;
            for o in series.occurrences(deadline, &policy, &calendar).take(25) {
                proptest::prop_assert!(calendar.is_working_day(o.day), "{} {:?}", deadline, o);
                proptest::prop_assert!(previous.is_none_or(|p| p < o.at), "{} {:?}", deadline, o);
                previous = Some(o.at);
            }
        }
    }
}

#[test]
fn occurrences_are_strictly_increasing_in_time() {
    let policy = policy();
    let mut deadline = date(2023, 1, 1);
    for _ in 0..400 {
        let ats: Vec<_> = Series::Reminders
            .occurrences(deadline, &policy, &policy.calendar)
            .take(30)
            .map(|o| o.at)
            .collect();
        assert!(ats.windows(2).all(|w| w[0] < w[1]), "{deadline}: {ats:?}");
        deadline = deadline.succ_opt().unwrap();
    }
}

#[test]
fn escalation_goes_out_once_on_the_first_working_day_after_the_threshold() {
    // 30/11/2021 + 7 days = Tue 7/12/2021.
    assert_eq!(
        days(Series::Escalation, date(2021, 11, 30), date(2030, 1, 1)),
        vec![("escalate".to_owned(), date(2021, 12, 7))]
    );
    // 31/12/2022 is a Saturday, 1/1/2023 a holiday on a Sunday, 2/1 its compensatory day:
    // due Tuesday 3/1/2023; + 7 days = Tuesday 10/1/2023.
    assert_eq!(
        days(Series::Escalation, date(2022, 12, 31), date(2030, 1, 1)),
        vec![("escalate".to_owned(), date(2023, 1, 10))]
    );
}

#[test]
fn a_tick_at_send_time_plans_the_lead_and_coordinating_departments() {
    let plan = plan_task(
        &task("2021-11"),
        Some(&code("vp-ubnd")),
        &policy(),
        Some(at(2021, 11, 22, 8, 0)),
        at(2021, 11, 23, 8, 0),
    );
    let got: Vec<_> =
        plan.reminders.iter().map(|r| (r.department.as_str(), r.role, r.rule.to_string(), r.day)).collect();
    assert_eq!(
        got,
        vec![
            ("snv", Role::Lead, "before:7d".to_owned(), date(2021, 11, 23)),
            ("ubnd-tpnd", Role::Coordinating, "before:7d".to_owned(), date(2021, 11, 23)),
        ]
    );
    assert!(
        plan.reminders
            .iter()
            .all(|r| r.send_after == at(2021, 11, 23, 8, 0) && r.deadline == date(2021, 11, 30))
    );
    assert_eq!(plan.next_at, Some(at(2021, 11, 26, 8, 0)));
    assert!(plan.superseded.is_empty());
}

#[test]
fn after_downtime_only_the_newest_reminder_of_each_series_is_sent() {
    // Planned last on 15/11; back on Thursday 9/12 at 20:00, outside the window.
    let plan = plan_task(
        &task("2021-11"),
        Some(&code("vp-ubnd")),
        &policy(),
        Some(at(2021, 11, 15, 9, 0)),
        at(2021, 12, 9, 20, 0),
    );
    let got: Vec<_> =
        plan.reminders.iter().map(|r| (r.department.as_str(), r.role, r.rule.to_string(), r.day)).collect();
    assert_eq!(
        got,
        vec![
            ("snv", Role::Lead, "overdue".to_owned(), date(2021, 12, 9)),
            ("ubnd-tpnd", Role::Coordinating, "overdue".to_owned(), date(2021, 12, 9)),
            ("vp-ubnd", Role::Escalation, "escalate".to_owned(), date(2021, 12, 7)),
        ]
    );
    // Sent at the next moment inside the window: Friday 10/12 at 07:30.
    assert!(plan.reminders.iter().all(|r| r.send_after == at(2021, 12, 10, 7, 30)));
    // 16/11, 23/11, 26/11, 29/11, 30/11, 3/12, 6/12 were missed and replaced.
    assert_eq!(plan.superseded.len(), 7);
    assert_eq!(plan.next_at, Some(at(2021, 12, 13, 8, 0)));
}

#[test]
fn a_task_entered_late_gets_the_newest_past_reminder_at_once() {
    let plan = plan_task(&task("2021-11"), None, &policy(), None, at(2021, 11, 24, 10, 15));
    assert_eq!(plan.reminders.len(), 2);
    assert_eq!(plan.reminders[0].rule, Rule::Before(Offset::days(7)));
    assert_eq!(plan.reminders[0].send_after, at(2021, 11, 24, 10, 15));
    assert_eq!(first_planning_at(&task("2021-11"), None, &policy()), Some(at(2021, 11, 16, 8, 0)));
}

#[test]
fn done_tasks_and_tasks_without_deadline_are_never_planned() {
    let mut done = task("2021-11");
    done.status = TaskStatus::Done;
    let mut open_ended = task("2021-11");
    open_ended.deadline = None;
    for task in [done, open_ended] {
        let plan = plan_task(&task, Some(&code("vp-ubnd")), &policy(), None, at(2022, 1, 1, 8, 0));
        assert!(plan.reminders.is_empty() && plan.next_at.is_none());
        assert_eq!(first_planning_at(&task, None, &policy()), None);
    }
}

#[test]
fn a_tick_between_occurrences_plans_nothing() {
    let plan =
        plan_task(&task("2021-11"), None, &policy(), Some(at(2021, 11, 23, 8, 0)), at(2021, 11, 24, 8, 0));
    assert!(plan.reminders.is_empty());
    assert_eq!(plan.next_at, Some(at(2021, 11, 26, 8, 0)));
}

#[test]
fn send_moment_stays_inside_the_window_on_working_days() {
    let policy = policy();
    // Inside: unchanged.
    assert_eq!(next_send_moment(at(2021, 11, 23, 9, 0), &policy, &policy.calendar), at(2021, 11, 23, 9, 0));
    // Before the window: its start that day.
    assert_eq!(next_send_moment(at(2021, 11, 23, 6, 0), &policy, &policy.calendar), at(2021, 11, 23, 7, 30));
    // After it: next working day's start.
    assert_eq!(next_send_moment(at(2021, 11, 26, 17, 1), &policy, &policy.calendar), at(2021, 11, 29, 7, 30));
    // Weekend: Monday.
    assert_eq!(next_send_moment(at(2021, 11, 27, 10, 0), &policy, &policy.calendar), at(2021, 11, 29, 7, 30));
}

#[test]
fn overdue_off_means_one_overdue_reminder() {
    let mut schedule = schedule();
    schedule.overdue_every = None;
    let policy = Policy::new(schedule, Calendar::vietnam(), chrono_tz::Asia::Ho_Chi_Minh);
    let rules: Vec<_> = Series::Reminders
        .occurrences(date(2021, 11, 30), &policy, &policy.calendar)
        .map(|o| (o.rule.to_string(), o.day))
        .collect();
    assert_eq!(rules.last(), Some(&("overdue".to_owned(), date(2021, 12, 1))));
    assert_eq!(rules.len(), 6);
}

#[test]
fn rules_round_trip_through_text() {
    for text in ["before:14d", "due", "overdue", "escalate"] {
        assert_eq!(Rule::parse(text).unwrap().to_string(), text);
    }
    assert!(Rule::parse("before:x").is_err());
    assert!(Rule::parse("after:3d").is_err());
}

#[test]
fn a_deadline_on_a_day_off_is_due_on_the_next_working_day() {
    let policy = policy();
    // Quý IV/2022 ends on Saturday 31/12; Sunday 1/1/2023 is a holiday made up on Monday 2/1.
    assert_eq!(policy.due_date(date(2022, 12, 31)), date(2023, 1, 3));
    let got = days(Series::Reminders, date(2022, 12, 31), date(2023, 1, 3));
    assert_eq!(
        got,
        vec![
            ("before:14d".to_owned(), date(2022, 12, 20)),
            ("before:7d".to_owned(), date(2022, 12, 27)),
            // 3 days before (Saturday 31/12) and 1 day before (Monday 2/1, off) both move
            // back to Friday 30/12: the nearer one is sent.
            ("before:1d".to_owned(), date(2022, 12, 30)),
            ("due".to_owned(), date(2023, 1, 3)),
        ]
    );
}

#[test]
fn working_day_offsets_leave_that_many_working_days_across_tet() {
    // Due Monday 23/02/2026, right after Tết Bính Ngọ (off 14–22/02): 3 working days
    // before is Wednesday 11/02; 3 calendar days before (Friday 20/02, in Tết) moves back to
    // Friday 13/02.
    let mut schedule = schedule();
    schedule.before = vec![Offset::days(3), Offset::working_days(3)];
    let policy = Policy::new(schedule, Calendar::vietnam(), chrono_tz::Asia::Ho_Chi_Minh);
    let got: Vec<(String, NaiveDate)> = Series::Reminders
        .occurrences(date(2026, 2, 23), &policy, &policy.calendar)
        .take(3)
        .map(|o| (o.rule.to_string(), o.day))
        .collect();
    assert_eq!(
        got,
        vec![
            ("before:3wd".to_owned(), date(2026, 2, 11)),
            ("before:3d".to_owned(), date(2026, 2, 13)),
            ("due".to_owned(), date(2026, 2, 23)),
        ]
    );
    assert_eq!(policy.calendar.working_days_between(date(2026, 2, 11), date(2026, 2, 23)), 3);
}

#[test]
fn a_department_with_its_own_day_off_is_reminded_around_it() {
    use crate::calendar::DayOverride;
    let mut policy = policy();
    let festival = DayOverride { date: date(2021, 11, 23), off: true, reason: "Lễ hội".into() };
    policy.department_calendars.insert(code("ubnd-tpnd"), policy.calendar.with_overrides(vec![festival]));
    let plan =
        plan_task(&task("2021-11"), None, &policy, Some(at(2021, 11, 19, 9, 0)), at(2021, 11, 23, 8, 0));
    let got: Vec<_> = plan.reminders.iter().map(|r| (r.department.as_str(), r.day)).collect();
    // The lead hears on 23/11; the city, off that day, heard on Monday 22/11.
    assert_eq!(got, vec![("snv", date(2021, 11, 23)), ("ubnd-tpnd", date(2021, 11, 22))]);
}

#[test]
fn quiet_hours_hold_a_send_until_they_end() {
    let policy = policy();
    let time = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let night = (time(21, 0), time(7, 0));
    // Evening inside: the next morning.
    assert_eq!(after_quiet_hours(at(2021, 11, 23, 22, 0), night, &policy), at(2021, 11, 24, 7, 0));
    // Early morning inside: that morning.
    assert_eq!(after_quiet_hours(at(2021, 11, 23, 6, 0), night, &policy), at(2021, 11, 23, 7, 0));
    // Outside: unchanged.
    assert_eq!(after_quiet_hours(at(2021, 11, 23, 8, 0), night, &policy), at(2021, 11, 23, 8, 0));
    assert_eq!(
        after_quiet_hours(at(2021, 11, 23, 21, 0) - chrono::Duration::seconds(1), night, &policy),
        at(2021, 11, 23, 20, 59) + chrono::Duration::seconds(59)
    );
    // A daytime quiet period (a meeting every morning).
    let meeting = (time(8, 0), time(9, 30));
    assert_eq!(after_quiet_hours(at(2021, 11, 23, 8, 0), meeting, &policy), at(2021, 11, 23, 9, 30));
    assert_eq!(after_quiet_hours(at(2021, 11, 23, 9, 30), meeting, &policy), at(2021, 11, 23, 9, 30));
}
