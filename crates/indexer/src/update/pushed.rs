//! Documents a program pushes into an index ([`push_documents`]) and removes
//! ([`remove_documents`]), rather than files read from a folder.
//!
//! They are recorded in [`Manifest::pushed`] (id -> passages) and committed with the manifest in
//! one atomic step, like files. Indexing files never removes them (a rebuild keeps them), and
//! their ids come before any file's: a file holding a pushed document's id is refused it. Their
//! passages have an empty `source.path` and line 1: they come from no file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use kb_schema::{FileEntry, KbSchema, Manifest, Passage, SkipRecord};
use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Term};
use tantivy::{Index, ReloadPolicy, TantivyDocument};

use super::writer::Writer;
use super::{IndexError, IndexOptions, IndexReport};
use crate::formats::{build_record, ParsedDocument, Record};

/// How an index is named in messages when only the open index is known.
const OPEN_INDEX: &str = "(open index)";

/// Pushes documents into an index, or replaces them (upsert), in one commit.
///
/// Each [`Record`] is one document, read as a JSON record is (an article or a Q&A thread).
/// A record whose id is already a pushed document's replaces it (within `records`, the last of
/// an id wins); a record without id or text, or whose id a file of the index has, is not
/// added and is listed in [`IndexReport::skipped`] (path empty, `line` its 1-based position in
/// `records`). In a semantic index its passages are embedded with [`IndexOptions::semantic`],
/// which must then be the index's model ([`IndexError::ModelMismatch`] otherwise, as for a
/// model given for a lexical index that holds documents); an empty index takes the options'
/// model. [`IndexReport::added`] counts new documents, [`IndexReport::changed`] replaced ones.
///
/// ```
/// use kb_indexer::formats::Record;
/// use kb_indexer::{push_documents, remove_documents, IndexOptions};
///
/// let (index, _) = kb_schema::create_index_in_ram();
/// let opts = IndexOptions::default();
/// let report = push_documents(&index, [Record::article("n1", "Notes", "Quokkas smile.")], &opts)?;
/// assert_eq!((report.added, report.documents, report.committed), (1, 1, true));
/// let report = remove_documents(&index, ["n1", "n2"], &opts)?;
/// assert_eq!((report.removed, report.documents, report.skipped.len()), (1, 0, 1));
/// # Ok::<(), kb_indexer::IndexError>(())
/// ```
pub fn push_documents(
    index: &Index,
    records: impl IntoIterator<Item = Record>,
    opts: &IndexOptions,
) -> Result<IndexReport, IndexError> {
    let started = Instant::now();
    let mut manifest = Manifest::read(index).map_err(write_error)?;
    let given = opts.semantic.as_ref().map(|m| m.name.clone());
    if manifest.documents() == 0 {
        manifest.semantic = given;
        manifest.semantic_model = opts.semantic.as_ref().map(super::SemanticModel::record);
    } else if manifest.semantic != given {
        return Err(IndexError::ModelMismatch { index: manifest.semantic, given });
    }
    let model = manifest.semantic.as_ref().and(opts.semantic.as_ref());
    let mut writer = Writer::open(index, Path::new(OPEN_INDEX), opts, model)?;
    writer.set_live(manifest.pushed.keys().cloned().collect::<Vec<_>>());
    let files = file_owners(&manifest.files);

    let records: Vec<Record> = records.into_iter().collect();
    let last: HashMap<&str, usize> =
        records.iter().enumerate().filter_map(|(i, r)| Some((r.id.as_deref()?, i))).collect();
    let last: HashMap<String, usize> = last.into_iter().map(|(id, i)| (id.to_owned(), i)).collect();
    let mut report = IndexReport::default();
    for (i, record) in records.into_iter().enumerate() {
        let line = Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
        let mut skip = |reason: String| {
            report.skipped.push(SkipRecord::failure("", line, reason));
        };
        let Some(id) = record.id.clone() else {
            skip("record has no \"id\" or \"_id\"".to_owned());
            continue;
        };
        if last.get(&id) != Some(&i) {
            continue;
        }
        if let Some(path) = files.get(id.as_str()) {
            skip(format!("document id {id:?} is indexed from {path}; it cannot be pushed"));
            continue;
        }
        match build_record(record, 1, None, "") {
            Err(reason) => skip(reason),
            Ok(doc) => {
                let replaced = manifest.pushed.insert(id, doc.passages.len() as u64).is_some();
                if replaced {
                    report.changed += 1;
                } else {
                    report.added += 1;
                }
                writer.add(doc)?;
            }
        }
    }
    finish(writer, &manifest, report, started)
}

