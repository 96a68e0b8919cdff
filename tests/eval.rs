//! `kb eval` on a BEIR-format folder and `kb run` writing TREC run files, ranking lexically
//! (`--semantic 0`; semantic evaluation is tested in semantic.rs, with a model the test writes).

use serde::Deserialize;

use crate::util::Kb;

/// Six documents; d5 has two paragraphs (two passages) and says "lava" far more than d3.
const CORPUS: &str = r#"{"_id": "d1", "title": "Kettles", "text": "A kettle boils water for tea."}
{"_id": "d2", "title": "Teapots", "text": "A teapot brews loose leaves."}
{"_id": "d3", "title": "Volcanoes", "text": "Volcanoes erupt and pour molten rock, called lava, over the land around them for many days."}
{"_id": "d4", "title": "Glaciers", "text": "Glaciers carve deep valleys out of the mountains."}
{"_id": "d5", "title": "Lava lamps", "text": "Lava lamps hold lava wax.\n\nThe lava in a lava lamp is wax."}
{"_id": "d6", "title": "Bicycles", "text": "Bicycles have two wheels and a chain."}
"#;

/// Three judged queries (one with a numeric id) and one that is not judged.
const QUERIES: &str = r#"{"_id": "1", "text": "kettle", "metadata": {}}
{"_id": "2", "text": "glaciers valleys"}
{"_id": 3, "text": "lava"}
{"_id": "9", "text": "bicycles"}
"#;

/// BEIR's form: a header and CRLF line endings.
const QRELS: &str =
    "query-id\tcorpus-id\tscore\r\n1\td1\t1\r\n2\td4\t2\r\n2\td6\t1\r\n3\td3\t1\r\n3\td2\t0\r\n";

/// Strict copy of `kb eval --json` (see the printer's rustdoc).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvalOutput {
    dataset: String,
    split: String,
    queries: usize,
    #[serde(rename = "ndcg@10")]
    ndcg_10: f64,
    #[serde(rename = "recall@100")]
    recall_100: f64,
    #[serde(rename = "mrr@10")]
    mrr_10: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    search_ms: f64,
    documents: u64,
    passages: u64,
    skipped: usize,
    index_dir: String,
    index_reused: bool,
    index_ms: f64,
}

