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
        self.matmul_with(x, m, c, None, false, Kernel::best());
    }

    /// `C = bias + X · W`, `bias` added to every row (`n` values): the numbers of setting each
    /// row of `C` to `bias`, then [`QLinear::matmul_acc`], without reading `C`.
    pub(crate) fn matmul_bias(&self, x: &[f32], m: usize, bias: &[f32], c: &mut [f32]) {
        self.matmul_with(x, m, c, Some(bias), false, Kernel::best());
    }

    /// `C = gelu(bias + X · W)`: the numbers of [`QLinear::matmul_bias`] then
    /// [`crate::linalg::gelu`] of each, with GELU applied as `C` is written.
    pub(crate) fn matmul_bias_gelu(&self, x: &[f32], m: usize, bias: &[f32], c: &mut [f32]) {
        self.matmul_with(x, m, c, Some(bias), true, Kernel::best());
    }

    fn matmul_with(
        &self,
        x: &[f32],
        m: usize,
        c: &mut [f32],
        bias: Option<&[f32]>,
        gelu: bool,
        kernel: Kernel,
    ) {
        assert_eq!(x.len(), m * self.k, "QLinear: X has the wrong size");
        assert_eq!(c.len(), m * self.n, "QLinear: C has the wrong size");
        assert!(bias.is_none_or(|b| b.len() == self.n), "QLinear: the bias has the wrong size");
        if m == 0 || self.n == 0 {
            return;
        }
        match kernel {
            Kernel::Portable => {
                if let Some(bias) = bias {
                    c.chunks_exact_mut(self.n).for_each(|row| row.copy_from_slice(bias));
                }
                self.portable_product(&QRows::quantize(x, m, self.k, self.kp), c);
                if gelu {
                    c.iter_mut().for_each(|v| *v = crate::linalg::gelu(*v));
                }
            }
            // SAFETY: `Kernel::Vnni` is only chosen where the CPU has VNNI (`Kernel::best`), and
            // the sizes of `x`, `c` and `bias` are checked above.
            #[cfg(target_arch = "x86_64")]
            Kernel::Vnni => unsafe { vnni::product(self, x, m, bias, gelu, c) },
        }
    }

    /// `C += A · W` for the quantized rows `A`, in plain Rust.
    fn portable_product(&self, a: &QRows, c: &mut [f32]) {
        let mut acc = [[0i32; NB]; MR];
        let m = a.scale.len();
        for j0 in (0..self.n).step_by(NB) {
            let cols = NB.min(self.n - j0);
            for i0 in (0..m).step_by(MR) {
                let rows = MR.min(m - i0);
                portable(a, i0, rows, self, j0, &mut acc);
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
        let mut rows = QRows::for_rows(m, k, kp);
        for (i, (row, out)) in
            x.chunks_exact(k.max(1)).zip(rows.data.chunks_exact_mut(kp)).enumerate()
        {
            let (lo, hi) = range(row);
            let (s, z) = row_params(lo, hi);
            let inv = 1.0 / s;
            for (o, &v) in out.iter_mut().zip(row) {
                *o = quantize_one(v, inv, z);
            }
            rows.scale[i] = s;
            rows.zero[i] = z as i32;
        }
        rows
    }

    /// `m` rows of `kp` bytes (at the start of `data`, which may be longer), scale 1 and zero
    /// point 0, ready for the first `k` bytes of each row to be written: the bytes past `k`
    /// are 0, the others what they are. The bytes come
    /// from the thread's last product (given back on drop), so that a product does not
    /// allocate and clear a new buffer.
    fn for_rows(m: usize, k: usize, kp: usize) -> QRows {
        let mut data = SPARE_BYTES.take();
        // Never shrunk, so that the next product of a larger matrix does not clear it again.
        if data.len() < m * kp {
            data.resize(m * kp, 0);
        }
        if kp > k {
            data.chunks_exact_mut(kp).take(m).for_each(|row| row[k..].fill(0));
        }
        QRows { kp, data, scale: vec![1.0; m], zero: vec![0; m] }
    }
}

impl Drop for QRows {
    fn drop(&mut self) {
        SPARE_BYTES.set(std::mem::take(&mut self.data));
    }
}

thread_local! {
    /// The bytes of the thread's last [`QRows`], kept for the next.
    static SPARE_BYTES: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The scale and zero point of a row whose values span `[lo, hi]` (`lo <= 0 <= hi`).
#[inline(always)]
fn row_params(lo: f32, hi: f32) -> (f32, f32) {
    let s = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
    (s, (-lo / s).round().clamp(0.0, 255.0))
}

/// `v` as a byte at the scale `1 / inv` and zero point `z`. Non-negative once clamped, so
/// truncation after + 0.5 rounds to nearest.
#[inline(always)]
fn quantize_one(v: f32, inv: f32, z: f32) -> u8 {
    (v * inv + z + 0.5).clamp(0.0, 255.0) as u8
}

/// The smallest and the largest of `row` and 0, in 16 interleaved lanes so that the loop
/// vectorizes (the smallest and the largest value do not depend on the order they are looked
/// at in).
#[inline(always)]
fn range(row: &[f32]) -> (f32, f32) {
    let (mut lo, mut hi) = ([0.0f32; 16], [0.0f32; 16]);
    let chunks = row.chunks_exact(16);
    for &v in chunks.remainder() {
        lo[0] = lo[0].min(v);
        hi[0] = hi[0].max(v);
    }
    for c in chunks {
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(c) {
            *l = l.min(v);
            *h = h.max(v);
        }
    }
    (lo.iter().fold(0.0f32, |a, &b| a.min(b)), hi.iter().fold(0.0f32, |a, &b| a.max(b)))
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
}

/// Whether the CPU has AVX-512 F, BW, DQ, VL and VNNI (checked once).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_vnni() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| has_avx512() && std::arch::is_x86_feature_detected!("avx512vnni"))
}

/// Whether the CPU has AVX-512 F, BW, DQ and VL (checked once).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx512() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
    })
}

