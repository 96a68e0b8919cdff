//! Nearest neighbours, approximately: an HNSW graph (hierarchical navigable small world,
//! Malkov and Yashunin) over stored embeddings as [`crate::vector::nearest`] scans them, for
//! semantic indexes too large for the exact scan to be cheap. kb-query builds one over a
//! searcher view's embeddings when asked (its `DenseIndex`, `ApproximateDense`).
//!
//! The graph links each passage's row to [`M`] of its near neighbours ([`M0`] on the bottom
//! level), chosen by the paper's heuristic (a neighbour is kept only if it is closer to the node
//! than to every neighbour kept before it, which keeps links across clusters); a few rows, drawn
//! level by level, also sit on sparser upper levels. A search descends greedily from the top
//! level's entry point, then runs a beam of width `beam` on the bottom level: it scores a few
//! thousand rows instead of all of them.
//!
//! What it stores: only the links, `u32` row numbers, [`M0`] a row on the bottom level (128
//! bytes a passage) plus about 1/[`M`] of that above. The rows themselves stay where the
//! `DenseIndex` keeps them (one contiguous array of signed bytes); the graph reads them in
//! place. Nothing is written to disk: the graph is built in memory for one searcher view.
//!
//! Similarity is the exact scan's: a stored row's cosine with the query is
//! [`crate::vector::dot_i8`] times the row's scale, to the bit the number the exact scan gives
//! for that row, so a passage the graph finds gets the same cosine as the scan would give it.
//! Between two stored rows (while building) it is the integer dot product of their components
//! times both scales.
//!
//! Deterministic: rows are inserted one by one in row order, and each row's level is drawn
//! from a generator seeded with the row's number, so the same rows always give the same graph
//! and the same answers.
//!
//! **Why hand-written, not a crate.** The maintained Rust HNSW crates were weighed:
//! `instant-distance` builds from an owned `Vec` of points (a copy of every embedding: 388
//! bytes a passage, 194 MB at 500,000 passages, beside the `DenseIndex`'s own copy), compares a
//! query only with points of the same type (an `f32` query against int8 rows does not fit its
//! `Point` trait without a copy of the query into the rows' form, which changes the cosines),
//! and has no filtered search; `hnsw_rs` also keeps its own copy of each vector, inserts in
//! parallel (the graph then depends on thread timing) and brings a large tree of dependencies;
//! `hnswlib-rs` wraps the C++ library (a C++ toolchain in the build). Reading the existing
//! contiguous int8 array in place costs no memory beyond the links, reuses the scan's dot
//! product (same cosines), and is a few hundred lines. Its recall and speed are measured in
//! BENCHMARKS.md ("Approximate search by meaning"): recall@10 and recall@100 against the exact
//! scan at 100,000 and 500,000 clustered vectors, query and build times.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use std::collections::HashMap;

use crate::vector::Quantized;

/// The beam kb-query searches with by default (`ApproximateDense::beam`).
pub const DEFAULT_BEAM: usize = 200;

/// Links a node keeps on each upper level.
pub const M: usize = 16;
/// Links a node keeps on the bottom level (twice [`M`], as the paper advises).
pub const M0: usize = 2 * M;
/// The beam while building: how many candidates each insertion keeps looking at.
const EF_CONSTRUCTION: usize = 100;
/// The highest level a node may get (far above any real index's: about log₁₆ of its rows).
const MAX_LEVEL: usize = 12;
/// The seed of the levels (any fixed number: it makes the graph deterministic).
const SEED: u64 = 0x6b62_686e_7377_2026;
/// No link in a slot of the bottom level.
const EMPTY: u32 = u32::MAX;
/// How many insertions go between two looks at the cancel flag.
const CANCEL_EVERY: usize = 1024;

/// The rows a graph links, read in place: `dim` signed bytes a row, row `i` scaled by
/// `scales[i]`.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    /// Components a row.
    pub dim: usize,
    /// The components, row after row.
    pub rows: &'a [u8],
    /// Each row's scale.
    pub scales: &'a [f32],
}

