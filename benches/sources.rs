//! What following a JSON feed costs, and what its cursor saves: a feed of 10,000 tasks
//! served on loopback, polled whole (every task made), polled again unchanged (a 304),
//! then after one task changed: once with the cursor (the feed sends only what changed
//! since) and once as a feed without cursor or ETag sends it (all 10,000 read, compared by
//! their hashes, one applied). The incremental poll's cost is printed next to the full
//! one's. The config is the shipped defaults with one department and the source.
//!
//! `cargo bench --bench sources` (`NHACVIEC_BENCH_ITEMS` changes the 10,000)

use std::convert::Infallible;
use std::net::TcpListener as StdListener;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use nhacviec::config::Settings;
use nhacviec::sources;
use nhacviec::store::Store;
use serde_json::{Value, json};

/// Items a page carries.
const PAGE: usize = 1000;

/// The feed: its items (each with its `updated_at`), its version for the ETag, and what it
/// has sent.
struct Feed {
    items: Mutex<Vec<Value>>,
    version: AtomicU64,
    items_sent: AtomicU64,
    bytes_sent: AtomicU64,
}

fn item(n: usize, deadline: &str, updated: u64) -> Value {
    json!({
        "id": format!("NV-{n}"),
        "van_ban": {"id": format!("VB-{}", n / 10), "so": format!("{}/TB-UBND", n / 10), "trich_yeu": "Kết luận", "co_quan": "UBND tỉnh", "ngay": "2026-03-09"},
        "noi_dung": format!("Nhiệm vụ số {n}: rà soát, báo cáo kết quả thực hiện"),
        "chu_tri": "snv",
        "han": deadline,
        "cap_nhat": updated,
    })
}

/// `GET /tasks?since=N&page=P` (the items updated after N, a page at a time, with an
/// ETag), and `GET /full?page=P` (every item, no ETag, as a feed without either).
fn answer(feed: &Feed, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let query: Vec<(String, String)> =
        form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    let get = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let incremental = request.uri().path() == "/tasks";
    let etag = format!("\"v{}\"", feed.version.load(Ordering::Relaxed));
    if incremental && request.headers().get("if-none-match").is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    let since: u64 = if incremental { get("since").parse().unwrap_or(0) } else { 0 };
    let page: usize = get("page").parse().unwrap_or(0);
    let items = feed.items.lock().map(|items| items.clone()).unwrap_or_default();
    let chosen: Vec<&Value> = items.iter().filter(|i| i["cap_nhat"].as_u64().unwrap_or(0) > since).collect();
    let slice: Vec<&Value> = chosen.iter().skip(page * PAGE).take(PAGE).copied().collect();
    let next = (chosen.len() > (page + 1) * PAGE)
        .then(|| format!("{}?since={since}&page={}", request.uri().path(), page + 1));
    let body = serde_json::to_vec(&json!({"data": slice, "next": next})).unwrap_or_default();
    feed.items_sent.fetch_add(slice.len() as u64, Ordering::Relaxed);
    feed.bytes_sent.fetch_add(body.len() as u64, Ordering::Relaxed);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    if incremental && let Ok(value) = etag.parse() {
        response.headers_mut().insert("etag", value);
    }
    response
}

fn serve(feed: Arc<Feed>) -> std::io::Result<u16> {
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let feed = feed.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let response = answer(&feed, &request);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
    });
    Ok(port)
}

fn config(port: u16, store: &str) -> String {
    format!(
        r#"
[store]
url = "sqlite://{store}"
[[departments]]
code = "snv"
name = "Sở Nội vụ"
emails = ["vanthu@snv.example"]
channels = ["email"]
[channels.email]
kind = "smtp"
host = "127.0.0.1"
port = 9
from = "Nhắc việc <nhacviec@example>"
{source}
{full}
"#,
        source = source("eoffice", &format!("http://127.0.0.1:{port}/tasks?since={{cursor}}")),
        full = source("eoffice-full", &format!("http://127.0.0.1:{port}/full")),
    )
}

