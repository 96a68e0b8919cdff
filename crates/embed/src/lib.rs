/*!
Sentence embeddings for kb: a text -> a unit vector, such that texts of similar meaning have a
high cosine (dot product).

The default model is [all-MiniLM-L6-v2] (Apache-2.0, by sentence-transformers): a 6-layer BERT
with hidden size 384, its uncased WordPiece tokenizer, mean pooling over all tokens (`[CLS]` and
`[SEP]` included) and L2 normalization; inputs longer than 256 tokens (with `[CLS]` and `[SEP]`)
are truncated, and passages to be searched at [`PASSAGE_MAX_TOKENS`] (208). Everything runs in
pure Rust on the CPU: the tokenizer is written here (it agrees with Hugging Face `tokenizers`).

# Speed: int8 linear layers, packed texts

Nine tenths of the work of a text are the four linear layers of each transformer layer. With
[`Precision::Int8`] (what [`Embedder::load`] picks on a CPU with AVX-512 VNNI) their weights
are quantized to int8 per output column once, at load, and stored in the layout the kernel
reads; the activations are quantized to 8 bits per token at each product, and the integer
products are summed exactly in i32 by `vpdpbusd` (64 byte products an instruction), then
scaled back to f32 (`quant`); on VNNI the quantization of the activations and the scaling
back run in AVX-512 too, inside the kernel. Beside them, on a CPU with AVX-512 BF16,
attention's two products take bfloat16 operands (`vdpbf16ps`, f32 sums; the `attention`
module says why it has its own kernel). Softmax, GELU, LayerNorm and pooling stay f32, and the
whole forward pass is compiled twice, for AVX-512 and for any x86-64, the same operations in
the same order (so the same numbers) on 16 lanes or 4. The int8 products give the same
integers on every CPU (a portable loop stands in for VNNI), and a token's activations are
quantized on their own, so packing texts together changes nothing; bf16 attention runs only
where the CPU has it, so a CPU without it embeds with f32 attention (the embeddings differ by
less than the int8 layers' rounding).
With [`Precision::F32`] (other CPUs, or `KB_EMBED_PRECISION=f32`) the products are
`matrixmultiply`'s sgemm and the embeddings agree with a numpy implementation of the model
within 3e-7 per dimension. BENCHMARKS.md ("Embedding") has both speeds side by side and the
cosine between their embeddings (on 400 SciFact abstracts, int8 with bf16 attention is x3.44
as fast as f32, with a cosine of at least 0.998), and `kb eval`'s nDCG@10 with each (within
0.0017 on SciFact and NFCorpus).

[`Embedder::embed_batch`] packs consecutive texts into groups of about [`PACK_TOKENS`] tokens
whose rows are stacked (no padding) so that each linear layer is one matrix product for the
group, attention running per text, and spreads the groups over rayon's threads. The embeddings
are exactly those of one text at a time ([`Embedder::embed_each`]); side by side on the same
texts in one run (`examples/embed.rs bench`, 2 threads on a busy 2-core machine, f32), packing
embeds 1000 SciFact claims (about 20 tokens each) 2.4 times as fast (58 vs 24 texts/s) and long
texts about as fast (SciFact abstracts x1.05, MedQuAD answer paragraphs x1.05): for long texts
the matrix products are already large. The loaded f32 model is 91 MB of weights; int8 keeps
the linear layers in a quarter of that.

# The ready file: a model loaded in milliseconds

Loading a model from its folder reads `model.safetensors` (91 MB), converts and transposes its
matrices, quantizes the linear layers and hashes every file for [`ModelInfo::checksum`]: about
a quarter of a second, which every `kb search` of a semantic index used to pay. With
[`Embedder::load_ready`] the first load also writes the model's *ready file* into a folder the
caller names (kb: `$XDG_CACHE_HOME/kb/models/ready`): the exact arrays the forward pass reads
(the int8 matrices with their scales in the kernel's layout, or the transposed f32 ones;
embeddings, layer norms, biases), after a header that says which model and which source files
(length, modification time, inode) they come from. Later loads memory-map it and use the
arrays in place: nothing is copied, converted or hashed, and of the word embedding table only
the rows a text needs are read from disk. The embeddings are the same bit for bit. A changed
model file, a damaged, truncated or foreign ready file, or a cache that cannot be written only
cost the speed: the model loads from its folder (and the ready file is written again when it
can be). The file, its checks and why the caller chooses the folder: the `ready` module
(`src/ready.rs`). BENCHMARKS.md ("Embedding") has whole-process `kb search` before and after.

# Why not `candle` and `tokenizers`

Meilisearch runs its local embedders on `candle` (Hugging Face's tensor library) with the
`tokenizers` crate. kb keeps its own forward pass and tokenizer: `candle`'s BERT runs on the
CPU in f32 (or f16/bf16) matrix products, the same sgemm-class arithmetic as the f32 path here,
so it would not bring the int8 VNNI products that make embedding fast; it would add a tensor
library and its dependencies to every build for a 6-layer encoder that fits in one file.
`tokenizers` opens every tokenizer a `tokenizer.json` describes (BPE and Unigram too: XLM-R
based models such as multilingual e5), where kb's WordPiece opens the BERT-uncased family
(MiniLM, bge, e5 English). That is the case for adding it later; until a user needs a model of
another tokenizer, the hand-written one stays (it agrees with `tokenizers` on the tests'
texts). Neither was built here for a timed comparison: the decision rests on what each does.

# Any sentence-transformers folder of a BERT encoder

[`Embedder::load`] reads a model folder as sentence-transformers saves it:

- `config.json` (a BERT config: absolute positions, GELU), `model.safetensors` (F32, F16 or BF16,
  names with or without the `bert.` prefix), and `vocab.txt`, or `tokenizer.json` (WordPiece)
  when there is no `vocab.txt`. The tokenizer is BERT's uncased one (lowercasing, accents
  stripped), as the MiniLM, bge and e5 English models use.
- `sentence_bert_config.json`: `max_seq_length` (default 256).
- `modules.json`: the transformer, one Pooling module and optionally Normalize; any other
  module (Dense...) is refused with an error naming it. Without `modules.json`: mean pooling.
- the Pooling module's `config.json` (`1_Pooling/config.json`): mean (or mean/√length), `[CLS]`
  or max pooling ([`Pooling`]).
- prefixes that e5 (`"query: "`, `"passage: "`) and bge (`"Represent this sentence for searching
  relevant passages: "` before queries) expect: `config_sentence_transformers.json`'s
  `prompts` (`query`; `passage`, `document` or `corpus`), overridden by kb's own `kb.json` if
  the folder has one: `{"name": "e5-small-v2", "query_prefix": "query: ", "passage_prefix":
  "passage: "}` (every key optional). [`Embedder::embed_query`] and
  [`Embedder::embed_passages`] apply them; [`Embedder::embed`] does not.

Vectors are always L2-normalized, since kb compares them by cosine (a dot product of unit
vectors): for a folder whose `modules.json` lists Normalize that is the model's own last step;
for one that does not (e5-small-v2, the multilingual MiniLM), cosine is the similarity the
model is meant for, and normalizing changes no ranking. [`ModelInfo`] says what was read, with
a name and a checksum that identify the model.

[`fetch::ensure_model`] provides the default model: the folder named by `KB_MODEL_DIR`, or
the one in kb's cache, downloaded there on first use (the `download` feature).

[all-MiniLM-L6-v2]: https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2

# Example

```no_run
use kb_embed::{fetch, Embedder};

let dir = fetch::ensure_model(std::path::Path::new(".kb/models"))?;
let embedder = Embedder::load(&dir)?;
let q = embedder.embed_query("how many people live in Berlin?");
let p = embedder.embed_passages(&["Berlin has 3.7 million inhabitants.", "Soup recipes."]);
assert_eq!(q.len(), embedder.dim());
let cosine: f32 = q.iter().zip(&p[0]).map(|(x, y)| x * y).sum(); // the vectors have norm 1
println!("{} ({} dims): cosine {cosine:.3}", embedder.info().name, embedder.dim());
# Ok::<(), kb_embed::EmbedError>(())
```
*/

