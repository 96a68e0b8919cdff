//! `kb export --to ENGINE OUT_DIR`: the index written out for a distributed search engine.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use kb_export::{ExportOptions, SynonymsFrom, Target};

use super::EXIT_OK;
use crate::args::{ExportArgs, ExportTarget};
use crate::paths;

pub fn run(index_dir: &Path, args: ExportArgs) -> anyhow::Result<u8> {
    let target = match args.to {
        ExportTarget::Opensearch => Target::OpenSearch,
        ExportTarget::Quickwit => Target::Quickwit,
        ExportTarget::Meilisearch => Target::Meilisearch,
    };
    let options = ExportOptions { corpus: Some(paths::corpus_dir(args.corpus.as_deref())) };
    let report = kb_export::export(index_dir, target, &args.out_dir, &options)
        .with_context(|| format!("cannot export {} for {}", index_dir.display(), target.name()))?;
    if let SynonymsFrom::File(path) = &report.synonyms_from {
        let shown = paths::display_path(&path.to_string_lossy());
        for skipped in &report.synonyms_skipped {
            eprintln!("kb: {shown}:{}: line ignored: {}", skipped.line, skipped.reason);
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "exported {} passages for {} in {:.0} ms",
        report.passages,
        target.name(),
        report.took_ms
    )?;
    for file in &report.files {
        writeln!(out, "  {}", file.display())?;
    }
    let synonyms = match &report.synonyms_from {
        SynonymsFrom::Manifest => "from the index".to_owned(),
        SynonymsFrom::File(path) => {
            format!("from {}", paths::display_path(&path.to_string_lossy()))
        }
        SynonymsFrom::Nowhere => "none found".to_owned(),
    };
    writeln!(out, "synonyms: {} groups ({synonyms})", report.synonym_groups)?;
    match report.dimension {
        Some(dim) => writeln!(out, "vectors: {dim} dimensions")?,
        None => writeln!(out, "vectors: none (a lexical index)")?,
    }
    out.flush()?;
    Ok(EXIT_OK)
}
