//! The text of a DOCX: its paragraphs in order, one a line, with the numbers Word draws
//! for numbered lists (`1.`, `a)`, `-`), and each table cell's paragraphs on lines of their
//! own, row after row, as PDF text gives a table. Read from the zip's XML with `zip` and
//! `quick-xml`.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::decode::DecodeError;

/// Parts larger than this are not a directive's.
const MAX_PART: u64 = 64 * 1024 * 1024;

/// The text of a DOCX.
pub fn text(bytes: &[u8]) -> Result<String, DecodeError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DecodeError::Docx(format!("it is not a zip: {e}")))?;
    let document = part(&mut archive, "word/document.xml")?
        .ok_or_else(|| DecodeError::Docx("it has no word/document.xml: not a Word document".to_owned()))?;
    let numbering = part(&mut archive, "word/numbering.xml")?.map(|xml| formats(&xml)).unwrap_or_default();
    let styles = part(&mut archive, "word/styles.xml")?.map(|xml| numbered_styles(&xml)).unwrap_or_default();
    paragraphs(&document, &numbering, &styles)
}

fn part(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, DecodeError> {
    let file = match archive.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(DecodeError::Docx(format!("{name}: {e}"))),
    };
    let mut text = String::new();
    file.take(MAX_PART).read_to_string(&mut text).map_err(|e| DecodeError::Docx(format!("{name}: {e}")))?;
    Ok(Some(text))
}

/// The value of an element's attribute.
fn attribute(element: &quick_xml::events::BytesStart, key: &[u8]) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// How each list of `numbering.xml` numbers its levels: (numId, level) -> format.
fn formats(xml: &str) -> HashMap<(String, u32), String> {
    let mut reader = Reader::from_str(xml);
    let mut abstract_formats: HashMap<(String, u32), String> = HashMap::new();
    let mut lists: Vec<(String, String)> = Vec::new();
    let (mut abstract_id, mut level, mut num_id) = (String::new(), 0u32, String::new());
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let value = |key: &[u8]| attribute(&e, key);
                match e.name().as_ref() {
                    b"w:abstractNum" => abstract_id = value(b"w:abstractNumId").unwrap_or_default(),
                    b"w:lvl" => level = value(b"w:ilvl").and_then(|v| v.parse().ok()).unwrap_or(0),
                    b"w:numFmt" => {
                        if let Some(format) = value(b"w:val") {
                            abstract_formats.insert((abstract_id.clone(), level), format);
                        }
                    }
                    b"w:num" => num_id = value(b"w:numId").unwrap_or_default(),
                    b"w:abstractNumId" => lists.push((num_id.clone(), value(b"w:val").unwrap_or_default())),
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    let mut formats = HashMap::new();
    for (num, abstract_num) in lists {
        for ((id, level), format) in &abstract_formats {
            if *id == abstract_num {
                formats.insert((num.clone(), *level), format.clone());
            }
        }
    }
    formats
}

/// The list each paragraph style numbers its paragraphs in ("List Number"): style id ->
/// (numId, level).
fn numbered_styles(xml: &str) -> HashMap<String, (String, u32)> {
    let mut reader = Reader::from_str(xml);
    let mut styles = HashMap::new();
    let (mut style, mut num_id, mut level) = (None::<String>, None::<String>, 0u32);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.name().as_ref() {
                b"w:style" => {
                    style = attribute(&e, b"w:styleId");
                    num_id = None;
                    level = 0;
                }
                b"w:numId" => num_id = attribute(&e, b"w:val").filter(|v| v != "0"),
                b"w:ilvl" => level = attribute(&e, b"w:val").and_then(|v| v.parse().ok()).unwrap_or(0),
                _ => {}
            },
            Ok(Event::End(e)) if e.name().as_ref() == b"w:style" => {
                if let (Some(style), Some(num_id)) = (style.take(), num_id.take()) {
                    styles.insert(style, (num_id, level));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    styles
}

/// The marker Word draws for the `count`th item of a list level in `format`.
fn marker(format: &str, count: u32) -> String {
    match format {
        "decimal" => format!("{count}. "),
        "lowerLetter" => format!("{}) ", char::from(b'a' + ((count - 1) % 26) as u8)),
        "upperRoman" => format!("{}. ", roman(count)),
        "bullet" => "- ".to_owned(),
        _ => "- ".to_owned(),
    }
}

fn roman(n: u32) -> &'static str {
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
        .get(n.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("X")
}

fn paragraphs(
    xml: &str,
    numbering: &HashMap<(String, u32), String>,
    styles: &HashMap<String, (String, u32)>,
) -> Result<String, DecodeError> {
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    let mut paragraph = String::new();
    let mut in_text = false;
    let (mut num_id, mut level): (Option<String>, u32) = (None, 0);
    let mut counters: HashMap<(String, u32), u32> = HashMap::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == b"w:t" => in_text = true,
            Ok(Event::End(e)) if e.name().as_ref() == b"w:t" => in_text = false,
            Ok(Event::Text(t)) if in_text => {
                let text = t.decode().map_err(|e| DecodeError::Docx(format!("word/document.xml: {e}")))?;
                paragraph.push_str(
                    &quick_xml::escape::unescape(&text).map_err(|e| DecodeError::Docx(e.to_string()))?,
                );
            }
            Ok(Event::GeneralRef(r)) if in_text => {
                // The five XML entities, and characters written by number.
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                let resolved = match name.as_str() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                paragraph.extend(resolved);
            }
            Ok(Event::Empty(e) | Event::Start(e)) => {
                let value = |key: &[u8]| attribute(&e, key);
                match e.name().as_ref() {
                    b"w:tab" => paragraph.push('\t'),
                    b"w:br" | b"w:cr" => paragraph.push('\n'),
                    b"w:numId" => num_id = value(b"w:val").filter(|v| v != "0"),
                    // A numbered style numbers the paragraph unless it says otherwise.
                    b"w:pStyle" => {
                        if let Some((style_num, style_level)) = value(b"w:val").and_then(|v| styles.get(&v)) {
                            num_id.get_or_insert_with(|| style_num.clone());
                            level = *style_level;
                        }
                    }
                    b"w:ilvl" => level = value(b"w:val").and_then(|v| v.parse().ok()).unwrap_or(0),
                    _ => {}
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == b"w:p" => {
                if let Some(id) = num_id.take() {
                    let counter = counters.entry((id.clone(), level)).or_insert(0);
                    *counter += 1;
                    let count = *counter;
                    // A new item restarts the deeper levels.
                    counters.retain(|(list, l), _| *list != id || *l <= level);
                    let format = numbering.get(&(id, level)).map_or("decimal", String::as_str);
                    out.push_str(&marker(format, count));
                }
                out.push_str(paragraph.trim_end());
                out.push('\n');
                paragraph.clear();
                level = 0;
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(DecodeError::Docx(format!("word/document.xml: {e}"))),
            _ => {}
        }
    }
    Ok(out)
}
