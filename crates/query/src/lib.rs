//! kb's query side: query text -> ranked passages with highlighted snippets.
#![deny(missing_docs)]

mod hit;

pub use hit::{Hit, SearchResults, Snippet};
