//! Retrieve by meaning: exact nearest-neighbour search over every passage's stored embedding.
//!
//! A semantic index stores each passage's embedding quantized to bytes (`kb_schema::vector`).
//! [`DenseIndex::load`] reads them once per searcher view, segment by segment, into one
//! contiguous array (a row of bytes per live passage, its scale beside it), so that a search
//! is a single pass of dot products over it (`kb_schema::vector::nearest`: AVX2 where the CPU
//! has it, split over the cores for large indexes): no index structure to build or store, and
//! results identical to a brute-force scan. The cost grows
//! with the number of passages; BENCHMARKS.md has the crossover where an approximate index
//! would pay off.
//!
//! The same array answers the cosine of one passage ([`DenseIndex::cosine`]), which re-ranking
//! asks for each lexical candidate.

use kb_schema::vector::Quantized;
use kb_schema::{KbSchema, Kind};
use tantivy::DocAddress;

use crate::snapshot::KindColumns;

/// The embeddings of every live passage of a searcher view, in one array.
#[derive(Debug, Default)]
pub(crate) struct DenseIndex {
    /// Components per embedding (0 when there is none).
    dim: usize,
    /// The components, `dim` signed bytes a passage, passage after passage.
    rows: Vec<u8>,
    /// Each passage's scale (see [`Quantized::scale`]).
    scales: Vec<f32>,
    /// Each passage's address, sorted (segment, then doc id).
    addresses: Vec<DocAddress>,
    /// Each passage's kind (`None` if unreadable).
    kinds: Vec<Option<Kind>>,
}

impl DenseIndex {
    /// Reads the embeddings of every live passage of `searcher`, whose passages are of the
    /// kinds `kinds`. Passages without one, or with one of another length than the first found,
    /// are left out.
    pub(crate) fn load(
        searcher: &tantivy::Searcher,
        schema: &KbSchema,
        kinds: &KindColumns,
    ) -> tantivy::Result<DenseIndex> {
        let vector_name = searcher.schema().get_field_name(schema.vector);
        let mut index = DenseIndex::default();
        for (segment, reader) in searcher.segment_readers().iter().enumerate() {
            let Some(column) = reader.fast_fields().bytes(vector_name)? else { continue };
            // Each distinct embedding once, by term ordinal (the stream's order): its scale and
            // where its components start in `values`.
            let mut values: Vec<u8> = Vec::new();
            let mut by_ord: Vec<Option<(f32, usize)>> = Vec::with_capacity(column.num_terms());
            let mut stream = column.dictionary().stream()?;
            while stream.advance() {
                let entry = Quantized::from_bytes(stream.key()).and_then(|q| {
                    if index.dim == 0 {
                        index.dim = q.components.len();
                    }
                    (q.components.len() == index.dim && index.dim > 0).then(|| {
                        values.extend_from_slice(q.components);
                        (q.scale, values.len() - index.dim)
                    })
                });
                by_ord.push(entry);
            }
            let alive = reader.alive_bitset();
            let segment = segment as u32;
            for doc in 0..reader.max_doc() {
                if alive.is_some_and(|a| a.is_deleted(doc)) {
                    continue;
                }
                let Some(ord) = column.ords().first(doc) else { continue };
                let Some(&Some((scale, at))) = by_ord.get(ord as usize) else { continue };
                index.rows.extend_from_slice(&values[at..at + index.dim]);
                index.scales.push(scale);
                index.addresses.push(DocAddress::new(segment, doc));
                index.kinds.push(kinds.of_doc(segment, doc));
            }
        }
        Ok(index)
    }

