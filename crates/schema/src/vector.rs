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
    let q = Quantized::from_bytes(bytes)?;
    Some(q.components.iter().map(|&c| f32::from(c as i8) * q.scale).collect())
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

    /// The dot product with an `f32` vector (the query's), over the shorter length.
    pub fn dot(&self, query: &[f32]) -> f32 {
        dot_i8(query, self.components) * self.scale
    }
}

/// The dot product of an `f32` vector and a quantized one's components (signed bytes stored as
/// bytes, unscaled), over the shorter length; written as independent lanes so that the compiler
/// vectorizes it.
pub fn dot_i8(a: &[f32], b: &[u8]) -> f32 {
    const LANES: usize = 16;
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
    let tail: f32 = ar.iter().zip(br).map(|(x, &y)| x * f32::from(y as i8)).sum();
    acc.iter().sum::<f32>() + tail
}

/// Exact nearest neighbours: the `k` rows of `rows` (quantized components, `query.len()` bytes
/// a row, row `i` scaled by `scales[i]`) with the greatest dot product with `query`, among the
/// rows `keep` accepts, best first (ties by row), with their dot products. One pass over
/// `rows`, each row scored by [`dot_i8`]; what a search by meaning over every passage costs.
pub fn nearest(
    rows: &[u8],
    scales: &[f32],
    query: &[f32],
    k: usize,
    keep: impl Fn(usize) -> bool,
) -> Vec<(f32, usize)> {
    let dim = query.len();
    if k == 0 || dim == 0 {
        return Vec::new();
    }
    let mut scored: Vec<(f32, usize)> = (rows.chunks_exact(dim).zip(scales).enumerate())
        .filter(|&(row, _)| keep(row))
        .map(|(row, (components, &scale))| (Quantized { scale, components }.dot(query), row))
        .collect();
    let best_first = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if scored.len() > k {
        scored.select_nth_unstable_by(k - 1, best_first);
        scored.truncate(k);
    }
    scored.sort_unstable_by(best_first);
    scored
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