fn source(name: &str, url: &str) -> String {
    format!(
        r#"
[[sources]]
name = "{name}"
kind = "http"
url = "{url}"
mode = "auto"
[sources.map]
items = "/data"
next = "/next"
id = "/id"
directive_id = "/van_ban/id"
directive_number = "/van_ban/so"
directive_title = "/van_ban/trich_yeu"
directive_issuer = "/van_ban/co_quan"
directive_date = "/van_ban/ngay"
summary = "/noi_dung"
lead = "/chu_tri"
deadline = "/han"
updated_at = "/cap_nhat"
"#
    )
}

struct Figure {
    what: &'static str,
    time: Duration,
    items_sent: u64,
    bytes_sent: u64,
    report: sources::PollReport,
}

async fn poll(
    store: &Store,
    settings: &Arc<Settings>,
    name: &str,
    feed: &Feed,
    what: &'static str,
) -> Result<Figure, String> {
    let source = settings.sources.iter().find(|s| s.name == name).ok_or("no such source")?;
    let (items, bytes) = (feed.items_sent.load(Ordering::Relaxed), feed.bytes_sent.load(Ordering::Relaxed));
    let start = Instant::now();
    let report = sources::poll(store, settings, source).await.map_err(|e| e.to_string())?;
    Ok(Figure {
        what,
        time: start.elapsed(),
        items_sent: feed.items_sent.load(Ordering::Relaxed) - items,
        bytes_sent: feed.bytes_sent.load(Ordering::Relaxed) - bytes,
        report,
    })
}

async fn run() -> Result<(), String> {
    let count: usize =
        std::env::var("NHACVIEC_BENCH_ITEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let feed = Arc::new(Feed {
        items: Mutex::new((0..count).map(|n| item(n, "2099-11-30", 1 + n as u64)).collect()),
        version: AtomicU64::new(1),
        items_sent: AtomicU64::new(0),
        bytes_sent: AtomicU64::new(0),
    });
    let port = serve(feed.clone()).map_err(|e| e.to_string())?;
    let store_path = dir.path().join("bench.db");
    let settings = Settings::from_toml(&config(port, &store_path.display().to_string()), "bench", &[])
        .map_err(|e| e.to_string())?;
    let settings = Arc::new(settings);
    let store = Store::open(&settings.store.url).await.map_err(|e| e.to_string())?;
    let mut figures = vec![poll(&store, &settings, "eoffice", &feed, "first poll: every task made").await?];
    figures.push(poll(&store, &settings, "eoffice", &feed, "unchanged: 304").await?);
    // The whole feed read by the source without cursor or ETag, once to make its tasks.
    figures.push(
        poll(&store, &settings, "eoffice-full", &feed, "first poll, no cursor: every task made").await?,
    );
    // One task extended at the source.
    let changed = count / 2;
    if let Ok(mut items) = feed.items.lock() {
        items[changed] = item(changed, "2099-12-31", 1 + count as u64);
    }
    feed.version.fetch_add(1, Ordering::Relaxed);
    let incremental = poll(&store, &settings, "eoffice", &feed, "one changed, with the cursor").await?;
    let full = poll(&store, &settings, "eoffice-full", &feed, "one changed, no cursor: all read").await?;
    if incremental.report.updated != 1 || full.report.updated != 1 {
        return Err(format!("expected one update each, got {:?} and {:?}", incremental.report, full.report));
    }
    let ratio = full.time.as_secs_f64() / incremental.time.as_secs_f64().max(1e-9);
    figures.push(incremental);
    figures.push(full);
    println!("| poll | time | items sent | bytes sent | made | updated |");
    println!("|---|---:|---:|---:|---:|---:|");
    for f in &figures {
        println!(
            "| {} | {:.1} ms | {} | {} | {} | {} |",
            f.what,
            f.time.as_secs_f64() * 1000.0,
            f.items_sent,
            f.bytes_sent,
            f.report.imported,
            f.report.updated
        );
    }
    println!("the incremental poll of one change costs 1/{ratio:.0} of the full one ({count} tasks)");
    Ok(())
}

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
