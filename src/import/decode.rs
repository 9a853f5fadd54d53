//! From a document's bytes to its text: UTF-8 (with or without a BOM), UTF-16 with a BOM,
//! Windows-1258, and the legacy TCVN3 and VNI encodings, raw or already mis-decoded as
//! Latin-1 and saved as UTF-8. The encoding is detected by which reading gives the most
//! Vietnamese, and reported. Anything that is not text is refused with the reason.

use unicode_normalization::UnicodeNormalization;

use super::legacy::{from_tcvn3, from_vni, vietnamese_share};

/// Why bytes are not a document's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has no text (only spaces and blank lines)")]
    Blank,
    #[error("this is not text: binary bytes at offset {0}")]
    Binary(usize),
    #[error("this PDF cannot be read: {0}")]
    Pdf(String),
    #[error("this PDF is protected by a password: save it without one, or import its text")]
    PdfPassword,
    #[error(
        "this PDF has no text layer (no text on its {pages} page(s): a scan?): run it through OCR, or import its text"
    )]
    PdfWithoutText { pages: usize },
    #[error("this DOCX cannot be read: {0}")]
    Docx(String),
    #[error("this is a Word 97-2003 document (.doc): save it as .docx or PDF")]
    WordBinary,
}

/// The encoding a text was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Windows1258,
    /// TCVN3 bytes.
    Tcvn3,
    /// TCVN3 mis-decoded as Latin-1 and saved as UTF-8 (`ngµy`).
    Tcvn3AsLatin1,
    Vni,
    /// VNI mis-decoded as Latin-1 and saved as UTF-8 (`ngaøy`).
    VniAsLatin1,
    /// The text layer of a PDF.
    Pdf,
    /// The paragraphs of a DOCX.
    Docx,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
            Encoding::Windows1258 => "windows-1258",
            Encoding::Tcvn3 => "tcvn3",
            Encoding::Tcvn3AsLatin1 => "tcvn3 (mis-decoded as latin-1)",
            Encoding::Vni => "vni-windows",
            Encoding::VniAsLatin1 => "vni-windows (mis-decoded as latin-1)",
            Encoding::Pdf => "pdf",
            Encoding::Docx => "docx",
        }
    }

    /// Whether the text was converted from a legacy encoding.
    pub fn converted(self) -> bool {
        !matches!(self, Encoding::Utf8 | Encoding::Utf16 | Encoding::Pdf | Encoding::Docx)
    }
}

/// A document's text and the encoding it was read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
}

/// How much more Vietnamese a converted reading must be to replace the text as read.
const MARGIN: f64 = 0.1;

/// The text of a document: a PDF, a DOCX, or plain text, told apart by their first bytes.
pub fn document(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let decoded = if bytes.starts_with(b"%PDF-") {
        Decoded { text: super::pdf::text(bytes)?, encoding: Encoding::Pdf }
    } else if bytes.starts_with(b"PK\x03\x04") {
        Decoded { text: super::docx::text(bytes)?, encoding: Encoding::Docx }
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(DecodeError::WordBinary);
    } else {
        return text(bytes);
    };
    if decoded.text.trim().is_empty() {
        return Err(DecodeError::Blank);
    }
    Ok(decoded)
}

/// The text of a plain-text document.
pub fn text(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let decoded = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        Decoded { text: utf16(rest, u16::from_le_bytes)?, encoding: Encoding::Utf16 }
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        Decoded { text: utf16(rest, u16::from_be_bytes)?, encoding: Encoding::Utf16 }
    } else {
        let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        if let Some(at) = bytes.iter().position(|&b| b < 0x09 || (0x0E..0x1B).contains(&b)) {
            return Err(DecodeError::Binary(at));
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => best_reading(
                text.to_owned(),
                Encoding::Utf8,
                [Encoding::Tcvn3AsLatin1, Encoding::VniAsLatin1],
            ),
            Err(_) => {
                let latin1: String = bytes.iter().map(|&b| char::from(b)).collect();
                // Windows-1258 puts tones as combining marks: NFC joins them to their letters.
                let (cp1258, _, _) = encoding_rs::WINDOWS_1258.decode(bytes);
                let cp1258: String = cp1258.nfc().collect();
                let mut best = best_reading(latin1, Encoding::Tcvn3, [Encoding::Tcvn3, Encoding::Vni]);
                if vietnamese_share(&cp1258) > vietnamese_share(&best.text) {
                    best = Decoded { text: cp1258, encoding: Encoding::Windows1258 };
                }
                best
            }
        }
    };
    if decoded.text.trim().is_empty() {
        return Err(DecodeError::Blank);
    }
    Ok(decoded)
}

