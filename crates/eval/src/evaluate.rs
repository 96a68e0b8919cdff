//! `kb eval`: index a BEIR collection (once), run its judged queries, score and time them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kb_indexer::SemanticModel;
use kb_query::{SearchOptions, Searcher};
use serde::Serialize;

use crate::beir::BeirFolder;
use crate::cache::ensure_index;
use crate::latency::Latency;
use crate::metrics::{score_run, RunScores, RECALL_AT};
use crate::qrels::Qrels;
use crate::queries::{read_beir_queries, Query};
use crate::retrieval::{eval_search_options, run_queries};
use crate::EvalError;

/// How [`evaluate`] runs.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The split whose judgments to use: `qrels/<split>.tsv` (default `test`).
    pub split: String,
    /// Where indexes of collections are cached (default `.kb-eval`, relative to the current
    /// directory).
    pub cache_root: PathBuf,
    /// How each query is searched (default [`eval_search_options`] with 100 documents).
    pub search: SearchOptions,
    /// Semantic ranking: the corpus is indexed with passage embeddings of this model and the
    /// search re-ranks with them (default `None`: lexical ranking only).
    pub semantic: Option<SemanticModel>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            split: "test".into(),
            cache_root: ".kb-eval".into(),
            search: eval_search_options(RECALL_AT),
            semantic: None,
        }
    }
}

/// Progress of an [`evaluate`] run, for messages to people waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalProgress<'a> {
    /// There is no index of the corpus yet: it is being built into `index_dir`.
    BuildingIndex {
        /// The corpus file.
        corpus: &'a Path,
        /// The index being built.
        index_dir: &'a Path,
    },
    /// The index is ready; this many judged queries are being run.
    Searching {
        /// Number of queries.
        queries: usize,
    },
}

/// What [`evaluate`] measured. Serializes to the `kb eval --json` shape: the metric names are
/// `ndcg@10`, `recall@100` and `mrr@10`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// The collection's name (its folder's name).
    pub dataset: String,
    /// The split evaluated.
    pub split: String,
    /// Judged queries and the mean of each metric over them (see [`crate::metrics`]).
    #[serde(flatten)]
    pub scores: RunScores,
    /// Per-query latency percentiles, nearest rank (see [`crate::latency`]).
    #[serde(flatten)]
    pub latency: Latency,
    /// Wall time of all the queries, milliseconds.
    pub search_ms: f64,
    /// Documents in the index.
    pub documents: u64,
    /// Passages in the index.
    pub passages: u64,
    /// Corpus records that could not be indexed.
    pub skipped: usize,
    /// The index directory.
    pub index_dir: PathBuf,
    /// Whether an index built earlier was reused.
    pub index_reused: bool,
    /// Time to build the index, or to check it for reuse, milliseconds.
    pub index_ms: f64,
}

