//! Building a [`ParsedDocument`] passage by passage, the same way for every format.
//!
//! The builder numbers passages, makes their ids, folds whitespace and drops passages with no
//! letter or digit in them (a line of dashes, a lone bullet), so each format only decides where
//! passages begin and end.
//!
//! Two shapes of text are not folded into one line ([`Shape`]): code keeps its lines and their
//! indentation ([`code_chunks`] cuts a long block into passages of whole lines), and a table's
//! rows stay one a line, in passages of a few rows each under the header row ([`table_chunks`]).

use std::borrow::Cow;
use std::path::Path;

use kb_schema::{Kind, Passage, SourceRef};

use super::ParsedDocument;

/// Collects the passages of one document.
pub(crate) struct DocumentBuilder<'a> {
    doc_id: String,
    title: String,
    path: &'a str,
    passages: Vec<Passage>,
}

/// One passage to add: its text (whitespace is folded on the way in, except the `\n`s the
/// format put there on purpose, such as between an answer's title and body).
pub(crate) struct NewPassage<'t> {
    /// Article paragraph, question, answer or code.
    pub kind: Kind,
    /// The section heading it stands under.
    pub heading: Option<&'t str>,
    /// The text, as parts joined by `\n`; each part has its whitespace folded and empty parts
    /// are left out.
    pub parts: &'t [&'t str],
    /// Searchable context (an answer's question body).
    pub context: Option<&'t str>,
    /// 1-based source line where the text starts.
    pub line: u32,
}

impl<'a> DocumentBuilder<'a> {
    /// A document with no passages yet.
    pub(crate) fn new(doc_id: impl Into<String>, title: &str, path: &'a str) -> Self {
        DocumentBuilder {
            doc_id: doc_id.into(),
            title: fold_whitespace(title),
            path,
            passages: Vec::new(),
        }
    }

    /// Whether no passage was kept so far.
    pub(crate) fn is_empty(&self) -> bool {
        self.passages.is_empty()
    }

    /// Adds a passage at the next position, unless it has nothing searchable in it.
    pub(crate) fn push(&mut self, new: NewPassage<'_>) {
        let text = join_folded(new.parts);
        self.add(new.kind, new.heading, text, new.context, new.line);
    }

    /// Adds an article paragraph (the common case).
    pub(crate) fn paragraph(&mut self, heading: Option<&str>, text: &str, line: u32) {
        self.push(NewPassage { kind: Kind::Article, heading, parts: &[text], context: None, line });
    }

    /// Adds a passage of the given shape: prose (folded into one line), table rows (each line
    /// folded on its own) or code (kept as it is: a chunk of [`code_chunks`]).
    pub(crate) fn block(&mut self, shape: Shape, heading: Option<&str>, text: &str, line: u32) {
        match shape {
            Shape::Prose => self.paragraph(heading, text, line),
            Shape::Table => {
                let rows: Vec<&str> = text.split('\n').collect();
                let new =
                    NewPassage { kind: Kind::Article, heading, parts: &rows, context: None, line };
                self.push(new);
            }
            Shape::Code => self.add(Kind::Code, heading, text.to_owned(), None, line),
        }
    }

    fn add(
        &mut self,
        kind: Kind,
        heading: Option<&str>,
        text: String,
        context: Option<&str>,
        line: u32,
    ) {
        if !has_word(&text) {
            return;
        }
        let position = u32::try_from(self.passages.len()).unwrap_or(u32::MAX);
        let heading = heading.map(fold_whitespace).filter(|h| has_word(h));
        let context = context.map(fold_whitespace).filter(|c| has_word(c));
        self.passages.push(Passage {
            id: Passage::make_id(&self.doc_id, position),
            doc_id: self.doc_id.clone(),
            doc_title: self.title.clone(),
            kind,
            heading,
            position,
            text,
            context,
            source: SourceRef { path: self.path.to_owned(), line: line.max(1) },
        });
    }

    /// The document, or `None` when it kept no passage at all.
    pub(crate) fn finish(self) -> Option<ParsedDocument> {
        if self.passages.is_empty() {
            return None;
        }
        Some(ParsedDocument { doc_id: self.doc_id, title: self.title, passages: self.passages })
    }
}

/// How a block's text becomes a passage's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Prose: whitespace runs, newlines included, folded to one space.
    Prose,
    /// Table rows, one a line (cells joined by ` | `): each line folded on its own.
    Table,
    /// Code: kept as it is, lines and indentation (see [`code_chunks`]); kind `code`.
    Code,
}

/// A block of code longer than this (in bytes) is cut into passages of whole lines.
pub(crate) const CODE_PASSAGE_BYTES: usize = 2_000;

