//! The line where each passage of an HTML page starts in its source.
//!
//! html5ever keeps no source positions, so lines are found by matching. The page's text as a
//! reader sees it is laid out once, reduced to its letters and digits (tags, comments, scripts,
//! styles and character references left out, numeric references decoded), with the source offset
//! of each; each passage, reduced the same way, is looked for in it after the previous one.
//!
//! - Matching the page's text, not its source, keeps words in attributes, scripts and comments
//!   from being taken for a passage's (a passage's first words found in a `title=` or a script
//!   far ahead sent every later passage there: the lines drifted to the end of the file).
//! - Letters and digits only make the match indifferent to spacing and punctuation (a cell
//!   border, a `<br>`, a folded run of spaces, `&amp;` or `&rarr;` in the source).
//! - A passage not found (a named reference for a letter, `&eacute;`, in its first words) is
//!   looked for by a shorter probe; failing that, it takes the previous passage's line and the
//!   search does not move, so one miss never shifts the passages after it.

use super::document::LineIndex;

/// How many letters and digits of a passage are looked for.
const PROBE_CHARS: usize = 48;

/// The shorter probe tried when the long one is not found.
const SHORT_PROBE_CHARS: usize = 12;

/// How far past the previous passage a passage is looked for, in bytes of the page's letters
/// and digits (a page's navigation before its first passage can be long).
const SEARCH_WINDOW: usize = 4 << 20;

/// Elements whose content is not text (raw text, in HTML's terms): skipped to their end tag.
const RAW_TEXT: &[&str] = &["script", "style", "xmp", "iframe", "noembed", "noframes"];

/// Finds passages' lines in one page's source, in order.
pub(crate) struct LineFinder {
    lines: LineIndex,
    /// The page's letters and digits, in source order.
    text: String,
    /// The source byte offset of each byte of `text`.
    origin: Vec<usize>,
    /// Where in `text` the previous passage was found; the next is looked for after it.
    cursor: usize,
    /// The previous passage's line.
    line: u32,
}

impl LineFinder {
    /// Lays out the text of `source` (newlines already normalized).
    pub(crate) fn new(source: &str) -> Self {
        let (text, origin) = visible_text(source);
        LineFinder { lines: LineIndex::new(source), text, origin, cursor: 0, line: 1 }
    }

    /// The line where `passage` starts in the source; the previous passage's line when it is
    /// not found.
    pub(crate) fn find(&mut self, passage: &str) -> u32 {
        let probe: String = passage.chars().filter(|c| c.is_alphanumeric()).collect();
        if probe.is_empty() {
            return self.line;
        }
        let mut end = self.cursor.saturating_add(SEARCH_WINDOW).min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let window = &self.text[self.cursor..end];
        for chars in [PROBE_CHARS, SHORT_PROBE_CHARS] {
            let probe = prefix_chars(&probe, chars);
            if let Some(at) = window.find(probe) {
                let at = self.cursor + at;
                self.line = self.lines.line_of(self.origin[at]);
                self.cursor = at + probe.len();
                return self.line;
            }
        }
        self.line
    }
}

/// The first `n` characters of `s`.
fn prefix_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// The letters and digits a reader of `source` sees, and the source offset of each byte.
fn visible_text(source: &str) -> (String, Vec<usize>) {
    let bytes = source.as_bytes();
    let mut text = String::new();
    let mut origin = Vec::new();
    let mut push = |c: char, at: usize, text: &mut String| {
        if c.is_alphanumeric() {
            text.push(c);
            origin.resize(text.len(), at);
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => i = skip_markup(source, i),
            b'&' => {
                let (decoded, next) = reference(source, i);
                if let Some(c) = decoded {
                    push(c, i, &mut text);
                }
                i = next;
            }
            _ => {
                let c = source[i..].chars().next().unwrap_or(' ');
                push(c, i, &mut text);
                i += c.len_utf8();
            }
        }
    }
    (text, origin)
}

