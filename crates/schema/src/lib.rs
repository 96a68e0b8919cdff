//! The contract between kb's index time and query time.
//!
//! Everything both sides must agree on lives here, so that a passage is tokenized the same way
//! when it is indexed and when it is searched:
//!
//! - [`Passage`]: the unit of retrieval (a paragraph, a list item, a question or one answer) and
//!   its conversion to and from a tantivy document;
//! - [`KbSchema`]: the tantivy schema and the handles of its fields;
//! - [`analyzer`]: the `kb_en` text analyzer (Unicode words, lowercasing, ASCII folding, stop
//!   words, irregular plurals, English stemming), and `kb_stop`, which keeps the words `kb_en`
//!   drops so that a query of stop words only has postings to search;
//! - [`Manifest`]: the record of which source files are in the index, committed atomically with
//!   the index as tantivy's commit payload;
//! - [`open_index`] / [`create_index`]: the only way to get an [`tantivy::Index`], because they
//!   always register the analyzer (tantivy stores only its name).
//!
//! ```
//! use kb_schema::{analyzer, Kind, Passage, SourceRef};
//!
//! // "calf" and "calves" reduce to the same term, at index time and at query time.
//! assert_eq!(analyzer::terms("Calves"), analyzer::terms("calf"));
//!
//! let passage = Passage {
//!     id: "calf-reduction#2".into(),
//!     doc_id: "calf-reduction".into(),
//!     doc_title: "Calf Reduction".into(),
//!     kind: Kind::Article,
//!     heading: None,
//!     position: 2,
//!     text: "Botox injections are not permanent.".into(),
//!     context: None,
//!     source: SourceRef { path: "corpus/calf-reduction.txt".into(), line: 11 },
//! };
//! let schema = kb_schema::KbSchema::new();
//! let doc = schema.to_document(&passage);
//! assert_eq!(schema.from_document(&doc).unwrap(), passage);
//! ```
#![deny(missing_docs)]

pub mod analyzer;
mod error;
mod fields;
pub mod hnsw;
mod manifest;
mod open;
mod passage;
mod readonly;
pub mod vector;

pub use error::OpenError;
pub use fields::KbSchema;
pub use manifest::{
    ContentRecord, FileEntry, Manifest, ModelRecord, SkipKind, SkipRecord, WalkRules,
};
pub use open::{
    create_index, create_index_in_ram, index_exists, open_index, open_index_for_reading,
    open_index_with_manifest, open_or_create_index,
};
pub use passage::{Kind, Passage, SourceRef};

/// Bumped whenever the schema, the analyzer or the passage splitting changes in a way that makes
/// an existing index disagree with what this build would write. An index with another version is
/// rebuilt from scratch.
pub const SCHEMA_VERSION: u32 = 5;
