//! The bundled seed corpus, end to end: what a reader of the two documents would ask.

use crate::util::{Kb, KindCounts};

#[test]
fn first_search_builds_the_index_from_corpus() {
    let kb = Kb::with_seed_corpus();
    let run = kb.run(&["search", "botox"]).expect_code(0);
    assert!(run.stderr.contains("building it from corpus"), "stderr: {}", run.stderr);
    assert!(kb.path().join(".kb/meta.json").is_file());
    // The second search reuses it silently.
    let again = kb.run(&["search", "botox"]).expect_code(0);
    assert!(!again.stderr.contains("building"), "stderr: {}", again.stderr);
}

#[test]
fn seeds_split_into_the_expected_passages() {
    let kb = Kb::with_seed_corpus();
    kb.run(&["index"]).expect_code(0);
    let stats = kb.stats();
    assert_eq!(stats.documents, 2);
    assert_eq!(stats.files, 2);
    // The article: definition, intro, 5 bullets, closing paragraph. The thread: 1 + 5 answers.
    assert_eq!(stats.by_kind, KindCounts { article: 8, question: 1, answer: 5, code: 0 });
    assert_eq!(stats.passages, 14);

    let show = kb.run(&["show", "calf-reduction", "--json"]).expect_code(0);
    let doc: serde_json::Value = show.json();
    let texts: Vec<&str> =
        doc["passages"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 8);
    assert!(texts[0].starts_with("Calf reduction refers to a variety of procedures"));
    assert!(texts[1].starts_with("Calf reduction techniques were originally pioneered"));
    let bullets =
        ["Microliposuction", "Botox", "Radiofrequency", "In selective neurectomy", "Partial"];
    for (text, start) in texts[2..7].iter().zip(bullets) {
        assert!(text.starts_with(start), "{text:?} should start with {start:?}");
    }
    assert!(texts[7].starts_with("Doctors warn that with the exception"));
    assert!(!texts.iter().any(|t| t.contains("Share this")));
}

#[test]
fn botox_question_puts_the_botox_bullet_first() {
    let kb = Kb::with_seed_corpus();
    let out = kb.search("how long before botox results are visible", &[]);
    let first = &out.hits[0];
    assert!(first.text.starts_with("Botox injections are not permanent"), "{first:#?}");
    assert_eq!(first.kind, "article");
    assert_eq!(first.source.line, 12);
    assert_eq!(first.heading.as_deref(), Some("TheConsultation explains Calf Reduction"));
}

#[test]
fn reversibility_question_puts_the_neurectomy_bullet_first() {
    let kb = Kb::with_seed_corpus();
    let out = kb.search("is selective neurectomy reversible", &[]);
    assert!(out.hits[0].text.starts_with("In selective neurectomy"), "{:#?}", out.hits[0]);
    assert!(out.hits[0].lit().contains(&"reversible"));
}

#[test]
fn nerve_damage_question_finds_the_answers_that_say_so() {
    let kb = Kb::with_seed_corpus();
    let out = kb.search("does cutting the nerve hurt calf function", &["--kind", "answer"]);
    let texts: Vec<&str> = out.hits.iter().map(|h| h.text.as_str()).collect();
    let top3 = &texts[..3.min(texts.len())];
    // The answer that says nerve block "will compromise function" (and misspells it "funtion").
    assert!(top3.iter().any(|t| t.contains("compromise function")), "{top3:#?}");
    // The one that says to "cut one of the motor nerves", with "calfs" for calves.
    assert!(top3.iter().any(|t| t.contains("cut one of the motor nerves")), "{top3:#?}");
    assert!(out.hits.iter().all(|h| h.kind == "answer"));
    assert!(out.hits.iter().all(|h| h.doc_title == "Is Nerve Block Procedure in Calves Safe?"));
}

#[test]
fn calf_finds_and_highlights_calves() {
    let kb = Kb::with_seed_corpus();
    let out = kb.search("calf", &["--limit", "20", "--per-doc", "0"]);
    let lit: Vec<String> =
        out.hits.iter().flat_map(|h| h.lit()).map(|w| w.to_lowercase()).collect();
    assert!(lit.iter().any(|w| w == "calves"), "{lit:?}");
    assert!(lit.iter().any(|w| w == "calf"), "{lit:?}");
    assert!(out.hits.iter().any(|h| h.snippet.contains("<mark>calves</mark>")));
}
