//! Building a [`ParsedDocument`] passage by passage, the same way for every format.
//!
//! The builder numbers passages, makes their ids, folds whitespace and drops passages with no
//! letter or digit in them (a line of dashes, a lone bullet), so each format only decides where
//! passages begin and end.

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
    /// Article paragraph, question or answer.
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
        if !has_word(&text) {
            return;
        }
        let position = u32::try_from(self.passages.len()).unwrap_or(u32::MAX);
        let heading = new.heading.map(fold_whitespace).filter(|h| has_word(h));
        let context = new.context.map(fold_whitespace).filter(|c| has_word(c));
        self.passages.push(Passage {
            id: Passage::make_id(&self.doc_id, position),
            doc_id: self.doc_id.clone(),
            doc_title: self.title.clone(),
            kind: new.kind,
            heading,
            position,
            text,
            context,
            source: SourceRef { path: self.path.to_owned(), line: new.line.max(1) },
        });
    }

    /// Adds an article paragraph (the common case).
    pub(crate) fn paragraph(&mut self, heading: Option<&str>, text: &str, line: u32) {
        self.push(NewPassage { kind: Kind::Article, heading, parts: &[text], context: None, line });
    }

    /// The document, or `None` when it kept no passage at all.
    pub(crate) fn finish(self) -> Option<ParsedDocument> {
        if self.passages.is_empty() {
            return None;
        }
        Some(ParsedDocument { doc_id: self.doc_id, title: self.title, passages: self.passages })
    }
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
