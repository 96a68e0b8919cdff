//! The README's library example, compiled by `cargo test` (and so by CI) and runnable:
//!
//! ```text
//! cargo run --example library -- [INDEX_DIR] [CORPUS_DIR]
//! ```
//!
//! It indexes the corpus (default `corpus`) into the index folder (default: a fresh folder in
//! the system's temp dir), searches, pushes and removes a document, and searches from another
//! thread.

use std::path::PathBuf;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let dir = args.next().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("kb-library-example-{}", std::process::id()))
    });
    let corpus = args.next().unwrap_or_else(|| PathBuf::from("corpus"));

    let kb = Arc::new(kb::Kb::open_or_create(&dir)?);
    let report: kb::IndexReport = kb.index(&[&corpus])?;
    println!("indexed {} documents, {} passages", report.documents, report.passages);

    let results: kb::SearchResults = kb.search("botox results", &kb::SearchOptions::default())?;
    let first: &String = &results.hits[0].passage_id;
    println!("best passage: {first}: {}", results.hits[0].snippet.to_html());
    let stats: kb::Stats = kb.stats()?;
    println!("{}", serde_json::to_string(&stats)?);
    let p: Option<kb::Passage> = kb.passage(first)?;
    println!("{}", p.map(|p| p.text).unwrap_or_default());

    let doc: kb::Document = serde_json::from_value(serde_json::json!(
        {"id": "n1", "title": "T", "text": "quokkaberry"}))?;
    kb.upsert(vec![doc])?;
    println!(
        "quokkaberry: {} hit",
        kb.search("quokkaberry", &kb::SearchOptions::default())?.hits.len()
    );
    kb.remove(&["n1"])?;

    let mem = kb::Kb::in_memory()?;
    println!("in memory: {} passages", mem.stats()?.passages);

    let hits = std::thread::spawn(move || {
        kb.search("calves", &kb::SearchOptions::default()).map(|r| r.hits.len())
    })
    .join()
    .expect("the search thread")?;
    println!("calves: {hits} hits");
    Ok(())
}
