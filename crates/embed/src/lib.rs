/*!
Sentence embeddings for kb: a text -> a unit vector, such that texts of similar meaning have a
high cosine (dot product).

The model is [all-MiniLM-L6-v2] (Apache-2.0, by sentence-transformers): a 6-layer BERT with
hidden size 384, its uncased WordPiece tokenizer, mean pooling over all tokens (`[CLS]` and
`[SEP]` included) and L2 normalization; inputs longer than 256 tokens (with `[CLS]` and `[SEP]`)
are truncated. Everything runs in pure Rust on the CPU: the tokenizer is written here (it agrees
with Hugging Face `tokenizers`), the matrix products are `matrixmultiply`'s sgemm, one text at a
time with no padding. The embeddings agree with a numpy implementation of the model within 3e-7
per dimension. A 256-token text takes about 80 ms of one core; [`Embedder::embed_batch`] spreads
texts over rayon's threads. The loaded model is 91 MB of f32 weights (loading takes about 0.2 s
and peaks near twice that, the file being read whole).

[`Embedder::load`] reads a model directory (`config.json`, `model.safetensors` and `vocab.txt`
or `tokenizer.json`); [`fetch::ensure_model`] downloads one into a cache directory on first use
(or takes the directory named by `KB_MODEL_DIR`). Any uncased BERT checkpoint of the same family
(absolute positions, GELU) loads the same way.

[all-MiniLM-L6-v2]: https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2

# Example

```no_run
use kb_embed::{fetch, Embedder};

let dir = fetch::ensure_model(std::path::Path::new(".kb/models"))?;
let embedder = Embedder::load(&dir)?;
let a = embedder.embed("This is an example sentence");
let b = embedder.embed("Each sentence is converted");
assert_eq!(a.len(), embedder.dim());
let cosine: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum(); // the vectors have norm 1
println!("cosine {cosine:.3}");
let many = embedder.embed_batch(&["first text", "second text"]); // in parallel
assert_eq!(many.len(), 2);
# Ok::<(), kb_embed::EmbedError>(())
```
*/

#![warn(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub mod fetch;
mod model;
pub mod testing;
mod tokenizer;

#[cfg(test)]
mod tests_golden {
    include!("../tests/data/golden.rs");
}

/// The default longest input in tokens, `[CLS]` and `[SEP]` included (all-MiniLM-L6-v2's
/// `max_seq_length`), when the model directory has no `sentence_bert_config.json`.
const DEFAULT_MAX_SEQ_LENGTH: usize = 256;

/// A sentence embedding model loaded in memory. `Send + Sync`: share one between threads.
#[derive(Debug)]
pub struct Embedder {
    tokenizer: tokenizer::WordPiece,
    model: model::Bert,
    max_len: usize,
}

/// Why a model could not be loaded or fetched. Each names the file (or URL) at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// A file could not be read or written (missing, unreadable, disk full...).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is not what it should be: bad JSON, a truncated safetensors file, a tensor of the
    /// wrong shape, an unsupported configuration, a bad zip archive.
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The safetensors file lacks a tensor the model needs.
    #[error("{}: no tensor {name} (nor bert.{name})", path.display())]
    MissingTensor {
        /// The safetensors file.
        path: PathBuf,
        /// The tensor's name, without the optional `bert.` prefix.
        name: String,
    },
    /// A downloaded or extracted file does not have the expected SHA-256.
    #[error("{}: SHA-256 {actual}, expected {expected}", path.display())]
    Checksum {
        /// The file (or the URL it came from).
        path: PathBuf,
        /// The expected digest, lowercase hex.
        expected: String,
        /// The digest found, lowercase hex.
        actual: String,
    },
    /// The model could not be downloaded.
    #[error("downloading {url}: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

impl EmbedError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> EmbedError {
        EmbedError::Io { path: path.to_owned(), source }
    }

    pub(crate) fn format(path: &Path, reason: impl Into<String>) -> EmbedError {
        EmbedError::Format { path: path.to_owned(), reason: reason.into() }
    }
}

pub(crate) fn read_to_string(path: &Path) -> Result<String, EmbedError> {
    std::fs::read_to_string(path).map_err(|e| EmbedError::io(path, e))
}

