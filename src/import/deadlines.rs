//! Deadlines in a task's words: the phrase as written, its kind (a day, a month, a
//! quarter, a half year, a year, a window, working days from signing, a recurrence) and
//! the day it is due. Only a phrase that says "by" (trước, chậm nhất, hoàn thành trong,
//! vào tháng …) is a deadline: a date after a document's number, a period ("giai đoạn
//! 2021-2025"), a report period ("kết quả 6 tháng đầu năm"), a cut-off ("tính đến ngày")
//! and anything before the document's own date are not.

use std::ops::Range;
use std::sync::LazyLock;

use chrono::{Datelike, Months, NaiveDate};
use regex::{Captures, Regex};

use super::compile;
use serde::Serialize;

use super::fold::Folded;
use crate::calendar::Calendar;
use crate::domain::last_day_of_month;
pub use crate::domain::{Period, Recurrence};

/// How a deadline was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Day,
    Month,
    Quarter,
    HalfYear,
    Year,
    Window,
    RelativeWorkingDays,
    Recurring,
    None,
}

impl DeadlineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Day => "day",
            DeadlineKind::Month => "month",
            DeadlineKind::Quarter => "quarter",
            DeadlineKind::HalfYear => "half_year",
            DeadlineKind::Year => "year",
            DeadlineKind::Window => "window",
            DeadlineKind::RelativeWorkingDays => "relative_working_days",
            DeadlineKind::Recurring => "recurring",
            DeadlineKind::None => "none",
        }
    }
}

/// Something about a deadline that a person should check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineDoubt {
    /// The year was not written: it is the document's, or the next.
    YearFromContext,
    /// Counted from a day the document does not give ("kể từ ngày nhận được").
    NoAnchor,
    /// A weak cue ("trong năm 2022", "vào tháng 11/2021").
    WeakCue,
}

/// A deadline found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub kind: DeadlineKind,
    pub due: Option<NaiveDate>,
    pub recurrence: Option<Recurrence>,
    /// The byte range of the phrase in the original text.
    pub range: Range<usize>,
    /// The deadline as a directive file writes it: `2021-11`, `2022-Q4`, `2021-12-15`,
    /// `+10wd from 2021-09-21`.
    pub written: Option<String>,
    pub doubts: Vec<DeadlineDoubt>,
}

/// What the phrases are read against.
pub struct Context<'a> {
    /// The document's date (or its meeting's): relative deadlines count from it, a year
    /// left out is taken from it, and nothing before it is a deadline.
    pub reference: Option<NaiveDate>,
    pub calendar: &'a Calendar,
}

const CUE_DAY: &str = r"(?:(?:phấn đấu|từ nay) đến(?: hết)?|trước|chậm nhất(?: là)?(?: vào| trong| trước)?|hạn chót(?: là)?|không muộn hơn|không quá|đến hết|hoàn thành(?: trước| trong| vào)?|xong(?: trước| trong)?|kết thúc(?: trước| vào)?|thời hạn(?: hoàn thành)?:?(?: trước)?|hạn(?: hoàn thành)?:?|vào|trong)";
const CUE_PERIOD: &str = r"(?:trước|chậm nhất(?: là)?(?: vào| trong| trước)?|hạn chót(?: là)?|đến hết|hết|hoàn thành(?: trước| trong| vào)?|xong(?: trước| trong)?|ngay trong|trong|vào|cuối|thời hạn(?: hoàn thành)?:?(?: trong)?)";
const DATE: &str = r"(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})(?:\s*[/.-]\s*(?P<y>\d{4}))?|(?P<dw>\d{1,2}) tháng (?P<mw>\d{1,2})(?: năm (?P<yw>\d{4}))?";
/// An hour written before a day: "trước 16 giờ 00 ngày 21/02/2020", "17h00,".
const HOUR: &str = r"\d{1,2}\s*(?:giờ|h)(?:\s*\d{2}(?:\s*phút)?)?,?";
const QUARTER: &str = r"quý (?P<q>iv|i{1,3}|[1-4])(?:\s*(?:/|-|năm)\s*(?P<qy>\d{4}))?";

