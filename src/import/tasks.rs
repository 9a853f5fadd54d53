//! From a document's blocks to its tasks. Each numbered item or bullet under a task
//! section is a task, split where its sentences give different bodies different jobs or
//! where one sentence alone carries a deadline; a heading that names a body ("Giao UBND
//! thành phố Hạ Long:", "1. Sở Tài chính:") or an introduction ("thành phố Nam Định và các
//! Sở, ngành cần thực hiện tốt một số nhiệm vụ sau:") gives its lead to the items below it.
//! Assessments, purposes, `Căn cứ` lines and the closing line are not tasks.

use std::sync::LazyLock;

use regex::Regex;

use super::compile;

use super::bodies::{Body, Finder, Mention};
use super::deadlines::{self, Context, Found};
use super::fold::{Folded, fold};
use super::layout::{Block, Marker};

/// A task as found, before it is scored.
#[derive(Debug, Clone)]
pub struct Draft {
    pub section: Option<String>,
    /// The task's own words, with the heading it continues ("Triển khai tiêm chủng …: ").
    pub text: String,
    /// The words after the assignment ("Giao Sở Nội vụ chủ trì, phối hợp với … " left out).
    pub action: String,
    pub line: usize,
    pub lead: Option<Body>,
    pub lead_inherited: bool,
    pub coordinating: Vec<Body>,
    pub deadline: Option<Found>,
    /// The deadline's phrase as written.
    pub deadline_phrase: Option<String>,
    pub other_deadlines: usize,
}

impl Draft {
    /// A task whose parts are given in so many words: a table's row, or an item with its
    /// "Cơ quan chủ trì:" and "Thời gian hoàn thành:" lines.
    pub fn explicit(
        section: Option<String>,
        text: String,
        line: usize,
        bodies: Bodies,
        deadline: Option<(Found, String)>,
    ) -> Self {
        let (deadline, deadline_phrase) = match deadline {
            Some((found, phrase)) => (Some(found), Some(phrase)),
            None => (None, None),
        };
        Draft {
            section,
            action: text.clone(),
            text,
            line,
            lead: bodies.lead,
            lead_inherited: false,
            coordinating: bodies.coordinating,
            deadline,
            deadline_phrase,
            other_deadlines: 0,
        }
    }
}

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
        r"^(?:(?:cơ quan|đơn vị|bộ phận)\s+)?(?P<name>chủ trì|phối hợp|thời gian hoàn thành|thời gian thực hiện|thời hạn hoàn thành|thời hạn|tiến độ(?: thực hiện| hoàn thành)?|hạn hoàn thành|sản phẩm|kết quả|kinh phí|nguồn kinh phí)(?: thực hiện)?\s*:\s*",
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
        "chủ trì" => FieldName::Lead,
        "phối hợp" => FieldName::Coordinating,
        "sản phẩm" | "kết quả" | "kinh phí" | "nguồn kinh phí" => FieldName::Other,
        _ => FieldName::Deadline,
    };
    Some((name, &text[folded.original_offset(found.get(0)?.end())..]))
}

/// The task a numbered item makes with its field lines, and how many blocks those take.
fn with_fields(blocks: &[Block], index: usize, finder: &Finder, context: &Context) -> Option<(Draft, usize)> {
    let block = &blocks[index];
    let level = block.marker.as_ref().map_or(100, Marker::level);
    let (mut lead, mut coordinating, mut deadline) = (String::new(), String::new(), None);
    let mut count = 0;
    for child in &blocks[index + 1..] {
        if child.marker.as_ref().map_or(100, Marker::level) <= level && child.marker.is_some() {
            break;
        }
        let Some((name, value)) = field(&child.text) else { break };
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

/// Words before a body that make it the lead: "Giao", "Yêu cầu", "Đề nghị".
static ASSIGN_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:^|[.;:]\s*|,\s*)(?:(?:đồng thời|ngoài ra|mặt khác|riêng|trong đó),?\s*)?(?:giao(?: nhiệm vụ)?(?: cho)?|yêu cầu|đề nghị|đối với|nhiệm vụ của|trách nhiệm của)\s*$",
    )
});
/// Whether the words before a body assign it the task ("Giao", "Yêu cầu", "Đề nghị"),
/// looking only at the last words before it.
fn assigned_before(before: &str) -> bool {
    let near = deadlines::tail(before, 160);
    if near.len() == before.len() {
        ASSIGN_BEFORE.is_match(near)
    } else {
        // Cut mid-text: the cut is not the start of a sentence.
        ASSIGN_BEFORE.is_match(&format!("… {near}"))
    }
}

