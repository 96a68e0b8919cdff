//! The query features users expect: typo tolerance, "did you mean", synonyms, Q&A awareness and
//! score explanations, on small indexes written directly.

mod common;

use common::{article, seed_corpus, Fixture};
use kb_query::{
    Explanation, Feedback, Hit, QuestionRef, SearchOptions, SearchResults, Searcher, Synonyms,
};
use kb_schema::{Kind, Passage, SourceRef};

fn search(searcher: &Searcher, query: &str) -> SearchResults {
    searcher.search(query, &SearchOptions::default()).expect("search")
}

/// Without pseudo-relevance feedback, which brings in passages sharing other words with the
/// best ones: for tests about exactly what a query matches.
fn search_as_typed(searcher: &Searcher, query: &str) -> SearchResults {
    let opts = SearchOptions { feedback: Feedback::OFF, ..SearchOptions::default() };
    searcher.search(query, &opts).expect("search")
}

fn ids(results: &SearchResults) -> Vec<&str> {
    results.hits.iter().map(|h| h.passage_id.as_str()).collect()
}

fn lit(hit: &Hit) -> Vec<&str> {
    hit.highlights.iter().map(|r| &hit.text[r.clone()]).collect()
}

fn hit<'a>(results: &'a SearchResults, id: &str) -> &'a Hit {
    results.hits.iter().find(|h| h.passage_id == id).unwrap_or_else(|| panic!("{id} not found"))
}

/// Every `what` of an explanation tree, depth first.
fn whats(e: &Explanation) -> Vec<&str> {
    let mut out = vec![e.what.as_str()];
    for part in &e.parts {
        out.extend(whats(part));
    }
    out
}

fn injections() -> Fixture {
    Fixture::new(&[
        article("a", "Botox", 0, "Botox injections are not permanent."),
        article("b", "Fillers", 0, "Filler injections last a year."),
        article("c", "Surgery", 0, "Surgery gives immediate results."),
    ])
}

#[test]
fn a_misspelt_word_finds_and_lights_the_right_one() {
    let fixture = injections();
    let results = search(&fixture.searcher(), "injectons");
    assert_eq!(ids(&results).len(), 2, "{:?}", ids(&results));
    assert!(results.hits.iter().all(|h| lit(h) == ["injections"]), "{:#?}", results.hits);
    // The snippet lights it too (tantivy's own snippets would not).
    let snippet = &results.hits[0].snippet;
    let marked: Vec<&str> = snippet.highlights.iter().map(|r| &snippet.text[r.clone()]).collect();
    assert_eq!(marked, ["injections"]);
    // Two typos in a long word are still close enough; a word that is nothing like an indexed
    // one finds nothing.
    assert_eq!(search(&fixture.searcher(), "botox injetcons").hits[0].passage_id, "a#0");
    assert!(search(&fixture.searcher(), "xylophone").hits.is_empty());
}

#[test]
fn typo_tolerance_can_be_turned_off() {
    let fixture = injections();
    let opts = SearchOptions { typos: false, ..SearchOptions::default() };
    assert!(fixture.searcher().search("injectons", &opts).unwrap().hits.is_empty());
}

#[test]
fn the_word_as_typed_ranks_above_its_near_misses() {
    // "funtion" is in the index once (a typo in the corpus); "function" is far more frequent.
    let mut passages = vec![article("typo", "Typo", 0, "Nerve damage will effect funtion.")];
    for (i, text) in [
        "Nerve function after surgery.",
        "Muscle function returns slowly.",
        "The function of the calf muscle.",
        "Walking function is kept.",
        "Function and form of the leg.",
    ]
    .iter()
    .enumerate()
    {
        passages.push(article(&format!("f{i}"), "Function", 0, text));
    }
    let fixture = Fixture::new(&passages);
    let results = search(&fixture.searcher(), "funtion");
    assert_eq!(results.hits[0].passage_id, "typo#0", "{:?}", ids(&results));
    assert_eq!(lit(&results.hits[0]), ["funtion"]);
    assert_eq!(results.hits.len(), 6, "the near misses follow: {:?}", ids(&results));
    assert!(results.hits[1..].iter().all(|h| lit(h) == ["function"] || lit(h) == ["Function"]));
    // And the other way round: the frequent word as typed is not expanded to its typo.
    let results = search_as_typed(&fixture.searcher(), "function");
    assert!(!ids(&results).contains(&"typo#0"), "{:?}", ids(&results));
}

