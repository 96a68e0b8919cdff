//! Habits of command-line users (issue 15, item 8): `kb search -` and `kb index -` reading
//! standard input, shell completions and the manual page generated from the argument
//! definitions, a global `--color`, and `kb search --oneline`.

use std::io::Write;
use std::process::Stdio;

use crate::util::{IndexOutput, Kb, Run};

/// Runs `kb ARGS...` with `input` on standard input.
fn run_with_stdin(kb: &Kb, args: &[&str], input: &str) -> Run {
    let mut child = kb
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kb runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("kb finishes");
    writer.join().expect("stdin written");
    Run::from_output(out)
}

fn docs(kb: &Kb) {
    kb.write("docs/botox.md", "# Botox\n\nBotox injections take two weeks to show results.\n");
    kb.write("docs/calves.md", "# Calves\n\nCalf reduction surgery is permanent.\n");
    kb.write("docs/sub/tea.md", "# Tea\n\nGreen tea is steamed, never oxidised.\n");
}

#[test]
fn search_dash_reads_the_query_from_stdin() {
    let kb = Kb::new();
    docs(&kb);
    kb.run(&["index", "docs"]).expect_code(0);
    let run = run_with_stdin(&kb, &["search", "--json", "-"], "botox\n  results\n");
    let out: crate::util::SearchOutput = run.expect_code(0).json();
    assert_eq!(out.query, "botox results");
    assert_eq!(out.hits[0].doc_id, "botox");
    // An empty input is an empty query: refused, exit 2.
    let empty = run_with_stdin(&kb, &["search", "-"], " \n").expect_code(2);
    assert!(empty.stderr.contains("the query is empty"), "{}", empty.stderr);
}

#[test]
fn index_dash_reads_a_list_of_paths() {
    let kb = Kb::new();
    docs(&kb);
    let run = run_with_stdin(&kb, &["index", "--json", "-"], "docs/botox.md\n\ndocs/sub\r\n");
    let report: IndexOutput = run.expect_code(0).json();
    assert_eq!((report.added, report.documents), (2, 2));
    assert_eq!(kb.search("tea", &[]).hits[0].source.path, "docs/sub/tea.md");
    assert_eq!(kb.search("calf", &[]).hits.len(), 0, "calves.md was not listed");
    // A path that does not exist is an error, as on the command line.
    let missing = run_with_stdin(&kb, &["index", "-"], "docs/nope.md\n").expect_code(2);
    assert!(missing.stderr.contains("nope.md"), "{}", missing.stderr);
    // `-` stands alone.
    let mixed = kb.run(&["index", "-", "docs"]).expect_code(2);
    assert!(mixed.stderr.contains("cannot be mixed"), "{}", mixed.stderr);
}

#[test]
fn index_dash_pushes_json_lines_records_that_stay() {
    let kb = Kb::new();
    docs(&kb);
    kb.run(&["index", "docs"]).expect_code(0);
    let records = concat!(
        "{\"id\": \"n1\", \"title\": \"Berries\", \"text\": \"The quokkaberry is sweet.\"}\n",
        "\n",
        "not json\n",
        "{\"id\": \"n2\", \"title\": \"Q\", \"question\": \"Is the quokkaberry ripe?\", \"answers\": [{\"body\": \"Yes, in May.\"}]}\n",
        "{\"id\": \"botox\", \"text\": \"a file has this id\"}\n",
    );
    let run = run_with_stdin(&kb, &["index", "--json", "-"], records).expect_code(2);
    let report: IndexOutput = run.json();
    assert_eq!((report.added, report.documents), (2, 5));
    let lines: Vec<(Option<u32>, &str)> =
        report.skipped.iter().map(|s| (s.line, s.path.as_str())).collect();
    assert_eq!(lines, [(Some(3), "(standard input)"), (Some(5), "(standard input)")]);
    assert!(run.stderr.contains("(standard input):3: skipped: not a record"), "{}", run.stderr);
    let hits = kb.search("quokkaberry", &["--per-doc", "0"]).hits;
    let ids: Vec<&str> = hits.iter().map(|h| h.doc_id.as_str()).collect();
    assert!(ids.contains(&"n1") && ids.contains(&"n2"), "{ids:?}");
    // Pushed documents stay through a plain re-index of the files and a rebuild.
    kb.run(&["index", "docs"]).expect_code(0);
    kb.run(&["index", "--rebuild", "docs"]).expect_code(0);
    assert_eq!(kb.stats().documents, 5);
    // Pushing an id again replaces it.
    let again = run_with_stdin(
        &kb,
        &["index", "--json", "-"],
        "{\"id\": \"n1\", \"title\": \"Berries\", \"text\": \"Now sour.\"}\n",
    );
    let again: IndexOutput = again.expect_code(0).json();
    assert_eq!((again.changed, again.documents), (1, 5));
    let hits = kb.search("quokkaberry", &["--per-doc", "0"]).hits;
    assert!(hits.iter().all(|h| h.doc_id == "n2"), "n1 no longer says it: {hits:?}");
}

