//! One daemon per SQLite file: an exclusive lock on a file beside the database. The file
//! holds the daemon's process id, so that the CLI can wake it after changing the store.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
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

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

pub fn acquire(db: &Path) -> Result<StoreLock, LockError> {
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
                std::thread::sleep(std::time::Duration::from_millis(25));
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
            Ok(StoreLock { _file: file, path })
        }
        Err(TryLockError::WouldBlock) => {
            Err(LockError::Held { db: db.display().to_string(), lock: path.display().to_string() })
        }
        Err(TryLockError::Error(source)) => Err(io(source)),
    }
}

/// The process id of the daemon that holds the store's lock, if one runs.
pub fn holder(db: &Path) -> Option<u32> {
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
