//! Listing the source files under a root: which files are documents, in a stable order, with
//! stable document ids.
//!
//! - Every file under the root is listed, sorted by path, so runs are deterministic.
//! - Hidden files and folders (name starting with `.`, such as the `.kb` index itself) are not
//!   read and not listed.
//! - A `synonyms.txt` directly in a root folder is configuration, not a document.
//! - The ignore files ([`IGNORE_FILES`]: `.gitignore`, `.ignore`, `.kbignore`, gitignore syntax)
//!   of the root folder and its subfolders leave out what they match, and
//!   [`WalkOptions::globs`] choose files with ripgrep's `--glob` semantics; both through the
//!   `ignore` crate, ripgrep's own walker. Files left out that way are not listed at all (they
//!   were asked to be left out); a rule of an ignore file that cannot be used is listed as
//!   skipped, by design. Ignore files above the root, and git's global ones, do not count.
//! - Files kb does not read by design are listed as skipped with [`SkipKind::ByDesign`], so that
//!   every file under an indexed path is either indexed or explained: a file whose extension kb
//!   does not read ("not a document type"), an empty file, anything but a regular file (a named
//!   pipe, a socket, a device: "not a regular file", found from its metadata, never opened), and
//!   a symbolic link leading outside the root ("outside the indexed folder") unless
//!   [`WalkOptions::follow_links`] is set.
//! - A file larger than [`WalkOptions::max_file_bytes`] is a failure (skipped, with its size).
//! - Links inside the root are followed; a loop, a dangling link, an unreadable folder or nesting
//!   deeper than [`MAX_DEPTH`] is one skip record each, never an error of the whole walk.
//! - Document ids are the path under the root without extension (`sub/notes`); when two files of
//!   a folder would get the same id (`notes.md`, `notes.txt`), those files keep their extension
//!   (`notes.md`, `notes.txt`), so both are indexed and every other id stays as it is.
//!
//! ```
//! use kb_indexer::walk::walk;
//!
//! let root = tempfile::tempdir()?;
//! std::fs::create_dir(root.path().join("sub"))?;
//! std::fs::write(root.path().join("sub/notes.md"), "# Notes\n\nText.\n")?;
//! std::fs::write(root.path().join("picture.png"), b"\x89PNG")?;
//! std::fs::write(root.path().join(".hidden.md"), "# Hidden\n")?;
//!
//! let walked = walk(root.path());
//! let ids: Vec<&str> = walked.files.iter().map(|f| f.doc_id.as_str()).collect();
//! assert_eq!(ids, ["sub/notes"]);
//! assert_eq!(walked.skipped.len(), 1);
//! assert_eq!(walked.skipped[0].reason, "not a document type");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::overrides::{Override, OverrideBuilder};
use ignore::WalkBuilder;
use kb_schema::{SkipKind, SkipRecord, WalkRules};

use crate::formats::Format;

/// Folders nested deeper than this under a root are not read (and are reported): real corpora
/// are nowhere near it, while a runaway tree (or links that only look like a loop from afar)
/// could be endless.
pub const MAX_DEPTH: usize = 256;

/// The name of the synonyms file at the top of a corpus folder; it is not a document.
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// The names of the ignore files read in every folder (gitignore syntax), in increasing order
/// of precedence: a rule of `.kbignore` wins over one of `.ignore`, which wins over
/// `.gitignore`; a folder's rules win over its parent's.
pub const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", KBIGNORE];

/// kb's own ignore file: rules for kb alone, in gitignore syntax.
pub const KBIGNORE: &str = ".kbignore";

/// A file to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Its path: the root joined with the path under it.
    pub path: PathBuf,
    /// Its document id: the path relative to the root without extension, `/`-separated
    /// (`sub/notes`); for a root that is a file, its file stem.
    pub doc_id: String,
    /// Its format, from its extension.
    pub format: Format,
}

