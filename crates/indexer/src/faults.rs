//! [`update_index`] as the library offers it: the update itself (`update.rs`) plus what is done
//! about faults of the index folder around it.
//!
//! - Before the update, files a killed or failed run left behind (segment files the last commit
//!   does not reference) are removed, even when there is nothing else to do, so they never pile
//!   up ([`crate::ownership::sweep_orphans`]).
//! - A folder nothing can be written to fails with [`FolderError::ReadOnly`] ("the index folder
//!   ... is read-only"), not with tantivy's lock error.
//! - A full disk fails with [`FolderError::NoSpace`] ("no space left on ..."), not with
//!   tantivy's "An index writer was killed", and what the failed run wrote is removed, so the
//!   next run can succeed once there is space again. The previous commit stays searchable.

use std::path::{Path, PathBuf};

use tantivy::TantivyError;

use crate::ownership::{self, FolderError};
use crate::update::{self, IndexError, IndexOptions, IndexReport, Progress};

/// Brings the index in `index_dir` up to date with the files under `roots` (folders or files),
/// creating it if needed.
///
/// Only the difference with the last commit's [`kb_schema::Manifest`] is applied (unchanged
/// files cost a stat), and the new manifest is committed together with the passages, so a run
/// killed at any point leaves the previous commit searchable and the next run redoes the work;
/// files such a run left in the index folder are removed by the next run.
///
/// Files that vanished from under one of `roots` are removed from the index; files indexed from
/// other roots are left alone. An index written by another schema version, or a damaged one or
/// one kb did not write when `rebuild` is set, is replaced by a fresh one, provided the folder
/// holds nothing but the index's files ([`crate::ownership`]): kb never deletes a file it did not
/// write. A read-only folder and a full disk are reported as such ([`FolderError`]).
pub fn update_index(
    index_dir: &Path,
    roots: &[PathBuf],
    opts: &IndexOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<IndexReport, IndexError> {
    // Only in a kb index of this version: nothing, not even a lock file, is written into a
    // folder that is not kb's.
    if kb_schema::open_index(index_dir).is_ok() {
        match ownership::writer_lock(index_dir) {
            Ok(_lock) => {
                // Best effort: an orphan that cannot be removed now is removed by a later run.
                let _ = ownership::sweep_orphans(index_dir);
            }
            // Busy: the update below says so. Others: the update reports them with context.
            Err(IndexError::Folder(e @ FolderError::ReadOnly { .. })) => return Err(e.into()),
            Err(_) => {}
        }
    }
    update::update_index(index_dir, roots, opts, progress).map_err(|e| after_failure(index_dir, e))
}

/// Names the fault behind a failed update and, for a failed write, removes what it wrote.
fn after_failure(dir: &Path, err: IndexError) -> IndexError {
    let IndexError::Write { source, .. } = &err else { return err };
    let io = io_cause(source);
    let read_only =
        io.filter(|io| is_read_only(io)).map(|io| std::io::Error::new(io.kind(), io.to_string()));
    // Looked at before the clean-up below frees the space again.
    let full = io.is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull) || disk_full(dir);
    if let Ok(_lock) = ownership::writer_lock(dir) {
        let _ = ownership::sweep_orphans(dir);
    }
    if let Some(source) = read_only {
        return FolderError::ReadOnly { path: dir.to_path_buf(), source }.into();
    }
    if full {
        return FolderError::NoSpace(dir.to_path_buf()).into();
    }
    err
}

/// The I/O error at the bottom of a tantivy error, if there is one.
pub(crate) fn io_cause(err: &TantivyError) -> Option<&std::io::Error> {
    use tantivy::directory::error::{LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
    match err {
        TantivyError::IoError(io) => Some(io),
        TantivyError::LockFailure(LockError::IoError(io), _) => Some(io),
        TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, .. }) => Some(io_error),
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, .. }) => Some(io_error),
        TantivyError::OpenDirectoryError(OpenDirectoryError::IoError { io_error, .. }) => {
            Some(io_error)
        }
        _ => None,
    }
}

/// Whether an I/O error says nothing can be written there.
pub(crate) fn is_read_only(io: &std::io::Error) -> bool {
    matches!(
        io.kind(),
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
    )
}

/// Space under which the file system holding the index counts as full after a failed write:
/// tantivy's indexing threads die on a full disk, and the error that reaches us ("An index
/// writer was killed") no longer says why.
const FULL_BYTES: u64 = 1 << 20;

/// Whether the file system holding `dir` has (almost) no space left for this process.
#[cfg(unix)]
fn disk_full(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return false };
    // SAFETY: `path` is a valid NUL-terminated string and `stat` a properly sized out-value.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return false;
    }
    // Root may use the blocks reserved for it; anyone else only the available ones.
    let blocks = if unsafe { libc::geteuid() } == 0 { stat.f_bfree } else { stat.f_bavail };
    (blocks as u64).saturating_mul(stat.f_frsize as u64) < FULL_BYTES
}

#[cfg(not(unix))]
fn disk_full(_dir: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full disk reported as an I/O error anywhere in tantivy's error is named as such.
    #[test]
    fn storage_full_is_reported_as_no_space() {
        let dir = tempfile::tempdir().unwrap();
        let io = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let err = IndexError::Write {
            path: dir.path().to_path_buf(),
            source: TantivyError::IoError(std::sync::Arc::new(io)),
        };
        let mapped = after_failure(dir.path(), err);
        assert!(
            mapped.to_string().starts_with(&format!("no space left on {}", dir.path().display())),
            "{mapped}"
        );
        let ro = std::io::Error::from(std::io::ErrorKind::ReadOnlyFilesystem);
        let err = IndexError::Write {
            path: dir.path().to_path_buf(),
            source: TantivyError::IoError(std::sync::Arc::new(ro)),
        };
        let mapped = after_failure(dir.path(), err).to_string();
        assert!(mapped.contains("is read-only"), "{mapped}");
    }
}
