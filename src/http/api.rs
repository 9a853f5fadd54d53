//! The JSON API under `/api/v1`: directives and tasks created, read, listed and updated,
//! tasks marked done or extended, a department's open tasks, the outbox, documents imported
//! (`imports`), drafts reviewed (`drafts`). Bearer tokens
//! with a read or write scope; errors as problem+json naming the field; every change goes
//! through `changes` in one transaction and wakes the daemon.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::auth::{Client, Reader, Writer};
use super::problem::{JsonBody, Problem, QueryParams};
use crate::app::commands::{
    Actor, ChangeError, Changes, DirectiveInput, DirectivePatch, DoneInput, ExtendInput, TaskInput, TaskPatch,
};
use crate::app::views::{DirectiveView, TaskView, view};
use crate::domain::{DirectiveId, TaskId, TaskStatus};
use crate::outbox::OutboxState;
use crate::store::{KeyedRequest, TaskEvent, TaskFilter};

/// The OpenAPI document of this API.
const OPENAPI: &str = include_str!("openapi.json");

/// The most a list answers at once.
const MAX_PAGE: u32 = 1000;

type Shared = State<Arc<AppState>>;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/directives", get(list_directives).post(create_directive))
        .route("/api/v1/directives/{id}", get(get_directive).patch(update_directive))
        .route("/api/v1/directives/{id}/tasks", post(add_task))
        .route("/api/v1/tasks", get(list_tasks))
        .route("/api/v1/tasks/{id}", get(get_task).patch(update_task))
        .route("/api/v1/tasks/{id}/done", post(mark_done))
        .route("/api/v1/tasks/{id}/extend", post(extend))
        .route("/api/v1/departments", get(list_departments))
        .route("/api/v1/departments/{code}/tasks", get(department_tasks))
        .route("/api/v1/outbox", get(outbox))
        .route("/api/v1/drafts", get(super::drafts::list))
        .route("/api/v1/drafts/{id}", get(super::drafts::show))
        .route("/api/v1/drafts/{id}/accept", post(super::drafts::accept))
        .route("/api/v1/drafts/{id}/reject", post(super::drafts::reject))
        .route(
            "/api/v1/imports",
            post(super::imports::import_document)
                .layer(axum::extract::DefaultBodyLimit::max(super::imports::MAX_DOCUMENT)),
        )
        .route("/api/v1", any(unknown_path))
        .route("/api/v1/{*rest}", any(unknown_path))
}

async fn unknown_path() -> Problem {
    Problem::not_found("no such API path: see /api/v1/openapi.json")
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// A page's size: 1 to `MAX_PAGE`, `MAX_PAGE` by default.
fn page_limit(limit: Option<u32>) -> Result<u32, Problem> {
    match limit {
        None => Ok(MAX_PAGE),
        Some(limit) if (1..=MAX_PAGE).contains(&limit) => Ok(limit),
        Some(limit) => Err(Problem::invalid_field("limit", format!("{limit} is not from 1 to {MAX_PAGE}"))),
    }
}

/// An id from the path; anything else names no resource.
fn id(text: &str, what: &str) -> Result<i64, Problem> {
    text.parse().map_err(|_| Problem::not_found(format!("'{text}' is not a {what} id")))
}

#[derive(Serialize)]
struct TaskWithHistory {
    #[serde(flatten)]
    task: TaskView,
    history: Vec<TaskEvent>,
}

async fn task_answer(state: &AppState, id: TaskId) -> Result<TaskWithHistory, Problem> {
    let settings = state.settings();
    let record = state.store().task(id).await?;
    let history = state.store().task_events(id).await?;
    Ok(TaskWithHistory { task: view(&record, &settings), history })
}

/// The request's `Idempotency-Key`, if it has one: at most 255 visible ASCII characters.
fn keyed_request(
    headers: &HeaderMap,
    client: &Client,
    request: String,
    body_sha256: String,
) -> Result<Option<KeyedRequest>, Problem> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Problem::bad_request("Idempotency-Key: use 1 to 255 visible ASCII characters, e.g. a UUID")
        })?;
    Ok(Some(KeyedRequest { client: client.name.clone(), key: key.to_owned(), request, body_sha256 }))
}

