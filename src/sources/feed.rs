//! Items of a JSON feed, read through the config's map of JSON pointers: each task item
//! with its id, its directive and what the task says. Pure functions over the page's bytes;
//! fetching is `http`'s, applying is `app::sync`'s.

use serde_json::Value;

use crate::app::sync::SourceTask;
use crate::config::ItemMap;

/// Why a page cannot be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error("the page is not JSON: {0}")]
    NotJson(String),
    #[error("no list of items at '{0}' in the page")]
    NoItems(String),
}

/// One page: its items (each read, or why not) and the next page's address.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Result<SourceTask, String>>,
    pub next: Option<String>,
}

/// Reads a page of the feed.
pub fn page(body: &[u8], map: &ItemMap) -> Result<Page, PageError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| PageError::NotJson(format!("line {}, column {}: {e}", e.line(), e.column())))?;
    let list = value
        .pointer(&map.items)
        .and_then(Value::as_array)
        .ok_or_else(|| PageError::NoItems(map.items.clone()))?;
    let items = list
        .iter()
        .enumerate()
        .map(|(index, item)| read_item(item, map).map_err(|e| format!("items[{index}]: {e}")))
        .collect();
    let next = map
        .next
        .as_deref()
        .and_then(|pointer| value.pointer(pointer))
        .and_then(text)
        .filter(|next| !next.is_empty());
    Ok(Page { items, next })
}

/// A value as text: strings as they are, numbers and booleans written out.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads one item with the map.
pub fn read_item(item: &Value, map: &ItemMap) -> Result<SourceTask, String> {
    let coordinating = match map.coordinating.as_deref().and_then(|p| item.pointer(p)) {
        Some(Value::Array(list)) => list.iter().filter_map(text).filter(|t| !t.is_empty()).collect(),
        Some(value) => text(value).map(|t| split_list(&t)).unwrap_or_default(),
        None => Vec::new(),
    };
    task_from(map, |pointer| item.pointer(pointer).and_then(text), coordinating)
}

/// A task item from its fields: `value` finds a field by the map's pointer or column, as
/// text; `coordinating` is read apart, being a list.
pub fn task_from(
    map: &ItemMap,
    value: impl Fn(&str) -> Option<String>,
    coordinating: Vec<String>,
) -> Result<SourceTask, String> {
    let field = |at: &Option<String>| {
        at.as_deref().and_then(&value).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
    };
    let required = |name: &str, at: &str| {
        value(at)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("{name} ({at}) is missing"))
    };
    // true, 1, or one of the values that mean done, without case.
    let flag = |at: &Option<String>, values: &[String]| {
        field(at).is_some_and(|v| {
            let v = v.to_lowercase();
            v == "true" || v == "1" || v == "t" || values.iter().any(|d| d.to_lowercase() == v)
        })
    };
    Ok(SourceTask {
        id: required("id", &map.id)?,
        directive_key: field(&map.directive_id).or_else(|| field(&map.directive_number)),
        directive_number: field(&map.directive_number),
        directive_title: field(&map.directive_title),
        directive_issuer: field(&map.directive_issuer),
        directive_date: field(&map.directive_date).map(|d| iso_date(&d)),
        summary: required("summary", &map.summary)?,
        details: field(&map.details),
        lead: required("lead", &map.lead)?,
        coordinating,
        deadline: field(&map.deadline).map(|d| iso_date(&d)),
        deadline_phrase: field(&map.deadline_phrase),
        done: flag(&map.done, &map.done_values),
        removed: flag(&map.removed, &[]),
        updated_at: field(&map.updated_at),
    })
}

