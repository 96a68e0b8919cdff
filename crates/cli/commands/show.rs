//! `kb show ID`: a whole passage or document.

use std::io::Write;
use std::path::Path;

use anyhow::bail;
use kb::Kb;

use super::EXIT_OK;
use crate::args::ShowArgs;
use crate::printer;

pub fn run(index_dir: &Path, args: ShowArgs) -> anyhow::Result<u8> {
    let kb = Kb::open(index_dir)?;
    let Some(shown) = kb.show(&args.id)? else {
        bail!("no passage or document with id {:?} in the index", args.id);
    };
    let mut out = super::stdout();
    if args.json {
        printer::json::write_passages(&mut out, &shown)?;
    } else {
        printer::standard::write_passages(&mut out, &shown.passages)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
