//! Acknowledge links: `GET /ack/{token}` shows what the link will do, on a small page in
//! Vietnamese, and does nothing, so that the link scanners of mail systems cannot act;
//! `POST /ack/{token}` does it, once. Tampered, expired, replayed links and links for a
//! deadline that has since moved are refused with a page that says why.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::app::commands::{Actor, ChangeError, Changes};
use crate::config::Settings;
use crate::domain::{Role, RuleKind};
use crate::links::{AckLink, LinkAction, LinkError, LinkSigner};
use crate::message::DepartmentNames;
use crate::plan::{self, Unwanted};
use crate::store::{LinkUse, TaskRecord};

const PAGE: &str = include_str!("../../templates/page.html.j2");

/// The pages' template environment, HTML-escaped.
pub(super) fn pages() -> Result<minijinja::Environment<'static>, minijinja::Error> {
    let mut environment = minijinja::Environment::new();
    environment.add_template("page.html", PAGE)?;
    Ok(environment)
}

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/ack/{token}", get(show).post(act))
}

#[derive(Serialize)]
struct TaskFacts {
    summary: String,
    directive: String,
    department_name: String,
    deadline: String,
}

#[derive(Serialize)]
struct FormFacts {
    button: &'static str,
    note: bool,
    expires: String,
}

#[derive(Serialize)]
struct PageFacts<'a> {
    title: &'a str,
    message: String,
    task: Option<TaskFacts>,
    form: Option<FormFacts>,
}

fn page(state: &AppState, status: StatusCode, facts: &PageFacts<'_>) -> Response {
    let rendered =
        state.pages.get_template("page.html").and_then(|t| t.render(minijinja::value::Serde(facts)));
    match rendered {
        Ok(html) => (status, [("cache-control", "no-store")], Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot render a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot render the page").into_response()
        }
    }
}

fn refusal(state: &AppState, status: StatusCode, title: &str, message: impl Into<String>) -> Response {
    page(state, status, &PageFacts { title, message: message.into(), task: None, form: None })
}

/// A link that checks out, with its task.
struct Checked {
    link: AckLink,
    signature: String,
    record: TaskRecord,
}

/// Checks the token and its task; a refusal page otherwise.
async fn check(state: &AppState, settings: &Settings, token: &str) -> Result<Checked, Response> {
    let Some(key) = settings.http.link_key.clone() else {
        return Err(refusal(
            state,
            StatusCode::NOT_FOUND,
            "Không tìm thấy",
            "Máy chủ không bật liên kết xác nhận.",
        ));
    };
    let (link, signature) = match LinkSigner::new(key).check_ack(token, Utc::now()) {
        Ok(checked) => checked,
        Err(LinkError::Expired(at)) => {
            let at = at.with_timezone(&settings.timezone).format("%H:%M ngày %d/%m/%Y");
            return Err(refusal(
                state,
                StatusCode::GONE,
                "Liên kết đã hết hạn",
                format!(
                    "Liên kết này hết hiệu lực lúc {at}. Vui lòng dùng liên kết trong thư nhắc việc mới nhất."
                ),
            ));
        }
        Err(_) => {
            return Err(refusal(
                state,
                StatusCode::FORBIDDEN,
                "Liên kết không hợp lệ",
                "Liên kết không đúng hoặc đã bị thay đổi. Vui lòng mở đúng liên kết trong thư nhắc việc.",
            ));
        }
    };
    let store = state.store();
    match store.link_used(&signature).await {
        Ok(false) => {}
        Ok(true) => {
            return Err(refusal(
                state,
                StatusCode::CONFLICT,
                "Liên kết đã được sử dụng",
                "Xác nhận này đã được ghi nhận trước đây; mỗi liên kết chỉ dùng được một lần.",
            ));
        }
        Err(error) => return Err(store_failure(state, error)),
    }
    let record = match store.task(link.task).await {
        Ok(record) => record,
        Err(crate::store::StoreError::NoSuchTask(_)) => {
            return Err(refusal(
                state,
                StatusCode::NOT_FOUND,
                "Không tìm thấy",
                "Nhiệm vụ này không còn trong hệ thống.",
            ));
        }
        Err(error) => return Err(store_failure(state, error)),
    };
    // The link still speaks for the department: the task open with the deadline it was sent
    // for, the department still on it (and, to report it done, still its lead).
    let escalation = link.action == LinkAction::Received(RuleKind::Escalation);
    let wanted = plan::still_wanted(
        &record.task,
        settings.departments.escalate_to(&record.task.lead),
        &link.department,
        escalation,
        link.deadline,
        None,
        &HashSet::new(),
    );
    let wanted = match (wanted, link.action) {
        (Ok(role), LinkAction::Done) if role != Role::Lead => Err(Unwanted::NotOnTask),
        (wanted, _) => wanted,
    };
    match wanted {
        Ok(_) => {}
        Err(Unwanted::TaskDone) => {
            return Err(refusal(
                state,
                StatusCode::OK,
                "Nhiệm vụ đã hoàn thành",
                "Nhiệm vụ này đã được ghi nhận hoàn thành; hệ thống không nhắc nữa.",
            ));
        }
        Err(Unwanted::DeadlineChanged) => {
            return Err(refusal(
                state,
                StatusCode::GONE,
                "Thời hạn đã thay đổi",
                "Nhiệm vụ này đã được điều chỉnh thời hạn sau khi thư được gửi. Vui lòng dùng liên kết trong thư nhắc việc mới nhất.",
            ));
        }
        Err(Unwanted::NotOnTask | Unwanted::Acknowledged) => {
            return Err(refusal(
                state,
                StatusCode::GONE,
                "Liên kết không còn hiệu lực",
                "Đơn vị không còn được giao nhiệm vụ này (hoặc không còn chủ trì, với liên kết báo cáo hoàn thành). Vui lòng dùng liên kết trong thư nhắc việc mới nhất.",
            ));
        }
    }
    Ok(Checked { link, signature, record })
}

