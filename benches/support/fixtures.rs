//! Where the benchmarks' inputs come from.
//!
//! The criterion benches use small fixtures: the first records of MedQuAD when the shared
//! evaluation data is there (`../shared/eval`, or `$KB_EVAL_DIR`), else records generated from
//! the words of the bundled `corpus/`, so `cargo bench` works on any clone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::records::{with_distinct_id, Query, Record};

/// The repository root (the root package's manifest directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared evaluation data: `$KB_EVAL_DIR`, else `../shared/eval` next to the repository.
pub fn eval_dir() -> PathBuf {
    std::env::var_os("KB_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("..").join("shared").join("eval"))
}

/// MedQuAD's thread file, if present.
pub fn medquad_file() -> Option<PathBuf> {
    Some(eval_dir().join("medquad").join("medquad-qa.jsonl")).filter(|p| p.is_file())
}

/// The bundled seed corpus: each file's path and text, sorted by name.
pub fn seed_corpus() -> Vec<(PathBuf, String)> {
    let dir = repo_root().join("corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a readable corpus/ entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, text)
        })
        .collect()
}

/// A benchmark input: JSON Lines records that kb can index as they are, and the same records
/// flattened for the analyzer and the plain-tantivy side.
pub struct Fixture {
    /// What the input is, for the report (e.g. `MedQuAD, first 2000 threads`).
    pub description: String,
    /// The records as JSON Lines, one a line.
    pub lines: Vec<String>,
    /// The same records, flattened.
    pub records: Vec<Record>,
}

impl Fixture {
    /// The first `n` MedQuAD threads, or `n` generated articles when MedQuAD is absent.
    pub fn load(n: usize) -> Fixture {
        match medquad_file() {
            Some(path) => Fixture::from_jsonl(&path, n, format!("MedQuAD, first {n} threads")),
            None => Fixture::generated(n),
        }
    }

    /// The first `n` records of a JSON Lines file, ids made distinct ([`with_distinct_id`]).
    pub fn from_jsonl(path: &Path, n: usize, description: String) -> Fixture {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut seen = HashMap::new();
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(n)
            .enumerate()
            .map(|(i, l)| {
                with_distinct_id(l, &mut seen)
                    .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
            })
            .collect();
        let records = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Record::parse(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
            })
            .collect();
        Fixture { description, lines, records }
    }

    /// `n` articles (`{"id", "title", "text"}`) of pseudo-random sentences over the words of the
    /// bundled corpus: deterministic, so runs compare.
    pub fn generated(n: usize) -> Fixture {
        let words = seed_words();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let sentence = |rng: &mut XorShift, min: usize, spread: usize| {
            let len = min + rng.below(spread);
            let mut s: Vec<&str> =
                (0..len).map(|_| words[rng.below(words.len())].as_str()).collect();
            let first = capitalize(s[0]);
            s[0] = &first;
            format!("{}.", s.join(" "))
        };
        let mut lines = Vec::with_capacity(n);
        let mut records = Vec::with_capacity(n);
        for i in 0..n {
            let title = sentence(&mut rng, 3, 4).trim_end_matches('.').to_owned();
            let paragraphs: Vec<String> = (0..3 + rng.below(3))
                .map(|_| {
                    (0..2 + rng.below(4))
                        .map(|_| sentence(&mut rng, 8, 13))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let text = paragraphs.join("\n\n");
            let id = format!("gen-{i}");
            lines.push(serde_json::json!({"id": id, "title": title, "text": text}).to_string());
            records.push(Record { id, title, text, question: None });
        }
        Fixture {
            description: format!(
                "{n} generated articles over the bundled corpus's words (no ../shared/eval)"
            ),
            lines,
            records,
        }
    }

    /// Total bytes of the flattened titles and texts.
    pub fn text_bytes(&self) -> usize {
        self.records.iter().map(|r| r.title.len() + r.text.len()).sum()
    }

    /// The records' passages: texts split at blank lines, as a paragraph-level analyzer sees them.
    pub fn paragraphs(&self) -> Vec<&str> {
        self.records
            .iter()
            .flat_map(|r| r.text.split("\n\n"))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// Queries: MedQuAD's questions, or for generated articles the first words of each title.
    pub fn queries(&self) -> Vec<Query> {
        self.records
            .iter()
            .map(|r| Query {
                id: r.id.clone(),
                text: r.question.clone().unwrap_or_else(|| {
                    r.title.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
                }),
            })
            .collect()
    }

    /// Writes the records as one JSON Lines file.
    pub fn write_jsonl(&self, path: &Path) {
        let mut text = self.lines.join("\n");
        text.push('\n');
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// The distinct lowercase words of the seed corpus, sorted.
fn seed_words() -> Vec<String> {
    let mut words: Vec<String> = seed_corpus()
        .iter()
        .flat_map(|(_, text)| {
            text.split(|c: char| !c.is_alphabetic()).filter(|w| w.len() > 1).map(str::to_lowercase)
        })
        .collect();
    words.sort();
    words.dedup();
    assert!(!words.is_empty(), "the bundled corpus/ has no words to generate text from");
    words
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A tiny deterministic generator (xorshift64): the fixtures need repeatable text, not quality
/// randomness.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
