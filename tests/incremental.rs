//! `kb index` bringing an index up to date: incremental cycles, and safety under faults.

use std::time::{Duration, Instant};

use crate::util::{IndexOutput, Kb};

fn index(kb: &Kb, args: &[&str]) -> IndexOutput {
    let mut all = vec!["index", "--json"];
    all.extend_from_slice(args);
    kb.run(&all).expect_code(0).json()
}

fn counts(r: &IndexOutput) -> (u64, u64, u64, u64, u64, u64) {
    (r.added, r.changed, r.removed, r.unchanged, r.documents, r.passages)
}

#[test]
fn add_change_delete_and_unchanged_cycles() {
    let kb = Kb::new();
    kb.write("docs/a.md", "# A\n\nAlpha one.\n\nAlpha two.\n");
    kb.write("docs/b.md", "# B\n\nBravo.\n");
    assert_eq!(counts(&index(&kb, &["docs"])), (2, 0, 0, 0, 2, 3));

    // Nothing changed: no work, and it says so.
    let again = index(&kb, &["docs"]);
    assert_eq!(counts(&again), (0, 0, 0, 2, 2, 3));
    assert!(!again.committed);
    let text = kb.run(&["index", "docs"]).expect_code(0);
    assert!(text.stdout.contains("index is up to date"), "{}", text.stdout);

    // Change one, add one, delete one.
    kb.write("docs/a.md", "# A\n\nAlpha one.\n\nAlpha two.\n\nAlpha three.\n");
    kb.write("docs/c.md", "# C\n\nCharlie.\n");
    kb.remove("docs/b.md");
    assert_eq!(counts(&index(&kb, &["docs"])), (1, 1, 1, 0, 2, 4));
    assert_eq!(kb.stats().passages, 4);
    kb.run(&["search", "bravo"]).expect_code(1);
    assert_eq!(kb.search("alpha", &["--per-doc", "0"]).hits.len(), 3, "no duplicates");
    assert_eq!(kb.search("charlie", &[]).hits.len(), 1);

    // Touched but identical: hashed, not re-indexed.
    kb.write("docs/c.md", "# C\n\nCharlie.\n");
    let touched = index(&kb, &["docs"]);
    assert_eq!(counts(&touched), (0, 0, 0, 2, 2, 4));

    // --rebuild starts from empty and ends with the same index.
    let rebuilt = index(&kb, &["--rebuild", "docs"]);
    assert_eq!(counts(&rebuilt), (2, 0, 0, 0, 2, 4));
    assert_eq!(kb.stats().passages, 4);
}

#[test]
fn deletion_is_scoped_to_the_indexed_paths() {
    let kb = Kb::new();
    kb.write("one/a.md", "# A\n\nAlpha.\n");
    kb.write("two/b.md", "# B\n\nBravo.\n");
    index(&kb, &["one"]);
    index(&kb, &["two"]);
    assert_eq!(kb.stats().documents, 2, "indexing two/ left one/ alone");
    kb.remove("two/b.md");
    let r = index(&kb, &["two"]);
    assert_eq!((r.removed, r.documents), (1, 1));
    assert_eq!(kb.search("alpha", &[]).hits.len(), 1);
}

#[test]
fn passage_ids_are_stable_across_rebuilds() {
    let kb = Kb::with_seed_corpus();
    let before = kb.search("botox results visible", &[]).hits[0].passage_id.clone();
    index(&kb, &["--rebuild"]);
    assert_eq!(kb.search("botox results visible", &[]).hits[0].passage_id, before);
    kb.run(&["show", &before]).expect_code(0);
}

/// A corpus big enough that indexing it takes a while even on a fast machine.
fn big_corpus(kb: &Kb, records: usize) {
    let mut jsonl = String::new();
    for i in 0..records {
        jsonl.push_str(&format!(
            "{{\"id\": \"r{i}\", \"title\": \"Record {i} about topic {t}\", \"text\": \"Paragraph {i} talks about alpha beta gamma delta number {i} and subject {t}.\\n\\nA second paragraph on item {i}.\"}}\n",
            t = i % 97
        ));
    }
    kb.write("big/records.jsonl", jsonl);
}

