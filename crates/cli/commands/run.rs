//! `kb run`: a batch of queries in one process, written as a TREC run file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use kb::SearchOptions;
use kb_eval::{
    eval_search_options, rank_with, read_query_file, run_with, write_run, Latency, RUN_TAG,
};

use super::search::ensure_index;
use super::EXIT_OK;
use crate::args::RunArgs;

pub fn run(index_dir: &Path, args: RunArgs) -> anyhow::Result<u8> {
    let queries = read_query_file(&args.queries)?;
    ensure_index(index_dir, args.corpus.as_deref())?;
    let kb = super::open(index_dir, args.model.as_deref())?;
    let mut opts = SearchOptions { snippets: args.snippets, ..eval_search_options(args.limit) };
    opts.feedback.weight = args.feedback;
    opts.semantic.weight = args.semantic;
    args.dense.apply(&mut opts.semantic);
    if opts.semantic.weight > 0.0 && kb.semantic_model()?.is_some() {
        crate::model::announce_download_for(&kb);
    }
    let timed =
        run_with(&queries, &mut |query| rank_with(query, &mut |text| kb.search(text, &opts)))?;
    if let Some(path) = &args.timings {
        let mut lines = String::new();
        for (query, ms) in queries.iter().zip(&timed.latencies_ms) {
            lines.push_str(&format!("{}\t{ms:.6}\n", query.id));
        }
        std::fs::write(path, lines).with_context(|| format!("cannot write {}", path.display()))?;
    }
    // Rendered whole before anything is written, so a run that cannot be written in the
    // format (an id with a space) leaves no half-written file behind.
    let mut text = Vec::new();
    write_run(&mut text, &timed.run, RUN_TAG)?;
    match &args.out {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&text)?;
            out.flush()?;
        }
    }
    if super::quiet() {
        return Ok(EXIT_OK);
    }
    let latency = Latency::of(&timed.latencies_ms);
    let total: f64 = timed.latencies_ms.iter().sum();
    eprintln!(
        "kb: ran {} queries in {total:.0} ms (p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms){}",
        queries.len(),
        latency.p50_ms,
        latency.p95_ms,
        latency.p99_ms,
        args.out.as_ref().map_or_else(String::new, |p| format!("; run written to {}", p.display()))
    );
    Ok(EXIT_OK)
}
