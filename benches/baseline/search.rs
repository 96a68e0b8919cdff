//! Searching the baseline index, one query at a time, each timed.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, ReloadPolicy, TantivyDocument};

use super::PlainSchema;
use crate::support::records::Query;

/// What a batch of searches took.
pub struct SearchFigures {
    /// Wall time of each query, milliseconds, in query order: parsing, the top-k search, loading
    /// each hit's stored document and, with snippets, cutting them.
    pub latencies_ms: Vec<f64>,
    /// Hits returned over all queries.
    pub hits: u64,
}

/// Runs `queries` one after the other against the index in `dir`, `limit` hits each.
pub fn search_all(
    dir: &Path,
    queries: &[Query],
    limit: usize,
    snippets: bool,
) -> Result<SearchFigures, String> {
    let index = Index::open_in_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let s = PlainSchema::of(&index.schema())?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(|e: tantivy::TantivyError| e.to_string())?;
    let searcher = reader.searcher();
    let parser = QueryParser::for_index(&index, vec![s.title, s.text]);
    let mut figures = SearchFigures { latencies_ms: Vec::with_capacity(queries.len()), hits: 0 };
    for q in queries {
        let started = Instant::now();
        // Lenient: questions hold characters of the query grammar ("(are)", "?", quotes).
        let (query, _errors) = parser.parse_query_lenient(&q.text);
        let top = searcher
            .search(&query, &TopDocs::with_limit(limit).order_by_score())
            .map_err(|e| format!("query {}: {e}", q.id))?;
        let generator = if snippets {
            Some(
                SnippetGenerator::create(&searcher, &*query, s.text)
                    .map_err(|e| format!("query {}: {e}", q.id))?,
            )
        } else {
            None
        };
        for (_score, address) in &top {
            let doc: TantivyDocument =
                searcher.doc(*address).map_err(|e| format!("query {}: {e}", q.id))?;
            black_box(doc.get_first(s.id).and_then(|v| v.as_str()).map(str::len));
            if let Some(g) = &generator {
                let snippet = g.snippet_from_doc(&doc);
                black_box((snippet.fragment().len(), snippet.highlighted().len()));
            }
        }
        figures.latencies_ms.push(started.elapsed().as_secs_f64() * 1e3);
        figures.hits += top.len() as u64;
    }
    Ok(figures)
}
