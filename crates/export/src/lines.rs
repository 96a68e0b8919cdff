//! One passage as a line of the target's passages file.

use serde::Serialize;

use crate::read::Exported;
use crate::{meilisearch, meilisearch_id, Target};

/// A passage line. Every key is written, `null` when empty; `id` only for Meilisearch, the
/// embedding only on a semantic export.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    passage_id: &'a str,
    doc_id: &'a str,
    doc_title: Option<&'a str>,
    kind: &'static str,
    heading: Option<&'a str>,
    text: &'a str,
    context: Option<&'a str>,
    source: Source<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<Option<&'a [f32]>>,
    #[serde(rename = "_vectors", skip_serializing_if = "Option::is_none")]
    meilisearch_vectors: Option<MeilisearchVectors<'a>>,
}

#[derive(Serialize)]
struct Source<'a> {
    path: &'a str,
    line: u32,
}

/// `_vectors`: `{EMBEDDER: embedding or null}`.
struct MeilisearchVectors<'a> {
    embedding: Option<&'a [f32]>,
}

impl Serialize for MeilisearchVectors<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(meilisearch::EMBEDDER, &self.embedding)?;
        map.end()
    }
}

/// `{"index":{"_id":...}}`: the `_bulk` action before each OpenSearch passage.
#[derive(Serialize)]
struct BulkAction<'a> {
    index: BulkIndex<'a>,
}

#[derive(Serialize)]
struct BulkIndex<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
}

/// Appends the passage's line (two for OpenSearch: the action, then the passage) to `out`.
pub(crate) fn write(target: Target, exported: &Exported<'_>, out: &mut Vec<u8>) {
    let p = exported.passage;
    let mut line = Line {
        id: None,
        passage_id: &p.id,
        doc_id: &p.doc_id,
        doc_title: Some(p.doc_title.as_str()).filter(|t| !t.is_empty()),
        kind: p.kind.as_str(),
        heading: p.heading.as_deref().filter(|h| !h.is_empty()),
        text: &p.text,
        context: p.context.as_deref().filter(|c| !c.is_empty()),
        source: Source { path: &p.source.path, line: p.source.line },
        vector: None,
        meilisearch_vectors: None,
    };
    match target {
        Target::OpenSearch => {
            serde_json::to_writer(&mut *out, &BulkAction { index: BulkIndex { id: &p.id } })
                .expect("serializing to memory cannot fail");
            out.push(b'\n');
            line.vector = exported.vector;
        }
        Target::Quickwit => line.vector = exported.vector,
        Target::Meilisearch => {
            line.id = Some(meilisearch_id(&p.id));
            line.meilisearch_vectors =
                exported.vector.map(|embedding| MeilisearchVectors { embedding });
        }
    }
    serde_json::to_writer(&mut *out, &line).expect("serializing to memory cannot fail");
    out.push(b'\n');
}
