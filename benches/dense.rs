//! Exact search by meaning: the time to find the 100 nearest of N stored embeddings
//! (`kb_schema::vector::nearest`, what `kb search` runs over every passage of a semantic
//! index), for N = 10k, 100k and 500k synthetic passages, to find where exact search gets too
//! slow and an approximate index would pay off (BENCHMARKS.md).
//!
//! Input: random unit vectors of 384 dimensions (all-MiniLM-L6-v2's), from a fixed seed,
//! quantized as the index stores them; the queries are 20 more such vectors. The figure is the
//! time of one query.
//!
//! `cargo bench --bench dense` (`-- --sizes 10000,100000` for other sizes)

mod support;

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{BenchmarkId, Criterion};
use kb_schema::vector;
use serde_json::json;
use support::criterion_json::print_summary;

const DIM: usize = 384;
const K: usize = 100;
const QUERIES: usize = 20;

fn main() {
    let started = SystemTime::now();
    let sizes = sizes_from_args().unwrap_or_else(|| vec![10_000, 100_000, 500_000]);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let queries: Vec<Vec<f32>> = (0..QUERIES).map(|_| unit(&mut seed)).collect();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("dense");
    group.sample_size(10);
    for &n in &sizes {
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
    group.finish();
    c.final_summary();
    let inputs = json!({ "dimensions": DIM, "k": K, "sizes": sizes, "queries": QUERIES });
    print_summary("dense", inputs, &["dense"], started);
}

/// `--sizes N,N,...` from the command line, if given.
fn sizes_from_args() -> Option<Vec<usize>> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--sizes")?;
    args.get(at + 1)?.split(',').map(|s| s.trim().parse().ok()).collect()
}

/// A random unit vector (splitmix64).
fn unit(seed: &mut u64) -> Vec<f32> {
    let mut next = || {
        *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let v: Vec<f32> = (0..DIM).map(|_| next()).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}
