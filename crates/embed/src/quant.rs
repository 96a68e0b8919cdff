//! int8 matrix products for the linear layers of the encoder.
//!
//! A weight matrix is quantized once, per output column: symmetric, `w ≈ s_j · q` with
//! `q ∈ [-127, 127]` ([`QLinear`]). The activations are quantized at every product, per row:
//! asymmetric, `x ≈ s_i · (u - z_i)` with `u ∈ [0, 255]` and a zero point `z_i`, so that the
//! whole range of the row (a GELU output is mostly positive) gets the 256 levels. The product of
//! the integers is summed exactly in i32 and scaled back:
//!
//! `Σ_k x_ik w_kj ≈ s_i s_j (Σ_k u_ik q_kj - z_i Σ_k q_kj)`.
//!
//! The integer sums run on AVX-512 VNNI (`vpdpbusd`: 64 byte products an instruction) when the
//! CPU has it, else on a portable loop; both give the same integers, so the same embeddings.
//! The weights are stored in the layout the VNNI kernel reads (groups of 4 consecutive `k` for
//! each column, 64 columns a block), prepared once when the model is loaded.

use crate::ready::Array;

/// Columns in a block of the packed weights (four 16-lane registers).
const NB: usize = 64;
/// Rows of the activations handled at once by the kernel.
const MR: usize = 6;

/// A `[k, n]` weight matrix quantized per column, packed for [`QLinear::matmul_acc`].
#[derive(Debug, Clone)]
pub(crate) struct QLinear {
    k: usize,
    n: usize,
    /// `k` rounded up to a multiple of 4.
    kp: usize,
    /// `n` rounded up to a multiple of [`NB`].
    np: usize,
    /// `[kp / 4][np][4]`: for each group of 4 rows of `W`, each column's 4 values; zero beyond
    /// `k` and `n`.
    packed: Array<i8>,
    /// Each column's scale.
    scale: Array<f32>,
    /// Each column's sum of quantized values.
    colsum: Array<i32>,
}

/// Rows of activations quantized for a product with a [`QLinear`].
struct QRows {
    /// Bytes a row (`k` rounded up to 4).
    kp: usize,
    data: Vec<u8>,
    scale: Vec<f32>,
    zero: Vec<i32>,
}

impl QLinear {
    /// Quantizes `w`, `[k, n]` row-major (input-major, as the model stores its linear layers).
    pub(crate) fn quantize(w: &[f32], k: usize, n: usize) -> QLinear {
        assert_eq!(w.len(), k * n, "QLinear::quantize: wrong size");
        let kp = k.next_multiple_of(4);
        let np = n.next_multiple_of(NB);
        let mut scale = vec![0.0f32; n];
        for row in w.chunks_exact(n.max(1)) {
            for (s, v) in scale.iter_mut().zip(row) {
                *s = s.max(v.abs());
            }
        }
        scale.iter_mut().for_each(|s| *s = if *s > 0.0 { *s / 127.0 } else { 1.0 });
        let mut packed = vec![0i8; kp * np];
        let mut colsum = vec![0i32; n];
        for kk in 0..k {
            for j in 0..n {
                let q = (w[kk * n + j] / scale[j]).round().clamp(-127.0, 127.0) as i8;
                packed[((kk / 4) * np + j) * 4 + kk % 4] = q;
                colsum[j] += i32::from(q);
            }
        }
        QLinear { k, n, kp, np, packed: packed.into(), scale: scale.into(), colsum: colsum.into() }
    }

    /// The length of the packed values of a `[k, n]` matrix, and `k` rounded up to 4.
    pub(crate) fn packed_shape(k: usize, n: usize) -> (usize, usize) {
        let kp = k.next_multiple_of(4);
        (kp * n.next_multiple_of(NB), kp)
    }

