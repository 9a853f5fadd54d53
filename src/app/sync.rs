//! Following a source's tasks (a feed, an e-office database): a new item becomes a task
//! (or a draft), and a changed one moves its task to what the source now says: a new
//! deadline re-plans, a new lead moves what waits, done cancels. Each change is in the
//! task's history as `source:<name>`. A field that nhacviec changed since the source last
//! said it, and that the source now changes too, is a conflict: reported in the task's
//! history and the log, and settled as the source's `wins` says.
//!
//! What to change is decided by `plan_changes`, a plain function over plain data; the
//! changes themselves go through the same commands as the CLI's and the API's.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::commands::{ChangeError, Changes};
use super::drafts::{DraftContent, Finding};
use super::input::{self, DirectiveFields, DoneInput, ExtendInput, TaskFields, TaskPatch};
use crate::config::{SourceMode, SourceSettings, Wins};
use crate::domain::{Task, TaskStatus};
use crate::store::{ItemOutcome, ItemWrite, SourceItem};

/// One task as a source gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceTask {
    pub id: String,
    /// The source's id of its directive (or the directive's number).
    pub directive_key: Option<String>,
    pub directive_number: Option<String>,
    pub directive_title: Option<String>,
    pub directive_issuer: Option<String>,
    pub directive_date: Option<String>,
    pub summary: String,
    pub details: Option<String>,
    pub lead: String,
    pub coordinating: Vec<String>,
    pub deadline: Option<String>,
    pub deadline_phrase: Option<String>,
    pub done: bool,
    pub removed: bool,
    /// When the source last changed it: not part of what it says.
    #[serde(skip)]
    pub updated_at: Option<String>,
}

impl SourceTask {
    /// What the source says, as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The SHA-256 of what it says: the same for an item that did not change.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.to_json().as_bytes()))
    }

    fn fields(&self, source: &str) -> DirectiveFields {
        DirectiveFields {
            number: self.directive_number.clone(),
            title: self.directive_title.clone().or_else(|| self.directive_number.clone()),
            issuer: self.directive_issuer.clone(),
            issued_on: self
                .directive_date
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            source: Some(format!("{source}: {}", self.directive_key.as_deref().unwrap_or(&self.id))),
            source_hash: None,
            tasks: vec![TaskFields {
                section: None,
                summary: Some(self.summary.clone()),
                details: self.details.clone(),
                lead: Some(self.lead.clone()),
                coordinating: self.coordinating.clone(),
                deadline: self.deadline.clone(),
                deadline_phrase: self.deadline_phrase.clone(),
                recurrence: None,
                origin: Some(format!("từ nguồn {source}, mục {}", self.id)),
            }],
        }
    }
}

/// What following one item did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    Unchanged,
    Created,
    Drafted,
    /// The fields that changed, and the conflicts met.
    Updated {
        changed: Vec<&'static str>,
        conflicts: Vec<String>,
    },
    Removed,
}

/// A change to bring a task to what its source now says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskChange {
    Deadline(String, Option<String>),
    Lead(String),
    Coordinating(Vec<String>),
    Summary(String),
    Details(Option<String>),
    Done,
}

impl TaskChange {
    fn field(&self) -> &'static str {
        match self {
            TaskChange::Deadline(..) => "deadline",
            TaskChange::Lead(_) => "lead",
            TaskChange::Coordinating(_) => "coordinating",
            TaskChange::Summary(_) => "summary",
            TaskChange::Details(_) => "details",
            TaskChange::Done => "done",
        }
    }
}

/// A task's fields as the source writes them, to compare with what it said before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub deadline: Option<String>,
    pub lead: String,
    pub coordinating: Vec<String>,
    pub summary: String,
    pub details: Option<String>,
    pub done: bool,
}

