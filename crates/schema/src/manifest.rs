use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The record of what an index holds, file by file.
///
/// Stored as tantivy's commit payload, so it is written in the same atomic step as the index
/// it describes and the two can never disagree, even after a crash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The [`crate::SCHEMA_VERSION`] the index was written with.
    pub schema_version: u32,
    /// Every source file under an indexed path, indexed or skipped, keyed by its path.
    pub files: BTreeMap<String, FileEntry>,
    /// The embedding model every passage's vector was made with, when the index was built with
    /// semantic ranking on (`None`: a lexical index, without vectors).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub semantic: Option<String>,
    /// What identifies that model beyond its name (its dimension and checksum), and the folder
    /// it was loaded from; `None` for a lexical index, and in indexes written before kb recorded
    /// it. Searching needs a model with the same dimension and checksum.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub semantic_model: Option<ModelRecord>,
    /// Documents a program pushed through the library (`kb::Kb::upsert`) rather than read from a
    /// file, keyed by document id, with their passage counts. Indexing files never removes them,
    /// nor does a rebuild; only a removal by id does.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub pushed: BTreeMap<String, u64>,
    /// The synonym groups searches expand queries with: the text of the `synonyms.txt` at the
    /// top of each indexed folder as the last run read it, keyed by the folder, so that every
    /// way of searching this index (the CLI, the library, the server) uses the same ones.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub synonyms: BTreeMap<String, String>,
    /// The rules choosing which files of an indexed folder are read, when they are not the
    /// default ones (globs given, ignore files turned off), keyed by the folder: a later run
    /// that gives none walks the folder with the same rules.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub walk_rules: BTreeMap<String, WalkRules>,
}

/// How the files of an indexed folder are chosen ([`Manifest::walk_rules`]), besides the
/// rules every folder has (hidden files are not read, nor files of other types).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkRules {
    /// Globs with ripgrep's `--glob` semantics (`*.md` reads only matching files, `!print.html`
    /// leaves them out), in the order given.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub globs: Vec<String>,
    /// Whether the folder's ignore files (`.gitignore`, `.ignore`, `.kbignore`) are not obeyed.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub no_ignore: bool,
}

/// The embedding model of a semantic index ([`Manifest::semantic_model`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// The length of the passages' vectors.
    pub dim: usize,
    /// The model's checksum (`kb_embed::ModelInfo::checksum`): equal checksums, equal embeddings.
    pub checksum: String,
    /// The model's folder when the index was last updated (absolute), where a search without an
    /// explicit model looks for it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dir: Option<String>,
}

/// One source file in the [`Manifest`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// The indexed root the file was found under (a folder, or the file itself).
    pub root: String,
    /// blake3 hash of the file's bytes, hex.
    pub hash: String,
    /// File size in bytes when it was read.
    pub size: u64,
    /// Modification time when it was read, nanoseconds since the Unix epoch.
    pub mtime_ns: u64,
    /// Ids of the documents the file produced.
    pub doc_ids: Vec<String>,
    /// Number of passages the file produced.
    pub passages: u64,
    /// What could not be indexed: the whole file (no line) or single records (with their line).
    pub skipped: Vec<SkipRecord>,
    /// Ids of documents the file holds that were refused because a file earlier in path order,
    /// or a pushed document, has them: the file is read again when one of them is free.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub refused: Vec<String>,
    /// The document id the file was read under (its path under the root, without extension,
    /// or with it when two files of a folder would share an id: see `kb_indexer::walk`). A file
    /// whose id changed is read again. Empty in manifests written before it was recorded.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub source_id: String,
    /// What the file's document brings to the decisions made across the documents of its
    /// folder (boilerplate, duplicates, a common title suffix): `None` for files whose records
    /// are documents of their own (JSON, JSON Lines) and in manifests written before it was
    /// recorded (such a file is read again).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub content: Option<ContentRecord>,
    /// Passages of the file left out because their text repeats across many documents of its
    /// folder (boilerplate: a help box, a navigation line).
    #[serde(skip_serializing_if = "is_zero", default)]
    pub boilerplate: u64,
    /// Passages of the file left out because a more specific document of its folder holds the
    /// same text (the copy in an aggregate page such as a book's print version).
    #[serde(skip_serializing_if = "is_zero", default)]
    pub duplicates: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What one document brings to the decisions across the documents of its folder