struct Pattern {
    regex: Regex,
    read: fn(&Captures, &Context) -> Option<Reading>,
}

/// What a pattern read, before its range is mapped back to the original text.
struct Reading {
    kind: DeadlineKind,
    due: Option<NaiveDate>,
    recurrence: Option<Recurrence>,
    written: Option<String>,
    doubts: Vec<DeadlineDoubt>,
}

impl Reading {
    fn dated(kind: DeadlineKind, due: NaiveDate, written: String) -> Self {
        Reading { kind, due: Some(due), recurrence: None, written: Some(written), doubts: Vec::new() }
    }
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let date_start = DATE.replace("?P<d>", "?P<d1>").replace("?P<m>", "?P<m1>").replace("?P<y>", "?P<y1>");
    let date_start =
        date_start.replace("?P<dw>", "?P<dw1>").replace("?P<mw>", "?P<mw1>").replace("?P<yw>", "?P<yw1>");
    vec![
        // A window: "từ ngày 15/11 đến ngày 15/12/2022" is due at its end.
        Pattern {
            regex: compile(&format!(
                r"từ (?:ngày )?(?:{date_start})\s*(?:đến|tới|-|–)\s*(?:hết )?(?:ngày )?(?:{DATE})"
            )),
            read: |c, context| {
                let (due, doubts) = date_of(c, context)?;
                let mut reading =
                    Reading::dated(DeadlineKind::Window, due, due.format("%Y-%m-%d").to_string());
                reading.doubts = doubts;
                Some(reading)
            },
        },
        // A window of months: "từ tháng 10 đến tháng 11/2022", "thời gian: tháng 01 - 02/2018"
        // are due at the end of the last month.
        Pattern {
            regex: compile(
                r"(?:từ|trong|vào|thời gian:?|hoàn thành(?: trong)?) tháng \d{1,2}(?:\s*/\s*\d{4})?\s*(?:đến|tới|-|–)\s*(?:hết )?(?:tháng )?(?P<m>\d{1,2})\s*(?:/|-|năm)\s*(?P<y>\d{4})",
            ),
            read: |c, _| {
                let month = month_in(c)?;
                let year = year(c.name("y")?.as_str())?;
                let due = last_day_of_month(year, month)?;
                Some(Reading::dated(DeadlineKind::Window, due, format!("{year}-{month:02}")))
            },
        },
        // Working or calendar days from a day: "trong thời hạn 10 ngày làm việc kể từ ngày ký".
        Pattern {
            regex: compile(
                r"(?:trong (?:thời hạn |vòng |thời gian )?|chậm nhất(?: là)? |không quá |sau )(?P<n>\d{1,3})\s*(?:\([^)]{0,30}\)\s*)?ngày(?P<wd> làm việc)?,?\s*(?:kể từ|tính từ|từ|sau) (?:ngày|khi) (?P<anchor>(?:văn bản|thông báo|kế hoạch|quyết định|công văn|chỉ thị)(?: này)? (?:được )?(?:ký|ban hành|có hiệu lực)|ký(?: ban hành)?|ban hành|(?:văn bản|kế hoạch|quyết định|chỉ thị|công văn|thông báo)(?: này)? có hiệu lực|nhận được|[^,.;]{1,40})",
            ),
            read: |c, context| {
                let n: u32 = c.name("n")?.as_str().parse().ok()?;
                let working = c.name("wd").is_some();
                let anchor = c.name("anchor")?.as_str();
                let signed = ["ký", "ban hành", "có hiệu lực"].iter().any(|a| anchor.contains(a))
                    && !anchor.contains("nhận");
                let kind = if working { DeadlineKind::RelativeWorkingDays } else { DeadlineKind::Day };
                let unit = if working { "wd" } else { "d" };
                match (signed, context.reference) {
                    (true, Some(from)) => {
                        let due = if working {
                            context.calendar.add_working_days(from, n)
                        } else {
                            from.checked_add_days(chrono::Days::new(n.into()))?
                        };
                        Some(Reading::dated(
                            kind,
                            due,
                            format!("+{n}{unit} from {}", from.format("%Y-%m-%d")),
                        ))
                    }
                    _ => Some(Reading {
                        kind: DeadlineKind::RelativeWorkingDays,
                        due: None,
                        recurrence: None,
                        written: None,
                        doubts: vec![DeadlineDoubt::NoAnchor],
                    }),
                }
            },
        },
        // Every year on a day: "trước ngày 15/12 hằng năm".
        Pattern {
            regex: compile(
                r"(?:trước |chậm nhất |vào )?ngày (?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2}) (?:hằng|hàng|mỗi|của các) năm",
            ),
            read: yearly_on_day,
        },
        // Every month on a day: "trước ngày 20 hằng tháng", "ngày 25 hàng tháng".
        Pattern {
            regex: compile(
                r"(?:trước |chậm nhất |vào )?ngày (?P<d>\d{1,2}) (?:của )?(?:hằng|hàng|mỗi|các) (?P<every>tháng|quý)",
            ),
            read: every_on_day,
        },
        // Every year on a day, the day after: "hằng năm, trước ngày 15/12".
        Pattern {
            regex: compile(
                r"(?:hằng|hàng|mỗi) năm,? \(?(?:trước|chậm nhất|vào) ngày (?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\)?",
            ),
            read: yearly_on_day,
        },
        // Every half year on a day: "định kỳ 6 tháng (trước ngày 15/6)".
        Pattern {
            regex: compile(
                r"(?:định kỳ )?(?:0?6|sáu) tháng,? \(?(?:trước|chậm nhất|vào) ngày (?P<d>\d{1,2})\s*/\s*(?:0?6|12)\)?",
            ),
            read: |c, _| {
                let day = day_in(c)?;
                Some(recurring(Period::HalfYear, None, Some(day)))
            },
        },
        // Every month or quarter, the day after: "định kỳ hằng tháng (trước ngày 25)".
        Pattern {
            regex: compile(
                r"(?:định kỳ,? )?(?:hằng|hàng|mỗi) (?P<every>tháng|quý),? \(?(?:trước|chậm nhất(?: là)?(?: vào)?|vào) ngày (?P<d>\d{1,2})(?P<month>\s*/\s*\d{1,2})?\)?",
            ),
            // "hằng tháng, trước ngày 25/12" names a date: another pattern's.
            read: |c, context| if c.name("month").is_some() { None } else { every_on_day(c, context) },
        },
        // Every month, for the month before: "trước ngày 05 của tháng sau".
        Pattern {
            regex: compile(
                r"(?:trước |chậm nhất |vào )?ngày (?P<d>\d{1,2}) (?:của )?tháng (?:sau|kế tiếp|tiếp theo)",
            ),
            read: |c, _| {
                let day = day_in(c)?;
                Some(recurring(Period::Month, None, Some(day)))
            },
        },
        // Every quarter on a day of its last month: "trước ngày 15 của tháng cuối quý".
        Pattern {
            regex: compile(
                r"(?:trước |chậm nhất |vào )?ngày (?P<d>\d{1,2}) (?:của )?tháng cuối (?:mỗi |của |các )?quý",
            ),
            read: |c, _| {
                let day = day_in(c)?;
                Some(recurring(Period::Quarter, None, Some(day)))
            },
        },
        // "định kỳ 6 tháng", "báo cáo 6 tháng, hằng năm", "6 tháng một lần".
        Pattern {
            regex: compile(
                r"(?:định kỳ (?:0?6|sáu) tháng|(?:0?6|sáu) tháng một lần|(?:báo cáo|định kỳ)(?: định kỳ)? (?:0?6|sáu) tháng(?:,| và|/| hoặc)? (?:hằng|hàng) năm)",
            ),
            read: |_, _| Some(recurring(Period::HalfYear, None, None)),
        },
        // A weekday of every week or month: "vào ngày thứ Sáu cuối mỗi tháng", "thứ Hai hằng tuần".
        Pattern {
            regex: compile(
                r"(?:vào )?(?:ngày )?(?:thứ (?:hai|ba|tư|năm|sáu|bảy)|chủ nhật) (?:(?:cuối|đầu)(?: cùng| tiên)?(?: của)? )?(?:hằng|hàng|mỗi|các) (?P<every>tuần|tháng|quý)",
            ),
            read: |c, _| Some(recurring(every_in(c)?, None, None)),
        },
        // "định kỳ hằng quý", "báo cáo hằng tháng", "hằng tuần".
        Pattern {
            regex: compile(
                r"(?P<lead>định kỳ,? |(?:báo cáo|gửi|cập nhật|tổng hợp|kiểm tra|họp|giao ban|tổ chức|đánh giá|rà soát)[^.;:]{0,40}?)(?:hằng|hàng|mỗi) (?P<every>tuần|tháng|quý|năm)",
            ),
            read: |c, _| Some(recurring(every_in(c)?, None, None)),
        },
        // A day: "trước ngày 15/12/2021", "chậm nhất ngày 30 tháng 6 năm 2023".
        Pattern {
            regex: compile(&format!(r"(?P<cue>{CUE_DAY})\s+(?:{HOUR}\s+)?(?:ngày\s*)?(?:{DATE})")),
            read: |c, context| {
                let (due, mut doubts) = date_of(c, context)?;
                if matches!(c.name("cue").map(|m| m.as_str()), Some("vào" | "trong")) {
                    doubts.push(DeadlineDoubt::WeakCue);
                }
                let mut reading = Reading::dated(DeadlineKind::Day, due, due.format("%Y-%m-%d").to_string());
                reading.doubts = doubts;
                Some(reading)
            },
        },
        // A half year: "trong 6 tháng đầu năm 2023".
        Pattern {
            regex: compile(&format!(
                r"(?P<cue>{CUE_PERIOD})\s+(?:0?6|sáu) tháng (?P<half>đầu|cuối) năm (?P<y>\d{{4}})"
            )),
            read: |c, _| {
                let year = year(c.name("y")?.as_str())?;
                let first = c.name("half")?.as_str() == "đầu";
                let due = if first {
                    NaiveDate::from_ymd_opt(year, 6, 30)?
                } else {
                    NaiveDate::from_ymd_opt(year, 12, 31)?
                };
                let written = if first { format!("{year}-06-30") } else { format!("{year}") };
                Some(Reading::dated(DeadlineKind::HalfYear, due, written))
            },
        },
        // A quarter: "trong Quý IV năm 2022", "Quý II/2022".
        Pattern {
            regex: compile(&format!(r"(?:(?P<cue>{CUE_PERIOD})\s+)?{QUARTER}")),
            read: |c, context| {
                let quarter = match c.name("q")?.as_str() {
                    "i" | "1" => 1,
                    "ii" | "2" => 2,
                    "iii" | "3" => 3,
                    _ => 4,
                };
                let (year, doubts) = match c.name("qy") {
                    Some(y) => (year(y.as_str())?, Vec::new()),
                    None => (context.reference?.year(), vec![DeadlineDoubt::YearFromContext]),
                };
                let before = c.name("cue").is_some_and(|cue| cue.as_str().ends_with("trước"));
                let (year, quarter) = if before { previous(year, quarter, 4) } else { (year, quarter) };
                let due = last_day_of_month(year, quarter * 3)?;
                let mut reading = Reading::dated(DeadlineKind::Quarter, due, format!("{year}-Q{quarter}"));
                reading.doubts = doubts;
                Some(reading)
            },
        },
        // A month: "trong tháng 12/2021", "vào tháng 11/2021", "trong tháng 8 năm 2024".
        Pattern {
            regex: compile(&format!(
                r"(?P<cue>{CUE_PERIOD})\s+tháng (?P<m>\d{{1,2}})(?:\s*(?:/|-|năm)\s*(?P<y>\d{{4}}))?"
            )),
            read: |c, context| {
                let month = month_in(c)?;
                let (year, mut doubts) = match c.name("y") {
                    Some(y) => (year(y.as_str())?, Vec::new()),
                    None => {
                        let reference = context.reference?;
                        let year =
                            if month < reference.month() { reference.year() + 1 } else { reference.year() };
                        (year, vec![DeadlineDoubt::YearFromContext])
                    }
                };
                let cue = c.name("cue")?.as_str();
                let (year, month) =
                    if cue.ends_with("trước") { previous(year, month, 12) } else { (year, month) };
                if cue == "vào" {
                    doubts.push(DeadlineDoubt::WeakCue);
                }
                let due = last_day_of_month(year, month)?;
                let mut reading = Reading::dated(DeadlineKind::Month, due, format!("{year}-{month:02}"));
                reading.doubts = doubts;
                Some(reading)
            },
        },
        // A year: "hoàn thành trong năm 2022", "trước năm 2025", "đến hết năm 2023".
        Pattern {
            regex: compile(&format!(r"(?P<cue>{CUE_PERIOD})\s+năm (?P<y>\d{{4}})")),
            read: |c, _| {
                let cue = c.name("cue")?.as_str();
                let mut year = year(c.name("y")?.as_str())?;
                if cue.ends_with("trước") {
                    year -= 1;
                }
                let due = NaiveDate::from_ymd_opt(year, 12, 31)?;
                let mut reading = Reading::dated(DeadlineKind::Year, due, year.to_string());
                if matches!(cue, "trong" | "vào" | "cuối") {
                    reading.doubts.push(DeadlineDoubt::WeakCue);
                }
                Some(reading)
            },
        },
    ]
});

