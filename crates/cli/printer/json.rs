//! JSON output for tools. These shapes are a contract: fields may be added, never changed.
//!
//! The library owns them: `kb search`, `kb index`, `kb stats` and `kb show` print the `kb`
//! library's [`SearchResults`], [`IndexReport`], [`Stats`] and [`PassageList`] exactly as they
//! serialize, so a tool calling the library and a tool reading this output see the same
//! objects. What follows documents them in one place.
//!
//! # `kb search --json`
//!
//! One JSON object:
//!
//! ```text
//! {
//!   "query": "botox results",          // the query as given
//!   "total": 7,                        // passages that matched (before grouping and --limit)
//!   "total_relation": "eq",            // "eq": total is exact (always below 10,000 matches,
//!                                      // and with --exact-total); "gte": at least total
//!   "took_ms": 0.84,                   // search time in milliseconds
//!   "hits": [
//!     {
//!       "rank": 1,                     // 1-based
//!       "score": 6.27,                 // relevance, comparable within one response only
//!       "doc_id": "calf-reduction",    // stable document id
//!       "doc_title": "Calf Reduction", // for an answer: its question's title
//!       "kind": "article",             // "article" | "question" | "answer" | "code"
//!       "passage_id": "calf-reduction#3", // `kb show` resolves it
//!       "heading": "TheConsultation explains Calf Reduction", // or null
//!       "text": "Botox injections are not permanent, …", // the whole passage
//!       "snippet": "<mark>Botox</mark> injections …", // best fragment, HTML-escaped, matches
//!                                      // in <mark>…</mark>, "…" where the passage was cut
//!       "highlights": [[0, 5], [180, 187]], // byte ranges [start, end) into "text"
//!       "source": { "path": "corpus/calf-reduction.txt", "line": 12 }, // 1-based line
//!       "question": null,              // for an answer: {"passage_id", "title"} of its question
//!       "explain": {                   // only with --explain: how the score was made, a tree
//!         "score": 6.27, "what": "sum of", // each node: its share of the score and what it is
//!         "parts": [{"score": 4.1, "what": "word \"botox\"", "parts": [...]}, ...]
//!       }                              // ("parts" left out on leaves)
//!     }
//!   ],
//!   "did_you_mean": null               // or a corrected query, when little was found
//! }
//! ```
//!
//! # `kb index --json`
//!
//! `{"added", "changed", "removed", "unchanged", "skipped": [{"path", "line"?, "reason",
//! "kind"}], "documents", "passages", "took_ms"}`: file counts of this run, then the totals in
//! the index after it; `skipped` lists whole files and single records (with their line) not
//! indexed; `kind` is `"failure"` (exit status 2) or `"by_design"` for a file kb does not read by
//! design (not a document type, empty, a special file, a link leading outside the folder).
//! Also `"bytes_read"` and `"committed"` (false when the index was already up to date).
//!
//! # `kb stats --json`
//!
//! `{"documents", "passages", "by_kind": {"article", "question", "answer", "code"}, "dropped":
//! {"boilerplate", "duplicates"}, "files", "index_bytes"}` (`dropped`: passages left out as
//! text repeated across a folder's documents, or as copies of a more specific document's);
//! with `--files`, also `"file_list": [{"path", "documents", "passages", "boilerplate",
//! "duplicates", "skipped": [{"path", "line"?, "reason", "kind"}]}]`; `index_bytes` counts the committed
//! index only (`meta.json` and the segment files it lists).
//!
//! # `kb show ID --json`
//!
//! `{"passages": [{"passage_id", "doc_id", "doc_title", "kind", "heading", "position", "text",
//! "source": {"path", "line"}}]}`: one passage for a passage id, all of a document's for a
//! document id.
//!
//! # `kb eval DIR --json`
//!
//! ```text
//! {
//!   "dataset": "scifact",              // the folder's name
//!   "split": "test",                   // whose qrels/<split>.tsv
//!   "queries": 300,                    // judged queries, all run; the means are over them
//!   "ndcg@10": 0.665,                  // trec_eval ndcg_cut.10 (gain = grade)
//!   "recall@100": 0.908,               // trec_eval recall.100
//!   "mrr@10": 0.63,                    // reciprocal rank of the first relevant doc in the top 10
//!   "p50_ms": 1.2, "p95_ms": 3.4, "p99_ms": 5.6, // per-query latency, nearest-rank percentiles
//!   "search_ms": 420.0,                // all queries, wall time
//!   "documents": 5183, "passages": 21000, // in the index
//!   "skipped": 0,                      // corpus records that could not be indexed
//!   "index_dir": ".kb-eval/scifact-0123456789abcdef", // cached by the corpus's content
//!   "index_reused": true,              // false when it was built by this run
//!   "index_ms": 12.0                   // building it, or checking it for reuse
//! }
//! ```

use std::io::Write;

use kb::{IndexReport, PassageList, SearchResults, Stats};
use kb_eval::EvalReport;
use serde::Serialize;

use crate::paths::display_path;

/// Writes `kb search --json`: the library's [`SearchResults`] as they serialize.
pub fn write_search(out: &mut impl Write, results: &SearchResults) -> std::io::Result<()> {
    write_line(out, results)
}

/// Writes `kb index --json`: the library's [`IndexReport`] as it serializes.
pub fn write_index_report(out: &mut impl Write, report: &IndexReport) -> std::io::Result<()> {
    write_line(out, report)
}

/// Writes `kb stats --json`: the library's [`Stats`] as they serialize (with `file_list` when
/// the stats hold it, `kb stats --files`).
pub fn write_stats(out: &mut impl Write, stats: &Stats) -> std::io::Result<()> {
    write_line(out, stats)
}

/// Writes `kb show --json`: the library's [`PassageList`] as it serializes.
pub fn write_passages(out: &mut impl Write, passages: &PassageList) -> std::io::Result<()> {
    write_line(out, passages)
}

/// Writes `kb eval --json`.
pub fn write_eval(out: &mut impl Write, r: &EvalReport) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Output<'a> {
        dataset: &'a str,
        split: &'a str,
        queries: usize,
        #[serde(rename = "ndcg@10")]
        ndcg_10: f64,
        #[serde(rename = "recall@100")]
        recall_100: f64,
        #[serde(rename = "mrr@10")]
        mrr_10: f64,
        p50_ms: f64,
        p95_ms: f64,
        p99_ms: f64,
        search_ms: f64,
        documents: u64,
        passages: u64,
        skipped: usize,
        index_dir: String,
        index_reused: bool,
        index_ms: f64,
    }
    write_line(
        out,
        &Output {
            dataset: &r.dataset,
            split: &r.split,
            queries: r.scores.queries,
            ndcg_10: r.scores.mean.ndcg_10,
            recall_100: r.scores.mean.recall_100,
            mrr_10: r.scores.mean.mrr_10,
            p50_ms: r.latency.p50_ms,
            p95_ms: r.latency.p95_ms,
            p99_ms: r.latency.p99_ms,
            search_ms: r.search_ms,
            documents: r.documents,
            passages: r.passages,
            skipped: r.skipped,
            index_dir: display_path(&r.index_dir.to_string_lossy()),
            index_reused: r.index_reused,
            index_ms: r.index_ms,
        },
    )
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}
