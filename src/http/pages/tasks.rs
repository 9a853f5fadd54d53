//! A task's page (what it is, who is on it, its deadline, what was sent, its history with
//! the channel of each change, its extension requests) and a directive's page (its tasks
//! and their states); and the actions a department takes on a task: acknowledge, report
//! done, ask for a later deadline.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{AppState, Visitor, channel_of, checked_form, day, message, moment, not_found, store_failed};
use crate::app::commands::{Actor, ChangeError, Changes, DoneInput};
use crate::config::{PersonRole, Settings};
use crate::domain::{DirectiveId, Role, RuleKind, Task, TaskId, TaskStatus};
use crate::message::DepartmentNames;
use crate::plan::Policy;
use crate::store::{StoreError, TaskFilter, TaskRecord};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/tasks/{id}", get(task_page))
        .route("/tasks/{id}/acknowledge", post(acknowledge))
        .route("/tasks/{id}/done", post(report_done))
        .route("/tasks/{id}/extension", post(request_extension))
        .route("/directives/{id}", get(directive_page))
}

/// A task as a row of the pages' lists.
#[derive(Debug, Serialize)]
pub(super) struct TaskRow {
    pub id: i64,
    pub directive_id: i64,
    pub directive: String,
    pub summary: String,
    pub lead: String,
    pub lead_name: String,
    pub coordinating: Vec<String>,
    /// dd/mm/yyyy, or empty without a deadline.
    pub deadline: String,
    pub deadline_phrase: Option<String>,
    /// The due date's distance from today: negative when overdue.
    pub days_left: Option<i64>,
    pub status: &'static str,
    pub done_on: Option<String>,
    pub done_late: bool,
}

pub(super) fn task_row(
    record: &TaskRecord,
    directive: Option<&crate::domain::Directive>,
    settings: &Settings,
    policy: &Policy,
    today: NaiveDate,
) -> TaskRow {
    let task = &record.task;
    let due = task.deadline.as_ref().map(|d| policy.due_date(d.date));
    TaskRow {
        id: task.id.0,
        directive_id: task.directive_id.0,
        directive: directive.map(|d| d.citation()).unwrap_or_default(),
        summary: task.summary.clone(),
        lead: task.lead.to_string(),
        lead_name: settings.departments.name_of(task.lead.as_str()),
        coordinating: task.coordinating.iter().map(|c| settings.departments.name_of(c.as_str())).collect(),
        deadline: task.deadline.as_ref().map(|d| day(d.date)).unwrap_or_default(),
        deadline_phrase: task.deadline.as_ref().and_then(|d| d.phrase.clone()),
        days_left: due.filter(|_| task.status == TaskStatus::Open).map(|due| (due - today).num_days()),
        status: task.status.as_str(),
        done_on: task.done_on.map(day),
        done_late: crate::summary::done_late(policy, task.deadline.as_ref().map(|d| d.date), task.done_on),
    }
}

/// The task of `id`, if the visitor may see it; the page to answer otherwise.
async fn visible_task(state: &AppState, visitor: &Visitor, id: i64) -> Result<TaskRecord, Response> {
    match state.store().task(TaskId(id)).await {
        Ok(record) if super::may_see_task(&visitor.person, &record.task) => Ok(record),
        // Another department's task is not there, for this visitor.
        Ok(_) | Err(StoreError::NoSuchTask(_)) => Err(not_found(state, Some(visitor))),
        Err(error) => Err(store_failed(state, Some(visitor), error)),
    }
}

/// The kind of reminder "Đã nhận" stops today: before the deadline, on it, or after.
pub(super) fn acknowledged_kind(
    task: &Task,
    policy: &Policy,
    today: NaiveDate,
) -> Option<(RuleKind, NaiveDate)> {
    let deadline = task.deadline.as_ref()?.date;
    let due = policy.due_date(deadline);
    let kind = match due.cmp(&today) {
        std::cmp::Ordering::Greater => RuleKind::DueSoon,
        std::cmp::Ordering::Equal => RuleKind::Due,
        std::cmp::Ordering::Less => RuleKind::Overdue,
    };
    Some((kind, deadline))
}

