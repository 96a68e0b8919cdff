//! Retrieve by meaning: nearest-neighbour search over every passage's stored embedding.
//!
//! A semantic index stores each passage's embedding quantized to bytes (`kb_schema::vector`).
//! [`DenseIndex::load`] reads them once per searcher view, segment by segment, into one
//! contiguous array (a row of bytes per live passage, its scale beside it), so that a search
//! is a single pass of dot products over it (`kb_schema::vector::nearest`: AVX2 where the CPU
//! has it, split over the cores for large indexes): no index structure to build or store, and
//! results identical to a brute-force scan. The cost grows
//! with the number of passages; BENCHMARKS.md has the crossover where an approximate index
//! pays off.
//!
//! Past it, when the searcher asks ([`crate::ApproximateDense`]), [`DenseIndex::approximate`]
//! builds an HNSW graph over the same rows (`kb_schema::hnsw`, in memory, on a thread of its
//! own by default) and [`DenseIndex::nearest`] walks it once it is ready, the exact scan
//! answering until then. A search for one kind of passage walks a wider beam and keeps that
//! kind; when that leaves fewer passages than asked for, the exact scan answers instead.
//!
//! The same array answers the cosine of one passage ([`DenseIndex::cosine`]), which re-ranking
//! asks for each lexical candidate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use kb_schema::hnsw::{Graph, Rows};
use kb_schema::vector::Quantized;
use kb_schema::{KbSchema, Kind};
use tantivy::DocAddress;

use crate::options::ApproximateDense;
use crate::snapshot::KindColumns;
use crate::stats::KindCounts;

/// The widest a kind-filtered search's beam grows: `beam` times this. A kind rarer than one
/// passage in this many is searched by the exact scan.
const MAX_WIDEN: usize = 8;

/// The embeddings of every live passage of a searcher view, in one array.
#[derive(Debug, Default)]
pub(crate) struct DenseIndex {
    /// Components per embedding (0 when there is none).
    dim: usize,
    /// The components, `dim` signed bytes a passage, passage after passage (shared with the
    /// thread that builds the graph).
    rows: Arc<Vec<u8>>,
    /// Each passage's scale (see [`Quantized::scale`]).
    scales: Arc<Vec<f32>>,
    /// Each passage's address, sorted (segment, then doc id).
    addresses: Vec<DocAddress>,
    /// Each passage's kind (`None` if unreadable).
    kinds: Vec<Option<Kind>>,
    /// The approximate search, when asked for and the passages are enough.
    approximate: Option<Approximate>,
}

/// An HNSW graph over a [`DenseIndex`]'s rows: being built, or ready.
#[derive(Debug)]
struct Approximate {
    /// The graph, once built.
    graph: Arc<OnceLock<Graph>>,
    /// Set when the index is dropped: a build still running stops.
    cancel: Arc<AtomicBool>,
    /// The beam of a search.
    beam: usize,
    /// How many passages of each kind there are, for a kind-filtered search's beam.
    kind_counts: KindCounts,
}

