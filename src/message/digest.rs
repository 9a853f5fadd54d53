//! A department's daily digest: the day's reminders grouped as overdue, due today and due
//! soon; within each, as lead, then as coordinating, then to follow up.

use chrono::NaiveDate;
use serde::Serialize;

use super::ReminderFacts;
use crate::domain::Role;

#[derive(Debug, Clone, Serialize)]
pub struct DigestGroup {
    pub title: &'static str,
    pub items: Vec<ReminderFacts>,
}

/// What a digest says, as the templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct DigestFacts {
    pub key: String,
    pub department: String,
    pub department_name: String,
    /// The day, dd/mm/yyyy.
    pub date: String,
    pub total: usize,
    pub overdue: usize,
    pub due_today: usize,
    pub due_soon: usize,
    pub groups: Vec<DigestGroup>,
}

/// The key of a department's digest on a channel and day: `digest.snv.20211123.email`.
pub fn digest_key(department: &str, day: NaiveDate, channel: &str) -> String {
    format!("digest.{department}.{}.{channel}", day.format("%Y%m%d"))
}

fn role_order(role: Role) -> u8 {
    match role {
        Role::Lead => 0,
        Role::Coordinating => 1,
        Role::Escalation => 2,
    }
}

/// Groups the reminders of one department for one day. Empty groups are left out.
pub fn digest(
    key: String,
    department: &str,
    department_name: &str,
    day: NaiveDate,
    items: Vec<ReminderFacts>,
) -> DigestFacts {
    let mut items = items;
    items.sort_by_key(|i| (role_order(i.role), i.days_left, i.task_id));
    let (mut overdue, mut due_today, mut due_soon) = (Vec::new(), Vec::new(), Vec::new());
    for item in items {
        match item.days_left {
            n if n < 0 => overdue.push(item),
            0 => due_today.push(item),
            _ => due_soon.push(item),
        }
    }
    let counts = (overdue.len(), due_today.len(), due_soon.len());
    let groups: Vec<DigestGroup> =
        [("Quá hạn", overdue), ("Đến hạn hôm nay", due_today), ("Sắp đến hạn", due_soon)]
            .into_iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(title, items)| DigestGroup { title, items })
            .collect();
    DigestFacts {
        key,
        department: department.to_owned(),
        department_name: department_name.to_owned(),
        date: day.format("%d/%m/%Y").to_string(),
        total: counts.0 + counts.1 + counts.2,
        overdue: counts.0,
        due_today: counts.1,
        due_soon: counts.2,
        groups,
    }
}
