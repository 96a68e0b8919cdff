//! The plain-tantivy baseline: the same records as kb indexes, done the simplest way tantivy
//! allows, so the ratio kb / plain tantivy shows what kb's extra work costs.
//!
//! - one tantivy document per record: `id` (raw, stored), `title` and `text` (tantivy's
//!   built-in `en_stem` analyzer, positions, stored); a MedQuAD thread's text is its question and
//!   its answers' bodies, a BEIR article's its `text`;
//! - the writer kb uses by default: 2 threads, a 128 MiB budget shared by them;
//! - search: `QueryParser` over `title` and `text` (lenient, OR of the words), default BM25, top
//!   10, each hit's stored document loaded (to return its id); optionally a tantivy
//!   `SnippetGenerator` snippet of `text` for each hit.
//!
//! Run as `cargo bench --bench plain_tantivy -- index|search ...`; `e2e` runs the same code as a
//! child process (`e2e plain-tantivy ...`).

mod index;
mod search;

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};

use crate::support::fixtures::Fixture;
use crate::support::process::peak_rss_self_kb;
use crate::support::records::{read_queries, write_queries};
use crate::support::report::{json_line, mib, ms, num, Percentiles, Table};

pub use index::build_index;
pub use search::search_all;

/// The baseline's schema and its fields.
pub struct PlainSchema {
    /// The tantivy schema.
    pub schema: Schema,
    /// `id`: raw, stored.
    pub id: Field,
    /// `title`: `en_stem`, positions, stored.
    pub title: Field,
    /// `text`: `en_stem`, positions, stored (the snippets are cut from it).
    pub text: Field,
}

impl PlainSchema {
    /// Builds the schema.
    pub fn new() -> PlainSchema {
        let analyzed = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("en_stem")
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let title = b.add_text_field("title", analyzed.clone());
        let text = b.add_text_field("text", analyzed);
        PlainSchema { schema: b.build(), id, title, text }
    }

    /// The handles of an existing index's fields.
    pub fn of(schema: &Schema) -> Result<PlainSchema, String> {
        let field = |name| schema.get_field(name).map_err(|e| format!("not a baseline index: {e}"));
        Ok(PlainSchema {
            schema: schema.clone(),
            id: field("id")?,
            title: field("title")?,
            text: field("text")?,
        })
    }
}

const USAGE: &str = "\
usage: plain_tantivy index --index DIR [--threads N] [--memory-mb MIB] FILE.jsonl...
       plain_tantivy search --index DIR --queries FILE.jsonl [--limit N] [--snippets]

index:  builds a fresh index of the records in the JSON Lines files (MedQuAD threads or BEIR
        articles) in DIR, which must not hold an index yet; 2 threads and 128 MiB by default.