/// ([`FileEntry::content`]): its title as the file gives it and a short hash of every passage's
/// text, so a run can make those decisions again without reading unchanged files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentRecord {
    /// The document's title as parsed, before a common suffix was dropped.
    pub title: String,
    /// One 48-bit hash of each passage's text, in passage order, 8 characters each (6 bits a
    /// character, `A-Za-z0-9-_`); `AAAAAAAA` (zero) for a passage no decision applies to (a
    /// question or an answer).
    pub hashes: String,
}

/// Something that could not be indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipRecord {
    /// The file.
    pub path: String,
    /// The 1-based line, for a single record of a file (JSON Lines) or a parse error position.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u32>,
    /// Why it was skipped.
    pub reason: String,
    /// Whether it is a failure or a file kb does not read by design (serialized as
    /// `"failure"` / `"by_design"`; records written before the field existed read as failures).
    #[serde(default)]
    pub kind: SkipKind,
}

/// What kind of skip a [`SkipRecord`] is: it decides `kb index`'s exit status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// Something that should have been indexed was not: unreadable, invalid content, a
    /// duplicate id, too large. `kb index` exits 2.
    #[default]
    Failure,
    /// A file kb does not read by design: not a document type (images, fonts, scripts), an
    /// empty file, a special file (pipe, socket, device), a link leading outside the indexed
    /// folder. Not a failure: `kb index` exits 0.
    ByDesign,
}

impl SkipRecord {
    /// A failure to index `path` (or its record at `line`).
    pub fn failure(path: impl Into<String>, line: Option<u32>, reason: impl Into<String>) -> Self {
        SkipRecord { path: path.into(), line, reason: reason.into(), kind: SkipKind::Failure }
    }

    /// A file kb does not read by design (see [`SkipKind::ByDesign`]).
    pub fn by_design(path: impl Into<String>, reason: impl Into<String>) -> Self {
        SkipRecord {
            path: path.into(),
            line: None,
            reason: reason.into(),
            kind: SkipKind::ByDesign,
        }
    }

    /// Whether this is a real failure ([`SkipKind::Failure`]).
    pub fn is_failure(&self) -> bool {
        self.kind == SkipKind::Failure
    }
}

impl Manifest {
    /// An empty manifest for this build's schema.
    pub fn new() -> Manifest {
        Manifest { schema_version: crate::SCHEMA_VERSION, ..Manifest::default() }
    }

    /// Reads the manifest from an index's last commit.
    ///
    /// An index that was created but never committed to (no segments, no payload) reads as an
    /// empty manifest of this build's version; an index with documents but no readable payload
    /// reads as version 0, which [`crate::open_index`] reports as another version.
    pub fn read(index: &tantivy::Index) -> tantivy::Result<Manifest> {
        let meta = index.load_metas()?;
        if let Some(manifest) = meta.payload.as_deref().and_then(|p| serde_json::from_str(p).ok()) {
            return Ok(manifest);
        }
        if meta.segments.is_empty() {
            Ok(Manifest::new())
        } else {
            Ok(Manifest::default())
        }
    }

    /// The manifest as a commit payload.
    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).expect("a manifest always serializes")
    }

    /// Total passages over all files and pushed documents.
    pub fn passages(&self) -> u64 {
        self.files.values().map(|f| f.passages).sum::<u64>() + self.pushed.values().sum::<u64>()
    }

    /// Total documents over all files and pushed documents.
    pub fn documents(&self) -> u64 {
        self.files.values().map(|f| f.doc_ids.len() as u64).sum::<u64>() + self.pushed.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind is an added field: records written before it read as failures, and it
    /// serializes by name.
    #[test]
    fn skip_kinds_serialize_by_name_and_default_to_failure() {
        let old: SkipRecord = serde_json::from_str(r#"{"path":"a.png","reason":"x"}"#).unwrap();
        assert_eq!(old.kind, SkipKind::Failure);
        assert!(old.is_failure());
        let by_design = SkipRecord::by_design("a.png", "not a document type");
        assert_eq!(
            serde_json::to_string(&by_design).unwrap(),
            r#"{"path":"a.png","reason":"not a document type","kind":"by_design"}"#
        );
        assert!(!by_design.is_failure());
        let failure = SkipRecord::failure("b.json", Some(3), "invalid JSON");
        assert_eq!(
            serde_json::to_string(&failure).unwrap(),
            r#"{"path":"b.json","line":3,"reason":"invalid JSON","kind":"failure"}"#
        );
    }
}
