//! The document's own facts, read from its header and first paragraphs: who issued it,
//! its number and symbol (`Số: 41/TB-UBND`), its kind, the day it was signed, and for a
//! conclusion notice, the day of the meeting it concludes.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::{capitalised, compile};

use super::fold::{Folded, fold};
use super::layout::{Block, Line};

/// What the document says of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub issuer: Option<String>,
    pub number: Option<String>,
    /// "thông báo kết luận", "chỉ thị", "công văn", "kế hoạch", "quyết định ban hành kế
    /// hoạch" …
    pub kind: Option<String>,
    pub title: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub meeting_date: Option<NaiveDate>,
}

impl Facts {
    /// The day deadlines are read against: the document's date, or its meeting's.
    pub fn reference(&self) -> Option<NaiveDate> {
        self.issue_date.or(self.meeting_date)
    }
}

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?:^|\s)số\s*:?\s*(?P<n>\d{1,6})\s*/\s*(?P<s>[\p{L}\d][\p{L}\d./&-]*)"));
static DATE_WORDS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})"));
static DATE_NUMBERS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"ngày\s+(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4})"));
static MEETING: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"chủ trì|cuộc họp|buổi làm việc|hội nghị|làm việc với|họp|kiểm tra|khảo sát|đối thoại")
});

/// Words just before a date that make it a deadline (folded text).
static DUE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?:trước|chậm nhất(?: là)?|hạn(?: chót)?|xong|đến|tới|không quá)(?: ngày)?\s*$")
});

const MOTTO: [&str; 3] =
    ["cộng hòa xã hội chủ nghĩa việt nam", "độc lập - tự do - hạnh phúc", "độc lập – tự do – hạnh phúc"];

/// Kinds by the title word, longest first.
const KIND_TITLES: [(&str, &str); 12] = [
    ("thông báo kết luận", "thông báo kết luận"),
    ("thông báo", "thông báo"),
    ("chỉ thị", "chỉ thị"),
    ("kế hoạch", "kế hoạch"),
    ("quyết định", "quyết định"),
    ("nghị quyết", "nghị quyết"),
    ("chương trình", "chương trình"),
    ("công điện", "công điện"),
    ("công văn", "công văn"),
    ("hướng dẫn", "hướng dẫn"),
    ("báo cáo", "báo cáo"),
    ("tờ trình", "tờ trình"),
];

/// Kinds by the symbol after the number: `41/TB-UBND` is a notice.
fn kind_of_symbol(symbol: &str) -> &'static str {
    let code = symbol.split(['-', '/']).next().unwrap_or("");
    match code {
        "TB" => "thông báo",
        "CT" => "chỉ thị",
        "KH" => "kế hoạch",
        "QĐ" | "QD" => "quyết định",
        "NQ" => "nghị quyết",
        "CTr" | "CTR" => "chương trình",
        "CĐ" => "công điện",
        "HD" => "hướng dẫn",
        "BC" => "báo cáo",
        "TTr" => "tờ trình",
        _ => "công văn",
    }
}

