//! `kb index`: bring the index up to date, with a progress bar and a summary.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use kb::{IndexOptions, IndexReport, Progress, WalkOptions};
use notify::{RecursiveMode, Watcher};

mod stdin;

use super::{quiet, EXIT_ERROR, EXIT_OK};
use crate::args::IndexArgs;
use crate::{model, paths, printer};

pub fn run(index_dir: &Path, args: IndexArgs) -> anyhow::Result<u8> {
    let stdin = stdin::Input::from_args(&args.paths, args.watch)?;
    let roots = match stdin {
        Some(stdin::Input::Paths(paths)) => paths,
        Some(stdin::Input::Records(records)) => return push(index_dir, &args, records),
        None if args.paths.is_empty() => vec![paths::corpus_dir(None)],
        None => args.paths.clone(),
    };
    // Semantic until told otherwise: an index built with --semantic stays so.
    let semantic = if args.lexical {
        Some(false)
    } else if args.semantic {
        if !kb_schema::index_exists(index_dir) {
            // The model first: a model that cannot be had leaves no empty index behind.
            model::load(args.model.as_deref())?;
        }
        model::announce_download(args.model.as_deref());
        Some(true)
    } else {
        None
    };
    let opts = IndexOptions {
        rebuild: args.rebuild,
        memory_budget: args.memory_mb.saturating_mul(1 << 20),
        semantic,
        walk: WalkOptions {
            follow_links: args.follow_links,
            max_file_bytes: args.max_file_mb.saturating_mul(1 << 20),
            // Not given: the ones recorded for each folder.
            globs: if args.no_glob {
                Some(Vec::new())
            } else {
                Some(args.glob.clone()).filter(|g| !g.is_empty())
            },
            ignore_files: if args.no_ignore {
                Some(false)
            } else {
                Some(true).filter(|_| args.ignore)
            },
        },
        ..IndexOptions::default()
    };
    let report = build(index_dir, &roots, &opts, args.model.as_deref())?;
    print_report(&report, args.json)?;
    if args.watch {
        return watch(index_dir, &roots, &opts, args.model.as_deref(), args.json);
    }
    Ok(exit_code(&report))
}

/// Files kb does not read by design are not failures.
fn exit_code(report: &IndexReport) -> u8 {
    if report.skipped.iter().any(|s| s.is_failure()) {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

fn print_report(report: &IndexReport, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        printer::json::write_index_report(&mut out, report)?;
    } else {
        printer::standard::write_index_report(&mut out, report)?;
    }
    out.flush()?;
    Ok(())
}

/// `kb index -` with JSON Lines records on standard input: they become pushed documents, as
/// through the library's `Kb::upsert` (kept until removed; a record's id replaces the document
/// pushed under it). Records that cannot be read are reported with their line, like the lines
/// of a JSON Lines file.
fn push(index_dir: &Path, args: &IndexArgs, records: stdin::Records) -> anyhow::Result<u8> {
    let stdin::Records { documents, lines, skipped } = records;
    if args.rebuild || args.lexical || args.semantic || !args.glob.is_empty() {
        anyhow::bail!(
            "records read from standard input are pushed as they are: --rebuild, --semantic, \
             --lexical and --glob apply to files and folders"
        );
    }
    let kb = super::open_or_create(index_dir, args.model.as_deref())
        .with_context(|| format!("cannot update the index at {}", index_dir.display()))?;
    if kb.semantic_model()?.is_some() {
        model::announce_download_for(&kb);
    }
    let mut report = kb
        .upsert(documents)
        .with_context(|| format!("cannot update the index at {}", index_dir.display()))?;
    // The library numbers records from 1: name them by their line of the input instead.
    for skip in &mut report.skipped {
        skip.path = stdin::NAME.to_owned();
        skip.line = skip.line.and_then(|n| lines.get((n as usize).checked_sub(1)?).copied());
    }
    report.skipped.splice(0..0, skipped);
    let mut err = std::io::stderr().lock();
    for skip in &report.skipped {
        let line = skip.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(err, "kb: {}{line}: skipped: {}", skip.path, skip.reason);
    }
    drop(err);
    print_report(&report, args.json)?;
    Ok(exit_code(&report))
}

/// How long the files must stay quiet before a change is indexed.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Re-indexes whenever files under `roots` change, until the process is interrupted. A run cut
/// short by Ctrl-C leaves the last commit intact, like any interrupted `kb index`.
fn watch(
    index_dir: &Path,
    roots: &[PathBuf],
    opts: &IndexOptions,
    model_dir: Option<&Path>,
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
    if !quiet() {
        eprintln!("kb: watching {} for changes (Ctrl-C to stop)", list(roots));
    }
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
        match build(index_dir, roots, &opts, model_dir) {
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
        // An ignore file is hidden, but a change to it changes which files are read.
        let ignore_file = below.parent().is_some_and(|p| {
            !p.components().any(|c| c.as_os_str().to_str().is_some_and(is_hidden_name))
        }) && below
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| kb_indexer::walk::IGNORE_FILES.contains(&n));
        ignore_file
            || !below.components().any(|c| c.as_os_str().to_str().is_some_and(is_hidden_name))
    })
}

