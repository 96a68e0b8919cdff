//! Self-attention: for each head, `softmax(Q Kᵀ / √dh) V`, each text attending only to its own
//! tokens (a packed group's texts are stacked without padding).
//!
//! Two ways to run the two products, chosen when the model is loaded ([`Products`]):
//!
//! - **f32**: `matrixmultiply`'s sgemm, as the reference forward pass does;
//! - **bf16**: on a CPU with AVX-512 BF16, with the int8 linear layers
//!   ([`crate::Precision::Int8`]). Q, K, the probabilities and V are rounded to bfloat16 (8
//!   significant bits) and multiplied by `vdpbf16ps` (32 products an instruction, summed in
//!   f32) in a kernel written here, which reads K and V in a layout packed once per head.
//!
//! Why a kernel of our own: with the linear layers in int8, attention's f32 products were a
//! quarter of the CPU time of embedding a SciFact abstract (`perf record`: sgemm's kernel
//! 16.9% and its packing 8.3%, against 51% for all the int8 products; BENCHMARKS.md,
//! "Embedding"). sgemm packs both operands at every call, and for a head (k = 32) that costs
//! about half as much as the product itself. `matrixmultiply` has no bf16 product and no other
//! maintained pure-Rust crate here has one. The bf16 rounding moves an embedding by less than
//! the int8 layers already do; BENCHMARKS.md has the cosines and `kb eval`'s nDCG@10 for both.

use crate::linalg::{gemm, gemm_scaled, sum};

/// How attention's two products run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Products {
    /// sgemm in f32.
    F32,
    /// bfloat16 operands, f32 sums (AVX-512 BF16).
    #[cfg(target_arch = "x86_64")]
    Bf16,
}

impl Products {
    /// bf16 where the CPU has it, the linear layers are int8 (`fast`) and a head's width `dh`
    /// is even (every BERT's is), else f32.
    pub(crate) fn for_this_cpu(fast: bool, dh: usize) -> Products {
        #[cfg(target_arch = "x86_64")]
        if fast && dh.is_multiple_of(2) && has_bf16() {
            return Products::Bf16;
        }
        let _ = (fast, dh);
        Products::F32
    }
}

/// Whether the CPU has AVX-512 F, BW, DQ, VL and BF16 (checked once).
#[cfg(target_arch = "x86_64")]
fn has_bf16() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        crate::quant::has_avx512() && std::arch::is_x86_feature_detected!("avx512bf16")
    })
}

/// A layer's attention: the width of a token's row, its heads, and the scale of the scores
/// (1 / √(d / heads)).
#[derive(Debug, Clone, Copy)]
struct Shape {
    d: usize,
    heads: usize,
    scale: f32,
}

/// Buffers reused from head to head and layer to layer.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    scores: Vec<f32>,
    /// One over each row's sum of exponentials.
    inv_sums: Vec<f32>,
    /// bf16 pairs: Q, K packed, the probabilities, V packed.
    q: Vec<u32>,
    k: Vec<u32>,
    p: Vec<u32>,
    v: Vec<u32>,
    /// One row of K as pairs, before it is written into K's columns.
    row_pairs: Vec<u32>,
}

/// The attention of a layer over the texts `spans` (first row, length) of `qkv` (rows of `3d`:
/// Q, K, V side by side), `heads` heads, written into `ctx` (rows of `d`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn attend(
    products: Products,
    qkv: &[f32],
    spans: &[(usize, usize)],
    d: usize,
    heads: usize,
    ctx: &mut [f32],
    scratch: &mut Scratch,
) {
    assert!(heads > 0 && d.is_multiple_of(heads));
    let n: usize = spans.iter().map(|&(_, len)| len).sum();
    assert!(qkv.len() >= n * 3 * d && ctx.len() >= n * d);
    let shape = Shape { d, heads, scale: 1.0 / ((d / heads) as f32).sqrt() };
    for &(first, len) in spans {
        assert!((first + len) * 3 * d <= qkv.len() && (first + len) * d <= ctx.len());
        match products {
            Products::F32 => f32_heads(qkv, (first, len), shape, ctx, scratch),
            // SAFETY: `Products::Bf16` is only chosen where the CPU has AVX-512 BF16, and the
            // text's rows are inside `qkv` and `ctx` (asserted above).
            #[cfg(target_arch = "x86_64")]
            Products::Bf16 => unsafe { bf16::heads(qkv, (first, len), shape, ctx, scratch) },
        }
    }
}