/// Which files [`walk_with`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkOptions {
    /// Follow symbolic links that lead outside the root (default `false`: they are listed as
    /// skipped, by design). Links inside the root are always followed.
    pub follow_links: bool,
    /// Files larger than this are not read (default 512 MiB): skipped as a failure.
    pub max_file_bytes: u64,
    /// Globs choosing the files under a folder, with ripgrep's `--glob` semantics, matched
    /// against the path under the folder: `*.md` reads only the files it matches (any number of
    /// such globs: a file matching one of them), `!print.html` leaves out the files it matches;
    /// the last glob that matches decides. A root that is a file is always read.
    ///
    /// `None` (the default): the globs recorded in the index for that folder by the last run
    /// that gave some ([`kb_schema::Manifest::walk_rules`]), none for a folder never given any.
    /// `Some(vec![])` forgets the recorded ones.
    pub globs: Option<Vec<String>>,
    /// Whether the ignore files ([`IGNORE_FILES`]) in the folder and its subfolders are obeyed.
    /// `None` (the default): as recorded for the folder, else yes.
    pub ignore_files: Option<bool>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            follow_links: false,
            max_file_bytes: 512 << 20,
            globs: None,
            ignore_files: None,
        }
    }
}

impl WalkOptions {
    /// These options for a folder whose recorded rules are `recorded`: the globs and the
    /// ignore-file switch not given here are the recorded ones.
    pub fn for_folder(&self, recorded: Option<&WalkRules>) -> WalkOptions {
        let recorded = recorded.cloned().unwrap_or_default();
        WalkOptions {
            globs: Some(self.globs.clone().unwrap_or(recorded.globs)),
            ignore_files: Some(self.ignore_files.unwrap_or(!recorded.no_ignore)),
            ..self.clone()
        }
    }

    /// What the index records for a folder walked with these options: `None` for the default
    /// rules (no globs, ignore files obeyed).
    pub fn rules(&self) -> Option<WalkRules> {
        let rules = WalkRules {
            globs: self.globs.clone().unwrap_or_default(),
            no_ignore: !self.ignore_files.unwrap_or(true),
        };
        (rules != WalkRules::default()).then_some(rules)
    }
}

/// Checks globs for [`WalkOptions::globs`]: `Err` names the first one that is not valid and why.
pub fn check_globs(globs: &[String]) -> Result<(), GlobError> {
    overrides(Path::new("."), globs).map(|_| ())
}

/// A glob of [`WalkOptions::globs`] that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid glob {glob:?}: {reason}")]
pub struct GlobError {
    /// The glob as given.
    pub glob: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The matcher of `globs` for the folder `root`.
fn overrides(root: &Path, globs: &[String]) -> Result<Override, GlobError> {
    let mut builder = OverrideBuilder::new(root);
    let bad = |glob: &str, err: ignore::Error| GlobError {
        glob: glob.to_owned(),
        reason: match err {
            ignore::Error::Glob { err, .. } => err,
            err => err.to_string(),
        },
    };
    for glob in globs {
        builder.add(glob).map_err(|e| bad(glob, e))?;
    }
    builder.build().map_err(|e| bad(globs.join(" ").as_str(), e))
}

/// What [`walk`] found under a root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walked {
    /// The files to index, sorted by path.
    pub files: Vec<SourceFile>,
    /// Files and folders that cannot be indexed, with the reason (no line).
    pub skipped: Vec<SkipRecord>,
}

/// Lists the source files under `root`, a folder or a single file, with the default
/// [`WalkOptions`]. Never fails: whatever cannot be listed is in [`Walked::skipped`].
pub fn walk(root: &Path) -> Walked {
    walk_with(root, &WalkOptions::default())
}

