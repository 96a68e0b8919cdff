//! [`Kb`]: a handle on one knowledge base, on disk or in memory.
//!
//! A handle keeps a *view* of the index: a snapshot of its last commit, opened for searching,
//! with the synonyms that commit records and, on a semantic index, the embedding model. Every
//! write through the handle (indexing files, pushing or removing documents) replaces the view
//! once its commit is done, so the handle sees its own writes at once; [`Kb::reload`] picks up
//! commits made by other processes. Searches take the current view and never wait for a
//! writer; writers take turns (one at a time per handle, and tantivy's lock across processes),
//! holding the index's writer lock only while they write.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use kb_indexer::Progress;
use kb_query::Searcher;
use kb_schema::{Manifest, Passage};
use tantivy::Index;

use crate::model::Models;
use crate::{ApproximateDense, SearchResults, Stats};
use crate::{Document, Error, IndexOptions, IndexReport, PassageList, Result, SearchOptions};

/// A knowledge base: an index of passages, with what it takes to search it and to add to it.
///
/// `Kb` is `Send + Sync`: share one behind an [`Arc`] between threads; every method takes
/// `&self`. See the [crate docs](crate) for an example.
pub struct Kb {
    location: Location,
    /// The last commit, ready to search; `None` while the index cannot be searched (damaged,
    /// or of another kb version: indexing replaces it).
    view: RwLock<Option<Arc<View>>>,
    /// One write at a time through this handle.
    writing: Mutex<()>,
    models: Models,
    /// The approximate search by meaning asked for ([`Kb::with_approximate_dense`]).
    #[cfg_attr(not(feature = "semantic"), allow(dead_code))]
    approximate: Option<ApproximateDense>,
}

/// Where the index lives.
enum Location {
    /// In a folder.
    Disk(PathBuf),
    /// In memory; the handle owns the only copy.
    Memory(Index),
}

/// A snapshot of the index as of one commit, ready to search.
struct View {
    searcher: Searcher,
    manifest: Manifest,
    /// Whether `searcher` has the index's embedding model (only ever true on a semantic index).
    embedded: bool,
}

impl Kb {
    /// Opens the index in `dir`. Fails with [`Error::NotFound`] when there is none.
    ///
    /// An index that cannot be searched as it is, damaged ([`Error::Damaged`]) or written by
    /// another version of kb ([`Error::OtherVersion`]), still opens: searches fail with that
    /// error until indexing replaces it (another version's is rebuilt by any
    /// [`Kb::index`] call, a damaged one by [`IndexOptions::rebuild`]).
    pub fn open(dir: impl AsRef<Path>) -> Result<Kb> {
        let dir = dir.as_ref();
        if !kb_schema::index_exists(dir) {
            return Err(Error::NotFound(dir.to_path_buf()));
        }
        Kb::with_location(Location::Disk(dir.to_path_buf()))
    }

    /// Creates an empty index in `dir` (created if needed). Fails with
    /// [`Error::AlreadyExists`] when `dir` holds an index already.
    pub fn create(dir: impl AsRef<Path>) -> Result<Kb> {
        let dir = dir.as_ref();
        if kb_schema::index_exists(dir) {
            return Err(Error::AlreadyExists(dir.to_path_buf()));
        }
        kb_schema::create_index(dir)?;
        Kb::with_location(Location::Disk(dir.to_path_buf()))
    }

    /// Opens the index in `dir`, or creates an empty one if there is none.
    pub fn open_or_create(dir: impl AsRef<Path>) -> Result<Kb> {
        let dir = dir.as_ref();
        if kb_schema::index_exists(dir) {
            Kb::open(dir)
        } else {
            Kb::create(dir)
        }
    }

    /// An empty index in memory: nothing is written to disk, and it is gone with the handle.
    pub fn in_memory() -> Result<Kb> {
        let (index, _) = kb_schema::create_index_in_ram();
        Kb::with_location(Location::Memory(index))
    }

    fn with_location(location: Location) -> Result<Kb> {
        let view = match open_view(&location) {
            Ok(view) => Some(Arc::new(view)),
            Err(err) if err.needs_rebuild() => None,
            Err(err) => return Err(err),
        };
        Ok(Kb {
            location,
            view: RwLock::new(view),
            writing: Mutex::new(()),
            models: Models::default(),
            approximate: None,
        })
    }

    /// The same handle, embedding with the sentence-transformers model in `dir` (`kb --model
    /// DIR`) instead of the one the index records (or, for a new semantic index, the default
    /// model). Searching a semantic index with a model other than its own is
    /// [`Error::ModelMismatch`]; indexing with it re-embeds every passage.
    pub fn with_model_dir(mut self, dir: impl Into<PathBuf>) -> Kb {
        self.models.explicit = Some(dir.into());
        self
    }

