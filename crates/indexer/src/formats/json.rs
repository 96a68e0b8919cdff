//! JSON (`.json`: one record or an array of records) and JSON Lines (`.jsonl`, `.ndjson`: one
//! record a line).
//!
//! A record is either
//! - a Q&A thread `{"id", "title", "question", "answers": [{"title"?, "author"?, "body"}]}`:
//!   one question passage (title and question) and one passage per answer (its title, if any,
//!   and body), each answer carrying the question as context; or
//! - an article `{"id" | "_id", "title", "text"}`, the BEIR corpus shape: one passage per
//!   blank-line separated paragraph of `text`, or the title alone when there is no text.
//!
//! Other fields are ignored. Ids may be strings or integers. A JSON Lines file with a bad line
//! keeps its good lines: the bad one is reported with its line number. A `.json` file is parsed
//! as a whole, so a syntax error refuses it, with the line and column.

use std::fmt;
use std::io::BufRead;

use kb_schema::Kind;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;

use super::decode::{invalid_utf8, BOM};
use super::document::{has_word, DocumentBuilder, NewPassage};
use super::{ParsedDocument, ParsedFile, SourceError, SourceInfo};

/// One record as it appears in the file; which shape it has is decided after reading.
#[derive(Debug, Deserialize)]
struct Record {
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
    answers: Option<Vec<AnswerRecord>>,
}

/// One answer of a thread record.
#[derive(Debug, Deserialize)]
struct AnswerRecord {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
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

/// Parses a `.json` file: one record, or an array of records.
pub(crate) fn parse_json(text: &str, info: SourceInfo<'_>) -> Result<ParsedFile, SourceError> {
    // Syntax first, over the whole file, so that an error points at its true line and column.
    serde_json::from_str::<IgnoredAny>(text).map_err(|e| syntax_error(&e, 0))?;
    let start = text.len() - text.trim_start().len();
    match text.as_bytes().get(start) {
        Some(b'{') => {
            let line = line_at(text, start);
            let record = serde_json::from_str::<Record>(text)
                .map_err(|e| SourceError { line: Some(line), reason: data_error(&e) })?;
            let document = build(record, line, Some(info.doc_id), info.path)
                .map_err(|reason| SourceError { line: Some(line), reason })?;
            Ok(ParsedFile { documents: vec![document], skipped: Vec::new() })
        }
        Some(b'[') => {
            let mut file = ParsedFile::default();
            for (from, to) in array_elements(text, start) {
                let line = line_at(text, from);
                let result = read_record(&text[from..to], line - 1)
                    .and_then(|record| build(record, line, None, info.path));
                match result {
                    Ok(document) => file.documents.push(document),
                    Err(reason) => file.skipped.push(SourceError { line: Some(line), reason }),
                }
            }
            Ok(file)
        }
        _ => Err(SourceError {
            line: Some(line_at(text, start)),
            reason: "expected a JSON object or an array of objects".to_owned(),
        }),
    }
}

/// Parses a JSON Lines file: one record a line; bad lines are skipped and reported.
pub(crate) fn parse_json_lines(text: &str, info: SourceInfo<'_>) -> ParsedFile {
    let mut file = ParsedFile::default();
    for (i, raw) in text.split('\n').enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match parse_json_line(raw, line, info.path) {
            None => {}
            Some(Ok(document)) => file.documents.push(document),
            Some(Err(skipped)) => file.skipped.push(skipped),
        }
    }
    file
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

/// One record of a JSON Lines file read by [`JsonLines`].
#[derive(Debug)]
pub(crate) enum LineRecord {
    /// A record that makes a document.
    Document(ParsedDocument),
    /// A record that was skipped, and why (as [`ParsedFile::skipped`] lists it).
    Skipped(SourceError),
}

/// The records of a JSON Lines file read line by line, for files too big to hold whole: what
/// [`parse_json_lines`] makes of the file, in the same order, in memory bounded by the longest
/// line. The file must have passed the checks of `decode` (`check_stream`); an `Err` item
/// (the file can no longer be read, or is no longer UTF-8: it changed since) ends the records.
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
    type Item = Result<LineRecord, SourceError>;

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
            let raw = match std::str::from_utf8(&bytes[bom..]) {
                Ok(raw) => raw,
                Err(e) => {
                    self.done = true;
                    return Some(Err(invalid_utf8(line, bom + e.valid_up_to() + 1)));
                }
            };
            match parse_json_line(raw, line, self.path) {
                None => {}
                Some(Ok(document)) => return Some(Ok(LineRecord::Document(document))),
                Some(Err(skipped)) => return Some(Ok(LineRecord::Skipped(skipped))),
            }
        }
        None
    }
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

/// The 1-based line of byte `offset`.
fn line_at(text: &str, offset: usize) -> u32 {
    let newlines = text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// The byte ranges of the elements of the (valid) JSON array opening at `open`.
fn array_elements(text: &str, open: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut elements = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut start: Option<usize> = None;
    let mut end = open + 1;
    for (i, &b) in bytes.iter().enumerate().skip(open + 1) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    end = i + 1;
                }
                _ => {}
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => continue,
            b',' if depth == 0 => {
                elements.extend(start.take().map(|s| (s, end)));
                continue;
            }
            b']' | b'}' if depth == 0 => {
                elements.extend(start.take().map(|s| (s, end)));
                break;
            }
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth -= 1,
            _ => {}
        }
        if start.is_none() {
            start = Some(i);
        }
        end = i + 1;
    }
    elements
}

/// Turns a record into a document; `Err` with the reason when it has no id or no text.
/// `fallback_id` is the file's id, for a `.json` file holding a single record.
fn build(
    record: Record,
    line: u32,
    fallback_id: Option<&str>,
    path: &str,
) -> Result<ParsedDocument, String> {
    let id = match record.id.or(record.underscore_id) {
        Some(Id(id)) if id.trim().is_empty() => return Err("the record's id is empty".to_owned()),
        Some(Id(id)) => id,
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
    use crate::formats::Format;

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
                Ok(LineRecord::Document(d)) => file.documents.push(d),
                Ok(LineRecord::Skipped(e)) => file.skipped.push(e),
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
            let decoded = super::super::decode::decode(text.as_bytes()).unwrap();
            let whole = parse_json_lines(decoded, INFO);
            for capacity in [1, 2, 7, 8192] {
                assert_eq!(streamed(text.as_bytes(), capacity), (whole.clone(), None), "{text:?}");
            }
        }
    }

    #[test]
    fn json_lines_that_stop_being_utf8_end_with_an_error() {
        let bytes = b"{\"_id\": \"a\", \"text\": \"alpha\"}\n{\"_id\": \"b\", \"text\": \"Caf\xe9\"}\n{\"_id\": \"c\", \"text\": \"gamma\"}\n";
        let (file, err) = streamed(bytes, 16);
        assert_eq!(file.documents.len(), 1);
        let err = err.unwrap();
        assert_eq!((err.line, err.reason.as_str()), (Some(2), "invalid UTF-8 at line 2, byte 26"));
        assert_eq!(err, super::super::decode::decode(bytes).unwrap_err());
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
            if let Ok(decoded) = super::super::decode::decode(text.as_bytes()) {
                let whole = parse_json_lines(decoded, INFO);
                proptest::prop_assert_eq!(streamed(text.as_bytes(), capacity), (whole, None));
            }
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
        assert_eq!(array_elements("[]", 0), []);
        assert_eq!(array_elements("[ [1,[2]] , {\"a\":\"]\"} ]", 0), [(2, 9), (12, 21)]);
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
