//! From a document's text to its blocks: the lines as a PDF or a DOCX gave them (blank
//! lines, page numbers, running headers, hard wraps) become paragraphs, each with its
//! list marker (`I.`, `1.`, `1.2.`, `a)`, `-`, `+`, `Điều 3.`) and the line it starts on.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::columns;

/// One non-blank line of the document, NFC, trimmed, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub text: String,
}

/// How a block is numbered or bulleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// `I.`, `II.` …
    Roman(u32),
    /// `Điều 3.`
    Article(u32),
    /// `1.`, `1)`, `1.2.`, `1.2.3.`
    Number(Vec<u32>),
    /// `a)`, `b.`
    Letter(char),
    /// `-`, `–`, `•`
    Dash,
    /// `+`
    Plus,
    /// A number alone on its line: a page number, or a table's row number.
    Lone(u32),
}

impl Marker {
    /// Depth in the usual order of Vietnamese documents: I. > 1. > 1.1. > a) > - > +.
    pub fn level(&self) -> u32 {
        match self {
            Marker::Roman(_) | Marker::Article(_) => 10,
            Marker::Number(parts) => 10 + 10 * parts.len().min(3) as u32,
            Marker::Letter(_) => 45,
            Marker::Dash => 50,
            Marker::Plus => 60,
            Marker::Lone(_) => 70,
        }
    }

    /// The marker as a section label: `II`, `3`, `1.2`, `a`; bullets have none.
    pub fn label(&self) -> Option<String> {
        match self {
            Marker::Roman(n) => Some(roman(*n).to_owned()),
            Marker::Article(n) => Some(format!("Điều {n}")),
            Marker::Number(parts) => Some(parts.iter().map(u32::to_string).collect::<Vec<_>>().join(".")),
            Marker::Letter(c) => Some(c.to_string()),
            Marker::Dash | Marker::Plus | Marker::Lone(_) => None,
        }
    }
}

const ROMANS: [&str; 15] =
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"];

fn roman(n: u32) -> &'static str {
    ROMANS.get(n.saturating_sub(1) as usize).copied().unwrap_or("?")
}

/// A paragraph: its marker, its text with the marker taken off and hard wraps joined by
/// one space, and where each of its lines starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub marker: Option<Marker>,
    pub text: String,
    /// (byte offset in `text`, line number), the first at offset 0.
    pub lines: Vec<(usize, usize)>,
}

impl Block {
    pub fn line(&self) -> usize {
        self.lines.first().map_or(0, |&(_, line)| line)
    }

    /// The line number of byte `offset` of `text`.
    pub fn line_at(&self, offset: usize) -> usize {
        self.lines.iter().take_while(|&&(start, _)| start <= offset).last().map_or(self.line(), |&(_, l)| l)
    }
}

/// A Word table saved as text puts a tab between cells, and ends the line at each line
/// break inside a cell: such a row runs over several lines, each with fewer cells than the
/// table's header. Those lines are joined back into the row's first line (the break inside
/// a cell becomes a space) when together they make exactly the header's cells; the lines
/// joined in are left empty.
fn join_tab_rows(mut raw: Vec<std::borrow::Cow<str>>) -> Vec<std::borrow::Cow<str>> {
    let cells = |line: &str| line.split('\t').count();
    let mut width = 0;
    let mut index = 0;
    while index < raw.len() {
        let line = raw[index].trim();
        let count = cells(line);
        let filled = line.split('\t').filter(|c| !c.trim().is_empty()).count();
        if filled >= 3 && count > width && width == 0 {
            // A header: the table's width.
            width = count;
        } else if width > 0 && count == 1 && !line.is_empty() && index > 0 && raw[index - 1].trim().is_empty()
        {
            // Text after a blank line: the table is over.
            width = 0;
        } else if width > 0 && count > 1 && count < width {
            // A row broken inside a cell: take the lines that complete it, at most six.
            let mut total = count;
            let mut end = index + 1;
            while total < width && end < raw.len() && end <= index + 6 {
                let next = raw[end].trim();
                if next.is_empty() {
                    break;
                }
                total += cells(next) - 1;
                end += 1;
            }
            if total == width {
                let mut joined = raw[index].trim().to_owned();
                for next in &mut raw[index + 1..end] {
                    joined.push(' ');
                    joined.push_str(next.trim());
                    *next = std::borrow::Cow::Borrowed("");
                }
                raw[index] = joined.into();
                index = end;
                continue;
            }
        }
        index += 1;
    }
    raw
}