impl Rows<'_> {
    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.rows.len().checked_div(self.dim).map_or(0, |n| n.min(self.scales.len()))
    }

    fn row(&self, i: usize) -> &[u8] {
        &self.rows[i * self.dim..(i + 1) * self.dim]
    }

    /// Row `i`: its scale and components. Panics if there is no such row.
    pub fn quantized(&self, i: usize) -> Quantized<'_> {
        Quantized { scale: self.scales[i], components: self.row(i) }
    }

    /// The cosine of row `i` with `query`, as the exact scan computes it.
    fn score(&self, query: &[f32], i: u32) -> f32 {
        self.quantized(i as usize).dot(query)
    }

    /// The cosine of rows `a` and `b`.
    fn similarity(&self, a: u32, b: u32) -> f32 {
        dot_rows(self.row(a as usize), self.row(b as usize)) as f32
            * self.scales[a as usize]
            * self.scales[b as usize]
    }
}

/// The dot product of two rows' components (signed bytes stored as bytes), in integers: exact,
/// and vectorized by the compiler, for AVX2 where the CPU has it (integer sums do not depend
/// on the order they are added in, so both builds give the same number).
fn dot_rows(a: &[u8], b: &[u8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { dot_rows_avx2(a, b) };
    }
    dot_rows_portable(a, b)
}

/// [`dot_rows`] compiled for AVX2.
///
/// # Safety
/// The CPU has AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_rows_avx2(a: &[u8], b: &[u8]) -> i32 {
    dot_rows_portable(a, b)
}

/// [`dot_rows`]'s loop, inlined into each build of it.
#[inline(always)]
fn dot_rows_portable(a: &[u8], b: &[u8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| i32::from(x as i8) * i32::from(y as i8)).sum()
}

/// A row and its similarity to what is searched for; greater is closer (ties: the lower row).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Near {
    sim: f32,
    node: u32,
}

impl Eq for Near {}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Near {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sim.total_cmp(&other.sim).then(other.node.cmp(&self.node))
    }
}

/// The rows a search has seen: a bit a row, cleared word by word after use.
struct Visited {
    bits: Vec<u64>,
    touched: Vec<usize>,
}

impl Visited {
    fn new(n: usize) -> Visited {
        Visited { bits: vec![0; n.div_ceil(64)], touched: Vec::new() }
    }

    /// Marks `node` seen; whether it was not seen before.
    fn insert(&mut self, node: u32) -> bool {
        let (word, bit) = (node as usize / 64, 1u64 << (node % 64));
        let w = &mut self.bits[word];
        if *w & bit != 0 {
            return false;
        }
        if *w == 0 {
            self.touched.push(word);
        }
        *w |= bit;
        true
    }

    fn clear(&mut self) {
        for word in self.touched.drain(..) {
            self.bits[word] = 0;
        }
    }
}

/// An HNSW graph over a set of [`Rows`] (which it does not hold: every call is given them).
#[derive(Debug)]
pub struct Graph {
    /// The node searches start from (on the top level).
    entry: u32,
    /// The entry's level, the graph's highest.
    top: usize,
    /// The bottom level's links: [`M0`] slots a node, [`EMPTY`] past its last link.
    base: Vec<u32>,
    /// The upper levels' links of the nodes that have any: `upper[&node][level - 1]`.
    upper: HashMap<u32, Vec<Vec<u32>>>,
}

impl Graph {
    /// Builds the graph of `rows`, inserting them in order; `None` if there are none, or if
    /// `cancel` was set meanwhile (the build stops within 1,024 insertions).
    pub fn build(rows: Rows<'_>, cancel: &AtomicBool) -> Option<Graph> {
        let n = rows.len();
        if n == 0 || n >= EMPTY as usize {
            return None;
        }
        let mut graph =
            Graph { entry: 0, top: level_of(0), base: vec![EMPTY; n * M0], upper: HashMap::new() };
        graph.add_upper(0, graph.top);
        let mut visited = Visited::new(n);
        for node in 1..n as u32 {
            if (node as usize).is_multiple_of(CANCEL_EVERY) && cancel.load(AtomicOrdering::Relaxed)
            {
                return None;
            }
            graph.insert(rows, node, &mut visited);
        }
        Some(graph)
    }

    /// How many nodes the graph links.
    pub fn len(&self) -> usize {
        self.base.len() / M0
    }

    /// Whether the graph links no node (never true of a built one).
    pub fn is_empty(&self) -> bool {
        self.base.is_empty()
    }

    /// Gives `node` empty link lists on levels 1 to `level`.
    fn add_upper(&mut self, node: u32, level: usize) {
        if level > 0 {
            self.upper.insert(node, vec![Vec::new(); level]);
        }
    }