#[test]
fn killed_indexing_leaves_the_previous_index_and_the_next_run_completes() {
    let kb = Kb::new();
    kb.write("docs/a.md", "# A\n\nAlpha kettle.\n");
    index(&kb, &["docs"]);
    big_corpus(&kb, 60_000);

    let mut child = kb.command().args(["index", "docs", "big"]).spawn().expect("spawn");
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "indexing should still be running");
    child.kill().expect("SIGKILL");
    child.wait().unwrap();

    // The previous commit is intact and searchable.
    assert_eq!(kb.stats().passages, 1);
    assert_eq!(kb.search("kettle", &[]).hits.len(), 1);
    // The next run does all the work, exactly once.
    let r = index(&kb, &["docs", "big"]);
    assert_eq!((r.added, r.unchanged, r.documents, r.passages), (1, 1, 60_001, 120_001));
    assert_eq!(kb.stats().passages, 120_001);
}

#[test]
fn a_held_writer_lock_refuses_kb_index_and_search_still_works() {
    let kb = Kb::new();
    kb.write("docs/a.md", "# A\n\nAlpha kettle.\n");
    index(&kb, &["docs"]);
    kb.write("docs/b.md", "# B\n\nBravo kettle.\n");
    // Another process's writer, held for the whole test: what `kb index` sees mid-run.
    let held = tantivy::Index::open_in_dir(kb.path().join(".kb")).unwrap();
    let writer: tantivy::IndexWriter = held.writer_with_num_threads(1, 15_000_000).unwrap();
    let refused = kb.run(&["index", "docs"]).expect_code(2);
    assert!(refused.stderr.contains("being updated by another process"), "{}", refused.stderr);
    // Searches keep working, on the last commit.
    assert_eq!(kb.search("kettle", &[]).hits.len(), 1);
    drop(writer);
    assert_eq!(index(&kb, &["docs"]).added, 1, "the refused run left nothing half done");
    assert_eq!(kb.search("kettle", &[]).hits.len(), 2);
}

