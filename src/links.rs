//! Signed links: the acknowledge links put in reminders ("Đã nhận", "Báo cáo hoàn thành")
//! and the tokens of calendar feeds. Each is an HMAC-SHA256, under `http.link_key`, of
//! what it does (task, department, action, deadline) and until when, so that nothing is
//! stored until a link acts and no one can make a link the key did not sign.
//!
//! Pure: no clock (the caller passes `now`), no store, no HTTP.

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::RuleKind;
use crate::domain::{DepartmentCode, TaskId};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Bytes of the HMAC kept in a link: 128 bits.
const SIGNATURE_BYTES: usize = 16;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    /// "Đã nhận": stop this kind of reminder for this deadline.
    Received(RuleKind),
    /// "Báo cáo hoàn thành": the task is done.
    Done,
}

impl LinkAction {
    fn code(self) -> String {
        match self {
            LinkAction::Received(kind) => format!("received-{}", kind.name()),
            LinkAction::Done => "done".into(),
        }
    }

    fn parse(code: &str) -> Option<Self> {
        match code {
            "done" => Some(LinkAction::Done),
            _ => code.strip_prefix("received-").and_then(RuleKind::parse).map(LinkAction::Received),
        }
    }

    /// The action's name in the task's history and the used-links table.
    pub fn name(self) -> &'static str {
        match self {
            LinkAction::Received(_) => "received",
            LinkAction::Done => "done",
        }
    }
}

/// An acknowledge link's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckLink {
    pub task: TaskId,
    pub department: DepartmentCode,
    pub action: LinkAction,
    /// The deadline the reminder was about: after an extension the link no longer acts.
    pub deadline: NaiveDate,
    pub expires: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("the link is incomplete or altered")]
    Malformed,
    #[error("the link's signature does not match: it was altered or made with another key")]
    BadSignature,
    #[error("the link expired on {0}")]
    Expired(DateTime<Utc>),
}

/// Signs and checks links with one key.
#[derive(Clone)]
pub struct LinkSigner {
    key: SecretString,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

impl LinkSigner {
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    fn mac(&self, message: &str) -> HmacSha256 {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.key.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(message.as_bytes());
        mac
    }

    fn sign(&self, message: &str) -> String {
        let tag = self.mac(message).finalize().into_bytes();
        hex::encode(&tag[..SIGNATURE_BYTES])
    }

    fn verify(&self, message: &str, signature: &str) -> Result<(), LinkError> {
        // Lower-case hex only, as `sign` writes it: one link has one spelling, so that a used
        // link cannot come back in upper case as another.
        if signature.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(LinkError::Malformed);
        }
        let tag = hex::decode(signature).map_err(|_| LinkError::Malformed)?;
        if tag.len() != SIGNATURE_BYTES {
            return Err(LinkError::Malformed);
        }
        // Constant-time comparison.
        self.mac(message).verify_truncated_left(&tag).map_err(|_| LinkError::BadSignature)
    }

    /// The link's token: `TASK.DEPARTMENT.ACTION.DEADLINE.EXPIRES.SIGNATURE`, URL-safe.
    pub fn ack_token(&self, link: &AckLink) -> String {
        let fields = [
            &link.task.0.to_string(),
            link.department.as_str(),
            &link.action.code(),
            &link.deadline.format("%Y%m%d").to_string(),
            &link.expires.timestamp().to_string(),
        ];
        self.signed_token("ack", &fields)
    }

