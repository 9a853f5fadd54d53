//! Extension requests for the supervising office: `GET /extensions` lists those waiting,
//! each approved or refused by a form there; the notice's signed links
//! (`/extensions/decide/{token}`) show the request and a button, so that a mail scanner
//! fetching a link decides nothing. Approving extends the task as `task extend` does;
//! refusing needs a reason, which the department is told.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::tasks::task_row;
use super::{AppState, Visitor, checked_form, day, message, moment, store_failed};
use crate::app::commands::{Actor, ChangeError, Changes};
use crate::links::{LinkError, LinkSigner};
use crate::message::DepartmentNames;
use crate::plan::Policy;
use crate::store::{ExtensionRequest, ExtensionState};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/extensions", get(list))
        .route("/extensions/{id}/decide", post(decide))
        .route("/extensions/decide/{token}", get(show_link).post(use_link))
}

#[derive(Serialize)]
struct RequestRow {
    id: i64,
    task: super::tasks::TaskRow,
    department_name: String,
    requested_to: String,
    reason: String,
    requested_by: String,
    created_at: String,
}

async fn rows(
    state: &AppState,
    requests: Vec<ExtensionRequest>,
) -> Result<Vec<RequestRow>, crate::store::StoreError> {
    let settings = state.settings();
    let policy = Policy::from_settings(&settings);
    let today = policy.local_date(Utc::now());
    let ids: Vec<i64> = requests.iter().map(|r| r.task_id.0).collect();
    let tasks = state.store().tasks_by_ids(&ids).await?;
    let mut directive_ids: Vec<i64> = tasks.values().map(|t| t.task.directive_id.0).collect();
    directive_ids.sort_unstable();
    directive_ids.dedup();
    let directives = state.store().directives_by_ids(&directive_ids).await?;
    Ok(requests
        .into_iter()
        .filter_map(|r| {
            let record = tasks.get(&r.task_id.0)?;
            Some(RequestRow {
                id: r.id,
                task: task_row(
                    record,
                    directives.get(&record.task.directive_id.0),
                    &settings,
                    &policy,
                    today,
                ),
                department_name: settings.departments.name_of(r.department.as_str()),
                requested_to: day(r.requested_to),
                reason: r.reason,
                requested_by: r.requested_by.strip_prefix("page:").unwrap_or(&r.requested_by).to_owned(),
                created_at: moment(&settings, r.created_at),
            })
        })
        .collect())
}

async fn list(State(state): State<Arc<AppState>>, visitor: Visitor) -> Response {
    if let Some(refused) = super::office_only(&state, &visitor, "Đề nghị gia hạn do Văn phòng xử lý.")
    {
        return refused;
    }
    let requests = match state.store().pending_extensions(500).await {
        Ok(requests) => requests,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    match rows(&state, requests).await {
        Ok(rows) => super::render(
            &state,
            StatusCode::OK,
            "extensions.html",
            Some(&visitor),
            minijinja::context! { title => "Đề nghị gia hạn", requests => super::value(&rows) },
        ),
        Err(error) => store_failed(&state, Some(&visitor), error),
    }
}

#[derive(Deserialize)]
struct DecideForm {
    verdict: Option<String>,
    note: Option<String>,
}

fn verdict(form: &DecideForm) -> Option<bool> {
    match form.verdict.as_deref() {
        Some("approve") => Some(true),
        Some("refuse") => Some(false),
        _ => None,
    }
}

/// What a decision did, or why it was not made.
fn decided(
    state: &AppState,
    visitor: Option<&Visitor>,
    result: Result<ExtensionRequest, ChangeError>,
) -> Response {
    match result {
        Ok(request) => {
            state.changed();
            let text = match request.state {
                ExtensionState::Approved => format!(
                    "Đã đồng ý gia hạn nhiệm vụ #{} đến ngày {}; nhiệm vụ được lập lịch nhắc lại theo thời hạn mới và đơn vị đã được thông báo.",
                    request.task_id.0,
                    day(request.requested_to)
                ),
                _ => format!(
                    "Đã không đồng ý gia hạn nhiệm vụ #{}; đơn vị đã được thông báo kèm lý do.",
                    request.task_id.0
                ),
            };
            message(state, StatusCode::OK, visitor, "Đã ghi nhận quyết định", &text)
        }
        Err(ChangeError::Invalid(_)) => message(
            state,
            StatusCode::UNPROCESSABLE_ENTITY,
            visitor,
            "Chưa thực hiện được",
            "Không đồng ý gia hạn thì cần ghi lý do: đơn vị sẽ được thông báo lý do đó.",
        ),
        Err(ChangeError::ExtensionDecided { state: was, .. }) => message(
            state,
            StatusCode::CONFLICT,
            visitor,
            "Đề nghị đã được xử lý",
            match was {
                "approved" => "Đề nghị này đã được đồng ý trước đây.",
                "refused" => "Đề nghị này đã bị từ chối trước đây.",
                _ => {
                    "Đề nghị này không còn hiệu lực: nhiệm vụ đã hoàn thành hoặc thời hạn đã được điều chỉnh."
                }
            },
        ),
        Err(ChangeError::NotFound { .. }) => super::not_found(state, visitor),
        Err(error) => store_failed(state, visitor, error),
    }
}

/// `POST /extensions/{id}/decide`: from the office's list or a task's page.
async fn decide(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let form: DecideForm = match checked_form(&state, &visitor, &body) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    if let Some(refused) = super::office_only(&state, &visitor, "Đề nghị gia hạn do Văn phòng xử lý.")
    {
        return refused;
    }
    let Some(approve) = verdict(&form) else {
        return message(
            &state,
            StatusCode::BAD_REQUEST,
            Some(&visitor),
            "Biểu mẫu không hợp lệ",
            "Chọn đồng ý hoặc không đồng ý.",
        );
    };
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::page(&visitor.person.email));
    let result = changes.decide_extension(id, approve, form.note.as_deref()).await;
    if result.is_ok() {
        state.changed();
        return Redirect::to("/extensions").into_response();
    }
    decided(&state, Some(&visitor), result)
}

