//! The form of Vietnamese text used for matching: NFC, lower case, and one place for the
//! tone mark in `oa`, `oe`, `uy` (`hoà` and `hòa`, `thuỷ` and `thủy` fold alike). The
//! original text is never changed: a match in the folded text maps back to the original's
//! byte range, so every phrase is reported as written.

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
/// `q`, nor `gu`), puts its tone mark on the first of the two vowels. Each char of the word
/// folds to one char, which maps to the original char.
fn fold_word(word: &str, start: usize, text: &mut String, offsets: &mut Vec<(usize, usize)>) {
    let mut lower: Vec<char> = word.chars().map(fold_char).collect();
    move_tone(&mut lower);
    for ((at, _), c) in word.char_indices().zip(lower) {
        offsets.push((text.len(), start + at));
        text.push(c);
    }
}

/// A letter without its tone mark, and the tone mark; `None` for a letter with another
/// mark too (ơ, â …) or a char that is not a letter with a tone.
fn toned(c: char) -> Option<(char, Option<char>)> {
    let mut parts = [None; 3];
    let mut count = 0;
    unicode_normalization::char::decompose_canonical(c, |d| {
        if count < 3 {
            parts[count] = Some(d);
        }
        count += 1;
    });
    match (count, parts) {
        (1, [Some(base), ..]) => Some((base, None)),
        (2, [Some(base), Some(mark), _]) if TONE_MARKS.contains(&mark) => Some((base, Some(mark))),
        _ => None,
    }
}

/// Moves the tone of a final `oà`, `oè`, `uỳ` (and the other tones) to the first vowel.
fn move_tone(lower: &mut [char]) {
    let n = lower.len();
    if n < 2 {
        return;
    }
    let (Some((first, None)), Some((second, Some(tone)))) = (toned(lower[n - 2]), toned(lower[n - 1])) else {
        return;
    };
    if !matches!((first, second), ('o', 'a') | ('o', 'e') | ('u', 'y')) {
        return;
    }
    if n >= 3 && (lower[n - 3] == 'q' || lower[n - 3] == 'g' && first == 'u') {
        return;
    }
    if let Some(composed) = unicode_normalization::char::compose(first, tone) {
        lower[n - 2] = composed;
        lower[n - 1] = second;
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
