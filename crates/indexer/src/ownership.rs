//! Which files in an index folder are kb's, and the only code that deletes any of them.
//!
//! kb deletes a file in the index folder only when it can prove it is its own, by name:
//!
//! - the files tantivy writes for an index: `meta.json`, `.managed.json`, its lock files
//!   (`.tantivy-meta.lock`, `.tantivy-writer.lock`), the temporary file it writes `meta.json`
//!   through (`.tmp` and 6 letters or digits), and segment files (a 32-digit hexadecimal segment
//!   id, then `.idx`, `.pos`, `.term`, `.store`, `.store.temp`, `.fast`, `.fieldnorm`, or
//!   `.N.del`);
//! - nothing else: kb keeps no other file there (its manifest is inside `meta.json`).
//!
//! Two things delete files:
//!
//! - `open_for_update` replaces an index that must be rebuilt (another kb version's, a damaged
//!   one with `--rebuild`, a tantivy index kb did not write with `--rebuild`), and only when the
//!   folder holds nothing but such files: a folder with anything else in it is refused with
//!   [`FolderError::Foreign`], naming what is there, and nothing is touched;
//! - `sweep_orphans` removes segment files the last commit's `meta.json` does not reference:
//!   what a killed or failed run left behind. Only while holding the writer lock.

use std::path::{Path, PathBuf};

use kb_schema::{KbSchema, OpenError};
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, DirectoryLock, MmapDirectory, INDEX_WRITER_LOCK, META_LOCK};
use tantivy::Index;

use crate::IndexError;

/// Problems with the index folder itself, as a whole: its content, its permissions, its space.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The folder holds files that are not kb's, so it is not replaced.
    #[error("{} holds files that are not kb's ({}); kb deletes nothing it did not write: move them away or choose another index folder (--index)", path.display(), list(files))]
    Foreign {
        /// The index folder.
        path: PathBuf,
        /// What is there that is not kb's (names, folders end with `/`).
        files: Vec<String>,
    },
    /// The folder holds a tantivy index that kb did not write (no kb manifest).
    #[error("{} holds a tantivy index that kb did not write; `kb index --rebuild` replaces it (its files only), or choose another index folder (--index)", .0.display())]
    NotKb(PathBuf),
    /// Nothing can be written to the folder.
    #[error("the index folder {} is read-only ({source}); kb index cannot update it there (searching works)", path.display())]
    ReadOnly {
        /// The index folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The disk filled up while writing; what the run wrote was removed and the previous
    /// commit is intact.
    #[error("no space left on {} (the device holding the index is full); nothing was committed, the files this run wrote were removed and the previous index is intact: free some space and run kb index again", .0.display())]
    NoSpace(PathBuf),
}