    /// The same handle, searching by meaning approximately once the semantic index has at
    /// least `settings.min_passages` passages: each view of the index (one a commit) builds an
    /// HNSW graph over the passages' embeddings in memory, in the background by default, and
    /// searches walk it instead of scanning every embedding (see [`ApproximateDense`] and
    /// `kb_query::Searcher::with_approximate_dense`). For long-lived handles: `kb serve` and
    /// `kb mcp` turn it on with the defaults; `kb search` does not. Every new view (a commit,
    /// a reload) builds its own graph; the build for a view no longer in use stops.
    pub fn with_approximate_dense(mut self, settings: ApproximateDense) -> Kb {
        self.approximate = Some(settings);
        self
    }

    /// Whether searches by meaning walk the approximate graph now
    /// ([`Kb::with_approximate_dense`]): false before the model is loaded (the first search by
    /// meaning loads it), below the threshold and while the graph is being built.
    pub fn approximate_dense_ready(&self) -> bool {
        self.view
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|view| view.searcher.approximate_dense_ready())
    }

    /// The index folder, or `None` for an index in memory.
    pub fn dir(&self) -> Option<&Path> {
        match &self.location {
            Location::Disk(dir) => Some(dir),
            Location::Memory(_) => None,
        }
    }

    /// The embedding model the index's passages were embedded with, or `None` for a lexical
    /// index. Searching such an index ranks by meaning too (unless
    /// [`SearchOptions::semantic`] has weight 0) and needs that model.
    pub fn semantic_model(&self) -> Result<Option<String>> {
        Ok(self.current()?.manifest.semantic.clone())
    }

    /// Whether the next search of this semantic index (or update of it) would first download
    /// the default model: its model is the default one (no model given to the handle, none in
    /// `$KB_MODEL_DIR`, no folder recorded by the index that is still there), not yet in the
    /// model cache, and this build downloads. For a caller that prints, to say so before the
    /// wait; always false for a lexical index.
    pub fn model_needs_download(&self) -> bool {
        #[cfg(feature = "semantic")]
        {
            let Ok(view) = self.current() else { return false };
            view.manifest.semantic.is_some()
                && self.models.needs_download(self.place(), Some(&view.manifest))
        }
        #[cfg(not(feature = "semantic"))]
        {
            false
        }
    }

    /// Searches for `query` (see the README for the query language: words, `"phrases"`,
    /// `+required`, `-excluded`, `title:`, `kind:`, `doc:`). Query text never fails; options
    /// out of range do ([`Error::BadInput`]), and so does a semantic index whose model cannot
    /// be had ([`Error::ModelUnavailable`]: set `opts.semantic.weight` to 0 to rank by words).
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<SearchResults> {
        crate::options::check(opts)?;
        let view = self.current()?;
        let view = if view.manifest.semantic.is_some() && opts.semantic.weight > 0.0 {
            self.embedded(view)?
        } else {
            view
        };
        Ok(view.searcher.search(query, opts)?)
    }

    /// The passage with id `id` (`calf-reduction#3`), or `None`.
    pub fn passage(&self, id: &str) -> Result<Option<Passage>> {
        Ok(self.current()?.searcher.passage(id)?)
    }

    /// The whole document `doc_id`, its passages in order, or `None`.
    pub fn document(&self, doc_id: &str) -> Result<Option<PassageList>> {
        let passages = self.current()?.searcher.document(doc_id)?;
        Ok((!passages.is_empty()).then_some(PassageList { passages }))
    }

    /// What `kb show ID` shows: the passage `id` when there is one (ids hold a `#`), else the
    /// document `id`; `None` when there is neither.
    pub fn show(&self, id: &str) -> Result<Option<PassageList>> {
        if let Some(passage) = self.passage(id)? {
            return Ok(Some(PassageList { passages: vec![passage] }));
        }
        self.document(id)
    }

    /// What the index holds: documents, passages by kind, files, size.
    pub fn stats(&self) -> Result<Stats> {
        let mut stats = self.current()?.searcher.stats()?;
        stats.file_list = None;
        Ok(stats)
    }

    /// [`Kb::stats`] with every source file, indexed or skipped with its reason
    /// ([`Stats::file_list`]).
    pub fn stats_with_files(&self) -> Result<Stats> {
        Ok(self.current()?.searcher.stats()?)
    }

    /// Makes the handle see the last commit, including one made by another process (`kb index`
    /// in another terminal). Writes through this handle are seen without it.
    pub fn reload(&self) -> Result<()> {
        self.refresh()
    }

    /// A fingerprint of the index's last commit on disk, cheap to take (one small file read, no
    /// index opened): it changes with every commit, whichever process makes it. A long-lived
    /// handle polls it and calls [`Kb::reload`] when it changed, so that other processes'
    /// commits are seen within the polling interval (`kb serve` does so). `None` for an index
    /// in memory, which no other process can write.
    pub fn commit_stamp(&self) -> Result<Option<u64>> {
        use std::hash::{Hash, Hasher};
        let Location::Disk(dir) = &self.location else { return Ok(None) };
        // tantivy replaces meta.json atomically on every commit; kb's manifest is its payload.
        let path = dir.join("meta.json");
        let bytes = std::fs::read(&path).map_err(|source| Error::Io { path, source })?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        Ok(Some(hasher.finish()))
    }

    /// Brings the index up to date with the files and folders `paths`, with default options:
    /// only new, changed and removed files are read; a semantic index stays semantic.
    pub fn index(&self, paths: &[impl AsRef<Path>]) -> Result<IndexReport> {
        self.index_with(paths, &IndexOptions::default())
    }

    /// [`Kb::index`] with the options `kb index` has.
    pub fn index_with(
        &self,
        paths: &[impl AsRef<Path>],
        opts: &IndexOptions,
    ) -> Result<IndexReport> {
        self.index_with_progress(paths, opts, &mut |_| {})
    }

    /// [`Kb::index_with`], reporting progress to `progress` (files listed, each file read,
    /// committing) as it goes.
    pub fn index_with_progress(
        &self,
        paths: &[impl AsRef<Path>],
        opts: &IndexOptions,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<IndexReport> {
        let roots: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let indexer_opts = self.indexer_options(opts)?;
        let report = match &self.location {
            Location::Disk(dir) => kb_indexer::update_index(dir, &roots, &indexer_opts, progress)?,
            Location::Memory(index) => {
                kb_indexer::update(index, None, &roots, &indexer_opts, progress)?
            }
        };
        self.refresh()?;
        Ok(report)
    }

    /// Adds documents, or replaces the ones whose ids are already in the index (an upsert).
    /// Pushed documents stay until [`Kb::remove`] removes them: indexing files, even with
    /// `rebuild`, keeps them. An id that a file owns is not replaced: it is listed in the
    /// report's `skipped`. One atomic commit; a semantic index embeds them too.
    pub fn upsert(&self, documents: impl IntoIterator<Item = Document>) -> Result<IndexReport> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let opts = self.indexer_options(&IndexOptions::default())?;
        let report = kb_indexer::push_documents(&self.writable()?, documents, &opts)?;
        self.refresh()?;
        Ok(report)
    }

    /// Removes pushed documents by id, in one atomic commit. Ids the index does not hold as
    /// pushed documents are listed in the report's `skipped`.
    pub fn remove(&self, ids: &[impl AsRef<str>]) -> Result<IndexReport> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let ids: Vec<String> = ids.iter().map(|id| id.as_ref().to_owned()).collect();
        let opts = self.indexer_options(&IndexOptions::default())?;
        let report = kb_indexer::remove_documents(&self.writable()?, &ids, &opts)?;
        self.refresh()?;
        Ok(report)
    }

    /// The index to write to: the one in memory, or the folder's, opened (or created) anew so
    /// that a rebuild by another process is seen.
    fn writable(&self) -> Result<Index> {
        match &self.location {
            Location::Disk(dir) => Ok(kb_schema::open_or_create_index(dir)?.0),
            Location::Memory(index) => Ok(index.clone()),
        }
    }

    /// The indexer's options for `opts`, with the embedding model resolved: the one the index
    /// records unless `opts` says otherwise.
    fn indexer_options(&self, opts: &IndexOptions) -> Result<kb_indexer::IndexOptions> {
        let mut indexer = opts.to_indexer();
        // An index that cannot be opened is rebuilt: lexical unless asked otherwise.
        let current = self.current().ok();
        let semantic_index = current.as_ref().filter(|v| v.manifest.semantic.is_some());
        indexer.semantic = match (opts.semantic, semantic_index) {
            (Some(false), _) | (None, None) => None,
            (Some(true), _) => Some(self.model_for_new_index()?),
            (None, Some(view)) => Some(self.model_for_update(&view.manifest)?),
        };
        Ok(indexer)
    }

    #[cfg(feature = "semantic")]
    fn model_for_new_index(&self) -> Result<kb_indexer::SemanticModel> {
        let model = self.models.for_new_index()?;
        Ok(kb_indexer::SemanticModel { name: model.name, embedder: model.embedder })
    }

    #[cfg(feature = "semantic")]
    fn model_for_update(&self, manifest: &Manifest) -> Result<kb_indexer::SemanticModel> {
        let model = self.models.for_update(self.place(), manifest)?;
        Ok(kb_indexer::SemanticModel { name: model.name, embedder: model.embedder })
    }

    #[cfg(not(feature = "semantic"))]
    fn model_for_new_index(&self) -> Result<kb_indexer::SemanticModel> {
        Err(self.models.unavailable(crate::model::DEFAULT_MODEL))
    }

    #[cfg(not(feature = "semantic"))]
    fn model_for_update(&self, manifest: &Manifest) -> Result<kb_indexer::SemanticModel> {
        Err(self.models.unavailable(manifest.semantic.as_deref().unwrap_or_default()))
    }

    /// The index folder, or what messages call an index in memory.
    #[cfg_attr(not(feature = "semantic"), allow(dead_code))]
    fn place(&self) -> &Path {
        self.dir().unwrap_or(Path::new("(index in memory)"))
    }

    /// The current view; for an index that could not be opened, the error it gives now.
    fn current(&self) -> Result<Arc<View>> {
        if let Some(view) = self.view.read().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(view);
        }
        self.refresh()?;
        self.current()
    }

    /// `view` with the index's embedding model attached (loading it the first time): the view
    /// of the same commit, opened again with the model, is kept as the handle's view.
    fn embedded(&self, view: Arc<View>) -> Result<Arc<View>> {
        if view.embedded {
            return Ok(view);
        }
        let fresh = Arc::new(self.embed(open_view(&self.location)?)?);
        *self.view.write().unwrap_or_else(|e| e.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }

    /// Replaces the view with one of the last commit; with the embedding model attached when
    /// the view it replaces had it and the model still fits (else the next semantic search
    /// says why).
    fn refresh(&self) -> Result<()> {
        let view_lock = self.view.read().unwrap_or_else(|e| e.into_inner());
        let had_model = view_lock.as_ref().is_some_and(|v| v.embedded);
        drop(view_lock);
        let view = open_view(&self.location)?;
        let view = if had_model { self.embed_if_fits(view)? } else { view };
        *self.view.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(view));
        Ok(())
    }

    /// `view` with the model of its semantic index attached when the index is semantic and
    /// its model can be had (the model is looked up once); else `view` as it is.
    #[cfg(feature = "semantic")]
    fn embed_if_fits(&self, view: View) -> Result<View> {
        if view.manifest.semantic.is_none() {
            return Ok(view);
        }
        match self.models.for_search(self.place(), &view.manifest) {
            Ok(model) => attach(view, model.embedder, self.approximate),
            Err(_) => Ok(view),
        }
    }

    #[cfg(not(feature = "semantic"))]
    fn embed_if_fits(&self, view: View) -> Result<View> {
        Ok(view)
    }

    /// `view` with the model of its semantic index attached.
    #[cfg(feature = "semantic")]
    fn embed(&self, view: View) -> Result<View> {
        let model = self.models.for_search(self.place(), &view.manifest)?;
        attach(view, model.embedder, self.approximate)
    }

    #[cfg(not(feature = "semantic"))]
    fn embed(&self, view: View) -> Result<View> {
        Err(self.models.unavailable(view.manifest.semantic.as_deref().unwrap_or_default()))
    }
}

