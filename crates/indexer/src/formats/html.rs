//! HTML (`.html`, `.htm`), read with scraper (html5ever: the browsers' parsing rules, so broken
//! markup reads the way a browser shows it).
//!
//! - Title: `<title>`, else the first `<h1>`, else the file name.
//! - Headings `h1`-`h6` set the section heading of what follows (an `h1` repeating the title
//!   does not); they are not passages.
//! - Passages: every block of text (`p`, `li`, `blockquote`, `pre`, `dd`, text loose in a `div`
//!   ...); a table is one passage of its cells' text.
//! - Page furniture is dropped with everything inside it: `script`, `style`, `nav`, `header`,
//!   `footer`, `aside`, `noscript`, `form` and the like, elements whose `role` says the same
//!   (`navigation`, `banner`, `contentinfo`, ...), and elements hidden by default (`hidden`,
//!   `aria-hidden="true"`, an inline `display: none` or `visibility: hidden`).
//! - A block made only of links (a "Next: ... Previous: ... Up: ..." line, a table of contents
//!   entry: at most 3 words outside its links, and fewer than inside them) is navigation, not a
//!   passage.
//! - A redirect stub (a `<meta http-equiv="refresh">` with a URL, within 5 seconds) and a page
//!   that asks search engines not to index it (`<meta name="robots" content="noindex">`) are
//!   not documents: [`not_a_document`] says so before the page is parsed.
//! - Lines: html5ever keeps no source positions, so each passage's line is found by looking for
//!   its first words in the source after the previous passage's; when that fails (entities,
//!   markup inside the words) the previous passage's line stands.

use scraper::node::Element;
use scraper::{Html, Node, Selector};

use super::decode::normalize_newlines;
use super::document::{file_stem_title, fold_whitespace, has_word, DocumentBuilder, LineIndex};
use super::{ParsedFile, SourceError, SourceInfo};

/// Elements that are not content: dropped with all they hold.
const DROPPED: &[&str] = &[
    "head", "script", "style", "nav", "footer", "header", "aside", "noscript", "form", "template",
    "svg", "iframe", "object", "button", "select", "textarea", "dialog",
];

/// Elements that start and end a block of text: text on either side is not one passage.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "body",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "ul",
];

/// `role` values that mark an element as page furniture, like the elements of [`DROPPED`].
const DROPPED_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "menu",
    "menubar",
    "toolbar",
    "dialog",
    "alertdialog",
    "tooltip",
];

/// A block with links and at most this many words outside them is navigation.
const LINK_BLOCK_OTHER_WORDS: usize = 3;

/// How far past the previous passage a passage's words are looked for in the source.
const LINE_SEARCH_WINDOW: usize = 256 * 1024;

/// Parses an HTML file into one article.
pub(crate) fn parse(text: &str, info: SourceInfo<'_>) -> Result<ParsedFile, SourceError> {
    let source = normalize_newlines(text);
    let html = Html::parse_document(&source);
    let (title, title_from_page) = match page_title(&html) {
        Some(title) => (title, true),
        None => (file_stem_title(info.path, info.doc_id).into_owned(), false),
    };

    let mut walk = Walk {
        title: &title,
        heading: None,
        text: String::new(),
        heading_text: None,
        in_table: 0,
        found: Vec::new(),
        in_link: 0,
        link_text: String::new(),
    };
    // Iterative, not recursive: deeply nested markup must not overflow the stack.
    let root = html.tree.root();
    let mut next = root.first_child();
    while let Some(node) = next {
        let descend = walk.open(node.value());
        if let (true, Some(child)) = (descend, node.first_child()) {
            next = Some(child);
            continue;
        }
        let mut done = node;
        next = loop {
            walk.close(done.value());
            if let Some(sibling) = done.next_sibling() {
                break Some(sibling);
            }
            match done.parent() {
                Some(parent) if parent != root => done = parent,
                _ => break None,
            }
        };
    }
    walk.flush();

    let mut lines = LineFinder::new(&source);
    let mut doc = DocumentBuilder::new(info.doc_id, &title, info.path);
    for (heading, text) in &walk.found {
        let line = lines.find(text);
        doc.paragraph(heading.as_deref(), text, line);
    }
    if doc.is_empty() && title_from_page {
        // A page that is only a title is still a document someone may look for.
        let line = lines.find(&title);
        doc.paragraph(None, &title, line);
    }
    let document = doc
        .finish()
        .ok_or_else(|| SourceError { line: None, reason: "no text to index".to_owned() })?;
    Ok(ParsedFile { documents: vec![document], skipped: Vec::new() })
}

