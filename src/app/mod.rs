//! The application layer, between the interfaces (the command line, the HTTP API and its
//! pages, acknowledge links, and the places directives are polled from) and the store:
//! every change people make (`commands`) and every question they ask of the store
//! (`preview`, `explain`, the task views, the summary's figures) lives here once.
//! Directive input, whatever it was read from, is checked by one function (`input`).
//!
//! It must not parse command lines or HTTP requests, nor print: the interfaces parse,
//! call and format. It must not send anything: the daemon's dispatcher does.

pub mod board;
pub mod commands;
pub mod drafts;
pub mod explain;
pub mod imports;
pub mod input;
pub mod preview;
pub mod sync;
pub mod views;

use chrono::NaiveDate;

pub use commands::{Actor, ChangeError, Changes, FieldProblem};

use crate::domain::TaskId;
use crate::plan::Policy;
use crate::store::{Store, StoreError};
use crate::summary::Summary;

/// The summary of every task in the store as of `today`, read a page at a time.
pub async fn summary(store: &Store, policy: &Policy, today: NaiveDate) -> Result<Summary, StoreError> {
    let mut summary = Summary::default();
    let mut after = TaskId(0);
    loop {
        let page = store.tasks_page(after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.task.id;
        for record in &page {
            summary.add(&record.task, policy, today);
        }
    }
    Ok(summary)
}