/// The non-blank lines of `text`, NFC, without page numbers such as `- 3 -` or
/// `Trang 2/5` and without a running header repeated on every page.
pub fn lines(text: &str) -> Vec<Line> {
    let raw: Vec<std::borrow::Cow<str>> = text
        .split(['\n', '\u{c}', '\u{2028}', '\u{2029}'])
        .map(|raw| match unicode_normalization::is_nfc_quick(raw.chars()) {
            unicode_normalization::IsNormalized::Yes => raw.into(),
            _ => raw.nfc().collect::<String>().into(),
        })
        .collect();
    let raw = join_tab_rows(raw);
    let in_columns = columns::rewrite(&raw.iter().map(AsRef::as_ref).collect::<Vec<&str>>());
    let mut lines: Vec<Line> = raw
        .iter()
        .zip(in_columns)
        .enumerate()
        .filter_map(|(index, (nfc, cells))| {
            let nfc: &str = cells.as_deref().unwrap_or(nfc);
            // Cells separated by tabs (a table saved as text) are written with '|' between them.
            // An empty cell between two tabs keeps its column.
            let cells: Vec<&str> = nfc.trim().split('\t').map(str::trim).collect();
            let filled = cells.iter().filter(|c| !c.is_empty()).count();
            let nfc: std::borrow::Cow<str> =
                if filled >= 3 { format!("| {} |", cells.join(" | ")).into() } else { nfc.into() };
            let text = nfc
                .split(|c: char| c.is_whitespace())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            (!text.is_empty() && !is_page_number(&text)).then_some(Line { number: index + 1, text })
        })
        .collect();
    // A running header: the same line, at least 20 chars, three times or more, never
    // closer than a page's worth of lines apart (a table repeats its cells more closely).
    let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, line) in lines.iter().enumerate() {
        seen.entry(line.text.as_str()).or_default().push(index);
    }
    let repeated: Vec<String> = seen
        .into_iter()
        .filter(|(text, at)| {
            at.len() >= 3
                && text.chars().count() >= 20
                && marker(text).0.is_none()
                && at.windows(2).all(|pair| pair[1] - pair[0] >= PAGE_LINES)
        })
        .map(|(text, _)| text.to_owned())
        .collect();
    if !repeated.is_empty() {
        let mut first = HashMap::new();
        lines.retain(|line| !repeated.contains(&line.text) || first.insert(line.text.clone(), ()).is_none());
    }
    lines
}

/// Fewer non-blank lines than this are not a page.
const PAGE_LINES: usize = 15;

fn is_page_number(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.chars().all(|c| c.is_ascii_digit());
    let inner = text.trim_matches(|c: char| c == '-' || c == '–' || c.is_whitespace());
    if text != inner && digits(inner) {
        return true;
    }
    let lower = text.to_lowercase();
    if let Some(rest) = lower.strip_prefix("trang ") {
        return rest.split('/').all(|p| digits(p.trim()));
    }
    // A footer that ends with its page: "UBND tỉnh Tây Ninh - Kế hoạch … Trang 1/3".
    lower.chars().count() <= 160
        && lower.rsplit_once(" trang ").is_some_and(|(_, page)| {
            let mut parts = page.split('/');
            parts.next().is_some_and(|n| digits(n.trim()))
                && parts.next().is_some_and(|n| digits(n.trim()))
                && parts.next().is_none()
        })
}

