//! Fuzzing the whole query path (parser, query building, fuzzy expansion, feedback, grouping,
//! highlighting) with arbitrary input: every query answers, none panics, and every answer is
//! well formed. `PROPTEST_CASES` raises the number of cases for a longer run.

use std::path::Path;
use std::sync::OnceLock;

use kb_query::{SearchOptions, Searcher};
use proptest::prelude::*;

/// Query-like strings: words from the corpus and its typos, syntax characters, non-ASCII.
fn query_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "calf",
        "calves",
        "claves",
        "botox",
        "nerve",
        "funtion",
        "the",
        "is",
        "\"",
        "+",
        "-",
        ":",
        "title:",
        "heading:",
        "kind:",
        "doc:",
        "kind:answer",
        "(",
        ")",
        "*",
        "^2",
        "~1",
        "AND",
        "OR",
        "NOT",
        "é",
        "東京",
        "🙂",
        "\u{0}",
        "  ",
        "\n",
        "calf-reduction",
        "#3",
        "1.5",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|p| p.join(" "))
}

fn check(query: &str, opts: &SearchOptions) {
    let results = searcher().search(query, opts).unwrap_or_else(|e| panic!("{query:?}: {e}"));
    assert!(results.hits.len() <= opts.limit.max(1));
    for (i, hit) in results.hits.iter().enumerate() {
        assert_eq!(hit.rank, i + 1);
        for r in &hit.highlights {
            assert!(r.start < r.end && r.end <= hit.text.len(), "{query:?}: {r:?}");
            assert!(hit.text.is_char_boundary(r.start) && hit.text.is_char_boundary(r.end));
        }
        for r in &hit.snippet.highlights {
            assert!(r.end <= hit.snippet.text.len() && hit.snippet.text.is_char_boundary(r.start));
        }
    }
    assert!(results.hits.windows(2).all(|w| w[0].score >= w[1].score), "{query:?}");
}

/// `PROPTEST_CASES` from the environment, else `default` (512 in CI: about a second).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One index of the seed corpus for every case, kept in cargo's scratch folder for tests.
fn searcher() -> &'static Searcher {
    static SEARCHER: OnceLock<Searcher> = OnceLock::new();
    SEARCHER.get_or_init(|| {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-seed-index");
        let opts = kb_indexer::IndexOptions { rebuild: true, ..Default::default() };
        kb_indexer::update_index(&dir, &[corpus], &opts, &mut |_| {}).expect("index the seeds");
        Searcher::open(&dir).expect("open")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn arbitrary_strings_always_answer(query in any::<String>()) {
        check(&query, &SearchOptions::default());
    }

    #[test]
    fn query_like_strings_always_answer(query in query_like(), per_doc in 0usize..3, limit in 1usize..20) {
        check(&query, &SearchOptions { per_doc, limit, ..SearchOptions::default() });
    }
}
