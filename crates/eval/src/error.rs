use std::path::PathBuf;

/// Why an evaluation, a batch run or reading one of their files failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file the command needs does not exist.
    #[error("{} not found: {hint}", path.display())]
    Missing {
        /// The file that was looked for.
        path: PathBuf,
        /// What the file is and what to do about it.
        hint: String,
    },
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line of an input file is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A file is well-formed line by line but unusable as a whole (e.g. no judgments at all).
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Building the index of a collection failed.
    #[error("cannot build the index of {}: {source}", corpus.display())]
    Index {
        /// The corpus file.
        corpus: PathBuf,
        /// What the indexer reported.
        #[source]
        source: kb_indexer::IndexError,
    },
    /// The index could not be opened for searching.
    #[error("cannot open the index at {}: {source}", path.display())]
    Open {
        /// The index directory.
        path: PathBuf,
        /// What the query side reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// One query failed.
    #[error("query {query_id}: {source}")]
    Search {
        /// The id of the query.
        query_id: String,
        /// What the query side reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl EvalError {
    /// An I/O error on `path`, reported as [`EvalError::Missing`] with `hint` when the file does
    /// not exist.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error, hint: &str) -> EvalError {
        if source.kind() == std::io::ErrorKind::NotFound {
            EvalError::Missing { path: path.to_path_buf(), hint: hint.to_owned() }
        } else {
            EvalError::Io { path: path.to_path_buf(), source }
        }
    }

    pub(crate) fn parse(
        path: &std::path::Path,
        line: usize,
        reason: impl Into<String>,
    ) -> EvalError {
        EvalError::Parse { path: path.to_path_buf(), line, reason: reason.into() }
    }
}