    /// The `[k, n]` matrix of `parts`' arrays (as [`QLinear::parts`] gives them).
    ///
    /// # Panics
    /// If the arrays do not have the lengths of a `[k, n]` matrix (the caller checks them).
    pub(crate) fn from_parts(
        k: usize,
        n: usize,
        packed: Array<i8>,
        scale: Array<f32>,
        colsum: Array<i32>,
    ) -> QLinear {
        let (packed_len, kp) = QLinear::packed_shape(k, n);
        assert!(packed.len() == packed_len && scale.len() == n && colsum.len() == n);
        QLinear { k, n, kp, np: n.next_multiple_of(NB), packed, scale, colsum }
    }

    /// The packed values, the columns' scales and the columns' sums.
    pub(crate) fn parts(&self) -> (&[i8], &[f32], &[i32]) {
        (&self.packed[..], &self.scale[..], &self.colsum[..])
    }

    /// The number of inputs (rows of `W`).
    #[cfg(test)]
    pub(crate) fn inputs(&self) -> usize {
        self.k
    }

    /// `C += X · W` for `X` of `m` rows of `k` (row-major, contiguous) and `C` of `m` rows of
    /// `n` (row-major, contiguous).
    pub(crate) fn matmul_acc(&self, x: &[f32], m: usize, c: &mut [f32]) {
        self.matmul_acc_with(x, m, c, Kernel::best());
    }

    fn matmul_acc_with(&self, x: &[f32], m: usize, c: &mut [f32], kernel: Kernel) {
        assert_eq!(x.len(), m * self.k, "QLinear: X has the wrong size");
        assert_eq!(c.len(), m * self.n, "QLinear: C has the wrong size");
        if m == 0 || self.n == 0 {
            return;
        }
        let a = QRows::quantize(x, m, self.k, self.kp);
        let mut acc = [[0i32; NB]; MR];
        for j0 in (0..self.np).step_by(NB) {
            let cols = NB.min(self.n.saturating_sub(j0));
            if cols == 0 {
                break;
            }
            for i0 in (0..m).step_by(MR) {
                let rows = MR.min(m - i0);
                kernel.run(&a, i0, rows, self, j0, &mut acc);
                for (r, acc_row) in acc.iter().enumerate().take(rows) {
                    let i = i0 + r;
                    let (sa, za) = (a.scale[i], a.zero[i]);
                    let out = &mut c[i * self.n + j0..][..cols];
                    let sw = &self.scale[j0..j0 + cols];
                    let cs = &self.colsum[j0..j0 + cols];
                    for (((o, &v), &s), &sum) in out.iter_mut().zip(acc_row).zip(sw).zip(cs) {
                        *o += sa * s * (v - za * sum) as f32;
                    }
                }
            }
        }
    }
}

impl QRows {
    /// Quantizes the `m` rows of `k` values of `x`, each padded to `kp` bytes.
    fn quantize(x: &[f32], m: usize, k: usize, kp: usize) -> QRows {
        let mut data = vec![0u8; m * kp];
        let mut scale = Vec::with_capacity(m);
        let mut zero = Vec::with_capacity(m);
        for (row, out) in x.chunks_exact(k.max(1)).take(m).zip(data.chunks_exact_mut(kp)) {
            let (lo, hi) = row.iter().fold((0.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let s = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
            let z = (-lo / s).round().clamp(0.0, 255.0);
            let inv = 1.0 / s;
            for (o, &v) in out.iter_mut().zip(row) {
                // Non-negative once clamped: truncation after + 0.5 rounds to nearest.
                *o = (v * inv + z + 0.5).clamp(0.0, 255.0) as u8;
            }
            scale.push(s);
            zero.push(z as i32);
        }
        QRows { kp, data, scale, zero }
    }
}

/// Which loop computes the integer sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    /// Plain Rust, any CPU.
    Portable,
    /// AVX-512 VNNI.
    #[cfg(target_arch = "x86_64")]
    Vnni,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if has_vnni() {
            return Kernel::Vnni;
        }
        Kernel::Portable
    }

