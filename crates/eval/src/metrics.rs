//! Ranking quality, with trec_eval's definitions, so kb's numbers compare with published ones.
//!
//! For one query with graded judgments (grade > 0 relevant, anything else, or no judgment at
//! all, not relevant) and a [`Ranking`] `d_1, d_2, …` in trec_eval's order (score descending,
//! ties by document id descending):
//!
//! - **nDCG@k** (trec_eval `ndcg_cut.k`): `DCG@k / IDCG@k` with
//!   `DCG@k = Σ_{i=1..k} grade(d_i) / log2(i + 1)`, the gain being the grade itself (not
//!   `2^grade - 1`), and `IDCG@k` the same sum over all the query's relevant judged documents
//!   sorted by grade, retrieved or not. 0 when the query has no relevant document.
//! - **Recall@k** (trec_eval `recall.k`): relevant documents in the top `k` / relevant judged
//!   documents. 0 when the query has no relevant document.
//! - **MRR@k**: `1 / i` for the first relevant `d_i` with `i <= k`, else 0 (trec_eval's
//!   `recip_rank` cut at `k`, as BEIR reports it).
//!
//! A run is scored by the mean over the *judged* queries (those in the qrels); a judged query
//! the run has no ranking for scores 0 on every metric, as with `trec_eval -c`. Queries the run
//! has but the qrels do not are ignored.

use serde::Serialize;

use crate::qrels::{Judgments, Qrels};
use crate::ranking::Ranking;
use crate::run_file::Run;

/// The cutoff of the reported nDCG.
pub const NDCG_AT: usize = 10;
/// The cutoff of the reported recall.
pub const RECALL_AT: usize = 100;
/// The cutoff of the reported reciprocal rank.
pub const MRR_AT: usize = 10;

fn grade(judgments: &Judgments, doc_id: &str) -> i32 {
    judgments.get(doc_id).copied().unwrap_or(0).max(0)
}

/// nDCG@k of one ranking (see the [module docs](self)).
pub fn ndcg_at(ranking: &Ranking, judgments: &Judgments, k: usize) -> f64 {
    let discount = |i: usize| ((i + 2) as f64).log2(); // `i` is 0-based: rank i + 1
    let dcg: f64 = ranking
        .docs()
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| f64::from(grade(judgments, &d.doc_id)) / discount(i))
        .sum();
    let mut ideal: Vec<i32> = judgments.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 =
        ideal.iter().take(k).enumerate().map(|(i, &g)| f64::from(g) / discount(i)).sum();
    if idcg > 0.0 {
        dcg / idcg
    } else {
        0.0
    }
}