fn store_failure(state: &AppState, error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "acknowledge link: the store failed");
    refusal(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Tạm thời không thực hiện được",
        "Vui lòng thử lại sau ít phút.",
    )
}

fn task_facts(checked: &Checked, settings: &Settings, directive: String) -> TaskFacts {
    let deadline = checked.record.task.deadline.as_ref();
    TaskFacts {
        summary: checked.record.task.summary.clone(),
        directive,
        department_name: settings.departments.name_of(checked.link.department.as_str()),
        deadline: deadline.map(|d| d.date.format("%d/%m/%Y").to_string()).unwrap_or_default(),
    }
}

async fn directive_citation(state: &AppState, checked: &Checked) -> String {
    match state.store().directive(checked.record.task.directive_id).await {
        Ok(Some(directive)) => directive.citation(),
        _ => String::new(),
    }
}

/// `GET`: what the link will do, and a button to do it.
async fn show(State(state): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    let settings = state.settings();
    let checked = match check(&state, &settings, &token).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let (title, message, button, note) = match checked.link.action {
        LinkAction::Received(kind) => (
            "Xác nhận đã nhận nhắc việc",
            format!(
                "Bấm nút dưới đây để xác nhận đơn vị đã nhận nhắc việc; hệ thống sẽ ngừng gửi {} cho nhiệm vụ này với thời hạn hiện tại.",
                kind.vietnamese()
            ),
            "Xác nhận đã nhận",
            false,
        ),
        LinkAction::Done => (
            "Báo cáo hoàn thành nhiệm vụ",
            "Bấm nút dưới đây để báo cáo nhiệm vụ đã hoàn thành; hệ thống sẽ ngừng nhắc việc.".to_owned(),
            "Báo cáo hoàn thành",
            true,
        ),
    };
    let expires =
        checked.link.expires.with_timezone(&settings.timezone).format("%H:%M ngày %d/%m/%Y").to_string();
    let directive = directive_citation(&state, &checked).await;
    let facts = PageFacts {
        title,
        message,
        task: Some(task_facts(&checked, &settings, directive)),
        form: Some(FormFacts { button, note, expires }),
    };
    page(&state, StatusCode::OK, &facts)
}

#[derive(Debug, Default, Deserialize)]
struct ActForm {
    note: Option<String>,
}

/// `POST`: does what the link says, once.
async fn act(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let settings = state.settings();
    let checked = match check(&state, &settings, &token).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let department = checked.link.department.as_str();
    let changes = Changes::new(state.store(), &settings, Actor::link(department));
    let link = LinkUse { signature: &checked.signature, department, action: checked.link.action.name() };
    let result = match checked.link.action {
        LinkAction::Received(kind) => {
            changes
                .acknowledge(
                    checked.link.task,
                    &checked.link.department,
                    kind,
                    checked.link.deadline,
                    Some(&link),
                )
                .await
        }
        LinkAction::Done => {
            // A form from the page; a POST without one is fine too.
            let form: ActForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
            let note = form.note.map(|n| n.chars().take(2000).collect::<String>());
            changes
                .mark_done_by_link(checked.link.task, checked.link.deadline, note.as_deref(), &link)
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => {
            state.changed();
            tracing::info!(
                task = checked.link.task.0,
                department,
                action = checked.link.action.name(),
                "acknowledge link used"
            );
            let message = match checked.link.action {
                LinkAction::Received(kind) => {
                    format!(
                        "Đã ghi nhận: đơn vị đã nhận nhắc việc. Hệ thống ngừng gửi {} cho nhiệm vụ này.",
                        kind.vietnamese()
                    )
                }
                LinkAction::Done => {
                    "Đã ghi nhận nhiệm vụ hoàn thành. Hệ thống ngừng nhắc việc cho nhiệm vụ này.".into()
                }
            };
            let directive = directive_citation(&state, &checked).await;
            let facts = PageFacts {
                title: "Đã ghi nhận",
                message,
                task: Some(task_facts(&checked, &settings, directive)),
                form: None,
            };
            page(&state, StatusCode::OK, &facts)
        }
        Err(ChangeError::LinkUsed) => refusal(
            &state,
            StatusCode::CONFLICT,
            "Liên kết đã được sử dụng",
            "Xác nhận này đã được ghi nhận trước đây; mỗi liên kết chỉ dùng được một lần.",
        ),
        Err(ChangeError::DeadlineChanged) => refusal(
            &state,
            StatusCode::GONE,
            "Thời hạn đã thay đổi",
            "Nhiệm vụ này đã được điều chỉnh thời hạn sau khi thư được gửi. Vui lòng dùng liên kết trong thư nhắc việc mới nhất.",
        ),
        Err(ChangeError::NotLead) => refusal(
            &state,
            StatusCode::GONE,
            "Liên kết không còn hiệu lực",
            "Đơn vị không còn chủ trì nhiệm vụ này. Vui lòng dùng liên kết trong thư nhắc việc mới nhất.",
        ),
        Err(ChangeError::TaskDone(_)) => refusal(
            &state,
            StatusCode::OK,
            "Nhiệm vụ đã hoàn thành",
            "Nhiệm vụ này đã được ghi nhận hoàn thành; hệ thống không nhắc nữa.",
        ),
        Err(error) => store_failure(&state, error),
    }
}
