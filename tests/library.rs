//! The `kb` library as another tool uses it: one dependency, one handle, the same JSON as the
//! command line.

use std::path::Path;
use std::sync::Arc;

use kb::{Error, Kb, SearchOptions};
use serde_json::Value;

use crate::util;

/// What `serde_json` writes for `value`, read back (numbers as written: an `f32` score as the
/// CLI prints it).
fn written(value: &impl serde::Serialize) -> Value {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

/// A JSON value with its timings removed (they differ from run to run).
fn without_timings(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.remove("took_ms");
    }
    value
}

fn doc(json: Value) -> kb::Document {
    serde_json::from_value(json).expect("a record of the README's shapes")
}

#[test]
fn library_output_serializes_exactly_as_the_cli_prints_it() {
    let work = util::Kb::with_seed_corpus();
    work.run(&["index", "corpus"]).expect_code(0);
    let kb = Kb::open(work.path().join(".kb")).expect("open the CLI's index");

    for (query, args) in [
        ("botox results", &[][..]),
        ("nerve funtion", &["--kind", "answer"][..]),
        ("calves", &["--explain", "--limit", "3"][..]),
    ] {
        let mut opts = SearchOptions { explain: args.contains(&"--explain"), ..Default::default() };
        if args.contains(&"--kind") {
            opts.kind = Some(kb::Kind::Answer);
        }
        if args.contains(&"--limit") {
            opts.limit = 3;
        }
        let mut cli_args = vec!["search", "--json", query];
        cli_args.extend_from_slice(args);
        let cli: Value = work.run(&cli_args).expect_code(0).json();
        let library = written(&kb.search(query, &opts).expect("search"));
        assert_eq!(without_timings(library), without_timings(cli), "query {query:?}");
    }

    let cli: Value = work.run(&["stats", "--json"]).expect_code(0).json();
    assert_eq!(written(&kb.stats().unwrap()), cli);
    let cli: Value = work.run(&["stats", "--json", "--files"]).expect_code(0).json();
    assert_eq!(written(&kb.stats_with_files().unwrap()), cli);

    let cli: Value = work.run(&["show", "--json", "calf-reduction#3"]).expect_code(0).json();
    let shown = kb.show("calf-reduction#3").unwrap().expect("the passage exists");
    assert_eq!(written(&shown), cli);
    assert_eq!(cli["passages"][0]["passage_id"], "calf-reduction#3");

    // Nothing changed since: both reports say so, in the same words.
    let cli: Value = work.run(&["index", "corpus", "--json"]).expect_code(0).json();
    let library = kb.index(&[work.path().join("corpus")]).expect("index");
    assert!(!library.committed);
    assert_eq!(without_timings(written(&library)), without_timings(cli));
}

