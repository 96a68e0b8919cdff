//! Stage 4, rescore by meaning: the best lexical candidates re-scored by how close their
//! meaning is to the query's.
//!
//! A semantic index stores an embedding of every passage (`kb_schema::vector`). The search
//! ranks passages lexically as always (BM25, feedback, Q&A lift), takes the best
//! [`Semantic::depth`] of them, and gives each a fused score: the lexical score and the cosine
//! between the passage's embedding and the query's, each rescaled to 0..1 over the candidates
//! (min-max), mixed in the proportion [`Semantic::weight`]. Lexical matching keeps deciding
//! which passages are candidates (and keeps exact words first among equals); the embeddings
//! tell apart candidates that say the same thing in other words from ones that only share words.

use std::collections::HashMap;
use std::sync::Arc;

use kb_embed::Embedder;
use tantivy::columnar::BytesColumn;
use tantivy::schema::Field;
use tantivy::DocAddress;

use crate::candidate::{Candidate, Ranked};
use crate::explanation::Explanation;
use crate::options::SearchOptions;
pub use crate::options::Semantic;
use crate::parse::{ParsedQuery, Presence, Target};

/// Re-ranking by meaning for one search: the query's embedding and the passages' vectors.
pub(crate) struct Meaning<'a> {
    vectors: &'a Vectors,
    query: Vec<f32>,
    weight: f32,
    depth: usize,
}

impl<'a> Meaning<'a> {
    /// Re-ranking for `parsed`, when the searcher has a model and vectors (`semantic`), `opts`
    /// turn it on and the query has words to embed; else `None`.
    pub(crate) fn of(
        semantic: Option<&'a (Vectors, Arc<Embedder>)>,
        parsed: &ParsedQuery,
        opts: &SearchOptions,
    ) -> Option<Meaning<'a>> {
        let (vectors, embedder) = semantic.filter(|_| opts.semantic.is_on())?;
        let text = query_text(parsed);
        let query = (!text.trim().is_empty()).then(|| embedder.embed_query(&text))?;
        let (weight, depth) = (opts.semantic.weight.min(1.0), opts.semantic.depth);
        Some(Meaning { vectors, query, weight, depth })
    }

    /// How many lexical candidates to re-rank for `limit` hits.
    pub(crate) fn pool(&self, limit: usize) -> usize {
        limit.max(self.depth)
    }

    /// Re-ranks the pool `ranked` by the fused score and cuts it to `limit`; returns what each
    /// fused score was made of (see [`Fused::explain`]).
    pub(crate) fn rerank(&self, ranked: &mut Ranked, limit: usize) -> HashMap<DocAddress, Fused> {
        let fused = rerank(&mut ranked.hits, &self.query, self.vectors, self.weight);
        ranked.hits.truncate(limit);
        fused
    }
}

/// The `vector` fast field of every segment.
pub(crate) struct Vectors {
    segments: Vec<Option<BytesColumn>>,
}

impl Vectors {
    /// Opens the vectors of every segment of `searcher`.
    pub(crate) fn open(searcher: &tantivy::Searcher, field: Field) -> tantivy::Result<Vectors> {
        let name = searcher.schema().get_field_name(field);
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|segment| segment.fast_fields().bytes(name))
            .collect::<tantivy::Result<_>>()?;
        Ok(Vectors { segments })
    }

    /// The embedding of the passage at `address`, if it has one.
    pub(crate) fn get(&self, address: DocAddress, buf: &mut Vec<u8>) -> Option<Vec<f32>> {
        let column = self.segments.get(address.segment_ord as usize)?.as_ref()?;
        let ord = column.ords().first(address.doc_id)?;
        buf.clear();
        column.ord_to_bytes(ord, buf).ok()?.then_some(())?;
        kb_schema::vector::decode(buf)
    }
}

/// What a hit's fused score was made of, for `--explain`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fused {
    /// The lexical score.
    pub lexical: f32,
    /// The lexical score rescaled over the candidates.
    pub lexical_scaled: f32,
    /// The cosine between the passage's embedding and the query's.
    pub cosine: f32,
    /// The cosine rescaled over the candidates.
    pub cosine_scaled: f32,
    /// The share of the cosine.
    pub weight: f32,
}

