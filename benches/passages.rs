//! Passage splitting throughput: MB/s of source through `kb_indexer::formats::parse_source`,
//! format by format (decoding, structure detection, splitting into passages).
//!
//! Inputs: the bundled `corpus/` as plain text; the first 500 MedQuAD threads (or 500 generated
//! articles when `../shared/eval` is absent) as one JSON Lines file, and the same records
//! rendered as plain-text, Markdown and HTML files, one file a record.
//!
//! `cargo bench --bench passages`

mod support;

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{BenchmarkGroup, Criterion, Throughput};
use kb_indexer::formats::{parse_source, Format, SourceInfo};
use kb_indexer::walk::walk;
use serde_json::json;
use support::criterion_json::print_summary;
use support::fixtures::{repo_root, Fixture};
use support::records::Record;

const RECORDS: usize = 500;

/// One benchmark input: source files of one format.
struct Input {
    name: &'static str,
    format: Format,
    files: Vec<String>,
}

impl Input {
    fn bytes(&self) -> usize {
        self.files.iter().map(String::len).sum()
    }

    /// Parses every file; the passage count, so the work cannot be optimized away.
    fn parse(&self) -> usize {
        let info = SourceInfo { path: "bench", doc_id: "bench", format: self.format };
        self.files
            .iter()
            .map(|f| {
                let parsed = parse_source(black_box(f.as_bytes()), info)
                    .unwrap_or_else(|e| panic!("{} input does not parse: {e}", self.name));
                parsed.documents.iter().map(|d| d.passages.len()).sum::<usize>()
            })
            .sum()
    }
}

fn as_text(r: &Record) -> String {
    format!("{}\n\n{}\n", r.title, r.text)
}

fn as_markdown(r: &Record) -> String {
    let mut out = format!("# {}\n\n", r.title);
    for (i, para) in r.text.split("\n\n").enumerate() {
        if i > 0 && i % 3 == 0 {
            out.push_str(&format!("## Part {}\n\n", i / 3 + 1));
        }
        out.push_str(para.trim());
        out.push_str("\n\n");
    }
    out
}

fn as_html(r: &Record) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html><head><title>{t}</title></head>\n<body><nav><a href=\"/\">Home</a></nav>\n<h1>{t}</h1>\n",
        t = escape(&r.title)
    );
    for para in r.text.split("\n\n") {
        out.push_str(&format!("<p>{}</p>\n", escape(para.trim())));
    }
    out.push_str("<footer>Site footer</footer></body></html>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The documents of the bundled `corpus/`, as `kb index` lists them (its `synonyms.txt` is
/// configuration, not a document).
fn bundled_corpus() -> Input {
    let walked = walk(&repo_root().join("corpus"));
    let formats: Vec<Format> = walked.files.iter().map(|f| f.format).collect();
    assert!(
        formats.iter().all(|f| *f == Format::Text),
        "the bundled corpus is plain text: {formats:?}"
    );
    let files = walked
        .files
        .iter()
        .map(|f| {
            std::fs::read_to_string(&f.path).unwrap_or_else(|e| panic!("{}: {e}", f.path.display()))
        })
        .collect();
    Input { name: "bundled corpus (text)", format: Format::Text, files }
}

fn inputs(fixture: &Fixture) -> Vec<Input> {
    let per_record = |render: fn(&Record) -> String| fixture.records.iter().map(render).collect();
    vec![
        bundled_corpus(),
        Input {
            name: "records (JSON Lines)",
            format: Format::JsonLines,
            files: vec![fixture.lines.join("\n")],
        },
        Input { name: "records (text)", format: Format::Text, files: per_record(as_text) },
        Input {
            name: "records (Markdown)",
            format: Format::Markdown,
            files: per_record(as_markdown),
        },
        Input { name: "records (HTML)", format: Format::Html, files: per_record(as_html) },
    ]
}

fn bench_input(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, input: &Input) {
    group.throughput(Throughput::Bytes(input.bytes() as u64));
    group.bench_function(input.name, |b| b.iter(|| input.parse()));
}

fn main() {
    let started = SystemTime::now();
    let fixture = Fixture::load(RECORDS);
    let inputs = inputs(&fixture);
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("passages");
    group.sample_size(20);
    for input in &inputs {
        bench_input(&mut group, input);
    }
    group.finish();
    c.final_summary();
    let described: Vec<_> = inputs
        .iter()
        .map(|i| json!({"name": i.name, "files": i.files.len(), "bytes": i.bytes(), "passages": i.parse()}))
        .collect();
    print_summary(
        "passages",
        json!({"source": fixture.description, "inputs": described}),
        &["passages"],
        started,
    );
}
