//! Code, tables and line numbers (issue 15, items 4 and 5): code keeps its lines and is a kind
//! of its own, ranked below prose for a question in words; a table is passages of rows under
//! their header; every passage's line is where its text starts, deep into long files.

use crate::util::Kb;

/// A chapter that explains in words and shows code using the same words.
const ARGS_MD: &str = "\
# Command line arguments

## Reading the arguments

To read the command line arguments, collect them into a vector of strings.

```rust
// --snip--
// read the command line arguments, collect the arguments into a vector
let args: Vec<String> = env::args().collect();
let arguments = args; // the command line arguments, read and collected
dbg!(arguments);
```

## Saving them

Other prose about variables and saving values.
";

fn code_kb() -> Kb {
    let kb = Kb::new();
    kb.write("docs/args.md", ARGS_MD);
    kb.run(&["index", "docs"]).expect_code(0);
    kb
}

#[test]
fn code_keeps_its_lines_and_is_kind_code() {
    let kb = code_kb();
    let out = kb.search("env::args", &["--kind", "code"]);
    assert_eq!(out.hits.len(), 1);
    let hit = &out.hits[0];
    assert_eq!(hit.kind, "code");
    assert_eq!(
        hit.text,
        "// --snip--\n// read the command line arguments, collect the arguments into a vector\nlet args: Vec<String> = env::args().collect();\nlet arguments = args; // the command line arguments, read and collected\ndbg!(arguments);"
    );
    // The line of its first line of code, not the fence's.
    assert_eq!(hit.source.line, 8);
    assert!(
        hit.snippet.contains("&gt; = <mark>env</mark>::<mark>args</mark>().collect();\nlet"),
        "{}",
        hit.snippet
    );
    // `--kind code` leaves the prose out; `kind:code` too.
    assert!(kb
        .search("command line arguments", &["--kind", "code"])
        .hits
        .iter()
        .all(|h| h.kind == "code"));
    let filtered = kb.search("kind:code arguments", &[]);
    assert_eq!(filtered.hits.len(), 1);
    assert_eq!(filtered.hits[0].kind, "code");
    let stats = kb.stats();
    assert_eq!((stats.by_kind.code, stats.by_kind.article), (1, 2));
}

#[test]
fn a_question_in_words_ranks_prose_above_code() {
    let kb = code_kb();
    let out = kb.search("read the command line arguments into a vector", &["--explain"]);
    let kinds: Vec<&str> = out.hits.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(&kinds[..2], ["article", "code"], "{kinds:?}");
    assert!(out.hits[0].text.starts_with("To read the command line arguments"));
    // The weight of code is in its explanation.
    let code = out.hits[1].explain.as_ref().expect("explained");
    assert_eq!(code.what, "× 0.5: a code passage, and the query reads as words");
    assert!((code.score - code.parts[0].score * 0.5).abs() < 1e-4);
}

#[test]
fn a_query_that_looks_like_code_ranks_code_first() {
    let kb = code_kb();
    for query in ["env::args().collect()", "read arguments Vec<String>;", "dbg!(arguments)"] {
        let out = kb.search(query, &["--explain"]);
        assert_eq!(out.hits[0].kind, "code", "{query}");
        let why = &out.hits[0].explain.as_ref().expect("explained").what;
        assert_eq!(why, "× 1.5: a code passage, and the query looks like code", "{query}");
    }
}

#[test]
fn code_prints_as_a_block() {
    let kb = code_kb();
    let run = kb.run(&["search", "--color", "never", "--kind", "code", "env::args"]).expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].ends_with("[code]"), "{}", run.stdout);
    assert_eq!(lines[1], "   │ // --snip--");
    assert_eq!(lines[3], "   │ let args: Vec<String> = env::args().collect();");
    let show = kb.run(&["show", "args#1"]).expect_code(0);
    assert!(show.stdout.contains("[code]\n    // --snip--\n"), "{}", show.stdout);
    assert!(show.stdout.contains("\n    let args: Vec<String> = env::args().collect();\n"));
}