#![warn(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

mod attention;
pub mod fetch;
mod folder;
mod linalg;
mod model;
mod quant;
mod ready;
pub mod testing;
mod tokenizer;

#[cfg(test)]
mod tests_golden {
    include!("../tests/data/golden.rs");
}

/// The tokens [`Embedder::embed_batch`] gathers into one packed group (a text longer than that
/// is a group of its own): enough rows that packing the weights costs little per row.
pub const PACK_TOKENS: usize = 256;

/// The longest passage [`Embedder::embed_passages`] embeds, in tokens (`[CLS]` and `[SEP]`
/// included): a passage is embedded from its first 208 tokens, or the model's `max_seq_length`
/// if that is shorter. Queries keep the model's whole length.
///
/// kb's length policy, measured on quality (BENCHMARKS.md, "A length policy"): the shortest
/// length tried whose `kb eval` nDCG@10 on the tuning splits (SciFact train, NFCorpus dev)
/// stays within 0.0025 of the f32 model at its full 256 tokens, half the 0.005 that int8 may
/// cost. With all-MiniLM-L6-v2: 208 tokens 0.7306 and 0.3415 against f32's 0.7327 and 0.3425
/// (256: 0.7317 and 0.3423; 224: 0.7341 and 0.3413; 192: 0.7286, 0.0041 under, and 0.3418).
/// The linear layers' work is per token and attention's per pair of tokens, so SciFact's
/// abstracts (86% of them longer than 208 tokens, 71% longer than 256) index in a sixth less
/// time. Windows over a long passage would cost more, not less. The length is not part of
/// [`ModelInfo::checksum`]: an index whose passages were embedded at another length is still
/// searched and updated with the same model (the two embeddings of a long passage are near).
pub const PASSAGE_MAX_TOKENS: usize = 208;

