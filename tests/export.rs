//! `kb export --to opensearch|quickwit|meilisearch OUT_DIR` through the real `kb`: the files of
//! each engine, every passage line, the analyzer settings, semantic exports, and the files it
//! refuses to replace.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::util::{Kb, SourceOutput};

/// Every key of an exported passage, in the order written.
const KEYS: [&str; 8] =
    ["passage_id", "doc_id", "doc_title", "kind", "heading", "text", "context", "source"];

/// Strict copy of a passage line (`id` for Meilisearch, the vector on a semantic export).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PassageLine {
    #[serde(default)]
    id: Option<String>,
    passage_id: String,
    doc_id: String,
    doc_title: Option<String>,
    kind: String,
    heading: Option<String>,
    text: String,
    context: Option<String>,
    source: SourceOutput,
    #[serde(default)]
    vector: Option<Vec<f32>>,
    #[serde(default, rename = "_vectors")]
    meilisearch_vectors: Option<MeilisearchVectors>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeilisearchVectors {
    default: Option<Vec<f32>>,
}

/// A small knowledge base: an article with a heading, a Q&A thread in text, JSON threads whose
/// ids need re-encoding for Meilisearch, and synonyms.
fn fixture() -> Kb {
    let kb = Kb::new();
    kb.write(
        "docs/calves.md",
        "# Calf Reduction\n\nCalves can be slimmed with botox injections.\n\n## Nerve block\n\n\
         A nerve block weakens the calf muscle for months.\n",
    );
    kb.write(
        "docs/kettle-qa.txt",
        "Is vinegar safe for my kettle?\n\nMy kettle has white scale inside. Is vinegar safe?\n\n\
         Answer from Ann\n\nYes, boil diluted vinegar and rinse twice.\n\n\
         Answer from Bo\n\nCitric acid works as well and smells less.\n",
    );
    kb.write(
        "docs/threads.jsonl",
        concat!(
            r#"{"id": "q_1", "title": "Leaves turning yellow?", "question": "Why do the leaves of my fig turn yellow?", "answers": [{"body": "Too much water."}]}"#,
            "\n",
            r#"{"id": "q#1 é", "title": "Mice in the shed", "question": "How do I keep mice out?", "answers": [{"body": "Seal the gaps."}, {"body": "Get a cat."}]}"#,
            "\n",
        ),
    );
    kb.write("docs/synonyms.txt", "botox, botulinum toxin\nkettle, boiler # a comment\nlonely\n");
    kb.run(&["index", "docs"]).expect_code(0);
    kb
}

/// `kb export --to TARGET out --corpus docs`, which must succeed.
fn export(kb: &Kb, target: &str) -> String {
    let out = kb.run(&["export", "--to", target, "out", "--corpus", "docs"]).expect_code(0);
    out.stdout
}

fn read(kb: &Kb, name: &str) -> String {
    std::fs::read_to_string(kb.path().join("out").join(name))
        .unwrap_or_else(|e| panic!("out/{name}: {e}"))
}

fn json_file(kb: &Kb, name: &str) -> Value {
    serde_json::from_str(&read(kb, name)).unwrap_or_else(|e| panic!("out/{name} is not JSON: {e}"))
}

/// The passage lines of a passages file (OpenSearch's every other line), each checked to hold
/// exactly the expected keys (every one present, null when empty) and parsed strictly.
fn passages(kb: &Kb, target: &str, extra_keys: &[&str]) -> Vec<PassageLine> {
    let (file, step) = match target {
        "opensearch" => ("bulk.ndjson", 2),
        "quickwit" => ("docs.ndjson", 1),
        _ => ("documents.ndjson", 1),
    };
    let text = read(kb, file);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for chunk in lines.chunks(step) {
        let line = *chunk.last().unwrap();
        let value: serde_json::Map<String, Value> = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{file}: a line is not a JSON object ({e}): {line}"));
        let keys: BTreeSet<&str> = value.keys().map(String::as_str).collect();
        let expected: BTreeSet<&str> = KEYS.iter().chain(extra_keys).copied().collect();
        assert_eq!(keys, expected, "{file}: {line}");
        let passage: PassageLine = serde_json::from_value(Value::Object(value)).unwrap();
        if step == 2 {
            let action: Value = serde_json::from_str(chunk[0]).unwrap();
            assert_eq!(action, serde_json::json!({"index": {"_id": passage.passage_id}}));
        }
        out.push(passage);
    }
    assert!(text.ends_with('\n') && lines.len().is_multiple_of(step), "{file} ends mid-record");
    out
}

