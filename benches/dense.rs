//! Exact search by meaning: the time to find the 100 nearest of N stored embeddings
//! (`kb_schema::vector::nearest`, what `kb search` runs over every passage of a semantic
//! index), for N = 10k, 100k and 500k synthetic passages, to find where exact search gets too
//! slow and an approximate index would pay off (BENCHMARKS.md).
//!
//! Input: random unit vectors of 384 dimensions (all-MiniLM-L6-v2's), from a fixed seed,
//! quantized as the index stores them; the queries are 20 more such vectors. The figure is the
//! time of one query.
//!
//! The approximate search (`kb_schema::hnsw`, what `kb serve` and `kb mcp` walk past 100,000
//! passages) on clustered vectors, as real embeddings are (random ones are the worst case of
//! any graph): N vectors around N / 100 random centres, for N = 100k and 500k.
//! For each: the graph's build time (once, timed by hand: too long to repeat), recall@10 and
//! recall@100 against the exact scan over 100 queries (perturbed data points), and, timed by
//! criterion, one query of the graph (`graph 100`, beam `hnsw::DEFAULT_BEAM`) beside the exact
//! scan of the same vectors (`clustered nearest 100`). Build and recall figures are printed
//! and written into the summary's inputs (`graph`).
//!
//! Real embeddings: with `KB_DENSE_EXPORT=DIR/docs.ndjson` (what `kb export --to quickwit DIR`
//! writes for a semantic index: each passage with its `kind` and `vector`), the same figures
//! for the graph over those vectors, the queries being the embeddings of up to 300 of its
//! question passages, each left out of its own results (a question's nearest passage is
//! itself).
//!
//! `cargo bench --bench dense`; other sizes through the environment (criterion rejects
//! arguments it does not know): `KB_DENSE_SIZES=10000,100000` for the exact scan,
//! `KB_DENSE_GRAPH_SIZES=100000` for the graph (`0` for none).

mod support;

use std::hint::black_box;
use std::sync::atomic::AtomicBool;
use std::time::{Instant, SystemTime};

use criterion::{BenchmarkId, Criterion};
use kb_schema::hnsw::{self, Graph, Rows};
use kb_schema::vector;
use serde_json::json;
use support::criterion_json::print_summary;

const DIM: usize = 384;
const K: usize = 100;
const QUERIES: usize = 20;
/// Queries of the recall measure.
const RECALL_QUERIES: usize = 100;
/// Vectors a cluster, on average.
const PER_CLUSTER: usize = 100;

fn main() {
    let started = SystemTime::now();
    let sizes = sizes_from_env("KB_DENSE_SIZES").unwrap_or_else(|| vec![10_000, 100_000, 500_000]);
    let graph_sizes =
        sizes_from_env("KB_DENSE_GRAPH_SIZES").unwrap_or_else(|| vec![100_000, 500_000]);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let queries: Vec<Vec<f32>> = (0..QUERIES).map(|_| unit(&mut seed)).collect();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("dense");
    group.sample_size(10);
    for &n in sizes.iter().filter(|&&n| n > 0) {
        let (mut rows, mut scales) = (Vec::with_capacity(n * DIM), Vec::with_capacity(n));
        for _ in 0..n {
            let bytes = vector::encode(&unit(&mut seed));
            let q = vector::Quantized::from_bytes(&bytes).expect("a vector");
            rows.extend_from_slice(q.components);
            scales.push(q.scale);
        }
        group.bench_with_input(BenchmarkId::new("nearest 100", n), &n, |b, _| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % QUERIES;
                vector::nearest(&rows, &scales, black_box(&queries[i]), K, |_| true).len()
            })
        });
    }
    let mut graphs = Vec::new();
    for &n in graph_sizes.iter().filter(|&&n| n > 0) {
        let (rows, scales, centres) = clustered(n, &mut seed);
        let view = Rows { dim: DIM, rows: &rows, scales: &scales };
        let started = Instant::now();
        let graph = Graph::build(view, &AtomicBool::new(false)).expect("a graph");
        let build_s = started.elapsed().as_secs_f64();
        // Queries near the data: a centre's direction, perturbed.
        let near: Vec<Vec<f32>> = (0..RECALL_QUERIES)
            .map(|i| near(&centres[(i * 7919) % centres.len()], &mut seed))
            .collect();
        let recall = |k: usize| {
            let mut found = 0;
            for q in &near {
                let exact = vector::nearest(&rows, &scales, q, k, |_| true);
                let approximate = graph.search(view, q, hnsw::DEFAULT_BEAM.max(k));
                let approximate: Vec<usize> = approximate.iter().take(k).map(|&(_, r)| r).collect();
                found += exact.iter().filter(|(_, r)| approximate.contains(r)).count();
            }
            found as f64 / (k * near.len()) as f64
        };
        let (recall_10, recall_100) = (recall(10), recall(100));
        eprintln!(
            "graph of {n}: built in {build_s:.1} s, recall@10 {recall_10:.4}, recall@100 \
             {recall_100:.4} (beam {})",
            hnsw::DEFAULT_BEAM
        );
        graphs.push(json!({
            "n": n, "build_s": build_s, "recall_at_10": recall_10, "recall_at_100": recall_100,
            "beam": hnsw::DEFAULT_BEAM, "m": hnsw::M, "clusters": centres.len(),
        }));
        group.bench_with_input(BenchmarkId::new("graph 100", n), &n, |b, _| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % near.len();
                graph.search(view, black_box(&near[i]), hnsw::DEFAULT_BEAM.max(K)).len()
            })
        });
        group.bench_with_input(BenchmarkId::new("clustered nearest 100", n), &n, |b, _| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % near.len();
                vector::nearest(&rows, &scales, black_box(&near[i]), K, |_| true).len()
            })
        });
    }
    if let Ok(path) = std::env::var("KB_DENSE_EXPORT") {
        let (rows, scales, questions) = exported(&path);
        let n = scales.len();
        let view = Rows { dim: DIM, rows: &rows, scales: &scales };
        let started = Instant::now();
        let graph = Graph::build(view, &AtomicBool::new(false)).expect("a graph");
        let build_s = started.elapsed().as_secs_f64();
        let step = (questions.len() / 300).max(1);
        let asked: Vec<(usize, Vec<f32>)> = questions
            .iter()
            .step_by(step)
            .map(|&row| {
                let q =
                    vector::Quantized { scale: scales[row], components: &rows[row * DIM..][..DIM] };
                (row, q.components.iter().map(|&c| f32::from(c as i8) * q.scale).collect())
            })
            .collect();
        // The k nearest other than the question itself, exact and by the graph.
        let recall = |k: usize| {
            let mut found = 0;
            for (own, q) in &asked {
                let others = |found: Vec<(f32, usize)>| -> Vec<usize> {
                    found.into_iter().map(|(_, r)| r).filter(|r| r != own).take(k).collect()
                };
                let exact = others(vector::nearest(&rows, &scales, q, k + 1, |_| true));
                let approximate = others(graph.search(view, q, hnsw::DEFAULT_BEAM.max(k + 1)));
                found += exact.iter().filter(|r| approximate.contains(r)).count();
            }
            found as f64 / (k * asked.len()) as f64
        };
        let (recall_10, recall_100) = (recall(10), recall(100));
        eprintln!(
            "graph of {n} exported embeddings: built in {build_s:.1} s, recall@10 {recall_10:.4}, \
             recall@100 {recall_100:.4} over {} questions (beam {})",
            asked.len(),
            hnsw::DEFAULT_BEAM
        );
        graphs.push(json!({
            "n": n, "source": path, "build_s": build_s, "recall_at_10": recall_10,
            "recall_at_100": recall_100, "beam": hnsw::DEFAULT_BEAM, "queries": asked.len(),
        }));
        group.bench_with_input(BenchmarkId::new("exported graph 100", n), &n, |b, _| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % asked.len();
                graph.search(view, black_box(&asked[i].1), hnsw::DEFAULT_BEAM.max(K)).len()
            })
        });
        group.bench_with_input(BenchmarkId::new("exported nearest 100", n), &n, |b, _| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % asked.len();
                vector::nearest(&rows, &scales, black_box(&asked[i].1), K, |_| true).len()
            })
        });
    }
    group.finish();
    c.final_summary();
    let inputs = json!({
        "dimensions": DIM, "k": K, "sizes": sizes, "queries": QUERIES, "graph": graphs,
    });
    print_summary("dense", inputs, &["dense"], started);
}