/// Every head of the text of `len` rows from row `first`, in f32.
#[inline(always)]
fn f32_heads(
    qkv: &[f32],
    (first, len): (usize, usize),
    Shape { d, heads, scale }: Shape,
    ctx: &mut [f32],
    scratch: &mut Scratch,
) {
    let dh = d / heads;
    scratch.scores.resize(len * len, 0.0);
    let scores = &mut scratch.scores[..len * len];
    let base = first * 3 * d;
    for h in 0..heads {
        let (q_off, k_off, v_off) = (h * dh, d + h * dh, 2 * d + h * dh);
        // scores = Q_h · K_hᵀ (K_h read column-wise as its transpose).
        scores.fill(0.0);
        gemm_scaled(
            scale,
            (len, dh, len),
            (qkv, base + q_off, (3 * d, 1)),
            (qkv, base + k_off, (1, 3 * d)),
            (&mut *scores, 0, (len, 1)),
        );
        for row in scores.chunks_exact_mut(len) {
            softmax(row);
        }
        // ctx[:, h] = P · V_h.
        for row in ctx[first * d..(first + len) * d].chunks_exact_mut(d) {
            row[h * dh..(h + 1) * dh].fill(0.0);
        }
        gemm(
            len,
            len,
            dh,
            scores,
            0,
            (len, 1),
            qkv,
            base + v_off,
            (3 * d, 1),
            ctx,
            first * d + h * dh,
            (d, 1),
        );
    }
}

/// Softmax of one row, in place.
#[inline(always)]
fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    row.iter_mut().for_each(|v| *v = exp_nonpositive(*v - max));
    let inv = 1.0 / sum(row);
    row.iter_mut().for_each(|v| *v *= inv);
}

/// e^x for x <= 0 (softmax's inputs once the maximum is subtracted), relative error below 3e-7:
/// Cephes' expf (x = n ln 2 + r, a degree-5 polynomial for e^r, 2^n put in the exponent bits),
/// flushed to 0 below -87. Branch-free float and integer operations only, so the softmax loop
/// vectorizes, where `f32::exp` is a libm call per element.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer.
    let x = x.max(-87.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_66;
    p = p * r + 0.5;
    let e_r = p * r * r + r + 1.0;
    // The integer n sits in the low mantissa bits of `shifted`.
    let n_int = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    let two_n = f32::from_bits(((n_int + 127) as u32) << 23);
    if x <= -87.0 {
        0.0
    } else {
        e_r * two_n
    }
}

#[cfg(target_arch = "x86_64")]
mod bf16 {
    use std::arch::x86_64::*;

    use super::{Scratch, Shape};
    use crate::quant::first_lanes;

    /// Rows of a scores tile.
    const S_ROWS: usize = 6;
    /// Columns of a scores tile (four 16-lane registers).
    const S_COLS: usize = 64;
    /// Rows of a context tile.
    const C_ROWS: usize = 12;
    /// Columns of a context tile (two 16-lane registers).
    const C_COLS: usize = 32;

