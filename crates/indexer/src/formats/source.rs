//! A source file read for indexing: its hash first, then its records.
//!
//! [`Source::read`] reads the file once, hashing it and making the checks its format shares
//! with the others, so that an unchanged file (same hash) costs no parsing. Formats parsed
//! whole (text, Markdown, HTML) are held in memory; JSON Lines and JSON files are not: the file
//! stays open and [`Source::records`] reads it again, a record at a time, so memory stays
//! bounded whatever its size and parsing overlaps with the index writer's threads.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use super::decode::{check_stream, Checks};
use super::{json, Format, Records, SourceError, SourceInfo};

/// Bytes read from a file at a time.
const READ_BYTES: usize = 256 * 1024;

/// A file read for indexing: see the module docs.
pub(crate) struct Source {
    /// blake3 hash of its bytes, hex.
    hash: String,
    /// Bytes read.
    bytes: u64,
    content: Content,
}

/// What [`Source`] holds of the file.
enum Content {
    /// All its bytes (formats parsed whole).
    Whole(Vec<u8>),
    /// The open file and what its checks said, to be read again record by record.
    Streamed(File, Format, Result<(), SourceError>),
}

impl Source {
    /// Reads the file at `path` in `format`: its hash, and what its records need.
    pub(crate) fn read(path: &Path, format: Format) -> std::io::Result<Source> {
        let checks = match format {
            Format::JsonLines => Checks::ByLine,
            Format::Json => Checks::Whole,
            Format::Text | Format::Markdown | Format::Html => {
                let bytes = crate::regular::read(path)?;
                let hash = blake3::hash(&bytes).to_hex().to_string();
                let len = bytes.len() as u64;
                return Ok(Source { hash, bytes: len, content: Content::Whole(bytes) });
            }
        };
        let mut file = crate::regular::open(path)?;
        let mut hasher = blake3::Hasher::new();
        let checked = check_stream(&mut file, checks, &mut |bytes| {
            hasher.update(bytes);
        })?;
        Ok(Source {
            hash: hasher.finalize().to_hex().to_string(),
            bytes: checked.bytes,
            content: Content::Streamed(file, format, checked.verdict),
        })
    }

    /// The blake3 hash of the file's bytes, hex.
    pub(crate) fn hash(&self) -> &str {
        &self.hash
    }

    /// The bytes read.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Why the file is not a document, when kb leaves it out by design (an HTML redirect
    /// stub, a page asking not to be indexed); `None` for every other file.
    pub(crate) fn not_a_document(&self, format: Format) -> Option<String> {
        match (&self.content, format) {
            #[cfg(feature = "html")]
            (Content::Whole(bytes), Format::Html) => {
                super::html::not_a_document(std::str::from_utf8(bytes).ok()?)
            }
            _ => None,
        }
    }

    /// The file's records; `Err` when the file as a whole is refused (see
    /// [`super::records`]), before any record is read.
    pub(crate) fn records<'a>(self, info: SourceInfo<'a>) -> Result<Records<'a>, SourceError> {
        let (file, format, verdict) = match self.content {
            Content::Whole(bytes) => {
                let items = super::whole_file_items(&bytes, info)?;
                return Ok(Box::new(items.into_iter().map(Ok)));
            }
            Content::Streamed(file, format, verdict) => (file, format, verdict),
        };
        verdict?;
        let cannot_read =
            |e: std::io::Error| SourceError { line: None, reason: format!("cannot read: {e}") };
        let mut open = move || -> std::io::Result<Box<dyn BufRead + 'a>> {
            let mut file = file.try_clone()?;
            file.seek(SeekFrom::Start(0))?;
            Ok(Box::new(BufReader::with_capacity(READ_BYTES, file)))
        };
        match format {
            Format::Json => json::json_records(&mut open, info),
            _ => Ok(Box::new(json::JsonLines::new(open().map_err(cannot_read)?, info))),
        }
    }
}