/// A decision link checked: the request, the verdict and the office department.
fn check_link(
    state: &AppState,
    token: &str,
) -> Result<(i64, bool, crate::domain::DepartmentCode), super::Refusal> {
    let settings = state.settings();
    let Some(key) = settings.http.link_key.clone() else {
        return Err(Box::new(super::not_found(state, None)));
    };
    match LinkSigner::new(key).check_decision(token, Utc::now()) {
        Ok(checked) => Ok(checked),
        Err(LinkError::Expired(at)) => Err(Box::new(message(
            state,
            StatusCode::GONE,
            None,
            "Liên kết đã hết hạn",
            &format!(
                "Liên kết này hết hiệu lực lúc {}. Vui lòng xử lý đề nghị ở trang Đề nghị gia hạn.",
                moment(&settings, at)
            ),
        ))),
        Err(_) => Err(Box::new(message(
            state,
            StatusCode::FORBIDDEN,
            None,
            "Liên kết không hợp lệ",
            "Liên kết không đúng hoặc đã bị thay đổi.",
        ))),
    }
}

async fn show_link(State(state): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    let (id, approve, _) = match check_link(&state, &token) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let request = match state.store().extension_request(id).await {
        Ok(request) => request,
        Err(crate::store::StoreError::NoSuchExtensionRequest(_)) => return super::not_found(&state, None),
        Err(error) => return store_failed(&state, None, error),
    };
    if request.state != ExtensionState::Pending {
        return decided(
            &state,
            None,
            Err(ChangeError::ExtensionDecided { id, state: request.state.as_str() }),
        );
    }
    match rows(&state, vec![request]).await {
        Ok(mut rows) if !rows.is_empty() => super::render(
            &state,
            StatusCode::OK,
            "decide.html",
            None,
            minijinja::context! {
                title => if approve { "Đồng ý gia hạn" } else { "Không đồng ý gia hạn" },
                approve,
                request => super::value(&rows.remove(0)),
            },
        ),
        Ok(_) => super::not_found(&state, None),
        Err(error) => store_failed(&state, None, error),
    }
}

async fn use_link(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (id, approve, department) = match check_link(&state, &token) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let form: DecideForm =
        serde_urlencoded::from_bytes(&body).unwrap_or(DecideForm { verdict: None, note: None });
    let settings = state.settings();
    // The link speaks for an office department still, and never for the one that asked.
    let asker = match state.store().extension_request(id).await {
        Ok(request) => request.department,
        Err(crate::store::StoreError::NoSuchExtensionRequest(_)) => return super::not_found(&state, None),
        Err(error) => return store_failed(&state, None, error),
    };
    if asker == department || !crate::outbox::notices::office_departments(&settings).contains(&department) {
        return message(
            &state,
            StatusCode::FORBIDDEN,
            None,
            "Liên kết không còn hiệu lực",
            "Đơn vị nhận liên kết này không còn quyết định đề nghị gia hạn. Vui lòng xử lý ở trang Đề nghị gia hạn.",
        );
    }
    let changes = Changes::new(state.store(), &settings, Actor::link(department.as_str()));
    let result = changes.decide_extension(id, approve, form.note.as_deref()).await;
    decided(&state, None, result)
}