/// Words after a body that make it the lead: "chủ trì", "có trách nhiệm".
static LEAD_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\s*(?:\([^)]{0,40}\)\s*)?(?:là cơ quan |là đơn vị |làm cơ quan )?(?:chủ trì|đầu mối|làm đầu mối|thường trực|có trách nhiệm|chịu trách nhiệm|khẩn trương|chủ động|tập trung|tham mưu|:)",
    )
});
/// Words that start a body's job when the sentence starts with the body.
static NOT_A_JOB: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\s*(?:,|và|của|thuộc|tỉnh|về|trong|đã|đang|với|cùng|theo (?:quy định|đó|chỉ đạo|kế hoạch|hướng dẫn|đề nghị|nội dung)|tại|là|do|cho|để|năm|ngày|\)|/|-|$)",
    )
});
static COORDINATE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"phối hợp(?: chặt chẽ)?(?: với)?|cùng với|cùng phối hợp với"));
static LIST_GAP: LazyLock<Regex> = LazyLock::new(|| compile(r"^[\s,;]*(?:(?:và|cùng|với|các)\s*[,]?\s*)*$"));
/// Headings of what is not a task: assessments, purposes, grounds.
static NOT_TASKS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:về )?(?:đánh giá|kết quả|tình hình|tồn tại|hạn chế|nguyên nhân|mục đích|mục tiêu|căn cứ|quan điểm|bối cảnh|sự cần thiết|phạm vi|đối tượng|khó khăn|ưu điểm|thuận lợi|những kết quả|một số kết quả|bài học)",
    )
});
/// Introductions and headings of tasks.
static TASKS_FOLLOW: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:nhiệm vụ|giải pháp|tổ chức thực hiện|phân công|kết luận|chỉ đạo|chỉ thị|như sau|sau đây|yêu cầu|đề nghị|giao|triển khai|thực hiện tốt|ý kiến)",
    )
});
/// Closing lines: "… chịu trách nhiệm thi hành", "Căn cứ nội dung chỉ đạo trên, … tổ chức
/// triển khai thực hiện./.".
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"chịu trách nhiệm thi hành|có hiệu lực(?: thi hành)?(?: kể)? từ|(?:căn cứ|theo) (?:các )?(?:nội dung|ý kiến|kết luận)(?: chỉ đạo)?(?: nêu)? trên|thông báo (?:để|cho)[^.]{0,120}(?:biết|thực hiện)|biết,? (?:và )?(?:tổ chức )?thực hiện\s*\./\.|trong quá trình (?:tổ chức )?(?:triển khai )?thực hiện,? nếu có (?:khó khăn|vướng mắc|phát sinh)|^ban hành kèm theo|(?:nghiêm túc|tổ chức|khẩn trương) (?:triển khai )?thực hiện (?:nghiêm )?(?:chỉ thị|thông báo|kế hoạch|quyết định|công văn|văn bản|kết luận)(?: này)?\s*\./\.|^tổ chức triển khai thực hiện\s*\./\.",
    )
});
/// A superior of the issuer or the issuer itself, never a lead: "Chủ tịch UBND tỉnh".
static SUPERIOR: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:đồng chí |đ/c )?(?:phó )?(?:chủ tịch )?(?:ubnd|ủy ban nhân dân|hđnd|hội đồng nhân dân)(?: tỉnh| thành phố trực thuộc)?(?: [\p{L} ]+)?$|^(?:đồng chí |đ/c )?(?:phó )?chủ tịch ubnd tỉnh|^(?:tỉnh ủy|thường trực|ban thường vụ|chính phủ|thủ tướng)",
    )
});

/// One level of headings above a block.
#[derive(Debug, Clone)]
struct Heading {
    level: u32,
    label: Option<String>,
    lead: Option<Body>,
    /// Words of a bullet heading ending in ':' that its items continue.
    intro: Option<String>,
    zone: Zone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    /// Before any task heading or introduction: only explicit assignments are tasks.
    Unknown,
    Tasks,
    NotTasks,
}

