//! What running a daemon on a SQLite store takes: SQLite allows one daemon per file, held
//! by an exclusive lock on a file beside the database. The lock file names the daemon's
//! process, so that the CLI can wake it (SIGUSR1) after changing the store; and since no
//! other daemon can hold a claim, what was in flight when the last one stopped is released
//! at start instead of waiting for its lease.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Engine, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another `nhacviec run` is already using the store {db} (lock {lock} is held); stop it first, or give this one another store.url"
    )]
    Held { db: String, lock: String },
    #[error("cannot create the lock file {lock}: {source}")]
    Io { lock: String, source: std::io::Error },
}

/// Held for as long as the daemon runs; the OS releases it when the process dies.
#[derive(Debug)]
pub(super) struct StoreLock {
    _file: File,
}

/// The database file of a `sqlite://PATH` URL.
pub(super) fn database_path(url: &str) -> Option<&Path> {
    url.strip_prefix("sqlite://").map(Path::new).filter(|p| !p.as_os_str().is_empty())
}

/// Held while migrations run: an exclusive lock on `<db>.migrate-lock`, released when
/// dropped (or when the process dies).
pub(super) async fn migration_lock(db: &Path) -> Result<std::fs::File, StoreError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".migrate-lock");
    let path = PathBuf::from(name);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))
    .and_then(|r| r)
    .map_err(|source| StoreError::MigrationLock { path: db.display().to_string(), source })
}

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

pub(super) async fn acquire(db: &Path) -> Result<StoreLock, LockError> {
    let path = lock_path(db);
    let io = |source| LockError::Io { lock: path.display().to_string(), source };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io)?;
    // The CLI holds the lock shared for an instant while it reads the process id: a start
    // at that instant waits it out rather than failing.
    let mut attempts = 0;
    let locked = loop {
        match file.try_lock() {
            Err(TryLockError::WouldBlock) if attempts < 20 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            other => break other,
        }
    };
    match locked {
        Ok(()) => {
            let mut file = file;
            file.set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| writeln!(file, "{}", std::process::id()))
                .map_err(io)?;
            Ok(StoreLock { _file: file })
        }
        Err(TryLockError::WouldBlock) => {
            Err(LockError::Held { db: db.display().to_string(), lock: path.display().to_string() })
        }
        Err(TryLockError::Error(source)) => Err(io(source)),
    }
}

/// The process id of the daemon that holds the store's lock, if one runs.
fn holder(db: &Path) -> Option<u32> {
    let mut file = OpenOptions::new().read(true).open(lock_path(db)).ok()?;
    match file.try_lock_shared() {
        // Nobody holds it: no daemon runs on this store.
        Ok(()) => None,
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            file.read_to_string(&mut text).ok()?;
            text.trim().parse().ok()
        }
        Err(TryLockError::Error(_)) => None,
    }
}

/// Tells the daemon running on the store at `url`, if any, that the store changed, so
/// that it plans the change now rather than at its next poll. Best effort: a daemon that
/// cannot be signalled (another user's) still sees the change within `poll_interval`.
pub fn wake_running_daemon(url: &str) {
    let Some(pid) = database_path(url).and_then(holder) else { return };
    let Ok(pid) = i32::try_from(pid) else { return };
    if let Err(error) =
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGUSR1)
    {
        tracing::debug!(pid, %error, "cannot wake the running daemon; it sees the change at its next poll");
    }
}

/// Whether `run` could create the store at `url` when it does not exist yet: its nearest
/// existing folder takes a new file. The probe file is removed at once.
pub(super) fn creatable(url: &str) -> Result<(), String> {
    let Some(path) = database_path(url) else { return Err(format!("'{url}' names no database file")) };
    let mut folder = path.parent();
    while let Some(dir) = folder {
        if dir.as_os_str().is_empty() {
            folder = Some(Path::new("."));
            continue;
        }
        if dir.exists() {
            if !dir.is_dir() {
                return Err(format!("{} is not a folder", dir.display()));
            }
            let probe = dir.join(format!(".nhacviec-check-{}", std::process::id()));
            return match File::create(&probe) {
                Ok(_) => {
                    let _ = std::fs::remove_file(&probe);
                    Ok(())
                }
                Err(e) => {
                    Err(format!("cannot create the store {} in {}: {e}", path.display(), dir.display()))
                }
            };
        }
        folder = dir.parent();
    }
    Ok(())
}

impl Store {
    /// Opens the store for the daemon: takes the one-daemon lock, then opens and migrates.
    /// The lock is held as long as any clone of the store lives.
    pub async fn open_for_daemon(url: &str, options: super::StoreOptions) -> Result<Self, StoreError> {
        let lock = match database_path(url) {
            Some(path) => Some(acquire(path).await?),
            None => None,
        };
        let mut store = Self::open_with(url, options).await?;
        store.lock = lock.map(std::sync::Arc::new);
        Ok(store)
    }

    /// What a daemon does with the store before its first tick. A daemon on SQLite holds
    /// the store alone, so the reminders that were being sent when the last one stopped go
    /// out again now, with the same keys, rather than after their lease. On PostgreSQL
    /// other daemons may be sending them: their leases say when they are taken over.
    /// Returns how many were released.
    pub async fn start_daemon(&self) -> Result<u64, StoreError> {
        match &self.engine {
            Engine::Sqlite(db) => db.release_claims().await,
            Engine::Postgres(_) => Ok(0),
        }
    }

    /// What the store wants after a tick that wrote: SQLite's write-ahead log is copied
    /// into the database while nothing else is going on, so that no later commit pays for it.
    pub async fn after_busy_tick(&self) -> Result<(), StoreError> {
        match &self.engine {
            Engine::Sqlite(db) => db.checkpoint().await,
            Engine::Postgres(_) => Ok(()),
        }
    }

    /// Whether `maintain` has anything to do on this engine: a daemon on a store that
    /// needs no upkeep does not wake for it.
    pub fn needs_upkeep(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// Keeps the database healthy between the engine's own upkeep: on PostgreSQL with the
    /// server's autovacuum off, the tables whose dead rows piled up are vacuumed. Returns
    /// what it did, for the log.
    pub async fn maintain(&self) -> Result<Vec<String>, StoreError> {
        match &self.engine {
            Engine::Sqlite(_) => Ok(Vec::new()),
            Engine::Postgres(db) => db.maintain().await,
        }
    }

    /// Whether the store at `url` can be used: one that exists has a schema this binary
    /// knows; one that does not can be created by `run`. Each problem in words.
    pub async fn check(url: &str) -> Result<(), String> {
        match Self::open_existing(url).await {
            Ok(store) => store.check_schema().await.map(|_| ()).map_err(|e| e.to_string()),
            Err(error) => match database_path(url).filter(|p| !p.exists()) {
                Some(_) => creatable(url),
                None => Err(error.to_string()),
            },
        }
    }
}
