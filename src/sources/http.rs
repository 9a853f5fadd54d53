//! Fetching a JSON feed: the first page asked for only if it changed (`If-None-Match`,
//! `If-Modified-Since`), then every next page, with the source's token or password and
//! timeout. What is kept between polls (the validators, the cursor) is `FeedState`.

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::SourceError;
use crate::config::{FeedAuth, FeedSettings};

/// The largest page read.
const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;
/// The most pages one poll follows.
const MAX_PAGES: usize = 100_000;

/// What a feed's poll leaves for the next: the first page's validators and the cursor (the
/// latest `updated_at` seen).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl FeedState {
    pub fn read(stored: Option<&str>) -> Self {
        stored.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What one poll fetched (each page is handed to `next_of` as it comes), or `None` when
/// the first page has not changed (304).
pub struct Fetched {
    /// How many pages were read.
    pub pages: usize,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The first page's address with the cursor in place of `{cursor}`.
pub fn first_url(feed: &FeedSettings, state: &FeedState) -> String {
    let cursor: String =
        form_urlencoded::byte_serialize(state.cursor.as_deref().unwrap_or("").as_bytes()).collect();
    feed.url.as_str().replace("%7Bcursor%7D", &cursor).replace("{cursor}", &cursor)
}

fn request(client: &reqwest::Client, feed: &FeedSettings, url: &str) -> reqwest::RequestBuilder {
    let request = client.get(url).header(reqwest::header::ACCEPT, "application/json");
    match &feed.auth {
        Some(FeedAuth::Bearer(token)) => request.bearer_auth(token.expose_secret()),
        Some(FeedAuth::Basic { username, password }) => {
            request.basic_auth(username, Some(password.expose_secret()))
        }
        None => request,
    }
}

/// Fetches the feed from its first page; the next pages come from `next_of` on each page.
pub async fn fetch(
    client: &reqwest::Client,
    feed: &FeedSettings,
    state: &FeedState,
    mut next_of: impl FnMut(&[u8]) -> Result<Option<String>, SourceError>,
) -> Result<Option<Fetched>, SourceError> {
    let first = first_url(feed, state);
    let mut conditional = request(client, feed, &first);
    if let Some(etag) = &state.etag {
        conditional = conditional.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    if let Some(modified) = &state.last_modified {
        conditional = conditional.header(reqwest::header::IF_MODIFIED_SINCE, modified);
    }
    let response = conditional.send().await.map_err(|e| SourceError::Feed(e.without_url().to_string()))?;
    if response.status() == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(None);
    }
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (etag, last_modified) = (header(reqwest::header::ETAG), header(reqwest::header::LAST_MODIFIED));
    let origin = |url: &str| reqwest::Url::parse(url).ok().map(|u| u.origin());
    let mut page = body(response, &first).await?;
    let mut seen = vec![first.clone()];
    while let Some(next) = next_of(&page)? {
        let next = resolve(&seen[seen.len() - 1], &next);
        // The token goes to the feed's own origin only: a page that points elsewhere is
        // refused, not followed.
        if origin(&next) != origin(&first) {
            return Err(SourceError::Feed("a next page on another host or scheme: not followed".to_owned()));
        }
        if seen.contains(&next) || seen.len() >= MAX_PAGES {
            return Err(SourceError::Feed("the pages lead back to one read before: a loop".to_owned()));
        }
        let response = request(client, feed, &next)
            .send()
            .await
            .map_err(|e| SourceError::Feed(e.without_url().to_string()))?;
        page = body(response, &next).await?;
        seen.push(next);
    }
    Ok(Some(Fetched { pages: seen.len(), etag, last_modified }))
}

/// A next page's address, relative to the page that named it.
fn resolve(base: &str, next: &str) -> String {
    reqwest::Url::parse(base)
        .and_then(|base| base.join(next))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| next.to_owned())
}

async fn body(response: reqwest::Response, url: &str) -> Result<Vec<u8>, SourceError> {
    let status = response.status();
    let host =
        reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    if !status.is_success() {
        return Err(SourceError::Feed(format!("{host} answered {status}")));
    }
    if response.content_length().is_some_and(|length| length as usize > MAX_PAGE_BYTES) {
        return Err(SourceError::Feed(format!(
            "a page of {host} is larger than {} MB",
            MAX_PAGE_BYTES >> 20
        )));
    }
    // Read a chunk at a time, so that a page with no length stops at the limit.
    let mut response = response;
    let mut bytes = Vec::new();
    while let Some(chunk) =
        response.chunk().await.map_err(|e| SourceError::Feed(e.without_url().to_string()))?
    {
        if bytes.len() + chunk.len() > MAX_PAGE_BYTES {
            return Err(SourceError::Feed(format!(
                "a page of {host} is larger than {} MB",
                MAX_PAGE_BYTES >> 20
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