    /// The links of `node` on `level`.
    fn links(&self, node: u32, level: usize) -> &[u32] {
        if level == 0 {
            let slots = &self.base[node as usize * M0..(node as usize + 1) * M0];
            let end = slots.iter().position(|&l| l == EMPTY).unwrap_or(M0);
            &slots[..end]
        } else {
            self.upper.get(&node).and_then(|l| l.get(level - 1)).map_or(&[], Vec::as_slice)
        }
    }

    /// Replaces the links of `node` on `level` (at most [`M0`] on level 0).
    fn set_links(&mut self, node: u32, level: usize, links: &[u32]) {
        if level == 0 {
            let slots = &mut self.base[node as usize * M0..(node as usize + 1) * M0];
            slots.fill(EMPTY);
            slots[..links.len()].copy_from_slice(links);
        } else if let Some(levels) = self.upper.get_mut(&node) {
            levels[level - 1] = links.to_vec();
        }
    }

    /// Inserts row `node`: finds its neighbours level by level from the top, links both ways,
    /// and trims a neighbour's links back to the most useful when it has too many.
    fn insert(&mut self, rows: Rows<'_>, node: u32, visited: &mut Visited) {
        let level = level_of(node);
        self.add_upper(node, level);
        let score = |other: u32| rows.similarity(node, other);
        let mut entries = vec![Near { sim: score(self.entry), node: self.entry }];
        for l in (level + 1..=self.top).rev() {
            entries = self.search_level(&score, &entries, 1, l, visited);
        }
        for l in (0..=level.min(self.top)).rev() {
            let found = self.search_level(&score, &entries, EF_CONSTRUCTION, l, visited);
            let max = if l == 0 { M0 } else { M };
            let chosen = select(rows, &found, M);
            let links: Vec<u32> = chosen.iter().map(|c| c.node).collect();
            self.set_links(node, l, &links);
            for &neighbour in &links {
                if self.links(neighbour, l).len() < max {
                    let mut theirs = self.links(neighbour, l).to_vec();
                    theirs.push(node);
                    self.set_links(neighbour, l, &theirs);
                    continue;
                }
                let mut theirs: Vec<Near> = self
                    .links(neighbour, l)
                    .iter()
                    .map(|&o| Near { sim: rows.similarity(neighbour, o), node: o })
                    .collect();
                theirs.push(Near { sim: rows.similarity(neighbour, node), node });
                theirs.sort_unstable_by(|a, b| b.cmp(a));
                let theirs = select(rows, &theirs, max);
                let theirs: Vec<u32> = theirs.iter().map(|c| c.node).collect();
                self.set_links(neighbour, l, &theirs);
            }
            entries = found;
        }
        if level > self.top {
            self.top = level;
            self.entry = node;
        }
    }

    /// The `ef` nodes closest by `score` that a beam search of `level` from `entries` finds,
    /// closest first.
    fn search_level(
        &self,
        score: &impl Fn(u32) -> f32,
        entries: &[Near],
        ef: usize,
        level: usize,
        visited: &mut Visited,
    ) -> Vec<Near> {
        visited.clear();
        let mut candidates: BinaryHeap<Near> = BinaryHeap::new();
        let mut found: BinaryHeap<Reverse<Near>> = BinaryHeap::new();
        for &e in entries {
            if visited.insert(e.node) {
                candidates.push(e);
                found.push(Reverse(e));
                if found.len() > ef {
                    found.pop();
                }
            }
        }
        while let Some(c) = candidates.pop() {
            let worst = found.peek().map(|w| w.0);
            if found.len() >= ef && worst.is_some_and(|w| c < w) {
                break;
            }
            for &n in self.links(c.node, level) {
                if !visited.insert(n) {
                    continue;
                }
                let near = Near { sim: score(n), node: n };
                let worst = found.peek().map(|w| w.0);
                if found.len() < ef || worst.is_some_and(|w| near > w) {
                    candidates.push(near);
                    found.push(Reverse(near));
                    if found.len() > ef {
                        found.pop();
                    }
                }
            }
        }
        found.into_sorted_vec().into_iter().map(|r| r.0).collect()
    }

