//! The text layer of a PDF, page by page, read with `pdf-extract` (on `lopdf`). A PDF with
//! no text (a scan) or one that needs a password is refused with the reason: nothing here
//! guesses at images.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use super::decode::DecodeError;

/// Fewer letters than this a page, on average, and the PDF has no text layer.
const LETTERS_PER_PAGE: usize = 20;

/// The text of a PDF's pages, a form feed between pages.
pub fn text(bytes: &[u8]) -> Result<String, DecodeError> {
    let mut document = pdf_extract::Document::load_mem(bytes).map_err(|e| DecodeError::Pdf(e.to_string()))?;
    if document.is_encrypted() && document.decrypt("").is_err() {
        return Err(DecodeError::PdfPassword);
    }
    let pages = document.get_pages().len();
    if pages == 0 {
        return Err(DecodeError::Pdf("it has no pages".to_owned()));
    }
    let texts = quietly(|| pdf_extract::extract_text_from_mem_by_pages(bytes))
        .ok_or_else(|| DecodeError::Pdf("its text could not be read".to_owned()))?
        .map_err(|e| match e.to_string() {
            message if message.contains("ncrypt") || message.contains("assword") => DecodeError::PdfPassword,
            message => DecodeError::Pdf(message),
        })?;
    let letters: usize = texts.iter().map(|t| t.chars().filter(|c| c.is_alphabetic()).count()).sum();
    if letters < LETTERS_PER_PAGE * pages.max(1) {
        return Err(DecodeError::PdfWithoutText { pages });
    }
    Ok(texts.join("\n\u{c}\n"))
}

/// Runs `read`, returning `None` where it panics: the PDF reader panics on some malformed
/// files, and a bad file must be an error, not a crash. The panic's message is not printed.
fn quietly<T>(read: impl FnOnce() -> T) -> Option<T> {
    static HOOK: Mutex<()> = Mutex::new(());
    let _guard = HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(read)).ok();
    std::panic::set_hook(previous);
    result
}
