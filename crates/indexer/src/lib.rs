//! kb's ingest side: source files -> passages -> tantivy index.
#![deny(missing_docs)]

pub mod formats;
