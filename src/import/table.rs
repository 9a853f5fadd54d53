//! Task tables as PDF text gives them: the header ("TT | Nội dung nhiệm vụ | Cơ quan chủ
//! trì | Cơ quan phối hợp | Thời gian hoàn thành") and each row flattened into lines,
//! either one cell fragment a line (each cell wrapped in its column) or the cells of a
//! row run together on its first line. Each row is a task: its lead is the first body of
//! the lead column, its deadline the last column's cell. Page numbers inside a row are
//! dropped.

use std::sync::LazyLock;

use regex::Regex;

use super::bodies::Finder;
use super::compile;
use super::deadlines::{self, Context, Found};
use super::fields::Bodies;
use super::fold::{Folded, fold};
use super::layout::Line;
use super::tasks::Draft;

/// The columns a table's header names, in order.
#[derive(Debug, Clone, Copy, Default)]
struct Columns {
    deadline: bool,
    /// The deadline's column comes before the lead's ("Nội dung | Thời gian | Chủ trì").
    deadline_first: bool,
}

/// The start of a deadline column's cell.
static DEADLINE_CELL: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:tháng \d|quý |năm \d|(?:trước|trong|từ|hằng|hàng|mỗi|đến|cuối|đầu)(?:\s|$)|thường xuyên|định kỳ|(?:0?6|sáu) tháng|ngày \d|chậm nhất|hoàn thành|\d{1,2}\s*/\s*\d{1,2})",
    )
});
/// Kinds of local government listed after a group's first: "thị xã, thành phố".
static UNITS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:thị xã|thành phố|huyện|quận|thị trấn)(?:(?:, | và )(?:thị xã|thành phố|huyện|quận|thị trấn))*",
    )
});

/// The kinds of local government a wrapped group cell left on the next line of a row: a
/// list of them that ends the line or comes right before the next cell's capital.
fn wrapped_units(next: &str) -> Option<String> {
    let folded = Folded::new(next);
    UNITS.find_iter(&folded.text).find_map(|m| {
        let start = folded.original_offset(m.start());
        let end = folded.original_offset(m.end());
        let before = next[..start].chars().next_back();
        let after = next[end..].trim_start();
        let bounded =
            before.is_none_or(|c| c == ' ') && (after.is_empty() || after.starts_with(char::is_uppercase));
        bounded.then(|| next[start..end].to_owned())
    })
}
static ROW_START: LazyLock<Regex> = LazyLock::new(|| compile(r"^(?P<n>\d{1,3})\.?(?:\s+(?P<rest>.*))?$"));

/// A table found in the lines: its rows, and the range of lines it takes.
pub struct Table {
    pub lines: std::ops::Range<usize>,
    pub drafts: Vec<Draft>,
}

/// Every task table of `lines`.
pub fn find(lines: &[Line], finder: &Finder, context: &Context) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if let Some((drafts, end)) = pipe_table(lines, index, finder, context) {
            // A grid's top border belongs to it.
            let border = index > 0 && lines[index - 1].text.starts_with("+-");
            tables.push(Table { lines: index - usize::from(border)..end, drafts });
            index = end;
            continue;
        }
        let Some((columns, body_start)) = header(lines, index) else {
            index += 1;
            continue;
        };
        let (drafts, end) = rows(lines, body_start, columns, finder, context);
        if drafts.is_empty() {
            index += 1;
            continue;
        }
        tables.push(Table { lines: index..end, drafts });
        index = end;
    }
    tables
}

/// The cells of a line written with `|` between them ("| 1 | Nội dung | Sở Y tế | … |").
fn pipe_cells(text: &str) -> Option<Vec<&str>> {
    let inner = text.trim().strip_prefix('|')?;
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
    (cells.len() >= 3).then_some(cells)
}

