//! The bodies a document names (departments, People's Committees, groups such as "các Sở,
//! ngành") and which configured department each one is. Known names come from the config
//! (names and aliases) and from the standard names in `bodies.toml`; an unknown body is
//! still found by its head word ("Sở", "Ban", "Trung tâm" …) and reported as written.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::Deserialize;

use super::fold::{Folded, fold};
use crate::config::Departments;
use crate::domain::DepartmentCode;

/// A body as the document names it, and the department it is, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The words of the document.
    pub written: String,
    pub code: Option<DepartmentCode>,
    /// The configured department's name.
    pub name: Option<String>,
    /// A group addressee ("các Sở, ngành", "UBND các huyện, thành phố").
    pub group: bool,
    /// The members of a group the config defines (`[[groups]]`).
    pub members: Vec<DepartmentCode>,
}

impl Body {
    /// The configured name, or the words as written.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.written)
    }
}

/// A body found in a text: its range in the folded text.
#[derive(Debug, Clone)]
pub struct Mention {
    pub range: Range<usize>,
    pub body: Body,
    /// "các đơn vị liên quan": nobody to address.
    pub vague: bool,
}

#[derive(Deserialize)]
struct Lexicon {
    body: Vec<StandardBody>,
}

#[derive(Deserialize)]
struct StandardBody {
    name: String,
    short: Vec<String>,
}

static STANDARD: LazyLock<Vec<StandardBody>> = LazyLock::new(|| {
    // The file is part of the binary and tested; an error here is a bug of the build.
    toml::from_str::<Lexicon>(include_str!("bodies.toml")).map(|l| l.body).unwrap_or_default()
});

/// Words that start a body's name.
const HEADS: &[&str] = &[
    "sở",
    "khu",
    "vườn quốc gia",
    "ủy ban nhân dân",
    "ubnd",
    "ban",
    "thanh tra",
    "văn phòng",
    "công an",
    "bộ chỉ huy",
    "bộ",
    "cục",
    "chi cục",
    "kho bạc",
    "bảo hiểm xã hội",
    "đài",
    "báo",
    "trường",
    "bệnh viện",
    "hội",
    "liên đoàn",
    "liên minh",
    "tỉnh đoàn",
    "ủy ban",
    "quỹ",
    "trung tâm",
    "ngân hàng",
    "viện",
    "tòa án",
    "hội đồng nhân dân",
    "hđnd",
    "thành ủy",
    "huyện ủy",
    "thị ủy",
    "tổng công ty",
    "công ty",
    "tập đoàn",
    "cảng vụ",
    "tổ công tác",
    "ban chỉ đạo",
    "hội đồng",
    "thành phố",
    "tp",
    "huyện",
    "thị xã",
    "quận",
];

/// Heads that running text writes in lower case.
const LOWERCASE_HEADS: &[&str] = &[
    "thành phố",
    "huyện",
    "thị xã",
    "quận",
    "ubnd",
    "giám đốc",
    "thủ trưởng",
    "chủ tịch",
    "chánh",
    "trưởng",
    "người đứng đầu",
    "lãnh đạo",
    "đồng chí",
];

/// Titles of a body's head that name the body itself: "Giám đốc Sở Y tế" is Sở Y tế.
pub(super) const TITLES: &[&str] = &[
    "giám đốc",
    "thủ trưởng",
    "chủ tịch",
    "chỉ huy trưởng",
    "chánh",
    "trưởng",
    "người đứng đầu",
    "lãnh đạo",
    "đồng chí",
];