/// A table's rows are grouped into passages of at most this many bytes (the header not
/// counted; a longer row is a passage of its own) ...
pub(crate) const TABLE_PASSAGE_BYTES: usize = 1_000;

/// ... and at most this many rows.
pub(crate) const TABLE_PASSAGE_ROWS: usize = 20;

/// The passages of a block of code: each chunk's text and the index, in `code`'s lines, of its
/// first line.
///
/// Lines keep their indentation and lose their trailing whitespace; blank lines at either end
/// of a chunk are left out. A block longer than [`CODE_PASSAGE_BYTES`] is cut between lines,
/// at a blank line in the second half of the chunk when there is one.
pub(crate) fn code_chunks(code: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = code.split('\n').map(str::trim_end).collect();
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        let len = line.len() + 1;
        if bytes + len > CODE_PASSAGE_BYTES && i > start {
            let half = (start + (i - start) / 2).max(start + 1);
            let cut = (half..i).rev().find(|&j| lines[j].is_empty()).unwrap_or(i);
            push_chunk(&mut chunks, &lines, start, cut);
            start = cut;
            bytes = lines[start..i].iter().map(|l| l.len() + 1).sum();
        }
        bytes += len;
    }
    push_chunk(&mut chunks, &lines, start, lines.len());
    chunks
}

/// Adds `lines[from..to]` without blank lines at either end, if any is left.
fn push_chunk(chunks: &mut Vec<(usize, String)>, lines: &[&str], from: usize, to: usize) {
    let Some(first) = (from..to).find(|&j| !lines[j].is_empty()) else { return };
    let last = (first..to).rfind(|&j| !lines[j].is_empty()).unwrap_or(first);
    chunks.push((first, lines[first..=last].join("\n")));
}

/// One row of a table: its cells' text and the 1-based line where it starts (0 when the format
/// finds lines later).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TableRow {
    /// The cells' text, in order.
    pub cells: Vec<String>,
    /// The line of the row.
    pub line: u32,
}

impl TableRow {
    /// The row as one line: cells folded and joined by ` | `; `None` when no cell has a word.
    fn text(&self) -> Option<String> {
        let cells: Vec<String> = self.cells.iter().map(|c| fold_whitespace(c)).collect();
        cells.iter().any(|c| has_word(c)).then(|| cells.join(" | "))
    }
}

/// One passage of a table (see [`table_chunks`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableChunk {
    /// The header row (if any), then the rows, one a line.
    pub text: String,
    /// Where the passage's own rows start in `text`: after the header, except in the first
    /// passage, which starts with the header where the table does.
    pub own: usize,
    /// The line of the first of its own rows (the header's for the first passage).
    pub line: u32,
}

/// A table as passages: its rows in groups of at most [`TABLE_PASSAGE_ROWS`] rows and
/// [`TABLE_PASSAGE_BYTES`] bytes, each group under a copy of the header row, so that every
/// passage reads as a table. Rows without a word are left out.
pub(crate) fn table_chunks(header: Option<&TableRow>, rows: &[TableRow]) -> Vec<TableChunk> {
    let header = header.and_then(|h| Some((h.text()?, h.line)));
    let rows: Vec<(String, u32)> = rows.iter().filter_map(|r| Some((r.text()?, r.line))).collect();
    let mut chunks = Vec::new();
    let mut group: Vec<&(String, u32)> = Vec::new();
    let mut bytes = 0;
    let flush = |group: &mut Vec<&(String, u32)>, chunks: &mut Vec<TableChunk>| {
        let first = chunks.is_empty();
        let (mut text, own, line) = match &header {
            Some((h, line)) if first => (h.clone(), 0, *line),
            Some((h, _)) => (h.clone(), h.len() + 1, group.first().map_or(0, |r| r.1)),
            None => (String::new(), 0, group.first().map_or(0, |r| r.1)),
        };
        for (row, _) in group.drain(..) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(row);
        }
        chunks.push(TableChunk { text, own, line });
    };
    for row in &rows {
        if !group.is_empty()
            && (bytes + row.0.len() > TABLE_PASSAGE_BYTES || group.len() >= TABLE_PASSAGE_ROWS)
        {
            flush(&mut group, &mut chunks);
            bytes = 0;
        }
        bytes += row.0.len() + 1;
        group.push(row);
    }
    if !group.is_empty() || (chunks.is_empty() && header.is_some()) {
        flush(&mut group, &mut chunks);
    }
    chunks
}