/// A table written with `|` between its cells, one row a line, as a DOCX or a web page
/// saved as text writes it: its header names the columns; a row of dashes is skipped.
fn pipe_table(lines: &[Line], at: usize, finder: &Finder, context: &Context) -> Option<(Vec<Draft>, usize)> {
    let header: Vec<String> = pipe_cells(&lines[at].text)?.into_iter().map(fold).collect();
    let column = |words: &[&str]| header.iter().position(|h| words.iter().any(|w| h.contains(w)));
    let lead = column(&["chủ trì"]).or_else(|| {
        column(&["đơn vị thực hiện", "cơ quan thực hiện", "trách nhiệm thực hiện", "đơn vị", "cơ quan"])
    })?;
    let content = column(&["nội dung", "nhiệm vụ", "công việc", "tên"]).filter(|c| *c != lead)?;
    let coordinating = column(&["phối hợp"]);
    let deadline = column(&["thời gian", "thời hạn", "tiến độ", "hoàn thành"]);
    let number = column(&["stt", "tt"]);
    // Logical rows: a row whose number cell is empty goes on the row before (a cell wrapped
    // onto the next line, as grid tables write them); borders and page numbers are skipped.
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut end = at + 1;
    for line in &lines[at + 1..] {
        let text = line.text.trim();
        let border =
            text.starts_with('+') || text.chars().all(|c| matches!(c, '|' | '-' | '=' | ':' | '+' | ' '));
        let page = !text.is_empty() && text.len() <= 3 && text.chars().all(|c| c.is_ascii_digit());
        if border || page {
            end += 1;
            continue;
        }
        let Some(cells) = pipe_cells(text) else { break };
        end += 1;
        let continues = number.is_some_and(|n| cells.get(n).is_none_or(|c| c.is_empty()));
        match rows.last_mut() {
            Some((_, row)) if continues => {
                for (index, cell) in cells.iter().enumerate() {
                    if cell.is_empty() {
                        continue;
                    }
                    match row.get_mut(index) {
                        Some(existing) if existing.is_empty() => existing.push_str(cell),
                        Some(existing) => {
                            existing.push(' ');
                            existing.push_str(cell);
                        }
                        None => row.push((*cell).to_owned()),
                    }
                }
            }
            _ => rows.push((line.number, cells.iter().map(|c| (*c).to_owned()).collect())),
        }
    }
    let mut drafts = Vec::new();
    for (line, cells) in rows {
        let cell = |index: Option<usize>| index.and_then(|i| cells.get(i)).map_or("", String::as_str);
        let text = cell(Some(content)).to_owned();
        if text.is_empty()
            || super::tasks::is_title(&text)
            || fold(&text).split_whitespace().collect::<Vec<_>>() == header_words(&header, content)
        {
            continue;
        }
        let bodies = Bodies::of_cells(finder, cell(Some(lead)), cell(coordinating));
        let section = Some(cell(number).to_owned()).filter(|s| !s.is_empty());
        let due = deadline.and_then(|_| self::cell(cell(deadline), context));
        drafts.push(Draft::explicit(section, text, line, bodies, due));
    }
    Some((drafts, end))
}

/// The words of a header cell, to skip the header repeated on a later page.
fn header_words(header: &[String], column: usize) -> Vec<&str> {
    header.get(column).map(|h| h.split_whitespace().collect()).unwrap_or_default()
}

/// A header starting at line `at`: the columns and the first line after it.
fn header(lines: &[Line], at: usize) -> Option<(Columns, usize)> {
    let starts: String = lines[at].text.chars().take(3).collect::<String>().to_lowercase();
    if !(starts.starts_with("tt") || starts.starts_with("stt")) {
        return None;
    }
    let first = fold(&lines[at].text);
    if !(first == "tt" || first == "stt" || first.starts_with("tt ") || first.starts_with("stt ")) {
        return None;
    }
    // The header's words, on this line and the short lines after it.
    let mut words = first.clone();
    let mut end = at + 1;
    if first == "tt" || first == "stt" {
        while end < lines.len() && end < at + 10 && ROW_START.captures(&lines[end].text).is_none() {
            words.push(' ');
            words.push_str(&fold(&lines[end].text));
            end += 1;
        }
    }
    if !words.contains("chủ trì") {
        return None;
    }
    let deadline_at =
        ["thời gian", "thời hạn", "tiến độ", "hoàn thành"].iter().filter_map(|w| words.find(w)).min();
    let columns = Columns {
        deadline: deadline_at.is_some(),
        deadline_first: deadline_at.zip(words.find("chủ trì")).is_some_and(|(d, l)| d < l),
    };
    Some((columns, end))
}