/// Reads the facts from the document's first lines and blocks.
pub fn read(lines: &[Line], blocks: &[Block]) -> Facts {
    let header: Vec<&Line> = lines.iter().take(30).collect();
    let mut facts = Facts::default();
    let mut number_line = None;
    for (index, line) in header.iter().enumerate() {
        let folded = Folded::new(&line.text);
        if let Some(c) = NUMBER.captures(&folded.text)
            && let (Some(n), Some(s)) = (c.name("n"), c.name("s"))
        {
            let symbol = &line.text[folded.original_range(s.range())];
            facts.number = Some(format!("{}/{}", n.as_str(), symbol.trim_end_matches(['.', ','])));
            number_line = Some(index);
            break;
        }
    }
    for line in &header {
        // "Quảng Ninh, ngày 09 tháng 3 năm 2023": a place, a comma, the date.
        let folded = fold(&line.text);
        let date = DATE_WORDS.captures(&folded).or_else(|| DATE_NUMBERS.captures(&folded));
        if let Some(c) = date
            && let Some(whole) = c.get(0)
            && folded[..whole.start()].trim_end().ends_with(',')
            && folded[..whole.start()].chars().any(char::is_alphabetic)
        {
            facts.issue_date = date_of(&c);
            if facts.issue_date.is_some() {
                break;
            }
        }
    }
    facts.issuer = issuer(&header[..number_line.unwrap_or(header.len().min(6))])
        .or_else(|| concluding_committee(blocks));
    let (kind, title) = kind_and_title(&header);
    facts.title = title;
    facts.kind = match (kind, &facts.number) {
        (Some(kind), _) => Some(kind),
        (None, Some(number)) => number.split_once('/').map(|(_, symbol)| kind_of_symbol(symbol).to_owned()),
        (None, None) => None,
    };
    let concludes = blocks.iter().take(12).any(|b| fold(&b.text).contains("kết luận"));
    if facts.kind.as_deref() == Some("thông báo") && concludes {
        facts.kind = Some("thông báo kết luận".to_owned());
    }
    if facts.kind.as_deref() == Some("quyết định")
        && facts.title.as_deref().is_some_and(|t| fold(t).contains("ban hành kế hoạch"))
    {
        facts.kind = Some("quyết định ban hành kế hoạch".to_owned());
    }
    if facts.kind.as_deref().is_none_or(|k| k.starts_with("thông báo")) {
        facts.meeting_date = meeting_date(blocks);
        if facts.kind.is_none() && facts.meeting_date.is_some() && concludes {
            facts.kind = Some("thông báo kết luận".to_owned());
        }
    }
    facts
}

fn date_of(c: &regex::Captures) -> Option<NaiveDate> {
    let part = |name| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    NaiveDate::from_ymd_opt(part("y")? as i32, part("m")?, part("d")?)
}

/// The issuing body from the header's left column, without the national motto that PDF
/// text often runs into it: "ỦY BAN NHÂN DÂN / TỈNH QUẢNG NINH" is "UBND tỉnh Quảng Ninh".
fn issuer(lines: &[&Line]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for line in lines {
        let mut text = line.text.clone();
        let folded = Folded::new(&text);
        for motto in MOTTO {
            if let Some(at) = folded.text.find(motto) {
                let range = folded.original_range(at..at + motto.len());
                text.replace_range(range, " ");
                break;
            }
        }
        let text = text.trim_matches(|c: char| c.is_whitespace() || c == '-' || c == '_').to_owned();
        if text.is_empty() || text.chars().any(char::is_lowercase) {
            continue;
        }
        if text.chars().filter(|c| c.is_alphabetic()).count() < 2 {
            continue;
        }
        parts.push(text);
    }
    if parts.is_empty() {
        return None;
    }
    let names: Vec<String> = parts.iter().map(|p| readable(p)).collect();
    // "UBND TỈNH X / VĂN PHÒNG": the office of the committee.
    let joined = if names.len() >= 2 && fold(&names[names.len() - 1]).starts_with("văn phòng") {
        format!("{} {}", names[names.len() - 1], names[..names.len() - 1].join(" "))
    } else if names.len() >= 2 && fold(&names[0]).starts_with("ủy ban nhân dân")
        || names.len() >= 2 && fold(&names[0]).starts_with("ubnd")
    {
        // "ỦY BAN NHÂN DÂN" + "TỈNH QUẢNG NINH", or "UBND TỈNH X" + "SỞ Y TẾ".
        if fold(&names[1]).starts_with("tỉnh")
            || fold(&names[1]).starts_with("thành phố")
            || fold(&names[1]).starts_with("huyện")
        {
            names.join(" ")
        } else {
            names[names.len() - 1].clone()
        }
    } else {
        names.join(" ")
    };
    Some(joined.replace("Ủy ban nhân dân", "UBND").replace("Uỷ ban nhân dân", "UBND"))
}

