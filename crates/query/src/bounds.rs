//! [`TermBounds`]: the largest BM25 score each term gives a passage of each segment, found once
//! per snapshot and kept.
//!
//! The MaxScore pass ([`crate::retrieve::maxscore`]) skips passages whose words cannot beat the
//! k-th best score, and the tighter a word's bound, the sooner it stops being visited. BM25's
//! own bound (a term frequency without end: `idf × (1 + k1)`) is loose, about 1.5 times what
//! any passage reaches; tantivy's per-block maxima are not public. So the first search that
//! needs a term's bound in a segment reads the term's postings once (frequencies and field
//! norms, no positions) and keeps the largest score; the next searches of the same snapshot
//! (a server, `kb run`, `kb eval`) find it here. A segment never changes once written, and a
//! snapshot's statistics (the average field length) are fixed, so a bound stays true as long as
//! the snapshot lives.

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{Score, SegmentReader, Term};

/// The kept bounds, by segment and term, of the unboosted BM25 weight.
#[derive(Debug, Default)]
pub(crate) struct TermBounds {
    bounds: Mutex<HashMap<(u32, Term), Score>>,
}

impl TermBounds {
    /// The largest score `bm25` (the term's weight, before any boost) gives a passage of
    /// segment `segment` (`reader`) holding `term`, read once and kept; 0 when the segment
    /// does not hold it.
    pub(crate) fn get(
        &self,
        segment: u32,
        reader: &SegmentReader,
        term: &Term,
        bm25: &Bm25Weight,
    ) -> tantivy::Result<Score> {
        let key = (segment, term.clone());
        if let Some(&bound) = self.lock().get(&key) {
            return Ok(bound);
        }
        let bound = largest_score(reader, term, bm25)?;
        self.lock().insert(key, bound);
        Ok(bound)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(u32, Term), Score>> {
        // A panic while holding the lock leaves the map whole (inserts are single calls).
        self.bounds.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The largest score `bm25` gives a passage of `reader` holding `term`, from its postings.
fn largest_score(reader: &SegmentReader, term: &Term, bm25: &Bm25Weight) -> tantivy::Result<Score> {
    let inverted = reader.inverted_index(term.field())?;
    let Some(mut block) = inverted.read_block_postings(term, IndexRecordOption::WithFreqs)? else {
        return Ok(0.0);
    };
    let norms = match reader.fieldnorms_readers().get_field(term.field())? {
        Some(norms) => norms,
        None => FieldNormReader::constant(reader.max_doc(), 1),
    };
    let mut largest: Score = 0.0;
    // The last block is padded past its end; `docs()` holds only its real passages.
    while !block.docs().is_empty() {
        for (&doc, &freq) in block.docs().iter().zip(block.freqs()) {
            largest = largest.max(bm25.score(norms.fieldnorm_id(doc), freq));
        }
        block.advance();
    }
    Ok(largest)
}
