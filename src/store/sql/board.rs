//! What the web pages read in bulk: the follow-up board's counts per lead department and
//! the lists they open, a department's desk, and what was sent to it for each task. Every
//! query is bounded by an index (`tasks_board`, `tasks_lead`, `task_coordinators_department`,
//! `outbox_task`).

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::QueryBuilder;

use super::{Backend, Db};
use crate::domain::{DepartmentCode, TaskId};
use crate::store::records::{BoardDates, BoardFilter, BoardList, LeadCounts, SentSoFar, TaskRecord};
use crate::store::rows::{TASK_COLUMNS, TaskRow, push_list, record};
use crate::store::{Result, from_unix};

/// `FROM` and `WHERE` for the tasks a board filter takes; the caller adds `AND ...`.
fn push_filtered(query: &mut QueryBuilder<Db>, filter: &BoardFilter) {
    if filter.issued_from.is_some() || filter.issued_to.is_some() {
        query.push(" FROM tasks t JOIN directives d ON d.id = t.directive_id WHERE 1 = 1");
        if let Some(from) = filter.issued_from {
            query.push(" AND d.issued_on >= ").push_bind(from);
        }
        if let Some(to) = filter.issued_to {
            query.push(" AND d.issued_on <= ").push_bind(to);
        }
    } else {
        query.push(" FROM tasks t WHERE 1 = 1");
    }
    if let Some(directive) = filter.directive {
        query.push(" AND t.directive_id = ").push_bind(directive.0);
    }
    if let Some(lead) = &filter.lead {
        query.push(" AND t.lead = ").push_bind(lead.as_str().to_owned());
    }
}

/// The board's count queries, each after `prefix` (`EXPLAIN ` in the tests): tasks by lead
/// and status; open ones written due before `overdue_before`; open ones due from then to
/// `soon_until`; done ones done after their written deadline, with the range of those
/// deadlines. Each is a count over a range of `tasks_board` (or of the filter's index), so
/// that no expression is evaluated for every task.
pub(in crate::store) fn board_count_queries(
    prefix: &str,
    filter: &BoardFilter,
    dates: BoardDates,
) -> [QueryBuilder<Db>; 4] {
    let query = |select: &str| {
        let mut query: QueryBuilder<Db> = QueryBuilder::new(prefix);
        query.push(select);
        push_filtered(&mut query, filter);
        query
    };
    let mut by_status = query("SELECT t.lead, t.status, COUNT(*), NULL, NULL");
    by_status.push(" GROUP BY t.lead, t.status");
    let mut overdue = query("SELECT t.lead, 'overdue', COUNT(*), NULL, NULL");
    overdue
        .push(" AND t.status = 'open' AND t.deadline < ")
        .push_bind(dates.overdue_before)
        .push(" GROUP BY t.lead");
    let mut soon = query("SELECT t.lead, 'soon', COUNT(*), NULL, NULL");
    soon.push(" AND t.status = 'open' AND t.deadline >= ")
        .push_bind(dates.overdue_before)
        .push(" AND t.deadline <= ")
        .push_bind(dates.soon_until)
        .push(" GROUP BY t.lead");
    let mut after = query("SELECT t.lead, 'after', COUNT(*), MIN(t.deadline), MAX(t.deadline)");
    after.push(" AND t.status = 'done' AND t.done_on > t.deadline GROUP BY t.lead");
    [by_status, overdue, soon, after]
}

/// The list query of a board count, a page after `after`, after `prefix`.
pub(in crate::store) fn board_list_query(
    prefix: &str,
    filter: &BoardFilter,
    list: BoardList,
    dates: BoardDates,
    after: TaskId,
    limit: u32,
) -> QueryBuilder<Db> {
    let mut query: QueryBuilder<Db> = QueryBuilder::new(format!("{prefix}SELECT {TASK_COLUMNS}"));
    push_filtered(&mut query, filter);
    match list {
        BoardList::All => {}
        BoardList::Open => {
            query.push(" AND t.status = 'open'");
        }
        BoardList::OpenOverdue => {
            query.push(" AND t.status = 'open' AND t.deadline < ").push_bind(dates.overdue_before);
        }
        BoardList::OpenInTime => {
            query
                .push(" AND t.status = 'open' AND (t.deadline IS NULL OR t.deadline >= ")
                .push_bind(dates.overdue_before)
                .push(")");
        }
        BoardList::DueSoon => {
            query
                .push(" AND t.status = 'open' AND t.deadline >= ")
                .push_bind(dates.overdue_before)
                .push(" AND t.deadline <= ")
                .push_bind(dates.soon_until);
        }
        BoardList::Done => {
            query.push(" AND t.status = 'done'");
        }
        BoardList::DoneAfterDeadline => {
            query.push(" AND t.status = 'done' AND t.done_on > t.deadline");
        }
    }
    query.push(" AND t.id > ").push_bind(after.0).push(" ORDER BY t.id LIMIT ").push_bind(i64::from(limit));
    query
}

type CountsRow = (String, String, i64, Option<NaiveDate>, Option<NaiveDate>);

