//! The JSON each chat service documents for an incoming message, built from a rendered
//! reminder and cut to the service's size limits. Pure: no I/O.
//!
//! - Slack incoming webhook: `text` (fallback) and `blocks` (a header of at most 150
//!   characters, a `mrkdwn` section of at most 3,000), with `&`, `<`, `>` escaped.
//! - Microsoft Teams Workflows: a `message` with one Adaptive Card attachment (1.4).
//! - Google Chat incoming webhook: `text`, at most 4,096 characters.
//! - Discord webhook: one embed (title at most 256, description at most 4,096 characters),
//!   no mentions.
//! - Mattermost incoming webhook: `text` in Markdown, at most 16,383 characters.
//! - Telegram Bot API `sendMessage`: `chat_id` and `text`, at most 4,096 characters.

use serde_json::{Value, json};

use crate::config::Preset;
use crate::message::Message;

/// Appended where a message had to be cut to fit.
const CUT_NOTE: &str = "\n… (nội dung dài, đã rút gọn; xem đầy đủ trong thư điện tử)";

/// `text` in at most `max` characters, cut at a line or word and marked when it was longer.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(CUT_NOTE.chars().count());
    let head: String = text.chars().take(room).collect();
    let cut = head.rfind('\n').or_else(|| head.rfind(' ')).filter(|at| *at > room / 2).unwrap_or(head.len());
    format!("{}{CUT_NOTE}", head[..cut].trim_end())
}

/// Slack's `mrkdwn` treats these three as control characters.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The body a preset posts for a message; `chat_id` only for Telegram.
pub fn payload(preset: Preset, message: &Message, chat_id: Option<&str>) -> Value {
    let subject = message.subject.as_str();
    let text = message.text.trim_end();
    match preset {
        Preset::Slack => json!({
            "text": fit(&slack_escape(&format!("{subject}\n\n{text}")), 40_000),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": fit(subject, 150), "emoji": false}},
                {"type": "section", "text": {"type": "mrkdwn", "text": fit(&slack_escape(text), 3_000)}},
            ],
        }),
        Preset::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": fit(subject, 500), "weight": "Bolder", "size": "Medium", "wrap": true},
                        {"type": "TextBlock", "text": fit(text, 20_000), "wrap": true},
                    ],
                },
            }],
        }),
        Preset::GoogleChat => json!({ "text": fit(&format!("*{subject}*\n\n{text}"), 4_096) }),
        Preset::Discord => json!({
            "embeds": [{ "title": fit(subject, 256), "description": fit(text, 4_096) }],
            "allowed_mentions": { "parse": [] },
        }),
        Preset::Mattermost => json!({ "text": fit(&format!("#### {subject}\n\n{text}"), 16_383) }),
        Preset::Telegram => json!({
            "chat_id": chat_id,
            "text": fit(&format!("{subject}\n\n{text}"), 4_096),
            "disable_web_page_preview": true,
        }),
        // The generic webhook's body comes from its template, not from here.
        Preset::Webhook => json!({ "subject": subject, "text": text }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Message {
        Message {
            subject: "[Nhắc việc] Còn 7 ngày: Đề án <A&B>".into(),
            text: text.into(),
            html: String::new(),
        }
    }

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(fit("Kính gửi: Sở Nội vụ", 100), "Kính gửi: Sở Nội vụ");
    }

    #[test]
    fn long_text_is_cut_with_a_note_within_the_limit() {
        let text = "Nhiệm vụ số một.\n".repeat(400);
        for max in [150, 2_000, 4_096] {
            let cut = fit(&text, max);
            assert!(cut.chars().count() <= max, "{max}: {}", cut.chars().count());
            assert!(cut.ends_with(CUT_NOTE));
            assert!(cut.trim_end_matches(CUT_NOTE).ends_with("Nhiệm vụ số một."));
        }
    }

    #[test]
    fn every_preset_respects_its_limits() {
        let long = message(&"Rà soát, tổng hợp số lượng, chất lượng đội ngũ giáo viên. ".repeat(2_000));
        let count = |v: &Value| v.as_str().unwrap().chars().count();
        let slack = payload(Preset::Slack, &long, None);
        assert!(count(&slack["blocks"][1]["text"]["text"]) <= 3_000);
        assert!(count(&slack["text"]) <= 40_000);
        assert!(count(&payload(Preset::GoogleChat, &long, None)["text"]) <= 4_096);
        assert!(count(&payload(Preset::Discord, &long, None)["embeds"][0]["description"]) <= 4_096);
        assert!(count(&payload(Preset::Mattermost, &long, None)["text"]) <= 16_383);
        assert!(count(&payload(Preset::Telegram, &long, Some("-1001"))["text"]) <= 4_096);
        let teams = payload(Preset::Teams, &long, None);
        assert!(serde_json::to_string(&teams).unwrap().len() < 28 * 1024 * 2);
    }

    #[test]
    fn slack_text_is_escaped() {
        let slack = payload(Preset::Slack, &message("a < b & c > d"), None);
        assert_eq!(slack["blocks"][1]["text"]["text"], "a &lt; b &amp; c &gt; d");
        assert_eq!(slack["blocks"][0]["text"]["text"], "[Nhắc việc] Còn 7 ngày: Đề án <A&B>");
    }
}
