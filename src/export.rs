//! Tables as an office opens them: CSV (UTF-8 with a byte-order mark, so that Excel shows
//! Vietnamese; `csv` writes the quoting) and XLSX (`rust_xlsxwriter`), from one sheet of
//! headers and typed cells.
//!
//! Pure: bytes from a sheet. It must not read the store or decide what goes in a sheet;
//! the commands and pages build the sheet from what they show.

use chrono::NaiveDate;

/// One table to export: its title (the XLSX sheet's name), column headers and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A cell, typed so that a spreadsheet can sum numbers and sort dates.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<usize> for Cell {
    fn from(number: usize) -> Self {
        Cell::Number(number as f64)
    }
}

impl From<Option<NaiveDate>> for Cell {
    fn from(date: Option<NaiveDate>) -> Self {
        date.map_or(Cell::Empty, Cell::Date)
    }
}

/// The formats a sheet is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// The format a file name asks for, by its extension.
    pub fn of_path(path: &std::path::Path) -> Result<Self, ExportError> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(Self::Csv),
            Some("xlsx") => Ok(Self::Xlsx),
            _ => Err(ExportError::UnknownFormat(path.display().to_string())),
        }
    }

    /// `sheet` in this format.
    pub fn write(self, sheet: &Sheet) -> Result<Vec<u8>, ExportError> {
        match self {
            Self::Csv => csv(sheet),
            Self::Xlsx => xlsx(sheet),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("'{0}': export to a file ending in .xlsx (Excel) or .csv")]
    UnknownFormat(String),
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The byte-order mark Excel needs to read a CSV file as UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `sheet` as CSV: a byte-order mark, the headers, then a line per row; dates as
/// YYYY-MM-DD, numbers as written, lines ended by CRLF as RFC 4180 says.
pub fn csv(sheet: &Sheet) -> Result<Vec<u8>, ExportError> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(BOM.to_vec());
    writer.write_record(&sheet.headers)?;
    for row in &sheet.rows {
        writer.write_record(row.iter().map(|cell| match cell {
            Cell::Text(text) => as_text(text),
            Cell::Number(number) => number.to_string(),
            Cell::Date(date) => date.to_string(),
            Cell::Empty => String::new(),
        }))?;
    }
    writer.into_inner().map_err(|e| ExportError::Csv(e.into_error().into()))
}

/// Text as a spreadsheet reads it as text: one starting `=`, `+` or `@` would be read as a
/// formula (a task summary is written by people, and sources), so it starts with `'`, as
/// Excel writes text that looks like a formula. A leading `-` stays: lists in Vietnamese
/// documents start with it.
fn as_text(text: &str) -> String {
    if text.starts_with(['=', '+', '@']) { format!("'{text}") } else { text.to_owned() }
}

/// The longest sheet name Excel accepts.
const MAX_SHEET_NAME: usize = 31;

/// `sheet` as an XLSX workbook of one worksheet: bold headers frozen at the top, dates as
/// dates (dd/mm/yyyy), numbers as numbers, columns wide enough for their text.
pub fn xlsx(sheet: &Sheet) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    // Excel refuses some characters in sheet names, and long ones.
    let name: String = sheet
        .title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(MAX_SHEET_NAME)
        .collect();
    if !name.trim().is_empty() {
        worksheet.set_name(name.trim())?;
    }
    let bold = Format::new().set_bold();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    let mut widths: Vec<usize> = sheet.headers.iter().map(|h| h.chars().count()).collect();
    for (column, header) in sheet.headers.iter().enumerate() {
        worksheet.write_string_with_format(0, column_index(column), header, &bold)?;
    }
    for (index, row) in sheet.rows.iter().enumerate() {
        let at = u32::try_from(index + 1).unwrap_or(u32::MAX);
        for (column, cell) in row.iter().enumerate() {
            let col = column_index(column);
            let shown = match cell {
                Cell::Text(text) => {
                    worksheet.write_string(at, col, text)?;
                    text.chars().count()
                }
                Cell::Number(number) => {
                    worksheet.write_number(at, col, *number)?;
                    number.to_string().len()
                }
                Cell::Date(date) => {
                    let date = ExcelDateTime::parse_from_str(&date.to_string())?;
                    worksheet.write_datetime_with_format(at, col, &date, &date_format)?;
                    10
                }
                Cell::Empty => 0,
            };
            if let Some(width) = widths.get_mut(column) {
                *width = (*width).max(shown);
            }
        }
    }
    for (column, width) in widths.iter().enumerate() {
        worksheet.set_column_width(column_index(column), (*width as f64 + 2.0).min(80.0))?;
    }
    worksheet.set_freeze_panes(1, 0)?;
    Ok(workbook.save_to_buffer()?)
}

/// A column's index as the writer counts them; past its last column, the last.
fn column_index(column: usize) -> u16 {
    u16::try_from(column).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            title: "Tình hình: tháng 11/2026".into(),
            headers: vec!["Đơn vị".into(), "Quá hạn".into(), "Hạn".into()],
            rows: vec![
                vec![
                    "Sở Nội vụ".into(),
                    2usize.into(),
                    Some(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()).into(),
                ],
                vec!["UBND thành phố Nam Định, \"Đề án\"".into(), 0usize.into(), None.into()],
            ],
        }
    }

    #[test]
    fn a_csv_starts_with_a_byte_order_mark_and_quotes_what_needs_it() {
        let bytes = csv(&sheet()).unwrap();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
        assert_eq!(
            text,
            "Đơn vị,Quá hạn,Hạn\r\nSở Nội vụ,2,2026-11-30\r\n\"UBND thành phố Nam Định, \"\"Đề án\"\"\",0,\r\n"
        );
    }

    #[test]
    fn an_xlsx_is_a_zip_workbook_whatever_its_title() {
        let bytes = xlsx(&sheet()).unwrap();
        assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip archive");
        let untitled = Sheet { title: "[]:*?/\\".into(), ..sheet() };
        assert!(xlsx(&untitled).unwrap().starts_with(b"PK"));
        let long = Sheet {
            title: "Tình hình thực hiện nhiệm vụ của các đơn vị chủ trì".into(), ..sheet()
        };
        assert!(xlsx(&long).unwrap().starts_with(b"PK"));
    }

    #[test]
    fn the_format_is_read_from_the_file_name() {
        use std::path::Path;
        assert_eq!(ExportFormat::of_path(Path::new("bao-cao.XLSX")).unwrap(), ExportFormat::Xlsx);
        assert_eq!(ExportFormat::of_path(Path::new("/tmp/bao-cao.csv")).unwrap(), ExportFormat::Csv);
        let error = ExportFormat::of_path(Path::new("bao-cao.ods")).unwrap_err().to_string();
        assert!(error.contains("bao-cao.ods") && error.contains(".xlsx"), "{error}");
    }

    #[test]
    fn a_csv_cell_that_looks_like_a_formula_stays_text() {
        let sheet = Sheet {
            title: "t".into(),
            headers: vec!["Nhiệm vụ".into()],
            rows: vec![
                vec![Cell::Text("=HYPERLINK(\"http://x\")".into())],
                vec![Cell::Text("@SUM(A1)".into())],
                vec![Cell::Text("- Rà soát".into())],
            ],
        };
        let text = String::from_utf8(csv(&sheet).unwrap()).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(lines[2], "'@SUM(A1)");
        assert_eq!(lines[3], "- Rà soát");
    }
}
