//! A task block's sentences, and the tasks they make: a new task starts where a sentence
//! names another lead, starts another job ("Đồng thời …") or alone carries a deadline.

use std::ops::Range;

use super::bodies::{Body, Mention};
use super::deadlines::{self, Context, Found};
use super::fold::{Folded, fold};
use super::layout::Block;
use super::roles::{
    COORDINATE, LEAD_AFTER, LIST_GAP, NOT_A_JOB, asked_in_passing, assigned_before, coordinated, described,
    is_superior, only_titles,
};
use super::tasks::{CLOSING, Draft};

/// A sentence of a block: its byte range in the block's text.
pub(super) fn sentences(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in bytes.iter().enumerate() {
        if c != '.' {
            continue;
        }
        let next = bytes.get(i + 1).map(|&(_, c)| c);
        let after = bytes.get(i + 2).map(|&(_, c)| c);
        let before_word: String = text[start..at]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '/')
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        // Abbreviations: "TP.", "Đ/c.", "v.v.", a number "1.".
        let abbreviation = matches!(
            before_word.as_str(),
            "TP" | "Tp" | "tp" | "v" | "ThS" | "TS" | "PGS" | "GS" | "Đ/c" | "đ/c"
        ) || before_word.chars().all(|c| c.is_ascii_digit());
        if next == Some(' ') && after.is_some_and(char::is_uppercase) && !abbreviation {
            out.push(start..at + 1);
            start = at + 2;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// What a sentence says of its lead: a body it assigns, and whether it is a new job.
struct SentenceFacts {
    range: std::ops::Range<usize>,
    lead: Option<Body>,
    coordinating: Vec<Body>,
    deadlines: Vec<Found>,
    /// Words left when the deadline's phrase is taken out.
    substance: usize,
    /// Words of the job after the lead, but for the deadline and filler words.
    job_substance: usize,
    starts_new_job: bool,
    /// Where the job starts, after "Giao X chủ trì, phối hợp với Y".
    action_start: usize,
}

fn sentence_facts(
    block: &Block,
    folded: &Folded,
    mentions: &[Mention],
    range: std::ops::Range<usize>,
    under_lead: bool,
    context: &Context,
) -> SentenceFacts {
    // Folded offsets of the sentence: the folded text keeps char order, so map by search.
    let folded_start = folded_offset(folded, range.start);
    let folded_end = folded_offset(folded, range.end);
    let inside: Vec<&Mention> =
        mentions.iter().filter(|m| m.range.start >= folded_start && m.range.end <= folded_end).collect();
    let sentence = &folded.text[folded_start..folded_end];
    let mut lead = None;
    let mut action_start = range.start;
    let mut coordinating: Vec<Body> = Vec::new();
    let candidates: Vec<&&Mention> = inside.iter().filter(|m| !m.vague && !is_superior(&m.body)).collect();
    for (index, mention) in candidates.iter().enumerate() {
        let before = &folded.text[folded_start..mention.range.start];
        // Bodies listed together ("Sở A, Sở B và Báo C đẩy mạnh …"): the first leads, the
        // others work with it.
        let mut last = index;
        while let Some(next) = candidates.get(last + 1)
            && LIST_GAP.is_match(&folded.text[candidates[last].range.end..next.range.start])
            && !folded.text[candidates[last].range.end..next.range.start].contains("với")
        {
            last += 1;
        }
        let after = &folded.text[candidates[last].range.end..folded_end];
        // Under a heading naming a body, "…; yêu cầu X …" is that body asking X.
        let assigned = assigned_before(before) && !(under_lead && asked_in_passing(before));
        let role = LEAD_AFTER.is_match(after) && !coordinated(folded, mention) && !described(before);
        let opens = only_titles(before) && !NOT_A_JOB.is_match(after);
        if assigned || role || opens {
            lead = Some(mention.body.clone());
            coordinating.extend(candidates[index + 1..=last].iter().map(|m| m.body.clone()));
            let end = candidates[last].range.end + after.len() - after.trim_start().len();
            action_start = folded.original_offset(end);
            break;
        }
    }
    for found in COORDINATE.find_iter(sentence) {
        let mut cursor = folded_start + found.end();
        for mention in &inside {
            if mention.range.start < cursor {
                continue;
            }
            if !LIST_GAP.is_match(&folded.text[cursor..mention.range.start]) {
                break;
            }
            if !mention.vague && lead.as_ref() != Some(&mention.body) && !coordinating.contains(&mention.body)
            {
                coordinating.push(mention.body.clone());
            }
            cursor = mention.range.end;
        }
        if lead.is_some() && cursor > folded_start + found.end() {
            let rest = &folded.text[cursor..folded_end];
            let skip = rest.len() - rest.trim_start_matches([' ', ',']).len();
            let end = cursor + skip;
            if folded.original_offset(end) > action_start {
                action_start = folded.original_offset(end);
            }
        }
    }
    let found = deadlines::find_in(folded, folded_start..folded_end, context);
    let words = |text: &str| text.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).count();
    let phrases: Vec<String> = found.iter().map(|d| fold(&block.text[d.range.clone()])).collect();
    // The words left once the deadlines and the filler words are taken out.
    let substance_of = |text: &str, filler: &[&str]| {
        let mut rest = text.to_owned();
        for phrase in phrases.iter().map(String::as_str).chain(filler.iter().copied()) {
            rest = rest.replace(phrase, " ");
        }
        words(&rest)
    };
    let filler = ["đảm bảo", "bảo đảm", "hoàn thành", "xong", "thực hiện", "khởi công", "báo cáo", "trình"];
    let substance = substance_of(sentence, &filler);
    // What the sentence asks beyond its lead, its deadline and "chủ trì thực hiện".
    let job_start = folded_offset(folded, action_start.max(range.start)).min(folded_end);
    let job_filler = [&filler[..], &["chủ trì", "thời gian", "thời hạn", "tiến độ"]].concat();
    let job_substance = substance_of(&folded.text[job_start..folded_end], &job_filler);
    let starts_new_job = ["đồng thời", "ngoài ra", "bên cạnh đó"].iter().any(|w| sentence.starts_with(w));
    SentenceFacts {
        range,
        lead,
        coordinating,
        deadlines: found,
        substance,
        job_substance,
        starts_new_job,
        action_start,
    }
}

/// Whether byte `at` of `text` is inside brackets.
fn in_brackets(text: &str, at: usize) -> bool {
    let before = &text[..at];
    before.matches('(').count() > before.matches(')').count()
}

/// A sentence cut where it gives two jobs two deadlines: "báo cáo … trước ngày 10/7/2023 và
/// tổng kết … trước ngày 15/12/2023" is two clauses, cut at the "và" or ";" between them.
fn clauses(block: &Block, folded: &Folded, range: Range<usize>, context: &Context) -> Vec<Range<usize>> {
    let within = folded_offset(folded, range.start)..folded_offset(folded, range.end);
    // Two deadlines write at least two dates: most sentences are spared the search.
    let dates = folded.text[within.clone()].matches('/').count()
        + folded.text[within.clone()].matches(" tháng ").count();
    if dates < 2 {
        return vec![range];
    }
    let found = deadlines::find_in(folded, within, context);
    let dated: Vec<&Found> =
        found.iter().filter(|f| f.due.is_some() && !in_brackets(&block.text, f.range.start)).collect();
    let mut cuts = Vec::new();
    for pair in dated.windows(2) {
        if pair[0].due == pair[1].due || pair[0].range.end > pair[1].range.start {
            continue;
        }
        let between = &block.text[pair[0].range.end..pair[1].range.start];
        if let Some((at, separator)) = between
            .rfind("; ")
            .map(|at| (at, "; ".len()))
            .or_else(|| between.rfind(" và ").map(|at| (at, " và ".len())))
        {
            cuts.push((pair[0].range.end + at, pair[0].range.end + at + separator));
        }
    }
    let mut pieces = Vec::new();
    let mut start = range.start;
    for (end, next) in cuts {
        pieces.push(start..end);
        start = next;
    }
    pieces.push(start..range.end);
    pieces
}

/// The folded offset of an original offset of the same text.
fn folded_offset(folded: &Folded, original: usize) -> usize {
    let mut low = 0;
    let mut high = folded.text.len();
    // original_offset is monotonic in its argument: search the first folded offset that
    // maps at or after `original`.
    while low < high {
        let mid = (low + high) / 2;
        let mid =
            (mid..=folded.text.len()).find(|&i| folded.text.is_char_boundary(i)).unwrap_or(folded.text.len());
        if mid >= high {
            break;
        }
        if folded.original_offset(mid) < original {
            low = (mid + 1..=folded.text.len())
                .find(|&i| folded.text.is_char_boundary(i))
                .unwrap_or(folded.text.len());
        } else {
            high = mid;
        }
    }
    low
}

/// Splits a task block into tasks: a new one starts where a sentence names another lead,
/// starts another job ("Đồng thời …"), or carries a deadline of its own.
pub(super) fn split(
    block: &Block,
    folded: &Folded,
    mentions: &[Mention],
    inherited: Option<Body>,
    section: Option<String>,
    intro: Option<String>,
    context: &Context,
) -> Vec<Draft> {
    let facts: Vec<SentenceFacts> = sentences(&block.text)
        .into_iter()
        .take_while(|r| !CLOSING.is_match(&fold(&block.text[r.clone()])))
        .flat_map(|r| clauses(block, folded, r, context))
        .map(|r| sentence_facts(block, folded, mentions, r, inherited.is_some(), context))
        .collect();
    let mut groups: Vec<Vec<&SentenceFacts>> = Vec::new();
    for sentence in &facts {
        let Some(group) = groups.last_mut() else {
            groups.push(vec![sentence]);
            continue;
        };
        let group_lead = group.iter().find_map(|s| s.lead.as_ref());
        let group_has_deadline = group.iter().any(|s| !s.deadlines.is_empty());
        let new_lead = sentence.lead.as_ref().is_some_and(|lead| group_lead != Some(lead));
        // A sentence of its own job: more than a deadline and a word or two ("Đảm bảo
        // khởi công trong Quý IV năm 2022" only says when).
        let own_deadline = !sentence.deadlines.is_empty() && sentence.substance >= 3 && !group_has_deadline;
        let after_deadline = group_has_deadline && sentence.substance >= 3;
        // "Tổ chức hội nghị …. Giao Sở Tư pháp chủ trì thực hiện trong Quý I": the second
        // sentence only says who and when for the first.
        let only_who_and_when = group_lead.is_none()
            && !group_has_deadline
            && sentence.job_substance < 2
            && !sentence.starts_new_job;
        if only_who_and_when {
            group.push(sentence);
        } else if new_lead || sentence.starts_new_job || own_deadline || after_deadline {
            groups.push(vec![sentence]);
        } else {
            group.push(sentence);
        }
    }
    let mut drafts = Vec::new();
    let mut previous: Option<(Option<Body>, Vec<Body>)> = None;
    for group in groups {
        let start = group[0].range.start;
        let end = group[group.len() - 1].range.end;
        let own = block.text[start..end].trim().to_owned();
        let own_lead = group.iter().find_map(|s| s.lead.clone());
        let mut coordinating: Vec<Body> = Vec::new();
        for body in group.iter().flat_map(|s| s.coordinating.iter()) {
            if !coordinating.contains(body) {
                coordinating.push(body.clone());
            }
        }
        let (lead, lead_inherited) = match (&own_lead, &previous) {
            (Some(lead), _) => (Some(lead.clone()), false),
            (None, Some((Some(lead), coordinating_before))) => {
                if coordinating.is_empty() {
                    coordinating = coordinating_before.clone();
                }
                (Some(lead.clone()), true)
            }
            (None, _) => (inherited.clone(), true),
        };
        coordinating.retain(|c| Some(c) != lead.as_ref());
        // A deadline in brackets tells of something else ("(áp dụng đến hết ngày …)"): the
        // others come first.
        let mut all: Vec<&Found> = group.iter().flat_map(|s| s.deadlines.iter()).collect();
        all.sort_by_key(|d| in_brackets(&block.text, d.range.start));
        // Of two readings of one recurrence ("định kỳ hằng quý (trước ngày 15 của tháng
        // cuối quý)"), the one with its day.
        let deadline = all
            .iter()
            .find(|d| d.recurrence.is_some_and(|r| r.day.is_some()))
            .or_else(|| all.iter().find(|d| d.due.is_some() || d.recurrence.is_some()))
            .or(all.first())
            .map(|d| (*d).clone());
        let distinct = {
            let mut dues: Vec<_> = all.iter().map(|d| (d.due, d.recurrence.map(|r| r.every as u8))).collect();
            dues.sort();
            dues.dedup();
            dues.len()
        };
        // The job starts after its lead's assignment, or with the group when the lead is
        // given after it.
        let action_start = if group[0].lead.is_some() { group[0].action_start.max(start) } else { start };
        let action = block.text[action_start..end].trim().to_owned();
        let text = match &intro {
            Some(intro) => format!("{intro}: {own}"),
            None => own,
        };
        drafts.push(Draft {
            section: section.clone(),
            text,
            action,
            line: block.line_at(start),
            deadline_phrase: deadline.as_ref().map(|d| block.text[d.range.clone()].to_owned()),
            deadline,
            other_deadlines: distinct.saturating_sub(1),
            lead: lead.clone(),
            lead_inherited,
            coordinating: coordinating.clone(),
        });
        previous = Some((lead, coordinating));
    }
    drafts
}
