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