/// The text of `<title>`, else of the first `<h1>`.
fn page_title(html: &Html) -> Option<String> {
    ["title", "h1"].iter().find_map(|tag| {
        let selector = Selector::parse(tag).ok()?;
        let element = html.select(&selector).next()?;
        let text = fold_whitespace(&element.text().collect::<String>());
        has_word(&text).then_some(text)
    })
}

/// The state of the walk over the document tree.
struct Walk<'t> {
    title: &'t str,
    heading: Option<String>,
    /// Text of the current block.
    text: String,
    /// Text of the heading being read, if inside one.
    heading_text: Option<String>,
    /// How many tables we are inside: a table is one passage, its cells do not split it.
    in_table: usize,
    /// Passages found: heading and text.
    found: Vec<(Option<String>, String)>,
    /// How many links (`a` with `href`) we are inside.
    in_link: usize,
    /// The text of the current block that is inside links.
    link_text: String,
}

impl Walk<'_> {
    /// Enters a node; returns whether to visit its children.
    fn open(&mut self, node: &Node) -> bool {
        match node {
            Node::Text(text) => {
                if self.in_link > 0 && self.heading_text.is_none() {
                    self.link_text.push(' ');
                    self.link_text.push_str(text);
                }
                let target = self.heading_text.as_mut().unwrap_or(&mut self.text);
                target.push_str(text);
                false
            }
            Node::Element(element) => {
                let name = element.name();
                if is_dropped(element) {
                    return false;
                }
                if is_link(element) {
                    self.in_link += 1;
                }
                if is_heading(name) {
                    self.flush();
                    self.heading_text = Some(String::new());
                } else if name == "table" {
                    if self.in_table == 0 {
                        self.flush();
                    }
                    self.in_table += 1;
                } else if BLOCKS.contains(&name) && self.in_table == 0 {
                    self.flush();
                } else {
                    // Line breaks and table cells separate words.
                    self.separate(name);
                }
                true
            }
            _ => false,
        }
    }

    /// Leaves a node whose children (if visited) were all visited.
    fn close(&mut self, node: &Node) {
        let Node::Element(element) = node else { return };
        let name = element.name();
        if is_dropped(element) {
            return;
        }
        if is_link(element) {
            self.in_link = self.in_link.saturating_sub(1);
        }
        if is_heading(name) {
            let text = fold_whitespace(&self.heading_text.take().unwrap_or_default());
            // The page's own title repeated as its first heading is not a section.
            if has_word(&text) && text != self.title {
                self.heading = Some(text);
            }
        } else if name == "table" {
            self.in_table = self.in_table.saturating_sub(1);
            if self.in_table == 0 {
                self.flush();
            }
        } else if BLOCKS.contains(&name) && self.in_table == 0 {
            self.flush();
        } else {
            self.separate(name);
        }
    }

    fn separate(&mut self, name: &str) {
        if matches!(name, "br" | "td" | "th" | "tr" | "img" | "wbr") {
            let target = self.heading_text.as_mut().unwrap_or(&mut self.text);
            target.push(' ');
        }
    }

    /// Ends the current block: its text becomes a passage if it has words.
    fn flush(&mut self) {
        let text = fold_whitespace(&std::mem::take(&mut self.text));
        let links = std::mem::take(&mut self.link_text);
        if has_word(&text) && !is_link_block(&text, &links) {
            self.found.push((self.heading.clone(), text));
        }
    }
}

