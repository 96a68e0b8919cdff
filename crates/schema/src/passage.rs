use serde::{Deserialize, Serialize};

/// What a passage is: part of an article, the question of a Q&A thread, one of its answers, or
/// a block of code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A paragraph or list item of an article.
    Article,
    /// The question of a Q&A thread (its title and body).
    Question,
    /// One answer of a Q&A thread (its title line and body).
    Answer,
    /// A block of code (a fenced or indented Markdown block, an HTML `<pre>`), its lines kept.
    Code,
}

impl Kind {
    /// All kinds, in display order.
    pub const ALL: [Kind; 4] = [Kind::Article, Kind::Question, Kind::Answer, Kind::Code];

    /// The name stored in the index and printed: `article`, `question`, `answer` or `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Article => "article",
            Kind::Question => "question",
            Kind::Answer => "answer",
            Kind::Code => "code",
        }
    }

    /// Parses a kind name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a passage came from: the source file and the 1-based line its text starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// The source file's path, as it was given to the indexer (joined to the indexed root).
    pub path: String,
    /// The 1-based line of the file where the passage starts (for JSON Lines, the record's line).
    pub line: u32,
}

/// The unit of retrieval: a paragraph, a list item, a question, or one answer.
///
/// Serializes as one element of `kb show --json`'s `passages` list: `{"passage_id", "doc_id",
/// "doc_title", "kind", "heading", "position", "text", "source": {"path", "line"}}` (the
/// context is searched, never shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Stable passage id: `{doc_id}#{position}`.
    #[serde(rename = "passage_id")]
    pub id: String,
    /// Stable id of the document the passage belongs to.
    pub doc_id: String,
    /// Title of that document (for a Q&A thread, the question's title).
    pub doc_title: String,
    /// Article paragraph, question, answer or code.
    pub kind: Kind,
    /// The section heading the passage stands under, if any.
    pub heading: Option<String>,
    /// 0-based position of the passage in its document.
    pub position: u32,
    /// The passage's own text, as it stands in the source (whitespace runs folded; code keeps
    /// its lines and indentation, a table's rows are lines under their header row).
    pub text: String,
    /// Searchable context that is not part of the passage's text: for an answer, the body of the
    /// question it answers. Indexed with a low weight, never shown.
    #[serde(skip_serializing, default)]
    pub context: Option<String>,
    /// Source file and line.
    pub source: SourceRef,
}

impl Passage {
    /// The passage id for a document id and a position.
    pub fn make_id(doc_id: &str, position: u32) -> String {
        format!("{doc_id}#{position}")
    }
}
