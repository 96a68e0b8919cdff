//! The BERT encoder: weights from safetensors, one sequence at a time (no padding), then pooling
//! (mean, `[CLS]` or max over the tokens) and L2 normalization.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::attention::{self, Products, Scratch};
use crate::linalg::{gelu, gemm, sum, sum_squares};
use crate::quant::QLinear;
use crate::ready::{Array, Named, Ready};
use crate::{EmbedError, Pooling, Precision};

/// The fields of a Hugging Face BERT `config.json` the forward pass needs.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct Config {
    pub(crate) hidden_size: usize,
    pub(crate) num_hidden_layers: usize,
    pub(crate) num_attention_heads: usize,
    pub(crate) intermediate_size: usize,
    pub(crate) vocab_size: usize,
    pub(crate) max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    pub(crate) layer_norm_eps: f32,
    #[serde(default = "default_act")]
    pub(crate) hidden_act: String,
    #[serde(default = "default_position_type")]
    pub(crate) position_embedding_type: String,
}

fn default_eps() -> f32 {
    1e-12
}
fn default_act() -> String {
    "gelu".to_string()
}
fn default_position_type() -> String {
    "absolute".to_string()
}

impl Config {
    /// How attention multiplies for a model of this shape whose linear layers have
    /// `precision` (bf16 beside int8 where the CPU has it).
    fn products(&self, precision: Precision) -> Products {
        Products::for_this_cpu(
            precision == Precision::Int8,
            self.hidden_size / self.num_attention_heads,
        )
    }

    /// Parses and checks `bytes`, the contents of `config.json` at `path` (named in errors).
    pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Config, EmbedError> {
        let config: Config = serde_json::from_slice(bytes)
            .map_err(|e| EmbedError::format(path, format!("not a BERT config: {e}")))?;
        let unsupported = if config.hidden_act != "gelu" {
            Some(format!("hidden_act {:?} (only \"gelu\" is supported)", config.hidden_act))
        } else if config.position_embedding_type != "absolute" {
            Some(format!(
                "position_embedding_type {:?} (only \"absolute\" is supported)",
                config.position_embedding_type
            ))
        } else if config.num_attention_heads == 0
            || !config.hidden_size.is_multiple_of(config.num_attention_heads)
        {
            Some(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                config.hidden_size, config.num_attention_heads
            ))
        } else if config.hidden_size == 0 || config.max_position_embeddings < 2 {
            Some("hidden_size 0 or max_position_embeddings < 2".to_string())
        } else {
            None
        };
        match unsupported {
            Some(reason) => Err(EmbedError::format(path, reason)),
            None => Ok(config),
        }
    }
}

/// One transformer layer, matrices stored input-major (`[in, out]`, the transpose of the
/// Hugging Face Linear layout) so that `x · W` reads them row by row.
#[derive(Debug)]
struct Layer {
    /// Query, key and value projections side by side: `[d, 3d]`.
    qkv_w: Weight,
    qkv_b: Array<f32>,
    out_w: Weight,
    out_b: Array<f32>,
    ln1_g: Array<f32>,
    ln1_b: Array<f32>,
    ff1_w: Weight,
    ff1_b: Array<f32>,
    ff2_w: Weight,
    ff2_b: Array<f32>,
    ln2_g: Array<f32>,
    ln2_b: Array<f32>,
}

/// A layer's arrays other than its matrices, by name (in the ready file: `{layer}.{name}`).
const LAYER_VECTORS: [&str; 8] =
    ["qkv_b", "out_b", "ln1_g", "ln1_b", "ff1_b", "ff2_b", "ln2_g", "ln2_b"];
/// A layer's matrices, by name.
const LAYER_MATRICES: [&str; 4] = ["qkv_w", "out_w", "ff1_w", "ff2_w"];

