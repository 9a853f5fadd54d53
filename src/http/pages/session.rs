//! Signing in and out: a person asks for a link by address, it is emailed (through the
//! outbox) to that address alone, and opening it and pressing the button (so that mail
//! scanners that fetch links sign nobody in) starts a session: a signed cookie, HttpOnly,
//! SameSite=Lax, Secure when the public address is HTTPS. Each link signs in once. The
//! person's role is read from the config at each request; their forms carry a token bound
//! to the session.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use super::{AppState, message, pages_on, render};
use crate::config::{Person, Settings};
use crate::links::{LinkError, LinkSigner};
use crate::outbox::notices::{NoticePayload, notice};

pub(super) const SESSION_COOKIE: &str = "nhacviec_session";
/// The random value a signed-out visitor's sign-in form is bound to.
const FORM_COOKIE: &str = "nhacviec_form";

/// Sign-in links an address may be sent: a few in a row, then one every few minutes.
pub(in crate::http) struct SignInLimiter(governor::DefaultKeyedRateLimiter<String>);

impl Default for SignInLimiter {
    fn default() -> Self {
        let burst = NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN);
        let quota = governor::Quota::with_period(std::time::Duration::from_secs(300))
            .map(|q| q.allow_burst(burst))
            .unwrap_or_else(|| governor::Quota::per_hour(burst));
        Self(governor::RateLimiter::hashmap(quota))
    }
}

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/sign-in", get(sign_in_form).post(send_link))
        .route("/sign-in/{token}", get(show_link).post(use_link))
        .route("/sign-out", post(sign_out))
}

/// Someone signed in.
pub(in crate::http) struct Visitor {
    pub person: Person,
    /// What their forms carry.
    pub form_token: String,
    /// Their session's token, to which the form token is bound.
    session: String,
}

impl Visitor {
    /// Whether a form's token is this session's.
    pub fn form_is_ours(&self, state: &AppState, token: Option<&str>) -> bool {
        let Some(key) = state.settings().http.link_key.clone() else { return false };
        token.is_some_and(|t| LinkSigner::new(key).check_form_token(&self.session, t).is_ok())
    }
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

fn visitor(parts: &Parts, state: &AppState) -> Option<Visitor> {
    let settings = state.settings();
    let key = settings.http.link_key.clone()?;
    let token = cookie(&parts.headers, SESSION_COOKIE)?;
    let signer = LinkSigner::new(key);
    let (email, _) = signer.check_session(token, Utc::now()).ok()?;
    let person = settings.person(&email)?;
    Some(Visitor { person, form_token: signer.form_token(token), session: token.to_owned() })
}

impl FromRequestParts<Arc<AppState>> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Response> {
        visitor(parts, state).ok_or_else(|| Redirect::to("/sign-in").into_response())
    }
}

impl OptionalFromRequestParts<Arc<AppState>> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(visitor(parts, state))
    }
}

fn secure(settings: &Settings) -> &'static str {
    match &settings.http.public_url {
        Some(url) if url.scheme() == "https" => "; Secure",
        _ => "",
    }
}

fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

fn pages_off(state: &AppState) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        None,
        "Trang web chưa bật",
        "Máy chủ chưa đặt http.public_url và http.link_key, nên không gửi được liên kết đăng nhập.",
    )
}

/// The token of a signed-out visitor's forms (asking for a link, using one), bound to a
/// random value in a cookie of their own (SameSite=Strict: another site's form does not
/// carry it); and the cookie to set when the visitor had none.
fn anonymous_form(settings: &Settings, headers: &HeaderMap) -> Option<(String, Option<header::HeaderValue>)> {
    let key = settings.http.link_key.clone()?;
    let existing = cookie(headers, FORM_COOKIE).filter(|v| v.len() == 32).map(str::to_owned);
    let nonce = existing.clone().or_else(random_hex)?;
    let token = LinkSigner::new(key).form_token(&format!("anonymous:{nonce}"));
    let set = existing.is_none().then(|| {
        format!("{FORM_COOKIE}={nonce}; Path=/sign-in; HttpOnly; SameSite=Strict{}", secure(settings))
            .parse()
            .ok()
    });
    Some((token, set.flatten()))
}

