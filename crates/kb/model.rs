//! The embedding model of a semantic index: which folder it is loaded from, and the check that
//! a semantic index is searched (and updated) with the model it was built with.
//!
//! The model is the folder [`crate::Kb::with_model_dir`] names (`kb --model DIR`), else
//! `$KB_MODEL_DIR`, else (for an existing semantic index) the folder the index recorded, else
//! the default model all-MiniLM-L6-v2 in the model cache (`$XDG_CACHE_HOME/kb/models`, else
//! `~/.cache/kb/models`), downloaded there the first time with the `download` feature. A
//! handle loads a model once and keeps it (`Models`), so a long-lived handle (a server) pays
//! the load once. The library never prints: callers that do may say a download is coming
//! ([`needs_download`], [`crate::Kb::model_needs_download`]).
//!
//! A process loads a model once: the handles of one process share the models they load (by
//! the folder, resolved, and its files' lengths and modification times, so a model rewritten
//! in place is loaded again), so `kb index --semantic`, which checks the model before it
//! creates an index, does not load it a second time to index. Loads keep the model's weights
//! ready to use in `ready/` in the model cache (see `kb_embed`'s docs, "The ready file"), so a
//! process that loads a model a previous one loaded maps them instead of reading and converting
//! the model's files.

use std::path::{Path, PathBuf};
#[cfg(feature = "semantic")]
use std::sync::Arc;
use std::sync::Mutex;

use crate::Error;

#[cfg(feature = "semantic")]
pub use kb_embed::Embedder;

/// The name of the model `kb index --semantic` embeds with by default.
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";

/// Where downloaded models are kept: `$XDG_CACHE_HOME/kb/models`, else `$HOME/.cache/kb/models`,
/// else `./.kb-models`.
pub fn model_cache() -> PathBuf {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("XDG_CACHE_HOME")
        .or_else(|| var("HOME").map(|home| home.join(".cache")))
        .map_or_else(|| PathBuf::from(".kb-models"), |cache| cache.join("kb").join("models"))
}

/// Whether building a new semantic index now would first download the default model (no
/// `--model`, no `$KB_MODEL_DIR`, not in the cache, and this build can download): a caller
/// that prints may say so before the wait. For an existing index, whose model may be the
/// folder it recorded, ask the handle: [`crate::Kb::model_needs_download`].
pub fn needs_download(explicit: Option<&Path>) -> bool {
    #[cfg(feature = "semantic")]
    {
        use kb_embed::fetch;
        explicit.is_none()
            && fetch::model_dir_override().is_none()
            && fetch::CAN_DOWNLOAD
            && !fetch::is_cached(&model_cache())
    }
    #[cfg(not(feature = "semantic"))]
    {
        let _ = explicit;
        false
    }
}

/// The default model's download size in bytes (for a caller's message).
pub fn download_size() -> u64 {
    #[cfg(feature = "semantic")]
    {
        kb_embed::fetch::MINILM.size()
    }
    #[cfg(not(feature = "semantic"))]
    {
        0
    }
}

/// Where the default model is downloaded from (for a caller's message).
pub fn download_url() -> String {
    #[cfg(feature = "semantic")]
    {
        kb_embed::fetch::download_url()
    }
    #[cfg(not(feature = "semantic"))]
    {
        String::new()
    }
}

/// Loads the model `explicit` names, else `$KB_MODEL_DIR`'s, else the default model (from the
/// cache, downloaded there first with the `download` feature): its name and the model. A
/// [`crate::Kb`] does this by itself; this is for tools that embed outside an index (`kb eval`
/// builds its own).
#[cfg(feature = "semantic")]
pub fn load(explicit: Option<&Path>) -> Result<(String, Arc<Embedder>), Error> {
    let models = Models { explicit: explicit.map(Path::to_path_buf), ..Models::default() };
    let model = models.for_new_index()?;
    Ok((model.name, model.embedder))
}