search: runs every query ({\"_id\", \"text\"} a line) one at a time, top 10 by default, and
        reports the latency percentiles; --snippets also cuts a snippet for every hit.";

/// The command line: `index` or `search`, then options. Prints a table and one JSON line.
///
/// Without a command (plain `cargo bench`, or `cargo bench -- FILTER`, which passes the filter to
/// every bench binary) it runs both on a small fixture, when the filter matches `plain_tantivy`.
pub fn main(args: &[String]) -> ExitCode {
    // `cargo bench` appends `--bench` to the arguments of every bench binary.
    let args: Vec<&str> = args.iter().map(String::as_str).filter(|a| *a != "--bench").collect();
    let result = match args.first() {
        Some(&"index") => index_command(&args[1..]),
        Some(&"search") => search_command(&args[1..]),
        Some(&"help" | &"--help" | &"-h") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => match args.iter().find(|a| !a.starts_with('-')) {
            Some(filter) if !"plain_tantivy".contains(filter) => Ok(()),
            _ => fixture_run(),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plain_tantivy: {e}");
            ExitCode::from(2)
        }
    }
}

/// Options shared by both commands, parsed by hand (the bench has no argument-parser crate).
#[derive(Default)]
struct Options {
    index: Option<PathBuf>,
    queries: Option<PathBuf>,
    threads: Option<usize>,
    memory_mb: Option<usize>,
    limit: Option<usize>,
    snippets: bool,
    files: Vec<PathBuf>,
}

fn parse_options(args: &[&str]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(&arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .map(|v| (*v).to_owned())
                .ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        let number = |v: String, name: &str| {
            v.parse::<usize>().map_err(|_| format!("{name}: not a number: {v}"))
        };
        match arg {
            "--index" => o.index = Some(value(arg)?.into()),
            "--queries" => o.queries = Some(value(arg)?.into()),
            "--threads" => o.threads = Some(number(value(arg)?, arg)?),
            "--memory-mb" => o.memory_mb = Some(number(value(arg)?, arg)?),
            "--limit" => o.limit = Some(number(value(arg)?, arg)?),
            "--snippets" => o.snippets = true,
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n\n{USAGE}"))
            }
            file => o.files.push(file.into()),
        }
    }
    Ok(o)
}

/// Both commands on the criterion benches' fixture, in a temp dir: a quick check that the
/// baseline works, and its figures on a small input.
fn fixture_run() -> Result<(), String> {
    let fixture = Fixture::load(FIXTURE_RECORDS);
    let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let (records, queries, index) = (
        tmp.path().join("records.jsonl"),
        tmp.path().join("queries.jsonl"),
        tmp.path().join("index"),
    );
    println!(
        "plain_tantivy on {} (run with `-- index ...` or `-- search ...` for other inputs)",
        fixture.description
    );
    fixture.write_jsonl(&records);
    write_queries(&queries, &fixture.queries())?;
    let text = |p: &std::path::Path| p.display().to_string();
    let (records, queries, index) = (text(&records), text(&queries), text(&index));
    index_command(&["--index", &index, &records])?;
    search_command(&["--index", &index, "--queries", &queries])?;
    search_command(&["--index", &index, "--queries", &queries, "--snippets"])
}

/// Records in the fixture run.
const FIXTURE_RECORDS: usize = 2000;

fn index_command(args: &[&str]) -> Result<(), String> {
    let o = parse_options(args)?;
    let dir = o.index.ok_or_else(|| format!("--index DIR is required\n\n{USAGE}"))?;
    if o.files.is_empty() {
        return Err(format!("no input files\n\n{USAGE}"));
    }
    let threads = o.threads.unwrap_or(2);
    let budget = o.memory_mb.unwrap_or(128) << 20;
    let f = build_index(&dir, &o.files, threads, budget)?;
    let rss = peak_rss_self_kb();
    let secs = f.wall_ms / 1e3;
    let mut t = Table::new(
        "plain tantivy: indexing",
        &["input", "records", "MiB", "wall ms", "records/s", "MiB/s", "index MiB", "peak RSS MiB"],
    );
    let inputs: Vec<String> = o.files.iter().map(|p| p.display().to_string()).collect();
    t.row(vec![
        inputs.join(" "),
        f.records.to_string(),
        mib(f.source_bytes as f64),
        ms(f.wall_ms),
        num(f.records as f64 / secs, 0),
        num(f.source_bytes as f64 / (1u64 << 20) as f64 / secs, 1),
        mib(f.index_bytes as f64),
        rss.map_or("-".into(), |kb| num(kb as f64 / 1024.0, 1)),
    ]);
    t.print();
    json_line(&json!({
        "bench": "plain_tantivy_index",
        "inputs": inputs,
        "threads": threads,
        "memory_budget_mib": budget >> 20,
        "records": f.records,
        "source_bytes": f.source_bytes,
        "wall_ms": f.wall_ms,
        "records_per_s": f.records as f64 / secs,
        "mib_per_s": f.source_bytes as f64 / (1u64 << 20) as f64 / secs,
        "index_bytes": f.index_bytes,
        "peak_rss_kb": rss,
    }));
    Ok(())
}

fn search_command(args: &[&str]) -> Result<(), String> {
    let o = parse_options(args)?;
    let dir = o.index.ok_or_else(|| format!("--index DIR is required\n\n{USAGE}"))?;
    let queries_file = o.queries.ok_or_else(|| format!("--queries FILE is required\n\n{USAGE}"))?;
    let queries = read_queries(&queries_file)?;
    let limit = o.limit.unwrap_or(10);
    let f = search_all(&dir, &queries, limit, o.snippets)?;
    let p = Percentiles::of(&f.latencies_ms);
    let rss = peak_rss_self_kb();
    let what = if o.snippets { format!("top {limit} + snippets") } else { format!("top {limit}") };
    let mut t = Table::new(
        format!("plain tantivy: search, {what}"),
        &["queries", "p50 ms", "p95 ms", "p99 ms", "queries/s", "hits", "peak RSS MiB"],
    );
    t.row(vec![
        queries.len().to_string(),
        ms(p.p50_ms),
        ms(p.p95_ms),
        ms(p.p99_ms),
        num(p.qps, 0),
        f.hits.to_string(),
        rss.map_or("-".into(), |kb| num(kb as f64 / 1024.0, 1)),
    ]);
    t.print();
    json_line(&json!({
        "bench": "plain_tantivy_search",
        "index": dir.display().to_string(),
        "queries_file": queries_file.display().to_string(),
        "queries": queries.len(),
        "limit": limit,
        "snippets": o.snippets,
        "p50_ms": p.p50_ms,
        "p95_ms": p.p95_ms,
        "p99_ms": p.p99_ms,
        "qps": p.qps,
        "hits": f.hits,
        "peak_rss_kb": rss,
    }));
    Ok(())
}