/// The reading of `text` (read as `encoding`) that is most Vietnamese among it and its
/// conversions from `legacy`.
fn best_reading(text: String, encoding: Encoding, legacy: [Encoding; 2]) -> Decoded {
    // Only text with chars of the Latin-1 upper half can be a legacy encoding.
    let latin1_upper = text.chars().filter(|c| ('\u{a0}'..='\u{ff}').contains(c)).count();
    let as_read = Decoded { text, encoding };
    if latin1_upper == 0 {
        return as_read;
    }
    let share = vietnamese_share(&as_read.text);
    let mut best: Option<(f64, Decoded)> = None;
    for candidate in legacy {
        let converted = match candidate {
            Encoding::Tcvn3 | Encoding::Tcvn3AsLatin1 => from_tcvn3(&as_read.text),
            _ => from_vni(&as_read.text),
        };
        let score = vietnamese_share(&converted);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, Decoded { text: converted, encoding: candidate }));
        }
    }
    match best {
        Some((score, decoded)) if score > share + MARGIN || encoding != Encoding::Utf8 && score >= share => {
            decoded
        }
        _ => as_read,
    }
}

fn utf16(bytes: &[u8], read: fn([u8; 2]) -> u16) -> Result<String, DecodeError> {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|pair| read([pair[0], pair[1]])).collect();
    String::from_utf16(&units).map_err(|_| DecodeError::Binary(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTENCE: &str =
        "Giao Sở Nội vụ chủ trì, phối hợp với các đơn vị liên quan, báo cáo trước ngày 15/12/2021.";

    #[test]
    fn utf8_is_read_as_it_is() {
        let decoded = text(SENTENCE.as_bytes()).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.encoding), (SENTENCE, Encoding::Utf8));
        let with_bom = [&[0xEF, 0xBB, 0xBF][..], SENTENCE.as_bytes()].concat();
        assert_eq!(text(&with_bom).unwrap().text, SENTENCE);
    }

    #[test]
    fn tcvn3_and_vni_bytes_are_detected_and_converted() {
        let tcvn3 =
            "Giao Së Néi vô chñ tr×, phèi hîp víi c¸c ®¬n vÞ liªn quan, b¸o c¸o tr\u{ad}íc ngµy 15/12/2021.";
        let bytes: Vec<u8> = tcvn3.chars().map(|c| c as u32 as u8).collect();
        let decoded = text(&bytes).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.encoding), (SENTENCE, Encoding::Tcvn3));
        // The same text mis-decoded as Latin-1 and saved as UTF-8.
        let decoded = text(tcvn3.as_bytes()).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.encoding), (SENTENCE, Encoding::Tcvn3AsLatin1));
        let vni = "Giao Sôû Noäi vuï chuû trì, phoái hôïp vôùi caùc ñôn vò lieân quan, baùo caùo tröôùc ngaøy 15/12/2021.";
        let bytes: Vec<u8> = vni.chars().map(|c| c as u32 as u8).collect();
        let decoded = text(&bytes).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.encoding), (SENTENCE, Encoding::Vni));
        let decoded = text(vni.as_bytes()).unwrap();
        assert_eq!(decoded.encoding, Encoding::VniAsLatin1);
    }

    #[test]
    fn windows_1258_with_combining_marks_is_read() {
        // Windows-1258 writes a letter with its shape (ơ, â) and the tone as a combining mark.
        let tones = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
        let split: String = SENTENCE
            .chars()
            .flat_map(|c| {
                let parts: Vec<char> = c.to_string().nfd().collect();
                let base: String =
                    parts.iter().filter(|p| !tones.contains(p)).collect::<String>().nfc().collect();
                let tone: Vec<char> = parts.into_iter().filter(|p| tones.contains(p)).collect();
                base.chars().chain(tone).collect::<Vec<_>>()
            })
            .collect();
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&split);
        assert!(!unmappable);
        let decoded = text(&bytes).unwrap();
        let nfc: String = decoded.text.nfc().collect();
        assert_eq!((nfc.as_str(), decoded.encoding), (SENTENCE, Encoding::Windows1258));
    }

    #[test]
    fn what_is_not_text_is_refused_with_its_reason() {
        assert_eq!(text(b""), Err(DecodeError::Empty));
        assert_eq!(text(b"  \n\n \t"), Err(DecodeError::Blank));
        assert_eq!(text(&[0x25, 0x50, 0x00, 0x01, 0x02]), Err(DecodeError::Binary(2)));
    }
}
