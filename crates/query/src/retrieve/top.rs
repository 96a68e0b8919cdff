//! Running a [`Plan`]: the best candidates, in rounds until grouping fills the pool.
//!
//! tantivy ranks passages; grouping happens after (stage 5, [`crate::group`]), and before it
//! the Q&A lift rescores the candidates (stage 4). To still fill the pool when one document
//! has many matching passages, more candidates than the pool are fetched, and more again (four
//! times as many each round) until enough documents are found or the matches run out.

use tantivy::collector::{Collector, Count, DocSetCollector, SegmentCollector, TopDocs};
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument};

use super::query::Plan;
use crate::candidate::{Candidate, Ranked};
use crate::group::group;
use crate::highlight;
use crate::matches::MatchSet;
use crate::snapshot::Snapshot;

/// A plan being run: its first round fetched, more on demand ([`Retrieval::group`]).
pub(crate) struct Retrieval<'a> {
    snapshot: &'a Snapshot,
    plan: &'a Plan,
    /// The pool: how many grouped candidates are wanted.
    limit: usize,
    per_doc: usize,
    /// How many passages the last round asked for.
    fetch: usize,
    /// The best passages of the last round, best first.
    top: Vec<(f32, DocAddress)>,
    /// The scores of the passages a later stage asked to have scored (see [`Retrieval::run`]).
    scored: Vec<(f32, DocAddress)>,
    /// Candidates already ranked and grouped (a verbatim plan), or none.
    ranked: Option<Ranked>,
}

impl<'a> Retrieval<'a> {
    /// Runs the first round of `plan` for `limit` candidates, at most `per_doc` from one
    /// document (0 = no cap). The round also scores the passages at `also_score` (sorted
    /// addresses, the answers the Q&A lift may lift) that the query matches: see
    /// [`Retrieval::take_scored`].
    pub(crate) fn run(
        snapshot: &'a Snapshot,
        plan: &'a Plan,
        limit: usize,
        per_doc: usize,
        also_score: &[DocAddress],
    ) -> tantivy::Result<Retrieval<'a>> {
        let searcher = &snapshot.searcher;
        let mut retrieval = Retrieval {
            snapshot,
            plan,
            limit,
            per_doc,
            fetch: 0,
            top: Vec::new(),
            scored: Vec::new(),
            ranked: None,
        };
        let query = match plan {
            Plan::Index { query, .. } => query.as_ref(),
            Plan::Verbatim { filter, matches } => {
                let ranked = verbatim(snapshot, filter.as_ref(), matches, limit, per_doc)?;
                retrieval.ranked = Some(ranked);
                return Ok(retrieval);
            }
            Plan::Nothing => {
                retrieval.ranked = Some(Ranked::default());
                return Ok(retrieval);
            }
        };
        if limit == 0 {
            let total = searcher.search(query, &Count)?;
            retrieval.ranked = Some(Ranked { total, hits: Vec::new() });
            return Ok(retrieval);
        }
        // Most documents contribute one or two passages to a result list: twice the limit is
        // usually enough in one round.
        let fetch = if per_doc == 0 { limit } else { limit.saturating_mul(2).max(limit + 10) };
        // Never more than there are passages: the collector allocates room for `fetch` up front.
        let fetch = fetch.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX)).max(1);
        let collectors = (TopDocs::with_limit(fetch).order_by_score(), Count, ScoresOf(also_score));
        let (top, total, scored) = searcher.search(query, &collectors)?;
        retrieval.fetch = fetch;
        retrieval.top = top;
        retrieval.scored = scored;
        retrieval.ranked = Some(Ranked { total, hits: Vec::new() });
        Ok(retrieval)
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
        let Retrieval { snapshot, plan, limit, per_doc, mut fetch, mut top, ranked, .. } = self;
        let ranked = ranked.unwrap_or_default();
        let query = match plan.query() {
            Some(query) if fetch > 0 => query,
            // Ranked already (a verbatim plan, nothing to search, or no room for hits).
            _ => return Ok(ranked),
        };
        let total = ranked.total;
        loop {
            let exhausted = top.len() < fetch || top.len() >= total;
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
                return Ok(Ranked { total, hits });
            }
            fetch = fetch.saturating_mul(4).min(total);
            top = snapshot.searcher.search(query, &TopDocs::with_limit(fetch).order_by_score())?;
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

/// Passages among those `filter` matches whose text holds `matches` verbatim, ranked by how
/// often; for queries of stop words only, which are not in the index. Reads every passage
/// the filter lets through, so it is slow on large indexes, but such queries are rare.
fn verbatim(
    snapshot: &Snapshot,
    filter: &dyn Query,
    matches: &MatchSet,
    limit: usize,
    per_doc: usize,
) -> tantivy::Result<Ranked> {
    let (searcher, doc_ids, text_field) =
        (&snapshot.searcher, &snapshot.doc_ids, snapshot.schema.text);
    let mut addresses: Vec<DocAddress> =
        searcher.search(filter, &DocSetCollector)?.into_iter().collect();
    addresses.sort();
    let mut candidates = Vec::new();
    for address in addresses {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = doc.get_first(text_field).and_then(|v| v.as_str()).unwrap_or_default();
        let found = highlight::find_matches(text, matches).len();
        if found > 0 {
            candidates.push(Candidate { score: found as f32, address, doc: doc_ids.doc(address) });
        }
    }
    // Most occurrences first; the sort is stable, so ties stay in index order.
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let total = candidates.len();
    Ok(Ranked { total, hits: group(candidates, limit, per_doc) })
}
