//! The importer's proposal as people review it: the document's facts and each task with
//! its lead, coordinating bodies, deadline, source line, confidence and flags; in JSON
//! for programs, and as a directive file that `directive add` accepts.

use chrono::NaiveDate;
use serde::Serialize;

use super::bodies::Body;
use super::deadlines::{DeadlineDoubt, DeadlineKind, Recurrence};
use super::facts::Facts;
use super::tasks::Draft;

/// What a person should check in a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// No body is named and none is inherited.
    NoLead,
    /// The lead is not a configured department.
    UnknownLead,
    /// The lead is a group ("các Sở, ngành") the config does not define.
    GroupLead,
    /// A coordinating body is not a configured department.
    UnknownCoordinating,
    /// Counted from a day the document does not give ("kể từ ngày nhận được").
    NoAnchor,
    /// The year of the deadline was not written.
    YearFromContext,
    /// The deadline's cue is weak ("trong năm 2022", "vào tháng 11").
    WeakCue,
    /// The task's words carry more than one deadline.
    SeveralDeadlines,
    /// The lead comes from a heading or an earlier sentence.
    InheritedLead,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::NoLead => "no_lead",
            Flag::UnknownLead => "unknown_lead",
            Flag::GroupLead => "group_lead",
            Flag::UnknownCoordinating => "unknown_coordinating",
            Flag::NoAnchor => "no_anchor",
            Flag::YearFromContext => "year_from_context",
            Flag::WeakCue => "weak_cue",
            Flag::SeveralDeadlines => "several_deadlines",
            Flag::InheritedLead => "inherited_lead",
        }
    }

    /// Whether a person must look at it before the task is applied.
    pub fn needs_review(self) -> bool {
        !matches!(self, Flag::InheritedLead)
    }

    /// How much a flag lowers the confidence in a finding.
    fn confidence(self) -> f64 {
        match self {
            Flag::NoLead => 0.3,
            Flag::UnknownLead | Flag::NoAnchor => 0.5,
            Flag::GroupLead | Flag::SeveralDeadlines => 0.7,
            Flag::UnknownCoordinating | Flag::YearFromContext => 0.75,
            Flag::WeakCue => 0.8,
            Flag::InheritedLead => 0.85,
        }
    }
}

/// The document's facts, in the proposal's JSON.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub issuer: Option<String>,
    pub number: Option<String>,
    pub issue_date: Option<NaiveDate>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub meeting_date: Option<NaiveDate>,
}

/// One proposed task.
#[derive(Debug, Clone, Serialize)]
pub struct ProposedTask {
    pub section: Option<String>,
    pub summary: String,
    pub details: String,
    /// The configured department's name, or the body as written.
    pub lead: Option<String>,
    pub lead_code: Option<String>,
    /// For a group the config defines: its members, each of whom the task is given to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lead_members: Vec<String>,
    pub coordinating: Vec<String>,
    pub coordinating_codes: Vec<Option<String>>,
    pub deadline: Option<NaiveDate>,
    pub deadline_kind: DeadlineKind,
    pub recurrence: Option<Recurrence>,
    pub deadline_phrase: Option<String>,
    /// The deadline as a directive file writes it (`2021-11`, `2022-Q4`, `+10wd from …`).
    #[serde(skip)]
    pub deadline_written: Option<String>,
    pub line: usize,
    pub confidence: f64,
    pub flags: Vec<Flag>,
}

/// What the importer proposes for one document.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    /// The encoding the document was read in ("utf-8", "tcvn3" …).
    pub encoding: &'static str,
    pub document: DocumentView,
    pub tasks: Vec<ProposedTask>,
}

impl Proposal {
    pub fn new(facts: Facts, drafts: Vec<Draft>) -> Self {
        let document = DocumentView {
            issuer: facts.issuer,
            number: facts.number,
            issue_date: facts.issue_date,
            kind: facts.kind,
            title: facts.title,
            meeting_date: facts.meeting_date,
        };
        let tasks = drafts.into_iter().map(ProposedTask::from_draft).collect();
        Self { encoding: "utf-8", document, tasks }
    }

    /// The tasks with flags that need review first, then in the document's order.
    pub fn for_review(&self) -> Vec<&ProposedTask> {
        let mut tasks: Vec<&ProposedTask> = self.tasks.iter().collect();
        tasks.sort_by_key(|t| (!t.flags.iter().any(|f| f.needs_review()), t.line));
        tasks
    }
}

fn label(body: &Body) -> String {
    body.label().to_owned()
}

impl ProposedTask {
    fn from_draft(draft: Draft) -> Self {
        let mut flags = Vec::new();
        match &draft.lead {
            None => flags.push(Flag::NoLead),
            Some(body) if body.code.is_none() && body.group && body.members.is_empty() => {
                flags.push(Flag::GroupLead)
            }
            Some(body) if body.code.is_none() && body.group => {}
            Some(body) if body.code.is_none() => flags.push(Flag::UnknownLead),
            Some(_) => {}
        }
        if draft.lead.is_some() && draft.lead_inherited {
            flags.push(Flag::InheritedLead);
        }
        if draft.coordinating.iter().any(|b| b.code.is_none() && !b.group) {
            flags.push(Flag::UnknownCoordinating);
        }
        if let Some(deadline) = &draft.deadline {
            for doubt in &deadline.doubts {
                flags.push(match doubt {
                    DeadlineDoubt::YearFromContext => Flag::YearFromContext,
                    DeadlineDoubt::NoAnchor => Flag::NoAnchor,
                    DeadlineDoubt::WeakCue => Flag::WeakCue,
                });
            }
        }
        if draft.other_deadlines > 0 {
            flags.push(Flag::SeveralDeadlines);
        }
        flags.sort();
        flags.dedup();
        let confidence = flags.iter().map(|f| f.confidence()).fold(0.95, f64::min);
        let confidence = (confidence * 100.0).round() / 100.0;
        let kind = draft.deadline.as_ref().map_or(DeadlineKind::None, |d| d.kind);
        Self {
            section: draft.section,
            summary: summary(&draft.action),
            details: draft.text,
            lead: draft.lead.as_ref().map(label),
            lead_code: draft.lead.as_ref().and_then(|b| b.code.as_ref()).map(|c| c.as_str().to_owned()),
            lead_members: draft
                .lead
                .as_ref()
                .map(|b| b.members.iter().map(|c| c.as_str().to_owned()).collect())
                .unwrap_or_default(),
            coordinating: draft.coordinating.iter().map(label).collect(),
            coordinating_codes: draft
                .coordinating
                .iter()
                .map(|b| b.code.as_ref().map(|c| c.as_str().to_owned()))
                .collect(),
            deadline: draft.deadline.as_ref().and_then(|d| d.due),
            deadline_kind: kind,
            recurrence: draft.deadline.as_ref().and_then(|d| d.recurrence),
            deadline_phrase: draft.deadline_phrase,
            deadline_written: draft.deadline.as_ref().and_then(|d| d.written.clone()),
            line: draft.line,
            confidence,
            flags,
        }
    }
}

/// A task's summary: the job's words, from its first capital, cut at a word near 160
/// characters.
fn summary(action: &str) -> String {
    const MAX: usize = 160;
    let text = action.trim().trim_start_matches([',', ':', ';', ' ']);
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > MAX {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    super::capitalised(out.trim_end_matches(['.', ';', ',', '/']))
}
