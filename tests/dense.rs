//! Retrieval by meaning over every passage of a semantic index, fused with the lexical ranking,
//! through the real `kb` and a word model the tests write (words of one group embed alike; see
//! `kb_embed::testing`), so every cosine is known in advance.

use crate::util::Kb;

/// Word groups of the test model: each group is one direction of meaning.
const GROUPS: &[&[&str]] = &[
    &["car", "automobile", "vehicle", "motorcar"],
    &["repair", "fix", "mend"],
    &["soup", "pot", "broth", "stew", "onion", "salt", "kitchen"],
];

/// Four notes for the query "automobile repair", whose embedding is (car 1, repair 1) / √2:
///
/// - workshop: "automobile" (lexical) and car ×3, repair ×2: cosine 5 / (√2 √13) = 0.981;
/// - garage: none of the query's words, car ×2, repair ×1: cosine 3 / (√2 √5) = 0.949;
/// - kitchen: both query words (the best lexical score), and soup ×6: cosine 2 / (√2 √38) =
///   0.229;
/// - notes: "automobile" once in a longer text (the lowest lexical score), soup ×10: cosine
///   1 / (√2 √101) = 0.070.
fn notes() -> Kb {
    let kb = Kb::new().with_word_model(GROUPS);
    kb.write("docs/workshop.txt", "Workshop\n\nMend the vehicle, fix the car: automobile work.\n");
    kb.write("docs/garage.txt", "Garage\n\nMend the car and the vehicle.\n");
    kb.write(
        "docs/kitchen.txt",
        "Kitchen\n\nAn automobile repair manual lies under the soup pot, beside the broth, the stew, \
         the onion and the salt.\n",
    );
    kb.write(
        "docs/notes.txt",
        "Notes\n\nSoup, pot, broth, stew, onion, salt, kitchen, soup, pot, broth and one \
         automobile.\n",
    );
    kb
}

fn doc_ids(kb: &Kb, query: &str, extra: &[&str]) -> Vec<String> {
    kb.search(query, extra).hits.into_iter().map(|h| h.doc_id).collect()
}

#[test]
fn a_passage_without_any_query_word_is_found_by_meaning() {
    let kb = notes();
    kb.run(&["index", "--semantic", "docs"]).expect_code(0);
    // "automobile" is in three notes; the garage note says "car" and "vehicle" instead. (The
    // figures below are the query's own embedding's: no feedback by meaning.)
    let found = kb.search("automobile", &["--dense-feedback", "0"]);
    let ids: Vec<&str> = found.hits.iter().map(|h| h.doc_id.as_str()).collect();
    assert!(ids.contains(&"garage"), "{ids:?}");
    // The query's embedding is the car direction: garage's cosine is 2 / √5 = 0.894, the
    // workshop's 3 / √13 = 0.832, but the workshop also has the word (and the best lexical
    // score): fused 0.3 × 1 + 0.7 × 0.832 = 0.882 against garage's 0.7 × 0.894 = 0.626.
    assert_eq!(ids[..2], ["workshop", "garage"], "{ids:?}");
    assert!(found.total >= 4, "the passage found by meaning counts among the matches");
    // Nothing of it is lit: it has none of the query's words.
    let garage = found.hits.iter().find(|h| h.doc_id == "garage").unwrap();
    assert!(garage.highlights.is_empty(), "{:?}", garage.highlights);
    // Words only (`--semantic 0`), or meaning re-ranking the words' passages only
    // (`--dense 0`): not found.
    assert!(!doc_ids(&kb, "automobile", &["--semantic", "0"]).contains(&"garage".to_owned()));
    assert!(!doc_ids(&kb, "automobile", &["--dense", "0"]).contains(&"garage".to_owned()));
    // A query that must contain its word is taken exactly.
    assert!(!doc_ids(&kb, "+automobile", &[]).contains(&"garage".to_owned()));
    // A query of a word no passage has finds by meaning alone: kb exits 0 with hits.
    let run = kb.run(&["search", "--json", "motorcar"]).expect_code(0);
    assert!(run.stdout.contains("\"doc_id\":\"garage\""), "{}", run.stdout);
}

#[test]
fn a_passage_both_sides_find_ranks_above_those_only_one_side_finds() {
    let kb = notes();
    kb.run(&["index", "--semantic", "docs"]).expect_code(0);
    // fused = 0.3 × lexical' + 0.7 × cosine (the default weight 0.7), lexical' the lexical
    // score over the best one (kitchen 1, workshop x and notes y below 1; garage, not found by
    // words, 0):
    //   workshop 0.3 x + 0.7 × 0.981 >= 0.687 (both sides)
    //   garage   0.3 × 0 + 0.7 × 0.949 = 0.664 (meaning only)
    //   kitchen  0.3 × 1 + 0.7 × 0.229 = 0.460 (words, most of them)
    //   notes    0.3 y + 0.7 × 0.070  < 0.349
    // (The query's own embedding: no feedback by meaning.)
    let ranked = doc_ids(&kb, "automobile repair", &["--dense-feedback", "0"]);
    assert_eq!(ranked, ["workshop", "garage", "kitchen", "notes"]);
    // By words alone, the kitchen note with both words is first, and garage is not found.
    let lexical = doc_ids(&kb, "automobile repair", &["--semantic", "0"]);
    assert_eq!(lexical[0], "kitchen");
    assert!(!lexical.contains(&"garage".to_owned()), "{lexical:?}");
    // --explain says where the passage found by meaning comes from.
    let out = kb.run(&["search", "automobile repair", "--explain"]).expect_code(0);
    assert!(out.stdout.contains("found by meaning"), "{}", out.stdout);
    // A kind filter holds for passages found by meaning too.
    assert_eq!(kb.search("automobile repair", &["--kind", "answer"]).hits.len(), 0);
}

