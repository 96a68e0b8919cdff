//! Reading an index without writing to its folder.
//!
//! tantivy's reader takes the *meta lock* (`.tantivy-meta.lock`, created if missing) while it
//! opens the segments, so that a writer's garbage collection cannot delete them mid-way. On a
//! read-only folder that file cannot be created and opening fails. [`LenientDirectory`] wraps
//! the real directory and, when the meta lock's file cannot be created or opened for writing
//! (a read-only file system, no permission, something else standing in its place), reads without
//! it: no other process can take that lock either, and a writer's garbage collection only
//! deletes files while it holds it, so nothing can be deleted under the reader. Every other lock
//! (the writer's above all) is taken as tantivy takes it.

use std::path::Path;
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, WatchCallback, WatchHandle, WritePtr, META_LOCK,
};

/// A directory that reads without the meta lock when its file cannot be written (see the
/// module docs); everything else is delegated.
#[derive(Debug, Clone)]
pub(crate) struct LenientDirectory<D: Directory + Clone>(pub(crate) D);

impl<D: Directory + Clone> Directory for LenientDirectory<D> {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.0.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.0.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.0.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.0.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.0.acquire_lock(lock) {
            Err(LockError::IoError(io))
                if lock.filepath == META_LOCK.filepath && cannot_create(&io) =>
            {
                Ok(DirectoryLock::from(Box::new(NoLock)))
            }
            other => other,
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(watch_callback)
    }
}

/// The stand-in for a lock nobody can take.
struct NoLock;

/// Whether a lock file could not be created or opened for writing because of the folder or the
/// file itself (rather than a passing failure).
pub(crate) fn cannot_create(io: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(io.kind(), ReadOnlyFilesystem | PermissionDenied | IsADirectory)
}