/// Lists the source files under `root`, a folder or a single file. Never fails: whatever cannot
/// be listed or read is in [`Walked::skipped`]. Globs that are not valid are left out
/// ([`check_globs`] finds them first).
pub fn walk_with(root: &Path, opts: &WalkOptions) -> Walked {
    let mut files = Vec::new();
    let skipped = Arc::new(Mutex::new(Vec::new()));
    let inside = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let ignore_files = opts.ignore_files.unwrap_or(true);
    let mut builder = WalkBuilder::new(root);
    builder
        .follow_links(true)
        .max_depth(Some(MAX_DEPTH))
        .sort_by_file_name(|a, b| a.cmp(b))
        // Hidden files and folders are not even entered. The root itself is always read: it
        // was asked for (and temp folders are often hidden ones).
        .hidden(true)
        // The ignore files of the indexed folder and below count, wherever it lies, and
        // nothing of the machine's git configuration does: the same folder reads the same.
        .parents(false)
        .require_git(false)
        .git_global(false)
        .git_exclude(false)
        .git_ignore(ignore_files)
        .ignore(ignore_files);
    if ignore_files {
        builder.add_custom_ignore_filename(KBIGNORE);
    }
    // One matcher for the globs; one that is not valid adds nothing (it is refused before it
    // is kept), so the rest apply.
    let mut matcher = OverrideBuilder::new(root);
    let mut any = false;
    for glob in opts.globs.iter().flatten() {
        any |= matcher.add(glob).is_ok();
    }
    if let (true, Ok(matcher)) = (any, matcher.build()) {
        builder.overrides(matcher);
    }
    if !opts.follow_links {
        let skipped = Arc::clone(&skipped);
        builder.filter_entry(move |e| {
            if !e.path_is_symlink() {
                return true;
            }
            // A dangling link fails to resolve: the walk reports it below.
            match e.path().canonicalize() {
                Ok(target) if !target.starts_with(&inside) => {
                    lock(&skipped).push(SkipRecord::by_design(
                        e.path().to_string_lossy(),
                        format!(
                            "link leading outside the indexed folder (to {}); not followed (--follow-links follows it)",
                            target.display()
                        ),
                    ));
                    false
                }
                _ => true,
            }
        });
    }
    for entry in builder.build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                if let Some(skip) = skip_for_error(root, &err) {
                    lock(&skipped).push(skip);
                }
                continue;
            }
        };
        let path = entry.path();
        if let Some(err) = entry.error() {
            // A rule of an ignore file that cannot be used (the others are).
            for (file, reason) in ignore_file_problems(path, err) {
                lock(&skipped).push(SkipRecord::by_design(file, reason));
            }
        }
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            if entry.depth() == MAX_DEPTH {
                lock(&skipped).push(skip(
                    path,
                    format!("folder nested more than {MAX_DEPTH} levels deep; not read"),
                ));
            }
            continue;
        }
        if entry.depth() == 1 && entry.file_name().eq_ignore_ascii_case(SYNONYMS_FILE) {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(err) => {
                lock(&skipped).push(skip(path, format!("cannot read file: {err}")));
                continue;
            }
        };
        let by_design = |reason: String| SkipRecord::by_design(path.to_string_lossy(), reason);
        if !meta.is_file() {
            lock(&skipped).push(by_design(format!("not a regular file ({})", what(&meta))));
            continue;
        }
        let Some(format) = Format::of(path) else {
            lock(&skipped).push(by_design("not a document type".to_owned()));
            continue;
        };
        if meta.len() == 0 {
            lock(&skipped).push(by_design("empty file".to_owned()));
            continue;
        }
        if meta.len() > opts.max_file_bytes {
            lock(&skipped).push(skip(
                path,
                format!(
                    "{:.1} MB, larger than the {:.1} MB limit (--max-file-mb); not read",
                    meta.len() as f64 / 1e6,
                    opts.max_file_bytes as f64 / 1e6
                ),
            ));
            continue;
        }
        files.push(SourceFile { path: path.to_path_buf(), doc_id: doc_id(root, path), format });
    }
    // The walk sorts each folder by name, which is path order already; sorting again keeps
    // the promise whatever the walker's order.
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // Files that would share an id keep their extension in it.
    let mut counts: HashMap<String, usize> = HashMap::new();
    for f in &files {
        *counts.entry(f.doc_id.clone()).or_default() += 1;
    }
    for f in &mut files {
        if counts[&f.doc_id] > 1 {
            f.doc_id = doc_id_with_extension(root, &f.path);
        }
    }
    let skipped = std::mem::take(&mut *lock(&skipped));
    Walked { files, skipped }
}

/// The skip records being collected (a panic elsewhere cannot poison them for good).
fn lock(skipped: &Mutex<Vec<SkipRecord>>) -> std::sync::MutexGuard<'_, Vec<SkipRecord>> {
    skipped.lock().unwrap_or_else(|e| e.into_inner())
}

