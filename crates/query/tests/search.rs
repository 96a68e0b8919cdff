//! Searching small indexes end to end: ranking, query syntax, filters, grouping, snippets,
//! lookups, statistics and damaged indexes.

mod common;

use common::{article, Fixture};
use kb_query::{Feedback, Hit, QueryError, SearchOptions, SearchResults, Searcher};
use kb_schema::{FileEntry, Kind, Manifest, OpenError, Passage, SkipRecord, SourceRef};

fn lit(hit: &Hit) -> Vec<&str> {
    hit.highlights.iter().map(|r| &hit.text[r.clone()]).collect()
}

fn ids(results: &SearchResults) -> Vec<&str> {
    results.hits.iter().map(|h| h.passage_id.as_str()).collect()
}

/// The passage ids found, sorted (for results whose order is not the point).
fn found(searcher: &Searcher, query: &str) -> Vec<String> {
    let mut ids: Vec<String> =
        search(searcher, query).hits.into_iter().map(|h| h.passage_id).collect();
    ids.sort();
    ids
}

fn search(searcher: &Searcher, query: &str) -> SearchResults {
    searcher.search(query, &SearchOptions::default()).expect("search")
}

/// A kettle Q&A thread (question and two answers) and two tea articles.
fn kettles_and_tea() -> Vec<Passage> {
    let title = "Can a kettle descale itself?";
    let body = "My kettle has white scale inside. Is vinegar safe to use?";
    let thread = |position: u32, kind, text: &str, context: Option<&str>| Passage {
        id: Passage::make_id("kettle-q", position),
        doc_id: "kettle-q".into(),
        doc_title: title.into(),
        kind,
        heading: None,
        position,
        text: text.into(),
        context: context.map(Into::into),
        source: SourceRef { path: "docs/kettle.json".into(), line: 1 },
    };
    let mut tea = article("tea", "Brewing Tea", 0, "Intro paragraph about brewing tea leaves.");
    tea.heading = None;
    let mut green = article("tea", "Brewing Tea", 1, "Green tea is steamed, not oxidised.");
    green.heading = Some("Green tea".into());
    let mut sencha = article("tea", "Brewing Tea", 2, "Sencha is the everyday green tea.");
    sencha.heading = Some("Green tea".into());
    let mut black = article("tea", "Brewing Tea", 3, "Black tea is fully oxidised before drying.");
    black.heading = Some("Black tea".into());
    vec![
        thread(0, Kind::Question, &format!("{title}\n{body}"), None),
        thread(
            1,
            Kind::Answer,
            "Use citric acid\nCitric acid dissolves limescale without the smell.",
            Some(body),
        ),
        thread(2, Kind::Answer, "Vinegar works too but rinse twice.", Some(body)),
        tea,
        green,
        sencha,
        black,
        article("kettles", "Kettles", 0, "An electric kettle boils water for tea in minutes."),
    ]
}

#[test]
fn more_matched_words_rank_higher_and_scores_descend() {
    let fixture = Fixture::new(&[
        article("a", "Alpha", 0, "The kettle boils water."),
        article("b", "Bravo", 0, "The kettle boils water for green tea."),
        article("c", "Charlie", 0, "Green tea leaves."),
    ]);
    let results = search(&fixture.searcher(), "kettle green tea");
    assert_eq!(ids(&results)[0], "b#0");
    assert_eq!(results.total, 3);
    assert!(results.hits.windows(2).all(|w| w[0].score >= w[1].score));
    let ranks: Vec<usize> = results.hits.iter().map(|h| h.rank).collect();
    assert_eq!(ranks, [1, 2, 3]);
}

#[test]
fn an_answer_is_found_through_its_question_title() {
    let fixture = Fixture::new(&kettles_and_tea());
    let opts = SearchOptions { kind: Some(Kind::Answer), ..SearchOptions::default() };
    let results = fixture.searcher().search("kettle rinse", &opts).unwrap();
    assert_eq!(ids(&results)[0], "kettle-q#2", "the answer that says rinse, and never kettle");
    assert!(results.hits.iter().all(|h| h.kind == Kind::Answer));
    assert_eq!(results.hits[0].doc_title, "Can a kettle descale itself?");
    // Only the words in the text are lit; the title matched but is not the text.
    assert_eq!(lit(&results.hits[0]), ["rinse"]);
}

#[test]
fn a_text_match_outranks_a_title_only_match() {
    let fixture = Fixture::new(&kettles_and_tea());
    let results = search(&fixture.searcher(), "kettle");
    let first = &results.hits[0];
    assert!(first.text.to_lowercase().contains("kettle"), "{first:#?}");
}

