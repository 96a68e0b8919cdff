//! Stage 4, rescore by meaning: the lexical candidates and the passages closest in meaning to
//! the query, fused into one ranking.
//!
//! A semantic index stores an embedding of every passage (`kb_schema::vector`), which the
//! searcher loads once into a `DenseIndex` (`retrieve/dense.rs`). The search ranks passages
//! lexically as always (BM25, feedback, Q&A lift) and takes the best [`Semantic::depth`] of
//! them; meaning adds the [`Semantic::dense`] passages whose embeddings are closest to the
//! query's among all passages (retrieval by meaning: a passage that shares no word with the
//! query can be found). Each candidate gets a fused score, a convex mix in the proportion
//! [`Semantic::weight`]:
//!
//! ```text
//! fused = (1 - weight) × lexical' + weight × cosine'
//! ```
//!
//! where `lexical'` is the lexical score rescaled to 0..1 over the lexical candidates (min-max;
//! 0 for a passage only meaning found) and `cosine'` the cosine with the query rescaled to
//! 0..1 over all the candidates. A passage both sides find thus beats one only either side
//! finds at the same cosine or lexical score. With `dense` 0 this is re-ranking of the lexical
//! candidates alone; with `weight` 0 (`--semantic 0`) meaning does not run at all.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kb_embed::Embedder;
use tantivy::DocAddress;

use crate::candidate::{Candidate, Ranked};
use crate::explanation::Explanation;
use crate::group::group;
use crate::options::SearchOptions;
pub use crate::options::Semantic;
use crate::parse::{ParsedQuery, Presence, Scope, Target};
pub(crate) use crate::retrieve::dense::DenseIndex;
use crate::snapshot::Snapshot;

/// Ranking by meaning for one search: the query's embedding and the passages' vectors.
pub(crate) struct Meaning<'a> {
    vectors: &'a DenseIndex,
    query: Vec<f32>,
    weight: f32,
    depth: usize,
    /// How many passages retrieval by meaning adds (0 when the query does not allow it).
    dense: usize,
    /// The kind filter of the query, which passages found by meaning must pass too.
    kind: Option<kb_schema::Kind>,
}

impl<'a> Meaning<'a> {
    /// Ranking by meaning for `parsed`, when the searcher has a model and vectors (`semantic`),
    /// `opts` turn it on and the query has words to embed; else `None`.
    pub(crate) fn of(
        semantic: Option<&'a (DenseIndex, Arc<Embedder>)>,
        parsed: &ParsedQuery,
        opts: &SearchOptions,
    ) -> Option<Meaning<'a>> {
        let (vectors, embedder) = semantic.filter(|_| opts.semantic.is_on())?;
        let text = query_text(parsed);
        let query = (!text.trim().is_empty()).then(|| embedder.embed_query(&text))?;
        let (weight, depth) = (opts.semantic.weight.min(1.0), opts.semantic.depth);
        let (dense, kind) = match open_to_meaning(parsed) {
            Some(kind) => (opts.semantic.dense, kind),
            None => (0, None),
        };
        Some(Meaning { vectors, query, weight, depth, dense, kind })
    }

    /// How many lexical candidates to re-rank for `limit` hits.
    pub(crate) fn pool(&self, limit: usize) -> usize {
        limit.max(self.depth)
    }

    /// Adds the passages closest in meaning to the lexical pool `ranked`, ranks them all by the
    /// fused score, groups them (at most `per_doc` from one document) and cuts them to `limit`;
    /// returns what each fused score was made of (see [`Fused::explain`]).
    pub(crate) fn rerank(
        &self,
        snapshot: &Snapshot,
        ranked: &mut Ranked,
        limit: usize,
        per_doc: usize,
    ) -> HashMap<DocAddress, Fused> {
        let lexical: HashSet<DocAddress> = ranked.hits.iter().map(|c| c.address).collect();
        let mut candidates = std::mem::take(&mut ranked.hits);
        let lexical_count = candidates.len();
        let mut cosines: Vec<Option<f32>> =
            candidates.iter().map(|c| self.vectors.cosine(c.address, &self.query)).collect();
        for (cosine, address) in self.vectors.nearest(&self.query, self.dense, self.kind) {
            if !lexical.contains(&address) {
                let doc = snapshot.doc_ids.doc(address);
                candidates.push(Candidate { score: f32::NAN, address, doc });
                // The scan's cosine: not worked out again.
                cosines.push(Some(cosine));
            }
        }
        // Passages found by meaning alone count among the matches.
        ranked.total += candidates.len() - lexical_count;
        let fused = fuse(&mut candidates, lexical_count, cosines, self.weight);
        ranked.hits = group(candidates, limit, per_doc);
        fused
    }
}