/// Where loads keep models' weights ready to use: `ready/` in the [`model_cache`].
#[cfg(feature = "semantic")]
fn ready_cache() -> PathBuf {
    model_cache().join("ready")
}

/// The model in the folder `dir`, loaded once per process (see the module docs), its weights
/// kept ready in `ready_dir`.
#[cfg(feature = "semantic")]
fn load_once(dir: &Path, ready_dir: &Path) -> Result<Arc<Embedder>, kb_embed::EmbedError> {
    use kb_embed::Precision;
    type Key = (PathBuf, Precision, Option<kb_embed::ModelStamp>);
    static LOADED: Mutex<Vec<(Key, Arc<Embedder>)>> = Mutex::new(Vec::new());
    let precision = Precision::default_for_this_cpu();
    let key: Key = (
        dir.canonicalize().unwrap_or_else(|_| dir.to_owned()),
        precision,
        kb_embed::ModelStamp::of(dir),
    );
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, embedder)) = loaded.iter().find(|(k, _)| *k == key) {
        return Ok(Arc::clone(embedder));
    }
    // Loaded from the canonical folder: the model says (and an index records) the same folder
    // whichever way the first caller spelled it.
    let embedder = Arc::new(Embedder::load_ready(&key.0, precision, ready_dir)?);
    // A model rewritten in place replaces its older self.
    loaded.retain(|((d, p, _), _)| !(*d == key.0 && *p == key.1));
    loaded.push((key, Arc::clone(&embedder)));
    Ok(embedder)
}

/// A model and its name, as an index records it.
#[cfg(feature = "semantic")]
#[derive(Clone)]
pub(crate) struct Model {
    pub name: String,
    pub embedder: Arc<Embedder>,
}

/// The models a handle has loaded, by folder, and the folder it was told to use.
#[derive(Default)]
pub(crate) struct Models {
    /// `Kb::with_model_dir`: the model to use instead of the index's.
    pub explicit: Option<PathBuf>,
    #[cfg(feature = "semantic")]
    loaded: Mutex<Vec<(Option<PathBuf>, Model)>>,
    #[cfg(not(feature = "semantic"))]
    _none: Mutex<()>,
}

#[cfg(feature = "semantic")]
mod semantic {
    use super::*;
    use kb_embed::{fetch, ModelInfo};
    use kb_schema::{Manifest, ModelRecord};

    /// Where a model is loaded from.
    enum Origin {
        /// `Kb::with_model_dir`.
        Explicit(PathBuf),
        /// `$KB_MODEL_DIR`.
        Env(PathBuf),
        /// The folder a semantic index recorded.
        Recorded(PathBuf),
        /// all-MiniLM-L6-v2 in the cache.
        Default,
    }

    impl Origin {
        fn dir(&self) -> Option<PathBuf> {
            match self {
                Origin::Explicit(d) | Origin::Env(d) | Origin::Recorded(d) => Some(d.clone()),
                Origin::Default => None,
            }
        }