#[derive(Serialize)]
struct EventRow {
    at: String,
    kind: String,
    detail: Option<String>,
    channel: &'static str,
    who: String,
}

#[derive(Serialize)]
struct SentRow {
    department_name: String,
    channel: String,
    rule: String,
    state: &'static str,
    at: String,
}

#[derive(Serialize)]
struct RequestRow {
    id: i64,
    department_name: String,
    requested_to: String,
    reason: String,
    state: &'static str,
    decided_by: Option<String>,
    decision_note: Option<String>,
    created_at: String,
}

/// What the visitor may do on a task.
#[derive(Serialize, Default)]
struct Allowed {
    acknowledge: Option<&'static str>,
    done: bool,
    extension: bool,
}

fn event_name(kind: &str) -> String {
    match kind {
        "created" => "Giao nhiệm vụ",
        "updated" => "Sửa nhiệm vụ",
        "done" => "Hoàn thành",
        "extended" => "Gia hạn",
        "acknowledged" => "Đã nhận",
        "extension_requested" => "Đề nghị gia hạn",
        "extension_approved" => "Đồng ý gia hạn",
        "extension_refused" => "Không đồng ý gia hạn",
        "source_refused" => "Nguồn văn bản bị từ chối",
        "conflict" => "Xung đột với nguồn văn bản",
        "removed_at_source" => "Nguồn văn bản đã xóa mục này",
        other => other,
    }
    .to_owned()
}