#[test]
fn short_words_and_numbers_are_never_fuzzy() {
    let fixture = Fixture::new(&[
        article("a", "A", 0, "Botox takes effect in 20112 cases."),
        article("b", "B", 0, "The calf muscle."),
    ]);
    let s = fixture.searcher();
    for query in ["botx", "cakf", "20113", "cov1d"] {
        let results = search(&s, query);
        assert!(results.hits.is_empty(), "{query}: {:?}", ids(&results));
    }
    assert_eq!(ids(&search(&s, "botox")), ["a#0"]);
}

#[test]
fn did_you_mean_corrects_words_the_index_lacks() {
    let fixture = injections();
    let s = fixture.searcher();
    let results = search(&s, "botx");
    assert!(results.hits.is_empty());
    assert_eq!(results.did_you_mean.as_deref(), Some("botox"));
    // The rest of the query stays as typed, the correction takes the typed word's case.
    let results = search(&s, "Botx +\"not permanent\"");
    assert_eq!(results.did_you_mean.as_deref(), Some("Botox +\"not permanent\""));
    // Stems are shown as the word the passages use most.
    let results = search(&s, "ijnection");
    assert_eq!(results.did_you_mean.as_deref(), Some("injections"));
    // Nothing to correct, or plenty found: no suggestion.
    assert_eq!(search(&s, "xylophone").did_you_mean, None);
    assert_eq!(search(&s, "botox").did_you_mean, None);
}

#[test]
fn a_word_that_matches_nothing_gets_a_suggestion_even_when_plenty_is_found() {
    let mut passages: Vec<Passage> = (0..5)
        .map(|i| article(&format!("d{i}"), "T", 0, "kettle descaling with vinegar"))
        .collect();
    passages.push(article("typo", "T", 0, "a kettle and some vinegr"));
    let fixture = Fixture::new(&passages);
    // "kettel" matches nothing as typed: it is corrected although typo tolerance found all
    // six passages.
    let results = search(&fixture.searcher(), "kettel vinegar");
    assert_eq!(results.total, 6);
    assert_eq!(results.did_you_mean.as_deref(), Some("kettle vinegar"));
    // "vinegr" is in one passage: with plenty found, it is taken as meant.
    let results = search(&fixture.searcher(), "kettle vinegr");
    assert_eq!(results.total, 6);
    assert_eq!(results.did_you_mean, None);
}

fn botox_synonyms() -> Synonyms {
    Synonyms::parse("botox, botulinum toxin\nneurectomy, nerve removal\n")
}

#[test]
fn synonyms_expand_words_and_phrases_and_are_lit() {
    let fixture = Fixture::new(&[
        article("a", "A", 0, "Botox injections are not permanent."),
        article("b", "B", 0, "Botulinum toxin type A relaxes the muscle."),
        article("c", "C", 0, "A toxin from botulinum spores, unrelated."),
        article("d", "D", 0, "In selective neurectomy, nerves are removed."),
    ]);
    let s = fixture.searcher().with_synonyms(botox_synonyms());
    let results = search_as_typed(&s, "botox");
    assert_eq!(ids(&results), ["a#0", "b#0"], "the phrase, not its words apart");
    assert_eq!(lit(hit(&results, "b#0")), ["Botulinum", "toxin"]);
    assert!(results.hits[0].score > results.hits[1].score, "as typed ranks above the synonym");
    assert_eq!(&ids(&search(&s, "botox"))[..2], ["a#0", "b#0"]);
    // A multi-word member typed as plain words, or quoted.
    for query in ["botulinum toxin", "\"botulinum toxins\""] {
        let results = search(&s, query);
        assert_eq!(lit(hit(&results, "a#0")), ["Botox"], "{query}");
    }
    let results = search(&s, "nerve removal");
    assert_eq!(lit(hit(&results, "d#0")), ["neurectomy", "nerves", "removed"]);
    // Without synonyms, none of this.
    let plain = fixture.searcher();
    assert_eq!(ids(&search_as_typed(&plain, "botox")), ["a#0"]);
}

