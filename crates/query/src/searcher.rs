//! [`Searcher`]: an open index and the searches and lookups on it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use kb_embed::Embedder;
use kb_schema::{KbSchema, Manifest, Passage};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, ReloadPolicy, Term};

use crate::candidate::{Candidate, DocIds};
use crate::explanation::Explanation;
use crate::parse::{self, ParsedQuery};
use crate::rescore::code::CodeWeight;
use crate::rescore::qa::{self, Lift};
use crate::rescore::semantic::{DenseIndex, Fused, Meaning};
use crate::retrieve::maxscore;
use crate::retrieve::query::{Plan, QueryBuilder};
use crate::retrieve::top::Retrieval;
use crate::rewrite::typos::Vocabulary;
use crate::rewrite::{self, feedback, Alternatives};
use crate::snapshot::{KindColumns, Snapshot};
use crate::stats::{self, IndexStats};
use crate::TotalRelation;
use crate::{snippets, suggest};
use crate::{ApproximateDense, QueryError, SearchOptions, SearchResults, Synonyms};

/// What messages call an index in memory.
const MEMORY: &str = "(index in memory)";

/// A snapshot of an index, open for searching.
///
/// Opening never takes the writer lock, so searches work while `kb index` updates the index in
/// another process; they see the last commit made before [`Searcher::open`].
pub struct Searcher {
    /// The index at the commit opened, as every stage of a search reads it.
    snapshot: Snapshot,
    /// The index folder; `None` for an index in memory.
    dir: Option<PathBuf>,
    /// The manifest of the commit this searcher sees.
    manifest: Manifest,
    /// Query-time synonyms, if any were given ([`Searcher::with_synonyms`]).
    synonyms: Option<Synonyms>,
    /// The embedding model the index's passages were embedded with, when it is a semantic
    /// index ([`Searcher::semantic_model`]).
    semantic_model: Option<String>,
    /// The passages' embeddings and the model to embed queries with, once given
    /// ([`Searcher::with_embedder`]).
    semantic: Option<(DenseIndex, Arc<Embedder>)>,
    /// The approximate search by meaning asked for, if any
    /// ([`Searcher::with_approximate_dense`]).
    approximate: Option<ApproximateDense>,
}

impl Searcher {
    /// Opens the index in `index_dir`.
    ///
    /// Fails if there is no index, if it was written by another kb version, or if it is damaged
    /// (a garbled `meta.json`, a missing or truncated segment file): the error then says so and
    /// that `kb index --rebuild` repairs it.
    pub fn open(index_dir: &Path) -> Result<Searcher, QueryError> {
        let (index, schema, manifest) = kb_schema::open_index_for_reading(index_dir)?;
        Searcher::with_parts(index, schema, manifest, Some(index_dir.to_path_buf()))
    }

    /// Opens an index that is open already (one in memory, say: `dir` is `None` then), at its
    /// last commit.
    pub fn from_index(index: tantivy::Index, dir: Option<PathBuf>) -> Result<Searcher, QueryError> {
        let label = dir.clone().unwrap_or_else(|| PathBuf::from(MEMORY));
        let schema = KbSchema::from_schema(&index.schema()).ok_or_else(|| {
            QueryError::Index(kb_schema::OpenError::Damaged {
                path: label.clone(),
                detail: "fields are missing from the schema".into(),
            })
        })?;
        kb_schema::analyzer::register(&index);
        let manifest = Manifest::read(&index).map_err(|e| QueryError::read(&label, e))?;
        Searcher::with_parts(index, schema, manifest, dir)
    }

    fn with_parts(
        index: tantivy::Index,
        schema: KbSchema,
        manifest: Manifest,
        dir: Option<PathBuf>,
    ) -> Result<Searcher, QueryError> {
        let label = dir.clone().unwrap_or_else(|| PathBuf::from(MEMORY));
        let read = |e| QueryError::read(&label, e);
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(read)?;
        let searcher = reader.searcher();
        let doc_ids = DocIds::open(&searcher, schema.doc_id).map_err(read)?;
        let kinds = KindColumns::open(&searcher, schema.kind).map_err(read)?;
        Ok(Searcher {
            snapshot: Snapshot {
                dir: label,
                schema,
                searcher,
                doc_ids,
                kinds,
                bounds: Default::default(),
            },
            dir,
            semantic_model: manifest.semantic.clone(),
            manifest,
            synonyms: None,
            semantic: None,
            approximate: None,
        })
    }

