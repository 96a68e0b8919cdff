//! `kb completions SHELL` and `kb man [COMMAND]`: generated from the same clap definitions that
//! parse the command line, so they never disagree with it.

use std::io::Write;

use anyhow::bail;
use clap::CommandFactory;

use super::EXIT_OK;
use crate::args::{Args, CompletionsArgs, ManArgs};

/// Prints the completion script for the shell asked for.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut Args::command(), "kb", &mut out);
    out.flush()?;
    Ok(EXIT_OK)
}

/// Prints the manual page of kb, or of one of its commands (`kb-index(1)`), in roff.
pub fn man(args: ManArgs) -> anyhow::Result<u8> {
    let mut kb = Args::command();
    kb.build();
    let page = match &args.command {
        None => kb,
        Some(name) => {
            let Some(sub) = kb.find_subcommand(name) else {
                let names: Vec<&str> = kb.get_subcommands().map(|c| c.get_name()).collect();
                bail!("no command {name:?}; the commands are {}", names.join(", "));
            };
            // Built with its parent: named kb-index, used as `kb index`.
            sub.clone()
        }
    };
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(page).render(&mut out)?;
    out.flush()?;
    Ok(EXIT_OK)
}