/// The tasks of `blocks`.
pub fn find(blocks: &[Block], finder: &Finder, context: &Context) -> Vec<Draft> {
    let mut drafts = Vec::new();
    let mut stack: Vec<Heading> = Vec::new();
    let mut document_zone = Zone::Unknown;
    let mut document_lead: Option<Body> = None;
    let mut skipping = false;
    let mut consumed_until = 0;
    for (index, block) in blocks.iter().enumerate() {
        if index < consumed_until {
            continue;
        }
        let folded = Folded::new(&block.text);
        if ends_body(&block.text, &folded.text) {
            skipping = true;
            continue;
        }
        if skipping {
            if starts_new_part(block) {
                skipping = false;
                stack.clear();
                document_zone = Zone::Unknown;
                document_lead = None;
            }
            continue;
        }
        if matches!(block.marker, Some(Marker::Lone(_))) || block.text.is_empty() {
            continue;
        }
        let level = block.marker.as_ref().map_or(100, Marker::level);
        if block.marker.is_some() {
            stack.retain(|h| h.level < level);
        }
        if block.marker.is_some()
            && let Some((draft, fields)) = with_fields(blocks, index, finder, context)
        {
            drafts.push(draft);
            consumed_until = index + 1 + fields;
            continue;
        }
        let mentions = finder.mentions(&block.text, &folded);
        let is_heading = is_heading(block, blocks.get(index + 1));
        let zone = stack.iter().rev().map(|h| h.zone).find(|z| *z != Zone::Unknown).unwrap_or(document_zone);
        if is_heading {
            let own_zone = if NOT_TASKS.is_match(folded.text.trim_start()) {
                Zone::NotTasks
            } else if TASKS_FOLLOW.is_match(&folded.text) {
                Zone::Tasks
            } else {
                Zone::Unknown
            };
            if block.marker.is_none() {
                let lead = heading_lead(&folded, &mentions).or_else(|| intro_lead(&folded, &mentions));
                // An introduction: "… cần tập trung thực hiện tốt một số nhiệm vụ sau:".
                if own_zone == Zone::Tasks {
                    document_zone = Zone::Tasks;
                    if lead.is_some() {
                        document_lead = lead;
                    }
                } else if own_zone == Zone::NotTasks {
                    document_zone = Zone::NotTasks;
                }
                continue;
            }
            let lead = heading_lead(&folded, &mentions);
            let intro = block.text.trim_end().strip_suffix(':').map(|t| t.trim().to_owned());
            let intro = intro
                .filter(|_| matches!(block.marker, Some(Marker::Dash | Marker::Plus | Marker::Letter(_))));
            stack.push(Heading {
                level,
                label: block.marker.as_ref().and_then(Marker::label),
                lead,
                intro,
                zone: own_zone,
            });
            continue;
        }
        // A closing line ends the block; a block that only closes is not a task.
        let first_sentence = sentences(&block.text).into_iter().next().unwrap_or(0..block.text.len());
        let opening = fold(&block.text[first_sentence]);
        if CLOSING.is_match(&opening) || folded.text.starts_with("căn cứ") || zone == Zone::NotTasks {
            continue;
        }
        let under_heading = stack.iter().any(|h| h.label.is_some()) || block.marker.is_some();
        let explicit = has_explicit_assignment(&folded, &mentions);
        let is_task = match zone {
            Zone::Tasks => under_heading || explicit,
            _ => explicit,
        };
        if !is_task || is_past_report(&folded.text) {
            continue;
        }
        let inherited = stack.iter().rev().find_map(|h| h.lead.clone()).or_else(|| document_lead.clone());
        let section = stack
            .iter()
            .rev()
            .find_map(|h| h.label.clone())
            .or_else(|| block.marker.as_ref().and_then(Marker::label));
        let section = match (block.marker.as_ref().and_then(Marker::label), section) {
            (Some(own), _)
                if matches!(
                    block.marker,
                    Some(Marker::Number(_) | Marker::Roman(_) | Marker::Article(_))
                ) =>
            {
                Some(own)
            }
            (_, parent) => parent,
        };
        let intro = stack.last().and_then(|h| h.intro.clone());
        drafts.extend(split(block, &folded, &mentions, inherited, section, intro, context));
    }
    drafts
}

/// The start of the list of recipients or of the signature: the body of the document ends.
fn ends_body(text: &str, folded: &str) -> bool {
    folded.starts_with("nơi nhận") || ["TM. ", "KT. ", "TL. ", "TUQ. "].iter().any(|p| text.starts_with(p))
}

/// A new part after the signature: an appendix or a plan issued with a decision.
fn starts_new_part(block: &Block) -> bool {
    let text = block.text.trim();
    let upper =
        !text.chars().any(char::is_lowercase) && text.chars().filter(|c| c.is_alphabetic()).count() >= 6;
    let folded = fold(text);
    upper
        && ["kế hoạch", "phụ lục", "chương trình", "danh mục", "quy chế", "đề án"]
            .iter()
            .any(|w| folded.starts_with(w))
}

/// Whether a block introduces the blocks after it rather than being a task: it ends with
/// ':' and something follows, or it is a short numbered title followed by deeper items
/// or by unnumbered paragraphs.
fn is_heading(block: &Block, next: Option<&Block>) -> bool {
    let text = block.text.trim_end();
    let Some(next) = next else { return false };
    let level = block.marker.as_ref().map_or(100, Marker::level);
    let next_level = next.marker.as_ref().map_or(100, Marker::level);
    if text.ends_with(':') {
        return next_level > level || block.marker.is_none() || next.marker.is_none();
    }
    let titled = matches!(
        block.marker,
        Some(Marker::Roman(_) | Marker::Number(_) | Marker::Letter(_) | Marker::Article(_))
    );
    let short = text.chars().count() <= 110;
    titled && short && !text.ends_with(['.', ';']) && next_level > level
}

