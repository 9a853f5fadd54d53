//! The notices of the web pages, put in words when they are sent: a sign-in link signed
//! now, for its one address; an extension request with its approve and refuse links, to
//! the supervising office; the decision, to the department that asked.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::{Dispatcher, Loaded, Skip};
use crate::channels::{Channel, SendError};
use crate::config::Department;
use crate::message::{DepartmentNames, NoticeAction, NoticeFacts, NoticeTask};
use crate::outbox::OutboxItem;
use crate::outbox::notices::NoticePayload;

impl Dispatcher {
    /// Who made a change, in words: a person by name, a department through a link by its
    /// name.
    fn who(&self, actor: &str) -> String {
        match actor.split_once(':') {
            Some(("page", email)) => self.settings.person(email).map_or_else(|| email.to_owned(), |p| p.name),
            Some(("link", code)) => self.settings.departments.name_of(code),
            _ => actor.to_owned(),
        }
    }

    /// The department (for a sign-in link, its one address), channel and words of a
    /// claimed notice.
    pub(super) fn prepare_notice<'a>(
        &'a self,
        item: &OutboxItem,
        loaded: &Loaded,
    ) -> Result<(Cow<'a, Department>, &'a Channel, NoticeFacts), Skip> {
        let payload = item
            .notice_id
            .and_then(|id| loaded.notices.get(&id))
            .ok_or_else(|| Skip::Cancelled("the notice no longer exists".into()))?;
        let links = self.links.as_ref().ok_or_else(|| {
            Skip::Failed(SendError::permanent(
                "notices carry links to the pages: set http.public_url and http.link_key",
            ))
        })?;
        let (department, channel) = self.target(item)?;
        let now = Utc::now();
        let names = &self.settings.departments;
        let task = item.task_id.and_then(|id| loaded.tasks.get(&id)).map(|record| {
            let task = &record.task;
            NoticeTask {
                id: task.id.0,
                summary: task.summary.clone(),
                directive: loaded
                    .directives
                    .get(&task.directive_id.0)
                    .map(|d| d.citation())
                    .unwrap_or_default(),
                lead_name: names.name_of(task.lead.as_str()),
                deadline: task.deadline.as_ref().map_or_else(
                    || "không có thời hạn".to_owned(),
                    |d| match &d.phrase {
                        Some(phrase) => format!("{} ({phrase})", d.date.format("%d/%m/%Y")),
                        None => d.date.format("%d/%m/%Y").to_string(),
                    },
                ),
            }
        });
        let local = |at: DateTime<Utc>| {
            at.with_timezone(&self.settings.timezone).format("%H:%M ngày %d/%m/%Y").to_string()
        };
        let facts =
            |kind, recipient_name: String, title: String, paragraphs: Vec<String>, actions, expires| {
                NoticeFacts {
                    key: item.key.clone(),
                    kind,
                    department: department.code.to_string(),
                    recipient_name,
                    title,
                    paragraphs,
                    task: task.clone(),
                    actions,
                    expires,
                }
            };
        match payload {
            NoticePayload::SignIn { email, nonce, expires } => {
                if *expires <= now {
                    return Err(Skip::Cancelled("the sign-in link expired before it could be sent".into()));
                }
                let person = self
                    .settings
                    .person(email)
                    .ok_or_else(|| Skip::Cancelled(format!("'{email}' may no longer sign in")))?;
                // To the one address that asked, not to everyone of the department.
                let mut recipient = department.clone();
                recipient.emails = vec![person.email.clone()];
                let words = facts(
                    "sign_in",
                    person.name.clone(),
                    "Liên kết đăng nhập".to_owned(),
                    vec![
                        format!("Có yêu cầu đăng nhập hệ thống Nhắc việc bằng địa chỉ {email}. Bấm liên kết dưới đây để đăng nhập; liên kết chỉ dùng được một lần."),
                        "Nếu không phải bạn yêu cầu, hãy bỏ qua thư này: không ai đăng nhập được nếu không có liên kết.".to_owned(),
                    ],
                    vec![NoticeAction { label: "Đăng nhập".into(), url: links.sign_in_url(email, nonce, *expires) }],
                    Some(local(*expires)),
                );
                Ok((Cow::Owned(recipient), channel, words))
            }
            NoticePayload::ExtensionRequested {
                request,
                task: task_id,
                department: asker,
                requested_to,
                reason,
                ..
            } => {
                let expires = now + links.valid_for();
                let asker_name = names.name_of(asker.as_str());
                let words = facts(
                    "extension_requested",
                    department.name.clone(),
                    format!("{asker_name} đề nghị gia hạn nhiệm vụ"),
                    vec![
                        format!(
                            "{asker_name} đề nghị gia hạn nhiệm vụ dưới đây đến ngày {}.",
                            requested_to.format("%d/%m/%Y")
                        ),
                        format!("Lý do: {reason}"),
                        "Trong khi chờ quyết định, đơn vị vẫn được nhắc theo thời hạn hiện tại.".to_owned(),
                    ],
                    vec![
                        NoticeAction {
                            label: "Đồng ý gia hạn".into(),
                            url: links.decision_url(*request, true, &department.code, expires),
                        },
                        NoticeAction {
                            label: "Không đồng ý".into(),
                            url: links.decision_url(*request, false, &department.code, expires),
                        },
                        NoticeAction {
                            label: "Xem nhiệm vụ".into(),
                            url: links.page_url(&format!("/tasks/{task_id}")),
                        },
                    ],
                    Some(local(expires)),
                );
                Ok((Cow::Borrowed(department), channel, words))
            }
            NoticePayload::ExtensionDecided {
                task: task_id,
                approved,
                requested_to,
                note,
                decided_by,
                ..
            } => {
                let date = requested_to.format("%d/%m/%Y");
                let decided_by = self.who(decided_by);
                let (title, mut paragraphs) = if *approved {
                    (
                        format!("Đồng ý gia hạn đến ngày {date}"),
                        vec![format!(
                            "Đề nghị gia hạn nhiệm vụ dưới đây đến ngày {date} đã được đồng ý ({decided_by}). Thời hạn mới đã được cập nhật."
                        )],
                    )
                } else {
                    (
                        "Không đồng ý gia hạn".to_owned(),
                        vec![format!(
                            "Đề nghị gia hạn nhiệm vụ dưới đây đến ngày {date} không được đồng ý ({decided_by}); thời hạn giữ nguyên."
                        )],
                    )
                };
                if let Some(note) = note {
                    paragraphs.push(format!("Ý kiến: {note}"));
                }
                let words = facts(
                    "extension_decided",
                    department.name.clone(),
                    title,
                    paragraphs,
                    vec![NoticeAction {
                        label: "Xem nhiệm vụ".into(),
                        url: links.page_url(&format!("/tasks/{task_id}")),
                    }],
                    None,
                );
                Ok((Cow::Borrowed(department), channel, words))
            }
        }
    }
}