    /// The manifest of the commit this searcher sees: which files are indexed, the embedding
    /// model, the recorded synonyms.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
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
        let snapshot = &self.snapshot;
        let mut vectors = DenseIndex::load(&snapshot.searcher, &snapshot.schema, &snapshot.kinds)
            .map_err(|e| snapshot.error(e))?;
        if let Some(settings) = self.approximate {
            vectors.approximate(settings);
        }
        Ok(Searcher { semantic: Some((vectors, embedder)), ..self })
    }

    /// The same searcher, searching by meaning approximately on a large semantic index: with at
    /// least `settings.min_passages` passages, an HNSW graph over their embeddings is built in
    /// memory for this searcher (once: the searcher is a snapshot), and the passages closest in
    /// meaning to a query are found by walking it instead of scanning every embedding. See
    /// [`ApproximateDense`] for what it costs and when it pays; until the graph is ready (it is
    /// built in the background by default), the exact scan answers.
    ///
    /// For long-lived searchers (a server): a one-shot search is better served by the exact
    /// scan, which costs less than building the graph. Results are deterministic for a given
    /// index once the graph is ready. Takes effect with the embedding model
    /// ([`Searcher::with_embedder`], before or after this call); on a lexical index it changes
    /// nothing.
    pub fn with_approximate_dense(mut self, settings: ApproximateDense) -> Searcher {
        if let Some((vectors, _)) = &mut self.semantic {
            vectors.approximate(settings);
        }
        Searcher { approximate: Some(settings), ..self }
    }

    /// Whether searches by meaning walk the approximate graph now
    /// ([`Searcher::with_approximate_dense`]): false without a model, below the threshold, and
    /// while the graph is being built.
    pub fn approximate_dense_ready(&self) -> bool {
        self.semantic.as_ref().is_some_and(|(vectors, _)| vectors.approximate_ready())
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
    /// search for returns no hits. The search runs the stages the [crate docs](crate) describe,
    /// one call each.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<SearchResults, QueryError> {
        let started = Instant::now();
        let index = &self.snapshot;
        let read = |e| index.error(e);

        // 1. Parse: the query language, and the options' filters as clauses.
        let parsed = parse::with_options(query, opts);

        // 2. Rewrite: close spellings and synonyms of the words; then, for plain words, the
        //    words of a first pass's best passages (feedback).
        let vocabulary = Vocabulary::new(&index.searcher, &index.schema);
        let alternatives =
            rewrite::alternatives(&parsed, &vocabulary, self.synonyms(), opts).map_err(read)?;
        let plan = self.plan(opts, &parsed, &alternatives, &[]);
        let wanted = qa::first_pass_wanted(&parsed, opts);
        let top = |k| maxscore::top(index, &plan, k);
        let top = plan.query().map(|_| &top as feedback::Ranker);
        let first_pass = feedback::first_pass(index, &parsed, top, &alternatives, opts, wanted)?;
        let plan = match first_pass.expansion.is_empty() {
            true => plan,
            false => self.plan(opts, &parsed, &alternatives, &first_pass.expansion),
        };

        // 3. Retrieve the pool of candidates; 4. rescore them by the Q&A lift; 5. group them.
        let meaning = Meaning::of(self.semantic.as_ref(), &parsed, opts);
        let pool = meaning.as_ref().map_or(opts.limit, |m| m.pool(opts.limit));
        let threads =
            qa::threads_for(index, &parsed, &alternatives, opts, &plan, first_pass.best())
                .map_err(read)?;
        let mut retrieval =
            Retrieval::run(index, &plan, pool, opts.per_doc, threads.answers(), opts.exact_total)
                .map_err(read)?;
        let lift = threads.lift(index, plan.query(), retrieval.take_scored()).map_err(read)?;
        let code = CodeWeight::new(&index.kinds, query);
        let mut ranked = retrieval
            .group(|candidates| {
                lift.apply(candidates);
                code.apply(candidates);
            })
            .map_err(read)?;

        // 4. Rescore by meaning: the pool and the passages closest in meaning, fused, grouped
        //    and cut to the limit.
        let fused = meaning.map(|m| m.rerank(index, &mut ranked, opts.limit, opts.per_doc));
        let fused = fused.unwrap_or_default();

        // 6. Snippets: the hits, highlighted, each explained by the stages that scored it.
        let hits = (ranked.hits.iter().enumerate())
            .map(|(i, c)| {
                let explain = || explanation(index, c, &plan, (&lift, &code), &fused);
                let explanation = opts.explain.then(explain).transpose()?;
                snippets::hit(index, i + 1, c, plan.matches(), opts, explanation)
            })
            .collect::<Result<Vec<_>, _>>()?;

        // After: a corrected query when a word matched nothing (or little was found).
        let did_you_mean =
            suggest::did_you_mean(query, &parsed, &vocabulary, ranked.total).map_err(read)?;
        Ok(SearchResults {
            query: query.to_owned(),
            total: ranked.total,
            total_relation: if ranked.exact { TotalRelation::Eq } else { TotalRelation::Gte },
            hits,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
            did_you_mean,
        })
    }

    /// The passage with id `id` (`{doc_id}#{position}`), if the index has it.
    pub fn passage(&self, id: &str) -> Result<Option<Passage>, QueryError> {
        let s = &self.snapshot;
        let query = raw_term_query(s.schema.passage_id, id);
        let top = s
            .searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .map_err(|e| s.error(e))?;
        top.first().map(|&(_, address)| self.load(address)).transpose()
    }

    /// All passages of the document `doc_id`, in document order; empty if there is none.
    pub fn document(&self, doc_id: &str) -> Result<Vec<Passage>, QueryError> {
        let s = &self.snapshot;
        let query = raw_term_query(s.schema.doc_id, doc_id);
        let addresses = s.searcher.search(&query, &DocSetCollector).map_err(|e| s.error(e))?;
        let mut passages =
            addresses.into_iter().map(|a| self.load(a)).collect::<Result<Vec<_>, _>>()?;
        passages.sort_by_key(|p| p.position);
        Ok(passages)
    }

    /// What the index holds: documents, passages by kind, files, size.
    pub fn stats(&self) -> Result<IndexStats, QueryError> {
        let s = &self.snapshot;
        let read = |e| s.error(e);
        let mut stats = stats::from_manifest(&self.manifest);
        stats.passages = s.searcher.num_docs();
        for kind in kb_schema::Kind::ALL {
            let query = raw_term_query(s.schema.kind, kind.as_str());
            let n = s.searcher.search(&query, &Count).map_err(read)?;
            stats.by_kind.add(kind, n as u64);
        }
        stats.index_bytes = match &self.dir {
            Some(dir) => stats::committed_bytes(s.searcher.index(), dir).map_err(read)?,
            None => 0,
        };
        Ok(stats)
    }

    /// The index directory (`None` for an index in memory).
    pub fn index_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The query synonyms, if any were given.
    fn synonyms(&self) -> Option<&Synonyms> {
        self.synonyms.as_ref()
    }

    /// The plan for `parsed` with its typo and synonym `alternatives` and feedback's
    /// `expansion` (stage 3's query).
    fn plan(
        &self,
        opts: &SearchOptions,
        parsed: &ParsedQuery,
        alternatives: &Alternatives,
        expansion: &[(String, f32)],
    ) -> Plan {
        QueryBuilder::new(&self.snapshot.schema, &opts.weights)
            .with_alternatives(alternatives)
            .with_labels(opts.explain)
            .with_expansion(expansion)
            .build(parsed)
    }

    /// Reads a stored passage.
    fn load(&self, address: DocAddress) -> Result<Passage, QueryError> {
        self.snapshot.load(address)
    }
}