/// `N,N,...` from the environment variable `name`, if set.
fn sizes_from_env(name: &str) -> Option<Vec<usize>> {
    let value = std::env::var(name).ok()?;
    value.split(',').map(|s| s.trim().parse().ok()).collect()
}

/// A number in [-0.5, 0.5) (splitmix64).
fn next(seed: &mut u64) -> f32 {
    *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32 - 0.5
}

fn normalized(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// A random unit vector.
fn unit(seed: &mut u64) -> Vec<f32> {
    normalized((0..DIM).map(|_| next(seed)).collect())
}

/// `centre` plus noise of about half its length, as a unit vector.
fn near(centre: &[f32], seed: &mut u64) -> Vec<f32> {
    let noise = 1.8 / (DIM as f32).sqrt();
    normalized(centre.iter().map(|c| c + noise * next(seed)).collect())
}

/// `n` vectors around `n / PER_CLUSTER` random centres ([`near`] one of them each, the
/// centres drawn at random), quantized as the index stores them: rows, scales, and the centres.
fn clustered(n: usize, seed: &mut u64) -> (Vec<u8>, Vec<f32>, Vec<Vec<f32>>) {
    let centres: Vec<Vec<f32>> = (0..(n / PER_CLUSTER).max(1)).map(|_| unit(seed)).collect();
    let (mut rows, mut scales) = (Vec::with_capacity(n * DIM), Vec::with_capacity(n));
    for _ in 0..n {
        let at = ((next(seed) + 0.5) * centres.len() as f32) as usize;
        let bytes = vector::encode(&near(&centres[at.min(centres.len() - 1)], seed));
        let q = vector::Quantized::from_bytes(&bytes).expect("a vector");
        rows.extend_from_slice(q.components);
        scales.push(q.scale);
    }
    (rows, scales, centres)
}

/// The embeddings of a `kb export` JSON Lines file, quantized as the index stores them: rows,
/// scales, and the rows of the question passages.
fn exported(path: &str) -> (Vec<u8>, Vec<f32>, Vec<usize>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (mut rows, mut scales, mut questions) = (Vec::new(), Vec::new(), Vec::new());
    for (line, record) in text.lines().enumerate() {
        let record: serde_json::Value =
            serde_json::from_str(record).unwrap_or_else(|e| panic!("{path}:{}: {e}", line + 1));
        let Some(values) = record["vector"].as_array() else { continue };
        let v: Vec<f32> = values.iter().filter_map(|x| x.as_f64()).map(|x| x as f32).collect();
        assert_eq!(v.len(), DIM, "{path}:{}: a vector of {} dimensions", line + 1, v.len());
        if record["kind"] == "question" {
            questions.push(scales.len());
        }
        let bytes = vector::encode(&v);
        let q = vector::Quantized::from_bytes(&bytes).expect("a vector");
        rows.extend_from_slice(q.components);
        scales.push(q.scale);
    }
    (rows, scales, questions)
}
