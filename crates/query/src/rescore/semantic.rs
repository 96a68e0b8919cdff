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
//! where `lexical'` is the lexical score over the best lexical candidate's (0 for a passage
//! only meaning found) and `cosine'` the cosine with the query (`fuse`). A passage both
//! sides find thus beats one only either side finds at the same cosine or lexical score. With
//! `dense` 0 this is re-ranking of the lexical candidates alone; with `weight` 0
//! (`--semantic 0`) meaning does not run at all.
//!
//! Then pseudo-relevance feedback by meaning ([`Semantic::feedback`]): the embeddings of the
//! best passages of that first ranking, their mean at half the query's weight, are added to
//! the query's (`FEEDBACK_SHARE`); the cosines are taken again with that vector, which also
//! finds `dense` more passages, and the fused ranking is made again. Like the lexical
//! feedback, it reaches passages that say what the best ones say in other words: on NFCorpus,
//! whose queries have many relevant documents, Recall@100 rose from 0.32 to 0.36 and
//! nDCG@10 by 0.011 (RANKING.md, "Feedback by meaning").

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

/// The weight of the best passages' mean embedding beside the query's (1) in the feedback by
/// meaning: of 0.3 to 1.0, 0.5 was best with 2 passages on SciFact train and NFCorpus dev.
pub(crate) const FEEDBACK_SHARE: f32 = 0.5;

/// Ranking by meaning for one search: the query's embedding and the passages' vectors.
pub(crate) struct Meaning<'a> {
    vectors: &'a DenseIndex,
    query: Vec<f32>,
    weight: f32,
    depth: usize,
    /// How many passages retrieval by meaning adds (0 when the query does not allow it).
    dense: usize,
    /// How many of the first ranking's best passages lend the query their meaning.
    feedback: usize,
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
        let feedback = opts.semantic.feedback;
        Some(Meaning { vectors, query, weight, depth, dense, feedback, kind })
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
        let mut seen: HashSet<DocAddress> = ranked.hits.iter().map(|c| c.address).collect();
        let mut candidates = std::mem::take(&mut ranked.hits);
        let lexical_count = candidates.len();
        let mut cosines: Vec<Option<f32>> =
            candidates.iter().map(|c| self.vectors.cosine(c.address, &self.query)).collect();
        self.add_nearest(snapshot, &self.query, &mut seen, &mut candidates, &mut cosines);
        let mut lent = 0;
        if self.feedback > 0 {
            // The first ranking: the fused scores, best first (ties in candidate order, as
            // `fuse` sorts them).
            let first = parts(&candidates, lexical_count, &cosines, self.weight, 0);
            let mut order: Vec<usize> = (0..candidates.len()).collect();
            order.sort_by(|&a, &b| first[b].score().total_cmp(&first[a].score()));
            let best = order.iter().take(self.feedback).map(|&i| candidates[i].address);
            if let Some((query, n)) = self.with_feedback(best) {
                cosines =
                    candidates.iter().map(|c| self.vectors.cosine(c.address, &query)).collect();
                self.add_nearest(snapshot, &query, &mut seen, &mut candidates, &mut cosines);
                lent = n;
            }
        }
        // Passages found by meaning alone count among the matches.
        ranked.total += candidates.len() - lexical_count;
        let fused = fuse(&mut candidates, lexical_count, &cosines, self.weight, lent);
        ranked.hits = group(candidates, limit, per_doc);
        fused
    }

    /// Adds the [`Self::dense`] passages closest to `query` that are not `seen` yet to
    /// `candidates`, with their cosines.
    fn add_nearest(
        &self,
        snapshot: &Snapshot,
        query: &[f32],
        seen: &mut HashSet<DocAddress>,
        candidates: &mut Vec<Candidate>,
        cosines: &mut Vec<Option<f32>>,
    ) {
        for (cosine, address) in self.vectors.nearest(query, self.dense, self.kind) {
            if seen.insert(address) {
                let doc = snapshot.doc_ids.doc(address);
                candidates.push(Candidate { score: f32::NAN, address, doc });
                // The scan's cosine: not worked out again.
                cosines.push(Some(cosine));
            }
        }
    }

    /// The query's embedding plus [`FEEDBACK_SHARE`] times the mean embedding of the passages
    /// at `best`, normalized, and how many lent theirs; `None` when none has an embedding.
    fn with_feedback(&self, best: impl Iterator<Item = DocAddress>) -> Option<(Vec<f32>, usize)> {
        let mut sum = vec![0.0; self.query.len()];
        let lent = best.filter(|&address| self.vectors.add_embedding(address, &mut sum)).count();
        if lent == 0 {
            return None;
        }
        let share = FEEDBACK_SHARE / lent as f32;
        let mut query: Vec<f32> = self.query.iter().zip(&sum).map(|(q, s)| q + share * s).collect();
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_normal() {
            return None;
        }
        query.iter_mut().for_each(|x| *x /= norm);
        Some((query, lent))
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
    /// How many of the best passages lent the query their meaning (0: none, the cosine is
    /// with the query's own embedding).
    pub lent: usize,
}