    /// The rows closest to `query` (a unit vector as long as the rows) that a search with a
    /// beam of `beam` finds, closest first, with their cosines (the exact scan's for those
    /// rows): at most `beam` of them.
    pub fn search(&self, rows: Rows<'_>, query: &[f32], beam: usize) -> Vec<(f32, usize)> {
        if query.len() != rows.dim || rows.len() != self.len() || beam == 0 {
            return Vec::new();
        }
        let score = |node: u32| rows.score(query, node);
        let mut visited = Visited::new(self.len());
        let mut entries = vec![Near { sim: score(self.entry), node: self.entry }];
        for l in (1..=self.top).rev() {
            entries = self.search_level(&score, &entries, 1, l, &mut visited);
        }
        let found = self.search_level(&score, &entries, beam, 0, &mut visited);
        found.into_iter().map(|n| (n.sim, n.node as usize)).collect()
    }
}

/// At most `m` of `candidates` (closest first) as links, by the paper's heuristic: a candidate
/// is kept when it is closer to the node than to every candidate kept before it.
fn select(rows: Rows<'_>, candidates: &[Near], m: usize) -> Vec<Near> {
    let mut kept: Vec<Near> = Vec::with_capacity(m);
    for &c in candidates {
        if kept.len() == m {
            break;
        }
        if kept.iter().all(|k| rows.similarity(c.node, k.node) < c.sim) {
            kept.push(c);
        }
    }
    kept
}