#[test]
fn two_kb_index_runs_at_once_refuse_one_and_corrupt_nothing() {
    let kb = Kb::new();
    kb.write("docs/a.md", "# A\n\nAlpha kettle.\n");
    index(&kb, &["docs"]);
    big_corpus(&kb, 60_000);

    let mut first = kb
        .command()
        .args(["index", "docs", "big"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Race a second run against it until one of the two is refused. Which one loses depends
    // on who takes the lock first, so both outcomes are accepted; each must say why.
    let start = Instant::now();
    let mut refusals = Vec::new();
    while refusals.is_empty() && start.elapsed() < Duration::from_secs(60) {
        let run = kb.run(&["index", "docs"]);
        if run.code == 2 {
            refusals.push(run.stderr);
            // Searching while the other run holds the writer sees the last commit.
            assert!(!kb.search("kettle", &[]).hits.is_empty());
        }
        if first.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let first = first.wait_with_output().unwrap();
    if !first.status.success() {
        refusals.push(String::from_utf8_lossy(&first.stderr).into_owned());
    }
    assert!(!refusals.is_empty(), "one of two concurrent runs must be refused");
    for stderr in &refusals {
        assert!(stderr.contains("being updated by another process"), "{stderr}");
    }
    // Nothing is corrupt: one more run completes the work, exactly once.
    let r = index(&kb, &["docs", "big"]);
    assert_eq!((r.documents, r.passages), (60_001, 120_001));
    assert_eq!(kb.stats().passages, 120_001);
}

#[test]
fn damaged_index_says_so_and_rebuild_repairs_it() {
    let kb = Kb::with_seed_corpus();
    index(&kb, &[]);
    std::fs::write(kb.path().join(".kb/meta.json"), "{ garbled").unwrap();
    let run = kb.run(&["search", "botox"]).expect_code(2);
    assert!(run.stderr.contains("damaged"), "{}", run.stderr);
    assert!(run.stderr.contains("kb index --rebuild"), "{}", run.stderr);
    index(&kb, &["--rebuild"]);
    assert_eq!(kb.stats().passages, 14);

    // A missing segment file.
    let segment = std::fs::read_dir(kb.path().join(".kb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a segment file");
    std::fs::remove_file(segment).unwrap();
    let run = kb.run(&["search", "botox"]).expect_code(2);
    assert!(run.stderr.contains("damaged"), "{}", run.stderr);
    index(&kb, &["--rebuild"]);
    assert!(!kb.search("botox", &[]).hits.is_empty());
}

#[test]
fn watch_keeps_the_index_current() {
    let kb = Kb::new();
    kb.write("docs/a.md", "# A\n\nAlpha kettle.\n");
    let mut child = kb
        .command()
        .args(["index", "--watch", "docs"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let wait_for = |query: &str, hits: usize| {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            let run = kb.run(&["search", "--json", query]);
            if run.code != 2 {
                let out: crate::util::SearchOutput = run.json();
                if out.hits.len() == hits {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    };
    assert!(wait_for("kettle", 1), "initial index");
    kb.write("docs/b.md", "# B\n\nBravo teapot.\n");
    assert!(wait_for("teapot", 1), "a new file is picked up");
    kb.remove("docs/a.md");
    assert!(wait_for("kettle", 0), "a removed file is dropped");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Issue 14, item 2: a file refused a duplicate id gets it when the file that had it is
/// renamed and then deleted (it used to stay refused: 0 documents).
#[test]
fn a_duplicate_id_comes_back_after_a_rename_and_a_delete() {
    let kb = Kb::new();
    let record =
        "{\"id\": \"A1\", \"title\": \"Aspirin\", \"text\": \"Aspirin thins the blood.\"}\n";
    kb.write("docs/old.jsonl", record);
    kb.write("docs/twin.jsonl", record);
    let first: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(2).json();
    assert_eq!(first.documents, 1);
    std::fs::rename(kb.path().join("docs/old.jsonl"), kb.path().join("docs/new.jsonl")).unwrap();
    let renamed: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(2).json();
    assert_eq!((renamed.documents, renamed.skipped.len()), (1, 1));
    assert_eq!(renamed.skipped[0].path, "docs/twin.jsonl");
    kb.remove("docs/new.jsonl");
    let deleted = index(&kb, &["docs"]);
    assert_eq!((deleted.removed, deleted.documents), (1, 1), "{deleted:?}");
    let hit = &kb.search("aspirin", &[]).hits[0];
    assert_eq!(hit.source.path, "docs/twin.jsonl");
    // As a clean build has it.
    let rebuilt = index(&kb, &["--rebuild", "docs"]);
    assert_eq!((rebuilt.documents, rebuilt.passages), (deleted.documents, deleted.passages));
}

/// Which file has a duplicate id does not depend on history: the first in path order, as in a
/// clean build.
#[test]
fn the_first_file_in_path_order_has_a_duplicate_id() {
    let kb = Kb::new();
    kb.write("docs/m.jsonl", "{\"id\": \"X\", \"text\": \"walrus m\"}\n");
    index(&kb, &["docs"]);
    kb.write("docs/a.jsonl", "{\"id\": \"X\", \"text\": \"walrus a\"}\n");
    let run: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(2).json();
    assert_eq!(run.skipped[0].path, "docs/m.jsonl");
    assert_eq!(kb.search("walrus", &[]).hits[0].source.path, "docs/a.jsonl");
}

/// Issue 11: passages keep the path as it was given; files are known by their canonical path,
/// so the same folder spelled another way is found unchanged.
#[test]
fn paths_are_stored_as_given_and_files_known_however_spelled() {
    let kb = Kb::new();
    kb.write("docs/sub/a.md", "# A\n\nAlpaca.\n");
    index(&kb, &["docs"]);
    assert_eq!(kb.search("alpaca", &[]).hits[0].source.path, "docs/sub/a.md");
    let absolute = kb.path().join("docs").canonicalize().unwrap();
    for spelling in ["./docs", "docs/", absolute.to_str().unwrap()] {
        let again = index(&kb, &[spelling]);
        assert_eq!((again.unchanged, again.added, again.committed), (1, 0, false), "{spelling}");
    }
    kb.write("docs/sub/b.md", "# B\n\nBison.\n");
    index(&kb, &["./docs/sub"]);
    assert_eq!(kb.search("bison", &[]).hits[0].source.path, "./docs/sub/b.md");
    assert_eq!(kb.search("alpaca", &[]).hits[0].source.path, "docs/sub/a.md");
}
