//! What kb prints: the JSON contracts, and text output for people.

use crate::util::{IndexOutput, Kb};

#[test]
fn search_json_has_the_documented_shape() {
    let kb = Kb::with_seed_corpus();
    let out = kb.search("botox injections", &["--limit", "3"]);
    assert_eq!(out.query, "botox injections");
    assert!(out.total >= out.hits.len());
    assert!(out.took_ms >= 0.0);
    assert!(!out.hits.is_empty() && out.hits.len() <= 3);
    for (i, hit) in out.hits.iter().enumerate() {
        assert_eq!(hit.rank, i + 1);
        assert!(hit.passage_id.starts_with(&format!("{}#", hit.doc_id)));
        assert!(hit.source.path.starts_with("corpus/"), "{}", hit.source.path);
        // Highlights are byte ranges into the whole text, on matched words.
        for word in hit.lit() {
            let w = word.to_lowercase();
            assert!(w.starts_with("botox") || w.starts_with("injection"), "lit {word:?}");
        }
        assert!(hit.snippet.contains("<mark>"), "{}", hit.snippet);
    }
    // Scores descend.
    assert!(out.hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn snippet_is_html_escaped_with_marks() {
    let kb = Kb::new();
    kb.write("docs/a.md", "# Symbols\n\nUse <kbd> & \"quotes\" around the widget name.\n");
    kb.run(&["index", "docs"]).expect_code(0);
    let out = kb.search("widget", &[]);
    assert_eq!(
        out.hits[0].snippet,
        "Use &lt;kbd&gt; &amp; &quot;quotes&quot; around the <mark>widget</mark> name."
    );
    assert_eq!(out.hits[0].highlights, vec![[32, 38]]);
    assert_eq!(out.hits[0].lit(), ["widget"]);
}

#[test]
fn no_hits_exits_1_and_prints_zero() {
    let kb = Kb::with_seed_corpus();
    let run = kb.run(&["search", "xylophone"]).expect_code(1);
    assert!(run.stdout.contains("0 hits"), "{}", run.stdout);
    let run = kb.run(&["search", "--json", "xylophone"]).expect_code(1);
    let v: serde_json::Value = run.json();
    assert_eq!(v["hits"].as_array().unwrap().len(), 0);
}

#[test]
fn text_output_reads_like_grep_and_colors_on_request() {
    let kb = Kb::with_seed_corpus();
    let plain = kb.run(&["search", "botox downtime", "--limit", "1"]).expect_code(0);
    assert!(
        plain
            .stdout
            .starts_with("1. Calf Reduction › TheConsultation explains Calf Reduction  [article]"),
        "{}",
        plain.stdout
    );
    assert!(
        plain.stdout.contains("corpus/calf-reduction.txt:12  calf-reduction#3"),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains('\x1b'), "not a terminal: no color");
    let colored =
        kb.run(&["search", "botox downtime", "--limit", "1", "--color", "always"]).expect_code(0);
    assert!(
        colored.stdout.contains("\x1b[1m\x1b[31mdowntime\x1b[0m")
            || colored.stdout.contains("\x1b[31m"),
        "{:?}",
        colored.stdout
    );
    let never = kb.command().args(["search", "botox", "--color", "never"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&never.stdout).contains('\x1b'));
    let no_color = kb.command().env("NO_COLOR", "1").args(["search", "botox"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&no_color.stdout).contains('\x1b'));
}

#[test]
fn per_doc_limits_one_documents_share() {
    let kb = Kb::with_seed_corpus();
    let grouped = kb.search("calf muscle", &["--limit", "10"]);
    let from_article = grouped.hits.iter().filter(|h| h.doc_id == "calf-reduction").count();
    assert!(from_article <= 3, "default --per-doc 3: {from_article}");
    let all = kb.search("calf muscle", &["--limit", "10", "--per-doc", "0"]);
    assert!(all.hits.iter().filter(|h| h.doc_id == "calf-reduction").count() > 3);
    let one = kb.search("calf muscle", &["--per-doc", "1"]);
    assert_eq!(one.hits.len(), 2);
}

#[test]
fn filters_by_kind_and_doc() {
    let kb = Kb::with_seed_corpus();
    let q = kb.search("calves smaller", &["--kind", "question"]);
    assert_eq!(q.hits.len(), 1);
    assert_eq!(q.hits[0].passage_id, "nerve-block-calves-qa#0");
    let d = kb.search("muscle", &["--doc", "calf-reduction", "--per-doc", "0"]);
    assert!(!d.hits.is_empty() && d.hits.iter().all(|h| h.doc_id == "calf-reduction"));
}

#[test]
fn show_prints_a_passage_and_a_document() {
    let kb = Kb::with_seed_corpus();
    kb.run(&["index"]).expect_code(0);
    let run = kb.run(&["show", "calf-reduction#3"]).expect_code(0);
    assert!(run.stdout.contains("Botox injections are not permanent"), "{}", run.stdout);
    assert!(run.stdout.contains("corpus/calf-reduction.txt:12"), "{}", run.stdout);
    let run = kb.run(&["show", "nerve-block-calves-qa"]).expect_code(0);
    assert_eq!(run.stdout.matches("[answer]").count(), 5, "{}", run.stdout);
    let run = kb.run(&["show", "nope#1"]).expect_code(2);
    assert!(run.stderr.contains("no passage or document with id"), "{}", run.stderr);
}

#[test]
fn index_json_has_the_documented_shape() {
    let kb = Kb::with_seed_corpus();
    let first: IndexOutput = kb.run(&["index", "--json"]).expect_code(0).json();
    assert_eq!((first.added, first.changed, first.removed, first.unchanged), (2, 0, 0, 0));
    assert_eq!((first.documents, first.passages), (2, 14));
    assert!(first.skipped.is_empty() && first.committed);
    let seed_bytes: u64 = ["calf-reduction.txt", "nerve-block-calves-qa.txt"]
        .iter()
        .map(|f| std::fs::metadata(kb.path().join("corpus").join(f)).unwrap().len())
        .sum();
    assert_eq!(first.bytes_read, seed_bytes);
    assert!(first.took_ms > 0.0);
    let stats = kb.stats();
    assert!(stats.index_bytes > 0);
}

#[test]
fn show_and_stats_print_no_color_codes_into_a_pipe() {
    let kb = Kb::with_seed_corpus();
    kb.run(&["index"]).expect_code(0);
    for args in
        [&["show", "calf-reduction#3"][..], &["show", "calf-reduction"], &["stats", "--files"]]
    {
        let run = kb.run(args).expect_code(0);
        assert!(!run.stdout.contains('\x1b'), "{args:?}: {:?}", run.stdout);
    }
}

/// The passage ids of a search, in rank order.
fn passage_ids(out: &crate::util::SearchOutput) -> Vec<&str> {
    out.hits.iter().map(|h| h.passage_id.as_str()).collect()
}

#[test]
fn the_total_is_a_lower_bound_past_ten_thousand_matches_unless_asked_exact() {
    let kb = Kb::new();
    // 12,000 articles with the query's words (3 of them about platypuses too), as JSON Lines.
    let mut lines = String::new();
    for i in 0..12_000 {
        let extra = if i % 4000 == 7 { " A platypus swims by." } else { "" };
        lines.push_str(&format!(
            "{{\"id\": \"n{i}\", \"title\": \"Note {i}\", \"text\": \"The quokka {i} eats leaves.{extra}\"}}\n"
        ));
    }
    kb.write("docs/notes.jsonl", lines);
    kb.run(&["index", "docs"]).expect_code(0);

    let bound = kb.search("quokka leaves", &[]);
    assert_eq!(bound.total_relation, "gte", "{} matches", bound.total);
    assert!((10_000..=12_000).contains(&bound.total), "{}", bound.total);
    let exact = kb.search("quokka leaves", &["--exact-total"]);
    assert_eq!((exact.total, exact.total_relation.as_str()), (12_000, "eq"));
    // The same hits either way: only the count differs.
    assert_eq!(passage_ids(&bound), passage_ids(&exact));
    assert_eq!(bound.hits.len(), 10);
    // A rare word among common ones: the passages that hold it come first, found without
    // scoring every match (MaxScore skips the notes that only say "quokka"), in the order the
    // exhaustive pass finds.
    let rare = kb.search("quokka platypus", &[]);
    assert_eq!(rare.total_relation, "gte");
    let mut first: Vec<&str> = passage_ids(&rare)[..3].to_vec();
    first.sort();
    assert_eq!(first, ["n4007#0", "n7#0", "n8007#0"], "{:?}", passage_ids(&rare));
    let rare_exact = kb.search("quokka platypus", &["--exact-total"]);
    assert_eq!(passage_ids(&rare), passage_ids(&rare_exact));

    // A small result set is always counted exactly (feedback off: its words would match
    // every note).
    let few = kb.search("platypus", &["--feedback", "0"]);
    assert_eq!((few.total, few.total_relation.as_str()), (3, "eq"));
    // A phrase is counted too, whatever its size.
    let phrase = kb.search("\"eats leaves\"", &[]);
    assert_eq!((phrase.total, phrase.total_relation.as_str()), (12_000, "eq"));

    // The text output says "at least" for a lower bound only.
    let text = kb.run(&["search", "quokka leaves"]).expect_code(0).stdout;
    assert!(text.contains(&format!("(at least {} passages matched)", bound.total)), "{text}");
    let text = kb.run(&["search", "quokka leaves", "--exact-total"]).expect_code(0).stdout;
    assert!(text.contains("(12000 passages matched)"), "{text}");
}
