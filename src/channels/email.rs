//! Email over SMTP with lettre: a pool of open connections, plain, STARTTLS or implicit TLS,
//! with authentication.
//!
//! The pool is ours rather than lettre's because lettre leaves Nagle's algorithm on: it
//! writes a message and its final "." separately, and the second write then waits for the
//! server's delayed ACK (about 40 ms per message per connection). Our plain and STARTTLS
//! connections are opened on sockets with TCP_NODELAY and handed to lettre's SMTP client.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use secrecy::ExposeSecret;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::{Outgoing, SendError};
use crate::config::{SmtpSettings, TlsMode};

/// A connection unused this long may have been closed by the server: it is not reused.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

pub struct EmailChannel {
    host: String,
    port: u16,
    tls: TlsMode,
    tls_parameters: Option<TlsParameters>,
    credentials: Option<Credentials>,
    timeout: Duration,
    client_id: ClientId,
    from: Mailbox,
    /// The domain of Message-IDs: the sender's.
    domain: String,
    /// The zone of the `Date` header.
    timezone: Tz,
    /// Open connections not in use, with when each was last used.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// At most `pool_size` connections at once.
    slots: Semaphore,
}

impl EmailChannel {
    pub fn new(settings: &SmtpSettings, timezone: Tz) -> Result<Self, String> {
        let tls_parameters = match settings.tls {
            TlsMode::None => None,
            TlsMode::StartTls | TlsMode::Tls => Some(
                TlsParameters::new(settings.host.clone())
                    .map_err(|e| format!("cannot set up TLS to {}: {e}", settings.host))?,
            ),
        };
        let credentials = settings
            .credentials
            .as_ref()
            .map(|(user, password)| Credentials::new(user.clone(), password.expose_secret().to_owned()));
        Ok(Self {
            host: settings.host.clone(),
            port: settings.port,
            tls: settings.tls,
            tls_parameters,
            credentials,
            timeout: settings.timeout,
            client_id: ClientId::default(),
            from: settings.from.clone(),
            domain: settings.from.email.domain().to_owned(),
            timezone,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(settings.pool_size as usize),
        })
    }

    /// The email for an outgoing reminder: its Message-ID is the outbox key, so that a
    /// repeat after a crash can be recognised by the receiving side.
    pub fn build(&self, outgoing: &Outgoing<'_>) -> Result<Message, SendError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(outgoing.message.subject.clone())
            .message_id(Some(format!("<{}@{}>", outgoing.key, self.domain)));
        if outgoing.department.emails.is_empty() {
            return Err(SendError::permanent(format!(
                "department '{}' has no email address",
                outgoing.department.code
            )));
        }
        for address in &outgoing.department.emails {
            let mailbox = address
                .parse::<Mailbox>()
                .map_err(|e| SendError::permanent(format!("'{address}' is not an email address: {e}")))?;
            builder = builder.to(mailbox);
        }
        let body =
            MultiPart::alternative_plain_html(outgoing.message.text.clone(), outgoing.message.html.clone());
        builder.multipart(body).map_err(|e| SendError::permanent(format!("cannot build the email: {e}")))
    }

    /// The email as sent: lettre's bytes with the `Date` header in the configured zone
    /// (lettre writes UTC).
    pub fn formatted(&self, email: &Message) -> Vec<u8> {
        let date = chrono::Utc::now().with_timezone(&self.timezone).to_rfc2822();
        with_date(email.formatted(), &date)
    }

    pub async fn send(&self, outgoing: &Outgoing<'_>) -> Result<(), SendError> {
        let email = self.build(outgoing)?;
        let envelope = email.envelope().clone();
        let bytes = self.formatted(&email);
        let _slot =
            self.slots.acquire().await.map_err(|_| SendError::transient("the SMTP pool is closed"))?;

        // A pooled connection first. If the network failed under it (the server closed it
        // while idle), the message goes out once more on a fresh one.
        if let Some(mut connection) = self.take_idle() {
            match self.transmit(&mut connection, &envelope, &bytes).await {
                Ok(()) => {
                    self.put_idle(connection);
                    return Ok(());
                }
                Err(Failure::Answered(error)) => return Err(error),
                Err(Failure::Network(_)) => {}
            }
        }
        let mut connection = self.connect().await?;
        match self.transmit(&mut connection, &envelope, &bytes).await {
            Ok(()) => {
                self.put_idle(connection);
                Ok(())
            }
            Err(Failure::Answered(error) | Failure::Network(error)) => Err(error),
        }
    }