/// The period before the `n`th of `per_year` in `year`: "trước Quý III" is by the end of
/// Quý II, "trước tháng 1/2023" by the end of December 2022.
fn previous(year: i32, n: u32, per_year: u32) -> (i32, u32) {
    if n <= 1 { (year - 1, per_year) } else { (year, n - 1) }
}

fn recurring(every: Period, month: Option<u32>, day: Option<u32>) -> Reading {
    Reading {
        kind: DeadlineKind::Recurring,
        due: None,
        recurrence: Some(Recurrence { every, month, day }),
        written: None,
        doubts: Vec::new(),
    }
}

/// Every year on the day and month captured as `d` and `m`.
fn yearly_on_day(c: &Captures, _: &Context) -> Option<Reading> {
    Some(recurring(Period::Year, Some(month_in(c)?), Some(day_in(c)?)))
}

/// Every period captured as `every`, on the day captured as `d`.
fn every_on_day(c: &Captures, _: &Context) -> Option<Reading> {
    Some(recurring(every_in(c)?, None, Some(day_in(c)?)))
}

/// The day of the month a pattern captured as `d`.
fn day_in(c: &Captures) -> Option<u32> {
    c.name("d")?.as_str().parse().ok().filter(|d| (1..=31).contains(d))
}

/// The month a pattern captured as `m`.
fn month_in(c: &Captures) -> Option<u32> {
    c.name("m")?.as_str().parse().ok().filter(|m| (1..=12).contains(m))
}

