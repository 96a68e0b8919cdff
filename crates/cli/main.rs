//! The `kb` command: argument parsing, then one command module, then a printer.
//!
//! Data flows sources -> passages -> index (`kb-indexer`) and query -> hits (`kb-query`);
//! this binary only picks paths, calls the libraries and prints.

mod args;
mod commands;
mod model;
mod paths;
mod printer;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Args::parse_from(args::command_line(std::env::args_os()));
    match commands::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "kb: {}{}", message(&err), advice(&err));
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}

/// What to do about a library error, for the few that have a remedy (the library's messages
/// only say what happened).
fn advice(err: &anyhow::Error) -> &'static str {
    match err.chain().find_map(|e| e.downcast_ref::<kb::Error>()) {
        Some(kb::Error::Damaged { .. }) => "; `kb index --rebuild` repairs it",
        Some(kb::Error::OtherVersion { .. }) => "; `kb index --rebuild` rebuilds it",
        Some(kb::Error::Locked(_)) => "; try again when it is done",
        Some(kb::Error::ModelMismatch(_)) => "; `--semantic 0` ranks by words alone",
        Some(kb::Error::ModelUnavailable { .. }) => {
            "; set KB_MODEL_DIR to a folder holding the model, or rank by words with --semantic 0"
        }
        _ => "",
    }
}

/// The error and its causes, `: `-separated, leaving out a cause whose text is already part of
/// the message (tantivy's errors quote their I/O error, which is also their source).
fn message(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

/// A closed pipe (`kb search x | head -1`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
