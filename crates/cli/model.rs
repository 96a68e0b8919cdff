//! The embedding model of semantic ranking: which folder it is loaded from, and the check that a
//! semantic index is searched with the model it was built with.
//!
//! The model is the folder `--model` names, else `$KB_MODEL_DIR`, else (for an existing semantic
//! index) the folder the index recorded, else the default model all-MiniLM-L6-v2 in the model
//! cache, downloaded there the first time (saying so on stderr).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use kb_embed::{fetch, Embedder, ModelInfo};
use kb_indexer::SemanticModel;
use kb_schema::ModelRecord;

use crate::paths;

/// Where a model is loaded from.
enum Origin {
    /// `--model DIR`.
    Flag(PathBuf),
    /// `$KB_MODEL_DIR`.
    Env(PathBuf),
    /// The folder a semantic index recorded.
    Recorded(PathBuf),
    /// all-MiniLM-L6-v2 in the cache.
    Default,
}

impl Origin {
    /// The explicit choice: `--model`, else `$KB_MODEL_DIR`.
    fn explicit(flag: Option<&Path>) -> Option<Origin> {
        flag.map(|dir| Origin::Flag(dir.to_owned()))
            .or_else(|| fetch::model_dir_override().map(Origin::Env))
    }

    /// How the user named the model, for messages.
    fn given_by(&self) -> &'static str {
        match self {
            Origin::Flag(_) => "--model",
            Origin::Env(_) => fetch::MODEL_DIR_ENV,
            Origin::Recorded(_) => "the index",
            Origin::Default => "default",
        }
    }
}

/// Loads the model `flag` names (`kb index --semantic`, `kb eval`): `--model`, else
/// `$KB_MODEL_DIR`, else the default model.
pub fn load(flag: Option<&Path>) -> anyhow::Result<SemanticModel> {
    load_from(Origin::explicit(flag).unwrap_or(Origin::Default))
}

fn load_from(origin: Origin) -> anyhow::Result<SemanticModel> {
    let dir = match &origin {
        Origin::Flag(dir) | Origin::Env(dir) | Origin::Recorded(dir) => {
            fetch::check_model_dir(dir, origin.given_by()).with_context(|| {
                format!(
                    "cannot get the embedding model that semantic ranking needs (give a \
                     sentence-transformers folder with --model DIR or {}, or rank lexically)",
                    fetch::MODEL_DIR_ENV
                )
            })?
        }
        Origin::Default => default_dir()?,
    };
    let embedder = Embedder::load(&dir)
        .with_context(|| format!("cannot load the embedding model in {}", dir.display()))?;
    Ok(SemanticModel { name: embedder.info().name.clone(), embedder: Arc::new(embedder) })
}

/// The default model's folder in the cache, downloaded there first if need be.
fn default_dir() -> anyhow::Result<PathBuf> {
    let cache = paths::model_cache();
    if fetch::CAN_DOWNLOAD && !fetch::is_cached(&cache) {
        eprintln!(
            "kb: downloading the embedding model {} ({} MB, once) from {} into {}",
            fetch::MODEL_NAME,
            fetch::MINILM.size() / 1_000_000,
            fetch::download_url(),
            cache.display()
        );
    }
    fetch::ensure_model(&cache).with_context(|| {
        format!(
            "cannot get the embedding model {} that semantic ranking needs (set {} or --model \
             to a folder holding it, or rank lexically)",
            fetch::MODEL_NAME,
            fetch::MODEL_DIR_ENV
        )
    })
}

/// What a semantic index says of its model: the name and, if recorded, dimension, checksum
/// and folder.
struct Recorded {
    name: String,
    record: Option<ModelRecord>,
}

/// The model of the index at `index_dir`, from its manifest; `None` for a lexical index (or
/// none at all).
fn recorded(index_dir: &Path) -> Option<Recorded> {
    let (_, _, manifest) = kb_schema::open_index_with_manifest(index_dir).ok()?;
    Some(Recorded { name: manifest.semantic?, record: manifest.semantic_model })
}

