//! Bearer tokens for the API: each configured as the SHA-256 of the token, with a scope.
//! A token is high-entropy random text, so one SHA-256 suffices to store it; the
//! comparison does not stop at the first differing byte.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use super::problem::Problem;
use crate::config::{ApiToken, Scope};

/// The client a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub name: String,
    pub scope: Scope,
}

const REALM: &str = "Bearer realm=\"nhacviec\"";

fn unauthorized(detail: &str, error: Option<&str>) -> Problem {
    let mut problem = Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail);
    problem.authenticate = Some(match error {
        Some(error) => format!("{REALM}, error=\"{error}\""),
        None => REALM.to_owned(),
    });
    problem
}

/// The client whose token the request carries, if it may act with `needed`.
pub fn authenticate(headers: &HeaderMap, tokens: &[ApiToken], needed: Scope) -> Result<Client, Problem> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(unauthorized("send a token: Authorization: Bearer TOKEN", None));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            unauthorized("the Authorization header must be: Bearer TOKEN", Some("invalid_request"))
        })?;
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let found = tokens.iter().fold(None, |found, candidate| {
        // Every digest is compared in full, in constant time: how long the check takes says
        // nothing of which token, or how much of one, matched.
        if bool::from(candidate.sha256.ct_eq(&digest)) { Some(candidate) } else { found }
    });
    let Some(token) = found else {
        return Err(unauthorized("the token is not one of http.tokens", Some("invalid_token")));
    };
    if token.scope < needed {
        let mut problem = Problem::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "the token '{}' may {}; this needs the {} scope",
                token.name,
                token.scope.as_str(),
                needed.as_str()
            ),
        );
        problem.authenticate =
            Some(format!("{REALM}, error=\"insufficient_scope\", scope=\"{}\"", needed.as_str()));
        return Err(problem);
    }
    Ok(Client { name: token.name.clone(), scope: token.scope })
}

/// A client allowed to read, taken from the request's head before its body is read.
pub struct Reader(pub Client);

/// A client allowed to write.
pub struct Writer(pub Client);

impl FromRequestParts<Arc<AppState>> for Reader {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Problem> {
        authenticate(&parts.headers, &state.settings().http.tokens, Scope::Read).map(Reader)
    }
}

impl FromRequestParts<Arc<AppState>> for Writer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Problem> {
        authenticate(&parts.headers, &state.settings().http.tokens, Scope::Write).map(Writer)
    }
}

/// A new random token and the SHA-256 digest to put in the config.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token = format!("nv_{}", hex::encode(bytes));
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    Ok((token, digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Vec<ApiToken> {
        let digest = |t: &str| -> [u8; 32] { Sha256::digest(t.as_bytes()).into() };
        vec![
            ApiToken { name: "reader".into(), sha256: digest("r-token"), scope: Scope::Read },
            ApiToken { name: "e-office".into(), sha256: digest("w-token"), scope: Scope::Write },
        ]
    }

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", value.parse().unwrap());
        headers
    }

    #[test]
    fn tokens_are_checked_with_their_scope() {
        let tokens = tokens();
        let client = authenticate(&headers("Bearer w-token"), &tokens, Scope::Write).unwrap();
        assert_eq!(client, Client { name: "e-office".into(), scope: Scope::Write });
        assert_eq!(authenticate(&headers("Bearer w-token"), &tokens, Scope::Read).unwrap().name, "e-office");
        assert_eq!(authenticate(&headers("Bearer r-token"), &tokens, Scope::Read).unwrap().name, "reader");
        let refused = authenticate(&headers("Bearer r-token"), &tokens, Scope::Write).unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        for wrong in ["Bearer nope", "Basic dTpw", "Bearer ", "w-token"] {
            let refused = authenticate(&headers(wrong), &tokens, Scope::Read).unwrap_err();
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{wrong}");
            assert!(refused.authenticate.is_some());
        }
        assert_eq!(
            authenticate(&HeaderMap::new(), &tokens, Scope::Read).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn a_new_token_matches_its_digest() {
        let (token, digest) = new_token().unwrap();
        assert!(token.starts_with("nv_") && token.len() == 67);
        assert_eq!(hex::encode(Sha256::digest(token.as_bytes())), digest);
        assert_ne!(new_token().unwrap().0, token);
    }
}
