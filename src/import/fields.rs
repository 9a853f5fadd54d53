//! A task's parts given in so many words: an item followed by its "- Cơ quan chủ trì: …",
//! "- Cơ quan phối hợp: …" and "- Thời gian hoàn thành: …" lines, and the lead and
//! coordinating cells of a table's row.

use std::sync::LazyLock;

use regex::Regex;

use super::bodies::{Body, Finder};
use super::compile;
use super::deadlines::{self, Context};
use super::fold::Folded;
use super::layout::{Block, Marker};
use super::tasks::Draft;

/// The lead and coordinating bodies a cell or a field names.
#[derive(Debug, Clone, Default)]
pub struct Bodies {
    pub lead: Option<Body>,
    pub coordinating: Vec<Body>,
}

impl Bodies {
    /// The bodies of a lead cell (its first body leads, others work with it) and of a
    /// coordinating cell; related units without a name are left out.
    pub fn of_cells(finder: &Finder, lead: &str, coordinating: &str) -> Self {
        let named = |text: &str| -> Vec<Body> {
            let folded = Folded::new(text);
            finder.mentions(text, &folded).into_iter().filter(|m| !m.vague).map(|m| m.body).collect()
        };
        let mut leads = named(lead).into_iter();
        let first = leads.next();
        let mut others: Vec<Body> = leads.chain(named(coordinating)).collect();
        others.retain(|b| Some(b) != first.as_ref());
        others.dedup();
        Bodies { lead: first, coordinating: others }
    }
}

/// A field of a task, on a line of its own: "- Cơ quan chủ trì: Sở Văn hóa, Thể thao và Du
/// lịch.", "- Thời gian hoàn thành: Quý III/2019.".
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:(?P<who>cơ quan|đơn vị|bộ phận)\s+)?(?P<name>chủ trì|đầu mối|trách nhiệm thực hiện|thực hiện|phối hợp|thời gian hoàn thành|thời gian thực hiện|thời hạn hoàn thành|thời hạn|thời gian|tiến độ(?: thực hiện| hoàn thành)?|hạn hoàn thành|sản phẩm|kết quả|kinh phí|nguồn kinh phí)(?: thực hiện)?\s*:\s*",
    )
});

enum FieldName {
    Lead,
    Coordinating,
    Deadline,
    Other,
}

fn field(text: &str) -> Option<(FieldName, &str)> {
    let folded = Folded::new(text);
    let found = FIELD.captures(&folded.text)?;
    let name = match found.name("name")?.as_str() {
        "chủ trì" | "đầu mối" | "trách nhiệm thực hiện" => FieldName::Lead,
        // "Đơn vị thực hiện:" names the lead; a bare "Thực hiện:" may say anything.
        "thực hiện" if found.name("who").is_some() => FieldName::Lead,
        "thực hiện" => return None,
        "phối hợp" => FieldName::Coordinating,
        "sản phẩm" | "kết quả" | "kinh phí" | "nguồn kinh phí" => FieldName::Other,
        _ => FieldName::Deadline,
    };
    Some((name, &text[folded.original_offset(found.get(0)?.end())..]))
}

/// The task a numbered item makes with its field lines, and how many blocks those take.
pub(super) fn with_fields(
    blocks: &[Block],
    index: usize,
    finder: &Finder,
    context: &Context,
) -> Option<(Draft, usize)> {
    let block = &blocks[index];
    let level = block.marker.as_ref().map_or(100, Marker::level);
    let (mut lead, mut coordinating, mut deadline) = (String::new(), String::new(), None);
    let mut count = 0;
    // Page numbers between the field lines are taken with them.
    let mut lone = 0;
    for child in &blocks[index + 1..] {
        if child.marker.as_ref().map_or(100, Marker::level) <= level && child.marker.is_some() {
            break;
        }
        if matches!(child.marker, Some(Marker::Lone(_))) {
            lone += 1;
            continue;
        }
        let Some((name, value)) = field(&child.text) else { break };
        count += std::mem::take(&mut lone);
        match name {
            FieldName::Lead => lead = value.to_owned(),
            FieldName::Coordinating => coordinating = value.to_owned(),
            FieldName::Deadline => {
                deadline = deadlines::in_cell(value, context).map(|found| {
                    let trimmed = value.trim();
                    let phrase = trimmed.trim_end_matches(['.', ';', ','])[found.range.clone()].to_owned();
                    (found, phrase)
                })
            }
            FieldName::Other => {}
        }
        count += 1;
    }
    if lead.is_empty() && deadline.is_none() {
        return None;
    }
    let bodies = Bodies::of_cells(finder, &lead, &coordinating);
    let section = block.marker.as_ref().and_then(Marker::label);
    let text = block.text.trim().trim_end_matches(':').to_owned();
    Some((Draft::explicit(section, text, block.line(), bodies, deadline), count))
}
