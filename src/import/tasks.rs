//! From a document's blocks to its tasks. Each numbered item or bullet under a task
//! section is a task, split where its sentences give different bodies different jobs or
//! where one sentence alone carries a deadline; a heading that names a body ("Giao UBND
//! thành phố Hạ Long:", "1. Sở Tài chính:") or an introduction ("thành phố Nam Định và các
//! Sở, ngành cần thực hiện tốt một số nhiệm vụ sau:") gives its lead to the items below it.
//! Assessments, purposes, `Căn cứ` lines and the closing line are not tasks.

use std::sync::LazyLock;

use regex::Regex;

use super::bodies::{Body, Finder};
use super::compile;
use super::deadlines::{Context, Found};
use super::fields::{Bodies, with_fields};
use super::fold::{Folded, fold};
use super::layout::{Block, Marker};
use super::roles::{has_explicit_assignment, heading_lead, intro_lead};
use super::sentences::{sentences, split};

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

/// Headings of what is not a task: assessments, purposes, grounds.
static NOT_TASKS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:về )?(?:đánh giá|kết quả|tình hình|tồn tại|hạn chế|nguyên nhân|mục đích|mục tiêu|căn cứ|quan điểm|bối cảnh|sự cần thiết|phạm vi|đối tượng|khó khăn|ưu điểm|thuận lợi|những kết quả|một số kết quả|bài học|yêu cầu\s*:?\s*$|thời gian(?:,|\s+và\s+(?:phạm vi|địa điểm)|\s*:?\s*$))",
    )
});
/// Introductions and headings of tasks.
static TASKS_FOLLOW: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:nhiệm vụ|giải pháp|tổ chức thực hiện|phân công|kết luận|chỉ đạo|chỉ thị|như sau|sau đây|yêu cầu|đề nghị|giao|triển khai|thực hiện tốt|ý kiến)",
    )
});
/// What a notice tells of the meeting: "Ngày 14/4/2022, đồng chí … chủ trì cuộc họp",
/// "Tham dự cuộc họp có lãnh đạo các sở: …".
static NARRATIVE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:ngày \d{1,2}\s*[/-]\s*\d{1,2}\s*[/-]\s*\d{4}|ngày \d{1,2} tháng \d{1,2} năm \d{4}|(?:cùng )?tham dự|thành phần|dự họp|có sự tham dự)",
    )
});

/// A line all in capitals is a title ("PHỤ LỤC", a table's group row), never a task.
pub(super) fn is_title(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 6 && !text.chars().any(char::is_lowercase)
}

/// A decision agreed, not work given: "Thống nhất tổ chức Lễ hội …", "Đồng ý chủ trương …".
static AGREES: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:về cơ bản |cơ bản )?(?:thống nhất|đồng ý|nhất trí|chấp thuận|ghi nhận|biểu dương|đánh giá cao|hoan nghênh)(?:\s|,|$)",
    )
});
/// Closing lines: "… chịu trách nhiệm thi hành", "Căn cứ nội dung chỉ đạo trên, … tổ chức
/// triển khai thực hiện./.".
pub(super) static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"chịu trách nhiệm thi hành|có hiệu lực(?: thi hành)?(?: kể)? từ|(?:căn cứ|theo) (?:các )?(?:nội dung|ý kiến|kết luận)(?: chỉ đạo)?(?: nêu)? trên|thông báo (?:để|cho)[^.]{0,120}(?:biết|thực hiện)|biết,? (?:và )?(?:tổ chức )?thực hiện\s*\./\.|trong quá trình (?:tổ chức )?(?:triển khai )?thực hiện,? nếu có (?:khó khăn|vướng mắc|phát sinh)|^ban hành kèm theo|(?:nghiêm túc|tổ chức|khẩn trương) (?:triển khai )?thực hiện (?:nghiêm )?(?:chỉ thị|thông báo|kế hoạch|quyết định|công văn|văn bản|kết luận)(?: này)?\s*\./\.|^tổ chức triển khai thực hiện\s*\./\.",
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
        if CLOSING.is_match(&opening)
            || folded.text.starts_with("căn cứ")
            || zone == Zone::NotTasks
            || NARRATIVE.is_match(&folded.text)
            // A row of a table with no lead column: a schedule, a list of figures.
            || block.text.starts_with("| ")
            || is_title(&block.text)
        {
            continue;
        }
        let under_heading = stack.iter().any(|h| h.label.is_some()) || block.marker.is_some();
        let explicit = has_explicit_assignment(&folded, &mentions);
        let is_task = match zone {
            // An unnumbered paragraph among the tasks is one when it gives a body work,
            // in so many words or by opening with it ("Các cơ quan, đơn vị báo cáo …").
            Zone::Tasks => under_heading || explicit || heading_lead(&folded, &mentions).is_some(),
            // Before any introduction, a numbered item that opens with a body and its job
            // ("2. Sở Nội vụ rà soát …") gives that body work as plainly as "Giao".
            Zone::Unknown => {
                explicit
                    || matches!(block.marker, Some(Marker::Number(_) | Marker::Letter(_)))
                        && heading_lead(&folded, &mentions).is_some()
            }
            Zone::NotTasks => explicit,
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
        // A part that only agrees to something and names no lead of its own is not a task.
        drafts.extend(
            split(block, &folded, &mentions, inherited, section, intro, context)
                .into_iter()
                .filter(|d| !(d.lead_inherited && AGREES.is_match(&fold(&d.action)))),
        );
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

/// A sentence that tells what was done ("đã hoàn thành …") is an assessment.
fn is_past_report(folded: &str) -> bool {
    // Its first clause: "…; vận động tháo dỡ các lò đã ngưng hoạt động" is work to do.
    let first = folded.split(';').next().unwrap_or(folded);
    let head: String = first.chars().take(80).collect();
    // "Tập trung hoàn thành … các cụm công nghiệp đã có chủ đầu tư …" asks for work: the
    // "đã" is in what it names.
    let asks = ASKING_VERBS.iter().any(|verb| head.trim_start().starts_with(verb));
    head.contains(" đã ")
        && !asks
        && !head.contains("giao")
        && !head.contains("yêu cầu")
        && !head.contains("đề nghị")
}

/// Verbs that open what a body is asked to do (folded).
const ASKING_VERBS: &[&str] = &[
    "tập trung",
    "khẩn trương",
    "tiếp tục",
    "chỉ đạo",
    "rà soát",
    "hoàn thành",
    "xây dựng",
    "triển khai",
    "phối hợp",
    "tổ chức",
    "đẩy mạnh",
    "tăng cường",
    "thực hiện",
    "hướng dẫn",
    "kiểm tra",
    "chủ động",
    "nghiên cứu",
    "tham mưu",
    "đôn đốc",
    "bố trí",
    "giải quyết",
    "xử lý",
    "vận động",
    "tuyên truyền",
    "thống kê",
    "lập ",
    "cập nhật",
    "đánh giá lại",
    "theo dõi",
    "quản lý",
];
