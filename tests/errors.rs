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
    for q in ["\"unbalanced botox", "+", "-", "title:", ":::", "AND OR NOT", "((", "*", "^2", "ñ 東京"] {
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
    assert_eq!(report.documents, 3, "good.md + two good lines of mixed.jsonl: {report:?}");
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
    kb.run(&["index", "docs"]).expect_code(2);
    let run = kb.run(&["stats", "--files"]).expect_code(0);
    assert!(run.stdout.contains("indexed  docs/good.md  1 documents, 1 passages"), "{}", run.stdout);
    assert!(run.stdout.contains("skipped  docs/empty.txt  empty file"), "{}", run.stdout);
    assert!(run.stdout.contains("skipped  docs/picture.png  unsupported file type"), "{}", run.stdout);
}