#[test]
fn each_engine_gets_its_files_and_every_passage_with_every_key() {
    let kb = fixture();
    let stats = kb.stats();
    let mut ids_by_target = Vec::new();
    for (target, files, extra) in [
        ("opensearch", ["index.json", "bulk.ndjson"], &[][..]),
        ("quickwit", ["index-config.yaml", "docs.ndjson"], &[][..]),
        ("meilisearch", ["settings.json", "documents.ndjson"], &["id"][..]),
    ] {
        let stdout = export(&kb, target);
        assert!(stdout.contains(&format!("exported {} passages for {target}", stats.passages)));
        for file in files {
            assert!(kb.path().join("out").join(file).is_file(), "{target}: {file} missing");
        }
        let lines = passages(&kb, target, extra);
        assert_eq!(lines.len() as u64, stats.passages, "{target}: as many lines as passages");
        let ids: Vec<&str> = lines.iter().map(|p| p.passage_id.as_str()).collect();
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "{target}: duplicates");
        ids_by_target.push(ids.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>());

        let by_id = |id: &str| lines.iter().find(|p| p.passage_id == id).unwrap();
        // A passage under a heading, with its document and source.
        let block = lines.iter().find(|p| p.text.starts_with("A nerve block")).unwrap();
        assert_eq!(block.heading.as_deref(), Some("Nerve block"));
        assert_eq!((block.doc_id.as_str(), block.kind.as_str()), ("calves", "article"));
        assert_eq!(block.doc_title.as_deref(), Some("Calf Reduction"));
        assert!(block.source.path.ends_with("calves.md") && block.source.line > 1);
        assert_eq!(block.context, None);
        // An answer carries its question's body as context; the question none.
        let answer = by_id("kettle-qa#1");
        assert_eq!(answer.kind, "answer");
        assert_eq!(
            answer.context.as_deref(),
            Some("My kettle has white scale inside. Is vinegar safe?")
        );
        assert_eq!(by_id("kettle-qa#0").context, None);
        assert_eq!(by_id("q#1 é#2").context.as_deref(), Some("How do I keep mice out?"));
        assert!(lines.iter().all(|p| p.vector.is_none() && p.meilisearch_vectors.is_none()));
    }
    assert!(ids_by_target.windows(2).all(|w| w[0] == w[1]), "the same passages for every engine");
}

#[test]
fn meilisearch_ids_are_legal_distinct_and_keep_the_passage_id() {
    let kb = fixture();
    export(&kb, "meilisearch");
    let lines = passages(&kb, "meilisearch", &["id"]);
    let mut seen = HashSet::new();
    for p in &lines {
        let id = p.id.as_deref().unwrap();
        assert!(
            !id.is_empty()
                && id.len() <= 511
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "illegal Meilisearch id {id:?}"
        );
        assert!(seen.insert(id.to_owned()), "{id} twice");
    }
    let id_of = |passage_id: &str| {
        lines.iter().find(|p| p.passage_id == passage_id).and_then(|p| p.id.clone()).unwrap()
    };
    assert_eq!(id_of("q_1#0"), "q_5F1_230");
    assert_eq!(id_of("q#1 é#1"), "q_231_20_C3_A9_231");
    assert_eq!(id_of("kettle-qa#2"), "kettle-qa_232");
}

