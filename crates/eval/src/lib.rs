//! kb's ranking measurement: how good and how fast kb's search is, on public test collections
//! or on a team's own judged queries.
//!
//! - [`BeirFolder`], [`read_beir_queries`], [`Qrels`]: BEIR collections (`corpus.jsonl`,
//!   `queries.jsonl`, `qrels/<split>.tsv`);
//! - [`metrics`]: nDCG@k, Recall@k and MRR@k with trec_eval's definitions;
//! - [`Ranking`]: one query's documents in trec_eval's order, each scored by its best passage;
//! - [`write_run`] / [`read_run`]: TREC run files, for scoring kb with other tools;
//! - [`rank`] / [`run_queries`]: the ranking step, through `kb-query`;
//! - [`evaluate`]: the whole `kb eval`, with the index of the corpus cached by its content
//!   ([`ensure_index`]).
//!
//! Scoring a run by hand:
//!
//! ```
//! use std::path::Path;
//! use kb_eval::{score_run, Qrels, Ranking, Run};
//!
//! let qrels = Qrels::parse(Path::new("qrels/test.tsv"), "query-id\tcorpus-id\tscore\r\nq1\td2\t1\r\n")?;
//! let mut run = Run::default();
//! run.insert("q1", Ranking::from_scores([("d1".to_string(), 2.0), ("d2".to_string(), 1.0)]));
//! let scores = score_run(&qrels, &run);
//! assert_eq!(scores.mean.mrr_10, 0.5); // the relevant document is second
//! # Ok::<(), kb_eval::EvalError>(())
//! ```
#![deny(missing_docs)]

mod beir;
mod cache;
mod error;
mod evaluate;
mod input;
pub mod latency;
pub mod metrics;
mod qrels;
mod queries;
mod ranking;
mod retrieval;
mod run_file;

pub use beir::BeirFolder;
pub use cache::{cache_dir_name, ensure_index, CachedIndex};
pub use error::EvalError;
pub use evaluate::{evaluate, EvalOptions, EvalProgress, EvalReport};
pub use latency::Latency;
pub use metrics::{score_run, QueryScores, RunScores};
pub use qrels::{JudgedQuery, Judgments, Qrels};
pub use queries::{
    parse_beir_queries, parse_query_lines, read_beir_queries, read_query_file, Query,
};
pub use ranking::{Ranking, ScoredDoc};
pub use retrieval::{eval_search_options, rank, rank_with, run_queries, run_with, TimedRun};
pub use run_file::{parse_run, read_run, write_run, Run, RUN_TAG};
