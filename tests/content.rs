//! What of a folder of documents is content (issue 15): boilerplate repeated across a site's
//! pages, navigation, hidden elements, copies in an aggregate page, redirect stubs and
//! placeholder pages are left out, and a common title suffix is dropped.

use crate::util::{IndexOutput, Kb};

/// The text of each chapter of the mini site, and what a question about it looks for.
const CHAPTERS: [(&str, &str); 5] = [
    ("Getting Started", "Install the toolchain with the installer script before anything else."),
    ("Variables", "Variables are immutable unless declared with the mut keyword."),
    ("Ownership", "The borrow checker compares lifetimes to reject dangling references."),
    ("Closures", "Closures capture values from the environment in which they are defined."),
    ("Threads", "Channels send messages between threads without sharing memory."),
];

/// A chapter page as a book generator writes it: a help box and navigation around the text.
fn chapter(n: usize, title: &str, text: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><title>{title} - Mini Book</title></head><body>
<div id="help-popup"><p>Press left or right to navigate between chapters</p>
<p>Press Esc to hide this help</p></div>
<nav class="sidebar"><ol><li><a href="ch1.html">Getting Started</a></li><li><a href="ch2.html">Variables</a></li></ol></nav>
<div role="navigation"><a href="ch{prev}.html">Previous chapter</a></div>
<p style="display: none">Secret banana text nobody sees.</p>
<main>
<h1>{title}</h1>
<p>Next: <a href="ch{next}.html">the next one</a>, Previous: <a href="ch{prev}.html">the last one</a></p>
<p>{text}</p>
<p>Chapter {n} ends here with its own closing words about {title}.</p>
</main></body></html>"#,
        prev = n.saturating_sub(1),
        next = n + 1,
    )
}

/// The mini site: five chapters, an aggregate page repeating them, a redirect stub, a page
/// asking not to be indexed and five placeholder pages of an old edition.
fn mini_site(kb: &Kb) {
    for (i, (title, text)) in CHAPTERS.iter().enumerate() {
        kb.write(&format!("docs/site/ch{}.html", i + 1), chapter(i + 1, title, text));
    }
    let all: String = CHAPTERS.iter().map(|(_, text)| format!("<p>{text}</p>\n")).collect();
    kb.write(
        "docs/site/print.html",
        format!(
            "<html><head><title>Mini Book</title></head><body><div id=\"help-popup\"><p>Press left or right to navigate between chapters</p><p>Press Esc to hide this help</p></div>\n{all}<p>The printed edition has a colophon of its own.</p></body></html>"
        ),
    );
    kb.write(
        "docs/site/old-name.html",
        r#"<html><head><title>Redirecting...</title><meta http-equiv="refresh" content="0; URL=ch3.html"></head>
<body><p>Redirecting to... <a href="ch3.html">ch3.html</a>.</p></body></html>"#,
    );
    kb.write(
        "docs/site/toc.html",
        r#"<html><head><meta name="robots" content="noindex"><title>Contents</title></head><body><p>Ownership and the borrow checker, a summary of every chapter.</p></body></html>"#,
    );
    for (i, (title, _)) in CHAPTERS.iter().enumerate() {
        kb.write(
            &format!("docs/site/2018/ch{}.html", i + 1),
            format!(
                "<html><head><title>{title} - Mini Book</title></head><body><h1>{title}</h1>\n<p>The 2018 edition of the book is no longer distributed with the documentation.</p>\n<p>If you came here via a link or a web search, you may want to read <a href=\"../ch{}.html\">the current version of the book</a> instead.</p></body></html>",
                i + 1
            ),
        );
    }
}

#[test]
fn boilerplate_duplicates_stubs_and_placeholders_are_left_out() {
    let kb = Kb::new();
    mini_site(&kb);
    let report: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(0).json();
    // Five chapters and the aggregate's own passage; everything else left out by design.
    assert_eq!((report.documents, report.passages), (6, 11), "{report:?}");
    let mut skipped: Vec<(String, &str, &str)> = report
        .skipped
        .iter()
        .map(|s| {
            let name = s.path.rsplit("docs/site/").next().unwrap_or(&s.path).to_owned();
            (name, s.reason.as_str(), s.kind.as_str())
        })
        .collect();
    skipped.sort();
    let placeholder =
        "every passage repeats other documents of its folder (boilerplate or duplicates)";
    let mut expected: Vec<(String, &str, &str)> =
        (1..=5).map(|i| (format!("2018/ch{i}.html"), placeholder, "by_design")).collect();
    expected.push(("old-name.html".into(), "a redirect to ch3.html, not a document", "by_design"));
    expected.push((
        "toc.html".into(),
        "the page asks not to be indexed (robots noindex)",
        "by_design",
    ));
    assert_eq!(skipped, expected);

    // The help box, navigation, hidden text, link lines and placeholders are not searchable.
    for query in ["navigate", "esc", "banana", "previous", "distributed"] {
        let out = kb.search(query, &[]);
        assert!(
            out.hits.is_empty(),
            "{query}: {:?}",
            out.hits.iter().map(|h| &h.text).collect::<Vec<_>>()
        );
    }

    // Each chapter's text is found on its own page first, never in the aggregate's copy, and
    // the title has lost the site's suffix.
    for (i, (title, text)) in CHAPTERS.iter().enumerate() {
        let out = kb.search(text, &[]);
        let first = &out.hits[0];
        assert!(first.source.path.ends_with(&format!("site/ch{}.html", i + 1)), "{first:?}");
        assert_eq!((first.text.as_str(), first.doc_title.as_str()), (*text, *title));
        assert!(out.hits.iter().all(|h| !h.source.path.ends_with("print.html")), "{text}");
    }
    // What only the aggregate says is still there.
    let out = kb.search("colophon", &[]);
    assert_eq!(out.hits.len(), 1);
    assert!(out.hits[0].source.path.ends_with("site/print.html"));
    assert_eq!(out.hits[0].doc_title, "Mini Book");

    // Counted: 2 help passages on 6 pages, 2 placeholder passages on 5 pages; 5 copies.
    let stats = kb.stats();
    assert_eq!((stats.dropped.boilerplate, stats.dropped.duplicates), (22, 5));
    let files = kb.run(&["stats", "--files"]).expect_code(0).stdout;
    assert!(files.contains("left out    22 passages of boilerplate, 5 duplicates"), "{files}");
    let print_line = files.lines().find(|l| l.contains("print.html")).expect("print.html listed");
    assert!(
        print_line.ends_with("1 documents, 1 passages (2 boilerplate, 5 duplicates left out)"),
        "{print_line}"
    );

    // Nothing to do on the next run.
    let again: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(0).json();
    assert!(!again.committed);

    // The chapter goes: its text is the aggregate's again, and ranks there.
    kb.remove("docs/site/ch3.html");
    let after: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(0).json();
    assert_eq!((after.removed, after.changed), (1, 1), "{after:?}");
    let out = kb.search(CHAPTERS[2].1, &[]);
    assert!(out.hits[0].source.path.ends_with("site/print.html"), "{:?}", out.hits[0]);
}
