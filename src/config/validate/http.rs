//! `[http]`: where the server listens, its public address, the link key and the API tokens.

use std::collections::BTreeSet;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::channels::{parse_http_url, secret};
use super::{Problems, parse_duration, parse_size};
use crate::config::raw::RawHttp;
use crate::config::{ApiToken, HttpSettings, Scope};

/// Shorter keys make links that can be forged.
const MIN_LINK_KEY: usize = 32;

pub(super) fn http(raw: RawHttp, problems: &mut Problems) -> Option<HttpSettings> {
    let listen = raw.listen.as_deref().and_then(|text| {
        problems.check(
            "http.listen",
            text.parse::<std::net::SocketAddr>()
                .map_err(|_| format!("'{text}' is not an address to listen on: write e.g. '127.0.0.1:8080'")),
        )
    });
    let public_url = raw.public_url.as_deref().and_then(|text| {
        let url = problems.check("http.public_url", parse_http_url(text))?;
        if url.query().is_some() || url.fragment().is_some() {
            problems.add("http.public_url", "write the address without ?query or #fragment");
            return None;
        }
        Some(url)
    });
    let body_limit =
        problems.check("http.body_limit", parse_size(raw.body_limit.as_deref().unwrap_or("1MB")));
    let link_key = secret("http", "link_key", raw.link_key, raw.link_key_file, problems);
    if let Some(key) = &link_key
        && key.expose_secret().len() < MIN_LINK_KEY
    {
        problems.add(
            "http.link_key",
            format!("too short: use at least {MIN_LINK_KEY} random characters (e.g. `openssl rand -hex 32`)"),
        );
    }
    if public_url.is_some() && link_key.is_none() {
        problems.add(
            "http.link_key",
            "http.public_url is set: links need a key to be signed (link_key or link_key_file)",
        );
    }
    let link_valid_for = problems
        .check("http.link_valid_for", parse_duration(raw.link_valid_for.as_deref().unwrap_or("30d")))
        .filter(|valid| (Duration::from_secs(3600)..=Duration::from_secs(366 * 24 * 3600)).contains(valid))
        .or_else(|| {
            problems.add("http.link_valid_for", "links must work from an hour to a year: write e.g. '30d'");
            None
        });
    let tokens = tokens(raw.tokens, problems);
    Some(HttpSettings {
        listen,
        public_url,
        body_limit: usize::try_from(body_limit?).ok()?,
        link_key,
        link_valid_for: link_valid_for?,
        tokens,
    })
}

fn tokens(raw: Vec<crate::config::raw::RawToken>, problems: &mut Problems) -> Vec<ApiToken> {
    let mut names = BTreeSet::new();
    let mut digests = BTreeSet::new();
    let mut tokens = Vec::new();
    for (i, token) in raw.into_iter().enumerate() {
        let path = format!("http.tokens[{i}]");
        let name = match token.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) if !names.insert(name.to_owned()) => {
                problems.add(format!("{path}.name"), format!("another token is named '{name}'"));
                None
            }
            Some(name) => Some(name.to_owned()),
            None => {
                problems.add(format!("{path}.name"), "missing: name the client, e.g. 'e-office'");
                None
            }
        };
        let sha256 = match token.sha256.as_deref() {
            Some(hex) => problems.check(&format!("{path}.sha256"), parse_sha256(hex)),
            None => {
                problems.add(
                    format!("{path}.sha256"),
                    "missing: `nhacviec token new` prints a token and its sha256",
                );
                None
            }
        };
        let scope = match token.scope.as_deref() {
            Some("read") => Some(Scope::Read),
            Some("write") => Some(Scope::Write),
            Some(other) => {
                problems.add(format!("{path}.scope"), format!("'{other}' is not a scope: use read or write"));
                None
            }
            None => {
                problems.add(format!("{path}.scope"), "missing: read or write");
                None
            }
        };
        if let Some(digest) = sha256
            && !digests.insert(digest)
        {
            problems.add(
                format!("{path}.sha256"),
                "another token has this digest: give each client its own token",
            );
        }
        if let (Some(name), Some(sha256), Some(scope)) = (name, sha256, scope) {
            tokens.push(ApiToken { name, sha256, scope });
        }
    }
    tokens
}

fn parse_sha256(text: &str) -> Result<[u8; 32], String> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut digest).map_err(|_| {
        "not a SHA-256 digest: write the 64 hex digits `nhacviec token new` prints".to_owned()
    })?;
    Ok(digest)
}
