//! `kb stats`: what the index holds.

use std::io::Write;
use std::path::Path;

use kb::Kb;

use super::EXIT_OK;
use crate::args::StatsArgs;
use crate::printer;

pub fn run(index_dir: &Path, args: StatsArgs) -> anyhow::Result<u8> {
    let kb = Kb::open(index_dir)?;
    let stats = if args.files { kb.stats_with_files()? } else { kb.stats()? };
    let mut out = std::io::stdout().lock();
    if args.json {
        printer::json::write_stats(&mut out, &stats)?;
    } else {
        printer::standard::write_stats(&mut out, &stats)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
