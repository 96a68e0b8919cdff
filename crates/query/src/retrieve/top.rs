//! Running a [`Plan`]: the best candidates, in rounds until grouping fills the pool.
//!
//! tantivy ranks passages; grouping happens after (stage 5, [`crate::group`]), and before it
//! the Q&A lift rescores the candidates (stage 4). To still fill the pool when one document
//! has many matching passages, more candidates than the pool are fetched, and more again (four
//! times as many each round) until enough documents are found or the matches run out.
//!
//! The total is counted in the same pass, unless it is past the exact range
//! ([`super::prune`]): then a lower bound stands for it, and the pass has no count and skips
//! what cannot make the top ([`super::maxscore`]), as the later rounds do.

use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::maxscore;
use super::prune::{self, Total};
use super::query::Plan;
use crate::candidate::{Candidate, Ranked};
use crate::group::group;
use crate::snapshot::Snapshot;

/// A plan being run: its first round fetched, more on demand ([`Retrieval::group`]).
pub(crate) struct Retrieval<'a> {
    snapshot: &'a Snapshot,
    plan: &'a Plan,
    /// The pool: how many grouped candidates are wanted.
    limit: usize,
    per_doc: usize,
    /// How many passages the last round asked for; 0 when there are no rounds (nothing to
    /// search, or no room for hits).
    fetch: usize,
    /// How many passages the query matches (exactly, or at least).
    total: Total,
    /// The best passages of the last round, best first.
    top: Vec<(f32, DocAddress)>,
    /// The scores of the passages a later stage asked to have scored (see [`Retrieval::run`]).
    scored: Vec<(f32, DocAddress)>,
}

impl<'a> Retrieval<'a> {
    /// Runs the first round of `plan` for `limit` candidates, at most `per_doc` from one
    /// document (0 = no cap). The round also scores the passages at `also_score` (sorted
    /// addresses, the answers the Q&A lift may lift) that the query matches: see
    /// [`Retrieval::take_scored`]. The total is exact when `exact_total` is set, and otherwise
    /// may be a lower bound from [`prune::EXACT_BELOW`] matches on.
    pub(crate) fn run(
        snapshot: &'a Snapshot,
        plan: &'a Plan,
        limit: usize,
        per_doc: usize,
        also_score: &[DocAddress],
        exact_total: bool,
    ) -> tantivy::Result<Retrieval<'a>> {
        let searcher = &snapshot.searcher;
        let mut retrieval = Retrieval {
            snapshot,
            plan,
            limit,
            per_doc,
            fetch: 0,
            total: Total { count: 0, exact: true },
            top: Vec::new(),
            scored: Vec::new(),
        };
        let Plan::Index { query, .. } = plan else { return Ok(retrieval) };
        if limit == 0 {
            retrieval.total = prune::total(searcher, plan, exact_total)?;
            return Ok(retrieval);
        }
        // Most documents contribute one or two passages to a result list: twice the limit is
        // usually enough in one round.
        let fetch = if per_doc == 0 { limit } else { limit.saturating_mul(2).max(limit + 10) };
        // Never more than there are passages: the collector allocates room for `fetch` up front.
        let fetch = fetch.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX)).max(1);
        if let Some(total) = prune::bound(searcher, plan, exact_total)? {
            // Past the exact range: no count beside the ranking, which may then skip passages
            // that cannot make the top (MaxScore, for a plan that is a sum).
            if let Some(sum) = plan.sum() {
                let weighted = maxscore::Weighted::new(snapshot, sum)?;
                let (top, scored) = (weighted.top(fetch)?, weighted.scores_at(also_score)?);
                return Ok(Retrieval { fetch, total, top, scored, ..retrieval });
            }
            let collectors = (TopDocs::with_limit(fetch).order_by_score(), ScoresOf(also_score));
            let (top, scored) = searcher.search(query.as_ref(), &collectors)?;
            return Ok(Retrieval { fetch, total, top, scored, ..retrieval });
        }
        let collectors = (TopDocs::with_limit(fetch).order_by_score(), Count, ScoresOf(also_score));
        let (top, count, scored) = searcher.search(query.as_ref(), &collectors)?;
        let total = Total { count, exact: true };
        Ok(Retrieval { fetch, total, top, scored, ..retrieval })
    }

    /// The scores of the passages at `also_score` (of [`Retrieval::run`]) that the query
    /// matches, in any order; empty after the first call.
    pub(crate) fn take_scored(&mut self) -> Vec<(f32, DocAddress)> {
        std::mem::take(&mut self.scored)
    }

    /// The pool: the best candidates, each round's rescored by `rescore` (stage 4, the Q&A
    /// lift, which may add candidates and reorder them) and then grouped (stage 5), fetching
    /// more rounds until the pool is full or the matches run out.
    pub(crate) fn group(self, rescore: impl Fn(&mut Vec<Candidate>)) -> tantivy::Result<Ranked> {
        let Retrieval { snapshot, plan, limit, per_doc, mut fetch, total, mut top, .. } = self;
        if plan.query().is_none() || fetch == 0 {
            // No rounds: nothing to search, or no room for hits.
            return Ok(Ranked { total: total.count, exact: total.exact, hits: Vec::new() });
        }
        loop {
            let exhausted = top.len() < fetch || (total.exact && top.len() >= total.count);
            let mut candidates: Vec<Candidate> = top
                .iter()
                .map(|&(score, address)| Candidate {
                    score,
                    address,
                    doc: snapshot.doc_ids.doc(address),
                })
                .collect();
            rescore(&mut candidates);
            let hits = group(candidates, limit, per_doc);
            if hits.len() >= limit || exhausted {
                return Ok(Ranked { total: total.count, exact: total.exact, hits });
            }
            fetch = fetch.saturating_mul(4);
            if total.exact {
                fetch = fetch.min(total.count);
            }
            top = maxscore::top(snapshot, plan, fetch)?;
        }
    }
}

/// Collects the scores of the passages at a few addresses (sorted) that the query matches.
struct ScoresOf<'a>(&'a [DocAddress]);

/// [`ScoresOf`] in one segment: its passages' doc ids, sorted.
struct SegmentScoresOf {
    segment: SegmentOrdinal,
    docs: Vec<DocId>,
    scored: Vec<(f32, DocAddress)>,
}

impl Collector for ScoresOf<'_> {
    type Fruit = Vec<(f32, DocAddress)>;
    type Child = SegmentScoresOf;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<SegmentScoresOf> {
        let docs = self.0.iter().filter(|a| a.segment_ord == segment).map(|a| a.doc_id).collect();
        Ok(SegmentScoresOf { segment, docs, scored: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Vec<(f32, DocAddress)>>,
    ) -> tantivy::Result<Vec<(f32, DocAddress)>> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for SegmentScoresOf {
    type Fruit = Vec<(f32, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if !self.docs.is_empty() && self.docs.binary_search(&doc).is_ok() {
            self.scored.push((score, DocAddress::new(self.segment, doc)));
        }
    }

    fn harvest(self) -> Vec<(f32, DocAddress)> {
        self.scored
    }
}
