//! JSON (`.json`: one record or an array of records) and JSON Lines (`.jsonl`, `.ndjson`: one
//! record a line).
//!
//! A [`Record`] is either
//! - a Q&A thread `{"id", "title", "question", "answers": [{"title"?, "author"?, "body"}]}`:
//!   one question passage (title and question) and one passage per answer (its title, if any,
//!   and body), each answer carrying the question as context; or
//! - an article `{"id" | "_id", "title", "text"}`, the BEIR corpus shape: one passage per
//!   blank-line separated paragraph of `text`, or the title alone when there is no text.
//!
//! Other fields are ignored. Ids may be strings or integers. Both formats are read record by
//! record from a reader, in memory bounded by the largest record, whatever the file's size:
//! - a JSON Lines file with a bad line (bad JSON, invalid UTF-8, a NUL byte) keeps its good
//!   lines: the bad one is reported with its line number;
//! - a `.json` file's syntax is checked first, over the whole file, so a syntax error refuses
//!   it with the line and column; then the elements of an array are read one at a time, each
//!   with the line it starts on, and a bad element is reported on its own.

use std::fmt;
use std::io::{BufRead, Read};

use kb_schema::Kind;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};

use super::decode::{invalid_utf8, BOM};
use super::document::{has_word, DocumentBuilder, NewPassage};
#[cfg(test)]
use super::ParsedFile;
use super::{Item, ParsedDocument, SourceError, SourceInfo};

/// One JSON record: an article (`id`, `title`, `text`) or a Q&A thread (`id`, `title`,
/// `question`, `answers`), as the README lists the shapes kb reads from `.json` and `.jsonl`
/// files and as a program pushes documents (`kb_indexer::push_documents`).
///
/// It deserializes from exactly those shapes: the id from `"id"` or else `"_id"`, a string or
/// an integer; other fields are ignored. A record with `question` or `answers` is a thread,
/// any other an article. It serializes with the fields it has (`None` ones left out).
///
/// ```
/// use kb_indexer::formats::{Answer, Record};
///
/// let article: Record = serde_json::from_str(r#"{"_id": 7, "title": "Tea", "text": "Steep it.", "extra": 1}"#)?;
/// assert_eq!(article, Record::article("7", "Tea", "Steep it."));
///
/// let thread: Record = serde_json::from_str(r#"{"id": "q1", "title": "Why?", "question": "Why steep?",
///     "answers": [{"author": "Ann", "body": "Flavour."}]}"#)?;
/// assert_eq!(thread.answers.as_ref().unwrap()[0], Answer { title: None, author: Some("Ann".into()), body: Some("Flavour.".into()) });
/// assert_eq!(serde_json::to_string(&Record::article("n1", "T", "x"))?, r#"{"id":"n1","title":"T","text":"x"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawRecord")]
pub struct Record {
    /// The document id (`"id"`, or `"_id"` as BEIR corpora have it). Required, except for the
    /// single record of a `.json` file, which then takes the file's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The title of the article or of the thread's question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// An article's text: one passage per blank-line separated paragraph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A thread's question body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// A thread's answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<Vec<Answer>>,
}

/// One answer of a thread [`Record`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// A title line above the body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Who wrote it (kept, not indexed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The answer's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl Record {
    /// An article: one passage per blank-line separated paragraph of `text`.
    pub fn article(
        id: impl Into<String>,
        title: impl Into<String>,
        text: impl Into<String>,
    ) -> Record {
        Record {
            id: Some(id.into()),
            title: Some(title.into()),
            text: Some(text.into()),
            ..Record::default()
        }
    }

    /// A Q&A thread: the question (title and body), then one passage per answer.
    pub fn thread(
        id: impl Into<String>,
        title: impl Into<String>,
        question: impl Into<String>,
        answers: Vec<Answer>,
    ) -> Record {
        Record {
            id: Some(id.into()),
            title: Some(title.into()),
            question: Some(question.into()),
            answers: Some(answers),
            ..Record::default()
        }
    }
}

impl Answer {
    /// An answer with a body only.
    pub fn new(body: impl Into<String>) -> Answer {
        Answer { body: Some(body.into()), ..Answer::default() }
    }
}

/// A record as it appears in a file: both id spellings, read before they are merged.
#[derive(Deserialize)]
struct RawRecord {
    #[serde(default)]
    id: Option<Id>,
    #[serde(default, rename = "_id")]
    underscore_id: Option<Id>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    answers: Option<Vec<Answer>>,
}

