//! Each chat preset and the generic webhook against a real HTTP server on loopback: the
//! exact request the service documents, signatures, rate-limit answers.

use std::time::Duration;

use nhacviec::channels::{Channels, Outgoing, SendError};
use nhacviec::config::Settings;
use nhacviec::domain::DepartmentCode;
use nhacviec::message::{Facts, Renderer, sample_facts};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Settings with one channel of `kind` (extra keys in `channel`) used by department `snv`.
fn config_with(kind: &str, channel: &str, department_extra: &str) -> Settings {
    let text = format!(
        r#"
[channels.out]
kind = "{kind}"
{channel}
[[departments]]
code = "snv"
name = "Sở Nội vụ"
channels = ["out"]
{department_extra}
"#
    );
    Settings::from_toml(&text, "test.toml", &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Sends the sample reminder through channel `out` and returns the result.
async fn send(settings: &Settings, renderer: &Renderer) -> Result<(), SendError> {
    install_crypto();
    let channels = Channels::from_settings(settings).unwrap();
    let department = settings.departments.get(&DepartmentCode::parse("snv").unwrap()).unwrap();
    let mut facts = sample_facts("snv", "Sở Nội vụ");
    facts.key = "t1.snv.before-7d.20211123.d20211130.out".to_owned();
    let message = renderer.render(&facts).unwrap();
    let outgoing =
        Outgoing { key: &facts.key, department, message: &message, facts: Facts::Reminder(&facts), renderer };
    channels.get("out").unwrap().send("out", &outgoing).await
}

async fn only_request(server: &MockServer) -> Request {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.into_iter().next().unwrap()
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

fn expected_text() -> (String, String) {
    let mut facts = sample_facts("snv", "Sở Nội vụ");
    facts.key = "t1.snv.before-7d.20211123.d20211130.out".to_owned();
    let message = Renderer::new(None).unwrap().render(&facts).unwrap();
    (message.subject, message.text.trim_end().to_owned())
}

async fn server_answering(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(status)).mount(&server).await;
    server
}

fn assert_common_headers(request: &Request) {
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.headers.get("content-type").unwrap(), "application/json");
    assert_eq!(request.headers.get("idempotency-key").unwrap(), "t1.snv.before-7d.20211123.d20211130.out");
}

#[tokio::test]
async fn slack_gets_text_and_blocks() {
    let server = server_answering(200).await;
    let settings = config_with("slack", &format!("url = \"{}/services/T000/B000/XXXX\"", server.uri()), "");
    send(&settings, &Renderer::new(None).unwrap()).await.unwrap();
    let request = only_request(&server).await;
    assert_common_headers(&request);
    assert_eq!(request.url.path(), "/services/T000/B000/XXXX");
    let (subject, text) = expected_text();
    assert_eq!(
        json_body(&request),
        json!({
            "text": format!("{subject}\n\n{text}"),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": subject, "emoji": false}},
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            ],
        })
    );
}

#[tokio::test]
async fn teams_gets_an_adaptive_card() {
    let server = server_answering(202).await;
    let settings = config_with(
        "teams",
        &format!("url = \"{}/workflows/abc/triggers/manual/paths/invoke?sig=x\"", server.uri()),
        "",
    );
    send(&settings, &Renderer::new(None).unwrap()).await.unwrap();
    let request = only_request(&server).await;
    assert_common_headers(&request);
    assert_eq!(request.url.query(), Some("sig=x"));
    let (subject, text) = expected_text();
    assert_eq!(
        json_body(&request),
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": true},
                        {"type": "TextBlock", "text": text, "wrap": true},
                    ],
                },
            }],
        })
    );
}

#[tokio::test]
async fn google_chat_gets_text() {
    let server = server_answering(200).await;
    let url = format!("{}/v1/spaces/AAAA/messages?key=k&token=t", server.uri());
    let settings = config_with("google_chat", &format!("url = \"{url}\""), "");
    send(&settings, &Renderer::new(None).unwrap()).await.unwrap();
    let request = only_request(&server).await;
    assert_common_headers(&request);
    assert_eq!(request.url.path(), "/v1/spaces/AAAA/messages");
    let (subject, text) = expected_text();
    assert_eq!(json_body(&request), json!({ "text": format!("*{subject}*\n\n{text}") }));
}

