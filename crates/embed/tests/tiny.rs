//! kb-embed end to end on a tiny BERT that the test writes itself (hidden 8, 2 heads, 2 layers,
//! intermediate 16, 37 word pieces, 16 positions), against golden values computed independently
//! by tests/data/make_tiny_golden.py (Python `tokenizers` + numpy).

use std::path::Path;

use kb_embed::{EmbedError, Embedder, Precision};

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
    shapes_with(LAYERS)
}

/// The tensors of the tiny model with `layers` layers.
fn shapes_with(layers: usize) -> Vec<(String, Vec<usize>)> {
    let vocab = VOCAB.lines().count();
    let (d, i) = (HIDDEN, INTER);
    let mut s: Vec<(String, Vec<usize>)> = vec![
        ("embeddings.word_embeddings.weight".into(), vec![vocab, d]),
        ("embeddings.position_embeddings.weight".into(), vec![POSITIONS, d]),
        ("embeddings.token_type_embeddings.weight".into(), vec![2, d]),
        ("embeddings.LayerNorm.weight".into(), vec![d]),
        ("embeddings.LayerNorm.bias".into(), vec![d]),
    ];
    for l in 0..layers {
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
    config_json_with(LAYERS)
}

fn config_json_with(layers: usize) -> String {
    serde_json::json!({
        "architectures": ["BertModel"],
        "hidden_act": "gelu",
        "hidden_size": HIDDEN,
        "intermediate_size": INTER,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": POSITIONS,
        "model_type": "bert",
        "num_attention_heads": 2,
        "num_hidden_layers": layers,
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

/// The model in `dir` with f32 weights, whose embeddings the golden values are (on a CPU with
/// AVX-512 VNNI, [`Embedder::load`] quantizes the linear layers to int8).
fn load_f32(dir: &Path) -> Embedder {
    Embedder::load_with(dir, Precision::F32).unwrap()
}

fn tiny() -> (tempfile::TempDir, Embedder) {
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    let embedder = load_f32(dir.path());
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
    let embedder = load_f32(dir.path());
    // [CLS] + 3 word pieces + [SEP].
    assert_eq!(embedder.embed("the cat sat on the mat"), embedder.embed("the cat sat"));
    let (_full_dir, full) = tiny();
    assert_eq!(embedder.embed("the cat sat"), full.embed("the cat sat"));
}

#[test]
fn passages_are_embedded_from_their_first_208_tokens_and_queries_from_all_256() {
    let dir = tempfile::tempdir().unwrap();
    kb_embed::testing::write_word_model(dir.path(), &[&["car"], &["soup"]]).unwrap();
    let embedder = Embedder::load(dir.path()).unwrap();
    assert_eq!((embedder.info().max_tokens, embedder.info().passage_tokens), (256, 208));
    // 206 word pieces of "car" fill a passage ([CLS] and [SEP] take two of its 208 tokens);
    // the 48 "soup"s after them count for a query of 256 tokens only.
    let text = ["car"; 206].join(" ") + &" soup".repeat(48);
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let (car, soup) = (embedder.embed("car"), embedder.embed("soup"));
    let passage = &embedder.embed_passages(&[&text])[0];
    assert!(dot(passage, &car) > 0.9999, "{}", dot(passage, &car));
    assert!(dot(passage, &soup).abs() < 1e-6);
    assert_eq!(passage, &embedder.embed(&["car"; 206].join(" ")));
    let query = embedder.embed_query(&text);
    assert!(dot(&query, &soup) > 0.1, "{}", dot(&query, &soup));

    // A model whose own length is shorter keeps it for passages too.
    std::fs::write(dir.path().join("sentence_bert_config.json"), r#"{"max_seq_length": 5}"#)
        .unwrap();
    let short = Embedder::load(dir.path()).unwrap();
    assert_eq!((short.info().max_tokens, short.info().passage_tokens), (5, 5));
    assert_eq!(short.embed_passages(&["car car car soup"]), [short.embed("car car car")]);
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
    let embedder = load_f32(dir.path());
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
    let embedder = load_f32(dir.path());
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

// Sentence-transformers folders: pooling, prefixes, modules, identity.

/// `modules.json` as sentence-transformers writes it: Transformer, Pooling, Normalize.
const MODULES: &str = r#"[
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
]"#;

/// Writes `modules.json` and a `1_Pooling/config.json` with `mode` (`cls`, `mean`, `max`...) on.
fn write_pooling(dir: &Path, mode: &str) {
    std::fs::write(dir.join("modules.json"), MODULES).unwrap();
    std::fs::create_dir_all(dir.join("1_Pooling")).unwrap();
    let mut config = serde_json::json!({
        "word_embedding_dimension": HIDDEN,
        "pooling_mode_cls_token": false,
        "pooling_mode_mean_tokens": false,
        "pooling_mode_max_tokens": false,
        "pooling_mode_mean_sqrt_len_tokens": false,
    });
    config[format!("pooling_mode_{mode}")] = true.into();
    std::fs::write(dir.join("1_Pooling/config.json"), config.to_string()).unwrap();
}

/// Writes the tiny model with `layers` layers into `dir`.
fn write_layers(dir: &Path, layers: usize) {
    write_model(dir);
    let tensors: Vec<_> = shapes_with(layers)
        .into_iter()
        .map(|(name, shape)| {
            let values = (0..shape.iter().product()).map(|i| weight(&name, i)).collect();
            (name, shape, values)
        })
        .collect();
    std::fs::write(dir.join("model.safetensors"), safetensors(&tensors, Dtype::F32)).unwrap();
    std::fs::write(dir.join("config.json"), config_json_with(layers)).unwrap();
}

/// The embedding of `ids` by the tiny model without layers, computed here in f64: each token's
/// vector is LayerNorm(word + position + token type 0); they are pooled by `mode` and
/// L2-normalized.
fn reference_without_layers(ids: &[u32], mode: &str) -> Vec<f32> {
    let d = HIDDEN;
    let w = |name: &str, i: usize| f64::from(weight(name, i));
    let rows: Vec<Vec<f64>> = ids
        .iter()
        .enumerate()
        .map(|(t, &id)| {
            let x: Vec<f64> = (0..d)
                .map(|j| {
                    w("embeddings.word_embeddings.weight", id as usize * d + j)
                        + w("embeddings.position_embeddings.weight", t * d + j)
                        + w("embeddings.token_type_embeddings.weight", j)
                })
                .collect();
            let mean = x.iter().sum::<f64>() / d as f64;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / d as f64;
            (0..d)
                .map(|j| {
                    (x[j] - mean) / (var + 1e-12).sqrt() * w("embeddings.LayerNorm.weight", j)
                        + w("embeddings.LayerNorm.bias", j)
                })
                .collect()
        })
        .collect();
    let pooled: Vec<f64> = match mode {
        "cls_token" => rows[0].clone(),
        "mean_tokens" => (0..d).map(|j| rows.iter().map(|r| r[j]).sum::<f64>()).collect(),
        "max_tokens" => {
            (0..d).map(|j| rows.iter().map(|r| r[j]).fold(f64::NEG_INFINITY, f64::max)).collect()
        }
        other => panic!("no reference for {other}"),
    };
    let norm = pooled.iter().map(|v| v * v).sum::<f64>().sqrt();
    pooled.iter().map(|v| (v / norm) as f32).collect()
}

#[test]
fn cls_mean_and_max_pooling_match_a_reference_computed_by_hand() {
    for (mode, pooling) in [
        ("cls_token", kb_embed::Pooling::Cls),
        ("mean_tokens", kb_embed::Pooling::Mean),
        ("max_tokens", kb_embed::Pooling::Max),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_layers(dir.path(), 0);
        write_pooling(dir.path(), mode);
        let embedder = load_f32(dir.path());
        assert_eq!(embedder.info().pooling, pooling);
        for (text, ids) in golden::TINY_TOKEN_IDS {
            let want = reference_without_layers(ids, mode);
            assert_close(&embedder.embed(text), &want, &format!("{mode} {text:?}"));
        }
    }
}

#[test]
fn cls_pooling_reads_the_first_token_only() {
    // Without layers, [CLS] sees no other token: every text has the same CLS embedding, and
    // mean pooling tells texts apart.
    let cls_dir = tempfile::tempdir().unwrap();
    write_layers(cls_dir.path(), 0);
    write_pooling(cls_dir.path(), "cls_token");
    let cls = load_f32(cls_dir.path());
    assert_eq!(cls.embed("the cat sat"), cls.embed("hello world"));
    // With layers, attention carries the text into [CLS].
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    write_pooling(dir.path(), "cls_token");
    let cls = load_f32(dir.path());
    assert_ne!(cls.embed("the cat sat"), cls.embed("hello world"));
    let (_mean_dir, mean) = tiny();
    assert_ne!(cls.embed("the cat sat"), mean.embed("the cat sat"));
    assert!((norm(&cls.embed("the cat sat")) - 1.0).abs() < 1e-6);
}

#[test]
fn modules_json_with_mean_pooling_gives_the_reference_embeddings() {
    for mode in ["mean_tokens", "mean_sqrt_len_tokens"] {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path());
        write_pooling(dir.path(), mode);
        let embedder = load_f32(dir.path());
        assert!(embedder.info().normalize);
        for (text, want) in golden::TINY_EMBEDDINGS {
            assert_close(&embedder.embed(text), want, &format!("{mode} {text:?}"));
        }
    }
}

#[test]
fn prefixes_come_from_prompts_and_kb_json() {
    let (_ref_dir, reference) = tiny();
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    let plain = load_f32(dir.path());
    assert_eq!(plain.embed_query("cat"), reference.embed("cat"));
    assert_eq!(plain.embed_passages(&["cat", "dog"]), reference.embed_batch(&["cat", "dog"]));

    // e5's way, in config_sentence_transformers.json.
    let prompts =
        r#"{"prompts": {"query": "hello ", "document": "world "}, "default_prompt_name": null}"#;
    std::fs::write(dir.path().join("config_sentence_transformers.json"), prompts).unwrap();
    let e5 = load_f32(dir.path());
    assert_eq!(e5.info().query_prefix, "hello ");
    assert_eq!(e5.info().passage_prefix, "world ");
    assert_eq!(e5.embed_query("cat"), reference.embed("hello cat"));
    assert_eq!(
        e5.embed_passages(&["cat", "dog"]),
        reference.embed_batch(&["world cat", "world dog"])
    );
    // embed() itself takes the text as it is.
    assert_eq!(e5.embed("cat"), reference.embed("cat"));

    // kb.json overrides what it names.
    std::fs::write(dir.path().join("kb.json"), r#"{"name": "tiny-e5", "query_prefix": "the "}"#)
        .unwrap();
    let kb = load_f32(dir.path());
    assert_eq!(kb.info().name, "tiny-e5");
    assert_eq!(kb.embed_query("cat"), reference.embed("the cat"));
    assert_eq!(kb.embed_passages(&["cat"]), [reference.embed("world cat")]);

    // A misspelt key is an error, not a silently ignored prefix.
    std::fs::write(dir.path().join("kb.json"), r#"{"query_prefx": "the "}"#).unwrap();
    let err = load_err(dir.path());
    assert!(matches!(&err, EmbedError::Format { path, .. } if path.ends_with("kb.json")), "{err}");
    assert!(err.to_string().contains("query_prefx"), "{err}");
}

#[test]
fn unsupported_sentence_transformers_folders_are_named() {
    let dense = MODULES.replace("models.Normalize", "models.Dense");
    let lasttoken = r#"{"pooling_mode_lasttoken": true}"#;
    let two_modes = r#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true}"#;
    let no_mode = r#"{"pooling_mode_cls_token": false}"#;
    let wrong_dim = r#"{"word_embedding_dimension": 384, "pooling_mode_mean_tokens": true}"#;
    for (file, contents, says) in [
        ("modules.json", dense.as_str(), "models.Dense"),
        ("modules.json", "{", "not a modules.json"),
        ("1_Pooling/config.json", lasttoken, "last-token"),
        ("1_Pooling/config.json", two_modes, "several pooling modes"),
        ("1_Pooling/config.json", no_mode, "no pooling mode"),
        ("1_Pooling/config.json", wrong_dim, "word_embedding_dimension 384"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path());
        write_pooling(dir.path(), "mean_tokens");
        std::fs::write(dir.path().join(file), contents).unwrap();
        let err = load_err(dir.path());
        assert!(
            matches!(&err, EmbedError::Format { path, .. } if path.ends_with(file)),
            "{file}: {err}"
        );
        assert!(err.to_string().contains(says), "{file}: {err}");
    }
    // modules.json names a Pooling module whose configuration is missing.
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path());
    write_pooling(dir.path(), "mean_tokens");
    std::fs::remove_file(dir.path().join("1_Pooling/config.json")).unwrap();
    let err = load_err(dir.path());
    assert!(
        matches!(&err, EmbedError::Io { path, .. } if path.ends_with("1_Pooling/config.json")),
        "{err}"
    );
}

#[test]
fn the_checksum_identifies_the_model_and_its_settings() {
    let load = |dir: &Path| load_f32(dir).info().clone();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    write_model(a.path());
    write_model(b.path());
    let (info_a, info_b) = (load(a.path()), load(b.path()));
    assert_eq!(info_a.checksum, info_b.checksum, "same files, same model");
    assert_eq!(info_a.checksum.len(), 64);
    assert_eq!(info_a.dim, HIDDEN);
    assert_eq!(info_a.max_tokens, POSITIONS);
    // The name is the folder's, which is absolute in `dir`.
    let folder = a.path().canonicalize().unwrap();
    assert_eq!(info_a.name, folder.file_name().unwrap().to_string_lossy());
    assert_eq!(info_a.dir, folder);

    // Other weights (one value changed), another pooling, another prefix: other models.
    let mut checksums = vec![info_a.checksum.clone()];
    write_pooling(b.path(), "cls_token");
    checksums.push(load(b.path()).checksum);
    write_pooling(b.path(), "mean_tokens");
    assert_eq!(load(b.path()).checksum, info_a.checksum, "mean pooling is the default");
    std::fs::write(b.path().join("kb.json"), r#"{"passage_prefix": "passage: "}"#).unwrap();
    checksums.push(load(b.path()).checksum);
    std::fs::remove_file(b.path().join("kb.json")).unwrap();
    let path = b.path().join("model.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    checksums.push(load(b.path()).checksum);
    let distinct: std::collections::HashSet<_> = checksums.iter().collect();
    assert_eq!(distinct.len(), checksums.len(), "{checksums:?}");

    // A folder named `model` is named after its parent.
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("bge-tiny").join("model");
    std::fs::create_dir_all(&dir).unwrap();
    write_model(&dir);
    assert_eq!(load(&dir).name, "bge-tiny");
}

#[test]
fn packed_batches_give_each_text_its_own_embedding() {
    let (_dir, embedder) = tiny();
    // Enough texts of mixed lengths (up to truncated ones) for several packed groups.
    let words = ["the", "cat", "sat", "on", "mat", "dog", "hello", "world"];
    let texts: Vec<String> = (0..200)
        .map(|i| {
            let len = (i * 7) % 23;
            (0..len).map(|j| words[(i + j * 3) % words.len()]).collect::<Vec<_>>().join(" ")
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens: usize = refs.iter().map(|t| t.split(' ').count().min(14) + 2).sum();
    assert!(tokens > 4 * kb_embed::PACK_TOKENS, "{tokens} tokens make several groups");
    let each = embedder.embed_each(&refs);
    let packed = embedder.embed_batch(&refs);
    assert_eq!(packed.len(), refs.len());
    for ((text, a), b) in refs.iter().zip(&each).zip(&packed) {
        assert_close(b, a, text);
        assert_eq!(a, &embedder.embed(text), "{text:?}");
    }
}

/// Issue 13: with its linear layers in int8 the tiny model (mean and `[CLS]` pooling) gives
/// embeddings within 0.03 of the f32 ones in every dimension, cosine at least 0.999; a text's
/// embedding is the same packed with others or alone, and the model is the same one (checksum).
#[test]
fn int8_weights_agree_with_f32_in_both_pooling_modes() {
    let texts: Vec<&str> = golden::TINY_EMBEDDINGS.iter().map(|(t, _)| *t).collect();
    for mode in ["mean_tokens", "cls_token"] {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path());
        write_pooling(dir.path(), mode);
        let exact = load_f32(dir.path());
        let int8 = Embedder::load_with(dir.path(), Precision::Int8).unwrap();
        assert_eq!(int8.info().precision, Precision::Int8);
        assert_eq!(exact.info().precision, Precision::F32);
        assert_eq!(int8.info().checksum, exact.info().checksum);
        for text in &texts {
            let (want, got) = (exact.embed(text), int8.embed(text));
            let cosine: f32 = want.iter().zip(&got).map(|(a, b)| a * b).sum();
            let diff = want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(
                cosine >= 0.999 && diff <= 0.03,
                "{mode} {text:?}: cosine {cosine}, max abs diff {diff}\n got {got:?}\nwant {want:?}"
            );
            assert!((norm(&got) - 1.0).abs() < 1e-6);
        }
        let single: Vec<Vec<f32>> = texts.iter().map(|t| int8.embed(t)).collect();
        assert_eq!(int8.embed_batch(&texts), single, "{mode}");
    }
}

// The ready file (`Embedder::load_ready`): written by the first load, mapped by the next ones,
// the same embeddings bit for bit.

/// Texts whose embeddings the ready file's tests compare.
const TEXTS: &[&str] = &["hello world", "the cat sat on the mat", "", "unknown zzz words", "dog"];

/// The ready files in `dir`.
fn ready_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "kbready"))
        .collect();
    files.sort();
    files
}

/// Every embedding of [`TEXTS`], one at a time and packed.
fn all_embeddings(embedder: &Embedder) -> Vec<Vec<f32>> {
    let mut out: Vec<Vec<f32>> = TEXTS.iter().map(|t| embedder.embed(t)).collect();
    out.extend(embedder.embed_batch(TEXTS));
    out
}

/// Sets the modification time of the model's files an hour back, as for a model downloaded
/// earlier (a file modified within the ready file's clock tick is checked by its contents).
fn age_model_files(dir: &Path) {
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for name in ["config.json", "vocab.txt", "model.safetensors"] {
        let file = std::fs::File::options().write(true).open(dir.join(name)).unwrap();
        file.set_modified(hour_ago).unwrap();
    }
}

#[test]
fn the_ready_file_is_written_then_mapped_and_embeds_identically_in_both_pooling_modes() {
    for mode in ["mean_tokens", "cls_token"] {
        for precision in [Precision::F32, Precision::Int8] {
            let model = tempfile::tempdir().unwrap();
            let cache = tempfile::tempdir().unwrap();
            write_model(model.path());
            write_pooling(model.path(), mode);
            let ready_dir = cache.path().join("ready");
            let what = format!("{mode} {precision:?}");

            let folder = Embedder::load_with(model.path(), precision).unwrap();
            assert_eq!(folder.ready_file(), None);
            let first = Embedder::load_ready(model.path(), precision, &ready_dir).unwrap();
            assert_eq!(first.ready_file(), None, "{what}: nothing to map yet");
            let written = ready_files(&ready_dir);
            assert_eq!(written.len(), 1, "{what}: {written:?}");
            assert!(written[0]
                .to_str()
                .unwrap()
                .ends_with(&format!("-{}.kbready", precision.as_str())));

            let second = Embedder::load_ready(model.path(), precision, &ready_dir).unwrap();
            assert_eq!(second.ready_file(), Some(written[0].as_path()), "{what}");
            assert_eq!(second.info(), folder.info(), "{what}");
            let want = all_embeddings(&folder);
            assert_eq!(all_embeddings(&first), want, "{what}");
            assert_eq!(all_embeddings(&second), want, "{what}: bit for bit");
            assert_eq!(ready_files(&ready_dir), written, "{what}: one file per model");
        }
    }
}

#[test]
fn a_model_of_old_files_maps_its_ready_file_without_reading_the_weights() {
    let model = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write_model(model.path());
    age_model_files(model.path());
    let first = Embedder::load_ready(model.path(), Precision::Int8, cache.path()).unwrap();
    let want = all_embeddings(&first);
    // The weights replaced by zeros of the same length, modification time and inode: a load
    // from the folder would fail; the ready file, trusted by the files' stat data, is used.
    let weights = model.path().join("model.safetensors");
    let meta = std::fs::metadata(&weights).unwrap();
    let file = std::fs::File::options().write(true).open(&weights).unwrap();
    std::io::Write::write_all(&mut &file, &vec![0u8; meta.len() as usize]).unwrap();
    file.set_modified(meta.modified().unwrap()).unwrap();
    drop(file);
    let mapped = Embedder::load_ready(model.path(), Precision::Int8, cache.path()).unwrap();
    assert!(mapped.ready_file().is_some());
    assert_eq!(all_embeddings(&mapped), want);
    assert!(Embedder::load_with(model.path(), Precision::Int8).is_err());
}

#[test]
fn a_corrupt_or_truncated_ready_file_is_ignored_and_replaced() {
    let model = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write_model(model.path());
    let want = all_embeddings(&load_f32(model.path()));
    Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
    let path = ready_files(cache.path()).remove(0);
    let good = std::fs::read(&path).unwrap();
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("one byte short", good[..good.len() - 1].to_vec()),
        ("header damaged", {
            let mut bad = good.clone();
            bad[60] ^= 0x55;
            bad
        }),
        ("another format version", {
            let mut bad = good.clone();
            bad[8] = 99;
            bad
        }),
        ("magic only", b"kb-ready".to_vec()),
        ("a data length that wraps around, its header hashed again", wrapping_header(&good)),
    ];
    for (what, bytes) in damages {
        std::fs::write(&path, &bytes).unwrap();
        let loaded = Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
        assert_eq!(loaded.ready_file(), None, "{what}");
        assert_eq!(all_embeddings(&loaded), want, "{what}");
        assert_eq!(std::fs::read(&path).unwrap().len(), good.len(), "{what}: rewritten");
        let next = Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
        assert_eq!(next.ready_file(), Some(path.as_path()), "{what}");
        assert_eq!(all_embeddings(&next), want, "{what}");
    }
}

/// `good`, a ready file, cut after its header, whose `data_len` is rewritten so that the data's
/// start (past the end of the file) plus it wraps around to the file's length, and whose header
/// hash is made again: a file crafted to pass a length check done in wrapping arithmetic.
fn wrapping_header(good: &[u8]) -> Vec<u8> {
    let len = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&good[48..48 + len]).unwrap();
    let encode = |header: &serde_json::Value| {
        let mut text = serde_json::to_vec(header).unwrap();
        if (48 + text.len()).is_multiple_of(64) {
            text.push(b' '); // so that the data would start past the end of the file
        }
        text
    };
    header["data_len"] = serde_json::json!(u64::MAX);
    let end = 48 + encode(&header).len();
    let data = end.next_multiple_of(64);
    // data + data_len = end (mod 2^64); as long a number as u64::MAX, so `end` stays.
    header["data_len"] = serde_json::json!(0u64.wrapping_sub((data - end) as u64));
    let text = encode(&header);
    assert_eq!(48 + text.len(), end);
    let mut bad = good[..12].to_vec();
    bad.extend((text.len() as u32).to_le_bytes());
    bad.extend(blake3::hash(&text).as_bytes());
    bad.extend(text);
    bad
}

#[test]
fn a_foreign_file_of_the_ready_files_name_is_left_alone() {
    let model = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write_model(model.path());
    Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
    let path = ready_files(cache.path()).remove(0);
    std::fs::write(&path, "someone else's notes").unwrap();
    let loaded = Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
    assert_eq!(loaded.ready_file(), None);
    assert_eq!(all_embeddings(&loaded), all_embeddings(&load_f32(model.path())));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "someone else's notes");
}

#[test]
fn a_changed_model_file_invalidates_the_ready_file() {
    let model = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write_model(model.path());
    let before =
        all_embeddings(&Embedder::load_ready(model.path(), Precision::Int8, cache.path()).unwrap());
    // Other weights of the same shapes (and file length): the word embeddings halved.
    let tensors: Vec<_> = shapes()
        .into_iter()
        .map(|(name, shape)| {
            let factor = if name.starts_with("embeddings.word") { 0.5 } else { 1.0 };
            let values = (0..shape.iter().product()).map(|i| weight(&name, i) * factor).collect();
            (name, shape, values)
        })
        .collect();
    std::fs::write(model.path().join("model.safetensors"), safetensors(&tensors, Dtype::F32))
        .unwrap();
    let changed = Embedder::load_ready(model.path(), Precision::Int8, cache.path()).unwrap();
    assert_eq!(changed.ready_file(), None, "the ready file is stale");
    let want = all_embeddings(&Embedder::load_with(model.path(), Precision::Int8).unwrap());
    assert_ne!(want, before);
    assert_eq!(all_embeddings(&changed), want);
    let info = changed.info().clone();
    let next = Embedder::load_ready(model.path(), Precision::Int8, cache.path()).unwrap();
    assert!(next.ready_file().is_some(), "written again for the new weights");
    assert_eq!(all_embeddings(&next), want);
    assert_eq!(next.info(), &info);
}

#[test]
fn a_change_within_the_ready_files_clock_tick_is_seen_by_the_contents() {
    let model = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write_model(model.path());
    // The weights' modification time in the future: every ready file is "racy" against it.
    let weights = model.path().join("model.safetensors");
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&weights).unwrap().set_modified(later).unwrap();
    Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
    // Unchanged: checked by its contents, then mapped.
    let same = Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
    assert!(same.ready_file().is_some());
    // Changed in place with the same length, inode and modification time: the stat data
    // cannot tell, the contents do.
    let mut bytes = std::fs::read(&weights).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    let file = std::fs::File::options().write(true).open(&weights).unwrap();
    std::io::Write::write_all(&mut &file, &bytes).unwrap();
    file.set_modified(later).unwrap();
    drop(file);
    let changed = Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
    assert_eq!(changed.ready_file(), None);
    assert_eq!(all_embeddings(&changed), all_embeddings(&load_f32(model.path())));
    assert_ne!(changed.info().checksum, same.info().checksum);
}

#[test]
fn a_cache_that_cannot_be_written_still_embeds() {
    let model = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write_model(model.path());
    // A folder under a file cannot be created, whoever runs the test.
    let blocker = cache.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let ready_dir = blocker.join("ready");
    let want = all_embeddings(&load_f32(model.path()));
    for _ in 0..2 {
        let loaded = Embedder::load_ready(model.path(), Precision::F32, &ready_dir).unwrap();
        assert_eq!(loaded.ready_file(), None);
        assert_eq!(all_embeddings(&loaded), want);
    }
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a folder");
    // And a model that cannot be loaded is the same error with or without a cache.
    let err = Embedder::load_ready(&model.path().join("nothing"), Precision::F32, cache.path());
    assert!(matches!(err, Err(EmbedError::Io { .. })), "{err:?}");
}

#[test]
fn the_ready_files_of_model_folders_that_are_gone_are_removed_and_nothing_else() {
    let cache = tempfile::tempdir().unwrap();
    let gone = tempfile::tempdir().unwrap();
    write_model(gone.path());
    Embedder::load_ready(gone.path(), Precision::F32, cache.path()).unwrap();
    let orphan = ready_files(cache.path()).remove(0);
    let foreign = cache.path().join("notes.txt");
    std::fs::write(&foreign, "kb-ready, but not a ready file").unwrap();
    drop(gone);
    // The next ready file written removes the one of the folder that is gone.
    let model = tempfile::tempdir().unwrap();
    write_model(model.path());
    Embedder::load_ready(model.path(), Precision::F32, cache.path()).unwrap();
    let left = ready_files(cache.path());
    assert_eq!(left.len(), 1);
    assert_ne!(left[0], orphan);
    assert!(foreign.exists());
    assert!(Embedder::load_ready(model.path(), Precision::F32, cache.path())
        .unwrap()
        .ready_file()
        .is_some());
}

/// Batches started with `spawn_passages` come back through `done` with `embed_passages`'
/// vectors, from outside any thread pool and from the only thread of a rayon pool, which
/// waits for them (queued behind that thread, they would never run).
#[test]
fn spawned_passages_come_back_inside_and_outside_a_pool() {
    use std::sync::mpsc::{channel, Sender};
    use std::time::Duration;
    let (_dir, embedder) = tiny();
    let embedder = std::sync::Arc::new(embedder);
    let want = embedder.embed_passages(&["cat", "dog"]);
    let texts = || vec!["cat".to_string(), "dog".to_string()];
    let send =
        |tx: Sender<Vec<Vec<f32>>>| move |v: std::thread::Result<_>| tx.send(v.unwrap()).unwrap();
    let (tx, rx) = channel();
    embedder.spawn_passages(texts(), send(tx.clone()));
    assert_eq!(rx.recv_timeout(Duration::from_secs(20)).unwrap(), want);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let got = pool.install(move || {
        embedder.spawn_passages(texts(), send(tx));
        rx.recv_timeout(Duration::from_secs(20))
    });
    assert_eq!(got.expect("the batch came back"), want);
}
