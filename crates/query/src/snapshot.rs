//! [`Snapshot`]: the index as one search sees it, shared by every stage.

use std::path::PathBuf;

use kb_schema::{KbSchema, Kind, Passage};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, TantivyDocument};

use crate::bounds::TermBounds;
use crate::candidate::DocIds;
use crate::error::QueryError;

/// An index at one commit: its directory, schema, reader and document numbering.
pub(crate) struct Snapshot {
    /// The index directory (for error messages).
    pub dir: PathBuf,
    /// The schema's fields.
    pub schema: KbSchema,
    /// tantivy's searcher, on the commit opened.
    pub searcher: tantivy::Searcher,
    /// Which document each passage belongs to.
    pub doc_ids: DocIds,
    /// The kind of each passage.
    pub kinds: KindColumns,
    /// The largest score each term gives in each segment, as searches find them.
    pub bounds: TermBounds,
}

impl Snapshot {
    /// The error for a failure to read this index.
    pub(crate) fn error(&self, err: tantivy::TantivyError) -> QueryError {
        QueryError::read(&self.dir, err)
    }

    /// Reads a stored passage.
    pub(crate) fn load(&self, address: DocAddress) -> Result<Passage, QueryError> {
        let doc: TantivyDocument = self.searcher.doc(address).map_err(|e| self.error(e))?;
        self.schema.from_document(&doc).ok_or_else(|| QueryError::bad_document(&self.dir))
    }
}

/// The `kind` fast field of every segment, opened once for all the searches on a snapshot
/// (the code weight, the Q&A lift's questions and retrieval by meaning ask it for their
/// candidates).
#[derive(Default)]
pub(crate) struct KindColumns {
    /// Per segment, when it has the field.
    segments: Vec<Option<SegmentKinds>>,
}

/// A segment's `kind` column: its term ordinals, and the kind each ordinal names (`None` for a
/// value that is no kind).
type SegmentKinds = (Column<u64>, Vec<Option<Kind>>);

impl KindColumns {
    /// Opens the `kind` column (`field`) of every segment of `searcher`.
    pub(crate) fn open(
        searcher: &tantivy::Searcher,
        field: tantivy::schema::Field,
    ) -> tantivy::Result<KindColumns> {
        let name = searcher.schema().get_field_name(field);
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let segment = match reader.fast_fields().str(name)? {
                Some(column) => {
                    let mut by_ord = Vec::new();
                    let mut stream = column.dictionary().stream()?;
                    while stream.advance() {
                        by_ord.push(std::str::from_utf8(stream.key()).ok().and_then(Kind::parse));
                    }
                    Some((column.ords().clone(), by_ord))
                }
                None => None,
            };
            segments.push(segment);
        }
        Ok(KindColumns { segments })
    }

    /// The kind of the passage `doc` of segment `segment`, if it has a readable one.
    pub(crate) fn of_doc(&self, segment: u32, doc: DocId) -> Option<Kind> {
        let (ords, by_ord) = self.segments.get(segment as usize)?.as_ref()?;
        by_ord.get(ords.first(doc)? as usize).copied().flatten()
    }

    /// The kind of the passage at `address`, if it has a readable one.
    pub(crate) fn of(&self, address: DocAddress) -> Option<Kind> {
        self.of_doc(address.segment_ord, address.doc_id)
    }

    /// Whether some passage of the snapshot is of kind `kind` (deleted ones included).
    pub(crate) fn any(&self, kind: Kind) -> bool {
        self.segments.iter().flatten().any(|(_, by_ord)| by_ord.contains(&Some(kind)))
    }
}
