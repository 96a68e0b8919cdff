//! Bringing an index up to date with its source files.
//!
//! [`update_index`] walks the roots, compares every file with the [`Manifest`] of the last
//! commit (size and modification time first, then the blake3 hash of the bytes), and applies only
//! the difference: new files are added, changed files replace their passages, vanished files are
//! removed. The new manifest goes into the same commit as the passages (tantivy's commit
//! payload), so the record of what is indexed can never disagree with the index, whatever
//! happens mid-way: a run that is killed leaves the previous commit intact and the next run
//! redoes the work.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Instant, UNIX_EPOCH};

use std::sync::Arc;

use kb_embed::Embedder;
use kb_schema::{vector, FileEntry, KbSchema, Manifest, OpenError, Passage, SkipRecord};
use serde::Serialize;
use tantivy::directory::error::LockError;
use tantivy::schema::Term;
use tantivy::{IndexWriter, TantivyError};

use crate::formats::{
    check_stream, parse_source, Checked, Format, JsonLines, LineRecord, ParsedDocument, ParsedFile,
    SourceError, SourceInfo,
};
use crate::walk::{walk, SourceFile};

/// How [`update_index`] runs.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Start from an empty index instead of updating (default `false`).
    pub rebuild: bool,
    /// Memory the index writer may buffer before flushing a segment, in bytes, shared by its
    /// threads (default 128 MiB; at least 15 MiB a thread).
    pub memory_budget: usize,
    /// Indexing threads (default: 2, or 1 on a single-core machine).
    pub threads: usize,
    /// Semantic ranking: embed every passage with this model and store its vector (default
    /// `None`: a lexical index). An index whose passages were embedded with another model, or
    /// not at all, is rebuilt from scratch, and so is a semantic index updated without a model.
    pub semantic: Option<SemanticModel>,
}

/// The embedding model of a semantic index: see [`IndexOptions::semantic`].
#[derive(Clone)]
pub struct SemanticModel {
    /// Its name, recorded in the index's [`Manifest::semantic`].
    pub name: String,
    /// The model.
    pub embedder: Arc<Embedder>,
}

impl SemanticModel {
    /// What the index's manifest records of this model.
    pub fn record(&self) -> kb_schema::ModelRecord {
        let info = self.embedder.info();
        kb_schema::ModelRecord {
            dim: info.dim,
            checksum: info.checksum.clone(),
            dir: Some(info.dir.to_string_lossy().into_owned()),
        }
    }
}

impl std::fmt::Debug for SemanticModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemanticModel").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Default for IndexOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        IndexOptions {
            rebuild: false,
            memory_budget: 128 << 20,
            threads: cores.clamp(1, 2),
            semantic: None,
        }
    }
}

/// Progress of an [`update_index`] run, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// The files were listed: this many will be looked at.
    Listed {
        /// Number of files found under the roots.
        files: u64,
    },
    /// One file was looked at (read and indexed, or found unchanged, or skipped).
    File {
        /// Its path.
        path: &'a str,
        /// Its size in bytes.
        bytes: u64,
    },
    /// Everything is queued; the commit (flushing and merging segments) is under way.
    Committing,
}

/// What an [`update_index`] run did. Serializes to the `kb index --json` shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IndexReport {
    /// Files indexed for the first time.
    pub added: u64,
    /// Files whose content changed and were indexed again.
    pub changed: u64,
    /// Files that vanished from under the indexed paths; their passages were removed.
    pub removed: u64,
    /// Files found as they were at the last run (a stat, or a hash when only the time changed).
    pub unchanged: u64,
    /// Whole files and single records that could not be indexed, with their reasons.
    pub skipped: Vec<SkipRecord>,
    /// Documents in the index after the run.
    pub documents: u64,
    /// Passages in the index after the run.
    pub passages: u64,
    /// Wall time of the run, milliseconds.
    pub took_ms: f64,
    /// Bytes of source read and parsed in this run.
    pub bytes_read: u64,
    /// Whether anything was written (`false` when the index was already up to date).
    pub committed: bool,
}

/// Why [`update_index`] failed as a whole. Problems with single files are not errors: they are
/// listed in [`IndexReport::skipped`].
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Another process holds the index writer.
    #[error("the index at {} is being updated by another process; try again when it is done", .0.display())]
    Busy(PathBuf),
    /// The index could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// A root to index does not exist or cannot be read.
    #[error("{}: {source}", path.display())]
    Root {
        /// The root as given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// tantivy failed while writing.
    #[error("writing the index at {} failed: {source}", path.display())]
    Write {
        /// The index directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: TantivyError,
    },
}