impl Layer {
    fn vector(&self, name: &str) -> &Array<f32> {
        match name {
            "qkv_b" => &self.qkv_b,
            "out_b" => &self.out_b,
            "ln1_g" => &self.ln1_g,
            "ln1_b" => &self.ln1_b,
            "ff1_b" => &self.ff1_b,
            "ff2_b" => &self.ff2_b,
            "ln2_g" => &self.ln2_g,
            _ => &self.ln2_b,
        }
    }

    fn matrix(&self, name: &str) -> &Weight {
        match name {
            "qkv_w" => &self.qkv_w,
            "out_w" => &self.out_w,
            "ff1_w" => &self.ff1_w,
            _ => &self.ff2_w,
        }
    }
}

/// A linear layer's `[in, out]` matrix, in f32 or quantized to int8 ([`QLinear`]).
#[derive(Debug)]
enum Weight {
    F32 { w: Array<f32>, inp: usize, out: usize },
    Int8(QLinear),
}

impl Weight {
    /// `w`, `[inp, out]`, kept as it is or quantized.
    fn new(w: Vec<f32>, inp: usize, out: usize, precision: Precision) -> Weight {
        match precision {
            Precision::F32 => Weight::F32 { w: w.into(), inp, out },
            Precision::Int8 => Weight::Int8(QLinear::quantize(&w, inp, out)),
        }
    }

    /// The `[inp, out]` matrix `name` of a ready file, in `precision`.
    fn from_ready(
        ready: &Ready,
        name: &str,
        inp: usize,
        out: usize,
        precision: Precision,
    ) -> Result<Weight, String> {
        Ok(match precision {
            Precision::F32 => Weight::F32 { w: ready.array(name, inp * out)?, inp, out },
            Precision::Int8 => {
                let (packed_len, _) = QLinear::packed_shape(inp, out);
                Weight::Int8(QLinear::from_parts(
                    inp,
                    out,
                    ready.array(&format!("{name}.packed"), packed_len)?,
                    ready.array(&format!("{name}.scale"), out)?,
                    ready.array(&format!("{name}.colsum"), out)?,
                ))
            }
        })
    }

    /// Its arrays for a ready file, named after `name`.
    fn named<'a>(&'a self, name: &str, out: &mut Vec<Named<'a>>) {
        match self {
            Weight::F32 { w, .. } => out.push(Named::new(name.to_string(), w)),
            Weight::Int8(q) => {
                let (packed, scale, colsum) = q.parts();
                out.push(Named::new(format!("{name}.packed"), packed));
                out.push(Named::new(format!("{name}.scale"), scale));
                out.push(Named::new(format!("{name}.colsum"), colsum));
            }
        }
    }

    /// `y = gelu(bias + x · W)` for the `m` rows of `x` (row-major `[m, inp]`, `y`
    /// `[m, out]`); the int8 product applies GELU as it writes `y`.
    #[inline(always)]
    fn apply_bias_gelu(&self, x: &[f32], m: usize, bias: &[f32], y: &mut [f32]) {
        match self {
            Weight::F32 { .. } => {
                self.apply_bias(x, m, bias, y);
                y.iter_mut().for_each(|v| *v = gelu(*v));
            }
            Weight::Int8(q) => q.matmul_bias_gelu(x, m, bias, y),
        }
    }

    /// `y = bias + x · W` for the `m` rows of `x` (row-major `[m, inp]`, `y` `[m, out]`).
    fn apply_bias(&self, x: &[f32], m: usize, bias: &[f32], y: &mut [f32]) {
        match self {
            Weight::F32 { .. } => {
                fill_rows(y, bias);
                self.apply_acc(x, m, y);
            }
            Weight::Int8(q) => q.matmul_bias(x, m, bias, y),
        }
    }

    /// `y += x · W` for the `m` rows of `x` (row-major `[m, inp]`, `y` `[m, out]`).
    fn apply_acc(&self, x: &[f32], m: usize, y: &mut [f32]) {
        match self {
            Weight::F32 { w, inp, out } => {
                gemm(m, *inp, *out, x, 0, (*inp, 1), w, 0, (*out, 1), y, 0, (*out, 1))
            }
            Weight::Int8(q) => q.matmul_acc(x, m, y),
        }
    }
}

