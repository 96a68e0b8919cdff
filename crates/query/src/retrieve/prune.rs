//! The best passages of a plan without scoring every match: block-max WAND over the plan's
//! [`Flat`] form, each passage it lets through scored by the plan's own query.
//!
//! kb's query is a best-field disjunction per word, which tantivy scores exhaustively: every
//! passage holding any query word in any field is scored, and a `Count` beside the top-k
//! collector would make it so anyway. The flat form sums the same term scores (at the same
//! weights) and is never below the query's score (see [`super::query`]), so a passage whose
//! flat upper bound is not above the k-th best *exact* score found so far cannot enter the top
//! k. tantivy's block-max WAND skips exactly those, block by block, calling back (in doc order)
//! only for the passages it had to score; each is then scored by the plan's query, its scorer
//! seeked forward to the passage. The result is the top k of the plan's query, ties broken by
//! index order, as `TopDocs` gives it.
//!
//! The total is counted only when it is needed to be exact: below [`EXACT_BELOW`] matches, or
//! when asked ([`crate::SearchOptions::exact_total`]). Above, a plan of optional words only
//! reports a lower bound read from the term dictionaries (its most frequent term's live
//! passages, segment by segment), as Elasticsearch's `track_total_hits` does.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher};

use super::query::{Flat, Plan};

/// Totals below this are always exact; from it on, a lower bound may be given instead.
pub const EXACT_BELOW: usize = 10_000;

/// How many passages matched, and whether that is exact or a lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Total {
    /// The count, or its lower bound.
    pub count: usize,
    /// Whether `count` is exact.
    pub exact: bool,
}

/// The best `k` passages for `query` (best first, ties in index order), pruned with `flat`
/// when there is one.
pub(crate) fn top(
    searcher: &Searcher,
    query: &dyn Query,
    flat: Option<&Flat>,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let Some(flat) = flat else {
        return searcher.search(query, &TopDocs::with_limit(k).order_by_score());
    };
    if k == 0 {
        return Ok(Vec::new());
    }
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let exact = query.weight(scoring)?;
    let bound = flat.query.weight(scoring)?;
    let mut best = Best::new(k);
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let segment = u32::try_from(ord).expect("fewer than 2^32 segments");
        let mut scorer = exact.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        bound.for_each_pruning(best.threshold(), reader, &mut |doc: DocId, _bound: Score| {
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                return best.threshold();
            }
            let mut at = scorer.doc();
            if at < doc {
                at = scorer.seek(doc);
            }
            if at == doc {
                best.push(scorer.score(), DocAddress::new(segment, doc));
            }
            best.threshold()
        })?;
    }
    Ok(best.into_sorted())
}

/// The scores `query` gives the passages at `addresses` (sorted) that it matches, in any
/// order: each segment's scorer seeked to them in turn, never scoring the other matches.
pub(crate) fn scores_of(
    searcher: &Searcher,
    query: &dyn Query,
    addresses: &[DocAddress],
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let mut out = Vec::new();
    if addresses.is_empty() {
        return Ok(out);
    }
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let segment = u32::try_from(ord).expect("fewer than 2^32 segments");
        let mut docs: Vec<DocId> =
            addresses.iter().filter(|a| a.segment_ord == segment).map(|a| a.doc_id).collect();
        if docs.is_empty() {
            continue;
        }
        docs.sort_unstable();
        docs.dedup();
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        for doc in docs {
            let mut at = scorer.doc();
            if at < doc {
                at = scorer.seek(doc);
            }
            if at == doc && !alive.is_some_and(|a| a.is_deleted(doc)) {
                out.push((scorer.score(), DocAddress::new(segment, doc)));
            }
        }
    }
    Ok(out)
}

/// How many passages `plan` matches: exact when `exact` is asked, when the plan has no flat
/// form, or when it may be under [`EXACT_BELOW`]; else the flat form's lower bound.
pub(crate) fn total(searcher: &Searcher, plan: &Plan, exact: bool) -> tantivy::Result<Total> {
    let Some(query) = plan.query() else { return Ok(Total { count: 0, exact: true }) };
    if !exact {
        if let Some(flat) = plan.flat().filter(|f| f.union) {
            let bound = lower_bound(searcher, flat)?;
            if bound >= EXACT_BELOW {
                return Ok(Total { count: bound, exact: false });
            }
        }
    }
    Ok(Total { count: searcher.search(query, &Count)?, exact: true })
}

/// A lower bound of the passages a union of `flat`'s terms matches: in each segment, its most
/// frequent term's passages less the segment's deleted ones. Read from the dictionaries only.
fn lower_bound(searcher: &Searcher, flat: &Flat) -> tantivy::Result<usize> {
    if searcher.num_docs() < EXACT_BELOW as u64 {
        return Ok(0);
    }
    let mut bound = 0usize;
    for reader in searcher.segment_readers() {
        let mut most = 0u32;
        for term in &flat.terms {
            let inverted = reader.inverted_index(term.field())?;
            most = most.max(inverted.doc_freq(term)?);
        }
        bound += most.saturating_sub(reader.num_deleted_docs()) as usize;
    }
    Ok(bound)
}

/// The best scored passages so far: a buffer cut back to the best `k` whenever it holds twice
/// as many, the k-th best score then being the pruning threshold.
struct Best {
    k: usize,
    found: Vec<(Score, DocAddress)>,
    /// The k-th best score at the last cut, lowered a little: the flat sum adds the same term
    /// scores in another order than the query's combiners, so it may round a hair below.
    threshold: Score,
}

impl Best {
    fn new(k: usize) -> Best {
        Best { k, found: Vec::with_capacity(k.saturating_mul(2).min(4096)), threshold: Score::MIN }
    }

    fn threshold(&self) -> Score {
        self.threshold
    }

    fn push(&mut self, score: Score, address: DocAddress) {
        if score < self.threshold {
            return;
        }
        self.found.push((score, address));
        if self.found.len() >= self.k.saturating_mul(2) {
            self.cut();
        }
    }

    fn cut(&mut self) {
        sort(&mut self.found);
        self.found.truncate(self.k);
        if let Some(&(kth, _)) = self.found.get(self.k - 1) {
            self.threshold = kth - kth.abs() * 1e-4;
        }
    }

    fn into_sorted(mut self) -> Vec<(Score, DocAddress)> {
        sort(&mut self.found);
        self.found.truncate(self.k);
        self.found
    }
}

/// Best first, ties in index order.
fn sort(found: &mut [(Score, DocAddress)]) {
    found.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(doc: u32) -> DocAddress {
        DocAddress::new(0, doc)
    }

    #[test]
    fn the_best_k_are_kept_ties_in_index_order() {
        let mut best = Best::new(2);
        for (score, doc) in [(1.0, 5), (3.0, 9), (3.0, 2), (0.5, 1), (2.0, 7), (3.0, 4)] {
            best.push(score, at(doc));
        }
        assert_eq!(best.into_sorted(), [(3.0, at(2)), (3.0, at(4))]);
    }

    #[test]
    fn the_threshold_rises_to_the_kth_best_once_the_buffer_is_cut() {
        let mut best = Best::new(2);
        assert_eq!(best.threshold(), Score::MIN);
        for (score, doc) in [(1.0, 1), (4.0, 2), (2.0, 3), (3.0, 4)] {
            best.push(score, at(doc));
        }
        assert!(best.threshold() > 2.9 && best.threshold() <= 3.0, "{}", best.threshold());
    }
}
