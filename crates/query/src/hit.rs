use std::ops::Range;

use kb_schema::{Kind, SourceRef};
use serde::Serialize;

/// One ranked passage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// 1-based rank in the results.
    pub rank: usize,
    /// Relevance score (higher is better); comparable only within one result list.
    pub score: f32,
    /// The passage's document id.
    pub doc_id: String,
    /// The document title (for an answer, the question's title).
    pub doc_title: String,
    /// Article paragraph, question or answer.
    pub kind: Kind,
    /// The passage id, `{doc_id}#{position}`, which `kb show` resolves.
    pub passage_id: String,
    /// The section heading, if any.
    pub heading: Option<String>,
    /// The whole passage text.
    pub text: String,
    /// Byte ranges into `text` of every matched word.
    pub highlights: Vec<Range<usize>>,
    /// The best fragment of the passage, with its own highlight ranges.
    pub snippet: Snippet,
    /// Source file and line.
    pub source: SourceRef,
}

/// The best fragment of a passage, cut at sentence or word boundaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The fragment text. When the passage was cut, it starts and/or ends with `…`.
    pub text: String,
    /// Byte ranges into `text` of the matched words.
    pub highlights: Vec<Range<usize>>,
}

/// The answer to one search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    /// How many passages matched (before grouping and the limit).
    pub total: usize,
    /// The ranked hits.
    pub hits: Vec<Hit>,
    /// Wall time of the search, milliseconds.
    pub took_ms: f64,
}
