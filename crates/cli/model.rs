//! The embedding model of semantic ranking, as the command line sees it: the library loads it
//! (and downloads it on first use) without a word, so the command says so first.

use std::sync::Arc;

use anyhow::Context;
use kb_indexer::SemanticModel;

/// Says on stderr that the model `name` is about to be downloaded, when it is.
pub fn announce_download(name: &str) {
    if kb::model::needs_download(name) {
        eprintln!(
            "kb: downloading the embedding model {name} (84 MB, once) into {}",
            kb::model::model_cache().display()
        );
    }
}

/// The default embedding model, loaded (for `kb eval`, which builds its own index).
pub fn load() -> anyhow::Result<SemanticModel> {
    let name = kb::model::DEFAULT_MODEL;
    announce_download(name);
    let embedder = kb::model::load(name).context("semantic ranking needs it")?;
    Ok(SemanticModel { name: name.to_owned(), embedder: Arc::new(embedder) })
}
