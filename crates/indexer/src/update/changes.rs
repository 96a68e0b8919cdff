//! Change detection against the [`Manifest`] of the last commit, and who owns each document id.
//!
//! A file is read again when it is new, when its size or modification time changed and then
//! its hash did too, or when the documents it may hold changed hands ([`Claims::is_stale`]):
//! after every run the index holds what a clean build of the same files would, whatever
//! happened before.
//!
//! Document ids are unique in an index. Pushed documents come first; then files in path order
//! (component-wise, the order [`crate::walk`] lists them in): the first file to hold an id has
//! it, later ones are refused it (listed as skipped). Files indexed from folders that this run
//! does not look at keep the ids they have.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::UNIX_EPOCH;

use kb_schema::{FileEntry, Manifest};

use super::IndexError;

/// A folder or file to index: as it was given, and canonical.
#[derive(Debug, Clone)]
pub(super) struct Root {
    /// As given: passages store paths under it (`corpus/notes.md`).
    pub given: PathBuf,
    /// Canonical: the manifest's keys are under it, so that `corpus` and `./corpus` are the
    /// same files.
    pub canonical: PathBuf,
}

impl Root {
    /// Resolves the roots given; `Err` for one that does not exist or cannot be read.
    pub(super) fn resolve(roots: &[PathBuf]) -> Result<Vec<Root>, IndexError> {
        roots
            .iter()
            .map(|r| match r.canonicalize() {
                Ok(canonical) => Ok(Root { given: r.clone(), canonical }),
                Err(source) => Err(IndexError::Root { path: r.clone(), source }),
            })
            .collect()
    }

    /// The manifest key of a path found by walking [`Root::given`].
    pub(super) fn key(&self, walked: &Path) -> String {
        match walked.strip_prefix(&self.given) {
            Ok(rel) => path_string(&join(&self.canonical, rel)),
            Err(_) => path_string(walked),
        }
    }

    /// Whether manifest key `key` lies under this root.
    pub(super) fn holds(&self, key: &str) -> bool {
        Path::new(key).starts_with(&self.canonical)
    }

    /// The path as given for manifest key `key` (the key itself if it is not under the root).
    pub(super) fn display(&self, key: &str) -> String {
        match Path::new(key).strip_prefix(&self.canonical) {
            Ok(rel) => path_string(&join(&self.given, rel)),
            Err(_) => key.to_owned(),
        }
    }
}

/// `base` joined with `rel`, without the trailing separator an empty `rel` would add.
fn join(base: &Path, rel: &Path) -> PathBuf {
    if rel.as_os_str().is_empty() {
        base.to_path_buf()
    } else {
        base.join(rel)
    }
}

/// A path as a string (the manifest's and the passages' form).
pub(super) fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A file's size and modification time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stat {
    pub size: u64,
    pub mtime_ns: u64,
}

impl Stat {
    /// Stats the file at `path`.
    pub(super) fn of(path: &Path) -> std::io::Result<Stat> {
        let meta = std::fs::metadata(path)?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(Stat { size: meta.len(), mtime_ns })
    }
}

/// Whether a file is as `old` recorded it, by size and time alone (no read needed).
pub(super) fn same_stat(old: Option<&FileEntry>, stat: Stat) -> bool {
    old.is_some_and(|o| o.size == stat.size && o.mtime_ns == stat.mtime_ns && !o.hash.is_empty())
}

/// Whether a file read again has the bytes `old` recorded.
pub(super) fn same_hash(old: Option<&FileEntry>, hash: &str) -> bool {
    old.is_some_and(|o| !o.hash.is_empty() && o.hash == hash)
}

/// Who has a document id.
#[derive(Debug, Clone)]
pub(super) enum Owner {
    /// A document a program pushed.
    Pushed,
    /// A file, by the path shown for it.
    File(Rc<str>),
}

/// The ids taken so far in a run, in the order of precedence (see the module docs).
#[derive(Debug, Default)]
pub(super) struct Claims {
    owners: HashMap<String, Owner>,
}

