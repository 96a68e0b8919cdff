/*!
kb's query side: query text -> ranked passages with highlighted snippets.

# Brief overview

[`Searcher::open`] opens an index written by `kb-indexer` (never taking the writer lock), and
[`Searcher::search`] answers a query with [`SearchResults`]: ranked [`Hit`]s, each a whole
passage with the byte ranges of its matched words and its best fragment ([`Snippet`]).
[`Searcher::passage`], [`Searcher::document`] and [`Searcher::stats`] look things up.

A search is a sequence of stages, one module each, which [`Searcher::search`] calls in turn.
Each takes the previous one's output and hands on plain data:

1. **parse** ([`parse`]): query text -> [`parse::ParsedQuery`], kb's lenient query language
   (words, `"phrases"`, `+required`, `-excluded`, `title:`, `heading:`, `kind:`, `doc:`), the
   options' filters added as clauses. Never fails.
2. **rewrite** (`rewrite`): more ways to match than the words as typed: the stems of close
   spellings (among the passages' words as written) of words the index lacks ([`SearchOptions::typos`]) and [`synonyms`] (given with
   [`Searcher::with_synonyms`]) become *alternatives* of the query's clauses, searched at a
   lower weight and highlighted like the words themselves; for a query of plain words,
   pseudo-relevance feedback ([`SearchOptions::feedback`]) adds the most likely words of a
   first pass's best passages.
3. **retrieve** (`retrieve`): the rewritten query as a tantivy query (BM25 over the passage
   text plus lower-weighted title, heading and context, see [`FieldWeights`]) and the
   [`highlight::MatchSet`] of what to light up; run for the best candidates, in rounds until
   grouping fills the pool. A query of stop words only, which have no term there, is a phrase
   over the passage text's stop words (a field of their own), answered from postings too.
4. **rescore** (`rescore`): signals beyond the words. A question that matches lifts its
   thread's answers (applied to each round's candidates, before grouping); on a semantic index
   searched with its model ([`Searcher::with_embedder`]), the grouped pool and the passages
   nearest to the query in meaning among all passages (an exact search over the stored
   vectors) are ranked together by a fused score ([`semantic`], [`SearchOptions::semantic`]),
   then ranked again with the query's embedding moved toward the best ones' (feedback by
   meaning), grouped again and cut to the limit.
5. **group** (`group`): at most [`SearchOptions::per_doc`] hits from one document.
6. **snippets** (`snippets`): each hit's stored passage, the byte ranges of its matched words
   and its best fragment ([`highlight`], a pure function of a text and a match set), and for
   an answer its question ([`QuestionRef`]).

After them, a query with a word that matches nothing (or that found little) gets a corrected
version ([`SearchResults::did_you_mean`]). With [`SearchOptions::explain`], each hit carries the tree
of its score ([`Explanation`]), to which every stage that scores adds its own part: retrieval
the BM25 terms by word and field, the Q&A lift its share of the question's score, meaning the
fused lexical and semantic scores.

The nouns the stages share live in leaf modules that depend on no stage: the ranked
`Candidate` and the document numbering, the [`highlight::MatchSet`], the [`Explanation`], and
the results ([`Hit`], [`Snippet`], [`QuestionRef`]). Stages depend only on earlier stages and
on those nouns, never in a circle.

A new ranking signal is one module under `rescore`: it prepares what it needs from the
query, changes the candidates' scores (before grouping, like the Q&A lift, or on the grouped
pool, like meaning), keeps what it added for each candidate, and wraps the explanation of the
stages below it in a node of its own; [`Searcher::search`] gains one call.

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
mod bounds;
mod candidate;
mod error;
mod explanation;
mod group;
mod matches;
mod options;
pub mod parse;
mod rescore;
mod results;
mod retrieve;
mod rewrite;
mod searcher;
mod snapshot;
mod snippets;
mod stats;
mod suggest;

pub use error::QueryError;
pub use explanation::Explanation;
pub use options::{ApproximateDense, Feedback, FieldWeights, SearchOptions, Semantic};
pub use rescore::semantic;
pub use results::{Hit, QuestionRef, SearchResults, Snippet, TotalRelation};
/// Totals below this many matches are always exact ([`SearchResults::total_relation`]).
pub use retrieve::prune::EXACT_BELOW as EXACT_TOTAL_BELOW;
pub use rewrite::synonyms;
pub use searcher::Searcher;
pub use snippets::highlight;
pub use stats::{DroppedCounts, FileStats, IndexStats, KindCounts};
pub use synonyms::{Synonyms, SynonymsError};