/// Where the text resumes after the markup at `at` (a `<`): past a tag, a comment, a
/// declaration, and for a raw-text element such as `script`, past its content too. A `<` that
/// starts no markup is text (it is no letter, so it is skipped all the same).
fn skip_markup(source: &str, at: usize) -> usize {
    let bytes = source.as_bytes();
    let rest = &source[at..];
    if let Some(comment) = rest.strip_prefix("<!--") {
        return comment.find("-->").map_or(source.len(), |end| at + 4 + end + 3);
    }
    let next = bytes.get(at + 1).copied().unwrap_or(b' ');
    if next == b'!' || next == b'?' {
        return rest.find('>').map_or(source.len(), |end| at + end + 1);
    }
    let closing = next == b'/';
    let name_at = at + 1 + usize::from(closing);
    if !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
        return at + 1;
    }
    let name_len = bytes[name_at..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    let name = source[name_at..name_at + name_len].to_ascii_lowercase();
    // The end of the tag: its `>`, outside quoted attribute values.
    let mut i = name_at + name_len;
    let mut quote = None;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (None, b'>') => break,
            (None, q @ (b'"' | b'\'')) if is_value_start(bytes, i) => quote = Some(q),
            (Some(q), b) if b == q => quote = None,
            _ => {}
        }
        i += 1;
    }
    let after = (i + 1).min(source.len());
    if closing || !RAW_TEXT.contains(&name.as_str()) {
        return after;
    }
    // A raw-text element's content runs to its end tag, whatever it holds.
    let mut from = after;
    while let Some(end) = source[from..].find("</") {
        let tag = from + end;
        let candidate = bytes.get(tag + 2..tag + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return tag;
        }
        from = tag + 2;
    }
    source.len()
}

/// Whether the quote at `i` opens an attribute value: `=` before it, spaces aside.
fn is_value_start(bytes: &[u8], i: usize) -> bool {
    bytes[..i].iter().rev().find(|b| !b.is_ascii_whitespace()) == Some(&b'=')
}

/// The character reference at `at` (a `&`): the character of a numeric reference (`None` for a
/// named one, which these letters-and-digits never need but for a rare letter) and where the
/// text resumes. A `&` that starts no reference is text.
fn reference(source: &str, at: usize) -> (Option<char>, usize) {
    let bytes = source.as_bytes();
    let body = at + 1;
    if bytes.get(body) == Some(&b'#') {
        let hex = matches!(bytes.get(body + 1), Some(b'x' | b'X'));
        let digits_at = body + 1 + usize::from(hex);
        let len = bytes[digits_at.min(bytes.len())..]
            .iter()
            .take_while(|b| if hex { b.is_ascii_hexdigit() } else { b.is_ascii_digit() })
            .count();
        if len == 0 {
            return (None, at + 1);
        }
        let digits = &source[digits_at..digits_at + len];
        let c =
            u32::from_str_radix(digits, if hex { 16 } else { 10 }).ok().and_then(char::from_u32);
        let end = digits_at + len;
        return (c, if bytes.get(end) == Some(&b';') { end + 1 } else { end });
    }
    let len = bytes[body..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    if len > 0 && bytes.get(body + len) == Some(&b';') {
        return (None, body + len + 1);
    }
    (None, at + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(source: &str) -> String {
        visible_text(source).0
    }

    #[test]
    fn markup_comments_scripts_and_references_are_not_text() {
        assert_eq!(
            text("<!doctype html><p title=\"Tea > coffee\" class='a'>Tea &amp; cake</p><!-- old tea -->"),
            "Teacake"
        );
        assert_eq!(text("<script>var tea = \"</p>tea\";</script >Cake<STYLE>p{}</style>"), "Cake");
        assert_eq!(text("caf&#233; &#x41;B &eacute;t&eacute; a < b &c"), "caféABtabc");
        assert_eq!(text("<p>unclosed <b"), "unclosed");
    }

    #[test]
    fn offsets_point_into_the_source() {
        let source = "<p>ab</p>\n<p>c&amp;d</p>";
        let (text, origin) = visible_text(source);
        assert_eq!(text, "abcd");
        let at: Vec<&str> = origin.iter().map(|&o| &source[o..o + 1]).collect();
        assert_eq!(at, ["a", "b", "c", "d"]);
    }

    #[test]
    fn passages_are_found_in_order_and_misses_do_not_move_the_search() {
        let source = "<title>Tea</title>\n<p data-x=\"Green tea\">Intro</p>\n<p>Green\ntea</p>\n<p>Green tea</p>\n";
        let mut finder = LineFinder::new(source);
        // Not in the attribute of line 2: in the text that starts on line 3.
        assert_eq!(finder.find("Green tea"), 3);
        assert_eq!(finder.find("Nowhere to be found"), 3);
        assert_eq!(finder.find("Green tea"), 5);
        assert_eq!(finder.find("Green tea"), 5);
        assert_eq!(finder.find("- -"), 5);
    }
}
