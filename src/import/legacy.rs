//! The Vietnamese encodings that came before Unicode and are still in older files: TCVN3
//! (ABC, the `.VnTime` fonts: one byte a letter) and VNI-Windows (a base letter, then a
//! byte for its marks: `aø` is `à`). Both usually reach us already mis-decoded as
//! Latin-1 or cp1252 (`ngµy`, `ngaøy`), which maps each byte to the char of the same
//! number: the tables below are written over those chars.

use unicode_normalization::UnicodeNormalization;

/// TCVN3 (TCVN 5712:1993, VN3): the byte (as its Latin-1 char) of each lowercase letter.
/// The capital letters of the `.VnTimeH` fonts use the same bytes; the few capitals with a
/// byte of their own are at the end.
const TCVN3: [(char, char); 74] = [
    ('\u{b5}', 'à'),
    ('\u{b6}', 'ả'),
    ('\u{b7}', 'ã'),
    ('\u{b8}', 'á'),
    ('\u{b9}', 'ạ'),
    ('\u{a8}', 'ă'),
    ('\u{bb}', 'ằ'),
    ('\u{bc}', 'ẳ'),
    ('\u{bd}', 'ẵ'),
    ('\u{be}', 'ắ'),
    ('\u{c6}', 'ặ'),
    ('\u{a9}', 'â'),
    ('\u{c7}', 'ầ'),
    ('\u{c8}', 'ẩ'),
    ('\u{c9}', 'ẫ'),
    ('\u{ca}', 'ấ'),
    ('\u{cb}', 'ậ'),
    ('\u{ae}', 'đ'),
    ('\u{cc}', 'è'),
    ('\u{ce}', 'ẻ'),
    ('\u{cf}', 'ẽ'),
    ('\u{d0}', 'é'),
    ('\u{d1}', 'ẹ'),
    ('\u{aa}', 'ê'),
    ('\u{d2}', 'ề'),
    ('\u{d3}', 'ể'),
    ('\u{d4}', 'ễ'),
    ('\u{d5}', 'ế'),
    ('\u{d6}', 'ệ'),
    ('\u{d7}', 'ì'),
    ('\u{d8}', 'ỉ'),
    ('\u{dc}', 'ĩ'),
    ('\u{dd}', 'í'),
    ('\u{de}', 'ị'),
    ('\u{df}', 'ò'),
    ('\u{e1}', 'ỏ'),
    ('\u{e2}', 'õ'),
    ('\u{e3}', 'ó'),
    ('\u{e4}', 'ọ'),
    ('\u{ab}', 'ô'),
    ('\u{e5}', 'ồ'),
    ('\u{e6}', 'ổ'),
    ('\u{e7}', 'ỗ'),
    ('\u{e8}', 'ố'),
    ('\u{e9}', 'ộ'),
    ('\u{ac}', 'ơ'),
    ('\u{ea}', 'ờ'),
    ('\u{eb}', 'ở'),
    ('\u{ec}', 'ỡ'),
    ('\u{ed}', 'ớ'),
    ('\u{ee}', 'ợ'),
    ('\u{ef}', 'ù'),
    ('\u{f1}', 'ủ'),
    ('\u{f2}', 'ũ'),
    ('\u{f3}', 'ú'),
    ('\u{f4}', 'ụ'),
    ('\u{ad}', 'ư'),
    ('\u{f5}', 'ừ'),
    ('\u{f6}', 'ử'),
    ('\u{f7}', 'ữ'),
    ('\u{f8}', 'ứ'),
    ('\u{f9}', 'ự'),
    ('\u{fa}', 'ỳ'),
    ('\u{fb}', 'ỷ'),
    ('\u{fc}', 'ỹ'),
    ('\u{fd}', 'ý'),
    ('\u{fe}', 'ỵ'),
    ('\u{a1}', 'Ă'),
    ('\u{a2}', 'Â'),
    ('\u{a3}', 'Ê'),
    ('\u{a4}', 'Ô'),
    ('\u{a5}', 'Ơ'),
    ('\u{a6}', 'Ư'),
    ('\u{a7}', 'Đ'),
];

