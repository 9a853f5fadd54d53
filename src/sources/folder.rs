//! A folder directives are dropped into: which files are ready to read (not hidden, not a
//! lock file, not still being written), and filing each away once it is recorded, into
//! `done/` or `failed/` (with a `.error.txt` beside it). Nothing here reads a document or
//! touches the store; nothing is ever deleted or overwritten.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Where a file read from the folder goes.
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// A file that looks ready to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    pub name: String,
    pub size: u64,
    pub modified: SystemTime,
}

/// What a file's name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A signed document for the importer: PDF, DOCX or text.
    Document,
    /// A directive file, as `directive add` reads it.
    DirectiveToml,
    /// A directive as the API's JSON.
    DirectiveJson,
    /// Something nhacviec does not read.
    Other,
}

impl FileKind {
    pub fn of(name: &str) -> Self {
        let extension = Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("pdf" | "docx" | "txt") => FileKind::Document,
            Some("toml") => FileKind::DirectiveToml,
            Some("json") => FileKind::DirectiveJson,
            _ => FileKind::Other,
        }
    }
}

/// Whether a name is one a writer uses while a file is not finished: hidden files (the
/// `.name.tmp` a careful writer renames into place), Word's `~$name.docx` lock files,
/// LibreOffice's `.~lock`, and the partial downloads of browsers and copy tools.
pub fn in_progress(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.ends_with('~')
        || [".part", ".partial", ".tmp", ".crdownload", ".download", ".filepart", ".swp"]
            .iter()
            .any(|suffix| lower.ends_with(suffix))
}

/// The regular files of `folder` whose size and modification time have stood still for
/// `settle` as of `now`, oldest first. A file changed more recently is left for a later
/// poll; so are files with in-progress names.
pub fn ready(folder: &Path, settle: Duration, now: SystemTime) -> std::io::Result<Vec<Candidate>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        // A name that is not UTF-8 is still a file someone dropped: it is read, and its name
        // shown as best it can be.
        let name = entry.file_name().to_string_lossy().into_owned();
        if in_progress(&name) {
            continue;
        }
        if let Some(candidate) = candidate(&entry.path(), name, settle, now)? {
            found.push(candidate);
        }
    }
    found.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| a.name.cmp(&b.name)));
    Ok(found)
}

fn candidate(
    path: &Path,
    name: String,
    settle: Duration,
    now: SystemTime,
) -> std::io::Result<Option<Candidate>> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        // Gone between listing and looking: someone moved it.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    if !metadata.is_file() {
        return Ok(None);
    }
    let modified = metadata.modified()?;
    // A time in the future (a clock skewed on the share) counts as just written.
    let age = now.duration_since(written_at(&metadata, modified)).unwrap_or(Duration::ZERO);
    if age < settle {
        return Ok(None);
    }
    Ok(Some(Candidate { path: path.to_owned(), name, size: metadata.len(), modified }))
}

/// When a file was last written: the later of its modification time and its change time,
/// for a copy that keeps the original's time (`cp -p`, a share, an unzip) is still being
/// written while its change time moves.
fn written_at(metadata: &std::fs::Metadata, modified: SystemTime) -> SystemTime {
    use std::os::unix::fs::MetadataExt;
    let changed = std::time::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(metadata.ctime()).unwrap_or(0))
        + Duration::from_nanos(u64::try_from(metadata.ctime_nsec()).unwrap_or(0));
    modified.max(changed)
}

/// Whether the file is still as it was listed: the same size and modification time.
pub fn unchanged(candidate: &Candidate) -> bool {
    std::fs::metadata(&candidate.path)
        .and_then(|m| Ok((m.len(), m.modified()?)))
        .is_ok_and(|(size, modified)| size == candidate.size && modified == candidate.modified)
}

/// Moves `file` into `folder/<into>/` under its own name, or with " (2)", " (3)" … before
/// its extension when that name is taken; with `error`, writes `<name>.error.txt` beside
/// it. Returns where the file went.
pub fn file_away(folder: &Path, file: &Path, into: &str, error: Option<&str>) -> std::io::Result<PathBuf> {
    let target_folder = folder.join(into);
    std::fs::create_dir_all(&target_folder)?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "tệp".into());
    let target = free_name(&target_folder, &name);
    if let Some(error) = error {
        let note = target_folder.join(format!(
            "{}.error.txt",
            target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(name)
        ));
        std::fs::write(note, format!("{error}\n"))?;
    }
    std::fs::rename(file, &target)?;
    Ok(target)
}

/// `name` in `folder`, or the first of "stem (2).ext", "stem (3).ext" … that is free.
fn free_name(folder: &Path, name: &str) -> PathBuf {
    let first = folder.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
        _ => (name, String::new()),
    };
    (2u32..)
        .map(|n| folder.join(format!("{stem} ({n}){extension}")))
        .find(|path| !path.exists())
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_being_written_are_left_alone() {
        for name in
            [".quyet-dinh.pdf.tmp", "~$thong-bao.docx", "ke-hoach.pdf.part", "a.crdownload", "b.docx~"]
        {
            assert!(in_progress(name), "{name}");
        }
        for name in ["thong-bao-41.pdf", "Chỉ thị 05.docx", "ke-hoach.txt"] {
            assert!(!in_progress(name), "{name}");
        }
    }

    #[test]
    fn kinds_follow_the_extension_whatever_its_case() {
        assert_eq!(FileKind::of("TB 41.PDF"), FileKind::Document);
        assert_eq!(FileKind::of("a.Docx"), FileKind::Document);
        assert_eq!(FileKind::of("a.toml"), FileKind::DirectiveToml);
        assert_eq!(FileKind::of("a.json"), FileKind::DirectiveJson);
        assert_eq!(FileKind::of("a.doc"), FileKind::Other);
        assert_eq!(FileKind::of("README"), FileKind::Other);
    }

    #[test]
    fn a_file_is_ready_once_it_has_stood_still_for_the_settle_time() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "x").unwrap();
        std::fs::write(dir.path().join(".b.txt.tmp"), "x").unwrap();
        std::fs::create_dir(dir.path().join("done")).unwrap();
        // Written at the later of its modification and change times, as `ready` counts.
        let metadata = std::fs::metadata(dir.path().join("a.txt")).unwrap();
        let modified = written_at(&metadata, metadata.modified().unwrap());
        let settle = Duration::from_secs(2);
        assert!(ready(dir.path(), settle, modified + Duration::from_secs(1)).unwrap().is_empty());
        let found = ready(dir.path(), settle, modified + Duration::from_secs(2)).unwrap();
        assert_eq!(found.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["a.txt"]);
        assert!(unchanged(&found[0]));
        std::fs::write(dir.path().join("a.txt"), "xy").unwrap();
        assert!(!unchanged(&found[0]));
    }

    #[test]
    fn filing_away_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..3 {
            let file = dir.path().join("tb.pdf");
            std::fs::write(&file, format!("{round}")).unwrap();
            file_away(dir.path(), &file, FAILED, Some("không đọc được")).unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join(FAILED))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "tb (2).pdf",
                "tb (2).pdf.error.txt",
                "tb (3).pdf",
                "tb (3).pdf.error.txt",
                "tb.pdf",
                "tb.pdf.error.txt"
            ]
        );
        assert_eq!(std::fs::read_to_string(dir.path().join("failed/tb (3).pdf")).unwrap(), "2");
    }
}