#[test]
fn html_pre_is_code_too() {
    let kb = Kb::new();
    kb.write(
        "docs/page.html",
        "<title>Page</title>\n<p>Words about closures here.</p>\n<pre><code>let add_one = |x| x + 1;\nadd_one(5);</code></pre>\n",
    );
    kb.run(&["index", "docs"]).expect_code(0);
    let hit = &kb.search("add_one", &[]).hits[0];
    assert_eq!(
        (hit.kind.as_str(), hit.text.as_str()),
        ("code", "let add_one = |x| x + 1;\nadd_one(5);")
    );
    assert_eq!(hit.source.line, 3);
}

#[test]
fn a_big_markdown_table_is_passages_of_rows_under_the_header() {
    let kb = Kb::new();
    let rows: String = (1..=10_000).map(|i| format!("| item{i} | {} grams |\n", i % 97)).collect();
    kb.write(
        "docs/weights.md",
        format!("# Weights\n\nThe weights.\n\n| Item | Weight |\n|---|---|\n{rows}"),
    );
    let report: crate::util::IndexOutput =
        kb.run(&["index", "--json", "docs"]).expect_code(0).json();
    assert!(report.passages >= 500, "{} passages", report.passages);
    let out = kb.search("item7777", &[]);
    let hit = &out.hits[0];
    let lines: Vec<&str> = hit.text.lines().collect();
    assert_eq!(lines[0], "Item | Weight");
    assert!(lines.contains(&"item7777 | 17 grams"), "{}", hit.text);
    assert!(lines.len() <= 21 && hit.text.len() < 1_200, "{} bytes", hit.text.len());
    // The line of its first row: row i is on line 6 + i.
    let first: u32 =
        lines[1].trim_start_matches("item").split(' ').next().unwrap().parse().unwrap();
    assert_eq!(hit.source.line, 6 + first);
}

/// A long HTML page: attributes, a script and comments repeat each chapter's words, so a match
/// in the markup would send the lines ahead.
fn long_html(chapters: usize) -> (String, Vec<usize>) {
    let mut html = String::from(
        "<!doctype html>\n<html><head><title>Book</title>\n<script>var index = \"quokka0 quokka4999 quokka2500\";</script></head>\n<body><nav><a title=\"quokka4999 chapter\">last</a></nav>\n",
    );
    let mut lines = Vec::new();
    for i in 0..chapters {
        html.push_str(&format!("<h2 id=\"c{i}\" title=\"quokka{}\">Chapter {i}</h2>\n", i + 1));
        html.push_str(&format!("<!-- see quokka{} below -->\n", i + 1));
        lines.push(html.lines().count() + 3);
        html.push_str(&format!(
            "<div class=\"x\">\n  <p>\n    The quokka{i} &amp; its\n    friends live here.</p>\n</div>\n"
        ));
    }
    html.push_str("</body></html>\n");
    (html, lines)
}

#[test]
fn lines_hold_deep_into_a_long_html_file() {
    let kb = Kb::new();
    let (html, lines) = long_html(5_000);
    kb.write("docs/print.html", &html);
    kb.run(&["index", "docs"]).expect_code(0);
    for i in [0, 1, 504, 505, 2500, 4999] {
        let hit = &kb.search(&format!("quokka{i}"), &[]).hits[0];
        assert_eq!(hit.text, format!("The quokka{i} & its friends live here."));
        assert_eq!(hit.source.line as usize, lines[i], "quokka{i}");
        let source_line = html.lines().nth(lines[i] - 1).unwrap();
        assert!(source_line.contains(&format!("quokka{i} ")), "{source_line}");
    }
}

#[test]
fn lines_hold_deep_into_a_long_markdown_file() {
    let kb = Kb::new();
    let mut md = String::from("# Book\n\n");
    for i in 0..5_000 {
        md.push_str(&format!("## Chapter {i}\n\n<!-- quokka{} -->\n\nThe quokka{i} lives\nhere.\n\n```\nwombat{i}();\n```\n\n", i + 1));
    }
    kb.write("docs/book.md", &md);
    kb.run(&["index", "docs"]).expect_code(0);
    for i in [0, 505, 4999] {
        let prose = &kb.search(&format!("quokka{i}"), &[]).hits[0];
        let code = &kb.search(&format!("wombat{i}"), &[]).hits[0];
        assert_eq!(prose.source.line, 5 + 11 * i as u32 + 2, "quokka{i}");
        assert_eq!(code.source.line, prose.source.line + 4, "wombat{i}");
        assert_eq!(
            md.lines().nth(code.source.line as usize - 1),
            Some(format!("wombat{i}();").as_str())
        );
    }
}
