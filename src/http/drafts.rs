//! `/api/v1/drafts`: what the sources left for review, listed and shown with the
//! importer's findings, accepted (as they are, or corrected) or rejected, each through
//! `app::drafts` in one transaction, and the daemon woken.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::auth::{Reader, Writer};
use super::problem::{JsonBody, Problem, QueryParams};
use crate::app::commands::{Actor, Changes, DirectiveInput};
use crate::app::drafts::DraftContent;
use crate::app::input::DirectiveFields;
use crate::store::DraftRecord;

type Shared = State<Arc<AppState>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DraftQuery {
    /// `waiting` (the default) or `all`.
    state: Option<String>,
}

#[derive(Serialize)]
struct DraftView {
    #[serde(flatten)]
    record: DraftRecord,
    /// The directive and tasks it holds, with the importer's findings.
    content: DraftContent,
}

fn id(text: &str) -> Result<i64, Problem> {
    text.parse().map_err(|_| Problem::not_found(format!("'{text}' is not a draft id")))
}

async fn view(state: &AppState, id: i64) -> Result<DraftView, Problem> {
    let record = state.store().draft(id).await?;
    let content = DraftContent::read(&record).map_err(Problem::from)?;
    Ok(DraftView { record, content })
}

pub(super) async fn list(
    State(state): Shared,
    Reader(_): Reader,
    QueryParams(query): QueryParams<DraftQuery>,
) -> Result<Response, Problem> {
    let waiting_only = match query.state.as_deref() {
        None | Some("waiting") => true,
        Some("all") => false,
        Some(other) => {
            return Err(Problem::invalid_field(
                "state",
                format!("'{other}' is not a choice: use waiting or all"),
            ));
        }
    };
    let drafts = state.store().drafts(waiting_only).await?;
    Ok(axum::Json(json!({ "drafts": drafts })).into_response())
}

pub(super) async fn show(
    State(state): Shared,
    Reader(_): Reader,
    Path(text): Path<String>,
) -> Result<Response, Problem> {
    let id = id(&text)?;
    Ok(axum::Json(view(&state, id).await?).into_response())
}

/// `POST …/accept`: no body to apply the draft as it is, or `{"directive": …}` (as `POST
/// /api/v1/directives` takes it) to apply a corrected one in its place.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AcceptInput {
    directive: Option<DirectiveInput>,
}

pub(super) async fn accept(
    State(state): Shared,
    Writer(client): Writer,
    Path(text): Path<String>,
    JsonBody(input, _): JsonBody<AcceptInput>,
) -> Result<Response, Problem> {
    let id = id(&text)?;
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    let replacement = input.directive.map(DirectiveFields::from);
    let (directive, tasks) = changes.accept_draft(id, replacement).await?;
    state.changed();
    let answer = json!({
        "directive": directive.0,
        "tasks": tasks.iter().map(|t| t.0).collect::<Vec<_>>(),
        "draft": view(&state, id).await?,
    });
    Ok(axum::Json(answer).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RejectInput {
    reason: Option<String>,
}

pub(super) async fn reject(
    State(state): Shared,
    Writer(client): Writer,
    Path(text): Path<String>,
    JsonBody(input, _): JsonBody<RejectInput>,
) -> Result<Response, Problem> {
    let id = id(&text)?;
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    changes.reject_draft(id, reason).await?;
    Ok(axum::Json(view(&state, id).await?).into_response())
}
