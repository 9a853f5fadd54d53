//! Tables laid out in columns of spaces, as `pdftotext -layout` and fixed-width exports
//! write them: each cell wrapped inside its column, so one line holds a fragment of every
//! cell of its row. The columns are found from the header and from where the table's
//! lines leave a space in common; each line is rewritten with `|` between its cells, a
//! wrapped line with an empty number cell, which is how `table` reads a grid.
//!
//! It changes only the shape of a line: its words, their order within a cell and the
//! line numbers stay as written. A table without a number column is left alone.

use super::fold::fold;

/// A run of a line's characters between runs of two or more spaces, by char column.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    start: usize,
    end: usize,
}

/// The segments of a line's chars.
fn segments(chars: &[char]) -> Vec<Segment> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        if chars[at] == ' ' {
            at += 1;
            continue;
        }
        let start = at;
        let mut end = at;
        while at < chars.len() {
            if chars[at] != ' ' {
                at += 1;
                end = at;
            } else if chars.get(at + 1).is_some_and(|c| *c != ' ') {
                at += 1;
            } else {
                break;
            }
        }
        found.push(Segment { start, end });
    }
    found
}

fn text(chars: &[char], range: std::ops::Range<usize>) -> String {
    let end = range.end.min(chars.len());
    let start = range.start.min(end);
    chars[start..end].iter().collect::<String>().trim().to_owned()
}

/// A row's number: "1", "12.", "II", "a)".
fn is_number(cell: &str) -> bool {
    let cell = cell.trim_end_matches(['.', ')']);
    !cell.is_empty()
        && cell.chars().count() <= 4
        && (cell.chars().all(|c| c.is_ascii_digit())
            || cell.chars().all(|c| matches!(c, 'I' | 'V' | 'X'))
            || (cell.chars().count() == 1 && cell.chars().all(|c| c.is_ascii_lowercase())))
}

/// Rewrites the column tables of `lines` (NFC, untrimmed): for each line of a table, its
/// cells joined by `|`; `None` for every other line.
pub fn rewrite(lines: &[&str]) -> Vec<Option<String>> {
    let mut rewritten = vec![None; lines.len()];
    let mut index = 0;
    while index < lines.len() {
        match table(lines, index) {
            Some((starts, end)) => {
                cells(lines, index..end, &starts, &mut rewritten);
                index = end;
            }
            None => index += 1,
        }
    }
    rewritten
}

/// Lines after a header's first that may still belong to it ("hoàn thành" under "Thời gian").
const HEADER_LINES: usize = 4;

/// The columns a header starting at `at` names, by their start, and the line after it.
fn header(lines: &[&str], at: usize) -> Option<(Vec<usize>, usize)> {
    let first = lines[at];
    if first.contains('\t') || !first.contains("  ") {
        return None;
    }
    let chars: Vec<char> = first.chars().collect();
    let found = segments(&chars);
    if found.len() < 3 || !matches!(fold(&text(&chars, found[0].start..found[0].end)).as_str(), "tt" | "stt")
    {
        return None;
    }
    let mut starts: Vec<usize> = found.iter().map(|s| s.start).collect();
    let mut spans: Vec<Segment> = found;
    let mut words = fold(first);
    let mut end = at + 1;
    while end < lines.len() && end <= at + HEADER_LINES {
        let chars: Vec<char> = lines[end].chars().collect();
        let more = segments(&chars);
        // The first row starts the table's body.
        if more.first().is_some_and(|s| s.start < starts[1] && is_number(&text(&chars, s.start..s.end))) {
            break;
        }
        for segment in &more {
            if !spans.iter().any(|s| segment.start + 2 >= s.start && segment.start <= s.end + 2) {
                starts.push(segment.start);
                spans.push(*segment);
            }
        }
        words.push(' ');
        words.push_str(&fold(lines[end]));
        end += 1;
    }
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    if !words.contains("chủ trì") {
        return None;
    }
    starts.sort_unstable();
    Some((starts, end))
}

/// A column table whose header is line `at`: where its columns start, and the line after its
/// last.
fn table(lines: &[&str], at: usize) -> Option<(Vec<usize>, usize)> {
    let (starts, mut end) = header(lines, at)?;
    while end < lines.len() {
        let line = lines[end];
        let trimmed = line.trim();
        if fold(trimmed).starts_with("nơi nhận") || line.contains('\t') {
            break;
        }
        let chars: Vec<char> = line.chars().collect();
        let found = segments(&chars);
        let numbered =
            found.first().is_some_and(|s| s.start < starts[1] && is_number(&text(&chars, s.start..s.end)));
        // Prose after the table runs across the columns.
        let across =
            |s: &Segment| starts[1..].iter().filter(|c| s.start < **c && s.end > **c + 1).count() >= 2;
        if !numbered && found.iter().any(across) {
            break;
        }
        end += 1;
    }
    Some((starts, end))
}

