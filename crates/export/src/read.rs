//! Reading the committed index passage by passage: segment by segment, in stored order, one
//! document in memory at a time (plus the doc store's current block).

use kb_schema::{KbSchema, Kind, Passage};
use tantivy::collector::TopDocs;
use tantivy::columnar::BytesColumn;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, Searcher, TantivyDocument, Term};

use crate::ExportError;

/// One passage as exported: the stored passage with its context filled in, and its embedding
/// on a semantic index.
pub(crate) struct Exported<'a> {
    /// The passage; `context` is its question's body for an answer, else `None`.
    pub passage: &'a Passage,
    /// `None`: a lexical export. `Some(None)`: a semantic export, this passage without a vector.
    pub vector: Option<Option<&'a [f32]>>,
}

/// The dimension of the index's embeddings: the length of the first one found (`None` when no
/// passage has one).
pub(crate) fn vector_dimension(
    searcher: &Searcher,
    schema: &KbSchema,
) -> Result<Option<usize>, ExportError> {
    let mut buf = Vec::new();
    for segment in searcher.segment_readers() {
        let Some(column) = vectors(segment, schema)? else { continue };
        for doc in segment.doc_ids_alive() {
            if let Some(v) = vector_of(&column, doc, &mut buf)? {
                return Ok(Some(v.len()));
            }
        }
    }
    Ok(None)
}

/// Calls `f` on every live passage of the searcher's snapshot, in segment and stored order, and
/// returns how many there were. `dimension` is the embeddings' (a semantic export), or `None`
/// (vectors are not read).
pub(crate) fn for_each_passage(
    searcher: &Searcher,
    schema: &KbSchema,
    dimension: Option<usize>,
    mut f: impl FnMut(&Exported<'_>) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let mut questions = Questions::default();
    let mut buf = Vec::new();
    let mut count = 0u64;
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(1).map_err(ExportError::io("the doc store"))?;
        let column = match dimension {
            Some(_) => vectors(segment, schema)?,
            None => None,
        };
        let alive = segment.alive_bitset();
        for (doc, stored) in segment.doc_ids_alive().zip(store.iter::<TantivyDocument>(alive)) {
            let stored = stored?;
            let mut passage = schema.from_document(&stored).ok_or_else(|| {
                ExportError::Damaged(format!(
                    "a stored passage lacks a field (segment {}, document {doc})",
                    segment.segment_id().short_uuid_string()
                ))
            })?;
            match passage.kind {
                Kind::Question => questions.remember(&passage),
                Kind::Answer => {
                    passage.context = questions.context_of(searcher, schema, &passage.doc_id)?;
                }
                Kind::Article | Kind::Code => {}
            }
            let vector = match (&column, dimension) {
                (Some(column), Some(dim)) => {
                    let v = vector_of(column, doc, &mut buf)?;
                    if let Some(v) = &v {
                        if v.len() != dim {
                            return Err(ExportError::Damaged(format!(
                                "passage {} has a vector of {} dimensions, others {dim}",
                                passage.id,
                                v.len()
                            )));
                        }
                    }
                    Some(v)
                }
                (None, Some(_)) => Some(None),
                _ => None,
            };
            f(&Exported { passage: &passage, vector: vector.as_ref().map(|v| v.as_deref()) })?;
            count += 1;
        }
    }
    Ok(count)
}

/// The `vector` column of a segment, if it has one.
fn vectors(
    segment: &tantivy::SegmentReader,
    schema: &KbSchema,
) -> Result<Option<BytesColumn>, ExportError> {
    let name = schema.schema.get_field_name(schema.vector);
    Ok(segment.fast_fields().bytes(name)?)
}

/// A document's embedding; `None` when it has none (or an empty one).
fn vector_of(
    column: &BytesColumn,
    doc: DocId,
    buf: &mut Vec<u8>,
) -> Result<Option<Vec<f32>>, ExportError> {
    let Some(ord) = column.ords().first(doc) else { return Ok(None) };
    buf.clear();
    if !column.ord_to_bytes(ord, buf).map_err(ExportError::io("the vector column"))? {
        return Ok(None);
    }
    match kb_schema::vector::decode(buf) {
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => Ok(Some(v)),
        None => Err(ExportError::Damaged(format!(
            "a stored vector has {} bytes, not a whole number of floats",
            buf.len()
        ))),
    }
}

/// An answer's context: the body of its thread's question. The index does not store contexts,
/// so it is read back from the question passage (its text is the thread's title line, then the
/// body). The last thread's is kept: a thread's passages are stored together, its question
/// first, so most answers need no lookup.
#[derive(Default)]
struct Questions {
    last: Option<(String, Option<String>)>,
}

impl Questions {
    fn remember(&mut self, question: &Passage) {
        self.last = Some((question.doc_id.clone(), Some(question_body(question))));
    }

    fn context_of(
        &mut self,
        searcher: &Searcher,
        schema: &KbSchema,
        doc_id: &str,
    ) -> Result<Option<String>, ExportError> {
        if let Some((last, context)) = &self.last {
            if last == doc_id {
                return Ok(context.clone());
            }
        }
        let context = find_question(searcher, schema, doc_id)?.map(|q| question_body(&q));
        self.last = Some((doc_id.to_owned(), context.clone()));
        Ok(context)
    }
}

/// The question passage of a thread, looked up by its document id.
fn find_question(
    searcher: &Searcher,
    schema: &KbSchema,
    doc_id: &str,
) -> Result<Option<Passage>, ExportError> {
    let raw = |field: Field, value: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
    };
    let query = BooleanQuery::new(vec![
        (Occur::Must, raw(schema.kind, Kind::Question.as_str())),
        (Occur::Must, raw(schema.doc_id, doc_id)),
    ]);
    let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
    let Some(&(_, address)) = top.first() else { return Ok(None) };
    let doc: TantivyDocument = searcher.doc(address)?;
    Ok(schema.from_document(&doc))
}

/// A question passage's body: its text without the title line the indexer puts first (a
/// question without a separate title is all body).
fn question_body(question: &Passage) -> String {
    match question.text.split_once('\n') {
        Some((title, body)) if title == question.doc_title => body.to_owned(),
        _ => question.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use kb_schema::SourceRef;

    use super::*;

    fn question(title: &str, text: &str) -> Passage {
        Passage {
            id: "t#0".into(),
            doc_id: "t".into(),
            doc_title: title.into(),
            kind: Kind::Question,
            heading: None,
            position: 0,
            text: text.into(),
            context: None,
            source: SourceRef { path: "t.json".into(), line: 1 },
        }
    }

    #[test]
    fn a_question_body_is_its_text_after_the_title_line() {
        let q = question("Kettle scale?", "Kettle scale?\nMy kettle has white scale inside.");
        assert_eq!(question_body(&q), "My kettle has white scale inside.");
        // No title of its own: the question is the title and the whole text.
        let q = question("Is vinegar safe?", "Is vinegar safe?");
        assert_eq!(question_body(&q), "Is vinegar safe?");
    }
}