    /// Reads a token and checks its signature and expiry at `now`. Returns the link and
    /// its signature, which names this link's one use.
    pub fn check_ack(&self, token: &str, now: DateTime<Utc>) -> Result<(AckLink, String), LinkError> {
        let ([task, department, action, deadline, expires], signature) = self.signed_fields("ack", token)?;
        // Signed by this key: what follows was written by `ack_token`.
        let link = AckLink {
            task: TaskId(task.parse().map_err(|_| LinkError::Malformed)?),
            department: DepartmentCode::parse(department).map_err(|_| LinkError::Malformed)?,
            action: LinkAction::parse(action).ok_or(LinkError::Malformed)?,
            deadline: NaiveDate::parse_from_str(deadline, "%Y%m%d").map_err(|_| LinkError::Malformed)?,
            expires: expires
                .parse()
                .ok()
                .and_then(|at| DateTime::from_timestamp(at, 0))
                .ok_or(LinkError::Malformed)?,
        };
        if link.expires <= now {
            return Err(LinkError::Expired(link.expires));
        }
        Ok((link, signature.to_owned()))
    }

    /// `FIELD.FIELD….SIGNATURE`: the fields, signed for `purpose` so that a token made for
    /// one use is no token for another.
    fn signed_token(&self, purpose: &str, fields: &[&str]) -> String {
        let message = fields.join(".");
        let signature = self.sign(&format!("{purpose}:{message}"));
        format!("{message}.{signature}")
    }

    /// The `N` fields of a token signed for `purpose`, and its signature.
    fn signed_fields<'t, const N: usize>(
        &self,
        purpose: &str,
        token: &'t str,
    ) -> Result<([&'t str; N], &'t str), LinkError> {
        let (message, signature) = token.rsplit_once('.').ok_or(LinkError::Malformed)?;
        let fields: [&str; N] =
            message.split('.').collect::<Vec<_>>().try_into().map_err(|_| LinkError::Malformed)?;
        self.verify(&format!("{purpose}:{message}"), signature)?;
        Ok((fields, signature))
    }

    /// The token of a sign-in link for `email`, working until `expires`; `nonce` makes
    /// each link one of its own, used once.
    pub fn sign_in_token(&self, email: &str, nonce: &str, expires: DateTime<Utc>) -> String {
        let expires = expires.timestamp().to_string();
        self.signed_token("sign-in", &[&hex::encode(email.as_bytes()), nonce, &expires])
    }

    /// Reads a sign-in token at `now`: the address, and the signature naming its one use.
    pub fn check_sign_in(&self, token: &str, now: DateTime<Utc>) -> Result<(String, String), LinkError> {
        let ([email, _nonce, expires], signature) = self.signed_fields("sign-in", token)?;
        check_expiry(expires, now)?;
        Ok((unhex(email)?, signature.to_owned()))
    }

    /// A session's token for `email`, until `expires`. The person's role is read from the
    /// config at each request, so that someone taken out of it is signed out.
    pub fn session_token(&self, email: &str, expires: DateTime<Utc>) -> String {
        self.signed_token("session", &[&hex::encode(email.as_bytes()), &expires.timestamp().to_string()])
    }

    /// Reads a session's token at `now`: the address and when the session ends.
    pub fn check_session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), LinkError> {
        let ([email, expires], _) = self.signed_fields("session", token)?;
        Ok((unhex(email)?, check_expiry(expires, now)?))
    }

    /// The token a session's forms carry against cross-site requests: bound to the session.
    pub fn form_token(&self, session: &str) -> String {
        self.sign(&format!("form:{session}"))
    }

    pub fn check_form_token(&self, session: &str, token: &str) -> Result<(), LinkError> {
        self.verify(&format!("form:{session}"), token)
    }

    /// The token of a link that approves (or refuses) extension request `request`, for the
    /// supervising department `department`, until `expires`.
    pub fn decision_token(
        &self,
        request: i64,
        approve: bool,
        department: &DepartmentCode,
        expires: DateTime<Utc>,
    ) -> String {
        let verdict = if approve { "approve" } else { "refuse" };
        let fields = [&request.to_string(), verdict, department.as_str(), &expires.timestamp().to_string()];
        self.signed_token("decide", &fields)
    }

    /// Reads a decision token at `now`: the request, whether it approves, and for whom.
    pub fn check_decision(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool, DepartmentCode), LinkError> {
        let ([request, verdict, department, expires], _) = self.signed_fields("decide", token)?;
        let approve = match verdict {
            "approve" => true,
            "refuse" => false,
            _ => return Err(LinkError::Malformed),
        };
        check_expiry(expires, now)?;
        Ok((
            request.parse().map_err(|_| LinkError::Malformed)?,
            approve,
            DepartmentCode::parse(department).map_err(|_| LinkError::Malformed)?,
        ))
    }

    /// The token of a department's calendar feed. It does not expire; a new `link_key`
    /// revokes every feed.
    pub fn calendar_token(&self, department: &DepartmentCode) -> String {
        self.sign(&format!("calendar:{department}"))
    }

    pub fn check_calendar_token(&self, department: &DepartmentCode, token: &str) -> Result<(), LinkError> {
        self.verify(&format!("calendar:{department}"), token)
    }
}

