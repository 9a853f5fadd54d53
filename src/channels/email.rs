//! Email over SMTP with lettre: pooled connections, plain, STARTTLS or implicit TLS.

use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use super::{Outgoing, SendError};
use crate::config::{SmtpSettings, TlsMode};

pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of Message-IDs: the sender's.
    domain: String,
}

impl EmailChannel {
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let builder = match settings.tls {
            TlsMode::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            TlsMode::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|e| format!("cannot set up STARTTLS to {}: {e}", settings.host))?
            }
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|e| format!("cannot set up TLS to {}: {e}", settings.host))?,
        };
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(settings.timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(settings.pool_size)
                    .idle_timeout(Duration::from_secs(60)),
            );
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        let domain = settings.from.email.domain().to_owned();
        Ok(Self {
            transport: builder.build(),
            from: settings.from.clone(),
            domain,
        })
    }

    /// The email for an outgoing reminder: its Message-ID is the outbox key, so that a
    /// repeat after a crash can be recognised by the receiving side.
    pub fn build(&self, outgoing: &Outgoing<'_>) -> Result<Message, SendError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(outgoing.message.subject.clone())
            .message_id(Some(format!("<{}@{}>", outgoing.key, self.domain)))
            .date(SystemTime::now())
            .header(ContentType::TEXT_PLAIN);
        if outgoing.department.emails.is_empty() {
            return Err(SendError::permanent(format!(
                "department '{}' has no email address",
                outgoing.department.code
            )));
        }
        for address in &outgoing.department.emails {
            let mailbox = address.parse::<Mailbox>().map_err(|e| {
                SendError::permanent(format!("'{address}' is not an email address: {e}"))
            })?;
            builder = builder.to(mailbox);
        }
        builder
            .body(outgoing.message.text.clone())
            .map_err(|e| SendError::permanent(format!("cannot build the email: {e}")))
    }

    pub async fn send(&self, outgoing: &Outgoing<'_>) -> Result<(), SendError> {
        let email = self.build(outgoing)?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => {
                Err(SendError::permanent(format!("SMTP server refused: {e}")))
            }
            Err(e) => Err(SendError::transient(format!("SMTP: {e}"))),
        }
    }
}
