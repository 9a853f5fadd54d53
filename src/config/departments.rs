//! The departments of the config, and how a directive file's words find one.

use std::collections::BTreeMap;

use crate::domain::DepartmentCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub code: DepartmentCode,
    pub name: String,
    pub aliases: Vec<String>,
    pub emails: Vec<String>,
    /// Names under `[channels]`.
    pub channels: Vec<String>,
    /// Per-channel webhook URLs that replace the channel's own URL for this department.
    pub webhooks: BTreeMap<String, reqwest::Url>,
    /// Per-channel Telegram chat ids for this department.
    pub chat_ids: BTreeMap<String, String>,
    pub escalate_to: Option<DepartmentCode>,
    /// One digest a day instead of one message per reminder; `None`: the schedule's default.
    pub digest: Option<bool>,
    /// Per channel, the kinds of reminder it carries for this department; a channel not
    /// listed carries all.
    pub channel_rules: BTreeMap<String, Vec<crate::domain::RuleKind>>,
    /// Receives the weekly summary of every department's figures (the supervising office).
    pub summary: bool,
    /// Days off (or on) of this department alone, on top of the province's calendar.
    pub calendar_days: Vec<crate::calendar::DayOverride>,
}

/// A group addressee ("các Sở, ngành", "UBND các huyện, thành phố"): a task a directive
/// gives the group is a task of each member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub aliases: Vec<String>,
    pub members: Vec<DepartmentCode>,
}

/// Every configured department, found by code, name or alias, and the groups of them.
#[derive(Debug, Clone, Default)]
pub struct Departments {
    by_code: BTreeMap<DepartmentCode, Department>,
    by_label: BTreeMap<String, DepartmentCode>,
    groups: Vec<Group>,
    by_group_label: BTreeMap<String, usize>,
}

/// A group's name for matching: lower case, without commas, one space between words.
fn group_key(label: &str) -> String {
    normalize(&label.replace(',', " "))
}

/// Case and spacing do not matter when a directive names a department.
pub(super) fn normalize(label: &str) -> String {
    label.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Departments {
    pub fn new(list: Vec<Department>) -> Self {
        let mut by_label = BTreeMap::new();
        for department in &list {
            let labels = std::iter::once(department.code.as_str())
                .chain(std::iter::once(department.name.as_str()))
                .chain(department.aliases.iter().map(String::as_str));
            for label in labels {
                by_label.entry(normalize(label)).or_insert_with(|| department.code.clone());
            }
        }
        let by_code = list.into_iter().map(|d| (d.code.clone(), d)).collect();
        Self { by_code, by_label, groups: Vec::new(), by_group_label: BTreeMap::new() }
    }

    /// These departments with `groups` of them.
    pub fn with_groups(mut self, groups: Vec<Group>) -> Self {
        for (index, group) in groups.iter().enumerate() {
            for label in std::iter::once(&group.name).chain(group.aliases.iter()) {
                self.by_group_label.entry(group_key(label)).or_insert(index);
            }
        }
        self.groups = groups;
        self
    }

    /// The group a name or alias names; case, spacing and commas do not matter ("các Sở,
    /// ban, ngành" is "Các sở ban ngành").
    pub fn group(&self, label: &str) -> Option<&Group> {
        self.by_group_label.get(&group_key(label)).and_then(|index| self.groups.get(*index))
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    pub fn get(&self, code: &DepartmentCode) -> Option<&Department> {
        self.by_code.get(code)
    }

    /// Whether `department` gets its reminders as one daily digest.
    pub fn digest(&self, department: &DepartmentCode, default: bool) -> bool {
        self.by_code.get(department).and_then(|d| d.digest).unwrap_or(default)
    }

    /// Whether `channel` carries reminders of `kind` for this department.
    pub fn channel_carries(department: &Department, channel: &str, kind: crate::domain::RuleKind) -> bool {
        department.channel_rules.get(channel).is_none_or(|kinds| kinds.contains(&kind))
    }

    /// Whom an overdue task led by `lead` is escalated to.
    pub fn escalate_to(&self, lead: &DepartmentCode) -> Option<&DepartmentCode> {
        self.by_code.get(lead)?.escalate_to.as_ref()
    }

    /// The department a code, name or alias names, e.g. "snv", "Sở Nội vụ" or "SNV".
    pub fn resolve(&self, label: &str) -> Option<&Department> {
        let code = self.by_label.get(&normalize(label))?;
        self.by_code.get(code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Department> {
        self.by_code.values()
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}
