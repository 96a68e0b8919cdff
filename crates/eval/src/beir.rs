//! The layout of a BEIR folder: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`.

use std::path::{Path, PathBuf};

use crate::EvalError;

/// The files of one split of a BEIR folder, found and checked to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeirFolder {
    /// The collection's name: the folder's name (e.g. `scifact`), for reports and cache folders.
    pub name: String,
    /// `corpus.jsonl`: one `{"_id", "title", "text"}` document a line.
    pub corpus: PathBuf,
    /// `queries.jsonl`: one `{"_id", "text"}` query a line (all splits together).
    pub queries: PathBuf,
    /// `qrels/<split>.tsv`: the split's judgments.
    pub qrels: PathBuf,
    /// The split (`test`, `train`, `dev`, or any other name a folder has qrels for).
    pub split: String,
}

impl BeirFolder {
    /// Finds the files of `split` in `dir`. A missing file is an [`EvalError::Missing`] that
    /// names it; for a missing split, the message lists the splits the folder does have.
    pub fn locate(dir: &Path, split: &str) -> Result<BeirFolder, EvalError> {
        if !dir.is_dir() {
            return Err(EvalError::Missing {
                path: dir.to_path_buf(),
                hint: "expected a BEIR folder holding corpus.jsonl, queries.jsonl and qrels/<split>.tsv".into(),
            });
        }
        let corpus = dir.join("corpus.jsonl");
        let queries = dir.join("queries.jsonl");
        let qrels = dir.join("qrels").join(format!("{split}.tsv"));
        let missing =
            |path: &Path, hint: String| EvalError::Missing { path: path.to_path_buf(), hint };
        if !corpus.is_file() {
            return Err(missing(&corpus, "a BEIR folder has a corpus.jsonl, one {\"_id\", \"title\", \"text\"} document a line".into()));
        }
        if !queries.is_file() {
            return Err(missing(
                &queries,
                "a BEIR folder has a queries.jsonl, one {\"_id\", \"text\"} query a line".into(),
            ));
        }
        if !qrels.is_file() {
            let splits = splits(&dir.join("qrels"));
            let hint = if splits.is_empty() {
                "a BEIR folder has its judgments in qrels/<split>.tsv (`query-id corpus-id score` lines)".to_owned()
            } else {
                format!(
                    "the splits judged here are: {}; choose one with --split",
                    splits.join(", ")
                )
            };
            return Err(missing(&qrels, hint));
        }
        Ok(BeirFolder { name: folder_name(dir), corpus, queries, qrels, split: split.to_owned() })
    }
}

/// The splits with a qrels file in `qrels_dir`, sorted.
fn splits(qrels_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(qrels_dir) else { return Vec::new() };
    let mut splits: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".tsv").map(str::to_owned))
        .collect();
    splits.sort();
    splits
}

/// The folder's own name (resolving `.` and `..`), reduced to characters safe in a file name.
fn folder_name(dir: &Path) -> String {
    let resolved = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let name: String = resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(
            |c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' },
        )
        .collect();
    if name.trim_matches('.').is_empty() {
        "beir".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        dir
    }

    #[test]
    fn finds_the_files_of_a_split() {
        let dir = folder(&["corpus.jsonl", "queries.jsonl", "qrels/test.tsv", "qrels/dev.tsv"]);
        let found = BeirFolder::locate(dir.path(), "dev").unwrap();
        assert_eq!(found.qrels, dir.path().join("qrels/dev.tsv"));
        assert_eq!(found.corpus, dir.path().join("corpus.jsonl"));
        assert_eq!(found.split, "dev");
        let name = dir.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(
            found.name,
            name.replace(|c: char| !c.is_ascii_alphanumeric() && !"-_.".contains(c), "_")
        );
    }

    #[test]
    fn missing_files_are_named() {
        let dir = folder(&["queries.jsonl", "qrels/test.tsv"]);
        let msg = BeirFolder::locate(dir.path(), "test").unwrap_err().to_string();
        assert!(msg.contains("corpus.jsonl not found: a BEIR folder has a corpus.jsonl"), "{msg}");

        let dir = folder(&["corpus.jsonl", "queries.jsonl", "qrels/test.tsv", "qrels/train.tsv"]);
        let msg = BeirFolder::locate(dir.path(), "dev").unwrap_err().to_string();
        assert!(
            msg.contains("qrels/dev.tsv not found: the splits judged here are: test, train"),
            "{msg}"
        );

        let msg = BeirFolder::locate(&dir.path().join("nope"), "test").unwrap_err().to_string();
        assert!(msg.contains("nope not found: expected a BEIR folder"), "{msg}");
    }
}
