//! The daemon's HTTP face, on `[http] listen` (off when that is not set): `/healthz`,
//! `/readyz` and `/metrics` (Prometheus text) here; the JSON API in `api`, acknowledge
//! links in `acknowledge`, calendar feeds in `calendar`.
//!
//! It reads the store and changes it only through `changes`, then wakes the daemon's
//! loop; it must not plan or send.

mod acknowledge;
mod api;
pub mod auth;
mod calendar;
mod drafts;
mod imports;
mod pages;
pub mod problem;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::config::Settings;
use crate::shutdown::Shutdown;
use crate::store::Store;

/// When the daemon's loop last turned, in Unix seconds; 0 before the first time.
#[derive(Debug, Default)]
pub struct Heartbeat(AtomicI64);

impl Heartbeat {
    pub fn beat(&self) {
        let now = Utc::now().timestamp();
        self.0.store(now, Ordering::Relaxed);
        metrics::gauge!("nhacviec_last_tick_timestamp_seconds").set(now as f64);
    }

    fn age(&self) -> Option<i64> {
        let last = self.0.load(Ordering::Relaxed);
        (last > 0).then(|| Utc::now().timestamp() - last)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot listen on {address}: {source}")]
    Bind { address: SocketAddr, source: std::io::Error },
    #[error("cannot set up the metrics: {0}")]
    Metrics(String),
    #[error("cannot load the pages' templates: {0}")]
    Pages(String),
}

/// What the server shares with the daemon.
pub struct HttpContext {
    pub store: Store,
    /// The running settings; a reload sends new ones.
    pub settings: tokio::sync::watch::Receiver<Arc<Settings>>,
    pub heartbeat: Arc<Heartbeat>,
    /// A loop silent longer than this is not ready.
    pub stale_after: Duration,
    /// Notified after every change, so that the loop plans it at once.
    pub wake: Arc<tokio::sync::Notify>,
}

struct AppState {
    context: HttpContext,
    metrics: PrometheusHandle,
    pages: minijinja::Environment<'static>,
    /// Sign-in links asked for each address, limited.
    sign_in_limiter: pages::SignInLimiter,
}

impl AppState {
    /// The settings as they are now.
    fn settings(&self) -> Arc<Settings> {
        self.context.settings.borrow().clone()
    }

    fn store(&self) -> &Store {
        &self.context.store
    }

    /// Tells the daemon's loop that the store changed.
    fn changed(&self) {
        self.context.wake.notify_one();
    }
}

/// The process's metrics recorder, installed once.
fn metrics_handle() -> Result<PrometheusHandle, HttpError> {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Suffix("duration_seconds".into()),
            &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
        )
        .map_err(|e| HttpError::Metrics(e.to_string()))?
        .install_recorder()
        .map_err(|e| HttpError::Metrics(e.to_string()))?;
    // Descriptions go to the recorder installed: after it.
    describe_metrics();
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// The `# HELP` of every metric, with its unit where it has one.
fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("nhacviec_reminders_planned_total", "Reminders put in the outbox, by channel and rule");
    describe_counter!("nhacviec_reminders_sent_total", "Reminders delivered, by channel and rule");
    describe_counter!(
        "nhacviec_reminders_failed_total",
        "Delivery attempts that failed and will be retried, by channel and rule"
    );
    describe_counter!(
        "nhacviec_reminders_dead_total",
        "Reminders given up on (permanent failure or attempts spent), by channel and rule"
    );
    describe_counter!(
        "nhacviec_reminders_cancelled_total",
        "Reminders no longer wanted (task done, deadline moved, acknowledged), by channel and rule"
    );
    describe_counter!("nhacviec_config_reloads_total", "Config reloads on SIGHUP, by result (ok, refused)");
    describe_gauge!("nhacviec_outbox_pending", "Reminders waiting in the outbox");
    describe_gauge!(
        "nhacviec_outbox_oldest_pending_age_seconds",
        Unit::Seconds,
        "Age of the oldest reminder waiting in the outbox"
    );
    describe_gauge!(
        "nhacviec_last_tick_timestamp_seconds",
        Unit::Seconds,
        "When the scheduler loop last turned, in Unix seconds"
    );
    describe_histogram!(
        "nhacviec_delivery_duration_seconds",
        Unit::Seconds,
        "Time to deliver one message, by channel"
    );
}