/// `text` with every run of whitespace (newlines and no-break spaces included) made one space,
/// and none at either end.
pub(crate) fn fold_whitespace(text: &str) -> String {
    if text.is_ascii() {
        fold_with(text, |bytes, i| matches!(bytes[i], b'\t'..=b'\r' | b' ').then_some(1), |_| 1)
    } else {
        fold_with(text, |_, i| space_at(text, i), utf8_width)
    }
}

/// [`fold_whitespace`] given the width of the whitespace character at a byte (`None` when it
/// is not whitespace) and the width of any character from its first byte.
fn fold_with(
    text: &str,
    space_at: impl Fn(&[u8], usize) -> Option<usize>,
    width: impl Fn(u8) -> usize,
) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // Words separated by single spaces are copied as one run: `text[run.0..run.1]`.
    let mut run: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(w) = space_at(bytes, i) {
            i += w;
            continue;
        }
        let start = i;
        while i < bytes.len() && space_at(bytes, i).is_none() {
            i += width(bytes[i]);
        }
        run = match run {
            Some((from, end)) if start == end + 1 && bytes[end] == b' ' => Some((from, i)),
            Some((from, end)) => {
                push_words(&mut out, &text[from..end]);
                Some((start, i))
            }
            None => Some((start, i)),
        };
    }
    if let Some((from, end)) = run {
        push_words(&mut out, &text[from..end]);
    }
    out
}

/// Appends `words` to folded text, after a space unless it is the first.
fn push_words(out: &mut String, words: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(words);
}

/// The width of the whitespace character (`char::is_whitespace`) at byte `i` of `text`, or
/// `None` when the character there is not whitespace.
fn space_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        return matches!(b, b'\t'..=b'\r' | b' ').then_some(1);
    }
    let c = text[i..].chars().next()?;
    c.is_whitespace().then(|| c.len_utf8())
}

/// The length of the UTF-8 sequence that `lead` begins.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The parts folded and joined with `\n`, leaving out the empty ones.
fn join_folded(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        let folded = fold_whitespace(part);
        if folded.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&folded);
    }
    out
}

/// A block with links and at most this many words outside them is navigation.
const LINK_BLOCK_OTHER_WORDS: usize = 3;

/// Whether a block of `text`, of which `links` is the part inside links, is made of links (a
/// "Next: ... Previous: ... Up: ..." line, a table of contents entry): it has words in links
/// and at most [`LINK_BLOCK_OTHER_WORDS`] outside them, fewer than inside. Such a block is
/// navigation, not a passage, in HTML and Markdown alike.
pub(crate) fn is_link_block(text: &str, links: &str) -> bool {
    let words = |s: &str| s.split_whitespace().filter(|w| has_word(w)).count();
    let in_links = words(links);
    let others = words(text).saturating_sub(in_links);
    in_links > 0 && others <= LINK_BLOCK_OTHER_WORDS && others < in_links
}