/// Where the first request with this key put what it made, when this is its retry. The
/// same key with another request or body is refused.
async fn replayed(state: &AppState, keyed: Option<&KeyedRequest>) -> Result<Option<String>, Problem> {
    let Some(keyed) = keyed else { return Ok(None) };
    match state.store().keyed_answer(&keyed.client, &keyed.key).await? {
        None => Ok(None),
        Some(answer) if answer.request == keyed.request && answer.body_sha256 == keyed.body_sha256 => {
            Ok(Some(answer.location))
        }
        Some(_) => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key reused",
            format!(
                "the Idempotency-Key '{}' was used for another request: use a new key for each request",
                keyed.key
            ),
        )),
    }
}

/// Where a twin request, made at the same time with the same key, put what it made.
async fn twin(state: &AppState, keyed: Option<&KeyedRequest>) -> Result<String, Problem> {
    replayed(state, keyed).await?.ok_or_else(|| Problem::internal("an Idempotency-Key in use has no answer"))
}

/// The id at the end of a recorded location.
fn id_in(location: &str) -> i64 {
    location.rsplit('/').next().and_then(|id| id.parse().ok()).unwrap_or(0)
}

pub(super) async fn directive_created(state: &AppState, location: String) -> Result<Response, Problem> {
    let answer = directive_answer(state, DirectiveId(id_in(&location))).await?;
    Ok(created(location, answer))
}

async fn task_created(state: &AppState, location: String) -> Result<Response, Problem> {
    let answer = task_answer(state, TaskId(id_in(&location))).await?;
    Ok(created(location, answer))
}

fn created(location: String, body: impl Serialize) -> Response {
    (StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(body)).into_response()
}

// Directives.

async fn list_directives(State(state): Shared, Reader(_): Reader) -> Result<Response, Problem> {
    let directives: Vec<DirectiveView> = state
        .store()
        .directives()
        .await?
        .into_iter()
        .map(|(d, tasks)| DirectiveView::new(d, tasks))
        .collect();
    Ok(axum::Json(json!({ "directives": directives })).into_response())
}

#[derive(Serialize)]
pub(super) struct DirectiveAnswer {
    directive: DirectiveView,
    tasks: Vec<TaskView>,
}

