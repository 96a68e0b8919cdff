//! `kb search`: builds the index on first use, searches, prints.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use kb_indexer::IndexOptions;
use kb_query::{SearchOptions, Searcher, Synonyms};

use super::{EXIT_NO_HITS, EXIT_OK};
use crate::args::SearchArgs;
use crate::{model, paths, printer};

/// The synonyms file at the top of a corpus folder (the indexer skips it as configuration).
const SYNONYMS_FILE: &str = "synonyms.txt";

pub fn run(index_dir: &Path, args: SearchArgs) -> anyhow::Result<u8> {
    let query = args.query.join(" ");
    if query.trim().is_empty() {
        bail!("the query is empty: give words to search for, e.g. kb search \"calf reduction\"");
    }
    ensure_index(index_dir, args.corpus.as_deref())?;
    let searcher = open_searcher(index_dir, args.semantic, args.model.as_deref())?;
    let searcher = match load_synonyms(&paths::corpus_dir(args.corpus.as_deref())) {
        Some(synonyms) => searcher.with_synonyms(synonyms),
        None => searcher,
    };
    let mut opts = SearchOptions {
        limit: args.limit,
        kind: args.kind.map(Into::into),
        doc: args.doc.clone(),
        per_doc: args.per_doc,
        explain: args.explain,
        ..SearchOptions::default()
    };
    opts.feedback.weight = args.feedback;
    opts.semantic.weight = args.semantic;
    let results = searcher.search(&query, &opts)?;
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), color_choice(args.color));
    if args.json {
        printer::json::write_search(&mut out, &results)?;
    } else {
        printer::standard::write_search(&mut out, &results)?;
    }
    out.flush()?;
    Ok(if results.hits.is_empty() { EXIT_NO_HITS } else { EXIT_OK })
}

/// Opens the index for searching; a semantic index with its embedding model (`model_dir`, else
/// the index's own: see [`model::for_search`]), unless `semantic_weight` turns semantic ranking
/// off.
pub(crate) fn open_searcher(
    index_dir: &Path,
    semantic_weight: f32,
    model_dir: Option<&Path>,
) -> anyhow::Result<Searcher> {
    let searcher = Searcher::open(index_dir)?;
    if semantic_weight <= 0.0 {
        return Ok(searcher);
    }
    match model::for_search(index_dir, searcher.semantic_model(), model_dir)? {
        Some(model) => Ok(searcher.with_embedder(model.embedder)?),
        None => Ok(searcher),
    }
}

/// The corpus's `synonyms.txt`, if it has one. A file that cannot be read, and lines that
/// cannot be used, are reported on stderr (with their line) and searching goes on without them.
fn load_synonyms(corpus: &Path) -> Option<Synonyms> {
    let path = corpus.join(SYNONYMS_FILE);
    if !path.is_file() {
        return None;
    }
    match Synonyms::load(&path) {
        Ok(synonyms) => {
            let shown = paths::display_path(&path.to_string_lossy());
            for skipped in synonyms.skipped() {
                eprintln!("kb: {shown}:{}: line ignored: {}", skipped.line, skipped.reason);
            }
            Some(synonyms)
        }
        Err(err) => {
            eprintln!("kb: {err}; searching without synonyms");
            None
        }
    }
}

/// Builds the index from the corpus when there is none yet ("builds itself on first use").
pub(crate) fn ensure_index(index_dir: &Path, corpus: Option<&Path>) -> anyhow::Result<()> {
    if kb_schema::index_exists(index_dir) {
        return Ok(());
    }
    let corpus = paths::corpus_dir(corpus);
    if !corpus.exists() {
        bail!(
            "no index at {} and no corpus at {} to build one from; run `kb index PATH...` first",
            index_dir.display(),
            corpus.display()
        );
    }
    eprintln!("kb: no index at {} yet; building it from {}", index_dir.display(), corpus.display());
    let report =
        super::index::build(index_dir, std::slice::from_ref(&corpus), &IndexOptions::default())
            .with_context(|| format!("cannot build the index from {}", corpus.display()))?;
    eprintln!(
        "kb: indexed {} documents, {} passages in {:.0} ms",
        report.documents, report.passages, report.took_ms
    );
    Ok(())
}

fn color_choice(arg: crate::args::ColorArg) -> anstream::ColorChoice {
    match arg {
        crate::args::ColorArg::Auto => anstream::ColorChoice::Auto,
        crate::args::ColorArg::Always => anstream::ColorChoice::Always,
        crate::args::ColorArg::Never => anstream::ColorChoice::Never,
    }
}
