/*!
kb's query side: query text -> ranked passages with highlighted snippets.

# Brief overview

[`Searcher::open`] opens an index written by `kb-indexer` (never taking the writer lock), and
[`Searcher::search`] answers a query with [`SearchResults`]: ranked [`Hit`]s, each a whole
passage with the byte ranges of its matched words and its best fragment ([`Snippet`]).
[`Searcher::passage`], [`Searcher::document`] and [`Searcher::stats`] look things up.

A search goes through four steps, one module each, so that each can change on its own:

1. [`parse`]: query text -> [`parse::ParsedQuery`], kb's lenient query language (words,
   `"phrases"`, `+required`, `-excluded`, `title:`, `heading:`, `kind:`, `doc:`). Never fails.
2. query building (private): analyzed terms -> a tantivy query (BM25 over the passage text plus
   lower-weighted title, heading and context, see [`FieldWeights`]) and the
   [`highlight::MatchSet`] of what to light up.
3. collection (private): the top passages, at most [`SearchOptions::per_doc`] per document.
4. [`highlight`]: a pure function from a passage text and a match set to highlight ranges and a
   snippet.

Around them, each in its own module: before building, a query's words get *alternatives*:
close spellings of words the index lacks ([`SearchOptions::typos`]) and [`synonyms`] (given
with [`Searcher::with_synonyms`]), searched at a lower weight and highlighted like the words
themselves. While collecting, a question that matches lifts its thread's answers, and an answer
hit names its question ([`QuestionRef`]). On a semantic index searched with its model
([`Searcher::with_embedder`]), the best lexical candidates are then re-ranked by meaning as well
([`semantic`], [`SearchOptions::semantic`]). After, a query that found little gets a corrected
version ([`SearchResults::did_you_mean`]), and [`SearchOptions::explain`] makes each hit carry
the tree of its score ([`Explanation`]).

# Example

```
use kb_query::{SearchOptions, Searcher};
use kb_schema::{Kind, Manifest, Passage, SourceRef};

// A small index, written directly with kb-schema (kb-indexer does this from files).
let dir = tempfile::tempdir()?;
let (index, schema) = kb_schema::create_index(dir.path())?;
let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
let texts = ["Botox injections are not permanent.", "Calves are reduced by neurectomy."];
for (position, text) in texts.iter().enumerate() {
    writer.add_document(schema.to_document(&Passage {
        id: Passage::make_id("calf", position as u32),
        doc_id: "calf".into(),
        doc_title: "Calf Reduction".into(),
        kind: Kind::Article,
        heading: None,
        position: position as u32,
        text: text.to_string(),
        context: None,
        source: SourceRef { path: "calf.txt".into(), line: 1 + 2 * position as u32 },
    }))?;
}
let mut commit = writer.prepare_commit()?;
commit.set_payload(&Manifest::new().to_payload());
commit.commit()?;

let searcher = Searcher::open(dir.path())?;
let results = searcher.search("calf neurectomy", &SearchOptions::default())?;
let hit = &results.hits[0];
assert_eq!(hit.passage_id, "calf#1");
// "calves" is lit for the query word "calf".
assert_eq!(&hit.text[hit.highlights[0].clone()], "Calves");
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![deny(missing_docs)]

mod analysis;
mod build;
mod collect;
mod error;
mod exclude;
mod expand;
mod explain;
mod feedback;
mod fuzzy;
pub mod highlight;
mod hit;
mod options;
pub mod parse;
mod qa;
mod searcher;
pub mod semantic;
mod stats;
mod suggest;
pub mod synonyms;

pub use error::QueryError;
pub use explain::Explanation;
pub use hit::{Hit, QuestionRef, SearchResults, Snippet};
pub use options::{Feedback, FieldWeights, SearchOptions, Semantic};
pub use searcher::Searcher;
pub use stats::{FileStats, IndexStats, KindCounts};
pub use synonyms::{Synonyms, SynonymsError};
