//! Drafts: what a source delivered that waits for a person, kept as the directive's fields
//! with the importer's findings, and checked again when it is accepted (the config may have
//! changed meanwhile). Accepting applies it in one transaction; rejecting applies nothing.

use serde::{Deserialize, Serialize};

use super::commands::{ChangeError, Changes};
use super::input::{self, DirectiveFields};
use super::sync::SourceTask;
use crate::domain::{DirectiveId, TaskId};
use crate::store::{DraftApply, DraftRecord, DraftState, SourceItem};

/// What a draft holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftContent {
    /// The directive and the tasks waiting. For the unsure rest of a directive applied
    /// already, the header is that directive's and only the waiting tasks are here.
    pub directive: DirectiveFields,
    /// For each task, in order: where it was read and what a person should check.
    pub findings: Vec<Finding>,
    /// The encoding the document was read in ("utf-8", "tcvn3" …), when one was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The document's text as read, for a person to check each finding against its line;
    /// kept for documents uploaded on the import page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The importer's word on one task.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    /// The document's line the task starts on.
    pub line: Option<usize>,
    pub confidence: Option<f64>,
    pub flags: Vec<String>,
    /// What the checks found wrong with it, to fix before it can be accepted.
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Change(#[from] ChangeError),
    #[error("draft {id} holds content this version cannot read: {message}")]
    Unreadable { id: i64, message: String },
}

impl DraftContent {
    pub fn read(draft: &DraftRecord) -> Result<Self, DraftError> {
        serde_json::from_str(&draft.content)
            .map_err(|e| DraftError::Unreadable { id: draft.id, message: e.to_string() })
    }

    pub fn to_json(&self) -> String {
        // Plain data of strings, numbers and lists: it always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Changes<'_> {
    /// Applies a waiting draft as it stands (or `replacement`, a person's corrected fields),
    /// checked again against the running config, in one transaction.
    pub async fn accept_draft(
        &self,
        id: i64,
        replacement: Option<DirectiveFields>,
    ) -> Result<(DirectiveId, Vec<TaskId>), DraftError> {
        let draft = self.store.draft(id).await.map_err(ChangeError::from)?;
        if draft.state != DraftState::Waiting {
            return Err(ChangeError::DraftDecided { id, state: draft.state.as_str() }.into());
        }
        let fields = match replacement {
            Some(fields) => fields,
            None => DraftContent::read(&draft)?.directive,
        };
        let mut directive =
            input::directive(fields, "", &self.settings.departments, &self.settings.calendar.calendar)
                .map_err(ChangeError::Invalid)?;
        self.plan_new_tasks(&mut directive);
        // A task item of a source joins its directive when another of its tasks made it
        // meanwhile (review mode drafts every task of a directive on its own).
        let item = self.store.draft_item(id).await.map_err(ChangeError::from)?;
        let joins = match (draft.directive, &item) {
            (Some(existing), _) => Some(existing),
            (None, Some((source, SourceItem { directive_key: Some(key), .. }))) => {
                self.store.source_directive(source, key).await.map_err(ChangeError::from)?
            }
            _ => None,
        };
        let apply = match joins {
            Some(existing) => DraftApply::Tasks(existing, directive.tasks),
            None => DraftApply::Directive(directive),
        };
        let (directive, tasks) = self
            .store
            .accept_draft(id, &apply, self.actor.as_str(), self.now)
            .await
            .map_err(ChangeError::from)?;
        // What the source said when it was drafted: a task done there is done here.
        let said =
            item.and_then(|(_, item)| item.content).and_then(|c| serde_json::from_str::<SourceTask>(&c).ok());
        if let (Some(said), Some(task)) = (said, tasks.first())
            && said.done
        {
            let note = Some("nguồn ghi đã hoàn thành".to_owned());
            self.mark_done(*task, super::input::DoneInput { on: None, note }).await?;
        }
        Ok((directive, tasks))
    }

    /// Marks a waiting draft rejected, with the reason given.
    pub async fn reject_draft(&self, id: i64, reason: Option<&str>) -> Result<(), DraftError> {
        self.store
            .reject_draft(id, self.actor.as_str(), reason, self.now)
            .await
            .map_err(ChangeError::from)?;
        Ok(())
    }
}