impl From<RawRecord> for Record {
    fn from(raw: RawRecord) -> Record {
        Record {
            id: raw.id.or(raw.underscore_id).map(|Id(id)| id),
            title: raw.title,
            text: raw.text,
            question: raw.question,
            answers: raw.answers,
        }
    }
}

/// A record id: a string, or an integer written as a number.
#[derive(Debug)]
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// The records of a `.json` file: one record, or an array of records read one at a time.
///
/// `open` gives a reader of the file from its start, already checked by `decode` (UTF-8, not
/// binary, not empty); it is called twice, for the syntax check and for the records. `Err`
/// when the file as a whole is refused: a syntax error, a value that is neither an object nor
/// an array, or a single record that makes no document. An `Err` item among the records (the
/// file can no longer be read: it changed since) ends them.
pub(crate) fn json_records<'a>(
    open: &mut dyn FnMut() -> std::io::Result<Box<dyn BufRead + 'a>>,
    info: SourceInfo<'a>,
) -> Result<super::Records<'a>, SourceError> {
    let cannot_read =
        |e: std::io::Error| SourceError { line: None, reason: format!("cannot read: {e}") };
    // Syntax first, over the whole file, so that an error points at its true line and column.
    let mut syntax = serde_json::Deserializer::from_reader(skip_bom(open().map_err(cannot_read)?));
    IgnoredAny::deserialize(&mut syntax)
        .and_then(|_| syntax.end())
        .map_err(|e| syntax_error(&e, 0))?;
    drop(syntax);

    let mut reader = skip_bom(open().map_err(cannot_read)?);
    let mut line = 1u32;
    let first = loop {
        let buf = reader.fill_buf().map_err(cannot_read)?;
        let Some(&b) = buf.first() else { break None };
        match b {
            b'\n' => line += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => break Some(b),
        }
        reader.consume(1);
    };
    match first {
        Some(b'{') => {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).map_err(cannot_read)?;
            let record = serde_json::from_slice::<Record>(&bytes)
                .map_err(|e| SourceError { line: Some(line), reason: data_error(&e) })?;
            let document = build(record, line, Some(info.doc_id), info.path)
                .map_err(|reason| SourceError { line: Some(line), reason })?;
            Ok(Box::new(std::iter::once(Ok(Item::Document(document)))))
        }
        Some(b'[') => {
            reader.consume(1);
            Ok(Box::new(JsonArray {
                reader,
                path: info.path,
                line,
                element: Vec::new(),
                done: false,
            }))
        }
        _ => Err(SourceError {
            line: Some(line),
            reason: "expected a JSON object or an array of objects".to_owned(),
        }),
    }
}

/// `reader` past the UTF-8 byte-order mark it starts with, if any (`decode` drops it too).
/// The reader's buffer must hold the first three bytes at once, as any real buffer does.
fn skip_bom<R: BufRead>(mut reader: R) -> R {
    if reader.fill_buf().is_ok_and(|buf| buf.starts_with(BOM.as_bytes())) {
        reader.consume(BOM.len());
    }
    reader
}

/// The elements of a JSON array read one at a time, each parsed as a record on the line where
/// it starts. The array's syntax was checked already; the reader is just past its `[`.
struct JsonArray<'p, R> {
    reader: R,
    path: &'p str,
    /// The line of the next byte.
    line: u32,
    /// The bytes of the element being read.
    element: Vec<u8>,
    done: bool,
}