        /// How the model was named, for messages.
        fn given_by(&self) -> &'static str {
            match self {
                Origin::Explicit(_) => "--model",
                Origin::Env(_) => fetch::MODEL_DIR_ENV,
                Origin::Recorded(_) => "the index",
                Origin::Default => "default",
            }
        }
    }

    fn unavailable(model: &str, reason: impl std::fmt::Display) -> Error {
        Error::ModelUnavailable { model: model.to_owned(), reason: reason.to_string() }
    }

    impl Models {
        /// The explicit choice: the handle's model folder, else `$KB_MODEL_DIR`.
        fn explicit_origin(&self) -> Option<Origin> {
            self.explicit
                .clone()
                .map(Origin::Explicit)
                .or_else(|| fetch::model_dir_override().map(Origin::Env))
        }

        fn load(&self, origin: Origin) -> Result<Model, Error> {
            let key = origin.dir();
            let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, model)) = loaded.iter().find(|(k, _)| *k == key) {
                return Ok(model.clone());
            }
            let dir = match &origin {
                Origin::Default => fetch::ensure_model(&model_cache()).map_err(|e| {
                    unavailable(
                        DEFAULT_MODEL,
                        format_args!(
                            "{e} (--model DIR or {} may name a folder holding a model)",
                            fetch::MODEL_DIR_ENV
                        ),
                    )
                })?,
                Origin::Explicit(dir) | Origin::Env(dir) | Origin::Recorded(dir) => {
                    fetch::check_model_dir(dir, origin.given_by())
                        .map_err(|e| unavailable(&dir.display().to_string(), e))?
                }
            };
            let embedder = load_once(&dir, &ready_cache()).map_err(|e| {
                unavailable(&dir.display().to_string(), format_args!("cannot load it: {e}"))
            })?;
            let model = Model { name: embedder.info().name.clone(), embedder };
            loaded.push((key, model.clone()));
            Ok(model)
        }

        /// Whether loading the model of `manifest`'s index (or, without one, of a new semantic
        /// index) would first download the default model: where [`Models::for_index`] and
        /// [`Models::for_new_index`] look for it, it is the default model and it is not in the
        /// cache.
        pub(crate) fn needs_download(&self, place: &Path, manifest: Option<&Manifest>) -> bool {
            let semantic = manifest.filter(|m| m.semantic.is_some());
            let origin = match (self.explicit_origin(), semantic) {
                (Some(origin), _) => origin,
                (None, Some(manifest)) => match Recorded::of(manifest).origin(place) {
                    Ok(origin) => origin,
                    // No model to be had: an error to come, not a download.
                    Err(_) => return false,
                },
                (None, None) => Origin::Default,
            };
            let loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
            matches!(origin, Origin::Default)
                && !loaded.iter().any(|(key, _)| key.is_none())
                && fetch::CAN_DOWNLOAD
                && !fetch::is_cached(&model_cache())
        }

        /// The model to build a semantic index with (`--semantic`): the explicit one, else the
        /// default model.
        pub(crate) fn for_new_index(&self) -> Result<Model, Error> {
            self.load(self.explicit_origin().unwrap_or(Origin::Default))
        }

        /// The model to search `manifest`'s semantic index with: the explicit one, else the one
        /// the index recorded. Another model than the index's is [`Error::ModelMismatch`].
        pub(crate) fn for_search(&self, place: &Path, manifest: &Manifest) -> Result<Model, Error> {
            self.for_index(place, manifest, false)
        }

        /// The model to update `manifest`'s semantic index with when not told to change it: its
        /// own, or the one the handle was given (which re-embeds every passage). A model other
        /// than the index's named by `$KB_MODEL_DIR` alone is an error: a variable set for other
        /// indexes should not re-embed this one.
        pub(crate) fn for_update(&self, place: &Path, manifest: &Manifest) -> Result<Model, Error> {
            self.for_index(place, manifest, true)
        }

        /// The model for `manifest`'s index: the explicit one, else the one it recorded; one
        /// other than the index's is an error, unless `may_change` and the handle named it.
        fn for_index(
            &self,
            place: &Path,
            manifest: &Manifest,
            may_change: bool,
        ) -> Result<Model, Error> {
            let recorded = Recorded::of(manifest);
            let origin = match self.explicit_origin() {
                Some(origin) => origin,
                None => recorded.origin(place)?,
            };
            let by = origin.given_by();
            let changes = may_change && matches!(origin, Origin::Explicit(_));
            let model = self.load(origin)?;
            if !changes && !recorded.matches(model.embedder.info()) {
                return Err(recorded.mismatch(place, &model, by));
            }
            Ok(model)
        }
    }

    /// What a semantic index says of its model.
    struct Recorded {
        name: String,
        record: Option<ModelRecord>,
    }

    impl Recorded {
        fn of(manifest: &Manifest) -> Recorded {
            Recorded {
                name: manifest.semantic.clone().unwrap_or_default(),
                record: manifest.semantic_model.clone(),
            }
        }

        /// Where the index's model is when no model is named: the folder it recorded if that
        /// is still there, else the default model if it is that one.
        fn origin(&self, place: &Path) -> Result<Origin, Error> {
            let dir = self.record.as_ref().and_then(|r| r.dir.as_ref()).map(PathBuf::from);
            match dir {
                Some(dir) if dir.join("config.json").is_file() => Ok(Origin::Recorded(dir)),
                _ if self.name == DEFAULT_MODEL => Ok(Origin::Default),
                _ => Err(unavailable(
                    &self.name,
                    format_args!(
                        "the index at {} was embedded with {}{}, which is not there any more; \
                         give its folder with --model DIR (or {})",
                        place.display(),
                        describe(&self.name, self.record.as_ref()),
                        dir.map_or_else(String::new, |d| format!(" from {}", d.display())),
                        fetch::MODEL_DIR_ENV
                    ),
                )),
            }
        }

        /// Whether `info` is this model (by name alone for an index that recorded no checksum).
        fn matches(&self, info: &ModelInfo) -> bool {
            match &self.record {
                Some(r) => r.dim == info.dim && r.checksum == info.checksum,
                None => self.name == info.name,
            }
        }

        fn mismatch(&self, place: &Path, model: &Model, by: &str) -> Error {
            let info = model.embedder.info();
            Error::ModelMismatch(format!(
                "the index at {} was embedded with the model {}, not with {} ({} dimensions, \
                 checksum {}) from {} given by {by}: use the index's model, rank by words \
                 (semantic weight 0), or re-embed the index with this model (`kb index \
                 --semantic --model {}`)",
                place.display(),
                describe(&self.name, self.record.as_ref()),
                info.name,
                info.dim,
                short(&info.checksum),
                info.dir.display(),
                info.dir.display(),
            ))
        }
    }

    /// "NAME (D dimensions, checksum 0123456789ab)".
    fn describe(name: &str, record: Option<&ModelRecord>) -> String {
        match record {
            Some(r) => format!("{name} ({} dimensions, checksum {})", r.dim, short(&r.checksum)),
            None => name.to_string(),
        }
    }

    fn short(checksum: &str) -> &str {
        checksum.get(..12).unwrap_or(checksum)
    }
}