fn beir_folder(kb: &Kb) {
    kb.write("minibeir/corpus.jsonl", CORPUS);
    kb.write("minibeir/queries.jsonl", QUERIES);
    kb.write("minibeir/qrels/test.tsv", QRELS);
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn eval_scores_a_beir_folder_as_computed_by_hand() {
    let kb = Kb::new();
    beir_folder(&kb);
    let out: EvalOutput =
        kb.run(&["eval", "minibeir", "--semantic", "0", "--json"]).expect_code(0).json();
    assert_eq!((out.dataset.as_str(), out.split.as_str(), out.queries), ("minibeir", "test", 3));
    assert_eq!((out.documents, out.passages, out.skipped), (6, 7, 0));
    // q1 "kettle": only d1 matches, and it is relevant: 1, 1, 1.
    // q2 "glaciers valleys": only d4 (grade 2) matches; d6 (grade 1) is never found:
    //    nDCG = 2 / (2 + 1/log2(3)) = 0.7601899, recall 1/2, MRR 1.
    // q3 "lava": d5 first (not judged relevant), then d3 (relevant):
    //    nDCG = (1/log2(3)) / 1 = 0.6309298, recall 1, MRR 1/2.
    assert!(close(out.ndcg_10, (1.0 + 0.7601899 + 0.6309298) / 3.0), "{out:?}");
    assert!(close(out.recall_100, (1.0 + 0.5 + 1.0) / 3.0), "{out:?}");
    assert!(close(out.mrr_10, (1.0 + 1.0 + 0.5) / 3.0), "{out:?}");
    assert!(0.0 <= out.p50_ms && out.p50_ms <= out.p95_ms && out.p95_ms <= out.p99_ms, "{out:?}");
    assert!(out.search_ms >= out.p99_ms, "{out:?}");
    assert!(out.index_dir.starts_with(".kb-eval/minibeir-"), "{}", out.index_dir);
    assert!(!out.index_reused && out.index_ms > 0.0);
    assert!(kb.path().join(&out.index_dir).join("meta.json").is_file());

    // The second run reuses the index and measures the same.
    let again: EvalOutput =
        kb.run(&["eval", "minibeir", "--semantic", "0", "--json"]).expect_code(0).json();
    assert!(again.index_reused, "{again:?}");
    assert_eq!(again.index_dir, out.index_dir);
    assert_eq!(
        (again.ndcg_10, again.recall_100, again.mrr_10),
        (out.ndcg_10, out.recall_100, out.mrr_10)
    );
}

#[test]
fn eval_prints_a_table_and_rebuilds_when_the_corpus_changes() {
    let kb = Kb::new();
    beir_folder(&kb);
    let run =
        kb.run(&["eval", "minibeir", "--semantic", "0", "--cache", "evalcache"]).expect_code(0);
    assert!(run.stdout.starts_with("minibeir (test split): 3 queries\n"), "{}", run.stdout);
    for line in
        ["nDCG@10     0.7970", "Recall@100  0.8333", "MRR@10      0.8333", "latency     p50 "]
    {
        assert!(run.stdout.contains(line), "{line:?} in\n{}", run.stdout);
    }
    assert!(
        run.stdout.contains("6 documents, 7 passages in evalcache/minibeir-"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("(built, "), "{}", run.stdout);
    assert!(
        run.stderr.contains("kb: indexing minibeir/corpus.jsonl into evalcache/minibeir-"),
        "{}",
        run.stderr
    );
    assert!(!kb.path().join(".kb-eval").exists(), "--cache replaces the default");

    let run =
        kb.run(&["eval", "minibeir", "--semantic", "0", "--cache", "evalcache"]).expect_code(0);
    assert!(run.stdout.contains("(reused, "), "{}", run.stdout);
    assert!(!run.stderr.contains("indexing"), "{}", run.stderr);

    // A new document that ranks above d1 for "kettle": a new index, and q1 drops to rank 2.
    let more = format!(
        "{CORPUS}{}\n",
        r#"{"_id": "d7", "title": "Kettle kettle", "text": "Kettle, kettle, kettle."}"#
    );
    kb.write("minibeir/corpus.jsonl", more);
    let out: EvalOutput = kb
        .run(&["eval", "minibeir", "--semantic", "0", "--json", "--cache", "evalcache"])
        .expect_code(0)
        .json();
    assert!(!out.index_reused);
    assert_eq!(out.documents, 7);
    assert!(close(out.mrr_10, (0.5 + 1.0 + 0.5) / 3.0), "{out:?}");
    assert_eq!(
        std::fs::read_dir(kb.path().join("evalcache")).unwrap().count(),
        2,
        "one index per corpus content"
    );
}

#[test]
fn eval_names_what_is_missing_or_malformed() {
    let kb = Kb::new();
    beir_folder(&kb);
    let run = kb.run(&["eval", "minibeir", "--semantic", "0", "--split", "dev"]).expect_code(2);
    assert!(run.stderr.contains("minibeir/qrels/dev.tsv not found"), "{}", run.stderr);
    assert!(run.stderr.contains("the splits judged here are: test"), "{}", run.stderr);

    let run = kb.run(&["eval", "nowhere", "--semantic", "0"]).expect_code(2);
    assert!(run.stderr.contains("nowhere not found"), "{}", run.stderr);

    kb.write("minibeir/qrels/train.tsv", "query-id\tcorpus-id\tscore\r\n1\td1\t1\r\n2\td4\r\n");
    let run = kb.run(&["eval", "minibeir", "--semantic", "0", "--split", "train"]).expect_code(2);
    assert!(
        run.stderr.contains("minibeir/qrels/train.tsv:3: expected `query-id corpus-id score`"),
        "{}",
        run.stderr
    );

    kb.write("minibeir/qrels/train.tsv", "1\td1\t1\n42\td4\t1\n");
    let run = kb.run(&["eval", "minibeir", "--semantic", "0", "--split", "train"]).expect_code(2);
    assert!(
        run.stderr.contains("train.tsv:2: query \"42\" is judged but not in"),
        "{}",
        run.stderr
    );

    kb.remove("minibeir/queries.jsonl");
    let run = kb.run(&["eval", "minibeir", "--semantic", "0"]).expect_code(2);
    assert!(run.stderr.contains("minibeir/queries.jsonl not found"), "{}", run.stderr);
}

/// The lines of a run file, checked against the TREC format: six columns, Q0, ranks 1, 2, … and
/// scores not increasing within a query, each document once a query, tag `kb`.
fn check_run(text: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut last: Option<(String, usize, f32)> = None;
    for line in text.lines() {
        let cols: Vec<&str> = line.split(' ').collect();
        assert_eq!(cols.len(), 6, "{line:?}");
        assert_eq!((cols[1], cols[5]), ("Q0", "kb"), "{line:?}");
        let (rank, score): (usize, f32) = (cols[3].parse().unwrap(), cols[4].parse().unwrap());
        match &last {
            Some((q, r, s)) if q == cols[0] => assert!(rank == r + 1 && score <= *s, "{line:?}"),
            _ => assert_eq!(rank, 1, "{line:?}"),
        }
        assert!(
            !rows.contains(&(cols[0].to_owned(), cols[2].to_owned())),
            "each document once: {line:?}"
        );
        last = Some((cols[0].to_owned(), rank, score));
        rows.push((cols[0].to_owned(), cols[2].to_owned()));
    }
    rows
}

#[test]
fn run_writes_a_trec_run_file_that_scores_like_eval() {
    let kb = Kb::new();
    beir_folder(&kb);
    kb.run(&["index", "minibeir/corpus.jsonl"]).expect_code(0);
    let run =
        kb.run(&["run", "--queries", "minibeir/queries.jsonl", "--out", "run.trec"]).expect_code(0);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("ran 4 queries"), "{}", run.stderr);
    let text = std::fs::read_to_string(kb.path().join("run.trec")).unwrap();
    let rows = check_run(&text);
    let of = |q: &str| {
        rows.iter().filter(|(qid, _)| qid == q).map(|(_, d)| d.as_str()).collect::<Vec<_>>()
    };
    assert_eq!(of("1"), ["d1"]);
    assert_eq!(of("2"), ["d4"]);
    // d5's two passages both match "lava": it is listed once, with its best one (MaxP).
    assert_eq!(of("3"), ["d5", "d3"]);
    assert_eq!(of("9"), ["d6"]);

    // Scored with kb-eval's own reader, the file gives what `kb eval` reports.
    let run_file = kb_eval::read_run(&kb.path().join("run.trec")).unwrap();
    let qrels = kb_eval::Qrels::read(&kb.path().join("minibeir/qrels/test.tsv")).unwrap();
    let scores = kb_eval::score_run(&qrels, &run_file);
    let eval: EvalOutput =
        kb.run(&["eval", "minibeir", "--semantic", "0", "--json"]).expect_code(0).json();
    assert!(close(scores.mean.ndcg_10, eval.ndcg_10) && close(scores.mean.mrr_10, eval.mrr_10));
}

#[test]
fn run_reads_plain_queries_and_honours_the_limit() {
    let kb = Kb::new();
    beir_folder(&kb);
    kb.run(&["index", "minibeir/corpus.jsonl"]).expect_code(0);
    kb.write("queries.txt", "lava\n\nkettle tea\nzzzzqx\n");
    let run = kb.run(&["run", "--queries", "queries.txt", "--limit", "1"]).expect_code(0);
    let rows = check_run(&run.stdout);
    // Ids are line numbers; the blank line 2 and the query matching nothing write no line.
    assert_eq!(rows, [("1".to_owned(), "d5".to_owned()), ("3".to_owned(), "d1".to_owned())]);

    let run = kb.run(&["run", "--queries", "missing.txt"]).expect_code(2);
    assert!(run.stderr.contains("missing.txt not found"), "{}", run.stderr);
    kb.write("bad.jsonl", "{\"_id\": \"1\", \"text\": \"lava\"}\n{\"text\": \"kettle\"}\n");
    let run = kb.run(&["run", "--queries", "bad.jsonl"]).expect_code(2);
    assert!(run.stderr.contains("bad.jsonl:2: no \"_id\" field"), "{}", run.stderr);
}