/// The default longest input in tokens, `[CLS]` and `[SEP]` included (all-MiniLM-L6-v2's
/// `max_seq_length`), when the model directory has no `sentence_bert_config.json`.
const DEFAULT_MAX_SEQ_LENGTH: usize = 256;

/// A sentence embedding model loaded in memory. `Send + Sync`: share one between threads.
#[derive(Debug)]
pub struct Embedder {
    tokenizer: tokenizer::WordPiece,
    model: model::Bert,
    max_len: usize,
    info: ModelInfo,
    /// The ready file the weights are mapped from, if they are.
    ready_file: Option<PathBuf>,
}

/// The number format of the linear layers' weights (nine tenths of the work of a text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// The model's own f32 weights, products by `matrixmultiply`'s sgemm.
    F32,
    /// Weights quantized to int8 per output column when loaded, activations to 8 bits per
    /// token at each product, integer products summed exactly (AVX-512 VNNI where the CPU has
    /// it, a portable loop elsewhere).
    Int8,
}

impl Precision {
    /// The precision [`Embedder::load`] uses: the environment variable `KB_EMBED_PRECISION`
    /// (`f32` or `int8`) if set to one of these, else int8 on a CPU with AVX-512 VNNI and
    /// f32 elsewhere (where the portable int8 loop is slower than f32 sgemm).
    pub fn default_for_this_cpu() -> Precision {
        match std::env::var("KB_EMBED_PRECISION").as_deref() {
            Ok("f32") => Precision::F32,
            Ok("int8") => Precision::Int8,
            _ if quant::has_vnni() => Precision::Int8,
            _ => Precision::F32,
        }
    }

    /// The format's name: `f32` or `int8`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
        }
    }
}

