//! One query's ranked documents, in the order trec_eval scores them.

use std::cmp::Ordering;
use std::collections::HashMap;

/// A document and its score for one query.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredDoc {
    /// The document id (for a BEIR corpus, its `_id`).
    pub doc_id: String,
    /// The score; higher is better.
    pub score: f32,
}

/// A query's documents, each once, best first.
///
/// The order is trec_eval's, so that kb's metrics and the ranks in its run files agree with what
/// trec_eval computes from those files: trec_eval ignores the rank column and re-sorts by score,
/// descending, breaking ties by document id in *decreasing* byte order (`strcmp(p2, p1)` in its
/// `form_res_rels.c`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranking {
    docs: Vec<ScoredDoc>,
}

impl Ranking {
    /// Ranks scored documents. A document given more than once keeps its best score: when a
    /// document was split into several passages, it counts as its best passage (MaxP). A NaN
    /// score ranks last.
    pub fn from_scores(scores: impl IntoIterator<Item = (String, f32)>) -> Ranking {
        let mut best: HashMap<String, f32> = HashMap::new();
        for (doc_id, score) in scores {
            let score = if score.is_nan() { f32::NEG_INFINITY } else { score };
            best.entry(doc_id).and_modify(|s| *s = s.max(score)).or_insert(score);
        }
        let mut docs: Vec<ScoredDoc> =
            best.into_iter().map(|(doc_id, score)| ScoredDoc { doc_id, score }).collect();
        docs.sort_by(trec_order);
        Ranking { docs }
    }

    /// The documents, best first.
    pub fn docs(&self) -> &[ScoredDoc] {
        &self.docs
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether nothing was retrieved.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

/// trec_eval's order: score descending, then document id descending. `partial_cmp` would do
/// for scores (NaN is gone), but `-0.0` and `0.0` must compare equal as they do in C.
fn trec_order(a: &ScoredDoc, b: &ScoredDoc) -> Ordering {
    let score = if a.score == b.score { Ordering::Equal } else { b.score.total_cmp(&a.score) };
    score.then_with(|| b.doc_id.as_bytes().cmp(a.doc_id.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(r: &Ranking) -> Vec<&str> {
        r.docs().iter().map(|d| d.doc_id.as_str()).collect()
    }

    #[test]
    fn sorted_by_score_then_by_decreasing_doc_id() {
        let r = Ranking::from_scores([
            ("b".to_string(), 1.0),
            ("a".to_string(), 2.0),
            ("c".to_string(), 1.0),
            ("B".to_string(), 1.0),
            ("z".to_string(), 0.5),
        ]);
        // Ties at 1.0: "c" > "b" > "B" in byte order.
        assert_eq!(ids(&r), ["a", "c", "b", "B", "z"]);
    }

    #[test]
    fn a_document_counts_with_its_best_passage() {
        let r = Ranking::from_scores([
            ("doc1".to_string(), 1.0),
            ("doc2".to_string(), 2.0),
            ("doc1".to_string(), 3.0),
            ("doc2".to_string(), 0.1),
        ]);
        assert_eq!(
            r.docs(),
            [
                ScoredDoc { doc_id: "doc1".into(), score: 3.0 },
                ScoredDoc { doc_id: "doc2".into(), score: 2.0 }
            ]
        );
    }

    #[test]
    fn zero_signs_tie_and_nan_ranks_last() {
        let r = Ranking::from_scores([
            ("a".to_string(), f32::NAN),
            ("b".to_string(), -0.0),
            ("c".to_string(), 0.0),
            ("d".to_string(), -1.0),
        ]);
        assert_eq!(ids(&r), ["c", "b", "d", "a"]);
    }
}
