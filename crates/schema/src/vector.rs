//! Passage embeddings as the index stores them, and what of a passage is embedded.
//!
//! A semantic index (see [`crate::Manifest::semantic`]) holds, in the `vector` fast field of
//! every passage, the embedding of [`embedding_text`] quantized to 8 bits: a little-endian
//! `f32` scale, then one signed byte per component, the component being the byte times the
//! scale (the scale maps the largest magnitude to 127). A 384-dimension embedding takes 388
//! bytes instead of 1,536 as `f32`s; the cosines it gives differ from the `f32` ones by a few
//! thousandths at most, which moves no ranking measure by more than the noise (RANKING.md).
//! Index time ([`encode`]) and query time ([`decode`], [`Quantized`]) share this module so that
//! they agree on both.
//!
//! ```
//! use kb_schema::vector;
//!
//! let v = [0.6_f32, -0.8];
//! let back = vector::decode(&vector::encode(&v)).unwrap();
//! assert!(back.iter().zip(v).all(|(a, b)| (a - b).abs() < 0.01));
//! assert_eq!(vector::decode(&[1, 2, 3]), None);
//! ```

use crate::{Kind, Passage};

/// Bytes of the scale in front of the components.
const SCALE_BYTES: usize = 4;

/// The bytes of an embedding: its scale, then its components quantized to signed bytes.
pub fn encode(vector: &[f32]) -> Vec<u8> {
    let max = vector.iter().fold(0.0_f32, |m, x| if x.is_finite() { m.max(x.abs()) } else { m });
    let scale = if max > 0.0 { max / 127.0 } else { 0.0 };
    let mut out = Vec::with_capacity(SCALE_BYTES + vector.len());
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend(vector.iter().map(|&x| quantize(x, scale) as u8));
    out
}

/// One component as a signed byte at `scale` (0 for a zero scale or a component that is not a
/// number).
fn quantize(x: f32, scale: f32) -> i8 {
    if scale > 0.0 && x.is_finite() {
        (x / scale).round().clamp(-127.0, 127.0) as i8
    } else {
        0
    }
}

/// An embedding back from its bytes; `None` if they are too short to hold a scale.
pub fn decode(bytes: &[u8]) -> Option<Vec<f32>> {
    Some(Quantized::from_bytes(bytes)?.values().collect())
}

/// An encoded embedding read in place: its scale and its quantized components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantized<'a> {
    /// What one unit of a component is worth.
    pub scale: f32,
    /// The components: signed bytes (`as i8`), stored as bytes.
    pub components: &'a [u8],
}

impl<'a> Quantized<'a> {
    /// The embedding in `bytes` (as [`encode`] writes them); `None` if they are too short to
    /// hold a scale or the scale is not a finite number.
    pub fn from_bytes(bytes: &'a [u8]) -> Option<Quantized<'a>> {
        let (scale, rest) = bytes.split_first_chunk::<SCALE_BYTES>()?;
        let scale = f32::from_le_bytes(*scale);
        scale.is_finite().then_some(Quantized { scale, components: rest })
    }

    /// The components as numbers again: each times the scale.
    pub fn values(&self) -> impl Iterator<Item = f32> + '_ {
        self.components.iter().map(|&c| f32::from(c as i8) * self.scale)
    }

    /// The dot product with an `f32` vector (the query's), over the shorter length.
    pub fn dot(&self, query: &[f32]) -> f32 {
        dot_i8(query, self.components) * self.scale
    }
}

/// Lanes of the partial sums of [`dot_i8`]: component `i` is added to sum `i % LANES`.
const LANES: usize = 16;

/// The dot product of an `f32` vector and a quantized one's components (signed bytes stored as
/// bytes, unscaled), over the shorter length; written as independent lanes so that the compiler
/// vectorizes it. The scan's SIMD kernels ([`nearest`]) add in the same order, so they give the
/// same numbers to the bit.
pub fn dot_i8(a: &[f32], b: &[u8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { dot_i8_avx2(a, b) };
    }
    dot_i8_portable(a, b)
}

