//! The query features users expect, through the real `kb`: typo tolerance, "did you mean",
//! synonyms from the corpus's `synonyms.txt`, Q&A awareness and `--explain`.

use crate::util::{Kb, QuestionOutput};

const KETTLE_THREAD: &str = r#"{"id": "kettle-q", "title": "Can a kettle descale itself?",
 "question": "My kettle has white scale inside.",
 "answers": [
   {"title": "Use citric acid", "body": "Citric acid dissolves limescale without the smell."},
   {"body": "Vinegar works too, but rinse twice."}
 ]}"#;

#[test]
fn a_typo_finds_and_lights_the_word_meant() {
    let kb = Kb::with_seed_corpus();
    let out = kb.search("botox injectons", &["--limit", "3"]);
    let first = &out.hits[0];
    assert!(first.text.contains("Botox injections"), "{first:#?}");
    assert!(first.lit().contains(&"injections"), "{:?}", first.lit());
    assert!(first.snippet.contains("<mark>injections</mark>"), "{}", first.snippet);
    // The corpus misspells "function" as "funtion" once: that answer comes first for the typo.
    let out = kb.search("nerve funtion", &[]);
    assert!(out.hits[0].text.contains("effect funtion"), "{:#?}", out.hits[0]);
}

/// The passage ids of `kb search QUERY`, in rank order.
fn ids(out: &crate::util::SearchOutput) -> Vec<&str> {
    out.hits.iter().map(|h| h.passage_id.as_str()).collect()
}

#[test]
fn each_kind_of_typo_finds_what_the_word_finds_even_when_it_changes_the_stem() {
    let kb = Kb::with_seed_corpus();
    // (typo, kind, the word meant). "injetcions" stems to "injetcion", "injections" to "inject":
    // the typo is matched against the words as written, then the stem is searched.
    for (typo, kind, word) in [
        ("injetcions", "swap", "injections"),
        ("liposuctoin", "swap", "liposuction"),
        ("radiofrequncy", "deletion", "radiofrequency"),
        ("liposucction", "insertion", "liposuction"),
        ("liposuxtion", "substitution", "liposuction"),
        ("injectionz", "substitution", "injections"),
    ] {
        let meant = kb.search(word, &["--per-doc", "0"]);
        let out = kb.search(typo, &["--per-doc", "0"]);
        assert!(!out.hits.is_empty(), "{typo} ({kind}) found nothing");
        // Every passage the typo finds has the word meant, lit (the corpus's synonyms of
        // "liposuction" are not searched for a typo, so its set may be smaller).
        let wanted = ids(&meant);
        for hit in &out.hits {
            assert!(wanted.contains(&hit.passage_id.as_str()), "{typo} ({kind}): {hit:#?}");
            assert!(
                hit.lit().iter().any(|w| w.eq_ignore_ascii_case(word)),
                "{typo} ({kind}) lit {:?}",
                hit.lit()
            );
            assert!(hit.snippet.to_lowercase().contains(&format!("<mark>{word}</mark>")));
        }
        assert_eq!(out.did_you_mean.as_deref(), Some(word), "{typo} ({kind})");
    }
    // Without synonyms in play, the typo finds exactly what the word finds, in the same order.
    for (typo, word) in [("injetcions", "injections"), ("radiofrequncy", "radiofrequency")] {
        let meant = kb.search(word, &["--per-doc", "0"]);
        let out = kb.search(typo, &["--per-doc", "0"]);
        assert_eq!(ids(&out), ids(&meant), "{typo}");
    }
}

#[test]
fn short_words_are_not_corrected_and_a_typo_is_named_by_explain() {
    let kb = Kb::with_seed_corpus();
    // A swap in a 4-letter word: not searched (too many short words are one edit apart), but
    // suggested; a 3-letter word gets neither.
    let out = kb.search("cafl", &[]);
    assert!(out.hits.is_empty(), "{out:#?}");
    assert_eq!(out.did_you_mean.as_deref(), Some("calf"));
    let out = kb.search("clf", &[]);
    assert!(out.hits.is_empty() && out.did_you_mean.is_none(), "{out:#?}");
    let run = kb.run(&["search", "injetcions", "--explain", "--limit", "1"]).expect_code(0);
    assert!(
        run.stdout.contains("typo \"injetcions\" ~ injections (1 edit): inject"),
        "{}",
        run.stdout
    );
}