#[cfg(not(feature = "semantic"))]
impl Models {
    /// Without the `semantic` feature no model can be had.
    pub(crate) fn unavailable(&self, name: &str) -> Error {
        Error::ModelUnavailable {
            model: name.to_owned(),
            reason: "this build of kb has no semantic ranking (the `semantic` feature is off)"
                .to_owned(),
        }
    }
}

#[cfg(all(test, feature = "semantic"))]
mod tests {
    use super::*;

    #[test]
    fn a_process_loads_a_model_once_and_again_once_it_is_rewritten() {
        let work = tempfile::tempdir().unwrap();
        let (dir, ready) = (work.path().join("model"), work.path().join("ready"));
        kb_embed::testing::write_word_model(&dir, &[&["car", "automobile"], &["soup"]]).unwrap();
        let first = load_once(&dir, &ready).unwrap();
        // The same folder, named another way: the same model, not loaded again.
        let again = load_once(&dir.join(".").join("..").join("model"), &ready).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // Rewritten in place (now "car" and "soup" mean the same): loaded again.
        std::thread::sleep(std::time::Duration::from_millis(20));
        kb_embed::testing::write_word_model(&dir, &[&["car", "soup"], &["automobile"]]).unwrap();
        let rewritten = load_once(&dir, &ready).unwrap();
        assert!(!Arc::ptr_eq(&first, &rewritten));
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        assert!(dot(&rewritten.embed("car"), &rewritten.embed("soup")) > 0.99);
        assert!(dot(&first.embed("car"), &first.embed("soup")).abs() < 1e-6);
    }
}
