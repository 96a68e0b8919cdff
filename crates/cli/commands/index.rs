//! `kb index`: bring the index up to date, with a progress bar and a summary.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kb_indexer::{update_index, IndexOptions, IndexReport, Progress};
use notify::{RecursiveMode, Watcher};

use super::{EXIT_ERROR, EXIT_OK};
use crate::args::IndexArgs;
use crate::{model, paths, printer};

pub fn run(index_dir: &Path, args: IndexArgs) -> anyhow::Result<u8> {
    let roots =
        if args.paths.is_empty() { vec![paths::corpus_dir(None)] } else { args.paths.clone() };
    // Semantic until told otherwise: an index built with --semantic stays so.
    let semantic = if args.lexical {
        None
    } else if args.semantic {
        Some(model::load(args.model.as_deref())?)
    } else {
        model::for_index(index_dir, args.model.as_deref())?
    };
    let opts = IndexOptions {
        rebuild: args.rebuild,
        memory_budget: args.memory_mb.saturating_mul(1 << 20),
        semantic,
        ..IndexOptions::default()
    };
    let report = build(index_dir, &roots, &opts)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        printer::json::write_index_report(&mut out, &report)?;
    } else {
        printer::standard::write_index_report(&mut out, &report)?;
    }
    out.flush()?;
    drop(out);
    if args.watch {
        return watch(index_dir, &roots, &opts, args.json);
    }
    Ok(if report.skipped.is_empty() { EXIT_OK } else { EXIT_ERROR })
}

/// How long the files must stay quiet before a change is indexed.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Re-indexes whenever files under `roots` change, until the process is interrupted. A run cut
/// short by Ctrl-C leaves the last commit intact, like any interrupted `kb index`.
fn watch(
    index_dir: &Path,
    roots: &[PathBuf],
    opts: &IndexOptions,
    json: bool,
) -> anyhow::Result<u8> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })
    .context("cannot watch for file changes")?;
    for root in roots {
        watcher
            .watch(root, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", root.display()))?;
    }
    eprintln!("kb: watching {} for changes (Ctrl-C to stop)", list(roots));
    // Events carry absolute paths (symlinks resolved): compare them with the canonical roots.
    let watched: Vec<PathBuf> =
        roots.iter().map(|r| r.canonicalize().unwrap_or_else(|_| r.clone())).collect();
    let opts = IndexOptions { rebuild: false, ..opts.clone() };
    loop {
        let mut relevant = false;
        let Ok(first) = rx.recv() else { return Ok(EXIT_OK) };
        relevant |= is_relevant(&first, &watched);
        loop {
            match rx.recv_timeout(DEBOUNCE) {
                Ok(event) => relevant |= is_relevant(&event, &watched),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(EXIT_OK),
            }
        }
        if !relevant {
            continue;
        }
        match build(index_dir, roots, &opts) {
            Ok(report) => {
                let mut out = std::io::stdout().lock();
                if json {
                    printer::json::write_index_report(&mut out, &report)?;
                } else {
                    printer::standard::write_index_report(&mut out, &report)?;
                }
                out.flush()?;
            }
            // Keep watching: the next change may succeed (e.g. another writer finished).
            Err(err) => eprintln!("kb: {err:#}"),
        }
    }
}

/// A change worth re-indexing for: not an access, and not under a hidden path below a watched
/// root (such as the index itself, when it lives inside the watched folder). Only the part of the
/// path below the root counts: the root itself may well sit under a hidden folder.
fn is_relevant(event: &notify::Result<notify::Event>, roots: &[PathBuf]) -> bool {
    let Ok(event) = event else { return true };
    if matches!(event.kind, notify::EventKind::Access(_)) {
        return false;
    }
    event.paths.iter().any(|path| {
        let below = roots.iter().find_map(|r| path.strip_prefix(r).ok()).unwrap_or(path);
        !below.components().any(|c| c.as_os_str().to_str().is_some_and(is_hidden_name))
    })
}

fn is_hidden_name(name: &str) -> bool {
    name.starts_with('.') && name != "." && name != ".."
}

fn list(roots: &[PathBuf]) -> String {
    roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Runs an update with a progress bar on stderr (only when stderr is a terminal) and reports
/// each skipped file there as `path:line: reason`.
pub fn build(
    index_dir: &Path,
    roots: &[PathBuf],
    opts: &IndexOptions,
) -> anyhow::Result<IndexReport> {
    let bar = ProgressBar::with_draw_target(
        Some(0),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} indexing [{bar:30}] {pos}/{len} files {binary_bytes_per_sec} {wide_msg}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    let report = update_index(index_dir, roots, opts, &mut |p| match p {
        Progress::Listed { files } => bar.set_length(files),
        Progress::File { path, bytes } => {
            bar.inc(1);
            bar.inc_length(0);
            bar.set_message(paths::display_path(path));
            let _ = bytes;
        }
        Progress::Committing => bar.set_message("committing"),
    })
    .with_context(|| format!("cannot update the index at {}", index_dir.display()));
    bar.finish_and_clear();
    let report = report?;
    let mut err = std::io::stderr().lock();
    for skip in &report.skipped {
        let path = paths::display_path(&skip.path);
        let _ = match skip.line {
            Some(line) => writeln!(err, "kb: {path}:{line}: skipped: {}", skip.reason),
            None => writeln!(err, "kb: {path}: skipped: {}", skip.reason),
        };
    }
    Ok(report)
}
