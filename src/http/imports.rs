//! `POST /api/v1/imports`: a directive's document (PDF, DOCX or text) as the request body,
//! or as the file of a `multipart/form-data` form, answered with the importer's proposal; with `apply=true`, the proposal stored as a
//! directive through the same checks and command as `nhacviec import --apply`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Writer;
use super::problem::{Problem, QueryParams};
use crate::app::commands::{Actor, Changes, FieldProblem};
use crate::app::imports::{Applied, ApplyError, document_hash};
use crate::import::{self, Proposal, Setting};

/// A document larger than this is not a directive.
pub const MAX_DOCUMENT: usize = import::MAX_DOCUMENT_BYTES;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportQuery {
    /// The document's file name, for the directive's source and the tasks' history.
    name: Option<String>,
    /// Store the proposal as a directive.
    #[serde(default)]
    apply: bool,
    /// The directive's number, when the document does not say it.
    directive_number: Option<String>,
}

/// The proposal, with the document's SHA-256.
#[derive(Serialize)]
struct ProposalAnswer {
    sha256: String,
    #[serde(flatten)]
    proposal: Proposal,
}

/// The first file of a form (its field `document`, or any with a file name), and its name.
async fn document_of(form: &mut Multipart) -> Result<(Bytes, Option<String>), Problem> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        Problem::new(e.status(), "Bad request", format!("the form cannot be read: {}", e.body_text()))
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let file_name = field.file_name().map(str::to_owned);
        if field.name() == Some("document") || file_name.is_some() {
            let bytes = field.bytes().await.map_err(unreadable)?;
            return Ok((bytes, file_name));
        }
    }
    Err(Problem::invalid_field("document", "the form has no file: send it as the field 'document'"))
}

pub(super) async fn import_document(
    State(state): State<Arc<AppState>>,
    Writer(client): Writer,
    QueryParams(query): QueryParams<ImportQuery>,
    request: Request,
) -> Result<Response, Problem> {
    let too_large =
        || Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", "the document is over 10 MB");
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (bytes, file_name) = if multipart {
        let mut form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| Problem::bad_request(format!("the form cannot be read: {e}")))?;
        document_of(&mut form).await?
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_DOCUMENT).await.map_err(|_| too_large())?;
        (bytes, None)
    };
    if bytes.len() > MAX_DOCUMENT {
        return Err(too_large());
    }
    let name =
        query.name.or(file_name).filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "document".to_owned());
    let settings = state.settings();
    let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
    let (mut proposal, _) =
        import::read(&bytes, &setting).map_err(|error| Problem::invalid_field("body", error.to_string()))?;
    if let Some(number) = query.directive_number {
        proposal.document.number = Some(number);
    }
    let sha256 = document_hash(&bytes);
    if !query.apply {
        return Ok(axum::Json(ProposalAnswer { sha256, proposal }).into_response());
    }
    let changes = Changes::new(state.store(), &settings, Actor::api(&client.name));
    match changes.apply_import(&proposal, &name, &sha256).await {
        Ok(Applied::Added { directive, .. }) => {
            state.changed();
            super::api::directive_created(&state, format!("/api/v1/directives/{}", directive.0)).await
        }
        Ok(Applied::AlreadyImported(directive)) => {
            let location = format!("/api/v1/directives/{}", directive.0);
            let answer = super::api::directive_answer(&state, directive).await?;
            Ok((StatusCode::OK, [(header::LOCATION, location)], axum::Json(answer)).into_response())
        }
        Err(ApplyError::Invalid(problems)) => Err(Problem::invalid(
            problems
                .into_iter()
                .map(|p| FieldProblem {
                    field: p.field,
                    message: match p.line {
                        Some(line) => format!("{} (line {line} of the document)", p.message),
                        None => p.message,
                    },
                })
                .collect(),
        )),
        Err(ApplyError::Change(error)) => Err(error.into()),
    }
}