/// Whether a block of `text`, of which `links` is the part inside links, is made of links: it
/// has words in links and at most [`LINK_BLOCK_OTHER_WORDS`] outside them, fewer than inside.
fn is_link_block(text: &str, links: &str) -> bool {
    let words = |s: &str| s.split_whitespace().filter(|w| has_word(w)).count();
    let in_links = words(links);
    let others = words(text).saturating_sub(in_links);
    in_links > 0 && others <= LINK_BLOCK_OTHER_WORDS && others < in_links
}

fn is_link(element: &Element) -> bool {
    element.name() == "a" && element.attr("href").is_some()
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn is_dropped(element: &Element) -> bool {
    DROPPED.contains(&element.name())
        || element.attr("hidden").is_some()
        || element.attr("aria-hidden").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || element.attr("role").is_some_and(|role| {
            role.split_ascii_whitespace()
                .any(|r| DROPPED_ROLES.iter().any(|d| d.eq_ignore_ascii_case(r)))
        })
        || element.attr("style").is_some_and(hidden_by_style)
}

/// Whether an inline style hides the element (`display: none`, `visibility: hidden`).
fn hidden_by_style(style: &str) -> bool {
    style.split(';').any(|decl| {
        let Some((property, value)) = decl.split_once(':') else { return false };
        let value = value.trim().trim_end_matches("!important").trim().to_ascii_lowercase();
        match property.trim().to_ascii_lowercase().as_str() {
            "display" => value == "none",
            "visibility" => value == "hidden" || value == "collapse",
            _ => false,
        }
    })
}

/// Longest delay, in seconds, of a refresh that makes a page a redirect stub.
const REDIRECT_SECONDS: f64 = 5.0;

/// Why the page in `text` is not a document, if it is not: a redirect stub (a
/// `<meta http-equiv="refresh" content="0; url=...">`, within [`REDIRECT_SECONDS`]), or a page
/// that asks search engines not to index it (`<meta name="robots" content="noindex">`: print
/// versions, tables of contents, pages kept for old links). Pages without the word "refresh"
/// or "noindex" are not parsed.
pub(crate) fn not_a_document(text: &str) -> Option<String> {
    let has =
        |word: &[u8]| text.as_bytes().windows(word.len()).any(|w| w.eq_ignore_ascii_case(word));
    if !has(b"refresh") && !has(b"noindex") {
        return None;
    }
    let html = Html::parse_document(text);
    let selector = Selector::parse("meta").ok()?;
    html.select(&selector).find_map(|meta| {
        let meta = meta.value();
        let content = meta.attr("content")?;
        if meta.attr("name").is_some_and(|n| n.trim().eq_ignore_ascii_case("robots")) {
            let noindex =
                content.split([',', ' ']).any(|d| d.trim().eq_ignore_ascii_case("noindex"));
            return noindex.then(|| "the page asks not to be indexed (robots noindex)".to_owned());
        }
        if !meta.attr("http-equiv").is_some_and(|e| e.trim().eq_ignore_ascii_case("refresh")) {
            return None;
        }
        let (delay, rest) = content.split_once([';', ','])?;
        let delay: f64 = delay.trim().parse().ok()?;
        let rest = rest.trim();
        let target = match rest.get(..4) {
            Some(url) if url.eq_ignore_ascii_case("url=") => &rest[4..],
            _ => rest,
        };
        let target = target.trim().trim_matches(['"', '\'']).trim();
        (delay <= REDIRECT_SECONDS && !target.is_empty())
            .then(|| format!("a redirect to {target}, not a document"))
    })
}

/// Finds passages' lines by looking for their first words in the source, in order.
struct LineFinder<'s> {
    source: &'s str,
    lines: LineIndex,
    /// Where the previous passage was found; the next one is looked for after it.
    cursor: usize,
}

