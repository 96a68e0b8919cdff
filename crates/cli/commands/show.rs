//! `kb show ID`: a whole passage or document.

use std::io::Write;
use std::path::Path;

use anyhow::bail;
use kb_query::Searcher;

use super::EXIT_OK;
use crate::args::ShowArgs;
use crate::printer;

pub fn run(index_dir: &Path, args: ShowArgs) -> anyhow::Result<u8> {
    let searcher = Searcher::open(index_dir)?;
    // A passage id (`doc#3`), else a document id, which may contain `#` itself.
    let mut passages: Vec<_> = if args.id.contains('#') {
        searcher.passage(&args.id)?.into_iter().collect()
    } else {
        Vec::new()
    };
    if passages.is_empty() {
        passages = searcher.document(&args.id)?;
    }
    if passages.is_empty() {
        bail!("no passage or document with id {:?} in the index", args.id);
    }
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), anstream::ColorChoice::Auto);
    if args.json {
        printer::json::write_passages(&mut out, &passages)?;
    } else {
        printer::standard::write_passages(&mut out, &passages)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
