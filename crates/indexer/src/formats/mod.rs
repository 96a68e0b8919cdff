//! Source formats: bytes of one file -> documents made of passages.
//!
//! One module per format. Every format gives the same thing, [`Records`]: an iterator of
//! [`Item`]s (a document, or a record skipped with its line), read from memory ([`records`],
//! [`parse_source`]) or, for the formats that can be read a record at a time (JSON Lines, JSON
//! arrays), streamed from the file in bounded memory (the indexer's `Source`). The checks all
//! formats share (binary, UTF-8, empty) are in `decode`. Passages are numbered and named by
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
//! // Invalid UTF-8 costs its paragraph only.
//! let parsed = parse_source(b"Title\n\nCaf\xe9 au lait\n\nTea.\n", info)?;
//! assert_eq!(parsed.documents[0].passages[0].text, "Tea.");
//! let skip = &parsed.skipped[0];
//! assert_eq!((skip.line, skip.reason.as_str()), (Some(3), "invalid UTF-8 at line 3, byte 4; its paragraph is not indexed"));
//! # Ok::<(), kb_indexer::formats::SourceError>(())
//! ```

use std::path::Path;

use kb_schema::Passage;

mod decode;
mod document;
#[cfg(feature = "html")]
mod html;
#[cfg(feature = "html")]
mod html_lines;
mod json;
mod markdown;
mod source;
mod text;

pub(crate) use json::build as build_record;
pub use json::{Answer, Record};
pub(crate) use source::Source;

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

/// One thing a file holds: a document, or a record (or paragraph) that was left out.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A document made of passages.
    Document(ParsedDocument),
    /// A record skipped (a bad JSON Lines line, an array element without id, a paragraph that
    /// is not UTF-8), with its line; the rest of the file is kept.
    Skipped(SourceError),
}

/// The items of one file, in file order, the same for every format. An `Err` item means the
/// file as a whole failed part-way (it could no longer be read, or changed while it was): the
/// items before it must be dropped too.
pub type Records<'a> = Box<dyn Iterator<Item = Result<Item, SourceError>> + 'a>;

/// The records of one source file held in memory.
///
/// `Err` when the file as a whole cannot be read: binary, UTF-16, empty, not valid JSON (with
/// line and column), or not UTF-8 where the format cannot lose less (HTML, JSON). Never panics,
/// whatever the bytes.
pub fn records<'a>(bytes: &'a [u8], info: SourceInfo<'a>) -> Result<Records<'a>, SourceError> {
    match info.format {
        Format::JsonLines => {
            decode::check_by_line(bytes)?;
            Ok(Box::new(json::JsonLines::new(bytes, info)))
        }
        Format::Json => {
            decode::decode(bytes)?;
            json::json_records(&mut || Ok(Box::new(bytes) as Box<dyn std::io::BufRead>), info)
        }
        Format::Text | Format::Markdown | Format::Html => {
            let items = whole_file_items(bytes, info)?;
            Ok(Box::new(items.into_iter().map(Ok)))
        }
    }
}

/// The items of a file of a format parsed whole (text, Markdown, HTML): the paragraphs lost to
/// invalid UTF-8 first, then its document.
fn whole_file_items(bytes: &[u8], info: SourceInfo<'_>) -> Result<Vec<Item>, SourceError> {
    let (text, lost) = match info.format {
        Format::Html => (std::borrow::Cow::Borrowed(decode::decode(bytes)?), Vec::new()),
        _ => decode::decode_by_paragraph(bytes)?,
    };
    let parsed = match info.format {
        Format::Text => text::parse(&text, info),
        Format::Markdown => markdown::parse(&text, info),
        #[cfg(feature = "html")]
        _ => html::parse(&text, info),
        #[cfg(not(feature = "html"))]
        _ => Err(SourceError {
            line: None,
            reason: "HTML is not read by this build of kb (built without the `html` feature)"
                .to_owned(),
        }),
    };
    let parsed = match parsed {
        Ok(parsed) => parsed,
        // What was lost is the better reason when nothing is left.
        Err(err) => return Err(lost.into_iter().next().unwrap_or(err)),
    };
    let skipped = lost.into_iter().chain(parsed.skipped).map(Item::Skipped);
    Ok(skipped.chain(parsed.documents.into_iter().map(Item::Document)).collect())
}

/// Collects records into a [`ParsedFile`]; the first `Err` item is the result.
pub(crate) fn collect(records: Records<'_>) -> Result<ParsedFile, SourceError> {
    let mut file = ParsedFile::default();
    for item in records {
        match item? {
            Item::Document(d) => file.documents.push(d),
            Item::Skipped(e) => file.skipped.push(e),
        }
    }
    Ok(file)
}

/// Parses the bytes of one source file into its documents: [`records`], collected.
///
/// `Err` when the file as a whole cannot be read (see [`records`]) or holds no text at all. A
/// file with some bad records (JSON Lines lines, JSON array elements, paragraphs that are not
/// UTF-8) is `Ok`, the bad records listed in [`ParsedFile::skipped`]. Never panics, whatever
/// the bytes.
pub fn parse_source(bytes: &[u8], info: SourceInfo<'_>) -> Result<ParsedFile, SourceError> {
    let parsed = collect(records(bytes, info)?)?;
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
            // Invalid UTF-8 refuses the file, or loses the line or paragraph it is in.
            let bad = match parse_source(b"{\"a\":\n\n\"Caf\xe9\"}", info(format)) {
                Err(err) => err,
                Ok(parsed) => parsed.skipped.last().expect("a skip").clone(),
            };
            assert_eq!(bad.line, Some(3), "{format:?}");
            assert!(bad.reason.starts_with("invalid UTF-8 at line 3, byte 5"), "{format:?}");
        }
    }

    /// Issue 14, item 11: invalid UTF-8 in plain text and Markdown loses its paragraph only.
    #[test]
    fn invalid_utf8_loses_one_paragraph_of_text_and_markdown() {
        for (format, bytes) in [
            (Format::Text, &b"Tea\n\nGreen tea.\n\nCaf\xe9 au lait\nand more.\n\nBlack tea.\n"[..]),
            (
                Format::Markdown,
                b"# Tea\n\nGreen tea.\n\nCaf\xe9 au lait\nand more.\n\nBlack tea.\n",
            ),
        ] {
            let parsed = parse_source(bytes, info(format)).unwrap();
            let doc = &parsed.documents[0];
            assert_eq!(doc.title, "Tea", "{format:?}");
            let texts: Vec<(&str, u32)> =
                doc.passages.iter().map(|p| (p.text.as_str(), p.source.line)).collect();
            assert_eq!(texts, [("Green tea.", 3), ("Black tea.", 8)], "{format:?}");
            let skips: Vec<_> =
                parsed.skipped.iter().map(|s| (s.line, s.reason.as_str())).collect();
            assert_eq!(
                skips,
                [(Some(5), "invalid UTF-8 at line 5, byte 4; its paragraph is not indexed")],
                "{format:?}"
            );
        }
        // Nothing left: the file is refused with the first bad spot.
        let err = parse_source(b"Caf\xe9\n", info(Format::Text)).unwrap_err();
        assert_eq!((err.line, err.reason.as_str()), (Some(1), "invalid UTF-8 at line 1, byte 4"));
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
