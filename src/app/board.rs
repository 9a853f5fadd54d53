//! The follow-up board's questions: the summary's figures per lead department for the
//! tasks a filter takes, counted by the store's index rather than task by task, and the
//! list each figure opens. The same figures as `summary`, task for task.

use chrono::NaiveDate;

use crate::domain::TaskId;
use crate::plan::Policy;
use crate::store::{BoardDates, BoardFilter, BoardList, Store, StoreError, TaskRecord};
use crate::summary::{self, Figures, Summary};

/// Which figure's tasks to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Every task the filter takes.
    All,
    Open,
    /// Open and not overdue: due within 7 days, later, or without a deadline.
    OpenInTime,
    Overdue,
    DueWithin7Days,
    DoneOnTime,
    DoneLate,
}

impl Figure {
    pub const ALL: [Figure; 7] = [
        Figure::All,
        Figure::Open,
        Figure::OpenInTime,
        Figure::Overdue,
        Figure::DueWithin7Days,
        Figure::DoneOnTime,
        Figure::DoneLate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Figure::All => "all",
            Figure::Open => "open",
            Figure::OpenInTime => "open_in_time",
            Figure::Overdue => "overdue",
            Figure::DueWithin7Days => "due_within_7_days",
            Figure::DoneOnTime => "done_on_time",
            Figure::DoneLate => "done_late",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// Its heading, as the Government Office's reports word it.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Figure::All => "Tất cả nhiệm vụ",
            Figure::Open => "Đang thực hiện",
            Figure::OpenInTime => "Đang thực hiện trong hạn",
            Figure::Overdue => "Đang thực hiện quá hạn",
            Figure::DueWithin7Days => "Đến hạn trong 7 ngày",
            Figure::DoneOnTime => "Hoàn thành đúng hạn",
            Figure::DoneLate => "Hoàn thành quá hạn",
        }
    }
}

fn dates(policy: &Policy, today: NaiveDate) -> BoardDates {
    let (overdue_before, soon_until) = summary::open_boundaries(policy, today);
    BoardDates { overdue_before, soon_until }
}

/// The summary's figures as of `today` for the tasks `filter` takes.
pub async fn figures(
    store: &Store,
    policy: &Policy,
    filter: &BoardFilter,
    today: NaiveDate,
) -> Result<Summary, StoreError> {
    let (counts, late_range) = store.board_counts(filter, dates(policy, today)).await?;
    // Done after the written deadline is late, unless the deadline fell on a day off and
    // the task was done by the day it moved to.
    let mut kept: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    if let Some((first, last)) = late_range {
        let moved = summary::moved_deadlines(policy, first, last);
        for (lead, deadline, done_on, count) in store.board_done_after(filter, &moved).await? {
            if !summary::done_late(policy, Some(deadline), Some(done_on)) {
                *kept.entry(lead).or_default() += to_count(count);
            }
        }
    }
    let mut figures = Summary::default();
    for row in counts {
        let on_time_after_deadline = kept.get(&row.lead).copied().unwrap_or(0);
        let done_late = to_count(row.done_after_deadline).saturating_sub(on_time_after_deadline);
        let one = Figures {
            open: to_count(row.open),
            due_within_7_days: to_count(row.open_soon),
            overdue: to_count(row.open_overdue),
            done_on_time: to_count(row.done).saturating_sub(done_late),
            done_late,
        };
        figures.total.merge(&one);
        figures.by_department.insert(row.lead, one);
    }
    Ok(figures)
}