impl Fused {
    /// The fused score these parts make.
    fn score(&self) -> f32 {
        (1.0 - self.weight) * self.lexical_scaled + self.weight * self.cosine
    }

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
        let with = match self.lent {
            0 => "the query".to_owned(),
            1 => "the query and the meaning of the best passage".to_owned(),
            n => format!("the query and the meaning of the {n} best passages"),
        };
        let cos = Explanation::leaf(
            self.weight * self.cosine,
            format!("semantic: cosine {:.3} with {with}, × {:.2}", self.cosine, self.weight),
        );
        Explanation { score, what: "fused: lexical + semantic".into(), parts: vec![lex, cos] }
    }
}

/// What the fused score of each of `candidates` is made of, in order; the first
/// `lexical_count` are the lexical candidates (best first, their scores lexical), the rest found
/// by meaning alone; `cosines` are theirs with the query, in the same order, and `lent` the
/// passages that lent the query their meaning ([`Fused::lent`]). Candidates without a vector
/// count as the least similar.
///
/// `fused = (1 - weight) × lexical / best lexical + weight × cosine`: the lexical score over
/// the best lexical candidate's (0 for a passage found by meaning alone), the cosine as it is.
/// Neither is stretched to fill 0..1 (min-max), which made the weakest lexical candidate
/// worth nothing and spread the dense pool's narrow band of cosines over the whole range; of
/// min-max, reciprocal rank fusion and z-scores, this was best on SciFact train and NFCorpus
/// dev (RANKING.md).
fn parts(
    candidates: &[Candidate],
    lexical_count: usize,
    cosines: &[Option<f32>],
    weight: f32,
    lent: usize,
) -> Vec<Fused> {
    let best = candidates[..lexical_count].iter().map(|c| c.score).fold(0.0f32, f32::max);
    let parts = candidates.iter().zip(cosines).enumerate().map(|(i, (c, cosine))| {
        let lexical = (i < lexical_count).then_some(c.score);
        let lexical_scaled = lexical.map_or(0.0, |l| if best > 0.0 { l / best } else { 1.0 });
        let cosine = cosine.unwrap_or(-1.0);
        Fused { lexical, lexical_scaled, cosine, weight, lent }
    });
    parts.collect()
}

/// Ranks `candidates` by the fused score ([`parts`]), replacing their scores, and returns what
/// each fused score was made of.
fn fuse(
    candidates: &mut [Candidate],
    lexical_count: usize,
    cosines: &[Option<f32>],
    weight: f32,
    lent: usize,
) -> HashMap<DocAddress, Fused> {
    let parts = parts(candidates, lexical_count, cosines, weight, lent);
    let mut fused = HashMap::with_capacity(candidates.len());
    for (c, parts) in candidates.iter_mut().zip(parts) {
        c.score = parts.score();
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
        let fused = fuse(&mut candidates, 2, &cosines, 0.7, 0);
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
