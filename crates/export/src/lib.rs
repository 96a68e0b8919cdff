//! kb's way off one machine: a committed kb index written out for an existing distributed search
//! engine (OpenSearch or Elasticsearch, Quickwit, Meilisearch), with kb's analysis carried over
//! as far as the engine allows.
//!
//! [`export`] reads the index's last commit segment by segment and document by document (memory
//! stays bounded whatever the index's size) and writes, into an output folder:
//!
//! | [`Target`] | settings | passages |
//! |---|---|---|
//! | [`Target::OpenSearch`] | `index.json`: the create-index body, `{"settings", "mappings"}` | `bulk.ndjson`: `_bulk` action and passage line pairs |
//! | [`Target::Quickwit`] | `index-config.yaml`: the index config and its doc mapping | `docs.ndjson`: one passage a line |
//! | [`Target::Meilisearch`] | `settings.json`: the index settings | `documents.ndjson`: one passage a line |
//!
//! Every passage line has the same keys, each present (null when empty): `passage_id`, `doc_id`,
//! `doc_title`, `kind`, `heading`, `text`, `context` (an answer's question), `source` (`{"path",
//! "line"}`), and on a semantic index the embedding (`vector`, or `_vectors` for Meilisearch).
//! Meilisearch lines also carry `id`, the passage id in the characters Meilisearch allows
//! ([`meilisearch_id`]). The modules say what each engine's settings hold and what of kb's
//! analysis they cannot express:
//!
//! - [`opensearch`]: kb's analyzer rebuilt from Lucene filters (Unicode words, possessives,
//!   folding, kb's stop words, a `stemmer_override` holding kb's irregular forms, Porter2, a
//!   `synonym_graph` at search time), field weights in `_meta`, `knn_vector` when semantic;
//! - [`quickwit`]: the doc mapping with the closest tokenizer Quickwit offers;
//! - [`meilisearch`]: searchable attributes in kb's order, synonyms, typo tolerance, filters, a
//!   `userProvided` embedder when semantic.
//!
//! Synonyms come from [`synonyms`]: the index's manifest when it records them, else the corpus
//! folder's `synonyms.txt`.
//!
//! ```
//! use kb_export::{export, ExportOptions, Target};
//! use kb_indexer::{update_index, IndexOptions};
//!
//! let corpus = tempfile::tempdir()?;
//! std::fs::write(corpus.path().join("tea.md"), "# Tea\n\nGreen tea is steamed.\n\n- Black tea is oxidised.\n")?;
//! std::fs::write(corpus.path().join("synonyms.txt"), "tea, chai\n")?;
//! let index = tempfile::tempdir()?;
//! update_index(index.path(), &[corpus.path().to_path_buf()], &IndexOptions::default(), &mut |_| {})?;
//!
//! let out = tempfile::tempdir()?;
//! let options = ExportOptions { corpus: Some(corpus.path().to_path_buf()) };
//! let report = export(index.path(), Target::Meilisearch, out.path(), &options)?;
//! assert_eq!((report.passages, report.synonym_groups), (2, 1));
//!
//! // One passage a line, its id re-encoded for Meilisearch ('#' is byte 0x23).
//! let documents = std::fs::read_to_string(out.path().join("documents.ndjson"))?;
//! let lines: Vec<serde_json::Value> =
//!     documents.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
//! let green = lines.iter().find(|p| p["text"] == "Green tea is steamed.").unwrap();
//! assert_eq!((&green["id"], &green["passage_id"]), (&"tea_230".into(), &"tea#0".into()));
//! assert_eq!(green["heading"], serde_json::Value::Null);
//! let settings: serde_json::Value =
//!     serde_json::from_str(&std::fs::read_to_string(out.path().join("settings.json"))?)?;
//! assert_eq!(settings["synonyms"]["tea"][0], "chai");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod analysis;
mod error;
mod files;
mod ids;
mod lines;
pub mod meilisearch;
pub mod opensearch;
pub mod quickwit;
mod read;
mod synonyms_source;
mod yaml;

use std::path::{Path, PathBuf};
use std::time::Instant;

use kb_query::synonyms::SkippedLine;
use tantivy::ReloadPolicy;

pub use error::ExportError;
pub use ids::meilisearch_id;
pub use synonyms_source::{synonyms, SynonymsFrom};

