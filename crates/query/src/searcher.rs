//! [`Searcher`]: an open index and the searches and lookups on it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kb_schema::{KbSchema, Manifest, Passage};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, ReloadPolicy, TantivyDocument, Term};

use crate::build::{Plan, QueryBuilder};
use crate::collect::{self, Candidate, DocIds, Ranked};
use crate::highlight::{self, MatchSet};
use crate::parse::{self, Target};
use crate::stats::{self, IndexStats};
use crate::{Hit, QueryError, SearchOptions, SearchResults, Snippet};

/// A snapshot of an index, open for searching.
///
/// Opening never takes the writer lock, so searches work while `kb index` updates the index in
/// another process; they see the last commit made before [`Searcher::open`].
pub struct Searcher {
    dir: PathBuf,
    schema: KbSchema,
    searcher: tantivy::Searcher,
    doc_ids: DocIds,
}

impl Searcher {
    /// Opens the index in `index_dir`.
    ///
    /// Fails if there is no index, if it was written by another kb version, or if it is damaged
    /// (a garbled `meta.json`, a missing or truncated segment file): the error then says so and
    /// that `kb index --rebuild` repairs it.
    pub fn open(index_dir: &Path) -> Result<Searcher, QueryError> {
        let (index, schema) = kb_schema::open_index(index_dir)?;
        let read = |e| QueryError::read(index_dir, e);
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(read)?;
        let searcher = reader.searcher();
        let doc_ids = DocIds::open(&searcher, schema.doc_id).map_err(read)?;
        Ok(Searcher { dir: index_dir.to_path_buf(), schema, searcher, doc_ids })
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
        let plan = QueryBuilder::new(&self.schema, &opts.weights).build(&parsed);
        let read = |e| QueryError::read(&self.dir, e);
        let (ranked, matches) = match plan {
            Plan::Index { query, matches } => {
                let ranked = collect::top(
                    &self.searcher,
                    &self.doc_ids,
                    query.as_ref(),
                    opts.limit,
                    opts.per_doc,
                )
                .map_err(read)?;
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
        let hits = ranked
            .hits
            .into_iter()
            .enumerate()
            .map(|(i, c)| self.hit(i + 1, c, &matches, opts.snippets))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchResults {
            query: query.to_owned(),
            total: ranked.total,
            hits,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
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

    /// Reads a stored passage.
    fn load(&self, address: DocAddress) -> Result<Passage, QueryError> {
        let doc: TantivyDocument =
            self.searcher.doc(address).map_err(|e| QueryError::read(&self.dir, e))?;
        self.schema.from_document(&doc).ok_or_else(|| QueryError::bad_document(&self.dir))
    }

    /// A hit: the stored passage, highlighted.
    fn hit(
        &self,
        rank: usize,
        candidate: Candidate,
        matches: &MatchSet,
        snippets: bool,
    ) -> Result<Hit, QueryError> {
        let p = self.load(candidate.address)?;
        let (highlights, snippet) = if snippets {
            highlight::highlight(&p.text, matches)
        } else {
            (Vec::new(), Snippet { text: String::new(), highlights: Vec::new() })
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
        })
    }
}

fn raw_term_query(field: Field, value: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)
}