/// The marker at the start of `text` and the rest of the text after it.
pub fn marker(text: &str) -> (Option<Marker>, &str) {
    let rest_after = |n: usize| text[n..].trim_start();
    if let Some(rest) = text.strip_prefix(['-', '–', '—', '•', '·', '*', '\u{f0b7}', '\u{f0a7}', '\u{25aa}'])
    {
        return (Some(Marker::Dash), rest.trim_start());
    }
    if let Some(rest) = text.strip_prefix('+')
        && !rest.starts_with(['-', '=', '+'])
    {
        return (Some(Marker::Plus), rest.trim_start());
    }
    if let Some(rest) = text.strip_prefix("Điều ").or_else(|| text.strip_prefix("ĐIỀU ")) {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse()
            && rest[digits.len()..].starts_with(['.', ':', ' '])
        {
            return (Some(Marker::Article(n)), rest[digits.len() + 1..].trim_start());
        }
    }
    // Roman numerals: `II.` or `II-` followed by a space.
    let roman_len = text.chars().take_while(|c| matches!(c, 'I' | 'V' | 'X')).count();
    if roman_len > 0
        && let Some(index) = ROMANS.iter().position(|r| *r == &text[..roman_len])
        && text[roman_len..].starts_with(['.', ')', '-'])
        && (text.len() == roman_len + 1 || text[roman_len + 1..].starts_with(' '))
    {
        return (Some(Marker::Roman(index as u32 + 1)), rest_after(roman_len + 1));
    }
    // `1.`, `1)`, `1.2.`, `1.2` followed by a space.
    let mut parts = Vec::new();
    let mut at = 0;
    loop {
        let digits: String = text[at..].chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() || digits.len() > 2 {
            break;
        }
        let Ok(n) = digits.parse::<u32>() else { break };
        parts.push(n);
        at += digits.len();
        match text[at..].chars().next() {
            Some('.') if text[at + 1..].starts_with(|c: char| c.is_ascii_digit()) => at += 1,
            Some('.' | ')') if text[at + 1..].is_empty() || text[at + 1..].starts_with(' ') => {
                return (Some(Marker::Number(parts)), rest_after(at + 1));
            }
            Some(' ') if parts.len() > 1 => return (Some(Marker::Number(parts)), rest_after(at)),
            None if parts.len() == 1 => return (Some(Marker::Lone(n)), ""),
            _ => break,
        }
    }
    // `(1)`, `(12)`, `(a)`: a number or a letter in brackets, then a space.
    if let Some(rest) = text.strip_prefix('(')
        && let Some((inside, after)) = rest.split_once(')')
        && (after.is_empty() || after.starts_with(' '))
    {
        if (1..=2).contains(&inside.len())
            && inside.chars().all(|c| c.is_ascii_digit())
            && let Ok(n) = inside.parse::<u32>()
        {
            return (Some(Marker::Number(vec![n])), after.trim_start());
        }
        let mut letters = inside.chars();
        if let (Some(letter), None) = (letters.next(), letters.next())
            && (letter.is_ascii_lowercase() || letter == 'đ')
        {
            return (Some(Marker::Letter(letter)), after.trim_start());
        }
    }
    // `a)`, `b.` (a letter, then `)` or `.`, then a space).
    let mut chars = text.chars();
    if let (Some(letter), Some(close), Some(' ')) = (chars.next(), chars.next(), chars.next())
        && (letter.is_ascii_lowercase() || letter == 'đ')
        && (close == ')' || close == '.')
    {
        return (Some(Marker::Letter(letter)), rest_after(letter.len_utf8() + 1));
    }
    (None, text)
}

/// Lines that always start a part of their own, however long the line before.
fn starts_part(text: &str) -> bool {
    const PARTS: [&str; 10] =
        ["Nơi nhận", "Kính gửi", "Căn cứ", "V/v", "TM. ", "KT. ", "TL. ", "TUQ. ", "Số:", "Điều "];
    PARTS.iter().any(|p| text.starts_with(p))
}

/// Whether the text ends a sentence or introduces a list.
fn ends_clause(text: &str) -> bool {
    text.trim_end().ends_with(['.', ':', ';', '!', '?', '…'])
}

fn starts_lowercase(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_lowercase() || c.is_ascii_digit() || c == '(' || c == ',')
}

/// Groups lines into blocks. In hard-wrapped text (most lines about as long as the
/// longest), a line joins the one before unless it has a marker, or the line before ended
/// a paragraph: it was short, or it introduced a list with `:`. In text with one paragraph
/// per line (a DOCX, or text saved without wrapping) every line is a block.
pub fn blocks(lines: &[Line]) -> Vec<Block> {
    let width = wrap_width(lines);
    let mut blocks: Vec<Block> = Vec::new();
    let mut previous: Option<&str> = None;
    for (index, line) in lines.iter().enumerate() {
        let (marker, rest) = marker(&line.text);
        // A page number inside a sentence wrapped over the page break.
        if matches!(marker, Some(Marker::Lone(_)))
            && previous.is_some_and(|before| !ends_clause(before))
            && lines.get(index + 1).is_some_and(|next| starts_lowercase(&next.text))
        {
            continue;
        }
        let joins = match (previous, &marker, width) {
            _ if starts_part(rest) => false,
            (Some(before), None, Some(width)) => {
                let short = (before.chars().count() as f64) < 0.8 * width;
                // After ':' a list begins, but for words in lower case: "- Sở A, Sở B:"
                // wrapped before their job.
                (!before.trim_end().ends_with(':') || rest.starts_with(char::is_lowercase))
                    && (!short || (!ends_clause(before) && starts_lowercase(rest)))
            }
            _ => false,
        };
        match blocks.last_mut() {
            Some(block) if joins => {
                block.text.push(' ');
                block.lines.push((block.text.len(), line.number));
                block.text.push_str(rest);
            }
            _ => blocks.push(Block { marker, text: rest.to_owned(), lines: vec![(0, line.number)] }),
        }
        previous = Some(&line.text);
    }
    blocks
}