/// A BERT encoder; [`Bert::embed`] pools and normalizes its last hidden state.
#[derive(Debug)]
pub(crate) struct Bert {
    cfg: Config,
    word: Array<f32>,
    position: Array<f32>,
    token_type0: Array<f32>,
    emb_ln_g: Array<f32>,
    emb_ln_b: Array<f32>,
    layers: Vec<Layer>,
    /// How attention multiplies (bf16 beside int8 layers where the CPU has it).
    products: Products,
}

/// The tensors of a safetensors file, looked up with or without the `bert.` prefix.
struct Tensors<'a> {
    path: &'a Path,
    st: SafeTensors<'a>,
}

impl Tensors<'_> {
    /// The tensor `name` (or `bert.{name}`): its shape and its values as f32.
    fn get_any(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), EmbedError> {
        let view =
            self.st.tensor(name).or_else(|_| self.st.tensor(&format!("bert.{name}"))).map_err(
                |_| EmbedError::MissingTensor { path: self.path.to_owned(), name: name.into() },
            )?;
        let data = view.data();
        let values = match view.dtype() {
            Dtype::F32 => {
                data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            }
            Dtype::F16 => data
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::BF16 => data
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            other => {
                return Err(EmbedError::format(
                    self.path,
                    format!("tensor {name} has dtype {other:?} (F32, F16 or BF16 expected)"),
                ))
            }
        };
        Ok((view.shape().to_vec(), values))
    }

    /// The tensor `name` as f32, checked to have `shape`.
    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EmbedError> {
        let (actual, values) = self.get_any(name)?;
        if actual != shape {
            return Err(EmbedError::format(
                self.path,
                format!("tensor {name} has shape {actual:?}, expected {shape:?}"),
            ));
        }
        Ok(values)
    }

    /// A Linear layer's `[out, in]` weight, transposed to `[in, out]`.
    fn linear_t(&self, name: &str, out: usize, inp: usize) -> Result<Vec<f32>, EmbedError> {
        Ok(transpose(&self.get(name, &[out, inp])?, out, inp))
    }
}

/// `[rows, cols]` row-major -> `[cols, rows]` row-major.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; m.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = m[r * cols + c];
        }
    }
    t
}

