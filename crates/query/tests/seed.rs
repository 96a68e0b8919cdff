//! Ranking on the real seed corpus, indexed by kb-indexer: what a reader of the two documents
//! would ask.

mod common;

use common::seed_corpus;
use kb_query::{Hit, SearchOptions};
use kb_schema::Kind;

fn search(query: &str, opts: SearchOptions) -> Vec<Hit> {
    seed_corpus().searcher().search(query, &opts).expect("search").hits
}

fn lit(hit: &Hit) -> Vec<&str> {
    hit.highlights.iter().map(|r| &hit.text[r.clone()]).collect()
}

#[test]
fn botox_question_puts_the_botox_bullet_first() {
    let hits = search("how long before botox results are visible", SearchOptions::default());
    assert!(hits[0].text.starts_with("Botox injections are not permanent"), "{:#?}", hits[0]);
    assert_eq!(hits[0].source.line, 12);
    assert_eq!(lit(&hits[0]), ["Botox", "results", "visible"]);
}

#[test]
fn reversibility_question_puts_the_neurectomy_bullet_first() {
    let hits = search("is selective neurectomy reversible", SearchOptions::default());
    assert!(hits[0].text.starts_with("In selective neurectomy"), "{:#?}", hits[0]);
    assert!(lit(&hits[0]).contains(&"reversible"));
}

#[test]
fn nerve_damage_question_finds_the_answers_that_say_so() {
    let opts = SearchOptions { kind: Some(Kind::Answer), ..SearchOptions::default() };
    let hits = search("does cutting the nerve hurt calf function", opts);
    let texts: Vec<&str> = hits.iter().map(|h| h.text.as_str()).collect();
    let top3 = &texts[..3.min(texts.len())];
    assert!(top3.iter().any(|t| t.contains("compromise function")), "{top3:#?}");
    assert!(top3.iter().any(|t| t.contains("cut one of the motor nerves")), "{top3:#?}");
    assert!(hits.iter().all(|h| h.kind == Kind::Answer));
}

#[test]
fn calf_lights_calves_and_calf() {
    let opts = SearchOptions { limit: 20, per_doc: 0, ..SearchOptions::default() };
    let hits = search("calf", opts);
    let lit: Vec<String> = hits.iter().flat_map(lit).map(str::to_lowercase).collect();
    assert!(lit.iter().any(|w| w == "calves") && lit.iter().any(|w| w == "calf"), "{lit:?}");
    assert!(lit.iter().any(|w| w == "calfs"), "the misspelt plural too: {lit:?}");
}

#[test]
fn per_doc_caps_and_limit_is_filled_from_other_documents() {
    let grouped = search("calf muscle", SearchOptions::default());
    let from_article = grouped.iter().filter(|h| h.doc_id == "calf-reduction").count();
    assert_eq!(from_article, 3);
    assert_eq!(grouped.iter().filter(|h| h.doc_id == "nerve-block-calves-qa").count(), 3);
    let all = search("calf muscle", SearchOptions { per_doc: 0, ..SearchOptions::default() });
    assert!(all.iter().filter(|h| h.doc_id == "calf-reduction").count() > 3);
    assert_eq!(all.len(), 10);
    let one = search("calf muscle", SearchOptions { per_doc: 1, ..SearchOptions::default() });
    assert_eq!(one.len(), 2);
}

#[test]
fn kind_filter_finds_the_question() {
    let opts = SearchOptions { kind: Some(Kind::Question), ..SearchOptions::default() };
    let hits = search("calves smaller", opts);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].passage_id, "nerve-block-calves-qa#0");
}

#[test]
fn botox_downtime_snippet_starts_the_hit() {
    let hits = search("botox downtime", SearchOptions { limit: 1, ..SearchOptions::default() });
    assert_eq!(hits[0].passage_id, "calf-reduction#3");
    let snippet = &hits[0].snippet;
    let marked: Vec<&str> = snippet.highlights.iter().map(|r| &snippet.text[r.clone()]).collect();
    assert!(marked.contains(&"downtime"), "{snippet:?}");
    assert!(snippet.text.chars().count() <= 202, "{snippet:?}");
}