async fn task_page(State(state): State<Arc<AppState>>, visitor: Visitor, Path(id): Path<i64>) -> Response {
    let record = match visible_task(&state, &visitor, id).await {
        Ok(record) => record,
        Err(answer) => return answer,
    };
    let settings = state.settings();
    let policy = Policy::from_settings(&settings);
    let today = policy.local_date(Utc::now());
    let store = state.store();
    let task = &record.task;
    let read = async {
        let directive = store.directive(task.directive_id).await?;
        let events = store.task_events(task.id).await?;
        let sent = store.outbox(None, Some(task.id), 200).await?;
        let requests = store.task_extensions(task.id).await?;
        Ok::<_, StoreError>((directive, events, sent, requests))
    };
    let (directive, events, sent, requests) = match read.await {
        Ok(read) => read,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let names = &settings.departments;
    // A department's people see what was sent to their department; the office sees all.
    let sent: Vec<SentRow> = sent
        .iter()
        .filter(|item| super::may_see_department(&visitor.person, &item.department))
        .map(|item| SentRow {
            department_name: names.name_of(item.department.as_str()),
            channel: item.channel.clone(),
            rule: item.rule.kind().vietnamese().to_owned(),
            state: match item.state.as_str() {
                "sent" => "Đã gửi",
                "pending" => "Chờ gửi",
                "sending" => "Đang gửi",
                "dead" => "Không gửi được",
                _ => "Đã hủy",
            },
            at: moment(&settings, item.finished_at.unwrap_or(item.send_after)),
        })
        .collect();
    let events: Vec<EventRow> = events
        .into_iter()
        .map(|event| {
            let (channel, who) = channel_of(event.actor.as_deref());
            EventRow {
                at: moment(&settings, event.at),
                kind: event_name(&event.kind),
                detail: event.detail,
                channel,
                who,
            }
        })
        .collect();
    let requests: Vec<RequestRow> = requests
        .into_iter()
        .map(|r| RequestRow {
            id: r.id,
            department_name: names.name_of(r.department.as_str()),
            requested_to: day(r.requested_to),
            reason: r.reason,
            state: match r.state.as_str() {
                "pending" => "Chờ quyết định",
                "approved" => "Đồng ý",
                "refused" => "Không đồng ý",
                _ => "Không còn hiệu lực",
            },
            decided_by: r.decided_by,
            decision_note: r.decision_note,
            created_at: moment(&settings, r.created_at),
        })
        .collect();
    let person = &visitor.person;
    let open = task.status == TaskStatus::Open;
    let own = person.role == PersonRole::Department;
    let lead = person.department == task.lead;
    let allowed = Allowed {
        acknowledge: acknowledged_kind(task, &policy, today)
            .filter(|_| open && own)
            .map(|(kind, _)| kind.vietnamese()),
        done: open && (lead || person.role >= PersonRole::Office),
        extension: open && own && lead,
    };
    let row = task_row(&record, directive.as_ref(), &settings, &policy, today);
    let role = if lead {
        Some(Role::Lead)
    } else {
        task.coordinating.contains(&person.department).then_some(Role::Coordinating)
    };
    let context = minijinja::context! {
        title => format!("Nhiệm vụ #{}", task.id.0),
        task => super::value(&row),
        section => task.section.clone(),
        details => task.details.clone(),
        role => role.map(|r| if r == Role::Lead { "Chủ trì" } else { "Phối hợp" }),
        next_reminder_at => record.next_reminder_at.filter(|_| open).map(|at| moment(&settings, at)),
        events => super::value(&events),
        sent => super::value(&sent),
        requests => super::value(&requests),
        allowed => super::value(&allowed),
        min_date => (today + chrono::Days::new(1)).format("%Y-%m-%d").to_string(),
    };
    super::render(&state, StatusCode::OK, "task.html", Some(&visitor), context)
}

/// An action's form, its token checked, and its task, if the visitor may see it.
async fn form_and_task<T: serde::de::DeserializeOwned>(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    body: &[u8],
) -> Result<(T, TaskRecord), Response> {
    let form = checked_form(state, visitor, body).map_err(|refused| *refused)?;
    Ok((form, visible_task(state, visitor, id).await?))
}

/// What an action answers: the task's page when it was done, the reason when not.
fn after_change<T>(state: &AppState, visitor: &Visitor, id: i64, result: Result<T, ChangeError>) -> Response {
    match result {
        Ok(_) => {
            state.changed();
            back_to(id)
        }
        Err(error) => change_refused(state, visitor, error),
    }
}

/// After an action: back to the task's page, which shows its result.
fn back_to(id: i64) -> Response {
    Redirect::to(&format!("/tasks/{id}")).into_response()
}

fn change_refused(state: &AppState, visitor: &Visitor, error: ChangeError) -> Response {
    let (status, title, text) = match &error {
        ChangeError::Invalid(problems) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Chưa thực hiện được",
            problems.iter().map(|p| field_words(&p.field, &p.message)).collect::<Vec<_>>().join(" "),
        ),
        ChangeError::TaskDone(_) => (
            StatusCode::CONFLICT,
            "Nhiệm vụ đã hoàn thành",
            "Nhiệm vụ này đã hoàn thành; không thay đổi được nữa.".into(),
        ),
        ChangeError::Changed(_) | ChangeError::DeadlineChanged => (
            StatusCode::CONFLICT,
            "Nhiệm vụ vừa thay đổi",
            "Thời hạn của nhiệm vụ vừa được điều chỉnh. Vui lòng tải lại trang và thử lại.".into(),
        ),
        ChangeError::NotLead => (
            StatusCode::FORBIDDEN,
            "Không thực hiện được",
            "Chỉ đơn vị chủ trì mới thực hiện được thao tác này.".into(),
        ),
        ChangeError::NotFound { .. } => return not_found(state, Some(visitor)),
        ChangeError::ExtensionDecided { state: decided, .. } => (
            StatusCode::CONFLICT,
            "Đề nghị đã được xử lý",
            format!(
                "Đề nghị gia hạn này đã được xử lý trước đây ({}).",
                match *decided {
                    "approved" => "đồng ý",
                    "refused" => "không đồng ý",
                    _ => "không còn hiệu lực",
                }
            ),
        ),
        ChangeError::Notice(notice) => (StatusCode::CONFLICT, "Chưa thực hiện được", notice.to_string()),
        _ => return store_failed(state, Some(visitor), error),
    };
    message(state, status, Some(visitor), title, &text)
}

/// A field's problem in the words of the page's form.
fn field_words(field: &str, message: &str) -> String {
    let label = match field {
        "to" => "Ngày đề nghị",
        "reason" => "Lý do",
        "note" => "Ý kiến",
        "on" => "Ngày hoàn thành",
        other => other,
    };
    format!("{label}: {message}.")
}

