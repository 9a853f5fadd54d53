//! The web pages for people, under `/`: sign-in by an emailed link, a department's desk,
//! the supervising office's follow-up board, extension requests, import review, and the
//! pages of a directive and a task. Rendered on the server from templates compiled into
//! the binary, with the stylesheet and the one small script served from here too; every
//! page sends a Content-Security-Policy that allows no inline script.
//!
//! Like the rest of the HTTP face, it reads the store and changes it only through
//! `app`'s commands, then wakes the daemon's loop; it must not plan or send.

mod board;
mod desk;
mod extensions;
mod review;
mod session;
mod tasks;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use super::AppState;
use crate::config::{Person, PersonRole, Settings};

pub(super) use session::{SignInLimiter, Visitor};

const LAYOUT: &str = include_str!("../../../templates/pages/layout.html.j2");
const TEMPLATES: [(&str, &str); 10] = [
    ("sign_in.html", include_str!("../../../templates/pages/sign_in.html.j2")),
    ("message.html", include_str!("../../../templates/pages/message.html.j2")),
    ("desk.html", include_str!("../../../templates/pages/desk.html.j2")),
    ("task.html", include_str!("../../../templates/pages/task.html.j2")),
    ("directive.html", include_str!("../../../templates/pages/directive.html.j2")),
    ("board.html", include_str!("../../../templates/pages/board.html.j2")),
    ("list.html", include_str!("../../../templates/pages/list.html.j2")),
    ("extensions.html", include_str!("../../../templates/pages/extensions.html.j2")),
    ("decide.html", include_str!("../../../templates/pages/decide.html.j2")),
    ("review.html", include_str!("../../../templates/pages/review.html.j2")),
];
const STYLESHEET: &str = include_str!("../../../assets/pages.css");
const SCRIPT: &str = include_str!("../../../assets/pages.js");

/// No inline script, no inline style, nothing from elsewhere; forms post only here.
pub(super) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the pages' templates to the server's environment (HTML-escaped by name).
pub(super) fn add_templates(
    environment: &mut minijinja::Environment<'static>,
) -> Result<(), minijinja::Error> {
    environment.add_template("layout.html", LAYOUT)?;
    for (name, source) in TEMPLATES {
        environment.add_template(name, source)?;
    }
    environment.add_filter("count", |n: i64| format_count(n));
    Ok(())
}

/// `12345` as Vietnamese writes it: `12.345`.
fn format_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/assets/pages.css", get(|| async { asset("text/css; charset=utf-8", STYLESHEET) }))
        .route("/assets/pages.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
        .merge(session::routes())
        .merge(desk::routes())
        .merge(tasks::routes())
        .merge(board::routes())
        .merge(extensions::routes())
        .merge(review::routes())
        .layer(axum::middleware::map_response(secure_headers))
        .layer(axum::middleware::from_fn(server_timing))
}

/// How long the server took over a page, as `Server-Timing: app;dur=MS`: what the
/// browser's tools and the pages' benchmark show. Not for signing in, whose time would tell
/// a known address (a link is written) from an unknown one.
async fn server_timing(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let signing_in = request.uri().path().starts_with("/sign-in");
    let mut response = next.run(request).await;
    if signing_in {
        return response;
    }
    let took = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("app;dur={took:.2}")) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body)
        .into_response()
}

/// What every page's answer carries: the policy above, no sniffing, no framing, and no
/// address (which may hold a link's token) sent to other sites.
pub(super) async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// `/`: the desk for a department's people, the board for the office; else sign in.
async fn home(visitor: Option<Visitor>) -> Redirect {
    match visitor.map(|v| v.person.role) {
        None => Redirect::to("/sign-in"),
        Some(PersonRole::Department) => Redirect::to("/desk"),
        Some(_) => Redirect::to("/board"),
    }
}

/// The signed-in person as the layout shows them, with the form token their forms carry.
#[derive(Serialize)]
struct Who<'a> {
    name: &'a str,
    email: &'a str,
    role: PersonRole,
    department: String,
    department_name: String,
    form_token: &'a str,
    /// May see every department.
    office: bool,
}

/// Renders `template` with `context`, and the visitor for the layout.
fn render(
    state: &AppState,
    status: StatusCode,
    template: &str,
    visitor: Option<&Visitor>,
    context: minijinja::Value,
) -> Response {
    let settings = state.settings();
    let who = visitor.map(|v| Who {
        name: &v.person.name,
        email: &v.person.email,
        role: v.person.role,
        department: v.person.department.to_string(),
        department_name: crate::message::DepartmentNames::name_of(
            &settings.departments,
            v.person.department.as_str(),
        ),
        form_token: &v.form_token,
        office: v.person.role >= PersonRole::Office,
    });
    let context = minijinja::context! { who => value(&who), ..context };
    match state.pages.get_template(template).and_then(|t| t.render(context)) {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
            html,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, template, "cannot render a page");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot render the page").into_response()
        }
    }
}