/// The lead a heading gives its items: "Giao UBND thành phố Hạ Long:", "1. Sở Tài chính:",
/// "thành phố Nam Định và các Sở, ngành cần … nhiệm vụ sau:".
fn heading_lead(folded: &Folded, mentions: &[Mention]) -> Option<Body> {
    let first = mentions.iter().find(|m| !m.vague && !is_superior(&m.body))?;
    let before = folded.text[..first.range.start].trim();
    let after = &folded.text[first.range.end..];
    let starts = before.is_empty() || assigned_before(&folded.text[..first.range.start]);
    let role = LEAD_AFTER.is_match(after)
        || after.trim().is_empty()
        || after.trim_start().starts_with(['(', ':', ','])
        || after.trim_start().starts_with("và");
    (starts && (role || !NOT_A_JOB.is_match(after))
        || LEAD_AFTER.is_match(after) && !coordinated(folded, first))
    .then(|| first.body.clone())
}

/// The lead an introduction gives the tasks after it: the first body it addresses, not
/// one it mentions in passing ("của", "với", "tại").
fn intro_lead(folded: &Folded, mentions: &[Mention]) -> Option<Body> {
    static PASSING: LazyLock<Regex> =
        LazyLock::new(|| compile(r"(?:của|với|tại|về|cho|từ|trên|thuộc|giữa|trình|báo cáo)\s*$"));
    mentions
        .iter()
        .filter(|m| !m.vague && !is_superior(&m.body) && !coordinated(folded, m))
        .find(|m| !PASSING.is_match(deadlines::tail(&folded.text[..m.range.start], 60)))
        .map(|m| m.body.clone())
}

fn is_superior(body: &Body) -> bool {
    body.code.is_none() && SUPERIOR.is_match(&fold(&body.written))
}

/// Whether a mention is in a list after "phối hợp với".
fn coordinated(folded: &Folded, mention: &Mention) -> bool {
    let before = deadlines::tail(&folded.text[..mention.range.start], 200);
    COORDINATE.find_iter(before).last().is_some_and(|m| {
        let gap = &before[m.end()..];
        gap.len() < 160 && !gap.contains(['.', ';', ':'])
    })
}

/// Whether the block assigns work in so many words: "Giao X", "Yêu cầu X", "X chủ trì".
fn has_explicit_assignment(folded: &Folded, mentions: &[Mention]) -> bool {
    mentions.iter().filter(|m| !m.vague && !is_superior(&m.body)).any(|m| {
        assigned_before(&folded.text[..m.range.start])
            || LEAD_AFTER.is_match(&folded.text[m.range.end..]) && !coordinated(folded, m)
    })
}

/// A sentence that tells what was done ("đã hoàn thành …") is an assessment.
fn is_past_report(folded: &str) -> bool {
    let head: String = folded.chars().take(80).collect();
    head.contains(" đã ") && !head.contains("giao") && !head.contains("yêu cầu") && !head.contains("đề nghị")
}

/// A sentence of a block: its byte range in the block's text.
fn sentences(text: &str) -> Vec<std::ops::Range<usize>> {
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
    starts_new_job: bool,
    /// Where the job starts, after "Giao X chủ trì, phối hợp với Y".
    action_start: usize,
}

fn sentence_facts(
    block: &Block,
    folded: &Folded,
    mentions: &[Mention],
    range: std::ops::Range<usize>,
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
        let assigned = assigned_before(before);
        let role = LEAD_AFTER.is_match(after) && !coordinated(folded, mention);
        let opens = before.trim_start_matches(|c: char| !c.is_alphanumeric()).is_empty()
            && !NOT_A_JOB.is_match(after);
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
    let filler = ["đảm bảo", "bảo đảm", "hoàn thành", "xong", "thực hiện", "khởi công", "báo cáo", "trình"];
    let mut rest = sentence.to_owned();
    for deadline in &found {
        let phrase = fold(&block.text[deadline.range.clone()]);
        rest = rest.replace(&phrase, " ");
    }
    for word in filler {
        rest = rest.replace(word, " ");
    }
    let substance = words(&rest);
    let starts_new_job = ["đồng thời", "ngoài ra", "bên cạnh đó"].iter().any(|w| sentence.starts_with(w));
    SentenceFacts { range, lead, coordinating, deadlines: found, substance, starts_new_job, action_start }
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
fn split(
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
        .map(|r| sentence_facts(block, folded, mentions, r, context))
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
        if new_lead || sentence.starts_new_job || own_deadline || after_deadline {
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
        let all: Vec<&Found> = group.iter().flat_map(|s| s.deadlines.iter()).collect();
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
        let action_start =
            group.iter().find(|s| s.lead.is_some()).map_or(start, |s| s.action_start).max(start);
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