#[tokio::test]
async fn discord_gets_an_embed_and_pings_nobody() {
    let server = server_answering(204).await;
    let settings = config_with("discord", &format!("url = \"{}/api/webhooks/1/abc\"", server.uri()), "");
    send(&settings, &Renderer::new(None).unwrap()).await.unwrap();
    let request = only_request(&server).await;
    assert_common_headers(&request);
    let (subject, text) = expected_text();
    assert_eq!(
        json_body(&request),
        json!({ "embeds": [{"title": subject, "description": text}], "allowed_mentions": {"parse": []} })
    );
}

#[tokio::test]
async fn mattermost_gets_markdown_text() {
    let server = server_answering(200).await;
    let settings = config_with("mattermost", &format!("url = \"{}/hooks/xxx\"", server.uri()), "");
    send(&settings, &Renderer::new(None).unwrap()).await.unwrap();
    let request = only_request(&server).await;
    assert_common_headers(&request);
    let (subject, text) = expected_text();
    assert_eq!(json_body(&request), json!({ "text": format!("#### {subject}\n\n{text}") }));
}

#[tokio::test]
async fn telegram_calls_send_message_on_the_bot_api() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/bot123:ABC/sendMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "result": {}})))
        .mount(&server)
        .await;
    let settings = config_with(
        "telegram",
        &format!("api_url = \"{}\"\nbot_token = \"123:ABC\"", server.uri()),
        "[departments.chat_ids]\nout = \"-1001234\"",
    );
    send(&settings, &Renderer::new(None).unwrap()).await.unwrap();
    let request = only_request(&server).await;
    assert_common_headers(&request);
    let (subject, text) = expected_text();
    assert_eq!(
        json_body(&request),
        json!({ "chat_id": "-1001234", "text": format!("{subject}\n\n{text}"), "disable_web_page_preview": true })
    );
}

#[tokio::test]
async fn telegram_rate_limits_are_retry_later_and_the_token_is_never_shown() {
    let server = MockServer::start().await;
    let answer = json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).set_body_json(answer))
        .mount(&server)
        .await;
    let settings = config_with(
        "telegram",
        &format!("api_url = \"{}\"\nbot_token = \"123:SECRET\"\nchat_id = \"42\"", server.uri()),
        "",
    );
    let error = send(&settings, &Renderer::new(None).unwrap()).await.unwrap_err();
    assert!(!error.permanent, "{error:?}");
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    assert!(!error.message.contains("SECRET"), "{}", error.message);
    // A refusal in a 200 answer is still a failure.
    let server = MockServer::start().await;
    let answer = json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    let settings = config_with(
        "telegram",
        &format!("api_url = \"{}\"\nbot_token = \"1:A\"\nchat_id = \"42\"", server.uri()),
        "",
    );
    let error = send(&settings, &Renderer::new(None).unwrap()).await.unwrap_err();
    assert!(error.permanent && error.message.contains("chat not found"), "{error:?}");
}

#[tokio::test]
async fn a_429_with_retry_after_is_retry_later_after_that_delay() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1.5"))
        .mount(&server)
        .await;
    let settings = config_with("discord", &format!("url = \"{}/api/webhooks/1/abc\"", server.uri()), "");
    let error = send(&settings, &Renderer::new(None).unwrap()).await.unwrap_err();
    assert!(!error.permanent);
    assert_eq!(error.retry_after, Some(Duration::from_millis(1500)));
}

#[tokio::test]
async fn the_generic_webhook_is_signed_over_its_exact_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-custom", "yes"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let settings = config_with(
        "webhook",
        &format!(
            "url = \"{}/hook\"\nsecret = \"khóa-bí-mật\"\nheaders = {{ X-Custom = \"yes\" }}",
            server.uri()
        ),
        "",
    );
    send(&settings, &Renderer::new(None).unwrap()).await.unwrap();
    let request = only_request(&server).await;
    assert_common_headers(&request);
    // An independent HMAC-SHA256 (ring's) over the bytes received.
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, "khóa-bí-mật".as_bytes());
    let tag = ring::hmac::sign(&key, &request.body);
    let expected: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        request.headers.get("x-nhacviec-signature").unwrap().to_str().unwrap(),
        format!("sha256={expected}")
    );
    let body = json_body(&request);
    assert_eq!(body["key"], "t1.snv.before-7d.20211123.d20211130.out");
    assert_eq!(body["department_name"], "Sở Nội vụ");
    assert_eq!(body["days_left"], 7);
    let (subject, _) = expected_text();
    assert_eq!(body["subject"], subject);
}

