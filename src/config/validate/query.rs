//! The query of a database source (`kind = "sql"`), checked as text before anything runs:
//! one SELECT that only reads, naming every column the map reads.

use crate::config::ItemMap;

/// Words that change a database or hold its rows: never in a source's query.
const WRITES: &[&str] = &[
    "insert",
    "update",
    "delete",
    "merge",
    "upsert",
    "replace",
    "drop",
    "alter",
    "create",
    "truncate",
    "grant",
    "revoke",
    "call",
    "exec",
    "execute",
    "copy",
    "lock",
    "into",
    "set",
    "vacuum",
    "analyze",
    "do",
    "handler",
    "load",
    "rename",
    "commit",
    "rollback",
    "begin",
    "savepoint",
];

/// The query without its comments and string literals, in lower case: what is checked.
fn bare(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for c in chars.by_ref() {
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
                out.push(' ');
            }
            '\'' | '"' | '`' => {
                for inner in chars.by_ref() {
                    if inner == c {
                        break;
                    }
                }
                out.push_str(" '' ");
            }
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Whether `query` only reads: one SELECT (or WITH … SELECT), none of the words that
/// write, no second statement, no row locks.
pub(super) fn read_only(query: &str) -> Result<(), String> {
    let bare = bare(query);
    let trimmed = bare.trim().trim_end_matches(';').trim();
    if !(trimmed.starts_with("select") || trimmed.starts_with("with")) {
        return Err("must be one SELECT (or WITH … SELECT): a source only reads".to_owned());
    }
    if trimmed.contains(';') {
        return Err("must be one statement: no ';' inside".to_owned());
    }
    let words: Vec<&str> =
        trimmed.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    if let Some(word) = words.iter().find(|w| WRITES.contains(w)) {
        return Err(format!("'{word}' has no place in a query that only reads"));
    }
    if words.windows(2).any(|pair| pair == ["for", "share"] || pair == ["for", "no"]) {
        return Err("must not lock rows (FOR SHARE)".to_owned());
    }
    Ok(())
}

/// The mapped columns (and the cursor) that the query does not name; none when it selects
/// `*`.
pub(super) fn missing_columns(query: &str, map: &ItemMap, cursor: Option<&str>) -> Vec<String> {
    let bare = bare(query);
    if bare.contains('*') {
        return Vec::new();
    }
    let words: std::collections::HashSet<&str> =
        bare.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    map.pointers()
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "items" | "next"))
        .map(|(_, column)| column)
        .chain(cursor)
        .filter(|column| !column.is_empty() && !words.contains(column.to_lowercase().as_str()))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_select_passes() {
        assert!(
            read_only(
                "SELECT id, noi_dung FROM nhiem_vu WHERE cap_nhat > {cursor} ORDER BY cap_nhat LIMIT 500"
            )
            .is_ok()
        );
        assert!(read_only("-- nhiệm vụ\nWITH t AS (SELECT * FROM nv) SELECT * FROM t;").is_ok());
        assert!(read_only("SELECT 'drop table' AS ghi_chu FROM nv").is_ok());
        for query in [
            "DELETE FROM nv",
            "SELECT * FROM nv; DROP TABLE nv",
            "SELECT * INTO moi FROM nv",
            "SELECT * FROM nv FOR UPDATE",
            "UPDATE nv SET x = 1",
            "WITH d AS (DELETE FROM nv RETURNING *) SELECT * FROM d",
            "SELECT * FROM nv FOR SHARE",
        ] {
            assert!(read_only(query).is_err(), "{query}");
        }
    }

    #[test]
    fn the_mapped_columns_must_be_named_by_the_query() {
        let map = ItemMap {
            id: "id".into(),
            summary: "noi_dung".into(),
            lead: "chu_tri".into(),
            deadline: Some("han".into()),
            ..ItemMap::default()
        };
        assert!(missing_columns("SELECT id, noi_dung, chu_tri, han FROM nv", &map, None).is_empty());
        assert_eq!(
            missing_columns("SELECT id, noi_dung, chu_tri FROM nv", &map, Some("cap_nhat")),
            ["han", "cap_nhat"]
        );
        assert!(missing_columns("SELECT * FROM nv", &map, Some("cap_nhat")).is_empty());
    }
}