#[test]
fn completions_are_generated_for_each_shell() {
    let kb = Kb::new();
    for (shell, marker) in [
        ("bash", "complete -F _kb"),
        ("zsh", "#compdef kb"),
        ("fish", "complete -c kb"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = kb.run(&["completions", shell]).expect_code(0);
        assert!(run.stdout.contains(marker), "{shell}:\n{}", run.stdout);
        // Generated from the same definitions: the newest flags are there.
        assert!(run.stdout.contains("oneline"), "{shell} lacks --oneline");
        assert!(run.stdout.contains("no-ignore"), "{shell} lacks --no-ignore");
    }
    kb.run(&["completions", "tcsh"]).expect_code(2);
}

#[test]
fn man_pages_are_generated() {
    let kb = Kb::new();
    let page = kb.run(&["man"]).expect_code(0).stdout;
    let title = |page: &str| page.lines().find(|l| l.starts_with(".TH ")).map(str::to_owned);
    assert!(title(&page).is_some_and(|t| t.starts_with(".TH kb 1")), "not a man page:\n{page}");
    assert!(page.contains(".SH NAME") && page.contains("\\-\\-color"), "{page}");
    assert!(page.contains("completions"), "{page}");
    let index = kb.run(&["man", "index"]).expect_code(0).stdout;
    assert!(title(&index).is_some_and(|t| t.contains("index")), "{index}");
    assert!(index.contains("\\-\\-glob"), "{index}");
    let unknown = kb.run(&["man", "nope"]).expect_code(2);
    assert!(unknown.stderr.contains("no command \"nope\""), "{}", unknown.stderr);
}

#[test]
fn color_is_a_global_option() {
    let kb = Kb::new();
    docs(&kb);
    kb.run(&["--color", "never", "index", "docs"]).expect_code(0);
    let always = kb.run(&["show", "botox#0", "--color", "always"]).expect_code(0);
    assert!(always.stdout.contains("\x1b["), "{:?}", always.stdout);
    assert!(always.stdout.contains("Botox injections take two weeks"));
    let never = kb.run(&["show", "--color=never", "botox#0"]).expect_code(0);
    assert!(!never.stdout.contains('\x1b'), "{:?}", never.stdout);
    // Before the command as after it, on search too.
    let search = kb.run(&["--color", "always", "search", "botox"]).expect_code(0);
    assert!(search.stdout.contains("\x1b["), "{:?}", search.stdout);
    kb.run(&["stats", "--color", "never"]).expect_code(0);
    let bad = kb.run(&["show", "botox#0", "--color", "sometimes"]).expect_code(2);
    assert!(bad.stderr.contains("sometimes"), "{}", bad.stderr);
}

#[test]
fn oneline_prints_one_grep_like_line_a_hit() {
    let kb = Kb::new();
    docs(&kb);
    kb.write("docs/more.md", "# More\n\nIntro.\n\nBotox again,\nover two lines.\n");
    kb.run(&["index", "docs"]).expect_code(0);
    let run = kb.run(&["search", "botox", "--oneline"]).expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(lines[0], "docs/botox.md:3: Botox injections take two weeks to show results.");
    assert_eq!(lines[1], "docs/more.md:5: Botox again, over two lines.");
    // Colored only when asked; the matches are styled, the rest as above.
    let colored = kb.run(&["search", "botox", "--oneline", "--color", "always"]).expect_code(0);
    let first = colored.stdout.lines().next().unwrap();
    assert!(first.contains("\x1b[") && first.contains("Botox\x1b[0m"), "{first:?}");
    // No hits: nothing on stdout, exit 1.
    let none = kb.run(&["search", "zebra", "--oneline"]).expect_code(1);
    assert_eq!(none.stdout, "");
    kb.run(&["search", "botox", "--oneline", "--json"]).expect_code(2);
}