impl<'s> LineFinder<'s> {
    fn new(source: &'s str) -> Self {
        LineFinder { source, lines: LineIndex::new(source), cursor: 0 }
    }

    /// The line where `text` starts in the source, at best; else the previous passage's line.
    fn find(&mut self, text: &str) -> u32 {
        let mut end = (self.cursor + LINE_SEARCH_WINDOW).min(self.source.len());
        while !self.source.is_char_boundary(end) {
            end -= 1;
        }
        let window = &self.source[self.cursor..end];
        let words: Vec<&str> = text.split(' ').take(3).collect();
        // The first few words, then the first alone (markup or entities may split them).
        let probes = [words.join(" "), words.first().map_or(String::new(), |w| (*w).to_owned())];
        for probe in probes.iter().filter(|p| !p.is_empty()) {
            if let Some(at) = window.find(probe.as_str()) {
                self.cursor += at;
                let line = self.lines.line_of(self.cursor);
                self.cursor += probe.len();
                return line;
            }
        }
        self.lines.line_of(self.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Format, ParsedDocument};

    fn parse_html(text: &str) -> ParsedDocument {
        let info = SourceInfo { path: "/c/bike.html", doc_id: "bike", format: Format::Html };
        let mut file = parse(text, info).unwrap();
        assert_eq!(file.documents.len(), 1);
        file.documents.remove(0)
    }

    fn summary(doc: &ParsedDocument) -> Vec<(Option<&str>, &str, u32)> {
        doc.passages
            .iter()
            .map(|p| (p.heading.as_deref(), p.text.as_str(), p.source.line))
            .collect()
    }

    /// The page of tests/formats.rs `html_keeps_content_and_drops_boilerplate`.
    const BICYCLE: &str = r#"<!doctype html><html><head><title>Bicycle Care</title>
<style>p { color: red }</style><script>var tracking = "chainring";</script></head>
<body><nav><a href="/">Home</a> <a href="/shop">Shop chainring deals</a></nav>
<h1>Bicycle Care</h1>
<h2>Chains</h2>
<p>Oil the chain every few hundred kilometres.</p>
<ul><li>Wipe off the old oil first.</li><li>One drop per link.</li></ul>
<footer>Copyright chainring ltd</footer>
</body></html>"#;

    #[test]
    fn content_is_kept_and_page_furniture_dropped() {
        let doc = parse_html(BICYCLE);
        assert_eq!(doc.title, "Bicycle Care");
        assert_eq!(
            summary(&doc),
            [
                (Some("Chains"), "Oil the chain every few hundred kilometres.", 6),
                (Some("Chains"), "Wipe off the old oil first.", 7),
                (Some("Chains"), "One drop per link.", 7),
            ]
        );
        assert!(!doc.passages.iter().any(|p| p.text.contains("chainring")));
    }

    #[test]
    fn blocks_tables_nesting_and_inline_markup() {
        let doc = parse_html(
            "<html><body>\n<h1>Guide</h1>\n<div>Loose <b>bold</b> text<p>In a p</p>after it</div>\n<ul><li>Parent<ul><li>Child</li></ul></li></ul>\n<table><tr><th>Tea</th><th>Min</th></tr><tr><td><p>Green</p></td><td>2</td></tr></table>\n<blockquote><p>Quoted</p></blockquote><pre>a  b\n c</pre>\nline<br>break\n<p hidden>secret</p><span aria-hidden=\"true\">icon</span>\n</body></html>",
        );
        // No <title>: the first h1 is the title and no section heading.
        assert_eq!(doc.title, "Guide");
        let texts: Vec<&str> = doc.passages.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Loose bold text",
                "In a p",
                "after it",
                "Parent",
                "Child",
                "Tea Min Green 2",
                "Quoted",
                "a b c",
                "line break",
            ]
        );
        assert!(doc.passages.iter().all(|p| p.heading.is_none()));
        let lines: Vec<u32> = doc.passages.iter().map(|p| p.source.line).collect();
        assert_eq!(lines, [3, 3, 3, 4, 4, 5, 6, 6, 8]);
    }

    #[test]
    fn entities_broken_markup_and_missing_titles() {
        let doc = parse_html("<p>Tom &amp; Jerry<p>Second <i>unclosed");
        assert_eq!(doc.title, "bike");
        assert_eq!(summary(&doc), [(None, "Tom & Jerry", 1), (None, "Second unclosed", 1)]);
        let doc = parse_html("<title>Only a title</title>\n<script>x()</script>");
        assert_eq!(summary(&doc), [(None, "Only a title", 1)]);
        let info = SourceInfo { path: "x.html", doc_id: "x", format: Format::Html };
        assert_eq!(parse("<script>x()</script>", info).unwrap_err().reason, "no text to index");
    }

    /// Issue 15, item 2: navigation roles, hidden elements and blocks of links are dropped.
    #[test]
    fn navigation_hidden_elements_and_link_blocks_are_dropped() {
        let doc = parse_html(
            r##"<title>T</title><div role="navigation"><p>Menu text</p></div>
<div role="Banner Presentation">Site banner</div>
<p style="color: red; DISPLAY : none !important">Shown never</p>
<p style="visibility:hidden">Invisible</p><span aria-hidden="TRUE">icon</span>
<p>Next: <a href="b.html">Closure Example</a>, Previous: <a href="a.html">Types</a>, Up: <a href="u.html">Using it</a> [<a href="i.html">Index</a>]</p>
<ul><li><a href="c1.html">Chapter one</a></li><li>Read <a href="#x">the chapter</a> before the rest of this book.</li></ul>
<p>Kept <a href="#fn">1</a> with its own words around the link.</p>
<p style="display: block">Visible block.</p>"##,
        );
        let texts: Vec<&str> = doc.passages.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Read the chapter before the rest of this book.",
                "Kept 1 with its own words around the link.",
                "Visible block.",
            ]
        );
    }

    /// Issue 15, item 3: redirect stubs and pages asking not to be indexed are not documents.
    #[test]
    fn redirects_and_noindex_pages_are_not_documents() {
        let stub = r#"<html><head><title>Redirecting...</title>
<meta http-equiv="Refresh" content="0; URL=ch18-00-oop.html"></head>
<body><p>Redirecting to... <a href="ch18-00-oop.html">ch18-00-oop.html</a>.</p></body></html>"#;
        assert_eq!(
            not_a_document(stub).as_deref(),
            Some("a redirect to ch18-00-oop.html, not a document")
        );
        let noindex = r#"<meta name="robots" content="noindex, follow"><p>Print version</p>"#;
        assert_eq!(
            not_a_document(noindex).as_deref(),
            Some("the page asks not to be indexed (robots noindex)")
        );
        // A slow refresh, a refresh without a URL and ordinary pages are documents.
        for page in [
            r#"<meta http-equiv="refresh" content="300; url=live.html"><p>Scores</p>"#,
            r#"<meta http-equiv="refresh" content="30"><p>Scores</p>"#,
            r#"<meta name="robots" content="index, follow"><p>Refresh the page to see it.</p>"#,
            BICYCLE,
        ] {
            assert_eq!(not_a_document(page), None, "{page}");
        }
    }

    #[test]
    fn deeply_nested_markup_does_not_overflow() {
        let depth = 50_000;
        let html =
            format!("{}deep text{}", "<div><span>".repeat(depth), "</span></div>".repeat(depth));
        let doc = parse_html(&html);
        assert_eq!(doc.passages.len(), 1);
        assert_eq!(doc.passages[0].text, "deep text");
    }
}
