//! [`Error`]: everything the library can fail with, as variants a caller can match.
//!
//! Messages say what happened, never what to type: the `kb` command adds its own advice
//! ("`kb index --rebuild` repairs it") where it prints them.

use std::path::PathBuf;

use kb_schema::OpenError;

/// The result of a library call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a library call failed.
///
/// Problems with single files or records are not errors: an indexing call succeeds and lists
/// them in [`crate::IndexReport::skipped`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// There is no index where one was expected ([`crate::Kb::open`]), or a path to index does
    /// not exist.
    #[error("no index at {}", .0.display())]
    NotFound(PathBuf),
    /// [`crate::Kb::create`] found an index (or other files) where it was to create one.
    #[error("{} already holds an index", .0.display())]
    AlreadyExists(PathBuf),
    /// Another process (or another handle) is writing to the index.
    #[error("the index at {} is being updated by another process", .0.display())]
    Locked(PathBuf),
    /// The index's files are missing, truncated or garbled.
    #[error("the index at {} is damaged ({detail})", path.display())]
    Damaged {
        /// The index directory.
        path: PathBuf,
        /// What was found wrong.
        detail: String,
    },
    /// The index was written by a kb with another schema version.
    #[error(
        "the index at {} was built by another version of kb (schema {found}, this kb writes {expected})",
        path.display()
    )]
    OtherVersion {
        /// The index directory.
        path: PathBuf,
        /// The schema version found in the index.
        found: u32,
        /// The schema version this build writes.
        expected: u32,
    },
    /// What the caller passed cannot be used (an option out of range, a record without an id,
    /// an id owned by a file).
    #[error("{0}")]
    BadInput(String),
    /// The index is semantic and the embedding model it names cannot be had (not on disk, not
    /// downloadable, or this build has no semantic support).
    #[error("cannot get the embedding model {model}: {reason}")]
    ModelUnavailable {
        /// The model's name, as the index records it.
        model: String,
        /// Why it could not be loaded.
        reason: String,
    },
    /// A semantic index was to be searched or updated with a model other than its own.
    #[error("{0}")]
    ModelMismatch(String),
    /// Reading or writing files failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The index folder cannot be written as asked: it holds files that are not kb's (kb
    /// deletes nothing it did not write), or an index kb did not write, or it is read-only, or
    /// its disk is full (the previous commit is intact and what the failed run wrote is gone).
    #[error(transparent)]
    Folder(#[from] kb_indexer::FolderError),
    /// The search engine failed while writing or reading the index.
    #[error("{}: {source}", path.display())]
    Engine {
        /// The index directory.
        path: PathBuf,
        /// What tantivy reported.
        #[source]
        source: tantivy::TantivyError,
    },
}

impl Error {
    /// Whether this is [`Error::Damaged`] or [`Error::OtherVersion`]: an index that a rebuild
    /// replaces.
    pub fn needs_rebuild(&self) -> bool {
        matches!(self, Error::Damaged { .. } | Error::OtherVersion { .. })
    }
}

impl From<OpenError> for Error {
    fn from(err: OpenError) -> Error {
        match err {
            OpenError::NotFound(path) => Error::NotFound(path),
            OpenError::Damaged { path, detail } => Error::Damaged { path, detail },
            OpenError::OtherVersion { path, found, expected } => {
                Error::OtherVersion { path, found, expected }
            }
            OpenError::Other { path, source } => io_or_engine(path, source),
        }
    }
}

impl From<kb_query::QueryError> for Error {
    fn from(err: kb_query::QueryError) -> Error {
        match err {
            kb_query::QueryError::Index(open) => open.into(),
        }
    }
}

impl From<kb_indexer::IndexError> for Error {
    fn from(err: kb_indexer::IndexError) -> Error {
        use kb_indexer::IndexError;
        match err {
            IndexError::Busy(path) => Error::Locked(path),
            err @ IndexError::ModelMismatch { .. } => Error::BadInput(err.to_string()),
            err @ IndexError::Glob(_) => Error::BadInput(err.to_string()),
            IndexError::Open(open) => open.into(),
            IndexError::Root { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::NotFound(path)
            }
            IndexError::Root { path, source } => Error::Io { path, source },
            IndexError::Write { path, source } => io_or_engine(path, source),
            IndexError::Folder(folder) => Error::Folder(folder),
        }
    }
}

/// tantivy's I/O errors as [`Error::Io`], the rest as [`Error::Engine`].
pub(crate) fn io_or_engine(path: PathBuf, source: tantivy::TantivyError) -> Error {
    match source {
        tantivy::TantivyError::IoError(io) => Error::Io {
            path,
            source: std::sync::Arc::try_unwrap(io)
                .unwrap_or_else(|io| std::io::Error::new(io.kind(), io.to_string())),
        },
        source => Error::Engine { path, source },
    }
}
