//! Source formats: bytes of one file -> documents made of passages.
//!
//! One module per format; [`parse_source`] dispatches on [`Format`] after the checks all
//! formats share (binary, UTF-8, empty: see `decode`). Passages are numbered and named by
//! `document`, so every format yields ids `{doc_id}#{position}` with positions 0..n.
//!
//! ```
//! use kb_indexer::formats::{parse_source, Format, SourceInfo};
//! use kb_schema::Kind;
//!
//! let info = SourceInfo { path: "notes/tea.txt", doc_id: "tea", format: Format::Text };
//! let parsed = parse_source(b"Tea\n\nBrewing\n\nSteep green tea briefly.\n\n- Sencha\n- Matcha\n", info)?;
//! let doc = &parsed.documents[0];
//! assert_eq!(doc.title, "Tea");
//! let texts: Vec<&str> = doc.passages.iter().map(|p| p.text.as_str()).collect();
//! assert_eq!(texts, ["Steep green tea briefly.", "Sencha", "Matcha"]);
//! assert_eq!(doc.passages[1].id, "tea#1");
//! assert_eq!(doc.passages[1].heading.as_deref(), Some("Brewing"));
//! assert_eq!((doc.passages[1].kind, doc.passages[1].source.line), (Kind::Article, 7));
//!
//! let err = parse_source(b"Title\n\nCaf\xe9 au lait\n", info).unwrap_err();
//! assert_eq!((err.line, err.reason.as_str()), (Some(3), "invalid UTF-8 at line 3, byte 4"));
//! # Ok::<(), kb_indexer::formats::SourceError>(())
//! ```

use std::path::Path;

use kb_schema::Passage;

mod decode;
mod document;
mod html;
mod json;
mod markdown;
mod text;

pub(crate) use decode::{check_stream, Checked};
pub(crate) use json::{JsonLines, LineRecord};

/// A source file format kb can ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.txt`: structure inferred from the text (title, headings, bullets, Q&A threads).
    Text,
    /// `.md`, `.markdown`.
    Markdown,
    /// `.json`: one record or an array of records.
    Json,
    /// `.jsonl`, `.ndjson`: one record a line.
    JsonLines,
    /// `.html`, `.htm`.
    Html,
}

impl Format {
    /// The format for a path, from its extension (case-insensitive); `None` if unsupported.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "txt" | "text" => Format::Text,
            "md" | "markdown" => Format::Markdown,
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::JsonLines,
            "html" | "htm" => Format::Html,
            _ => return None,
        })
    }
}

/// What the parser needs to know about the file besides its bytes.
#[derive(Debug, Clone, Copy)]
pub struct SourceInfo<'a> {
    /// The path to store in each passage's [`kb_schema::SourceRef`].
    pub path: &'a str,
    /// The document id for formats with one document a file (derived from the path relative to
    /// the indexed root, without extension); JSON records use their own id instead.
    pub doc_id: &'a str,
    /// The file's format.
    pub format: Format,
}

/// One document: an article or a Q&A thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedDocument {
    /// Stable document id.
    pub doc_id: String,
    /// Document title.
    pub title: String,
    /// Its passages, in order, positions 0..n.
    pub passages: Vec<Passage>,
}

/// A problem with a whole file, or with one record of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// 1-based line, where there is one.
    pub line: Option<u32>,
    /// What is wrong, for people (e.g. `invalid JSON at column 12: expected ':'`).
    pub reason: String,
}

/// A parsed file: the documents it holds and the records that could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFile {
    /// The documents, in file order.
    pub documents: Vec<ParsedDocument>,
    /// Records skipped (e.g. one bad line of a JSON Lines file); the rest were parsed.
    pub skipped: Vec<SourceError>,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for SourceError {}

