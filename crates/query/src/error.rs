//! What can go wrong when searching: only the index itself, never the query text.

use std::path::Path;

use kb_schema::OpenError;

/// Why a search (or a lookup) failed.
///
/// Query text never causes an error: the query language is lenient. What remains is the index:
/// missing, written by another kb version, or damaged. Damage found after opening (a segment
/// file that is gone or truncated) is reported the same way as damage found while opening, with
/// the advice to rebuild.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The index could not be opened or read.
    #[error(transparent)]
    Index(#[from] OpenError),
}

impl QueryError {
    /// Maps an error tantivy reports while opening a reader or reading the index at `dir`.
    ///
    /// A file that cannot be read for lack of permission is not damage; anything else
    /// (missing or truncated files, bad checksums, garbled data) is.
    pub(crate) fn read(dir: &Path, err: tantivy::TantivyError) -> QueryError {
        if let tantivy::TantivyError::IoError(io) = &err {
            if io.kind() == std::io::ErrorKind::PermissionDenied {
                return QueryError::Index(OpenError::Other {
                    path: dir.to_path_buf(),
                    source: err,
                });
            }
        }
        QueryError::Index(OpenError::Damaged { path: dir.to_path_buf(), detail: err.to_string() })
    }

    /// A stored passage that lacks a field the schema requires.
    pub(crate) fn bad_document(dir: &Path) -> QueryError {
        QueryError::Index(OpenError::Damaged {
            path: dir.to_path_buf(),
            detail: "a stored passage lacks required fields".into(),
        })
    }
}