impl<R: BufRead> JsonArray<'_, R> {
    /// Reads the next element into `self.element`; its first line, or `None` after the last.
    fn next_element(&mut self) -> std::io::Result<Option<u32>> {
        self.element.clear();
        let mut start: Option<u32> = None;
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the array ends early (the file changed while it was read)",
                ));
            }
            let (mut used, mut from, mut end) = (0, 0, false);
            for &b in buf {
                if start.is_none() {
                    match b {
                        b'\n' => {
                            self.line += 1;
                            used += 1;
                            continue;
                        }
                        b' ' | b'\t' | b'\r' | b',' => {
                            used += 1;
                            continue;
                        }
                        b']' => {
                            used += 1;
                            self.done = true;
                            end = true;
                            break;
                        }
                        _ => {
                            start = Some(self.line);
                            from = used;
                        }
                    }
                }
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'[' | b'{' => depth += 1,
                        b']' | b'}' if depth > 0 => depth -= 1,
                        // The end of the element; the separator is read with the next one.
                        b',' | b']' if depth == 0 => {
                            end = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if b == b'\n' {
                    self.line += 1;
                }
                used += 1;
            }
            if start.is_some() {
                self.element.extend_from_slice(&buf[from..used]);
            }
            self.reader.consume(used);
            if end {
                return Ok(if self.done && self.element.is_empty() { None } else { start });
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonArray<'_, R> {
    type Item = Result<Item, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let line = match self.next_element() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) => {
                self.done = true;
                return Some(Err(SourceError { line: None, reason: format!("cannot read: {e}") }));
            }
        };
        let raw = match std::str::from_utf8(&self.element) {
            Ok(raw) => raw,
            Err(e) => {
                // Checked before: the file changed since.
                self.done = true;
                return Some(Err(invalid_utf8(line, e.valid_up_to() + 1)));
            }
        };
        let result =
            read_record(raw.trim(), line - 1).and_then(|r| build(r, line, None, self.path));
        Some(Ok(match result {
            Ok(document) => Item::Document(document),
            Err(reason) => Item::Skipped(SourceError { line: Some(line), reason }),
        }))
    }
}

/// The records of a JSON Lines file read line by line, in memory bounded by the longest line.
/// A blank line is nothing; a line that is not a record (bad JSON, invalid UTF-8, a NUL byte,
/// a record without id or text) is one [`Item::Skipped`] with its line. An `Err` item (the file
/// can no longer be read) ends the records.
pub(crate) struct JsonLines<'p, R> {
    reader: R,
    path: &'p str,
    /// Lines read so far.
    line: usize,
    buf: Vec<u8>,
    done: bool,
}

impl<'p, R: BufRead> JsonLines<'p, R> {
    /// Reads the records of the file `reader` reads from its start; `info.path` names it in
    /// the passages.
    pub(crate) fn new(reader: R, info: SourceInfo<'p>) -> Self {
        JsonLines { reader, path: info.path, line: 0, buf: Vec::new(), done: false }
    }
}

impl<R: BufRead> Iterator for JsonLines<'_, R> {
    type Item = Result<Item, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    let reason = format!("cannot read: {e}");
                    return Some(Err(SourceError { line: None, reason }));
                }
            }
            self.line += 1;
            let line = u32::try_from(self.line).unwrap_or(u32::MAX);
            let bytes = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
            // The byte-order mark `decode` drops.
            let bom =
                if self.line == 1 && bytes.starts_with(BOM.as_bytes()) { BOM.len() } else { 0 };
            let skipped =
                |reason: String| Some(Ok(Item::Skipped(SourceError { line: Some(line), reason })));
            if let Some(nul) = bytes.iter().position(|&b| b == 0) {
                return skipped(format!(
                    "a NUL byte (binary data) at line {line}, byte {}",
                    nul + 1
                ));
            }
            let raw = match std::str::from_utf8(&bytes[bom..]) {
                Ok(raw) => raw,
                Err(e) => {
                    return Some(Ok(Item::Skipped(invalid_utf8(line, bom + e.valid_up_to() + 1))))
                }
            };
            match parse_json_line(raw, line, self.path) {
                None => {}
                Some(Ok(document)) => return Some(Ok(Item::Document(document))),
                Some(Err(skip)) => return Some(Ok(Item::Skipped(skip))),
            }
        }
        None
    }
}

/// Parses line `line` of a JSON Lines file: `None` when it is blank, else its document or why
/// it was skipped.
fn parse_json_line(
    raw: &str,
    line: u32,
    path: &str,
) -> Option<Result<ParsedDocument, SourceError>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let result = read_record(raw, line - 1).and_then(|record| build(record, line, None, path));
    Some(result.map_err(|reason| SourceError { line: Some(line), reason }))
}

/// A whole `.json` text parsed (for tests).
#[cfg(test)]
fn parse_json(text: &str, info: SourceInfo<'_>) -> Result<ParsedFile, SourceError> {
    let bytes = text.as_bytes();
    let records = json_records(&mut || Ok(Box::new(bytes) as Box<dyn BufRead>), info)?;
    super::collect(records)
}

