//! Import review, for the supervising office: a directive's document uploaded (PDF, DOCX,
//! text) or pasted is read by the importer, and its proposal shown as an editable table
//! (lead, coordinating, deadline, recurrence) beside the document's text, each finding's
//! source line marked and flagged findings first; saved as a draft or applied. Drafts from
//! the polled sources are listed here too.

use std::sync::Arc;

use axum::Router;

use super::AppState;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
}