/// A committee whose chair concludes, when the header was not extracted: "đồng chí Chủ tịch
/// UBND tỉnh chủ trì … kết luận" is issued by the UBND tỉnh, with its name when written
/// ("Chủ tịch UBND tỉnh Quảng Ninh").
fn concluding_committee(blocks: &[Block]) -> Option<String> {
    blocks.iter().take(6).find_map(|block| {
        let folded = Folded::new(&block.text);
        if !folded.text.contains("kết luận") {
            return None;
        }
        let found = CHAIR_OF.captures(&folded.text)?;
        let place = found.name("place")?.as_str();
        let after = &block.text[folded.original_offset(found.get(0)?.end())..];
        // The name: the capitalised words that follow ("Quảng Ninh"), if any.
        let name: Vec<&str> = after
            .split_whitespace()
            .take(3)
            .map(|w| w.trim_end_matches([',', '.', ';', ':']))
            .take_while(|w| {
                w.chars().next().is_some_and(char::is_uppercase)
                    && w.chars().skip(1).all(char::is_lowercase)
                    && !w.is_empty()
            })
            .collect();
        Some(if name.is_empty() {
            format!("UBND {place}")
        } else {
            format!("UBND {place} {}", name.join(" "))
        })
    })
}

/// "chủ tịch ubnd tỉnh", "phó chủ tịch ủy ban nhân dân thành phố" (folded text).
static CHAIR_OF: LazyLock<Regex> =
    LazyLock::new(|| compile(r"chủ tịch (?:ubnd|ủy ban nhân dân) (?P<place>tỉnh|thành phố)\b"));

/// Upper-case header words as a person writes them: "TỈNH QUẢNG NINH" is "tỉnh Quảng Ninh".
fn readable(upper: &str) -> String {
    let lower = upper.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let place_words = ["tỉnh", "thành", "huyện", "thị", "quận", "xã", "phường"];
    let mut out: Vec<String> = Vec::new();
    let mut place = false;
    for (index, word) in words.iter().enumerate() {
        let capitalise = index == 0 || place;
        if matches!(*word, "ubnd" | "hđnd") {
            out.push(word.to_uppercase());
            continue;
        }
        if word == &"phố" || word == &"xã" && words.get(index.wrapping_sub(1)) == Some(&"thị") {
            place = true;
            out.push((*word).to_owned());
            continue;
        }
        if place_words.contains(word) && index + 1 < words.len() && !matches!(words[index + 1], "phố" | "xã")
        {
            place = true;
            out.push((*word).to_owned());
            continue;
        }
        out.push(if capitalise { capitalised(word) } else { (*word).to_owned() });
    }
    out.join(" ")
}

/// The kind from the title word in capitals ("THÔNG BÁO", "KẾ HOẠCH") and the title: that
/// line and the lines after it up to the first ordinary paragraph.
fn kind_and_title(lines: &[&Line]) -> (Option<String>, Option<String>) {
    for (index, line) in lines.iter().enumerate() {
        let text = line.text.trim();
        if text.chars().any(char::is_lowercase) {
            continue;
        }
        let folded = fold(text);
        let Some((_, kind)) = KIND_TITLES.iter().find(|(word, _)| folded == *word) else { continue };
        let mut title = vec![text.to_owned()];
        for next in lines.iter().skip(index + 1).take(4) {
            let next_folded = fold(&next.text);
            if super::layout::marker(&next.text).0.is_some()
                || next_folded == "tt"
                || next_folded == "stt"
                || next_folded.starts_with("căn cứ")
                || next_folded.starts_with("kính gửi")
                || next_folded.starts_with("ngày ")
                || next_folded.starts_with("thực hiện")
                || next.text.starts_with(['-', '_', '*'])
                || next.text.chars().count() > 120
            {
                break;
            }
            title.push(next.text.clone());
        }
        return (Some((*kind).to_owned()), Some(title.join(" ")));
    }
    // A letter (công văn) has its subject instead: "V/v …".
    let subject = lines.iter().find(|l| l.text.starts_with("V/v") || l.text.starts_with("V/V"));
    (None, subject.map(|l| l.text.clone()))
}

