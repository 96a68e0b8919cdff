//! The plain-tantivy baseline as a command (see `baseline/mod.rs` for what it does):
//!
//! ```text
//! cargo bench --bench plain_tantivy -- index --index /tmp/plain ../shared/eval/medquad/medquad-qa.jsonl
//! cargo bench --bench plain_tantivy -- search --index /tmp/plain --queries questions.jsonl [--snippets]
//! ```
//!
//! Each prints a table and one JSON line. `cargo bench --bench e2e` runs both against kb.

mod baseline;
mod support;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    baseline::main(&args)
}