/// Lowercase words that end an unknown body's name: what the body does comes next.
const STOP_WORDS: &[&str] = &[
    "chủ",
    "phối",
    "có",
    "thực",
    "tổ",
    "khẩn",
    "tham",
    "hướng",
    "rà",
    "báo",
    "theo",
    "tại",
    "về",
    "trong",
    "để",
    "là",
    "làm",
    "được",
    "cần",
    "phải",
    "tiếp",
    "tăng",
    "tập",
    "triển",
    "xây",
    "chịu",
    "kiểm",
    "đôn",
    "nghiên",
    "lập",
    "trình",
    "quản",
    "bố",
    "phân",
    "cung",
    "đề",
    "yêu",
    "căn",
    "hoàn",
    "sớm",
    "giao",
    "chỉ",
    "chuẩn",
    "đảm",
    "và",
    "với",
    "các",
    "của",
    "cho",
    "khi",
    "đã",
    "đang",
    "sẽ",
    "thường",
    "chủ động",
    "nắm",
    "đánh",
    "thẩm",
    "tuyên",
    "vận",
    "hỗ",
    "đẩy",
    "nâng",
    "tăng",
    "rút",
    "xử",
    "giải",
    "ký",
    "gửi",
    "tổng",
    "thống",
    "không",
    "nhằm",
];

static GROUP: LazyLock<Regex> = LazyLock::new(|| {
    let units = "huyện|quận|thị xã|thành phố|xã|phường|thị trấn|đặc khu|tỉnh|tp|thành|thị";
    let kinds = "sở|ban ngành|ban|ngành|cơ quan|đơn vị|địa phương|doanh nghiệp|tổ chức|hội|đoàn thể|bộ|cơ quan ngang bộ|phòng|chi cục|trường|cơ sở|chủ đầu tư|nhà đầu tư|chủ rừng|chủ cơ sở";
    let qualifiers = "tỉnh|thành phố|thuộc tỉnh|thuộc thành phố|trực thuộc|chuyên môn|có liên quan|liên quan|thuộc ubnd tỉnh|thuộc ubnd thành phố|chức năng|cấp tỉnh|cấp huyện|cấp xã|cấp thành phố|trên địa bàn|ven biển|biên giới|có biển|có rừng|có cửa khẩu|miền núi|vùng cao|trọng điểm";
    let pattern = format!(
        r"(?:(?:chủ tịch|thủ trưởng|giám đốc|người đứng đầu|lãnh đạo) )?(?:(?:ubnd|ủy ban nhân dân) (?:các|cấp) (?:{units})(?:(?:, | và |/| các )(?:{units}))*|(?:các )(?:{kinds})(?:(?:, | và |/| các )(?:{kinds}))*|(?:sở|ban)(?:(?:, |/)(?:ban ngành|ban|ngành|sở))+)(?: (?:{qualifiers}))*"
    );
    super::compile(&pattern)
});

/// A kind of local government ending a group ("… các huyện, thị xã").
static PLACE_UNIT_END: LazyLock<Regex> =
    LazyLock::new(|| super::compile(r"(?:^|\s)(?:huyện|quận|thị xã|thành phố|xã|phường|thị trấn|đặc khu)$"));
/// Another kind of local government after a group's named place (", thành phố Tân An").
static PLACE_UNIT_NEXT: LazyLock<Regex> = LazyLock::new(|| {
    super::compile(r"^(?:,| và|, và) (?:huyện|quận|thị xã|thành phố|xã|phường|thị trấn|đặc khu)")
});

/// Words that place a group in an area named after them: " trong vùng", " thuộc khu vực".
static PLACE_AREA: LazyLock<Regex> =
    LazyLock::new(|| super::compile(r"^ (?:trong|thuộc|ven|dọc)(?: vùng| khu vực| địa bàn| tuyến)?"));

/// Finds bodies in texts and resolves them against the configured departments.
pub struct Finder<'a> {
    departments: &'a Departments,
    /// Folded label -> what it names.
    targets: Vec<Target>,
    matcher: AhoCorasick,
    heads: AhoCorasick,
    /// Folded label -> department, for resolving what was found.
    config_labels: HashMap<String, DepartmentCode>,
    /// Folded standard form -> index into STANDARD.
    standard_labels: HashMap<String, usize>,
    /// What follows "Sở" in each department's name ("tài chính", "nông nghiệp và môi
    /// trường"), folded, the longest first: "Các Sở: Tài chính, Xây dựng" names them so.
    after_so: Vec<String>,
}

#[derive(Debug, Clone)]
enum Target {
    Department(DepartmentCode),
    Standard,
}