/// Binds `address` and serves until `shutdown`. The body limit is read once, here.
pub async fn serve(
    address: SocketAddr,
    context: HttpContext,
    mut shutdown: Shutdown,
) -> Result<tokio::task::JoinHandle<()>, HttpError> {
    let metrics = metrics_handle()?;
    crate::dispatch::expose_counters(&context.settings.borrow());
    let body_limit = context.settings.borrow().http.body_limit;
    let mut pages = acknowledge::pages().map_err(|e| HttpError::Pages(e.to_string()))?;
    pages::add_templates(&mut pages).map_err(|e| HttpError::Pages(e.to_string()))?;
    let state =
        Arc::new(AppState { context, metrics, pages, sign_in_limiter: pages::SignInLimiter::default() });
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(render_metrics))
        .merge(api::routes())
        .merge(acknowledge::routes().layer(axum::middleware::map_response(pages::secure_headers)))
        .merge(calendar::routes())
        .merge(pages::routes())
        .method_not_allowed_fallback(|| async {
            problem::Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                "this path does not take this method: see /api/v1/openapi.json",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .with_state(state);
    let listener =
        tokio::net::TcpListener::bind(address).await.map_err(|source| HttpError::Bind { address, source })?;
    tracing::info!(%address, "HTTP listening");
    Ok(tokio::spawn(async move {
        let stopped = async move { shutdown.recv().await };
        if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
            tracing::error!(%error, "HTTP server stopped");
        }
    }))
}

/// How long `/readyz` waits for the store to answer.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Ready: the store answers and the loop turned recently.
async fn ready(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    // A store that does not answer within a few seconds is down, for a probe.
    match tokio::time::timeout(PING_TIMEOUT, state.store().ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return (StatusCode::SERVICE_UNAVAILABLE, format!("store unreachable: {error}\n")),
        Err(_) => {
            let waited = PING_TIMEOUT.as_secs();
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("store unreachable: no answer in {waited} s\n"),
            );
        }
    }
    match state.context.heartbeat.age() {
        None => (StatusCode::SERVICE_UNAVAILABLE, "starting: no tick yet\n".to_owned()),
        Some(age) if age > state.context.stale_after.as_secs() as i64 => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("scheduler loop silent for {age} s\n"))
        }
        // A failing source is reported, not a reason to stop sending reminders.
        Some(_) => (StatusCode::OK, format!("ready\n{}", failing_sources(&state).await)),
    }
}

/// A line for each configured source whose last polls failed.
async fn failing_sources(state: &AppState) -> String {
    let mut lines = String::new();
    for source in &state.settings().sources {
        // Without the error, which may name hosts and users: `nhacviec sources` shows it.
        if let Ok(known) = state.store().source_state(&source.name).await
            && known.failures > 0
        {
            lines.push_str(&format!("source {}: failing ({} polls in a row)\n", known.name, known.failures));
        }
    }
    lines
}

async fn render_metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    // The outbox's depth and its oldest waiting reminder, read now.
    if let Ok((pending, oldest)) = state.store().pending_stats().await {
        metrics::gauge!("nhacviec_outbox_pending").set(pending as f64);
        let age = oldest.map_or(0, |at| (Utc::now() - at).num_seconds().max(0));
        metrics::gauge!("nhacviec_outbox_oldest_pending_age_seconds").set(age as f64);
    }
    ([("content-type", "text/plain; version=0.0.4")], state.metrics.render())
}
