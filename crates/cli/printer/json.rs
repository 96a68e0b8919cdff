//! JSON output for tools. These shapes are a contract: fields may be added, never changed.
//!
//! # `kb search --json`
//!
//! One JSON object:
//!
//! ```text
//! {
//!   "query": "botox results",          // the query as given
//!   "total": 7,                        // passages that matched (before grouping and --limit)
//!   "took_ms": 0.84,                   // search time in milliseconds
//!   "hits": [
//!     {
//!       "rank": 1,                     // 1-based
//!       "score": 6.27,                 // relevance, comparable within one response only
//!       "doc_id": "calf-reduction",    // stable document id
//!       "doc_title": "Calf Reduction", // for an answer: its question's title
//!       "kind": "article",             // "article" | "question" | "answer"
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
//! `{"documents", "passages", "by_kind": {"article", "question", "answer"}, "files",
//! "index_bytes"}`; with `--files`, also `"file_list": [{"path", "documents", "passages",
//! "skipped": [{"path", "line"?, "reason", "kind"}]}]`; `index_bytes` counts the committed
//! index only (`meta.json` and the segment files it lists).
//!
//! # `kb show ID --json`
//!
//! `{"passages": [{"passage_id", "doc_id", "doc_title", "kind", "heading", "position", "text",
//! "source": {"path", "line"}}]}`.
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

use kb_eval::EvalReport;
use kb_indexer::IndexReport;
use kb_query::{IndexStats, SearchResults};
use kb_schema::{Passage, SkipRecord};
use serde::Serialize;

use crate::paths::display_path;

#[derive(Serialize)]
struct SearchOutput<'a> {
    query: &'a str,
    total: usize,
    took_ms: f64,
    hits: Vec<HitOutput<'a>>,
    did_you_mean: Option<&'a str>,
}

#[derive(Serialize)]
struct HitOutput<'a> {
    rank: usize,
    score: f32,
    doc_id: &'a str,
    doc_title: &'a str,
    kind: &'a str,
    passage_id: &'a str,
    heading: Option<&'a str>,
    text: &'a str,
    snippet: String,
    highlights: Vec<[usize; 2]>,
    source: SourceOutput,
    question: Option<&'a kb_query::QuestionRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<&'a kb_query::Explanation>,
}

#[derive(Serialize)]
struct SourceOutput {
    path: String,
    line: u32,
}

impl SourceOutput {
    fn new(source: &kb_schema::SourceRef) -> Self {
        SourceOutput { path: display_path(&source.path), line: source.line }
    }
}

/// Writes `kb search --json`.
pub fn write_search(out: &mut impl Write, results: &SearchResults) -> std::io::Result<()> {
    let output = SearchOutput {
        query: &results.query,
        total: results.total,
        took_ms: results.took_ms,
        hits: results
            .hits
            .iter()
            .map(|h| HitOutput {
                rank: h.rank,
                score: h.score,
                doc_id: &h.doc_id,
                doc_title: &h.doc_title,
                kind: h.kind.as_str(),
                passage_id: &h.passage_id,
                heading: h.heading.as_deref(),
                text: &h.text,
                snippet: html_snippet(&h.snippet.text, &h.snippet.highlights),
                highlights: h.highlights.iter().map(|r| [r.start, r.end]).collect(),
                source: SourceOutput::new(&h.source),
                question: h.question.as_ref(),
                explain: h.explanation.as_ref(),
            })
            .collect(),
        did_you_mean: results.did_you_mean.as_deref(),
    };
    write_line(out, &output)
}

/// The snippet as HTML: text escaped, each highlight wrapped in `<mark>`.
pub fn html_snippet(text: &str, highlights: &[std::ops::Range<usize>]) -> String {
    let mut html = String::with_capacity(text.len() + highlights.len() * 13);
    let mut at = 0;
    for r in highlights {
        if r.start < at || r.end > text.len() {
            continue;
        }
        escape_into(&mut html, &text[at..r.start]);
        html.push_str("<mark>");
        escape_into(&mut html, &text[r.clone()]);
        html.push_str("</mark>");
        at = r.end;
    }
    escape_into(&mut html, &text[at..]);
    html
}

fn escape_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

#[derive(Serialize)]
struct SkipOutput {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    reason: String,
    /// `"failure"`, or `"by_design"` for a file kb does not read by design (not an error).
    kind: kb_schema::SkipKind,
}

fn skips(list: &[SkipRecord]) -> Vec<SkipOutput> {
    list.iter()
        .map(|s| SkipOutput {
            path: display_path(&s.path),
            line: s.line,
            reason: s.reason.clone(),
            kind: s.kind,
        })
        .collect()
}

/// Writes `kb index --json`.
pub fn write_index_report(out: &mut impl Write, r: &IndexReport) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Output {
        added: u64,
        changed: u64,
        removed: u64,
        unchanged: u64,
        skipped: Vec<SkipOutput>,
        documents: u64,
        passages: u64,
        took_ms: f64,
        bytes_read: u64,
        committed: bool,
    }
    write_line(
        out,
        &Output {
            added: r.added,
            changed: r.changed,
            removed: r.removed,
            unchanged: r.unchanged,
            skipped: skips(&r.skipped),
            documents: r.documents,
            passages: r.passages,
            took_ms: r.took_ms,
            bytes_read: r.bytes_read,
            committed: r.committed,
        },
    )
}

/// Writes `kb stats --json`.
pub fn write_stats(out: &mut impl Write, s: &IndexStats, files: bool) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct FileOutput {
        path: String,
        documents: u64,
        passages: u64,
        skipped: Vec<SkipOutput>,
    }
    #[derive(Serialize)]
    struct Output<'a> {
        documents: u64,
        passages: u64,
        by_kind: &'a kb_query::KindCounts,
        files: u64,
        index_bytes: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        file_list: Option<Vec<FileOutput>>,
    }
    let file_list = files.then(|| {
        s.file_list
            .iter()
            .map(|f| FileOutput {
                path: display_path(&f.path),
                documents: f.documents,
                passages: f.passages,
                skipped: skips(&f.skipped),
            })
            .collect()
    });
    write_line(
        out,
        &Output {
            documents: s.documents,
            passages: s.passages,
            by_kind: &s.by_kind,
            files: s.files,
            index_bytes: s.index_bytes,
            file_list,
        },
    )
}

/// Writes `kb show --json`.
pub fn write_passages(out: &mut impl Write, passages: &[Passage]) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct PassageOutput<'a> {
        passage_id: &'a str,
        doc_id: &'a str,
        doc_title: &'a str,
        kind: &'a str,
        heading: Option<&'a str>,
        position: u32,
        text: &'a str,
        source: SourceOutput,
    }
    #[derive(Serialize)]
    struct Output<'a> {
        passages: Vec<PassageOutput<'a>>,
    }
    let passages = passages
        .iter()
        .map(|p| PassageOutput {
            passage_id: &p.id,
            doc_id: &p.doc_id,
            doc_title: &p.doc_title,
            kind: p.kind.as_str(),
            heading: p.heading.as_deref(),
            position: p.position,
            text: &p.text,
            source: SourceOutput::new(&p.source),
        })
        .collect();
    write_line(out, &Output { passages })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_html_escapes_and_marks() {
        let text = "a <b> & \"Botox\" calves";
        let html = html_snippet(text, &[9..14, 16..22]);
        assert_eq!(html, "a &lt;b&gt; &amp; &quot;<mark>Botox</mark>&quot; <mark>calves</mark>");
    }
}