/// The rows from line `start`, and the line after the table.
fn rows(
    lines: &[Line],
    start: usize,
    columns: Columns,
    finder: &Finder,
    context: &Context,
) -> (Vec<Draft>, usize) {
    let mut drafts = Vec::new();
    let mut expected = 1;
    let mut current: Option<(u32, usize, Vec<&Line>)> = None;
    let mut index = start;
    while index < lines.len() {
        let line = &lines[index];
        let folded = fold(&line.text);
        if ends_table(&line.text, &folded) {
            break;
        }
        let row_start = ROW_START.captures(&line.text).and_then(|c| {
            let n: u32 = c.name("n")?.as_str().parse().ok()?;
            Some((n, c.name("rest").map(|r| r.as_str().to_owned())))
        });
        match row_start {
            Some((n, rest))
                if n == expected && current.as_ref().is_none_or(|(_, _, cells)| complete(cells, columns)) =>
            {
                if let Some((number, first, cells)) = current.take() {
                    drafts.extend(row(number, first, &cells, columns, finder, context));
                }
                let cells = match rest {
                    Some(_) => vec![line],
                    None => Vec::new(),
                };
                current = Some((n, line.number, cells));
                expected += 1;
            }
            // A page number, alone on its line.
            Some((_, None)) => {}
            _ => match current.as_mut() {
                Some((_, _, cells)) => cells.push(line),
                None => break,
            },
        }
        index += 1;
    }
    if let Some((number, first, cells)) = current.take() {
        drafts.extend(row(number, first, &cells, columns, finder, context));
    }
    (drafts, index)
}

/// The end of a table: the next part's heading, the recipients, the signature.
fn ends_table(text: &str, folded: &str) -> bool {
    let roman = text
        .split_once(['.', ' '])
        .is_some_and(|(head, _)| !head.is_empty() && head.chars().all(|c| matches!(c, 'I' | 'V' | 'X')))
        && text.chars().filter(|c| c.is_alphabetic()).all(|c| !c.is_lowercase());
    roman
        || folded.starts_with("nơi nhận")
        || folded.starts_with("điều ")
        || folded.starts_with("tổ chức thực hiện")
}

/// Whether a row's lines have reached its last column.
fn complete(cells: &[&Line], columns: Columns) -> bool {
    if !columns.deadline {
        return true;
    }
    match cells {
        [] => false,
        [first, ..] if ROW_START.is_match(&first.text) => true,
        _ => cells.iter().skip(1).any(|l| DEADLINE_CELL.is_match(&fold(&l.text))) || cells.len() > 12,
    }
}

/// One row's task.
fn row(
    number: u32,
    line: usize,
    cells: &[&Line],
    columns: Columns,
    finder: &Finder,
    context: &Context,
) -> Option<Draft> {
    let first = cells.first()?;
    let section = Some(number.to_string());
    if let Some(rest) =
        ROW_START.captures(&first.text).and_then(|c| c.name("rest").map(|r| r.as_str().to_owned()))
    {
        let continuation: Vec<&str> = cells[1..].iter().map(|l| l.text.as_str()).collect();
        return run_together(section, line, &rest, &continuation, columns, finder, context);
    }
    let texts: Vec<String> = cells.iter().map(|l| l.text.clone()).collect();
    if columns.deadline_first {
        return deadline_first(section, line, &texts, finder, context);
    }
    // The deadline cell: from the last line that starts one.
    let starts_deadline =
        |i: usize| DEADLINE_CELL.is_match(&fold(&texts[i])) && !starts_with_body(finder, &texts[i]);
    let deadline_start = if columns.deadline {
        // The cell's last line that starts a deadline, and the lines of it wrapped before
        // ("Từ ngày 01/6 đến" / "ngày 07/6/2021").
        (1..texts.len()).rev().find(|&i| starts_deadline(i)).map(|mut i| {
            while i > 1 && starts_deadline(i - 1) && cell(&texts[i - 1..].join(" "), context).is_some() {
                i -= 1;
            }
            i
        })
    } else {
        None
    };
    let before_deadline = deadline_start.unwrap_or(texts.len());
    // The body cells: from the first line after the content that starts with a body.
    // The lead cell starts with a capital ("Sở", "UBND", "Các sở"): a content line may go on
    // with "các cơ sở khám, chữa bệnh".
    let bodies_start = (1..before_deadline)
        .find(|&i| texts[i].starts_with(char::is_uppercase) && starts_with_body(finder, &texts[i]))
        .unwrap_or(before_deadline);
    let content = texts[..bodies_start].join(" ");
    let bodies_text = texts[bodies_start..before_deadline].join(" ");
    let bodies = Bodies::of_cells(finder, &bodies_text, "");
    let deadline = deadline_start.and_then(|start| cell(&texts[start..].join(" "), context));
    Some(Draft::explicit(section, content, line, bodies, deadline))
}