/// The problems with the ignore files of the folder `dir`: (the file, what is wrong and what
/// happens), one per rule that cannot be used.
fn ignore_file_problems(dir: &Path, err: &ignore::Error) -> Vec<(String, String)> {
    fn collect(
        err: &ignore::Error,
        path: Option<&Path>,
        line: Option<u64>,
        out: &mut Vec<(Option<PathBuf>, Option<u64>, String)>,
    ) {
        match err {
            ignore::Error::Partial(errs) => {
                errs.iter().for_each(|e| collect(e, path, line, out));
            }
            ignore::Error::WithLineNumber { line, err } => collect(err, path, Some(*line), out),
            ignore::Error::WithPath { path, err } => collect(err, Some(path.as_path()), line, out),
            ignore::Error::WithDepth { err, .. } => collect(err, path, line, out),
            ignore::Error::Glob { glob, err } => {
                let what = match glob {
                    Some(glob) => format!("invalid rule {glob:?} ({err})"),
                    None => format!("invalid rule ({err})"),
                };
                out.push((path.map(Path::to_path_buf), line, what));
            }
            other => out.push((path.map(Path::to_path_buf), line, other.to_string())),
        }
    }
    let mut found = Vec::new();
    collect(err, None, None, &mut found);
    found
        .into_iter()
        .map(|(path, line, what)| {
            let file = path.unwrap_or_else(|| dir.to_path_buf());
            let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
            (file.to_string_lossy().into_owned(), format!("{at}{what}; the rule is not used"))
        })
        .collect()
}

/// What kind of file that is not a regular one is.
fn what(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
}

/// The document id of `path` under `root` keeping the file's extension (`sub/notes.md`): the
/// id of files that would otherwise share one.
pub fn doc_id_with_extension(root: &Path, path: &Path) -> String {
    let id = doc_id(root, path);
    match path.extension() {
        Some(ext) => format!("{id}.{}", ext.to_string_lossy()),
        None => id,
    }
}

