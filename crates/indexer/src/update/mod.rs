//! Bringing an index up to date with its source files, and pushing documents into it.
//!
//! [`crate::update_index`] (a folder) and [`update()`] (an open index, on disk or in memory) walk the
//! roots, compare every file with the [`Manifest`] of the last commit and apply only the
//! difference: new files are added, changed files replace their documents, vanished files are
//! removed. The new manifest goes into the same commit as the passages (tantivy's commit
//! payload), so the record of what is indexed can never disagree with the index, whatever
//! happens mid-way: a run that is killed leaves the previous commit intact and the next run
//! redoes the work. After any run the index holds what a clean build of the same files would
//! (plus the documents a program pushed, [`push_documents`], which stay until
//! [`remove_documents`] removes them).
//!
//! One module per job:
//! - `changes`: change detection against the manifest, and who owns each document id;
//! - `writer`: the writer run (deletes and adds in a safe order) and the commit;
//! - `embedding`: embedding batches for a semantic index;
//! - `pushed`: documents pushed by a program rather than read from files;
//! - `content`: decisions across the documents of a folder (boilerplate, duplicates, a common
//!   title suffix), made again each run from the manifest so that they match a clean build.
//!
//! This module runs the walk: files in path order, each looked at, read and indexed if needed.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use kb_embed::Embedder;
use kb_schema::{FileEntry, Manifest, OpenError, SkipRecord};
use serde::Serialize;
use tantivy::{Index, TantivyError};

use crate::formats::{Format, Item, ParsedDocument, Source, SourceError, SourceInfo};
use crate::ownership::FolderError;
use crate::walk::{check_globs, walk_with, GlobError, SourceFile, WalkOptions};

mod changes;
mod content;
mod embedding;
mod pushed;
mod writer;

use changes::{path_string, refusal, same_hash, same_stat, Claims, Owner, Root, Stat};
pub use pushed::{push_documents, remove_documents};
use writer::Writer;

/// How [`crate::update_index`] runs.
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
    /// Which files are read: links leading outside a root, the size limit, globs and ignore
    /// files (see [`WalkOptions`]; globs and ignore files not given are the ones recorded for
    /// each folder, [`Manifest::walk_rules`]).
    pub walk: WalkOptions,
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
            walk: WalkOptions::default(),
        }
    }
}

/// Progress of an [`crate::update_index`] run, for a progress bar.
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
    /// Passages of a semantic index were embedded (reported after each batch, while a file
    /// is read or while the last ones are embedded before the commit).
    Embedded {
        /// Passages embedded so far in this run.
        done: u64,
        /// Passages queued for embedding so far in this run (`done` included): it grows as
        /// files are read.
        queued: u64,
    },
    /// Everything is queued; the commit (flushing and merging segments) is under way.
    Committing,
}

/// What an [`crate::update_index`] run did. Serializes to the `kb index --json` shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IndexReport {
    /// Files indexed for the first time; for pushed documents, those new.
    pub added: u64,
    /// Files whose content changed and were indexed again (or read again because a document
    /// id they hold changed hands); for pushed documents, those replaced.
    pub changed: u64,
    /// Files that vanished from under the indexed paths, their passages removed; for pushed
    /// documents, those removed.
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