/// A row whose deadline column comes before the lead's: content, then the deadline's lines,
/// then the bodies from the first line that starts with one.
fn deadline_first(
    section: Option<String>,
    line: usize,
    texts: &[String],
    finder: &Finder,
    context: &Context,
) -> Option<Draft> {
    let deadline_start = (1..texts.len())
        .find(|&i| DEADLINE_CELL.is_match(&fold(&texts[i])) && !starts_with_body(finder, &texts[i]));
    let after = deadline_start.unwrap_or(1);
    let bodies_start = (after..texts.len())
        .find(|&i| texts[i].starts_with(char::is_uppercase) && starts_with_body(finder, &texts[i]))
        .unwrap_or(texts.len());
    let content_end = deadline_start.unwrap_or(bodies_start).min(bodies_start);
    let content = texts[..content_end].join(" ");
    let deadline =
        deadline_start.and_then(|start| cell(&texts[start..bodies_start.max(start)].join(" "), context));
    let bodies = Bodies::of_cells(finder, &texts[bodies_start..].join(" "), "");
    Some(Draft::explicit(section, content, line, bodies, deadline))
}

/// A row whose cells run together on its first line: "1 Xây dựng kế hoạch … UBND các
/// huyện, Sở Y tế Tháng 5/2023", the cells' wrapped words on the lines after it.
fn run_together(
    section: Option<String>,
    line: usize,
    first: &str,
    continuation: &[&str],
    columns: Columns,
    finder: &Finder,
    context: &Context,
) -> Option<Draft> {
    let folded = Folded::new(first);
    let mentions: Vec<_> =
        finder.mentions(first, &folded).into_iter().filter(|m| !m.vague || m.body.group).collect();
    let lead = mentions.first()?;
    let mut lead_start = folded.original_offset(lead.range.start);
    // A lead whose name the cell wrapped onto the next lines ("Sở Giáo dục và" … "Đào tạo").
    let wrapped = finder.wrapped(first, &continuation.join(" ")).filter(|(at, _)| *at <= lead_start);
    if let Some((at, _)) = &wrapped {
        lead_start = *at;
    }
    // The deadline: the longest end of the line that is a deadline cell.
    let mut deadline = None;
    let mut deadline_start = first.len();
    if columns.deadline {
        let starts: Vec<usize> = first
            .char_indices()
            .filter(|&(at, c)| at > lead_start && c.is_alphanumeric() && first[..at].ends_with(' '))
            .map(|(at, _)| at)
            .collect();
        for at in starts {
            let tail = &first[at..];
            if !DEADLINE_CELL.is_match(&fold(tail)) {
                continue;
            }
            if let Some(found) = cell(tail, context) {
                deadline = Some(found);
                deadline_start = at;
                break;
            }
            if fold(tail).starts_with("thường xuyên") {
                deadline_start = at;
                break;
            }
        }
    }
    let bodies_text = &first[lead_start..deadline_start];
    let mut bodies = Bodies::of_cells(finder, bodies_text, "");
    if let Some((_, body)) = wrapped {
        bodies.coordinating.retain(|b| b.code.is_none() || b.code != body.code);
        bodies.coordinating.retain(|b| !body.written.starts_with(&b.written));
        bodies.lead = Some(body);
    }
    // A group the cell wrapped: "UBND các huyện," here, "thị xã, thành phố" on the next line.
    if let (Some(lead), Some(next)) = (bodies.lead.as_mut(), continuation.first())
        && lead.group
        && bodies_text[lead.written.len().min(bodies_text.len())..].starts_with(',')
        && let Some(rest) = wrapped_units(next)
    {
        let whole = format!("{}, {}", lead.written, rest);
        *lead = finder.resolve(&whole);
        lead.group = lead.code.is_none();
    }
    let mut content = first[..lead_start].trim().to_owned();
    for more in continuation {
        content.push(' ');
        content.push_str(more);
    }
    Some(Draft::explicit(section, content, line, bodies, deadline))
}

/// The deadline of a cell's text, with its phrase.
fn cell(text: &str, context: &Context) -> Option<(Found, String)> {
    let found = deadlines::in_cell(text, context)?;
    let trimmed = text.trim().trim_end_matches(['.', ';', ',']);
    let phrase = trimmed.get(found.range.clone())?.to_owned();
    Some((found, phrase))
}

/// Whether a line starts with a body, or with a body's head word in capitals ("UBND thành
/// phố" before "Huế" on the next line).
fn starts_with_body(finder: &Finder, text: &str) -> bool {
    let folded = Folded::new(text);
    finder.mentions(text, &folded).first().is_some_and(|m| m.range.start == 0)
        || text.starts_with(char::is_uppercase) && finder.starts_with_head(&folded.text)
}
