//! Each ingest format, through `kb index` and `kb search`.

use crate::util::{IndexOutput, Kb, KindCounts};

const MARKDOWN: &str = "\
---
title: Brewing Tea
---

Intro paragraph about brewing tea leaves.

## Green tea

Green tea is steamed, not oxidised.

- Sencha is the everyday green tea.
- Matcha is stone-ground.

## Black tea

Black tea is fully oxidised before drying.
";

const THREAD_JSON: &str = r#"{"id": "kettle-q", "title": "Can a kettle descale itself?",
 "question": "My kettle has white scale inside. Is vinegar safe to use?",
 "answers": [
   {"title": "Use citric acid", "author": "Ann", "body": "Citric acid dissolves limescale without the smell."},
   {"body": "Vinegar works too but rinse twice."}
 ]}"#;

const ARTICLES_JSONL: &str = r#"{"_id": "d1", "title": "Aspirin", "text": "Aspirin thins the blood."}
{"_id": "d2", "title": "Ibuprofen", "text": "Ibuprofen reduces inflammation.\n\nTake it with food."}
"#;

const HTML: &str = r#"<!doctype html><html><head><title>Bicycle Care</title>
<style>p { color: red }</style><script>var tracking = "chainring";</script></head>
<body><nav><a href="/">Home</a> <a href="/shop">Shop chainring deals</a></nav>
<h1>Bicycle Care</h1>
<h2>Chains</h2>
<p>Oil the chain every few hundred kilometres.</p>
<ul><li>Wipe off the old oil first.</li><li>One drop per link.</li></ul>
<footer>Copyright chainring ltd</footer>
</body></html>"#;

fn index(kb: &Kb) -> IndexOutput {
    kb.run(&["index", "--json", "docs"]).expect_code(0).json()
}

#[test]
fn markdown_titles_sections_paragraphs_and_items() {
    let kb = Kb::new();
    kb.write("docs/tea.md", MARKDOWN);
    let report = index(&kb);
    assert_eq!((report.added, report.documents, report.passages), (1, 1, 5));
    let out = kb.search("sencha", &[]);
    let hit = &out.hits[0];
    assert_eq!(hit.doc_title, "Brewing Tea");
    assert_eq!(hit.heading.as_deref(), Some("Green tea"));
    assert_eq!(hit.text, "Sencha is the everyday green tea.");
    assert_eq!(hit.source.line, 11);
    assert_eq!(hit.doc_id, "tea");
}

#[test]
fn json_thread_becomes_question_and_answers() {
    let kb = Kb::new();
    kb.write("docs/kettle.json", THREAD_JSON);
    index(&kb);
    assert_eq!(kb.stats().by_kind, KindCounts { article: 0, question: 1, answer: 2, code: 0 });
    let out = kb.search("limescale", &[]);
    assert_eq!(out.hits[0].kind, "answer");
    assert_eq!(out.hits[0].doc_id, "kettle-q");
    assert!(out.hits[0].text.starts_with("Use citric acid\n"));
    // The answer that never says "kettle" is found through its question's title.
    let out = kb.search("kettle rinse", &["--kind", "answer"]);
    assert!(out.hits.iter().any(|h| h.text.contains("rinse twice")), "{:#?}", out.hits);
}

#[test]
fn json_lines_articles_use_their_ids() {
    let kb = Kb::new();
    kb.write("docs/drugs.jsonl", ARTICLES_JSONL);
    let report = index(&kb);
    assert_eq!((report.documents, report.passages), (2, 3));
    let out = kb.search("food", &[]);
    assert_eq!(out.hits[0].passage_id, "d2#1");
    assert_eq!(out.hits[0].doc_title, "Ibuprofen");
    assert_eq!(out.hits[0].source.line, 2);
}

#[test]
fn html_keeps_content_and_drops_boilerplate() {
    let kb = Kb::new();
    kb.write("docs/bike.html", HTML);
    let report = index(&kb);
    assert_eq!(report.passages, 3, "{report:?}");
    let out = kb.search("oil", &[]);
    assert_eq!(out.hits[0].doc_title, "Bicycle Care");
    assert_eq!(out.hits[0].heading.as_deref(), Some("Chains"));
    // Scripts, navigation and footers are not content. (Typo tolerance may find "chain" for
    // "chainring": what matters is that no passage holds the boilerplate word.)
    for word in ["chainring", "tracking"] {
        let out = kb.search(word, &[]);
        assert!(out.hits.iter().all(|h| !h.text.contains(word)), "{word}: {:#?}", out.hits);
        assert!(out.hits.iter().all(|h| !h.lit().contains(&word)), "{word}: {:#?}", out.hits);
    }
}

