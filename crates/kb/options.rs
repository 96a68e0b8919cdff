//! What an indexing call is asked to do ([`IndexOptions`]), and the checks on search options.

pub use kb_indexer::walk::WalkOptions;

use crate::{Error, SearchOptions};

/// Options of [`crate::Kb::index_with`]: the ones `kb index` has.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexOptions {
    /// Start from an empty index instead of updating (`kb index --rebuild`). Documents pushed
    /// through [`crate::Kb::upsert`] are kept. Default `false`.
    pub rebuild: bool,
    /// Memory the index writer may buffer before writing a segment, in bytes (`--memory-mb`).
    /// Default 128 MiB.
    pub memory_budget: usize,
    /// Indexing threads. Default: 2, or 1 on a single-core machine.
    pub threads: usize,
    /// Semantic ranking: `Some(true)` embeds every passage with the default model and makes the
    /// index semantic (`--semantic`), `Some(false)` makes it lexical (`--lexical`), `None`
    /// keeps it as it is (the default: a semantic index stays semantic).
    pub semantic: Option<bool>,
    /// Which files are read: links leading outside an indexed folder (`--follow-links`), the
    /// size limit (`--max-file-mb`), globs (`--glob`) and ignore files (`--no-ignore`); globs
    /// and the ignore-file switch left `None` are the ones the index records for each folder.
    pub walk: WalkOptions,
}

impl Default for IndexOptions {
    fn default() -> Self {
        let indexer = kb_indexer::IndexOptions::default();
        IndexOptions {
            rebuild: indexer.rebuild,
            memory_budget: indexer.memory_budget,
            threads: indexer.threads,
            semantic: None,
            walk: indexer.walk,
        }
    }
}

impl IndexOptions {
    /// The indexer's options, without a model (the handle resolves it).
    pub(crate) fn to_indexer(&self) -> kb_indexer::IndexOptions {
        kb_indexer::IndexOptions {
            rebuild: self.rebuild,
            memory_budget: self.memory_budget,
            threads: self.threads,
            walk: self.walk.clone(),
            ..kb_indexer::IndexOptions::default()
        }
    }
}

/// Refuses search options out of their ranges, naming the valid one.
pub(crate) fn check(opts: &SearchOptions) -> Result<(), Error> {
    let w = opts.feedback.weight;
    if !(w.is_finite() && (0.0..1.0).contains(&w)) {
        return Err(Error::BadInput(format!(
            "the feedback weight must be at least 0 and below 1, not {w}"
        )));
    }
    let w = opts.semantic.weight;
    if !(w.is_finite() && (0.0..=1.0).contains(&w)) {
        return Err(Error::BadInput(format!(
            "the semantic weight must be between 0 and 1, not {w}"
        )));
    }
    if opts.limit == 0 {
        return Err(Error::BadInput("the limit must be at least 1".to_owned()));
    }
    Ok(())
}