/// Parses the bytes of one source file into its documents.
///
/// `Err` when the file as a whole cannot be read: binary, not UTF-8 (with the line of the first
/// bad byte), empty, not valid JSON (with line and column), or holding no text at all. A JSON
/// Lines or JSON array file with some bad records is `Ok`, the bad records listed in
/// [`ParsedFile::skipped`]. Never panics, whatever the bytes.
pub fn parse_source(bytes: &[u8], info: SourceInfo<'_>) -> Result<ParsedFile, SourceError> {
    let text = decode::decode(bytes)?;
    let parsed = match info.format {
        Format::Text => text::parse(text, info)?,
        Format::Markdown => markdown::parse(text, info)?,
        Format::Json => json::parse_json(text, info)?,
        Format::JsonLines => json::parse_json_lines(text, info),
        Format::Html => html::parse(text, info)?,
    };
    if parsed.documents.is_empty() && parsed.skipped.is_empty() {
        return Err(SourceError { line: None, reason: "no text to index".to_owned() });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use kb_schema::Kind;
    use proptest::prelude::*;

    use super::*;

    const FORMATS: [Format; 5] =
        [Format::Text, Format::Markdown, Format::Json, Format::JsonLines, Format::Html];

    fn info(format: Format) -> SourceInfo<'static> {
        SourceInfo { path: "/corpus/sub/doc.x", doc_id: "sub/doc", format }
    }

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(Format::of(Path::new("a/b.MD")), Some(Format::Markdown));
        assert_eq!(Format::of(Path::new("b.ndjson")), Some(Format::JsonLines));
        assert_eq!(Format::of(Path::new("b.png")), None);
        assert_eq!(Format::of(Path::new("README")), None);
    }

    #[test]
    fn shared_checks_apply_to_every_format() {
        for format in FORMATS {
            let err = |bytes: &[u8]| parse_source(bytes, info(format)).unwrap_err();
            assert_eq!(err(b"").reason, "empty file", "{format:?}");
            assert_eq!(err(b" \r\n\t").reason, "empty file", "{format:?}");
            assert_eq!(err(b"\x00\x01\x02binary").reason, "binary file", "{format:?}");
            let bad = err(b"{\"a\":\n\n\"Caf\xe9\"}");
            assert_eq!(bad.line, Some(3), "{format:?}");
            assert_eq!(bad.reason, "invalid UTF-8 at line 3, byte 5", "{format:?}");
        }
    }

    #[test]
    fn each_format_is_dispatched() {
        let cases: [(Format, &[u8], Kind); 5] = [
            (Format::Text, b"Title\n\nA paragraph.\n", Kind::Article),
            (Format::Markdown, b"# Title\n\nA paragraph.\n", Kind::Article),
            (Format::Json, br#"{"id": "q", "title": "Why?", "question": "Body."}"#, Kind::Question),
            (
                Format::JsonLines,
                br#"{"_id": "d", "title": "T", "text": "A paragraph."}"#,
                Kind::Article,
            ),
            (Format::Html, b"<title>Title</title><p>A paragraph.</p>", Kind::Article),
        ];
        for (format, bytes, kind) in cases {
            let parsed = parse_source(bytes, info(format)).unwrap();
            let passage = &parsed.documents[0].passages[0];
            assert_eq!(passage.kind, kind, "{format:?}");
            assert_eq!(passage.source.path, "/corpus/sub/doc.x", "{format:?}");
        }
    }

    #[test]
    fn files_with_nothing_to_index_are_refused() {
        for (format, bytes) in [
            (Format::Json, &b"[]"[..]),
            (Format::JsonLines, b"\n\n \n{}\n"),
            (Format::Html, b"<br>"),
        ] {
            let result = parse_source(bytes, info(format));
            match format {
                // The JSON Lines record without id is reported on its own line.
                Format::JsonLines => assert_eq!(result.unwrap().skipped[0].line, Some(4)),
                _ => assert_eq!(result.unwrap_err().reason, "no text to index", "{format:?}"),
            }
        }
    }

    #[test]
    fn errors_display_with_their_line() {
        let err = SourceError { line: Some(3), reason: "invalid JSON".into() };
        assert_eq!(err.to_string(), "line 3: invalid JSON");
        assert_eq!(
            SourceError { line: None, reason: "binary file".into() }.to_string(),
            "binary file"
        );
    }

    /// Checks what must hold of any successful parse.
    fn assert_well_formed(parsed: &ParsedFile) {
        for doc in &parsed.documents {
            for (i, p) in doc.passages.iter().enumerate() {
                assert_eq!(p.position as usize, i);
                assert_eq!(p.id, Passage::make_id(&doc.doc_id, p.position));
                assert_eq!(p.doc_id, doc.doc_id);
                assert_eq!(p.doc_title, doc.title);
                assert!(p.source.line >= 1);
                assert!(p.text.chars().any(char::is_alphanumeric), "{p:?}");
            }
            assert!(!doc.passages.is_empty());
        }
        for skip in &parsed.skipped {
            assert!(skip.line.is_some_and(|l| l >= 1));
        }
    }

    /// Text made of the characters that drive the formats' structure.
    fn structured_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("\n"),
                Just("\n\n"),
                Just("\r\n"),
                Just(" "),
                Just("- "),
                Just("• "),
                Just("1. "),
                Just("# "),
                Just("---\n"),
                Just("```"),
                Just("|"),
                Just("?"),
                Just("."),
                Just("{\"id\": \"a\", "),
                Just("\"title\": \"T\", "),
                Just("\"text\": \"x\\n\\ny\""),
                Just("\"answers\": [{\"body\": \"b\"}]"),
                Just("}"),
                Just("["),
                Just("]"),
                Just(","),
                Just("<p>"),
                Just("</p>"),
                Just("<h2>"),
                Just("<table><td>"),
                Just("<script>"),
                Just("&amp;"),
                Just("Tea"),
                Just("calves"),
                Just("\u{a0}"),
                Just("\u{feff}"),
                Just("é東"),
            ],
            0..60,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        // `PROPTEST_CASES` in the environment runs more cases than CI's 256.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
        ))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for format in FORMATS {
                if let Ok(parsed) = parse_source(&bytes, info(format)) {
                    assert_well_formed(&parsed);
                }
            }
        }

        #[test]
        fn arbitrary_strings_never_panic(text in any::<String>()) {
            for format in FORMATS {
                if let Ok(parsed) = parse_source(text.as_bytes(), info(format)) {
                    assert_well_formed(&parsed);
                }
            }
        }

        #[test]
        fn structured_text_never_panics(text in structured_text()) {
            for format in FORMATS {
                if let Ok(parsed) = parse_source(text.as_bytes(), info(format)) {
                    assert_well_formed(&parsed);
                }
            }
        }
    }
}
