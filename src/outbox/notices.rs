//! What a notice of the web pages says, as stored with it, and the messages it makes:
//! a sign-in link to one address; an extension request to the supervising office; its
//! decision to the department. Links are signed when the notice is sent, so that the store
//! holds no working link.
//!
//! Pure: the caller passes the settings and the clock.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::items::{ItemKind, NewNotice, NewOutboxItem, NoticeKind};
use crate::config::{PersonRole, Settings};
use crate::domain::{DepartmentCode, Role, Rule};

/// A notice's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticePayload {
    SignIn {
        email: String,
        /// Makes each link one of its own.
        nonce: String,
        expires: DateTime<Utc>,
    },
    ExtensionRequested {
        request: i64,
        task: i64,
        department: DepartmentCode,
        deadline: Option<NaiveDate>,
        requested_to: NaiveDate,
        reason: String,
    },
    ExtensionDecided {
        request: i64,
        task: i64,
        department: DepartmentCode,
        approved: bool,
        requested_to: NaiveDate,
        note: Option<String>,
        decided_by: String,
    },
}

impl NoticePayload {
    pub fn kind(&self) -> NoticeKind {
        match self {
            NoticePayload::SignIn { .. } => NoticeKind::SignIn,
            NoticePayload::ExtensionRequested { .. } => NoticeKind::ExtensionRequested,
            NoticePayload::ExtensionDecided { .. } => NoticeKind::ExtensionDecided,
        }
    }

    fn task(&self) -> Option<i64> {
        match self {
            NoticePayload::SignIn { .. } => None,
            NoticePayload::ExtensionRequested { task, .. } | NoticePayload::ExtensionDecided { task, .. } => {
                Some(*task)
            }
        }
    }
}

/// Why a notice cannot be sent to anyone.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoticeError {
    #[error("no smtp channel sends sign-in links: add one in [channels] (pages.sign_in_channel)")]
    NoSignInChannel,
    #[error("'{0}' is not an address of a department or of [[pages.people]]")]
    UnknownPerson(String),
    #[error(
        "nobody follows extension requests: mark the supervising office's department with summary = true, or list its staff in [[pages.people]] with role = \"office\""
    )]
    NoOffice,
    #[error("department '{0}' has no channel to tell it by")]
    NoChannel(String),
    #[error("cannot write the notice: {0}")]
    Encode(String),
}

/// The departments the supervising office's notices go to: those that receive the weekly
/// summary, and those of the office's staff.
pub fn office_departments(settings: &Settings) -> Vec<DepartmentCode> {
    let mut codes: Vec<DepartmentCode> =
        settings.departments.iter().filter(|d| d.summary).map(|d| d.code.clone()).collect();
    for person in settings.pages.people.iter().filter(|p| p.role >= PersonRole::Office) {
        if !codes.contains(&person.department) {
            codes.push(person.department.clone());
        }
    }
    codes
}

/// The notice of `payload` with its messages: a sign-in link by email to its one
/// address; an extension request on every channel of the office's departments; a decision
/// on every channel of the department that asked.
pub fn notice(
    payload: &NoticePayload,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<NewNotice, NoticeError> {
    let today = now.with_timezone(&settings.timezone).date_naive();
    let item = |key: String, department: &DepartmentCode, channel: &str| NewOutboxItem {
        key,
        kind: ItemKind::Notice,
        task_id: payload.task().map(crate::domain::TaskId),
        department: department.clone(),
        role: Role::Escalation,
        rule: Rule::Notice,
        day: today,
        deadline: today,
        channel: channel.to_owned(),
        due_at: now,
        send_after: now,
        digest: false,
    };
    let on_every_channel = |prefix: &str, codes: &[DepartmentCode]| -> Vec<NewOutboxItem> {
        codes
            .iter()
            .filter_map(|code| settings.departments.get(code))
            .flat_map(|d| d.channels.iter().map(move |c| (d, c)))
            .map(|(d, c)| item(format!("{prefix}.{}.{c}", d.code), &d.code, c))
            .collect()
    };
    let items = match payload {
        NoticePayload::SignIn { email, nonce, .. } => {
            let channel = settings.pages.sign_in_channel.as_deref().ok_or(NoticeError::NoSignInChannel)?;
            let person = settings.person(email).ok_or_else(|| NoticeError::UnknownPerson(email.clone()))?;
            vec![item(format!("notice.sign-in.{nonce}"), &person.department, channel)]
        }
        NoticePayload::ExtensionRequested { request, .. } => {
            let office = office_departments(settings);
            let items = on_every_channel(&format!("notice.extension.{request}.requested"), &office);
            if items.is_empty() {
                return Err(NoticeError::NoOffice);
            }
            items
        }
        NoticePayload::ExtensionDecided { request, department, .. } => {
            let items = on_every_channel(
                &format!("notice.extension.{request}.decided"),
                std::slice::from_ref(department),
            );
            if items.is_empty() {
                return Err(NoticeError::NoChannel(department.to_string()));
            }
            items
        }
    };
    let kind = payload.kind();
    let payload = serde_json::to_string(payload).map_err(|e| NoticeError::Encode(e.to_string()))?;
    Ok(NewNotice { kind, payload, items })
}