/// The width the text was wrapped at, in chars, or `None` when it was not wrapped.
fn wrap_width(lines: &[Line]) -> Option<f64> {
    let mut lengths: Vec<usize> = lines.iter().map(|l| l.text.chars().count()).filter(|&n| n >= 20).collect();
    if lengths.len() < 5 {
        return None;
    }
    lengths.sort_unstable();
    let p80 = lengths[lengths.len() * 4 / 5] as f64;
    // Wrapped text has many lines near its width; unwrapped text has long paragraphs.
    (p80 <= 140.0).then_some(p80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_in_their_usual_forms() {
        assert_eq!(marker("II. NHIỆM VỤ").0, Some(Marker::Roman(2)));
        assert_eq!(marker("3. Về mở rộng").0, Some(Marker::Number(vec![3])));
        assert_eq!(marker("1.2. Sở Tài chính").0, Some(Marker::Number(vec![1, 2])));
        assert_eq!(marker("1.2 Sở Tài chính").0, Some(Marker::Number(vec![1, 2])));
        assert_eq!(marker("b) Tập trung").0, Some(Marker::Letter('b')));
        assert_eq!(marker("- Tuân thủ").1, "Tuân thủ");
        assert_eq!(marker("+ Rà soát").0, Some(Marker::Plus));
        assert_eq!(marker("Điều 2. Giao").0, Some(Marker::Article(2)));
        assert_eq!(marker("12").0, Some(Marker::Lone(12)));
        // Not markers: a date, a figure, a word.
        assert_eq!(marker("09 tháng năm 2021").0, None);
        assert_eq!(marker("2021, thành phố").0, None);
        assert_eq!(marker("15/12/2021 là").0, None);
        assert_eq!(marker("Ví dụ").0, None);
        assert_eq!(marker("I").0, None);
    }

    #[test]
    fn page_numbers_and_running_headers_are_dropped() {
        let page =
            |n: usize| (0..20).map(|i| format!("Dòng {n}.{i} của trang")).collect::<Vec<_>>().join("\n");
        let text = format!(
            "Kế hoạch số 12/KH-UBND năm 2023\n{}\n- 2 -\nKế hoạch số 12/KH-UBND năm 2023\n{}\nTrang 3/5\nKế hoạch số 12/KH-UBND năm 2023\nUBND tỉnh - Kế hoạch thi hành Luật Trang 4/5\n",
            page(1),
            page(2)
        );
        let kept: Vec<String> = lines(&text).into_iter().map(|l| l.text).collect();
        assert_eq!(kept.len(), 41, "{kept:?}");
        assert_eq!(kept.iter().filter(|l| l.starts_with("Kế hoạch số")).count(), 1);
        assert!(!kept.iter().any(|l| l.contains("2 -") || l.contains("Trang ")));
        // Cells a table repeats are not a running header.
        let table = "Văn phòng UBND tỉnh\nA\nVăn phòng UBND tỉnh\nB\nVăn phòng UBND tỉnh\n";
        assert_eq!(lines(table).len(), 5);
    }

    #[test]
    fn after_a_colon_only_words_in_lower_case_go_on() {
        let text = "\
- Sở Thông tin và Truyền thông, Báo Phú Thọ, Đài Phát thanh và Truyền hình tỉnh:
tăng cường thông tin, tuyên truyền năm nay.
Sau khi nghe báo cáo của các đại biểu, đồng chí Chủ tịch UBND tỉnh kết luận như sau:
09 tháng năm 2021, thành phố Nam Định đã có nhiều cố gắng, tập trung lãnh đạo, chỉ
đạo, phát huy truyền thống đoàn kết, thống nhất, kinh tế xã hội của thành phố.
";
        let texts: Vec<String> = blocks(&lines(text)).into_iter().map(|b| b.text).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[0].ends_with("năm nay."), "{texts:?}");
        assert!(texts[1].ends_with("kết luận như sau:"), "{texts:?}");
    }

    #[test]
    fn hard_wrapped_lines_join_into_paragraphs() {
        let text = "\
1. Công tác quy hoạch

- Tập trung rà soát, lập, điều chỉnh quy hoạch phân khu, quy hoạch chi tiết 

đảm bảo tiến độ, làm cơ sở thu hút đầu tư, phục vụ phát triển kinh tế - xã hội của 
                                        2

thành phố. 

Giao Sở Nội vụ chủ trì, phối hợp với thành phố Nam Định, các đơn vị liên 

quan xây dựng Đề án trước ngày 30/6/

2023.
- Ngắn.
Tiếp theo một dòng dài mới để đủ số dòng cho việc đo độ rộng của văn bản này
Dòng dài thứ hai để đủ số dòng cho việc đo độ rộng của văn bản ở đây nhé
";
        let blocks = blocks(&lines(text));
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts[0], "Công tác quy hoạch");
        assert!(texts[1].ends_with("kinh tế - xã hội của thành phố."), "{texts:?}");
        assert_eq!(blocks[1].lines.len(), 3);
        assert!(texts[2].ends_with("Đề án trước ngày 30/6/ 2023."), "{texts:?}");
        assert_eq!(blocks[2].line(), 10);
        assert_eq!(blocks[2].line_at(texts[2].find("2023").unwrap_or(0)), 14);
        assert_eq!(texts[3], "Ngắn.");
    }
}