impl Fused {
    /// The explanation of a fused score, the lexical one's (`lexical`) among its parts.
    pub(crate) fn explain(&self, score: f32, lexical: Option<Explanation>) -> Explanation {
        let mut lex = Explanation::leaf(
            (1.0 - self.weight) * self.lexical_scaled,
            format!(
                "lexical {:.3}, {:.3} rescaled over the candidates, × {:.2}",
                self.lexical,
                self.lexical_scaled,
                1.0 - self.weight
            ),
        );
        lex.parts.extend(lexical);
        let cos = Explanation::leaf(
            self.weight * self.cosine_scaled,
            format!(
                "semantic: cosine {:.3} with the query, {:.3} rescaled over the candidates, × {:.2}",
                self.cosine, self.cosine_scaled, self.weight
            ),
        );
        Explanation { score, what: "fused: lexical + semantic".into(), parts: vec![lex, cos] }
    }
}

/// Re-ranks `candidates` (best first) by the fused score, replacing their scores; returns what
/// each fused score was made of. Candidates without a vector count as the least similar.
fn rerank(
    candidates: &mut [Candidate],
    query: &[f32],
    vectors: &Vectors,
    weight: f32,
) -> HashMap<DocAddress, Fused> {
    let mut buf = Vec::new();
    let cosines: Vec<Option<f32>> = candidates
        .iter()
        .map(|c| vectors.get(c.address, &mut buf).map(|v| kb_schema::vector::dot(&v, query)))
        .collect();
    let (lexical, semantic) =
        (range(candidates.iter().map(|c| c.score)), range(cosines.iter().flatten().copied()));
    let (lexical, semantic) =
        (scale_between(lexical.0, lexical.1), scale_between(semantic.0, semantic.1));
    let mut fused = HashMap::with_capacity(candidates.len());
    for (c, cosine) in candidates.iter_mut().zip(cosines) {
        let lexical_scaled = lexical(c.score);
        let cosine_scaled = cosine.map_or(0.0, &semantic);
        let parts = Fused {
            lexical: c.score,
            lexical_scaled,
            cosine: cosine.unwrap_or(f32::NAN),
            cosine_scaled,
            weight,
        };
        c.score = (1.0 - weight) * lexical_scaled + weight * cosine_scaled;
        fused.insert(c.address, parts);
    }
    // Stable: equal fused scores keep their lexical order.
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    fused
}

/// The least and the greatest of `values`.
fn range(values: impl Iterator<Item = f32>) -> (f32, f32) {
    values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Min-max scaling: maps `lo..=hi` onto `0..=1`; everything to 1 when the range is empty (all
/// values equal, or just one).
fn scale_between(lo: f32, hi: f32) -> impl Fn(f32) -> f32 {
    move |v| if hi > lo { (v - lo) / (hi - lo) } else { 1.0 }
}

/// The text of a query that is embedded: its words and phrases, those it excludes aside.
pub(crate) fn query_text(parsed: &ParsedQuery) -> String {
    let mut out = String::new();
    for clause in &parsed.clauses {
        if clause.presence == Presence::Excluded {
            continue;
        }
        if let Target::Word { text, .. } | Target::Phrase { text, .. } = &clause.target {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_spans_zero_to_one_and_is_one_when_flat() {
        let (lo, hi) = range([2.0, 4.0, 3.0].into_iter());
        let s = scale_between(lo, hi);
        assert_eq!((s(2.0), s(3.0), s(4.0)), (0.0, 0.5, 1.0));
        let (lo, hi) = range([5.0].into_iter());
        assert_eq!(scale_between(lo, hi)(5.0), 1.0);
    }

    #[test]
    fn the_query_text_keeps_words_and_phrases_but_not_exclusions() {
        let parsed = crate::parse::parse(r#"botox "calf muscle" -surgery kind:answer"#);
        assert_eq!(query_text(&parsed), "botox calf muscle");
    }
}
