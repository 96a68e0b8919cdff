//! A model for the tests of crates built on kb-embed, whose similarities are known in advance.
//!
//! [`write_word_model`] writes a one-layer BERT whose only non-zero weights are its word
//! embeddings: word group `g` is the direction `e(2g) - e(2g+1)`, every other weight is zero
//! (layer norms are the identity on such vectors). A text's embedding is then the normalized
//! count of its words in each group, so two texts are similar exactly as far as they share
//! words of the same groups: words of one group are perfect synonyms, unknown words count for
//! nothing.
//!
//! [`write_word_model_cls`] writes the same model for `[CLS]` pooling, as bge is pooled: its
//! attention copies the mean of the word vectors into `[CLS]`, so that texts compare alike.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! kb_embed::testing::write_word_model(dir.path(), &[&["car", "automobile"], &["soup"]])?;
//! let model = kb_embed::Embedder::load(dir.path())?;
//! let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
//! let car = model.embed("car");
//! assert!(dot(&car, &model.embed("an automobile")) > 0.99);
//! assert!(dot(&car, &model.embed("soup")).abs() < 1e-6);
//!
//! let cls_dir = tempfile::tempdir()?;
//! kb_embed::testing::write_word_model_cls(cls_dir.path(), &[&["car", "automobile"], &["soup"]])?;
//! let cls = kb_embed::Embedder::load(cls_dir.path())?;
//! assert_eq!(cls.info().pooling, kb_embed::Pooling::Cls);
//! assert!(dot(&cls.embed("car"), &cls.embed("an automobile")) > 0.99);
//! assert!(dot(&cls.embed("car"), &cls.embed("soup")).abs() < 1e-6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::path::Path;

/// Positions the model has: more than the 256 tokens it reads (`max_seq_length`'s default),
/// so that texts are truncated as all-MiniLM-L6-v2's are.
const POSITIONS: usize = 512;

/// Writes the word model (`config.json`, `vocab.txt`, `model.safetensors`) into `dir`; each of
/// `groups` is a set of lowercase words that embed alike.
pub fn write_word_model(dir: &Path, groups: &[&[&str]]) -> io::Result<()> {
    write(dir, groups, false)
}

/// Writes the word model for `[CLS]` pooling into `dir`: as [`write_word_model`], plus a
/// sentence-transformers `modules.json` and `1_Pooling/config.json` asking for `[CLS]` pooling,
/// and an attention layer that makes `[CLS]`'s vector the mean of the word vectors (uniform
/// attention, identity values and output). Texts compare as with [`write_word_model`].
pub fn write_word_model_cls(dir: &Path, groups: &[&[&str]]) -> io::Result<()> {
    write(dir, groups, true)
}

fn write(dir: &Path, groups: &[&[&str]], cls: bool) -> io::Result<()> {
    let hidden = (2 * groups.len()).max(2);
    let mut vocab: Vec<&str> = vec!["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    let mut word_embeddings = vec![0f32; vocab.len() * hidden];
    for (g, words) in groups.iter().enumerate() {
        for word in *words {
            vocab.push(word);
            let mut row = vec![0f32; hidden];
            row[2 * g] = 1.0;
            row[2 * g + 1] = -1.0;
            word_embeddings.extend(row);
        }
    }
    let zeros = |n: usize| vec![0f32; n];
    let ones = |n: usize| vec![1f32; n];
    let (d, inter) = (hidden, 4);
    let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = vec![
        ("embeddings.word_embeddings.weight".into(), vec![vocab.len(), d], word_embeddings),
        ("embeddings.position_embeddings.weight".into(), vec![POSITIONS, d], zeros(POSITIONS * d)),
        ("embeddings.token_type_embeddings.weight".into(), vec![2, d], zeros(2 * d)),
        ("embeddings.LayerNorm.weight".into(), vec![d], ones(d)),
        ("embeddings.LayerNorm.bias".into(), vec![d], zeros(d)),
    ];
    let identity =
        |d: usize| (0..d * d).map(|i| if i % (d + 1) == 0 { 1.0 } else { 0.0 }).collect();
    // Zero queries and keys make the attention uniform; with identity values and output (the
    // CLS model), each token gets the mean of all tokens' vectors added.
    let copy = |m: &str| cls && (m == "attention.self.value" || m == "attention.output.dense");
    let square = |m: &str| if copy(m) { identity(d) } else { zeros(d * d) };
    let p = "encoder.layer.0.";
    for m in ["attention.self.query", "attention.self.key", "attention.self.value"] {
        tensors.push((format!("{p}{m}.weight"), vec![d, d], square(m)));
        tensors.push((format!("{p}{m}.bias"), vec![d], zeros(d)));
    }
    tensors.push((
        format!("{p}attention.output.dense.weight"),
        vec![d, d],
        square("attention.output.dense"),
    ));
    tensors.push((format!("{p}attention.output.dense.bias"), vec![d], zeros(d)));
    tensors.push((format!("{p}intermediate.dense.weight"), vec![inter, d], zeros(inter * d)));
    tensors.push((format!("{p}intermediate.dense.bias"), vec![inter], zeros(inter)));
    tensors.push((format!("{p}output.dense.weight"), vec![d, inter], zeros(d * inter)));
    tensors.push((format!("{p}output.dense.bias"), vec![d], zeros(d)));
    for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
        tensors.push((format!("{p}{ln}.weight"), vec![d], ones(d)));
        tensors.push((format!("{p}{ln}.bias"), vec![d], zeros(d)));
    }
    let config = serde_json::json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": d,
        "num_attention_heads": 1,
        "num_hidden_layers": 1,
        "intermediate_size": inter,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": POSITIONS,
        "type_vocab_size": 2,
        "vocab_size": vocab.len(),
        "pad_token_id": 0,
    });
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("config.json"), config.to_string())?;
    std::fs::write(dir.join("vocab.txt"), vocab.join("\n") + "\n")?;
    std::fs::write(dir.join("model.safetensors"), safetensors(&tensors))?;
    if cls {
        let modules = serde_json::json!([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ]);
        let pooling = serde_json::json!({
            "word_embedding_dimension": d,
            "pooling_mode_cls_token": true,
            "pooling_mode_mean_tokens": false,
            "pooling_mode_max_tokens": false,
            "pooling_mode_mean_sqrt_len_tokens": false,
        });
        std::fs::write(dir.join("modules.json"), modules.to_string())?;
        std::fs::create_dir_all(dir.join("1_Pooling"))?;
        std::fs::write(dir.join("1_Pooling/config.json"), pooling.to_string())?;
    }
    Ok(())
}

/// A safetensors file of `f32` tensors: an 8-byte little-endian header length, the JSON header
/// (each tensor's dtype, shape and byte range), the data.
fn safetensors(tensors: &[(String, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        let start = data.len();
        data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        header.insert(
            name.clone(),
            serde_json::json!({ "dtype": "F32", "shape": shape, "data_offsets": [start, data.len()] }),
        );
    }
    let header = serde_json::Value::Object(header).to_string();
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header.as_bytes());
    out.extend(data);
    out
}