impl Bert {
    /// Loads the weights of `cfg`'s shape from `bytes`, the contents of the safetensors file at
    /// `path` (named in errors); the linear layers are kept in `precision`.
    pub(crate) fn load(
        cfg: Config,
        path: &Path,
        bytes: &[u8],
        precision: Precision,
    ) -> Result<Bert, EmbedError> {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| EmbedError::format(path, format!("not a safetensors file: {e}")))?;
        let t = Tensors { path, st };
        let (d, i) = (cfg.hidden_size, cfg.intermediate_size);
        let word = t.get("embeddings.word_embeddings.weight", &[cfg.vocab_size, d])?;
        let position =
            t.get("embeddings.position_embeddings.weight", &[cfg.max_position_embeddings, d])?;
        // Any number of token types (BERT has 2): only type 0 is used.
        let name = "embeddings.token_type_embeddings.weight";
        let (shape, token_type) = t.get_any(name)?;
        if shape.len() != 2 || shape[0] == 0 || shape[1] != d {
            return Err(EmbedError::format(
                path,
                format!("tensor {name} has shape {shape:?}, expected [types, {d}]"),
            ));
        }
        let token_type0 = token_type[..d].to_vec();
        let emb_ln_g = t.get("embeddings.LayerNorm.weight", &[d])?;
        let emb_ln_b = t.get("embeddings.LayerNorm.bias", &[d])?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for l in 0..cfg.num_hidden_layers {
            let p = format!("encoder.layer.{l}.");
            let q = t.get(&format!("{p}attention.self.query.weight"), &[d, d])?;
            let k = t.get(&format!("{p}attention.self.key.weight"), &[d, d])?;
            let v = t.get(&format!("{p}attention.self.value.weight"), &[d, d])?;
            // [3d, d] (the three [out, in] matrices stacked), transposed to [d, 3d].
            let qkv = [q, k, v].concat();
            let mut qkv_b = t.get(&format!("{p}attention.self.query.bias"), &[d])?;
            qkv_b.extend(t.get(&format!("{p}attention.self.key.bias"), &[d])?);
            qkv_b.extend(t.get(&format!("{p}attention.self.value.bias"), &[d])?);
            let weight = |w, inp, out| Weight::new(w, inp, out, precision);
            let vector = |name: String, len| t.get(&name, &[len]).map(Array::from);
            layers.push(Layer {
                qkv_w: weight(transpose(&qkv, 3 * d, d), d, 3 * d),
                qkv_b: qkv_b.into(),
                out_w: weight(
                    t.linear_t(&format!("{p}attention.output.dense.weight"), d, d)?,
                    d,
                    d,
                ),
                out_b: vector(format!("{p}attention.output.dense.bias"), d)?,
                ln1_g: vector(format!("{p}attention.output.LayerNorm.weight"), d)?,
                ln1_b: vector(format!("{p}attention.output.LayerNorm.bias"), d)?,
                ff1_w: weight(t.linear_t(&format!("{p}intermediate.dense.weight"), i, d)?, d, i),
                ff1_b: vector(format!("{p}intermediate.dense.bias"), i)?,
                ff2_w: weight(t.linear_t(&format!("{p}output.dense.weight"), d, i)?, i, d),
                ff2_b: vector(format!("{p}output.dense.bias"), d)?,
                ln2_g: vector(format!("{p}output.LayerNorm.weight"), d)?,
                ln2_b: vector(format!("{p}output.LayerNorm.bias"), d)?,
            });
        }
        Ok(Bert {
            products: cfg.products(precision),
            cfg,
            word: word.into(),
            position: position.into(),
            token_type0: token_type0.into(),
            emb_ln_g: emb_ln_g.into(),
            emb_ln_b: emb_ln_b.into(),
            layers,
        })
    }

    /// The arrays of a ready file (see `ready`), by name: exactly those the forward pass reads.
    pub(crate) fn named_arrays(&self) -> Vec<Named<'_>> {
        let mut out = vec![
            Named::new("word".into(), &self.word),
            Named::new("position".into(), &self.position),
            Named::new("token_type0".into(), &self.token_type0),
            Named::new("emb_ln_g".into(), &self.emb_ln_g),
            Named::new("emb_ln_b".into(), &self.emb_ln_b),
        ];
        for (l, layer) in self.layers.iter().enumerate() {
            for name in LAYER_VECTORS {
                out.push(Named::new(format!("{l}.{name}"), layer.vector(name)));
            }
            for name in LAYER_MATRICES {
                layer.matrix(name).named(&format!("{l}.{name}"), &mut out);
            }
        }
        out
    }

    /// The model of `cfg`'s shape whose arrays are those of `ready` (mapped, not copied), the
    /// linear layers in `precision` (the ready file's); an array missing or of the wrong length
    /// is an error.
    pub(crate) fn from_ready(
        cfg: Config,
        ready: &Ready,
        precision: Precision,
    ) -> Result<Bert, String> {
        let (d, i) = (cfg.hidden_size, cfg.intermediate_size);
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for l in 0..cfg.num_hidden_layers {
            let vector = |name: &str, len| ready.array::<f32>(&format!("{l}.{name}"), len);
            let matrix = |name: &str, inp, out| {
                Weight::from_ready(ready, &format!("{l}.{name}"), inp, out, precision)
            };
            layers.push(Layer {
                qkv_w: matrix("qkv_w", d, 3 * d)?,
                qkv_b: vector("qkv_b", 3 * d)?,
                out_w: matrix("out_w", d, d)?,
                out_b: vector("out_b", d)?,
                ln1_g: vector("ln1_g", d)?,
                ln1_b: vector("ln1_b", d)?,
                ff1_w: matrix("ff1_w", d, i)?,
                ff1_b: vector("ff1_b", i)?,
                ff2_w: matrix("ff2_w", i, d)?,
                ff2_b: vector("ff2_b", d)?,
                ln2_g: vector("ln2_g", d)?,
                ln2_b: vector("ln2_b", d)?,
            });
        }
        Ok(Bert {
            products: cfg.products(precision),
            word: ready.array("word", cfg.vocab_size * d)?,
            position: ready.array("position", cfg.max_position_embeddings * d)?,
            token_type0: ready.array("token_type0", d)?,
            emb_ln_g: ready.array("emb_ln_g", d)?,
            emb_ln_b: ready.array("emb_ln_b", d)?,
            layers,
            cfg,
        })
    }

    /// The last hidden state of the token ids `ids`, pooled by `pooling` and L2-normalized.
    ///
    /// `ids` must be non-empty, shorter than `max_position_embeddings` and below `vocab_size`
    /// (the embedder guarantees all three).
    pub(crate) fn embed(&self, ids: &[u32], pooling: Pooling) -> Vec<f32> {
        let mut out = self.embed_packed(&[ids], pooling);
        out.pop().expect("one sequence in, one vector out")
    }

    /// [`Bert::embed`] of each of `seqs`, computed together: their token rows are stacked into
    /// one matrix (no padding), so that every linear layer is one matrix product over all of
    /// them (the weights are packed once for all the rows, not once per text); attention runs
    /// per sequence on its own rows. Each row sees exactly the operations it would alone.
    pub(crate) fn embed_packed(&self, seqs: &[&[u32]], pooling: Pooling) -> Vec<Vec<f32>> {
        #[cfg(target_arch = "x86_64")]
        if crate::quant::has_avx512() {
            // SAFETY: the CPU has the features `forward_avx512` is compiled for.
            return unsafe { self.forward_avx512(seqs, pooling) };
        }
        self.forward(seqs, pooling)
    }

    /// [`Bert::forward`] compiled for AVX-512: the same operations in the same order (so the
    /// same numbers), on 16 lanes where the portable build's loops get 4.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, BW, DQ and VL.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    unsafe fn forward_avx512(&self, seqs: &[&[u32]], pooling: Pooling) -> Vec<Vec<f32>> {
        self.forward(seqs, pooling)
    }

    /// The body of [`Bert::embed_packed`], inlined into each build of it.
    #[inline(always)]
    fn forward(&self, seqs: &[&[u32]], pooling: Pooling) -> Vec<Vec<f32>> {
        let cfg = &self.cfg;
        let (d, inter) = (cfg.hidden_size, cfg.intermediate_size);
        let heads = cfg.num_attention_heads;
        let eps = cfg.layer_norm_eps;
        // Each sequence's first row and length.
        let mut spans = Vec::with_capacity(seqs.len());
        let mut n = 0;
        for ids in seqs {
            spans.push((n, ids.len()));
            n += ids.len();
        }

        // x = word + position + token type 0, then LayerNorm.
        let mut x = vec![0.0f32; n * d];
        let mut rows = x.chunks_exact_mut(d);
        for ids in seqs {
            for (t, (&id, row)) in ids.iter().zip(&mut rows).enumerate() {
                let w = &self.word[id as usize * d..][..d];
                let p = &self.position[t * d..][..d];
                for j in 0..d {
                    row[j] = w[j] + p[j] + self.token_type0[j];
                }
            }
        }
        layer_norm(&mut x, d, &self.emb_ln_g, &self.emb_ln_b, eps);

        let mut qkv = vec![0.0f32; n * 3 * d];
        let mut ctx = vec![0.0f32; n * d];
        let mut scratch = Scratch::default();
        let mut hidden = vec![0.0f32; n * inter];
        let mut y = vec![0.0f32; n * d];
        for l in &self.layers {
            // Self-attention: qkv = x · Wqkv + b.
            l.qkv_w.apply_bias(&x, n, &l.qkv_b, &mut qkv);
            attention::attend(self.products, &qkv, &spans, d, heads, &mut ctx, &mut scratch);
            // y = LayerNorm(x + ctx · Wo + bo).
            add_rows(&mut y, &x, &l.out_b);
            l.out_w.apply_acc(&ctx, n, &mut y);
            layer_norm(&mut y, d, &l.ln1_g, &l.ln1_b, eps);
            // Feed-forward: x = LayerNorm(y + gelu(y · W1 + b1) · W2 + b2).
            l.ff1_w.apply_bias_gelu(&y, n, &l.ff1_b, &mut hidden);
            add_rows(&mut x, &y, &l.ff2_b);
            l.ff2_w.apply_acc(&hidden, n, &mut x);
            layer_norm(&mut x, d, &l.ln2_g, &l.ln2_b, eps);
        }

        spans
            .iter()
            .map(|&(first, len)| pool(&x[first * d..(first + len) * d], len, d, pooling))
            .collect()
    }
}