/// [`dot_i8`] compiled for AVX2: the same operations in the same order (floating-point
/// additions are not reordered), so the same number, 8 lanes an instruction.
///
/// # Safety
/// The CPU has AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_i8_avx2(a: &[f32], b: &[u8]) -> f32 {
    dot_i8_portable(a, b)
}

/// [`dot_i8`]'s loop, inlined into each build of it.
#[inline(always)]
fn dot_i8_portable(a: &[f32], b: &[u8]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0_f32; LANES];
    let (ac, bc) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for ((acc, x), y) in acc.iter_mut().zip(x).zip(y) {
            *acc += x * f32::from(*y as i8);
        }
    }
    finish(&acc, ar, br)
}

/// The end of a dot product: the lanes' sums added in lane order, then the components past the
/// last whole chunk of [`LANES`].
#[inline(always)]
fn finish(acc: &[f32; LANES], a: &[f32], b: &[u8]) -> f32 {
    let tail: f32 = a.iter().zip(b).map(|(x, &y)| x * f32::from(y as i8)).sum();
    acc.iter().sum::<f32>() + tail
}

/// Exact nearest neighbours: the `k` rows of `rows` (quantized components, `query.len()` bytes
/// a row, row `i` scaled by `scales[i]`) with the greatest dot product with `query`, among the
/// rows `keep` accepts, best first (ties by row), with their dot products. One pass over
/// `rows`, each row's dot product the one [`dot_i8`] gives, to the bit: what a search by
/// meaning over every passage costs.
///
/// The pass runs four rows at a time on AVX2 when the CPU has it (else a portable loop),
/// keeps only the best rows seen so far (no buffer as long as `rows`), and is split over the
/// CPU's cores, [`ROWS_PER_THREAD`] rows a part at least (one core below twice that).
pub fn nearest(
    rows: &[u8],
    scales: &[f32],
    query: &[f32],
    k: usize,
    keep: impl Fn(usize) -> bool + Sync,
) -> Vec<(f32, usize)> {
    let dim = query.len();
    if k == 0 || dim == 0 {
        return Vec::new();
    }
    let n = scales.len().min(rows.len() / dim);
    let kernel = Kernel::best();
    let parts = (n / ROWS_PER_THREAD).clamp(1, cores());
    if parts == 1 {
        return scan(kernel, rows, scales, query, k, &keep, 0..n).into_sorted();
    }
    let per_part = n.div_ceil(parts);
    let ranges: Vec<std::ops::Range<usize>> =
        (0..parts).map(|p| p * per_part..((p + 1) * per_part).min(n)).collect();
    let keep = &keep;
    let best = std::thread::scope(|s| {
        let others: Vec<_> = (ranges[1..].iter().cloned())
            .map(|range| s.spawn(move || scan(kernel, rows, scales, query, k, keep, range)))
            .collect();
        let mut best = scan(kernel, rows, scales, query, k, keep, ranges[0].clone());
        for other in others {
            match other.join() {
                Ok(part) => best.merge(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        best
    });
    best.into_sorted()
}

/// Rows [`nearest`] scores at once: independent sums, which hide the latency of the additions.
const BATCH: usize = 4;

/// The fewest rows [`nearest`] gives a core: it runs on one core below twice this (another
/// thread costs tens of microseconds, the scan of this many rows a few hundred).
pub const ROWS_PER_THREAD: usize = 16_384;

/// The number of cores this process may use (asked once).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The best `k` rows of `range` by dot product with `query`, among those `keep` accepts.
fn scan(
    kernel: Kernel,
    rows: &[u8],
    scales: &[f32],
    query: &[f32],
    k: usize,
    keep: &(impl Fn(usize) -> bool + Sync),
    range: std::ops::Range<usize>,
) -> Best {
    let dim = query.len();
    let mut best = Best::new(k);
    let mut batch = [0usize; BATCH];
    let mut filled = 0;
    let flush = |batch: &[usize; BATCH], filled: usize, best: &mut Best| {
        // Unfilled places repeat the first row; their results are dropped.
        let row_bytes = |i: usize| {
            let row = batch[if i < filled { i } else { 0 }];
            &rows[row * dim..(row + 1) * dim]
        };
        let dots = kernel.dots(query, [row_bytes(0), row_bytes(1), row_bytes(2), row_bytes(3)]);
        for (&row, dot) in batch.iter().zip(dots).take(filled) {
            best.push(dot * scales[row], row);
        }
    };
    for row in range {
        if keep(row) {
            batch[filled] = row;
            filled += 1;
            if filled == BATCH {
                flush(&batch, filled, &mut best);
                filled = 0;
            }
        }
    }
    if filled > 0 {
        flush(&batch, filled, &mut best);
    }
    best
}

/// The best rows seen so far, in the order of [`nearest`]'s results: greater dot product first,
/// then lower row. Holds at most `2k` rows: when full, it keeps the best `k` and from then on
/// turns away any row that would not beat the `k`-th (rows come in increasing order, so a tie
/// with it loses).
struct Best {
    k: usize,
    rows: Vec<(f32, usize)>,
    /// The `k`-th best dot product, once `k` rows were kept.
    floor: Option<f32>,
}

impl Best {
    fn new(k: usize) -> Best {
        Best { k, rows: Vec::new(), floor: None }
    }

    fn push(&mut self, dot: f32, row: usize) {
        if self.floor.is_some_and(|floor| dot.total_cmp(&floor).is_le()) {
            return;
        }
        self.rows.push((dot, row));
        if self.rows.len() >= self.k.saturating_mul(2) {
            self.prune();
        }
    }

    /// Keeps the best `k` rows and remembers the `k`-th's dot product.
    fn prune(&mut self) {
        if self.rows.len() > self.k {
            self.rows.select_nth_unstable_by(self.k - 1, best_first);
            self.rows.truncate(self.k);
            self.floor = Some(self.rows[self.k - 1].0);
        }
    }

    /// Adds the rows another part of the scan kept.
    fn merge(&mut self, other: Best) {
        self.rows.extend(other.rows);
    }

    /// The best `k` rows, best first.
    fn into_sorted(mut self) -> Vec<(f32, usize)> {
        self.prune();
        self.rows.sort_unstable_by(best_first);
        self.rows
    }
}

/// The order of [`nearest`]'s results: greater dot product first, then lower row.
fn best_first(a: &(f32, usize), b: &(f32, usize)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Which loop computes [`BATCH`] dot products at once. All add in the order of [`dot_i8`] (one
/// partial sum a lane of [`LANES`], multiplications and additions rounded one by one, no fused
/// multiply-add), so they give the same numbers to the bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    /// [`dot_i8`] row by row, any CPU.
    Portable,
    /// AVX2: a row's 16 lanes in two 8-lane registers.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernel::Avx2;
        }
        Kernel::Portable
    }

    /// The kernels this CPU runs, the portable one first (for tests).
    #[cfg(test)]
    fn available() -> Vec<Kernel> {
        #[allow(unused_mut)]
        let mut kernels = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            kernels.push(Kernel::Avx2);
        }
        kernels
    }

    /// [`dot_i8`] of `query` with each of `rows`, each row exactly `query.len()` bytes.
    fn dots(self, query: &[f32], rows: [&[u8]; BATCH]) -> [f32; BATCH] {
        assert!(rows.iter().all(|r| r.len() == query.len()), "rows of another length");
        match self {
            Kernel::Portable => rows.map(|r| dot_i8_portable(query, r)),
            // SAFETY: `best` and `available` only return this kernel when the CPU has AVX2; it
            // reads `query.len()` bytes of each row, which the assert checked are there.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { simd::dots_avx2(query, rows) },
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    use super::{finish, BATCH, LANES};

    /// [`super::dot_i8`] of `query` with each of `rows` (each `query.len()` bytes), on AVX2.
    ///
    /// # Safety
    /// The CPU must have AVX2; each row must hold `query.len()` bytes.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn dots_avx2(query: &[f32], rows: [&[u8]; BATCH]) -> [f32; BATCH] {
        let chunks = query.len() / LANES;
        let mut lo = [_mm256_setzero_ps(); BATCH];
        let mut hi = [_mm256_setzero_ps(); BATCH];
        for c in 0..chunks {
            // SAFETY: chunk `c` is within `query` and within each row (as long as `query`).
            unsafe {
                let at = c * LANES;
                let x0 = _mm256_loadu_ps(query.as_ptr().add(at));
                let x1 = _mm256_loadu_ps(query.as_ptr().add(at + 8));
                for ((lo, hi), row) in lo.iter_mut().zip(hi.iter_mut()).zip(&rows) {
                    let b0 = _mm_loadl_epi64(row.as_ptr().add(at).cast());
                    let b1 = _mm_loadl_epi64(row.as_ptr().add(at + 8).cast());
                    let y0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b0));
                    let y1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b1));
                    *lo = _mm256_add_ps(*lo, _mm256_mul_ps(x0, y0));
                    *hi = _mm256_add_ps(*hi, _mm256_mul_ps(x1, y1));
                }
            }
        }
        let done = chunks * LANES;
        let mut out = [0.0; BATCH];
        for (((out, lo), hi), row) in out.iter_mut().zip(lo).zip(hi).zip(rows) {
            let mut lanes = [0.0_f32; LANES];
            // SAFETY: `lanes` holds 16 `f32`s: 8 from each register.
            unsafe {
                _mm256_storeu_ps(lanes.as_mut_ptr(), lo);
                _mm256_storeu_ps(lanes.as_mut_ptr().add(8), hi);
            }
            *out = finish(&lanes, &query[done..], &row[done..]);
        }
        out
    }
}

