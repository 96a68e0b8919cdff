//! kb's ingest side: source files -> passages -> tantivy index.
//!
//! - [`walk`] lists the source files under a folder (or takes one file);
//! - [`formats`] turns one file's bytes into documents made of passages (plain text with inferred
//!   structure, Markdown, JSON / JSON Lines records, HTML);
//! - [`update_index`] (a folder) and [`update()`] (an open index, on disk or in memory) bring an
//!   index up to date with its sources: incremental, atomic, and keeping going past bad files,
//!   which they list in their [`IndexReport`]; with a [`SemanticModel`] they also store every
//!   passage's embedding;
//! - [`push_documents`] and [`remove_documents`] add, replace and remove documents a program
//!   gives as [`formats::Record`]s, which indexing files leaves alone.
//!
//! Building an index from a folder:
//!
//! ```
//! use kb_indexer::{update_index, IndexOptions};
//!
//! let corpus = tempfile::tempdir()?;
//! std::fs::write(corpus.path().join("tea.md"), "# Tea\n\nGreen tea is steamed.\n\n- Black tea is oxidised.\n")?;
//! let index_dir = tempfile::tempdir()?;
//!
//! let report = update_index(index_dir.path(), &[corpus.path().to_path_buf()], &IndexOptions::default(), &mut |_| {})?;
//! assert_eq!((report.added, report.documents, report.passages), (1, 1, 2));
//!
//! // A second run finds nothing to do.
//! let again = update_index(index_dir.path(), &[corpus.path().to_path_buf()], &IndexOptions::default(), &mut |_| {})?;
//! assert_eq!((again.unchanged, again.committed), (1, false));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod faults;
pub mod formats;
pub mod ownership;
mod regular;
mod update;
pub mod walk;

pub use faults::update_index;
pub use ownership::FolderError;
pub use update::{
    push_documents, remove_documents, update, IndexError, IndexOptions, IndexReport, Progress,
    SemanticModel,
};