/// How the score of `candidate` was made, each stage that scored it adding its part:
/// retrieval's BM25 tree (of its score before meaning), the Q&A lift's share above it, the
/// weight of code above that, and the fusion with meaning on top.
fn explanation(
    index: &Snapshot,
    candidate: &Candidate,
    plan: &Plan,
    (lift, code): (&Lift, &CodeWeight),
    fused: &HashMap<DocAddress, Fused>,
) -> Result<Explanation, QueryError> {
    let fused = fused.get(&candidate.address);
    if let Some(f) = fused.filter(|f| f.lexical.is_none()) {
        // Found by meaning alone: no lexical score to explain.
        return Ok(f.explain(candidate.score, None));
    }
    let lexical = fused.and_then(|f| f.lexical).unwrap_or(candidate.score);
    let unweighted = lexical / code.of(candidate.address);
    let retrieved =
        plan.explain(&index.searcher, candidate.address, unweighted).map_err(|e| index.error(e))?;
    let lifted = lift.explain(candidate.address, unweighted, retrieved);
    let lifted = code.explain(candidate.address, lexical, lifted);
    Ok(match fused {
        Some(f) => f.explain(candidate.score, Some(lifted)),
        None => lifted,
    })
}

fn raw_term_query(field: Field, value: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)
}