fn to_count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// A page of the tasks a figure counts, by id after `after`: at most `limit`, and whether
/// there are more.
pub async fn list(
    store: &Store,
    policy: &Policy,
    filter: &BoardFilter,
    figure: Figure,
    today: NaiveDate,
    after: TaskId,
    limit: u32,
) -> Result<(Vec<TaskRecord>, bool), StoreError> {
    let dates = dates(policy, today);
    let (query, keep): (BoardList, fn(&Policy, &TaskRecord) -> bool) = match figure {
        Figure::All => (BoardList::All, |_, _| true),
        Figure::Open => (BoardList::Open, |_, _| true),
        Figure::OpenInTime => (BoardList::OpenInTime, |_, _| true),
        Figure::Overdue => (BoardList::OpenOverdue, |_, _| true),
        Figure::DueWithin7Days => (BoardList::DueSoon, |_, _| true),
        Figure::DoneOnTime => (BoardList::Done, |policy, r| !late(policy, r)),
        Figure::DoneLate => (BoardList::DoneAfterDeadline, late),
    };
    let mut found = Vec::new();
    let mut after = after;
    // One more than asked, to know whether there are more; the tasks a figure counts but
    // the query cannot tell apart are sorted out here, a page at a time.
    let wanted = limit as usize + 1;
    loop {
        let page = store.board_tasks(filter, query, dates, after, limit.max(100) + 1).await?;
        let Some(last) = page.last() else { break };
        after = last.task.id;
        let full = page.len() as u32 > limit.max(100);
        found.extend(page.into_iter().filter(|r| keep(policy, r)));
        if found.len() >= wanted || !full {
            break;
        }
    }
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    Ok((found, more))
}

