use std::path::PathBuf;

/// Why an index directory could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// There is no index in the directory.
    #[error("no index at {}", .0.display())]
    NotFound(PathBuf),
    /// The directory holds an index, but its files are missing, truncated or garbled.
    #[error("the index at {} is damaged ({detail}); `kb index --rebuild` repairs it", path.display())]
    Damaged {
        /// The index directory.
        path: PathBuf,
        /// What tantivy reported.
        detail: String,
    },
    /// The index was written by a kb with another [`crate::SCHEMA_VERSION`].
    #[error("the index at {} was built by another version of kb (schema {found}, this kb writes {expected}); `kb index --rebuild` rebuilds it", path.display())]
    OtherVersion {
        /// The index directory.
        path: PathBuf,
        /// The schema version found in the index.
        found: u32,
        /// The schema version this build writes.
        expected: u32,
    },
    /// Any other failure (I/O, permissions).
    #[error("cannot open the index at {}: {source}", path.display())]
    Other {
        /// The index directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: tantivy::TantivyError,
    },
}