    /// Every head of the text of `len` rows from row `first`: scores and context in bf16.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, BW, VL and BF16; rows `first..first + len` are inside `qkv`
    /// (`3d` a row) and `ctx` (`d` a row); `heads` divides `d`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    pub(super) unsafe fn heads(
        qkv: &[f32],
        (first, len): (usize, usize),
        Shape { d, heads, scale }: Shape,
        ctx: &mut [f32],
        s: &mut Scratch,
    ) {
        if len == 0 {
            return;
        }
        let dh = d / heads;
        let ph = dh / 2; // pairs a head's row of Q or K (dh is even: `Products::for_this_cpu`)
        let lp = len.next_multiple_of(S_COLS); // K's columns, zero beyond len
        let lq = len.div_ceil(2); // pairs a row of probabilities
        let dp = dh.next_multiple_of(C_COLS); // V's columns, zero beyond dh
        let row = |i: usize| &qkv[(first + i) * 3 * d..(first + i + 1) * 3 * d];
        s.q.resize(len * ph, 0);
        s.k.clear();
        s.k.resize(ph * lp, 0);
        s.scores.resize(S_ROWS * lp, 0.0);
        s.inv_sums.resize(len, 0.0);
        s.p.resize(len * lq, 0);
        s.row_pairs.resize(ph, 0);
        s.v.clear();
        s.v.resize(lq * dp, 0);
        for h in 0..heads {
            let (qo, ko, vo) = (h * dh, d + h * dh, 2 * d + h * dh);
            // Q_h by rows of pairs; K_h packed as [pair][column]; V_h as [pair of rows][column].
            for i in 0..len {
                let (q, k) = (&row(i)[qo..qo + dh], &row(i)[ko..ko + dh]);
                // SAFETY: the CPU has AVX-512 BF16 (this function's contract).
                unsafe {
                    to_pairs(q, &mut s.q[i * ph..(i + 1) * ph]);
                    to_pairs(k, &mut s.row_pairs[..ph]);
                }
                for (p, &two) in s.row_pairs[..ph].iter().enumerate() {
                    s.k[p * lp + i] = two;
                }
            }
            for t in 0..lq {
                let upper = &row(2 * t)[vo..vo + dh];
                let lower = (2 * t + 1 < len).then(|| &row(2 * t + 1)[vo..vo + dh]);
                // SAFETY: as above.
                unsafe { interleave_pairs(upper, lower, &mut s.v[t * dp..t * dp + dh]) };
            }
            // scores = scale · Q_h K_hᵀ, S_ROWS rows at a time, each row then turned into
            // e^(score - max) and rounded to pairs while it is in the L1 cache (normalized when
            // the context is written, by 1 / the sum).
            for i0 in (0..len).step_by(S_ROWS) {
                let rows = S_ROWS.min(len - i0);
                for j0 in (0..lp).step_by(S_COLS) {
                    let tile = Tile {
                        a: s.q[i0 * ph..].as_ptr(),
                        pairs: ph,
                        b: s.k[j0..].as_ptr(),
                        b_stride: lp,
                        out: s.scores[j0..].as_mut_ptr(),
                        out_stride: lp,
                        cols: S_COLS,
                        alpha: std::slice::from_ref(&scale),
                    };
                    // SAFETY: rows i0..i0 + rows of Q (ph pairs each) and columns j0..j0 + 64 of
                    // the packed K (lp a pair) and of the S_ROWS rows of scores (lp a row) are
                    // in their buffers.
                    unsafe { dispatch::<4>(rows, &tile) };
                }
                for r in 0..rows {
                    let i = i0 + r;
                    let scores = &s.scores[r * lp..r * lp + len];
                    // SAFETY: as above.
                    let sum = unsafe { exp_pairs(scores, &mut s.p[i * lq..(i + 1) * lq]) };
                    s.inv_sums[i] = 1.0 / sum;
                }
            }
            // ctx[:, h] = P · V_h.
            for i0 in (0..len).step_by(C_ROWS) {
                for c0 in (0..dh).step_by(C_COLS) {
                    let tile = Tile {
                        a: s.p[i0 * lq..].as_ptr(),
                        pairs: lq,
                        b: s.v[c0..].as_ptr(),
                        b_stride: dp,
                        out: ctx[(first + i0) * d + h * dh + c0..].as_mut_ptr(),
                        out_stride: d,
                        cols: C_COLS.min(dh - c0),
                        alpha: &s.inv_sums[i0..],
                    };
                    // SAFETY: rows i0.. of P (lq pairs each) and columns c0..c0 + 32 of the
                    // packed V (dp a pair) are in their buffers; the tile writes `cols`
                    // columns of head h in rows first + i0.. of `ctx`.
                    unsafe { dispatch::<2>(C_ROWS.min(len - i0), &tile) };
                }
            }
        }
    }

    /// e^(x - the row's maximum) for each x of `row`, rounded to bfloat16 pairs into `dst`
    /// as [`to_pairs`] does; returns the sum of the unrounded exponentials. One pass for the
    /// maximum, one for the rest, 16 lanes an instruction, tails included.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, BW and BF16.
    ///
    /// # Panics
    /// If `dst` does not hold `row.len().div_ceil(2)` pairs.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
    pub(super) unsafe fn exp_pairs(row: &[f32], dst: &mut [u32]) -> f32 {
        assert_eq!(dst.len(), row.len().div_ceil(2));
        let n = row.len();
        let low = _mm512_set1_ps(f32::NEG_INFINITY);
        let mut maxes = low;
        for t in (0..n).step_by(16) {
            // SAFETY: the mask keeps the load inside `row`.
            let v = unsafe { _mm512_mask_loadu_ps(low, first_lanes(n - t), row.as_ptr().add(t)) };
            maxes = _mm512_max_ps(maxes, v);
        }
        let max = _mm512_set1_ps(_mm512_reduce_max_ps(maxes));
        let mut sums = _mm512_setzero_ps();
        for t in (0..n).step_by(32) {
            let left = n - t;
            let (lo, hi, halves) = pair_masks(left);
            // SAFETY: the masks keep the loads inside `row` and the store inside `dst`
            // (`left.div_ceil(2)` pairs from pair t / 2); lanes past the row are 0.
            unsafe {
                let a = _mm512_maskz_loadu_ps(lo, row.as_ptr().add(t));
                let b = _mm512_maskz_loadu_ps(hi, row.as_ptr().add(t + 16.min(left)));
                let a = _mm512_maskz_mov_ps(lo, exp16(_mm512_sub_ps(a, max)));
                let b = _mm512_maskz_mov_ps(hi, exp16(_mm512_sub_ps(b, max)));
                sums = _mm512_add_ps(sums, _mm512_add_ps(a, b));
                let bf: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(b, a));
                _mm512_mask_storeu_epi16(dst.as_mut_ptr().add(t / 2).cast(), halves, bf);
            }
        }
        _mm512_reduce_add_ps(sums)
    }

    /// [`super::exp_nonpositive`] of 16 values, with fused multiply-adds (so within a rounding or two
    /// of it, well below bfloat16's) and `vscalefps` for 2^n.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn exp16(x: __m512) -> __m512 {
        let x = _mm512_max_ps(x, _mm512_set1_ps(-87.0));
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
        );
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_359_4), x);
        let r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.121_944_4e-4), r);
        let mut p = _mm512_set1_ps(1.987_569_1e-4);
        for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_66, 0.5] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
        }
        let e_r = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0)));
        _mm512_scalef_ps(e_r, n)
    }

    /// `src` rounded to bfloat16 (to nearest, ties to even, to nearest, ties to even), as pairs:
    /// `dst[t]` holds `src[2t]` and `src[2t + 1]` (0 past the end), 32 values an instruction.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, BW and BF16.
    ///
    /// # Panics
    /// If `dst` does not hold `src.len().div_ceil(2)` pairs.
    #[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
    pub(super) unsafe fn to_pairs(src: &[f32], dst: &mut [u32]) {
        assert_eq!(dst.len(), src.len().div_ceil(2));
        for t in (0..src.len()).step_by(32) {
            let left = src.len() - t;
            let (lo, hi, halves) = pair_masks(left);
            // SAFETY: the masks keep the loads inside `src` and the store inside `dst`
            // (`left.div_ceil(2)` pairs from pair t / 2).
            unsafe {
                let a = _mm512_maskz_loadu_ps(lo, src.as_ptr().add(t));
                let b = _mm512_maskz_loadu_ps(hi, src.as_ptr().add(t + 16.min(left)));
                let bf: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(b, a));
                _mm512_mask_storeu_epi16(dst.as_mut_ptr().add(t / 2).cast(), halves, bf);
            }
        }
    }

    /// For 32 values turned into 16 pairs with `left` values left (at most 32 used): the lanes
    /// read of the first and the second 16, and the bf16 halves written (a whole pair for an
    /// odd tail).
    #[inline(always)]
    fn pair_masks(left: usize) -> (__mmask16, __mmask16, __mmask32) {
        let halves = match left {
            32.. => u32::MAX,
            _ => ((1u64 << left.next_multiple_of(2)) - 1) as u32,
        };
        (first_lanes(left), first_lanes(left.saturating_sub(16)), halves)
    }

    /// `out[c]` = the pair of `upper[c]` and `lower[c]` (0 without a lower row), rounded to
    /// bfloat16 to nearest, ties to even, 16 columns an instruction.
    ///
    /// # Safety
    /// The CPU has AVX-512 F and BF16.
    ///
    /// # Panics
    /// If the rows and `out` are not all as long.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub(super) unsafe fn interleave_pairs(upper: &[f32], lower: Option<&[f32]>, out: &mut [u32]) {
        assert!(upper.len() == out.len() && lower.is_none_or(|l| l.len() == out.len()));
        for c in (0..out.len()).step_by(16) {
            let left = out.len() - c;
            let mask: __mmask16 = first_lanes(left);
            // SAFETY: the mask keeps the loads inside the rows and the store inside `out`.
            unsafe {
                let a = _mm512_maskz_loadu_ps(mask, upper.as_ptr().add(c));
                let b = match lower {
                    Some(lower) => _mm512_maskz_loadu_ps(mask, lower.as_ptr().add(c)),
                    None => _mm512_setzero_ps(),
                };
                let a: __m256i = std::mem::transmute(_mm512_cvtneps_pbh(a));
                let b: __m256i = std::mem::transmute(_mm512_cvtneps_pbh(b));
                let pairs = _mm512_or_si512(
                    _mm512_cvtepu16_epi32(a),
                    _mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(b)),
                );
                _mm512_mask_storeu_epi32(out.as_mut_ptr().add(c).cast(), mask, pairs);
            }
        }
    }

    /// One tile of a product: rows of bf16 pairs against columns of packed pairs.
    struct Tile<'a> {
        /// The first row's first pair, `pairs` pairs a row, every one summed over.
        a: *const u32,
        pairs: usize,
        /// The first column of the first group of packed pairs, `b_stride` a group.
        b: *const u32,
        b_stride: usize,
        /// Where the first row's first result goes, `out_stride` floats a row.
        out: *mut f32,
        out_stride: usize,
        /// Columns written (at most `16 V`).
        cols: usize,
        /// The factor each row's sums are scaled by: one for every row, or one a row.
        alpha: &'a [f32],
    }

    /// [`kernel`] for `rows` rows (1 to 12, at most 6 when `V` is 4).
    ///
    /// # Safety
    /// As [`kernel`]'s, for `rows` rows.
    #[target_feature(enable = "avx512f,avx512bf16")]
    unsafe fn dispatch<const V: usize>(rows: usize, t: &Tile<'_>) {
        // SAFETY: the caller's contract.
        unsafe {
            match rows {
                1 => kernel::<1, V>(t),
                2 => kernel::<2, V>(t),
                3 => kernel::<3, V>(t),
                4 => kernel::<4, V>(t),
                5 => kernel::<5, V>(t),
                6 => kernel::<6, V>(t),
                7 => kernel::<7, V>(t),
                8 => kernel::<8, V>(t),
                9 => kernel::<9, V>(t),
                10 => kernel::<10, V>(t),
                11 => kernel::<11, V>(t),
                _ => kernel::<12, V>(t),
            }
        }
    }

    /// `out[r][c] = alpha_r · Σ_g a[r][g] · b[g][c]` (each term a pair of products) for `R`
    /// rows and the tile's columns.
    ///
    /// # Safety
    /// The CPU has AVX-512 F and BF16; `a` is readable for `pairs` pairs at every
    /// `r * pairs`, `r < R`; `b` for `16 V` pairs at every `g * b_stride`, `g < pairs`;
    /// `out` writable for `cols` floats at every `r * out_stride`; `alpha` holds 1 or `R`
    /// values.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[inline(never)]
    unsafe fn kernel<const R: usize, const V: usize>(t: &Tile<'_>) {
        let mut acc = [[_mm512_setzero_ps(); V]; R];
        for g in 0..t.pairs {
            // SAFETY: in bounds by the function's contract.
            unsafe {
                let bp = t.b.add(g * t.b_stride);
                let mut bv = [_mm512_setzero_si512(); V];
                for (v, b) in bv.iter_mut().enumerate() {
                    *b = _mm512_loadu_si512(bp.add(16 * v).cast());
                }
                for (r, ar) in acc.iter_mut().enumerate() {
                    let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(
                        t.a.add(r * t.pairs + g).read_unaligned() as i32,
                    ));
                    for (cv, &b) in ar.iter_mut().zip(&bv) {
                        *cv =
                            _mm512_dpbf16_ps(*cv, av, std::mem::transmute::<__m512i, __m512bh>(b));
                    }
                }
            }
        }
        for (r, ar) in acc.iter().enumerate() {
            let alpha = _mm512_set1_ps(t.alpha[if t.alpha.len() == 1 { 0 } else { r }]);
            for (v, &cv) in ar.iter().enumerate() {
                let first = 16 * v;
                if first >= t.cols {
                    break;
                }
                let left = t.cols - first;
                let mask: __mmask16 = first_lanes(left);
                // SAFETY: the mask keeps the store inside the row's `cols` columns.
                unsafe {
                    _mm512_mask_storeu_ps(
                        t.out.add(r * t.out_stride + first),
                        mask,
                        _mm512_mul_ps(alpha, cv),
                    )
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::tests::values;

    /// `x` rounded to the nearest bfloat16 (ties to even), as its 16 bits.
    fn bf16(x: f32) -> u32 {
        let b = x.to_bits();
        (b.wrapping_add(0x7fff + ((b >> 16) & 1))) >> 16
    }

    /// Two values as a pair of bfloat16s, `lo` in the low half (the element a `vdpbf16ps` lane
    /// multiplies first).
    fn pair(lo: f32, hi: f32) -> u32 {
        bf16(lo) | (bf16(hi) << 16)
    }

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -90.0 * i as f32 / 200_000.0;
            let want = f64::from(x).exp();
            let got = f64::from(exp_nonpositive(x));
            if x > -87.0 {
                worst = worst.max((got - want).abs() / want);
            } else {
                assert_eq!(got, 0.0);
            }
        }
        assert!(worst < 3e-7, "relative error {worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
    }

    #[test]
    fn bf16_rounds_to_nearest_even() {
        assert_eq!(bf16(1.0), 0x3f80);
        assert_eq!(bf16(-2.0), 0xc000);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even (1.0).
        assert_eq!(bf16(1.0 + 1.0 / 256.0), 0x3f80);
        // Just above halfway rounds up.
        assert_eq!(bf16(1.0 + 1.0 / 256.0 + 1.0 / 65536.0), 0x3f81);
        assert_eq!(pair(1.0, -2.0), 0xc000_3f80);
    }

    /// The instruction that rounds 32 values at a time gives [`pair`]'s bits, tails included.
    #[test]
    fn hardware_pairs_are_software_pairs() {
        if Products::for_this_cpu(true, 2) == Products::F32 {
            return; // no AVX-512 BF16 here: nothing else uses `to_pairs`
        }
        #[cfg(target_arch = "x86_64")]
        for len in [1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 100] {
            let src: Vec<f32> = values(len, len as u64).iter().map(|v| v * 1e3).collect();
            let want: Vec<u32> =
                src.chunks(2).map(|two| pair(two[0], two.get(1).copied().unwrap_or(0.0))).collect();
            let mut got = vec![u32::MAX; len.div_ceil(2) + 1];
            // SAFETY: the CPU has AVX-512 BF16 (checked above).
            unsafe { bf16::to_pairs(&src, &mut got[..len.div_ceil(2)]) };
            assert_eq!(got[..len.div_ceil(2)], want[..], "{len}");
            assert_eq!(got[len.div_ceil(2)], u32::MAX, "{len}: wrote past the end");
            let lower: Vec<f32> = values(len, 100 + len as u64);
            let want: Vec<u32> = src.iter().zip(&lower).map(|(&a, &b)| pair(a, b)).collect();
            let mut got = vec![u32::MAX; len + 1];
            // SAFETY: as above.
            unsafe { bf16::interleave_pairs(&src, Some(&lower), &mut got[..len]) };
            assert_eq!(got[..len], want[..], "{len} interleaved");
            assert_eq!(got[len], u32::MAX, "{len}: interleaved past the end");
            let want: Vec<u32> = src.iter().map(|&a| pair(a, 0.0)).collect();
            // SAFETY: as above.
            unsafe { bf16::interleave_pairs(&src, None, &mut got[..len]) };
            assert_eq!(got[..len], want[..], "{len} without a lower row");
        }
    }

    /// The vector exponentials are the scalar ones to a rounding or two, and a row's pairs
    /// are its exponentials rounded as [`pair`] rounds them, the odd tail's upper half 0.
    #[test]
    fn vector_exponentials_are_the_scalar_ones() {
        if Products::for_this_cpu(true, 2) == Products::F32 {
            return; // no AVX-512 BF16 here: nothing else uses `exp_pairs`
        }
        #[cfg(target_arch = "x86_64")]
        for len in [1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 100, 257] {
            let row: Vec<f32> = values(len, 7 + len as u64).iter().map(|v| v * 30.0).collect();
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let want: Vec<f32> = row.iter().map(|&v| exp_nonpositive(v - max)).collect();
            let mut got = vec![u32::MAX; len.div_ceil(2) + 1];
            // SAFETY: the CPU has AVX-512 BF16 (checked above).
            let sum = unsafe { bf16::exp_pairs(&row, &mut got[..len.div_ceil(2)]) };
            let want_sum: f32 = want.iter().sum();
            assert!((sum - want_sum).abs() <= 1e-6 * want_sum, "{len}: {sum} vs {want_sum}");
            assert_eq!(got[len.div_ceil(2)], u32::MAX, "{len}: wrote past the end");
            for (t, &two) in got[..len.div_ceil(2)].iter().enumerate() {
                for (half, bits) in [(0, two & 0xffff), (1, two >> 16)] {
                    let Some(&w) = want.get(2 * t + half) else {
                        assert_eq!(bits, 0, "{len}: the tail's upper half");
                        continue;
                    };
                    let got = f32::from_bits(bits << 16);
                    // Within one bf16 step (the values may straddle a rounding boundary).
                    assert!(
                        (got - w).abs() <= w / 128.0 + 1e-30,
                        "{len}[{}]: {got} vs {w}",
                        2 * t + half
                    );
                }
            }
        }
    }

    /// On this CPU's fastest products, attention over texts of every awkward length (1 token,
    /// odd, past a tile) agrees with f32 to bf16 precision, and each text sees only its own
    /// rows: the same text alone or packed after another gives the same context.
    #[test]
    fn fast_products_agree_with_f32() {
        let (d, heads) = (64, 4);
        let spans = [(0, 1), (1, 7), (8, 70), (78, 13)];
        let n = 91;
        let qkv: Vec<f32> = values(n * 3 * d, 9).iter().map(|v| v * 3.0).collect();
        let run = |products, spans: &[(usize, usize)], qkv: &[f32]| {
            let rows: usize = spans.iter().map(|s| s.1).sum();
            let mut ctx = vec![f32::NAN; rows * d];
            attend(products, qkv, spans, d, heads, &mut ctx, &mut Scratch::default());
            ctx
        };
        let exact = run(Products::F32, &spans, &qkv);
        let fast = run(Products::for_this_cpu(true, d / heads), &spans, &qkv);
        let mut total = 0.0;
        for (i, (a, b)) in exact.iter().zip(&fast).enumerate() {
            assert!(a.is_finite() && (a - b).abs() < 0.06, "[{i}] {a} vs {b}");
            total += (a - b).abs();
        }
        assert!(total / (exact.len() as f32) < 0.01, "mean error {}", total / exact.len() as f32);
        let alone =
            run(Products::for_this_cpu(true, d / heads), &[(0, 70)], &qkv[8 * 3 * d..78 * 3 * d]);
        assert_eq!(alone, fast[8 * d..78 * d]);
    }
}