/// The period a pattern captured as `every`: "tuần", "tháng", "quý", "năm".
fn every_in(c: &Captures) -> Option<Period> {
    match c.name("every")?.as_str() {
        "tuần" => Some(Period::Week),
        "tháng" => Some(Period::Month),
        "quý" => Some(Period::Quarter),
        "năm" => Some(Period::Year),
        _ => None,
    }
}

fn year(text: &str) -> Option<i32> {
    text.parse().ok().filter(|y| (1990..=2100).contains(y))
}

/// The (last) date of a match, with the year from context when it was left out.
fn date_of(c: &Captures, context: &Context) -> Option<(NaiveDate, Vec<DeadlineDoubt>)> {
    let number =
        |names: [&str; 2]| names.iter().find_map(|n| c.name(n)).and_then(|m| m.as_str().parse::<u32>().ok());
    let day = number(["d", "dw"])?;
    let month = number(["m", "mw"])?;
    let written_year = ["y", "yw"].iter().find_map(|n| c.name(n)).map(|m| m.as_str());
    match written_year {
        Some(y) => Some((NaiveDate::from_ymd_opt(year(y)?, month, day)?, Vec::new())),
        None => {
            // A window's end without a year takes its start's.
            let start_year = ["y1", "yw1"].iter().find_map(|n| c.name(n)).and_then(|m| year(m.as_str()));
            let reference = context.reference?;
            let mut date = NaiveDate::from_ymd_opt(start_year.unwrap_or(reference.year()), month, day)?;
            if start_year.is_none() && date < reference {
                date = date.checked_add_months(Months::new(12))?;
            }
            Some((date, vec![DeadlineDoubt::YearFromContext]))
        }
    }
}

