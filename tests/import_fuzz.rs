//! The importer never panics, whatever it is given: arbitrary text, documents built at
//! random from the pieces real directives are made of (markers, dates, bodies, tables,
//! page numbers, legacy bytes), and arbitrary bytes that start like a PDF or a DOCX. A
//! bounded number of cases runs with every `cargo test`; set PROPTEST_CASES for more.

use nhacviec::calendar::Calendar;
use nhacviec::config::Settings;
use nhacviec::import::{self, Setting, decode};
use proptest::prelude::*;

fn settings() -> Settings {
    let text = include_str!("../config/examples/nam-dinh.toml");
    Settings::from_toml(text, "nam-dinh.toml", &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Pieces of directives: markers, headers, dates and deadlines, bodies, table cells,
/// page numbers, and the odd bytes of legacy encodings and PDF text.
const PIECES: &[&str] = &[
    "1.",
    "2)",
    "12.",
    "1.2.",
    "II.",
    "IV-",
    "a)",
    "đ)",
    "- ",
    "+ ",
    "• ",
    "Điều 3.",
    "TT",
    "STT",
    "3",
    "- 2 -",
    "Trang 2/5",
    "ỦY BAN NHÂN DÂN",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Số: 41/TB-UBND",
    "Số:  /KH-UBND",
    "Quảng Ninh, ngày 09 tháng 3 năm 2023",
    "THÔNG BÁO",
    "KẾ HOẠCH",
    "V/v ",
    "Căn cứ Luật ",
    "Nơi nhận:",
    "KT. CHỦ TỊCH",
    "TM. ỦY BAN NHÂN DÂN",
    "./.",
    "Giao ",
    "Yêu cầu ",
    "Đề nghị ",
    " chủ trì, phối hợp với ",
    " có trách nhiệm ",
    "Sở Nội vụ",
    "Sở KH&ĐT",
    "UBND thành phố Nam Định",
    "các Sở, ngành",
    "UBND các huyện, thành phố",
    "các đơn vị liên quan",
    "Thanh tra tỉnh",
    "Trung tâm Phục vụ hành chính công",
    "Cơ quan chủ trì:",
    "Thời gian hoàn thành:",
    "trước ngày 15/12/2021",
    "trước ngày 15-12",
    "chậm nhất ngày 30 tháng 6 năm 2023",
    "trong tháng 12/2021",
    "vào tháng 11/",
    "2021",
    "trong Quý IV năm 2022",
    "Quý II/2022",
    "6 tháng đầu năm 2023",
    "hoàn thành trong năm 2022",
    "từ ngày 15/11 đến ngày 15/12/2022",
    "Từ 15/5-15/6/2023",
    "trong thời hạn 10 ngày làm việc kể từ ngày ký",
    "kể từ ngày nhận được",
    "trước ngày 20 hằng tháng",
    "định kỳ hằng quý",
    "báo cáo 6 tháng, hằng năm",
    "trước ngày 31/2/2023",
    "ngày 99/99/9999",
    "Quý V/2022",
    "tháng 13/2022",
    "năm 99999",
    "giai đoạn 2021-2025",
    "Kế hoạch số 97/KH-UBND ngày 19/8/2021",
    "Nghị định số 167/2017/NĐ-CP",
    "14,35%",
    "ngµy",
    "th¸ng",
    "ngaøy",
    "Hoà",
    "Thuỷ",
    "UỶ",
    "o\u{300}",
    "\u{301}",
    "\u{c}",
    "\t",
    "  ",
    ":",
    ";",
    ".",
    ",",
    "(",
    ")",
    "/",
    "…",
    "\u{a0}",
];

/// 256 cases a property, or PROPTEST_CASES.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|pieces| pieces.concat()),
        0..60,
    )
    .prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_read_without_a_panic(text in any::<String>()) {
        let settings = settings();
        let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
        let proposal = import::propose(&text, &setting);
        for task in &proposal.tasks {
            prop_assert!(task.confidence > 0.0 && task.confidence <= 1.0);
        }
    }

    #[test]
    fn documents_of_directive_pieces_are_read_without_a_panic(text in document()) {
        let settings = settings();
        let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
        let proposal = import::propose(&text, &setting);
        // The directive file it proposes is always TOML.
        let file = nhacviec::directive_file::proposal_file(&proposal, "fuzz.txt");
        prop_assert!(toml::from_str::<toml::Table>(&file).is_ok(), "{}", file);
        // Every phrase is the document's own words.
        for task in &proposal.tasks {
            if let Some(phrase) = &task.deadline_phrase {
                let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let phrase: String = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
                prop_assert!(collapsed.contains(&phrase), "{:?} not in the text", phrase);
            }
        }
    }

    #[test]
    fn any_bytes_are_decoded_or_refused_without_a_panic(
        start in prop::sample::select(vec![&b""[..], b"%PDF-1.7\n", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"\xd0\xcf\x11\xe0"]),
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let document = [start, &bytes[..]].concat();
        if let Ok(decoded) = decode::document(&document) {
            let calendar = Calendar::vietnam();
            let settings = settings();
            let setting = Setting { departments: &settings.departments, calendar: &calendar };
            let _ = import::propose(&decoded.text, &setting);
        }
    }
}
