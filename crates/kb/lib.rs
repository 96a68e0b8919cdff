/*!
kb as a library: a full-text searchable knowledge base of articles and Q&A threads, answering a
query with ranked passages and highlighted snippets.

This crate is the one dependency a tool needs (`kb = { path = "..." }` in its `Cargo.toml`).
It is the front door over kb's pipeline, which flows sources -> passages -> index -> hits:
`kb-indexer` reads files into passages and writes them to a tantivy index, `kb-query` answers
queries, `kb-schema` holds what both agree on, `kb-embed` runs the embedding model of semantic
ranking.

# Brief overview

- [`Kb`] is a handle on one index, in a folder ([`Kb::open`], [`Kb::create`],
  [`Kb::open_or_create`]) or in memory ([`Kb::in_memory`]). It is `Send + Sync`, every method
  takes `&self`, and it sees its own writes at once.
- Writing: [`Kb::index`] brings the index up to date with files and folders (only what changed
  is read); [`Kb::upsert`] pushes [`Document`]s that have no file, [`Kb::remove`] removes them.
  Each returns an [`IndexReport`].
- Reading: [`Kb::search`] with [`SearchOptions`] returns [`SearchResults`] of [`Hit`]s;
  [`Kb::passage`], [`Kb::document`], [`Kb::show`] and [`Kb::stats`] look things up.
- Errors: one [`Error`], whose variants a caller can match.
- The wire format: [`SearchResults`], [`IndexReport`], [`Stats`] and [`PassageList`] serialize
  (serde) to exactly the objects `kb search --json`, `kb index --json`, `kb stats --json` and
  `kb show --json` print.
- The library never writes to stdout or stderr: progress goes to a callback
  ([`Kb::index_with_progress`]).

# Cargo features

All on by default: `semantic` (ranking by meaning with an embedding model), `download`
(fetching that model on first use), `html` (reading `.html` files), `cli` (the `kb` command).
`default-features = false` builds a lexical-only library without the model code, the
downloader, the HTML parser or the command line.

# Example

```
use std::sync::Arc;

let dir = tempfile::tempdir()?;
let corpus = dir.path().join("corpus");
std::fs::create_dir(&corpus)?;
std::fs::write(corpus.join("botox.md"), "# Botox\n\nBotox results show after one to two weeks.\n")?;

let kb = Arc::new(kb::Kb::open_or_create(dir.path().join(".kb"))?);
let report: kb::IndexReport = kb.index(&[&corpus])?;
assert_eq!(report.documents, 1);

let results: kb::SearchResults = kb.search("botox results", &kb::SearchOptions::default())?;
let first: &String = &results.hits[0].passage_id;
assert_eq!(first, "botox#0");
assert_eq!(results.hits[0].snippet.to_html(), "<mark>Botox</mark> <mark>results</mark> show after one to two weeks.");

// Documents without a file: pushed, found at once, removed by id.
let doc: kb::Document = serde_json::from_value(serde_json::json!(
    {"id": "n1", "title": "Berries", "text": "The quokkaberry is sweet."}))?;
kb.upsert(vec![doc])?;
assert_eq!(kb.search("quokkaberry", &kb::SearchOptions::default())?.hits[0].doc_id, "n1");
kb.remove(&["n1"])?;
assert!(kb.passage("n1#0")?.is_none());

// Share the handle between threads.
let shared = Arc::clone(&kb);
let hits = std::thread::spawn(move || shared.search("botox", &kb::SearchOptions::default()).map(|r| r.hits.len()));
assert_eq!(hits.join().unwrap()?, 1);
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![deny(missing_docs)]

mod error;
mod handle;
pub mod model;
mod options;
mod synonyms;

pub use error::{Error, Result};
pub use handle::Kb;
pub use options::{IndexOptions, WalkOptions};

/// A document pushed through [`Kb::upsert`]: deserializes from exactly the record shapes a
/// JSON Lines file holds, an article `{"id" | "_id", "title", "text"}` or a Q&A thread
/// `{"id", "title", "question", "answers": [{"title"?, "author"?, "body"}]}`.
pub use kb_indexer::formats::Record as Document;
/// What an indexing call did; serializes to the `kb index --json` object.
pub use kb_indexer::IndexReport;
/// Progress of an indexing call, for [`Kb::index_with_progress`].
pub use kb_indexer::Progress;
/// What an index holds; serializes to the `kb stats --json` object.
pub use kb_query::IndexStats as Stats;
pub use kb_query::{
    ApproximateDense, Explanation, Feedback, FieldWeights, FileStats, Hit, KindCounts, QuestionRef,
    SearchOptions, SearchResults, Semantic, Snippet,
};
pub use kb_query::{TotalRelation, EXACT_TOTAL_BELOW};
pub use kb_schema::{Kind, Passage, SkipRecord, SourceRef};

/// A list of passages: what `kb show ID --json` prints (`{"passages": [...]}`), for a passage
/// (one) or a whole document (all of its passages, in order).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PassageList {
    /// The passages, in document order.
    pub passages: Vec<Passage>,
}

#[cfg(test)]
mod tests {
    /// `Kb` can be shared between threads, and its errors sent across them.
    #[test]
    fn handle_and_error_are_send_and_sync() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<crate::Kb>();
        send_sync::<crate::Error>();
        fn error<E: std::error::Error + Send + Sync + 'static>() {}
        error::<crate::Error>();
    }
}