#[test]
fn did_you_mean_fires_for_a_word_that_matches_nothing_even_among_many_hits() {
    let kb = Kb::with_seed_corpus();
    // "botox" alone finds plenty; "injetcions" matches nothing as typed.
    let out = kb.search("botox injetcions", &[]);
    assert!(out.total >= 3, "{out:#?}");
    assert_eq!(out.did_you_mean.as_deref(), Some("botox injections"));
    let run = kb.run(&["search", "Botox Injetcions"]).expect_code(0);
    assert!(run.stdout.contains("did you mean: Botox Injections?"), "{}", run.stdout);
    // Every word matches as typed: nothing to suggest.
    assert!(kb.search("botox injections", &[]).did_you_mean.is_none());
}

#[test]
fn a_passage_with_the_misspelling_as_typed_ranks_above_the_typo_matches() {
    let kb = Kb::new();
    kb.write("docs/typo.txt", "Typo\n\nThe nurse gave two injetcions today.\n");
    // Five passages with the stem: a word found once is corrected next to one five times as
    // frequent.
    for (i, text) in [
        "Injections of botox.",
        "Weekly injections help.",
        "Injected twice.",
        "An injection.",
        "More injections.",
    ]
    .iter()
    .enumerate()
    {
        kb.write(&format!("docs/i{i}.txt"), format!("Shots {i}\n\n{text}\n"));
    }
    kb.run(&["index", "docs"]).expect_code(0);
    let out = kb.search("injetcions", &[]);
    assert_eq!(out.hits.len(), 6, "{out:#?}");
    assert_eq!(out.hits[0].lit(), ["injetcions"]);
    assert!(out.hits[0].score > 2.0 * out.hits[1].score, "{out:#?}");
    // Every form of the stem the typo matched is lit.
    let mut lit: Vec<&str> = out.hits[1..].iter().flat_map(|h| h.lit()).collect();
    lit.sort();
    assert_eq!(lit, ["Injected", "Injections", "injection", "injections", "injections"]);
}

#[test]
fn of_two_equally_close_words_the_common_one_ranks_first() {
    let kb = Kb::new();
    kb.write("docs/refsum.txt", "Rare\n\nRefsum disease is rare.\n");
    for i in 0..5 {
        kb.write(&format!("docs/r{i}.txt"), format!("Heartburn {i}\n\nAcid reflux at night.\n"));
    }
    for i in 0..20 {
        kb.write(&format!("docs/o{i}.txt"), format!("Other {i}\n\nSleep and walking.\n"));
    }
    kb.run(&["index", "docs"]).expect_code(0);
    // "refsux" is one edit from "refsum" (1 passage) and from "reflux" (5): the rare word's
    // higher IDF must not put it first.
    let out = kb.search("refsux", &["--per-doc", "0"]);
    let lit: Vec<Vec<&str>> = out.hits.iter().map(|h| h.lit()).collect();
    assert_eq!(lit.len(), 6, "{lit:?}");
    assert!(lit[..5].iter().all(|l| l == &["reflux"]), "{lit:?}");
    assert_eq!(lit[5], ["Refsum"]);
    assert_eq!(out.did_you_mean.as_deref(), Some("reflux"));
}

#[test]
fn the_word_as_typed_ranks_above_near_misses() {
    let kb = Kb::new();
    kb.write("docs/typo.txt", "Typo\n\nNerve damage will effect funtion.\n");
    for (i, text) in [
        "Nerve function after surgery.",
        "Muscle function returns.",
        "Calf function.",
        "Walking function is kept.",
        "Function and form.",
    ]
    .iter()
    .enumerate()
    {
        kb.write(&format!("docs/f{i}.txt"), format!("Function {i}\n\n{text}\n"));
    }
    kb.run(&["index", "docs"]).expect_code(0);
    let out = kb.search("funtion", &[]);
    assert_eq!(out.hits.len(), 6, "the typo passage and the five near misses");
    assert_eq!(out.hits[0].lit(), ["funtion"]);
    assert!(out.hits[0].text.contains("effect funtion"));
    assert!(out.hits[1..]
        .iter()
        .all(|h| h.lit().iter().all(|w| w.eq_ignore_ascii_case("function"))));
    assert!(
        out.hits[0].score > 2.0 * out.hits[1].score,
        "{} vs {}",
        out.hits[0].score,
        out.hits[1].score
    );
}

