//! An honest total without counting every match.
//!
//! The total is counted only when it must be exact: below [`EXACT_BELOW`] matches, or when
//! asked ([`crate::SearchOptions::exact_total`]). Above, a plan of optional words reports a
//! lower bound read from the term dictionaries (its most frequent term's live passages,
//! segment by segment), as Elasticsearch's `track_total_hits` does, and the ranking pass runs
//! without a `Count` beside its top-k collector.

use tantivy::collector::Count;
use tantivy::Searcher;

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

/// How many passages `plan` matches: exact when `exact` is asked, when the plan has no flat
/// form of optional words only, or when it may be under [`EXACT_BELOW`]; else a lower bound.
pub(crate) fn total(searcher: &Searcher, plan: &Plan, exact: bool) -> tantivy::Result<Total> {
    let Some(query) = plan.query() else { return Ok(Total { count: 0, exact: true }) };
    match bound(searcher, plan, exact)? {
        Some(total) => Ok(total),
        None => Ok(Total { count: searcher.search(query, &Count)?, exact: true }),
    }
}

/// The lower bound standing for the total of `plan` when it need not be exact (`exact` not
/// asked) and reaches [`EXACT_BELOW`]; `None` when the total must be counted.
pub(crate) fn bound(
    searcher: &Searcher,
    plan: &Plan,
    exact: bool,
) -> tantivy::Result<Option<Total>> {
    let Some(flat) = plan.flat().filter(|f| f.union && !exact) else { return Ok(None) };
    let bound = lower_bound(searcher, flat)?;
    Ok((bound >= EXACT_BELOW).then_some(Total { count: bound, exact: false }))
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
