use tantivy::schema::{
    BytesOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::TantivyDocument;

use crate::analyzer::{ANALYZER_NAME, STOP_WORD_ANALYZER_NAME, SURFACE_WORD_ANALYZER_NAME};
use crate::{Kind, Passage, SourceRef};

/// The tantivy schema of a kb index and the handles of its fields.
///
/// One tantivy document per [`Passage`]. Full-text fields use the `kb_en` analyzer:
/// `text` (the passage), and the lower-weighted context fields `title` (document title),
/// `heading` (section heading) and `context` (for answers, the question's body).
#[derive(Clone, Debug)]
pub struct KbSchema {
    /// The tantivy schema.
    pub schema: Schema,
    /// `passage_id`: raw, stored; `{doc_id}#{position}`.
    pub passage_id: Field,
    /// `doc_id`: raw, stored, fast.
    pub doc_id: Field,
    /// `kind`: raw, stored, fast; `article`, `question`, `answer` or `code`.
    pub kind: Field,
    /// `source_path`: raw, stored; the file the passage came from (the key for deleting a file).
    pub source_path: Field,
    /// `source_line`: stored.
    pub source_line: Field,
    /// `position`: stored, fast.
    pub position: Field,
    /// `text`: the passage, analyzed with positions, stored.
    pub text: Field,
    /// `title`: the document title, analyzed with positions, stored.
    pub title: Field,
    /// `heading`: the section heading, analyzed with positions, stored.
    pub heading: Field,
    /// `context`: searchable context (an answer's question body), analyzed, not stored.
    pub context: Field,
    /// `vector`: bytes, fast; the passage's embedding ([`crate::vector`]), only in indexes built
    /// with semantic ranking on ([`crate::Manifest::semantic`]).
    pub vector: Field,
    /// `stop_words`: the words of the passage text that `kb_en` drops (stop words, overly long
    /// words), analyzed with [`crate::analyzer::stop_word_analyzer`] at their word positions,
    /// not stored: a query made only of such words is a phrase in this field.
    pub stop_words: Field,
    /// `words`: the words of the passage text, title and heading as written (lowercased and
    /// folded, not stemmed), analyzed with [`crate::analyzer::surface_word_analyzer`], doc ids
    /// only, not stored: the dictionary typo tolerance matches misspellings against.
    pub words: Field,
}

impl Default for KbSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl KbSchema {
    /// Builds the schema.
    pub fn new() -> KbSchema {
        let analyzed = |stored: bool| {
            let opts = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(ANALYZER_NAME)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            );
            if stored {
                opts.set_stored()
            } else {
                opts
            }
        };
        let mut b = Schema::builder();
        let passage_id = b.add_text_field("passage_id", STRING | STORED);
        let doc_id = b.add_text_field("doc_id", STRING | STORED | FAST);
        let kind = b.add_text_field("kind", STRING | STORED | FAST);
        let source_path = b.add_text_field("source_path", STRING | STORED);
        let source_line = b.add_u64_field("source_line", STORED);
        let position = b.add_u64_field("position", INDEXED | STORED | FAST);
        let text = b.add_text_field("text", analyzed(true));
        let title = b.add_text_field("title", analyzed(true));
        let heading = b.add_text_field("heading", analyzed(true));
        let context = b.add_text_field("context", analyzed(false));
        let vector = b.add_bytes_field("vector", BytesOptions::default().set_fast());
        let stop_words = b.add_text_field(
            "stop_words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(STOP_WORD_ANALYZER_NAME)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        );
        let words = b.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(SURFACE_WORD_ANALYZER_NAME)
                    .set_index_option(IndexRecordOption::Basic)
                    .set_fieldnorms(false),
            ),
        );
        KbSchema {
            schema: b.build(),
            passage_id,
            doc_id,
            kind,
            source_path,
            source_line,
            position,
            text,
            title,
            heading,
            context,
            vector,
            stop_words,
            words,
        }
    }

    /// Builds the schema handles from an existing index's schema; `None` if a field is missing.
    pub fn from_schema(schema: &Schema) -> Option<KbSchema> {
        let f = |name: &str| schema.get_field(name).ok();
        Some(KbSchema {
            schema: schema.clone(),
            passage_id: f("passage_id")?,
            doc_id: f("doc_id")?,
            kind: f("kind")?,
            source_path: f("source_path")?,
            source_line: f("source_line")?,
            position: f("position")?,
            text: f("text")?,
            title: f("title")?,
            heading: f("heading")?,
            context: f("context")?,
            vector: f("vector")?,
            stop_words: f("stop_words")?,
            words: f("words")?,
        })
    }

    /// The tantivy document for a passage.
    pub fn to_document(&self, p: &Passage) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(self.passage_id, &p.id);
        d.add_text(self.doc_id, &p.doc_id);
        d.add_text(self.kind, p.kind.as_str());
        d.add_text(self.source_path, &p.source.path);
        d.add_u64(self.source_line, u64::from(p.source.line));
        d.add_u64(self.position, u64::from(p.position));
        d.add_text(self.text, &p.text);
        d.add_text(self.stop_words, &p.text);
        d.add_text(self.title, &p.doc_title);
        d.add_text(self.words, &p.text);
        d.add_text(self.words, &p.doc_title);
        if let Some(h) = &p.heading {
            d.add_text(self.heading, h);
            d.add_text(self.words, h);
        }
        if let Some(c) = &p.context {
            d.add_text(self.context, c);
        }
        d
    }

    /// The tantivy document for a passage and its embedding (see [`crate::vector`]).
    pub fn to_document_with_vector(&self, p: &Passage, vector: &[f32]) -> TantivyDocument {
        let mut d = self.to_document(p);
        d.add_bytes(self.vector, &crate::vector::encode(vector));
        d
    }

    /// Reads a passage back from a stored document. `context` is not stored and comes back
    /// `None`. `None` if the document lacks a required field.
    pub fn from_document(&self, d: &TantivyDocument) -> Option<Passage> {
        let s = |f: Field| d.get_first(f).and_then(|v| v.as_str()).map(str::to_owned);
        let n = |f: Field| d.get_first(f).and_then(|v| v.as_u64());
        Some(Passage {
            id: s(self.passage_id)?,
            doc_id: s(self.doc_id)?,
            doc_title: s(self.title).unwrap_or_default(),
            kind: Kind::parse(&s(self.kind)?)?,
            heading: s(self.heading),
            position: u32::try_from(n(self.position)?).ok()?,
            text: s(self.text)?,
            context: None,
            source: SourceRef {
                path: s(self.source_path)?,
                line: u32::try_from(n(self.source_line)?).ok()?,
            },
        })
    }
}