/// The document id of `path` under `root`: the relative path without extension, `/`-separated;
/// for a root that is the file itself, the file stem.
pub fn doc_id(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut parts: Vec<String> = relative
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let stem = path.file_stem().or(path.file_name()).unwrap_or(path.as_os_str());
    parts.push(stem.to_string_lossy().into_owned());
    parts.join("/")
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

/// A failure to read `path`.
fn skip(path: &Path, reason: String) -> SkipRecord {
    SkipRecord {
        path: path.to_string_lossy().into_owned(),
        line: None,
        reason,
        kind: SkipKind::Failure,
    }
}

/// The skip record for an entry the walk could not read; `None` for hidden ones, which would
/// not have been read anyway.
fn skip_for_error(root: &Path, err: &ignore::Error) -> Option<SkipRecord> {
    let (path, depth, inner) = unwrap_error(err);
    let path = path.unwrap_or(root);
    if depth.unwrap_or(0) > 0 && path.file_name().is_some_and(is_hidden) {
        return None;
    }
    if let ignore::Error::Loop { ancestor, child } = inner {
        return Some(skip(
            child,
            format!("symbolic link loop (it leads back to {}); not followed", ancestor.display()),
        ));
    }
    let io = inner.io_error().map(innermost_io);
    let dangling = io.is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        && path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
    let reason = if dangling {
        "broken symbolic link (its target does not exist)".to_owned()
    } else {
        let what = if path.is_dir() { "folder" } else { "file" };
        match io {
            Some(io) => format!("cannot read {what}: {io}"),
            None => format!("cannot read {what}: {inner}"),
        }
    };
    Some(skip(path, reason))
}

/// The path and depth an error of the walk is about, and the error itself.
fn unwrap_error(mut err: &ignore::Error) -> (Option<&Path>, Option<usize>, &ignore::Error) {
    let (mut path, mut depth) = (None, None);
    loop {
        match err {
            ignore::Error::WithPath { path: p, err: inner } => {
                path = path.or(Some(p.as_path()));
                err = inner;
            }
            ignore::Error::WithDepth { depth: d, err: inner } => {
                depth = depth.or(Some(*d));
                err = inner;
            }
            ignore::Error::WithLineNumber { err: inner, .. } => err = inner,
            _ => return (path, depth, err),
        }
    }
}

/// The I/O error under the walker's wrapping of it (its message names the path again).
fn innermost_io(io: &std::io::Error) -> &std::io::Error {
    io.get_ref()
        .and_then(|e| e.downcast_ref::<walkdir::Error>())
        .and_then(walkdir::Error::io_error)
        .unwrap_or(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn ids(walked: &Walked) -> Vec<&str> {
        walked.files.iter().map(|f| f.doc_id.as_str()).collect()
    }

    #[test]
    fn files_are_listed_sorted_with_ids_formats_and_full_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for rel in
            ["b.md", "a/z.txt", "a/b.JSON", "c.jsonl", "d.ndjson", "e.htm", "f.markdown", "g.html"]
        {
            write(&root, rel, "x");
        }
        let walked = walk(&root);
        assert_eq!(ids(&walked), ["a/b", "a/z", "b", "c", "d", "e", "f", "g"]);
        let formats: Vec<Format> = walked.files.iter().map(|f| f.format).collect();
        use Format::*;
        assert_eq!(formats, [Json, Text, Markdown, JsonLines, JsonLines, Html, Markdown, Html]);
        assert_eq!(walked.files[0].path, root.join("a/b.JSON"));
        assert!(walked.skipped.is_empty());
        // The same ids on every run.
        assert_eq!(walk(&root), walked);
    }

    #[test]
    fn hidden_files_and_folders_and_top_synonyms_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".hidden.md", "x");
        write(root, ".kb/meta.json", "x");
        write(root, ".git/notes.png", "x");
        write(root, "synonyms.txt", "calf, calves");
        write(root, "sub/synonyms.txt", "a document there");
        write(root, "visible.md", "x");
        let walked = walk(root);
        assert_eq!(ids(&walked), ["sub/synonyms", "visible"]);
        assert!(walked.skipped.is_empty(), "{:?}", walked.skipped);
    }

    #[test]
    fn unsupported_files_are_skipped_with_their_full_path() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "picture.png", "x");
        write(dir.path(), "README", "x");
        let walked = walk(dir.path());
        assert!(walked.files.is_empty());
        let skipped: Vec<(String, Option<u32>, &str)> =
            walked.skipped.iter().map(|s| (s.path.clone(), s.line, s.reason.as_str())).collect();
        let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        assert_eq!(
            skipped,
            [
                (path("README"), None, "not a document type"),
                (path("picture.png"), None, "not a document type"),
            ]
        );
    }

    #[test]
    fn a_root_that_is_a_file_is_listed_under_its_stem() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "sub/calf-reduction.txt", "x");
        let file = dir.path().join("sub/calf-reduction.txt");
        let walked = walk(&file);
        assert_eq!(
            walked.files,
            [SourceFile {
                path: file.clone(),
                doc_id: "calf-reduction".into(),
                format: Format::Text
            }]
        );
        write(dir.path(), "photo.jpg", "x");
        assert_eq!(walk(&dir.path().join("photo.jpg")).skipped.len(), 1);
        // A root whose own name starts with a dot is still read.
        write(dir.path(), ".notes/n.md", "x");
        assert_eq!(ids(&walk(&dir.path().join(".notes"))), ["n"]);
    }

    #[test]
    fn odd_names_and_deep_folders_work() {
        let dir = tempfile::tempdir().unwrap();
        let deep: String = (0..60).map(|i| format!("d{i}/")).collect();
        write(dir.path(), &format!("{deep}deep.md"), "x");
        write(dir.path(), "with space é.md", "x");
        write(dir.path(), "東京 notes.v2.txt", "x");
        let walked = walk(dir.path());
        assert_eq!(ids(&walked), [format!("{deep}deep").as_str(), "with space é", "東京 notes.v2"]);
    }

    #[test]
    fn folders_deeper_than_the_limit_are_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let too_deep: PathBuf = (0..MAX_DEPTH + 2).map(|_| "d").collect();
        std::fs::create_dir_all(dir.path().join(&too_deep)).unwrap();
        std::fs::write(dir.path().join(&too_deep).join("lost.md"), "x").unwrap();
        write(dir.path(), "top.md", "x");
        let walked = walk(dir.path());
        assert_eq!(ids(&walked), ["top"]);
        assert_eq!(walked.skipped.len(), 1, "{:?}", walked.skipped);
        assert!(walked.skipped[0].reason.contains("nested more than 256 levels"));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_and_dangling_links_are_one_skip_each() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        write(&root, "docs/good.md", "x");
        write(&root, "elsewhere/linked.md", "x");
        let docs = root.join("docs");
        std::os::unix::fs::symlink(&docs, docs.join("loop")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere.md"), docs.join("dangling.md")).unwrap();
        std::os::unix::fs::symlink(root.join("elsewhere/linked.md"), docs.join("alias.md"))
            .unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), docs.join(".hidden-dangling")).unwrap();
        let follow = WalkOptions { follow_links: true, ..WalkOptions::default() };
        let walked = walk_with(&docs, &follow);
        assert_eq!(ids(&walked), ["alias", "good"]);
        assert_eq!(walked.files[0].path, docs.join("alias.md"));
        let skipped: Vec<(&str, &str)> =
            walked.skipped.iter().map(|s| (s.path.as_str(), s.reason.as_str())).collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        let path = |name: &str| docs.join(name).to_string_lossy().into_owned();
        assert_eq!(
            skipped[0],
            (path("dangling.md").as_str(), "broken symbolic link (its target does not exist)")
        );
        assert_eq!(skipped[1].0, path("loop"));
        assert!(skipped[1].1.starts_with("symbolic link loop"), "{}", skipped[1].1);

        // By default the link leading outside `docs` is not followed: skipped, by design.
        let walked = walk(&docs);
        assert_eq!(ids(&walked), ["good"]);
        let outside = &walked.skipped[0];
        assert_eq!(outside.path, path("alias.md"));
        assert_eq!(outside.kind, SkipKind::ByDesign);
        assert!(
            outside.reason.starts_with("link leading outside the indexed folder"),
            "{outside:?}"
        );
        assert_eq!(walked.skipped.len(), 3, "{:?}", walked.skipped);
    }

    #[cfg(unix)]
    #[test]
    fn special_empty_and_large_files_are_skipped_without_being_opened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let pipe = std::ffi::CString::new(root.join("pipe.md").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(pipe.as_ptr(), 0o644) }, 0);
        write(root, "empty.md", "");
        write(root, "big.txt", "0123456789");
        write(root, "small.txt", "012345678");
        let opts = WalkOptions { max_file_bytes: 9, ..WalkOptions::default() };
        let walked = walk_with(root, &opts);
        assert_eq!(ids(&walked), ["small"]);
        let skipped: Vec<(&str, SkipKind)> =
            walked.skipped.iter().map(|s| (s.reason.as_str(), s.kind)).collect();
        assert_eq!(
            skipped,
            [
                (
                    "0.0 MB, larger than the 0.0 MB limit (--max-file-mb); not read",
                    SkipKind::Failure
                ),
                ("empty file", SkipKind::ByDesign),
                ("not a regular file (a named pipe)", SkipKind::ByDesign),
            ]
        );
    }

    #[test]
    fn files_that_would_share_an_id_keep_their_extension() {
        let dir = tempfile::tempdir().unwrap();
        for rel in ["notes.md", "notes.txt", "calf-reduction.txt", "sub/notes.md"] {
            write(dir.path(), rel, "x");
        }
        assert_eq!(
            ids(&walk(dir.path())),
            ["calf-reduction", "notes.md", "notes.txt", "sub/notes"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_folder_is_one_skip() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "locked/secret.md", "x");
        write(dir.path(), "open.md", "x");
        let locked = dir.path().join("locked");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let readable_anyway = std::fs::read_dir(&locked).is_ok();
        let walked = walk(dir.path());
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        if readable_anyway {
            // Running as root: permissions do not stop reading, so the folder is simply read.
            assert_eq!(ids(&walked), ["locked/secret", "open"]);
            return;
        }
        assert_eq!(ids(&walked), ["open"]);
        assert_eq!(walked.skipped.len(), 1, "{:?}", walked.skipped);
        assert_eq!(walked.skipped[0].path, locked.to_string_lossy());
        assert!(
            walked.skipped[0].reason.starts_with("cannot read folder: "),
            "{:?}",
            walked.skipped
        );
    }

    #[test]
    fn ignore_files_leave_out_what_they_match_and_a_subfolder_can_take_a_rule_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for rel in ["a.md", "print.html", "b.txt", "build/out.md", "sub/keep.md", "sub/drop.md"] {
            write(root, rel, "x");
        }
        write(root, ".gitignore", "build/\n");
        write(root, ".ignore", "*.txt\n");
        write(root, ".kbignore", "print.html\n# a comment\nsub/*.md\n");
        write(root, "sub/.kbignore", "!keep.md\n");
        let walked = walk(root);
        assert_eq!(ids(&walked), ["a", "sub/keep"]);
        // Ignored files are not listed at all, like hidden ones.
        assert!(walked.skipped.is_empty(), "{:?}", walked.skipped);

        let off = WalkOptions { ignore_files: Some(false), ..WalkOptions::default() };
        assert_eq!(
            ids(&walk_with(root, &off)),
            ["a", "b", "build/out", "print", "sub/drop", "sub/keep"]
        );
    }

    #[test]
    fn ignore_files_above_the_root_do_not_count() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".kbignore", "*.md\n");
        write(dir.path(), "docs/a.md", "x");
        assert_eq!(ids(&walk(&dir.path().join("docs"))), ["a"]);
    }

    #[test]
    fn globs_choose_files_as_ripgrep_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for rel in ["a.md", "print.html", "toc.html", "b.txt", "sub/c.md", "sub/print.html"] {
            write(root, rel, "x");
        }
        let globbed = |globs: &[&str]| {
            let globs = Some(globs.iter().map(|g| (*g).to_owned()).collect());
            ids(&walk_with(root, &WalkOptions { globs, ..WalkOptions::default() }))
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(globbed(&["*.md"]), ["a", "sub/c"]);
        assert_eq!(globbed(&["!print.html"]), ["a", "b", "sub/c", "toc"]);
        assert_eq!(globbed(&["*.md", "*.txt"]), ["a", "b", "sub/c"]);
        assert_eq!(globbed(&["*.html", "!print.html"]), ["toc"]);
        assert_eq!(globbed(&["/print.html", "sub/**"]), ["print", "sub/c", "sub/print"]);
        // A file given as the root is read whatever the globs.
        let file = root.join("b.txt");
        let opts = WalkOptions { globs: Some(vec!["*.md".into()]), ..WalkOptions::default() };
        assert_eq!(ids(&walk_with(&file, &opts)), ["b"]);
        // Globs apply on top of the ignore files.
        write(root, ".kbignore", "sub/\n");
        assert_eq!(globbed(&["*.md"]), ["a"]);
    }

    #[test]
    fn bad_globs_are_refused_and_bad_ignore_rules_left_out() {
        let err = check_globs(&["*.md".into(), "a[".into()]).unwrap_err();
        assert_eq!(err.glob, "a[");
        assert!(err.to_string().starts_with("invalid glob \"a[\": "), "{err}");
        assert!(check_globs(&["!print.html".into(), "**/*.md".into()]).is_ok());

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".kbignore", "*.txt\na[\n");
        write(dir.path(), "a.md", "x");
        write(dir.path(), "b.txt", "x");
        let walked = walk(dir.path());
        // The good rule holds, the bad one is left out, and the walk goes on.
        assert_eq!(ids(&walked), ["a"]);
    }

    #[test]
    fn rules_given_win_over_recorded_ones_and_defaults_are_not_recorded() {
        let recorded = WalkRules { globs: vec!["*.md".into()], no_ignore: true };
        let none = WalkOptions::default();
        let resolved = none.for_folder(Some(&recorded));
        assert_eq!(resolved.globs.as_deref(), Some(&["*.md".to_owned()][..]));
        assert_eq!(resolved.ignore_files, Some(false));
        assert_eq!(resolved.rules(), Some(recorded.clone()));
        let given = WalkOptions { globs: Some(vec![]), ignore_files: Some(true), ..none.clone() };
        assert_eq!(given.for_folder(Some(&recorded)).rules(), None);
        assert_eq!(none.for_folder(None).rules(), None);
    }

    #[test]
    fn ids_come_from_the_path_under_the_root() {
        let root = Path::new("/corpus");
        assert_eq!(doc_id(root, Path::new("/corpus/sub/notes.md")), "sub/notes");
        assert_eq!(doc_id(root, Path::new("/corpus/a.b.txt")), "a.b");
        assert_eq!(doc_id(Path::new("/corpus/one.md"), Path::new("/corpus/one.md")), "one");
    }
}