/// `view` with `embedder` attached to its searcher, searching approximately as `approximate`
/// asks.
#[cfg(feature = "semantic")]
fn attach(
    view: View,
    embedder: Arc<kb_embed::Embedder>,
    approximate: Option<ApproximateDense>,
) -> Result<View> {
    let searcher = match approximate {
        Some(settings) => view.searcher.with_approximate_dense(settings),
        None => view.searcher,
    };
    let searcher = searcher.with_embedder(embedder)?;
    Ok(View { searcher, embedded: true, ..view })
}

/// Opens a view of the last commit at `location`, with the synonyms it records.
fn open_view(location: &Location) -> Result<View> {
    let (searcher, manifest) = match location {
        Location::Disk(dir) => {
            let searcher = Searcher::open(dir)?;
            let manifest = searcher.manifest().clone();
            (searcher, manifest)
        }
        Location::Memory(index) => {
            let searcher = Searcher::from_index(index.clone(), None)?;
            let manifest = searcher.manifest().clone();
            (searcher, manifest)
        }
    };
    let synonyms = crate::synonyms::of(&manifest);
    let searcher = match synonyms {
        Some(synonyms) => searcher.with_synonyms(synonyms),
        None => searcher,
    };
    Ok(View { searcher, manifest, embedded: false })
}