/// Whether a signed-out visitor's form carries the token of their cookie.
fn anonymous_form_is_ours(settings: &Settings, headers: &HeaderMap, token: Option<&str>) -> bool {
    let (Some(key), Some(nonce), Some(token)) =
        (settings.http.link_key.clone(), cookie(headers, FORM_COOKIE), token)
    else {
        return false;
    };
    LinkSigner::new(key).check_form_token(&format!("anonymous:{nonce}"), token).is_ok()
}

/// A page for a signed-out visitor, with the cookie its form is bound to.
fn with_form_cookie(mut response: Response, set: Option<header::HeaderValue>) -> Response {
    if let Some(value) = set {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// How long a sign-in link works, in the page's words.
fn valid_words(settings: &Settings) -> String {
    let minutes = settings.pages.sign_in_valid_for.as_secs().div_ceil(60);
    if minutes.is_multiple_of(60) { format!("{} giờ", minutes / 60) } else { format!("{minutes} phút") }
}

/// `GET /sign-in`: the address form.
async fn sign_in_form(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let settings = state.settings();
    if !pages_on(&settings) {
        return pages_off(&state);
    }
    let Some((form_token, set)) = anonymous_form(&settings, &headers) else {
        return super::store_failed(&state, None, "no randomness for the sign-in form");
    };
    let valid = valid_words(&settings);
    let page = render(
        &state,
        StatusCode::OK,
        "sign_in.html",
        None,
        minijinja::context! { form_token, valid, email => "" },
    );
    with_form_cookie(page, set)
}

#[derive(Deserialize)]
struct SignInForm {
    email: Option<String>,
    form_token: Option<String>,
}

/// `POST /sign-in`: a link to the address, if it is someone's; the answer is the same
/// either way, so that the page does not tell which addresses are known.
async fn send_link(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let settings = state.settings();
    if !pages_on(&settings) {
        return pages_off(&state);
    }
    let form: SignInForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            return message(
                &state,
                StatusCode::BAD_REQUEST,
                None,
                "Biểu mẫu không hợp lệ",
                "Vui lòng mở lại trang đăng nhập.",
            );
        }
    };
    if !anonymous_form_is_ours(&settings, &headers, form.form_token.as_deref()) {
        return super::forged(&state, None);
    }
    let email = form.email.unwrap_or_default().trim().to_lowercase();
    if email.is_empty() || !email.contains('@') || email.len() > 254 {
        let valid = valid_words(&settings);
        let form_token = form.form_token.unwrap_or_default();
        return render(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "sign_in.html",
            None,
            minijinja::context! { form_token, valid, email, problem => "Vui lòng nhập địa chỉ thư điện tử, ví dụ ten@example.gov.vn." },
        );
    }
    let minutes = settings.pages.sign_in_valid_for.as_secs().div_ceil(60);
    let sent = message(
        &state,
        StatusCode::OK,
        None,
        "Hãy kiểm tra hộp thư",
        &format!(
            "Nếu {email} là địa chỉ đã đăng ký, một liên kết đăng nhập vừa được gửi đến địa chỉ đó. Liên kết có hiệu lực trong {minutes} phút và chỉ dùng được một lần."
        ),
    );
    if settings.person(&email).is_none() {
        tracing::info!(%email, "sign-in asked for an address nobody has");
        return sent;
    }
    if state.sign_in_limiter.0.check_key(&email).is_err() {
        tracing::warn!(%email, "sign-in links asked too often for one address; none sent");
        return sent;
    }
    let now = Utc::now();
    let (Some(nonce), Ok(valid)) =
        (random_hex(), chrono::Duration::from_std(settings.pages.sign_in_valid_for))
    else {
        return super::store_failed(&state, None, "no randomness for a sign-in link");
    };
    let payload = NoticePayload::SignIn { email: email.clone(), nonce, expires: now + valid };
    let written = match notice(&payload, &settings, now) {
        Ok(notice) => state.store().enqueue_notice(&notice, now).await.map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    match written {
        Ok(_) => {
            state.changed();
            tracing::info!(%email, "sign-in link enqueued");
            sent
        }
        Err(error) => super::store_failed(&state, None, error),
    }
}

/// A sign-in token checked: the address and the signature naming its one use; a page
/// saying why otherwise.
async fn check_link(state: &AppState, token: &str) -> Result<(String, String), Response> {
    let settings = state.settings();
    let Some(key) = settings.http.link_key.clone().filter(|_| pages_on(&settings)) else {
        return Err(pages_off(state));
    };
    let refused = |status, title: &str, text: &str| message(state, status, None, title, text);
    match LinkSigner::new(key).check_sign_in(token, Utc::now()) {
        Ok(checked) => Ok(checked),
        Err(LinkError::Expired(at)) => Err(refused(
            StatusCode::GONE,
            "Liên kết đăng nhập đã hết hạn",
            &format!(
                "Liên kết này hết hiệu lực lúc {}. Vui lòng yêu cầu liên kết mới ở trang đăng nhập.",
                super::moment(&settings, at)
            ),
        )),
        Err(_) => Err(refused(
            StatusCode::FORBIDDEN,
            "Liên kết đăng nhập không hợp lệ",
            "Liên kết không đúng hoặc đã bị thay đổi. Vui lòng mở đúng liên kết trong thư, hoặc yêu cầu liên kết mới.",
        )),
    }
}

fn used(state: &AppState) -> Response {
    message(
        state,
        StatusCode::CONFLICT,
        None,
        "Liên kết đăng nhập đã được sử dụng",
        "Mỗi liên kết đăng nhập chỉ dùng được một lần. Vui lòng yêu cầu liên kết mới ở trang đăng nhập.",
    )
}

/// `GET /sign-in/{token}`: a button that signs in; the link does nothing by itself.
async fn show_link(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let signature = match check_link(&state, &token).await {
        Ok((_, signature)) => signature,
        Err(refused) => return refused,
    };
    match state.store().sign_in_used(&signature).await {
        Ok(true) => return used(&state),
        Ok(false) => {}
        Err(error) => return super::store_failed(&state, None, error),
    }
    let Some((form_token, set)) = anonymous_form(&state.settings(), &headers) else {
        return super::store_failed(&state, None, "no randomness for the sign-in form");
    };
    let page = render(
        &state,
        StatusCode::OK,
        "sign_in.html",
        None,
        minijinja::context! { confirm => true, form_token },
    );
    with_form_cookie(page, set)
}

/// `POST /sign-in/{token}`: uses the link up and starts the session, from the page's own
/// button only: another site cannot sign a visitor in as someone else.
async fn use_link(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (email, signature) = match check_link(&state, &token).await {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let settings = state.settings();
    match state.store().sign_in_used(&signature).await {
        Ok(true) => return used(&state),
        Ok(false) => {}
        Err(error) => return super::store_failed(&state, None, error),
    }
    let form: TokenForm = serde_urlencoded::from_bytes(&body).unwrap_or(TokenForm { form_token: None });
    if !anonymous_form_is_ours(&settings, &headers, form.form_token.as_deref()) {
        return super::forged(&state, None);
    }
    let Some(person) = settings.person(&email) else {
        return message(
            &state,
            StatusCode::FORBIDDEN,
            None,
            "Không đăng nhập được",
            "Địa chỉ này không còn trong danh sách được đăng nhập. Vui lòng liên hệ Văn phòng.",
        );
    };
    let now = Utc::now();
    match state.store().use_sign_in(&signature, &person.email, now).await {
        Ok(true) => {}
        Ok(false) => return used(&state),
        Err(error) => return super::store_failed(&state, None, error),
    }
    let (Some(key), Ok(lasts)) =
        (settings.http.link_key.clone(), chrono::Duration::from_std(settings.pages.session_for))
    else {
        return pages_off(&state);
    };
    let session = LinkSigner::new(key).session_token(&person.email, now + lasts);
    tracing::info!(email = %person.email, role = person.role.as_str(), "signed in");
    let cookie = format!(
        "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        settings.pages.session_for.as_secs(),
        secure(&settings)
    );
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
struct TokenForm {
    form_token: Option<String>,
}

/// `POST /sign-out`: ends the session in this browser.
async fn sign_out(State(state): State<Arc<AppState>>, visitor: Visitor, body: axum::body::Bytes) -> Response {
    let form: TokenForm = serde_urlencoded::from_bytes(&body).unwrap_or(TokenForm { form_token: None });
    if !visitor.form_is_ours(&state, form.form_token.as_deref()) {
        return super::forged(&state, Some(&visitor));
    }
    let mut response = Redirect::to("/sign-in").into_response();
    let expired =
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", secure(&state.settings()));
    if let Ok(value) = expired.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