/// What to change, field by field: a field the source changed is applied, unless nhacviec
/// changed it too since (then it is a conflict, settled by `wins`); a field the source did
/// not change stays as nhacviec has it. Returns the changes and the conflicts' fields.
pub fn plan_changes(
    before: &Current,
    now: &Current,
    here: &Current,
    wins: Wins,
) -> (Vec<TaskChange>, Vec<&'static str>) {
    let mut changes = Vec::new();
    let mut conflicts = Vec::new();
    let mut consider = |field: &'static str,
                        source_changed: bool,
                        local_changed: bool,
                        differs: bool,
                        change: TaskChange| {
        if !source_changed || !differs {
            return;
        }
        if local_changed {
            conflicts.push(field);
            if wins == Wins::Nhacviec {
                return;
            }
        }
        changes.push(change);
    };
    consider(
        "deadline",
        before.deadline != now.deadline,
        here.deadline != before.deadline,
        now.deadline.is_some() && here.deadline != now.deadline,
        TaskChange::Deadline(now.deadline.clone().unwrap_or_default(), None),
    );
    consider(
        "lead",
        before.lead != now.lead,
        here.lead != before.lead,
        here.lead != now.lead,
        TaskChange::Lead(now.lead.clone()),
    );
    let set = |list: &[String]| {
        let mut list = list.to_vec();
        list.sort();
        list
    };
    consider(
        "coordinating",
        set(&before.coordinating) != set(&now.coordinating),
        set(&here.coordinating) != set(&before.coordinating),
        set(&here.coordinating) != set(&now.coordinating),
        TaskChange::Coordinating(now.coordinating.clone()),
    );
    consider(
        "summary",
        before.summary != now.summary,
        here.summary != before.summary,
        here.summary != now.summary,
        TaskChange::Summary(now.summary.clone()),
    );
    consider(
        "details",
        before.details != now.details,
        here.details != before.details,
        here.details != now.details,
        TaskChange::Details(now.details.clone()),
    );
    // Done at the source closes the task; a task done here that the source reopens stays
    // done, and is a conflict whichever side wins (nhacviec does not reopen tasks).
    if now.done && !before.done && !here.done {
        changes.push(TaskChange::Done);
    } else if !now.done && before.done != now.done && here.done {
        conflicts.push("done");
    }
    (changes, conflicts)
}