#[test]
fn phrases_match_words_in_order() {
    let fixture = Fixture::new(&[
        article("a", "A", 0, "Cut one of the motor nerves to the muscle."),
        article("b", "B", 0, "The nerves of a motor are wires."),
    ]);
    let s = fixture.searcher();
    assert_eq!(ids(&search(&s, "\"motor nerves\"")), ["a#0"]);
    // Stop words inside a phrase keep their place, as in the index.
    assert_eq!(ids(&search(&s, "\"cut one of the motor nerves\"")), ["a#0"]);
    assert_eq!(ids(&search(&s, "\"cut one motor nerves\"")), Vec::<&str>::new());
    let hit = &search(&s, "\"motor nerves\"").hits[0];
    assert_eq!(lit(hit), ["motor", "nerves"]);
}

#[test]
fn required_and_excluded_words_and_phrases() {
    let fixture = Fixture::new(&[
        article("a", "A", 0, "Botox injections reduce the calf."),
        article("b", "B", 0, "Surgery reduces the calf, leaving hard patches."),
        article("c", "C", 0, "Botox for the forehead."),
    ]);
    let s = fixture.searcher();
    assert_eq!(found(&s, "+botox calf"), ["a#0", "c#0"], "calf optional, botox required");
    assert_eq!(ids(&search(&s, "+botox calf"))[0], "a#0", "the optional word still ranks");
    assert_eq!(ids(&search(&s, "calf -botox")), ["b#0"]);
    assert_eq!(ids(&search(&s, "calf -\"hard patches\"")), ["a#0"]);
    assert_eq!(ids(&search(&s, "+\"botox injections\"")), ["a#0"]);
    let excluded = &search(&s, "calf -surgery").hits[0];
    assert_eq!(lit(excluded), ["calf"], "excluded words are not lit");
    // Exclusions alone list every other passage.
    assert_eq!(found(&s, "-botox"), ["b#0"]);
}

#[test]
fn field_filters_in_the_query_and_in_the_options() {
    let fixture = Fixture::new(&kettles_and_tea());
    let s = fixture.searcher();
    let in_heading = search(&s, "heading:green tea");
    assert!(!in_heading.hits.is_empty());
    assert!(
        in_heading.hits.iter().all(|h| h.heading.as_deref() == Some("Green tea")),
        "{in_heading:#?}"
    );
    let titled = search(&s, "title:kettle");
    let mut docs: Vec<&str> = titled.hits.iter().map(|h| h.doc_id.as_str()).collect();
    docs.sort();
    docs.dedup();
    assert_eq!(docs, ["kettle-q", "kettles"]);
    let quoted = search(&s, "title:\"brewing tea\" oxidised");
    assert!(quoted.hits.iter().all(|h| h.doc_id == "tea") && quoted.hits.len() == 2);
    assert!(search(&s, "kind:answer").hits.iter().all(|h| h.kind == Kind::Answer));
    assert_eq!(search(&s, "kind:answer").total, 2);
    assert!(search(&s, "tea -kind:article").hits.iter().all(|h| h.kind != Kind::Article));
    assert!(search(&s, "tea doc:kettles").hits.iter().all(|h| h.doc_id == "kettles"));
    let opts = SearchOptions { doc: Some("tea".into()), per_doc: 0, ..SearchOptions::default() };
    let in_doc = s.search("tea", &opts).unwrap();
    assert_eq!(in_doc.hits.len(), 4);
    assert!(in_doc.hits.iter().all(|h| h.doc_id == "tea"));
    // A filter does not make every passage of its kind match: the words still must.
    let opts = SearchOptions { kind: Some(Kind::Answer), ..SearchOptions::default() };
    assert_eq!(s.search("xylophone", &opts).unwrap().total, 0);
}

#[test]
fn grouping_caps_each_document_and_still_fills_the_limit() {
    let mut passages: Vec<Passage> =
        (0..40).map(|i| article("big", "Big", i, "kettle kettle kettle descaling")).collect();
    for d in 0..12 {
        passages.push(article(
            &format!("small{d}"),
            "Small",
            0,
            "a kettle in a long passage of many other words here",
        ));
    }
    let fixture = Fixture::new(&passages);
    let s = fixture.searcher();
    let grouped = search(&s, "kettle");
    assert_eq!(grouped.total, 52);
    assert_eq!(grouped.hits.len(), 10);
    assert_eq!(grouped.hits.iter().filter(|h| h.doc_id == "big").count(), 3);
    let one = s
        .search("kettle", &SearchOptions { per_doc: 1, limit: 20, ..SearchOptions::default() })
        .unwrap();
    assert_eq!(one.hits.len(), 13, "one passage of each of the 13 documents");
    let all =
        s.search("kettle", &SearchOptions { per_doc: 0, ..SearchOptions::default() }).unwrap();
    assert!(all.hits.iter().all(|h| h.doc_id == "big"), "the big document's passages score best");
    let none = s.search("kettle", &SearchOptions { limit: 0, ..SearchOptions::default() }).unwrap();
    assert_eq!((none.hits.len(), none.total), (0, 52));
}

