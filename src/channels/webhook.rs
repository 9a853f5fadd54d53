//! Channels that POST to an HTTP service: the chat presets and the generic JSON webhook.
//! Every request carries the reminder's key in `Idempotency-Key`; a generic webhook's body
//! is signed with HMAC-SHA256 when a secret is set.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::{Outgoing, SendError, presets};
use crate::config::{Preset, WebhookSettings};
use crate::message::Facts;

pub struct WebhookChannel {
    client: reqwest::Client,
    preset: Preset,
    url: reqwest::Url,
    secret: Option<SecretString>,
    signature_header: HeaderName,
    template: String,
    bot_token: Option<SecretString>,
    chat_id: Option<String>,
}

/// What a generic webhook's template sees as `reminder`: the rendered text for people, the
/// facts (with the key) for programs.
#[derive(Serialize)]
struct WebhookReminder<'a> {
    subject: &'a str,
    text: &'a str,
    #[serde(flatten)]
    facts: Facts<'a>,
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`, as the signature header says.
pub fn signature(secret: &str, body: &[u8]) -> Result<String, SendError> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
        .map_err(|e| SendError::permanent(format!("cannot sign with the webhook secret: {e}")))?;
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    Ok(format!("sha256={}", hex::encode(digest)))
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
        let signature_header = HeaderName::from_bytes(settings.signature_header.as_bytes())
            .map_err(|e| format!("signature_header '{}': {e}", settings.signature_header))?;
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(256)
            .user_agent(concat!("nhacviec/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            preset: settings.preset,
            url: settings.url.clone(),
            secret: settings.secret.clone(),
            signature_header,
            template: settings.template.clone(),
            bot_token: settings.bot_token.clone(),
            chat_id: settings.chat_id.clone(),
        })
    }

    /// Where to POST, and how to name it in messages (a Telegram URL holds the bot token).
    fn target(
        &self,
        channel_name: &str,
        outgoing: &Outgoing<'_>,
    ) -> Result<(reqwest::Url, String), SendError> {
        if self.preset == Preset::Telegram {
            let token = self.bot_token.as_ref().map(|t| t.expose_secret().to_owned()).unwrap_or_default();
            let base = self.url.as_str().trim_end_matches('/');
            let url = reqwest::Url::parse(&format!("{base}/bot{token}/sendMessage"))
                .map_err(|e| SendError::permanent(format!("telegram api_url: {e}")))?;
            return Ok((url, format!("{base}/bot…/sendMessage")));
        }
        let url = outgoing.department.webhooks.get(channel_name).unwrap_or(&self.url).clone();
        let shown = redacted(&url);
        Ok((url, shown))
    }

    fn body(&self, channel_name: &str, outgoing: &Outgoing<'_>) -> Result<Vec<u8>, SendError> {
        let value = match self.preset {
            Preset::Webhook => {
                let reminder = WebhookReminder {
                    subject: &outgoing.message.subject,
                    text: &outgoing.message.text,
                    facts: outgoing.facts,
                };
                let body = outgoing
                    .renderer
                    .render_webhook(&self.template, &reminder)
                    .map_err(|e| SendError::permanent(e.to_string()))?;
                return Ok(body.into_bytes());
            }
            Preset::Telegram => {
                let chat_id = outgoing.department.chat_ids.get(channel_name).or(self.chat_id.as_ref());
                let chat_id = chat_id.ok_or_else(|| {
                    SendError::permanent(format!(
                        "department '{}' has no telegram chat_id",
                        outgoing.department.code
                    ))
                })?;
                presets::payload(self.preset, outgoing.message, Some(chat_id))
            }
            preset => presets::payload(preset, outgoing.message, None),
        };
        serde_json::to_vec(&value)
            .map_err(|e| SendError::permanent(format!("cannot encode the message: {e}")))
    }

    /// The request `send` would make: its URL (a Telegram token hidden) and pretty JSON body.
    pub fn preview(&self, channel_name: &str, outgoing: &Outgoing<'_>) -> Result<String, SendError> {
        let (_, shown) = self.target(channel_name, outgoing)?;
        let body = self.body(channel_name, outgoing)?;
        let pretty = serde_json::from_slice::<serde_json::Value>(&body)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
        Ok(format!("POST {shown}\nIdempotency-Key: {}\n\n{pretty}\n", outgoing.key))
    }

    pub async fn send(&self, channel_name: &str, outgoing: &Outgoing<'_>) -> Result<(), SendError> {
        let (url, shown) = self.target(channel_name, outgoing)?;
        let body = self.body(channel_name, outgoing)?;
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", outgoing.key);
        if let Some(secret) = &self.secret {
            request =
                request.header(self.signature_header.clone(), signature(secret.expose_secret(), &body)?);
        }
        let response =
            request.body(body).send().await.map_err(|e| {
                SendError::transient(format!("POST {shown}: {}", error_chain(&e.without_url())))
            })?;
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(seconds);
        let text = response.text().await.unwrap_or_default();
        if status.is_success() && !(self.preset == Preset::Telegram && telegram_refused(&text)) {
            return Ok(());
        }
        // Telegram says how long to wait in its JSON answer rather than a header.
        let retry_after = retry_after.or_else(|| telegram_retry_after(&text));
        let answer: String = text.chars().take(300).collect();
        let message = format!("POST {shown}: HTTP {status}: {answer}");
        let transient = status.is_server_error()
            || matches!(status, StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS)
            || retry_after.is_some();
        Err(SendError { message, permanent: !transient, retry_after })
    }
}

/// A webhook URL as logs and errors show it: its path and query often hold the secret
/// (Slack's `/services/T…/B…/X…`, Teams' `sig=`), so only the host is kept.
fn redacted(url: &reqwest::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}/…", url.scheme(), url.host_str().unwrap_or("?"))
}

/// A `Retry-After` of seconds, whole or decimal (Discord sends "1.5").
fn seconds(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// `{"ok": false, …}` with a 200 is still a refusal.
fn telegram_refused(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["ok"] == false)
}

/// `{"ok": false, "error_code": 429, "parameters": {"retry_after": 5}}`.
fn telegram_retry_after(text: &str) -> Option<Duration> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value["parameters"]["retry_after"].as_f64().and_then(|s| seconds(&s.to_string()))
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
