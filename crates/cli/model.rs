//! The embedding model of semantic ranking, as the command line sees it: the library finds and
//! loads it (and downloads the default one on first use) without a word, so the command says
//! so first; `kb eval`, which builds its own index, loads the model through the library.

use anyhow::Context;
use kb_indexer::SemanticModel;
use std::path::Path;

/// Says on stderr that the default model is about to be downloaded for a new semantic index,
/// when it is (no `--model`, no `$KB_MODEL_DIR`, not in the cache).
pub fn announce_download(explicit: Option<&Path>) {
    if kb::model::needs_download(explicit) {
        say_download();
    }
}

/// Says on stderr that the default model is about to be downloaded to search or update the
/// semantic index `kb` opens, when it is (the index's model is the default one, not in the
/// cache: not when the index recorded a folder of its own).
pub fn announce_download_for(kb: &kb::Kb) {
    if kb.model_needs_download() {
        say_download();
    }
}

fn say_download() {
    eprintln!(
        "kb: downloading the embedding model {} ({} MB, once) from {} into {}",
        kb::model::DEFAULT_MODEL,
        kb::model::download_size() / 1_000_000,
        kb::model::download_url(),
        kb::model::model_cache().display()
    );
}

/// The model `--model` names, else `$KB_MODEL_DIR`, else the default model, loaded (for
/// `kb eval`, which builds its own index).
pub fn load(explicit: Option<&Path>) -> anyhow::Result<SemanticModel> {
    announce_download(explicit);
    let (name, embedder) = kb::model::load(explicit).context("semantic ranking needs it")?;
    Ok(SemanticModel { name, embedder })
}
