//! How a sentence gives a body its part: "Giao X chủ trì, phối hợp với Y", "Yêu cầu X",
//! "X có trách nhiệm", a heading or an introduction naming X, a list of bodies that
//! begins a sentence. The issuer and its superiors are never a lead.

use std::sync::LazyLock;

use regex::Regex;

use super::bodies::{Body, Mention};
use super::compile;
use super::deadlines;
use super::fold::{Folded, fold};

/// Words before a body that make it the lead: "Giao", "Yêu cầu", "Đề nghị".
pub(super) static ASSIGN_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:^|[.;:]\s*|,\s*)(?:(?:đồng thời|ngoài ra|mặt khác|riêng|trong đó),?\s*)?(?:giao(?: nhiệm vụ)?(?: cho)?|yêu cầu|đề nghị|đối với|nhiệm vụ của|trách nhiệm của)\s*$",
    )
});
/// Whether the words before a body assign it the task ("Giao", "Yêu cầu", "Đề nghị"),
/// looking only at the last words before it.
pub(super) fn assigned_before(before: &str) -> bool {
    // "Giao Giám đốc Sở …" gives the work to the body.
    let mut before = before.trim_end();
    while let Some(title) = super::bodies::TITLES.iter().find(|t| {
        before.strip_suffix(**t).is_some_and(|rest| rest.is_empty() || rest.ends_with([' ', ',', ';', ':']))
    }) {
        before = before[..before.len() - title.len()].trim_end();
    }
    let near = deadlines::tail(before, 160);
    if near.len() == before.len() {
        ASSIGN_BEFORE.is_match(near)
    } else {
        // Cut mid-text: the cut is not the start of a sentence.
        ASSIGN_BEFORE.is_match(&format!("… {near}"))
    }
}

/// Whether the words before a body end in "yêu cầu" or "đề nghị" after other words of
/// the sentence ("Kiểm tra …; yêu cầu các doanh nghiệp …"), not at its start.
pub(super) fn asked_in_passing(before: &str) -> bool {
    let before = before.trim_end();
    let Some(rest) = before.strip_suffix("yêu cầu").or_else(|| before.strip_suffix("đề nghị")) else {
        return false;
    };
    let rest = rest.trim_end_matches([' ', ',', ';']);
    let rest = ["đồng thời", "ngoài ra", "mặt khác"].iter().fold(rest, |r, w| r.strip_suffix(w).unwrap_or(r));
    rest.chars().any(char::is_alphabetic)
}

/// Words after a body that make it the lead: "chủ trì", "có trách nhiệm".
pub(super) static LEAD_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\s*(?:\([^)]{0,40}\)\s*)?(?:là cơ quan |là đơn vị |làm cơ quan )?(?:chủ trì|đầu mối|làm đầu mối|thường trực|có trách nhiệm|chịu trách nhiệm|khẩn trương|chủ động|tập trung|tham mưu|:)",
    )
});
/// Words that start a body's job when the sentence starts with the body.
pub(super) static NOT_A_JOB: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\s*(?:,|và|của|thuộc|tỉnh|về|trong (?:đó|số|quá trình|thời gian qua|những năm|các năm)|đã|đang|với|cùng|theo (?:quy định|đó|chỉ đạo|kế hoạch|hướng dẫn|đề nghị|nội dung)|tại|là|do|cho|để|năm|ngày|\)|/|-|$)",
    )
});
pub(super) static COORDINATE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"phối hợp(?: chặt chẽ)?(?: với)?|cùng với|cùng phối hợp với"));
/// Between two bodies of one list: commas, "và", and their heads' titles ("Giám đốc Công
/// an tỉnh, Chỉ huy trưởng Bộ Chỉ huy Quân sự tỉnh").
pub(super) static LIST_GAP: LazyLock<Regex> = LazyLock::new(|| {
    let titles = super::bodies::TITLES.join("|");
    compile(&format!(r"^[\s,;]*(?:(?:và|cùng|với|các|{titles})\s*[,]?\s*)*$"))
});
/// A superior of the issuer or the issuer itself, never a lead: "Chủ tịch UBND tỉnh".
pub(super) static SUPERIOR: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:đồng chí |đ/c )?(?:phó )?(?:chủ tịch )?(?:ubnd|ủy ban nhân dân|hđnd|hội đồng nhân dân)(?: tỉnh| thành phố trực thuộc)?(?: [\p{L} ]+)?$|^(?:đồng chí |đ/c )?(?:phó )?chủ tịch ubnd tỉnh|^(?:tỉnh ủy|thường trực|ban thường vụ|chính phủ|thủ tướng)",
    )
});

/// The lead a heading gives its items: "Giao UBND thành phố Hạ Long:", "1. Sở Tài chính:",
/// "thành phố Nam Định và các Sở, ngành cần … nhiệm vụ sau:".
pub(super) fn heading_lead(folded: &Folded, mentions: &[Mention]) -> Option<Body> {
    let first = mentions.iter().find(|m| !m.vague && !is_superior(&m.body))?;
    let before = folded.text[..first.range.start].trim();
    let after = &folded.text[first.range.end..];
    let starts = only_titles(before) || assigned_before(&folded.text[..first.range.start]);
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
pub(super) fn intro_lead(folded: &Folded, mentions: &[Mention]) -> Option<Body> {
    static PASSING: LazyLock<Regex> =
        LazyLock::new(|| compile(r"(?:của|với|tại|về|cho|từ|trên|thuộc|giữa|trình|báo cáo)\s*$"));
    mentions
        .iter()
        .filter(|m| !m.vague && !is_superior(&m.body) && !coordinated(folded, m))
        .find(|m| !PASSING.is_match(deadlines::tail(&folded.text[..m.range.start], 60)))
        .map(|m| m.body.clone())
}

pub(super) fn is_superior(body: &Body) -> bool {
    // "UBND các huyện …" is a group of local governments, never the issuer.
    body.code.is_none() && !body.group && SUPERIOR.is_match(&fold(&body.written))
}

/// Whether a mention is in a list after "phối hợp với".
pub(super) fn coordinated(folded: &Folded, mention: &Mention) -> bool {
    let before = deadlines::tail(&folded.text[..mention.range.start], 200);
    COORDINATE.find_iter(before).last().is_some_and(|m| {
        let gap = &before[m.end()..];
        gap.len() < 160 && !gap.contains(['.', ';', ':'])
    })
}

/// Whether the block assigns work in so many words: "Giao X", "Yêu cầu X", "X chủ trì".
pub(super) fn has_explicit_assignment(folded: &Folded, mentions: &[Mention]) -> bool {
    mentions.iter().filter(|m| !m.vague && !is_superior(&m.body)).any(|m| {
        assigned_before(&folded.text[..m.range.start])
            || LEAD_AFTER.is_match(&folded.text[m.range.end..])
                && !coordinated(folded, m)
                && !described(&folded.text[..m.range.start])
    })
}

/// Whether the words before a body are only its head's title or nothing: "Giám đốc Công an
/// tỉnh" leads as "Công an tỉnh" does.
pub(super) fn only_titles(before: &str) -> bool {
    let mut rest = before.trim_matches(|c: char| !c.is_alphanumeric());
    loop {
        if rest.is_empty() {
            return true;
        }
        let Some(title) = super::bodies::TITLES.iter().find(|t| rest.starts_with(*t)) else { return false };
        rest = rest[title.len()..].trim_start();
    }
}

/// "do X chủ trì" (chaired by X) tells of X, it gives X nothing.
pub(super) fn described(before: &str) -> bool {
    let before = before.trim_end();
    before.ends_with(" do") || before.ends_with(" bởi") || before == "do"
}
