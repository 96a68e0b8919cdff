//! Stage 3, retrieve: the rewritten query as a tantivy query, run for the best candidates.
//!
//! - [`query`]: parsed clauses, their alternatives and feedback's words -> a [`query::Plan`]:
//!   the tantivy query (BM25 over the passage text plus lower-weighted title, heading and
//!   context, see [`crate::FieldWeights`]) and the [`crate::highlight::MatchSet`] of what to
//!   light up. [`exclude`] and [`labelled`] are wrappers it uses.
//! - [`top`]: runs the plan: the best passages, fetched in rounds until grouping fills the
//!   pool, each round's candidates rescored (the Q&A lift) before they are grouped.
//! - [`dense`]: retrieval by meaning, exact nearest neighbours over the stored embeddings of
//!   every passage (used by `rescore::semantic`), or, for large indexes when asked,
//!   approximate ones by walking an HNSW graph over them (`kb_schema::hnsw`).
//! - [`maxscore`]: the best passages of a plan of words without scoring every match (MaxScore
//!   over the plan's sum of best-field disjunctions), where no exact count is needed.
//! - [`prune`]: an honest total: exact below 10,000 matches, else (for optional words) a
//!   lower bound from the term dictionaries, the ranking pass then running without a count.
//! - [`explain`]: retrieval's part of `--explain`: tantivy's BM25 tree, condensed.

pub(crate) mod dense;
mod exclude;
pub(crate) mod explain;
mod labelled;
pub(crate) mod maxscore;
pub(crate) mod prune;
pub(crate) mod query;
pub(crate) mod top;
