//! Semantic indexes (`kb index --semantic`) and re-ranking by meaning, through the real `kb`,
//! with a word model the tests write (words of one group embed alike; see
//! `kb_embed::testing`): the model is known, so the re-ranking is too.

use crate::util::Kb;

/// Word groups of the test model: each group is one direction of meaning.
const GROUPS: &[&[&str]] = &[
    &["car", "automobile", "vehicle"],
    &["repair", "fix", "mend"],
    &["soup", "pot", "broth", "stew", "onion", "salt", "kitchen"],
];

/// Three passages for "automobile repair": the kitchen note has both words but is about soup;
/// the workshop note has one of them and is all about mending cars; the stew has the other and
/// is about soup.
fn workshop() -> Kb {
    write_workshop(Kb::new().with_word_model(GROUPS))
}

/// Writes the three notes of [`workshop`] into `kb`'s work dir.
pub fn write_workshop(kb: Kb) -> Kb {
    kb.write(
        "docs/kitchen.txt",
        "Kitchen\n\nAn automobile repair manual lies under the soup pot, beside the broth, the stew, \
         the onion and the salt.\n",
    );
    kb.write("docs/workshop.txt", "Workshop\n\nMend the vehicle, fix the car: automobile work.\n");
    kb.write("docs/stew.txt", "Stew\n\nA stew of onion, salt and broth for the repair crew.\n");
    kb
}