#[test]
fn short_words_and_numbers_are_not_fuzzy_but_get_a_suggestion() {
    let kb = Kb::with_seed_corpus();
    let run = kb.run(&["search", "botx"]).expect_code(1);
    assert!(run.stdout.contains("did you mean: botox?"), "{}", run.stdout);
    assert!(run.stdout.contains("0 hits"), "{}", run.stdout);
    let out = kb.search("botx", &[]);
    assert!(out.hits.is_empty());
    assert_eq!(out.did_you_mean.as_deref(), Some("botox"));
    // "2 to 4 times" is in the corpus; "24" is a number, so no near miss of it is searched.
    let out = kb.search("24", &[]);
    assert!(out.hits.is_empty() && out.did_you_mean.is_none(), "{out:#?}");
}

#[test]
fn did_you_mean_keeps_the_rest_of_the_query() {
    let kb = Kb::with_seed_corpus();
    let out = kb.search("Neurectmy +\"not reversible\"", &[]);
    assert_eq!(out.did_you_mean.as_deref(), Some("Neurectomy +\"not reversible\""));
    let run = kb.run(&["search", "Neurectmy +\"not reversible\""]).expect_code(0);
    assert!(run.stdout.contains("did you mean: Neurectomy +\"not reversible\"?"), "{}", run.stdout);
    // Plenty found: nothing to suggest, and the JSON says so with null.
    let run = kb.run(&["search", "--json", "botox"]).expect_code(0);
    let v: serde_json::Value = run.json();
    assert!(v["did_you_mean"].is_null(), "{v}");
}

#[test]
fn the_corpus_synonyms_expand_queries_and_are_lit() {
    let kb = Kb::with_seed_corpus();
    assert!(kb.path().join("corpus/synonyms.txt").is_file(), "shipped with the corpus");
    let out = kb.search("botulinum toxin", &["--per-doc", "0"]);
    let bullet =
        out.hits.iter().find(|h| h.passage_id == "calf-reduction#3").expect("the Botox bullet");
    assert!(bullet.lit().contains(&"Botox"), "{:?}", bullet.lit());
    assert!(bullet.snippet.contains("<mark>Botox</mark>"), "{}", bullet.snippet);
    // A multi-word member is searched as a phrase: "nerve removal" finds the neurectomy bullet.
    let out = kb.search("nerve removal", &[]);
    let bullet =
        out.hits.iter().find(|h| h.text.starts_with("In selective neurectomy")).expect("found");
    assert!(bullet.lit().contains(&"neurectomy"), "{:?}", bullet.lit());
    // The synonyms file is configuration, not a document.
    assert_eq!(kb.stats().documents, 2);
}

