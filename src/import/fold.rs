//! The form of Vietnamese text used for matching: NFC, lower case, and one place for the
//! tone mark in `oa`, `oe`, `uy` (`hoà` and `hòa`, `thuỷ` and `thủy` fold alike). The
//! original text is never changed: a match in the folded text maps back to the original's
//! byte range, so every phrase is reported as written.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Text in its matching form, with the way back to the original.
#[derive(Debug, Clone)]
pub struct Folded {
    pub text: String,
    /// For each char of `text`: (its byte offset in `text`, the byte offset in the original
    /// of the char it came from).
    offsets: Vec<(usize, usize)>,
    original_len: usize,
}

impl Folded {
    /// Folds `original`, which should already be NFC.
    pub fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut offsets = Vec::with_capacity(original.len());
        let mut word_start = None;
        for (at, c) in original.char_indices() {
            if c.is_alphabetic() || is_combining_mark(c) {
                word_start.get_or_insert(at);
                continue;
            }
            if let Some(start) = word_start.take() {
                fold_word(&original[start..at], start, &mut text, &mut offsets);
            }
            offsets.push((text.len(), at));
            text.push(fold_char(c));
        }
        if let Some(start) = word_start {
            fold_word(&original[start..], start, &mut text, &mut offsets);
        }
        Self { text, offsets, original_len: original.len() }
    }

    /// The original byte offset of the folded byte offset `at` (a char boundary of `text`,
    /// or its end).
    pub fn original_offset(&self, at: usize) -> usize {
        if at >= self.text.len() {
            return self.original_len;
        }
        match self.offsets.binary_search_by_key(&at, |&(folded, _)| folded) {
            Ok(index) => self.offsets[index].1,
            Err(index) => self.offsets[index.saturating_sub(1)].1,
        }
    }

    /// The original byte range of a folded byte range.
    pub fn original_range(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        self.original_offset(range.start)..self.original_offset(range.end)
    }
}

/// Folds one word for matching, without keeping offsets.
pub fn fold(text: &str) -> String {
    Folded::new(text).text
}

fn fold_char(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

const TONE_MARKS: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

/// Lower-cases a word and, in an open syllable ending in `oa`, `oe` or `uy` (not after
/// `q`), puts its tone mark on the first of the two vowels. Every char of the folded word
/// maps to the start of the original word.
fn fold_word(word: &str, start: usize, text: &mut String, offsets: &mut Vec<(usize, usize)>) {
    let lower: String = word.chars().map(fold_char).collect();
    let mut tone = None;
    let mut letters: Vec<Vec<char>> = Vec::new();
    for c in lower.nfd() {
        if TONE_MARKS.contains(&c) {
            tone = Some(c);
        } else if is_combining_mark(c) {
            if let Some(last) = letters.last_mut() {
                last.push(c);
            }
        } else {
            letters.push(vec![c]);
        }
    }
    let bases: Vec<char> = letters.iter().map(|l| l[0]).collect();
    let moved = tone.is_some() && {
        let n = bases.len();
        n >= 2
            && matches!((bases[n - 2], bases[n - 1]), ('o', 'a') | ('o', 'e') | ('u', 'y'))
            && letters[n - 2].len() == 1
            && letters[n - 1].len() == 1
            && !(n >= 3 && bases[n - 3] == 'q')
            && !(n >= 3 && bases[n - 3] == 'g' && bases[n - 2] == 'u')
    };
    let folded: String = if moved {
        let n = letters.len();
        let mut out = String::new();
        for (index, letter) in letters.iter().enumerate() {
            out.extend(letter.iter());
            if index == n - 2 {
                out.extend(tone);
            }
        }
        out.nfc().collect()
    } else {
        lower.nfc().collect()
    };
    // Folding keeps the number of chars of an NFC word: each maps to its own original;
    // otherwise all map to the word's start.
    let original: Vec<usize> = word.char_indices().map(|(at, _)| start + at).collect();
    let same_length = folded.chars().count() == original.len();
    for (index, c) in folded.chars().enumerate() {
        offsets.push((text.len(), if same_length { original[index] } else { start }));
        text.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_placement_folds_both_styles_alike() {
        for (old, new) in [
            ("Hòa", "Hoà"),
            ("Thủy", "Thuỷ"),
            ("khỏe", "khoẻ"),
            ("ỦY BAN", "UỶ BAN"),
            ("Thụy", "Thuỵ"),
            ("hóa", "hoá"),
            ("Khánh Hòa", "Khánh Hoà"),
        ] {
            assert_eq!(fold(old), fold(new), "{old} / {new}");
        }
    }

    #[test]
    fn syllables_with_a_final_consonant_or_qu_keep_their_tone() {
        assert_eq!(fold("Hoàng"), "hoàng");
        assert_eq!(fold("quý"), "quý");
        assert_eq!(fold("Quý IV"), "quý iv");
        assert_eq!(fold("thuyết"), "thuyết");
        assert_eq!(fold("Ủy"), "ủy");
    }

    #[test]
    fn a_folded_range_maps_back_to_the_words_as_written() {
        let original = "Giao UỶ BAN nhân dân thành phố Thuỷ Nguyên, ngày 15/12/2021";
        let folded = Folded::new(original);
        let at = folded.text.find("thủy nguyên").unwrap();
        let range = folded.original_range(at..at + "thủy nguyên".len());
        assert_eq!(&original[range], "Thuỷ Nguyên");
        let at = folded.text.find("15/12/2021").unwrap();
        assert_eq!(&original[folded.original_range(at..at + 10)], "15/12/2021");
        let at = folded.text.find("ủy ban").unwrap();
        assert_eq!(&original[folded.original_range(at..at + "ủy ban".len())], "UỶ BAN");
    }
}