/// What comes right before a date that makes it a reference, not a deadline: a
/// document's number ("Kế hoạch số 97/KH-UBND ngày"), "Căn cứ", a cut-off ("tính đến").
static REFERENCE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:(?:số|văn bản|kế hoạch|quyết định|nghị quyết|chỉ thị|công văn|thông báo|kết luận|nghị định|thông tư|luật|tờ trình|báo cáo|công điện|hướng dẫn)\s*(?:số\s*)?[\p{L}\d./&-]*\d[\p{L}\d./&-]*\s*,?\s*(?:ngày\s*)?|tính đến\s*(?:hết\s*)?(?:ngày\s*)?|(?:tính|thống kê|lũy kế|cộng dồn)\s*|số liệu[^.;]{0,30}|căn cứ[^.;,]{0,80})$",
    )
});

/// A report period right before a half year, a quarter or a year: "kết quả 6 tháng đầu
/// năm", "tình hình quý I".
static PERIOD_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?:kết quả|tình hình|số liệu|sơ kết|tổng kết|đánh giá|báo cáo|thực hiện nhiệm vụ|kế hoạch|dự toán|chỉ tiêu|giai đoạn)\s*$",
    )
});

/// A count of months right before "cuối năm": "6 tháng", "sáu tháng", "09 tháng".
static MONTHS_BEFORE: LazyLock<Regex> = LazyLock::new(|| compile(r"(?:\d{1,2}|sáu|chín|ba) tháng$"));