fn list(files: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut shown = files.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if files.len() > SHOWN {
        shown.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    shown
}

/// The extensions of tantivy's segment files (after the segment id).
const SEGMENT_EXTENSIONS: [&str; 7] =
    ["idx", "pos", "term", "store", "store.temp", "fast", "fieldnorm"];

/// Whether `name` is a tantivy segment file name: 32 lowercase hex digits (the segment id),
/// then one of tantivy's component extensions, or `.N.del`.
pub fn is_segment_file(name: &str) -> bool {
    let Some((id, ext)) = name.split_once('.') else { return false };
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return false;
    }
    if SEGMENT_EXTENSIONS.contains(&ext) {
        return true;
    }
    ext.strip_suffix(".del").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `name` is a file tantivy writes in an index folder (see the module docs).
pub fn is_index_file(name: &str) -> bool {
    const FIXED: [&str; 4] =
        ["meta.json", ".managed.json", ".tantivy-meta.lock", ".tantivy-writer.lock"];
    FIXED.contains(&name) || is_segment_file(name) || is_meta_temp_file(name)
}

/// tantivy writes `meta.json` through a temporary file (the `tempfile` crate's default name,
/// `.tmp` and 6 letters or digits) that a killed run can leave behind.
fn is_meta_temp_file(name: &str) -> bool {
    name.strip_prefix(".tmp")
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The entries of `dir` that are not kb's, sorted (a folder's name ends with `/`).
pub fn foreign_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type()?.is_file();
        if !is_file {
            foreign.push(if entry.file_type()?.is_dir() { format!("{name}/") } else { name });
        } else if !is_index_file(&name) {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

/// Opens the index in `dir` for an update, creating it if there is none, and replacing it when
/// it must be rebuilt: written by another kb version, or (with `rebuild`) damaged or a tantivy
/// index kb did not write. Replacing deletes only kb's files, and only when there is nothing
/// else in the folder.
pub(crate) fn open_for_update(dir: &Path, rebuild: bool) -> Result<(Index, KbSchema), IndexError> {
    match kb_schema::open_or_create_index(dir) {
        Ok(opened) => Ok(opened),
        // Version 0: the index has segments but no kb manifest; not kb's.
        Err(OpenError::OtherVersion { found: 0, .. }) if !rebuild => {
            Err(FolderError::NotKb(dir.to_path_buf()).into())
        }
        Err(OpenError::OtherVersion { .. }) => recreate(dir),
        Err(OpenError::Damaged { .. }) if rebuild => recreate(dir),
        Err(e) => Err(read_only(dir, e)),
    }
}

/// An error opening or creating the index, as [`FolderError::ReadOnly`] when it comes from a
/// folder nothing can be written to.
fn read_only(dir: &Path, e: OpenError) -> IndexError {
    if let OpenError::Other { source, .. } = &e {
        if let Some(io) = crate::faults::io_cause(source) {
            if crate::faults::is_read_only(io) {
                let source = std::io::Error::new(io.kind(), io.to_string());
                return FolderError::ReadOnly { path: dir.to_path_buf(), source }.into();
            }
        }
    }
    e.into()
}

/// Deletes kb's files in `dir` and creates an empty index there; refused, with nothing
/// deleted, when the folder holds anything else.
fn recreate(dir: &Path) -> Result<(Index, KbSchema), IndexError> {
    let root_err = |source| IndexError::Root { path: dir.to_path_buf(), source };
    let foreign = foreign_files(dir).map_err(root_err)?;
    if !foreign.is_empty() {
        return Err(FolderError::Foreign { path: dir.to_path_buf(), files: foreign }.into());
    }
    {
        // Not under another writer's feet.
        let _lock = writer_lock(dir)?;
        for entry in std::fs::read_dir(dir).map_err(root_err)? {
            let entry = entry.map_err(root_err)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let keep = name == INDEX_WRITER_LOCK.filepath.to_string_lossy()
                || name == META_LOCK.filepath.to_string_lossy();
            if !keep && is_index_file(&name) && entry.file_type().map_err(root_err)?.is_file() {
                std::fs::remove_file(entry.path()).map_err(root_err)?;
            }
        }
    }
    Ok(kb_schema::create_index(dir)?)
}

/// Takes tantivy's writer lock on the index in `dir` (as an index writer would), so that
/// files can be deleted while no writer runs.
pub(crate) fn writer_lock(dir: &Path) -> Result<DirectoryLock, IndexError> {
    let directory = MmapDirectory::open(dir).map_err(|e| IndexError::Root {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    directory.acquire_lock(&INDEX_WRITER_LOCK).map_err(|e| match e {
        LockError::LockBusy => IndexError::Busy(dir.to_path_buf()),
        LockError::IoError(io) if crate::faults::is_read_only(&io) => {
            let source = std::io::Error::new(io.kind(), io.to_string());
            FolderError::ReadOnly { path: dir.to_path_buf(), source }.into()
        }
        LockError::IoError(io) => IndexError::Root {
            path: dir.to_path_buf(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        },
    })
}

/// Removes the segment files of the index in `dir` that its last commit does not reference
/// (left by a run that was killed or failed), and tantivy's leftover temporary files. The
/// caller holds the writer lock. Returns the bytes freed. An index that cannot be opened is
/// left alone.
pub(crate) fn sweep_orphans(dir: &Path) -> std::io::Result<u64> {
    let Ok(index) = Index::open_in_dir(dir) else { return Ok(0) };
    // Readers take this lock while they open the segments of the commit they read.
    let Ok(_meta_lock) = index.directory().acquire_lock(&META_LOCK) else { return Ok(0) };
    let Ok(meta) = index.load_metas() else { return Ok(0) };
    let living = meta.list_segment_files();
    let mut freed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let orphan = (is_segment_file(&name) && !living.contains(Path::new(&name)))
            || is_meta_temp_file(&name);
        if orphan && entry.file_type()?.is_file() {
            let len = entry.metadata().map_or(0, |m| m.len());
            match std::fs::remove_file(entry.path()) {
                Ok(()) => freed += len,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(freed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tantivy_names_are_recognized_and_nothing_else() {
        let id = "0123456789abcdef0123456789abcdef";
        for ext in ["idx", "pos", "term", "store", "store.temp", "fast", "fieldnorm", "12.del"] {
            assert!(is_index_file(&format!("{id}.{ext}")), "{ext}");
        }
        for name in [
            "meta.json",
            ".managed.json",
            ".tantivy-meta.lock",
            ".tantivy-writer.lock",
            ".tmpAb3dE9",
        ] {
            assert!(is_index_file(name), "{name}");
        }
        for name in [
            "notes.txt",
            "meta.json.bak",
            ".bashrc",
            &format!("{id}.docx"),
            &format!("{id}.del"),
            &format!("{id}.x.del"),
            "0123456789ABCDEF0123456789ABCDEF.idx",
            "0123456789abcdef.idx",
            ".tmp",
            ".tmpfile-notes",
        ] {
            assert!(!is_index_file(name), "{name}");
        }
    }
}