pub(super) async fn directive_answer(state: &AppState, id: DirectiveId) -> Result<DirectiveAnswer, Problem> {
    let settings = state.settings();
    let directive = state
        .store()
        .directive(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no directive with id {}", id.0)))?;
    let filter = TaskFilter { directive: Some(id), ..TaskFilter::default() };
    let records = state.store().tasks(&filter).await?;
    let tasks: Vec<TaskView> = records.iter().map(|r| view(r, &settings)).collect();
    Ok(DirectiveAnswer { directive: DirectiveView::new(directive, tasks.len() as i64), tasks })
}

async fn create_directive(
    State(state): Shared,
    Writer(client): Writer,
    headers: HeaderMap,
    JsonBody(input, body_sha256): JsonBody<DirectiveInput>,
) -> Result<Response, Problem> {
    let keyed = keyed_request(&headers, &client, "POST /api/v1/directives".into(), body_sha256)?;
    if let Some(location) = replayed(&state, keyed.as_ref()).await? {
        return directive_created(&state, location).await;
    }
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    let (id, _) = match changes.add_directive_input(input, keyed.as_ref()).await {
        // A twin with the same key was made meanwhile: answer as it did, if it was this request.
        Err(ChangeError::KeyInUse(_)) => {
            return directive_created(&state, twin(&state, keyed.as_ref()).await?).await;
        }
        other => other?,
    };
    state.changed();
    directive_created(&state, format!("/api/v1/directives/{}", id.0)).await
}

async fn get_directive(
    State(state): Shared,
    Reader(_): Reader,
    Path(text): Path<String>,
) -> Result<Response, Problem> {
    let id = DirectiveId(id(&text, "directive")?);
    Ok(axum::Json(directive_answer(&state, id).await?).into_response())
}

async fn update_directive(
    State(state): Shared,
    Writer(client): Writer,
    Path(text): Path<String>,
    JsonBody(patch, _): JsonBody<DirectivePatch>,
) -> Result<Response, Problem> {
    let id = DirectiveId(id(&text, "directive")?);
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    changes.update_directive(id, patch).await?;
    Ok(axum::Json(directive_answer(&state, id).await?).into_response())
}

async fn add_task(
    State(state): Shared,
    Writer(client): Writer,
    headers: HeaderMap,
    Path(text): Path<String>,
    JsonBody(input, body_sha256): JsonBody<TaskInput>,
) -> Result<Response, Problem> {
    let directive = DirectiveId(id(&text, "directive")?);
    let request = format!("POST /api/v1/directives/{}/tasks", directive.0);
    let keyed = keyed_request(&headers, &client, request, body_sha256)?;
    if let Some(location) = replayed(&state, keyed.as_ref()).await? {
        return task_created(&state, location).await;
    }
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    let task = match changes.add_task(directive, input, keyed.as_ref()).await {
        Err(ChangeError::KeyInUse(_)) => {
            return task_created(&state, twin(&state, keyed.as_ref()).await?).await;
        }
        other => other?,
    };
    state.changed();
    task_created(&state, format!("/api/v1/tasks/{}", task.0)).await
}

// Tasks.

/// `GET /api/v1/tasks` and a department's tasks.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskQuery {
    /// Tasks a department leads or coordinates: code, name or alias.
    department: Option<String>,
    /// open | done
    status: Option<String>,
    /// Only open tasks past their due date.
    overdue: Option<bool>,
    due_before: Option<chrono::NaiveDate>,
    directive: Option<i64>,
    /// The last id of the previous page.
    after: Option<i64>,
    limit: Option<u32>,
}

async fn tasks_answer(state: &AppState, query: TaskQuery) -> Result<Response, Problem> {
    let settings = state.settings();
    let department = match &query.department {
        Some(label) => Some(
            crate::app::input::resolve_department(&settings.departments, label)
                .map_err(|message| Problem::invalid_field("department", message))?,
        ),
        None => None,
    };
    let status = match query.status.as_deref() {
        None => None,
        Some("open") => Some(TaskStatus::Open),
        Some("done") => Some(TaskStatus::Done),
        Some(other) => {
            return Err(Problem::invalid_field(
                "status",
                format!("'{other}' is not a status: use open or done"),
            ));
        }
    };
    let limit = page_limit(query.limit)?;
    let today = Utc::now().with_timezone(&settings.timezone).date_naive();
    let filter = TaskFilter {
        department,
        overdue_on: query.overdue.unwrap_or(false).then_some(today),
        due_before: query.due_before,
        directive: query.directive.map(DirectiveId),
        status,
        after: query.after.map(TaskId),
        // One more than the page, to know whether another follows.
        limit: Some(limit + 1),
    };
    let mut records = state.store().tasks(&filter).await?;
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let tasks: Vec<TaskView> = records.iter().map(|r| view(r, &settings)).collect();
    let next_after = if more { tasks.last().map(|t| t.id) } else { None };
    Ok(axum::Json(json!({ "tasks": tasks, "next_after": next_after })).into_response())
}

async fn list_tasks(
    State(state): Shared,
    Reader(_): Reader,
    QueryParams(query): QueryParams<TaskQuery>,
) -> Result<Response, Problem> {
    tasks_answer(&state, query).await
}

