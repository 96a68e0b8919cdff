//! One module a command. Each returns the process exit code.

mod eval;
mod index;
#[cfg(any(feature = "serve", feature = "mcp"))]
mod live;
#[cfg(feature = "mcp")]
mod mcp;
mod run;
mod search;
#[cfg(feature = "serve")]
pub mod serve;
mod show;
mod stats;

use crate::args::{Args, Command};
use crate::paths;

/// Exit code: success (for `search`, hits were found).
pub const EXIT_OK: u8 = 0;
/// Exit code of `search` when nothing matched.
pub const EXIT_NO_HITS: u8 = 1;
/// Exit code on error, and of `index` when something was skipped.
pub const EXIT_ERROR: u8 = 2;

/// Runs the command the arguments name.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let index_dir = paths::index_dir(args.index.as_deref());
    match args.command {
        Command::Index(a) => index::run(&index_dir, a),
        Command::Search(a) => search::run(&index_dir, a),
        Command::Show(a) => show::run(&index_dir, a),
        Command::Stats(a) => stats::run(&index_dir, a),
        Command::Eval(a) => eval::run(a),
        Command::Run(a) => run::run(&index_dir, a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(&index_dir, a),
        #[cfg(feature = "mcp")]
        Command::Mcp => mcp::run(&index_dir),
    }
}