/// The meeting day of a notice: the first date of the first paragraphs that tell of a
/// meeting ("Ngày 21 tháng 9 năm 2021, đồng chí Chủ tịch UBND tỉnh chủ trì buổi làm việc").
fn meeting_date(blocks: &[Block]) -> Option<NaiveDate> {
    for block in blocks.iter().take(25) {
        let folded = fold(&block.text);
        let Some(c) = DATE_WORDS.captures(&folded).or_else(|| DATE_NUMBERS.captures(&folded)) else {
            continue;
        };
        let whole = c.get(0)?;
        let sentence_end = folded[whole.end()..].find(". ").map_or(folded.len(), |at| whole.end() + at);
        let sentence_start = folded[..whole.start()].rfind(". ").map_or(0, |at| at + 2);
        let sentence = &folded[sentence_start..sentence_end];
        // "báo cáo trước ngày 15/4/2024" is a deadline, whatever else the sentence says.
        if DUE_CUE.is_match(&folded[sentence_start..whole.start()]) {
            continue;
        }
        if MEETING.is_match(sentence) && !sentence.contains("số ") {
            return date_of(&c);
        }
        if MEETING.is_match(sentence) {
            // "tại Thông báo số 12/TB-UBND ngày …" names another document's date.
            let before = &folded[sentence_start..whole.start()];
            if !before.trim_end().ends_with(|c: char| c.is_ascii_digit() || c.is_uppercase())
                && !before.contains("số ")
            {
                return date_of(&c);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::layout::{blocks, lines};
    use super::*;

    fn facts(text: &str) -> Facts {
        let lines = lines(text);
        read(&lines, &blocks(&lines))
    }

    #[test]
    fn a_notice_header_gives_issuer_number_kind_and_dates() {
        let found = facts(
            "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH QUẢNG NINH Độc lập - Tự do - Hạnh phúc\n\nSố: 41 /TB-UBND Quảng Ninh, ngày 09 tháng 3 năm 2023\n\nTHÔNG BÁO\nKết luận của đồng chí Chủ tịch UBND tỉnh tại buổi làm việc với thành phố Hạ Long\n\nNgày 01/3/2023, đồng chí Chủ tịch UBND tỉnh chủ trì buổi làm việc với thành phố Hạ Long. Sau khi nghe báo cáo, đồng chí Chủ tịch kết luận như sau:\n",
        );
        assert_eq!(found.issuer.as_deref(), Some("UBND tỉnh Quảng Ninh"));
        assert_eq!(found.number.as_deref(), Some("41/TB-UBND"));
        assert_eq!(found.kind.as_deref(), Some("thông báo kết luận"));
        assert_eq!(found.issue_date, NaiveDate::from_ymd_opt(2023, 3, 9));
        assert_eq!(found.meeting_date, NaiveDate::from_ymd_opt(2023, 3, 1));
    }

    #[test]
    fn a_letter_is_a_cong_van_by_its_symbol() {
        let found = facts(
            "UBND TỈNH NGHỆ AN\nVĂN PHÒNG\nSố: 1234/VP-TH\nV/v triển khai Kế hoạch số 97/KH-UBND\nNghệ An, ngày 5 tháng 1 năm 2022\nKính gửi: Sở Tài chính\n",
        );
        assert_eq!(found.issuer.as_deref(), Some("Văn phòng UBND tỉnh Nghệ An"));
        assert_eq!(found.kind.as_deref(), Some("công văn"));
        assert_eq!(found.issue_date, NaiveDate::from_ymd_opt(2022, 1, 5));
        assert_eq!(found.title.as_deref(), Some("V/v triển khai Kế hoạch số 97/KH-UBND"));
    }

    #[test]
    fn the_seed_without_its_header_gives_the_meeting_day() {
        let found = facts(
            " Ngày 21 tháng 9 năm 2021, đồng chí Chủ tịch UBND tỉnh chủ trì buổi \n\nlàm việc với thành phố Nam Định về tình hình thực hiện nhiệm vụ.\n",
        );
        assert_eq!(found.meeting_date, NaiveDate::from_ymd_opt(2021, 9, 21));
        assert_eq!(found.number, None);
    }
}