impl Claims {
    /// The claims that come before any file of this run: pushed documents, and the files of
    /// the manifest that are under none of `roots`.
    pub(super) fn before_files(manifest: &Manifest, roots: &[Root]) -> Claims {
        let mut claims = Claims::default();
        for id in manifest.pushed.keys() {
            claims.owners.insert(id.clone(), Owner::Pushed);
        }
        for (key, entry) in &manifest.files {
            if !roots.iter().any(|r| r.holds(key)) {
                let owner: Rc<str> = Rc::from(key.as_str());
                for id in &entry.doc_ids {
                    claims.owners.insert(id.clone(), Owner::File(Rc::clone(&owner)));
                }
            }
        }
        claims
    }

    /// Who has `id`, if anyone.
    pub(super) fn owner(&self, id: &str) -> Option<&Owner> {
        self.owners.get(id)
    }

    /// Gives `id` to `owner`.
    pub(super) fn claim(&mut self, id: &str, owner: Owner) {
        self.owners.insert(id.to_owned(), owner);
    }

    /// Frees `id` (its file failed part-way).
    pub(super) fn release(&mut self, id: &str) {
        self.owners.remove(id);
    }

    /// Whether a file recorded as `entry` must be read again even if unchanged: an id it has
    /// is now taken by someone before it, or an id it was refused is free.
    pub(super) fn is_stale(&self, entry: &FileEntry) -> bool {
        entry.doc_ids.iter().any(|d| self.owners.contains_key(d))
            || entry.refused.iter().any(|d| !self.owners.contains_key(d))
            || refused_before_refused_ids_were_kept(entry)
    }
}

/// Whether `entry` was refused ids by a build that did not record which (the manifest had no
/// `refused` then): such a file is read again once, so that path order decides its ids.
fn refused_before_refused_ids_were_kept(entry: &FileEntry) -> bool {
    entry.refused.is_empty()
        && entry.skipped.iter().any(|s| {
            s.reason.starts_with("document id ") && s.reason.contains(" is already indexed from ")
        })
}

/// Why document `id` of a file shown as `path` is refused, given its owner.
pub(super) fn refusal(id: &str, owner: &Owner, path: &str) -> String {
    match owner {
        Owner::File(p) if &**p == path => format!("duplicate document id {id:?} in this file"),
        Owner::File(p) => format!("document id {id:?} is already indexed from {p}"),
        Owner::Pushed => format!("document id {id:?} is a pushed document's"),
    }
}

#[cfg(test)]
mod tests {
    use kb_schema::SkipRecord;

    use super::*;

    #[test]
    fn roots_map_keys_and_paths_as_given() {
        let root = Root { given: "./docs".into(), canonical: "/home/u/docs".into() };
        assert_eq!(root.key(Path::new("./docs/sub/a.md")), "/home/u/docs/sub/a.md");
        assert_eq!(root.display("/home/u/docs/sub/a.md"), "./docs/sub/a.md");
        assert!(root.holds("/home/u/docs/a.md") && !root.holds("/home/u/docs2/a.md"));
        let file = Root { given: "a.md".into(), canonical: "/home/u/a.md".into() };
        assert_eq!(
            (file.key(Path::new("a.md")), file.display("/home/u/a.md")),
            ("/home/u/a.md".into(), "a.md".into())
        );
    }

    #[test]
    fn files_are_stale_when_their_ids_change_hands() {
        let mut claims = Claims::default();
        let entry = |ids: &[&str], refused: &[&str]| FileEntry {
            doc_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
            refused: refused.iter().map(|s| (*s).to_owned()).collect(),
            ..FileEntry::default()
        };
        claims.claim("a", Owner::Pushed);
        assert!(claims.is_stale(&entry(&["a"], &[])), "an id it has is taken before it");
        assert!(claims.is_stale(&entry(&["b"], &["c"])), "an id it was refused is free");
        assert!(!claims.is_stale(&entry(&["b"], &["a"])));
        // Written before refused ids were recorded: read once more.
        let mut legacy = entry(&["b"], &[]);
        legacy.skipped = vec![SkipRecord::failure(
            "/d/t.jsonl",
            Some(1),
            "document id \"x\" is already indexed from /d/m.jsonl",
        )];
        assert!(claims.is_stale(&legacy));
    }
}