impl Backend {
    /// The board's counts per lead department, and the range of deadlines of tasks done
    /// after their written deadline (those the caller checks against the days off). The
    /// counts are read at once, not in one snapshot: a task changed meanwhile may be
    /// counted as it was in one and as it is in another, until the page is shown again.
    pub async fn board_counts(
        &self,
        filter: &BoardFilter,
        dates: BoardDates,
    ) -> Result<(Vec<LeadCounts>, Option<(NaiveDate, NaiveDate)>)> {
        // Each on a connection of its own, at once: four index ranges read side by side.
        let queries = board_count_queries("", filter, dates);
        let read = queries.into_iter().map(|mut query| async move {
            let rows: Vec<CountsRow> = query.build_query_as().fetch_all(&self.pool).await?;
            Ok::<_, sqlx::Error>(rows)
        });
        let read = futures_util::future::try_join_all(read).await?;
        let mut by_lead: std::collections::BTreeMap<String, LeadCounts> = std::collections::BTreeMap::new();
        let mut range: Option<(NaiveDate, NaiveDate)> = None;
        for rows in read {
            for (lead, what, count, first, last) in rows {
                let counts = by_lead
                    .entry(lead.clone())
                    .or_insert_with(|| LeadCounts { lead, ..LeadCounts::default() });
                match what.as_str() {
                    "open" => counts.open = count,
                    "done" => counts.done = count,
                    "overdue" => counts.open_overdue = count,
                    "soon" => counts.open_soon = count,
                    _ => counts.done_after_deadline = count,
                }
                if let (Some(first), Some(last)) = (first, last) {
                    range = Some(match range {
                        Some((a, b)) => (a.min(first), b.max(last)),
                        None => (first, last),
                    });
                }
            }
        }
        Ok((by_lead.into_values().collect(), range))
    }

    /// Tasks the filter takes that were done after a deadline among `deadlines`: counts by
    /// lead, deadline and the day they were done.
    pub async fn board_done_after(
        &self,
        filter: &BoardFilter,
        deadlines: &[NaiveDate],
    ) -> Result<Vec<(String, NaiveDate, NaiveDate, i64)>> {
        let mut found = Vec::new();
        for chunk in deadlines.chunks(400) {
            let mut query: QueryBuilder<Db> =
                QueryBuilder::new("SELECT t.lead, t.deadline, t.done_on, COUNT(*)");
            push_filtered(&mut query, filter);
            query.push(" AND t.status = 'done' AND t.done_on > t.deadline AND t.deadline IN (");
            push_list(&mut query, chunk.iter().copied());
            query.push(" GROUP BY t.lead, t.deadline, t.done_on");
            let rows: Vec<(String, NaiveDate, NaiveDate, i64)> =
                query.build_query_as().fetch_all(&self.pool).await?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// A page of the tasks a board count opens, by id after `after`.
    pub async fn board_tasks(
        &self,
        filter: &BoardFilter,
        list: BoardList,
        dates: BoardDates,
        after: TaskId,
        limit: u32,
    ) -> Result<Vec<TaskRecord>> {
        let rows: Vec<TaskRow> = board_list_query("", filter, list, dates, after, limit)
            .build_query_as()
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(record).collect()
    }

    /// A department's open tasks, as lead and as coordinating, at most `limit` of each.
    pub async fn desk_tasks(&self, department: &DepartmentCode, limit: u32) -> Result<Vec<TaskRecord>> {
        let lead = format!(
            "SELECT {TASK_COLUMNS} FROM tasks t WHERE t.lead = $1 AND t.status = 'open' ORDER BY t.id LIMIT $2"
        );
        let coordinating = format!(
            "SELECT {TASK_COLUMNS} FROM task_coordinators c JOIN tasks t ON t.id = c.task_id \
             WHERE c.department = $1 AND t.status = 'open' AND t.lead <> $1 ORDER BY t.id LIMIT $2"
        );
        let mut records = Vec::new();
        for sql in [lead, coordinating] {
            let rows: Vec<TaskRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(department.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            for row in rows {
                records.push(record(row)?);
            }
        }
        Ok(records)
    }

    /// For each task, what was sent to `department` (how many, the last when) and when the
    /// next waiting message goes.
    pub async fn sent_to(
        &self,
        department: &DepartmentCode,
        tasks: &[TaskId],
    ) -> Result<HashMap<i64, SentSoFar>> {
        let mut found: HashMap<i64, SentSoFar> = HashMap::new();
        for chunk in tasks.chunks(500) {
            let mut query: QueryBuilder<Db> = QueryBuilder::new(
                "SELECT task_id, state, COUNT(*), MAX(finished_at), MIN(send_after) FROM outbox WHERE department = ",
            );
            query.push_bind(department.as_str()).push(" AND state IN ('sent', 'pending') AND task_id IN (");
            push_list(&mut query, chunk.iter().map(|t| t.0));
            query.push(" GROUP BY task_id, state");
            let rows: Vec<(i64, String, i64, Option<i64>, i64)> =
                query.build_query_as().fetch_all(&self.pool).await?;
            for (task, state, count, last, next) in rows {
                let entry = found.entry(task).or_default();
                if state == "sent" {
                    entry.sent = count;
                    entry.last_sent_at = last.map(from_unix).transpose()?;
                } else {
                    entry.next_at = Some(from_unix(next)?);
                }
            }
        }
        Ok(found)
    }
}
