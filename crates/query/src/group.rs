//! Stage 5, group: at most [`crate::SearchOptions::per_doc`] hits from one document.
//!
//! tantivy ranks passages; grouping happens after ranking and rescoring. Retrieval fetches more
//! candidates than the limit so that grouping can still fill it (see `retrieve::top`).

use std::collections::HashMap;

use crate::candidate::Candidate;

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
    use tantivy::DocAddress;

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