fn late(policy: &Policy, record: &TaskRecord) -> bool {
    summary::done_late(policy, record.task.deadline.as_ref().map(|d| d.date), record.task.done_on)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::domain::{Deadline, DepartmentCode, NewDirective, NewTask};
    use crate::store::tests::TestStore;

    fn now() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2021, 11, 23, 1, 0, 0).unwrap()
    }

    fn code(text: &str) -> DepartmentCode {
        DepartmentCode::parse(text).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A directive of `tasks`, each `(lead, written deadline, done on)`.
    fn board_directive(issued_on: NaiveDate, tasks: &[(&str, Option<NaiveDate>)]) -> NewDirective {
        NewDirective {
            number: None,
            title: "Kế hoạch".into(),
            issuer: "UBND tỉnh".into(),
            issued_on,
            source: None,
            source_hash: None,
            tasks: tasks
                .iter()
                .enumerate()
                .map(|(i, (lead, deadline))| NewTask {
                    section: None,
                    summary: format!("Nhiệm vụ {i}"),
                    details: None,
                    lead: code(lead),
                    coordinating: vec![],
                    deadline: deadline.map(|d| Deadline::parse(&d.to_string(), None).unwrap()),
                    origin: None,
                    recurrence: None,
                    next_reminder_at: None,
                })
                .collect(),
        }
    }

    /// The default config's policy: deadlines on a day off move to the next working day.
    fn default_policy() -> crate::plan::Policy {
        let settings =
            crate::config::Settings::from_toml(crate::config::DEFAULT_CONFIG, "default", &[]).unwrap();
        crate::plan::Policy::from_settings(&settings)
    }

    async fn counts_what_the_weekly_summary_counts(store: &Store) {
        // As of Friday 20/11/2026. Saturday 21/11 and Sunday 22/11 are days off: a task
        // written due on either is due on Monday 23/11, so done on Monday it is on time.
        let policy = default_policy();
        let today = date(2026, 11, 20);
        let tasks: Vec<(&str, Option<NaiveDate>, Option<NaiveDate>)> = vec![
            ("snv", Some(date(2026, 11, 19)), None),                     // overdue
            ("snv", Some(date(2026, 11, 20)), None),                     // due today: within 7 days
            ("snv", Some(date(2026, 11, 27)), None),                     // within 7 days
            ("snv", Some(date(2026, 11, 28)), None),                     // Saturday → due Monday 30/11: later
            ("snv", Some(date(2026, 12, 20)), None),                     // later
            ("snv", None, None),                                         // no deadline
            ("stc", Some(date(2026, 11, 21)), Some(date(2026, 11, 23))), // Saturday, done Monday: on time
            ("stc", Some(date(2026, 11, 21)), Some(date(2026, 11, 24))), // done Tuesday: late
            ("stc", Some(date(2026, 11, 18)), Some(date(2026, 11, 18))), // on time
            ("stc", Some(date(2026, 11, 18)), Some(date(2026, 11, 19))), // late
            ("stc", None, Some(date(2026, 11, 2))),                      // no deadline: on time
            ("sxd", Some(date(2026, 11, 14)), None), // Saturday 14/11 → Monday 16/11: overdue
            ("sxd", Some(date(2026, 11, 15)), Some(date(2026, 11, 16))), // Sunday, done Monday: on time
        ];
        let specs: Vec<(&str, Option<NaiveDate>)> = tasks.iter().map(|(l, d, _)| (*l, *d)).collect();
        let (first, ids) =
            store.add_directive(&board_directive(date(2026, 10, 1), &specs), "test", now()).await.unwrap();
        for (id, (_, _, done)) in ids.iter().zip(&tasks) {
            if let Some(done) = done {
                store.mark_done(*id, *done, None, "test", now()).await.unwrap();
            }
        }
        let (second, _) = store
            .add_directive(
                &board_directive(date(2026, 11, 10), &[("snv", Some(date(2026, 11, 1))), ("sxd", None)]),
                "test",
                now(),
            )
            .await
            .unwrap();

        let summary = crate::app::summary(store, &policy, today).await.unwrap();
        let board = crate::app::board::figures(store, &policy, &BoardFilter::default(), today).await.unwrap();
        assert_eq!(board, summary);
        let snv = &board.by_department["snv"];
        assert_eq!((snv.open, snv.overdue, snv.due_within_7_days), (7, 2, 2));
        let stc = &board.by_department["stc"];
        assert_eq!((stc.done_on_time, stc.done_late), (3, 2));
        let sxd = &board.by_department["sxd"];
        assert_eq!((sxd.open, sxd.overdue, sxd.done_on_time), (2, 1, 1));

        // Filters: a directive, a lead, a period of the directives' dates.
        let only_first = BoardFilter { directive: Some(first), ..BoardFilter::default() };
        let figures = crate::app::board::figures(store, &policy, &only_first, today).await.unwrap();
        assert_eq!(figures.total.open + figures.total.done_on_time + figures.total.done_late, 13);
        let only_sxd = BoardFilter { lead: Some(code("sxd")), ..BoardFilter::default() };
        let figures = crate::app::board::figures(store, &policy, &only_sxd, today).await.unwrap();
        assert_eq!(figures.by_department.keys().collect::<Vec<_>>(), ["sxd"]);
        assert_eq!(figures.total.open, 2);
        let november = BoardFilter {
            issued_from: Some(date(2026, 11, 1)),
            issued_to: Some(date(2026, 11, 30)),
            ..BoardFilter::default()
        };
        let figures = crate::app::board::figures(store, &policy, &november, today).await.unwrap();
        assert_eq!((figures.total.open, figures.total.overdue), (2, 1));
        let _ = second;

        // Each figure opens the list it counts.
        use crate::app::board::{Figure, list};
        let all = BoardFilter::default();
        for (figure, expected) in [
            (Figure::All, 15),
            (Figure::Open, 9),
            (Figure::Overdue, 3),
            (Figure::OpenInTime, 6),
            (Figure::DueWithin7Days, 2),
            (Figure::DoneOnTime, 4),
            (Figure::DoneLate, 2),
        ] {
            let (records, more) = list(store, &policy, &all, figure, today, TaskId(0), 100).await.unwrap();
            assert_eq!(records.len(), expected, "{figure:?}");
            assert!(!more);
        }
        // Pages: two at a time, in order, the last one saying there are no more.
        let (page, more) = list(store, &policy, &all, Figure::DoneOnTime, today, TaskId(0), 2).await.unwrap();
        assert_eq!(page.len(), 2);
        assert!(more);
        let (rest, more) =
            list(store, &policy, &all, Figure::DoneOnTime, today, page[1].task.id, 2).await.unwrap();
        assert_eq!(rest.len(), 2);
        assert!(!more);
        assert!(rest[0].task.id > page[1].task.id);
    }

    #[tokio::test]
    async fn the_board_counts_what_the_weekly_summary_counts_on_each_engine() {
        for test in TestStore::each_engine().await {
            counts_what_the_weekly_summary_counts(&test.store).await;
        }
    }
}
