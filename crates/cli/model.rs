//! The embedding model of semantic ranking: found in the cache, or downloaded there on first use.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use kb_embed::{fetch, Embedder};
use kb_indexer::SemanticModel;

use crate::paths;

/// Loads the embedding model (`$KB_MODEL_DIR`, else the model cache, where it is downloaded the
/// first time, saying so on stderr).
pub fn load() -> anyhow::Result<SemanticModel> {
    let cache = paths::model_cache();
    if std::env::var_os("KB_MODEL_DIR").is_none() && !fetch::is_cached(&cache) {
        eprintln!(
            "kb: downloading the embedding model {} (84 MB, once) into {}",
            fetch::MODEL_NAME,
            cache.display()
        );
    }
    let dir = fetch::ensure_model(&cache).with_context(|| {
        format!(
            "cannot get the embedding model {} that semantic ranking needs (set KB_MODEL_DIR \
             to a folder holding it, or rank lexically)",
            fetch::MODEL_NAME
        )
    })?;
    let embedder = Embedder::load(&dir)
        .with_context(|| format!("cannot load the embedding model in {}", dir.display()))?;
    Ok(SemanticModel { name: fetch::MODEL_NAME.to_owned(), embedder: Arc::new(embedder) })
}

/// The model a semantic index at `index_dir` was built with, loaded; `None` for a lexical index
/// (or none at all).
pub fn for_index(index_dir: &Path) -> anyhow::Result<Option<SemanticModel>> {
    let Ok((_, _, manifest)) = kb_schema::open_index_with_manifest(index_dir) else {
        return Ok(None);
    };
    named(index_dir, manifest.semantic.as_deref())
}

/// The model named `name` by the index at `index_dir` (its `Manifest::semantic`), loaded;
/// `None` for none.
pub fn named(index_dir: &Path, name: Option<&str>) -> anyhow::Result<Option<SemanticModel>> {
    match name {
        None => Ok(None),
        Some(name) if name == fetch::MODEL_NAME => load().map(Some),
        Some(other) => anyhow::bail!(
            "the index at {} was embedded with the model {other}, which this kb does not have; \
             `kb index --rebuild` rebuilds it",
            index_dir.display()
        ),
    }
}