/// How the token vectors of the last layer become one vector (the sentence-transformers Pooling
/// module's mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Their mean, every token counted (all-MiniLM-L6-v2, e5).
    Mean,
    /// The `[CLS]` token's vector (bge).
    Cls,
    /// Their elementwise maximum.
    Max,
}

impl Pooling {
    /// The mode's name: `mean`, `cls` or `max`.
    pub fn as_str(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
            Pooling::Max => "max",
        }
    }
}

/// What a loaded model is: what identifies it, and the settings read from its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModelInfo {
    /// A name for people: `kb.json`'s `name`, else `all-MiniLM-L6-v2` for that model, else the
    /// folder's name.
    pub name: String,
    /// The length of the embeddings.
    pub dim: usize,
    /// What identifies the model: blake3 (hex) over the files that decide its embeddings
    /// (`config.json`, the vocabulary, `model.safetensors`) and the settings below. Two folders
    /// with the same checksum give the same embeddings.
    pub checksum: String,
    /// The pooling.
    pub pooling: Pooling,
    /// Whether the folder's `modules.json` lists a Normalize module (or there is none); kb's
    /// embeddings are unit vectors either way.
    pub normalize: bool,
    /// Put before a query by [`Embedder::embed_query`].
    pub query_prefix: String,
    /// Put before a passage by [`Embedder::embed_passages`].
    pub passage_prefix: String,
    /// The longest input in tokens, `[CLS]` and `[SEP]` included.
    pub max_tokens: usize,
    /// The longest passage in tokens ([`Embedder::embed_passages`]): `max_tokens`, at most
    /// [`PASSAGE_MAX_TOKENS`]. Not part of the checksum: kb's policy, not the model's.
    pub passage_tokens: usize,
    /// The folder the model was loaded from.
    pub dir: PathBuf,
    /// The number format of the linear layers. Not part of the checksum: the embeddings of
    /// the two agree closely (see [`Precision`]), so an index built with one is searched with
    /// the other.
    pub precision: Precision,
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
    /// Loads the model in the folder `model_dir` (see the crate docs for the files read) in
    /// [`Precision::default_for_this_cpu`]: any error names the file at fault.
    pub fn load(model_dir: &Path) -> Result<Embedder, EmbedError> {
        Embedder::load_with(model_dir, Precision::default_for_this_cpu())
    }

    /// [`load`](Self::load) with the linear layers in `precision`.
    pub fn load_with(model_dir: &Path, precision: Precision) -> Result<Embedder, EmbedError> {
        Embedder::load_from(model_dir, precision, None)
    }

    /// [`load_with`](Self::load_with), keeping the model's weights ready to use in the folder
    /// `ready_dir` (created if need be): the first load writes the model's ready file there
    /// (the weights as the forward pass reads them: see the crate docs), later loads map it
    /// instead of reading, converting and hashing the model's files, as long as those files
    /// are unchanged. The embeddings are the same bit for bit. A ready file that cannot be
    /// written or read costs only the speed: the model loads from its folder, and errors are
    /// those of [`load_with`](Self::load_with).
    pub fn load_ready(
        model_dir: &Path,
        precision: Precision,
        ready_dir: &Path,
    ) -> Result<Embedder, EmbedError> {
        Embedder::load_from(model_dir, precision, Some(ready_dir))
    }

    fn load_from(
        model_dir: &Path,
        precision: Precision,
        ready_dir: Option<&Path>,
    ) -> Result<Embedder, EmbedError> {
        let [config_path, vocab_path, weights_path] = source_paths(model_dir);
        // The stat data first: a file changed after it is read is seen changed next time.
        let sources = ready_dir.and_then(|_| ModelStamp::of(model_dir)).map(|stamp| stamp.0);
        let config_bytes =
            std::fs::read(&config_path).map_err(|e| EmbedError::io(&config_path, e))?;
        let config = model::Config::parse(&config_path, &config_bytes)?;

        let vocab_bytes = std::fs::read(&vocab_path).map_err(|e| EmbedError::io(&vocab_path, e))?;
        let vocab = parse_vocab(&vocab_path, &vocab_bytes)?;
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

        let max_len = folder::max_seq_length(model_dir)?.min(config.max_position_embeddings);
        let settings = folder::read(model_dir, config.hidden_size)?;
        let described = serde_json::json!([
            settings.pooling.as_str(),
            settings.query_prefix,
            settings.passage_prefix,
            max_len,
        ])
        .to_string();
        let dim = config.hidden_size;
        let key = match (ready_dir, sources) {
            (Some(ready_dir), Some(sources)) => {
                let dir = model_dir.canonicalize().unwrap_or_else(|_| model_dir.to_owned());
                let key =
                    ready::Key { dir, precision, config: &config, described: &described, sources };
                let path = key.path(ready_dir);
                Some((key, path))
            }
            _ => None,
        };

        // The ready file, if it is this model's (the weights are not read), else the folder.
        let mut loaded = None;
        if let Some((key, path)) = &key {
            if let Ok(ready) = ready::open(path, key) {
                let verified = !ready.racy || {
                    // Racy: trusted once the sources give the recorded checksum again.
                    let weights = std::fs::read(&weights_path)
                        .map_err(|e| EmbedError::io(&weights_path, e))?;
                    checksum(&[&config_bytes, &vocab_bytes, &weights], &described) == ready.checksum
                };
                if verified {
                    if let Ok(model) = model::Bert::from_ready(config.clone(), &ready, precision) {
                        if ready.racy && key.settled() {
                            // Written again now, it is no longer racy for the next load.
                            let _ = ready::write(path, key, &ready.checksum, &model.named_arrays());
                        }
                        loaded = Some((model, ready.checksum.clone(), Some(path.clone())));
                    }
                }
            }
        }
        let (model, checksum, ready_file) = match loaded {
            Some(loaded) => loaded,
            None => {
                let weights =
                    std::fs::read(&weights_path).map_err(|e| EmbedError::io(&weights_path, e))?;
                let model = model::Bert::load(config.clone(), &weights_path, &weights, precision)?;
                let checksum = checksum(&[&config_bytes, &vocab_bytes, &weights], &described);
                drop(weights);
                if let Some((key, path)) = &key {
                    // Failing to write it costs only the next load's speed.
                    let _ = ready::write(path, key, &checksum, &model.named_arrays());
                }
                (model, checksum, None)
            }
        };

        let name = match settings.name {
            Some(name) => name,
            None if checksum == fetch::MINILM_CHECKSUM => fetch::MODEL_NAME.to_string(),
            None => folder_name(model_dir),
        };
        let info = ModelInfo {
            name,
            dim,
            checksum,
            pooling: settings.pooling,
            normalize: settings.normalize,
            query_prefix: settings.query_prefix,
            passage_prefix: settings.passage_prefix,
            max_tokens: max_len,
            passage_tokens: max_len.min(PASSAGE_MAX_TOKENS),
            dir: model_dir.to_owned(),
            precision,
        };
        Ok(Embedder { tokenizer, model, max_len, info, ready_file })
    }

    /// The ready file this model's weights are mapped from ([`load_ready`](Self::load_ready)
    /// found one of this model), or `None` when they were read from the model's folder.
    pub fn ready_file(&self) -> Option<&Path> {
        self.ready_file.as_deref()
    }

    /// What the model is: name, dimension, checksum, settings.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The length of the embeddings (384 for all-MiniLM-L6-v2).
    pub fn dim(&self) -> usize {
        self.info.dim
    }

    /// The embedding of `text` as it is (no prefix): [`dim`](Self::dim) numbers of L2 norm 1.
    /// Only the first [`ModelInfo::max_tokens`] tokens count (254 word pieces between `[CLS]`
    /// and `[SEP]` for all-MiniLM-L6-v2); the empty text has an embedding too. Runs on the
    /// calling thread.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let ids = self.tokenizer.encode(text, self.max_len);
        self.model.embed(&ids, self.info.pooling)
    }

    /// The embeddings of `texts` as they are, in order; each is [`embed`](Self::embed)'s.
    ///
    /// Consecutive texts are packed into groups of about [`PACK_TOKENS`] tokens whose linear
    /// layers run as one matrix product (see the crate docs), and the groups are spread over
    /// rayon's thread pool.
    pub fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.embed_batch_within(texts, self.max_len)
    }

    /// [`embed_batch`](Self::embed_batch) of the first `max_len` tokens of each text.
    fn embed_batch_within(&self, texts: &[&str], max_len: usize) -> Vec<Vec<f32>> {
        let ids: Vec<Vec<u32>> =
            texts.par_iter().map(|text| self.tokenizer.encode(text, max_len)).collect();
        let mut groups = Vec::new();
        let (mut start, mut tokens) = (0, 0);
        for (i, seq) in ids.iter().enumerate() {
            tokens += seq.len();
            if tokens >= PACK_TOKENS {
                groups.push(start..i + 1);
                (start, tokens) = (i + 1, 0);
            }
        }
        if start < ids.len() {
            groups.push(start..ids.len());
        }
        let pooling = self.info.pooling;
        let vectors: Vec<Vec<Vec<f32>>> = groups
            .into_par_iter()
            .map(|range| {
                let seqs: Vec<&[u32]> = ids[range].iter().map(Vec::as_slice).collect();
                self.model.embed_packed(&seqs, pooling)
            })
            .collect();
        vectors.into_iter().flatten().collect()
    }

    /// The embeddings of `texts` one text at a time (each in its own matrix products), spread
    /// over rayon's threads: what [`embed_batch`](Self::embed_batch) did before it packed texts
    /// together, kept to measure the two side by side.
    pub fn embed_each(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts.par_iter().map(|text| self.embed(text)).collect()
    }

    /// The embedding of a search query: [`embed`](Self::embed) of the model's query prefix
    /// followed by `query`.
    pub fn embed_query(&self, query: &str) -> Vec<f32> {
        self.embed(&prefixed(&self.info.query_prefix, query))
    }

    /// The embeddings of passages to be searched, in order: [`embed_batch`](Self::embed_batch)
    /// of each text after the model's passage prefix, truncated at
    /// [`ModelInfo::passage_tokens`] tokens (see [`PASSAGE_MAX_TOKENS`]).
    pub fn embed_passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let prefix = &self.info.passage_prefix;
        let max_len = self.info.passage_tokens;
        if prefix.is_empty() {
            return self.embed_batch_within(texts, max_len);
        }
        let texts: Vec<String> = texts.iter().map(|text| prefixed(prefix, text)).collect();
        self.embed_batch_within(&texts.iter().map(String::as_str).collect::<Vec<_>>(), max_len)
    }

    /// Starts [`embed_passages`](Self::embed_passages) of `texts` on rayon's thread pool and
    /// returns at once; `done` gets the embeddings, or the panic that stopped them, on a pool
    /// thread.
    ///
    /// Batches started one after another share the pool: while one thread embeds the last text
    /// of a batch, the others go on with the next batch instead of waiting for it (waiting at
    /// every batch of 64 passages left a core idle about 5% of a `kb index --semantic`).
    ///
    /// Called from a thread of a rayon pool, it embeds on the calling thread and calls `done`
    /// before it returns: a pool thread that then waits for `done` would otherwise wait for
    /// work queued behind itself (with every thread of the pool waiting, forever).
    pub fn spawn_passages<F>(self: &Arc<Self>, texts: Vec<String>, done: F)
    where
        F: FnOnce(std::thread::Result<Vec<Vec<f32>>>) + Send + 'static,
    {
        let embedder = Arc::clone(self);
        let run = move || {
            let vectors = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                embedder.embed_passages(&texts.iter().map(String::as_str).collect::<Vec<_>>())
            }));
            done(vectors);
        };
        if rayon::current_thread_index().is_some() {
            run();
        } else {
            rayon::spawn(run);
        }
    }
}

