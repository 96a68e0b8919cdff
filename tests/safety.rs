//! Nothing lost, nothing hangs: the index folder's files, special files and links in a corpus,
//! read-only folders, full disks, the exit-code policy, and small contracts of the commands.
//!
//! Faults of the file system (a read-only mount, a full disk) are made for real where the test
//! runs as root in a system that allows a private mount namespace (`unshare -m`): a read-only
//! bind mount and a tiny tmpfs. Elsewhere those two tests say so and test what they can.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{IndexOutput, Kb, Run};

/// The names in a folder.
fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn index_json(kb: &Kb, args: &[&str], code: i32) -> (IndexOutput, Run) {
    let mut all = vec!["index", "--json"];
    all.extend_from_slice(args);
    let run = kb.run(&all).expect_code(code);
    (run.json(), run)
}

// ---- Item 1: kb deletes only its own files --------------------------------------------------

/// The issue's exact trigger: `--rebuild` (what kb's "damaged" message recommends) on a folder
/// whose `meta.json` is not kb's, next to the user's notes.
#[test]
fn rebuild_refuses_a_folder_holding_files_that_are_not_kbs() {
    let kb = Kb::new();
    kb.write("c/tea.md", "# Tea\n\nGreen tea is steamed.\n");
    kb.write("v/meta.json", "{\"name\":\"p\"}\n");
    kb.write("v/notes.txt", "x\n");
    kb.write("v/.bashrc", "alias ll='ls -l'\n");
    let run = kb.command().env("KB_INDEX", "v").args(["index", "c", "--rebuild"]).output();
    let run = Run::from_output(run.unwrap()).expect_code(2);
    assert!(run.stderr.contains("notes.txt") && run.stderr.contains(".bashrc"), "{}", run.stderr);
    assert!(run.stderr.contains("not kb's"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(kb.path().join("v/notes.txt")).unwrap(), "x\n");
    assert_eq!(
        std::fs::read_to_string(kb.path().join("v/meta.json")).unwrap(),
        "{\"name\":\"p\"}\n"
    );
    assert_eq!(
        listing(&kb.path().join("v")),
        [".bashrc", "meta.json", "notes.txt"].map(String::from).into()
    );
}

/// A tantivy index kb did not write is not replaced by a plain `kb index`; `--rebuild`
/// replaces it (its files only), and refuses when anything else is in the folder.
#[test]
fn a_foreign_tantivy_index_is_left_alone_until_rebuild() {
    let kb = Kb::new();
    kb.write("c/tea.md", "# Tea\n\nGreen tea is steamed.\n");
    let foreign = kb.path().join("other");
    std::fs::create_dir(&foreign).unwrap();
    {
        use tantivy::schema::{Schema, TEXT};
        let mut builder = Schema::builder();
        let body = builder.add_text_field("body", TEXT);
        let index = tantivy::Index::create_in_dir(&foreign, builder.build()).unwrap();
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        writer.add_document(tantivy::doc!(body => "someone else's data")).unwrap();
        writer.commit().unwrap();
    }
    let before = listing(&foreign);
    let run = kb.run(&["--index", "other", "index", "c"]).expect_code(2);
    assert!(run.stderr.contains("tantivy index that kb did not write"), "{}", run.stderr);
    assert_eq!(listing(&foreign), before, "nothing touched");

    kb.write("other/thesis.docx", "chapter one");
    let run = kb.run(&["--index", "other", "index", "c", "--rebuild"]).expect_code(2);
    assert!(run.stderr.contains("thesis.docx"), "{}", run.stderr);
    assert!(listing(&foreign).is_superset(&before));

    kb.remove("other/thesis.docx");
    kb.run(&["--index", "other", "index", "c", "--rebuild"]).expect_code(0);
    let out = kb.run(&["--index", "other", "search", "--json", "steamed"]).expect_code(0);
    assert!(out.stdout.contains("Green tea"), "{}", out.stdout);
}

/// An index of another kb version is rebuilt automatically, but not over the user's files.
#[test]
fn another_versions_index_is_rebuilt_only_when_the_folder_is_kbs_alone() {
    let kb = Kb::new();
    kb.write("c/tea.md", "# Tea\n\nGreen tea is steamed.\n");
    kb.run(&["index", "c"]).expect_code(0);
    // Make it look written by kb's schema 1.
    let meta_path = kb.path().join(".kb/meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    let payload = meta["payload"].as_str().unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(payload).unwrap();
    manifest["schema_version"] = 1.into();
    meta["payload"] = manifest.to_string().into();
    std::fs::write(&meta_path, meta.to_string()).unwrap();
    kb.write(".kb/my-notes.md", "mine");

    let run = kb.run(&["index", "c"]).expect_code(2);
    assert!(run.stderr.contains("my-notes.md"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(kb.path().join(".kb/my-notes.md")).unwrap(), "mine");

    kb.remove(".kb/my-notes.md");
    let (report, _) = index_json(&kb, &["c"], 0);
    assert_eq!((report.added, report.documents), (1, 1), "rebuilt from scratch");
}

// ---- Item 3: files that would share an id --------------------------------------------------

#[test]
fn notes_md_and_notes_txt_are_both_indexed_under_distinct_ids() {
    let kb = Kb::new();
    kb.write("docs/notes.md", "# Notes\n\nThe kettle whistles.\n");
    kb.write("docs/calf.txt", "Calf\n\nA calf paragraph.\n");
    let (first, _) = index_json(&kb, &["docs"], 0);
    assert_eq!(first.documents, 2);
    kb.run(&["show", "notes"]).expect_code(0);

    // A second "notes" arrives: both keep their extension, every other id stays as it is.
    kb.write("docs/notes.txt", "Notes\n\nThe kettle sings.\n");
    let (second, _) = index_json(&kb, &["docs"], 0);
    assert!(second.skipped.is_empty(), "{:?}", second.skipped);
    assert_eq!(second.documents, 3);
    let out = kb.search("kettle", &[]);
    let mut ids: Vec<&str> = out.hits.iter().map(|h| h.doc_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["notes.md", "notes.txt"]);
    kb.run(&["show", "notes.md"]).expect_code(0);
    kb.run(&["show", "notes.txt#0"]).expect_code(0);
    kb.run(&["show", "calf#0"]).expect_code(0);
    // The same as a clean build.
    let (rebuilt, _) = index_json(&kb, &["docs", "--rebuild"], 0);
    assert_eq!((rebuilt.documents, rebuilt.passages), (second.documents, second.passages));
}

// ---- Items 4 and 9: special files, size limit, links ---------------------------------------

#[cfg(unix)]
#[test]
fn pipes_and_links_to_devices_are_skipped_without_hanging() {
    let kb = Kb::new();
    kb.write("docs/good.md", "# Good\n\nA kettle.\n");
    let pipe = std::ffi::CString::new(kb.path().join("docs/pipe.md").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(pipe.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/dev/zero", kb.path().join("docs/zero.txt")).unwrap();

    let run = kb.run_within(60, &["index", "--json", "docs"]).expect_code(0);
    let report: IndexOutput = run.json();
    assert_eq!(report.documents, 1);
    let reasons: Vec<(&str, &str, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str(), s.kind.as_str()))
        .collect();
    assert_eq!(reasons[0], ("docs/pipe.md", "not a regular file (a named pipe)", "by_design"));
    assert_eq!(reasons[1].0, "docs/zero.txt");
    assert!(reasons[1].1.starts_with("link leading outside the indexed folder (to /dev/zero)"));
    assert_eq!(reasons.len(), 2, "{reasons:?}");

    // Followed on request, the link is a device: skipped all the same, never read.
    let run = kb.run_within(60, &["index", "--json", "--follow-links", "docs"]).expect_code(0);
    let report: IndexOutput = run.json();
    let zero = report.skipped.iter().find(|s| s.path == "docs/zero.txt").unwrap();
    assert_eq!(zero.reason, "not a regular file (a device)");
    // And the writer lock was released: another run goes through.
    kb.run_within(60, &["index", "docs"]).expect_code(0);
}

#[test]
fn files_over_the_size_limit_are_skipped_with_the_reason() {
    let kb = Kb::new();
    let big = format!("Big\n\n{}\n", "kettle ".repeat(200_000));
    kb.write("docs/big.txt", &big);
    kb.write("docs/small.md", "# Small\n\nA kettle.\n");
    let (report, run) = index_json(&kb, &["--max-file-mb", "1", "docs"], 2);
    assert_eq!(report.documents, 1);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].kind, "failure");
    assert_eq!(
        report.skipped[0].reason,
        "1.4 MB, larger than the 1.0 MB limit (--max-file-mb); not read"
    );
    assert!(run.stderr.contains("docs/big.txt: skipped: 1.4 MB"), "{}", run.stderr);
    kb.run(&["index", "--max-file-mb", "0", "docs"]).expect_code(2);
    let (report, _) = index_json(&kb, &["docs"], 0);
    assert_eq!(report.documents, 2, "the default limit is generous");
}

#[cfg(unix)]
#[test]
fn links_leading_outside_the_folder_are_not_followed_unless_asked() {
    let kb = Kb::new();
    kb.write("docs/inside.md", "# Inside\n\nA kettle.\n");
    kb.write("private/secret.txt", "Secret\n\nThe password is swordfish.\n");
    kb.write("private/dir/more.md", "# More\n\nAnother swordfish.\n");
    kb.write("docs/sub/real.md", "# Real\n\nA teapot.\n");
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(kb.path().join(target), kb.path().join(name)).unwrap()
    };
    link("private/secret.txt", "docs/p.txt");
    link("private/dir", "docs/linked");
    link("docs/sub/real.md", "docs/alias.md");

    let (report, run) = index_json(&kb, &["docs"], 0);
    let outside: Vec<(&str, &str)> = report
        .skipped
        .iter()
        .filter(|s| s.reason.starts_with("link leading outside the indexed folder"))
        .map(|s| (s.path.as_str(), s.kind.as_str()))
        .collect();
    assert_eq!(outside, [("docs/linked", "by_design"), ("docs/p.txt", "by_design")]);
    assert_eq!(report.skipped.len(), 2);
    assert!(!run.stderr.contains("docs/p.txt"), "one summary line, not one a file: {}", run.stderr);
    kb.run(&["search", "swordfish"]).expect_code(1);
    // A link within the folder is followed.
    assert_eq!(report.documents, 3, "inside, sub/real and alias");

    let (report, _) = index_json(&kb, &["--follow-links", "docs"], 0);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(kb.search("swordfish", &[]).hits.len(), 2);
}

// ---- Item 10: exit codes, one summary line, --quiet ---------------------------------------

#[test]
fn files_kb_does_not_read_by_design_are_not_failures() {
    let kb = Kb::new();
    kb.write("site/index.md", "# Site\n\nA kettle.\n");
    for name in ["a.png", "b.png", "logo.svg", "font.woff2", "style.css", "app.js"] {
        kb.write(&format!("site/{name}"), "x");
    }
    kb.write("site/empty.md", "");
    for _ in 0..2 {
        let run = kb.run(&["index", "site"]).expect_code(0);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}", run.stderr);
        assert!(lines[0].starts_with("kb: 7 files of other types skipped"), "{}", run.stderr);
    }
    let (report, _) = index_json(&kb, &["site"], 0);
    assert!(report.skipped.iter().all(|s| s.kind == "by_design"), "{:?}", report.skipped);
    assert_eq!(report.skipped.len(), 7);
    let stats = kb.run(&["stats", "--files"]).expect_code(0);
    assert!(stats.stdout.contains("skipped  site/a.png  not a document type"), "{}", stats.stdout);
    assert!(stats.stdout.contains("skipped  site/empty.md  empty file"), "{}", stats.stdout);

    // --quiet: no notes; a real failure still exits 2 and is named.
    let quiet = kb.run(&["-q", "index", "site"]).expect_code(0);
    assert_eq!(quiet.stderr, "");
    kb.write("site/broken.json", "{\"id\": \"b\", \"text\": ");
    let run = kb.run(&["index", "--quiet", "site"]).expect_code(2);
    assert!(run.stderr.contains("site/broken.json:1: skipped: "), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let (report, _) = index_json(&kb, &["site"], 2);
    let broken = report.skipped.iter().find(|s| s.path == "site/broken.json").unwrap();
    assert_eq!(broken.kind, "failure");
}

// ---- Item 7: read-only index ---------------------------------------------------------------

/// The reader's lock file cannot be created (something else stands in its place, as when the
/// folder is read-only): searching, showing and counting still work, and leave the folder as
/// it was.
#[test]
fn searching_needs_no_lock_file() {
    let kb = Kb::with_seed_corpus();
    kb.run(&["index"]).expect_code(0);
    let index = kb.path().join(".kb");
    std::fs::remove_file(index.join(".tantivy-meta.lock")).unwrap();
    std::fs::create_dir(index.join(".tantivy-meta.lock")).unwrap();
    let before = listing(&index);
    assert_eq!(kb.search("botox", &[]).hits.len(), 5);
    kb.run(&["show", "calf-reduction#3"]).expect_code(0);
    assert_eq!(kb.stats().documents, 2);
    assert_eq!(listing(&index), before);
}

/// Whether this process may make a private mount namespace (root, `unshare` allowed).
fn can_mount() -> bool {
    std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null || exit 1"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `script` (sh) in a private mount namespace, in the work dir, with `$KB` the binary (and
/// the environment [`Kb::command`] gives it).
fn in_namespace(kb: &Kb, script: &str) -> std::process::Output {
    let mut cmd = std::process::Command::new("unshare");
    cmd.current_dir(kb.path()).env("KB", env!("CARGO_BIN_EXE_kb"));
    for var in ["KB_INDEX", "KB_CORPUS", "KB_MODEL_DIR", "NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CACHE_HOME", kb.path().join("cache"));
    cmd.args(["-m", "sh", "-c", script]).output().expect("unshare runs")
}

fn read(kb: &Kb, rel: &str) -> String {
    std::fs::read_to_string(kb.path().join(rel)).unwrap_or_default()
}

/// A real read-only file system (a read-only bind mount of the index folder): searches work
/// and write nothing; `kb index` says the folder is read-only.
#[test]
fn an_index_on_a_read_only_file_system_is_searchable() {
    let kb = Kb::with_seed_corpus();
    kb.run(&["index"]).expect_code(0);
    if !can_mount() {
        eprintln!("no private mount namespace here: the read-only mount is not tested");
        return;
    }
    let out = in_namespace(
        &kb,
        r#"mount --bind .kb .kb && mount -o remount,bind,ro .kb || exit 99
        touch .kb/probe 2>/dev/null && exit 98
        ls -a .kb > before
        "$KB" search botox > search.out 2> search.err; echo $? > search.code
        "$KB" stats > stats.out 2>&1; echo $? > stats.code
        "$KB" show calf-reduction#3 > show.out 2>&1; echo $? > show.code
        "$KB" index > index.out 2> index.err; echo $? > index.code
        ls -a .kb > after"#,
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(read(&kb, "search.code").trim(), "0", "{}", read(&kb, "search.err"));
    assert!(read(&kb, "search.out").contains("5 hits"), "{}", read(&kb, "search.out"));
    assert_eq!(read(&kb, "stats.code").trim(), "0", "{}", read(&kb, "stats.out"));
    assert_eq!(read(&kb, "show.code").trim(), "0", "{}", read(&kb, "show.out"));
    assert_eq!(read(&kb, "index.code").trim(), "2");
    let err = read(&kb, "index.err");
    assert!(err.contains("is read-only") && err.contains(".kb"), "{err}");
    assert_eq!(read(&kb, "before"), read(&kb, "after"));
}

// ---- Item 8: orphans and full disks --------------------------------------------------------

#[test]
fn orphaned_segment_files_are_removed_and_never_counted() {
    let kb = Kb::with_seed_corpus();
    kb.run(&["index"]).expect_code(0);
    let committed = kb.stats().index_bytes;
    let index = kb.path().join(".kb");
    let kept = listing(&index);
    // What a killed run leaves: segment files of a segment no commit references.
    let orphan = "0123456789abcdef0123456789abcdef";
    for ext in ["idx", "pos", "term", "store", "fast", "fieldnorm", "7.del"] {
        std::fs::write(index.join(format!("{orphan}.{ext}")), vec![0u8; 100_000]).unwrap();
    }
    std::fs::write(index.join(".tmpAbC123"), "{}").unwrap();
    // And the user's own file, which must stay.
    std::fs::write(index.join("notes.txt"), "mine").unwrap();
    assert_eq!(kb.stats().index_bytes, committed, "orphans are not the committed index");

    // A run with nothing to do cleans up.
    let (report, _) = index_json(&kb, &[], 0);
    assert!(!report.committed);
    let mut expected = kept.clone();
    expected.insert("notes.txt".into());
    assert_eq!(listing(&index), expected);
    assert_eq!(std::fs::read_to_string(index.join("notes.txt")).unwrap(), "mine");
    assert_eq!(kb.search("botox", &[]).hits.len(), 5);
}

/// A full disk (a tiny tmpfs): "no space left on", the previous commit stays searchable, what
/// the run wrote is removed, and the next run succeeds once there is space.
#[test]
fn a_full_disk_is_named_and_cleaned_up_after() {
    let kb = Kb::new();
    kb.write("small/tea.md", "# Tea\n\nGreen tea is steamed.\n");
    for i in 0..40 {
        let words: String = (0..4000).map(|j| format!("w{i}x{j} ")).collect();
        kb.write(&format!("big/doc{i}.txt"), format!("Doc {i}\n\nkettle {words}\n"));
    }
    if !can_mount() {
        eprintln!("no private mount namespace here: the full disk is not tested");
        return;
    }
    std::fs::create_dir(kb.path().join("idx")).unwrap();
    let out = in_namespace(
        &kb,
        r#"mount -t tmpfs -o size=512k tmpfs idx || exit 99
        "$KB" --index idx index small > small.out 2>&1; echo $? > small.code
        ls -a idx > committed
        "$KB" --index idx index small big > full.out 2> full.err; echo $? > full.code
        ls -a idx > after
        "$KB" --index idx search steamed > search.out 2>&1; echo $? > search.code
        mount -o remount,size=64m idx || exit 97
        "$KB" --index idx index small big > again.out 2> again.err; echo $? > again.code
        "$KB" --index idx search kettle > kettle.out 2>&1"#,
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(read(&kb, "small.code").trim(), "0", "{}", read(&kb, "small.out"));
    assert_eq!(read(&kb, "full.code").trim(), "2", "{}", read(&kb, "full.out"));
    let err = read(&kb, "full.err");
    assert!(err.contains("no space left on idx"), "{err}");
    assert!(!err.contains("index writer was killed"), "{err}");
    assert_eq!(read(&kb, "after"), read(&kb, "committed"), "what the failed run wrote is gone");
    assert_eq!(read(&kb, "search.code").trim(), "0", "{}", read(&kb, "search.out"));
    assert_eq!(read(&kb, "again.code").trim(), "0", "{}", read(&kb, "again.err"));
    assert!(read(&kb, "kettle.out").contains("hits"), "{}", read(&kb, "kettle.out"));
}

// ---- Item 12: small ones -------------------------------------------------------------------

#[test]
fn show_finds_a_document_whose_id_holds_a_hash() {
    let kb = Kb::new();
    kb.write(
        "docs/r.jsonl",
        "{\"_id\": \"idwithhash#3\", \"title\": \"Hash\", \"text\": \"A kettle.\"}\n",
    );
    kb.run(&["index", "docs"]).expect_code(0);
    let run = kb.run(&["show", "idwithhash#3"]).expect_code(0);
    assert!(run.stdout.contains("A kettle."), "{}", run.stdout);
    kb.run(&["show", "idwithhash#3#0"]).expect_code(0);
    kb.run(&["show", "idwithhash#4"]).expect_code(2);
}

#[test]
fn weights_and_limits_out_of_range_are_rejected_with_the_range() {
    let kb = Kb::with_seed_corpus();
    for bad in ["NaN", "inf", "1e308", "-0.5", "1"] {
        let run = kb.run(&["search", "botox", &format!("--feedback={bad}")]).expect_code(2);
        assert!(run.stderr.contains("from 0 (off) to less than 1"), "{bad}: {}", run.stderr);
    }
    for bad in ["5", "NaN", "-1"] {
        let run = kb.run(&["search", "botox", &format!("--semantic={bad}")]).expect_code(2);
        assert!(run.stderr.contains("from 0 (words only) to 1"), "{bad}: {}", run.stderr);
    }
    kb.run(&["search", "botox", "--semantic", "1", "--feedback", "0"]).expect_code(0);
    let run = kb.run(&["search", "botox", "--limit", "0"]).expect_code(2);
    assert!(run.stderr.contains("must be at least 1"), "{}", run.stderr);
}

#[test]
fn a_query_may_start_with_an_excluded_word() {
    let kb = Kb::with_seed_corpus();
    let all = kb.search("calf", &["--limit", "20", "--per-doc", "0"]);
    let with_botox = all.hits.iter().filter(|h| h.text.to_lowercase().contains("botox")).count();
    assert!(with_botox > 0);
    for args in [
        &["search", "--json", "--limit", "20", "--per-doc", "0", "--", "-botox", "calf"][..],
        &["search", "--json", "-botox calf", "--limit", "20", "--per-doc", "0"],
    ] {
        let run = kb.run(args).expect_code(0);
        let out: crate::util::SearchOutput = run.json();
        assert_eq!(out.hits.len(), all.hits.len() - with_botox, "{args:?}");
        assert!(out.hits.iter().all(|h| !h.text.to_lowercase().contains("botox")), "{args:?}");
    }
}

#[test]
fn one_hit_and_one_passage_read_in_the_singular() {
    let kb = Kb::new();
    kb.write("docs/tea.md", "# Tea\n\nGreen tea is steamed.\n\nBlack tea is oxidised.\n");
    let run = kb.run(&["search", "steamed", "--corpus", "docs"]).expect_code(0);
    assert!(run.stdout.contains("1 hit (1 passage matched)"), "{}", run.stdout);
}

#[test]
fn error_messages_do_not_repeat_their_cause() {
    let kb = Kb::new();
    kb.write("docs/tea.md", "# Tea\n\nGreen tea.\n");
    kb.write("not-a-folder", "x");
    let run = kb.run(&["--index", "not-a-folder", "index", "docs"]).expect_code(2);
    let line = run.stderr.lines().next().unwrap_or_default().to_owned();
    assert!(line.contains("not-a-folder"), "{line}");
    let cause = "(os error";
    assert_eq!(line.matches(cause).count(), 1, "{line}");
}

/// On a terminal (a pseudo-terminal made by `script`), the progress bar counts files per second
/// and the bytes read so far, not "B/s" of file sizes.
#[test]
fn the_progress_bar_counts_files_per_second_and_bytes_read() {
    let kb = Kb::new();
    kb.write("docs/a.md", "# A\n\nA kettle.\n");
    kb.write("docs/b.txt", format!("B\n\n{}\n", "kettle ".repeat(100_000)));
    let available = std::process::Command::new("script").arg("--version").output();
    if !available.is_ok_and(|o| o.status.success()) {
        eprintln!("no `script` here to make a terminal: the progress bar is not tested");
        return;
    }
    let command = format!("'{}' index docs", env!("CARGO_BIN_EXE_kb"));
    let mut cmd = std::process::Command::new("script");
    cmd.current_dir(kb.path()).args(["-qec", &command, "/dev/null"]);
    for var in ["KB_INDEX", "KB_CORPUS", "KB_MODEL_DIR", "NO_COLOR"] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("script runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains(" files/s, "), "{screen}");
    assert!(screen.contains(" MB read)"), "{screen}");
    assert!(!screen.contains("B/s"), "{screen}");
}
