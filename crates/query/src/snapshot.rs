//! [`Snapshot`]: the index as one search sees it, shared by every stage.

use std::path::PathBuf;

use kb_schema::{KbSchema, Passage};
use tantivy::{DocAddress, TantivyDocument};

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
