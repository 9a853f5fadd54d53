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
    #[error(
        "chưa có kênh thư điện tử (smtp) gửi liên kết đăng nhập: khai báo trong [channels] (pages.sign_in_channel)"
    )]
    NoSignInChannel,
    #[error("'{0}' không phải địa chỉ của một đơn vị hay của [[pages.people]]")]
    UnknownPerson(String),
    #[error(
        "chưa có ai nhận đề nghị gia hạn: đặt summary = true cho đơn vị Văn phòng, hoặc khai báo cán bộ Văn phòng trong [[pages.people]] với role = \"office\""
    )]
    NoOffice,
    #[error("đơn vị '{0}' chưa có kênh nhận thông báo")]
    NoChannel(String),
    #[error("không ghi được thông báo: {0}")]
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
        NoticePayload::ExtensionRequested { request, department, .. } => {
            // The links decide: never to the department that asks.
            let office: Vec<DepartmentCode> =
                office_departments(settings).into_iter().filter(|code| code != department).collect();
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap()
    }

    fn settings(extra: &str) -> Settings {
        let text = format!("{}\n{extra}", crate::config::DEFAULT_CONFIG);
        Settings::from_toml(&text, "test", &[]).unwrap()
    }

    fn code(text: &str) -> DepartmentCode {
        DepartmentCode::parse(text).unwrap()
    }

    fn requested(department: &str) -> NoticePayload {
        NoticePayload::ExtensionRequested {
            request: 7,
            task: 3,
            department: code(department),
            deadline: NaiveDate::from_ymd_opt(2026, 11, 30),
            requested_to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            reason: "lý do".into(),
        }
    }

    #[test]
    fn a_sign_in_link_goes_by_email_to_the_one_address_that_asked() {
        let settings = settings("");
        let payload = NoticePayload::SignIn {
            email: "VanThu@snv.namdinh.example".into(),
            nonce: "ab12".into(),
            expires: now() + chrono::Duration::minutes(15),
        };
        let sent = notice(&payload, &settings, now()).unwrap();
        assert_eq!(sent.kind, NoticeKind::SignIn);
        let [item] = &sent.items[..] else { panic!("one message: {:?}", sent.items) };
        assert_eq!((item.key.as_str(), item.channel.as_str()), ("notice.sign-in.ab12", "email"));
        assert_eq!(item.department, code("snv"));
        assert_eq!(item.task_id, None);
        assert_eq!(serde_json::from_str::<NoticePayload>(&sent.payload).unwrap(), payload);
        // Nobody's address: nothing to send.
        let stranger =
            NoticePayload::SignIn { email: "x@example.com".into(), nonce: "1".into(), expires: now() };
        assert_eq!(notice_error(&stranger, &settings), NoticeError::UnknownPerson("x@example.com".into()));
    }

    fn notice_error(payload: &NoticePayload, settings: &Settings) -> NoticeError {
        match notice(payload, settings, now()) {
            Err(error) => error,
            Ok(notice) => panic!("a notice: {notice:?}"),
        }
    }

    #[test]
    fn a_request_goes_to_every_channel_of_the_office_and_its_decision_to_the_department() {
        // The office: the department with the weekly summary (vp-ubnd: email and chat), and
        // the department of the office's staff listed in [[pages.people]].
        let settings = settings(
            "[[pages.people]]\nemail = \"chanh@snv.example\"\nrole = \"office\"\ndepartment = \"snv\"\n",
        );
        let asked = notice(&requested("snv"), &settings, now()).unwrap();
        let mut keys: Vec<&str> = asked.items.iter().map(|i| i.key.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            // snv is an office department (its staff are), but never decides its own request.
            ["notice.extension.7.requested.vp-ubnd.chat", "notice.extension.7.requested.vp-ubnd.email"]
        );
        assert!(
            asked.items.iter().all(|i| i.task_id == Some(crate::domain::TaskId(3)) && i.rule == Rule::Notice)
        );
        let decided = NoticePayload::ExtensionDecided {
            request: 7,
            task: 3,
            department: code("snv"),
            approved: false,
            requested_to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            note: Some("không".into()),
            decided_by: "page:chanh@snv.example".into(),
        };
        let told = notice(&decided, &settings, now()).unwrap();
        let keys: Vec<&str> = told.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["notice.extension.7.decided.snv.email"]);
    }

    #[test]
    fn a_request_nobody_follows_is_refused_before_anything_is_written() {
        let text = crate::config::DEFAULT_CONFIG.replace("summary = true ", "summary = false ");
        let settings = Settings::from_toml(&text, "test", &[]).unwrap();
        assert!(office_departments(&settings).is_empty());
        assert_eq!(notice_error(&requested("snv"), &settings), NoticeError::NoOffice);
    }
}