/// The time something goes on, right before its dates: "nghiêm cấm đốt nương trong thời
/// gian cao điểm từ ngày 15/3 đến ngày 30/4", "Lễ hội diễn ra vào ngày 10/4".
static DURING_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?:trong thời gian(?: cao điểm)?|thời gian diễn ra|diễn ra|trong suốt)\s*$"));

/// Words that make "hoàn thành …" a report of what was done: "đã", "mới", "vừa".
static DONE_BEFORE: LazyLock<Regex> = LazyLock::new(|| compile(r"(?:^|\s)(?:đã|mới|vừa|đã được)$"));

/// Every deadline in a folded text, left to right, without overlaps:
/// where two patterns read the same words, the first in the list above wins.
pub fn find(folded: &Folded, context: &Context) -> Vec<Found> {
    find_in(folded, 0..folded.text.len(), context)
}

/// Every deadline in `within`, a range of a folded text (a sentence of its paragraph);
/// the ranges found are the original text's.
pub fn find_in(folded: &Folded, within: Range<usize>, context: &Context) -> Vec<Found> {
    let offset = within.start;
    let text = &folded.text[within];
    // Every deadline has a digit, a quarter or a recurrence.
    let could = text.bytes().any(|b| b.is_ascii_digit())
        || ["quý ", "hằng ", "hàng ", "mỗi ", "định kỳ", "sáu tháng"].iter().any(|w| text.contains(w));
    if !could {
        return Vec::new();
    }
    let mut found: Vec<(Range<usize>, Found)> = Vec::new();
    for pattern in PATTERNS.iter() {
        for captures in pattern.regex.captures_iter(text) {
            let Some(whole) = captures.get(0) else { continue };
            let range = whole.range();
            if !bounded(text, &range) || found.iter().any(|(r, _)| r.start < range.end && range.start < r.end)
            {
                continue;
            }
            let before = tail(&text[..range.start], 120);
            if REFERENCE_BEFORE.is_match(before.trim_end_matches([' ', ',']))
                && !has_strong_cue(whole.as_str())
            {
                continue;
            }
            // A name in quotes ("Chung tay xóa nhà tạm … trong năm 2025") or a task quoted
            // from another document.
            if in_quotes(&folded.text, range.start + offset..range.end + offset) {
                continue;
            }
            let Some(reading) = (pattern.read)(&captures, context) else { continue };
            if matches!(reading.kind, DeadlineKind::HalfYear | DeadlineKind::Quarter | DeadlineKind::Year)
                && captures.name("cue").is_none_or(|cue| cue.as_str() == "trong")
                && PERIOD_BEFORE.is_match(before.trim_end())
            {
                continue;
            }
            // "6 tháng cuối năm 2026" counts months of the year: a period, never "cuối năm".
            if reading.kind == DeadlineKind::Year
                && captures.name("cue").is_some_and(|cue| cue.as_str() == "cuối")
                && MONTHS_BEFORE.is_match(before.trim_end())
            {
                continue;
            }
            // A target ("phấn đấu đến hết năm 2026 có 80% học sinh biết bơi") is not a deadline.
            if (before.trim_end().ends_with("phấn đấu") || whole.as_str().starts_with("phấn đấu"))
                && matches!(reading.kind, DeadlineKind::Year | DeadlineKind::HalfYear | DeadlineKind::Quarter)
                && tail_start(&text[range.end..], 60).contains('%')
            {
                continue;
            }
            // "đến nay mới hoàn thành 7/12 cửa van" tells what was done.
            if captures.name("cue").is_some_and(|cue| {
                ["hoàn thành", "xong", "kết thúc"].iter().any(|w| cue.as_str().starts_with(w))
            }) && DONE_BEFORE.is_match(before.trim_end())
            {
                continue;
            }
            if matches!(reading.kind, DeadlineKind::Window | DeadlineKind::Day)
                && DURING_BEFORE.is_match(before.trim_end())
            {
                continue;
            }
            if let (Some(due), Some(reference)) = (reading.due, context.reference)
                && due < reference
            {
                continue;
            }
            let original_range = folded.original_range(range.start + offset..range.end + offset);
            found.push((
                range,
                Found {
                    kind: reading.kind,
                    due: reading.due,
                    recurrence: reading.recurrence,
                    range: original_range,
                    written: reading.written,
                    doubts: reading.doubts,
                },
            ));
        }
    }
    found.sort_by_key(|(range, _)| range.start);
    found.into_iter().map(|(_, f)| f).collect()
}