/// Recall@k of one ranking (see the [module docs](self)).
pub fn recall_at(ranking: &Ranking, judgments: &Judgments, k: usize) -> f64 {
    let relevant = judgments.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranking.docs().iter().take(k).filter(|d| grade(judgments, &d.doc_id) > 0).count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document within the top `k` (see the
/// [module docs](self)).
pub fn mrr_at(ranking: &Ranking, judgments: &Judgments, k: usize) -> f64 {
    ranking
        .docs()
        .iter()
        .take(k)
        .position(|d| grade(judgments, &d.doc_id) > 0)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// The reported metrics of one query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct QueryScores {
    /// nDCG@10.
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    /// Recall@100.
    #[serde(rename = "recall@100")]
    pub recall_100: f64,
    /// MRR@10.
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
}

impl QueryScores {
    /// Scores one ranking against its query's judgments.
    pub fn of(ranking: &Ranking, judgments: &Judgments) -> QueryScores {
        QueryScores {
            ndcg_10: ndcg_at(ranking, judgments, NDCG_AT),
            recall_100: recall_at(ranking, judgments, RECALL_AT),
            mrr_10: mrr_at(ranking, judgments, MRR_AT),
        }
    }
}

/// The reported metrics of a run: means over the judged queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RunScores {
    /// Number of judged queries the means are over.
    pub queries: usize,
    /// The means.
    #[serde(flatten)]
    pub mean: QueryScores,
}

/// Scores a run against judgments (see the [module docs](self) for the definitions).
pub fn score_run(qrels: &Qrels, run: &Run) -> RunScores {
    let empty = Ranking::default();
    let mut sum = QueryScores::default();
    for query in qrels.queries() {
        let s = QueryScores::of(run.get(&query.id).unwrap_or(&empty), &query.judgments);
        sum.ndcg_10 += s.ndcg_10;
        sum.recall_100 += s.recall_100;
        sum.mrr_10 += s.mrr_10;
    }
    let n = qrels.len();
    let mean = |total: f64| if n == 0 { 0.0 } else { total / n as f64 };
    RunScores {
        queries: n,
        mean: QueryScores {
            ndcg_10: mean(sum.ndcg_10),
            recall_100: mean(sum.recall_100),
            mrr_10: mean(sum.mrr_10),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn ranking(docs: &[(&str, f32)]) -> Ranking {
        Ranking::from_scores(docs.iter().map(|&(d, s)| (d.to_owned(), s)))
    }

    fn judgments(grades: &[(&str, i32)]) -> Judgments {
        grades.iter().map(|&(d, g)| (d.to_owned(), g)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Graded judgments d1:2, d2:1, d3:0, d4:1, d5:2 (d5 never retrieved); retrieved, best
    /// first: d3 (judged 0), d1 (2), x (unjudged), d2 (1), d4 (1).
    fn example() -> (Ranking, Judgments) {
        (
            ranking(&[("d3", 5.0), ("d1", 4.0), ("x", 3.0), ("d2", 2.0), ("d4", 1.0)]),
            judgments(&[("d1", 2), ("d2", 1), ("d3", 0), ("d4", 1), ("d5", 2)]),
        )
    }

    #[test]
    fn ndcg_by_hand() {
        let (r, j) = example();
        // DCG@10 = 2/log2(3) + 1/log2(5) + 1/log2(6) = 1.2618595 + 0.4306766 + 0.3868528
        //        = 2.0793889
        // IDCG@10 over grades 2, 2, 1, 1 = 2/log2(2) + 2/log2(3) + 1/log2(4) + 1/log2(5)
        //        = 2 + 1.2618595 + 0.5 + 0.4306766 = 4.1925361
        assert!((ndcg_at(&r, &j, 10) - 0.4959740).abs() < 1e-7, "{}", ndcg_at(&r, &j, 10));
        // @3: DCG = 2/log2(3) = 1.2618595; IDCG = 2 + 1.2618595 + 0.5 = 3.7618595.
        assert!((ndcg_at(&r, &j, 3) - 0.3354350).abs() < 1e-7, "{}", ndcg_at(&r, &j, 3));
        // A perfect ranking scores 1.
        let perfect = ranking(&[("d1", 5.0), ("d5", 4.0), ("d2", 3.0), ("d4", 2.0)]);
        assert!(close(ndcg_at(&perfect, &j, 10), 1.0));
        // The gain is the grade: a grade-1 document above the grade-2 ones costs.
        // (1 + 2/log2(3) + 2/log2(4) + 1/log2(5)) / 4.1925361 = 3.6925361 / 4.1925361
        let swapped = ranking(&[("d2", 5.0), ("d5", 4.0), ("d1", 3.0), ("d4", 2.0)]);
        assert!((ndcg_at(&swapped, &j, 10) - 0.8807404).abs() < 1e-7);
    }

    #[test]
    fn recall_and_mrr_by_hand() {
        let (r, j) = example();
        // 4 relevant (d1, d2, d4, d5); d1, d2, d4 retrieved.
        assert!(close(recall_at(&r, &j, 100), 0.75));
        assert!(close(recall_at(&r, &j, 3), 0.25));
        // First relevant is d1 at rank 2.
        assert!(close(mrr_at(&r, &j, 10), 0.5));
        assert!(close(mrr_at(&r, &j, 1), 0.0));
    }

    #[test]
    fn ties_are_broken_by_decreasing_doc_id() {
        // "a" is relevant, "b" not, same score: trec_eval ranks "b" first.
        let r = ranking(&[("a", 1.0), ("b", 1.0)]);
        let j = judgments(&[("a", 1)]);
        assert!(close(mrr_at(&r, &j, 10), 0.5));
        assert!(close(ndcg_at(&r, &j, 10), 1.0 / 3f64.log2()));
    }

    #[test]
    fn no_relevant_document_scores_zero() {
        let r = ranking(&[("a", 1.0)]);
        let j = judgments(&[("a", 0), ("b", -1)]);
        assert_eq!(QueryScores::of(&r, &j), QueryScores::default());
    }

    #[test]
    fn run_means_are_over_judged_queries() {
        let qrels = Qrels::parse(
            Path::new("qrels.tsv"),
            "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t1\nq1\td3\t0\nq1\td4\t1\nq1\td5\t2\n\
             q2\tz\t1\nq3\ty\t1\n",
        )
        .unwrap();
        let (r, _) = example();
        let mut run = Run::default();
        run.insert("q1", r);
        run.insert("q2", ranking(&[("a", 1.0), ("z", 0.5)])); // z at rank 2
        run.insert("unjudged", ranking(&[("y", 1.0)]));
        // q3 has no ranking: 0 on everything.
        let scores = score_run(&qrels, &run);
        assert_eq!(scores.queries, 3);
        let q2_ndcg = 1.0 / 3f64.log2();
        assert!((scores.mean.ndcg_10 - (0.4959740 + q2_ndcg) / 3.0).abs() < 1e-6);
        assert!(close(scores.mean.recall_100, (0.75 + 1.0) / 3.0));
        assert!(close(scores.mean.mrr_10, (0.5 + 0.5) / 3.0));
    }

    #[test]
    fn scores_serialize_with_at_keys() {
        let s = RunScores {
            queries: 2,
            mean: QueryScores { ndcg_10: 0.5, recall_100: 1.0, mrr_10: 0.25 },
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"queries":2,"ndcg@10":0.5,"recall@100":1.0,"mrr@10":0.25}"#
        );
    }
}
