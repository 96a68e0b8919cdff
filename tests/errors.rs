//! Bad input and bad use: clear messages, the right exit codes, nothing lost.

use crate::util::{IndexOutput, Kb};

#[test]
fn empty_query_is_an_error() {
    let kb = Kb::with_seed_corpus();
    let run = kb.run(&["search", ""]).expect_code(2);
    assert!(run.stderr.contains("the query is empty"), "{}", run.stderr);
    let run = kb.run(&["search", "   "]).expect_code(2);
    assert!(run.stderr.contains("the query is empty"), "{}", run.stderr);
}

#[test]
fn no_index_and_no_corpus_says_what_to_run() {
    let kb = Kb::new();
    let run = kb.run(&["search", "anything"]).expect_code(2);
    assert!(run.stderr.contains("no index at .kb"), "{}", run.stderr);
    assert!(run.stderr.contains("kb index"), "{}", run.stderr);
    let run = kb.run(&["stats"]).expect_code(2);
    assert!(run.stderr.contains("no index"), "{}", run.stderr);
}

#[test]
fn lenient_queries_never_fail() {
    let kb = Kb::with_seed_corpus();
    // A lone `-` reads the query from standard input (`tests/habits.rs`); `- -` is two lone
    // minus signs.
    for q in
        ["\"unbalanced botox", "+", "- -", "title:", ":::", "AND OR NOT", "((", "*", "^2", "ñ 東京"]
    {
        let run = kb.run(&["search", q]);
        assert!(run.code == 0 || run.code == 1, "{q:?} -> {}: {}", run.code, run.stderr);
    }
}

#[test]
fn bad_files_are_reported_and_the_rest_indexed() {
    let kb = Kb::new();
    kb.write("docs/good.md", "# Good\n\nA fine paragraph about kettles.\n");
    kb.write("docs/broken.json", "{\"id\": \"x\",\n \"title\": \"T\",\n \"text\": oops}\n");
    kb.write("docs/latin1.txt", b"Title\n\nCaf\xe9 au lait\n".as_slice());
    kb.write("docs/blob.txt", b"\x00\x01\x02binary".as_slice());
    kb.write("docs/mixed.jsonl", "{\"_id\": \"a\", \"title\": \"A\", \"text\": \"alpha kettles\"}\nnot json\n{\"_id\": \"b\", \"title\": \"B\", \"text\": \"beta\"}\n");
    let run = kb.run(&["index", "--json", "docs"]).expect_code(2);
    let report: IndexOutput = run.json();
    // latin1.txt keeps its title: invalid UTF-8 costs only the paragraph it is in.
    assert_eq!(report.documents, 4, "good.md, latin1.txt, two lines of mixed.jsonl: {report:?}");
    let skipped: Vec<(String, Option<u32>)> =
        report.skipped.iter().map(|s| (s.path.clone(), s.line)).collect();
    assert!(skipped.contains(&("docs/broken.json".into(), Some(3))), "{skipped:?}");
    assert!(skipped.contains(&("docs/latin1.txt".into(), Some(3))), "{skipped:?}");
    assert!(skipped.iter().any(|(p, _)| p == "docs/blob.txt"), "{skipped:?}");
    assert!(skipped.contains(&("docs/mixed.jsonl".into(), Some(2))), "{skipped:?}");
    assert_eq!(report.skipped.len(), 4);
    // Each is also named on stderr with its line.
    assert!(run.stderr.contains("docs/broken.json:3:"), "{}", run.stderr);
    assert!(run.stderr.contains("docs/mixed.jsonl:2:"), "{}", run.stderr);
    // The rest is searchable.
    let out = kb.search("kettles", &[]);
    assert_eq!(out.hits.len(), 2);
}

