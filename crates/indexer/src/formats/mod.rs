//! Source formats: bytes of one file -> documents made of passages.
//!
//! One module per format; [`parse_source`] dispatches on [`Format`].

use std::path::Path;

use kb_schema::Passage;

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
