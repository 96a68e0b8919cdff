//! Embedding batches: in a semantic index, passages wait here until a batch is full, are
//! embedded together (which keeps every core busy), then go to the index writer with their
//! vectors. In a lexical index they go straight through.
//!
//! A batch is [`EMBED_BATCH`] passages. It is embedded on the embedder's thread pool while the
//! files go on being read, with up to [`IN_FLIGHT`] batches started at once, so that no core
//! waits for the last passage of a batch before starting on the next. Batches are added to the
//! writer in the order they were started, on the calling thread, and after each the progress
//! callback hears how many passages are embedded of those queued so far
//! ([`super::Progress::Embedded`]): a file of thousands of passages shows its progress as it
//! goes instead of sitting at "0/1 files" for minutes.

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver, Sender};

use kb_schema::{vector, KbSchema, Passage};
use tantivy::IndexWriter;

use super::SemanticModel;

/// Passages embedded at a time in a semantic index: enough to keep every core busy (the
/// embedder packs short ones together and spreads the packs over its threads).
const EMBED_BATCH: usize = 64;

/// Batches started and not yet added to the writer, at most: two keep the pool busy across a
/// batch's end; more would only hold more passages in memory.
const IN_FLIGHT: u64 = 2;

/// Told `(done, queued)`: passages embedded so far in this run, and passages queued so far.
pub(super) type OnEmbedded<'a> = &'a dyn Fn(u64, u64);

/// A batch's passages and their vectors (or the panic that stopped the embedder).
type Embedded = (Vec<Passage>, std::thread::Result<Vec<Vec<f32>>>);

/// An embedded batch and its number.
type Numbered = (u64, Embedded);

/// Passages on their way to the writer: see the module docs.
pub(super) struct Embedding<'m> {
    /// The model of a semantic index; `None` for a lexical one.
    model: Option<&'m SemanticModel>,
    /// Passages waiting for a batch to fill.
    pending: Vec<Passage>,
    /// Batches started so far; the next gets this number.
    started: u64,
    /// Batches added to the writer so far (they are added in the order they were started).
    added: u64,
    /// Batches embedded and waiting for the ones before them, by number.
    finished: BTreeMap<u64, Embedded>,
    /// Where the pool's threads send embedded batches, by number, and where they arrive.
    results: (Sender<Numbered>, Receiver<Numbered>),
    /// Passages embedded and added in this run.
    done: u64,
    /// Passages in the started batches (the waiting ones are queued too).
    queued: u64,
    /// Who hears of the progress.
    on_embedded: Option<OnEmbedded<'m>>,
}

impl<'m> Embedding<'m> {
    /// Batches for `model`, or none (a lexical index).
    pub(super) fn new(model: Option<&'m SemanticModel>) -> Self {
        Embedding {
            model,
            pending: Vec::new(),
            started: 0,
            added: 0,
            finished: BTreeMap::new(),
            results: channel(),
            done: 0,
            queued: 0,
            on_embedded: None,
        }
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
            self.start_pending();
            self.add_finished(writer, schema, IN_FLIGHT)?;
        }
        Ok(())
    }

    /// Embeds and adds every waiting passage, and returns once they are all added. A delete
    /// applies to the documents added before it, so whoever deletes passages that may be
    /// waiting flushes first.
    pub(super) fn flush(&mut self, writer: &IndexWriter, schema: &KbSchema) -> tantivy::Result<()> {
        self.start_pending();
        self.add_finished(writer, schema, 0)
    }

    /// Starts the waiting passages, [`EMBED_BATCH`] a batch.
    fn start_pending(&mut self) {
        let Some(model) = self.model else { return };
        let mut pending = std::mem::take(&mut self.pending).into_iter().peekable();
        while pending.peek().is_some() {
            let batch: Vec<Passage> = pending.by_ref().take(EMBED_BATCH).collect();
            let texts = batch.iter().map(vector::embedding_text).collect();
            let (number, results) = (self.started, self.results.0.clone());
            self.started += 1;
            self.queued += batch.len() as u64;
            model.embedder.spawn_passages(texts, move |vectors| {
                // The receiver is gone only if the run stopped on an error: nothing to add to.
                let _ = results.send((number, (batch, vectors)));
            });
        }
    }

    /// Adds the embedded batches, in order, until at most `in_flight` started batches are left
    /// (waiting for them as needed); reports after each.
    ///
    /// # Panics
    /// Again with the embedder's panic, if it panicked.
    fn add_finished(
        &mut self,
        writer: &IndexWriter,
        schema: &KbSchema,
        in_flight: u64,
    ) -> tantivy::Result<()> {
        while self.started - self.added > 0 {
            while let Ok((number, batch)) = self.results.1.try_recv() {
                self.finished.insert(number, batch);
            }
            if let Some((passages, vectors)) = self.finished.remove(&self.added) {
                let vectors = vectors.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                for (p, v) in passages.iter().zip(vectors) {
                    writer.add_document(schema.to_document_with_vector(p, &v))?;
                }
                self.added += 1;
                self.done += passages.len() as u64;
                if let Some(report) = self.on_embedded {
                    report(self.done, self.queued + self.pending.len() as u64);
                }
            } else if self.started - self.added > in_flight {
                // Every started batch holds a sender: the channel cannot close while one runs.
                let (number, batch) = self.results.1.recv().expect("a started batch sends");
                self.finished.insert(number, batch);
            } else {
                break;
            }
        }
        Ok(())
    }
}