/// Where the model of a semantic index comes from when no model is named: the folder it
/// recorded if that is still there, else the default model if it is that one.
fn origin_for(index_dir: &Path, recorded: &Recorded) -> anyhow::Result<Origin> {
    let dir = recorded.record.as_ref().and_then(|r| r.dir.as_ref()).map(PathBuf::from);
    match dir {
        Some(dir) if dir.join("config.json").is_file() => Ok(Origin::Recorded(dir)),
        _ if recorded.name == fetch::MODEL_NAME => Ok(Origin::Default),
        _ => bail!(
            "the index at {} was embedded with the model {}{}, which is not there any more; \
             give its folder with --model DIR (or {}), or rank lexically with --semantic 0",
            index_dir.display(),
            describe(&recorded.name, recorded.record.as_ref()),
            dir.map_or_else(String::new, |d| format!(" from {}", d.display())),
            fetch::MODEL_DIR_ENV
        ),
    }
}

/// Whether `info` is the model `recorded` describes (by name alone for an index that recorded
/// no checksum).
fn matches(recorded: &Recorded, info: &ModelInfo) -> bool {
    match &recorded.record {
        Some(r) => r.dim == info.dim && r.checksum == info.checksum,
        None => recorded.name == info.name,
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

/// The error for searching (or updating) the index at `index_dir` with another model.
fn mismatch(
    index_dir: &Path,
    recorded: &Recorded,
    model: &SemanticModel,
    by: &str,
) -> anyhow::Error {
    let info = model.embedder.info();
    anyhow::anyhow!(
        "the index at {} was embedded with the model {}, not with {} ({} dimensions, checksum {}) \
         from {} given by {by}: use the index's model, rank lexically with --semantic 0, or \
         re-embed the index with this model (`kb index --semantic --model {}`)",
        index_dir.display(),
        describe(&recorded.name, recorded.record.as_ref()),
        info.name,
        info.dim,
        short(&info.checksum),
        info.dir.display(),
        info.dir.display(),
    )
}

/// The model to search the index at `index_dir` with, whose manifest names `name` as its model
/// (`None`: a lexical index, which needs none): the one `flag` or `$KB_MODEL_DIR` names, else
/// the one the index recorded. A model other than the index's is an error.
pub fn for_search(
    index_dir: &Path,
    name: Option<&str>,
    flag: Option<&Path>,
) -> anyhow::Result<Option<SemanticModel>> {
    if name.is_none() {
        return Ok(None);
    }
    let Some(recorded) = recorded(index_dir) else { return Ok(None) };
    let origin = match Origin::explicit(flag) {
        Some(origin) => origin,
        None => origin_for(index_dir, &recorded)?,
    };
    let by = origin.given_by();
    let model = load_from(origin)?;
    if !matches(&recorded, model.embedder.info()) {
        return Err(mismatch(index_dir, &recorded, &model, by));
    }
    Ok(Some(model))
}

/// The model to update the index at `index_dir` with when `kb index` is not given `--semantic`:
/// `None` for a lexical index; for a semantic one, its own model, or the one `flag` names (a
/// model other than the index's then re-embeds every passage). A model other than the index's
/// named by `$KB_MODEL_DIR` alone is an error: a variable set for other indexes should not
/// re-embed this one.
pub fn for_index(index_dir: &Path, flag: Option<&Path>) -> anyhow::Result<Option<SemanticModel>> {
    let Some(recorded) = recorded(index_dir) else { return Ok(None) };
    let origin = match Origin::explicit(flag) {
        Some(origin) => origin,
        None => origin_for(index_dir, &recorded)?,
    };
    let by = origin.given_by();
    let explicit = matches!(origin, Origin::Flag(_));
    let model = load_from(origin)?;
    if !explicit && !matches(&recorded, model.embedder.info()) {
        return Err(mismatch(index_dir, &recorded, &model, by));
    }
    Ok(Some(model))
}
