//! The f32 arithmetic shared by the layers, attention and the int8 products: sums that
//! vectorize, GELU, and `matrixmultiply`'s sgemm behind bounds checks.

/// The sum of `v`, in 8 interleaved partial sums (so that the loop vectorizes).
#[inline(always)]
pub(crate) fn sum(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = v.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The sum of the squares of `v`, like [`sum`].
#[inline(always)]
pub(crate) fn sum_squares(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = v.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x * x;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// GELU, the exact (erf) form: `x/2 · (1 + erf(x/√2))`.
#[inline(always)]
pub(crate) fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The numerator's coefficients of [`erf`], highest power of x² first.
pub(crate) const ERF_P: [f32; 7] = [
    -2.726_142_4e-10,
    2.770_681_5e-8,
    -2.101_024e-6,
    -5.692_506_2e-5,
    -7.349_906_4e-4,
    -2.954_6e-3,
    -1.609_603_3e-2,
];
/// The denominator's coefficients of [`erf`], highest power of x² first.
pub(crate) const ERF_Q: [f32; 5] =
    [-1.456_607_15e-5, -2.133_740_5e-4, -1.682_827e-3, -7.373_329_3e-3, -1.426_473_9e-2];

/// erf for f32: the rational approximation of Eigen (and XLA) on [-4, 4], clamped outside
/// (where erf is ±1 in f32); absolute error below 5e-7. Branch-free, so loops over it vectorize.
/// (Plain `*` and `+`, not `mul_add`, which is a libm call without the `fma` target feature.)
/// The int8 products' AVX-512 GELU (`quant`) does the same operations in the same order.
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = ERF_P[1..].iter().fold(ERF_P[0], |p, &c| p * x2 + c);
    let q = ERF_Q[1..].iter().fold(ERF_Q[0], |q, &c| q * x2 + c);
    x * p / q
}

/// `C += A · B` with `A` `m × k`, `B` `k × n` and `C` `m × n`, each a slice with an offset and
/// (row, column) strides.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    a_off: usize,
    a_strides: (usize, usize),
    b: &[f32],
    b_off: usize,
    b_strides: (usize, usize),
    c: &mut [f32],
    c_off: usize,
    c_strides: (usize, usize),
) {
    gemm_scaled(
        1.0,
        (m, k, n),
        (a, a_off, a_strides),
        (b, b_off, b_strides),
        (c, c_off, c_strides),
    );
}

/// A matrix operand: the slice, the offset of its first element, its (row, column) strides.
pub(crate) type Operand<'a> = (&'a [f32], usize, (usize, usize));

/// `C += alpha · A · B`, checked to stay inside the slices.
pub(crate) fn gemm_scaled(
    alpha: f32,
    (m, k, n): (usize, usize, usize),
    a: Operand<'_>,
    b: Operand<'_>,
    c: (&mut [f32], usize, (usize, usize)),
) {
    if m == 0 || n == 0 {
        return;
    }
    let fits = |len: usize, off: usize, (rs, cs): (usize, usize), rows: usize, cols: usize| {
        rows == 0 || cols == 0 || off + (rows - 1) * rs + (cols - 1) * cs < len
    };
    assert!(fits(a.0.len(), a.1, a.2, m, k), "gemm: A out of bounds");
    assert!(fits(b.0.len(), b.1, b.2, k, n), "gemm: B out of bounds");
    assert!(fits(c.0.len(), c.1, c.2, m, n), "gemm: C out of bounds");
    assert!(c.2 .0 >= n * c.2 .1 || c.2 .1 >= m * c.2 .0, "gemm: C's elements overlap");
    let s = |x: usize| x as isize;
    // SAFETY: the asserts above keep every element read in `a` and `b` and every element written
    // in `c` inside their slices (the offsets are in bounds, so the pointers are too), C's
    // elements are distinct (its strides do not overlap), and `c` is borrowed mutably, so it
    // aliases neither `a` nor `b`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.0.as_ptr().add(a.1),
            s(a.2 .0),
            s(a.2 .1),
            b.0.as_ptr().add(b.1),
            s(b.2 .0),
            s(b.2 .1),
            1.0,
            c.0.as_mut_ptr().add(c.1),
            s(c.2 .0),
            s(c.2 .1),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_is_accurate() {
        // Reference values of erf (Abramowitz & Stegun table / mpmath).
        let cases: [(f64, f64); 9] = [
            (0.0, 0.0),
            (0.1, 0.112_462_916),
            (0.5, 0.520_499_878),
            (1.0, 0.842_700_793),
            (1.5, 0.966_105_146),
            (2.0, 0.995_322_265),
            (3.0, 0.999_977_910),
            (5.0, 1.0),
            (-1.0, -0.842_700_793),
        ];
        for (x, want) in cases {
            let got = f64::from(erf(x as f32));
            assert!((got - want).abs() < 5e-7, "erf({x}) = {got} != {want}");
        }
    }

    #[test]
    fn sums_match_naive() {
        for len in [0, 1, 7, 8, 9, 31, 384] {
            let v: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let naive: f64 = v.iter().map(|&x| f64::from(x)).sum();
            let naive2: f64 = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
            assert!((f64::from(sum(&v)) - naive).abs() < 1e-5, "{len}");
            assert!((f64::from(sum_squares(&v)) - naive2).abs() < 1e-5, "{len}");
        }
    }

    #[test]
    fn gemm_matches_naive_with_strides() {
        // A 3×4 (row-major), B given as its transpose (4×2 read through strides (1, 4)).
        let a: Vec<f32> = (0..12).map(|v| v as f32 * 0.5 - 2.0).collect();
        let bt: Vec<f32> = (0..8).map(|v| v as f32 * 0.25 + 1.0).collect(); // 2×4
        let mut c = vec![1.0f32; 6];
        gemm(3, 4, 2, &a, 0, (4, 1), &bt, 0, (1, 4), &mut c, 0, (2, 1));
        for i in 0..3 {
            for j in 0..2 {
                let want: f32 = 1.0 + (0..4).map(|k| a[i * 4 + k] * bt[j * 4 + k]).sum::<f32>();
                assert!((c[i * 2 + j] - want).abs() < 1e-5);
            }
        }
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn gemm_checks_bounds() {
        let mut c = vec![0.0f32; 4];
        gemm(2, 2, 2, &[0.0; 3], 0, (2, 1), &[0.0; 4], 0, (2, 1), &mut c, 0, (2, 1));
    }
}
