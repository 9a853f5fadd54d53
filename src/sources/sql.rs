//! An e-office database read by one SELECT (`kind = "sql"`): PostgreSQL, MySQL or MariaDB,
//! in a read-only transaction, each row a task by the config's map of columns. The query
//! compares its cursor column with `{cursor}`, bound as text (NULL at the first poll); rows
//! come back until the cursor stops moving. What the rows become is `app::sync`'s.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use secrecy::ExposeSecret;
use sqlx::{Column, Connection, Row};

use super::SourceError;
use crate::app::sync::SourceTask;
use crate::config::{ItemMap, SqlEngine, SqlSettings};

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
pub fn read_only(query: &str) -> Result<(), String> {
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
pub fn missing_columns(query: &str, map: &ItemMap, cursor: Option<&str>) -> Vec<String> {
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

/// A row read by the map: the task, and the cursor column's value.
type Read = (Result<SourceTask, String>, Option<String>);

/// One run of the query with `cursor`.
pub async fn fetch(sql: &SqlSettings, cursor: Option<&str>) -> Result<Vec<Read>, SourceError> {
    let run = async {
        match sql.engine {
            SqlEngine::Postgres => postgres(sql, cursor).await,
            SqlEngine::MySql => mysql(sql, cursor).await,
        }
    };
    tokio::time::timeout(sql.timeout, run)
        .await
        .map_err(|_| SourceError::Database(format!("no answer within {:?}", sql.timeout)))?
}

/// A database's error without its URL (which holds the password).
fn database_error(error: sqlx::Error) -> SourceError {
    let text = match &error {
        sqlx::Error::Database(inner) => inner.message().to_owned(),
        sqlx::Error::Io(io) => format!("cannot reach the database: {io}"),
        sqlx::Error::Tls(_) => "TLS with the database failed".to_owned(),
        sqlx::Error::PoolTimedOut => "the database did not answer".to_owned(),
        other => other.to_string(),
    };
    SourceError::Database(text)
}

async fn postgres(sql: &SqlSettings, cursor: Option<&str>) -> Result<Vec<Read>, SourceError> {
    let mut connection =
        sqlx::PgConnection::connect(sql.url.expose_secret()).await.map_err(database_error)?;
    let mut transaction = connection.begin_with("BEGIN READ ONLY").await.map_err(database_error)?;
    // One parameter, `$1`, wherever the query writes {cursor}.
    let text = sql.query.replace("{cursor}", "$1");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
    if sql.query.contains("{cursor}") {
        query = query.bind(cursor.map(str::to_owned));
    }
    let rows = query.fetch_all(&mut *transaction).await.map_err(database_error)?;
    transaction.rollback().await.map_err(database_error)?;
    Ok(rows.iter().map(|row| read_row(row, &sql.map, sql.cursor.as_deref(), pg_text)).collect())
}

async fn mysql(sql: &SqlSettings, cursor: Option<&str>) -> Result<Vec<Read>, SourceError> {
    let mut connection =
        sqlx::MySqlConnection::connect(sql.url.expose_secret()).await.map_err(database_error)?;
    let mut transaction =
        connection.begin_with("START TRANSACTION READ ONLY").await.map_err(database_error)?;
    // A `?` for each {cursor}, each bound to the cursor.
    let uses = sql.query.matches("{cursor}").count();
    let text = sql.query.replace("{cursor}", "?");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
    for _ in 0..uses {
        query = query.bind(cursor.map(str::to_owned));
    }
    let rows = query.fetch_all(&mut *transaction).await.map_err(database_error)?;
    transaction.rollback().await.map_err(database_error)?;
    Ok(rows.iter().map(|row| read_row(row, &sql.map, sql.cursor.as_deref(), mysql_text)).collect())
}

/// A row's column as text, whatever its type: text, integers, numbers, booleans, dates
/// and times (ISO); `None` for NULL or a column the row does not have.
fn pg_text(row: &sqlx::postgres::PgRow, column: &str) -> Option<String> {
    macro_rules! as_text {
        ($($t:ty),*) => {$(
            if let Ok(value) = row.try_get::<Option<$t>, _>(column) {
                return value.map(|v| v.to_string());
            }
        )*};
    }
    as_text!(String, i64, i32, i16, f64, f32, bool, NaiveDate, NaiveDateTime, DateTime<Utc>);
    None
}

fn mysql_text(row: &sqlx::mysql::MySqlRow, column: &str) -> Option<String> {
    macro_rules! as_text {
        ($($t:ty),*) => {$(
            if let Ok(value) = row.try_get::<Option<$t>, _>(column) {
                return value.map(|v| v.to_string());
            }
        )*};
    }
    as_text!(String, i64, u64, i32, u32, i16, i8, f64, f32, bool, NaiveDate, NaiveDateTime, DateTime<Utc>);
    // Text in a binary column (MySQL's VARBINARY, BLOB).
    row.try_get::<Option<Vec<u8>>, _>(column)
        .ok()
        .flatten()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// A row as a task, by the map's column names, with its cursor value.
fn read_row<R: Row>(
    row: &R,
    map: &ItemMap,
    cursor: Option<&str>,
    text: fn(&R, &str) -> Option<String>,
) -> Read {
    // Column names as the row has them (a database may fold their case).
    let name = |wanted: &str| {
        row.columns().iter().map(|c| c.name().to_owned()).find(|n| n.eq_ignore_ascii_case(wanted))
    };
    let field = |column: &Option<String>| {
        column
            .as_deref()
            .and_then(name)
            .and_then(|c| text(row, &c))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let required = |what: &str, column: &str| {
        name(column)
            .and_then(|c| text(row, &c))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("{what} ({column}) is empty"))
    };
    let flag = |column: &Option<String>, values: &[String]| {
        field(column).is_some_and(|v| {
            let v = v.to_lowercase();
            v == "true" || v == "1" || v == "t" || values.iter().any(|d| d.to_lowercase() == v)
        })
    };
    let cursor_value = cursor.and_then(name).and_then(|c| text(row, &c));
    let task = (|| {
        Ok(SourceTask {
            id: required("id", &map.id)?,
            directive_key: field(&map.directive_id).or_else(|| field(&map.directive_number)),
            directive_number: field(&map.directive_number),
            directive_title: field(&map.directive_title),
            directive_issuer: field(&map.directive_issuer),
            directive_date: field(&map.directive_date).map(|d| super::feed::iso_date(&d)),
            summary: required("summary", &map.summary)?,
            details: field(&map.details),
            lead: required("lead", &map.lead)?,
            coordinating: field(&map.coordinating).map(|c| super::feed::split_list(&c)).unwrap_or_default(),
            deadline: field(&map.deadline).map(|d| super::feed::iso_date(&d)),
            deadline_phrase: field(&map.deadline_phrase),
            done: flag(&map.done, &map.done_values),
            removed: flag(&map.removed, &[]),
            updated_at: cursor_value.clone(),
        })
    })();
    (task, cursor_value)
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
