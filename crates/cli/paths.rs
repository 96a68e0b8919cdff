//! Where the index and the corpus are: the only place defaults are chosen.
//!
//! Precedence: flag, then environment variable, then the default relative to the current
//! directory. The libraries always take explicit paths.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The index directory: `--index`, else `$KB_INDEX`, else `./.kb`.
pub fn index_dir(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("KB_INDEX").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(".kb"))
}

/// The corpus: the flag, else `$KB_CORPUS`, else `./corpus`.
pub fn corpus_dir(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("KB_CORPUS").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("corpus"))
}

/// A stored source path as people should see it: relative to the current directory when it
/// lies under it, else as stored.
pub fn display_path(stored: &str) -> String {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    let cwd = CWD.get_or_init(|| std::env::current_dir().and_then(|d| d.canonicalize()).ok());
    cwd.as_deref()
        .and_then(|cwd| Path::new(stored).strip_prefix(cwd).ok())
        .map_or_else(|| stored.to_owned(), |rel| rel.to_string_lossy().into_owned())
}