/// Writes the cells of the table's `lines`, whose columns start at `starts`, into `rewritten`.
fn cells(lines: &[&str], table: std::ops::Range<usize>, starts: &[usize], rewritten: &mut [Option<String>]) {
    let at = table.start;
    let rows: Vec<Vec<char>> = lines[table].iter().map(|l| l.chars().collect()).collect();
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut occupied = vec![0usize; width + 1];
    for chars in &rows {
        for (column, c) in chars.iter().enumerate() {
            if *c != ' ' {
                occupied[column] += 1;
            }
        }
    }
    // Between two header starts, a column begins after the rightmost place nearly every
    // line leaves blank (a header centred over its column starts after its cells).
    let tolerance = rows.len() / 25;
    let mut bounds = vec![0];
    for pair in starts.windows(2) {
        let range = pair[0] + 1..=pair[1];
        let least = range.clone().map(|c| occupied[c.min(width)]).min().unwrap_or(0);
        let blank = range.rev().find(|c| occupied[(*c).min(width)] <= least + tolerance);
        bounds.push(blank.map_or(pair[1], |c| c + 1));
    }
    for (offset, chars) in rows.iter().enumerate() {
        if chars.iter().all(|c| *c == ' ') {
            continue;
        }
        let mut cuts = bounds.clone();
        // A word a column start cuts goes whole to the column it starts in.
        for cut in cuts.iter_mut().skip(1) {
            while *cut > 0 && *cut < chars.len() && chars[*cut - 1] != ' ' && chars[*cut] != ' ' {
                *cut -= 1;
            }
        }
        cuts.push(usize::MAX);
        let cells: Vec<String> = cuts.windows(2).map(|pair| text(chars, pair[0]..pair[1])).collect();
        if cells.iter().filter(|c| !c.is_empty()).count() == 1 && is_page_number(&cells) {
            continue;
        }
        rewritten[at + offset] = Some(format!("| {} |", cells.join(" | ")));
    }
}

/// A line with nothing but a short number, right or centre of the page: a page number.
fn is_page_number(cells: &[String]) -> bool {
    cells.iter().skip(1).any(|c| c.len() <= 3 && !c.is_empty() && c.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
TT   Nội dung nhiệm vụ                       Cơ quan chủ trì    Cơ quan phối hợp      Thời gian
                                                                                      hoàn thành
1    Tuyên truyền, phổ biến Chương trình     Sở Thông tin và    Đài Phát thanh và     Thường xuyên
     OCOP trên các phương tiện thông tin     Truyền thông       Truyền hình tỉnh
                                                                                  2
2    Tổng hợp, báo cáo kết quả thực hiện     Văn phòng Điều     Các sở, ngành liên    Hằng quý
     Chương trình                            phối nông thôn mới quan
Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị báo cáo về Sở.";

    #[test]
    fn a_table_in_columns_of_spaces_is_written_as_cells() {
        let lines: Vec<&str> = TABLE.lines().collect();
        let rewritten = rewrite(&lines);
        let cells = |i: usize| rewritten[i].clone().unwrap_or_default();
        assert_eq!(cells(0), "| TT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian |");
        assert_eq!(cells(1), "|  |  |  |  | hoàn thành |");
        assert_eq!(
            cells(2),
            "| 1 | Tuyên truyền, phổ biến Chương trình | Sở Thông tin và | Đài Phát thanh và | Thường xuyên |"
        );
        assert_eq!(
            cells(3),
            "|  | OCOP trên các phương tiện thông tin | Truyền thông | Truyền hình tỉnh |  |"
        );
        assert_eq!(rewritten[4], None, "the page number is left to be dropped");
        // One space between two columns' words still divides them.
        assert_eq!(cells(6), "|  | Chương trình | phối nông thôn mới | quan |  |");
        assert_eq!(rewritten[7], None, "prose after the table is not in it");
    }

    #[test]
    fn a_table_without_a_number_column_or_lead_column_is_left_alone() {
        let lines =
            ["Nội dung      Cơ quan chủ trì     Thời gian", "Rà soát       Sở Tư pháp          Quý II"];
        assert!(rewrite(&lines).iter().all(Option::is_none));
        let lines = ["TT   Nội dung      Số lượng     Ghi chú", "1    Rà soát       12           Xong"];
        assert!(rewrite(&lines).iter().all(Option::is_none));
    }
}