/// Brings the index in `index_dir` up to date with the files under `roots` (folders or files),
/// creating it if needed.
///
/// Only the difference with the last commit's [`Manifest`] is applied (unchanged files cost a
/// stat), and the new manifest is committed together with the passages, so a run killed at any
/// point leaves the previous commit searchable and the next run redoes the work.
///
/// Files that vanished from under one of `roots` are removed from the index; files indexed from
/// other roots are left alone. An index written by another schema version, or a damaged one when
/// `rebuild` is set, is replaced by a fresh one.
pub fn update_index(
    index_dir: &Path,
    roots: &[PathBuf],
    opts: &IndexOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<IndexReport, IndexError> {
    let started = Instant::now();
    let roots = roots
        .iter()
        .map(|r| r.canonicalize().map_err(|source| IndexError::Root { path: r.clone(), source }))
        .collect::<Result<Vec<_>, _>>()?;

    let (index, schema) = match kb_schema::open_or_create_index(index_dir) {
        Ok(opened) => opened,
        Err(OpenError::OtherVersion { .. }) => recreate(index_dir)?,
        Err(OpenError::Damaged { .. }) if opts.rebuild => recreate(index_dir)?,
        Err(e) => return Err(e.into()),
    };
    let write_err = |source| IndexError::Write { path: index_dir.to_path_buf(), source };
    let per_thread = (opts.memory_budget / opts.threads.max(1)).max(15 << 20);
    let mut writer: IndexWriter = index
        .writer_with_num_threads(opts.threads.max(1), per_thread * opts.threads.max(1))
        .map_err(|e| match e {
            TantivyError::LockFailure(LockError::LockBusy, _) => {
                IndexError::Busy(index_dir.to_path_buf())
            }
            other => write_err(other),
        })?;

    let semantic = opts.semantic.as_ref().map(|m| m.name.clone());
    let record = opts.semantic.as_ref().map(SemanticModel::record);
    let mut old = Manifest::read(&index).map_err(write_err)?;
    // Every passage of a semantic index has a vector of the same model: a change of model (or
    // to or from none) re-embeds everything. (An index written before models were recorded
    // by checksum is taken at its model's name.)
    let same_model = old.semantic == semantic
        && match (&old.semantic_model, &record) {
            (Some(a), Some(b)) => a.dim == b.dim && a.checksum == b.checksum,
            _ => true,
        };
    let rebuild = opts.rebuild || (!same_model && old.documents() > 0);
    if rebuild {
        old = Manifest::new();
    }
    old.semantic = semantic.clone();
    old.semantic_model = record;
    let mut run = Run::new(&schema, &writer, old.clone(), opts.semantic.as_ref());
    if rebuild {
        writer.delete_all_documents().map_err(write_err)?;
        run.dirty = true;
    }

    let walks: Vec<_> = roots.iter().map(|r| (r, walk(r))).collect();
    progress(Progress::Listed { files: walks.iter().map(|(_, w)| w.files.len() as u64).sum() });
    for (root, walked) in &walks {
        let root_key = path_key(root);
        let mut seen: Vec<String> = Vec::new();
        for skip in &walked.skipped {
            seen.push(skip.path.clone());
            run.record_walk_skip(&root_key, skip.clone());
        }
        for file in &walked.files {
            let key = path_key(&file.path);
            seen.push(key.clone());
            let bytes = run.visit(&root_key, &key, file).map_err(write_err)?;
            progress(Progress::File { path: &key, bytes });
        }
        run.remove_vanished(root, &seen);
    }
    run.flush().map_err(write_err)?;

    let mut report = run.report;
    let manifest = run.manifest;
    if run.dirty || manifest != old {
        progress(Progress::Committing);
        let mut commit = writer.prepare_commit().map_err(write_err)?;
        commit.set_payload(&manifest.to_payload());
        commit.commit().map_err(write_err)?;
        writer.wait_merging_threads().map_err(write_err)?;
        report.committed = true;
    }
    report.documents = manifest.documents();
    report.passages = manifest.passages();
    report.skipped = roots
        .iter()
        .flat_map(|root| {
            manifest
                .files
                .iter()
                .filter(move |(path, _)| under(Path::new(path), root))
                .flat_map(|(_, entry)| entry.skipped.iter().cloned())
        })
        .collect();
    report.took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// Bytes read from a file at a time.
const READ_BYTES: usize = 256 * 1024;

/// A file as read for indexing.
enum Content {
    /// All its bytes.
    Whole(Vec<u8>),
    /// Checked piece by piece (JSON Lines), still open to be read again.
    Checked(File, Checked),
}

/// What is to be indexed of a file that passed its checks.
enum Parsed {
    /// Parsed whole.
    Whole(ParsedFile),
    /// JSON Lines, to be read record by record.
    Lines(File),
}

/// Reads a whole file; its content and blake3 hash.
fn read_whole(path: &Path) -> std::io::Result<(Content, String)> {
    let bytes = std::fs::read(path)?;
    let hash = blake3::hash(&bytes).to_hex().to_string();
    Ok((Content::Whole(bytes), hash))
}

/// Reads a file piece by piece, hashing it and making the checks every format shares; the file
/// stays open for the records to be read.
fn read_checked(path: &Path) -> std::io::Result<(Content, String)> {
    let mut file = File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    let checked = check_stream(&mut file, &mut |bytes| {
        hasher.update(bytes);
    })?;
    Ok((Content::Checked(file, checked), hasher.finalize().to_hex().to_string()))
}

/// The skip record of a problem with one record (or the whole) of file `key`.
fn skip_record(key: &str, err: SourceError) -> SkipRecord {
    SkipRecord { path: key.to_owned(), line: err.line, reason: err.reason }
}

/// Removes whatever is in `dir` that belongs to an index and creates a fresh one.
fn recreate(dir: &Path) -> Result<(tantivy::Index, KbSchema), IndexError> {
    let root_err = |source| IndexError::Root { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(root_err)? {
        let path = entry.map_err(root_err)?.path();
        if path.is_file() {
            std::fs::remove_file(&path).map_err(root_err)?;
        }
    }
    Ok(kb_schema::create_index(dir)?)
}

/// The manifest key of a path: the path as a string.
fn path_key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Whether `path` is `root` or lies under it (component-wise).
fn under(path: &Path, root: &Path) -> bool {
    path.starts_with(root)
}

/// The state of one [`update_index`] run.
struct Run<'a> {
    schema: &'a KbSchema,
    writer: &'a IndexWriter,
    manifest: Manifest,
    /// Which file each document id belongs to, to refuse duplicates across files (the files'
    /// paths shared, one allocation a file).
    owners: HashMap<String, Rc<str>>,
    /// The path of the file being added, as `owners` holds it.
    owner: Option<Rc<str>>,
    report: IndexReport,
    dirty: bool,
    /// Files listed by the walk that were gone when they were read.
    vanished: HashSet<String>,
    /// The model passages are embedded with, in a semantic index.
    semantic: Option<&'a SemanticModel>,
    /// Passages waiting to be embedded, a batch at a time, then added ([`Run::flush`]).
    pending: Vec<Passage>,
}

/// Passages embedded at a time in a semantic index: enough to keep every core busy.
const EMBED_BATCH: usize = 64;

impl<'a> Run<'a> {
    fn new(
        schema: &'a KbSchema,
        writer: &'a IndexWriter,
        manifest: Manifest,
        semantic: Option<&'a SemanticModel>,
    ) -> Self {
        let owners = manifest
            .files
            .iter()
            .flat_map(|(path, e)| {
                let path: Rc<str> = Rc::from(path.as_str());
                e.doc_ids.iter().map(move |d| (d.clone(), Rc::clone(&path)))
            })
            .collect();
        Run {
            schema,
            writer,
            manifest,
            owners,
            owner: None,
            report: IndexReport::default(),
            dirty: false,
            vanished: HashSet::new(),
            semantic,
            pending: Vec::new(),
        }
    }

    /// Embeds and adds the pending passages (see [`Run::pending`]).
    fn flush(&mut self) -> tantivy::Result<()> {
        let Some(model) = self.semantic else { return Ok(()) };
        if self.pending.is_empty() {
            return Ok(());
        }
        let texts: Vec<String> = self.pending.iter().map(vector::embedding_text).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = model.embedder.embed_passages(&texts);
        for (p, v) in self.pending.drain(..).zip(vectors) {
            self.writer.add_document(self.schema.to_document_with_vector(&p, &v))?;
        }
        Ok(())
    }

    /// Deletes the passages of file `key`, those added in this run included (a delete applies
    /// to the documents added before it, so pending ones are added first).
    fn delete_file(&mut self, key: &str) -> tantivy::Result<()> {
        self.flush()?;
        self.writer.delete_term(Term::from_field_text(self.schema.source_path, key));
        self.dirty = true;
        Ok(())
    }

    fn record_walk_skip(&mut self, root: &str, skip: SkipRecord) {
        let entry =
            FileEntry { root: root.to_owned(), skipped: vec![skip.clone()], ..Default::default() };
        match self.manifest.files.get(&skip.path) {
            // A file that was indexed before and now cannot be walked keeps its passages.
            Some(old) if old.passages > 0 => {
                let mut kept = old.clone();
                kept.skipped = vec![skip.clone()];
                self.manifest.files.insert(skip.path, kept);
            }
            _ => {
                self.manifest.files.insert(skip.path, entry);
            }
        }
    }

    /// Looks at one file; reads and indexes it if it is new or changed. Returns the bytes read.
    ///
    /// A JSON Lines file is not held whole: a first pass hashes it and makes the checks every
    /// format shares, a second one indexes its records as they are parsed, so memory stays
    /// bounded whatever its size and parsing overlaps with the writer's indexing threads.
    fn visit(&mut self, root: &str, key: &str, file: &SourceFile) -> tantivy::Result<u64> {
        let meta = match std::fs::metadata(&file.path) {
            Ok(m) => m,
            Err(e) => {
                self.fail_read(root, key, &e);
                return Ok(0);
            }
        };
        let size = meta.len();
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        let old = self.manifest.files.get(key).cloned();
        if let Some(old) = &old {
            if old.size == size && old.mtime_ns == mtime_ns && !old.hash.is_empty() {
                self.report.unchanged += 1;
                return Ok(0);
            }
        }
        let read = if file.format == Format::JsonLines {
            read_checked(&file.path)
        } else {
            read_whole(&file.path)
        };
        let (content, hash) = match read {
            Ok(read) => read,
            Err(e) => {
                self.fail_read(root, key, &e);
                return Ok(0);
            }
        };
        if let Some(old) = &old {
            if old.hash == hash {
                // Touched but not changed: remember the new time so the next run only stats it.
                let entry = self.manifest.files.get_mut(key).expect("entry exists");
                entry.mtime_ns = mtime_ns;
                entry.size = size;
                self.report.unchanged += 1;
                return Ok(0);
            }
        }
        let bytes_read = match &content {
            Content::Whole(bytes) => bytes.len() as u64,
            Content::Checked(_, checked) => checked.bytes,
        };
        self.report.bytes_read += bytes_read;
        let info = SourceInfo { path: key, doc_id: &file.doc_id, format: file.format };
        let mut entry =
            FileEntry { root: root.to_owned(), hash, size, mtime_ns, ..Default::default() };
        let parsed = match content {
            Content::Whole(bytes) => parse_source(&bytes, info).map(Parsed::Whole),
            Content::Checked(file, checked) => checked.verdict.map(|()| Parsed::Lines(file)),
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(err) => {
                let skip = SkipRecord { path: key.to_owned(), line: err.line, reason: err.reason };
                match old {
                    // Never lose data: a file that was indexed and is now unreadable keeps its
                    // previous passages until it parses again (its old hash is kept, so the
                    // next run tries again).
                    Some(mut kept) if kept.passages > 0 => {
                        kept.skipped = vec![skip];
                        self.manifest.files.insert(key.to_owned(), kept);
                    }
                    _ => {
                        entry.skipped = vec![skip];
                        entry.hash.clear();
                        self.manifest.files.insert(key.to_owned(), entry);
                    }
                }
                return Ok(bytes_read);
            }
        };
        if old.as_ref().is_some_and(|o| !o.doc_ids.is_empty()) {
            self.delete_file(key)?;
        }
        if let Some(old) = &old {
            for d in &old.doc_ids {
                self.owners.remove(d);
            }
        }
        match &old {
            Some(o) if !o.hash.is_empty() || o.passages > 0 => self.report.changed += 1,
            _ => self.report.added += 1,
        }
        // Records skipped for their id are listed after those skipped while parsing.
        let mut duplicates = Vec::new();
        match parsed {
            Parsed::Whole(parsed) => {
                entry.skipped = parsed.skipped.into_iter().map(|e| skip_record(key, e)).collect();
                for doc in parsed.documents {
                    self.add(key, doc, &mut entry, &mut duplicates)?;
                }
            }
            Parsed::Lines(mut file) => match file.seek(SeekFrom::Start(0)) {
                Ok(_) => {
                    let records = JsonLines::new(BufReader::with_capacity(READ_BYTES, file), info);
                    self.add_records(key, records, &mut entry, &mut duplicates)?;
                }
                Err(e) => {
                    let reason = format!("cannot read: {e}");
                    self.abandon(key, &mut entry, SourceError { line: None, reason })?;
                }
            },
        }
        entry.skipped.extend(duplicates);
        self.manifest.files.insert(key.to_owned(), entry);
        Ok(bytes_read)
    }

    /// Adds the records of a JSON Lines file as they are read. An `Err` record (the file changed
    /// or failed since it was checked) abandons the file.
    fn add_records(
        &mut self,
        key: &str,
        records: impl Iterator<Item = Result<LineRecord, SourceError>>,
        entry: &mut FileEntry,
        duplicates: &mut Vec<SkipRecord>,
    ) -> tantivy::Result<()> {
        for record in records {
            match record {
                Ok(LineRecord::Document(doc)) => self.add(key, doc, entry, duplicates)?,
                Ok(LineRecord::Skipped(err)) => entry.skipped.push(skip_record(key, err)),
                Err(err) => {
                    duplicates.clear();
                    self.abandon(key, entry, err)?;
                    break;
                }
            }
        }
        Ok(())
    }

    /// Gives up a file part of which was added: drops its passages from the index (a delete
    /// applies to the documents added before it) and records why, without a hash, so that the
    /// next run reads it again.
    fn abandon(
        &mut self,
        key: &str,
        entry: &mut FileEntry,
        err: SourceError,
    ) -> tantivy::Result<()> {
        self.delete_file(key)?;
        for d in entry.doc_ids.drain(..) {
            self.owners.remove(&d);
        }
        entry.passages = 0;
        entry.hash.clear();
        entry.skipped = vec![skip_record(key, err)];
        Ok(())
    }

    /// Adds the passages of one document of file `key`, unless its id is taken (then it is
    /// listed in `duplicates`).
    fn add(
        &mut self,
        key: &str,
        doc: ParsedDocument,
        entry: &mut FileEntry,
        duplicates: &mut Vec<SkipRecord>,
    ) -> tantivy::Result<()> {
        if let Some(owner) = self.owners.get(&doc.doc_id) {
            let line = doc.passages.first().map(|p| p.source.line);
            let reason = if &**owner == key {
                format!("duplicate document id {:?} in this file", doc.doc_id)
            } else {
                format!("document id {:?} is already indexed from {owner}", doc.doc_id)
            };
            duplicates.push(SkipRecord { path: key.to_owned(), line, reason });
            return Ok(());
        }
        let owner = match &self.owner {
            Some(owner) if &**owner == key => Rc::clone(owner),
            _ => Rc::clone(self.owner.insert(Rc::from(key))),
        };
        self.owners.insert(doc.doc_id.clone(), owner);
        entry.passages += doc.passages.len() as u64;
        if self.semantic.is_some() {
            self.pending.extend(doc.passages);
            if self.pending.len() >= EMBED_BATCH {
                self.flush()?;
            }
        } else {
            for p in &doc.passages {
                self.writer.add_document(self.schema.to_document(p))?;
            }
        }
        entry.doc_ids.push(doc.doc_id);
        self.dirty = true;
        Ok(())
    }

    /// A file listed by the walk could not be read.
    fn fail_read(&mut self, root: &str, key: &str, err: &std::io::Error) {
        if err.kind() == std::io::ErrorKind::NotFound {
            // Vanished between listing and reading: `remove_vanished` removes it like a file
            // that was never listed.
            self.vanished.insert(key.to_owned());
            return;
        }
        let skip =
            SkipRecord { path: key.to_owned(), line: None, reason: format!("cannot read: {err}") };
        self.record_walk_skip(root, skip);
    }

    /// Removes the files indexed from under `root` that this run did not see.
    fn remove_vanished(&mut self, root: &Path, seen: &[String]) {
        let seen: HashSet<&str> =
            seen.iter().map(String::as_str).filter(|k| !self.vanished.contains(*k)).collect();
        let gone: Vec<String> = self
            .manifest
            .files
            .keys()
            .filter(|k| under(Path::new(k), root) && !seen.contains(k.as_str()))
            .cloned()
            .collect();
        for key in gone {
            if let Some(entry) = self.manifest.files.remove(&key) {
                if !entry.doc_ids.is_empty() {
                    self.writer.delete_term(Term::from_field_text(self.schema.source_path, &key));
                    self.report.removed += 1;
                    self.dirty = true;
                }
                for d in entry.doc_ids {
                    self.owners.remove(&d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(index_dir: &Path, root: &Path, progress: &mut dyn FnMut(Progress<'_>)) -> IndexReport {
        update_index(index_dir, &[root.to_path_buf()], &IndexOptions::default(), progress)
            .expect("update")
    }

    fn skipped(report: &IndexReport) -> Vec<(String, Option<u32>, String)> {
        let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
        report.skipped.iter().map(|s| (name(&s.path), s.line, s.reason.clone())).collect()
    }

    /// JSON Lines files are indexed record by record as they are read: bad lines and ids
    /// taken are reported (parse problems first, then ids, as for any file) and the rest kept.
    #[test]
    fn json_lines_records_bad_lines_and_duplicate_ids() {
        let docs = tempfile::tempdir().unwrap();
        let index_dir = tempfile::tempdir().unwrap();
        std::fs::write(
            docs.path().join("a.jsonl"),
            "{\"_id\": \"x\", \"title\": \"X\", \"text\": \"kettle\"}\n{\"_id\": \"x\", \"text\": \"again\"}\nnot json\n{\"_id\": \"y\", \"text\": \"one\\n\\ntwo\"}\n",
        )
        .unwrap();
        std::fs::write(
            docs.path().join("b.jsonl"),
            "{\"_id\": \"y\", \"text\": \"taken\"}\n{\"_id\": \"z\"}\n{\"_id\": \"w\", \"text\": \"w\"}",
        )
        .unwrap();
        let report = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((report.added, report.documents, report.passages), (2, 3, 4), "{report:?}");
        let a = docs.path().canonicalize().unwrap().join("a.jsonl");
        assert_eq!(
            skipped(&report),
            [
                (
                    "a.jsonl".into(),
                    Some(3),
                    "invalid JSON at line 3, column 2: expected ident".into()
                ),
                ("a.jsonl".into(), Some(2), "duplicate document id \"x\" in this file".into()),
                ("b.jsonl".into(), Some(2), "record \"z\" has no \"text\" or \"title\"".into()),
                (
                    "b.jsonl".into(),
                    Some(1),
                    format!("document id \"y\" is already indexed from {}", a.display())
                ),
            ]
        );
    }

    /// A JSON Lines file that changes replaces its passages; one that turns bad keeps them;
    /// one touched without change is not read again.
    #[test]
    fn json_lines_files_change_turn_bad_and_are_touched() {
        let docs = tempfile::tempdir().unwrap();
        let index_dir = tempfile::tempdir().unwrap();
        let file = docs.path().join("r.jsonl");
        std::fs::write(
            &file,
            "{\"_id\": \"a\", \"text\": \"alpha\"}\n{\"_id\": \"b\", \"text\": \"beta\"}\n",
        )
        .unwrap();
        let first = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((first.added, first.documents), (1, 2));

        std::fs::write(
            &file,
            b"{\"_id\": \"a\", \"text\": \"alpha\"}\n{\"_id\": \"b\", \"text\": \"Caf\xe9\"}\n",
        )
        .unwrap();
        let bad = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((bad.changed, bad.documents, bad.passages), (0, 2, 2), "{bad:?}");
        assert_eq!(
            skipped(&bad),
            [("r.jsonl".into(), Some(2), "invalid UTF-8 at line 2, byte 26".into())]
        );

        std::fs::write(&file, "{\"_id\": \"c\", \"text\": \"gamma\"}\n").unwrap();
        let changed = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((changed.changed, changed.documents, changed.passages), (1, 1, 1));
        assert!(changed.skipped.is_empty());

        let again = std::fs::read(&file).unwrap();
        std::fs::write(&file, again).unwrap();
        let touched = index(index_dir.path(), docs.path(), &mut |_| {});
        // Not read again (only its new time is committed).
        assert_eq!((touched.unchanged, touched.changed, touched.bytes_read), (1, 0, 0));
        assert_eq!(touched.documents, 1);
    }

    /// A JSON Lines file that changes between its check and its reading (a line is no longer
    /// UTF-8) is abandoned: what was added of it is deleted, its ids are free again, and it is
    /// reported without a hash so the next run reads it again.
    #[test]
    fn json_lines_files_failing_while_read_are_abandoned() {
        let index_dir = tempfile::tempdir().unwrap();
        let (index, schema) = kb_schema::open_or_create_index(index_dir.path()).unwrap();
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15 << 20).unwrap();
        let key = "/c/r.jsonl";
        let mut run = Run::new(&schema, &writer, Manifest::new(), None);
        let mut entry = FileEntry { hash: "h".into(), ..Default::default() };
        let info = SourceInfo { path: key, doc_id: "r", format: Format::JsonLines };
        let text = b"{\"_id\": \"a\", \"text\": \"alpha\"}\n{\"_id\": \"a\", \"text\": \"again\"}\nnot json\n{\"_id\": \"b\", \"text\": \"Caf\xe9\"}\n";
        let mut duplicates = Vec::new();
        run.add_records(key, JsonLines::new(&text[..], info), &mut entry, &mut duplicates).unwrap();
        assert_eq!((entry.passages, entry.doc_ids.len(), entry.hash.as_str()), (0, 0, ""));
        let reasons: Vec<_> = entry.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
        assert_eq!(reasons, [(Some(4), "invalid UTF-8 at line 4, byte 26")]);
        assert!(duplicates.is_empty() && run.owners.is_empty());
        // The passage of "a", added before the failure, is gone once committed; the same
        // lines before the failure, in another file, are indexed.
        assert!(run.dirty);
        let (other, mut entry) = ("/c/s.jsonl", FileEntry::default());
        let last_line = b"{\"_id\": \"b\", \"text\": \"Caf\xe9\"}\n";
        let before_last = &text[..text.len() - last_line.len()];
        let records = JsonLines::new(before_last, SourceInfo { path: other, ..info });
        run.add_records(other, records, &mut entry, &mut duplicates).unwrap();
        assert_eq!((entry.passages, duplicates.len(), entry.skipped.len()), (1, 1, 1));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.num_docs(), 1);
        let term = Term::from_field_text(schema.source_path, other);
        assert_eq!(searcher.doc_freq(&term).unwrap(), 1);
    }

    /// Files that vanish or become unreadable between the walk and the read: `Listed` is
    /// reported after the walk and before any file is read, so the callback can pull the rug.
    #[test]
    fn files_removed_or_unreadable_mid_run() {
        let docs = tempfile::tempdir().unwrap();
        let index_dir = tempfile::tempdir().unwrap();
        for name in ["a", "b", "c"] {
            std::fs::write(docs.path().join(format!("{name}.md")), format!("# {name}\n\nText.\n"))
                .unwrap();
        }
        let first = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((first.added, first.passages), (3, 3));

        std::fs::write(docs.path().join("b.md"), "# b\n\nChanged.\n").unwrap();
        std::fs::write(docs.path().join("c.md"), "# c\n\nChanged.\n").unwrap();
        let b = docs.path().join("b.md");
        let c = docs.path().join("c.md");
        let report = index(index_dir.path(), docs.path(), &mut |p| {
            if let Progress::Listed { .. } = p {
                // b vanishes; c cannot be read any more (a folder now stands in its place:
                // unlike permissions, that stops root too).
                std::fs::remove_file(&b).unwrap();
                std::fs::remove_file(&c).unwrap();
                std::fs::create_dir(&c).unwrap();
            }
        });
        // b is removed like any deleted file; c keeps its passages and is reported once.
        assert_eq!((report.removed, report.unchanged), (1, 1), "{report:?}");
        assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
        assert!(report.skipped[0].path.ends_with("c.md"), "{:?}", report.skipped);
        assert!(report.skipped[0].reason.starts_with("cannot read"), "{:?}", report.skipped);
        assert_eq!((report.documents, report.passages), (2, 2));
    }
}