/// The rows of `x` (`n × d`) pooled into one L2-normalized vector: their mean (over every token,
/// `[CLS]` and `[SEP]` included, there being no padding), the first (`[CLS]`) row, or their
/// elementwise maximum.
#[inline(always)]
fn pool(x: &[f32], n: usize, d: usize, pooling: Pooling) -> Vec<f32> {
    let (mut pooled, floor) = match pooling {
        Pooling::Mean => {
            let mut sum = vec![0.0f32; d];
            for row in x.chunks_exact(d) {
                for (p, v) in sum.iter_mut().zip(row) {
                    *p += v;
                }
            }
            // Normalizing the sum is normalizing the mean (whose floor is n times smaller).
            (sum, 1e-12 * n as f32)
        }
        Pooling::Cls => (x[..d].to_vec(), 1e-12),
        Pooling::Max => {
            let mut max = x[..d].to_vec();
            for row in x.chunks_exact(d).skip(1) {
                for (m, v) in max.iter_mut().zip(row) {
                    *m = m.max(*v);
                }
            }
            (max, 1e-12)
        }
    };
    let norm = pooled.iter().map(|v| v * v).sum::<f32>().sqrt();
    // The floor is torch's F.normalize eps.
    let inv = 1.0 / norm.max(floor);
    pooled.iter_mut().for_each(|v| *v *= inv);
    pooled
}

