//! Databases of a test's own on the servers CI runs: PostgreSQL at 127.0.0.1:5432 and
//! MariaDB at 127.0.0.1:3306, each made for one test (or benchmark) and dropped when it ends.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor};

pub const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";
pub const MARIADB: &str = "mysql://root@127.0.0.1:3306";

/// A database of the test's own, dropped when the test ends.
pub struct Database {
    engine: &'static str,
    name: String,
}

impl Database {
    pub async fn create(engine: &'static str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!("nhacviec_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let admin = match engine {
            "postgres" => format!("{POSTGRES}/postgres"),
            _ => format!("{MARIADB}/test"),
        };
        let sql = format!("CREATE DATABASE {name}");
        match engine {
            "postgres" => sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL at 127.0.0.1:5432")
                .execute(sqlx::AssertSqlSafe(sql))
                .await
                .map(|_| ()),
            _ => sqlx::MySqlConnection::connect(&admin)
                .await
                .expect("MariaDB at 127.0.0.1:3306")
                .execute(sqlx::AssertSqlSafe(sql))
                .await
                .map(|_| ()),
        }
        .expect("create the test's database");
        Self { engine, name }
    }

    pub fn url(&self) -> String {
        match self.engine {
            "postgres" => format!("{POSTGRES}/{}", self.name),
            _ => format!("{MARIADB}/{}", self.name),
        }
    }

    pub async fn run(&self, statements: &[String]) {
        for statement in statements {
            let result = match self.engine {
                "postgres" => sqlx::PgConnection::connect(&self.url())
                    .await
                    .unwrap()
                    .execute(sqlx::AssertSqlSafe(statement.clone()))
                    .await
                    .map(|_| ()),
                _ => sqlx::MySqlConnection::connect(&self.url())
                    .await
                    .unwrap()
                    .execute(sqlx::AssertSqlSafe(statement.clone()))
                    .await
                    .map(|_| ()),
            };
            result.unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (engine, name) = (self.engine, self.name.clone());
        // Dropped on a runtime of its own: the test's may be gone.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                match engine {
                    "postgres" => {
                        if let Ok(mut c) = sqlx::PgConnection::connect(&format!("{POSTGRES}/postgres")).await
                        {
                            let _ = c
                                .execute(sqlx::AssertSqlSafe(format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                )))
                                .await;
                        }
                    }
                    _ => {
                        if let Ok(mut c) = sqlx::MySqlConnection::connect(&format!("{MARIADB}/test")).await {
                            let _ = c
                                .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                                .await;
                        }
                    }
                }
            });
        })
        .join();
    }
}

impl Database {
    /// A connection of its own to the database (PostgreSQL).
    pub async fn connect(&self) -> sqlx::Result<sqlx::PgConnection> {
        sqlx::PgConnection::connect(&self.url()).await
    }

    /// The one number `sql` answers (PostgreSQL).
    pub async fn number(&self, sql: &str) -> i64 {
        let mut connection = sqlx::PgConnection::connect(&self.url()).await.expect("connect");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The rows of text `sql` answers (PostgreSQL).
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        let mut connection = sqlx::PgConnection::connect(&self.url()).await.expect("connect");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs `sql` on the server's `postgres` database, as its administrator would.
    pub async fn admin(&self, sql: &str) {
        let mut connection = sqlx::PgConnection::connect(&format!("{POSTGRES}/postgres"))
            .await
            .expect("PostgreSQL at 127.0.0.1:5432");
        connection
            .execute(sqlx::AssertSqlSafe(sql.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
