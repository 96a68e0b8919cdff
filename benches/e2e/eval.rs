//! `kb eval DIR` as users run it, on a fresh cache each run: ranking quality as a check that
//! the speed is not bought with worse results, and its own timings (indexing in-process, then
//! every judged query, top 100 documents without snippets as evaluation needs).

use std::path::Path;

use serde_json::{json, Value};

use crate::context::Ctx;
use crate::support::process::run_measured;
use crate::support::report::{json_line, median, ms, num, Table};

/// The figures taken from `kb eval --json`, and the process's.
const FIELDS: [&str; 8] =
    ["ndcg@10", "recall@100", "mrr@10", "p50_ms", "p95_ms", "p99_ms", "search_ms", "index_ms"];

/// Runs `kb eval DIR --json` `runs` times, each with a fresh cache; prints the table and the
/// JSON line of the `eval/{name}` benchmark and returns the line.
pub fn eval(ctx: &Ctx, name: &str, dir: &Path, runs: usize) -> Result<Value, String> {
    let mut reports: Vec<Value> = Vec::new();
    let mut walls = Vec::new();
    let mut rss = Vec::new();
    for run in 0..runs {
        eprintln!("e2e: eval/{name}: run {}/{runs}", run + 1);
        let cache = ctx.fresh(&format!("{name}/eval-cache"))?;
        // `kb eval` does not read --index; the cache holds the index it builds.
        let unused_index = ctx.work.join("unused-index");
        let mut cmd = ctx.kb(&unused_index);
        cmd.arg("eval").arg(dir).arg("--json").arg("--cache").arg(&cache);
        let done = run_measured(&mut cmd)?.check("kb eval")?;
        let report: Value = serde_json::from_str(&done.stdout)
            .map_err(|e| format!("kb eval --json: {e}:\n{}", done.stdout))?;
        if report["index_reused"].as_bool() != Some(false) {
            return Err(format!("kb eval reused an index in the fresh cache {}", cache.display()));
        }
        walls.push(done.wall_ms);
        rss.push(done.peak_rss_kb.map_or(f64::NAN, |k| k as f64));
        reports.push(report);
    }
    let med = |k: &str| median(&reports.iter().filter_map(|r| r[k].as_f64()).collect::<Vec<_>>());
    let queries = reports[0]["queries"].as_u64().unwrap_or(0);
    let mut t = Table::new(
        format!("eval/{name}: kb eval {} (fresh cache), {queries} test queries, top 100 without snippets; medians of {runs} runs", dir.display()),
        &["nDCG@10", "Recall@100", "MRR@10", "p50 ms", "p95 ms", "p99 ms", "queries/s", "index ms", "process ms", "peak RSS MiB"],
    );
    let qps = queries as f64 / (med("search_ms") / 1e3);
    t.row(vec![
        num(med("ndcg@10"), 4),
        num(med("recall@100"), 4),
        num(med("mrr@10"), 4),
        ms(med("p50_ms")),
        ms(med("p95_ms")),
        ms(med("p99_ms")),
        num(qps, 0),
        ms(med("index_ms")),
        ms(median(&walls)),
        num(median(&rss) / 1024.0, 1),
    ]);
    t.print();
    let mut line = json!({"bench": "e2e_eval", "dataset": name, "dir": dir.display().to_string(), "queries": queries, "runs": runs});
    for k in FIELDS {
        line[k] = json!(med(k));
    }
    line["qps"] = json!(qps);
    line["process_wall_ms"] = json!(median(&walls));
    line["peak_rss_kb"] = json!(median(&rss));
    json_line(&line);
    Ok(line)
}