impl Embedder {
    /// Loads the model in `model_dir`: `config.json` (a BERT config), `model.safetensors` (F32,
    /// F16 or BF16 weights, names with or without the `bert.` prefix), and the vocabulary from
    /// `vocab.txt`, or from `tokenizer.json` when there is no `vocab.txt`. The longest input is
    /// `sentence_bert_config.json`'s `max_seq_length` if that file exists, else 256 tokens.
    ///
    /// The tokenizer is always BERT's uncased one (lowercasing, accents stripped).
    pub fn load(model_dir: &Path) -> Result<Embedder, EmbedError> {
        let config_path = model_dir.join("config.json");
        let config = model::Config::load(&config_path)?;

        let (vocab_path, vocab) = load_vocab(model_dir)?;
        let tokenizer = tokenizer::WordPiece::new(vocab)
            .map_err(|reason| EmbedError::format(&vocab_path, reason))?;
        if tokenizer.max_id() as usize >= config.vocab_size {
            return Err(EmbedError::format(
                &vocab_path,
                format!(
                    "token id {} is beyond the model's vocab_size {} ({})",
                    tokenizer.max_id(),
                    config.vocab_size,
                    config_path.display()
                ),
            ));
        }

        let max_len = max_seq_length(model_dir)?.min(config.max_position_embeddings);
        let model = model::Bert::load(config, &model_dir.join("model.safetensors"))?;
        Ok(Embedder { tokenizer, model, max_len })
    }

    /// The length of the embeddings (384 for all-MiniLM-L6-v2).
    pub fn dim(&self) -> usize {
        self.model.config().hidden_size
    }

    /// The embedding of `text`: [`dim`](Self::dim) numbers of L2 norm 1. Only the first 256
    /// tokens count (254 word pieces between `[CLS]` and `[SEP]`); the empty text has an
    /// embedding too. Runs on the calling thread.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let ids = self.tokenizer.encode(text, self.max_len);
        self.model.embed(&ids)
    }

    /// The embeddings of `texts`, in order; each is exactly [`embed`](Self::embed)'s. The texts
    /// are spread over rayon's thread pool.
    pub fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts.par_iter().map(|text| self.embed(text)).collect()
    }
}

/// The vocabulary: `vocab.txt`, or `tokenizer.json`'s `model.vocab` when there is no
/// `vocab.txt`. Returns the file it came from, for errors.
fn load_vocab(model_dir: &Path) -> Result<(PathBuf, HashMap<String, u32>), EmbedError> {
    let txt = model_dir.join("vocab.txt");
    let json = model_dir.join("tokenizer.json");
    if txt.is_file() || !json.is_file() {
        let vocab = tokenizer::WordPiece::parse_vocab_txt(&read_to_string(&txt)?);
        return Ok((txt, vocab));
    }
    let value: serde_json::Value = serde_json::from_str(&read_to_string(&json)?)
        .map_err(|e| EmbedError::format(&json, format!("not JSON: {e}")))?;
    let model = &value["model"];
    if model["type"] != "WordPiece" {
        return Err(EmbedError::format(&json, "not a WordPiece tokenizer"));
    }
    let entries = model["vocab"]
        .as_object()
        .ok_or_else(|| EmbedError::format(&json, "no model.vocab object"))?;
    let mut vocab = HashMap::with_capacity(entries.len());
    for (token, id) in entries {
        let id = id
            .as_u64()
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| EmbedError::format(&json, format!("token {token:?} has no valid id")))?;
        vocab.insert(token.clone(), id);
    }
    Ok((json, vocab))
}

/// `sentence_bert_config.json`'s `max_seq_length`, or 256 if there is no such file.
fn max_seq_length(model_dir: &Path) -> Result<usize, EmbedError> {
    let path = model_dir.join("sentence_bert_config.json");
    if !path.exists() {
        return Ok(DEFAULT_MAX_SEQ_LENGTH);
    }
    let value: serde_json::Value = serde_json::from_str(&read_to_string(&path)?)
        .map_err(|e| EmbedError::format(&path, format!("not JSON: {e}")))?;
    match value["max_seq_length"].as_u64() {
        Some(n) if n >= 2 => Ok(n as usize),
        _ => Err(EmbedError::format(&path, "max_seq_length is not a number of at least 2")),
    }
}
