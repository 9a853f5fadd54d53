//! From a document's bytes to its text: UTF-8 (with or without a BOM) and UTF-16 with a
//! BOM. Anything else that is not text is refused with the reason.

/// Why bytes are not a document's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has no text (only spaces and blank lines)")]
    Blank,
    #[error("this is not text: binary bytes at offset {0}")]
    Binary(usize),
    #[error("this is not UTF-8 text: invalid bytes at offset {0}")]
    NotUtf8(usize),
}

/// The text of a plain-text document.
pub fn text(bytes: &[u8]) -> Result<String, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, u16::from_be_bytes)?
    } else {
        let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        if let Some(at) = bytes.iter().position(|&b| b == 0 || (b < 0x09) || (0x0E..0x1B).contains(&b)) {
            return Err(DecodeError::Binary(at));
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(error) => return Err(DecodeError::NotUtf8(error.valid_up_to())),
        }
    };
    if text.trim().is_empty() {
        return Err(DecodeError::Blank);
    }
    Ok(text)
}

fn utf16(bytes: &[u8], read: fn([u8; 2]) -> u16) -> Result<String, DecodeError> {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|pair| read([pair[0], pair[1]])).collect();
    String::from_utf16(&units).map_err(|_| DecodeError::Binary(0))
}
