//! kb-embed end to end on a tiny BERT that the test writes itself (hidden 8, 2 heads, 2 layers,
//! intermediate 16, 37 word pieces, 16 positions), against golden values computed independently
//! by tests/data/make_tiny_golden.py (Python `tokenizers` + numpy).

use std::path::Path;

use kb_embed::{EmbedError, Embedder};

mod golden {
    include!("data/golden.rs");
}

const VOCAB: &str = include_str!("data/tiny_vocab.txt");
const HIDDEN: usize = 8;
const LAYERS: usize = 2;
const INTER: usize = 16;
const POSITIONS: usize = 16;

/// The value of element `i` of tensor `name`, a multiple of 1/256 (exact in f32 and f16): the
/// formula of make_tiny_golden.py.
fn weight(name: &str, i: usize) -> f32 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    let mut x = h ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let v = (x % 257) as f32 - 128.0;
    if name.ends_with("LayerNorm.weight") {
        1.0 + v / 512.0
    } else {
        v / 256.0
    }
}

/// The tensors of the tiny model: (name, shape).
fn shapes() -> Vec<(String, Vec<usize>)> {
    let vocab = VOCAB.lines().count();
    let (d, i) = (HIDDEN, INTER);
    let mut s: Vec<(String, Vec<usize>)> = vec![
        ("embeddings.word_embeddings.weight".into(), vec![vocab, d]),
        ("embeddings.position_embeddings.weight".into(), vec![POSITIONS, d]),
        ("embeddings.token_type_embeddings.weight".into(), vec![2, d]),
        ("embeddings.LayerNorm.weight".into(), vec![d]),
        ("embeddings.LayerNorm.bias".into(), vec![d]),
    ];
    for l in 0..LAYERS {
        let p = format!("encoder.layer.{l}.");
        for m in ["attention.self.query", "attention.self.key", "attention.self.value"] {
            s.push((format!("{p}{m}.weight"), vec![d, d]));
            s.push((format!("{p}{m}.bias"), vec![d]));
        }
        s.push((format!("{p}attention.output.dense.weight"), vec![d, d]));
        s.push((format!("{p}attention.output.dense.bias"), vec![d]));
        s.push((format!("{p}intermediate.dense.weight"), vec![i, d]));
        s.push((format!("{p}intermediate.dense.bias"), vec![i]));
        s.push((format!("{p}output.dense.weight"), vec![d, i]));
        s.push((format!("{p}output.dense.bias"), vec![d]));
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
            s.push((format!("{p}{ln}.weight"), vec![d]));
            s.push((format!("{p}{ln}.bias"), vec![d]));
        }
    }
    s
}

#[derive(Clone, Copy, PartialEq)]
enum Dtype {
    F32,
    F16,
}

/// A safetensors file, written by hand: an 8-byte little-endian header length, the JSON
/// header, the data.
fn safetensors(tensors: &[(String, Vec<usize>, Vec<f32>)], dtype: Dtype) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        let start = data.len();
        for &v in values {
            match dtype {
                Dtype::F32 => data.extend(v.to_le_bytes()),
                Dtype::F16 => data.extend(f32_to_f16(v).to_le_bytes()),
            }
        }
        let dtype = if dtype == Dtype::F32 { "F32" } else { "F16" };
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let mut header = serde_json::to_vec(&header).unwrap();
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header);
    out.extend(data);
    out
}

/// f32 -> IEEE half, for the values of `weight` (normal, exactly representable).
fn f32_to_f16(v: f32) -> u16 {
    if v == 0.0 {
        return 0;
    }
    let bits = v.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    assert!((1..31).contains(&exp) && bits & 0x1fff == 0, "{v} is not exact in f16");
    sign | ((exp as u16) << 10) | ((bits >> 13) & 0x3ff) as u16
}

fn config_json() -> String {
    serde_json::json!({
        "architectures": ["BertModel"],
        "hidden_act": "gelu",
        "hidden_size": HIDDEN,
        "intermediate_size": INTER,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": POSITIONS,
        "model_type": "bert",
        "num_attention_heads": 2,
        "num_hidden_layers": LAYERS,
        "position_embedding_type": "absolute",
        "type_vocab_size": 2,
        "vocab_size": VOCAB.lines().count(),
    })
    .to_string()
}