/// Text written in TCVN3, as Latin-1 chars, in Unicode. A letter in a word of capitals is
/// a capital (the `.VnTimeH` fonts of headings).
pub fn from_tcvn3(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (index, &c) in chars.iter().enumerate() {
        let Some(&(_, letter)) = TCVN3.iter().find(|(byte, _)| *byte == c) else {
            out.push(c);
            continue;
        };
        // A capital when the word's other letters are all capitals, two or more of them.
        let word = |step: isize| {
            let mut letters = Vec::new();
            let mut at = index as isize + step;
            while at >= 0 && (at as usize) < chars.len() && !chars[at as usize].is_whitespace() {
                if chars[at as usize].is_ascii_alphabetic() {
                    letters.push(chars[at as usize]);
                }
                at += step;
            }
            letters
        };
        let letters: Vec<char> = word(-1).into_iter().chain(word(1)).collect();
        let capital = letters.len() >= 2 && letters.iter().all(char::is_ascii_uppercase);
        if capital {
            out.extend(letter.to_uppercase());
        } else {
            out.push(letter);
        }
    }
    out
}

const ACUTE: char = '\u{301}';
const GRAVE: char = '\u{300}';
const HOOK: char = '\u{309}';
const TILDE: char = '\u{303}';
const DOT: char = '\u{323}';
const CIRCUMFLEX: char = '\u{302}';
const BREVE: char = '\u{306}';
const HORN: char = '\u{31b}';

/// The marks a VNI byte (as its Latin-1 char, lower or upper case) adds to the vowel
/// before it.
fn vni_marks(mark: char, base: char) -> Option<&'static [char]> {
    let base = base.to_ascii_lowercase();
    let marks: &'static [char] = match mark.to_lowercase().next()? {
        'ù' => &[ACUTE],
        'ø' => &[GRAVE],
        'û' => &[HOOK],
        'õ' => &[TILDE],
        'ï' => &[DOT],
        'â' if matches!(base, 'a' | 'e' | 'o') => &[CIRCUMFLEX],
        'á' if matches!(base, 'a' | 'e' | 'o') => &[CIRCUMFLEX, ACUTE],
        'à' if matches!(base, 'a' | 'e' | 'o') => &[CIRCUMFLEX, GRAVE],
        'å' if matches!(base, 'a' | 'e' | 'o') => &[CIRCUMFLEX, HOOK],
        'ã' if matches!(base, 'a' | 'e' | 'o') => &[CIRCUMFLEX, TILDE],
        'ä' if matches!(base, 'a' | 'e' | 'o') => &[CIRCUMFLEX, DOT],
        'ê' if base == 'a' => &[BREVE],
        'é' if base == 'a' => &[BREVE, ACUTE],
        'è' if base == 'a' => &[BREVE, GRAVE],
        'ú' if base == 'a' => &[BREVE, HOOK],
        'ü' if base == 'a' => &[BREVE, TILDE],
        'ë' if base == 'a' => &[BREVE, DOT],
        _ => return None,
    };
    Some(marks)
}

/// A VNI letter of one byte: ơ, ư, đ and the i with a tone; `None` for any other char.
fn vni_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ô' => "o\u{31b}",
        'Ô' => "O\u{31b}",
        'ö' => "u\u{31b}",
        'Ö' => "U\u{31b}",
        'ñ' => "đ",
        'Ñ' => "Đ",
        'æ' => "i\u{309}",
        'Æ' => "I\u{309}",
        'ó' => "i\u{303}",
        'Ó' => "I\u{303}",
        'ò' => "i\u{323}",
        'Ò' => "I\u{323}",
        'î' => "y\u{323}",
        'Î' => "Y\u{323}",
        _ => return None,
    })
}

