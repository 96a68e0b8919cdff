//! Analyzer throughput: MB/s of text through the full `kb_en` token chain (UAX #29 words,
//! long-token removal, lowercasing, ASCII folding, stop words, irregular plurals, Porter2), with
//! tantivy's built-in `en_stem` chain on the same text for reference, and the two tokenizers
//! alone, to show what the UAX #29 word segmentation costs.
//!
//! Input: the paragraphs (texts split at blank lines) of the first 500 MedQuAD threads, or of
//! 500 generated articles when `../shared/eval` is absent.
//!
//! `cargo bench --bench analyzer`

mod support;

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, Throughput};
use kb_schema::analyzer::WordTokenizer;
use serde_json::json;
use support::criterion_json::print_summary;
use support::fixtures::Fixture;
use tantivy::tokenizer::{SimpleTokenizer, TextAnalyzer, TokenStream, TokenizerManager};

const RECORDS: usize = 500;

/// Runs every paragraph through `analyzer` and counts the tokens.
fn count_tokens(analyzer: &mut TextAnalyzer, paragraphs: &[&str]) -> usize {
    let mut n = 0;
    for p in paragraphs {
        let mut stream = analyzer.token_stream(p);
        while stream.advance() {
            n += 1;
        }
    }
    n
}

fn bench_analyzers(c: &mut Criterion, paragraphs: &[&str]) {
    let bytes: usize = paragraphs.iter().map(|p| p.len()).sum();
    let mut group = c.benchmark_group("analyzer");
    group
        .throughput(Throughput::Bytes(bytes as u64))
        .sample_size(20)
        .measurement_time(std::time::Duration::from_secs(8));

    let mut kb_en = kb_schema::analyzer::analyzer();
    group.bench_function("kb_en token chain", |b| {
        b.iter(|| count_tokens(&mut kb_en, black_box(paragraphs)))
    });

    // `analyzer::tokens` builds the chain (and its stop-word set) on every call and collects
    // the tokens with their ranges: what a caller that highlights one passage at a time pays.
    group.bench_function("kb_en analyzer::tokens per paragraph", |b| {
        b.iter(|| {
            paragraphs
                .iter()
                .map(|p| kb_schema::analyzer::tokens(black_box(p)).len())
                .sum::<usize>()
        })
    });

    // The tokenizers alone, and kb's filters over tantivy's simpler tokenizer: how much of the
    // chain's cost is the UAX #29 word segmentation.
    let mut words = TextAnalyzer::from(WordTokenizer::default());
    group.bench_function("kb WordTokenizer alone (UAX #29)", |b| {
        b.iter(|| count_tokens(&mut words, black_box(paragraphs)))
    });
    let mut simple = TextAnalyzer::from(SimpleTokenizer::default());
    group.bench_function("tantivy SimpleTokenizer alone", |b| {
        b.iter(|| count_tokens(&mut simple, black_box(paragraphs)))
    });
    let mut kb_filters_simple = kb_schema::analyzer::with_filters(SimpleTokenizer::default());
    group.bench_function("kb_en filters over SimpleTokenizer", |b| {
        b.iter(|| count_tokens(&mut kb_filters_simple, black_box(paragraphs)))
    });

    let mut en_stem =
        TokenizerManager::default().get("en_stem").expect("tantivy registers en_stem");
    group.bench_function("tantivy en_stem token chain", |b| {
        b.iter(|| count_tokens(&mut en_stem, black_box(paragraphs)))
    });
    group.finish();
}

fn main() {
    let started = SystemTime::now();
    let fixture = Fixture::load(RECORDS);
    let paragraphs = fixture.paragraphs();
    let bytes: usize = paragraphs.iter().map(|p| p.len()).sum();
    let mut c = Criterion::default().configure_from_args();
    bench_analyzers(&mut c, &paragraphs);
    c.final_summary();
    let inputs =
        json!({"source": fixture.description, "paragraphs": paragraphs.len(), "bytes": bytes});
    print_summary("analyzer", inputs, &["analyzer"], started);
}
