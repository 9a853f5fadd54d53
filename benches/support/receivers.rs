//! The far ends of the channels, on loopback, each on its own thread and runtime so that
//! they do not share the dispatcher's scheduler: an HTTP receiver that answers 200 to
//! every POST, and an SMTP sink that accepts every message (like postfix's smtp-sink).
//! Both count what they received.

use std::convert::Infallible;
use std::future::Future;
use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};

/// Runs `serve` on a listener of its own, on a new thread with a single-threaded runtime.
/// The thread lives as long as the bench process.
fn spawn_server<F, Fut>(name: &str, serve: F) -> std::io::Result<u16>
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let thread_name = name.to_owned();
    std::thread::Builder::new().name(thread_name.clone()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => return eprintln!("{thread_name}: cannot start its runtime: {e}"),
        };
        runtime.block_on(async move {
            match TcpListener::from_std(listener) {
                Ok(listener) => serve(listener).await,
                Err(e) => eprintln!("{thread_name}: cannot listen: {e}"),
            }
        });
    })?;
    Ok(port)
}

/// Answers 200 with an empty body to every POST, after reading the whole request body.
pub struct HttpReceiver {
    pub port: u16,
    requests: Arc<AtomicU64>,
}

impl HttpReceiver {
    pub fn start() -> std::io::Result<Self> {
        let requests = Arc::new(AtomicU64::new(0));
        let counter = requests.clone();
        let port = spawn_server("http-receiver", move |listener| serve_http(listener, counter))?;
        Ok(Self { port, requests })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// POSTs answered 200 so far.
    pub fn count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

async fn serve_http(listener: TcpListener, requests: Arc<AtomicU64>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let requests = requests.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let requests = requests.clone();
                async move {
                    let post = request.method() == Method::POST;
                    let body = request.into_body().collect().await;
                    let mut response = Response::new(Empty::<Bytes>::new());
                    if post && body.is_ok() {
                        requests.fetch_add(1, Ordering::Relaxed);
                    } else {
                        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Speaks enough SMTP to take every message: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET,
/// NOOP, QUIT. Pipelined commands are answered in order, in one write.
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<AtomicU64>,
}

impl SmtpSink {
    pub fn start() -> std::io::Result<Self> {
        let messages = Arc::new(AtomicU64::new(0));
        let counter = messages.clone();
        let port = spawn_server("smtp-sink", move |listener| serve_smtp(listener, counter))?;
        Ok(Self { port, messages })
    }

    /// Messages accepted (250 after DATA) so far.
    pub fn count(&self) -> u64 {
        self.messages.load(Ordering::Relaxed)
    }
}

async fn serve_smtp(listener: TcpListener, messages: Arc<AtomicU64>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let messages = messages.clone();
        tokio::spawn(async move {
            let _ = smtp_session(stream, &messages).await;
        });
    }
}

const EHLO: &[u8] =
    b"250-sink.localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n";

async fn smtp_session(stream: TcpStream, messages: &AtomicU64) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, write) = stream.into_split();
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    let mut writer = BufWriter::with_capacity(16 * 1024, write);
    writer.write_all(b"220 sink.localhost ESMTP bench sink\r\n").await?;
    let mut line = Vec::with_capacity(1024);
    loop {
        if !next_line(&mut reader, &mut writer, &mut line).await? {
            return writer.flush().await;
        }
        let verb = line.get(..4).map(<[u8]>::to_ascii_uppercase).unwrap_or_default();
        match verb.as_slice() {
            b"EHLO" => writer.write_all(EHLO).await?,
            b"HELO" => writer.write_all(b"250 sink.localhost\r\n").await?,
            b"MAIL" | b"RCPT" | b"RSET" | b"NOOP" => writer.write_all(b"250 2.0.0 OK\r\n").await?,
            b"DATA" => {
                writer.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                loop {
                    if !next_line(&mut reader, &mut writer, &mut line).await? {
                        return writer.flush().await;
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                }
                messages.fetch_add(1, Ordering::Relaxed);
                writer.write_all(b"250 2.0.0 queued\r\n").await?;
            }
            b"QUIT" => {
                writer.write_all(b"221 2.0.0 Bye\r\n").await?;
                return writer.flush().await;
            }
            _ => writer.write_all(b"502 5.5.2 command not recognised\r\n").await?,
        }
    }
}

/// Reads one line into `line`; first sends the pending answers when the next read would
/// wait for the client. False at the end of the stream.
async fn next_line<R, W>(
    reader: &mut BufReader<R>,
    writer: &mut BufWriter<W>,
    line: &mut Vec<u8>,
) -> std::io::Result<bool>
where
    R: tokio::io::AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    if reader.buffer().is_empty() {
        writer.flush().await?;
    }
    line.clear();
    Ok(reader.read_until(b'\n', line).await? > 0)
}