    /// `acc[r][c] = Σ_k a[i0 + r][k] · w[k][j0 + c]` for `r < rows`, `c < NB`.
    fn run(
        self,
        a: &QRows,
        i0: usize,
        rows: usize,
        w: &QLinear,
        j0: usize,
        acc: &mut [[i32; NB]; MR],
    ) {
        assert!((1..=MR).contains(&rows) && i0 + rows <= a.scale.len() && j0 + NB <= w.np);
        assert_eq!(a.kp, w.kp);
        match self {
            Kernel::Portable => portable(a, i0, rows, w, j0, acc),
            #[cfg(target_arch = "x86_64")]
            Kernel::Vnni => {
                let a_ptr = a.data[i0 * a.kp..].as_ptr();
                let b_ptr = w.packed[j0 * 4..].as_ptr();
                // SAFETY: the CPU has AVX-512 F and VNNI (`Kernel::best` checked); the kernel
                // reads `rows` rows of `kp` bytes from `a_ptr` (in `a.data` by the assert above)
                // and, for each of the `kp / 4` groups, the `NB * 4` bytes at
                // `b_ptr + group * np * 4` (in `w.packed`, since `j0 + NB <= np`).
                unsafe {
                    match rows {
                        1 => vnni::kernel::<1>(a_ptr, a.kp, b_ptr, w.np, acc),
                        2 => vnni::kernel::<2>(a_ptr, a.kp, b_ptr, w.np, acc),
                        3 => vnni::kernel::<3>(a_ptr, a.kp, b_ptr, w.np, acc),
                        4 => vnni::kernel::<4>(a_ptr, a.kp, b_ptr, w.np, acc),
                        5 => vnni::kernel::<5>(a_ptr, a.kp, b_ptr, w.np, acc),
                        _ => vnni::kernel::<6>(a_ptr, a.kp, b_ptr, w.np, acc),
                    }
                }
            }
        }
    }
}

/// Whether the CPU has AVX-512 F and VNNI (checked once).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_vnni() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    })
}

/// Whether the CPU has AVX-512 F and VNNI (never, off x86-64).
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn has_vnni() -> bool {
    false
}

