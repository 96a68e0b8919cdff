//! [`MatchSet`]: what a search lights up in its hits, a shared noun of the stages: the query
//! builder fills it with everything that can make a passage match (`retrieve::query`), and the
//! highlighter finds it in each hit's text ([`crate::highlight`]).

/// What to light up in a passage: analyzed query terms, and verbatim word sequences.
///
/// Built by the query builder from everything a query searches for (excluded words left out),
/// so that whatever can make a passage match can also be shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchSet {
    /// Analyzed terms, sorted and distinct.
    pub(crate) terms: Vec<String>,
    /// Lowercased word sequences, matched word for word.
    pub(crate) sequences: Vec<Vec<String>>,
}

impl MatchSet {
    /// An empty set: nothing is lit.
    pub fn new() -> MatchSet {
        MatchSet::default()
    }

    /// Adds an analyzed term (as the `kb_en` analyzer produces it: lowercased, folded, stemmed).
    pub fn add_term(&mut self, term: &str) {
        if let Err(at) = self.terms.binary_search_by(|t| t.as_str().cmp(term)) {
            self.terms.insert(at, term.to_owned());
        }
    }

    /// Adds a sequence of words to find verbatim (case-insensitive), e.g. a query made only of
    /// stop words. Words are compared lowercased; empty sequences are ignored.
    pub fn add_sequence<S: AsRef<str>>(&mut self, words: &[S]) {
        let words: Vec<String> = words.iter().map(|w| w.as_ref().to_lowercase()).collect();
        if !words.is_empty() && !self.sequences.contains(&words) {
            self.sequences.push(words);
        }
    }

    /// Whether an analyzed term is in the set.
    pub fn contains_term(&self, term: &str) -> bool {
        self.term_index(term).is_some()
    }

    /// The analyzed terms, sorted.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(String::as_str)
    }

    /// Whether nothing would be lit.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.sequences.is_empty()
    }

    pub(crate) fn term_index(&self, term: &str) -> Option<usize> {
        self.terms.binary_search_by(|t| t.as_str().cmp(term)).ok()
    }

    /// Number of distinct things that can match (terms, then sequences).
    pub(crate) fn keys(&self) -> usize {
        self.terms.len() + self.sequences.len()
    }
}