impl Drop for DenseIndex {
    fn drop(&mut self) {
        if let Some(approximate) = &self.approximate {
            approximate.cancel.store(true, Ordering::Relaxed);
        }
    }
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
        let (mut rows, mut scales) = (Vec::new(), Vec::new());
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
                rows.extend_from_slice(&values[at..at + index.dim]);
                scales.push(scale);
                index.addresses.push(DocAddress::new(segment, doc));
                index.kinds.push(kinds.of_doc(segment, doc));
            }
        }
        index.rows = Arc::new(rows);
        index.scales = Arc::new(scales);
        Ok(index)
    }

    /// How many passages have an embedding.
    pub(crate) fn len(&self) -> usize {
        self.scales.len()
    }

    /// The rows, as the graph reads them.
    fn rows(&self) -> Rows<'_> {
        Rows { dim: self.dim, rows: &self.rows, scales: &self.scales }
    }

    /// Turns on the approximate search `settings` describe: when there are at least
    /// `settings.min_passages` passages, builds the HNSW graph of the rows, on a thread of its
    /// own if `settings.background` (if the thread cannot be started, the exact scan goes on
    /// answering). Below that, or with a graph already asked for, does nothing.
    pub(crate) fn approximate(&mut self, settings: ApproximateDense) {
        if self.approximate.is_some() || self.len() == 0 || self.len() < settings.min_passages {
            return;
        }
        let mut kind_counts = KindCounts::default();
        for &kind in self.kinds.iter().flatten() {
            kind_counts.add(kind, 1);
        }
        let approximate = Approximate {
            graph: Arc::new(OnceLock::new()),
            cancel: Arc::new(AtomicBool::new(false)),
            beam: settings.beam.max(1),
            kind_counts,
        };
        if settings.background {
            let (graph, cancel) = (Arc::clone(&approximate.graph), Arc::clone(&approximate.cancel));
            let (dim, rows, scales) = (self.dim, Arc::clone(&self.rows), Arc::clone(&self.scales));
            // Building takes seconds to minutes; a failure to start the thread leaves the exact
            // scan answering, as before the graph is ready.
            let _ = std::thread::Builder::new().name("kb-hnsw".into()).spawn(move || {
                let rows = Rows { dim, rows: &rows, scales: &scales };
                if let Some(built) = Graph::build(rows, &cancel) {
                    let _ = graph.set(built);
                }
            });
        } else if let Some(built) = Graph::build(self.rows(), &approximate.cancel) {
            let _ = approximate.graph.set(built);
        }
        self.approximate = Some(approximate);
    }

    /// Whether [`DenseIndex::nearest`] walks the graph: one was asked for and is built.
    pub(crate) fn approximate_ready(&self) -> bool {
        self.graph().is_some()
    }

    fn graph(&self) -> Option<(&Graph, &Approximate)> {
        let approximate = self.approximate.as_ref()?;
        Some((approximate.graph.get()?, approximate))
    }

    /// The cosine between the passage at `address` and `query`, if it has an embedding.
    pub(crate) fn cosine(&self, address: DocAddress, query: &[f32]) -> Option<f32> {
        let row = self.addresses.binary_search(&address).ok()?;
        Some(self.score(row, query))
    }

    /// Adds the embedding of the passage at `address` to `sum` (as long as the stored ones);
    /// false, and nothing added, if the passage has no embedding.
    pub(crate) fn add_embedding(&self, address: DocAddress, sum: &mut [f32]) -> bool {
        let Ok(row) = self.addresses.binary_search(&address) else { return false };
        for (s, v) in sum.iter_mut().zip(self.rows().quantized(row).values()) {
            *s += v;
        }
        true
    }

    /// The `k` passages closest to `query` (a unit vector as long as the stored ones), best
    /// first, with their cosines; only passages of `kind` when one is given. Empty when the
    /// query's length is not the stored embeddings'.
    ///
    /// Exact (every passage scored) unless the approximate search is on and its graph built:
    /// then the passages a walk of the graph finds ([`DenseIndex::approximate`]).
    pub(crate) fn nearest(
        &self,
        query: &[f32],
        k: usize,
        kind: Option<Kind>,
    ) -> Vec<(f32, DocAddress)> {
        if query.len() != self.dim || k == 0 {
            return Vec::new();
        }
        let rows = match self.graph().and_then(|graph| self.walk(graph, query, k, kind)) {
            Some(rows) => rows,
            None => self.scan(query, k, kind),
        };
        rows.into_iter().map(|(score, row)| (score, self.addresses[row])).collect()
    }

    /// The exact `k` nearest rows of `kind` (any kind for `None`).
    fn scan(&self, query: &[f32], k: usize, kind: Option<Kind>) -> Vec<(f32, usize)> {
        let keep = |row: usize| kind.is_none_or(|kind| self.kinds[row] == Some(kind));
        kb_schema::vector::nearest(&self.rows, &self.scales, query, k, keep)
    }

    /// The `k` nearest rows of `kind` a walk of the graph finds; `None` when the exact scan
    /// should answer instead: the kind is too rare for the widest beam, or the walk found fewer
    /// than `k` of it (and fewer than there are).
    fn walk(
        &self,
        (graph, approximate): (&Graph, &Approximate),
        query: &[f32],
        k: usize,
        kind: Option<Kind>,
    ) -> Option<Vec<(f32, usize)>> {
        let beam = approximate.beam.max(k);
        let Some(kind) = kind else {
            let mut found = graph.search(self.rows(), query, beam);
            found.truncate(k);
            return (found.len() >= k.min(self.len())).then_some(found);
        };
        let of_kind = approximate.kind_counts.get(kind) as usize;
        if of_kind == 0 {
            return Some(Vec::new());
        }
        let widen = self.len().div_ceil(of_kind);
        if widen > MAX_WIDEN {
            return None;
        }
        let found = graph.search(self.rows(), query, beam * widen);
        let mut kept: Vec<(f32, usize)> =
            found.into_iter().filter(|&(_, row)| self.kinds[row] == Some(kind)).collect();
        if kept.len() < k.min(of_kind) {
            return None;
        }
        kept.truncate(k);
        Some(kept)
    }

    /// The cosine of row `row` with `query`.
    fn score(&self, row: usize, query: &[f32]) -> f32 {
        self.rows().quantized(row).dot(query)
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

    /// `n` unit vectors of `dim` components around `clusters` random centres (row `i` in
    /// cluster `i % clusters`, noise about half a centre's length), seeded, quantized: rows
    /// and scales.
    fn clustered(n: usize, dim: usize, clusters: usize) -> (Vec<u8>, Vec<f32>) {
        let mut seed = 11_u64;
        let mut next = || {
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let unit = |v: Vec<f32>| {
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect::<Vec<f32>>()
        };
        let centres: Vec<Vec<f32>> =
            (0..clusters).map(|_| unit((0..dim).map(|_| next()).collect())).collect();
        let noise = 1.8 / (dim as f32).sqrt();
        let (mut rows, mut scales) = (Vec::new(), Vec::new());
        for i in 0..n {
            let v = unit(centres[i % clusters].iter().map(|c| c + noise * next()).collect());
            let bytes = kb_schema::vector::encode(&v);
            let q = Quantized::from_bytes(&bytes).unwrap();
            rows.extend_from_slice(q.components);
            scales.push(q.scale);
        }
        (rows, scales)
    }

    /// `n` clustered rows of `dim` components ([`clustered`]), row `i` of kind `kind_of(i)`,
    /// addressed as doc `i`.
    fn synthetic(
        n: usize,
        dim: usize,
        clusters: usize,
        kind_of: impl Fn(usize) -> Kind,
    ) -> DenseIndex {
        let (rows, scales) = clustered(n, dim, clusters);
        DenseIndex {
            dim,
            rows: Arc::new(rows),
            scales: Arc::new(scales),
            addresses: (0..n as u32).map(|doc| DocAddress::new(0, doc)).collect(),
            kinds: (0..n).map(|i| Some(kind_of(i))).collect(),
            approximate: None,
        }
    }

    /// Row `row` of `dense` as an `f32` unit vector (a query close to it).
    fn query_at(dense: &DenseIndex, row: usize) -> Vec<f32> {
        let v: Vec<f32> = dense.rows[row * dense.dim..(row + 1) * dense.dim]
            .iter()
            .map(|&c| f32::from(c as i8))
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    fn settings(min_passages: usize, beam: usize) -> ApproximateDense {
        ApproximateDense { min_passages, background: false, beam }
    }

    #[test]
    fn below_the_threshold_nothing_is_built_and_the_scan_answers() {
        let mut dense = synthetic(2000, 24, 20, |_| Kind::Article);
        let exact: Vec<Vec<(f32, DocAddress)>> =
            (0..20).map(|q| dense.nearest(&query_at(&dense, q * 37), 10, None)).collect();
        dense.approximate(settings(2001, 10));
        assert!(!dense.approximate_ready());
        assert!(dense.approximate.is_none(), "nothing is built below the threshold");
        for (q, want) in exact.iter().enumerate() {
            assert_eq!(&dense.nearest(&query_at(&dense, q * 37), 10, None), want);
        }
        // At the threshold the graph is built, and its answers are mostly the scan's.
        dense.approximate(settings(2000, 10));
        assert!(dense.approximate_ready());
        let mut same = 0;
        for (q, want) in exact.iter().enumerate() {
            let got = dense.nearest(&query_at(&dense, q * 37), 10, None);
            assert_eq!(got.len(), 10);
            same += got.iter().filter(|hit| want.contains(hit)).count();
        }
        assert!(same >= 190, "{same} of 200");
    }

    #[test]
    fn a_kind_filter_keeps_that_kind_and_falls_back_to_the_scan_when_the_walk_finds_too_few() {
        // Four clusters; the answers are cluster 0, the questions every 20th row.
        let kind_of = |i: usize| match (i % 4, i % 20) {
            (0, _) => Kind::Answer,
            (_, 1) => Kind::Question,
            _ => Kind::Article,
        };
        let mut dense = synthetic(2000, 24, 4, kind_of);
        let scan = |dense: &DenseIndex, q: &[f32], kind| {
            let rows = dense.scan(q, 10, Some(kind));
            rows.into_iter().map(|(s, row)| (s, dense.addresses[row])).collect::<Vec<_>>()
        };
        dense.approximate(settings(1, 10));
        assert!(dense.approximate_ready());
        let kind_at = |a: DocAddress| kind_of(a.doc_id as usize);
        // Near the answers' cluster: the widened walk finds ten answers itself.
        let near_answers = query_at(&dense, 8);
        let found = dense.nearest(&near_answers, 10, Some(Kind::Answer));
        assert_eq!(found.len(), 10);
        assert!(found.iter().all(|&(_, a)| kind_at(a) == Kind::Answer), "{found:?}");
        let walked = dense.walk(dense.graph().unwrap(), &near_answers, 10, Some(Kind::Answer));
        assert_eq!(walked.map(|w| w.len()), Some(10), "answered by the graph");
        // Near cluster 1: a walk of 4 × 10 finds no answer (all in cluster 0); the exact scan
        // answers, with the ten nearest answers.
        let near_articles = query_at(&dense, 5);
        let walked = dense.walk(dense.graph().unwrap(), &near_articles, 10, Some(Kind::Answer));
        assert_eq!(walked, None, "the walk finds too few answers");
        let found = dense.nearest(&near_articles, 10, Some(Kind::Answer));
        assert_eq!(found, scan(&dense, &near_articles, Kind::Answer));
        assert!(found.iter().all(|&(_, a)| kind_at(a) == Kind::Answer));
        // Questions (one row in 20) are too rare to walk for: the scan, exactly.
        let found = dense.nearest(&near_answers, 10, Some(Kind::Question));
        assert_eq!(found, scan(&dense, &near_answers, Kind::Question));
        assert_eq!(found.len(), 10);
        assert!(found.iter().all(|&(_, a)| kind_at(a) == Kind::Question));
        // A kind no passage has: nothing.
        assert!(dense.nearest(&near_answers, 10, Some(Kind::Code)).is_empty());
    }

    #[test]
    fn a_graph_built_in_the_background_takes_over_from_the_scan() {
        let mut dense = synthetic(1500, 16, 10, |_| Kind::Article);
        let q = query_at(&dense, 3);
        let exact = dense.nearest(&q, 5, None);
        dense.approximate(ApproximateDense { min_passages: 1000, background: true, beam: 50 });
        let started = std::time::Instant::now();
        while !dense.approximate_ready() {
            assert!(started.elapsed().as_secs() < 120, "the graph was never built");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // Row 3 itself is the nearest, whichever way.
        let found = dense.nearest(&q, 5, None);
        assert_eq!(found[0], exact[0]);
        assert_eq!(found.len(), 5);
    }
}