static PERIOD_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:từ )?(?P<kind>tháng|quý) (?P<first>[0-9ivx]+)(?:\s*/\s*\d{4})?\s*(?:-|–|đến|,)\s*(?P<last>(?:(?:tháng|quý) )?[0-9ivx]+)\s*(?:/|năm)\s*(?P<y>\d{4})$",
    )
});

/// The last period of a cell that gives a range of them, written out whole: "Tháng 10 -
/// 11/2023" ends with "tháng 11/2023"; `None` for a cell that is not a range.
fn last_of_range(text: &str) -> Option<String> {
    let folded = super::fold::fold(text);
    if let Some(c) = PERIOD_RANGE.captures(&folded) {
        let (kind, last, year) = (c.name("kind")?.as_str(), c.name("last")?.as_str(), c.name("y")?.as_str());
        let last = if last.starts_with(|ch: char| ch.is_ascii_digit() || "ivx".contains(ch)) {
            format!("{kind} {last}")
        } else {
            last.to_owned()
        };
        return Some(format!("{last}/{year}"));
    }
    // Two periods of different kinds: "Quý IV/2018 - Tháng 01/2019".
    let (head, tail) = folded.rsplit_once(" - ").or_else(|| folded.rsplit_once(" – "))?;
    let period = |t: &str| t.trim_start().starts_with("tháng ") || t.trim_start().starts_with("quý ");
    (period(head) && period(tail) && tail.chars().any(|c| c.is_ascii_digit())).then(|| tail.trim().to_owned())
}