/// Runs `kb ARGS...` with `KB_MODEL_DIR` naming a folder without a model: exit code, stderr.
fn run_without_model(kb: &Kb, args: &[&str]) -> (i32, String) {
    let mut cmd = kb.command();
    cmd.args(args).env("KB_MODEL_DIR", kb.path().join("no-model"));
    let out = cmd.output().expect("kb runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn doc_ids(kb: &Kb, query: &str, extra: &[&str]) -> Vec<String> {
    kb.search(query, extra).hits.into_iter().map(|h| h.doc_id).collect()
}

#[test]
fn meaning_lifts_the_passage_about_the_query_over_one_that_only_shares_its_words() {
    let kb = workshop();
    kb.run(&["index", "--semantic", "docs"]).expect_code(0);
    // Words alone: the kitchen note has both query words.
    assert_eq!(doc_ids(&kb, "automobile repair", &["--semantic", "0"])[0], "kitchen");
    // With meaning: the workshop note, all about mending cars, comes first; the stew, about
    // soup and with one word, stays last.
    let ranked = doc_ids(&kb, "automobile repair", &["--semantic", "0.7"]);
    assert_eq!(ranked, ["workshop", "kitchen", "stew"]);
    // Snippets still light the query's words.
    let out = kb.search("automobile repair", &["--semantic", "0.7"]);
    assert!(out.hits[0].snippet.contains("<mark>automobile</mark>"), "{}", out.hits[0].snippet);
    // With `--dense 0`, meaning only reorders what the words found: a passage without them is
    // not added (by default it may be: see `dense.rs`).
    assert_eq!(doc_ids(&kb, "vehicle", &["--dense", "0"]), ["workshop"]);
}

#[test]
fn explain_shows_the_lexical_and_the_semantic_parts() {
    let kb = workshop();
    kb.run(&["index", "--semantic", "docs"]).expect_code(0);
    let out = kb.run(&["search", "automobile repair", "--semantic", "0.7", "--explain"]);
    let out = out.expect_code(0);
    assert!(out.stdout.contains("fused: lexical + semantic"), "{}", out.stdout);
    assert!(out.stdout.contains("semantic: cosine"), "{}", out.stdout);
    assert!(
        out.stdout.contains("word \"automobile\""),
        "the lexical tree is kept:\n{}",
        out.stdout
    );
}

#[test]
fn a_semantic_index_stays_semantic_through_updates_until_made_lexical() {
    let kb = workshop();
    kb.run(&["index", "--semantic", "docs"]).expect_code(0);
    // A file added later is embedded too: without a vector it would rank last.
    kb.write("docs/garage.txt", "Garage\n\nThe garage will fix any automobile or vehicle.\n");
    kb.run(&["index", "docs"]).expect_code(0);
    let ranked = doc_ids(&kb, "automobile repair", &["--semantic", "0.7"]);
    assert_eq!(&ranked[2..], ["kitchen", "stew"], "{ranked:?}");
    assert!(ranked[..2].contains(&"garage".to_owned()), "{ranked:?}");
    // --lexical drops the embeddings: searching then needs no model at all.
    kb.run(&["index", "--lexical", "docs"]).expect_code(0);
    let (code, stderr) = run_without_model(&kb, &["search", "automobile repair"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_semantic_index_without_its_model_is_a_clear_error() {
    let kb = workshop();
    kb.run(&["index", "--semantic", "docs"]).expect_code(0);
    let (code, stderr) = run_without_model(&kb, &["search", "automobile repair"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot get the embedding model"), "{stderr}");
    assert!(stderr.contains("KB_MODEL_DIR"), "{stderr}");
    // The words alone still search it.
    let (code, stderr) =
        run_without_model(&kb, &["search", "automobile repair", "--semantic", "0"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn eval_scores_semantic_ranking_on_a_semantic_index_of_its_own() {
    let kb = workshop();
    let corpus = [
        ("kitchen", "Kitchen", "An automobile repair manual lies under the soup pot, beside the broth, the stew, the onion and the salt."),
        ("workshop", "Workshop", "Mend the vehicle, fix the car: automobile work."),
        ("stew", "Stew", "A stew of onion, salt and broth for the repair crew."),
    ];
    let lines: Vec<String> = corpus
        .iter()
        .map(|(id, title, text)| {
            serde_json::json!({ "_id": id, "title": title, "text": text }).to_string()
        })
        .collect();
    kb.write("beir/corpus.jsonl", lines.join("\n") + "\n");
    kb.write("beir/queries.jsonl", "{\"_id\": \"q1\", \"text\": \"automobile repair\"}\n");
    kb.write("beir/qrels/test.tsv", "query-id\tcorpus-id\tscore\r\nq1\tworkshop\t1\r\n");
    let mrr = |extra: &[&str]| {
        let mut args = vec!["eval", "beir", "--json"];
        args.extend_from_slice(extra);
        let report: serde_json::Value = kb.run(&args).expect_code(0).json();
        report["mrr@10"].as_f64().expect("mrr@10")
    };
    assert_eq!(mrr(&["--semantic", "0"]), 0.5, "lexically the workshop note is second");
    assert_eq!(mrr(&["--semantic", "0.7"]), 1.0, "with meaning it is first");
    // Each has an index of its own in the cache.
    let cached = std::fs::read_dir(kb.path().join(".kb-eval")).expect("cache").count();
    assert_eq!(cached, 2);
}

#[test]
fn the_library_ranks_a_semantic_index_by_meaning_without_wiring_and_keeps_it_semantic() {
    let work = workshop();
    work.run(&["index", "--semantic", "docs"]).expect_code(0);
    // The library finds the model where the CLI does (`KB_MODEL_DIR`); no other test of this
    // process reads it (the CLI runs are given their own environment).
    std::env::set_var("KB_MODEL_DIR", work.path().join("model"));
    // And keeps the model's ready file in the work dir's cache, not the user's.
    std::env::set_var("XDG_CACHE_HOME", work.path().join("cache"));
    let kb = kb::Kb::open(work.path().join(".kb")).expect("open");
    let model = kb.semantic_model().unwrap();
    assert!(model.is_some(), "a semantic index names its model");
    let ranked = |kb: &kb::Kb, weight: f32| {
        let mut opts = kb::SearchOptions::default();
        opts.semantic.weight = weight;
        let results = kb.search("automobile repair", &opts).unwrap();
        results.hits.into_iter().map(|h| h.doc_id).collect::<Vec<_>>()
    };
    // Default options rank by meaning, as `kb search` does; weight 0 by words alone.
    let default = kb::SearchOptions::default().semantic.weight;
    assert_eq!(ranked(&kb, default), doc_ids(&work, "automobile repair", &[]));
    assert_eq!(ranked(&kb, 0.7), ["workshop", "kitchen", "stew"]);
    assert_eq!(ranked(&kb, 0.0)[0], "kitchen");

    // Indexing with default options keeps the index semantic: a new file is embedded too.
    work.write(
        "docs/garage.txt",
        "Garage\n\nThe garage will mend any automobile, car or vehicle.\n",
    );
    let report = kb.index(&[work.path().join("docs")]).unwrap();
    assert_eq!(report.added, 1);
    assert_eq!(kb.semantic_model().unwrap(), model, "still semantic, same model");
    let out = work.run(&["stats", "--json"]).expect_code(0);
    assert!(out.stdout.contains("\"documents\":4"), "{}", out.stdout);
    assert!(ranked(&kb, 0.7).contains(&"garage".to_string()));
}
