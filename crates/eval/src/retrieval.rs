//! The ranking step: queries in, ranked documents out, each query timed.
//!
//! Everything kb-eval measures goes through [`rank`], so a ranking experiment changes the
//! [`SearchOptions`] it is given (or this one function) and nothing else.

use std::time::Instant;

use kb_query::{SearchOptions, SearchResults, Searcher};

use crate::queries::Query;
use crate::ranking::Ranking;
use crate::run_file::Run;
use crate::EvalError;

/// The search options for evaluation: `limit` documents (at least [`RECALL_AT`](crate::metrics::RECALL_AT) for a
/// meaningful Recall@100), one passage per document so each document is ranked by its best
/// passage (MaxP), and no snippets, which evaluation never shows.
pub fn eval_search_options(limit: usize) -> SearchOptions {
    SearchOptions { limit, per_doc: 1, snippets: false, ..SearchOptions::default() }
}

/// Ranks the indexed documents for one query. A document is scored by its best passage (MaxP),
/// whatever `opts.per_doc` is. Blank query text retrieves nothing, without searching.
pub fn rank(
    searcher: &Searcher,
    query: &Query,
    opts: &SearchOptions,
) -> Result<Ranking, EvalError> {
    rank_with(query, &mut |text| searcher.search(text, opts))
}

/// [`rank`] through any search function (a `kb::Kb`'s, say) with the options it was made
/// with.
pub fn rank_with<E: std::error::Error + Send + Sync + 'static>(
    query: &Query,
    search: &mut dyn FnMut(&str) -> Result<SearchResults, E>,
) -> Result<Ranking, EvalError> {
    if query.text.trim().is_empty() {
        return Ok(Ranking::default());
    }
    let results = search(&query.text)
        .map_err(|e| EvalError::Search { query_id: query.id.clone(), source: Box::new(e) })?;
    Ok(Ranking::from_scores(results.hits.into_iter().map(|h| (h.doc_id, h.score))))
}

/// A batch of rankings and how long each query took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimedRun {
    /// The rankings, by query.
    pub run: Run,
    /// Wall time of each query in milliseconds, in query order.
    pub latencies_ms: Vec<f64>,
}

/// Runs `queries` one after the other through [`rank`] with `opts` (one at a time, so each
/// latency is that of a query alone).
pub fn run_queries(
    searcher: &Searcher,
    queries: &[Query],
    opts: &SearchOptions,
) -> Result<TimedRun, EvalError> {
    run_with(queries, &mut |q| rank(searcher, q, opts))
}

/// Runs `queries` through any ranking function, timing each call.
pub fn run_with(
    queries: &[Query],
    rank: &mut dyn FnMut(&Query) -> Result<Ranking, EvalError>,
) -> Result<TimedRun, EvalError> {
    let mut timed = TimedRun::default();
    for query in queries {
        let started = Instant::now();
        let ranking = rank(query)?;
        timed.latencies_ms.push(started.elapsed().as_secs_f64() * 1e3);
        timed.run.insert(&query.id, ranking);
    }
    Ok(timed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_with_times_every_query_and_keeps_their_order() {
        let queries: Vec<Query> = ["b", "a", "c"]
            .iter()
            .map(|id| Query { id: (*id).into(), text: format!("text {id}") })
            .collect();
        let timed = run_with(&queries, &mut |q| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            Ok(Ranking::from_scores([(format!("doc-{}", q.id), 1.0)]))
        })
        .unwrap();
        assert_eq!(timed.latencies_ms.len(), 3);
        assert!(timed.latencies_ms.iter().all(|&ms| ms >= 2.0), "{:?}", timed.latencies_ms);
        let order: Vec<&str> = timed.run.iter().map(|(q, _)| q).collect();
        assert_eq!(order, ["b", "a", "c"]);
        assert_eq!(timed.run.get("a").unwrap().docs()[0].doc_id, "doc-a");
    }

    #[test]
    fn a_failing_query_stops_the_run() {
        let queries = vec![Query { id: "q1".into(), text: "x".into() }];
        let err = run_with(&queries, &mut |q| {
            Err(EvalError::Search { query_id: q.id.clone(), source: "boom".into() })
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "query q1: boom");
    }
}
