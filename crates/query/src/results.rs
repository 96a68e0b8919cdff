//! What a search returns: [`SearchResults`] of [`Hit`]s, each with its [`Snippet`] and, for an
//! answer, its [`QuestionRef`]. Shared nouns: the last stage (snippets) makes them.

use std::ops::Range;

use kb_schema::{Kind, SourceRef};
use serde::Serialize;

use crate::explanation::Explanation;

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
    /// For an answer, the question it answers (`None` for other kinds, and when
    /// [`crate::SearchOptions::snippets`] is off).
    pub question: Option<QuestionRef>,
    /// How the score was made, when [`crate::SearchOptions::explain`] is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// The question of a Q&A thread, as an answer refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionRef {
    /// The question's passage id (`kb show` resolves it).
    pub passage_id: String,
    /// The question's title.
    pub title: String,
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
    /// A corrected query, when this one found little (fewer than 3 passages) and some of its
    /// words are missing from the index but close to indexed ones.
    pub did_you_mean: Option<String>,
}
