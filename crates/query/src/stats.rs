//! What an index holds: [`IndexStats`], the `kb stats --json` object.

use std::path::{Path, PathBuf};

use kb_schema::{Kind, Manifest, SkipRecord};
use serde::Serialize;

/// What an index holds. Serializes to the `kb stats --json` object: `{"documents", "passages",
/// "by_kind": {"article", "question", "answer", "code"}, "dropped": {"boilerplate", "duplicates"},
/// "files", "index_bytes"}`, and `"file_list"` when it was asked for (`kb stats --files`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Documents (articles and Q&A threads), from the manifest.
    pub documents: u64,
    /// Passages in the index (deleted ones not counted).
    pub passages: u64,
    /// Passages by kind, counted in the index.
    pub by_kind: KindCounts,
    /// Passages left out because their text repeats across a folder's documents, from the
    /// manifest.
    pub dropped: DroppedCounts,
    /// Source files that are indexed (that produced at least one document).
    pub files: u64,
    /// Size of the committed index, in bytes: `meta.json` and the segment files it lists.
    pub index_bytes: u64,
    /// Every file the manifest knows, indexed or skipped, by path, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_list: Option<Vec<FileStats>>,
}

/// Passage counts by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    /// Article paragraphs and list items.
    pub article: u64,
    /// Questions of Q&A threads.
    pub question: u64,
    /// Answers of Q&A threads.
    pub answer: u64,
    /// Blocks of code.
    pub code: u64,
}

impl KindCounts {
    /// Adds `n` passages of `kind`.
    pub fn add(&mut self, kind: Kind, n: u64) {
        match kind {
            Kind::Article => self.article += n,
            Kind::Question => self.question += n,
            Kind::Answer => self.answer += n,
            Kind::Code => self.code += n,
        }
    }

    /// The passages of `kind`.
    pub fn get(&self, kind: Kind) -> u64 {
        match kind {
            Kind::Article => self.article,
            Kind::Question => self.question,
            Kind::Answer => self.answer,
            Kind::Code => self.code,
        }
    }
}

/// Passages left out of the index by design (see `kb_indexer`'s decisions across documents).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DroppedCounts {
    /// Text repeated across many documents of a folder (a help box, a navigation line).
    pub boilerplate: u64,
    /// Copies of text a more specific document of the folder holds (an aggregate page's).
    pub duplicates: u64,
}

/// One source file of the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileStats {
    /// The file's path, as it was indexed.
    pub path: String,
    /// Documents it produced.
    pub documents: u64,
    /// Passages it produced.
    pub passages: u64,
    /// Passages left out as boilerplate.
    pub boilerplate: u64,
    /// Passages left out as duplicates of a more specific document's.
    pub duplicates: u64,
    /// What of it could not be indexed (the whole file, or single records).
    pub skipped: Vec<SkipRecord>,
}

/// The manifest's part of the statistics: documents, files and the file list.
pub(crate) fn from_manifest(manifest: &Manifest) -> IndexStats {
    let file_list: Vec<FileStats> = manifest
        .files
        .iter()
        .map(|(path, f)| FileStats {
            path: path.clone(),
            documents: f.doc_ids.len() as u64,
            passages: f.passages,
            boilerplate: f.boilerplate,
            duplicates: f.duplicates,
            skipped: f.skipped.clone(),
        })
        .collect();
    let dropped = DroppedCounts {
        boilerplate: manifest.files.values().map(|f| f.boilerplate).sum(),
        duplicates: manifest.files.values().map(|f| f.duplicates).sum(),
    };
    IndexStats {
        documents: manifest.documents(),
        dropped,
        files: file_list.iter().filter(|f| f.documents > 0).count() as u64,
        file_list: Some(file_list),
        ..IndexStats::default()
    }
}

/// Total size of the committed index in `dir`: `meta.json` and the files of the segments it
/// lists. Files a killed or failed run left behind, and anything else in the folder, do not
/// count (the next `kb index` removes the former).
pub(crate) fn committed_bytes(index: &tantivy::Index, dir: &Path) -> tantivy::Result<u64> {
    let meta = index.load_metas()?;
    let mut total = 0;
    for name in meta.list_segment_files().into_iter().chain([PathBuf::from("meta.json")]) {
        match std::fs::metadata(dir.join(&name)) {
            Ok(m) => total += m.len(),
            // Not every candidate exists (a segment without deletes has no .del file).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use kb_schema::FileEntry;

    use super::*;

    #[test]
    fn manifest_gives_documents_files_and_the_file_list() {
        let mut manifest = Manifest::new();
        let entry = |docs: &[&str], passages, skipped: Vec<SkipRecord>| FileEntry {
            doc_ids: docs.iter().map(|d| (*d).to_owned()).collect(),
            passages,
            skipped,
            ..FileEntry::default()
        };
        manifest.files.insert("docs/b.jsonl".into(), entry(&["x", "y"], 3, Vec::new()));
        let skip = SkipRecord::by_design("docs/a.png", "not a document type");
        manifest.files.insert("docs/a.png".into(), entry(&[], 0, vec![skip.clone()]));
        let stats = from_manifest(&manifest);
        assert_eq!((stats.documents, stats.files), (2, 1));
        let list = stats.file_list.expect("the manifest's part lists the files");
        let paths: Vec<&str> = list.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["docs/a.png", "docs/b.jsonl"]);
        assert_eq!(list[0].skipped, [skip]);
        assert_eq!((list[1].documents, list[1].passages), (2, 3));
    }

    #[test]
    fn kind_counts_add_up_and_serialize_by_name() {
        let mut counts = KindCounts::default();
        counts.add(Kind::Answer, 5);
        counts.add(Kind::Article, 8);
        counts.add(Kind::Answer, 1);
        counts.add(Kind::Code, 2);
        assert_eq!(
            serde_json::to_string(&counts).unwrap(),
            r#"{"article":8,"question":0,"answer":6,"code":2}"#
        );
    }
}
