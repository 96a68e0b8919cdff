//! `kb search`: builds the index on first use, searches, prints.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context};
use kb::SearchOptions;

use super::{EXIT_NO_HITS, EXIT_OK};
use crate::args::SearchArgs;
use crate::{model, paths, printer};

pub fn run(index_dir: &Path, args: SearchArgs) -> anyhow::Result<u8> {
    let query = if args.query == ["-"] { query_from_stdin()? } else { args.query.join(" ") };
    if query.trim().is_empty() {
        bail!("the query is empty: give words to search for, e.g. kb search \"calf reduction\"");
    }
    ensure_index(index_dir, args.corpus.as_deref())?;
    let kb = super::open(index_dir, args.model.as_deref())?;
    let mut opts = SearchOptions {
        limit: args.limit,
        kind: args.kind.map(Into::into),
        doc: args.doc.clone(),
        per_doc: args.per_doc,
        explain: args.explain,
        exact_total: args.exact_total,
        ..SearchOptions::default()
    };
    opts.feedback.weight = args.feedback;
    opts.semantic.weight = args.semantic;
    args.dense.apply(&mut opts.semantic);
    if opts.semantic.weight > 0.0 && kb.semantic_model()?.is_some() {
        model::announce_download_for(&kb);
    }
    let results = kb.search(&query, &opts)?;
    let mut out = super::stdout();
    if args.json {
        printer::json::write_search(&mut out, &results)?;
    } else if args.oneline {
        printer::standard::write_search_oneline(&mut out, &results)?;
        // For people, on stderr: stdout holds the hits only.
        if let Some(suggestion) = results.did_you_mean.as_ref().filter(|_| !super::quiet()) {
            eprintln!("kb: did you mean: {suggestion}?");
        }
    } else {
        printer::standard::write_search(&mut out, &results)?;
    }
    out.flush()?;
    Ok(if results.hits.is_empty() { EXIT_NO_HITS } else { EXIT_OK })
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
    if !super::quiet() {
        eprintln!(
            "kb: no index at {} yet; building it from {}",
            index_dir.display(),
            corpus.display()
        );
    }
    let corpus = std::slice::from_ref(&corpus);
    let report = super::index::build(index_dir, corpus, &kb::IndexOptions::default(), None)
        .with_context(|| format!("cannot build the index from {}", corpus[0].display()))?;
    if !super::quiet() {
        eprintln!(
            "kb: indexed {} documents, {} passages in {:.0} ms",
            report.documents, report.passages, report.took_ms
        );
    }
    Ok(())
}

/// `kb search -`: the query is standard input, its lines joined by spaces.
fn query_from_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_to_string(&mut text)
        .context("cannot read the query from standard input")?;
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}