/// An address written in hex in a token.
fn unhex(text: &str) -> Result<String, LinkError> {
    hex::decode(text).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or(LinkError::Malformed)
}

/// The instant a token's expiry field names, if it is still ahead of `now`.
fn check_expiry(expires: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, LinkError> {
    let at =
        expires.parse().ok().and_then(|at| DateTime::from_timestamp(at, 0)).ok_or(LinkError::Malformed)?;
    if at <= now {
        return Err(LinkError::Expired(at));
    }
    Ok(at)
}

/// The links a reminder carries, made from `[http]`: its public address, key and
/// validity. `None` when links are off.
#[derive(Debug, Clone)]
pub struct ReminderLinks {
    signer: LinkSigner,
    base: String,
    valid_for: chrono::Duration,
}

impl ReminderLinks {
    pub fn from_settings(http: &crate::config::HttpSettings) -> Option<Self> {
        let (Some(url), Some(key)) = (&http.public_url, &http.link_key) else { return None };
        Some(Self {
            signer: LinkSigner::new(key.clone()),
            base: url.as_str().trim_end_matches('/').to_owned(),
            valid_for: chrono::Duration::from_std(http.link_valid_for).unwrap_or(chrono::Duration::days(30)),
        })
    }

    /// How long a link works after its message is sent (`http.link_valid_for`).
    pub fn valid_for(&self) -> chrono::Duration {
        self.valid_for
    }

    /// "Đã nhận" for every recipient; "Báo cáo hoàn thành" for the lead only, the one
    /// that reports the task done.
    pub fn for_reminder(
        &self,
        task: TaskId,
        department: &DepartmentCode,
        role: crate::domain::Role,
        kind: RuleKind,
        deadline: NaiveDate,
        expires: DateTime<Utc>,
    ) -> (String, Option<String>) {
        let link = |action| AckLink { task, department: department.clone(), action, deadline, expires };
        let received = self.url(&link(LinkAction::Received(kind)));
        let done = (role == crate::domain::Role::Lead).then(|| self.url(&link(LinkAction::Done)));
        (received, done)
    }

    fn url(&self, link: &AckLink) -> String {
        format!("{}/ack/{}", self.base, self.signer.ack_token(link))
    }

    /// A page's address: `path` starts with `/`.
    pub fn page_url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The address of a sign-in link.
    pub fn sign_in_url(&self, email: &str, nonce: &str, expires: DateTime<Utc>) -> String {
        format!("{}/sign-in/{}", self.base, self.signer.sign_in_token(email, nonce, expires))
    }

    /// The address of a link that approves or refuses an extension request.
    pub fn decision_url(
        &self,
        request: i64,
        approve: bool,
        department: &DepartmentCode,
        expires: DateTime<Utc>,
    ) -> String {
        format!(
            "{}/extensions/decide/{}",
            self.base,
            self.signer.decision_token(request, approve, department, expires)
        )
    }

    /// The address of a department's calendar feed.
    pub fn calendar_url(&self, department: &DepartmentCode) -> String {
        format!("{}/calendar/{department}.ics?token={}", self.base, self.signer.calendar_token(department))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer_with(key: &str) -> LinkSigner {
        LinkSigner::new(SecretString::from(key.to_owned()))
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).unwrap()
    }

    fn link(action: LinkAction) -> AckLink {
        AckLink {
            task: TaskId(42),
            department: DepartmentCode::parse("ubnd-tpnd").unwrap(),
            action,
            deadline: NaiveDate::from_ymd_opt(2022, 12, 31).unwrap(),
            expires: at("2023-01-30T00:00:00Z"),
        }
    }

    #[test]
    fn a_signed_link_reads_back_until_it_expires() {
        let signer = signer_with(&"k".repeat(32));
        for action in [
            LinkAction::Done,
            LinkAction::Received(RuleKind::DueSoon),
            LinkAction::Received(RuleKind::Due),
            LinkAction::Received(RuleKind::Overdue),
            LinkAction::Received(RuleKind::Escalation),
        ] {
            let token = signer.ack_token(&link(action));
            let (read, signature) = signer.check_ack(&token, at("2023-01-29T23:59:59Z")).unwrap();
            assert_eq!(read, link(action));
            assert!(token.ends_with(&signature));
            assert_eq!(
                signer.check_ack(&token, at("2023-01-30T00:00:00Z")),
                Err(LinkError::Expired(at("2023-01-30T00:00:00Z")))
            );
        }
    }

    #[test]
    fn any_change_to_a_link_is_refused() {
        let signer = signer_with(&"k".repeat(32));
        let token = signer.ack_token(&link(LinkAction::Received(RuleKind::Overdue)));
        let now = at("2023-01-01T00:00:00Z");
        let tampered = [
            token.replacen("42.", "43.", 1),
            token.replace("ubnd-tpnd", "snv"),
            token.replace("received-overdue", "done"),
            token.replace("20221231", "20230131"),
            token.replace(".1675036800.", ".1775036800."),
        ];
        for changed in tampered {
            assert_ne!(changed, token);
            assert_eq!(signer.check_ack(&changed, now), Err(LinkError::BadSignature), "{changed}");
        }
        let (message, signature) = token.rsplit_once('.').unwrap();
        let mut flipped = signature.to_owned().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = format!("{message}.{}", String::from_utf8(flipped).unwrap());
        assert_eq!(signer.check_ack(&flipped, now), Err(LinkError::BadSignature));
        assert_eq!(signer.check_ack(&token, now).map(|_| ()), Ok(()));
        // The same link in upper case is not another link.
        let upper = format!("{message}.{}", signature.to_ascii_uppercase());
        assert_eq!(signer.check_ack(&upper, now), Err(LinkError::Malformed));
        // Another key's link.
        assert_eq!(signer_with(&"x".repeat(32)).check_ack(&token, now), Err(LinkError::BadSignature));
        for broken in
            ["", ".", "abc", "1.snv.done.20221231.1.zz", &format!("{message}.{signature}00"), message]
        {
            assert!(
                matches!(signer.check_ack(broken, now), Err(LinkError::Malformed | LinkError::BadSignature)),
                "{broken}"
            );
        }
    }

    #[test]
    fn calendar_tokens_are_per_department_and_per_key() {
        let signer = signer_with(&"k".repeat(32));
        let snv = DepartmentCode::parse("snv").unwrap();
        let other = DepartmentCode::parse("sgddt").unwrap();
        let token = signer.calendar_token(&snv);
        assert_eq!(signer.check_calendar_token(&snv, &token), Ok(()));
        assert_eq!(signer.check_calendar_token(&other, &token), Err(LinkError::BadSignature));
        assert!(signer_with(&"y".repeat(32)).check_calendar_token(&snv, &token).is_err());
        assert!(signer.check_calendar_token(&snv, "not-hex").is_err());
    }
}