/// Whether a configured label can be recognised in running text: it starts with a head
/// word or is an abbreviation (`KH&ĐT`, `SNV`). A bare "Nội vụ" or "Tài chính" is too
/// common a word to stand for a department.
fn recognisable(label: &str) -> bool {
    let folded = fold(label);
    let has_head = HEADS.iter().chain(TITLES).any(|h| folded == *h || folded.starts_with(&format!("{h} ")));
    let abbreviation = label.chars().any(|c| c.is_uppercase())
        && !label.chars().any(|c| c.is_lowercase())
        && label.chars().filter(|c| c.is_alphabetic()).count() >= 2;
    has_head || abbreviation
}

impl<'a> Finder<'a> {
    pub fn new(departments: &'a Departments) -> Self {
        let mut labels: Vec<(String, Target)> = Vec::new();
        let mut config_labels = HashMap::new();
        for department in departments.iter() {
            let all = std::iter::once(&department.name).chain(department.aliases.iter());
            for label in all {
                config_labels.entry(canonical(label)).or_insert_with(|| department.code.clone());
                if recognisable(label) {
                    labels.push((fold(label), Target::Department(department.code.clone())));
                }
            }
            config_labels
                .entry(canonical(department.code.as_str()))
                .or_insert_with(|| department.code.clone());
        }
        let mut standard_labels = HashMap::new();
        for (index, body) in STANDARD.iter().enumerate() {
            for label in std::iter::once(&body.name).chain(body.short.iter()) {
                standard_labels.entry(canonical(label)).or_insert(index);
                labels.push((fold(label), Target::Standard));
            }
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(labels.iter().map(|(label, _)| label))
            .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("an empty matcher builds"));
        let heads = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(HEADS.iter().chain(TITLES))
            .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("an empty matcher builds"));
        let mut after_so: Vec<String> = labels
            .iter()
            .filter_map(|(label, _)| label.strip_prefix("sở "))
            .filter(|rest| rest.chars().next().is_some_and(char::is_alphabetic))
            .map(str::to_owned)
            .collect();
        after_so.sort_by_key(|rest| std::cmp::Reverse(rest.len()));
        after_so.dedup();
        let targets = labels.into_iter().map(|(_, target)| target).collect();
        Self { departments, targets, matcher, heads, config_labels, standard_labels, after_so }
    }

    /// Every body named in `original` (folded as `folded`), left to right, not overlapping.
    pub fn mentions(&self, original: &str, folded: &Folded) -> Vec<Mention> {
        let text = folded.text.as_str();
        let mut found: Vec<Mention> = Vec::new();
        for m in self.matcher.find_iter(text) {
            if !word_bounded(text, m.start(), m.end()) {
                continue;
            }
            let mut end = m.end();
            end = extend_with_place(original, folded, end);
            let range = m.start()..end;
            let written = original[folded.original_range(range.clone())].to_owned();
            let body = match &self.targets[m.pattern().as_usize()] {
                Target::Department(code) => self.department_body(written, code),
                Target::Standard => self.resolve(&written),
            };
            found.push(Mention { range, body, vague: false });
        }
        for m in GROUP.find_iter(text) {
            let end = group_qualifier_end(original, folded, self.group_places_end(original, folded, m.end()));
            // The places a group names ("… và thành phố Huế") are in it, not bodies of their own.
            let named = |f: &Mention| f.range.start > m.start() && f.range.end <= end;
            if !word_bounded(text, m.start(), m.end())
                || found.iter().any(|f| !named(f) && f.range.start < end && m.start() < f.range.end)
            {
                continue;
            }
            found.retain(|f| !named(f));
            if let Some(mut listed) = self.listed_departments(original, folded, m.as_str(), m.end()) {
                // The list opens where "Các Sở" does: the first named leads as the words say.
                listed[0].range.start = m.start();
                found.retain(|f| {
                    !listed.iter().any(|l| l.range.start < f.range.end && f.range.start < l.range.end)
                });
                found.extend(listed);
                continue;
            }
            // "Chủ tịch UBND các huyện" is the group "UBND các huyện".
            let title =
                TITLES.iter().find(|t| m.as_str().starts_with(&format!("{t} "))).map_or(0, |t| t.len() + 1);
            let written = original[folded.original_range(m.start() + title..end)].to_owned();
            let vague = m.as_str().ends_with("liên quan");
            let mut body = self.resolve(&written);
            body.group = body.code.is_none();
            found.push(Mention { range: m.start()..end, body, vague });
        }
        for m in self.heads.find_iter(text) {
            if !word_bounded(text, m.start(), m.end()) || overlaps(&found, m.start()..m.end()) {
                continue;
            }
            // A head in lower case is a common word ("cơ sở", "ban hành", "đại hội"), but for
            // the places that running text writes so ("thành phố Hạ Long") and UBND.
            let head = &folded.text[m.start()..m.end()];
            let capital =
                original[folded.original_offset(m.start())..].chars().next().is_some_and(char::is_uppercase);
            if !capital && !LOWERCASE_HEADS.contains(&head) {
                continue;
            }
            let Some(end) = unknown_name_end(original, folded, m.end()) else { continue };
            if overlaps(&found, m.start()..end) {
                // A title before a known body: "Giám đốc Sở Y tế" is Sở Y tế.
                continue;
            }
            let written = original[folded.original_range(m.start()..end)].to_owned();
            let body = self.resolve(&written);
            found.push(Mention { range: m.start()..end, body, vague: false });
        }
        found.sort_by_key(|m| m.range.start);
        found
    }

    /// "Các Sở: Tài chính, Xây dựng, Nông nghiệp và Môi trường" names each department by
    /// what follows "Sở" in its name: two or more such names after "các sở" are mentions
    /// of their own, and the group none.
    fn listed_departments(
        &self,
        original: &str,
        folded: &Folded,
        group: &str,
        end: usize,
    ) -> Option<Vec<Mention>> {
        if group != "các sở" {
            return None;
        }
        let text = folded.text.as_str();
        let mut at = end + (text[end..].len() - text[end..].trim_start_matches([':', ' ']).len());
        let mut listed = Vec::new();
        while let Some(name) = self
            .after_so
            .iter()
            .find(|name| text[at..].starts_with(name.as_str()) && word_bounded(text, at, at + name.len()))
        {
            let range = at..at + name.len();
            let written = original[folded.original_range(range.clone())].to_owned();
            let body = self.resolve(&format!("Sở {written}"));
            listed.push(Mention { range, body: Body { written, ..body }, vague: false });
            at += name.len();
            match [", ", " và ", ","].iter().find(|sep| text[at..].starts_with(**sep)) {
                Some(sep) => at += sep.len(),
                None => break,
            }
        }
        (listed.len() >= 2).then_some(listed)
    }

    /// The end of a group of local governments with the places it names: "UBND các
    /// huyện, thị xã Kiến Tường, thành phố Tân An" goes on after "thị xã" over each name
    /// and each kind of place that follows; a name that starts another body ends it.
    fn group_places_end(&self, original: &str, folded: &Folded, mut end: usize) -> usize {
        let text = folded.text.as_str();
        if PLACE_UNIT_END.is_match(&text[..end])
            && let Some(listed) = self.listed_places_end(original, folded, end)
        {
            return listed;
        }
        let place_name_end = |at: usize| {
            (!text[at..].strip_prefix(' ').is_some_and(|rest| self.starts_with_head(rest)))
                .then(|| capitalised_run(original, folded, at))
                .flatten()
        };
        let mut named = false;
        loop {
            if PLACE_UNIT_END.is_match(&text[..end])
                && let Some(name_end) = place_name_end(end)
            {
                end = name_end;
                named = true;
            }
            if let Some(next) = PLACE_UNIT_NEXT.find(&text[end..])
                && !text[end + next.end()..].starts_with(char::is_alphanumeric)
            {
                end += next.end();
                continue;
            }
            // More names of the same kind: "UBND các huyện Mang Thít, Long Hồ".
            if named
                && let Some(gap) =
                    [",", " và"].into_iter().find(|gap| text[end..].starts_with(&format!("{gap} ")))
                && let Some(name_end) = place_name_end(end + gap.len())
            {
                end = name_end;
                continue;
            }
            break;
        }
        // The area the group is in: "các huyện trong vùng Công viên địa chất".
        if let Some(area) = PLACE_AREA.find(&text[end..])
            && !text[end + area.end()..].strip_prefix(' ').is_some_and(|rest| self.starts_with_head(rest))
            && let Some(name_end) = unknown_name_end(original, folded, end + area.end())
        {
            end = name_end;
        }
        end
    }

    /// The end of the places a group lists after a colon, when that is all that follows
    /// up to the end of the text or the next colon: "UBND các huyện: Lục Ngạn, Lục Nam,
    /// Yên Thế:".
    fn listed_places_end(&self, original: &str, folded: &Folded, end: usize) -> Option<usize> {
        let text = folded.text.as_str();
        let mut at = end + text[end..].strip_prefix(':').map(|_| 1)?;
        loop {
            if text[at..].strip_prefix(' ').is_some_and(|rest| self.starts_with_head(rest)) {
                return None;
            }
            at = capitalised_run(original, folded, at)?;
            match text[at..].chars().next() {
                Some(',') => at += 1,
                _ if text[at..].starts_with(" và ") => at += " và".len(),
                Some(':' | ';' | '.') | None => return Some(at),
                _ => return None,
            }
        }
    }

    /// Whether a folded text starts with a head word of a body's name ("ubnd", "sở").
    pub fn starts_with_head(&self, folded: &str) -> bool {
        self.heads
            .find_iter(folded)
            .next()
            .is_some_and(|m| m.start() == 0 && word_bounded(folded, 0, m.end()))
    }

    /// A known name of three words or more that `line` begins and `rest` finishes, as a
    /// table's cell wraps it ("Sở Giáo dục và" … "Đào tạo"): where on `line` it starts, and
    /// the body. The leftmost, then the one with more words on the line.
    pub fn wrapped(&self, line: &str, rest: &str) -> Option<(usize, Body)> {
        let folded = Folded::new(line);
        let rest = fold(rest).split_whitespace().collect::<Vec<_>>().join(" ");
        let mut best: Option<(usize, usize, &String)> = None;
        for label in self.config_labels.keys().chain(self.standard_labels.keys()) {
            let words: Vec<&str> = label.split(' ').collect();
            if words.len() < 3 {
                continue;
            }
            'prefixes: for k in (2..words.len()).rev() {
                let tail = words[k..].join(" ");
                if !rest.contains(&tail) {
                    continue;
                }
                let prefix = words[..k].join(" ");
                for (at, _) in folded.text.match_indices(&prefix) {
                    let end = at + prefix.len();
                    if !word_bounded(&folded.text, at, end)
                        || folded.text[end..].trim_start().starts_with(words[k])
                    {
                        continue;
                    }
                    if best.is_none_or(|(start, count, _)| at < start || at == start && k > count) {
                        best = Some((at, k, label));
                    }
                    break 'prefixes;
                }
            }
        }
        let (at, _, label) = best?;
        Some((folded.original_offset(at), self.resolve(label)))
    }

    fn department_body(&self, written: String, code: &DepartmentCode) -> Body {
        let name = self.departments.get(code).map(|d| d.name.clone());
        Body { written, code: Some(code.clone()), name, group: false, members: Vec::new() }
    }

    /// The configured department that `written` names, if any: by name, alias or code, by
    /// a standard name's short form, or without the province after it.
    pub fn resolve(&self, written: &str) -> Body {
        let unknown =
            Body { written: written.to_owned(), code: None, name: None, group: false, members: Vec::new() };
        if let Some(group) = self.departments.group(written) {
            let members = group.members.clone();
            return Body { name: Some(group.name.clone()), group: true, members, ..unknown };
        }
        let mut candidates = vec![canonical(written)];
        let stripped = strip_title(&candidates[0]);
        if stripped != candidates[0] {
            candidates.push(stripped);
        }
        for candidate in candidates.clone() {
            // A city run by the centre names its departments as a province does: "Công an
            // thành phố" is the province's "Công an tỉnh".
            if let Some(stem) = candidate.strip_suffix(" thành phố") {
                candidates.push(format!("{stem} tỉnh"));
            }
        }
        for candidate in candidates.clone() {
            if let Some(at) = candidate.rfind(" tỉnh") {
                candidates.push(candidate[..at].to_owned());
                candidates.push(candidate[..at + " tỉnh".len()].to_owned());
            }
            if !candidate.starts_with("ủy ban nhân dân ") {
                candidates.push(format!("ủy ban nhân dân {candidate}"));
            }
        }
        for candidate in &candidates {
            if let Some(code) = self.config_labels.get(candidate) {
                return self.department_body(written.to_owned(), code);
            }
            if let Some(&index) = self.standard_labels.get(candidate) {
                let standard = &STANDARD[index];
                let forms = std::iter::once(&standard.name).chain(standard.short.iter());
                for form in forms {
                    if let Some(code) = self.config_labels.get(&canonical(form)) {
                        return self.department_body(written.to_owned(), code);
                    }
                }
            }
        }
        unknown
    }
}

