//! What a search returns: [`SearchResults`] of [`Hit`]s, each with its [`Snippet`] and, for an
//! answer, its [`QuestionRef`]. Shared nouns: the last stage (snippets) makes them.
//!
//! These types are the wire format of `kb search --json` (and of the server's `/search`): they
//! serialize to exactly what those print, and fields may be added, never changed.

use std::ops::Range;

use kb_schema::{Kind, SourceRef};
use serde::{Serialize, Serializer};

use crate::explanation::Explanation;

/// One ranked passage.
///
/// Serializes as `{"rank", "score", "doc_id", "doc_title", "kind", "passage_id", "heading",
/// "text", "highlights": [[start, end], ...], "snippet": "<mark>…</mark> HTML", "source":
/// {"path", "line"}, "question": {"passage_id", "title"} | null}`, plus `"explain"` when
/// [`crate::SearchOptions::explain`] is on.
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
    /// Article paragraph, question, answer or code.
    pub kind: Kind,
    /// The passage id, `{doc_id}#{position}`, which `kb show` resolves.
    pub passage_id: String,
    /// The section heading, if any.
    pub heading: Option<String>,
    /// The whole passage text.
    pub text: String,
    /// Byte ranges into `text` of every matched word (`[start, end]` pairs in JSON).
    #[serde(serialize_with = "ranges")]
    pub highlights: Vec<Range<usize>>,
    /// The best fragment of the passage, with its own highlight ranges.
    pub snippet: Snippet,
    /// Source file and line.
    pub source: SourceRef,
    /// For an answer, the question it answers (`None` for other kinds, and when
    /// [`crate::SearchOptions::snippets`] is off).
    pub question: Option<QuestionRef>,
    /// How the score was made, when [`crate::SearchOptions::explain`] is on (`"explain"` in
    /// JSON).
    #[serde(rename = "explain", skip_serializing_if = "Option::is_none")]
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
///
/// Serializes as its HTML ([`Snippet::to_html`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The fragment text. When the passage was cut, it starts and/or ends with `…`.
    pub text: String,
    /// Byte ranges into `text` of the matched words.
    pub highlights: Vec<Range<usize>>,
}

impl Snippet {
    /// The fragment as HTML: the text escaped (`& < > " '`), each highlight wrapped in
    /// `<mark>…</mark>`.
    ///
    /// ```
    /// let snippet = kb_query::Snippet { text: "a <b> & Botox".into(), highlights: vec![8..13] };
    /// assert_eq!(snippet.to_html(), "a &lt;b&gt; &amp; <mark>Botox</mark>");
    /// ```
    pub fn to_html(&self) -> String {
        let text = &self.text;
        let mut html = String::with_capacity(text.len() + self.highlights.len() * 13);
        let mut at = 0;
        for r in &self.highlights {
            if r.start < at || r.end > text.len() || r.start > r.end {
                continue;
            }
            escape_html_into(&mut html, &text[at..r.start]);
            html.push_str("<mark>");
            escape_html_into(&mut html, &text[r.clone()]);
            html.push_str("</mark>");
            at = r.end;
        }
        escape_html_into(&mut html, &text[at..]);
        html
    }
}

impl Serialize for Snippet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_html())
    }
}

/// Appends `text` to `html`, escaped for HTML text and attribute values.
pub fn escape_html_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

/// Byte ranges as `[start, end]` pairs.
fn ranges<S: Serializer>(ranges: &[Range<usize>], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(ranges.iter().map(|r| [r.start, r.end]))
}

/// Whether [`SearchResults::total`] is exact (`"eq"` in JSON) or a lower bound (`"gte"`), as
/// Elasticsearch's `hits.total.relation` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TotalRelation {
    /// Exactly `total` passages matched.
    #[default]
    Eq,
    /// At least `total` passages matched.
    Gte,
}

/// The answer to one search: serializes to the `kb search --json` object, `{"query", "total",
/// "total_relation", "took_ms", "hits": [...], "did_you_mean"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    /// How many passages matched (before grouping and the limit): exactly, or at least, as
    /// `total_relation` says.
    pub total: usize,
    /// Whether `total` is exact ([`TotalRelation::Eq`], always below
    /// [`crate::EXACT_TOTAL_BELOW`] matches and with [`crate::SearchOptions::exact_total`]) or
    /// a lower bound ([`TotalRelation::Gte`]).
    pub total_relation: TotalRelation,
    /// Wall time of the search, milliseconds.
    pub took_ms: f64,
    /// The ranked hits.
    pub hits: Vec<Hit>,
    /// A corrected query, when some of its words match nothing as typed but are close to words
    /// of the passages (or, when this one found fewer than 3 passages, are very rare next to a
    /// close and far more frequent word).
    pub did_you_mean: Option<String>,
}