#[test]
fn one_handle_serves_four_threads_at_once() {
    let work = util::Kb::with_seed_corpus();
    let kb = Arc::new(Kb::open_or_create(work.path().join(".kb")).unwrap());
    kb.index(&[work.path().join("corpus")]).unwrap();
    let queries = ["botox results", "nerve block calves", "selective neurectomy", "liposuction"];
    let alone: Vec<Vec<String>> =
        queries.iter().map(|q| ids(&kb.search(q, &SearchOptions::default()).unwrap())).collect();
    let threads: Vec<_> = queries
        .iter()
        .map(|q| {
            let kb = Arc::clone(&kb);
            let q = q.to_string();
            std::thread::spawn(move || {
                (0..20)
                    .map(|_| ids(&kb.search(&q, &SearchOptions::default()).unwrap()))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for (thread, expected) in threads.into_iter().zip(&alone) {
        for got in thread.join().expect("no panic") {
            assert_eq!(&got, expected);
        }
    }
    assert_eq!(alone[0][0], "calf-reduction#3");
}

fn ids(results: &kb::SearchResults) -> Vec<String> {
    results.hits.iter().map(|h| h.passage_id.clone()).collect()
}

#[test]
fn pushed_documents_are_found_at_once_replaced_kept_and_removed() {
    let work = util::Kb::with_seed_corpus();
    let dir = work.path().join(".kb");
    let corpus = work.path().join("corpus");
    let kb = Kb::open_or_create(&dir).unwrap();
    kb.index(&[&corpus]).unwrap();
    let search = |kb: &Kb, q: &str| ids(&kb.search(q, &SearchOptions::default()).unwrap());

    let report = kb
        .upsert(vec![doc(serde_json::json!({"id": "n1", "title": "Berries", "text": "The quokkaberry is sweet."}))])
        .unwrap();
    assert_eq!((report.documents, report.passages), (3, 15));
    assert_eq!(search(&kb, "quokkaberry"), ["n1#0"]);

    // Upserting the same id replaces the document.
    kb.upsert(vec![doc(
        serde_json::json!({"id": "n1", "title": "Berries", "text": "The wallabyfruit is sour."}),
    )])
    .unwrap();
    assert!(search(&kb, "quokkaberry").is_empty());
    assert_eq!(search(&kb, "wallabyfruit"), ["n1#0"]);
    assert_eq!(kb.stats().unwrap().documents, 3);

    // Indexing files, even a rebuild, keeps pushed documents; so does reopening, and the CLI sees them.
    kb.index_with(&[&corpus], &kb::IndexOptions { rebuild: true, ..Default::default() }).unwrap();
    drop(kb);
    let kb = Kb::open(&dir).unwrap();
    assert_eq!(search(&kb, "wallabyfruit"), ["n1#0"]);
    let cli = work.search("wallabyfruit", &[]);
    assert_eq!(cli.hits[0].passage_id, "n1#0");

    // A Q&A thread record works the same way.
    kb.upsert(vec![doc(serde_json::json!({"id": "q9", "title": "Is a numbat a marsupial?",
        "question": "Is a numbat a marsupial?", "answers": [{"body": "Yes, the numbat is."}]}))])
        .unwrap();
    let kinds: Vec<kb::Kind> =
        kb.document("q9").unwrap().unwrap().passages.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [kb::Kind::Question, kb::Kind::Answer]);

    let report = kb.remove(&["n1", "q9"]).unwrap();
    assert_eq!(report.documents, 2);
    assert!(search(&kb, "wallabyfruit").is_empty());
    assert!(kb.passage("n1#0").unwrap().is_none());
    assert!(kb.document("n1").unwrap().is_none());
}

#[test]
fn an_index_in_memory_writes_nothing_to_disk() {
    let work = util::Kb::with_seed_corpus();
    let corpus = work.path().join("corpus");
    let before = listing(work.path());
    let kb = Kb::in_memory().unwrap();
    let report = kb.index(&[&corpus]).unwrap();
    assert_eq!((report.documents, report.passages), (2, 14));
    assert_eq!(
        ids(&kb.search("botox results", &SearchOptions::default()).unwrap())[0],
        "calf-reduction#3"
    );
    kb.upsert(vec![doc(serde_json::json!({"id": "m", "title": "M", "text": "Emus cannot fly."}))])
        .unwrap();
    assert_eq!(ids(&kb.search("emus", &SearchOptions::default()).unwrap()), ["m#0"]);
    assert_eq!(kb.stats().unwrap().passages, 15);
    assert_eq!(kb.dir(), None);
    assert_eq!(listing(work.path()), before, "nothing was written next to the corpus");
}

fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.push(path.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn errors_are_variants_a_caller_can_match() {
    let work = util::Kb::with_seed_corpus();
    let dir = work.path().join(".kb");
    assert!(matches!(Kb::open(&dir), Err(Error::NotFound(_))));

    let kb = Kb::create(&dir).unwrap();
    assert!(matches!(Kb::create(&dir), Err(Error::AlreadyExists(_))));
    kb.index(&[work.path().join("corpus")]).unwrap();
    assert!(matches!(kb.index(&[work.path().join("no-such-folder")]), Err(Error::NotFound(_))));
    assert!(kb.passage("calf-reduction#99").unwrap().is_none());
    assert!(kb.show("nothing-here").unwrap().is_none());

    let mut bad = SearchOptions::default();
    bad.semantic.weight = 5.0;
    let err = kb.search("botox", &bad).unwrap_err();
    assert!(matches!(err, Error::BadInput(_)), "{err}");
    assert!(err.to_string().contains("between 0 and 1"), "{err}");

    // Another process's writer holds the lock.
    let (index, _) = kb_schema::open_index(&dir).unwrap();
    let writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    let err = kb
        .upsert(vec![doc(serde_json::json!({"id": "x", "title": "X", "text": "x"}))])
        .unwrap_err();
    assert!(matches!(err, Error::Locked(_)), "{err}");
    drop(writer);

    // A garbled index opens, but searching it says it is damaged; a rebuild repairs it.
    std::fs::write(dir.join("meta.json"), "{ not json").unwrap();
    let damaged = Kb::open(&dir).unwrap();
    let err = damaged.search("botox", &SearchOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Damaged { .. }), "{err}");
    assert!(!err.to_string().contains("kb index"), "library messages give no CLI advice: {err}");
    damaged
        .index_with(
            &[work.path().join("corpus")],
            &kb::IndexOptions { rebuild: true, ..Default::default() },
        )
        .unwrap();
    assert!(!damaged.search("botox", &SearchOptions::default()).unwrap().hits.is_empty());
}

#[test]
fn a_long_lived_handle_sees_other_processes_commits_after_reload() {
    let work = util::Kb::with_seed_corpus();
    work.run(&["index", "corpus"]).expect_code(0);
    let kb = Kb::open(work.path().join(".kb")).unwrap();
    assert!(kb.search("wombat", &SearchOptions::default()).unwrap().hits.is_empty());
    work.write("corpus/wombat.md", "# Wombats\n\nA wombat digs burrows.\n");
    work.run(&["index", "corpus"]).expect_code(0);
    assert!(
        kb.search("wombat", &SearchOptions::default()).unwrap().hits.is_empty(),
        "a snapshot until reload"
    );
    kb.reload().unwrap();
    assert_eq!(ids(&kb.search("wombat", &SearchOptions::default()).unwrap()), ["wombat#0"]);
}

#[test]
fn default_search_options_are_the_cli_defaults() {
    let work = util::Kb::with_seed_corpus();
    work.run(&["index", "corpus"]).expect_code(0);
    let kb = Kb::open(work.path().join(".kb")).unwrap();
    let opts = SearchOptions::default();
    assert_eq!((opts.limit, opts.per_doc), (10, 3));
    // The CLI with no options gives what the library gives with the defaults.
    let cli: Value =
        work.run(&["search", "--json", "calf reduction surgery"]).expect_code(0).json();
    let library = written(&kb.search("calf reduction surgery", &opts).unwrap());
    assert_eq!(without_timings(library), without_timings(cli));
}
