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
    /// The synonym groups searches expand queries with (the text of the corpus's `synonyms.txt`
    /// as `kb index` last read it), so that every way of searching this index (the CLI, the
    /// library, the server) uses the same ones.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub synonyms: Option<String>,
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
