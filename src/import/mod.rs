//! Reads a directive (text, PDF, DOCX) and proposes its tasks: lead and coordinating
//! bodies, deadlines with their exact phrase and line, recurrences, and the document's own
//! facts. Pure functions from a document's text to a proposal, each finding with a
//! confidence and the flags a person should look at.
//!
//! It never writes: applying a proposal goes through `app::commands`, as `directive add`
//! does, and nothing here touches the store, the network or the clock.

pub mod bodies;
pub mod columns;
pub mod deadlines;
pub mod decode;
pub mod docx;
pub mod facts;
pub mod fields;
pub mod fold;
pub mod layout;
pub mod legacy;
pub mod pdf;
pub mod proposal;
pub mod roles;
pub mod sentences;
pub mod table;
pub mod tasks;

pub use proposal::{Flag, Proposal, ProposedTask};

use crate::calendar::Calendar;
use crate::config::Departments;

/// What a document is read against: the configured departments and the working days.
pub struct Setting<'a> {
    pub departments: &'a Departments,
    pub calendar: &'a Calendar,
}

/// A pattern of the importer. Every pattern is a constant of this module, compiled once
/// and exercised by its tests: one that does not compile is a bug, not bad input.
fn compile(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).unwrap_or_else(|error| panic!("pattern {pattern}: {error}"))
}

/// Upper-cases the first letter: "hướng dẫn" is "Hướng dẫn".
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Documents larger than this are not directives, whichever way they come in.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// Reads a document's bytes (PDF, DOCX, text in any encoding) and proposes its tasks; the
/// proposal says the encoding it was read in, and the encoding whether it was converted.
pub fn read(bytes: &[u8], setting: &Setting) -> Result<(Proposal, decode::Encoding), decode::DecodeError> {
    read_with_text(bytes, setting).map(|(proposal, decoded)| (proposal, decoded.encoding))
}

/// As `read`, with the document's text as it was read, for a person to check the
/// proposal against.
pub fn read_with_text(
    bytes: &[u8],
    setting: &Setting,
) -> Result<(Proposal, decode::Decoded), decode::DecodeError> {
    let decoded = decode::document(bytes)?;
    let mut proposal = propose(&decoded.text, setting);
    proposal.encoding = decoded.encoding.as_str();
    Ok((proposal, decoded))
}

/// The lines the document's facts are looked for in.
const FACT_LINES: usize = 200;

/// Proposes the tasks of a document's text.
pub fn propose(text: &str, setting: &Setting) -> Proposal {
    let lines = layout::lines(text);
    // The facts are in the header and the first paragraphs: their blocks are the first lines'.
    let facts = facts::read(&lines, &layout::blocks(&lines[..lines.len().min(FACT_LINES)]));
    let finder = bodies::Finder::new(setting.departments);
    let context = deadlines::Context { reference: facts.reference(), calendar: setting.calendar };
    // Tables are read from their lines; the rest of the document from its paragraphs.
    let tables = table::find(&lines, &finder, &context);
    let outside: Vec<layout::Line> = lines
        .iter()
        .enumerate()
        .filter(|(index, _)| !tables.iter().any(|t| t.lines.contains(index)))
        .map(|(_, line)| line.clone())
        .collect();
    let mut drafts = tasks::find(&layout::blocks(&outside), &finder, &context);
    drafts.extend(tables.into_iter().flat_map(|t| t.drafts));
    drafts.sort_by_key(|d| d.line);
    Proposal::new(facts, drafts)
}

#[cfg(test)]
mod tests;