/// Removes pushed documents by id, in one commit.
///
/// Only pushed documents are removed ([`IndexReport::removed`] counts them); an id that is no
/// pushed document's (unknown, or a file's) changes nothing and is listed in
/// [`IndexReport::skipped`] with the reason. A file that was refused a removed document's id
/// gets it at the next [`super::update()`] of its folder.
pub fn remove_documents(
    index: &Index,
    ids: impl IntoIterator<Item = impl AsRef<str>>,
    opts: &IndexOptions,
) -> Result<IndexReport, IndexError> {
    let started = Instant::now();
    let mut manifest = Manifest::read(index).map_err(write_error)?;
    let mut writer = Writer::open(index, Path::new(OPEN_INDEX), opts, None)?;
    writer.set_live(manifest.pushed.keys().cloned().collect::<Vec<_>>());
    let files = file_owners(&manifest.files);
    let mut report = IndexReport::default();
    for id in ids {
        let id = id.as_ref();
        if manifest.pushed.remove(id).is_some() {
            writer.delete(id)?;
            report.removed += 1;
            continue;
        }
        let reason = match files.get(id) {
            Some(path) => {
                format!("document id {id:?} is indexed from {path}; it cannot be removed")
            }
            None => format!("no pushed document has id {id:?}"),
        };
        report.skipped.push(SkipRecord::failure("", None, reason));
    }
    finish(writer, &manifest, report, started)
}