/// Feedback by meaning: the best passages of a first ranking lend the query their meaning, so
/// a passage about what they say beside the query's subject rises.
#[test]
fn the_best_passages_lend_the_query_their_meaning() {
    let kb =
        Kb::new().with_word_model(&[&["glarp", "zintu"], &["frobb", "quell"], &["mumsy", "tovel"]]);
    // Embeddings, in the directions (glarp, frobb, mumsy): one and two (1, 1, 0) / √2, three
    // (0, 1, 0), four (1, 0, 6) / √37. The titles are words the model does not know.
    kb.write("docs/one.txt", "One\n\nZintu frobb.\n");
    kb.write("docs/two.txt", "Two\n\nZintu quell.\n");
    kb.write("docs/three.txt", "Three\n\nFrobb quell frobb.\n");
    kb.write("docs/four.txt", "Four\n\nZintu mumsy tovel mumsy tovel mumsy tovel.\n");
    kb.run(&["index", "--semantic", "docs"]).expect_code(0);
    // "glarp" is in no passage: meaning alone ranks them. Its own embedding, (1, 0, 0):
    // cosines one and two 0.707, four 1 / √37 = 0.164, three 0.
    let own = doc_ids(&kb, "glarp", &["--dense-feedback", "0"]);
    assert_eq!(own[2..], ["four", "three"], "{own:?}");
    // With the mean of the two best (one and two) at half its weight: (1, 0, 0) + 0.5 × (1, 1,
    // 0) / √2, normalized (0.967, 0.253, 0): three 0.253 rises above four 0.159.
    let lent = doc_ids(&kb, "glarp", &[]);
    assert_eq!(lent[2..], ["three", "four"], "{lent:?}");
    let mut first_two = lent[..2].to_vec();
    first_two.sort();
    assert_eq!(first_two, ["one", "two"]);
    let out = kb.run(&["search", "glarp", "--explain"]).expect_code(0);
    assert!(
        out.stdout.contains("with the query and the meaning of the 2 best passages"),
        "{}",
        out.stdout
    );
}

#[test]
fn semantic_weight_zero_gives_the_lexical_ranking_exactly() {
    let kb = notes();
    kb.write("docs/stew.txt", "Stew\n\nA stew of onion, salt and broth for the repair crew.\n");
    kb.run(&["--index", "semantic", "index", "--semantic", "docs"]).expect_code(0);
    kb.run(&["--index", "lexical", "index", "--lexical", "docs"]).expect_code(0);
    for query in ["automobile repair", "repair", "stew salt", "vehicle", "kitchen -soup"] {
        let on = |index: &str, extra: &[&str]| {
            let mut args = vec!["--index", index, "search", "--json", query];
            args.extend_from_slice(extra);
            let run = kb.run(&args);
            assert!(run.code <= 1, "{}", run.stderr);
            let out: crate::util::SearchOutput = run.json();
            out.hits.into_iter().map(|h| (h.passage_id, h.score)).collect::<Vec<_>>()
        };
        let lexical = on("lexical", &[]);
        assert_eq!(on("semantic", &["--semantic", "0"]), lexical, "{query}");
    }
}

/// The approximate search by meaning (an HNSW graph, as `kb serve` and `kb mcp` build past
/// `ApproximateDense::DEFAULT_MIN_PASSAGES` passages), turned on through the library with the
/// threshold lowered to one passage: it finds what the exact scan finds, a passage without the
/// query's words included.
#[test]
fn the_approximate_graph_finds_by_meaning_what_the_exact_scan_finds() {
    let work = notes();
    work.run(&["index", "--semantic", "docs"]).expect_code(0);
    let model = work.path().join("model");
    let open = |approximate: Option<kb::ApproximateDense>| {
        let handle = kb::Kb::open(work.path().join(".kb")).expect("open").with_model_dir(&model);
        match approximate {
            Some(settings) => handle.with_approximate_dense(settings),
            None => handle,
        }
    };
    let exact = open(None);
    let settings = kb::ApproximateDense { min_passages: 1, background: false, beam: 16 };
    let approximate = open(Some(settings));
    let below = open(Some(kb::ApproximateDense { min_passages: 1000, ..settings }));
    let opts = kb::SearchOptions::default();
    let ids = |handle: &kb::Kb, query: &str| -> Vec<String> {
        let results = handle.search(query, &opts).expect("search");
        results.hits.into_iter().map(|h| h.doc_id).collect()
    };
    assert!(!approximate.approximate_dense_ready(), "the model is loaded by the first search");
    // "motorcar" is in no note: the garage note (car ×2, repair ×1, cosine 0.894) is found by
    // meaning alone, first, by the graph as by the scan.
    let by_graph = ids(&approximate, "motorcar");
    assert!(approximate.approximate_dense_ready(), "the graph answered");
    assert_eq!(by_graph.first().map(String::as_str), Some("garage"), "{by_graph:?}");
    assert_eq!(by_graph, ids(&exact, "motorcar"));
    assert!(!exact.approximate_dense_ready());
    for query in ["automobile repair", "automobile", "soup kitchen"] {
        assert_eq!(ids(&approximate, query), ids(&exact, query), "{query}");
    }
    // A handful of passages, below a threshold of 1,000: no graph.
    assert_eq!(ids(&below, "motorcar"), by_graph);
    assert!(!below.approximate_dense_ready());
}
