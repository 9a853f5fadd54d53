//! One daemon per SQLite file: an exclusive lock on a file beside the database.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

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
pub struct StoreLock {
    _file: File,
    pub path: PathBuf,
}

pub fn acquire(db: &Path) -> Result<StoreLock, LockError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let io = |source| LockError::Io { lock: path.display().to_string(), source };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(StoreLock { _file: file, path }),
        Err(TryLockError::WouldBlock) => {
            Err(LockError::Held { db: db.display().to_string(), lock: path.display().to_string() })
        }
        Err(TryLockError::Error(source)) => Err(io(source)),
    }
}
