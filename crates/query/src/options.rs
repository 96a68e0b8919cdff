//! What a search is asked to do: [`SearchOptions`], and how fields weigh in ranking.

use kb_schema::Kind;

/// Options of one search. Use `..SearchOptions::default()` for the ones you don't set.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOptions {
    /// Most hits to return. Default 10.
    pub limit: usize,
    /// Only passages of this kind (like `kind:` in the query). Default: any.
    pub kind: Option<Kind>,
    /// Only passages of this document id (like `doc:` in the query). Default: any.
    pub doc: Option<String>,
    /// Most hits from one document; 0 = no cap. Default 3.
    pub per_doc: usize,
    /// Whether to compute highlights and snippets. Default true; when false, hits have empty
    /// highlights and an empty snippet, which makes ranking many hits (evaluation) cheaper.
    pub snippets: bool,
    /// How the text fields weigh in the score. Default: [`FieldWeights::default`].
    pub weights: FieldWeights,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            kind: None,
            doc: None,
            per_doc: 3,
            snippets: true,
            weights: FieldWeights::default(),
        }
    }
}

/// How much a query word found in each field counts, relative to the passage text.
///
/// Each word is scored with BM25 in every field; the field scores are multiplied by these
/// weights and combined as a "best field" disjunction: the best field counts fully, the others
/// by `tie_breaker` (0 = best field only, 1 = the sum). A field with weight 0 is not searched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldWeights {
    /// The passage text. Default 1.0.
    pub text: f32,
    /// The document title (for an answer, its question's title). Default 0.5.
    pub title: f32,
    /// The section heading. Default 0.4.
    pub heading: f32,
    /// The passage context (for an answer, its question's body). Default 0.3.
    pub context: f32,
    /// Share of the other fields' scores added to the best field's. Default 0.3.
    pub tie_breaker: f32,
}

impl Default for FieldWeights {
    fn default() -> Self {
        FieldWeights { text: 1.0, title: 0.5, heading: 0.4, context: 0.3, tie_breaker: 0.3 }
    }
}