fn prefixed(prefix: &str, text: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + text.len());
    s.push_str(prefix);
    s.push_str(text);
    s
}

/// A name for the model in `dir`: the folder's name, or its parent's when the folder has a
/// generic name (`model`, or a 40-digit commit as in a Hugging Face snapshot).
fn folder_name(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let own = name(&dir).unwrap_or_default();
    let generic = own == "model" || (own.len() == 40 && own.bytes().all(|b| b.is_ascii_hexdigit()));
    let parent = dir.parent().and_then(name).filter(|_| generic);
    match parent {
        Some(parent) if own == "model" => parent,
        // A snapshot: .../models--owner--name/snapshots/<commit>.
        Some(_) => dir
            .ancestors()
            .filter_map(name)
            .find_map(|n| n.strip_prefix("models--").map(|r| r.replace("--", "/")))
            .unwrap_or(own),
        None if own.is_empty() => "model".to_string(),
        None => own,
    }
}

/// The vocabulary's file: `vocab.txt`, or `tokenizer.json` when there is no `vocab.txt`.
/// The files of a model folder the model is read from: `config.json`, the vocabulary
/// ([`vocab_path`]) and `model.safetensors`.
fn source_paths(model_dir: &Path) -> [PathBuf; 3] {
    [model_dir.join("config.json"), vocab_path(model_dir), model_dir.join("model.safetensors")]
}