/// The text of a passage that is embedded: its document's title, its heading and its text (an
/// answer's title is its question's), one per line. The model reads a few hundred tokens at
/// most, so the title and heading, which say what the passage is about, come first.
pub fn embedding_text(p: &Passage) -> String {
    let mut s = String::with_capacity(p.doc_title.len() + p.text.len() + 2);
    // A question's text is usually its title again.
    if !(p.kind == Kind::Question && p.text.starts_with(p.doc_title.as_str())) {
        s.push_str(&p.doc_title);
        s.push('\n');
    }
    if let Some(h) = &p.heading {
        s.push_str(h);
        s.push('\n');
    }
    s.push_str(&p.text);
    s
}

/// The dot product of two embeddings (their cosine, as the model's embeddings have unit length);
/// over the shorter length if they differ.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceRef;

    fn passage(kind: Kind, title: &str, heading: Option<&str>, text: &str) -> Passage {
        Passage {
            id: "d#1".into(),
            doc_id: "d".into(),
            doc_title: title.into(),
            kind,
            heading: heading.map(str::to_owned),
            position: 1,
            text: text.into(),
            context: None,
            source: SourceRef { path: "d.md".into(), line: 1 },
        }
    }

    #[test]
    fn the_title_and_heading_come_before_the_text() {
        let p = passage(Kind::Article, "Calf Reduction", Some("Botox"), "It takes weeks.");
        assert_eq!(embedding_text(&p), "Calf Reduction\nBotox\nIt takes weeks.");
        let q = passage(Kind::Question, "Does botox hurt?", None, "Does botox hurt? I wonder.");
        assert_eq!(embedding_text(&q), "Does botox hurt? I wonder.");
    }

    /// A unit vector of `n` components drawn from a small generator seeded with `seed`.
    fn unit(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        let v: Vec<f32> = (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
            })
            .collect();
        let norm = dot(&v, &v).sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    #[test]
    fn vectors_take_a_byte_a_component_and_come_back_close() {
        let v = unit(384, 7);
        let bytes = encode(&v);
        assert_eq!(bytes.len(), 4 + 384);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.len(), 384);
        let max = v.iter().fold(0.0_f32, |m, x| m.max(x.abs()));
        for (a, b) in v.iter().zip(&back) {
            assert!((a - b).abs() <= max / 254.0 + 1e-6, "{a} vs {b}");
        }
        // The largest component is kept exactly (up to f32 rounding).
        let i = v.iter().position(|x| x.abs() == max).unwrap();
        assert!((back[i] - v[i]).abs() < 1e-6);
    }

    #[test]
    fn quantized_cosines_stay_within_a_few_thousandths() {
        let q = unit(384, 1);
        for seed in 2..50 {
            let v = unit(384, seed);
            let bytes = encode(&v);
            let exact = dot(&q, &v);
            let quantized = Quantized::from_bytes(&bytes).unwrap().dot(&q);
            assert!((exact - quantized).abs() < 0.005, "{exact} vs {quantized}");
            assert!((dot(&q, &decode(&bytes).unwrap()) - quantized).abs() < 1e-5);
        }
    }

    #[test]
    fn nearest_is_the_best_k_rows_by_dot_product() {
        let q = unit(16, 100);
        let vectors: Vec<Vec<f32>> = (0..50).map(|seed| unit(16, seed)).collect();
        let (mut rows, mut scales) = (Vec::new(), Vec::new());
        for v in &vectors {
            let bytes = encode(v);
            let quantized = Quantized::from_bytes(&bytes).unwrap();
            rows.extend_from_slice(quantized.components);
            scales.push(quantized.scale);
        }
        let mut by_exact: Vec<(f32, usize)> =
            vectors.iter().enumerate().map(|(i, v)| (dot(&q, v), i)).collect();
        by_exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let best = nearest(&rows, &scales, &q, 5, |_| true);
        assert_eq!(best.len(), 5);
        assert!(best.windows(2).all(|w| w[0].0 >= w[1].0), "{best:?}");
        // Quantization may swap near ties only.
        for (got, want) in best.iter().zip(&by_exact) {
            assert!((got.0 - want.0).abs() < 0.01, "{got:?} vs {want:?}");
        }
        let even = nearest(&rows, &scales, &q, 100, |row| row % 2 == 0);
        assert_eq!(even.len(), 25);
        assert!(even.iter().all(|&(_, row)| row % 2 == 0));
        assert!(nearest(&rows, &scales, &q, 0, |_| true).is_empty());
    }

    /// The old scan, the reference: every kept row scored by [`dot_i8`], all sorted.
    fn nearest_by_sorting(
        rows: &[u8],
        scales: &[f32],
        query: &[f32],
        k: usize,
        keep: impl Fn(usize) -> bool,
    ) -> Vec<(f32, usize)> {
        let mut scored: Vec<(f32, usize)> = (rows.chunks_exact(query.len()).zip(scales))
            .enumerate()
            .filter(|&(row, _)| keep(row))
            .map(|(row, (c, &scale))| (dot_i8(query, c) * scale, row))
            .collect();
        scored.sort_by(best_first);
        scored.truncate(k);
        scored
    }

    /// `n` encoded unit vectors of `dim` components, every fifth one a copy of the one three
    /// rows before (ties), as rows and scales.
    fn encoded(n: usize, dim: usize) -> (Vec<u8>, Vec<f32>) {
        let (mut rows, mut scales) = (Vec::new(), Vec::new());
        for i in 0..n {
            let seed = 1000 + if i % 5 == 4 { i - 3 } else { i } as u64;
            let bytes = encode(&unit(dim, seed));
            let q = Quantized::from_bytes(&bytes).unwrap();
            rows.extend_from_slice(q.components);
            scales.push(q.scale);
        }
        (rows, scales)
    }

    #[test]
    fn every_kernel_gives_dot_i8_to_the_bit() {
        for dim in [1, 3, 16, 20, 33, 384] {
            let q = unit(dim, 9);
            let (rows, _) = encoded(8, dim);
            let rows: Vec<&[u8]> = rows.chunks_exact(dim).collect();
            let want: Vec<u32> = rows.iter().map(|r| dot_i8(&q, r).to_bits()).collect();
            for kernel in Kernel::available() {
                for at in [0, 4] {
                    let got = kernel.dots(&q, [rows[at], rows[at + 1], rows[at + 2], rows[at + 3]]);
                    let got: Vec<u32> = got.iter().map(|d| d.to_bits()).collect();
                    assert_eq!(got, want[at..at + 4], "{kernel:?}, {dim} dimensions");
                }
            }
        }
        // Extreme components too: -128 (a byte no encoding writes) and 127.
        let q = vec![0.25_f32; 48];
        let row: Vec<u8> = (0..48).map(|i| [0x80, 0x7f, 0x01][i % 3]).collect();
        for kernel in Kernel::available() {
            assert_eq!(kernel.dots(&q, [&row; BATCH]), [dot_i8(&q, &row); BATCH]);
        }
    }

    #[test]
    fn the_scan_ranks_as_sorting_every_row_does() {
        let dim = 24;
        let q = unit(dim, 77);
        // Enough rows that the scan is split over the cores (on a machine with several).
        let n = 2 * ROWS_PER_THREAD + 7;
        let (rows, scales) = encoded(n, dim);
        for k in [1, 3, 10, 100, n + 5] {
            let want = nearest_by_sorting(&rows, &scales, &q, k, |_| true);
            assert_eq!(nearest(&rows, &scales, &q, k, |_| true), want, "k = {k}");
            let keep = |row: usize| row % 3 != 1;
            let want = nearest_by_sorting(&rows, &scales, &q, k, keep);
            assert_eq!(nearest(&rows, &scales, &q, k, keep), want, "k = {k}, every third out");
        }
        // Few rows (one core), a filter that keeps one row, and one that keeps none.
        let (few, few_scales) = encoded(37, dim);
        let want = nearest_by_sorting(&few, &few_scales, &q, 9, |_| true);
        assert_eq!(nearest(&few, &few_scales, &q, 9, |_| true), want);
        assert_eq!(nearest(&few, &few_scales, &q, 9, |row| row == 30).len(), 1);
        assert!(nearest(&few, &few_scales, &q, 9, |_| false).is_empty());
        // Ties (the copies) are broken by row, lower first.
        let best = nearest(&few, &few_scales, &q, 37, |_| true);
        assert!(best.windows(2).any(|w| w[0].0 == w[1].0), "no ties: {best:?}");
        assert!(best.windows(2).all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)));
    }

    /// The AVX2 build of `dot_i8` gives the portable loop's number to the bit (the exact scan's
    /// kernels and the graph's walk rely on it), tails included.
    #[test]
    fn dot_products_are_the_same_in_every_build() {
        for len in [0, 1, 7, 8, 9, 31, 32, 33, 383, 384, 385] {
            let a: Vec<f32> = (0..len).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013).collect();
            let b: Vec<u8> = (0..len).map(|i| (i * 91 % 256) as u8).collect();
            assert_eq!(dot_i8(&a, &b).to_bits(), dot_i8_portable(&a, &b).to_bits(), "{len}");
        }
    }

    #[test]
    fn odd_vectors_encode_without_panicking() {
        assert_eq!(decode(&encode(&[])), Some(vec![]));
        assert_eq!(decode(&encode(&[0.0, 0.0])), Some(vec![0.0, 0.0]));
        let back = decode(&encode(&[f32::NAN, 1.0, f32::INFINITY])).unwrap();
        assert_eq!(back, [0.0, 1.0, 0.0]);
        assert_eq!(decode(&[0, 0, 192, 127, 1]), None, "a scale that is not a number");
        // Vectors of other lengths than the query's are compared over the shorter one.
        let q = Quantized::from_bytes(&[0, 0, 128, 63, 1, 2, 3]).unwrap();
        assert_eq!(q.scale, 1.0);
        assert_eq!(q.dot(&[1.0, 1.0]), 3.0);
        assert_eq!(dot_i8(&[1.0; 40], &[1; 33]), 33.0);
    }
}
