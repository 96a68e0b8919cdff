//! kb's integration suite: one test executable driving the real `kb` binary in temp dirs.
//!
//! - `util`: the harness (a temp work dir, fixture files, running `kb`, strict JSON types);
//! - `corpus`: the bundled seed corpus end to end (passage counts, ranking, snippets);
//! - `content`: what of a folder of documents is content (boilerplate, duplicates, stubs);
//! - `formats`: each ingest format through `kb index` and `kb search`;
//! - `output`: the JSON contracts and the text output;
//! - `errors`: bad input and bad use, with their messages and exit codes;
//! - `incremental`: `kb index` bringing an index up to date, and its safety under faults;
//! - `eval`: `kb eval` scoring a BEIR-format folder, and `kb run` writing TREC run files;
//! - `features`: typo tolerance, "did you mean", synonyms, Q&A awareness and `--explain`;
//! - `semantic`: semantic indexes and re-ranking by meaning, with a word model the tests write;
//! - `dense`: retrieval by meaning over every passage, and its fusion with the words' ranking;
//! - `library`: the `kb` library as other tools use it, and its JSON equal to the CLI's;
//! - `safety`: nothing lost, nothing hangs: the index folder's files, special files and links,
//!   read-only folders, full disks, the exit-code policy;
//! - `export`: `kb export` for OpenSearch, Quickwit and Meilisearch;
//! - `model`: choosing the embedding model (`--model`, `KB_MODEL_DIR`), pooling modes, and the
//!   error for searching an index with another model;
//! - `serve`: `kb serve` over HTTP: the endpoints, errors, token, load, shutdown;
//! - `mcp`: `kb mcp`, an MCP session over stdio;
//! - `page`: the search page of `kb serve`, over HTTP and in headless Chromium;
//! - `structure`: code blocks, tables and line numbers in long files;
//! - `choosing`: which files `kb index` reads: ignore files, `--glob`, `--no-ignore`, rules kept
//!   per folder;
//! - `habits`: standard input (`kb search -`, `kb index -`), completions, the man page, the
//!   global `--color`, `kb search --oneline`.

mod util;

mod choosing;
mod content;
mod corpus;
mod dense;
mod errors;
mod eval;
mod export;
mod features;
mod formats;
mod habits;
mod incremental;
mod library;
#[cfg(feature = "mcp")]
mod mcp;
mod model;
mod output;
#[cfg(feature = "serve")]
mod page;
mod safety;
mod semantic;
#[cfg(feature = "serve")]
mod serve;
mod structure;
