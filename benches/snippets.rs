//! Snippet + highlight time per hit: `kb_query::highlight::highlight` (every matched word's
//! range and the best fragment) over the hits real searches return, with tantivy's
//! `SnippetGenerator` on the same texts and terms for reference.
//!
//! Input: an index of the first 500 MedQuAD threads (or 500 generated articles when
//! `../shared/eval` is absent), searched with the first 200 questions (or title words); the
//! top 10 passages of each search are the hits. The match set of a hit is its query's analyzed
//! terms.
//!
//! `cargo bench --bench snippets`

mod support;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, Throughput};
use kb_indexer::{update_index, IndexOptions};
use kb_query::highlight::{highlight, MatchSet, SNIPPET_CHARS};
use kb_query::{SearchOptions, Searcher};
use serde_json::json;
use support::criterion_json::print_summary;
use support::fixtures::Fixture;
use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;

const RECORDS: usize = 500;
const QUERIES: usize = 200;

/// The hits of one query: its analyzed terms and the texts of its top passages.
struct QueryHits {
    terms: Vec<String>,
    texts: Vec<String>,
}

fn collect_hits(fixture: &Fixture) -> Vec<QueryHits> {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let source = tmp.path().join("records.jsonl");
    fixture.write_jsonl(&source);
    let index = tmp.path().join("index");
    update_index(&index, &[source], &IndexOptions::default(), &mut |_| {})
        .expect("the fixture indexes");
    let searcher = Searcher::open(&index).expect("the fixture index opens");
    let opts = SearchOptions { snippets: false, ..SearchOptions::default() };
    fixture
        .queries()
        .iter()
        .take(QUERIES)
        .map(|q| {
            let results = searcher.search(&q.text, &opts).expect("a search");
            let texts = results.hits.into_iter().map(|h| h.text).collect();
            QueryHits { terms: kb_schema::analyzer::terms(&q.text), texts }
        })
        .filter(|h: &QueryHits| !h.texts.is_empty())
        .collect()
}

fn main() {
    let started = SystemTime::now();
    let fixture = Fixture::load(RECORDS);
    let queries = collect_hits(&fixture);
    let hits: usize = queries.iter().map(|q| q.texts.len()).sum();
    let bytes: usize = queries.iter().flat_map(|q| &q.texts).map(String::len).sum();

    let sets: Vec<MatchSet> = queries
        .iter()
        .map(|q| {
            let mut set = MatchSet::new();
            q.terms.iter().for_each(|t| set.add_term(t));
            set
        })
        .collect();
    // tantivy's generator with the same analyzer, terms and length; the field is not used when
    // the text is given directly.
    let generators: Vec<SnippetGenerator> = queries
        .iter()
        .map(|q| {
            let terms: BTreeMap<String, f32> = q.terms.iter().map(|t| (t.clone(), 1.0)).collect();
            SnippetGenerator::new(
                terms,
                kb_schema::analyzer::analyzer(),
                Field::from_field_id(0),
                SNIPPET_CHARS,
            )
        })
        .collect();

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("snippets");
    group.throughput(Throughput::Elements(hits as u64)).sample_size(20);
    group.bench_function("kb highlight (ranges + snippet)", |b| {
        b.iter(|| {
            let mut lit = 0;
            for (q, set) in queries.iter().zip(&sets) {
                for text in &q.texts {
                    lit += highlight(black_box(text), set).0.len();
                }
            }
            lit
        })
    });
    group.bench_function("tantivy SnippetGenerator (reference)", |b| {
        b.iter(|| {
            let mut lit = 0;
            for (q, g) in queries.iter().zip(&generators) {
                for text in &q.texts {
                    lit += g.snippet(black_box(text)).highlighted().len();
                }
            }
            lit
        })
    });
    group.finish();
    c.final_summary();
    let inputs = json!({
        "source": fixture.description,
        "queries": queries.len(),
        "hits": hits,
        "hit_text_bytes": bytes,
    });
    print_summary("snippets", inputs, &["snippets"], started);
}
