//! Stage 2, rewrite: more ways for a query to match than its words as typed.
//!
//! - [`typos`]: close spellings of words the index lacks ([`crate::SearchOptions::typos`]);
//! - [`synonyms`]: the other members of a word's synonym group
//!   ([`crate::Searcher::with_synonyms`]);
//!
//! both become [`Alternatives`] of the query's clauses ([`alternatives`]): extra,
//! lower-weighted ways for a clause to match, which retrieval ORs with the clause and the
//! highlighter lights like the words themselves. Then, for a query of plain words,
//! - [`feedback`]: the most likely words of a first pass's best passages join the query.

pub(crate) mod alternatives;
pub(crate) mod feedback;
pub mod synonyms;
pub(crate) mod typos;

pub(crate) use alternatives::{Alternative, Alternatives};

use crate::options::SearchOptions;
use crate::parse::ParsedQuery;
use synonyms::Synonyms;
use typos::Vocabulary;

/// The typo and synonym alternatives of `parsed`'s clauses: close spellings when `opts` ask
/// for them, and synonyms when there are any.
pub(crate) fn alternatives(
    parsed: &ParsedQuery,
    vocabulary: &Vocabulary<'_>,
    synonyms: Option<&Synonyms>,
    opts: &SearchOptions,
) -> tantivy::Result<Alternatives> {
    alternatives::alternatives(parsed, opts.typos.then_some(vocabulary), synonyms)
}