/// A whole JSON Lines text parsed (for tests).
#[cfg(test)]
fn parse_json_lines(text: &str, info: SourceInfo<'_>) -> ParsedFile {
    super::collect(Box::new(JsonLines::new(text.as_bytes(), info))).expect("a text reads")
}

/// Reads one record from `raw` (one JSON value, starting on line `lines_before + 1`).
fn read_record(raw: &str, lines_before: u32) -> Result<Record, String> {
    if raw.starts_with('{') {
        return serde_json::from_str::<Record>(raw).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => data_error(&e),
            _ => syntax_error(&e, lines_before).reason,
        });
    }
    // Not an object: say whether it is not JSON at all or JSON of the wrong kind.
    match serde_json::from_str::<IgnoredAny>(raw) {
        Err(e) => Err(syntax_error(&e, lines_before).reason),
        Ok(_) => Err("expected a record (a JSON object)".to_owned()),
    }
}

/// A syntax error: `invalid JSON at line L, column C: what`, `lines_before` added to the line.
fn syntax_error(e: &serde_json::Error, lines_before: u32) -> SourceError {
    if e.is_io() {
        return SourceError { line: None, reason: format!("cannot read: {e}") };
    }
    let line = u32::try_from(e.line()).unwrap_or(u32::MAX).saturating_add(lines_before).max(1);
    SourceError {
        line: Some(line),
        reason: format!("invalid JSON at line {line}, column {}: {}", e.column(), message(e)),
    }
}

/// A record of the wrong shape (a field of the wrong type, a number where a record should be).
fn data_error(e: &serde_json::Error) -> String {
    format!("invalid record: {}", message(e))
}

/// serde_json's message without its ` at line L column C` suffix (the caller says where).
fn message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => full,
    }
}

/// Turns a record into a document; `Err` with the reason when it has no id or no text.
/// `fallback_id` is the file's id, for a `.json` file holding a single record.
pub(crate) fn build(
    record: Record,
    line: u32,
    fallback_id: Option<&str>,
    path: &str,
) -> Result<ParsedDocument, String> {
    let id = match record.id {
        Some(id) if id.trim().is_empty() => return Err("the record's id is empty".to_owned()),
        Some(id) => id,
        None => match fallback_id {
            Some(id) => id.to_owned(),
            None => return Err("record has no \"id\" or \"_id\"".to_owned()),
        },
    };
    let title = record.title.unwrap_or_default();
    let document = if record.question.is_some() || record.answers.is_some() {
        let question = record.question.unwrap_or_default();
        if !has_word(&title) && !has_word(&question) {
            return Err(format!("thread {id:?} has no \"title\" or \"question\""));
        }
        let doc_title = if has_word(&title) { title.as_str() } else { question.as_str() };
        let mut doc = DocumentBuilder::new(id.as_str(), doc_title, path);
        let parts: &[&str] = if has_word(&title) {
            &[title.as_str(), question.as_str()]
        } else {
            &[question.as_str()]
        };
        doc.push(NewPassage { kind: Kind::Question, heading: None, parts, context: None, line });
        for answer in record.answers.unwrap_or_default() {
            let answer_title = answer.title.unwrap_or_default();
            let body = answer.body.unwrap_or_default();
            doc.push(NewPassage {
                kind: Kind::Answer,
                heading: None,
                parts: &[answer_title.as_str(), body.as_str()],
                context: Some(&question),
                line,
            });
        }
        doc.finish()
    } else {
        let text = record.text.unwrap_or_default();
        if !has_word(&title) && !has_word(&text) {
            return Err(format!("record {id:?} has no \"text\" or \"title\""));
        }
        let doc_title = if has_word(&title) { title.as_str() } else { id.as_str() };
        let mut doc = DocumentBuilder::new(id.as_str(), doc_title, path);
        for paragraph in paragraphs(&text) {
            doc.paragraph(None, &paragraph, line);
        }
        if doc.is_empty() {
            doc.paragraph(None, &title, line);
        }
        doc.finish()
    };
    document.ok_or_else(|| format!("record {id:?} has no text to index"))
}

