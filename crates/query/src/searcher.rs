//! [`Searcher`]: an open index and the searches and lookups on it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use kb_embed::Embedder;
use kb_schema::{KbSchema, Kind, Manifest, Passage};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, ReloadPolicy, TantivyDocument, Term};

use crate::build::{Plan, QueryBuilder};
use crate::collect::{self, Candidate, DocIds, Ranked};
use crate::expand::{self, Alternatives};
use crate::explain;
use crate::fuzzy::Vocabulary;
use crate::highlight::{self, MatchSet};
use crate::parse::{self, Target};
use crate::qa::{self, Lift, Threads};
use crate::semantic::{self, Fused, Vectors};
use crate::stats::{self, IndexStats};
use crate::suggest;
use crate::{Hit, QueryError, QuestionRef, SearchOptions, SearchResults, Snippet, Synonyms};

/// A snapshot of an index, open for searching.
///
/// Opening never takes the writer lock, so searches work while `kb index` updates the index in
/// another process; they see the last commit made before [`Searcher::open`].
pub struct Searcher {
    dir: PathBuf,
    schema: KbSchema,
    searcher: tantivy::Searcher,
    doc_ids: DocIds,
    /// Query-time synonyms, if any were given ([`Searcher::with_synonyms`]).
    synonyms: Option<Synonyms>,
    /// The embedding model the index's passages were embedded with, when it is a semantic
    /// index ([`Searcher::semantic_model`]).
    semantic_model: Option<String>,
    /// The passages' embeddings and the model to embed queries with, once given
    /// ([`Searcher::with_embedder`]).
    semantic: Option<(Vectors, Arc<Embedder>)>,
}

impl Searcher {
    /// Opens the index in `index_dir`.
    ///
    /// Fails if there is no index, if it was written by another kb version, or if it is damaged
    /// (a garbled `meta.json`, a missing or truncated segment file): the error then says so and
    /// that `kb index --rebuild` repairs it.
    pub fn open(index_dir: &Path) -> Result<Searcher, QueryError> {
        let (index, schema, manifest) = kb_schema::open_index_with_manifest(index_dir)?;
        let read = |e| QueryError::read(index_dir, e);
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(read)?;
        let searcher = reader.searcher();
        let doc_ids = DocIds::open(&searcher, schema.doc_id).map_err(read)?;
        Ok(Searcher {
            dir: index_dir.to_path_buf(),
            schema,
            searcher,
            doc_ids,
            synonyms: None,
            semantic_model: manifest.semantic,
            semantic: None,
        })
    }

    /// The embedding model the index's passages were embedded with (a name such as
    /// `all-MiniLM-L6-v2`), or `None` for a lexical index. Semantic re-ranking needs that model:
    /// see [`Searcher::with_embedder`].
    pub fn semantic_model(&self) -> Option<&str> {
        self.semantic_model.as_deref()
    }

    /// The same searcher, re-ranking with `embedder` (see [`crate::semantic`]), which must be
    /// the index's [`Searcher::semantic_model`]. On a lexical index it changes nothing.
    pub fn with_embedder(self, embedder: Arc<Embedder>) -> Result<Searcher, QueryError> {
        if self.semantic_model.is_none() {
            return Ok(self);
        }
        let vectors = Vectors::open(&self.searcher, self.schema.vector)
            .map_err(|e| QueryError::read(&self.dir, e))?;
        Ok(Searcher { semantic: Some((vectors, embedder)), ..self })
    }

    /// The same searcher, expanding queries with `synonyms` (see [`crate::synonyms`]): a query
    /// word or phrase that is a member of a group also searches the other members, a little
    /// below the words as typed, and they are highlighted like any match.
    pub fn with_synonyms(self, synonyms: Synonyms) -> Searcher {
        let synonyms = (!synonyms.is_empty()).then_some(synonyms);
        Searcher { synonyms, ..self }
    }

