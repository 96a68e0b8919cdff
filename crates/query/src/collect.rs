//! Running a plan: the ranked passages, at most `per_doc` of them from one document.
//!
//! tantivy ranks passages; grouping happens after. To still fill `limit` hits when one document
//! has many matching passages, more candidates than `limit` are fetched, and more again (four
//! times as many each round) until enough documents are found or the matches run out.

use std::collections::HashMap;

use tantivy::collector::{Collector, Count, DocSetCollector, SegmentCollector, TopDocs};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument};

use crate::highlight::{self, MatchSet};
use crate::qa::Lift;

/// A ranked passage, before its stored fields are read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    /// Its score.
    pub score: f32,
    /// Where it is in the index.
    pub address: DocAddress,
    /// Its document, as a number that is the same for all passages of a document.
    pub doc: u64,
}

/// The answer of [`top`] and [`verbatim`].
#[derive(Debug, Default)]
pub(crate) struct Ranked {
    /// How many passages matched, before grouping and the limit.
    pub total: usize,
    /// The best passages, grouped, best first.
    pub hits: Vec<Candidate>,
}

/// Tells which document a passage belongs to, as a number, from the `doc_id` fast field.
///
/// Each segment numbers its document ids by their rank in its own dictionary, so for an index
/// of several segments the dictionaries are merged once, at open, into one numbering: grouping
/// then compares numbers instead of reading and comparing strings for every candidate.
pub(crate) struct DocIds {
    segments: Vec<Option<SegmentDocIds>>,
}

struct SegmentDocIds {
    /// Term ordinal of each passage's doc id in the segment's dictionary.
    ords: Column<u64>,
    /// Segment ordinal -> index-wide number; `None` when there is one segment.
    global: Option<Vec<u64>>,
}

impl DocIds {
    /// Opens the `doc_id` column of every segment of `searcher`.
    pub(crate) fn open(searcher: &tantivy::Searcher, field: Field) -> tantivy::Result<DocIds> {
        let name = searcher.schema().get_field_name(field);
        let columns: Vec<Option<StrColumn>> = searcher
            .segment_readers()
            .iter()
            .map(|segment| segment.fast_fields().str(name))
            .collect::<tantivy::Result<_>>()?;
        let mut globals = if columns.len() > 1 {
            merge_dictionaries(&columns)?.into_iter().map(Some).collect()
        } else {
            vec![None; columns.len()]
        };
        let segments = columns
            .iter()
            .zip(globals.iter_mut())
            .map(|(column, global)| {
                column
                    .as_ref()
                    .map(|c| SegmentDocIds { ords: c.ords().clone(), global: global.take() })
            })
            .collect();
        Ok(DocIds { segments })
    }

    /// The document number of the passage at `address`.
    pub(crate) fn doc(&self, address: DocAddress) -> u64 {
        let segment = self.segments.get(address.segment_ord as usize).and_then(Option::as_ref);
        let number = segment.and_then(|s| {
            let ord = s.ords.first(address.doc_id)?;
            match &s.global {
                Some(global) => global.get(ord as usize).copied(),
                None => Some(ord),
            }
        });
        // A passage without a doc id (not written by kb) is a document of its own.
        number.unwrap_or(
            u64::MAX - ((u64::from(address.segment_ord) << 32) | u64::from(address.doc_id)),
        )
    }
}

/// For each segment, the index-wide number of each of its dictionary's terms: the rank of the
/// term in the union of all dictionaries (a k-way merge of the sorted dictionaries).
fn merge_dictionaries(columns: &[Option<StrColumn>]) -> tantivy::Result<Vec<Vec<u64>>> {
    let mut streams = Vec::with_capacity(columns.len());
    let mut numbers: Vec<Vec<u64>> = Vec::with_capacity(columns.len());
    for column in columns {
        let (stream, terms) = match column {
            Some(c) => (Some(c.dictionary().stream()?), c.dictionary().num_terms()),
            None => (None, 0),
        };
        streams.push(stream);
        numbers.push(Vec::with_capacity(terms));
    }
    let mut live: Vec<bool> =
        streams.iter_mut().map(|s| s.as_mut().is_some_and(|s| s.advance())).collect();
    let mut next = 0u64;
    let mut same: Vec<usize> = Vec::with_capacity(streams.len());
    loop {
        let mut min: Option<usize> = None;
        for i in 0..streams.len() {
            if !live[i] {
                continue;
            }
            let key = streams[i].as_ref().map(|s| s.key());
            if min.is_none_or(|m| key < streams[m].as_ref().map(|s| s.key())) {
                min = Some(i);
            }
        }
        let Some(m) = min else { break };
        same.clear();
        same.extend((0..streams.len()).filter(|&i| {
            live[i] && streams[i].as_ref().map(|s| s.key()) == streams[m].as_ref().map(|s| s.key())
        }));
        for &i in &same {
            numbers[i].push(next);
            live[i] = streams[i].as_mut().is_some_and(|s| s.advance());
        }
        next += 1;
    }
    Ok(numbers)
}

