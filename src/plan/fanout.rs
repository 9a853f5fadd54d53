//! The fan-out: from a reminder due to a department, the messages it makes on each of the
//! department's channels (with their keys and send times), and why any other is skipped.
//! The planner enqueues what it gives; `preview`, `explain` and `render` show the same.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{Occurrence, PlannedReminder, Policy, after_quiet_hours, digest_moment};
use crate::config::{Departments, Settings};
use crate::domain::{Acknowledgement, DepartmentCode, Role, Task};
use crate::outbox::{ItemKind, NewOutboxItem, key_of};

/// Why a reminder makes no message on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The department said "Đã nhận" to this kind of reminder for this deadline.
    Acknowledged,
    /// The department is not (or no longer) in the config.
    NotInConfig,
    /// The department's `channel_rules` keep this kind of reminder off the channel.
    NotCarried,
}

impl SkipReason {
    pub fn describe(&self, reminder: &PlannedReminder) -> String {
        match self {
            SkipReason::Acknowledged => "acknowledged: the department asked for no more of these".to_owned(),
            SkipReason::NotInConfig => "department is not in the config".to_owned(),
            SkipReason::NotCarried => format!(
                "the department's channel_rules keep {} reminders off this channel",
                reminder.rule.kind().name()
            ),
        }
    }
}

/// A reminder that makes no message on `channel` (every channel when `None`), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub channel: Option<String>,
    pub reason: SkipReason,
}

/// What one reminder makes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanOut {
    pub items: Vec<NewOutboxItem>,
    pub skipped: Vec<Skipped>,
}

impl PlannedReminder {
    /// The reminder `occurrence` of a task's series makes for `department`, sent no earlier
    /// than `send_after`.
    pub fn of(
        task: &Task,
        department: &DepartmentCode,
        role: Role,
        occurrence: &Occurrence,
        deadline: chrono::NaiveDate,
        send_after: DateTime<Utc>,
    ) -> Self {
        PlannedReminder {
            task_id: task.id,
            department: department.clone(),
            role,
            rule: occurrence.rule,
            day: occurrence.day,
            deadline,
            due_at: occurrence.at,
            send_after,
        }
    }

    /// Its key on `channel`: `t12.snv.before-7d.20211123.d20211130.email`.
    pub fn key(&self, channel: &str) -> String {
        key_of(
            self.task_id.0,
            self.department.as_str(),
            &self.rule.to_string(),
            self.day,
            self.deadline,
            channel,
        )
    }
}