/// Why [`crate::update_index`] failed as a whole. Problems with single files are not errors: they are
/// listed in [`IndexReport::skipped`].
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Another process (or another writer in this one) holds the index writer.
    #[error("the index at {} is being updated by another process; try again when it is done", .0.display())]
    Busy(PathBuf),
    /// Documents pushed into a semantic index need its model, and a model given for a lexical
    /// index that holds documents would leave them without vectors: the index must be rebuilt
    /// ([`update()`] with the model) instead.
    #[error("the index is {}, but the documents would be {}; index the files again with the model wanted", describe_model(.index.as_deref()), describe_model(.given.as_deref()))]
    ModelMismatch {
        /// The model the index's passages are embedded with (`None`: a lexical index).
        index: Option<String>,
        /// The model given in [`IndexOptions::semantic`].
        given: Option<String>,
    },
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
    /// A glob of [`WalkOptions::globs`] is not valid (nothing was read or written).
    #[error(transparent)]
    Glob(#[from] GlobError),
    /// The index folder: not kb's to replace, read-only, full (see [`crate::ownership`]).
    #[error(transparent)]
    Folder(#[from] FolderError),
}

/// How a model is named in [`IndexError::ModelMismatch`].
fn describe_model(model: Option<&str>) -> String {
    match model {
        Some(name) => format!("embedded with {name}"),
        None => "lexical (no embeddings)".to_owned(),
    }
}

/// Brings the index in `index_dir` up to date with the files under `roots` (folders or files),
/// creating it if needed: [`update()`] on the index opened (or created) there.
///
/// An index written by another schema version, or a damaged one when `rebuild` is set, is
/// replaced by a fresh one.
pub fn update_index(
    index_dir: &Path,
    roots: &[PathBuf],
    opts: &IndexOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<IndexReport, IndexError> {
    let roots = Root::resolve(roots)?;
    let (index, _) = crate::ownership::open_for_update(index_dir, opts.rebuild)?;
    run(&index, index_dir, &roots, opts, progress)
}

/// Brings an open index (on disk or in memory: [`kb_schema::create_index_in_ram`]) up to date
/// with the files under `roots` (folders or files); `index_dir`, if any, names it in messages.
///
/// Only the difference with the last commit's [`Manifest`] is applied (unchanged files cost a
/// stat), and the new manifest is committed together with the passages, so a run killed at any
/// point leaves the previous commit searchable and the next run redoes the work.
///
/// - Files that vanished from under one of `roots` are removed from the index; files indexed
///   from other roots are left alone, and so are pushed documents ([`push_documents`]).
/// - Passages store each file's path as given: the root as given joined with the path under it
///   (`corpus/notes.md` for the root `corpus`). Files are known by their canonical path, so
///   indexing `./corpus` after `corpus` finds them unchanged.
/// - Document ids are unique: a pushed document has its id first, then the first file in path
///   order; a later file holding the same id is refused it (listed in
///   [`IndexReport::skipped`]) and read again when the id is free.
/// - With `rebuild` (or a change of [`IndexOptions::semantic`] model), every file is read
///   again; pushed documents are kept.
pub fn update(
    index: &Index,
    index_dir: Option<&Path>,
    roots: &[PathBuf],
    opts: &IndexOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<IndexReport, IndexError> {
    let roots = Root::resolve(roots)?;
    run(index, index_dir.unwrap_or(Path::new(IN_MEMORY)), &roots, opts, progress)
}

/// How an index without a folder is named in messages.
const IN_MEMORY: &str = "(in memory)";

/// One [`update()`] run over resolved roots.
fn run(
    index: &Index,
    place: &Path,
    roots: &[Root],
    opts: &IndexOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<IndexReport, IndexError> {
    let started = Instant::now();
    // The writer reports embedding while a file is read, between the reports of files.
    let progress = RefCell::new(progress);
    let report_progress = |p: Progress<'_>| (progress.borrow_mut())(p);
    let on_embedded = |done, queued| report_progress(Progress::Embedded { done, queued });
    check_globs(opts.walk.globs.as_deref().unwrap_or_default())?;
    let mut writer = Writer::open(index, place, opts, opts.semantic.as_ref())?;
    writer.report_embedding_to(&on_embedded);
    let old = writer.manifest()?;
    let semantic = opts.semantic.as_ref().map(|m| m.name.clone());
    let record = opts.semantic.as_ref().map(SemanticModel::record);
    // Every passage of a semantic index has a vector of the same model: a change of model (or
    // to or from none) reads every file again. (An index written before models were recorded
    // by checksum is taken at its model's name.)
    let same_model = old.semantic == semantic
        && match (&old.semantic_model, &record) {
            (Some(a), Some(b)) => a.dim == b.dim && a.checksum == b.checksum,
            _ => true,
        };
    let rebuild = opts.rebuild || (!same_model && old.documents() > 0);
    let mut manifest = old.clone();
    manifest.semantic = semantic;
    manifest.semantic_model = record;
    if rebuild {
        writer.delete_all_but(manifest.pushed.keys())?;
        manifest.files.clear();
    }
    let live = manifest.files.values().flat_map(|e| e.doc_ids.iter().cloned());
    writer.set_live(live.chain(manifest.pushed.keys().cloned()).collect::<Vec<_>>());
    if !same_model {
        pushed::embed_again(&mut writer, &manifest, index)?;
    }

    let claims = Claims::before_files(&manifest, roots);
    let walks: Vec<_> = roots
        .iter()
        .map(|r| (r, walk_with(&r.given, &walk_options(&opts.walk, &manifest, r))))
        .collect();
    report_progress(Progress::Listed {
        files: walks.iter().map(|(_, w)| w.files.len() as u64).sum(),
    });
    let slots = plan(&walks, &manifest);
    let mut run = Run {
        writer,
        manifest,
        claims,
        report: IndexReport::default(),
        pending: Vec::new(),
        pending_bytes: 0,
    };
    for (key, slot) in &slots {
        match slot {
            Slot::File(root, file) => {
                let display = root.display(key);
                let bytes = run.visit(root, file, key, &display)?;
                report_progress(Progress::File { path: &display, bytes });
            }
            Slot::Skipped(root, skip) => run.record_skip(root, key, skip.clone()),
            Slot::Gone => run.gone(key)?,
        }
    }
    run.settle(&old, roots)?;

    let Run { writer, mut manifest, mut report, .. } = run;
    record_synonyms(&mut manifest, roots);
    record_walk_rules(&mut manifest, roots, &opts.walk);
    if writer.is_dirty() || manifest != old {
        report_progress(Progress::Committing);
        writer.commit(&manifest)?;
        report.committed = true;
    }
    report.documents = manifest.documents();
    report.passages = manifest.passages();
    report.skipped = skipped_under(&manifest, roots);
    report.took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// Records in `manifest` the text of the `synonyms.txt` at the top of each root folder (keyed by
/// the folder), and forgets that of a root folder that no longer has one, so that every way of
/// searching the index expands queries with the same groups. A file that cannot be read counts
/// as none.
fn record_synonyms(manifest: &mut Manifest, roots: &[Root]) {
    for root in roots.iter().filter(|r| r.canonical.is_dir()) {
        let key = root.canonical.to_string_lossy().into_owned();
        match std::fs::read(root.canonical.join(crate::walk::SYNONYMS_FILE)) {
            Ok(bytes) => {
                // Lines that are not UTF-8 are left out (the synonyms parser would skip them).
                let lines =
                    bytes.split(|&b| b == b'\n').filter_map(|l| std::str::from_utf8(l).ok());
                manifest.synonyms.insert(key, lines.collect::<Vec<_>>().join("\n"));
            }
            Err(_) => {
                manifest.synonyms.remove(&key);
            }
        }
    }
}

/// The options walking `root` with: the globs and ignore-file switch not given in `walk` are
/// the ones the manifest records for the folder.
fn walk_options(walk: &WalkOptions, manifest: &Manifest, root: &Root) -> WalkOptions {
    walk.for_folder(manifest.walk_rules.get(&path_string(&root.canonical)))
}

/// Records in `manifest` the rules each root folder was walked with (none for the default
/// ones), so that a later run giving none walks it the same way.
fn record_walk_rules(manifest: &mut Manifest, roots: &[Root], walk: &WalkOptions) {
    for root in roots.iter().filter(|r| r.canonical.is_dir()) {
        let key = path_string(&root.canonical);
        match walk_options(walk, manifest, root).rules() {
            Some(rules) => manifest.walk_rules.insert(key, rules),
            None => manifest.walk_rules.remove(&key),
        };
    }
}

/// What the run does with one manifest key.
enum Slot<'w> {
    /// A file the walk listed under a root.
    File(&'w Root, &'w SourceFile),
    /// Something the walk could not list or read (its path is the key).
    Skipped(&'w Root, SkipRecord),
    /// A file of the manifest under a root that the walk did not list: it vanished.
    Gone,
}

/// Every manifest key the run looks at, in path order (component-wise), each once: the files
/// and skips the walks found, and the manifest's files under the roots that they did not.
fn plan<'w>(
    walks: &'w [(&'w Root, crate::walk::Walked)],
    manifest: &Manifest,
) -> Vec<(String, Slot<'w>)> {
    let mut slots: Vec<(String, Slot<'w>)> = Vec::new();
    for (root, walked) in walks {
        for skip in &walked.skipped {
            let key = root.key(Path::new(&skip.path));
            let skip = SkipRecord { path: key.clone(), ..skip.clone() };
            slots.push((key, Slot::Skipped(root, skip)));
        }
        for file in &walked.files {
            slots.push((root.key(&file.path), Slot::File(root, file)));
        }
    }
    slots.sort_by(|a, b| Path::new(&a.0).cmp(Path::new(&b.0)));
    slots.dedup_by(|a, b| a.0 == b.0);
    let listed: std::collections::HashSet<&str> = slots.iter().map(|(k, _)| k.as_str()).collect();
    let gone: Vec<String> = manifest
        .files
        .keys()
        .filter(|k| !listed.contains(k.as_str()) && walks.iter().any(|(r, _)| r.holds(k)))
        .cloned()
        .collect();
    slots.extend(gone.into_iter().map(|k| (k, Slot::Gone)));
    slots.sort_by(|a, b| Path::new(&a.0).cmp(Path::new(&b.0)));
    slots
}

/// The skip records of the manifest's files under `roots`, with their paths as given.
fn skipped_under(manifest: &Manifest, roots: &[Root]) -> Vec<SkipRecord> {
    roots
        .iter()
        .flat_map(|root| {
            manifest.files.iter().filter(|(key, _)| root.holds(key)).flat_map(|(_, entry)| {
                entry
                    .skipped
                    .iter()
                    .map(|s| SkipRecord { path: root.display(&s.path), ..s.clone() })
            })
        })
        .collect()
}

/// The skip record of a problem with one record (or the whole) of the file with key `key`.
fn skip_record(key: &str, err: SourceError) -> SkipRecord {
    SkipRecord::failure(key, err.line, err.reason)
}

/// The state of one [`update()`] run.
struct Run<'a> {
    writer: Writer<'a>,
    manifest: Manifest,
    claims: Claims,
    report: IndexReport,
    /// Documents read this run that take part in the decisions across documents
    /// ([`content`]): written once every file has been looked at.
    pending: Vec<Pending>,
    /// Bytes of passage text held in `pending`.
    pending_bytes: usize,
}

/// A document read this run, waiting for the decisions across documents.
struct Pending {
    /// Its file's manifest key.
    key: String,
    /// The document, or `None` when too much was held already (it is read again).
    doc: Option<ParsedDocument>,
}

/// Passage text held for [`Pending`] documents before further ones are read again instead.
const PENDING_BYTES: usize = 256 << 20;

/// Why a file whose passages all went to boilerplate or duplicates is not indexed.
const ALL_DROPPED: &str =
    "every passage repeats other documents of its folder (boilerplate or duplicates)";

/// Whether the documents of the file with manifest key `key` take part in the decisions across
/// documents: HTML pages, the pages of sites (a folder of notes in text or Markdown may repeat
/// itself on purpose; JSON records are documents as given).
fn takes_part(key: &str) -> bool {
    matches!(Format::of(Path::new(key)), Some(Format::Html))
}

impl Run<'_> {
    /// Looks at one file listed by the walk; reads and indexes it if it is new or changed, or
    /// if a document id it holds changed hands. Returns the bytes read.
    fn visit(
        &mut self,
        root: &Root,
        file: &SourceFile,
        key: &str,
        display: &str,
    ) -> Result<u64, IndexError> {
        let stat = match Stat::of(&file.path) {
            Ok(stat) => stat,
            Err(e) => return self.fail_read(root, key, &e).map(|()| 0),
        };
        let old = self.manifest.files.get(key).cloned();
        // Stale: a document id it holds changed hands, or the walk of the root it was read
        // from names it another id now (files sharing a name keep their extensions in their
        // ids: see `walk`). Reached from another root (a subfolder), it keeps its ids.
        let root_key = path_string(&root.canonical);
        // A document indexed before kb recorded what it brings to the decisions across
        // documents is read again.
        let stale = old.as_ref().is_some_and(|o| {
            self.claims.is_stale(o)
                || (o.root == root_key && o.source_id != file.doc_id)
                || (o.passages > 0 && o.content.is_none() && takes_part(key))
        });
        if !stale && same_stat(old.as_ref(), stat) {
            self.unchanged(key, display);
            return Ok(0);
        }
        let source = match Source::read(&file.path, file.format) {
            Ok(source) => source,
            Err(e) => return self.fail_read(root, key, &e).map(|()| 0),
        };
        if !stale && same_hash(old.as_ref(), source.hash()) {
            // Touched but not changed: remember the new time so the next run only stats it.
            if let Some(entry) = self.manifest.files.get_mut(key) {
                (entry.size, entry.mtime_ns) = (stat.size, stat.mtime_ns);
            }
            self.unchanged(key, display);
            return Ok(0);
        }
        let bytes = source.bytes();
        self.report.bytes_read += bytes;
        let entry = FileEntry {
            root: root_key,
            hash: source.hash().to_owned(),
            size: stat.size,
            mtime_ns: stat.mtime_ns,
            source_id: file.doc_id.clone(),
            ..FileEntry::default()
        };
        if let Some(reason) = source.not_a_document(file.format) {
            self.not_a_document(key, old, entry, reason)?;
            return Ok(bytes);
        }
        let info = SourceInfo { path: display, doc_id: &file.doc_id, format: file.format };
        match source.records(info) {
            Ok(records) => self.index_file(key, display, old, entry, records)?,
            Err(err) => self.refuse_file(key, display, old, entry, err),
        }
        Ok(bytes)
    }

    /// A file found as it was: its documents keep their ids.
    fn unchanged(&mut self, key: &str, display: &str) {
        self.report.unchanged += 1;
        if let Some(entry) = self.manifest.files.get(key) {
            let owner: Rc<str> = Rc::from(display);
            for id in &entry.doc_ids {
                self.claims.claim(id, Owner::File(Rc::clone(&owner)));
            }
        }
    }

    /// Replaces the documents of file `key` with its records (new, changed, or stale).
    fn index_file(
        &mut self,
        key: &str,
        display: &str,
        old: Option<FileEntry>,
        mut entry: FileEntry,
        records: crate::formats::Records<'_>,
    ) -> Result<(), IndexError> {
        if let Some(old) = &old {
            for id in &old.doc_ids {
                self.writer.delete(id)?;
            }
        }
        match &old {
            Some(o) if !o.hash.is_empty() || o.passages > 0 => self.report.changed += 1,
            _ => self.report.added += 1,
        }
        let owner: Rc<str> = Rc::from(display);
        // Records refused for their id are listed after those skipped while parsing.
        let mut refused = Vec::new();
        for item in records {
            match item {
                Ok(Item::Document(doc)) => self.add(key, &owner, doc, &mut entry, &mut refused)?,
                Ok(Item::Skipped(err)) => entry.skipped.push(skip_record(key, err)),
                Err(err) => {
                    refused.clear();
                    self.abandon(key, &mut entry, err)?;
                    break;
                }
            }
        }
        entry.skipped.extend(refused);
        self.manifest.files.insert(key.to_owned(), entry);
        Ok(())
    }

    /// Adds one document of file `key`, unless its id is taken (then it is listed in
    /// `refused`).
    fn add(
        &mut self,
        key: &str,
        owner: &Rc<str>,
        doc: ParsedDocument,
        entry: &mut FileEntry,
        refused: &mut Vec<SkipRecord>,
    ) -> Result<(), IndexError> {
        if let Some(taken) = self.claims.owner(&doc.doc_id) {
            let line = doc.passages.first().map(|p| p.source.line);
            let reason = refusal(&doc.doc_id, taken, owner);
            if !matches!(taken, Owner::File(p) if p == owner) {
                entry.refused.push(doc.doc_id.clone());
            }
            refused.push(SkipRecord::failure(key, line, reason));
            return Ok(());
        }
        self.claims.claim(&doc.doc_id, Owner::File(Rc::clone(owner)));
        entry.passages += doc.passages.len() as u64;
        entry.doc_ids.push(doc.doc_id.clone());
        if takes_part(key) && entry.content.is_none() {
            entry.content = Some(content::record(&doc));
            let size: usize = doc.passages.iter().map(|p| p.text.len()).sum();
            let doc = (self.pending_bytes + size <= PENDING_BYTES).then_some(doc);
            self.pending_bytes += doc.as_ref().map_or(0, |_| size);
            self.pending.push(Pending { key: key.to_owned(), doc });
            return Ok(());
        }
        self.writer.add(doc)
    }

    /// A file kb leaves out by design (a redirect stub): its documents, if it had any, go.
    fn not_a_document(
        &mut self,
        key: &str,
        old: Option<FileEntry>,
        mut entry: FileEntry,
        reason: String,
    ) -> Result<(), IndexError> {
        if let Some(old) = &old {
            for id in &old.doc_ids {
                self.writer.delete(id)?;
            }
            if !old.doc_ids.is_empty() {
                self.report.changed += 1;
            }
        }
        entry.skipped = vec![SkipRecord::by_design(key, reason)];
        self.manifest.files.insert(key.to_owned(), entry);
        Ok(())
    }

    /// Makes the decisions across documents ([`content`]) for the manifest of this run, writes
    /// the documents read this run with them, and reads again (and rewrites) the unchanged
    /// files whose decisions differ from those the last commit (`old`) was written with.
    fn settle(&mut self, old: &Manifest, roots: &[Root]) -> Result<(), IndexError> {
        let before = content::decide(old);
        let after = content::decide(&self.manifest);
        let pending = std::mem::take(&mut self.pending);
        let mut written = std::collections::HashSet::new();
        for Pending { key, doc } in pending {
            if let Some(doc) = doc.or_else(|| self.read_again(&key, roots)) {
                self.write(&key, doc, after.get(&key))?;
            }
            written.insert(key);
        }
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            if written.contains(key) || before.get(key) == after.get(key) {
                continue;
            }
            let Some(entry) = self.manifest.files.get(key) else { continue };
            if entry.content.is_none() {
                continue;
            }
            match self.read_again(key, roots) {
                Some(doc) => {
                    self.report.changed += 1;
                    self.report.unchanged = self.report.unchanged.saturating_sub(1);
                    self.write(key, doc, after.get(key))?;
                }
                // Changed or gone since: the next run reads it (or removes it).
                None => {
                    if let Some(entry) = self.manifest.files.get_mut(key) {
                        (entry.hash, entry.size, entry.mtime_ns) = (String::new(), 0, 0);
                    }
                }
            }
        }
        Ok(())
    }

    /// The document of an indexed file, read again from its file (`None` if it cannot be, or
    /// is not the same file any more).
    fn read_again(&self, key: &str, roots: &[Root]) -> Option<ParsedDocument> {
        let entry = self.manifest.files.get(key)?;
        let format = Format::of(Path::new(key))?;
        let source = Source::read(Path::new(key), format).ok()?;
        if !entry.hash.is_empty() && source.hash() != entry.hash {
            return None;
        }
        let root = roots.iter().find(|r| path_string(&r.canonical) == entry.root);
        let display = root.or_else(|| roots.iter().find(|r| r.holds(key))).map(|r| r.display(key));
        let display = display.unwrap_or_else(|| key.to_owned());
        let info = SourceInfo { path: &display, doc_id: &entry.source_id, format };
        let parsed = crate::formats::collect(source.records(info).ok()?).ok()?;
        parsed.documents.into_iter().find(|d| d.doc_id == entry.source_id)
    }

    /// Writes the document of file `key` with its decision, and records in the manifest what
    /// was left out.
    fn write(
        &mut self,
        key: &str,
        mut doc: ParsedDocument,
        decision: Option<&content::Decision>,
    ) -> Result<(), IndexError> {
        let dropped = content::apply(&mut doc, decision);
        let Some(entry) = self.manifest.files.get_mut(key) else { return Ok(()) };
        entry.skipped.retain(|s| s.reason != ALL_DROPPED);
        (entry.boilerplate, entry.duplicates) = (dropped.boilerplate, dropped.duplicates);
        entry.passages = doc.passages.len() as u64;
        if doc.passages.is_empty() {
            entry.doc_ids.clear();
            entry.skipped.push(SkipRecord::by_design(key, ALL_DROPPED));
            return self.writer.delete(&doc.doc_id);
        }
        entry.doc_ids = vec![doc.doc_id.clone()];
        self.writer.add(doc)
    }

    /// Gives up a file part of which was added: drops its documents from the index and records
    /// why, without a hash, so that the next run reads it again.
    fn abandon(
        &mut self,
        key: &str,
        entry: &mut FileEntry,
        err: SourceError,
    ) -> Result<(), IndexError> {
        self.writer.delete_added(&entry.doc_ids)?;
        self.pending.retain(|p| p.key != key);
        entry.content = None;
        for id in entry.doc_ids.drain(..) {
            self.claims.release(&id);
        }
        entry.passages = 0;
        entry.hash.clear();
        entry.refused.clear();
        entry.skipped = vec![skip_record(key, err)];
        Ok(())
    }

    /// A file refused as a whole. Never lose data: a file that was indexed and now cannot be
    /// keeps its previous documents until it parses again (its old hash is kept, so the next
    /// run tries again).
    fn refuse_file(
        &mut self,
        key: &str,
        display: &str,
        old: Option<FileEntry>,
        mut entry: FileEntry,
        err: SourceError,
    ) {
        let skip = skip_record(key, err);
        match old {
            Some(mut kept) if kept.passages > 0 => {
                kept.skipped = vec![skip];
                self.keep(display, &mut kept);
                self.manifest.files.insert(key.to_owned(), kept);
            }
            _ => {
                entry.skipped = vec![skip];
                entry.hash.clear();
                self.manifest.files.insert(key.to_owned(), entry);
            }
        }
    }

    /// A file that keeps its previous documents without being read: it keeps the ids no one
    /// before it has taken since, and loses the others.
    fn keep(&mut self, display: &str, entry: &mut FileEntry) {
        let owner: Rc<str> = Rc::from(display);
        let mut kept = Vec::with_capacity(entry.doc_ids.len());
        for id in std::mem::take(&mut entry.doc_ids) {
            match self.claims.owner(&id) {
                None => {
                    self.claims.claim(&id, Owner::File(Rc::clone(&owner)));
                    kept.push(id);
                }
                // Deleted by whoever took it.
                Some(_) => {
                    entry.passages =
                        entry.passages.saturating_sub(self.writer.committed_passages(&id));
                    entry.refused.push(id);
                }
            }
        }
        entry.doc_ids = kept;
    }

    /// A file listed by the walk could not be read.
    fn fail_read(
        &mut self,
        root: &Root,
        key: &str,
        err: &std::io::Error,
    ) -> Result<(), IndexError> {
        if err.kind() == std::io::ErrorKind::NotFound {
            // Vanished between listing and reading: removed like a file that was never listed.
            return self.gone(key);
        }
        let skip = SkipRecord::failure(key, None, format!("cannot read: {err}"));
        self.record_skip(root, key, skip);
        Ok(())
    }

    /// Records a file that cannot be read; one that was indexed before keeps its documents.
    fn record_skip(&mut self, root: &Root, key: &str, skip: SkipRecord) {
        match self.manifest.files.get(key).cloned() {
            Some(mut kept) if kept.passages > 0 => {
                kept.skipped = vec![skip];
                self.keep(&root.display(key), &mut kept);
                self.manifest.files.insert(key.to_owned(), kept);
            }
            _ => {
                let root = path_string(&root.canonical);
                let entry = FileEntry { root, skipped: vec![skip], ..FileEntry::default() };
                self.manifest.files.insert(key.to_owned(), entry);
            }
        }
    }

    /// Removes a file that vanished.
    fn gone(&mut self, key: &str) -> Result<(), IndexError> {
        let Some(entry) = self.manifest.files.remove(key) else { return Ok(()) };
        if !entry.doc_ids.is_empty() {
            for id in &entry.doc_ids {
                self.writer.delete(id)?;
            }
            self.report.removed += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tantivy::collector::DocSetCollector;
    use tantivy::query::AllQuery;

    use super::*;

    fn index(index_dir: &Path, root: &Path, progress: &mut dyn FnMut(Progress<'_>)) -> IndexReport {
        update_index(index_dir, &[root.to_path_buf()], &IndexOptions::default(), progress)
            .expect("update")
    }

    fn skipped(report: &IndexReport) -> Vec<(String, Option<u32>, String)> {
        let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
        report.skipped.iter().map(|s| (name(&s.path), s.line, s.reason.clone())).collect()
    }

    /// Every passage of the index in `dir`: (passage id, file name, text), sorted.
    fn passages(dir: &Path) -> BTreeSet<(String, String, String)> {
        let (index, schema) = kb_schema::open_index(dir).expect("open");
        let searcher = index.reader().expect("reader").searcher();
        let all = searcher.search(&AllQuery, &DocSetCollector).expect("search");
        all.into_iter()
            .map(|address| {
                let doc: tantivy::TantivyDocument = searcher.doc(address).expect("doc");
                let p = schema.from_document(&doc).expect("passage");
                let name = p.source.path.rsplit('/').next().unwrap_or_default().to_owned();
                (p.id, name, p.text)
            })
            .collect()
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
        // Paths are shown as given (the root as given, joined with the path under it).
        let a = docs.path().join("a.jsonl");
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

    /// A JSON Lines file that changes replaces its passages; a bad line costs that line only;
    /// one that turns bad as a whole keeps its passages; one touched without change is not read
    /// again.
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
        let bad_line = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((bad_line.changed, bad_line.documents, bad_line.passages), (1, 1, 1));
        assert_eq!(
            skipped(&bad_line),
            [("r.jsonl".into(), Some(2), "invalid UTF-8 at line 2, byte 26".into())]
        );

        std::fs::write(&file, b"\x00{\"_id\": \"a\", \"text\": \"alpha\"}\n").unwrap();
        let binary = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((binary.changed, binary.documents, binary.passages), (0, 1, 1), "{binary:?}");
        assert_eq!(skipped(&binary), [("r.jsonl".into(), None, "binary file".into())]);

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

    /// A file whose records fail part-way (it changed while it was read) is abandoned: what
    /// was added of it is deleted, its ids are free again, and it is recorded without a hash so
    /// the next run reads it again.
    #[test]
    fn files_failing_part_way_are_abandoned() {
        let (index, schema) = kb_schema::create_index_in_ram();
        let opts = IndexOptions::default();
        let writer = Writer::open(&index, Path::new("mem"), &opts, None).unwrap();
        let mut run = Run {
            writer,
            manifest: Manifest::new(),
            claims: Claims::default(),
            report: IndexReport::default(),
            pending: Vec::new(),
            pending_bytes: 0,
        };
        let info = SourceInfo {
            path: "/c/r.jsonl",
            doc_id: "r",
            format: crate::formats::Format::JsonLines,
        };
        let lines = b"{\"_id\": \"a\", \"text\": \"alpha\"}\n{\"_id\": \"a\", \"text\": \"again\"}\nnot json\n";
        let failure = SourceError { line: Some(4), reason: "cannot read: gone".into() };
        let records = crate::formats::records(lines, info).unwrap().chain([Err(failure.clone())]);
        let entry = FileEntry { hash: "h".into(), ..FileEntry::default() };
        run.index_file("/c/r.jsonl", "/c/r.jsonl", None, entry, Box::new(records)).unwrap();
        let entry = &run.manifest.files["/c/r.jsonl"];
        assert_eq!((entry.passages, entry.doc_ids.len(), entry.hash.as_str()), (0, 0, ""));
        let reasons: Vec<_> = entry.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
        assert_eq!(reasons, [(Some(4), "cannot read: gone")]);
        assert!(run.claims.owner("a").is_none());
        // The passage of "a", added before the failure, is gone once committed; the same lines
        // in another file are indexed.
        let other = SourceInfo { path: "/c/s.jsonl", ..info };
        let records = crate::formats::records(lines, other).unwrap();
        run.index_file("/c/s.jsonl", "/c/s.jsonl", None, FileEntry::default(), records).unwrap();
        assert_eq!(run.manifest.files["/c/s.jsonl"].passages, 1);
        let Run { writer, manifest, .. } = run;
        writer.commit(&manifest).unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.num_docs(), 1);
        let term = tantivy::schema::Term::from_field_text(schema.source_path, "/c/s.jsonl");
        assert_eq!(searcher.doc_freq(&term).unwrap(), 1);
    }

    /// Issue 13: a one-file semantic corpus reports its passages as they are embedded, a
    /// batch at a time in order, while the file is read (not only once the file is done), and
    /// the last ones while committing. (Which counts are queued at each report depends on how
    /// fast the batches come back, so only their order and bounds are checked.)
    #[test]
    fn embedding_reports_progress_per_batch() {
        let docs = tempfile::tempdir().unwrap();
        let index_dir = tempfile::tempdir().unwrap();
        let model_dir = tempfile::tempdir().unwrap();
        kb_embed::testing::write_word_model(model_dir.path(), &[&["quokka"]]).unwrap();
        let embedder = Embedder::load(model_dir.path()).unwrap();
        let model = SemanticModel { name: "words".into(), embedder: Arc::new(embedder) };
        let records: String = (0..300)
            .map(|i| format!("{{\"_id\": \"d{i}\", \"text\": \"quokka number {i}\"}}\n"))
            .collect();
        std::fs::write(docs.path().join("one.jsonl"), records).unwrap();
        let opts = IndexOptions { semantic: Some(model), ..IndexOptions::default() };
        let mut events = Vec::new();
        let report =
            update_index(index_dir.path(), &[docs.path().to_path_buf()], &opts, &mut |p| {
                events.push(match p {
                    Progress::Listed { files } => format!("listed {files}"),
                    Progress::File { .. } => "file".to_owned(),
                    Progress::Embedded { done, queued } => {
                        assert!(done <= queued && queued <= 300, "{done}/{queued}");
                        format!("embedded {done}")
                    }
                    Progress::Committing => "committing".to_owned(),
                })
            })
            .unwrap();
        assert_eq!(report.passages, 300);
        let position = |e: &str| events.iter().position(|x| x == e).unwrap();
        let embedded: Vec<&String> = events.iter().filter(|e| e.starts_with("embedded")).collect();
        assert_eq!(
            embedded,
            ["embedded 64", "embedded 128", "embedded 192", "embedded 256", "embedded 300"],
            "{events:?}"
        );
        assert_eq!(events[0], "listed 1");
        // Four full batches of 64 fill up while the file is read: no more than two wait at
        // once, so the first is reported before the file is done.
        assert!(position("embedded 64") < position("file"), "{events:?}");
        // The last 44 passages are embedded when the index commits.
        assert!(position("committing") < position("embedded 300"), "{events:?}");
        assert_eq!(events.last().unwrap(), "embedded 300");
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

    /// Issue 14, item 2: a file refused an id is read again when the file that had it goes.
    #[test]
    fn a_refused_file_gets_its_id_back_when_the_owner_is_renamed_then_deleted() {
        let docs = tempfile::tempdir().unwrap();
        let index_dir = tempfile::tempdir().unwrap();
        let record =
            "{\"id\": \"A1\", \"title\": \"Aspirin\", \"text\": \"Aspirin thins blood.\"}\n";
        std::fs::write(docs.path().join("old.jsonl"), record).unwrap();
        std::fs::write(docs.path().join("twin.jsonl"), record).unwrap();
        let first = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((first.documents, first.skipped.len()), (1, 1));

        std::fs::rename(docs.path().join("old.jsonl"), docs.path().join("new.jsonl")).unwrap();
        let renamed = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((renamed.added, renamed.removed, renamed.documents), (1, 1, 1), "{renamed:?}");

        std::fs::remove_file(docs.path().join("new.jsonl")).unwrap();
        let deleted = index(index_dir.path(), docs.path(), &mut |_| {});
        assert_eq!((deleted.removed, deleted.changed, deleted.documents), (1, 1, 1), "{deleted:?}");
        assert!(deleted.skipped.is_empty(), "{:?}", deleted.skipped);
        let held: Vec<_> = passages(index_dir.path()).into_iter().map(|p| p.1).collect();
        assert_eq!(held, ["twin.jsonl"]);
    }

    /// After every run the index is what a clean build of the same files gives: which file
    /// has an id depends on path order, not on history.
    #[test]
    fn every_run_equals_a_clean_build() {
        let docs = tempfile::tempdir().unwrap();
        let index_dir = tempfile::tempdir().unwrap();
        let d = docs.path();
        let rec = |id: &str, text: &str| format!("{{\"id\": \"{id}\", \"text\": \"{text}\"}}\n");
        let write = |name: &str, body: String| std::fs::write(d.join(name), body).unwrap();
        let steps: Vec<Box<dyn Fn()>> = vec![
            Box::new(|| write("m.jsonl", rec("A", "m a") + &rec("B", "m b"))),
            // A later file with a taken id, then an earlier one that takes both ids.
            Box::new(|| write("t.jsonl", rec("B", "t b") + &rec("C", "t c"))),
            Box::new(|| write("b.jsonl", rec("A", "b a") + &rec("C", "b c"))),
            // The file with the ids changes to let one go; then it is renamed after the others.
            Box::new(|| write("b.jsonl", rec("C", "b c2"))),
            Box::new(|| std::fs::rename(d.join("b.jsonl"), d.join("z.jsonl")).unwrap()),
            // A Markdown file whose id is a record's, then the record goes.
            Box::new(|| write("t.md", "# T\n\nMarkdown t.\n".into())),
            Box::new(|| write("a.jsonl", rec("t", "a t"))),
            Box::new(|| std::fs::remove_file(d.join("a.jsonl")).unwrap()),
            Box::new(|| std::fs::remove_file(d.join("m.jsonl")).unwrap()),
            Box::new(|| write("t.jsonl", "not json\n".into())),
        ];
        for (i, step) in steps.iter().enumerate() {
            step();
            let report = index(index_dir.path(), d, &mut |_| {});
            let clean_dir = tempfile::tempdir().unwrap();
            let clean = index(clean_dir.path(), d, &mut |_| {});
            assert_eq!(passages(index_dir.path()), passages(clean_dir.path()), "step {i}");
            assert_eq!((report.documents, report.passages), (clean.documents, clean.passages));
            let reasons = |r: &IndexReport| {
                let mut s = skipped(r);
                s.sort();
                s
            };
            assert_eq!(reasons(&report), reasons(&clean), "step {i}");
        }
    }

    /// Every passage of the index in `dir` with its document title, and the manifest's counts
    /// of what was left out: (passages, (boilerplate, duplicates)).
    type Held = (BTreeSet<(String, String, String)>, (u64, u64));

    fn held(dir: &Path) -> Held {
        let (index, schema) = kb_schema::open_index(dir).expect("open");
        let searcher = index.reader().expect("reader").searcher();
        let all = searcher.search(&AllQuery, &DocSetCollector).expect("search");
        let passages = all
            .into_iter()
            .map(|address| {
                let doc: tantivy::TantivyDocument = searcher.doc(address).expect("doc");
                let p = schema.from_document(&doc).expect("passage");
                (p.id, p.doc_title, p.text)
            })
            .collect();
        let manifest = Manifest::read(&index).unwrap();
        let dropped = manifest.files.values().map(|f| (f.boilerplate, f.duplicates));
        (passages, dropped.fold((0, 0), |(b, d), (fb, fd)| (b + fb, d + fd)))
    }

    /// Issue 15: what is left out as boilerplate or as duplicates, and the titles without the
    /// folder's common suffix, are after every run what a clean build of the same files gives,
    /// whatever was added, changed or removed before (unchanged files whose decisions change
    /// are read again).
    #[test]
    fn decisions_across_documents_equal_a_clean_build() {
        let docs = tempfile::tempdir().unwrap();
        let index_dir = tempfile::tempdir().unwrap();
        let d = docs.path();
        let page = |title: &str, body: &str| {
            format!(
                "<html><head><title>{title} - Site</title></head><body>\n<div>Press a key to navigate.</div>\n<main>{body}</main></body></html>"
            )
        };
        let write = |name: &str, body: String| std::fs::write(d.join(name), body).unwrap();
        let remove = |name: &str| std::fs::remove_file(d.join(name)).unwrap();
        let steps: Vec<Box<dyn Fn()>> = vec![
            Box::new(|| {
                for name in ["a", "b", "c", "d", "e"] {
                    let body = format!("<p>Page {name} explains {name}.</p>");
                    write(&format!("{name}.html"), page(&name.to_uppercase(), &body));
                }
            }),
            // An aggregate page repeating two pages, and a page of its own.
            Box::new(|| {
                write(
                    "all.html",
                    page(
                        "All",
                        "<p>Page a explains a.</p><p>Page b explains b.</p><p>Only here.</p>",
                    ),
                )
            }),
            // The help box is in 5 documents still, then in 4: one copy stays.
            Box::new(|| remove("e.html")),
            Box::new(|| remove("d.html")),
            // The aggregate's copy of a page's old text is its own again.
            Box::new(|| write("a.html", page("A", "<p>Page a changed.</p>"))),
            Box::new(|| remove("b.html")),
            // A redirect stub is not a document; a page turning into one leaves the folder.
            Box::new(|| {
                write("r.html", "<meta http-equiv=\"refresh\" content=\"0; url=a.html\"><p>Redirecting to a.</p>".into())
            }),
            Box::new(|| {
                write("c.html", "<meta http-equiv=refresh content=\"0;URL='a.html'\">".into())
            }),
            // Titles: the suffix goes while most pages have it.
            Box::new(|| {
                write("x.html", "<title>Plain X</title><p>x text</p>".into());
                write("y.html", "<title>Plain Y</title><p>y text</p>".into());
            }),
            Box::new(|| {
                write("d.html", page("D", "<p>Page d is back.</p>"));
                write("e.html", page("E", "<p>Page e is back.</p>"));
            }),
            Box::new(|| remove("all.html")),
        ];
        for (i, step) in steps.iter().enumerate() {
            step();
            let report = index(index_dir.path(), d, &mut |_| {});
            let clean_dir = tempfile::tempdir().unwrap();
            let clean = index(clean_dir.path(), d, &mut |_| {});
            assert_eq!(held(index_dir.path()), held(clean_dir.path()), "step {i}");
            assert_eq!((report.documents, report.passages), (clean.documents, clean.passages));
            assert!(report.skipped.iter().all(|s| !s.is_failure()), "step {i}: {report:?}");
            let texts = |dir: &Path| -> Vec<(String, String)> {
                held(dir)
                    .0
                    .into_iter()
                    .map(|(id, title, text)| (id, format!("{title}: {text}")))
                    .collect()
            };
            match i {
                // The help box is boilerplate; the titles lose " - Site".
                0 => assert_eq!(
                    texts(index_dir.path()),
                    ["a#1", "b#1", "c#1", "d#1", "e#1"]
                        .iter()
                        .zip(["a", "b", "c", "d", "e"])
                        .map(|(id, n)| (
                            id.to_string(),
                            format!("{}: Page {n} explains {n}.", n.to_uppercase())
                        ))
                        .collect::<Vec<_>>()
                ),
                // The aggregate keeps its own passage only.
                1 => {
                    let all: Vec<_> = texts(index_dir.path())
                        .into_iter()
                        .filter(|(id, _)| id.starts_with("all#"))
                        .collect();
                    assert_eq!(all, [("all#3".to_string(), "All: Only here.".to_string())]);
                    assert_eq!(held(index_dir.path()).1, (6, 2));
                }
                // Four documents hold the help box: the smallest first in path order keeps it.
                3 => assert!(texts(index_dir.path())
                    .contains(&("a#0".into(), "A: Press a key to navigate.".into()))),
                // Page b's text is the aggregate's again.
                5 => assert!(texts(index_dir.path())
                    .contains(&("all#2".into(), "All: Page b explains b.".into()))),
                7 => {
                    let reasons: Vec<_> =
                        report.skipped.iter().map(|s| s.reason.as_str()).collect();
                    assert!(
                        reasons.contains(&"a redirect to a.html, not a document"),
                        "{reasons:?}"
                    );
                }
                _ => {}
            }
        }
    }

    /// `update` brings an index that is already open up to date, in memory as on disk.
    #[test]
    fn update_works_on_an_index_in_memory() {
        let docs = tempfile::tempdir().unwrap();
        std::fs::write(docs.path().join("tea.md"), "# Tea\n\nGreen tea is steamed.\n").unwrap();
        let (index, _) = kb_schema::create_index_in_ram();
        let roots = [docs.path().to_path_buf()];
        let opts = IndexOptions::default();
        let report = update(&index, None, &roots, &opts, &mut |_| {}).unwrap();
        assert_eq!((report.added, report.passages, report.committed), (1, 1, true));
        assert_eq!(index.reader().unwrap().searcher().num_docs(), 1);
        let again = update(&index, None, &roots, &opts, &mut |_| {}).unwrap();
        assert_eq!((again.unchanged, again.committed), (1, false));
    }
}
