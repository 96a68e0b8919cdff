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
    /// Pseudo-relevance feedback: a second search with the query expanded by the most likely
    /// words of the first search's best passages. On by default; `weight: 0.0` turns it off.
    pub feedback: Feedback,
    /// Typo tolerance: a query word the index lacks (or has barely, next to a close and far
    /// more frequent word) also matches indexed words a few edits away, ranked below exact
    /// matches. Words under 5 characters and numbers are never expanded. Default true.
    pub typos: bool,
    /// Whether each hit carries an [`crate::Explanation`] of its score. Default false: it
    /// costs a second pass over every hit.
    pub explain: bool,
    /// Whether [`crate::SearchResults::total`] must be exact. Default false: from
    /// [`crate::EXACT_TOTAL_BELOW`] matches on, a search of plain words may report a lower bound
    /// instead ([`crate::TotalRelation::Gte`]), which spares counting every match and lets
    /// retrieval skip passages that cannot rank.
    pub exact_total: bool,
    /// Semantic re-ranking of the best lexical candidates by embedding similarity (see
    /// [`crate::semantic`]). On by default; it only runs on a semantic index searched with its
    /// model ([`crate::Searcher::with_embedder`]). `weight: 0.0` turns it off.
    pub semantic: Semantic,
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
            feedback: Feedback::default(),
            typos: true,
            explain: false,
            exact_total: false,
            semantic: Semantic::default(),
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
    /// The document title (for an answer, its question's title). Default 0.7.
    pub title: f32,
    /// The section heading. Default 0.4.
    pub heading: f32,
    /// The passage context (for an answer, its question's body). Default 0.3.
    pub context: f32,
    /// Share of the other fields' scores added to the best field's. Default 0.6.
    ///
    /// Title 0.7 and tie-breaker 0.6 were chosen on SciFact train and NFCorpus dev (`kb eval`),
    /// where they beat 0.5/0.3 on both.
    pub tie_breaker: f32,
}

impl Default for FieldWeights {
    fn default() -> Self {
        FieldWeights { text: 1.0, title: 0.7, heading: 0.4, context: 0.3, tie_breaker: 0.6 }
    }
}

/// Pseudo-relevance feedback (RM3) settings: see [`SearchOptions::feedback`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feedback {
    /// How many of the first search's best passages the expansion words are drawn from
    /// (default 10).
    pub passages: usize,
    /// How many expansion words are added (default 10).
    pub terms: usize,
    /// The expansion's share of the final query, between 0 (off) and 1 (default 0.2).
    pub weight: f32,
    /// Queries with more analyzed terms than this are not expanded: a long query already says
    /// what it is about, and expanding it mostly adds noise (default 4).
    pub max_query_terms: usize,
    /// Indexes with fewer passages than this are not expanded: in a small collection the
    /// first search's best passages are most of what matches, not a sample of what is
    /// relevant, and their words would drag in everything else (default 1000).
    pub min_index_passages: u64,
}

impl Feedback {
    /// No feedback: one search with the query as given.
    pub const OFF: Feedback =
        Feedback { passages: 0, terms: 0, weight: 0.0, max_query_terms: 0, min_index_passages: 0 };

    /// Whether feedback runs at all.
    pub fn is_on(&self) -> bool {
        self.passages > 0 && self.terms > 0 && self.weight > 0.0 && self.weight < 1.0
    }
}

impl Default for Feedback {
    fn default() -> Self {
        Feedback {
            passages: 10,
            terms: 10,
            weight: 0.2,
            max_query_terms: 4,
            min_index_passages: 1000,
        }
    }
}

/// Semantic re-ranking settings: see [`crate::SearchOptions::semantic`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Semantic {
    /// The share of the embedding similarity in the fused score, between 0 (off: lexical
    /// ranking only) and 1 (default 0.7: best on SciFact train and NFCorpus dev, of 0.5 to
    /// 0.9; see RANKING.md).
    pub weight: f32,
    /// How many of the best lexical passages are re-ranked (default 100).
    pub depth: usize,
    /// How many of the passages closest in meaning to the query, searched among all passages
    /// (not only those with the query's words), join the lexical ones before the fused ranking
    /// (default 100; 0 = re-rank the lexical passages only). Only for queries of plain words
    /// and phrases, with at most a kind filter: `+word`, `-word`, `title:`, `heading:` and
    /// `doc:` are taken exactly.
    pub dense: usize,
    /// Pseudo-relevance feedback by meaning: how many of the best passages of a first fused
    /// ranking lend their embeddings to the query's (their mean, at half the query's weight),
    /// which then ranks the candidates again, and finds `dense` more passages (default 2; 0 =
    /// off: one ranking, by the query's own embedding). Best on SciFact train and NFCorpus dev
    /// of 2 to 10 passages at a quarter to a whole of the query's weight (RANKING.md).
    pub feedback: usize,
}

impl Semantic {
    /// No semantic re-ranking.
    pub const OFF: Semantic = Semantic { weight: 0.0, depth: 0, dense: 0, feedback: 0 };

    /// Whether re-ranking runs at all (it also needs a semantic index and a model).
    pub fn is_on(&self) -> bool {
        self.weight > 0.0 && (self.depth > 0 || self.dense > 0)
    }
}

impl Default for Semantic {
    fn default() -> Self {
        Semantic { weight: 0.7, depth: 100, dense: 100, feedback: 2 }
    }
}

/// Approximate search by meaning for large semantic indexes: an HNSW graph over the passages'
/// embeddings, built in memory for a searcher view ([`crate::Searcher::with_approximate_dense`]).
///
/// Below [`ApproximateDense::min_passages`] nothing is built and the exact scan answers (its
/// results are then exactly the nearest passages). From it on, the graph is built once per view
/// (a snapshot of one commit; nothing is written to disk) and searches by meaning walk it
/// instead of scanning every passage: about 1 ms instead of 14 ms or more at 500,000 passages,
/// at the price of missing a few of the true nearest (BENCHMARKS.md, "Approximate
/// search by meaning"). Long-lived services (`kb serve`, `kb mcp`) turn it on; a one-shot
/// `kb search` does not, as one exact scan costs far less than building the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApproximateDense {
    /// Fewest passages with an embedding for which the graph is built (default
    /// [`ApproximateDense::DEFAULT_MIN_PASSAGES`]).
    pub min_passages: usize,
    /// Whether the graph is built on a thread of its own (default): searches by meaning use the
    /// exact scan until it is ready, the graph from then on. Else it is built before
    /// [`crate::Searcher::with_embedder`] returns.
    pub background: bool,
    /// The beam of a search: how many candidates the walk on the graph's bottom level keeps
    /// (default 200; at least the number of passages asked for is used). Wider finds more of
    /// the true nearest, slower.
    pub beam: usize,
}

impl ApproximateDense {
    /// The default [`ApproximateDense::min_passages`]: 100,000. Below it the exact scan costs
    /// less than embedding the query (about 3.3 ms: 0.3 ms at 10,000 passages, 5.3 ms at
    /// 100,000, 33 ms at 500,000; BENCHMARKS.md, "Where the crossover is"), so an approximate
    /// search would save little and could miss a passage; from it on the scan is the larger
    /// part of a search by meaning.
    pub const DEFAULT_MIN_PASSAGES: usize = 100_000;
}

impl Default for ApproximateDense {
    fn default() -> Self {
        ApproximateDense {
            min_passages: ApproximateDense::DEFAULT_MIN_PASSAGES,
            background: true,
            beam: kb_schema::hnsw::DEFAULT_BEAM,
        }
    }
}