/// The messages `reminder` makes on its department's channels: each channel that carries
/// its kind, waiting for the department's digest when it takes one, and out of each
/// channel's quiet hours.
pub fn fan_out(
    reminder: &PlannedReminder,
    settings: &Settings,
    policy: &Policy,
    acknowledged: &HashSet<Acknowledgement>,
) -> FanOut {
    let mut fan_out = FanOut::default();
    let acknowledgement = Acknowledgement {
        task: reminder.task_id,
        department: reminder.department.clone(),
        rule_kind: reminder.rule.kind(),
        deadline: reminder.deadline,
    };
    if acknowledged.contains(&acknowledgement) {
        fan_out.skipped.push(Skipped { channel: None, reason: SkipReason::Acknowledged });
        return fan_out;
    }
    let Some(department) = settings.departments.get(&reminder.department) else {
        fan_out.skipped.push(Skipped { channel: None, reason: SkipReason::NotInConfig });
        return fan_out;
    };
    let digest = settings.departments.digest(&department.code, settings.schedule.digest);
    let calendar = policy.calendar_for(&department.code);
    let digest_at = digest.then(|| digest_moment(reminder.due_at, policy, calendar)).flatten();
    for channel in &department.channels {
        if !Departments::channel_carries(department, channel, reminder.rule.kind()) {
            fan_out.skipped.push(Skipped { channel: Some(channel.clone()), reason: SkipReason::NotCarried });
            continue;
        }
        let mut send_after = digest_at.unwrap_or(reminder.send_after);
        if let Some(quiet) = settings.quiet_hours.get(channel) {
            send_after = after_quiet_hours(send_after, *quiet, policy);
        }
        fan_out.items.push(NewOutboxItem {
            key: reminder.key(channel),
            kind: ItemKind::Reminder,
            task_id: Some(reminder.task_id),
            department: reminder.department.clone(),
            role: reminder.role,
            rule: reminder.rule,
            day: reminder.day,
            deadline: reminder.deadline,
            channel: channel.clone(),
            due_at: reminder.due_at,
            send_after,
            digest: digest_at.is_some(),
        });
    }
    fan_out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{Offset, Rule, RuleKind, TaskId};

    fn settings(extra: &str) -> Settings {
        let text = format!(
            r#"
[channels.email]
kind = "smtp"
host = "127.0.0.1"
from = "a@b.example"
[channels.chat]
kind = "webhook"
url = "http://127.0.0.1:9/hook"
quiet_hours = ["21:00", "07:00"]
[[departments]]
code = "snv"
name = "Sở Nội vụ"
emails = ["vanthu@snv.example"]
channels = ["email", "chat"]
{extra}
"#
        );
        Settings::from_toml(&text, "test", &[]).unwrap()
    }

    fn reminder(at: DateTime<Utc>) -> PlannedReminder {
        let date = |d| NaiveDate::from_ymd_opt(2021, 11, d).unwrap();
        PlannedReminder {
            task_id: TaskId(12),
            department: DepartmentCode::parse("snv").unwrap(),
            role: Role::Lead,
            rule: Rule::Before(Offset::days(7)),
            day: date(23),
            deadline: date(30),
            due_at: at,
            send_after: at,
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_reminder_makes_one_keyed_message_per_channel_out_of_quiet_hours() {
        let settings = settings("");
        let policy = Policy::from_settings(&settings);
        // 22:00 in Vietnam: inside the chat's quiet hours, which end at 07:00.
        let reminder = reminder(at("2021-11-23T22:00:00+07:00"));
        let fan_out = fan_out(&reminder, &settings, &policy, &HashSet::new());
        let keys: Vec<&str> = fan_out.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            ["t12.snv.before-7d.20211123.d20211130.email", "t12.snv.before-7d.20211123.d20211130.chat"]
        );
        assert_eq!(fan_out.items[0].send_after, reminder.send_after);
        assert_eq!(fan_out.items[1].send_after, at("2021-11-24T07:00:00+07:00"));
        assert!(fan_out.skipped.is_empty());
    }

    #[test]
    fn what_is_not_sent_says_why() {
        let settings = settings("[departments.channel_rules]\nchat = [\"overdue\"]\n");
        let policy = Policy::from_settings(&settings);
        let reminder = reminder(at("2021-11-23T08:00:00+07:00"));
        let fan_out = fan_out(&reminder, &settings, &policy, &HashSet::new());
        assert_eq!(fan_out.items.len(), 1);
        assert_eq!(
            fan_out.skipped,
            [Skipped { channel: Some("chat".into()), reason: SkipReason::NotCarried }]
        );
        let acknowledged = HashSet::from([Acknowledgement {
            task: TaskId(12),
            department: reminder.department.clone(),
            rule_kind: RuleKind::DueSoon,
            deadline: reminder.deadline,
        }]);
        let fan_out = super::fan_out(&reminder, &settings, &policy, &acknowledged);
        assert!(fan_out.items.is_empty());
        assert_eq!(fan_out.skipped[0].reason, SkipReason::Acknowledged);
        let mut stranger = reminder.clone();
        stranger.department = DepartmentCode::parse("so-xyz").unwrap();
        let fan_out = super::fan_out(&stranger, &settings, &policy, &HashSet::new());
        assert_eq!(fan_out.skipped[0].reason, SkipReason::NotInConfig);
    }
}