/// A page that only says something: a refusal, a confirmation.
fn message(
    state: &AppState,
    status: StatusCode,
    visitor: Option<&Visitor>,
    title: &str,
    text: &str,
) -> Response {
    render(state, status, "message.html", visitor, minijinja::context! { title, text })
}

/// A refusal for a department's people on a page of the supervising office's; `what` says
/// whose work it is.
fn office_only(state: &AppState, visitor: &Visitor, what: &str) -> Option<Response> {
    (visitor.person.role < PersonRole::Office)
        .then(|| message(state, StatusCode::FORBIDDEN, Some(visitor), "Không có quyền", what))
}

fn not_found(state: &AppState, visitor: Option<&Visitor>) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        visitor,
        "Không tìm thấy",
        "Trang hoặc nhiệm vụ này không có, hoặc bạn không được xem.",
    )
}

fn store_failed(state: &AppState, visitor: Option<&Visitor>, error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "a page: the store failed");
    message(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        visitor,
        "Tạm thời không thực hiện được",
        "Hệ thống đang bận hoặc mất kết nối cơ sở dữ liệu. Vui lòng thử lại sau ít phút.",
    )
}

/// A page that refuses, boxed: what the checks before an action answer.
type Refusal = Box<Response>;

/// A form whose token is not the session's (or is missing): refused, nothing done.
fn forged(state: &AppState, visitor: Option<&Visitor>) -> Response {
    message(
        state,
        StatusCode::FORBIDDEN,
        visitor,
        "Biểu mẫu không hợp lệ",
        "Biểu mẫu đã hết hạn hoặc không được gửi từ trang của hệ thống; không có gì thay đổi. Vui lòng tải lại trang và thử lại.",
    )
}

#[derive(serde::Deserialize)]
struct FormToken {
    form_token: Option<String>,
}

/// A form of the visitor's, parsed as `T` once its token is checked; a refusal page
/// otherwise.
fn checked_form<T: serde::de::DeserializeOwned>(
    state: &AppState,
    visitor: &Visitor,
    body: &[u8],
) -> Result<T, Refusal> {
    let token: FormToken = serde_urlencoded::from_bytes(body).unwrap_or(FormToken { form_token: None });
    if !visitor.form_is_ours(state, token.form_token.as_deref()) {
        return Err(Box::new(forged(state, Some(visitor))));
    }
    serde_urlencoded::from_bytes(body).map_err(|error| {
        Box::new(message(
            state,
            StatusCode::BAD_REQUEST,
            Some(visitor),
            "Biểu mẫu không hợp lệ",
            &format!("Không đọc được biểu mẫu: {error}."),
        ))
    })
}

/// Whether the pages are on: they need the server's public address and the link key.
fn pages_on(settings: &Settings) -> bool {
    settings.http.public_url.is_some() && settings.http.link_key.is_some()
}

/// Whether `person` may see the tasks of `department` and act for it.
fn may_see_department(person: &Person, department: &crate::domain::DepartmentCode) -> bool {
    person.role >= PersonRole::Office || &person.department == department
}

/// Whether `person` may see a task: the office sees all, a department its own.
fn may_see_task(person: &Person, task: &crate::domain::Task) -> bool {
    person.role >= PersonRole::Office
        || task.lead == person.department
        || task.coordinating.contains(&person.department)
}

/// A value for a template's context, from anything serde can write.
fn value<T: Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// A date as pages show it.
fn day(date: chrono::NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// An instant as pages show it, in the configured zone.
fn moment(settings: &Settings, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&settings.timezone).format("%H:%M %d/%m/%Y").to_string()
}

/// Where a change came from, from its actor: the command line, the API, a link, a page or
/// a source.
fn channel_of(actor: Option<&str>) -> (&'static str, String) {
    let actor = actor.unwrap_or("");
    let (kind, who) = actor.split_once(':').unwrap_or((actor, ""));
    let label = match kind {
        "cli" => "Dòng lệnh",
        "api" => "API",
        "link" => "Liên kết trong thư",
        "page" => "Trang web",
        "source" => "Nguồn văn bản",
        _ => "Hệ thống",
    };
    (label, who.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands_with_dots() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1000), "1.000");
        assert_eq!(format_count(100_000), "100.000");
        assert_eq!(format_count(-1234567), "-1.234.567");
    }

    #[test]
    fn each_actor_names_its_channel() {
        assert_eq!(channel_of(Some("cli")), ("Dòng lệnh", String::new()));
        assert_eq!(channel_of(Some("api:e-office")), ("API", "e-office".to_owned()));
        assert_eq!(channel_of(Some("link:snv")), ("Liên kết trong thư", "snv".to_owned()));
        assert_eq!(channel_of(Some("page:a@b.vn")), ("Trang web", "a@b.vn".to_owned()));
        assert_eq!(channel_of(Some("source:eoffice")), ("Nguồn văn bản", "eoffice".to_owned()));
        assert_eq!(channel_of(None).0, "Hệ thống");
    }
}