/// The matching form of a body's name: folded, `UBND` spelled out, `TP` as "thành phố",
/// spaces around `&` and `-` dropped.
fn canonical(label: &str) -> String {
    let folded = fold(label).replace(" & ", "&").replace(" - ", "-");
    let words: Vec<&str> = folded.split_whitespace().collect();
    let mut out: Vec<&str> = Vec::new();
    for word in words {
        match word {
            "ubnd" => out.extend(["ủy", "ban", "nhân", "dân"]),
            "tp" | "tp." => out.extend(["thành", "phố"]),
            "hđnd" => out.extend(["hội", "đồng", "nhân", "dân"]),
            _ => out.push(word),
        }
    }
    out.join(" ")
}

fn strip_title(canonical: &str) -> String {
    for title in TITLES {
        if let Some(rest) = canonical.strip_prefix(&format!("{title} ")) {
            return strip_title(rest);
        }
    }
    canonical.to_owned()
}

fn overlaps(found: &[Mention], range: Range<usize>) -> bool {
    found.iter().any(|m| m.range.start < range.end && range.start < m.range.end)
}

fn word_bounded(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Extends a known body's name over " tỉnh", " tỉnh Nghệ An", " thành phố Hạ Long" that
/// follow it.
fn extend_with_place(original: &str, folded: &Folded, end: usize) -> usize {
    let text = &folded.text;
    for place in [" tỉnh", " thành phố", " huyện", " thị xã"] {
        if text[end..].starts_with(place) && word_bounded(text, end + 1, end + place.len()) {
            let after = end + place.len();
            return capitalised_run(original, folded, after).unwrap_or(after);
        }
    }
    end
}

/// The end of the capitalised words (a place's name) right after `at`, if any.
/// What narrows a group down, right after it: "(UBND các xã, phường) có dự án nhà ở xã
/// hội", "(Các chủ đầu tư) dự án nhà ở xã hội", "(Các cơ quan) thành viên Ban Chỉ đạo 389
/// tỉnh".
static GROUP_NARROWED: LazyLock<Regex> = LazyLock::new(|| {
    super::compile(
        r"^ (?:(?P<having>có (?:dự án|công trình|đồng bào|người|trường|cơ sở|khu|điểm|di tích|làng nghề|đất|diện tích|tuyến|sông|hồ|đê|cảng|chợ|doanh nghiệp|hộ|vùng)|dự án|vùng)|(?P<member>thành viên))\b",
    )
});

/// The end of a group with what narrows it down: a "có …" or "dự án …" phrase runs to the
/// first word that says what the group does or to punctuation; "thành viên …" takes the
/// body named after it (its capitalised words, a number, "tỉnh").
fn group_qualifier_end(original: &str, folded: &Folded, end: usize) -> usize {
    let text = folded.text.as_str();
    let Some(found) = GROUP_NARROWED.captures(&text[end..]) else { return end };
    let Some(starter) = found.get(0) else { return end };
    let mut at = end + starter.end();
    if found.name("member").is_some() {
        // The body's name: capitalised words, with the lowercase syllables between them
        // ("Ban Chỉ đạo"), a number, and its "tỉnh" or "thành phố".
        let mut last = None;
        let mut lowercase_run = 0;
        while let Some(rest) = text[at..].strip_prefix(' ') {
            let word_len = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
            let word = &rest[..word_len];
            let first = original[folded.original_offset(at + 1)..].chars().next();
            let named = first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
            if word_len == 0
                || !named && (STOP_WORDS.contains(&word) || JOB_WORDS.contains(&word) || lowercase_run >= 4)
            {
                break;
            }
            at += 1 + word_len;
            if named || word == "tỉnh" {
                lowercase_run = 0;
                last = Some(at);
            } else {
                lowercase_run += 1;
            }
        }
        return last.unwrap_or(end);
    }
    // Lowercase words up to one that says what the group does, at most eight; none at
    // all, and "dự án" alone says nothing of the group ("Các chủ đầu tư dự án giao thông").
    let starter_end = at;
    for _ in 0..8 {
        let Some(rest) = text[at..].strip_prefix(' ') else { break };
        let word_len = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        let word = &rest[..word_len];
        if word_len == 0 || STOP_WORDS.contains(&word) || JOB_WORDS.contains(&word) {
            break;
        }
        at += 1 + word_len;
    }
    if at == starter_end { end } else { at }
}

/// Words that start what a group is asked to do, beyond the stop words of a name.
const JOB_WORDS: &[&str] =
    &["gửi", "khẩn", "đẩy", "bảo", "thi", "giải", "bàn", "tổng", "chỉ", "xử", "thống", "rà"];

fn capitalised_run(original: &str, folded: &Folded, at: usize) -> Option<usize> {
    let text = &folded.text;
    let mut end = None;
    let mut position = at;
    loop {
        let rest = &text[position..];
        let Some(word_start) = rest.strip_prefix(' ').map(|_| position + 1) else { break };
        let word_len =
            text[word_start..].find(|c: char| !c.is_alphanumeric()).unwrap_or(text.len() - word_start);
        if word_len == 0 {
            break;
        }
        let first = original[folded.original_offset(word_start)..].chars().next();
        if !first.is_some_and(char::is_uppercase) {
            break;
        }
        position = word_start + word_len;
        end = Some(position);
    }
    end
}

/// The end of an unknown body's name that starts with a head word ending at `at`: the
/// capitalised words after it, each with at most four lowercase syllables after it ("Sở
/// Xây dựng", "Trung tâm Phục vụ hành chính công"), up to a word that says what the
/// body does. `None` when no capitalised word follows: "ban hành", "sở tại".
fn unknown_name_end(original: &str, folded: &Folded, at: usize) -> Option<usize> {
    let text = &folded.text;
    let mut end = None;
    let mut position = at;
    let mut lowercase_run = 0;
    while let Some(word_start) = text[position..].strip_prefix(' ').map(|_| position + 1) {
        let word_len =
            text[word_start..].find(|c: char| !c.is_alphanumeric()).unwrap_or(text.len() - word_start);
        if word_len == 0 {
            break;
        }
        let word = &text[word_start..word_start + word_len];
        let first = original[folded.original_offset(word_start)..].chars().next();
        if first.is_some_and(char::is_uppercase) {
            lowercase_run = 0;
        } else {
            if end.is_none() || STOP_WORDS.contains(&word) || lowercase_run >= 4 {
                break;
            }
            lowercase_run += 1;
        }
        position = word_start + word_len;
        end = Some(position);
    }
    // A name does not end on the lowercase tail of a run that stopped: trim nothing, the
    // syllables belong to the capitalised word before them.
    end
}

#[cfg(test)]
mod tests;
