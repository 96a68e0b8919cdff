//! The end-to-end benchmark: the release `kb` binary and the plain-tantivy baseline run as
//! child processes on fresh index folders, `--runs` times each (default 5), medians reported.
//! BENCHMARKS.md describes each benchmark and its results.
//!
//! - `index/{medquad,scifact,nfcorpus}`: `kb index FILE` vs the baseline: wall time,
//!   documents/s, MB/s, peak RSS, index size; the ratio kb / plain.
//! - `search/{medquad,scifact,nfcorpus}`: warm search, every query one at a time in one
//!   process (`kb run --timings`, the baseline's `search`), top 10 with and without snippets:
//!   p50 / p95 / p99, queries/s; the ratios kb / plain.
//! - `eval/{scifact,nfcorpus}`: `kb eval` on a fresh cache: its quality and speed figures.
//! - `process/{corpus,medquad}`: `kb search` as a whole process: wall time and peak RSS;
//!   on MedQuAD also for queries of stop words only (`medquad-stop-words`).
//! - `scaling/{10,100,400,1600}%`: indexing and search on MedQuAD at several sizes.
//! - last, the targets of the issue, met or not.
//!
//! Inputs come from `../shared/eval` (`$KB_EVAL_DIR`, `--eval-dir`); what is absent is skipped
//! and said so. `cargo bench --bench e2e -- --help` lists the options. Each benchmark prints a
//! table and one JSON line (`{"bench": "e2e_...", ...}`).

mod baseline;
mod support;

#[path = "e2e/context.rs"]
mod context;
#[path = "e2e/datasets.rs"]
mod datasets;
#[path = "e2e/eval.rs"]
mod eval;
#[path = "e2e/indexing.rs"]
mod indexing;
#[path = "e2e/machine.rs"]
mod machine;
#[path = "e2e/options.rs"]
mod options;
#[path = "e2e/process.rs"]
mod process;
#[path = "e2e/scaling.rs"]
mod scaling;
#[path = "e2e/search.rs"]
mod search;
#[path = "e2e/targets.rs"]
mod targets;

use std::process::ExitCode;