fn is_hidden_name(name: &str) -> bool {
    name.starts_with('.') && name != "." && name != ".."
}

fn list(roots: &[PathBuf]) -> String {
    roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Bytes this process has read so far through `read` calls (Linux's `rchar` in
/// `/proc/self/io`): while indexing, the source files (the index itself is mapped, not read).
/// `None` where that is not known.
fn bytes_read() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|l| l.strip_prefix("rchar: ")).and_then(|n| n.trim().parse().ok())
}

/// Runs an update with a progress bar on stderr (only when stderr is a terminal and not
/// `--quiet`) and reports there each file that failed as `path:line: reason`, and the files kb
/// does not read by design in one line (`kb stats --files` lists them).
pub fn build(
    index_dir: &Path,
    roots: &[PathBuf],
    opts: &IndexOptions,
    model_dir: Option<&Path>,
) -> anyhow::Result<IndexReport> {
    let visible = std::io::stderr().is_terminal() && !quiet();
    let bar = ProgressBar::with_draw_target(
        Some(0),
        if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
    );
    // Files per second, and the bytes read so far, which keep growing while a large file is
    // read (the bar is redrawn on a timer, not only when a file is done).
    let start = bytes_read();
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} indexing [{bar:30}] {pos}/{len} files ({rate}{read}) {wide_msg}",
        )
        .expect("the template is valid")
        .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let secs = state.elapsed().as_secs_f64();
            let rate = if secs > 0.0 { state.pos() as f64 / secs } else { 0.0 };
            let _ = write!(w, "{rate:.1} files/s");
        })
        .with_key("read", move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
            if let (Some(start), Some(now)) = (start, bytes_read()) {
                let _ = write!(w, ", {:.1} MB read", now.saturating_sub(start) as f64 / 1e6);
            }
        })
        .progress_chars("=> "),
    );
    if visible {
        bar.enable_steady_tick(Duration::from_millis(250));
    }
    let report = super::open_or_create(index_dir, model_dir)
        .and_then(|kb| {
            kb.index_with_progress(roots, opts, &mut |p| match p {
                Progress::Listed { files } => bar.set_length(files),
                Progress::File { path, bytes } => {
                    bar.inc(1);
                    bar.inc_length(0);
                    bar.set_message(paths::display_path(path));
                    let _ = bytes;
                }
                // A semantic index: the bar's message counts the passages while they are
                // embedded (files may take minutes each).
                Progress::Embedded { done, queued } => {
                    bar.set_message(format!("{done}/{queued} passages embedded"))
                }
                Progress::Committing => bar.set_message("committing"),
            })
        })
        .with_context(|| format!("cannot update the index at {}", index_dir.display()));
    bar.finish_and_clear();
    let report = report?;
    report_synonyms(roots);
    let mut err = std::io::stderr().lock();
    let other = report.skipped.iter().filter(|s| !s.is_failure()).count();
    if other > 0 && !quiet() {
        let files = if other == 1 { "file" } else { "files" };
        let _ = writeln!(
            err,
            "kb: {other} {files} of other types skipped (not documents, empty, special files or links leading outside; kb stats --files lists them)"
        );
    }
    for skip in report.skipped.iter().filter(|s| s.is_failure()) {
        let path = paths::display_path(&skip.path);
        let _ = match skip.line {
            Some(line) => writeln!(err, "kb: {path}:{line}: skipped: {}", skip.reason),
            None => writeln!(err, "kb: {path}: skipped: {}", skip.reason),
        };
    }
    Ok(report)
}

/// Reports on stderr the lines of each root folder's `synonyms.txt` that cannot be used (the
/// index records the file; searches skip those lines).
fn report_synonyms(roots: &[PathBuf]) {
    for root in roots {
        let path = root.join(kb_indexer::walk::SYNONYMS_FILE);
        if !root.is_dir() || !path.is_file() {
            continue;
        }
        match kb_query::Synonyms::load(&path) {
            Ok(synonyms) => {
                for skipped in synonyms.skipped() {
                    eprintln!(
                        "kb: {}:{}: line ignored: {}",
                        path.display(),
                        skipped.line,
                        skipped.reason
                    );
                }
            }
            Err(err) => eprintln!("kb: {err}; it is not used"),
        }
    }
}