#[test]
fn stats_files_lists_indexed_and_skipped() {
    let kb = Kb::new();
    kb.write("docs/good.md", "# Good\n\nA fine paragraph.\n");
    kb.write("docs/empty.txt", "");
    kb.write("docs/picture.png", b"\x89PNG".as_slice());
    // Neither is a failure: kb does not read them by design.
    kb.run(&["index", "docs"]).expect_code(0);
    let run = kb.run(&["stats", "--files"]).expect_code(0);
    assert!(
        run.stdout.contains("indexed  docs/good.md  1 documents, 1 passages"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("skipped  docs/empty.txt  empty file"), "{}", run.stdout);
    assert!(
        run.stdout.contains("skipped  docs/picture.png  not a document type"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_huge_single_line_is_indexed_with_a_short_snippet() {
    let kb = Kb::new();
    let mut line = String::from("Huge\n\n");
    for i in 0..200_000 {
        line.push_str(if i == 150_000 { "needle " } else { "hay " });
    }
    kb.write("docs/huge.txt", &line);
    let report: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(0).json();
    assert_eq!((report.documents, report.passages), (1, 1));
    let out = kb.search("needle", &[]);
    assert_eq!(out.hits.len(), 1);
    let snippet = &out.hits[0].snippet;
    assert!(snippet.contains("<mark>needle</mark>"), "{snippet}");
    assert!(snippet.chars().count() < 400, "snippet of {} chars", snippet.chars().count());
    assert!(snippet.starts_with('…') && snippet.ends_with('…'), "{snippet}");
}

#[test]
fn odd_file_names_and_deep_folders_are_indexed() {
    let kb = Kb::new();
    kb.write("docs/with space é.md", "# Odd\n\nA kettle with an odd name.\n");
    let deep: String = (0..60).map(|i| format!("d{i}/")).collect();
    kb.write(&format!("docs/{deep}deep.md"), "# Deep\n\nA kettle far down.\n");
    let report: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(0).json();
    assert_eq!((report.added, report.documents), (2, 2), "{report:?}");
    let out = kb.search("kettle", &[]);
    let ids: Vec<&str> = out.hits.iter().map(|h| h.doc_id.as_str()).collect();
    assert!(ids.contains(&"with space é"), "{ids:?}");
    assert!(ids.contains(&format!("{deep}deep").as_str()), "{ids:?}");
    kb.run(&["show", "with space é"]).expect_code(0);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_are_reported_once() {
    let kb = Kb::new();
    kb.write("docs/good.md", "# Good\n\nA kettle.\n");
    std::os::unix::fs::symlink(kb.path().join("docs"), kb.path().join("docs/loop")).unwrap();
    std::os::unix::fs::symlink(kb.path().join("nowhere.md"), kb.path().join("docs/dangling.md"))
        .unwrap();
    let run = kb.run(&["index", "--json", "docs"]).expect_code(2);
    let report: IndexOutput = run.json();
    assert_eq!(report.documents, 1);
    let paths: Vec<&str> = report.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths.iter().filter(|p| p.ends_with("loop")).count(), 1, "{:?}", report.skipped);
    assert_eq!(
        paths.iter().filter(|p| p.ends_with("dangling.md")).count(),
        1,
        "{:?}",
        report.skipped
    );
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    assert_eq!(kb.search("kettle", &[]).hits.len(), 1);
}

#[test]
fn a_file_that_turns_bad_keeps_its_previous_passages() {
    let kb = Kb::new();
    kb.write(
        "docs/notes.json",
        r#"{"id": "n1", "title": "Notes", "text": "The kettle whistles."}"#,
    );
    kb.run(&["index", "docs"]).expect_code(0);
    kb.write("docs/notes.json", r#"{"id": "n1", "title": "Notes", "text": "The kettle"#);
    let run = kb.run(&["index", "--json", "docs"]).expect_code(2);
    let report: IndexOutput = run.json();
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(run.stderr.contains("docs/notes.json:1:"), "{}", run.stderr);
    // Nothing lost: the last good version stays searchable until the file parses again.
    assert_eq!(kb.search("whistles", &[]).hits.len(), 1);
    kb.write("docs/notes.json", r#"{"id": "n1", "title": "Notes", "text": "The kettle sings."}"#);
    kb.run(&["index", "docs"]).expect_code(0);
    assert_eq!(kb.search("whistles", &[]).hits.len(), 0);
    assert_eq!(kb.search("sings", &[]).hits.len(), 1);
}
