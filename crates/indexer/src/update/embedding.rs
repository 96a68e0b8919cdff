//! Embedding batches: in a semantic index, passages wait here until a batch is full, are
//! embedded together (which keeps every core busy), then go to the index writer with their
//! vectors. In a lexical index they go straight through.
//!
//! A batch is embedded [`EMBED_BATCH`] passages at a time, and after each of these the
//! progress callback hears how many passages are embedded of those queued so far
//! ([`super::Progress::Embedded`]): a file of thousands of passages shows its progress as it
//! goes instead of sitting at "0/1 files" for minutes.

use kb_schema::{vector, KbSchema, Passage};
use tantivy::IndexWriter;

use super::SemanticModel;

/// Passages embedded at a time in a semantic index: enough to keep every core busy (the
/// embedder packs short ones together and spreads the packs over its threads).
const EMBED_BATCH: usize = 64;

/// Told `(done, queued)`: passages embedded so far in this run, and passages queued so far.
pub(super) type OnEmbedded<'a> = &'a dyn Fn(u64, u64);

/// Passages on their way to the writer: see the module docs.
pub(super) struct Embedding<'m> {
    /// The model of a semantic index; `None` for a lexical one.
    model: Option<&'m SemanticModel>,
    /// Passages waiting to be embedded.
    pending: Vec<Passage>,
    /// Passages embedded in this run.
    done: u64,
    /// Who hears of the progress.
    on_embedded: Option<OnEmbedded<'m>>,
}

impl<'m> Embedding<'m> {
    /// Batches for `model`, or none (a lexical index).
    pub(super) fn new(model: Option<&'m SemanticModel>) -> Self {
        Embedding { model, pending: Vec::new(), done: 0, on_embedded: None }
    }

    /// Reports the progress of embedding to `report` from now on.
    pub(super) fn report_to(&mut self, report: OnEmbedded<'m>) {
        self.on_embedded = Some(report);
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

    /// Embeds and adds the waiting passages, [`EMBED_BATCH`] at a time, reporting after each.
    /// A delete applies to the documents added before it, so whoever deletes passages that may
    /// be waiting flushes first.
    pub(super) fn flush(&mut self, writer: &IndexWriter, schema: &KbSchema) -> tantivy::Result<()> {
        let Some(model) = self.model else { return Ok(()) };
        let queued = self.done + self.pending.len() as u64;
        let pending = std::mem::take(&mut self.pending);
        for batch in pending.chunks(EMBED_BATCH) {
            let texts: Vec<String> = batch.iter().map(vector::embedding_text).collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            let vectors = model.embedder.embed_passages(&texts);
            for (p, v) in batch.iter().zip(vectors) {
                writer.add_document(schema.to_document_with_vector(p, &v))?;
            }
            self.done += batch.len() as u64;
            if let Some(report) = self.on_embedded {
                report(self.done, queued);
            }
        }
        Ok(())
    }
}