/// A thread whose answers never repeat the question's words, and articles that share a word.
fn kettle_thread() -> Vec<Passage> {
    let title = "Can a kettle descale itself?";
    let body = "My kettle has white scale inside.";
    let thread = |position: u32, kind, text: &str| Passage {
        id: Passage::make_id("kettle-q", position),
        doc_id: "kettle-q".into(),
        doc_title: title.into(),
        kind,
        heading: None,
        position,
        text: text.into(),
        context: (kind == Kind::Answer).then(|| body.into()),
        source: SourceRef { path: "docs/kettle.json".into(), line: 1 + position },
    };
    vec![
        thread(0, Kind::Question, &format!("{title}\n{body}")),
        thread(1, Kind::Answer, "Citric acid dissolves limescale without the smell."),
        thread(2, Kind::Answer, "Vinegar works too, but rinse twice."),
        article("boil", "Boiling", 0, "An electric kettle boils water in minutes."),
        article("shop", "Shopping", 0, "Buy a kettle with a hidden element; it scales less."),
        article("tea", "Tea", 0, "Descale nothing: green tea is brewed below boiling."),
    ]
}

#[test]
fn a_matching_question_lifts_its_answers() {
    let fixture = Fixture::new(&kettle_thread());
    let s = fixture.searcher();
    let results = search(&s, "descale kettle");
    assert_eq!(results.hits[0].passage_id, "kettle-q#0", "{:?}", ids(&results));
    // The answers say neither word, yet follow their question, above the articles that do.
    let mut next: Vec<&str> = ids(&results)[1..3].to_vec();
    next.sort();
    assert_eq!(next, ["kettle-q#1", "kettle-q#2"], "{:?}", ids(&results));
    let answers = SearchOptions { kind: Some(Kind::Answer), ..SearchOptions::default() };
    let only = s.search("descale kettle", &answers).unwrap();
    assert_eq!(only.hits.len(), 2, "{:?}", ids(&only));
    let question = QuestionRef {
        passage_id: "kettle-q#0".into(),
        title: "Can a kettle descale itself?".into(),
    };
    assert!(only.hits.iter().all(|h| h.question.as_ref() == Some(&question)), "{only:#?}");
    assert!(results.hits.iter().filter(|h| h.kind != Kind::Answer).all(|h| h.question.is_none()));
}

#[test]
fn answers_are_not_lifted_when_the_question_does_not_match() {
    let fixture = Fixture::new(&kettle_thread());
    let results = search_as_typed(&fixture.searcher(), "limescale");
    assert_eq!(ids(&results), ["kettle-q#1"]);
    let opts = SearchOptions { explain: true, feedback: Feedback::OFF, ..SearchOptions::default() };
    let explained = fixture.searcher().search("limescale", &opts).unwrap();
    let e = explained.hits[0].explanation.as_ref().expect("explained");
    assert!(!whats(e).iter().any(|w| w.starts_with("Q&A lift")), "{e:#?}");
}

#[test]
fn explanations_add_up_and_name_fields_terms_and_expansions() {
    let fixture = Fixture::new(&kettle_thread());
    let s = fixture.searcher();
    assert!(search(&s, "kettle").hits.iter().all(|h| h.explanation.is_none()), "off by default");
    let opts = SearchOptions { explain: true, ..SearchOptions::default() };
    let results = s.search("descale kettel", &opts).unwrap();
    for hit in &results.hits {
        let e = hit.explanation.as_ref().expect("explained");
        assert!((e.score - hit.score).abs() < 1e-3 * hit.score.max(1.0), "{} vs {e:#?}", hit.score);
    }
    let question = hit(&results, "kettle-q#0").explanation.as_ref().unwrap();
    let lines = whats(question).join("\n");
    assert!(lines.contains("word \"descale\""), "{lines}");
    assert!(lines.contains("typo \"kettel\" ~ kettle (1 edit): kettl"), "{lines}");
    assert!(lines.contains("text: \"descal\" BM25 freq 1"), "{lines}");
    let answer = hit(&results, "kettle-q#2").explanation.as_ref().unwrap();
    let lines = whats(answer).join("\n");
    assert!(lines.contains("Q&A lift: 0.5 × "), "{lines}");
    assert!(lines.contains("title: ") && lines.contains(" × \"descal\" BM25"), "{lines}");

    let synonyms = fixture.searcher().with_synonyms(Synonyms::parse("limescale, scale"));
    let results = synonyms.search("limescale", &opts).unwrap();
    let lines = results
        .hits
        .iter()
        .flat_map(|h| whats(h.explanation.as_ref().unwrap()))
        .collect::<Vec<_>>();
    assert!(lines.iter().any(|l| l.starts_with("synonym \"limescale\" = \"scale\"")), "{lines:#?}");
}

