//! Passage embeddings as the index stores them, and what of a passage is embedded.
//!
//! A semantic index (see [`crate::Manifest::semantic`]) holds, in the `vector` fast field of
//! every passage, the embedding of [`embedding_text`] as little-endian `f32`s. Index time
//! ([`encode`]) and query time ([`decode`]) share this module so that they agree on both.
//!
//! ```
//! use kb_schema::vector;
//!
//! let v = [0.6_f32, -0.8];
//! assert_eq!(vector::decode(&vector::encode(&v)), Some(v.to_vec()));
//! assert_eq!(vector::decode(&[1, 2, 3]), None);
//! ```

use crate::{Kind, Passage};

/// The bytes of an embedding: its components as little-endian `f32`s.
pub fn encode(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// An embedding back from its bytes; `None` if they are not a whole number of `f32`s.
pub fn decode(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
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

    #[test]
    fn vectors_round_trip_through_bytes() {
        let v: Vec<f32> = (0..384).map(|i| (i as f32 - 192.0) / 1000.0).collect();
        let bytes = encode(&v);
        assert_eq!(bytes.len(), 384 * 4);
        assert_eq!(decode(&bytes).unwrap(), v);
        assert!((dot(&v, &v) - v.iter().map(|x| x * x).sum::<f32>()).abs() < 1e-6);
    }
}