#[test]
fn grouping_knows_a_document_spread_over_segments() {
    let part = |range: std::ops::Range<u32>, doc: &str| -> Vec<Passage> {
        range.map(|i| article(doc, "T", i, "kettle kettle descaling")).collect()
    };
    let (first, second, third) = (part(0..3, "big"), part(3..6, "big"), part(0..2, "other"));
    let mut other_first = part(2..4, "other");
    other_first.extend(part(0..1, "zeta"));
    let batches: [&[Passage]; 4] = [&first, &third, &second, &other_first];
    let fixture = Fixture::in_segments(&batches, &Manifest::new());
    let (index, _) = kb_schema::open_index(fixture.dir.path()).unwrap();
    assert!(index.searchable_segment_ids().unwrap().len() > 1, "several segments");
    let s = fixture.searcher();
    let opts = SearchOptions { per_doc: 2, ..SearchOptions::default() };
    let results = s.search("kettle", &opts).unwrap();
    assert_eq!(results.total, 11);
    let count = |doc: &str| results.hits.iter().filter(|h| h.doc_id == doc).count();
    assert_eq!((count("big"), count("other"), count("zeta")), (2, 2, 1), "{:#?}", ids(&results));
}

#[test]
fn snippets_can_be_skipped() {
    let fixture = Fixture::new(&kettles_and_tea());
    let opts = SearchOptions { snippets: false, ..SearchOptions::default() };
    let results = fixture.searcher().search("kettle", &opts).unwrap();
    assert!(!results.hits.is_empty());
    for hit in &results.hits {
        assert!(hit.highlights.is_empty() && hit.snippet.text.is_empty());
        assert!(hit.snippet.highlights.is_empty() && !hit.text.is_empty());
    }
}

#[test]
fn a_long_passage_gets_a_short_snippet_around_the_match() {
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(if i == 15_000 { "needle " } else { "hay " });
    }
    let fixture = Fixture::new(&[article("huge", "Huge", 0, text.trim_end())]);
    let hit = &search(&fixture.searcher(), "needle").hits[0];
    assert_eq!(lit(hit), ["needle"]);
    let snippet = &hit.snippet;
    assert!(snippet.text.starts_with('…') && snippet.text.ends_with('…'), "{}", snippet.text);
    assert!(snippet.text.chars().count() < 210);
    let marked: Vec<&str> = snippet.highlights.iter().map(|r| &snippet.text[r.clone()]).collect();
    assert_eq!(marked, ["needle"]);
}

#[test]
fn a_short_passage_is_its_own_snippet() {
    let text = "Use <kbd> & \"quotes\" around the widget name.";
    let fixture = Fixture::new(&[article("a", "Symbols", 0, text)]);
    let hit = &search(&fixture.searcher(), "widget").hits[0];
    assert_eq!(hit.snippet.text, text);
    assert_eq!(lit(hit), ["widget"]);
    assert_eq!((hit.highlights[0].start, hit.highlights[0].end), (32, 38));
    assert_eq!(hit.snippet.highlights, hit.highlights);
}

#[test]
fn a_query_of_stop_words_finds_them_in_a_row() {
    let fixture = Fixture::new(&[
        article("a", "A", 0, "There is no downtime, but results take months."),
        article("b", "B", 0, "Is there no end? There is, no doubt."),
        article("c", "C", 0, "Nothing here."),
    ]);
    let results = search(&fixture.searcher(), "there is no");
    assert_eq!(ids(&results), ["a#0", "b#0"]);
    assert_eq!(lit(&results.hits[0]), ["There is no"]);
    assert_eq!(lit(&results.hits[1]), ["There is, no"]);
    assert_eq!(results.total, 2);
}