    /// Searches for `query` (see [`crate::parse`] for the query language).
    ///
    /// Query text never fails: malformed syntax is read as words, and a query with nothing to
    /// search for returns no hits.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<SearchResults, QueryError> {
        let started = Instant::now();
        let mut parsed = parse::parse(query);
        if let Some(kind) = opts.kind {
            parsed.require(Target::Kind(kind));
        }
        if let Some(doc) = &opts.doc {
            parsed.require(Target::Doc(doc.clone()));
        }
        // Hook: typo tolerance and synonyms (expand.rs), read from the index once.
        let vocabulary = Vocabulary::new(&self.searcher, &self.schema);
        let typos = opts.typos.then_some(&vocabulary);
        let alternatives = expand::alternatives(&parsed, typos, self.synonyms.as_ref())
            .map_err(|e| QueryError::read(&self.dir, e))?;
        let mut plan = self.builder(opts, &alternatives).build(&parsed);
        // The best questions, when feedback's first pass tells them (see `qa.rs`).
        let mut questions = None;
        if let (true, Plan::Index { query, .. }) = (is_plain(&parsed), &plan) {
            // The query of words alone is also the Q&A lift's question query, less its filter.
            let for_questions = qa::words_make_question_query(&parsed) && !opts.explain;
            let (mut expansion, first_questions) =
                self.feedback(query.as_ref(), query_terms(&parsed), opts, for_questions)?;
            questions = first_questions;
            // Hook (expand.rs): a typo stand-in gains no weight through feedback, so that
            // matches as typed stay above near misses.
            expansion.retain(|(term, _)| !alternatives.is_typo_term(term));
            if !expansion.is_empty() {
                plan = self.builder(opts, &alternatives).with_expansion(&expansion).build(&parsed);
            }
        }
        let read = |e| QueryError::read(&self.dir, e);
        let mut explained: Option<(Box<dyn Query>, Lift)> = None;
        // Hook: semantic re-ranking (semantic.rs) of a deeper pool of lexical candidates.
        let semantic = match &self.semantic {
            Some((vectors, embedder)) if opts.semantic.is_on() => {
                let text = semantic::query_text(&parsed);
                (!text.trim().is_empty()).then(|| (vectors, embedder.embed_query(&text)))
            }
            _ => None,
        };
        let mut fused: HashMap<DocAddress, Fused> = HashMap::new();
        let pool =
            if semantic.is_some() { opts.limit.max(opts.semantic.depth) } else { opts.limit };
        let (ranked, matches) = match plan {
            Plan::Index { query, matches } => {
                // Hook: Q&A awareness (qa.rs): matching questions lift their answers, scored
                // in the ranking pass.
                let threads = if matches.is_empty() {
                    Threads::none()
                } else {
                    self.qa_threads(&parsed, &alternatives, opts, questions).map_err(read)?
                };
                let (mut ranked, lift) = collect::top(
                    &self.searcher,
                    &self.doc_ids,
                    query.as_ref(),
                    pool,
                    opts.per_doc,
                    threads.answers(),
                    |scored| {
                        threads.lift(
                            &self.searcher,
                            &self.schema,
                            &self.doc_ids,
                            query.as_ref(),
                            scored,
                        )
                    },
                )
                .map_err(read)?;
                if let Some((vectors, vector)) = &semantic {
                    fused = semantic::rerank(
                        &mut ranked.hits,
                        vector,
                        vectors,
                        opts.semantic.weight.min(1.0),
                    );
                    ranked.hits.truncate(opts.limit);
                }
                explained = Some((query, lift));
                (ranked, matches)
            }
            Plan::Verbatim { filter, matches } => {
                let ranked = collect::verbatim(
                    &self.searcher,
                    &self.doc_ids,
                    self.schema.text,
                    filter.as_ref(),
                    &matches,
                    opts.limit,
                    opts.per_doc,
                )
                .map_err(read)?;
                (ranked, matches)
            }
            Plan::Nothing => (Ranked::default(), MatchSet::new()),
        };
        let explained = explained.as_ref().map(|(q, lift)| (q.as_ref(), lift));
        let hits = ranked
            .hits
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let fused = fused.get(&c.address).copied();
                self.hit(i + 1, c, &matches, opts, explained, fused)
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Hook: "did you mean" (suggest.rs), only when little was found.
        let did_you_mean = if ranked.total < suggest::FEW {
            suggest::did_you_mean(query, &parsed, &vocabulary, &self.searcher, &self.schema)
                .map_err(read)?
        } else {
            None
        };
        Ok(SearchResults {
            query: query.to_owned(),
            total: ranked.total,
            hits,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
            did_you_mean,
        })
    }

    /// The passage with id `id` (`{doc_id}#{position}`), if the index has it.
    pub fn passage(&self, id: &str) -> Result<Option<Passage>, QueryError> {
        let query = raw_term_query(self.schema.passage_id, id);
        let top = self
            .searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .map_err(|e| QueryError::read(&self.dir, e))?;
        top.first().map(|&(_, address)| self.load(address)).transpose()
    }

    /// All passages of the document `doc_id`, in document order; empty if there is none.
    pub fn document(&self, doc_id: &str) -> Result<Vec<Passage>, QueryError> {
        let query = raw_term_query(self.schema.doc_id, doc_id);
        let addresses = self
            .searcher
            .search(&query, &DocSetCollector)
            .map_err(|e| QueryError::read(&self.dir, e))?;
        let mut passages =
            addresses.into_iter().map(|a| self.load(a)).collect::<Result<Vec<_>, _>>()?;
        passages.sort_by_key(|p| p.position);
        Ok(passages)
    }

    /// What the index holds: documents, passages by kind, files, size.
    pub fn stats(&self) -> Result<IndexStats, QueryError> {
        let read = |e| QueryError::read(&self.dir, e);
        let manifest = Manifest::read(self.searcher.index()).map_err(read)?;
        let mut stats = stats::from_manifest(&manifest);
        stats.passages = self.searcher.num_docs();
        for kind in kb_schema::Kind::ALL {
            let query = raw_term_query(self.schema.kind, kind.as_str());
            let n = self.searcher.search(&query, &Count).map_err(read)?;
            stats.by_kind.add(kind, n as u64);
        }
        stats.index_bytes = stats::dir_bytes(&self.dir).map_err(|e| read(e.into()))?;
        Ok(stats)
    }

    /// The index directory.
    pub fn index_dir(&self) -> &Path {
        &self.dir
    }

    /// The pseudo-relevance feedback terms for `query` (see [`crate::feedback`]): empty when
    /// feedback is off, the query has no words, or nothing matched. With `for_questions`, the
    /// first pass reads a few more passages, and the best questions among them are returned
    /// too (see [`qa::questions_among`]), when they tell.
    #[allow(clippy::type_complexity)]
    fn feedback(
        &self,
        query: &dyn tantivy::query::Query,
        query_terms: usize,
        opts: &SearchOptions,
        for_questions: bool,
    ) -> Result<(Vec<(String, f32)>, Option<Vec<(f32, DocAddress)>>), QueryError> {
        let fb = &opts.feedback;
        if !fb.is_on()
            || query_terms == 0
            || query_terms > fb.max_query_terms
            || self.searcher.num_docs() < fb.min_index_passages
        {
            return Ok((Vec::new(), None));
        }
        let read = |e| QueryError::read(&self.dir, e);
        let fetch =
            if for_questions { fb.passages.max(qa::FIRST_PASS_FOR_QUESTIONS) } else { fb.passages };
        let mut top = self
            .searcher
            .search(query, &TopDocs::with_limit(fetch).order_by_score())
            .map_err(read)?;
        let questions = if for_questions {
            let all = top.len() < fetch;
            qa::questions_among(&self.searcher, &self.schema, &top, all).map_err(read)?
        } else {
            None
        };
        top.truncate(fb.passages);
        let mut passages = Vec::with_capacity(top.len());
        for (score, address) in top {
            let p = self.load(address)?;
            // The start of a long passage says what it is about; analyzing all of it (MedQuAD
            // answers run to pages) would cost more than the rest of the search.
            let text = &p.text[..floor_char_boundary(&p.text, FEEDBACK_TEXT_BYTES)];
            passages.push((score, format!("{}\n{}", p.doc_title, text)));
        }
        Ok((crate::feedback::expansion(&passages, query_terms, &opts.feedback), questions))
    }

    /// Reads a stored passage.
    fn load(&self, address: DocAddress) -> Result<Passage, QueryError> {
        let doc: TantivyDocument =
            self.searcher.doc(address).map_err(|e| QueryError::read(&self.dir, e))?;
        self.schema.from_document(&doc).ok_or_else(|| QueryError::bad_document(&self.dir))
    }

    /// A query builder for `opts`, with the query's typo and synonym `alternatives`.
    fn builder<'a>(
        &'a self,
        opts: &'a SearchOptions,
        alternatives: &'a Alternatives,
    ) -> QueryBuilder<'a> {
        QueryBuilder::new(&self.schema, &opts.weights)
            .with_alternatives(alternatives)
            .with_labels(opts.explain)
    }

    /// The Q&A threads whose questions match a search best (see `qa.rs`): none when `opts`
    /// only admits articles or questions, or the index has no questions. `known` are the best
    /// questions when feedback's first pass told them.
    fn qa_threads(
        &self,
        parsed: &parse::ParsedQuery,
        alternatives: &Alternatives,
        opts: &SearchOptions,
        known: Option<Vec<(f32, DocAddress)>>,
    ) -> tantivy::Result<Threads> {
        if opts.kind.is_some_and(|k| k != Kind::Answer)
            || !qa::has_questions(&self.searcher, &self.schema)?
        {
            return Ok(Threads::none());
        }
        let best = match known {
            Some(best) => best,
            None => {
                let questions = qa::question_query(parsed);
                match self.builder(opts, alternatives).with_labels(false).build(&questions) {
                    Plan::Index { query, .. } => {
                        qa::best_questions(&self.searcher, query.as_ref())?
                    }
                    _ => return Ok(Threads::none()),
                }
            }
        };
        qa::threads(&self.searcher, &self.schema, &self.doc_ids, best)
    }

    /// A hit: the stored passage, highlighted; for an answer, its question; and the
    /// explanation of its score when `opts` asks for it (`explained` holds the query and the
    /// Q&A lift it was ranked by, `None` for a verbatim search).
    fn hit(
        &self,
        rank: usize,
        candidate: Candidate,
        matches: &MatchSet,
        opts: &SearchOptions,
        explained: Option<(&dyn Query, &Lift)>,
        fused: Option<Fused>,
    ) -> Result<Hit, QueryError> {
        let read = |e| QueryError::read(&self.dir, e);
        let p = self.load(candidate.address)?;
        let (highlights, snippet) = if opts.snippets {
            highlight::highlight(&p.text, matches)
        } else {
            (Vec::new(), Snippet { text: String::new(), highlights: Vec::new() })
        };
        let question = match p.kind {
            Kind::Answer if opts.snippets => {
                qa::question_of(&self.searcher, &self.schema, &p.doc_id)
                    .map_err(read)?
                    .map(|passage_id| QuestionRef { passage_id, title: p.doc_title.clone() })
            }
            _ => None,
        };
        let explanation = match (opts.explain, explained) {
            (false, _) => None,
            (true, Some((query, lift))) => {
                let lexical = Candidate {
                    score: fused.map_or(candidate.score, |f| f.lexical),
                    ..candidate.clone()
                };
                let lexical =
                    explain::of_hit(&self.searcher, query, &lexical, lift.get(candidate.address))
                        .map_err(read)?;
                Some(match fused {
                    Some(f) => f.explain(candidate.score, Some(lexical)),
                    None => lexical,
                })
            }
            (true, None) => Some(explain::of_verbatim(candidate.score)),
        };
        Ok(Hit {
            rank,
            score: candidate.score,
            doc_id: p.doc_id,
            doc_title: p.doc_title,
            kind: p.kind,
            passage_id: p.id,
            heading: p.heading,
            text: p.text,
            highlights,
            snippet,
            source: p.source,
            question,
            explanation,
        })
    }
}

/// How much of each feedback passage is read for expansion words.
const FEEDBACK_TEXT_BYTES: usize = 4000;

/// The largest char boundary of `text` at or before `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// How many analyzed terms the query's own words have (typo and synonym alternatives aside).
fn query_terms(parsed: &parse::ParsedQuery) -> usize {
    parsed
        .clauses
        .iter()
        .map(|c| match &c.target {
            Target::Word { text, .. } | Target::Phrase { text, .. } => {
                crate::analysis::terms_with_positions(text).len()
            }
            Target::Kind(_) | Target::Doc(_) => 0,
        })
        .sum()
}

/// Whether a query is plain words (and filters): no phrase, no required, excluded or
/// field-scoped word. Only such queries get feedback terms: a query with constraints says
/// exactly what the passages must contain, and related words must not bend that.
fn is_plain(parsed: &parse::ParsedQuery) -> bool {
    use parse::{Presence, Scope};
    parsed.clauses.iter().all(|c| match &c.target {
        Target::Word { scope, .. } => c.presence == Presence::Optional && *scope == Scope::All,
        Target::Phrase { .. } => false,
        Target::Kind(_) | Target::Doc(_) => c.presence != Presence::Excluded,
    })
}

fn raw_term_query(field: Field, value: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)
}