#[test]
fn the_settings_carry_kb_s_irregular_forms_synonyms_and_field_order() {
    let kb = fixture();
    // The synonyms are the ones `kb index` recorded in the index (it reports the unusable line).
    let synonyms_line = "synonyms: 2 groups (from the index)";
    let indexed = kb.run(&["index", "docs"]).expect_code(0);
    assert!(indexed.stderr.contains("synonyms.txt:3: line ignored"), "{}", indexed.stderr);

    let out = kb.run(&["export", "--to", "opensearch", "out", "--corpus", "docs"]).expect_code(0);
    assert!(out.stdout.contains(synonyms_line), "{}", out.stdout);
    let index = json_file(&kb, "index.json");
    let filters = &index["settings"]["analysis"]["filter"];
    let rules = filters["kb_irregular"]["rules"].as_array().unwrap();
    for rule in ["calves => calf", "leaves => leaf", "mice => mous", "analyses => analysi"] {
        assert!(rules.contains(&Value::from(rule)), "{rule} missing from {rules:?}");
    }
    assert_eq!(
        filters["kb_synonyms"]["synonyms"],
        serde_json::json!(["botox, botulinum toxin", "kettle, boiler"])
    );
    let stop = filters["kb_stop"]["stopwords"].as_array().unwrap();
    assert!(stop.contains(&Value::from("the")) && stop.contains(&Value::from("whom")));

    export(&kb, "meilisearch");
    let settings = json_file(&kb, "settings.json");
    assert_eq!(
        settings["searchableAttributes"],
        serde_json::json!(["text", "doc_title", "heading", "context"])
    );
    assert_eq!(settings["synonyms"]["botulinum toxin"], serde_json::json!(["botox"]));
    assert_eq!(settings["synonyms"]["boiler"], serde_json::json!(["kettle"]));
    assert_eq!(
        settings["typoTolerance"]["minWordSizeForTypos"],
        serde_json::json!({"oneTypo": 5, "twoTypos": 9})
    );
    assert_eq!(settings["filterableAttributes"], serde_json::json!(["kind", "doc_id"]));
    assert!(settings.get("embedders").is_none());

    export(&kb, "quickwit");
    let config = read(&kb, "index-config.yaml");
    for needle in [
        "index_id: kb\n",
        "  tokenizers:\n    - name: kb_en\n      type: simple\n",
        "    - name: context\n      type: text\n      fieldnorms: true\n      record: position\n      stored: true\n      tokenizer: kb_en\n",
        "default_search_fields: [text, doc_title, heading, context]",
    ] {
        assert!(config.contains(needle), "{needle:?} not in\n{config}");
    }
}

/// The golden OpenSearch create-index body (lexical, with synonyms), pinned so that any change
/// to kb's analyzer or mapping shows up as a diff. `KB_BLESS=1` rewrites it.
#[test]
fn the_opensearch_index_json_is_pinned() {
    let kb = fixture();
    export(&kb, "opensearch");
    let got = read(&kb, "index.json");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/opensearch-index.json");
    if std::env::var_os("KB_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &got).unwrap();
    }
    let expected = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{}: {e} (KB_BLESS=1 writes it)", golden.display()));
    assert!(
        got == expected,
        "index.json differs from {}\n--- got ---\n{got}\n(KB_BLESS=1 rewrites the golden file)",
        golden.display()
    );
}

