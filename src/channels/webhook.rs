//! The generic JSON webhook: one POST per reminder, with an `Idempotency-Key` header.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde::Serialize;

use super::{Outgoing, SendError};
use crate::config::WebhookSettings;
use crate::message::ReminderFacts;

pub struct WebhookChannel {
    client: reqwest::Client,
    url: reqwest::Url,
}

/// The JSON body: the rendered text for people, the facts for programs.
#[derive(Serialize)]
struct Body<'a> {
    key: &'a str,
    subject: &'a str,
    text: &'a str,
    #[serde(flatten)]
    facts: &'a ReminderFacts,
}

impl WebhookChannel {
    pub fn new(settings: &WebhookSettings) -> Result<Self, String> {
        let mut headers = HeaderMap::new();
        for (name, value) in &settings.headers {
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("header '{name}': {e}"))?;
            let value = HeaderValue::from_str(value).map_err(|e| format!("header '{name}': {e}"))?;
            headers.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(256)
            .user_agent(concat!("nhacviec/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, url: settings.url.clone() })
    }

    pub async fn send(&self, channel_name: &str, outgoing: &Outgoing<'_>) -> Result<(), SendError> {
        let url = outgoing.department.webhooks.get(channel_name).unwrap_or(&self.url);
        let body = Body {
            key: outgoing.key,
            subject: &outgoing.message.subject,
            text: &outgoing.message.text,
            facts: outgoing.facts,
        };
        let response = self
            .client
            .post(url.clone())
            .header("Idempotency-Key", outgoing.key)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::transient(format!("POST {url}: {}", error_chain(&e))))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.text().await.unwrap_or_default();
        let answer: String = text.chars().take(300).collect();
        let message = format!("POST {url}: HTTP {status}: {answer}");
        let transient = status.is_server_error()
            || matches!(status, StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS);
        Err(SendError { message, permanent: !transient, retry_after })
    }
}

/// The error with its causes, as reqwest hides the useful part (connection refused) in them.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