#[test]
fn a_query_of_stop_words_ranks_by_its_phrase_and_keeps_filters() {
    let fixture = Fixture::new(&[
        article(
            "long",
            "Long",
            0,
            "What is it? Nobody knows what it is, and what is the use of asking what is the \
             answer to everything that there is in the world of tea.",
        ),
        article("short", "Short", 0, "What is the kettle for? What is the tea for?"),
        article("once", "Once", 0, "Tell me what is the kettle."),
        article("apart", "Apart", 0, "What, then, is the point? The is what."),
        article("none", "None", 0, "Kettles boil water."),
    ]);
    let s = fixture.searcher();
    // Twice in a short passage, then once in a short one, then twice in a long one: the
    // phrase's BM25, like any phrase; the words out of order ("apart") do not match.
    let results = search(&s, "what is the");
    assert_eq!(ids(&results), ["short#0", "once#0", "long#0"]);
    assert_eq!(results.total, 3);
    assert_eq!(lit(&results.hits[0]), ["What is the", "What is the"]);
    assert_eq!(lit(&results.hits[1]), ["what is the"]);
    // Filters and exclusions narrow it as for any query.
    assert_eq!(ids(&search(&s, "what is the doc:once")), ["once#0"]);
    assert_eq!(ids(&search(&s, "what is the -kettle")), ["long#0"]);
    // One stop word is a term, in any order and case: twice among 7 stop words ("apart"),
    // twice among 8, once among 4, three times among 21.
    assert_eq!(ids(&search(&s, "THE")), ["apart#0", "short#0", "once#0", "long#0"]);
    // Explained by the phrase's BM25 over the passage text's stop words.
    let opts = SearchOptions { explain: true, ..SearchOptions::default() };
    let explained = s.search("what is the", &opts).expect("search");
    let lines = explained.hits[0].explanation.as_ref().expect("explained").lines();
    assert!(lines[0].contains(r#"stop words "what is the""#), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("phrase") && l.contains("BM25")), "{lines:?}");
}

#[test]
fn lenient_queries_never_fail() {
    let fixture = Fixture::new(&kettles_and_tea());
    let s = fixture.searcher();
    for q in [
        "\"unbalanced kettle",
        "+",
        "-",
        "title:",
        ":::",
        "AND OR NOT",
        "((",
        "*",
        "^2",
        "ñ 東京",
        "",
        "   ",
        "\"",
        "\"\"",
        "+-+",
        "kind:",
        "doc:",
        "kind:nonsense",
        "title:\"",
        "-\"",
        "a:b:c",
        "\u{0}",
        "🙂 kettle",
        "+the",
        "-the",
        "title:the",
    ] {
        let results = s.search(q, &SearchOptions::default());
        assert!(results.is_ok(), "{q:?}: {results:?}");
    }
    // Without feedback, whose related words would count too, the total shows the reading.
    let exact = SearchOptions { feedback: Feedback::OFF, ..SearchOptions::default() };
    let unbalanced = s.search("\"unbalanced kettle", &exact).unwrap();
    assert_eq!(unbalanced.total, 4, "read as the words unbalanced and kettle");
}

#[test]
fn passages_and_documents_are_looked_up_by_id() {
    let fixture = Fixture::new(&kettles_and_tea());
    let s = fixture.searcher();
    let p = s.passage("tea#2").unwrap().expect("tea#2");
    assert_eq!(p.text, "Sencha is the everyday green tea.");
    assert_eq!(p.heading.as_deref(), Some("Green tea"));
    assert!(s.passage("tea#9").unwrap().is_none());
    let doc = s.document("kettle-q").unwrap();
    let positions: Vec<u32> = doc.iter().map(|p| p.position).collect();
    assert_eq!(positions, [0, 1, 2]);
    assert_eq!(doc[1].kind, Kind::Answer);
    assert!(s.document("nope").unwrap().is_empty());
}

#[test]
fn stats_count_kinds_in_the_index_and_files_from_the_manifest() {
    let mut manifest = Manifest::new();
    let entry = |docs: &[&str], passages: u64| FileEntry {
        doc_ids: docs.iter().map(|d| (*d).to_owned()).collect(),
        passages,
        ..FileEntry::default()
    };
    manifest.files.insert("docs/kettle.json".into(), entry(&["kettle-q"], 3));
    manifest.files.insert("docs/tea.md".into(), entry(&["tea"], 4));
    manifest.files.insert("docs/kettles.txt".into(), entry(&["kettles"], 1));
    let mut skipped = entry(&[], 0);
    skipped.skipped = vec![SkipRecord::by_design("docs/x.png", "not a document type")];
    manifest.files.insert("docs/x.png".into(), skipped);
    let fixture = Fixture::with_manifest(&kettles_and_tea(), &manifest);
    let stats = fixture.searcher().stats().unwrap();
    assert_eq!((stats.documents, stats.passages, stats.files), (3, 8, 3));
    assert_eq!((stats.by_kind.article, stats.by_kind.question, stats.by_kind.answer), (5, 1, 2));
    assert!(stats.index_bytes > 0);
    let file_list = stats.file_list.expect("the searcher's stats list the files");
    assert_eq!(file_list.len(), 4);
    assert_eq!(file_list[3].skipped[0].reason, "not a document type");
}

#[test]
fn searches_work_while_a_writer_holds_the_lock() {
    let fixture = Fixture::new(&kettles_and_tea());
    let (index, _) = kb_schema::open_index(fixture.dir.path()).unwrap();
    let _writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 20_000_000).unwrap();
    let s = Searcher::open(fixture.dir.path()).expect("open while a writer runs");
    assert!(!search(&s, "kettle").hits.is_empty());
}

#[test]
fn one_searcher_serves_several_threads() {
    let fixture = Fixture::new(&kettles_and_tea());
    let s = fixture.searcher();
    let alone = ids(&search(&s, "green tea")).join(" ");
    std::thread::scope(|scope| {
        let runs: Vec<_> =
            (0..2).map(|_| scope.spawn(|| ids(&search(&s, "green tea")).join(" "))).collect();
        for run in runs {
            assert_eq!(run.join().unwrap(), alone);
        }
    });
}

#[test]
fn a_missing_index_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let err = Searcher::open(&dir.path().join("none")).err().expect("no index");
    assert!(matches!(err, QueryError::Index(OpenError::NotFound(_))), "{err}");
}