#[test]
fn plain_text_thread_and_article_kinds() {
    let kb = Kb::new();
    kb.write(
        "docs/q.txt",
        "Is tea safe for calves?\n\nMy calf drinks tea. Is that fine?\n\nShort answer\n\nIt is fine in small amounts.\n\nAsk a vet\n\nA vet can weigh the risks.\n",
    );
    index(&kb);
    assert_eq!(kb.stats().by_kind, KindCounts { article: 0, question: 1, answer: 2, code: 0 });
    // "calves" appears only in the question's title: the answers are found through it.
    let out = kb.search("calves vet", &["--kind", "answer"]);
    assert!(out.hits[0].text.starts_with("Ask a vet"), "{:#?}", out.hits);
}

/// `kb index --json` on `docs`, expecting exit 2 (something was skipped).
fn index_with_skips(kb: &Kb) -> IndexOutput {
    kb.run(&["index", "--json", "docs"]).expect_code(2).json()
}

/// Issue 14, item 11: a NUL byte or invalid UTF-8 in one JSON Lines line skips that line,
/// named with its number, and the other lines are indexed.
#[test]
fn json_lines_with_a_nul_byte_or_bad_utf8_lose_one_line() {
    let kb = Kb::new();
    kb.write(
        "docs/r.jsonl",
        b"{\"_id\": \"a\", \"text\": \"aardvark\"}\n{\"_id\": \"b\", \"text\": \"nul\x00\"}\n{\"_id\": \"c\", \"text\": \"Caf\xe9\"}\n{\"_id\": \"d\", \"text\": \"dugong\"}\n"
            .as_slice(),
    );
    let report = index_with_skips(&kb);
    assert_eq!((report.documents, report.passages), (2, 2), "{report:?}");
    let skipped: Vec<_> = report.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
    assert_eq!(
        skipped,
        [
            (Some(2), "a NUL byte (binary data) at line 2, byte 26"),
            (Some(3), "invalid UTF-8 at line 3, byte 26"),
        ]
    );
    let stderr = kb.run(&["index", "docs"]).expect_code(2).stderr;
    assert!(stderr.contains("docs/r.jsonl:2: skipped: a NUL byte"), "{stderr}");
    assert_eq!(kb.search("aardvark dugong", &["--per-doc", "0"]).total, 2);
}

/// Issue 14, item 11: invalid UTF-8 in a text or Markdown file loses only its paragraph,
/// reported with its line; the rest of the file is searchable.
#[test]
fn invalid_utf8_in_text_and_markdown_loses_one_paragraph() {
    let kb = Kb::new();
    kb.write(
        "docs/tea.txt",
        b"Tea\n\nGreen tea is steamed.\n\nCaf\xe9 au lait.\n\nBlack tea is oxidised.\n".as_slice(),
    );
    kb.write("docs/coffee.md", b"# Coffee\n\nEspresso is pressed.\n\nLatte \xff art.\n".as_slice());
    let report = index_with_skips(&kb);
    let skipped: Vec<_> =
        report.skipped.iter().map(|s| (s.path.as_str(), s.line, s.reason.as_str())).collect();
    assert_eq!(
        skipped,
        [
            (
                "docs/coffee.md",
                Some(5),
                "invalid UTF-8 at line 5, byte 7; its paragraph is not indexed"
            ),
            (
                "docs/tea.txt",
                Some(5),
                "invalid UTF-8 at line 5, byte 4; its paragraph is not indexed"
            ),
        ]
    );
    let hits = kb.search("steamed oxidised espresso", &["--per-doc", "0"]).hits;
    let mut found: Vec<(&str, u32)> =
        hits.iter().map(|h| (h.source.path.as_str(), h.source.line)).collect();
    found.sort();
    assert_eq!(found, [("docs/coffee.md", 3), ("docs/tea.txt", 3), ("docs/tea.txt", 7)]);
    assert_eq!(kb.search("latte", &[]).total, 0);
}

/// Issue 14, item 5: a `.json` array is read record by record, each hit naming its record's
/// line.
#[test]
fn json_arrays_name_each_records_line() {
    let kb = Kb::new();
    let mut array = String::from("[\n");
    for i in 0..500 {
        let sep = if i == 0 { "" } else { ",\n" };
        array.push_str(&format!("{sep}{{\"id\": \"r{i}\",\n \"text\": \"record number{i}\"}}"));
    }
    array.push_str("\n]\n");
    kb.write("docs/many.json", array);
    let report: IndexOutput = kb.run(&["index", "--json", "docs"]).expect_code(0).json();
    assert_eq!(report.documents, 500);
    let hit = &kb.search("number417", &[]).hits[0];
    assert_eq!((hit.doc_id.as_str(), hit.source.line), ("r417", 2 + 2 * 417));
}