/// The mask of a 16-lane register's first `n` lanes (all 16 from `n = 16` on).
#[cfg(target_arch = "x86_64")]
pub(crate) fn first_lanes(n: usize) -> u16 {
    if n >= 16 {
        u16::MAX
    } else {
        (1u16 << n) - 1
    }
}

/// Whether the CPU has AVX-512 F, BW, DQ, VL and VNNI (never, off x86-64).
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn has_vnni() -> bool {
    false
}

/// `acc[r][c] = Σ_k a[i0 + r][k] · w[k][j0 + c]` for `r < rows`, `c < NB`, in plain Rust.
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

/// The product on AVX-512 VNNI: the same integers and the same float operations as the
/// portable loop, so the same numbers, with the rows quantized 16 values at a time and the
/// sums scaled into `C` by the kernel itself.
#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::{first_lanes, row_params, QLinear, QRows, MR, NB};
    use crate::linalg::{ERF_P, ERF_Q};

    /// `C += X · W`, or `C = bias + X · W` (`x`: `m` rows of `w.k`, `c`: `m` rows of `w.n`).
    ///
    /// # Safety
    /// The CPU has AVX-512 F, BW, DQ, VL and VNNI; `x.len() == m * w.k`, `c.len() == m * w.n`,
    /// and `bias`, if any, holds `w.n` values.
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")]
    pub(super) unsafe fn product(
        w: &QLinear,
        x: &[f32],
        m: usize,
        bias: Option<&[f32]>,
        gelu: bool,
        c: &mut [f32],
    ) {
        // SAFETY: the caller's contract.
        let a = unsafe { quantize(x, m, w.k, w.kp) };
        for j0 in (0..w.n).step_by(NB) {
            let cols = NB.min(w.n - j0);
            for i0 in (0..m).step_by(MR) {
                let rows = MR.min(m - i0);
                let tile = Tile {
                    a: a.data[i0 * a.kp..].as_ptr(),
                    kp: a.kp,
                    b: w.packed[j0 * 4..].as_ptr(),
                    np: w.np,
                    c: c[i0 * w.n + j0..].as_mut_ptr(),
                    n: w.n,
                    cols,
                    a_scale: &a.scale[i0..i0 + rows],
                    a_zero: &a.zero[i0..i0 + rows],
                    w_scale: w.scale[j0..].as_ptr(),
                    w_colsum: w.colsum[j0..].as_ptr(),
                    bias: bias.map(|b| b[j0..].as_ptr()),
                    gelu,
                };
                // SAFETY: `a` holds rows i0.. i0 + rows of kp bytes; the packed weights hold
                // kp / 4 groups of np * 4 bytes and j0 + NB <= np; `c` holds rows i0..i0 + rows
                // of n floats and j0 + cols <= n; the scales and sums hold n >= j0 + cols
                // entries.
                unsafe {
                    match rows {
                        1 => kernel::<1>(&tile),
                        2 => kernel::<2>(&tile),
                        3 => kernel::<3>(&tile),
                        4 => kernel::<4>(&tile),
                        5 => kernel::<5>(&tile),
                        _ => kernel::<6>(&tile),
                    }
                }
            }
        }
    }

    /// [`QRows::quantize`], 16 values at a time.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, BW and VL; `x.len() >= m * k`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    unsafe fn quantize(x: &[f32], m: usize, k: usize, kp: usize) -> QRows {
        let mut rows = QRows::for_rows(m, k, kp);
        for i in 0..m {
            let row = &x[i * k..(i + 1) * k];
            // SAFETY: the CPU has AVX-512 F (this function's contract).
            let (lo, hi) = unsafe { range16(row) };
            let (s, z) = row_params(lo, hi);
            let inv = 1.0 / s;
            let out = rows.data[i * kp..].as_mut_ptr();
            let (vinv, vz, half) = (_mm512_set1_ps(inv), _mm512_set1_ps(z), _mm512_set1_ps(0.5));
            let (zero, top) = (_mm512_setzero_ps(), _mm512_set1_ps(255.0));
            for t in (0..k).step_by(16) {
                let mask: __mmask16 = first_lanes(k - t);
                // SAFETY: the mask keeps the load inside `row` and the store inside the row's
                // kp >= k bytes of `rows.data`.
                unsafe {
                    let v = _mm512_maskz_loadu_ps(mask, row.as_ptr().add(t));
                    // (v · inv + z + 0.5) clamped to [0, 255], truncated: quantize_one's
                    // operations in its order.
                    let q = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(v, vinv), vz), half);
                    let q = _mm512_min_ps(_mm512_max_ps(q, zero), top);
                    _mm512_mask_cvtepi32_storeu_epi8(
                        out.add(t).cast(),
                        mask,
                        _mm512_cvttps_epi32(q),
                    );
                }
            }
            rows.scale[i] = s;
            rows.zero[i] = z as i32;
        }
        rows
    }

    /// [`range`] 16 lanes an instruction (the compiler keeps `f32::min`'s scalar NaN checks
    /// in `range`'s loop): the same two numbers for any row without NaN.
    ///
    /// # Safety
    /// The CPU has AVX-512 F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn range16(row: &[f32]) -> (f32, f32) {
        let (mut lo, mut hi) = (_mm512_setzero_ps(), _mm512_setzero_ps());
        for t in (0..row.len()).step_by(16) {
            // SAFETY: the mask keeps the load inside `row`; the lanes past it are 0, which
            // the range includes anyway.
            let v =
                unsafe { _mm512_maskz_loadu_ps(first_lanes(row.len() - t), row.as_ptr().add(t)) };
            lo = _mm512_min_ps(lo, v);
            hi = _mm512_max_ps(hi, v);
        }
        (_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi))
    }

    /// [`crate::linalg::gelu`] of 16 values: its operations in its order, so its numbers.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn gelu(x: __m512) -> __m512 {
        let t = _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::FRAC_1_SQRT_2));
        let t = _mm512_min_ps(_mm512_max_ps(t, _mm512_set1_ps(-4.0)), _mm512_set1_ps(4.0));
        let t2 = _mm512_mul_ps(t, t);
        let poly = |c: &[f32]| {
            c[1..].iter().fold(_mm512_set1_ps(c[0]), |p, &k| {
                _mm512_add_ps(_mm512_mul_ps(p, t2), _mm512_set1_ps(k))
            })
        };
        let erf = _mm512_div_ps(_mm512_mul_ps(t, poly(&ERF_P)), poly(&ERF_Q));
        _mm512_mul_ps(
            _mm512_mul_ps(_mm512_set1_ps(0.5), x),
            _mm512_add_ps(_mm512_set1_ps(1.0), erf),
        )
    }

    /// One tile of the product: `R` rows of the quantized activations against a block of
    /// [`NB`] packed columns, scaled into `C`.
    struct Tile<'a> {
        /// The first row's bytes, `kp` a row.
        a: *const u8,
        kp: usize,
        /// The block's first group of packed weights, `np * 4` bytes from one group to the next.
        b: *const i8,
        np: usize,
        /// The first row's first column in `C`, `n` floats a row; `cols` (<= NB) columns.
        c: *mut f32,
        n: usize,
        cols: usize,
        a_scale: &'a [f32],
        a_zero: &'a [i32],
        /// The block's first column's scale and sum.
        w_scale: *const f32,
        w_colsum: *const i32,
        /// The block's first column's bias: `C` is set to it plus the product, not read.
        bias: Option<*const f32>,
        /// Whether `C` gets GELU of the result.
        gelu: bool,
    }

    /// `C[r][c] += sa_r · sw_c · (Σ_k a[r][k] · w[k][c] - za_r · colsum_c)` for the tile's
    /// `R` rows and `cols` columns.
    ///
    /// # Safety
    /// The CPU has AVX-512 F and VNNI; `a` is readable for `R * kp` bytes, `b` for `NB * 4`
    /// bytes at every `g * np * 4`, `g < kp / 4`, `c` readable and writable for `cols` floats
    /// at every `r * n`, `r < R`, and `w_scale`, `w_colsum` and `bias` readable for `cols`
    /// values.
    #[target_feature(enable = "avx512f,avx512vnni")]
    unsafe fn kernel<const R: usize>(t: &Tile<'_>) {
        let mut acc = [[_mm512_setzero_si512(); 4]; R];
        for g in 0..t.kp / 4 {
            // SAFETY: in bounds by the function's contract.
            unsafe {
                let bp = t.b.add(g * t.np * 4);
                let bv = [
                    _mm512_loadu_si512(bp.cast()),
                    _mm512_loadu_si512(bp.add(64).cast()),
                    _mm512_loadu_si512(bp.add(128).cast()),
                    _mm512_loadu_si512(bp.add(192).cast()),
                ];
                for (r, cr) in acc.iter_mut().enumerate() {
                    let quad = t.a.add(r * t.kp + g * 4).cast::<i32>().read_unaligned();
                    let av = _mm512_set1_epi32(quad);
                    for (cv, &bvv) in cr.iter_mut().zip(&bv) {
                        *cv = _mm512_dpbusd_epi32(*cv, av, bvv);
                    }
                }
            }
        }
        // The sums go to the stack first, in a loop small enough to be unrolled (constant
        // indices keep `acc` in registers; the scaling loop below, indexing it directly, made
        // it a stack array cleared by a call to memset at every tile).
        let mut sums = [[std::mem::MaybeUninit::<__m512i>::uninit(); 4]; R];
        for (out, cr) in sums.iter_mut().zip(&acc) {
            for (o, &c) in out.iter_mut().zip(cr) {
                o.write(c);
            }
        }
        // The columns' scales, sums and biases, read once for the tile's rows.
        let vectors = t.cols.div_ceil(16);
        let mut masks = [0 as __mmask16; 4];
        let (mut sw, mut cs, mut bias) =
            ([_mm512_setzero_ps(); 4], [_mm512_setzero_si512(); 4], [_mm512_setzero_ps(); 4]);
        for v in 0..vectors {
            let first = 16 * v;
            masks[v] = first_lanes(t.cols - first);
            // SAFETY: the mask keeps the loads inside the tile's `cols` columns.
            unsafe {
                sw[v] = _mm512_maskz_loadu_ps(masks[v], t.w_scale.add(first));
                cs[v] = _mm512_maskz_loadu_epi32(masks[v], t.w_colsum.add(first));
                if let Some(b) = t.bias {
                    bias[v] = _mm512_maskz_loadu_ps(masks[v], b.add(first));
                }
            }
        }
        for (r, row) in sums.iter().enumerate() {
            let (za, sa) = (_mm512_set1_epi32(t.a_zero[r]), _mm512_set1_ps(t.a_scale[r]));
            for (v, s) in row.iter().enumerate().take(vectors) {
                let mask = masks[v];
                // SAFETY: every entry was written above; the mask keeps every access inside
                // row r's `cols` columns.
                unsafe {
                    let at = t.c.add(r * t.n + 16 * v);
                    // The portable loop's operations in its order:
                    // o + (sa · sw) · f32(v - za · colsum).
                    let sums = _mm512_sub_epi32(s.assume_init(), _mm512_mullo_epi32(za, cs[v]));
                    let add = _mm512_mul_ps(_mm512_mul_ps(sa, sw[v]), _mm512_cvtepi32_ps(sums));
                    let o = match t.bias {
                        Some(_) => bias[v],
                        None => _mm512_maskz_loadu_ps(mask, at),
                    };
                    let result = _mm512_add_ps(o, add);
                    let result = if t.gelu { gelu(result) } else { result };
                    _mm512_mask_storeu_ps(at, mask, result);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic values in [-1, 1) (the attention tests use them too).
    pub(crate) fn values(n: usize, seed: u64) -> Vec<f32> {
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
        q.matmul_with(&x, m, &mut portable, None, false, Kernel::Portable);
        let mut best = vec![0.0f32; m * n];
        q.matmul_with(&x, m, &mut best, None, false, Kernel::best());
        assert_eq!(portable, best);
        // With a bias, on C's garbage: the numbers of setting C to the bias and accumulating.
        let bias = values(n, 7);
        let mut with_bias = vec![f32::NAN; m * n];
        q.matmul_bias(&x, m, &bias, &mut with_bias);
        let mut filled: Vec<f32> = bias.iter().copied().cycle().take(m * n).collect();
        q.matmul_with(&x, m, &mut filled, None, false, Kernel::Portable);
        assert_eq!(with_bias, filled);
        // With GELU: the same numbers, then GELU of each, whichever kernel runs.
        let mut with_gelu = vec![f32::NAN; m * n];
        q.matmul_bias_gelu(&x, m, &bias, &mut with_gelu);
        let want: Vec<f32> = filled.iter().map(|&v| crate::linalg::gelu(v)).collect();
        assert_eq!(with_gelu, want);
        assert!(want.iter().any(|&v| v < 0.0) && want.iter().any(|&v| v > 1.0));
    }
}
