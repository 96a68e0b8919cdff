//! Warm search: every query of a file run one at a time in one process, top 10, with and
//! without snippets, by `kb run --timings` and by the baseline's `search`; `runs` times each,
//! the medians of each run's percentiles reported.

use std::path::Path;

use serde_json::{json, Value};

use crate::context::Ctx;
use crate::indexing::Indexed;
use crate::support::process::run_measured;
use crate::support::report::{json_line, median, ms, num, Percentiles, Table};

/// Hits per query.
pub const LIMIT: usize = 10;

/// One system and mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variant {
    /// `kb run --limit 10`: ranking only (hits loaded, no highlighting).
    Kb,
    /// `kb run --limit 10 --snippets`: what `kb search` does for each hit.
    KbSnippets,
    /// The baseline, top 10, stored documents loaded.
    Plain,
    /// The baseline with tantivy's `SnippetGenerator` for each hit.
    PlainSnippets,
}

impl Variant {
    pub const ALL: [Variant; 4] =
        [Variant::Kb, Variant::KbSnippets, Variant::Plain, Variant::PlainSnippets];

    /// The name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Kb => "kb",
            Variant::KbSnippets => "kb_snippets",
            Variant::Plain => "plain",
            Variant::PlainSnippets => "plain_snippets",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Variant::Kb => "kb, top 10",
            Variant::KbSnippets => "kb, top 10 + snippets",
            Variant::Plain => "plain tantivy, top 10",
            Variant::PlainSnippets => "plain tantivy, top 10 + snippets",
        }
    }
}

/// One run of one variant.
#[derive(Debug, Clone, Copy)]
pub struct SearchRun {
    /// Latency percentiles and throughput of the queries.
    pub latency: Percentiles,
    /// Peak RSS of the process, KiB.
    pub peak_rss_kb: Option<u64>,
}

/// Every variant's runs.
pub struct Searched {
    /// Queries per run.
    pub queries: usize,
    /// Runs, by variant, in [`Variant::ALL`] order.
    pub runs: Vec<(Variant, Vec<SearchRun>)>,
}

impl Searched {
    /// The medians of a variant's runs.
    pub fn median(&self, v: Variant) -> Percentiles {
        let runs = &self.runs.iter().find(|(w, _)| *w == v).expect("every variant ran").1;
        Percentiles::median_of(&runs.iter().map(|r| r.latency).collect::<Vec<_>>())
    }

    fn median_rss_kb(&self, v: Variant) -> f64 {
        let runs = &self.runs.iter().find(|(w, _)| *w == v).expect("every variant ran").1;
        median(
            &runs.iter().map(|r| r.peak_rss_kb.map_or(f64::NAN, |k| k as f64)).collect::<Vec<_>>(),
        )
    }

    /// kb's median p50 over the baseline's, with or without snippets.
    pub fn p50_ratio(&self, snippets: bool) -> f64 {
        let (kb, plain) = if snippets {
            (Variant::KbSnippets, Variant::PlainSnippets)
        } else {
            (Variant::Kb, Variant::Plain)
        };
        self.median(kb).p50_ms / self.median(plain).p50_ms
    }

    /// Prints the table and the JSON line of the `search/{name}` benchmark; returns the line.
    pub fn report(&self, name: &str, description: &str) -> Value {
        let runs = self.runs[0].1.len();
        let mut t = Table::new(
            format!("search/{name}: {description}; warm process, one query at a time; medians of {runs} runs"),
            &["system", "queries", "p50 ms", "p95 ms", "p99 ms", "queries/s", "peak RSS MiB"],
        );
        let mut line = json!({
            "bench": "e2e_search",
            "dataset": name,
            "inputs": description,
            "queries": self.queries,
            "limit": LIMIT,
            "runs": runs,
        });
        for v in Variant::ALL {
            let m = self.median(v);
            let rss = self.median_rss_kb(v);
            t.row(vec![
                v.label().into(),
                self.queries.to_string(),
                ms(m.p50_ms),
                ms(m.p95_ms),
                ms(m.p99_ms),
                num(m.qps, 0),
                num(rss / 1024.0, 1),
            ]);
            line[v.name()] = json!({"p50_ms": m.p50_ms, "p95_ms": m.p95_ms, "p99_ms": m.p99_ms, "qps": m.qps, "peak_rss_kb": rss});
        }
        for snippets in [false, true] {
            let (kb, plain) = if snippets {
                (Variant::KbSnippets, Variant::PlainSnippets)
            } else {
                (Variant::Kb, Variant::Plain)
            };
            let (k, p) = (self.median(kb), self.median(plain));
            t.row(vec![
                format!("kb / plain{}", if snippets { ", + snippets" } else { "" }),
                String::new(),
                num(k.p50_ms / p.p50_ms, 2),
                num(k.p95_ms / p.p95_ms, 2),
                num(k.p99_ms / p.p99_ms, 2),
                num(k.qps / p.qps, 2),
                String::new(),
            ]);
        }
        line["ratio_p50"] = json!(self.p50_ratio(false));
        line["ratio_p50_snippets"] = json!(self.p50_ratio(true));
        t.print();
        json_line(&line);
        line
    }
}