static YEARS_CELL: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^(?:năm |giai đoạn )?(?P<first>\d{4})\s*[-–]\s*(?P<last>\d{4})$"));

/// The deadline of a table cell or a field ("Thời gian hoàn thành: Quý III/2019"), where
/// the column says it is a deadline: "Tháng 6/2022", "Năm 2022", "6 tháng cuối năm 2022",
/// "Hằng quý" need no cue. `None` for "Thường xuyên" and for no deadline at all.
pub fn in_cell(text: &str, context: &Context) -> Option<Found> {
    let text = text.trim().trim_end_matches(['.', ';', ',']);
    // "Năm 2019 - 2020" in a deadline column: the plan's years, due at their end.
    if let Some(c) = YEARS_CELL.captures(&super::fold::fold(text))
        && let Some(last) = c.name("last").and_then(|y| year(y.as_str()))
        && let Some(due) = NaiveDate::from_ymd_opt(last, 12, 31)
    {
        return Some(Found {
            kind: DeadlineKind::Window,
            due: Some(due),
            recurrence: None,
            range: 0..text.len(),
            written: Some(last.to_string()),
            doubts: Vec::new(),
        });
    }
    // A range of periods ("Tháng 10 - 11/2023", "Quý III, IV/2023", "Quý IV/2018 - Tháng
    // 01/2019") is due at the end of its last.
    if let Some(last) = last_of_range(text)
        && let Some(mut found) = in_cell(&last, context)
        && found.due.is_some()
    {
        found.kind = DeadlineKind::Window;
        found.range = 0..text.len();
        return Some(found);
    }
    for cue in ["", "hoàn thành trong ", "định kỳ "] {
        let cued = format!("{cue}{text}");
        let mut found = find(&Folded::new(&cued), context);
        // Of two readings of one recurrence, the one with its day.
        if let Some(at) = found.iter().position(|f| f.recurrence.is_some_and(|r| r.day.is_some())) {
            found.swap(0, at);
        }
        if let Some(mut first) = found.into_iter().next() {
            let start = first.range.start.saturating_sub(cue.len());
            let end = first.range.end.saturating_sub(cue.len());
            if first.range.start < cue.len() {
                first.range = 0..end;
            } else {
                first.range = start..end;
            }
            first.doubts.retain(|d| *d != DeadlineDoubt::WeakCue);
            return Some(first);
        }
    }
    None
}

/// The last `max` bytes of `text`, or a little less, on a char boundary.
/// The first `max` bytes of `text`, or fewer to end on a char.
fn tail_start(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

pub(super) fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Whether `range` of `text` is between quotation marks.
fn in_quotes(text: &str, range: Range<usize>) -> bool {
    let (before, after) = (&text[..range.start], &text[range.end..]);
    let straight = before.matches('"').count() % 2 == 1 && after.contains('"');
    let curly = before.rfind('“').is_some_and(|open| before.rfind('”').is_none_or(|close| close < open))
        && after.contains('”');
    straight || curly
}

fn has_strong_cue(phrase: &str) -> bool {
    ["trước", "chậm nhất", "hạn chót", "hoàn thành", "thời hạn", "xong"]
        .iter()
        .any(|cue| phrase.starts_with(cue))
}

/// Whether a match starts and ends on word boundaries.
fn bounded(text: &str, range: &Range<usize>) -> bool {
    let before = text[..range.start].chars().next_back();
    let after = text[range.end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(|c| c.is_alphanumeric())
}

#[cfg(test)]
mod tests;
