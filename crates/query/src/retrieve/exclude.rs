//! [`Exclusion`]: a wrapper for queries used as `MustNot` clauses.
//!
//! tantivy 0.27's exclusion (`Exclude::new`) asks the excluded scorer whether it contains the
//! first candidate document, even when that scorer already stands past it. A phrase scorer
//! stands on its first match from the start, and its `seek_danger` asserts that it is never
//! asked about an earlier document: `calf -"hard patches"` panicked in debug builds (and could
//! answer wrongly in release builds). The wrapper's scorer answers such questions itself (the
//! default `seek_danger`, which compares with the current document first) and never seeks
//! backwards.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader};

/// Matches what the wrapped query matches; safe to use as a `MustNot` clause.
#[derive(Debug)]
pub(crate) struct Exclusion(pub Box<dyn Query>);

impl Clone for Exclusion {
    fn clone(&self) -> Self {
        Exclusion(self.0.box_clone())
    }
}

impl Query for Exclusion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExclusionWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExclusionWeight(Box<dyn Weight>);

impl Weight for ExclusionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ExclusionScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct ExclusionScorer(Box<dyn Scorer>);

impl DocSet for ExclusionScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        // Never backwards: a scorer past `target` stays where it is.
        if self.0.doc() >= target {
            return self.0.doc();
        }
        self.0.seek(target)
    }

    // `seek_danger` is deliberately the trait's default: it compares with `doc()` first and
    // only then calls `seek`.

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for ExclusionScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