/// Runs every variant `runs` times on the indexes of `indexed`.
pub fn search_both(
    ctx: &Ctx,
    tag: &str,
    indexed: &Indexed,
    queries_file: &Path,
    runs: usize,
) -> Result<Searched, String> {
    let mut out: Vec<(Variant, Vec<SearchRun>)> =
        Variant::ALL.iter().map(|v| (*v, Vec::new())).collect();
    let mut queries = 0;
    for run in 0..runs {
        eprintln!("e2e: {tag}: searching, run {}/{runs}", run + 1);
        for (v, results) in &mut out {
            let (r, n) = match v {
                Variant::Kb | Variant::KbSnippets => {
                    kb_run(ctx, tag, &indexed.kb_dir, queries_file, *v == Variant::KbSnippets)?
                }
                Variant::Plain | Variant::PlainSnippets => plain_search(
                    ctx,
                    &indexed.plain_dir,
                    queries_file,
                    *v == Variant::PlainSnippets,
                )?,
            };
            queries = n;
            results.push(r);
        }
    }
    Ok(Searched { queries, runs: out })
}

/// `kb run --queries FILE --limit 10 --timings T [--snippets]`: the latencies are read from the
/// timings file, at full precision.
fn kb_run(
    ctx: &Ctx,
    tag: &str,
    index: &Path,
    queries: &Path,
    snippets: bool,
) -> Result<(SearchRun, usize), String> {
    let timings = ctx.fresh(&format!("{tag}/timings.tsv"))?;
    let run_file = ctx.fresh(&format!("{tag}/run.trec"))?;
    let mut cmd = ctx.kb(index);
    cmd.arg("run").arg("--queries").arg(queries).arg("--limit").arg(LIMIT.to_string());
    cmd.arg("--out").arg(&run_file).arg("--timings").arg(&timings);
    if snippets {
        cmd.arg("--snippets");
    }
    let done = run_measured(&mut cmd)?.check("kb run")?;
    let text =
        std::fs::read_to_string(&timings).map_err(|e| format!("{}: {e}", timings.display()))?;
    let latencies = text
        .lines()
        .map(|l| {
            l.rsplit('\t')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or_else(|| format!("{}: bad line {l:?}", timings.display()))
        })
        .collect::<Result<Vec<f64>, String>>()?;
    let n = latencies.len();
    Ok((SearchRun { latency: Percentiles::of(&latencies), peak_rss_kb: done.peak_rss_kb }, n))
}

/// The baseline's `search --index DIR --queries FILE --limit 10 [--snippets]`.
fn plain_search(
    ctx: &Ctx,
    index: &Path,
    queries: &Path,
    snippets: bool,
) -> Result<(SearchRun, usize), String> {
    let mut cmd = ctx.plain();
    cmd.arg("search")
        .arg("--index")
        .arg(index)
        .arg("--queries")
        .arg(queries)
        .arg("--limit")
        .arg(LIMIT.to_string());
    if snippets {
        cmd.arg("--snippets");
    }
    let done = run_measured(&mut cmd)?.check("plain search")?;
    let line = done.json_line()?;
    let f = |k: &str| line[k].as_f64().ok_or_else(|| format!("plain search: no {k:?}"));
    let latency = Percentiles {
        p50_ms: f("p50_ms")?,
        p95_ms: f("p95_ms")?,
        p99_ms: f("p99_ms")?,
        qps: f("qps")?,
    };
    Ok((SearchRun { latency, peak_rss_kb: done.peak_rss_kb }, f("queries")? as usize))
}
