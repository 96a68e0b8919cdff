//! [`Labelled`]: a query that names itself in explanations, and can be explained safely.
//!
//! The query builder ([`super::query`]) wraps what it builds in labelled queries when an
//! explanation is asked for (a word, a field, a typo or synonym alternative), so that
//! [`super::explain`] can name the parts of a score. The wrappers leave scoring untouched:
//! their scorers are the wrapped queries' own.

use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader};

/// Marks a label among tantivy's explanation descriptions.
pub(crate) const LABEL: &str = "kb-label:";

/// A query that explains itself under a label; it matches and scores as the wrapped query.
///
/// It also makes explaining safe: tantivy's boolean and phrase weights explain a passage by
/// seeking a fresh scorer to it, which asserts (in debug builds) when the scorer's first match
/// already lies past that passage, i.e. when the passage does not match. A labelled query
/// checks that first and answers "does not match" itself. Without a label (`None`) the wrapper
/// is only that guard and leaves no trace in the explanation.
#[derive(Debug)]
pub(crate) struct Labelled {
    label: Option<String>,
    query: Box<dyn Query>,
}

impl Labelled {
    /// Wraps `query` under `label` (`None`: a guard only).
    pub(crate) fn new(query: Box<dyn Query>, label: Option<String>) -> Labelled {
        Labelled { label, query }
    }
}

impl Clone for Labelled {
    fn clone(&self) -> Self {
        Labelled { label: self.label.clone(), query: self.query.box_clone() }
    }
}

impl Query for Labelled {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let inner = self.query.weight(enable_scoring)?;
        Ok(Box::new(LabelledWeight { label: self.label.clone(), inner }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.query.query_terms(visitor);
    }
}

struct LabelledWeight {
    label: Option<String>,
    inner: Box<dyn Weight>,
}

impl Weight for LabelledWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.inner.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(tantivy::SeekDangerResult, Box<dyn Scorer>)> {
        self.inner.scorer_danger(reader, target, boost)
    }

    fn explain(
        &self,
        reader: &SegmentReader,
        doc: DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        let mut scorer = self.inner.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        let inner = self.inner.explain(reader, doc)?;
        let Some(label) = &self.label else { return Ok(inner) };
        let label = format!("{LABEL}{label}");
        let mut labelled = tantivy::query::Explanation::new_with_string(label, inner.value());
        labelled.add_detail(inner);
        Ok(labelled)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.inner.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.inner.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.inner.for_each_pruning(threshold, reader, callback)
    }
}
