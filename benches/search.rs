//! Search latency on a fixture index: `Searcher::search` for the top 10 with snippets (what
//! `kb search` does, `SearchOptions::default()`), and without snippets.
//!
//! Input: a fresh index of the first 2,000 MedQuAD threads (or 2,000 generated articles when
//! `../shared/eval` is absent), built with kb's default writer; the queries are the first 200
//! questions (or title words), all run in every iteration, so the figure is the mean time of one
//! query over a varied set.
//!
//! `cargo bench --bench search`

mod support;

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, Throughput};
use kb_indexer::{update_index, IndexOptions};
use kb_query::{SearchOptions, Searcher};
use serde_json::json;
use support::criterion_json::print_summary;
use support::fixtures::Fixture;

const RECORDS: usize = 2000;
const QUERIES: usize = 200;

fn main() {
    let started = SystemTime::now();
    let fixture = Fixture::load(RECORDS);
    let tmp = tempfile::tempdir().expect("a temp dir");
    let source = tmp.path().join("records.jsonl");
    fixture.write_jsonl(&source);
    let index = tmp.path().join("index");
    let report = update_index(&index, &[source], &IndexOptions::default(), &mut |_| {})
        .expect("the fixture indexes");
    let searcher = Searcher::open(&index).expect("the fixture index opens");
    let queries: Vec<String> =
        fixture.queries().into_iter().take(QUERIES).map(|q| q.text).collect();

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("search");
    group.throughput(Throughput::Elements(queries.len() as u64)).sample_size(20);
    let variants = [
        ("top 10 with snippets", SearchOptions::default()),
        ("top 10 without snippets", SearchOptions { snippets: false, ..SearchOptions::default() }),
    ];
    for (name, opts) in &variants {
        group.bench_function(*name, |b| {
            b.iter(|| {
                queries
                    .iter()
                    .map(|q| searcher.search(black_box(q), opts).expect("a search").hits.len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
    c.final_summary();
    let inputs = json!({
        "source": fixture.description,
        "documents": report.documents,
        "passages": report.passages,
        "queries": queries.len(),
    });
    print_summary("search", inputs, &["search"], started);
}