/// The stat data (length, modification time, inode) of the files a model is read from: what
/// a ready file records of its sources ([`Embedder::load_ready`]), and what a caller keeping
/// models loaded can compare to see that a folder's model changed without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelStamp(Vec<ready::Source>);

impl ModelStamp {
    /// The stamp of the model in `model_dir`, `None` if a file's stat data cannot be had.
    pub fn of(model_dir: &Path) -> Option<ModelStamp> {
        source_paths(model_dir)
            .iter()
            .map(|p| ready::Source::of(p))
            .collect::<Option<_>>()
            .map(ModelStamp)
    }
}

fn vocab_path(model_dir: &Path) -> PathBuf {
    let txt = model_dir.join("vocab.txt");
    let json = model_dir.join("tokenizer.json");
    if txt.is_file() || !json.is_file() {
        txt
    } else {
        json
    }
}

/// The model's checksum ([`ModelInfo::checksum`]): blake3 over the files that decide its
/// embeddings (each after its length) and the settings (`described`, JSON).
fn checksum(files: &[&[u8]], described: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"kb-embed model\n");
    for bytes in files {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hasher.update(described.as_bytes());
    hasher.finalize().to_hex().to_string()
}

/// The vocabulary in `bytes`: `vocab.txt` (a token a line), or `tokenizer.json`'s `model.vocab`.
fn parse_vocab(path: &Path, bytes: &[u8]) -> Result<HashMap<String, u32>, EmbedError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| EmbedError::format(path, format!("not UTF-8 text: {e}")))?;
    if path.file_name().is_some_and(|n| n == "vocab.txt") {
        return Ok(tokenizer::WordPiece::parse_vocab_txt(text));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| EmbedError::format(path, format!("not JSON: {e}")))?;
    let model = &value["model"];
    if model["type"] != "WordPiece" {
        return Err(EmbedError::format(path, "not a WordPiece tokenizer"));
    }
    let entries = model["vocab"]
        .as_object()
        .ok_or_else(|| EmbedError::format(path, "no model.vocab object"))?;
    let mut vocab = HashMap::with_capacity(entries.len());
    for (token, id) in entries {
        let id = id
            .as_u64()
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| EmbedError::format(path, format!("token {token:?} has no valid id")))?;
        vocab.insert(token.clone(), id);
    }
    Ok(vocab)
}