async fn get_task(
    State(state): Shared,
    Reader(_): Reader,
    Path(text): Path<String>,
) -> Result<Response, Problem> {
    let task = TaskId(id(&text, "task")?);
    Ok(axum::Json(task_answer(&state, task).await?).into_response())
}

async fn update_task(
    State(state): Shared,
    Writer(client): Writer,
    Path(text): Path<String>,
    JsonBody(patch, _): JsonBody<TaskPatch>,
) -> Result<Response, Problem> {
    let task = TaskId(id(&text, "task")?);
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    changes.update_task(task, patch).await?;
    state.changed();
    Ok(axum::Json(task_answer(&state, task).await?).into_response())
}

async fn mark_done(
    State(state): Shared,
    Writer(client): Writer,
    Path(text): Path<String>,
    JsonBody(input, _): JsonBody<DoneInput>,
) -> Result<Response, Problem> {
    let task = TaskId(id(&text, "task")?);
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    let changed = changes.mark_done(task, input).await?;
    state.changed();
    let answer = task_answer(&state, task).await?;
    Ok(axum::Json(json!({ "changed": changed, "task": answer })).into_response())
}

async fn extend(
    State(state): Shared,
    Writer(client): Writer,
    Path(text): Path<String>,
    JsonBody(input, _): JsonBody<ExtendInput>,
) -> Result<Response, Problem> {
    let task = TaskId(id(&text, "task")?);
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    changes.extend(task, input).await?;
    state.changed();
    Ok(axum::Json(task_answer(&state, task).await?).into_response())
}

// Departments.

#[derive(Serialize)]
struct DepartmentView {
    code: String,
    name: String,
    aliases: Vec<String>,
    channels: Vec<String>,
    escalate_to: Option<String>,
}

async fn list_departments(State(state): Shared, Reader(_): Reader) -> Result<Response, Problem> {
    let settings = state.settings();
    let departments: Vec<DepartmentView> = settings
        .departments
        .iter()
        .map(|d| DepartmentView {
            code: d.code.to_string(),
            name: d.name.clone(),
            aliases: d.aliases.clone(),
            channels: d.channels.clone(),
            escalate_to: d.escalate_to.as_ref().map(ToString::to_string),
        })
        .collect();
    Ok(axum::Json(json!({ "departments": departments })).into_response())
}

/// `GET /api/v1/departments/{code}/tasks`: its open tasks unless `status` says otherwise.
async fn department_tasks(
    State(state): Shared,
    Reader(_): Reader,
    Path(code): Path<String>,
    QueryParams(mut query): QueryParams<TaskQuery>,
) -> Result<Response, Problem> {
    if query.department.is_some() {
        return Err(Problem::bad_request("department: it is in the path already"));
    }
    let settings = state.settings();
    let department = settings
        .departments
        .resolve(&code)
        .ok_or_else(|| Problem::not_found(format!("no department '{code}' in the config")))?;
    query.department = Some(department.code.to_string());
    query.status = query.status.or(Some("open".into()));
    tasks_answer(&state, query).await
}

// The outbox.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxQuery {
    state: Option<String>,
    task: Option<i64>,
    /// The last id of the previous page.
    after: Option<i64>,
    limit: Option<u32>,
}

async fn outbox(
    State(state): Shared,
    Reader(_): Reader,
    QueryParams(query): QueryParams<OutboxQuery>,
) -> Result<Response, Problem> {
    let wanted = match query.state.as_deref() {
        None => None,
        Some(text) => Some(OutboxState::parse(text).ok_or_else(|| {
            Problem::invalid_field(
                "state",
                format!("'{text}' is not a state: use pending, sending, sent, dead or cancelled"),
            )
        })?),
    };
    let limit = page_limit(query.limit)?;
    let mut items = state.store().outbox_page(wanted, query.task.map(TaskId), query.after, limit + 1).await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_after = if more { items.last().map(|i| i.id) } else { None };
    Ok(axum::Json(json!({ "items": items, "next_after": next_after })).into_response())
}
