//! An e-office database read by one SELECT (`kind = "sql"`): PostgreSQL, MySQL or MariaDB,
//! in a read-only transaction (the query was checked with the config), each row a task by the config's map of columns. The query
//! compares its cursor column with `{cursor}`, bound as text (NULL at the first poll); rows
//! come back until the cursor stops moving. What the rows become is `app::sync`'s.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use secrecy::ExposeSecret;
use sqlx::{Column, Connection, Row};

use super::SourceError;
use crate::app::sync::SourceTask;
use crate::config::{ItemMap, SqlEngine, SqlSettings};

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
    let value = |wanted: &str| {
        let column =
            row.columns().iter().map(|c| c.name().to_owned()).find(|n| n.eq_ignore_ascii_case(wanted))?;
        text(row, &column)
    };
    let coordinating =
        map.coordinating.as_deref().and_then(&value).map(|c| super::feed::split_list(&c)).unwrap_or_default();
    let cursor_value = cursor.and_then(&value);
    let task = super::feed::task_from(map, value, coordinating)
        .map(|task| SourceTask { updated_at: cursor_value.clone(), ..task });
    (task, cursor_value)
}
