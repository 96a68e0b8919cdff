//! One module a command. Each returns the process exit code.

mod eval;
mod export;
mod generate;
mod index;
#[cfg(any(feature = "serve", feature = "mcp"))]
mod live;
#[cfg(feature = "mcp")]
pub mod mcp;
mod run;
mod search;
#[cfg(feature = "serve")]
pub mod serve;
mod show;
mod stats;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use kb::Kb;

use crate::args::{Args, ColorArg, Command};
use crate::paths;

/// Exit code: success (for `search`, hits were found).
pub const EXIT_OK: u8 = 0;
/// Exit code of `search` when nothing matched.
pub const EXIT_NO_HITS: u8 = 1;
/// Exit code on error, and of `index` when a file failed to be indexed.
pub const EXIT_ERROR: u8 = 2;

/// `-q/--quiet`: no progress and no notes.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Whether progress and notes are to be left out (`-q/--quiet`).
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `--color` (any command): 0 auto, 1 always, 2 never.
static COLOR: AtomicU8 = AtomicU8::new(0);

/// When to color standard output (`--color`).
pub fn color() -> anstream::ColorChoice {
    match COLOR.load(Ordering::Relaxed) {
        1 => anstream::ColorChoice::Always,
        2 => anstream::ColorChoice::Never,
        _ => anstream::ColorChoice::Auto,
    }
}

/// Standard output, colored as `--color` says (styles are stripped when color is off).
pub fn stdout() -> anstream::AutoStream<std::io::StdoutLock<'static>> {
    anstream::AutoStream::new(std::io::stdout().lock(), color())
}

/// Runs the command the arguments name.
pub fn run(args: Args) -> anyhow::Result<u8> {
    QUIET.store(args.quiet, Ordering::Relaxed);
    let color = match args.color {
        ColorArg::Auto => 0,
        ColorArg::Always => 1,
        ColorArg::Never => 2,
    };
    COLOR.store(color, Ordering::Relaxed);
    let index_dir = paths::index_dir(args.index.as_deref());
    match args.command {
        Command::Index(a) => index::run(&index_dir, a),
        Command::Search(a) => search::run(&index_dir, a),
        Command::Show(a) => show::run(&index_dir, a),
        Command::Stats(a) => stats::run(&index_dir, a),
        Command::Eval(a) => eval::run(a),
        Command::Run(a) => run::run(&index_dir, a),
        Command::Export(a) => export::run(&index_dir, a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(&index_dir, a),
        #[cfg(feature = "mcp")]
        Command::Mcp(a) => mcp::run(&index_dir, a),
        Command::Completions(a) => generate::completions(a),
        Command::Man(a) => generate::man(a),
    }
}

/// Opens the index in `index_dir` through the library, with the model `--model` names.
pub fn open(index_dir: &Path, model_dir: Option<&Path>) -> kb::Result<Kb> {
    Kb::open(index_dir).map(|kb| with_model(kb, model_dir))
}

/// Opens (or creates) the index in `index_dir`, with the model `--model` names.
pub fn open_or_create(index_dir: &Path, model_dir: Option<&Path>) -> kb::Result<Kb> {
    Kb::open_or_create(index_dir).map(|kb| with_model(kb, model_dir))
}

fn with_model(kb: Kb, model_dir: Option<&Path>) -> Kb {
    match model_dir {
        Some(dir) => kb.with_model_dir(dir),
        None => kb,
    }
}