#[tokio::test]
async fn the_generic_webhook_body_comes_from_a_template_of_ones_own() {
    let server = server_answering(200).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ticket.json.j2"),
        r#"{"title": {{ reminder.subject | tojson }}, "assignee": {{ reminder.department | tojson }}, "due": {{ reminder.deadline_iso | tojson }}}"#,
    )
    .unwrap();
    let settings =
        config_with("webhook", &format!("url = \"{}/hook\"\ntemplate = \"ticket.json\"", server.uri()), "");
    let renderer = Renderer::new(Some(dir.path())).unwrap();
    send(&settings, &renderer).await.unwrap();
    let (subject, _) = expected_text();
    assert_eq!(
        json_body(&only_request(&server).await),
        json!({"title": subject, "assignee": "snv", "due": "2021-11-30"})
    );
    assert!(only_request(&server).await.headers.get("x-nhacviec-signature").is_none());
}

#[tokio::test]
async fn every_preset_takes_a_429_with_retry_after_as_retry_later() {
    for kind in ["webhook", "slack", "teams", "google_chat", "discord", "mattermost", "telegram"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "4"))
            .mount(&server)
            .await;
        let channel = match kind {
            "telegram" => format!("api_url = \"{}\"\nbot_token = \"1:A\"\nchat_id = \"42\"", server.uri()),
            _ => format!("url = \"{}/hook\"", server.uri()),
        };
        let settings = config_with(kind, &channel, "");
        let error = send(&settings, &Renderer::new(None).unwrap()).await.unwrap_err();
        assert!(!error.permanent, "{kind}: {error:?}");
        assert_eq!(error.retry_after, Some(Duration::from_secs(4)), "{kind}");
        // A 400 is for good.
        server.reset().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(400)).mount(&server).await;
        let error = send(&settings, &Renderer::new(None).unwrap()).await.unwrap_err();
        assert!(error.permanent, "{kind}: {error:?}");
    }
}

#[tokio::test]
async fn a_network_error_never_shows_the_telegram_token() {
    // Nothing listens on port 9: connection refused, with the URL in reqwest's error.
    let settings = config_with(
        "telegram",
        "api_url = \"http://127.0.0.1:9\"\nbot_token = \"123:TOPSECRET\"\nchat_id = \"42\"",
        "",
    );
    let error = send(&settings, &Renderer::new(None).unwrap()).await.unwrap_err();
    assert!(!error.permanent);
    assert!(!error.message.contains("TOPSECRET"), "{}", error.message);
    assert!(error.message.contains("/bot…/sendMessage"), "{}", error.message);
}

#[tokio::test]
async fn a_channel_rate_limit_spaces_its_sends() {
    let server = server_answering(200).await;
    let settings =
        config_with("mattermost", &format!("url = \"{}/hooks/x\"\nrate_limit = \"5/s\"", server.uri()), "");
    install_crypto();
    let channels = Channels::from_settings(&settings).unwrap();
    let department = settings.departments.get(&DepartmentCode::parse("snv").unwrap()).unwrap();
    let renderer = Renderer::new(None).unwrap();
    let facts = sample_facts("snv", "Sở Nội vụ");
    let message = renderer.render(&facts).unwrap();
    let outgoing = Outgoing {
        key: &facts.key,
        department,
        message: &message,
        facts: Facts::Reminder(&facts),
        renderer: &renderer,
    };
    let channel = channels.get("out").unwrap();
    let started = std::time::Instant::now();
    for _ in 0..10 {
        channel.send("out", &outgoing).await.unwrap();
    }
    let took = started.elapsed();
    // A burst of 5, then one every 200 ms.
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 10);
}