/// Commits if anything changed, and completes the report.
fn finish(
    writer: Writer<'_>,
    manifest: &Manifest,
    mut report: IndexReport,
    started: Instant,
) -> Result<IndexReport, IndexError> {
    if writer.is_dirty() {
        writer.commit(manifest)?;
        report.committed = true;
    }
    report.documents = manifest.documents();
    report.passages = manifest.passages();
    report.took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// The file that has each document id.
fn file_owners(files: &BTreeMap<String, FileEntry>) -> HashMap<&str, &str> {
    files
        .iter()
        .flat_map(|(key, e)| e.doc_ids.iter().map(move |d| (d.as_str(), key.as_str())))
        .collect()
}

fn write_error(source: tantivy::TantivyError) -> IndexError {
    IndexError::Write { path: OPEN_INDEX.into(), source }
}

/// Adds the pushed documents again with vectors of the index's new model (or none), from
/// their stored passages: a rebuild with another model keeps them. Their `context` (an
/// answer's question body) is not stored, so it is not searchable after this.
pub(super) fn embed_again(
    writer: &mut Writer<'_>,
    manifest: &Manifest,
    index: &Index,
) -> Result<(), IndexError> {
    if manifest.pushed.is_empty() {
        return Ok(());
    }
    let stored = || -> tantivy::Result<Vec<ParsedDocument>> {
        let schema = KbSchema::from_schema(&index.schema())
            .ok_or_else(|| tantivy::TantivyError::SchemaError("not a kb index".into()))?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let searcher = reader.searcher();
        let mut docs = Vec::new();
        for id in manifest.pushed.keys() {
            let term = Term::from_field_text(schema.doc_id, id);
            let found = searcher
                .search(&TermQuery::new(term, IndexRecordOption::Basic), &DocSetCollector)?;
            let mut passages: Vec<Passage> = Vec::new();
            for address in found {
                let doc: TantivyDocument = searcher.doc(address)?;
                passages.extend(schema.from_document(&doc));
            }
            passages.sort_by_key(|p| p.position);
            let title = passages.first().map(|p| p.doc_title.clone()).unwrap_or_default();
            docs.push(ParsedDocument { doc_id: id.clone(), title, passages });
        }
        Ok(docs)
    };
    for doc in stored().map_err(|e| writer.error(e))? {
        writer.add(doc)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use tantivy::collector::Count;
    use tantivy::query::QueryParser;

    use super::*;
    use crate::formats::Answer;
    use crate::{update, update_index, SemanticModel};

    /// How many passages of `index` match `query` in their text.
    fn hits(index: &Index, query: &str) -> usize {
        let schema = KbSchema::from_schema(&index.schema()).unwrap();
        let parser = QueryParser::for_index(index, vec![schema.text]);
        let searcher = index.reader().unwrap().searcher();
        searcher.search(&parser.parse_query(query).unwrap(), &Count).unwrap()
    }

    #[test]
    fn pushed_documents_are_added_replaced_and_removed() {
        let (index, _) = kb_schema::create_index_in_ram();
        let opts = IndexOptions::default();
        let thread =
            Record::thread("q1", "Why?", "Why do quokkas smile?", vec![Answer::new("Wombats.")]);
        let records = [Record::article("n1", "Notes", "Quokkas smile.\n\nOften."), thread];
        let report = push_documents(&index, records, &opts).unwrap();
        assert_eq!((report.added, report.documents, report.passages), (2, 2, 4));
        assert_eq!((hits(&index, "quokkas"), hits(&index, "wombats")), (2, 1));

        // Upsert: the last record of an id wins; one without id or text is reported.
        let records = [
            Record::article("n1", "Notes", "Kangaroos hop."),
            Record::article("n1", "Notes", "Echidnas dig."),
            Record { title: Some("no id".into()), ..Record::default() },
            Record { id: Some("empty".into()), ..Record::default() },
        ];
        let report = push_documents(&index, records, &opts).unwrap();
        assert_eq!((report.added, report.changed, report.documents), (0, 1, 2), "{report:?}");
        let reasons: Vec<_> = report.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (Some(3), "record has no \"id\" or \"_id\""),
                (Some(4), "record \"empty\" has no \"text\" or \"title\"")
            ]
        );
        assert_eq!(
            (hits(&index, "quokkas"), hits(&index, "kangaroos"), hits(&index, "echidnas")),
            (1, 0, 1)
        );

        let report = remove_documents(&index, ["q1", "nope"], &opts).unwrap();
        assert_eq!((report.removed, report.documents, report.passages), (1, 1, 1));
        assert_eq!(report.skipped[0].reason, "no pushed document has id \"nope\"");
        assert_eq!(hits(&index, "wombats"), 0);
        let manifest = Manifest::read(&index).unwrap();
        assert_eq!(manifest.pushed.keys().collect::<Vec<_>>(), ["n1"]);
    }

    /// Files and pushed documents share one index: indexing files (a rebuild too) keeps pushed
    /// documents; a pushed document's id is refused to files, a file's to pushes; a file gets
    /// the id back once the pushed document is removed.
    #[test]
    fn files_and_pushed_documents_keep_out_of_each_other() {
        let docs = tempfile::tempdir().unwrap();
        std::fs::write(docs.path().join("a.jsonl"), "{\"id\": \"p1\", \"text\": \"from the file\"}\n{\"id\": \"f1\", \"text\": \"platypus\"}\n").unwrap();
        let index_dir = tempfile::tempdir().unwrap();
        let roots = [PathBuf::from(docs.path())];
        let opts = IndexOptions::default();
        let (index, _) = kb_schema::create_index(index_dir.path()).unwrap();
        push_documents(&index, [Record::article("p1", "Pushed", "numbat")], &opts).unwrap();

        let report = update(&index, Some(index_dir.path()), &roots, &opts, &mut |_| {}).unwrap();
        assert_eq!((report.documents, report.passages), (2, 2));
        assert_eq!(report.skipped[0].reason, "document id \"p1\" is a pushed document's");
        let refused = push_documents(&index, [Record::article("f1", "F", "taken")], &opts).unwrap();
        assert!(!refused.committed);
        assert!(refused.skipped[0].reason.starts_with("document id \"f1\" is indexed from "));

        let rebuild = IndexOptions { rebuild: true, ..IndexOptions::default() };
        drop(index);
        let rebuilt = update_index(index_dir.path(), &roots, &rebuild, &mut |_| {}).unwrap();
        assert_eq!((rebuilt.documents, rebuilt.passages), (2, 2));
        let (index, _) = kb_schema::open_index(index_dir.path()).unwrap();
        assert_eq!(
            (hits(&index, "numbat"), hits(&index, "platypus"), hits(&index, "file")),
            (1, 1, 0)
        );

        remove_documents(&index, ["p1"], &opts).unwrap();
        let report = update(&index, None, &roots, &opts, &mut |_| {}).unwrap();
        assert_eq!((report.changed, report.documents), (1, 2), "{report:?}");
        assert!(report.skipped.is_empty());
        assert_eq!((hits(&index, "numbat"), hits(&index, "file")), (0, 1));
    }

    /// In a semantic index pushed passages are embedded with its model, which must be given.
    #[test]
    fn pushed_documents_are_embedded_in_a_semantic_index() {
        let model_dir = tempfile::tempdir().unwrap();
        kb_embed::testing::write_word_model(model_dir.path(), &[&["quokka"]]).unwrap();
        let embedder = kb_embed::Embedder::load(model_dir.path()).unwrap();
        let model = SemanticModel { name: "words".into(), embedder: Arc::new(embedder) };
        let semantic = IndexOptions { semantic: Some(model), ..IndexOptions::default() };
        let (index, schema) = kb_schema::create_index_in_ram();
        push_documents(&index, [Record::article("n1", "Notes", "A quokka.")], &semantic).unwrap();
        assert_eq!(Manifest::read(&index).unwrap().semantic.as_deref(), Some("words"));
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let vectors = segment.fast_fields().bytes("vector").unwrap().unwrap();
        let mut bytes = Vec::new();
        vectors.ord_to_bytes(vectors.term_ords(0).next().unwrap(), &mut bytes).unwrap();
        assert!(kb_schema::vector::decode(&bytes).is_some_and(|v| v.iter().any(|x| *x != 0.0)));
        let _ = schema;

        let err =
            push_documents(&index, [Record::article("n2", "T", "x")], &IndexOptions::default())
                .unwrap_err();
        assert!(matches!(err, IndexError::ModelMismatch { .. }), "{err}");
        assert_eq!(err.to_string(), "the index is embedded with words, but the documents would be lexical (no embeddings); index the files again with the model wanted");
    }

    /// Indexing with another model (or none) keeps pushed documents, with vectors of the new
    /// model (or none).
    #[test]
    fn a_change_of_model_embeds_pushed_documents_again() {
        let model_dir = tempfile::tempdir().unwrap();
        kb_embed::testing::write_word_model(model_dir.path(), &[&["quokka"]]).unwrap();
        let embedder = kb_embed::Embedder::load(model_dir.path()).unwrap();
        let model = SemanticModel { name: "words".into(), embedder: Arc::new(embedder) };
        let semantic = IndexOptions { semantic: Some(model), ..IndexOptions::default() };
        let docs = tempfile::tempdir().unwrap();
        std::fs::write(docs.path().join("f.md"), "# F\n\nA quokka file.\n").unwrap();
        let roots = [PathBuf::from(docs.path())];
        let (index, _) = kb_schema::create_index_in_ram();
        let lexical = IndexOptions::default();
        update(&index, None, &roots, &lexical, &mut |_| {}).unwrap();
        push_documents(&index, [Record::article("n1", "Notes", "A quokka.\n\nTwo.")], &lexical)
            .unwrap();
        let vectors = |index: &Index| -> usize {
            let searcher = index.reader().unwrap().searcher();
            searcher
                .segment_readers()
                .iter()
                .map(|s| {
                    let alive = s.alive_bitset();
                    let column = s.fast_fields().bytes("vector").unwrap().unwrap();
                    (0..s.max_doc())
                        .filter(|d| alive.is_none_or(|a| a.is_alive(*d)))
                        .filter(|d| column.term_ords(*d).next().is_some())
                        .count()
                })
                .sum()
        };
        assert_eq!(vectors(&index), 0);
        let report = update(&index, None, &roots, &semantic, &mut |_| {}).unwrap();
        assert_eq!((report.documents, report.passages), (2, 3));
        assert_eq!(vectors(&index), 3);
        assert_eq!(hits(&index, "quokka"), 2);
        let report = update(&index, None, &roots, &lexical, &mut |_| {}).unwrap();
        assert_eq!((report.documents, report.passages, vectors(&index)), (2, 3, 0));
    }
}
