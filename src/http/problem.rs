//! Errors as RFC 9457 `application/problem+json`, and the JSON body and query extractors
//! that name the field at fault. Nothing here reads or writes the store.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::commands::{ChangeError, FieldProblem};

/// An error answer: status, a short title, what went wrong, and the fields at fault.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    /// `WWW-Authenticate`, for 401 and 403.
    pub authenticate: Option<String>,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[FieldProblem]>::is_empty")]
    errors: &'a [FieldProblem],
}

impl Problem {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, title, detail: detail.into(), errors: Vec::new(), authenticate: None }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// The input is well-formed but wrong: each field's problem listed.
    pub fn invalid(errors: Vec<FieldProblem>) -> Self {
        let detail =
            errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        Self { errors, ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input", detail) }
    }

    /// One field's value is wrong (422).
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::field(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input", field.to_owned(), message.into())
    }

    fn field(status: StatusCode, title: &'static str, field: String, message: String) -> Self {
        let errors = vec![FieldProblem { field: field.clone(), message: message.clone() }];
        let detail = if field.is_empty() { message } else { format!("{field}: {message}") };
        Self { errors, ..Self::new(status, title, detail) }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the store failed; see the daemon's log",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemBody {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            errors: &self.errors,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(value) = self.authenticate.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl From<ChangeError> for Problem {
    fn from(error: ChangeError) -> Self {
        match error {
            ChangeError::Invalid(errors) => Problem::invalid(errors),
            ChangeError::NotFound { .. } => Problem::not_found(error.to_string()),
            ChangeError::TaskDone(_)
            | ChangeError::Changed(_)
            | ChangeError::KeyInUse(_)
            | ChangeError::LinkUsed
            | ChangeError::DraftDecided { .. }
            | ChangeError::ExtensionDecided { .. }
            | ChangeError::DeadlineChanged
            | ChangeError::NotLead => Problem::new(StatusCode::CONFLICT, "Conflict", error.to_string()),
            ChangeError::Notice(_) => Problem::new(StatusCode::CONFLICT, "Conflict", error.to_string()),
            ChangeError::Store(error) => Problem::internal(error),
        }
    }
}

impl From<crate::app::drafts::DraftError> for Problem {
    fn from(error: crate::app::drafts::DraftError) -> Self {
        match error {
            crate::app::drafts::DraftError::Change(error) => error.into(),
            other => Problem::internal(other),
        }
    }
}

impl From<crate::store::StoreError> for Problem {
    fn from(error: crate::store::StoreError) -> Self {
        ChangeError::from(error).into()
    }
}

/// A serde error's field: the path, and the field that `unknown field` or
/// `missing field` names.
fn field_of(path: &str, message: &str) -> String {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix)?.split('`').next());
    let path = if path == "." { "" } else { path };
    match named {
        // serde_path_to_error puts an unknown field in the path already.
        Some(name) if path == name || path.ends_with(&format!(".{name}")) => path.to_owned(),
        Some(name) if path.is_empty() => name.to_owned(),
        Some(name) => format!("{path}.{name}"),
        None => path.to_owned(),
    }
}

/// A JSON request body: `Content-Type: application/json`, within the body limit, valid
/// JSON, and of the shape `T` with no unknown field. Each failure is a problem naming
/// the field. With it, the SHA-256 of the body as sent, in hex.
pub struct JsonBody<T>(pub T, pub String);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Payload too large",
                    "the body is over the size limit (http.body_limit)",
                )
            } else {
                Problem::bad_request(format!("cannot read the body: {rejection}"))
            }
        })?;
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        // No body at all reads as `{}`: `POST …/done` needs nothing more.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return parse_json(b"{}").map(|value| JsonBody(value, digest));
        }
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        parse_json(&bytes).map(|value| JsonBody(value, digest))
    }
}

/// Parses JSON into `T`: a syntax error is a 400, a shape error a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // Every body of this API is an object; serde would also read a struct from an array.
    if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
        && *first != b'{'
        && matches!(first, b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    {
        return Err(Problem::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid input",
            String::new(),
            "the body must be a JSON object: { … }".into(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        match inner.classify() {
            serde_json::error::Category::Data => Problem::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid input",
                field_of(&path, &message),
                message,
            ),
            _ => Problem::bad_request(format!("not valid JSON: {message}")),
        }
    })?;
    deserializer.end().map_err(|e| Problem::bad_request(format!("not valid JSON: {e}")))?;
    Ok(value)
}

/// Query parameters of the shape `T`, with no unknown parameter.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(QueryParams).map_err(|error| {
            let path = error.path().to_string();
            let message = error.into_inner().to_string();
            Problem::field(StatusCode::BAD_REQUEST, "Bad request", field_of(&path, &message), message)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_at_fault_is_named() {
        assert_eq!(field_of(".", "unknown field `foo`, expected one of `title`"), "foo");
        assert_eq!(field_of("tasks[0]", "unknown field `leader`, expected `lead`"), "tasks[0].leader");
        assert_eq!(field_of("tasks[0].leader", "unknown field `leader`, expected `lead`"), "tasks[0].leader");
        assert_eq!(field_of("titel", "unknown field `titel`, expected `title`"), "titel");
        assert_eq!(field_of("tasks[1]", "missing field `lead`"), "tasks[1].lead");
        assert_eq!(field_of("issued_on", "input contains invalid characters"), "issued_on");
    }
}
