//! `kb search` as a whole process on an existing index: start-up, opening the index, the search
//! with snippets and printing, as a user at a shell waits for it. The binary and the index are
//! in the page cache (one unmeasured run first); the process itself starts cold every time.

use std::path::Path;

use serde_json::{json, Value};

use crate::context::Ctx;
use crate::support::process::run_measured;
use crate::support::report::{json_line, median, ms, num, percentile, Table};

/// Queries for the bundled corpus (calf reduction, nerve blocks).
pub const CORPUS_QUERIES: &[&str] = &[
    "calf reduction",
    "how long before botox results are visible",
    "nerve block calves",
    "permanent results",
];

/// Queries for MedQuAD (health questions).
pub const MEDQUAD_QUERIES: &[&str] = &[
    "what are the symptoms of glaucoma",
    "how is type 2 diabetes treated",
    "high blood pressure causes",
    "leukemia in adults",
];

/// Queries of stop words only for MedQuAD: no word of theirs is a term of the `kb_en` fields,
/// so they are answered from the passage text's stop-word postings (issue 14, item 6: they
/// once read every stored passage, 1.1-1.4 s a search).
pub const MEDQUAD_STOP_WORD_QUERIES: &[&str] =
    &["what is the", "What is (are) ?", "to be or not to be", "how do i"];

/// Runs `kb --index DIR search QUERY` `runs` times for each query; prints the table and the JSON
/// line of the `process/{name}` benchmark and returns the line.
pub fn search_process(
    ctx: &Ctx,
    name: &str,
    description: &str,
    index: &Path,
    queries: &[&str],
    runs: usize,
) -> Result<Value, String> {
    let search = |q: &str| {
        let mut cmd = ctx.kb(index);
        cmd.arg("search").arg(q).arg("--limit").arg("10").arg("--color").arg("never");
        let done = run_measured(&mut cmd)?;
        // 0: hits, 1: no hits; both are a complete search.
        match done.status.code() {
            Some(0 | 1) => Ok(done),
            _ => Err(format!("kb search {q:?} failed ({}):\n{}", done.status, done.stderr)),
        }
    };
    search(queries[0])?;
    let (mut walls, mut rss) = (Vec::new(), Vec::new());
    for run in 0..runs {
        eprintln!("e2e: process/{name}: run {}/{runs}", run + 1);
        for q in queries {
            let done = search(q)?;
            walls.push(done.wall_ms);
            rss.push(done.peak_rss_kb.map_or(f64::NAN, |k| k as f64));
        }
    }
    let mut t = Table::new(
        format!("process/{name}: kb search (whole process, top 10 with snippets) on {description}; {} runs x {} queries", runs, queries.len()),
        &["searches", "median ms", "p95 ms", "max ms", "peak RSS MiB (median)", "peak RSS MiB (max)"],
    );
    let max = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
    t.row(vec![
        walls.len().to_string(),
        ms(median(&walls)),
        ms(percentile(&walls, 95.0)),
        ms(max(&walls)),
        num(median(&rss) / 1024.0, 1),
        num(max(&rss) / 1024.0, 1),
    ]);
    t.print();
    let line = json!({
        "bench": "e2e_process",
        "dataset": name,
        "index": index.display().to_string(),
        "queries": queries,
        "runs": runs,
        "wall_ms": median(&walls),
        "wall_ms_p95": percentile(&walls, 95.0),
        "wall_ms_max": max(&walls),
        "peak_rss_kb": median(&rss),
        "peak_rss_kb_max": max(&rss),
    });
    json_line(&line);
    Ok(line)
}
