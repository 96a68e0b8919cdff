//! Scaling: indexing and warm search on MedQuAD at several sizes (the first 10% of its
//! threads, the whole, and 4 and 16 copies under distinct ids), so the growth of the costs with
//! the size of the index can be seen.

use serde_json::json;

use crate::context::Ctx;
use crate::datasets::{first_queries, scaled_medquad, Dataset};
use crate::indexing::index_both;
use crate::search::{search_both, Variant};
use crate::support::report::{json_line, mib, ms, num, Table};

/// One size's headline figures.
pub struct Point {
    /// Percent of MedQuAD.
    pub percent: usize,
    /// Records indexed.
    pub records: usize,
    /// kb's median indexing wall time, milliseconds.
    pub kb_index_ms: f64,
    /// kb's median p50 with snippets, milliseconds.
    pub kb_p50_snippets_ms: f64,
}

/// Runs the sizes the options select; prints each size's index and search benchmarks, then a
/// summary table and its JSON line. Returns the points measured.
pub fn scaling(ctx: &Ctx, medquad: &Dataset) -> Result<Vec<Point>, String> {
    let runs = ctx.opts.scaling_runs;
    let queries_file = ctx.fresh("scaling/questions.jsonl")?;
    let queries = first_queries(&medquad.queries_file, ctx.opts.scaling_queries, &queries_file)?;
    let mut t = Table::new(
        format!("scaling: MedQuAD at several sizes; {queries} questions as queries; medians of {runs} runs"),
        &[
            "size", "records", "source MiB", "kb index ms", "plain index ms", "kb / plain", "kb µs/record", "kb index MiB",
            "kb RSS MiB", "kb p50 ms", "kb p50 + snippets", "plain p50 ms", "plain p50 + snippets",
        ],
    );
    let mut points = Vec::new();
    let mut rows = Vec::new();
    for &percent in &ctx.opts.scaling_sizes {
        let name = format!("scaling/{percent}%");
        if !ctx.opts.selected(&name) {
            continue;
        }
        eprintln!("e2e: {name}: writing the corpus");
        let (corpus, records) = scaled_medquad(ctx, percent)?;
        let tag = format!("scaling/{percent}pct");
        let indexed = index_both(ctx, &tag, &corpus, runs)?;
        let description = format!("MedQuAD at {percent}% ({records} threads)");
        let index_line = indexed.report(&name, &description);
        let searched = search_both(ctx, &tag, &indexed, &queries_file, runs)?;
        let search_line = searched.report(&name, &format!("{description}; {queries} questions"));
        let (kb, plain) = (indexed.kb_medians(), indexed.plain_medians());
        let p = |v| searched.median(v).p50_ms;
        t.row(vec![
            format!("{percent}%"),
            records.to_string(),
            mib(indexed.source_bytes as f64),
            ms(kb.wall_ms),
            ms(plain.wall_ms),
            num(indexed.ratio(), 2),
            num(kb.wall_ms * 1e3 / records as f64, 1),
            mib(kb.index_bytes),
            num(kb.peak_rss_kb / 1024.0, 1),
            ms(p(Variant::Kb)),
            ms(p(Variant::KbSnippets)),
            ms(p(Variant::Plain)),
            ms(p(Variant::PlainSnippets)),
        ]);
        rows.push(json!({"percent": percent, "records": records, "index": index_line, "search": search_line}));
        points.push(Point {
            percent,
            records,
            kb_index_ms: kb.wall_ms,
            kb_p50_snippets_ms: p(Variant::KbSnippets),
        });
        // The large sizes take GBs: only one size is on disk at a time.
        for dir in [&indexed.kb_dir, &indexed.plain_dir] {
            let _ = std::fs::remove_dir_all(dir);
        }
        let _ = std::fs::remove_file(&corpus);
    }
    if !points.is_empty() {
        t.print();
        json_line(
            &json!({"bench": "e2e_scaling", "queries": queries, "runs": runs, "sizes": rows}),
        );
    }
    Ok(points)
}

/// How index time per record at the largest size compares with the smallest: at most 1 when
/// the cost grows no worse than linearly.
pub fn growth(points: &[Point]) -> Option<f64> {
    let per_record = |p: &Point| p.kb_index_ms / p.records as f64;
    let (first, last) = (points.first()?, points.last()?);
    (points.len() > 1).then(|| per_record(last) / per_record(first))
}