/// Evaluates kb on the BEIR collection in `dir`: builds (or reuses) the index of its corpus,
/// runs every query judged in `qrels/<split>.tsv` one at a time, and reports the mean nDCG@10,
/// Recall@100 and MRR@10 over them and the latency percentiles.
///
/// A judged query missing from `queries.jsonl` is an error naming the qrels line that judges it.
pub fn evaluate(
    dir: &Path,
    opts: &EvalOptions,
    progress: &mut dyn FnMut(EvalProgress<'_>),
) -> Result<EvalReport, EvalError> {
    let folder = BeirFolder::locate(dir, &opts.split)?;
    let qrels = Qrels::read(&folder.qrels)?;
    let queries = judged_queries(&folder, &qrels, read_beir_queries(&folder.queries)?)?;
    let semantic = opts.semantic.as_ref();
    let index =
        ensure_index(&folder.corpus, &folder.name, &opts.cache_root, semantic, &mut |index_dir| {
            progress(EvalProgress::BuildingIndex { corpus: &folder.corpus, index_dir })
        })?;
    let open_err = |e| EvalError::Open { path: index.dir.clone(), source: Box::new(e) };
    let mut searcher = Searcher::open(&index.dir).map_err(open_err)?;
    if let Some(model) = semantic {
        searcher = searcher.with_embedder(model.embedder.clone()).map_err(open_err)?;
    }
    progress(EvalProgress::Searching { queries: queries.len() });
    let started = Instant::now();
    let timed = run_queries(&searcher, &queries, &opts.search)?;
    let search_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(EvalReport {
        dataset: folder.name,
        split: folder.split,
        scores: score_run(&qrels, &timed.run),
        latency: Latency::of(&timed.latencies_ms),
        search_ms,
        documents: index.documents,
        passages: index.passages,
        skipped: index.skipped.len(),
        index_dir: index.dir,
        index_reused: index.reused,
        index_ms: index.took_ms,
    })
}

/// The queries the qrels judge, in qrels order.
fn judged_queries(
    folder: &BeirFolder,
    qrels: &Qrels,
    queries: Vec<Query>,
) -> Result<Vec<Query>, EvalError> {
    let mut by_id: std::collections::HashMap<String, Query> =
        queries.into_iter().map(|q| (q.id.clone(), q)).collect();
    qrels
        .queries()
        .iter()
        .map(|judged| {
            by_id.remove(&judged.id).ok_or_else(|| {
                EvalError::parse(
                    &folder.qrels,
                    judged.line,
                    format!(
                        "query {:?} is judged but not in {}",
                        judged.id,
                        folder.queries.display()
                    ),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// d2 is split into two passages; "tea" is in both, and in d1 once.
    fn collection(dir: &Path) {
        write(
            dir,
            "corpus.jsonl",
            "{\"_id\": \"d1\", \"title\": \"Kettles\", \"text\": \"A kettle boils water for tea and for coffee and for soup.\"}\n\
             {\"_id\": \"d2\", \"title\": \"Tea\", \"text\": \"Tea, tea, tea.\\n\\nGreen tea is tea.\"}\n\
             {\"_id\": \"d3\", \"title\": \"Rocks\", \"text\": \"Granite is hard.\"}\n",
        );
        write(
            dir,
            "queries.jsonl",
            "{\"_id\": \"q1\", \"text\": \"tea\"}\n{\"_id\": \"q2\", \"text\": \"granite\"}\n",
        );
        write(dir, "qrels/dev.tsv", "query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq2\td3\t1\r\n");
    }

    #[test]
    fn evaluates_a_split_and_reuses_the_index() {
        let tmp = tempfile::tempdir().unwrap();
        let beir = tmp.path().join("tiny");
        collection(&beir);
        let opts = EvalOptions {
            split: "dev".into(),
            cache_root: tmp.path().join("cache"),
            ..EvalOptions::default()
        };
        let mut events = Vec::new();
        let report = evaluate(&beir, &opts, &mut |p| {
            events.push(matches!(p, EvalProgress::BuildingIndex { .. }))
        })
        .unwrap();
        assert_eq!(events, [true, false], "built, then searched");
        assert_eq!((report.dataset.as_str(), report.split.as_str()), ("tiny", "dev"));
        assert_eq!((report.documents, report.passages, report.skipped), (3, 4, 0));
        // q1: d2 (once, by its best passage), then d1, the relevant one: nDCG 1/log2(3),
        // MRR 1/2. q2: d3 first: 1 and 1. Recall is 1 for both.
        assert_eq!(report.scores.queries, 2);
        assert!((report.scores.mean.ndcg_10 - (1.0 / 3f64.log2() + 1.0) / 2.0).abs() < 1e-9);
        assert!((report.scores.mean.mrr_10 - 0.75).abs() < 1e-9);
        assert!((report.scores.mean.recall_100 - 1.0).abs() < 1e-9);
        assert!(!report.index_reused);

        let mut events = Vec::new();
        let again = evaluate(&beir, &opts, &mut |p| {
            events.push(matches!(p, EvalProgress::BuildingIndex { .. }))
        })
        .unwrap();
        assert_eq!(events, [false]);
        assert!(again.index_reused);
        assert_eq!(again.scores, report.scores);
    }

    #[test]
    fn serializes_with_the_metric_names() {
        let tmp = tempfile::tempdir().unwrap();
        collection(tmp.path());
        let opts = EvalOptions {
            split: "dev".into(),
            cache_root: tmp.path().join("cache"),
            ..EvalOptions::default()
        };
        let report = evaluate(tmp.path(), &opts, &mut |_| {}).unwrap();
        let json = serde_json::to_value(&report).unwrap();
        for key in ["queries", "ndcg@10", "recall@100", "mrr@10", "p50_ms", "p95_ms", "p99_ms"] {
            assert!(json.get(key).is_some(), "{key} in {json}");
        }
    }
}