/// The level of row `node`: `⌊-ln(u) / ln(M)⌋` for `u` uniform in (0, 1], drawn from a
/// generator seeded with the row's number (splitmix64).
fn level_of(node: u32) -> usize {
    let mut z = SEED.wrapping_add(u64::from(node).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let u = ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let level = (-u.ln() / (M as f64).ln()).floor();
    (level as usize).min(MAX_LEVEL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::{encode, nearest, Quantized};

    /// A generator of numbers in [-0.5, 0.5) (splitmix64).
    struct Numbers(u64);

    impl Numbers {
        fn next(&mut self) -> f32 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        }

        fn unit(&mut self, dim: usize) -> Vec<f32> {
            let v: Vec<f32> = (0..dim).map(|_| self.next()).collect();
            normalized(v)
        }
    }

    fn normalized(v: Vec<f32>) -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    /// The row-to-row dot product is the exact integer sum, whichever build runs, at every
    /// length and at the extremes of a signed byte.
    #[test]
    fn row_dot_products_are_exact() {
        let mut numbers = Numbers(7);
        for len in [0, 1, 15, 31, 32, 33, 384, 385] {
            let mut a: Vec<u8> = (0..len).map(|_| (numbers.next() * 255.0) as i8 as u8).collect();
            let b: Vec<u8> = (0..len).map(|_| (numbers.next() * 255.0) as i8 as u8).collect();
            if len > 0 {
                a[0] = i8::MIN as u8;
            }
            let want: i64 =
                a.iter().zip(&b).map(|(&x, &y)| i64::from(x as i8) * i64::from(y as i8)).sum();
            assert_eq!(i64::from(dot_rows(&a, &b)), want, "{len}");
            assert_eq!(i64::from(dot_rows_portable(&a, &b)), want, "{len}");
        }
    }

    /// `n` unit vectors of `dim` components around `clusters` random centres (each centre
    /// plus noise of about a third of its length), quantized as the index stores them: rows and
    /// scales. Seeded: the same every time.
    fn clustered(n: usize, dim: usize, clusters: usize, seed: u64) -> (Vec<u8>, Vec<f32>) {
        let mut numbers = Numbers(seed);
        let centres: Vec<Vec<f32>> = (0..clusters).map(|_| numbers.unit(dim)).collect();
        let (mut rows, mut scales) = (Vec::with_capacity(n * dim), Vec::with_capacity(n));
        for i in 0..n {
            let centre = &centres[i % clusters];
            let noise = 1.8 / (dim as f32).sqrt();
            let v = normalized(centre.iter().map(|c| c + noise * numbers.next()).collect());
            let bytes = encode(&v);
            let q = Quantized::from_bytes(&bytes).expect("a vector");
            rows.extend_from_slice(q.components);
            scales.push(q.scale);
        }
        (rows, scales)
    }

    /// The share of the exact `k` nearest that the graph's first `k` hold, over `queries`.
    fn recall(graph: &Graph, rows: Rows<'_>, queries: &[Vec<f32>], k: usize, beam: usize) -> f64 {
        let mut hits = 0;
        for q in queries {
            let exact = nearest(rows.rows, rows.scales, q, k, |_| true);
            let approximate = graph.search(rows, q, beam.max(k));
            let approximate: Vec<usize> = approximate.iter().take(k).map(|&(_, r)| r).collect();
            hits += exact.iter().filter(|(_, r)| approximate.contains(r)).count();
        }
        hits as f64 / (k * queries.len()) as f64
    }

    #[test]
    fn the_graph_finds_at_least_95_percent_of_the_exact_ten_nearest() {
        let (dim, n) = (48, 3000);
        let (data, scales) = clustered(n, dim, 30, 7);
        let rows = Rows { dim, rows: &data, scales: &scales };
        let graph = Graph::build(rows, &AtomicBool::new(false)).expect("a graph");
        assert_eq!(graph.len(), n);
        // Queries near the data (perturbed rows) and away from it (random directions).
        let mut numbers = Numbers(99);
        let mut queries: Vec<Vec<f32>> = (0..40).map(|_| numbers.unit(dim)).collect();
        let (near, _) = clustered(40, dim, 30, 1234);
        queries.extend(
            near.chunks_exact(dim)
                .map(|r| normalized(r.iter().map(|&c| f32::from(c as i8)).collect())),
        );
        let at_default = recall(&graph, rows, &queries, 10, DEFAULT_BEAM);
        assert!(at_default >= 0.95, "recall@10 {at_default}");
        // A beam of one is a greedy walk: it must find less, or the test could not tell.
        let greedy = recall(&graph, rows, &queries, 10, 10);
        assert!(greedy <= at_default, "{greedy} vs {at_default}");
        // Every link is to another row, at most M0 a node, and most nodes are linked.
        for node in 0..n as u32 {
            let links = graph.links(node, 0);
            assert!(links.len() <= M0 && links.iter().all(|&l| l != node && (l as usize) < n));
            assert!(!links.is_empty(), "node {node} has no links");
        }
        // The cosines are the exact scan's, to the bit.
        let exact = nearest(&data, &scales, &queries[0], 10, |_| true);
        let found = graph.search(rows, &queries[0], 200);
        for (cosine, row) in exact {
            if let Some(&(c, _)) = found.iter().find(|&&(_, r)| r == row) {
                assert_eq!(c.to_bits(), cosine.to_bits());
            }
        }
    }

    #[test]
    fn the_same_rows_give_the_same_graph() {
        let (dim, n) = (16, 500);
        let (data, scales) = clustered(n, dim, 8, 3);
        let rows = Rows { dim, rows: &data, scales: &scales };
        let a = Graph::build(rows, &AtomicBool::new(false)).unwrap();
        let b = Graph::build(rows, &AtomicBool::new(false)).unwrap();
        assert_eq!((a.entry, a.top), (b.entry, b.top));
        assert_eq!(a.base, b.base);
        assert_eq!(a.upper, b.upper);
        let q = Numbers(5).unit(dim);
        assert_eq!(a.search(rows, &q, 50), b.search(rows, &q, 50));
    }

    #[test]
    fn a_cancelled_or_empty_build_gives_no_graph() {
        let (data, scales) = clustered(3000, 8, 4, 1);
        let rows = Rows { dim: 8, rows: &data, scales: &scales };
        assert!(Graph::build(rows, &AtomicBool::new(true)).is_none());
        let none = Rows { dim: 8, rows: &[], scales: &[] };
        assert!(Graph::build(none, &AtomicBool::new(false)).is_none());
        // One row: found by any query; a query of another length finds nothing.
        let one = Rows { dim: 8, rows: &data[..8], scales: &scales[..1] };
        let graph = Graph::build(one, &AtomicBool::new(false)).unwrap();
        assert_eq!(graph.search(one, &[0.5; 8], 10).len(), 1);
        assert!(graph.search(one, &[0.5; 4], 10).is_empty());
    }

    #[test]
    fn levels_thin_out_by_a_factor_of_m() {
        let levels: Vec<usize> = (0..100_000).map(level_of).collect();
        let above = |l: usize| levels.iter().filter(|&&x| x >= l).count();
        // About 1/16 of the rows reach level 1 and 1/256 level 2.
        assert!((5_500..7_000).contains(&above(1)), "{}", above(1));
        assert!((250..550).contains(&above(2)), "{}", above(2));
        assert_eq!(levels, (0..100_000).map(level_of).collect::<Vec<_>>());
    }
}