/// Writes the tiny model into `dir`: tensor names with `prefix`, values of `dtype`.
fn write_model_with(dir: &Path, prefix: &str, dtype: Dtype) {
    let tensors: Vec<_> = shapes()
        .into_iter()
        .map(|(name, shape)| {
            let values = (0..shape.iter().product()).map(|i| weight(&name, i)).collect();
            (format!("{prefix}{name}"), shape, values)
        })
        .collect();
    std::fs::write(dir.join("model.safetensors"), safetensors(&tensors, dtype)).unwrap();
    std::fs::write(dir.join("config.json"), config_json()).unwrap();
    std::fs::write(dir.join("vocab.txt"), VOCAB).unwrap();
}

fn write_model(dir: &Path) {
    write_model_with(dir, "", Dtype::F32);
}

fn tiny() -> (tempfile::TempDir, Embedder) {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    let embedder = Embedder::load(dir.path()).unwrap();
    (dir, embedder)
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let diff = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(diff < 2e-6, "{what}: max abs diff {diff}\n got {got:?}\nwant {want:?}");
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[test]
fn embeddings_match_the_reference() {
    let (_dir, embedder) = tiny();
    assert_eq!(embedder.dim(), HIDDEN);
    for (text, want) in golden::TINY_EMBEDDINGS {
        assert_close(&embedder.embed(text), want, &format!("{text:?}"));
    }
}

#[test]
fn embeddings_have_unit_norm() {
    let (_dir, embedder) = tiny();
    for (text, _) in golden::TINY_EMBEDDINGS {
        assert!((norm(&embedder.embed(text)) - 1.0).abs() < 1e-6, "{text:?}");
    }
}

#[test]
fn the_empty_text_is_cls_sep() {
    let (_dir, embedder) = tiny();
    let empty = embedder.embed("");
    assert_eq!(empty.len(), HIDDEN);
    assert!(empty.iter().all(|v| v.is_finite()));
    assert_eq!(empty, embedder.embed(" \t\n\u{200b} "));
}

#[test]
fn long_texts_are_truncated_to_max_positions() {
    let (_dir, embedder) = tiny();
    // 16 positions: [CLS], 14 word pieces, [SEP].
    let words = ["the", "cat", "sat", "on", "mat", "dog", "hello", "world"];
    let long: Vec<&str> = (0..500).map(|i| words[(i * 7 + i / 3) % words.len()]).collect();
    let first_14 = long[..14].join(" ");
    let all = long.join(" ");
    assert_eq!(embedder.embed(&all), embedder.embed(&first_14));
    assert_ne!(embedder.embed(&long[..13].join(" ")), embedder.embed(&first_14));
    // A 1 MB text costs no more than its first words.
    let huge = all.repeat(400);
    assert_eq!(embedder.embed(&huge), embedder.embed(&first_14));
}

#[test]
fn sentence_bert_config_sets_the_max_length() {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    std::fs::write(dir.path().join("sentence_bert_config.json"), r#"{"max_seq_length": 5}"#)
        .unwrap();
    let embedder = Embedder::load(dir.path()).unwrap();
    // [CLS] + 3 word pieces + [SEP].
    assert_eq!(embedder.embed("the cat sat on the mat"), embedder.embed("the cat sat"));
    let (_full_dir, full) = tiny();
    assert_eq!(embedder.embed("the cat sat"), full.embed("the cat sat"));
}

#[test]
fn embedding_is_deterministic_and_batch_equals_single() {
    let (_dir, embedder) = tiny();
    let texts: Vec<&str> = golden::TINY_EMBEDDINGS.iter().map(|(t, _)| *t).collect();
    let single: Vec<Vec<f32>> = texts.iter().map(|t| embedder.embed(t)).collect();
    let again: Vec<Vec<f32>> = texts.iter().map(|t| embedder.embed(t)).collect();
    assert_eq!(single, again);
    assert_eq!(embedder.embed_batch(&texts), single);
    assert!(embedder.embed_batch(&[]).is_empty());
    // From several threads at once.
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| embedder.embed_batch(&texts))).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), single);
        }
    });
}

#[test]
fn embedder_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Embedder>();
    check::<EmbedError>();
}

#[test]
fn f16_weights_and_the_bert_prefix_load_alike() {
    let (_dir, reference) = tiny();
    let dir = tempfile::tempdir().unwrap();
    write_model_with(dir.path(), "bert.", Dtype::F16);
    let embedder = Embedder::load(dir.path()).unwrap();
    for (text, _) in golden::TINY_EMBEDDINGS {
        assert_eq!(embedder.embed(text), reference.embed(text), "{text:?}");
    }
}

