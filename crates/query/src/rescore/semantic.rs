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
    /// The lexical score over the best lexical candidate's (0 for none).
    pub lexical_scaled: f32,
    /// The cosine between the passage's embedding and the query's (the least possible, -1,
    /// for a passage without a vector).
    pub cosine: f32,
    /// The share of the cosine.
    pub weight: f32,
}

impl Fused {
    /// The explanation of a fused score, the lexical one's (`lexical`) among its parts.
    pub(crate) fn explain(&self, score: f32, lexical: Option<Explanation>) -> Explanation {
        let what = match self.lexical {
            Some(l) => format!(
                "lexical {:.3}, {:.3} of the best lexical candidate's, × {:.2}",
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
            self.weight * self.cosine,
            format!("semantic: cosine {:.3} with the query, × {:.2}", self.cosine, self.weight),
        );
        Explanation { score, what: "fused: lexical + semantic".into(), parts: vec![lex, cos] }
    }
}

/// Ranks `candidates` by the fused score, replacing their scores; the first `lexical_count`
/// are the lexical candidates (best first, their scores lexical), the rest found by meaning
/// alone; `cosines` are theirs with the query, in the same order. Returns what each fused
/// score was made of. Candidates without a vector count as the least similar.
///
/// `fused = (1 - weight) × lexical / best lexical + weight × cosine`: the lexical score over
/// the best lexical candidate's (0 for a passage found by meaning alone), the cosine as it is.
/// Neither is stretched to fill 0..1 (min-max), which made the weakest lexical candidate
/// worth nothing and spread the dense pool's narrow band of cosines over the whole range; of
/// min-max, reciprocal rank fusion and z-scores, this was best on SciFact train and NFCorpus
/// dev (RANKING.md).
fn fuse(
    candidates: &mut [Candidate],
    lexical_count: usize,
    cosines: Vec<Option<f32>>,
    weight: f32,
) -> HashMap<DocAddress, Fused> {
    let best = candidates[..lexical_count].iter().map(|c| c.score).fold(0.0f32, f32::max);
    let mut fused = HashMap::with_capacity(candidates.len());
    for (i, (c, cosine)) in candidates.iter_mut().zip(cosines).enumerate() {
        let lexical_score = (i < lexical_count).then_some(c.score);
        let lexical_scaled = lexical_score.map_or(0.0, |l| if best > 0.0 { l / best } else { 1.0 });
        let cosine = cosine.unwrap_or(-1.0);
        let parts = Fused { lexical: lexical_score, lexical_scaled, cosine, weight };
        c.score = (1.0 - weight) * lexical_scaled + weight * cosine;
        fused.insert(c.address, parts);
    }
    // Stable: equal fused scores keep their order (lexical first, then by meaning).
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    fused
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
    fn fusion_weighs_lexical_over_the_best_and_cosines_as_they_are() {
        let candidate = |score: f32, doc_id: u32| Candidate {
            score,
            address: DocAddress::new(0, doc_id),
            doc: u64::from(doc_id),
        };
        // Two lexical candidates (10 and 5), one found by meaning alone, one without a vector.
        let mut candidates =
            vec![candidate(10.0, 0), candidate(5.0, 1), candidate(f32::NAN, 2), candidate(4.0, 3)];
        let cosines = vec![Some(0.2), Some(0.5), Some(0.9), None];
        let fused = fuse(&mut candidates, 2, cosines, 0.7);
        let order: Vec<u32> = candidates.iter().map(|c| c.address.doc_id).collect();
        assert_eq!(order, [2, 1, 0, 3]);
        let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
        // 0.7 × 0.9; 0.3 × 0.5 + 0.7 × 0.5; 0.3 × 1 + 0.7 × 0.2; 0.7 × -1 (no vector, and 3 is
        // not among the 2 lexical candidates here).
        let scores: Vec<f32> = candidates.iter().map(|c| c.score).collect();
        for (got, want) in scores.iter().zip([0.63, 0.5, 0.44, -0.7]) {
            assert!(close(*got, want), "{scores:?}");
        }
        let parts = fused[&DocAddress::new(0, 1)];
        assert_eq!((parts.lexical, parts.lexical_scaled, parts.cosine), (Some(5.0), 0.5, 0.5));
        assert_eq!(fused[&DocAddress::new(0, 2)].lexical, None);
    }

    #[test]
    fn the_query_text_keeps_words_and_phrases_but_not_exclusions() {
        let parsed = crate::parse::parse(r#"botox "calf muscle" -surgery kind:answer"#);
        assert_eq!(query_text(&parsed), "botox calf muscle");
    }
}