    async fn transmit(
        &self,
        connection: &mut AsyncSmtpConnection,
        envelope: &lettre::address::Envelope,
        bytes: &[u8],
    ) -> Result<(), Failure> {
        match tokio::time::timeout(self.timeout, connection.send(envelope, bytes)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_permanent() => {
                Err(Failure::Answered(SendError::permanent(format!("SMTP server refused: {e}"))))
            }
            Ok(Err(e)) if e.is_transient() => {
                Err(Failure::Answered(SendError::transient(format!("SMTP server deferred: {e}"))))
            }
            Ok(Err(e)) => Err(Failure::Network(SendError::transient(format!("SMTP: {e}")))),
            Err(_) => Err(Failure::Network(SendError::transient(format!(
                "SMTP: no answer from {}:{} within {:?}",
                self.host, self.port, self.timeout
            )))),
        }
    }

    /// Opens, greets, secures and authenticates a connection.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let address = format!("{}:{}", self.host, self.port);
        let timed_out =
            || SendError::transient(format!("SMTP: cannot connect to {address} within {:?}", self.timeout));
        let refused = |e: &dyn std::fmt::Display| {
            SendError::transient(format!("SMTP: cannot connect to {address}: {e}"))
        };
        let opening = async {
            let mut connection = match (&self.tls, &self.tls_parameters) {
                (TlsMode::Tls, Some(parameters)) => AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &self.client_id,
                    Some(parameters.clone()),
                    None,
                )
                .await
                .map_err(|e| refused(&e))?,
                _ => {
                    let stream =
                        TcpStream::connect((self.host.as_str(), self.port)).await.map_err(|e| refused(&e))?;
                    stream.set_nodelay(true).map_err(|e| refused(&e))?;
                    let mut connection =
                        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.client_id)
                            .await
                            .map_err(|e| refused(&e))?;
                    if let (TlsMode::StartTls, Some(parameters)) = (&self.tls, &self.tls_parameters) {
                        connection.starttls(parameters.clone(), &self.client_id).await.map_err(|e| {
                            SendError::transient(format!("SMTP: STARTTLS with {address} failed: {e}"))
                        })?;
                    }
                    connection
                }
            };
            if let Some(credentials) = &self.credentials {
                connection.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await.map_err(|e| {
                    // A refused login is a config problem: retrying cannot fix it.
                    let message = format!("SMTP: {address} refused the login: {e}");
                    if e.is_permanent() {
                        SendError::permanent(message)
                    } else {
                        SendError::transient(message)
                    }
                })?;
            }
            Ok(connection)
        };
        tokio::time::timeout(self.timeout, opening).await.map_err(|_| timed_out())?
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while let Some((connection, last_used)) = idle.pop() {
            if last_used.elapsed() < IDLE_LIMIT {
                return Some(connection);
            }
        }
        None
    }

    fn put_idle(&self, connection: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        idle.push((connection, Instant::now()));
    }
}

/// `message` with its top-level `Date` header's value replaced by `date`.
fn with_date(message: Vec<u8>, date: &str) -> Vec<u8> {
    let head_end = message.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(message.len());
    let head = &message[..head_end];
    let start = if head.starts_with(b"Date: ") {
        Some(0)
    } else {
        head.windows(8).position(|w| w == b"\r\nDate: ").map(|at| at + 2)
    };
    let Some(start) = start else { return message };
    let value_start = start + b"Date: ".len();
    let value_end =
        head[value_start..].windows(2).position(|w| w == b"\r\n").map_or(head_end, |at| value_start + at);
    let mut out = Vec::with_capacity(message.len() + 8);
    out.extend_from_slice(&message[..value_start]);
    out.extend_from_slice(date.as_bytes());
    out.extend_from_slice(&message[value_end..]);
    out
}

/// Why a transmission failed: the server answered (the connection is not reused), or the
/// network failed (a pooled connection may simply have been closed).
enum Failure {
    Answered(SendError),
    Network(SendError),
}

#[cfg(test)]
mod tests {
    use super::with_date;

    #[test]
    fn replaces_only_the_top_level_date() {
        let message =
            b"From: a@b\r\nDate: Sat, 28 Nov 2026 11:30:23 +0000\r\nSubject: x\r\n\r\nDate: in the body\r\n"
                .to_vec();
        let out = with_date(message, "Sat, 28 Nov 2026 18:30:23 +0700");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "From: a@b\r\nDate: Sat, 28 Nov 2026 18:30:23 +0700\r\nSubject: x\r\n\r\nDate: in the body\r\n"
        );
        assert_eq!(with_date(b"Subject: x\r\n\r\nbody".to_vec(), "d"), b"Subject: x\r\n\r\nbody".to_vec());
    }
}