#[test]
fn a_semantic_index_exports_its_vectors_and_an_embedder_of_their_dimension() {
    let kb = Kb::new().with_word_model(&[&["car", "automobile"], &["soup", "broth"], &["fix"]]);
    kb.write("docs/garage.txt", "Garage\n\nWe fix any car.\n\nAutomobile parts in stock.\n");
    kb.write("docs/kitchen.txt", "Kitchen\n\nA broth of onions.\n");
    kb.run(&["index", "--semantic", "docs"]).expect_code(0);
    let stats = kb.stats();
    // The word model of 3 groups embeds into 6 dimensions.
    let dim = 6;

    let stdout = export(&kb, "opensearch");
    assert!(stdout.contains(&format!("vectors: {dim} dimensions")), "{stdout}");
    let index = json_file(&kb, "index.json");
    let vector = &index["mappings"]["properties"]["vector"];
    assert_eq!(
        (vector["type"].as_str(), vector["dimension"].as_u64()),
        (Some("knn_vector"), Some(dim))
    );
    assert_eq!(index["settings"]["index"]["knn"], true);
    let lines = passages(&kb, "opensearch", &["vector"]);
    assert_eq!(lines.len() as u64, stats.passages);
    for p in &lines {
        let v = p.vector.as_ref().unwrap_or_else(|| panic!("{} has no vector", p.passage_id));
        assert_eq!(v.len() as u64, dim);
        let norm: f32 = v.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-3 || norm == 0.0, "{}: |v|² = {norm}", p.passage_id);
    }
    // The car passage and the automobile passage embed alike; the broth does not.
    let vec_of = |needle: &str| {
        lines.iter().find(|p| p.text.contains(needle)).unwrap().vector.clone().unwrap()
    };
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert!(dot(&vec_of("car"), &vec_of("Automobile")) > 0.5);
    assert!(dot(&vec_of("car"), &vec_of("broth")).abs() < 1e-3);

    export(&kb, "meilisearch");
    let settings = json_file(&kb, "settings.json");
    assert_eq!(
        settings["embedders"]["default"],
        serde_json::json!({"source": "userProvided", "dimensions": dim})
    );
    for p in passages(&kb, "meilisearch", &["id", "_vectors"]) {
        assert_eq!(p.meilisearch_vectors.unwrap().default.unwrap().len() as u64, dim);
    }

    export(&kb, "quickwit");
    assert!(read(&kb, "index-config.yaml").contains("  - name: vector\n      type: array<f64>\n"));
    for p in passages(&kb, "quickwit", &["vector"]) {
        assert_eq!(p.vector.unwrap().len() as u64, dim);
    }
}

#[test]
fn an_export_never_replaces_a_file_kb_did_not_write() {
    let kb = fixture();
    kb.write("out/bulk.ndjson", "my own notes\n");
    let failed = kb.run(&["export", "--to", "opensearch", "out"]).expect_code(2);
    assert!(failed.stderr.contains("was not written by kb export"), "{}", failed.stderr);
    assert_eq!(read(&kb, "bulk.ndjson"), "my own notes\n");
    assert!(!kb.path().join("out/index.json").exists(), "nothing is written on refusal");

    // Its own files, unchanged since, are replaced by the next export.
    kb.remove("out/bulk.ndjson");
    export(&kb, "opensearch");
    let first = read(&kb, "bulk.ndjson");
    kb.write("docs/more.md", "# More\n\nAnother passage about calves.\n");
    kb.run(&["index", "docs"]).expect_code(0);
    export(&kb, "opensearch");
    assert_eq!(read(&kb, "bulk.ndjson").lines().count(), first.lines().count() + 2);
    // No temporary file is left behind.
    let names: BTreeSet<String> = std::fs::read_dir(kb.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([".kb-export.json".into(), "bulk.ndjson".into(), "index.json".into()])
    );

    // Edited by hand: no longer provably kb's.
    kb.write("out/index.json", "{}\n");
    kb.run(&["export", "--to", "opensearch", "out"]).expect_code(2);
    assert_eq!(read(&kb, "index.json"), "{}\n");
}

#[test]
fn exporting_without_an_index_or_with_a_bad_target_fails_cleanly() {
    let kb = Kb::new();
    let out = kb.run(&["export", "--to", "opensearch", "out"]).expect_code(2);
    assert!(out.stderr.contains("no index") || out.stderr.contains("not found"), "{}", out.stderr);
    assert!(
        !kb.path().join("out").exists()
            || std::fs::read_dir(kb.path().join("out")).unwrap().next().is_none()
    );
    let out = kb.run(&["export", "--to", "solr", "out"]).expect_code(2);
    assert!(out.stderr.contains("opensearch"), "the choices are listed: {}", out.stderr);
}