/// The best `limit` passages for `query`, at most `per_doc` from one document (0 = no cap),
/// and the Q&A lift (see `qa.rs`): the passage's ranking pass also scores `answers` (sorted
/// addresses), `lift` makes the lift of those scores, and the lifted answers are re-scored
/// before grouping.
pub(crate) fn top(
    searcher: &tantivy::Searcher,
    doc_ids: &DocIds,
    query: &dyn Query,
    limit: usize,
    per_doc: usize,
    answers: &[DocAddress],
    lift: impl FnOnce(Vec<(f32, DocAddress)>) -> tantivy::Result<Lift>,
) -> tantivy::Result<(Ranked, Lift)> {
    if limit == 0 {
        let total = searcher.search(query, &Count)?;
        return Ok((Ranked { total, hits: Vec::new() }, Lift::none()));
    }
    // Most documents contribute one or two passages to a result list: twice the limit is
    // usually enough in one round.
    let mut fetch = if per_doc == 0 { limit } else { limit.saturating_mul(2).max(limit + 10) };
    // Never more than there are passages: the collector allocates room for `fetch` up front.
    fetch = fetch.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX)).max(1);
    let (mut ranked, total, scored) = searcher
        .search(query, &(TopDocs::with_limit(fetch).order_by_score(), Count, ScoresOf(answers)))?;
    let lift = lift(scored)?;
    loop {
        let exhausted = ranked.len() < fetch || ranked.len() >= total;
        let mut candidates: Vec<Candidate> = ranked
            .iter()
            .map(|&(score, address)| Candidate { score, address, doc: doc_ids.doc(address) })
            .collect();
        // Hook: Q&A awareness (qa.rs).
        lift.apply(&mut candidates);
        let hits = group(candidates, limit, per_doc);
        if hits.len() >= limit || exhausted {
            return Ok((Ranked { total, hits }, lift));
        }
        fetch = fetch.saturating_mul(4).min(total);
        ranked = searcher.search(query, &TopDocs::with_limit(fetch).order_by_score())?;
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
pub(crate) fn verbatim(
    searcher: &tantivy::Searcher,
    doc_ids: &DocIds,
    text_field: Field,
    filter: &dyn Query,
    matches: &MatchSet,
    limit: usize,
    per_doc: usize,
) -> tantivy::Result<Ranked> {
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

/// Keeps candidates in order, at most `per_doc` from one document (0 = no cap), until `limit`.
pub(crate) fn group(
    candidates: impl IntoIterator<Item = Candidate>,
    limit: usize,
    per_doc: usize,
) -> Vec<Candidate> {
    let mut taken: HashMap<u64, usize> = HashMap::new();
    let mut out = Vec::with_capacity(limit.min(64));
    for c in candidates {
        if out.len() >= limit {
            break;
        }
        if per_doc > 0 {
            let n = taken.entry(c.doc).or_insert(0);
            if *n >= per_doc {
                continue;
            }
            *n += 1;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(docs: &[u64]) -> Vec<Candidate> {
        docs.iter()
            .enumerate()
            .map(|(i, &doc)| Candidate {
                score: 10.0 - i as f32,
                address: DocAddress::new(0, i as u32),
                doc,
            })
            .collect()
    }

    fn ids(hits: &[Candidate]) -> Vec<u32> {
        hits.iter().map(|c| c.address.doc_id).collect()
    }

    #[test]
    fn per_doc_caps_each_document_and_keeps_order() {
        let list = candidates(&[1, 1, 2, 1, 3, 2, 2]);
        assert_eq!(ids(&group(list.clone(), 10, 1)), [0, 2, 4]);
        assert_eq!(ids(&group(list.clone(), 10, 2)), [0, 1, 2, 4, 5]);
        assert_eq!(ids(&group(list.clone(), 10, 0)), [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn limit_stops_early() {
        let list = candidates(&[1, 1, 2, 1, 3]);
        assert_eq!(ids(&group(list.clone(), 2, 1)), [0, 2]);
        assert_eq!(ids(&group(list, 0, 0)), Vec::<u32>::new());
    }
}