/// "Sở Xây dựng; Công an tỉnh" or "A, B": the bodies of a list written as text.
pub fn split_list(text: &str) -> Vec<String> {
    let separator = if text.contains(';') { ';' } else { ',' };
    text.split(separator).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// "31/12/2026" (as e-office systems write dates) as "2026-12-31"; an ISO date or time
/// ("2026-12-31T00:00:00+07:00") as its date; anything else as it is, for the deadline
/// checks to read ("2026-Q4", "+10wd").
pub fn iso_date(text: &str) -> String {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    if let [d, m, y] = parts.as_slice()
        && d.len() <= 2
        && m.len() <= 2
        && y.len() == 4
        && let (Ok(d), Ok(m), Ok(y)) = (d.parse::<u32>(), m.parse::<u32>(), y.parse::<i32>())
        && let Some(date) = chrono::NaiveDate::from_ymd_opt(y, m, d)
    {
        return date.to_string();
    }
    // A time after the date ("2026-11-30T00:00:00+07:00", "2026-11-30 00:00:00", as
    // databases write their datetime columns): the date.
    match text.split_once(['T', ' ']) {
        Some((date, _)) if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok() => date.to_owned(),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> ItemMap {
        ItemMap {
            items: "/data".into(),
            next: Some("/links/next".into()),
            id: "/id".into(),
            directive_id: Some("/van_ban/id".into()),
            directive_number: Some("/van_ban/so_hieu".into()),
            directive_title: Some("/van_ban/trich_yeu".into()),
            directive_issuer: Some("/van_ban/co_quan".into()),
            directive_date: Some("/van_ban/ngay".into()),
            summary: "/noi_dung".into(),
            lead: "/chu_tri".into(),
            coordinating: Some("/phoi_hop".into()),
            deadline: Some("/han".into()),
            done: Some("/trang_thai".into()),
            removed: Some("/da_xoa".into()),
            updated_at: Some("/cap_nhat".into()),
            done_values: vec!["hoàn thành".into()],
            ..ItemMap::default()
        }
    }

    #[test]
    fn a_page_gives_its_items_and_the_next_page() {
        let body = r#"{"data": [
            {"id": 17, "van_ban": {"id": "vb-3", "so_hieu": "41/TB-UBND", "trich_yeu": "Kết luận", "co_quan": "UBND tỉnh", "ngay": "09/03/2023"},
             "noi_dung": "Xây dựng Đề án", "chu_tri": "snv", "phoi_hop": "Sở Tài chính; Công an tỉnh", "han": "30/11/2023",
             "trang_thai": "Hoàn thành", "cap_nhat": "2023-03-10T08:00:00Z"},
            {"van_ban": {"id": "vb-3"}, "noi_dung": "x", "chu_tri": "snv"},
            {"id": "18", "noi_dung": "Báo cáo", "chu_tri": "stc", "phoi_hop": ["snv"], "han": "2023-Q4", "da_xoa": true}
        ], "links": {"next": "https://e.example/tasks?page=2"}}"#;
        let page = page(body.as_bytes(), &map()).unwrap();
        assert_eq!(page.next.as_deref(), Some("https://e.example/tasks?page=2"));
        let first = page.items[0].as_ref().unwrap();
        assert_eq!((first.id.as_str(), first.directive_key.as_deref()), ("17", Some("vb-3")));
        assert_eq!(first.directive_date.as_deref(), Some("2023-03-09"));
        assert_eq!(first.deadline.as_deref(), Some("2023-11-30"));
        assert_eq!(first.coordinating, ["Sở Tài chính", "Công an tỉnh"]);
        assert!(first.done && !first.removed);
        assert_eq!(page.items[1], Err("items[1]: id (/id) is missing".to_owned()));
        let third = page.items[2].as_ref().unwrap();
        assert_eq!((third.deadline.as_deref(), third.removed, third.done), (Some("2023-Q4"), true, false));
        assert_eq!(third.coordinating, ["snv"]);
    }

    #[test]
    fn the_shipped_example_map_reads_the_shipped_example_feed() {
        let config = include_str!("../../config/examples/nam-dinh.toml").to_owned()
            + &include_str!("../../config/examples/eoffice-feed.toml")
                .replace("token_file = \"/etc/nhacviec/eoffice-token\"", "token = \"example\"");
        let settings = match crate::config::Settings::from_toml(&config, "example", &[]) {
            Ok(settings) => settings,
            Err(error) => panic!("{error}"),
        };
        let crate::config::SourceKind::Http(feed) = &settings.sources[0].kind else { panic!("not a feed") };
        let page = page(include_bytes!("../../config/examples/eoffice-feed.json"), &feed.map).unwrap();
        let item = page.items[0].as_ref().unwrap();
        assert_eq!(item.id, "NV-2026-0412");
        assert_eq!(item.directive_key.as_deref(), Some("VB-2026-118"));
        assert_eq!(item.directive_date.as_deref(), Some("2026-03-09"));
        assert_eq!((item.lead.as_str(), item.deadline.as_deref()), ("Sở Nội vụ", Some("2026-11-30")));
        assert_eq!(item.coordinating, ["UBND thành phố Nam Định"]);
        assert!(!item.done && !item.removed);
        assert!(page.next.is_some());
    }

    #[test]
    fn dates_are_read_as_offices_and_databases_write_them() {
        assert_eq!(iso_date("30/11/2026"), "2026-11-30");
        assert_eq!(iso_date("2026-11-30T00:00:00+07:00"), "2026-11-30");
        assert_eq!(iso_date("2026-11-30 00:00:00"), "2026-11-30");
        assert_eq!(iso_date("2026-11-30"), "2026-11-30");
        assert_eq!(iso_date("2026-Q4"), "2026-Q4");
        assert_eq!(iso_date("31/02/2026"), "31/02/2026");
    }

    #[test]
    fn a_page_that_is_not_a_feed_says_why() {
        assert!(matches!(page(b"<html>", &map()), Err(PageError::NotJson(_))));
        assert_eq!(page(br#"{"items": []}"#, &map()), Err(PageError::NoItems("/data".into())));
    }
}