/// Whether passages found by meaning alone may join the candidates of `parsed`: when it is made
/// of optional words and phrases (searched everywhere) and at most one kind filter, which is
/// returned (`Some(None)`: no filter). A query with anything a passage must or must not
/// contain (`+word`, `-word`, a field, a document) is taken exactly: `None`.
fn open_to_meaning(parsed: &ParsedQuery) -> Option<Option<kb_schema::Kind>> {
    let mut kind = None;
    for clause in &parsed.clauses {
        match (&clause.target, clause.presence) {
            (Target::Word { scope: Scope::All, .. }, Presence::Optional)
            | (Target::Phrase { scope: Scope::All, .. }, Presence::Optional) => {}
            (Target::Kind(k), Presence::Required) if kind.is_none_or(|seen| seen == *k) => {
                kind = Some(*k)
            }
            _ => return None,
        }
    }
    Some(kind)
}

/// What a hit's fused score was made of, for `--explain`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fused {
    /// The lexical score; `None` for a passage only meaning found.
    pub lexical: Option<f32>,
    /// The lexical score rescaled over the lexical candidates (0 for none).
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
        let what = match self.lexical {
            Some(l) => format!(
                "lexical {:.3}, {:.3} rescaled over the candidates, × {:.2}",
                l,
                self.lexical_scaled,
                1.0 - self.weight
            ),
            None => format!(
                "lexical: not among the best passages by words (found by meaning), 0 × {:.2}",
                1.0 - self.weight
            ),
        };
        let mut lex = Explanation::leaf((1.0 - self.weight) * self.lexical_scaled, what);
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

/// Ranks `candidates` by the fused score, replacing their scores; the first `lexical_count`
/// are the lexical candidates (best first, their scores lexical), the rest found by meaning
/// alone; `cosines` are theirs with the query, in the same order. Returns what each fused
/// score was made of. Candidates without a vector count as the least similar.
fn fuse(
    candidates: &mut [Candidate],
    lexical_count: usize,
    cosines: Vec<Option<f32>>,
    weight: f32,
) -> HashMap<DocAddress, Fused> {
    let lexical = range(candidates[..lexical_count].iter().map(|c| c.score));
    let semantic = range(cosines.iter().flatten().copied());
    let (lexical, semantic) =
        (scale_between(lexical.0, lexical.1), scale_between(semantic.0, semantic.1));
    let mut fused = HashMap::with_capacity(candidates.len());
    for (i, (c, cosine)) in candidates.iter_mut().zip(cosines).enumerate() {
        let lexical_score = (i < lexical_count).then_some(c.score);
        let lexical_scaled = lexical_score.map_or(0.0, &lexical);
        let cosine_scaled = cosine.map_or(0.0, &semantic);
        let parts = Fused {
            lexical: lexical_score,
            lexical_scaled,
            cosine: cosine.unwrap_or(f32::NAN),
            cosine_scaled,
            weight,
        };
        c.score = (1.0 - weight) * lexical_scaled + weight * cosine_scaled;
        fused.insert(c.address, parts);
    }
    // Stable: equal fused scores keep their order (lexical first, then by meaning).
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
