//! The embedding model of a semantic index: found on disk, or fetched on first use.
//!
//! An index records the name of the model its passages were embedded with
//! ([`kb_schema::Manifest::semantic`]). [`Models`] loads a model by that name once per handle
//! and keeps it, so a long-lived [`crate::Kb`] (a server) pays the load once.
//!
//! Where a model comes from: `$KB_MODEL_DIR` names a folder holding it (offline machines);
//! else the cache, `$XDG_CACHE_HOME/kb/models` (or `~/.cache/kb/models`), where the `download`
//! feature fetches it the first time.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::Error;

#[cfg(feature = "semantic")]
pub use kb_embed::Embedder;

/// A model and its name, as an index records it.
#[cfg(feature = "semantic")]
#[derive(Clone)]
pub(crate) struct Model {
    pub name: String,
    pub embedder: Arc<Embedder>,
}

/// The models a handle has loaded, by name.
#[derive(Default)]
pub(crate) struct Models {
    #[cfg(feature = "semantic")]
    loaded: Mutex<Vec<Model>>,
    #[cfg(not(feature = "semantic"))]
    _none: Mutex<()>,
}

/// The name of the model `kb index --semantic` embeds with.
#[cfg(feature = "semantic")]
pub const DEFAULT_MODEL: &str = kb_embed::fetch::MODEL_NAME;
/// The name of the model `kb index --semantic` embeds with.
#[cfg(not(feature = "semantic"))]
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";

/// Where downloaded models are kept: `$XDG_CACHE_HOME/kb/models`, else `$HOME/.cache/kb/models`,
/// else `./.kb-models`.
pub fn model_cache() -> PathBuf {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("XDG_CACHE_HOME")
        .or_else(|| var("HOME").map(|home| home.join(".cache")))
        .map_or_else(|| PathBuf::from(".kb-models"), |cache| cache.join("kb").join("models"))
}

/// Whether using the model named `name` would first download it (it is neither in
/// `$KB_MODEL_DIR` nor in the cache): callers that print may say so before a long wait.
pub fn needs_download(name: &str) -> bool {
    #[cfg(feature = "semantic")]
    {
        name == DEFAULT_MODEL
            && std::env::var_os("KB_MODEL_DIR").is_none_or(|v| v.is_empty())
            && !kb_embed::fetch::is_cached(&model_cache())
    }
    #[cfg(not(feature = "semantic"))]
    {
        let _ = name;
        false
    }
}

#[cfg(feature = "semantic")]
impl Models {
    /// The model named `name`, loaded the first time it is asked for.
    pub(crate) fn get(&self, name: &str) -> Result<Model, Error> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(model) = loaded.iter().find(|m| m.name == name) {
            return Ok(model.clone());
        }
        let model = Model { name: name.to_owned(), embedder: Arc::new(load(name)?) };
        loaded.push(model.clone());
        Ok(model)
    }

    /// The model named `name` if it is loaded already.
    pub(crate) fn get_loaded(&self, name: &str) -> Option<Model> {
        let loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        loaded.iter().find(|m| m.name == name).cloned()
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

/// Loads the model named `name` (from `$KB_MODEL_DIR`, the cache, or by downloading it into
/// the cache with the `download` feature). A [`crate::Kb`] does this by itself, once; this is
/// for tools that embed outside an index.
#[cfg(feature = "semantic")]
pub fn load(name: &str) -> Result<Embedder, Error> {
    let unavailable = |reason: String| Error::ModelUnavailable { model: name.to_owned(), reason };
    if name != DEFAULT_MODEL {
        return Err(unavailable(format!("this kb only knows the model {DEFAULT_MODEL}")));
    }
    let dir = kb_embed::fetch::ensure_model(&model_cache()).map_err(|e| {
        unavailable(format!("{e} (KB_MODEL_DIR may name a folder holding the model)"))
    })?;
    Embedder::load(&dir)
        .map_err(|e| unavailable(format!("cannot load it from {}: {e}", dir.display())))
}
