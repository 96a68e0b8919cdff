//! `kb stats`: what the index holds.

use std::io::Write;
use std::path::Path;

use kb_query::Searcher;

use super::EXIT_OK;
use crate::args::StatsArgs;
use crate::printer;

pub fn run(index_dir: &Path, args: StatsArgs) -> anyhow::Result<u8> {
    let searcher = Searcher::open(index_dir)?;
    let stats = searcher.stats()?;
    let mut out = std::io::stdout().lock();
    if args.json {
        printer::json::write_stats(&mut out, &stats, args.files)?;
    } else {
        printer::standard::write_stats(&mut out, &stats, args.files)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
