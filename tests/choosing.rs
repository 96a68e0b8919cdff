//! Choosing what `kb index` reads (issue 15, item 1): `.gitignore`, `.ignore` and `.kbignore`
//! in the indexed folders, `--glob` with ripgrep's semantics, `--no-ignore`, the rules kept per
//! folder for later runs, and rule changes that re-read only what they add or remove.

use crate::util::{IndexOutput, Kb};

fn index(kb: &Kb, args: &[&str]) -> IndexOutput {
    let mut all = vec!["index", "--json"];
    all.extend_from_slice(args);
    kb.run(&all).expect_code(0).json()
}

/// (added, changed, removed, unchanged, documents, passages, bytes read).
fn counts(r: &IndexOutput) -> (u64, u64, u64, u64, u64, u64, u64) {
    (r.added, r.changed, r.removed, r.unchanged, r.documents, r.passages, r.bytes_read)
}

/// The document ids a search for `word` finds, sorted.
fn found(kb: &Kb, word: &str) -> Vec<String> {
    let mut ids: Vec<String> = kb
        .search(word, &["--per-doc", "0", "--limit", "50", "--feedback", "0"])
        .hits
        .into_iter()
        .map(|h| h.doc_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A mini documentation site: chapters, an aggregate print page, a build folder, scripts.
fn site(kb: &Kb) {
    kb.write("site/intro.md", "# Intro\n\nThe quokka chapter starts here.\n");
    kb.write("site/closures.md", "# Closures\n\nA quokka closure captures.\n\nSecond paragraph.\n");
    kb.write(
        "site/print.html",
        "<html><head><title>All</title></head><body><p>Every quokka chapter on one printed page.</p><p>Printing quokka closures as well.</p></body></html>",
    );
    kb.write("site/notes.txt", "Notes\n\nA quokka note in plain text.\n");
    kb.write("site/build/intro.md", "# Built intro\n\nA quokka copy from the build.\n");
}

#[test]
fn ignore_files_leave_files_out_and_no_ignore_reads_them() {
    let kb = Kb::new();
    site(&kb);
    kb.write("site/.gitignore", "build/\n");
    kb.write("site/.ignore", "*.txt\n");
    kb.write("site/.kbignore", "print.html\n");
    let first = index(&kb, &["site"]);
    assert_eq!((first.added, first.documents), (2, 2), "{:?}", first.skipped);
    // Ignored files are not reported as skipped: they were asked to be left out.
    assert!(first.skipped.is_empty(), "{:?}", first.skipped);
    assert_eq!(found(&kb, "quokka"), ["closures", "intro"]);
    let stats = kb.run(&["stats", "--files"]).expect_code(0);
    assert!(!stats.stdout.contains("print.html"), "{}", stats.stdout);

    // --no-ignore reads them all; the index holds them until the rules say otherwise.
    let all = index(&kb, &["--no-ignore", "site"]);
    assert_eq!((all.added, all.unchanged, all.documents), (3, 2, 5));
    assert_eq!(found(&kb, "quokka"), ["build/intro", "closures", "intro", "notes", "print"]);
}

#[test]
fn globs_include_and_exclude_like_ripgrep() {
    let kb = Kb::new();
    site(&kb);
    let md = index(&kb, &["--glob", "*.md", "site"]);
    assert_eq!(md.documents, 3);
    assert_eq!(found(&kb, "quokka"), ["build/intro", "closures", "intro"]);

    let kb = Kb::new();
    site(&kb);
    index(&kb, &["--glob", "!print.html", "-g", "!build/", "site"]);
    assert_eq!(found(&kb, "quokka"), ["closures", "intro", "notes"]);

    // A bad glob is refused before anything is read or written.
    let bad = kb.run(&["index", "--glob", "a[", "site"]).expect_code(2);
    assert!(bad.stderr.contains("a["), "{}", bad.stderr);
    assert_eq!(kb.stats().documents, 3);
}

#[test]
fn rules_are_remembered_per_folder_until_changed() {
    let kb = Kb::new();
    site(&kb);
    kb.write("other/a.md", "# Other\n\nA quokka elsewhere.\n");
    kb.write("other/b.txt", "B\n\nA quokka in text elsewhere.\n");
    index(&kb, &["--glob", "*.md", "--no-ignore", "site"]);
    index(&kb, &["other"]);
    // A plain run reads each folder as before: site with its glob, other with none.
    let again = index(&kb, &["site", "other"]);
    assert_eq!(counts(&again), (0, 0, 0, 5, 5, 6, 0), "{:?}", again.skipped);
    assert!(!again.committed);
    // An ignore file added later is not obeyed in site (--no-ignore is remembered).
    kb.write("site/.kbignore", "closures.md\n");
    assert_eq!(index(&kb, &["site"]).removed, 0);
    // --ignore and --no-glob put the defaults back.
    let back = index(&kb, &["--ignore", "--no-glob", "site"]);
    assert_eq!((back.added, back.removed), (2, 1), "notes.txt and print.html in, closures out");
    assert_eq!(found(&kb, "quokka"), ["a", "b", "build/intro", "intro", "notes", "print"]);
}

/// Changing the rules re-indexes only what they add or remove.
#[test]
fn a_rule_change_removes_or_adds_exactly_its_files() {
    let kb = Kb::new();
    site(&kb);
    let first = index(&kb, &["site"]);
    assert_eq!((first.added, first.documents, first.passages), (5, 5, 7));

    kb.write("site/.kbignore", "print.html\nbuild/\n");
    let ignored = index(&kb, &["site"]);
    // Two files' passages removed; nothing read again.
    assert_eq!(counts(&ignored), (0, 0, 2, 3, 3, 4, 0));
    assert_eq!(found(&kb, "quokka"), ["closures", "intro", "notes"]);

    kb.write("site/.kbignore", "build/\n");
    let back = index(&kb, &["site"]);
    let print_size = std::fs::metadata(kb.path().join("site/print.html")).unwrap().len();
    // Only print.html is read again.
    assert_eq!(counts(&back), (1, 0, 0, 3, 4, 6, print_size));
    assert_eq!(found(&kb, "quokka"), ["closures", "intro", "notes", "print"]);

    std::fs::remove_file(kb.path().join("site/.kbignore")).unwrap();
    let all = index(&kb, &["site"]);
    assert_eq!((all.added, all.removed, all.unchanged, all.documents), (1, 0, 4, 5));
}
