//! The writer run: tantivy's index writer, the deletes and adds of one run in the right order,
//! and the commit that stores the new manifest with the passages.
//!
//! Documents are deleted by id (`doc_id` term). A delete applies to the documents added before
//! it, so a run must never delete an id after adding it again: the [`Writer`] keeps the ids of
//! the last commit that it has not deleted yet ("live"), deletes a live id once, just before
//! the first add of that id (whichever file or program adds it), and leaves alone ids that are
//! no longer live. Whatever order files are read in, each id's old passages go and its new ones
//! stay.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use kb_schema::{KbSchema, Manifest, OpenError};
use tantivy::collector::Count;
use tantivy::directory::error::LockError;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{IndexRecordOption, Term};
use tantivy::{Index, IndexWriter, ReloadPolicy, TantivyError};

use super::embedding::{Embedding, OnEmbedded};
use super::{IndexError, IndexOptions, SemanticModel};
use crate::formats::ParsedDocument;

/// One run's writer: see the module docs.
pub(super) struct Writer<'a> {
    index: &'a Index,
    writer: IndexWriter,
    schema: KbSchema,
    /// The index folder, for messages.
    place: PathBuf,
    embedding: Embedding<'a>,
    /// Ids of the last commit's documents this run has not deleted yet.
    live: HashSet<String>,
    /// Whether anything was added or deleted.
    dirty: bool,
}

impl<'a> Writer<'a> {
    /// Takes the index's writer lock (`Busy` if another process holds it); passages are
    /// embedded with `model` when there is one.
    pub(super) fn open(
        index: &'a Index,
        place: &Path,
        opts: &IndexOptions,
        model: Option<&'a SemanticModel>,
    ) -> Result<Self, IndexError> {
        let schema = KbSchema::from_schema(&index.schema()).ok_or_else(|| OpenError::Damaged {
            path: place.to_path_buf(),
            detail: "fields are missing from the schema".to_owned(),
        })?;
        let threads = opts.threads.max(1);
        let per_thread = (opts.memory_budget / threads).max(15 << 20);
        let writer =
            index.writer_with_num_threads(threads, per_thread * threads).map_err(|e| match e {
                TantivyError::LockFailure(LockError::LockBusy, _) => {
                    IndexError::Busy(place.to_path_buf())
                }
                other => IndexError::Write { path: place.to_path_buf(), source: other },
            })?;
        Ok(Writer {
            index,
            writer,
            schema,
            place: place.to_path_buf(),
            embedding: Embedding::new(model),
            live: HashSet::new(),
            dirty: false,
        })
    }

    /// Reports the progress of embedding (passages embedded, passages queued) to `report`.
    pub(super) fn report_embedding_to(&mut self, report: OnEmbedded<'a>) {
        self.embedding.report_to(report);
    }

    /// The error for a failed write.
    pub(super) fn error(&self, source: TantivyError) -> IndexError {
        IndexError::Write { path: self.place.clone(), source }
    }

    /// The manifest of the last commit.
    pub(super) fn manifest(&self) -> Result<Manifest, IndexError> {
        Manifest::read(self.index).map_err(|e| self.error(e))
    }

    /// Records which documents the last commit holds (see the module docs).
    pub(super) fn set_live(&mut self, ids: impl IntoIterator<Item = String>) {
        self.live = ids.into_iter().collect();
    }

    /// Whether anything was added or deleted.
    pub(super) fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Adds a document, replacing the last commit's document of that id if it is still there.
    pub(super) fn add(&mut self, doc: ParsedDocument) -> Result<(), IndexError> {
        self.delete(&doc.doc_id)?;
        self.embedding
            .add(&self.writer, &self.schema, doc.passages)
            .map_err(|e| IndexError::Write { path: self.place.clone(), source: e })?;
        self.dirty = true;
        Ok(())
    }

    /// Deletes the last commit's document `id`, unless this run deleted it already.
    pub(super) fn delete(&mut self, id: &str) -> Result<(), IndexError> {
        if self.live.remove(id) {
            self.writer.delete_term(Term::from_field_text(self.schema.doc_id, id));
            self.dirty = true;
        }
        Ok(())
    }

    /// Deletes documents this run added (a file that failed part-way): the waiting passages
    /// are added first, so that the deletes reach them.
    pub(super) fn delete_added(&mut self, ids: &[String]) -> Result<(), IndexError> {
        self.embedding.flush(&self.writer, &self.schema).map_err(|e| self.error(e))?;
        for id in ids {
            self.live.remove(id);
            self.writer.delete_term(Term::from_field_text(self.schema.doc_id, id));
        }
        self.dirty = true;
        Ok(())
    }

    /// Deletes every document but those with the ids in `keep` (a rebuild keeps pushed
    /// documents); they stay live, the others are gone.
    pub(super) fn delete_all_but<'k>(
        &mut self,
        keep: impl IntoIterator<Item = &'k String>,
    ) -> Result<(), IndexError> {
        let keep: Vec<Term> =
            keep.into_iter().map(|id| Term::from_field_text(self.schema.doc_id, id)).collect();
        let result = if keep.is_empty() {
            self.writer.delete_all_documents().map(|_| ())
        } else {
            let others: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, Box::new(TermSetQuery::new(keep))),
            ]));
            self.writer.delete_query(others).map(|_| ())
        };
        result.map_err(|e| self.error(e))?;
        self.dirty = true;
        Ok(())
    }

    /// How many passages the last commit holds of document `id` (0 if it cannot be read).
    pub(super) fn committed_passages(&self, id: &str) -> u64 {
        let count = || -> tantivy::Result<usize> {
            let reader =
                self.index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
            let term = Term::from_field_text(self.schema.doc_id, id);
            reader.searcher().search(&TermQuery::new(term, IndexRecordOption::Basic), &Count)
        };
        count().map_or(0, |n| n as u64)
    }

    /// Commits what was queued with `manifest` as the commit's payload, and waits for merges.
    pub(super) fn commit(mut self, manifest: &Manifest) -> Result<(), IndexError> {
        let place = self.place.clone();
        let err = |source| IndexError::Write { path: place.clone(), source };
        self.embedding.flush(&self.writer, &self.schema).map_err(err)?;
        let mut commit = self.writer.prepare_commit().map_err(err)?;
        commit.set_payload(&manifest.to_payload());
        commit.commit().map_err(err)?;
        self.writer.wait_merging_threads().map_err(err)
    }
}