/// The blank-line separated paragraphs of a text field (`\r\n` endings included).
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.split('\n') {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Format, ParsedFile};

    const INFO: SourceInfo<'static> =
        SourceInfo { path: "/c/kettle.json", doc_id: "kettle", format: Format::Json };

    fn summary(doc: &ParsedDocument) -> Vec<(Kind, &str, u32)> {
        doc.passages.iter().map(|p| (p.kind, p.text.as_str(), p.source.line)).collect()
    }

    #[test]
    fn a_thread_becomes_a_question_and_its_answers() {
        let file = parse_json(
            r#"{"id": "kettle-q", "title": "Can a kettle descale itself?",
 "question": "My kettle has white scale inside. Is vinegar safe to use?",
 "answers": [
   {"title": "Use citric acid", "author": "Ann", "body": "Citric acid dissolves limescale without the smell."},
   {"body": "Vinegar works too but rinse twice."},
   {"title": "", "body": "  "}
 ]}"#,
            INFO,
        )
        .unwrap();
        assert!(file.skipped.is_empty());
        let doc = &file.documents[0];
        assert_eq!(
            (doc.doc_id.as_str(), doc.title.as_str()),
            ("kettle-q", "Can a kettle descale itself?")
        );
        assert_eq!(
            summary(doc),
            [
                (Kind::Question, "Can a kettle descale itself?\nMy kettle has white scale inside. Is vinegar safe to use?", 1),
                (Kind::Answer, "Use citric acid\nCitric acid dissolves limescale without the smell.", 1),
                (Kind::Answer, "Vinegar works too but rinse twice.", 1),
            ]
        );
        let context = doc.passages[2].context.as_deref();
        assert_eq!(context, Some("My kettle has white scale inside. Is vinegar safe to use?"));
        assert_eq!(doc.passages[2].id, "kettle-q#2");
    }

    #[test]
    fn json_lines_articles_split_into_paragraphs_with_their_line() {
        let text = "{\"_id\": \"d1\", \"title\": \"Aspirin\", \"text\": \"Aspirin thins the blood.\"}\n\n{\"_id\": 7, \"title\": \"Ibuprofen\", \"text\": \"Reduces inflammation.\\r\\n\\r\\nTake it with food.\", \"metadata\": {}}\n{\"id\": \"t\", \"title\": \"Title only\", \"text\": \"\"}\n";
        let file = parse_json_lines(text, INFO);
        assert!(file.skipped.is_empty(), "{:?}", file.skipped);
        let ids: Vec<&str> = file.documents.iter().map(|d| d.doc_id.as_str()).collect();
        assert_eq!(ids, ["d1", "7", "t"]);
        assert_eq!(summary(&file.documents[0]), [(Kind::Article, "Aspirin thins the blood.", 1)]);
        assert_eq!(
            summary(&file.documents[1]),
            [(Kind::Article, "Reduces inflammation.", 3), (Kind::Article, "Take it with food.", 3)]
        );
        assert_eq!(file.documents[1].passages[1].id, "7#1");
        assert_eq!(summary(&file.documents[2]), [(Kind::Article, "Title only", 4)]);
    }

    #[test]
    fn bad_json_lines_are_skipped_with_their_line_and_the_rest_kept() {
        let text = "{\"_id\": \"a\", \"title\": \"A\", \"text\": \"alpha\"}\nnot json\n{\"title\": \"no id\", \"text\": \"x\"}\n{\"_id\": \"c\", \"title\": 5}\n{\"_id\": \"d\"}\n[1]\n{\"_id\": \"b\", \"title\": \"B\", \"text\": \"beta\"}";
        let file = parse_json_lines(text, INFO);
        let ids: Vec<&str> = file.documents.iter().map(|d| d.doc_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let skipped: Vec<(Option<u32>, &str)> =
            file.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
        assert_eq!(
            skipped,
            [
                (Some(2), "invalid JSON at line 2, column 2: expected ident"),
                (Some(3), "record has no \"id\" or \"_id\""),
                (Some(4), "invalid record: invalid type: integer `5`, expected a string"),
                (Some(5), "record \"d\" has no \"text\" or \"title\""),
                (Some(6), "expected a record (a JSON object)"),
            ]
        );
    }

    /// The documents and skipped lines `JsonLines` reads from `bytes`, through a buffer of
    /// `capacity` bytes.
    fn streamed(bytes: &[u8], capacity: usize) -> (ParsedFile, Option<SourceError>) {
        let reader = std::io::BufReader::with_capacity(capacity, bytes);
        let mut file = ParsedFile::default();
        for record in JsonLines::new(reader, INFO) {
            match record {
                Ok(Item::Document(d)) => file.documents.push(d),
                Ok(Item::Skipped(e)) => file.skipped.push(e),
                Err(e) => return (file, Some(e)),
            }
        }
        (file, None)
    }

    #[test]
    fn json_lines_read_line_by_line_as_parsed_whole() {
        let texts = [
            "{\"_id\": \"a\", \"title\": \"A\", \"text\": \"alpha\"}\nnot json\n\n  \r\n{\"_id\": \"b\", \"text\": \"beta\"}\r\n[1]\n{\"_id\": \"c\"}",
            "\u{feff}{\"_id\": \"a\", \"title\": \"A\", \"text\": \"with a BOM\"}\n",
            "{\"id\": \"q\", \"title\": \"Why?\", \"answers\": [{\"body\": \"Because.\"}]}\n\n\n{\"id\": \"r\", \"question\": \"How?\"}\n",
        ];
        for text in texts {
            let whole = parse_json_lines(text, INFO);
            for capacity in [1, 2, 7, 8192] {
                assert_eq!(streamed(text.as_bytes(), capacity), (whole.clone(), None), "{text:?}");
            }
        }
    }

    /// Issue 14, item 11: one bad line (invalid UTF-8, a NUL byte) costs that line only.
    #[test]
    fn json_lines_with_invalid_utf8_or_nul_lose_those_lines_only() {
        let bytes = b"{\"_id\": \"a\", \"text\": \"alpha\"}\n{\"_id\": \"b\", \"text\": \"Caf\xe9\"}\n{\"_id\": \"n\", \"text\": \"nul\x00\"}\n{\"_id\": \"c\", \"text\": \"gamma\"}\n";
        let (file, err) = streamed(bytes, 16);
        assert_eq!(err, None);
        let ids: Vec<&str> = file.documents.iter().map(|d| d.doc_id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        let skipped: Vec<(Option<u32>, &str)> =
            file.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
        assert_eq!(
            skipped,
            [
                (Some(2), "invalid UTF-8 at line 2, byte 26"),
                (Some(3), "a NUL byte (binary data) at line 3, byte 26"),
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn json_lines_read_line_by_line_as_parsed_whole_on_any_lines(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::Just("{\"_id\": \"a\", \"title\": \"A\", \"text\": \"x\\n\\ny\"}"),
                    proptest::prelude::Just("{\"id\": 7, \"question\": \"Q?\", \"answers\": [{\"body\": \"b\"}]}"),
                    proptest::prelude::Just("{\"id\": \"n\"}"),
                    proptest::prelude::Just("{\"text\": \"no id\"}"),
                    proptest::prelude::Just("{\"_id\": \"t\", \"title\": 5}"),
                    proptest::prelude::Just("not json"),
                    proptest::prelude::Just("[1, 2]"),
                    proptest::prelude::Just("{\"_id\": \"u\", \"text\": \"é東\u{a0}\"}"),
                    proptest::prelude::Just(""),
                    proptest::prelude::Just("  \r"),
                    proptest::prelude::Just("\u{feff}"),
                    proptest::prelude::Just("{\"_id\": \"cut\", \"text\": \"x"),
                ],
                1..20,
            ),
            capacity in 1usize..64,
        ) {
            let text = lines.join("\n");
            let whole = parse_json_lines(&text, INFO);
            proptest::prop_assert_eq!(streamed(text.as_bytes(), capacity), (whole, None));
        }
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let err = parse_json("{\"id\": \"x\",\n \"title\": \"T\",\n \"text\": oops}\n", INFO)
            .unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.reason, "invalid JSON at line 3, column 10: expected value");
        let err =
            parse_json(r#"{"id": "n1", "title": "Notes", "text": "The kettle"#, INFO).unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.reason.starts_with("invalid JSON at line 1, column "), "{}", err.reason);
        assert!(err.reason.ends_with("EOF while parsing a string"), "{}", err.reason);
        let err = parse_json("\n\"just a string\"", INFO).unwrap_err();
        assert_eq!(
            (err.line, err.reason.as_str()),
            (Some(2), "expected a JSON object or an array of objects")
        );
    }

    #[test]
    fn a_single_record_may_use_the_file_id_but_must_have_text() {
        let file =
            parse_json("{\"title\": \"Notes\", \"text\": \"Kettles whistle.\"}", INFO).unwrap();
        assert_eq!(file.documents[0].doc_id, "kettle");
        let err = parse_json("\n\n{\"id\": \"n\", \"body\": \"wrong field\"}", INFO).unwrap_err();
        assert_eq!(
            (err.line, err.reason.as_str()),
            (Some(3), "record \"n\" has no \"text\" or \"title\"")
        );
        let err = parse_json("{\"id\": 1.5, \"text\": \"x\"}", INFO).unwrap_err();
        assert!(err.reason.contains("expected a string or an integer"), "{}", err.reason);
    }

    #[test]
    fn arrays_report_bad_elements_by_line() {
        let text = "[\n  {\"id\": \"a\", \"title\": \"A\", \"text\": \"x [\\\"]\\\\\"},\n  42,\n  {\"id\": \"b\",\n   \"text\": \"Two\\n\\nparas\"},\n  {\"text\": \"no id\"}\n]\n";
        let file = parse_json(text, INFO).unwrap();
        let ids: Vec<&str> = file.documents.iter().map(|d| d.doc_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(file.documents[0].passages[0].text, "x [\"]\\");
        assert_eq!(
            summary(&file.documents[1]),
            [(Kind::Article, "Two", 4), (Kind::Article, "paras", 4)]
        );
        assert_eq!(file.documents[1].title, "b");
        let skipped: Vec<(Option<u32>, &str)> =
            file.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
        assert_eq!(
            skipped,
            [
                (Some(3), "expected a record (a JSON object)"),
                (Some(6), "record has no \"id\" or \"_id\"")
            ]
        );
        let file = parse_json("[]", INFO).unwrap();
        assert_eq!(file, ParsedFile::default());
        let file =
            parse_json("[ [1,[2]] , {\"id\": \"]\", \"text\": \"[x]\"}, \"s]\" ]", INFO).unwrap();
        assert_eq!(file.documents[0].passages[0].text, "[x]");
        let reasons: Vec<&str> = file.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons, ["expected a record (a JSON object)"; 2]);
    }

    /// The records of a `.json` text read through a buffer of `capacity` bytes.
    fn streamed_array(text: &str, capacity: usize) -> ParsedFile {
        let bytes = text.as_bytes();
        let mut open = || -> std::io::Result<Box<dyn BufRead>> {
            Ok(Box::new(std::io::BufReader::with_capacity(capacity, bytes)))
        };
        super::super::collect(json_records(&mut open, INFO).unwrap()).unwrap()
    }

    /// Issue 14, item 5: an array is read one element at a time, in linear time, each record
    /// with its own line, whatever the buffer's size.
    #[test]
    fn arrays_of_many_records_stream_with_their_lines() {
        let mut text = String::from("\u{feff}[\n");
        for i in 0..3000 {
            if i > 0 {
                text.push_str(",\n");
            }
            // Records of one line and of three, a string holding brackets and escapes.
            if i % 2 == 0 {
                text.push_str(&format!("  {{\"id\": \"r{i}\", \"text\": \"record {i} [\\\"]\"}}"));
            } else {
                text.push_str(&format!(
                    "  {{\"id\": {i},\n   \"title\": \"T{i}\",\n   \"text\": \"x\"}}"
                ));
            }
        }
        text.push_str("\n]\n");
        let whole = parse_json(&text, INFO).unwrap();
        assert_eq!(whole.documents.len(), 3000);
        assert!(whole.skipped.is_empty());
        // Records start on line 2, then one line after a one-line record, three after the others.
        let mut line = 2;
        for (i, doc) in whole.documents.iter().enumerate() {
            assert_eq!(doc.passages[0].source.line, line, "record {i}");
            line += if i % 2 == 0 { 1 } else { 3 };
        }
        assert_eq!(whole.documents[2].passages[0].text, "record 2 [\"]");
        for capacity in [3, 5, 64, 8192] {
            assert_eq!(streamed_array(&text, capacity), whole, "capacity {capacity}");
        }
    }

    #[test]
    fn deep_nesting_neither_crashes_nor_loses_the_record() {
        // serde_json skips values iteratively, so depth costs no stack.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let file = parse_json(&deep, INFO).unwrap();
        assert_eq!(file.skipped[0].reason, "expected a record (a JSON object)");
        let nested_field = format!(
            "{{\"_id\": \"n\", \"text\": \"kept\", \"extra\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let file = parse_json_lines(&nested_field, INFO);
        assert_eq!(file.documents[0].passages[0].text, "kept");
    }
}
