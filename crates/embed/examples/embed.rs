//! Development tool for kb-embed: check against a reference, measure speed, fetch the model.
//!
//! ```text
//! cargo run --release -p kb-embed --example embed -- vectors MODEL_DIR < texts.jsonl
//!     stdin: one JSON string a line; stdout: its embedding, a JSON array a line
//! cargo run --release -p kb-embed --example embed -- bench MODEL_DIR CORPUS.jsonl [DOCS] [THREADS]
//!     embeds the first DOCS (default all) records of a BEIR corpus (title + " " + text)
//!     with THREADS threads (default 1), one text at a time then packed (embed_batch), and
//!     prints both speeds and the largest difference between the two
//! cargo run --release -p kb-embed --example embed -- precision MODEL_DIR CORPUS.jsonl [DOCS] [THREADS]
//!     the same texts packed (embed_batch) with f32 weights then int8 ones: both speeds, and
//!     the smallest and mean cosine between the two embeddings of a text
//! cargo run --release -p kb-embed --example embed -- fetch CACHE_DIR
//!     kb_embed::fetch::ensure_model(CACHE_DIR), then loads the model
//! cargo run --release -p kb-embed --example embed -- info MODEL_DIR
//!     what the model is: name, dimension, checksum, pooling, prefixes
//! ```
//!
//! crates/embed/tests/data/check_minilm.py compares `vectors` with the numpy reference.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use kb_embed::{Embedder, Precision};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["vectors", dir] => vectors(Path::new(dir)),
        ["bench", dir, corpus, ref rest @ ..] => {
            let docs = rest.first().map(|s| s.parse()).transpose()?.unwrap_or(usize::MAX);
            let threads = rest.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1);
            bench(Path::new(dir), Path::new(corpus), docs, threads)
        }
        ["precision", dir, corpus, ref rest @ ..] => {
            let docs = rest.first().map(|s| s.parse()).transpose()?.unwrap_or(usize::MAX);
            let threads = rest.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1);
            precision(Path::new(dir), Path::new(corpus), docs, threads)
        }
        ["info", dir] => {
            println!("{:#?}", load(Path::new(dir))?.info());
            Ok(())
        }
        ["fetch", cache] => {
            let start = Instant::now();
            let dir = kb_embed::fetch::ensure_model(Path::new(cache))?;
            println!("model at {} ({:.1} s)", dir.display(), start.elapsed().as_secs_f64());
            load(&dir)?;
            Ok(())
        }
        _ => Err("usage: embed vectors MODEL_DIR | bench|precision MODEL_DIR CORPUS [DOCS] [THREADS] | fetch CACHE_DIR | info MODEL_DIR".into()),
    }
}

fn load(dir: &Path) -> Result<Embedder, kb_embed::EmbedError> {
    let start = Instant::now();
    let embedder = Embedder::load(dir)?;
    eprintln!("loaded in {:.0} ms", start.elapsed().as_secs_f64() * 1e3);
    Ok(embedder)
}

fn vectors(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let embedder = load(dir)?;
    let texts: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map(|line| Ok(serde_json::from_str(&line?)?))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut out = std::io::stdout().lock();
    for v in embedder.embed_batch(&refs) {
        writeln!(out, "{}", serde_json::to_string(&v)?)?;
    }
    Ok(())
}

/// The first `docs` records of a BEIR corpus, title + " " + text.
fn corpus_texts(corpus: &Path, docs: usize) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut texts = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(corpus)?).lines().take(docs) {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        let field = |k: &str| record[k].as_str().unwrap_or("").to_string();
        texts.push(format!("{} {}", field("title"), field("text")));
    }
    Ok(texts)
}

fn precision(
    dir: &Path,
    corpus: &Path,
    docs: usize,
    threads: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let texts = corpus_texts(corpus, docs)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let mut runs = Vec::new();
    for precision in [Precision::F32, Precision::Int8] {
        let start = Instant::now();
        let embedder = Embedder::load_with(dir, precision)?;
        let load_ms = start.elapsed().as_secs_f64() * 1e3;
        let start = Instant::now();
        let vectors = pool.install(|| embedder.embed_batch(&refs));
        let secs = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let queries = 50.min(refs.len());
        for text in &refs[..queries] {
            let short: String = text.split_whitespace().take(12).collect::<Vec<_>>().join(" ");
            embedder.embed(&short);
        }
        let query_ms = start.elapsed().as_secs_f64() * 1e3 / queries.max(1) as f64;
        println!(
            "{}: loaded in {load_ms:.0} ms; {} docs in {secs:.2} s ({:.2} docs/s); \
             a 12-word query {query_ms:.2} ms",
            precision.as_str(),
            refs.len(),
            refs.len() as f64 / secs
        );
        runs.push((secs, vectors));
    }
    let cosines: Vec<f32> = runs[0]
        .1
        .iter()
        .zip(&runs[1].1)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum())
        .collect();
    let min = cosines.iter().copied().fold(f32::INFINITY, f32::min);
    let mean = cosines.iter().sum::<f32>() / cosines.len().max(1) as f32;
    println!(
        "int8 / f32: x{:.2} as fast; cosine between the two embeddings of a text: min {min:.5}, \
         mean {mean:.5}",
        runs[0].0 / runs[1].0
    );
    Ok(())
}

fn bench(
    dir: &Path,
    corpus: &Path,
    docs: usize,
    threads: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let embedder = load(dir)?;
    let texts = corpus_texts(corpus, docs)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    // One text at a time (as before packing), then packed, on the same texts in one run.
    let start = Instant::now();
    let each = pool.install(|| embedder.embed_each(&refs));
    let each_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let packed = pool.install(|| embedder.embed_batch(&refs));
    let packed_secs = start.elapsed().as_secs_f64();
    assert_eq!(packed.len(), refs.len());
    let diff = each
        .iter()
        .zip(&packed)
        .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
        .fold(0.0f32, f32::max);
    let n = refs.len() as f64;
    println!(
        "{} docs, {threads} thread(s): one at a time {each_secs:.2} s ({:.2} docs/s), packed \
         {packed_secs:.2} s ({:.2} docs/s): x{:.2}; max abs difference {diff:.1e}",
        refs.len(),
        n / each_secs,
        n / packed_secs,
        each_secs / packed_secs
    );
    Ok(())
}
