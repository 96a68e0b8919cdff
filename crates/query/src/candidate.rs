//! [`Candidate`]: a ranked passage before its stored fields are read, the shared noun of the
//! ranking stages (retrieve, rescore, group), and [`DocIds`], which tells the document a
//! candidate belongs to.

use tantivy::columnar::{Column, StrColumn};
use tantivy::schema::Field;
use tantivy::DocAddress;

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

/// The ranked candidates of a search (`retrieve::top`).
#[derive(Debug, Default)]
pub(crate) struct Ranked {
    /// How many passages matched, before grouping and the limit (or at least, when not
    /// `exact`).
    pub total: usize,
    /// Whether `total` is exact rather than a lower bound.
    pub exact: bool,
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