    /// How many passages have an embedding.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.scales.len()
    }

    /// The cosine between the passage at `address` and `query`, if it has an embedding.
    pub(crate) fn cosine(&self, address: DocAddress, query: &[f32]) -> Option<f32> {
        let row = self.addresses.binary_search(&address).ok()?;
        Some(self.score(row, query))
    }

    /// The `k` passages closest to `query` (a unit vector as long as the stored ones), best
    /// first, with their cosines; only passages of `kind` when one is given. Empty when the
    /// query's length is not the stored embeddings'.
    pub(crate) fn nearest(
        &self,
        query: &[f32],
        k: usize,
        kind: Option<Kind>,
    ) -> Vec<(f32, DocAddress)> {
        if query.len() != self.dim {
            return Vec::new();
        }
        let keep = |row: usize| kind.is_none_or(|kind| self.kinds[row] == Some(kind));
        let best = kb_schema::vector::nearest(&self.rows, &self.scales, query, k, keep);
        best.into_iter().map(|(score, row)| (score, self.addresses[row])).collect()
    }

    /// The cosine of row `row` with `query`.
    fn score(&self, row: usize, query: &[f32]) -> f32 {
        let components = &self.rows[row * self.dim..(row + 1) * self.dim];
        Quantized { scale: self.scales[row], components }.dot(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kb_schema::{Manifest, Passage, SourceRef};

    fn passage(doc: &str, kind: Kind, text: &str) -> Passage {
        Passage {
            id: Passage::make_id(doc, 0),
            doc_id: doc.into(),
            doc_title: doc.into(),
            kind,
            heading: None,
            position: 0,
            text: text.into(),
            context: None,
            source: SourceRef { path: format!("{doc}.txt"), line: 1 },
        }
    }

    /// An index in memory of passages with the given embeddings, in two segments.
    fn index(vectors: &[(&str, Kind, [f32; 3])]) -> tantivy::Searcher {
        let (index, schema) = kb_schema::create_index_in_ram();
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (i, (doc, kind, v)) in vectors.iter().enumerate() {
            writer
                .add_document(schema.to_document_with_vector(&passage(doc, *kind, doc), v))
                .unwrap();
            if i == 1 {
                writer.commit().unwrap();
            }
        }
        let mut commit = writer.prepare_commit().unwrap();
        commit.set_payload(&Manifest::new().to_payload());
        commit.commit().unwrap();
        index.reader().unwrap().searcher()
    }

    fn kinds(searcher: &tantivy::Searcher, schema: &KbSchema) -> KindColumns {
        KindColumns::open(searcher, schema.kind).unwrap()
    }

    #[test]
    fn nearest_ranks_every_passage_by_cosine_and_filters_by_kind() {
        let searcher = index(&[
            ("a", Kind::Article, [1.0, 0.0, 0.0]),
            ("b", Kind::Answer, [0.6, 0.8, 0.0]),
            ("c", Kind::Article, [0.0, 0.0, 1.0]),
            ("d", Kind::Answer, [0.8, 0.6, 0.0]),
        ]);
        let schema = KbSchema::from_schema(searcher.schema()).unwrap();
        let dense = DenseIndex::load(&searcher, &schema, &kinds(&searcher, &schema)).unwrap();
        assert_eq!(dense.len(), 4);
        assert_eq!(searcher.segment_readers().len(), 2);
        let doc_of = |a: DocAddress| {
            let d: tantivy::TantivyDocument = searcher.doc(a).unwrap();
            schema.from_document(&d).unwrap().doc_id
        };
        let query = [1.0, 0.0, 0.0];
        let best: Vec<String> =
            dense.nearest(&query, 3, None).into_iter().map(|(_, a)| doc_of(a)).collect();
        assert_eq!(best, ["a", "d", "b"]);
        let answers = dense.nearest(&query, 10, Some(Kind::Answer));
        assert_eq!(answers.iter().map(|&(_, a)| doc_of(a)).collect::<Vec<_>>(), ["d", "b"]);
        assert!((answers[0].0 - 0.8).abs() < 0.01, "{:?}", answers[0]);
        assert!((dense.cosine(answers[1].1, &query).unwrap() - 0.6).abs() < 0.01);
        assert!(dense.nearest(&[1.0, 0.0], 3, None).is_empty(), "another length");
    }

    #[test]
    fn deleted_passages_and_lexical_indexes_give_nothing() {
        let (index, schema) = kb_schema::create_index_in_ram();
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(schema.to_document(&passage("plain", Kind::Article, "x"))).unwrap();
        let gone = passage("gone", Kind::Article, "y");
        writer.add_document(schema.to_document_with_vector(&gone, &[1.0, 0.0])).unwrap();
        writer.commit().unwrap();
        writer.delete_term(tantivy::Term::from_field_text(schema.doc_id, "gone"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let dense = DenseIndex::load(&searcher, &schema, &kinds(&searcher, &schema)).unwrap();
        assert_eq!(dense.len(), 0);
        assert!(dense.nearest(&[1.0, 0.0], 5, None).is_empty());
    }
}