#[test]
fn the_seed_corpus_understands_its_own_typos() {
    let seed = seed_corpus();
    let s = seed.searcher();
    // "injectons": the Botox passages, "injections" lit.
    let results = search(&s, "botox injectons");
    assert!(results.hits[0].text.contains("Botox injections"), "{:#?}", results.hits[0]);
    assert!(lit(&results.hits[0]).contains(&"injections"));
    // "funtion" is the corpus's own typo: the answer that has it comes first, lit as typed.
    let results = search(&s, "nerve funtion");
    assert!(results.hits[0].text.contains("effect funtion"), "{:#?}", results.hits[0]);
    assert!(lit(&results.hits[0]).contains(&"funtion"));
    // "neurectmy" (two letters off in a long word) finds the neurectomy bullet.
    let results = search(&s, "neurectmy reversible");
    assert!(results.hits[0].text.starts_with("In selective neurectomy"), "{:#?}", results.hits[0]);
}

/// Q&A threads enough for feedback to run (1000 passages and more), with questions that share
/// words and answers that say other things.
fn many_threads() -> Vec<Passage> {
    let conditions = ["anemia", "asthma", "gout", "migraine", "eczema", "angina", "sciatica"];
    let asks = ["symptoms", "treatments", "causes", "outlook", "risks"];
    let mut passages = Vec::new();
    for i in 0..240u32 {
        let condition = conditions[i as usize % conditions.len()];
        let ask = asks[i as usize / conditions.len() % asks.len()];
        let doc_id = format!("t{i}");
        let title = format!("What are the {ask} of {condition} type {}?", i % 11);
        let thread = |position: u32, kind, text: String| Passage {
            id: Passage::make_id(&doc_id, position),
            doc_id: doc_id.clone(),
            doc_title: title.clone(),
            kind,
            heading: None,
            position,
            text,
            context: None,
            source: SourceRef { path: "docs/threads.json".into(), line: 1 + i },
        };
        passages.push(thread(0, Kind::Question, title.clone()));
        for a in 1..4 {
            let text = format!(
                "Doctors see {condition} in {} patients; rest, fluids and care {a} help. {}",
                ["young", "older", "most"][(i + a) as usize % 3],
                "Follow-up visits matter. ".repeat((i % 4) as usize)
            );
            passages.push(thread(a, Kind::Answer, text));
        }
        passages.push(article(
            &format!("a{i}"),
            condition,
            0,
            &format!("About {ask} of {condition}."),
        ));
    }
    passages
}

#[test]
fn feedback_telling_the_best_questions_changes_nothing() {
    // A search with explanations finds its best questions with a search of their own, one
    // without reads them off feedback's first pass: both must rank alike.
    let fixture = Fixture::new(&many_threads());
    let s = fixture.searcher();
    let explained = SearchOptions { explain: true, ..SearchOptions::default() };
    for query in ["symptoms of asthma", "gout", "outlook migraine type 3", "care patients", "rest"]
    {
        let plain = s.search(query, &SearchOptions::default()).unwrap();
        let mut with = s.search(query, &explained).unwrap();
        with.hits.iter_mut().for_each(|h| h.explanation = None);
        assert!(!plain.hits.is_empty(), "{query}");
        assert_eq!((plain.total, &plain.hits), (with.total, &with.hits), "{query}");
    }
}
