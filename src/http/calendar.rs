//! `GET /calendar/{department}.ics?token=…`: a department's open deadlines as an
//! iCalendar feed (see `feed`), for heads to subscribe to. The token is the department's
//! calendar token (`nhacviec feed-url`); a new `http.link_key` revokes every feed.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;

use super::AppState;
use super::problem::{Problem, QueryParams};
use crate::domain::{DepartmentCode, Role, TaskStatus};
use crate::feed::{self, FeedTask};
use crate::links::LinkSigner;
use crate::plan::Policy;
use crate::store::TaskFilter;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/calendar/{file}", get(calendar))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    token: Option<String>,
}

async fn calendar(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    QueryParams(query): QueryParams<FeedQuery>,
) -> Result<Response, Problem> {
    let settings = state.settings();
    let Some(key) = settings.http.link_key.clone() else {
        return Err(Problem::not_found("calendar feeds are off: set http.link_key"));
    };
    let not_found = || Problem::not_found(format!("no calendar '{file}': write /calendar/CODE.ics"));
    let code = file.strip_suffix(".ics").and_then(|c| DepartmentCode::parse(c).ok()).ok_or_else(not_found)?;
    let department = settings.departments.get(&code).ok_or_else(not_found)?;
    let Some(token) = query.token else {
        let mut problem = Problem::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "add ?token=… from `nhacviec feed-url`",
        );
        problem.authenticate = Some("Token realm=\"nhacviec-calendar\"".into());
        return Err(problem);
    };
    if LinkSigner::new(key).check_calendar_token(&code, &token).is_err() {
        return Err(Problem::new(
            axum::http::StatusCode::FORBIDDEN,
            "Forbidden",
            "the token is not this department's",
        ));
    }
    let filter = TaskFilter {
        department: Some(code.clone()),
        status: Some(TaskStatus::Open),
        ..TaskFilter::default()
    };
    let records = state.store().tasks(&filter).await?;
    let directive_ids: Vec<i64> = records.iter().map(|r| r.task.directive_id.0).collect();
    let directives = state.store().directives_by_ids(&directive_ids).await?;
    let tasks: Vec<FeedTask<'_>> = records
        .iter()
        .map(|r| FeedTask {
            task: &r.task,
            directive: directives.get(&r.task.directive_id.0),
            role: if r.task.lead == code { Role::Lead } else { Role::Coordinating },
        })
        .collect();
    let policy = Policy::from_settings(&settings);
    let host = settings
        .http
        .public_url
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "nhacviec".into());
    let text = feed::render(&code, &department.name, &tasks, &policy, &host, Utc::now());
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "inline; filename=\"nhacviec.ics\""),
        ],
        text,
    )
        .into_response())
}