/// Whether `text` holds a letter or a digit: text without one has nothing to search for.
pub(crate) fn has_word(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// The title of a file that has none of its own: its file name without extension.
pub(crate) fn file_stem_title<'p>(path: &'p str, doc_id: &'p str) -> Cow<'p, str> {
    match Path::new(path).file_stem() {
        Some(stem) => stem.to_string_lossy(),
        None => Cow::Borrowed(doc_id.rsplit('/').next().unwrap_or(doc_id)),
    }
}

/// Maps byte offsets of a text to 1-based line numbers.
pub(crate) struct LineIndex {
    /// Byte offset where each line starts, in order; the first is 0.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> u32 {
        let line = self.starts.partition_point(|&start| start <= offset);
        u32::try_from(line.max(1)).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passages_are_numbered_folded_and_empty_ones_dropped() {
        let mut doc = DocumentBuilder::new("notes/tea", "  Tea\n notes ", "/c/notes/tea.txt");
        doc.paragraph(None, "Green\u{a0} tea\n  is steamed.", 3);
        doc.paragraph(Some("Lists"), "- * -", 5);
        doc.push(NewPassage {
            kind: Kind::Answer,
            heading: None,
            parts: &["Use  citric acid", "", "It works\nwell."],
            context: Some("  My kettle\n scales. "),
            line: 0,
        });
        let doc = doc.finish().unwrap();
        assert_eq!(doc.title, "Tea notes");
        let p = &doc.passages;
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].id.as_str(), p[0].text.as_str()),
            ("notes/tea#0", "Green tea is steamed.")
        );
        assert_eq!((p[1].id.as_str(), p[1].position), ("notes/tea#1", 1));
        assert_eq!(p[1].text, "Use citric acid\nIt works well.");
        assert_eq!(p[1].context.as_deref(), Some("My kettle scales."));
        assert_eq!(p[1].source, SourceRef { path: "/c/notes/tea.txt".into(), line: 1 });
        assert_eq!(p[1].doc_title, "Tea notes");
    }

    /// What folding means: the words `split_whitespace` finds, joined by single spaces.
    fn folded_by_words(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn whitespace_folds_like_words_joined() {
        for text in [
            "",
            " ",
            "a",
            "  a  b   c  ",
            "one two three",
            "tab\there\nnew\r\nline\u{b}\u{c}ff",
            "nbsp\u{a0}nel\u{85}ideographic\u{3000}em\u{2003}x",
            "é東 \u{1f600}  ü\u{2028}",
            "\u{200b}zero-width is not whitespace\u{feff}",
        ] {
            assert_eq!(fold_whitespace(text), folded_by_words(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn whitespace_folds_like_words_joined_on_any_text(
            text in "[ a-zé東\t\n\r\u{a0}\u{85}\u{3000}\u{2003}\u{1f600}\u{b}\u{c}]{0,40}|.*"
        ) {
            proptest::prop_assert_eq!(fold_whitespace(&text), folded_by_words(&text));
        }
    }

    #[test]
    fn long_code_is_cut_between_lines_at_blank_lines() {
        let block: Vec<String> = (0..80).map(|i| format!("    let value_{i} = {i};")).collect();
        let code = format!("\n\n{}\n\n{}\n", block.join("\n"), block.join("\n"));
        let chunks = code_chunks(&code);
        let firsts: Vec<usize> = chunks.iter().map(|c| c.0).collect();
        assert_eq!(firsts, [2, 83], "cut at the blank line");
        assert!(chunks.iter().all(|(_, c)| c.len() <= CODE_PASSAGE_BYTES));
        assert_eq!(chunks[0].1, block.join("\n"));
        // Without blank lines, cut where the bound is reached.
        let long: Vec<String> = (0..400).map(|i| format!("x{i}();")).collect();
        let chunks = code_chunks(&long.join("\n"));
        assert!(chunks.len() > 1);
        let lines: usize = chunks.iter().map(|(_, c)| c.lines().count()).sum();
        assert_eq!(lines, 400);
        assert_eq!(chunks[1].0, chunks[0].1.lines().count());
        assert!(code_chunks("\n  \n").is_empty());
    }

    #[test]
    fn tables_are_rows_grouped_under_the_header() {
        let row = |cells: &[&str], line| TableRow {
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
            line,
        };
        let header = row(&["Tea", " Steep\n time "], 1);
        let rows: Vec<TableRow> =
            (0..45).map(|i| row(&[&format!("tea {i}"), "2"], 3 + i)).collect();
        let chunks = table_chunks(Some(&header), &rows);
        let shape: Vec<(usize, u32, usize)> =
            chunks.iter().map(|c| (c.text.lines().count(), c.line, c.own)).collect();
        let own = "Tea | Steep time\n".len();
        assert_eq!(shape, [(21, 1, 0), (21, 23, own), (6, 43, own)]);
        assert_eq!(&chunks[1].text[chunks[1].own..chunks[1].own + 10], "tea 20 | 2");
        // Empty rows are left out; a header alone is a passage; no header, no copy.
        let empty = row(&["", " "], 2);
        assert_eq!(table_chunks(Some(&header), std::slice::from_ref(&empty)).len(), 1);
        assert!(table_chunks(None, &[empty]).is_empty());
        let chunks = table_chunks(None, &rows[..2]);
        assert_eq!(chunks[0].text, "tea 0 | 2\ntea 1 | 2");
        // One row longer than the bound is a passage of its own.
        let wide = row(&[&"word ".repeat(400)], 9);
        assert_eq!(table_chunks(None, &[rows[0].clone(), wide, rows[1].clone()]).len(), 3);
    }

    #[test]
    fn a_document_without_passages_is_none() {
        let mut doc = DocumentBuilder::new("d", "Title", "d.txt");
        doc.paragraph(None, "  \n ", 1);
        assert!(doc.finish().is_none());
    }

    #[test]
    fn offsets_map_to_lines() {
        let lines = LineIndex::new("ab\ncd\n\nef");
        let got: Vec<u32> = [0, 2, 3, 6, 7, 8, 100].iter().map(|&o| lines.line_of(o)).collect();
        assert_eq!(got, [1, 1, 2, 3, 4, 4, 4]);
    }

    #[test]
    fn stems_make_fallback_titles() {
        assert_eq!(file_stem_title("/c/sub/with space é.md", "sub/with space é"), "with space é");
        assert_eq!(file_stem_title("", "sub/notes"), "notes");
    }
}