/// The engine an export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// OpenSearch (and, but for the vector field, Elasticsearch): `index.json`, `bulk.ndjson`.
    OpenSearch,
    /// Quickwit: `index-config.yaml`, `docs.ndjson`.
    Quickwit,
    /// Meilisearch: `settings.json`, `documents.ndjson`.
    Meilisearch,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [Target::OpenSearch, Target::Quickwit, Target::Meilisearch];

    /// The target's name on the command line: `opensearch`, `quickwit`, `meilisearch`.
    pub fn name(self) -> &'static str {
        match self {
            Target::OpenSearch => "opensearch",
            Target::Quickwit => "quickwit",
            Target::Meilisearch => "meilisearch",
        }
    }

    /// The files an export for this target writes, settings first, then passages.
    pub fn files(self) -> [&'static str; 2] {
        match self {
            Target::OpenSearch => ["index.json", "bulk.ndjson"],
            Target::Quickwit => ["index-config.yaml", "docs.ndjson"],
            Target::Meilisearch => ["settings.json", "documents.ndjson"],
        }
    }
}

/// How to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The corpus folder whose `synonyms.txt` is used when the index's manifest records no
    /// synonyms (see [`synonyms`]). `None`: no synonyms unless the manifest has them.
    pub corpus: Option<PathBuf>,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct ExportReport {
    /// The engine it is for.
    pub target: Target,
    /// Passages written: the passages of the index's last commit (what `kb stats` counts).
    pub passages: u64,
    /// The files written, settings first.
    pub files: Vec<PathBuf>,
    /// The dimension of the embeddings written, on a semantic index (`None`: lexical).
    pub dimension: Option<usize>,
    /// Synonym groups put into the settings.
    pub synonym_groups: usize,
    /// Where the synonyms came from.
    pub synonyms_from: SynonymsFrom,
    /// Lines of the synonyms that could not be used, with the reason (also skipped by `kb search`).
    pub synonyms_skipped: Vec<SkippedLine>,
    /// Wall time, milliseconds.
    pub took_ms: f64,
}

/// Exports the committed index in `index_dir` for `target` into `out_dir` (created if needed).
///
/// Files are written under temporary names and renamed into place once complete, so a reader
/// never sees half a file. A file of the same name already in `out_dir` is replaced only when
/// an earlier export wrote it and it has not changed since (the folder's `.kb-export.json`
/// records what kb wrote); anything else there makes the export fail before it writes a byte.
pub fn export(
    index_dir: &Path,
    target: Target,
    out_dir: &Path,
    options: &ExportOptions,
) -> Result<ExportReport, ExportError> {
    let started = Instant::now();
    let (index, schema, manifest) = kb_schema::open_index_with_manifest(index_dir)?;
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    let searcher = reader.searcher();
    let (synonyms, synonyms_from) = synonyms(&manifest, options.corpus.as_deref())?;
    let dimension = if manifest.semantic.is_some() {
        read::vector_dimension(&searcher, &schema)?
    } else {
        None
    };
    let settings = analysis::Settings {
        synonyms: synonyms
            .member_texts()
            .map(|g| g.into_iter().map(str::to_owned).collect())
            .collect(),
        dimension,
        model: manifest.semantic.clone(),
    };
    let [settings_name, passages_name] = target.files();
    let out = files::Output::open(out_dir, &target.files())?;

    let mut passages_file = out.create(passages_name)?;
    let mut line = Vec::with_capacity(4096);
    let passages = read::for_each_passage(&searcher, &schema, dimension, |p| {
        line.clear();
        lines::write(target, p, &mut line);
        passages_file.write_all(&line)
    })?;
    let settings_text = match target {
        Target::OpenSearch => pretty(&opensearch::index_body(&settings)),
        Target::Quickwit => quickwit::index_config(&settings),
        Target::Meilisearch => pretty(&meilisearch::settings(&settings)),
    };
    let mut settings_file = out.create(settings_name)?;
    settings_file.write_all(settings_text.as_bytes())?;
    let files = out.commit(vec![settings_file, passages_file])?;
    Ok(ExportReport {
        target,
        passages,
        files,
        dimension,
        synonym_groups: settings.synonyms.len(),
        synonyms_from,
        synonyms_skipped: synonyms.skipped().to_vec(),
        took_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// A JSON value pretty-printed, with a final newline.
fn pretty(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("a JSON value always serializes");
    s.push('\n');
    s
}
