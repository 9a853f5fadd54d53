//! The wires a reminder leaves on: email over SMTP and JSON webhooks over HTTP.
//!
//! A channel takes a rendered message and one department and delivers it, saying whether
//! a failure is worth retrying. It must not read the store or decide what to send.

mod email;
pub mod presets;
mod webhook;

use std::collections::BTreeMap;
use std::time::Duration;

pub use email::EmailChannel;
pub use webhook::{WebhookChannel, signature};

use crate::config::{ChannelSettings, Department, Settings};
use crate::message::{Facts, Message, Renderer};

/// Why a send failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    /// The peer refused for good (SMTP 5xx, HTTP 4xx): retrying cannot help.
    pub permanent: bool,
    /// The peer asked to wait this long before trying again.
    pub retry_after: Option<Duration>,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self { message: message.into(), permanent: false, retry_after: None }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self { message: message.into(), permanent: true, retry_after: None }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("channel '{name}': {message}")]
pub struct ChannelBuildError {
    pub name: String,
    pub message: String,
}

/// One reminder on its way to one department.
pub struct Outgoing<'a> {
    pub key: &'a str,
    pub department: &'a Department,
    pub message: &'a Message,
    /// What the message says, for a generic webhook's body.
    pub facts: Facts<'a>,
    /// For bodies rendered at the channel: a generic webhook's template.
    pub renderer: &'a Renderer,
}

enum Kind {
    Email(EmailChannel),
    Webhook(WebhookChannel),
}

/// A configured channel, with its rate limit.
pub struct Channel {
    kind: Kind,
    /// At most so many sends per period (`rate_limit`); sends wait their turn.
    limiter: Option<governor::DefaultDirectRateLimiter>,
}

impl Channel {
    /// What `send` would put on the wire, as text: the MIME email, or the JSON body.
    pub fn preview(&self, channel_name: &str, outgoing: &Outgoing<'_>) -> Result<String, SendError> {
        match &self.kind {
            Kind::Email(email) => {
                let message = email.build(outgoing)?;
                Ok(String::from_utf8_lossy(&email.formatted(&message)).into_owned())
            }
            Kind::Webhook(webhook) => webhook.preview(channel_name, outgoing),
        }
    }

    pub async fn send(&self, channel_name: &str, outgoing: &Outgoing<'_>) -> Result<(), SendError> {
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        match &self.kind {
            Kind::Email(email) => email.send(outgoing).await,
            Kind::Webhook(webhook) => webhook.send(channel_name, outgoing).await,
        }
    }
}

/// Every configured channel, by name.
pub struct Channels {
    by_name: BTreeMap<String, Channel>,
}

impl Channels {
    pub fn from_settings(settings: &Settings) -> Result<Self, ChannelBuildError> {
        let mut by_name = BTreeMap::new();
        for (name, channel) in &settings.channels {
            let failed = |message| ChannelBuildError { name: name.clone(), message };
            let kind = match channel {
                ChannelSettings::Smtp(smtp) => {
                    Kind::Email(EmailChannel::new(smtp, settings.timezone).map_err(failed)?)
                }
                ChannelSettings::Webhook(webhook) => {
                    Kind::Webhook(WebhookChannel::new(webhook).map_err(failed)?)
                }
            };
            let limiter = settings.rate_limits.get(name).and_then(|rate| {
                governor::Quota::with_period(rate.per / rate.count.get())
                    .map(|quota| governor::RateLimiter::direct(quota.allow_burst(rate.count)))
            });
            let built = Channel { kind, limiter };
            by_name.insert(name.clone(), built);
        }
        Ok(Self { by_name })
    }

    pub fn get(&self, name: &str) -> Option<&Channel> {
        self.by_name.get(name)
    }
}