async fn acknowledge(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let (_, record): (super::FormToken, TaskRecord) = match form_and_task(&state, &visitor, id, &body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let settings = state.settings();
    let policy = Policy::from_settings(&settings);
    let today = policy.local_date(Utc::now());
    let Some((kind, deadline)) = acknowledged_kind(&record.task, &policy, today)
        .filter(|_| visitor.person.role == PersonRole::Department)
    else {
        return message(
            &state,
            StatusCode::CONFLICT,
            Some(&visitor),
            "Không thực hiện được",
            "Nhiệm vụ này không có lời nhắc nào để xác nhận.",
        );
    };
    let changes = Changes::new(state.store(), &settings, Actor::page(&visitor.person.email));
    let done = changes.acknowledge(record.task.id, &visitor.person.department, kind, deadline, None).await;
    after_change(&state, &visitor, id, done)
}

#[derive(Deserialize)]
struct DoneForm {
    note: Option<String>,
    attachment: Option<String>,
}

async fn report_done(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let (form, record): (DoneForm, TaskRecord) = match form_and_task(&state, &visitor, id, &body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if record.task.lead != visitor.person.department && visitor.person.role < PersonRole::Office {
        return change_refused(&state, &visitor, ChangeError::NotLead);
    }
    let clip = |text: Option<String>, max: usize| {
        text.map(|t| t.trim().chars().take(max).collect::<String>()).filter(|t| !t.is_empty())
    };
    let note = match (clip(form.note, 2000), clip(form.attachment, 300)) {
        (Some(note), Some(file)) => Some(format!("{note} (tệp đính kèm: {file})")),
        (Some(note), None) => Some(note),
        (None, Some(file)) => Some(format!("Tệp đính kèm: {file}")),
        (None, None) => None,
    };
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::page(&visitor.person.email));
    after_change(&state, &visitor, id, changes.mark_done(record.task.id, DoneInput { on: None, note }).await)
}

#[derive(Deserialize)]
struct ExtensionForm {
    to: Option<String>,
    reason: Option<String>,
}

async fn request_extension(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let (form, record): (ExtensionForm, TaskRecord) = match form_and_task(&state, &visitor, id, &body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if visitor.person.role != PersonRole::Department {
        return change_refused(&state, &visitor, ChangeError::NotLead);
    }
    let Some(to) = form.to.as_deref().and_then(|t| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok())
    else {
        return message(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&visitor),
            "Chưa thực hiện được",
            "Ngày đề nghị: chọn một ngày.",
        );
    };
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::page(&visitor.person.email));
    let reason: String = form.reason.unwrap_or_default().chars().take(2000).collect();
    after_change(
        &state,
        &visitor,
        id,
        changes.request_extension(record.task.id, &visitor.person.department, to, &reason).await,
    )
}

async fn directive_page(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<i64>,
) -> Response {
    let store = state.store();
    let directive = match store.directive(DirectiveId(id)).await {
        Ok(Some(directive)) => directive,
        Ok(None) => return not_found(&state, Some(&visitor)),
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let records = match store
        .tasks(&TaskFilter { directive: Some(directive.id), limit: Some(5_000), ..TaskFilter::default() })
        .await
    {
        Ok(records) => records,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let visible: Vec<&TaskRecord> =
        records.iter().filter(|r| super::may_see_task(&visitor.person, &r.task)).collect();
    // A directive none of whose tasks a department's people may see is not there, for them.
    if visible.is_empty() && visitor.person.role < PersonRole::Office {
        return not_found(&state, Some(&visitor));
    }
    let settings = state.settings();
    let policy = Policy::from_settings(&settings);
    let today = policy.local_date(Utc::now());
    let rows: Vec<TaskRow> =
        visible.iter().map(|r| task_row(r, Some(&directive), &settings, &policy, today)).collect();
    let done = rows.iter().filter(|r| r.status == "done").count();
    let context = minijinja::context! {
        title => directive.citation(),
        id => directive.id.0,
        directive => minijinja::context! {
            number => directive.number.clone(),
            title => directive.title.clone(),
            issuer => directive.issuer.clone(),
            issued_on => day(directive.issued_on),
        },
        tasks => super::value(&rows),
        done,
        hidden => records.len() - visible.len(),
    };
    super::render(&state, StatusCode::OK, "directive.html", Some(&visitor), context)
}