#[test]
fn tokenizer_json_replaces_a_missing_vocab_txt() {
    let (_dir, reference) = tiny();
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    std::fs::remove_file(dir.path().join("vocab.txt")).unwrap();
    let vocab: serde_json::Map<String, serde_json::Value> =
        VOCAB.lines().enumerate().map(|(i, t)| (t.to_string(), i.into())).collect();
    let json = serde_json::json!({"model": {"type": "WordPiece", "vocab": vocab}});
    std::fs::write(dir.path().join("tokenizer.json"), json.to_string()).unwrap();
    let embedder = Embedder::load(dir.path()).unwrap();
    for (text, _) in golden::TINY_EMBEDDINGS {
        assert_eq!(embedder.embed(text), reference.embed(text), "{text:?}");
    }
}

// Errors: each names the file at fault, none panics.

fn load_err(dir: &Path) -> EmbedError {
    Embedder::load(dir).expect_err("the load should fail")
}

#[test]
fn a_missing_model_dir_names_config_json() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_err(&dir.path().join("nowhere"));
    assert!(matches!(&err, EmbedError::Io { path, .. } if path.ends_with("nowhere/config.json")));
    assert!(err.to_string().contains("config.json"), "{err}");
}

#[test]
fn missing_files_are_named() {
    for (file, named) in [
        ("model.safetensors", "model.safetensors"),
        ("vocab.txt", "vocab.txt"),
        ("config.json", "config.json"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path());
        std::fs::remove_file(dir.path().join(file)).unwrap();
        let err = load_err(dir.path());
        assert!(matches!(&err, EmbedError::Io { path, .. } if path.ends_with(named)), "{err}");
    }
}

#[test]
fn a_truncated_safetensors_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    let path = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    for len in [0, 5, 100, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..len]).unwrap();
        let err = load_err(dir.path());
        assert!(
            matches!(&err, EmbedError::Format { path: p, .. } if p == &path),
            "{len} bytes: {err}"
        );
        assert!(err.to_string().contains("model.safetensors"), "{err}");
    }
}

#[test]
fn a_missing_tensor_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    let tensors: Vec<_> = shapes()
        .into_iter()
        .filter(|(name, _)| name != "encoder.layer.1.output.dense.bias")
        .map(|(name, shape)| {
            let values = (0..shape.iter().product()).map(|i| weight(&name, i)).collect();
            (name, shape, values)
        })
        .collect();
    std::fs::write(dir.path().join("model.safetensors"), safetensors(&tensors, Dtype::F32))
        .unwrap();
    let err = load_err(dir.path());
    assert!(
        matches!(&err, EmbedError::MissingTensor { path, name }
            if path.ends_with("model.safetensors") && name == "encoder.layer.1.output.dense.bias"),
        "{err}"
    );
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}

#[test]
fn a_tensor_of_the_wrong_shape_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    // The config says hidden size 4, the tensors have 8.
    let config = config_json().replace("\"hidden_size\":8", "\"hidden_size\":4");
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    let err = load_err(dir.path());
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    assert!(err.to_string().contains("shape"), "{err}");
}

#[test]
fn bad_configs_are_named() {
    for (from, to) in [
        ("\"hidden_act\":\"gelu\"", "\"hidden_act\":\"relu\""),
        (
            "\"position_embedding_type\":\"absolute\"",
            "\"position_embedding_type\":\"relative_key\"",
        ),
        ("\"num_attention_heads\":2", "\"num_attention_heads\":3"),
        ("\"hidden_size\":8", "\"hidden_size\":\"eight\""),
        ("{", "["),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path());
        let config = config_json();
        assert!(config.contains(from), "{from}");
        std::fs::write(dir.path().join("config.json"), config.replacen(from, to, 1)).unwrap();
        let err = load_err(dir.path());
        assert!(
            matches!(&err, EmbedError::Format { path, .. } if path.ends_with("config.json")),
            "{to}: {err}"
        );
    }
}

#[test]
fn a_vocab_without_special_tokens_or_too_large_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    std::fs::write(dir.path().join("vocab.txt"), VOCAB.replace("[SEP]", "[SEPX]")).unwrap();
    let err = load_err(dir.path());
    assert!(
        matches!(&err, EmbedError::Format { path, .. } if path.ends_with("vocab.txt")),
        "{err}"
    );
    assert!(err.to_string().contains("[SEP]"), "{err}");

    std::fs::write(dir.path().join("vocab.txt"), format!("{VOCAB}extra\n")).unwrap();
    let err = load_err(dir.path());
    assert!(
        matches!(&err, EmbedError::Format { path, .. } if path.ends_with("vocab.txt")),
        "{err}"
    );
    assert!(err.to_string().contains("vocab_size"), "{err}");
}