/// Text written in VNI-Windows, as Latin-1 chars, in Unicode (NFC).
pub fn from_vni(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let (base, horn) = match vni_letter(c) {
            Some(letter) if matches!(c, 'ô' | 'Ô' | 'ö' | 'Ö') => {
                (letter.chars().next().unwrap_or(c), true)
            }
            Some(letter) => {
                out.push_str(letter);
                index += 1;
                continue;
            }
            None => (c, false),
        };
        out.push(base);
        if horn {
            out.push(HORN);
        }
        index += 1;
        if "aeiouyAEIOUY".contains(base) {
            // Up to two mark bytes: a shape (with its tone) and then, on ơ/ư, a tone.
            for _ in 0..2 {
                let Some(&mark) = chars.get(index) else { break };
                let Some(marks) = vni_marks(mark, base) else { break };
                if horn && marks.iter().any(|m| [CIRCUMFLEX, BREVE].contains(m)) {
                    break;
                }
                out.extend(marks.iter());
                index += 1;
                if marks.len() == 2 || [ACUTE, GRAVE, HOOK, TILDE, DOT].contains(&marks[0]) {
                    break;
                }
            }
        }
    }
    out.nfc().collect()
}

/// Common Vietnamese syllables of official documents: the share of a text's words among
/// them tells Vietnamese from the same text in a wrong encoding.
const COMMON: &[&str] = &[
    "và", "của", "các", "những", "được", "trong", "ngày", "tháng", "năm", "thực", "hiện", "với", "cho", "để",
    "theo", "tỉnh", "phố", "huyện", "nhân", "dân", "đơn", "vị", "công", "tác", "phối", "hợp", "chủ", "trì",
    "triển", "khai", "báo", "cáo", "nhiệm", "vụ", "quản", "lý", "về", "tổ", "chức", "đã", "này", "người",
    "sở", "ủy", "ban", "có", "là", "không", "một", "đến", "từ", "trên", "địa", "bàn", "kế", "hoạch", "quyết",
    "định", "văn", "bản", "số", "tình", "hình", "phát", "triển", "kinh", "tế", "xã", "hội", "đảm", "bảo",
    "tăng", "cường", "kiểm", "tra", "thành", "đầu", "tư", "cơ", "quan", "liên", "nội", "chính", "giao",
    "yêu", "cầu", "đề", "nghị", "trước", "hoàn", "thông", "chỉ", "đạo", "thị", "sau", "tại", "lực", "nước",
    "đoàn", "cấp",
];

/// The share of `text`'s words that are common Vietnamese syllables.
pub fn vietnamese_share(text: &str) -> f64 {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(5000)
        .map(super::fold::fold)
        .collect();
    if words.is_empty() {
        return 0.0;
    }
    words.iter().filter(|w| COMMON.contains(&w.as_str())).count() as f64 / words.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcvn3_known_words_convert() {
        assert_eq!(from_tcvn3("Nam §Þnh, ngµy 21 th¸ng 9 n¨m 2021"), "Nam Định, ngày 21 tháng 9 năm 2021");
        assert_eq!(from_tcvn3("Së Néi vô"), "Sở Nội vụ");
        assert_eq!(from_tcvn3("Uû ban nh©n d©n tØnh"), "Uỷ ban nhân dân tỉnh");
        assert_eq!(from_tcvn3("tr\u{ad}íc ngµy"), "trước ngày");
        // Capitals of the .VnTimeH fonts are the lowercase bytes between capital letters.
        assert_eq!(from_tcvn3("TH¤NG B¸O"), "THÔNG BÁO");
    }

    #[test]
    fn vni_known_words_convert() {
        assert_eq!(from_vni("Nam Ñònh, ngaøy 21 thaùng 9 naêm 2021"), "Nam Định, ngày 21 tháng 9 năm 2021");
        assert_eq!(from_vni("Sôû Noäi vuï"), "Sở Nội vụ");
        assert_eq!(from_vni("tröôùc ngaøy"), "trước ngày");
        assert_eq!(from_vni("Uûy ban nhaân daân tænh"), "Ủy ban nhân dân tỉnh");
        assert_eq!(from_vni("THOÂNG BAÙO"), "THÔNG BÁO");
        assert_eq!(from_vni("hoaøn thaønh trong Quyù IV"), "hoàn thành trong Quý IV");
    }

    #[test]
    fn vietnamese_scores_higher_than_its_mis_decoded_forms() {
        let good = vietnamese_share("Giao Sở Nội vụ chủ trì, phối hợp với các đơn vị liên quan");
        let tcvn = vietnamese_share("Giao Së Néi vô chñ tr×, phèi hîp víi c¸c ®¬n vÞ liªn quan");
        assert!(good > 0.5 && tcvn < 0.2, "{good} {tcvn}");
    }
}