/// [`Kernel::run`] in plain Rust.
fn portable(a: &QRows, i0: usize, rows: usize, w: &QLinear, j0: usize, acc: &mut [[i32; NB]; MR]) {
    for (r, acc_row) in acc.iter_mut().enumerate().take(rows) {
        acc_row.fill(0);
        let row = &a.data[(i0 + r) * a.kp..][..a.kp];
        for (g, quad) in row.chunks_exact(4).enumerate() {
            let block = &w.packed[(g * w.np + j0) * 4..][..NB * 4];
            for (s, col) in acc_row.iter_mut().zip(block.chunks_exact(4)) {
                *s += quad.iter().zip(col).map(|(&u, &q)| i32::from(u) * i32::from(q)).sum::<i32>();
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::{MR, NB};

    /// The integer sums of `R` rows of bytes at `a` (`kp` a row) with a block of `NB` packed
    /// columns at `b` (`np` columns a group of 4 `k`) into `acc`.
    ///
    /// # Safety
    /// The CPU has AVX-512 F and VNNI; `a` is readable for `R * kp` bytes and `b` for
    /// `NB * 4` bytes at every `g * np * 4`, `g < kp / 4`.
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub(super) unsafe fn kernel<const R: usize>(
        a: *const u8,
        kp: usize,
        b: *const i8,
        np: usize,
        acc: &mut [[i32; NB]; MR],
    ) {
        let mut c = [[_mm512_setzero_si512(); 4]; R];
        for g in 0..kp / 4 {
            // SAFETY: in bounds by the function's contract.
            unsafe {
                let bp = b.add(g * np * 4);
                let bv = [
                    _mm512_loadu_si512(bp.cast()),
                    _mm512_loadu_si512(bp.add(64).cast()),
                    _mm512_loadu_si512(bp.add(128).cast()),
                    _mm512_loadu_si512(bp.add(192).cast()),
                ];
                for (r, cr) in c.iter_mut().enumerate() {
                    let quad = a.add(r * kp + g * 4).cast::<i32>().read_unaligned();
                    let av = _mm512_set1_epi32(quad);
                    for (cv, &bvv) in cr.iter_mut().zip(&bv) {
                        *cv = _mm512_dpbusd_epi32(*cv, av, bvv);
                    }
                }
            }
        }
        for (cr, out) in c.iter().zip(acc.iter_mut()) {
            for (v, &cv) in cr.iter().enumerate() {
                // SAFETY: `out` holds NB = 4 × 16 i32.
                unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(16 * v).cast(), cv) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1).
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    fn naive(x: &[f32], w: &[f32], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] =
                    (0..k).map(|t| f64::from(x[i * k + t]) * f64::from(w[t * n + j])).sum();
            }
        }
        c
    }

    /// Every entry is within the rounding bound: half a step of X times Σ|w|, plus half a
    /// step of W times Σ|x| (and the product of the two half steps).
    #[test]
    fn int8_product_is_within_the_rounding_bound() {
        for &(m, k, n) in &[(1, 4, 1), (3, 5, 7), (7, 384, 70), (13, 33, 130), (6, 1536, 64)] {
            let x = values(m * k, 1 + m as u64);
            let mut w = values(k * n, 2 + n as u64);
            w.iter_mut().step_by(11).for_each(|v| *v *= 0.01); // columns of uneven range
            let q = QLinear::quantize(&w, k, n);
            assert_eq!(q.inputs(), k);
            let mut c = vec![0.5f32; m * n];
            q.matmul_acc(&x, m, &mut c);
            let want = naive(&x, &w, m, k, n);
            for i in 0..m {
                let row = &x[i * k..][..k];
                let (lo, hi) = row.iter().fold((0.0f32, 0.0f32), |(a, b), &v| (a.min(v), b.max(v)));
                let sx = f64::from((hi - lo) / 255.0);
                let sum_x: f64 = row.iter().map(|v| f64::from(v.abs())).sum();
                for j in 0..n {
                    let col: Vec<f64> = (0..k).map(|t| f64::from(w[t * n + j])).collect();
                    let sw = col.iter().fold(0.0f64, |a, v| a.max(v.abs())) / 127.0;
                    let sum_w: f64 = col.iter().map(|v| v.abs()).sum();
                    let bound = sx / 2.0 * sum_w + sw / 2.0 * (sum_x + k as f64 * sx / 2.0);
                    let got = f64::from(c[i * n + j]) - 0.5;
                    let err = (got - want[i * n + j]).abs();
                    assert!(err <= bound * 1.01 + 1e-5, "({m},{k},{n}) [{i},{j}]: {err} > {bound}");
                }
            }
        }
    }

    /// On a hand-built case whose values are exact in int8 the product is exact.
    #[test]
    fn exact_values_give_the_exact_product() {
        // X rows span [0, 255] (scale 1, zero 0); each W column is k/127 for integers k with ±127
        // among them (scale 1/127).
        let x: Vec<f32> = vec![0.0, 1.0, 2.0, 255.0, 255.0, 3.0, 0.0, 7.0];
        let w: Vec<f32> = [127.0, -127.0, 5.0, 0.0, -3.0, 1.0, 127.0, 2.0, 1.0, -127.0, 0.0, 127.0]
            .iter()
            .map(|v| v / 127.0)
            .collect(); // [4, 3]
        let q = QLinear::quantize(&w, 4, 3);
        let mut c = vec![0.0f32; 6];
        q.matmul_acc(&x, 2, &mut c);
        let want = naive(&x, &w, 2, 4, 3);
        for (g, w) in c.iter().zip(&want) {
            assert!((f64::from(*g) - w).abs() < 1e-4, "{c:?} != {want:?}");
        }
    }

    /// The VNNI kernel and the portable loop give the same numbers (where the CPU has VNNI).
    #[test]
    fn kernels_agree_exactly() {
        let (m, k, n) = (11, 390, 130);
        let x = values(m * k, 5);
        let w = values(k * n, 6);
        let q = QLinear::quantize(&w, k, n);
        let mut portable = vec![0.0f32; m * n];
        q.matmul_acc_with(&x, m, &mut portable, Kernel::Portable);
        let mut best = vec![0.0f32; m * n];
        q.matmul_acc_with(&x, m, &mut best, Kernel::best());
        assert_eq!(portable, best);
    }
}