impl Changes<'_> {
    /// The source's fields in the form nhacviec compares them: codes for departments, the
    /// deadline as its date.
    fn as_source_writes(&self, item: &SourceTask) -> Current {
        let code = |label: &str| {
            self.settings
                .departments
                .resolve(label)
                .map(|d| d.code.to_string())
                .unwrap_or_else(|| label.to_owned())
        };
        let deadline = item.deadline.as_deref().and_then(|written| {
            input::resolve_deadline(&self.settings.calendar.calendar, written, None, self.today_here())
                .ok()
                .map(|d| d.date.to_string())
        });
        // As the task keeps them: without the lead, each once, in order.
        let lead = code(&item.lead);
        let mut coordinating: Vec<String> = Vec::new();
        for department in item.coordinating.iter().map(|c| code(c)) {
            if department != lead && !coordinating.contains(&department) {
                coordinating.push(department);
            }
        }
        Current {
            deadline,
            lead,
            coordinating,
            summary: item.summary.clone(),
            details: item.details.clone(),
            done: item.done,
        }
    }

    fn today_here(&self) -> chrono::NaiveDate {
        self.now.with_timezone(&self.settings.timezone).date_naive()
    }

    /// Follows one item of `source`; `known` is what the store has of it.
    pub async fn sync_task(
        &self,
        source: &SourceSettings,
        wins: Wins,
        item: &SourceTask,
        known: Option<&SourceItem>,
    ) -> Result<Synced, ChangeError> {
        let hash = item.hash();
        if item.removed {
            return Ok(match known {
                Some(known) if !known.removed => {
                    self.store.item_removed(&source.name, &item.id, self.actor.as_str(), self.now).await?;
                    Synced::Removed
                }
                _ => Synced::Unchanged,
            });
        }
        match known {
            Some(known) if known.content_hash == hash && !known.removed => Ok(Synced::Unchanged),
            Some(SourceItem { task: Some(task), content: Some(content), .. }) => {
                // What it said before cannot be read (written by another version): taken as
                // what it says now, so nothing looks changed on either side.
                let before: SourceTask = serde_json::from_str(content).unwrap_or_else(|_| item.clone());
                self.follow(source, wins, item, &before, *task, &hash).await
            }
            Some(SourceItem { outcome: ItemOutcome::Draft, draft: Some(draft), .. }) => {
                // A draft of what the source said before: set aside for the new one.
                match self
                    .store
                    .reject_draft(
                        *draft,
                        self.actor.as_str(),
                        Some("thay bằng nội dung mới của nguồn"),
                        self.now,
                    )
                    .await
                {
                    Ok(()) | Err(crate::store::StoreError::DraftDecided { .. }) => {}
                    Err(error) => return Err(error.into()),
                }
                self.create(source, item, &hash).await
            }
            _ => self.create(source, item, &hash).await,
        }
    }

    /// A new item: a task of its directive (made with its first task), or a draft.
    async fn create(
        &self,
        source: &SourceSettings,
        item: &SourceTask,
        hash: &str,
    ) -> Result<Synced, ChangeError> {
        // An item with no directive of its own is its own directive, under a key no
        // directive id of the source can take.
        let directive_key = item.directive_key.clone().unwrap_or_else(|| format!("item:{}", item.id));
        let existing = self.store.source_directive(&source.name, &directive_key).await?;
        let mut fields = item.fields(&source.name);
        if let Some(directive) = existing
            && let Some(header) = self.store.directive(directive).await?
        {
            fields.number = header.number.clone();
            fields.title = Some(header.title.clone());
            fields.issuer = Some(header.issuer.clone());
            fields.issued_on = Some(header.issued_on);
        }
        // Applied as not yet done: done is a change of its own, so that a poll cut off
        // between the two finishes it next time.
        let applied = SourceTask { done: false, ..item.clone() };
        let content = applied.to_json();
        let checked = input::directive(
            fields.clone(),
            "",
            &self.settings.departments,
            &self.settings.calendar.calendar,
        );
        let label = format!("{} — {}", item.id, item.summary.chars().take(80).collect::<String>());
        let write = |directive, task_for, draft, error| ItemWrite {
            source: &source.name,
            external_id: &item.id,
            content_hash: if item.done { "" } else { hash },
            label: &label,
            directive,
            draft,
            error,
            same_as: None,
            task_for,
            draft_for: None,
            directive_key: Some(&directive_key),
            content: Some(&content),
        };
        match (checked, source.mode) {
            (Ok(mut directive), SourceMode::Auto) => {
                self.plan_new_tasks(&mut directive);
                let recorded = match (existing, directive.tasks.first()) {
                    (Some(existing), Some(task)) => {
                        self.store
                            .record_item(
                                &write(None, Some((existing, task)), None, None),
                                self.actor.as_str(),
                                self.now,
                            )
                            .await?
                    }
                    _ => {
                        self.store
                            .record_item(
                                &write(Some(&directive), None, None, None),
                                self.actor.as_str(),
                                self.now,
                            )
                            .await?
                    }
                };
                if item.done
                    && let Some(task) = recorded.tasks.first()
                {
                    self.mark_done(
                        *task,
                        DoneInput {
                            on: None,
                            note: Some(format!("nguồn {} ghi đã hoàn thành", source.name)),
                        },
                    )
                    .await?;
                    self.store.item_applied(&source.name, &item.id, hash, &item.to_json(), self.now).await?;
                }
                Ok(Synced::Created)
            }
            (checked, _) => {
                let problems: Vec<String> = match checked {
                    Ok(_) => Vec::new(),
                    Err(problems) => problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect(),
                };
                let draft = DraftContent {
                    directive: fields,
                    findings: vec![Finding { line: None, confidence: None, flags: Vec::new(), problems }],
                    encoding: None,
                    text: None,
                }
                .to_json();
                // The draft keeps what the source says, done or not: accepting it applies
                // that (`accept_draft` closes a task done at the source).
                let said = item.to_json();
                let mut write = write(None, None, Some(&draft), None);
                write.content_hash = hash;
                write.content = Some(&said);
                // The unsure rest of a directive applied before joins it when accepted.
                write.draft_for = existing;
                self.store.record_item(&write, self.actor.as_str(), self.now).await?;
                Ok(Synced::Drafted)
            }
        }
    }

    /// A known item that changed: its task follows.
    async fn follow(
        &self,
        source: &SourceSettings,
        wins: Wins,
        item: &SourceTask,
        before: &SourceTask,
        task: crate::domain::TaskId,
        hash: &str,
    ) -> Result<Synced, ChangeError> {
        let record = self.store.task(task).await?;
        let here = current_of(&record.task);
        let (changes, conflicts) =
            plan_changes(&self.as_source_writes(before), &self.as_source_writes(item), &here, wins);
        let reason = format!("nguồn {} cập nhật", source.name);
        let open = record.task.status != TaskStatus::Done;
        // The text and the departments change together, in one command; then the deadline;
        // then done, which ends the task.
        let mut patch = TaskPatch::default();
        let mut patched = Vec::new();
        let mut steps: Vec<(Vec<&'static str>, Step)> = Vec::new();
        for change in &changes {
            match change {
                TaskChange::Lead(lead) if open => patch.lead = Some(Some(lead.clone())),
                TaskChange::Coordinating(list) if open => patch.coordinating = Some(Some(list.clone())),
                TaskChange::Summary(summary) if open => patch.summary = Some(Some(summary.clone())),
                TaskChange::Details(details) if open => patch.details = Some(details.clone()),
                TaskChange::Deadline(to, _) if open => {
                    steps.push((vec![change.field()], Step::Extend(to.clone())))
                }
                TaskChange::Done => steps.push((vec![change.field()], Step::Done)),
                _ => continue,
            }
            if !matches!(change, TaskChange::Deadline(..) | TaskChange::Done) {
                patched.push(change.field());
            }
        }
        if !patched.is_empty() {
            steps.insert(0, (patched, Step::Patch(Box::new(patch))));
        }
        let mut changed = Vec::new();
        for (fields, step) in steps {
            let result = match step {
                Step::Patch(patch) => self.update_task(task, *patch).await,
                Step::Extend(to) => {
                    let input = ExtendInput {
                        to: item.deadline.clone().unwrap_or(to),
                        reason: reason.clone(),
                        phrase: item.deadline_phrase.clone(),
                    };
                    self.extend(task, input).await.map(|_| ())
                }
                Step::Done => {
                    let note = Some(format!("nguồn {} ghi đã hoàn thành", source.name));
                    self.mark_done(task, DoneInput { on: None, note }).await.map(|_| ())
                }
            };
            match result {
                Ok(()) => changed.extend(fields),
                // What the source says cannot be applied (a department the config does not
                // know): noted in the task's history, the rest goes on.
                Err(ChangeError::Invalid(problems)) => {
                    let detail = problems
                        .iter()
                        .map(|p| format!("{}: {}", p.field, p.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let detail = format!("nguồn {}: {detail}", source.name);
                    self.store
                        .note_task(task, "source_refused", &detail, self.actor.as_str(), self.now)
                        .await?;
                }
                Err(other) => return Err(other),
            }
        }
        let mut reported = Vec::new();
        for field in &conflicts {
            let kept = if wins == Wins::Nhacviec && *field != "done" {
                "nhacviec giữ giá trị của mình"
            } else {
                "theo nguồn"
            };
            let detail = format!(
                "xung đột với nguồn {}: trường {field} đã sửa ở nhacviec và ở nguồn; {kept}",
                source.name
            );
            self.store.note_task(task, "conflict", &detail, self.actor.as_str(), self.now).await?;
            metrics::counter!("nhacviec_source_conflicts_total", "source" => source.name.clone())
                .increment(1);
            tracing::warn!(source = %source.name, item = %item.id, task = task.0, field, wins = wins.as_str(), "conflict with the source");
            reported.push((*field).to_owned());
        }
        self.store.item_applied(&source.name, &item.id, hash, &item.to_json(), self.now).await?;
        Ok(Synced::Updated { changed, conflicts: reported })
    }
}

/// One command of following a change.
enum Step {
    Patch(Box<TaskPatch>),
    Extend(String),
    Done,
}

/// A task's fields as the source writes them.
fn current_of(task: &Task) -> Current {
    Current {
        deadline: task.deadline.as_ref().map(|d| d.date.to_string()),
        lead: task.lead.to_string(),
        coordinating: task.coordinating.iter().map(ToString::to_string).collect(),
        summary: task.summary.clone(),
        details: task.details.clone(),
        done: task.status == TaskStatus::Done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(deadline: &str, lead: &str, done: bool) -> Current {
        Current {
            deadline: Some(deadline.to_owned()),
            lead: lead.to_owned(),
            coordinating: Vec::new(),
            summary: "Báo cáo".to_owned(),
            details: None,
            done,
        }
    }

    #[test]
    fn what_the_source_changes_is_applied_and_what_it_did_not_change_stays() {
        let before = current("2026-11-30", "snv", false);
        let extended = current("2026-12-31", "snv", false);
        let (changes, conflicts) = plan_changes(&before, &extended, &before, Wins::Nhacviec);
        assert_eq!(changes, [TaskChange::Deadline("2026-12-31".into(), None)]);
        assert!(conflicts.is_empty());
        // Changed here only: the source said the same as before, so it stays.
        let here = current("2027-01-15", "stc", false);
        assert_eq!(plan_changes(&before, &before, &here, Wins::Source), (vec![], vec![]));
        // Done at the source.
        let done = current("2026-11-30", "snv", true);
        assert_eq!(plan_changes(&before, &done, &before, Wins::Nhacviec).0, [TaskChange::Done]);
    }

    #[test]
    fn both_sides_changing_a_field_is_a_conflict_settled_by_wins() {
        let before = current("2026-11-30", "snv", false);
        let source = current("2026-12-31", "sxd", false);
        let here = current("2027-01-15", "snv", false);
        let (changes, conflicts) = plan_changes(&before, &source, &here, Wins::Nhacviec);
        assert_eq!(changes, [TaskChange::Lead("sxd".into())]);
        assert_eq!(conflicts, ["deadline"]);
        let (changes, conflicts) = plan_changes(&before, &source, &here, Wins::Source);
        assert_eq!(
            changes,
            [TaskChange::Deadline("2026-12-31".into(), None), TaskChange::Lead("sxd".into())]
        );
        assert_eq!(conflicts, ["deadline"]);
        // Both moved to the same value: nothing to do, no conflict.
        assert_eq!(plan_changes(&before, &source, &source, Wins::Nhacviec), (vec![], vec![]));
    }

    #[test]
    fn a_task_done_here_that_the_source_reopens_is_a_conflict() {
        let before = current("2026-11-30", "snv", true);
        let reopened = current("2026-11-30", "snv", false);
        let (changes, conflicts) = plan_changes(&before, &reopened, &before, Wins::Source);
        assert!(changes.is_empty());
        assert_eq!(conflicts, ["done"]);
    }
}