#[test]
fn bad_synonym_lines_are_reported_and_skipped() {
    let kb = Kb::new();
    kb.write("corpus/a.md", "# Injections\n\nBotox injections are not permanent.\n");
    kb.write("corpus/synonyms.txt", b"# groups\nbotox, botulinum toxin\nlonely\n\xff, x\n");
    let run = kb.run(&["search", "botulinum toxin"]).expect_code(0);
    assert!(run.stderr.contains("corpus/synonyms.txt:3: line ignored"), "{}", run.stderr);
    assert!(
        run.stderr.contains("corpus/synonyms.txt:4: line ignored: not valid UTF-8"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("Botox injections"), "{}", run.stdout);
}

#[test]
fn a_matching_question_lifts_its_answers_and_answers_name_their_question() {
    let kb = Kb::new();
    kb.write("docs/kettle.json", KETTLE_THREAD);
    kb.write("docs/boil.txt", "Boiling\n\nAn electric kettle boils water in minutes.\n");
    kb.write("docs/shop.txt", "Shopping\n\nBuy a kettle with a hidden element.\n");
    kb.run(&["index", "docs"]).expect_code(0);
    let out = kb.search("descale kettle", &[]);
    let ids: Vec<&str> = out.hits.iter().map(|h| h.passage_id.as_str()).collect();
    assert_eq!(ids[0], "kettle-q#0", "{ids:?}");
    // The answers never say "descale" or "kettle", yet come right after their question.
    let mut next = ids[1..3].to_vec();
    next.sort();
    assert_eq!(next, ["kettle-q#1", "kettle-q#2"], "{ids:?}");
    let question = QuestionOutput {
        passage_id: "kettle-q#0".into(),
        title: "Can a kettle descale itself?".into(),
    };
    let answers = kb.search("descale kettle", &["--kind", "answer"]);
    assert_eq!(answers.hits.len(), 2);
    assert!(answers
        .hits
        .iter()
        .all(|h| h.kind == "answer" && h.question.as_ref() == Some(&question)));
    assert!(out.hits.iter().filter(|h| h.kind != "answer").all(|h| h.question.is_none()));
    let run = kb.run(&["search", "descale kettle", "--kind", "answer"]).expect_code(0);
    assert_eq!(
        run.stdout
            .matches("Can a kettle descale itself?  [answer]\n   answer to question kettle-q#0")
            .count(),
        2,
        "{}",
        run.stdout
    );
}

#[test]
fn explain_shows_how_each_score_was_made() {
    let kb = Kb::with_seed_corpus();
    let run = kb.run(&["search", "botox injectons", "--explain", "--limit", "2"]).expect_code(0);
    assert_eq!(run.stdout.matches("score explained:").count(), 2, "{}", run.stdout);
    assert!(run.stdout.contains("word \"botox\""), "{}", run.stdout);
    assert!(
        run.stdout.contains("typo \"injectons\" ~ injections (1 edit): inject"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("text: \"botox\" BM25 freq 1"), "{}", run.stdout);

    let out = kb.search("botox injectons", &["--explain", "--limit", "3"]);
    for hit in &out.hits {
        let explain = hit.explain.as_ref().expect("explain in every hit");
        assert!((explain.score - hit.score).abs() <= 1e-3 * hit.score.max(1.0), "{hit:#?}");
        assert!(
            explain.all_whats().iter().any(|w| w.starts_with("word \"botox\"")),
            "{explain:#?}"
        );
    }
    // An answer's lift by its question is a part of its score.
    let out = kb.search("is the nerve block procedure safe", &["--kind", "answer", "--explain"]);
    let lift = out.hits[0]
        .explain
        .as_ref()
        .unwrap()
        .all_whats()
        .into_iter()
        .find(|w| w.starts_with("Q&A lift"));
    assert!(lift.is_some_and(|l| l.contains("nerve-block-calves-qa#0")), "{lift:?}");
    // Without --explain, no "explain" field at all.
    let run = kb.run(&["search", "--json", "botox"]).expect_code(0);
    let v: serde_json::Value = run.json();
    assert!(v["hits"].as_array().unwrap().iter().all(|h| h.get("explain").is_none()), "{v}");
}

#[test]
fn feedback_brings_in_related_passages_and_feedback_0_turns_it_off() {
    let kb = Kb::new();
    // Feedback runs on indexes of 1000 passages and more: 1000 unrelated records, then three
    // on cholesterol, of which only two say "statins".
    let mut lines: Vec<String> = (0..1000)
        .map(|i| format!(r#"{{"id": "filler-{i}", "title": "Garden note {i}", "text": "Tool {i} needs oil and a dry shed."}}"#))
        .collect();
    lines.push(r#"{"id": "a", "title": "A", "text": "Statins lower cholesterol and protect the arteries."}"#.into());
    lines.push(
        r#"{"id": "b", "title": "B", "text": "Statins lower cholesterol in most patients."}"#
            .into(),
    );
    lines.push(r#"{"id": "c", "title": "C", "text": "Oat fibre binds cholesterol."}"#.into());
    kb.write("corpus/notes.jsonl", lines.join("\n"));
    let ids = |out: &crate::util::SearchOutput| -> Vec<String> {
        out.hits.iter().map(|h| h.passage_id.clone()).collect()
    };
    // By default the words of the best passages ("cholesterol") bring in c, below a and b.
    let with = kb.search("statins", &[]);
    assert_eq!(ids(&with).len(), 3, "{with:#?}");
    assert_eq!(ids(&with)[2], "c#0");
    assert!(with.hits[2].highlights.is_empty(), "added words are not lit: {:#?}", with.hits[2]);
    // --feedback 0: only passages with the word typed.
    let without = kb.search("statins", &["--feedback", "0"]);
    let mut found = ids(&without);
    found.sort();
    assert_eq!(found, ["a#0", "b#0"]);
}

#[test]
fn synonyms_live_in_the_index_and_edits_take_effect_at_the_next_index() {
    let kb = Kb::new();
    kb.write("corpus/a.md", "# Legs\n\nThe shin bone is also called the tibia.\n");
    kb.write("corpus/synonyms.txt", "botox, botulinum toxin\n");
    kb.run(&["index", "corpus"]).expect_code(0);
    assert!(kb.search("shank", &[]).hits.is_empty());
    kb.write("corpus/synonyms.txt", "botox, botulinum toxin\nshank, shin\n");
    // Recorded by `kb index`, not read at search time.
    assert!(kb.search("shank", &[]).hits.is_empty());
    let run = kb.run(&["index", "corpus", "--json"]).expect_code(0);
    assert!(run.stdout.contains("\"unchanged\":1"), "no document is read again: {}", run.stdout);
    let out = kb.search("shank", &[]);
    assert_eq!(out.hits[0].lit(), ["shin"]);
    // The index carries them: a search from elsewhere, without the corpus, expands the same way.
    let elsewhere = Kb::new();
    let index = kb.path().join(".kb");
    let run = elsewhere
        .run(&["--index", index.to_str().unwrap(), "search", "--json", "shank"])
        .expect_code(0);
    assert!(run.stdout.contains("<mark>shin</mark>"), "{}", run.stdout);
    // Removing the file removes the groups at the next index.
    kb.remove("corpus/synonyms.txt");
    kb.run(&["index", "corpus"]).expect_code(0);
    assert!(kb.search("shank", &[]).hits.is_empty());
}

#[test]
fn a_typo_that_stems_like_a_rare_word_also_searches_the_frequent_word_meant_and_says_so() {
    // "migrane" is not in the passages, but it stems like "migrans" (3 passages, about a
    // parasite); "migraine", one edit away, is in 40. The search finds both, "migraine" first,
    // and proposes the correction.
    let kb = Kb::new();
    let mut lines = String::new();
    let mut record = |id: String, text: String| {
        lines.push_str(&serde_json::json!({"id": id, "title": "Note", "text": text}).to_string());
        lines.push('\n');
    };
    for i in 0..40 {
        record(format!("migraine-{i}"), format!("Treatment of migraine headaches, case {i}."));
    }
    for i in 0..3 {
        record(format!("larva-{i}"), format!("Cutaneous larva migrans needs treatment, case {i}."));
    }
    for i in 0..357 {
        record(format!("garden-{i}"), format!("Water the tomatoes in garden plot {i}."));
    }
    kb.write("docs/notes.jsonl", lines);
    kb.run(&["index", "docs"]).expect_code(0);

    let out = kb.search("treatmnet for migrane", &["--limit", "50"]);
    assert_eq!(out.did_you_mean.as_deref(), Some("treatment for migraine"));
    let found = ids(&out);
    let migraine: Vec<usize> = (found.iter().enumerate())
        .filter(|(_, id)| id.starts_with("migraine-"))
        .map(|(i, _)| i)
        .collect();
    let larva: Vec<usize> = (found.iter().enumerate())
        .filter(|(_, id)| id.starts_with("larva-"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!((migraine.len(), larva.len()), (40, 3), "{found:?}");
    assert!(migraine.iter().max() < larva.iter().min(), "{found:?}");
    assert!(
        out.hits[0].lit().iter().any(|w| w.eq_ignore_ascii_case("migraine")),
        "{:#?}",
        out.hits[0]
    );

    // People see it too.
    let text = kb.run(&["search", "treatmnet for migrane"]).expect_code(0).stdout;
    assert!(text.contains("did you mean: treatment for migraine?"), "{text}");
    // A word as typed that the passages hold is not second-guessed.
    let out = kb.search("migrans", &["--limit", "50"]);
    assert!(out.hits.iter().all(|h| h.passage_id.starts_with("larva-")), "{:?}", ids(&out));
    assert!(out.did_you_mean.is_none());
}
