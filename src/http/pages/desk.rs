//! `GET /desk`: a department's desk (bàn làm việc): its open tasks, as lead and as
//! coordinating, grouped overdue / due within 7 days / later / without a deadline, each
//! with its directive, deadline, days left, what was sent and when, and its actions.
//! The office may open any department's desk (`?department=CODE`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::tasks::{TaskRow, task_row};
use super::{AppState, Visitor, moment, not_found, store_failed};
use crate::config::PersonRole;
use crate::domain::{DepartmentCode, TaskId};
use crate::message::DepartmentNames;
use crate::plan::Policy;

/// The most tasks of each part (lead, coordinating) a desk shows.
const DESK_LIMIT: u32 = 2_000;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/desk", get(desk))
}

#[derive(Deserialize)]
struct DeskQuery {
    department: Option<String>,
}

#[derive(Serialize)]
struct DeskRow {
    #[serde(flatten)]
    task: TaskRow,
    role: &'static str,
    sent: i64,
    last_sent_at: Option<String>,
    next_at: Option<String>,
    acknowledged: bool,
    extension_pending: Option<String>,
}

#[derive(Serialize)]
struct Group {
    id: &'static str,
    title: &'static str,
    rows: Vec<DeskRow>,
}

async fn desk(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Query(query): Query<DeskQuery>,
) -> Response {
    let settings = state.settings();
    let department = match (&query.department, visitor.person.role) {
        (Some(code), role) if role >= PersonRole::Office => match DepartmentCode::parse(code) {
            Ok(code) if settings.departments.get(&code).is_some() => code,
            _ => return not_found(&state, Some(&visitor)),
        },
        _ => visitor.person.department.clone(),
    };
    let store = state.store();
    let policy = Policy::from_settings(&settings);
    let today = policy.local_date(Utc::now());
    let read = async {
        let records = store.desk_tasks(&department, DESK_LIMIT).await?;
        let ids: Vec<TaskId> = records.iter().map(|r| r.task.id).collect();
        let mut directive_ids: Vec<i64> = records.iter().map(|r| r.task.directive_id.0).collect();
        directive_ids.sort_unstable();
        directive_ids.dedup();
        let directives = store.directives_by_ids(&directive_ids).await?;
        let sent = store.sent_to(&department, &ids).await?;
        let acknowledged = store.acknowledgements(&ids).await?;
        let pending = store.pending_extensions(10_000).await?;
        Ok::<_, crate::store::StoreError>((records, directives, sent, acknowledged, pending))
    };
    let (records, directives, sent, acknowledged, pending) = match read.await {
        Ok(read) => read,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let pending: HashMap<i64, String> = pending
        .into_iter()
        .filter(|r| r.department == department)
        .map(|r| (r.task_id.0, super::day(r.requested_to)))
        .collect();
    let mut groups = [
        Group { id: "overdue", title: "Quá hạn", rows: Vec::new() },
        Group { id: "soon", title: "Đến hạn trong 7 ngày", rows: Vec::new() },
        Group { id: "later", title: "Còn hạn", rows: Vec::new() },
        Group { id: "none", title: "Không có thời hạn", rows: Vec::new() },
    ];
    for record in &records {
        let task = &record.task;
        let row = task_row(record, directives.get(&task.directive_id.0), &settings, &policy, today);
        let group = match row.days_left {
            Some(days) if days < 0 => 0,
            Some(days) if days <= 7 => 1,
            Some(_) => 2,
            None => 3,
        };
        let so_far = sent.get(&task.id.0).cloned().unwrap_or_default();
        groups[group].rows.push(DeskRow {
            role: if task.lead == department { "Chủ trì" } else { "Phối hợp" },
            sent: so_far.sent,
            last_sent_at: so_far.last_sent_at.map(|at| moment(&settings, at)),
            next_at: so_far.next_at.map(|at| moment(&settings, at)),
            // "Đã nhận" for the kind of reminder due now, and the deadline as it is.
            acknowledged: super::tasks::acknowledged_kind(task, &policy, today).is_some_and(
                |(kind, deadline)| {
                    acknowledged.iter().any(|a| {
                        a.task == task.id
                            && a.department == department
                            && a.rule_kind == kind
                            && a.deadline == deadline
                    })
                },
            ),
            extension_pending: pending.get(&task.id.0).cloned(),
            task: row,
        });
    }
    for group in &mut groups {
        group.rows.sort_by_key(|r| (r.task.days_left.unwrap_or(i64::MAX), r.task.id));
    }
    let total: usize = groups.iter().map(|g| g.rows.len()).sum();
    let context = minijinja::context! {
        title => format!("Bàn làm việc: {}", settings.departments.name_of(department.as_str())),
        department => department.to_string(),
        department_name => settings.departments.name_of(department.as_str()),
        groups => super::value(&groups),
        total,
        own => visitor.person.department == department && visitor.person.role == PersonRole::Department,
        truncated => records.iter().filter(|r| r.task.lead == department).count() >= DESK_LIMIT as usize
            || records.iter().filter(|r| r.task.lead != department).count() >= DESK_LIMIT as usize,
        today => super::day(today),
    };
    super::render(&state, StatusCode::OK, "desk.html", Some(&visitor), context)
}
