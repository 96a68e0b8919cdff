//! Embedding batches: in a semantic index, passages wait here until a batch is full, are
//! embedded together (which keeps every core busy), then go to the index writer with their
//! vectors. In a lexical index they go straight through.

use kb_schema::{vector, KbSchema, Passage};
use tantivy::IndexWriter;

use super::SemanticModel;

/// Passages embedded at a time in a semantic index: enough to keep every core busy.
const EMBED_BATCH: usize = 64;

/// Passages on their way to the writer: see the module docs.
pub(super) struct Embedding<'m> {
    /// The model of a semantic index; `None` for a lexical one.
    model: Option<&'m SemanticModel>,
    /// Passages waiting to be embedded.
    pending: Vec<Passage>,
}

impl<'m> Embedding<'m> {
    /// Batches for `model`, or none (a lexical index).
    pub(super) fn new(model: Option<&'m SemanticModel>) -> Self {
        Embedding { model, pending: Vec::new() }
    }

    /// Adds passages to the index: at once in a lexical index, a batch at a time in a
    /// semantic one.
    pub(super) fn add(
        &mut self,
        writer: &IndexWriter,
        schema: &KbSchema,
        passages: Vec<Passage>,
    ) -> tantivy::Result<()> {
        if self.model.is_none() {
            for p in &passages {
                writer.add_document(schema.to_document(p))?;
            }
            return Ok(());
        }
        self.pending.extend(passages);
        if self.pending.len() >= EMBED_BATCH {
            self.flush(writer, schema)?;
        }
        Ok(())
    }

    /// Embeds and adds the waiting passages. A delete applies to the documents added before it,
    /// so whoever deletes passages that may be waiting flushes first.
    pub(super) fn flush(&mut self, writer: &IndexWriter, schema: &KbSchema) -> tantivy::Result<()> {
        let Some(model) = self.model else { return Ok(()) };
        if self.pending.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = self.pending.iter().map(vector::embedding_text).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = model.embedder.embed_passages(&texts);
        for (p, v) in self.pending.drain(..).zip(vectors) {
            writer.add_document(schema.to_document_with_vector(&p, &v))?;
        }
        Ok(())
    }
}