use context::Ctx;
use datasets::Dataset;
use options::{Options, USAGE};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The baseline runs as a child process of this same binary (see `Ctx::plain`).
    if args.first().is_some_and(|a| a == "plain-tantivy") {
        return baseline::main(&args[1..]);
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match Options::parse(&args).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(opts: Options) -> Result<(), String> {
    if !opts.benchmarks().iter().any(|b| opts.selected(b)) {
        // `cargo bench -- FILTER` passes the filter to every bench binary: nothing of ours matches.
        return Ok(());
    }
    if !opts.kb.is_file() {
        return Err(format!(
            "no kb binary at {} (build it with `cargo build --release`)",
            opts.kb.display()
        ));
    }
    machine::describe(&opts.kb);
    let mut ctx = Ctx::new(opts)?;
    eprintln!("e2e: work folder {}", ctx.work.display());

    let medquad = datasets::medquad(&ctx)?;
    match &medquad {
        Some(ds) => dataset(&mut ctx, ds)?,
        None => skip(&ctx, "medquad", "medquad/medquad-qa.jsonl"),
    }
    for name in ["scifact", "nfcorpus"] {
        match datasets::beir(&ctx, name)? {
            Some(ds) => dataset(&mut ctx, &ds)?,
            None => skip(&ctx, name, &format!("{name}/corpus.jsonl and {name}/qrels/test.tsv")),
        }
    }
    if ctx.opts.selected("process/corpus") {
        let corpus = support::fixtures::repo_root().join("corpus");
        let index = ctx.fresh("corpus/kb-index")?;
        indexing::kb_index(&ctx, &corpus, &index)?;
        let line = process::search_process(
            &ctx,
            "corpus",
            "the bundled corpus/",
            &index,
            process::CORPUS_QUERIES,
            ctx.opts.runs,
        )?;
        ctx.figures.process_corpus_ms = line["wall_ms"].as_f64();
    }
    if let Some(ds) = &medquad {
        let points = scaling::scaling(&ctx, ds)?;
        ctx.figures.scaling_growth = scaling::growth(&points);
        ctx.figures.scaling_p50_largest = points.last().map(|p| (p.kb_p50_snippets_ms, p.percent));
    }
    ctx.figures.report();
    // A busy machine (other builds) slows everything: say how busy it was at the end too.
    let load = machine::load_average();
    println!("\nload average at the end: {load}");
    support::report::json_line(&serde_json::json!({"bench": "e2e_end", "load_average": load}));
    Ok(())
}

/// The index, search, eval and process benchmarks of one dataset, as selected.
fn dataset(ctx: &mut Ctx, ds: &Dataset) -> Result<(), String> {
    let name = ds.name;
    let (index, search, eval, process) = (
        ctx.opts.selected(&format!("index/{name}")),
        ctx.opts.selected(&format!("search/{name}")),
        ctx.opts.selected(&format!("eval/{name}")) && name != "medquad",
        ctx.opts.selected(&format!("process/{name}")) && name == "medquad",
    );
    if index || search || process {
        // The search benchmarks need indexes; when indexing is not benchmarked, one run builds them.
        let runs = if index { ctx.opts.runs } else { 1 };
        let indexed = indexing::index_both(ctx, name, &ds.corpus, runs)?;
        if index {
            let line = indexed.report(name, &ds.description);
            if name == "medquad" {
                ctx.figures.medquad_index_ratio = line["ratio_wall"].as_f64();
                ctx.figures.medquad_index_rss_mib =
                    line["kb"]["peak_rss_kb"].as_f64().map(|k| k / 1024.0);
            }
        }
        if search {
            let searched =
                search::search_both(ctx, name, &indexed, &ds.queries_file, ctx.opts.runs)?;
            searched.report(name, &ds.description);
            if name == "medquad" {
                let with = searched.median(search::Variant::KbSnippets);
                ctx.figures.medquad_p50_snippets_ms = Some(with.p50_ms);
                ctx.figures.medquad_p99_snippets_ms = Some(with.p99_ms);
                ctx.figures.medquad_p50_ratio_snippets = Some(searched.p50_ratio(true));
                ctx.figures.medquad_p50_ratio = Some(searched.p50_ratio(false));
            }
            if name == "scifact" {
                // Long queries: SciFact's test claims, 10 to 20 words each.
                let with = searched.median(search::Variant::KbSnippets);
                ctx.figures.scifact_p50_snippets_ms = Some(with.p50_ms);
                ctx.figures.scifact_p99_snippets_ms = Some(with.p99_ms);
                ctx.figures.scifact_p50_ratio_snippets = Some(searched.p50_ratio(true));
            }
        }
        if process {
            let line = process::search_process(
                ctx,
                name,
                "MedQuAD",
                &indexed.kb_dir,
                process::MEDQUAD_QUERIES,
                ctx.opts.runs,
            )?;
            ctx.figures.process_medquad_ms = line["wall_ms"].as_f64();
            let line = process::search_process(
                ctx,
                "medquad-stop-words",
                "MedQuAD, queries of stop words only",
                &indexed.kb_dir,
                process::MEDQUAD_STOP_WORD_QUERIES,
                ctx.opts.runs,
            )?;
            ctx.figures.process_medquad_stop_words_ms = line["wall_ms"].as_f64();
        }
    }
    if eval {
        eval::eval(ctx, name, &ctx.opts.eval_dir.join(name), ctx.opts.runs)?;
    }
    Ok(())
}

/// Says that a dataset's benchmarks were skipped because its files are absent.
fn skip(ctx: &Ctx, name: &str, files: &str) {
    let wanted = ["index/", "search/", "eval/", "process/"]
        .iter()
        .any(|p| ctx.opts.selected(&format!("{p}{name}")));
    if wanted {
        println!("\n{name}: skipped, no {files} under {}", ctx.opts.eval_dir.display());
        support::report::json_line(
            &serde_json::json!({"bench": "e2e_skipped", "dataset": name, "missing": files}),
        );
    }
}
