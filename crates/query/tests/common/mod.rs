//! Test indexes, written directly with kb-schema: passages in, an index directory out.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use kb_query::Searcher;
use kb_schema::{Kind, Manifest, Passage, SourceRef};

/// An index in a temporary directory.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// Writes `passages` into a new index in one commit, with a manifest as kb-indexer writes.
    pub fn new(passages: &[Passage]) -> Fixture {
        Fixture::with_manifest(passages, &Manifest::new())
    }

    pub fn with_manifest(passages: &[Passage], manifest: &Manifest) -> Fixture {
        Fixture::in_segments(&[passages], manifest)
    }

    /// One commit, so one segment, per batch.
    pub fn in_segments(batches: &[&[Passage]], manifest: &Manifest) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let (index, schema) = kb_schema::create_index(dir.path()).expect("create index");
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 20_000_000).expect("writer");
        for batch in batches {
            for p in *batch {
                writer.add_document(schema.to_document(p)).expect("add");
            }
            let mut commit = writer.prepare_commit().expect("prepare commit");
            commit.set_payload(&manifest.to_payload());
            commit.commit().expect("commit");
        }
        writer.wait_merging_threads().expect("merges");
        Fixture { dir }
    }

    pub fn searcher(&self) -> Searcher {
        Searcher::open(self.dir.path()).expect("open")
    }
}

/// The bundled seed corpus (`corpus/` at the repository root), indexed by kb-indexer as
/// `kb index` would.
pub fn seed_corpus() -> Fixture {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus");
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = kb_indexer::IndexOptions::default();
    let report =
        kb_indexer::update_index(dir.path(), &[corpus], &opts, &mut |_| {}).expect("index");
    assert_eq!((report.documents, report.passages), (2, 14), "{report:?}");
    Fixture { dir }
}

/// An article passage of document `doc_id` at `position`.
pub fn article(doc_id: &str, title: &str, position: u32, text: &str) -> Passage {
    Passage {
        id: Passage::make_id(doc_id, position),
        doc_id: doc_id.into(),
        doc_title: title.into(),
        kind: Kind::Article,
        heading: None,
        position,
        text: text.into(),
        context: None,
        source: SourceRef { path: format!("docs/{doc_id}.txt"), line: 1 + 2 * position },
    }
}