/// Every row of `m` (of `bias.len()` columns) set to `bias`.
#[inline(always)]
fn fill_rows(m: &mut [f32], bias: &[f32]) {
    for row in m.chunks_exact_mut(bias.len()) {
        row.copy_from_slice(bias);
    }
}

/// `out = x + bias` row by row.
#[inline(always)]
fn add_rows(out: &mut [f32], x: &[f32], bias: &[f32]) {
    for (o, xr) in out.chunks_exact_mut(bias.len()).zip(x.chunks_exact(bias.len())) {
        for ((o, x), b) in o.iter_mut().zip(xr).zip(bias) {
            *o = x + b;
        }
    }
}

/// LayerNorm of each row of `x` (rows of `d`), in place.
#[inline(always)]
fn layer_norm(x: &mut [f32], d: usize, g: &[f32], b: &[f32], eps: f32) {
    for row in x.chunks_exact_mut(d) {
        let mean = sum(row) / d as f32;
        row.iter_mut().for_each(|v| *v -= mean);
        let var = sum_squares(row) / d as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(g).zip(b) {
            *v = *v * inv * g + b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_roundtrip() {
        let m: Vec<f32> = (0..6).map(|v| v as f32).collect();
        let t = transpose(&m, 2, 3);
        assert_eq!(t, [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!(transpose(&t, 3, 2), m);
    }
}