#[test]
fn a_garbled_meta_json_is_damage_that_rebuild_repairs() {
    let fixture = Fixture::new(&kettles_and_tea());
    std::fs::write(fixture.dir.path().join("meta.json"), "{ garbled").unwrap();
    let err = Searcher::open(fixture.dir.path()).err().expect("damaged");
    assert!(matches!(err, QueryError::Index(OpenError::Damaged { .. })), "{err}");
    let message = err.to_string();
    assert!(message.contains("damaged") && message.contains("kb index --rebuild"), "{message}");
}

#[test]
fn a_missing_segment_file_is_damage_too() {
    for ext in ["idx", "store", "pos", "term", "fast"] {
        let fixture = Fixture::new(&kettles_and_tea());
        let file = std::fs::read_dir(fixture.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .expect("a segment file");
        std::fs::remove_file(file).unwrap();
        // Opening, or else the first search or lookup, reports it; nothing panics.
        let err = match Searcher::open(fixture.dir.path()) {
            Err(err) => err,
            Ok(s) => s
                .search("kettle", &SearchOptions::default())
                .err()
                .or_else(|| s.document("tea").err())
                .expect("a missing file is noticed"),
        };
        let message = err.to_string();
        assert!(
            message.contains("damaged") && message.contains("kb index --rebuild"),
            "{ext}: {message}"
        );
    }
}

#[test]
fn feedback_adds_related_passages_to_plain_queries_only() {
    let fixture = Fixture::new(&[
        article("a", "A", 0, "Statins lower cholesterol and protect the arteries."),
        article("b", "B", 0, "Statins lower cholesterol in most patients."),
        article("c", "C", 0, "Oat fibre binds cholesterol."),
        article("d", "D", 0, "Garden tools need oil."),
    ]);
    let s = fixture.searcher();
    // By default a collection this small is not expanded (see Feedback::min_index_passages).
    assert_eq!(found(&s, "statins"), ["a#0", "b#0"]);
    let expand = SearchOptions {
        feedback: Feedback { min_index_passages: 0, ..Feedback::default() },
        ..SearchOptions::default()
    };
    // "statins" alone: the best passages also speak of cholesterol, which brings in c, ranked
    // below every passage that has the word as typed; d shares nothing and stays out.
    let results = s.search("statins", &expand).unwrap();
    assert_eq!(ids(&results).len(), 3, "{results:#?}");
    assert_eq!(ids(&results)[2], "c#0");
    // A query with constraints is taken as typed.
    assert_eq!(found_with(&s, "+statins", &expand), ["a#0", "b#0"]);
    assert_eq!(found_with(&s, "\"statins lower\"", &expand), ["a#0", "b#0"]);
    assert_eq!(found_with(&s, "statins -arteries", &expand), ["b#0"]);
    // Highlights are the words typed, never the added ones.
    let c = results.hits.into_iter().find(|h| h.passage_id == "c#0").unwrap();
    assert!(c.highlights.is_empty(), "{c:#?}");
}

fn found_with(searcher: &Searcher, query: &str, opts: &SearchOptions) -> Vec<String> {
    let mut ids: Vec<String> = searcher
        .search(query, opts)
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.passage_id)
        .collect();
    ids.sort();
    ids
}
