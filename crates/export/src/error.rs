//! What can stop an export.

use std::path::PathBuf;

/// Why an export failed. Nothing is left half-written: files appear only once complete.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The index could not be opened (missing, damaged, another version).
    #[error(transparent)]
    Open(#[from] kb_schema::OpenError),
    /// Reading the index failed.
    #[error("cannot read the index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A stored passage lacks a field kb always writes, or its vector is malformed.
    #[error("the index is damaged: {0}; `kb index --rebuild` repairs it")]
    Damaged(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The output folder holds a file of a name the export writes that kb did not write (or that
    /// changed since): it is left alone.
    #[error(
        "{} exists and was not written by kb export (or was changed since); \
         move it away or export into another folder",
        path.display()
    )]
    NotOurs {
        /// The file.
        path: PathBuf,
    },
    /// The corpus's synonyms file exists but cannot be read.
    #[error(transparent)]
    Synonyms(#[from] kb_query::SynonymsError),
}

impl ExportError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ExportError {
        let path = path.into();
        move |source| ExportError::Io { path, source }
    }
}
