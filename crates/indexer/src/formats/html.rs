//! HTML (`.html`, `.htm`), read with scraper (html5ever: the browsers' parsing rules, so broken
//! markup reads the way a browser shows it).
//!
//! - Title: `<title>`, else the first `<h1>`, else the file name.
//! - Headings `h1`-`h6` set the section heading of what follows (an `h1` repeating the title
//!   does not); they are not passages.
//! - Passages: every block of text (`p`, `li`, `blockquote`, `dd`, text loose in a `div` ...).
//! - A `pre` block is code: a passage of kind `code` that keeps its lines (a long one is cut
//!   between lines).
//! - A table is passages of a few rows each, one row a line (cells joined by ` | `), each under
//!   the header row (the rows of `thead`, or a first row of `th` cells); a table inside a cell is
//!   that cell's text.
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
//! - Lines: html5ever keeps no source positions, so each passage's line is found by matching
//!   its text against the page's text in the source, in order ([`super::html_lines`]).

use scraper::node::Element;
use scraper::{Html, Node, Selector};

use super::decode::normalize_newlines;
use super::document::{
    code_chunks, file_stem_title, fold_whitespace, has_word, is_link_block, table_chunks,
    DocumentBuilder, Shape, TableRow,
};
use super::html_lines::LineFinder;
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
        table: None,
        pre: None,
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
    for found in &walk.found {
        let line = lines.find(&found.text[found.own..]);
        doc.block(found.shape, found.heading.as_deref(), &found.text, line);
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

/// A passage found: its shape, heading and text, and where its own text starts (a table's
/// passages after the first start with a copy of the header).
struct Found {
    shape: Shape,
    heading: Option<String>,
    text: String,
    own: usize,
}

/// A table being read.
#[derive(Default)]
struct Table {
    /// How many tables deep we are inside it (a table in a cell is that cell's text).
    depth: usize,
    /// Inside `thead`.
    in_head: bool,
    header: Option<TableRow>,
    rows: Vec<TableRow>,
    /// The row being read, and whether all its cells so far are `th`.
    row: TableRow,
    row_all_th: bool,
    /// The cell being read, if inside one.
    cell: Option<String>,
}

/// The state of the walk over the document tree.
struct Walk<'t> {
    title: &'t str,
    heading: Option<String>,
    /// Text of the current block.
    text: String,
    /// Text of the heading being read, if inside one.
    heading_text: Option<String>,
    /// The table being read, if inside one: its cells take the text.
    table: Option<Table>,
    /// The code of the `pre` block being read (and how many `pre` deep), if inside one.
    pre: Option<(usize, String)>,
    /// Passages found.
    found: Vec<Found>,
    /// How many links (`a` with `href`) we are inside.
    in_link: usize,
    /// The text of the current block that is inside links.
    link_text: String,
}

impl Walk<'_> {
    /// Where text goes now: the heading being read, the table cell, the code, or the block.
    fn target(&mut self) -> &mut String {
        if let Some(heading) = &mut self.heading_text {
            return heading;
        }
        if let Some(cell) = self.table.as_mut().and_then(|t| t.cell.as_mut()) {
            return cell;
        }
        if let Some((_, code)) = &mut self.pre {
            return code;
        }
        &mut self.text
    }

    /// Whether block structure applies: not inside a table or a `pre` block.
    fn in_flow(&self) -> bool {
        self.table.is_none() && self.pre.is_none()
    }

    /// Enters a node; returns whether to visit its children.
    fn open(&mut self, node: &Node) -> bool {
        match node {
            Node::Text(text) => {
                if self.in_link > 0 && self.heading_text.is_none() && self.in_flow() {
                    self.link_text.push(' ');
                    self.link_text.push_str(text);
                }
                self.target().push_str(text);
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
                if self.table.is_some() && self.open_table_part(name) {
                    return true;
                }
                if is_heading(name) && self.in_flow() {
                    self.flush();
                    self.heading_text = Some(String::new());
                } else if name == "table" && self.pre.is_none() {
                    self.flush();
                    self.table = Some(Table { depth: 1, ..Table::default() });
                } else if name == "pre" && self.table.is_none() {
                    match &mut self.pre {
                        Some((depth, _)) => *depth += 1,
                        None => {
                            self.flush();
                            self.pre = Some((1, String::new()));
                        }
                    }
                } else if BLOCKS.contains(&name) && self.in_flow() {
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
        if self.table.is_some() && self.close_table_part(name) {
            return;
        }
        if is_heading(name) && self.in_flow() {
            let text = fold_whitespace(&self.heading_text.take().unwrap_or_default());
            // The page's own title repeated as its first heading is not a section.
            if has_word(&text) && text != self.title {
                self.heading = Some(text);
            }
        } else if name == "pre" && self.table.is_none() {
            if let Some((depth, code)) = &mut self.pre {
                *depth -= 1;
                if *depth == 0 {
                    let code = std::mem::take(code);
                    self.pre = None;
                    for (_, chunk) in code_chunks(&code) {
                        self.found.push(Found {
                            shape: Shape::Code,
                            heading: self.heading.clone(),
                            text: chunk,
                            own: 0,
                        });
                    }
                }
            }
        } else if BLOCKS.contains(&name) && self.in_flow() {
            self.flush();
        } else {
            self.separate(name);
        }
    }

    /// Enters an element inside a table; returns whether it was a part of the table's own
    /// structure (a nested table, a row, a cell, the head).
    fn open_table_part(&mut self, name: &str) -> bool {
        let Some(table) = &mut self.table else { return false };
        match name {
            "table" => table.depth += 1,
            _ if table.depth > 1 => return false,
            "thead" => table.in_head = true,
            "tr" => {
                table.row = TableRow::default();
                table.row_all_th = true;
            }
            "td" | "th" => {
                table.row_all_th &= name == "th";
                table.cell = Some(String::new());
            }
            _ => return false,
        }
        true
    }

    /// Leaves an element inside a table; returns whether it was a part of the table's own
    /// structure. The table's end emits its passages: its caption and loose text first, then
    /// its rows in groups under the header ([`table_chunks`]).
    fn close_table_part(&mut self, name: &str) -> bool {
        let Some(table) = &mut self.table else { return false };
        match name {
            "table" if table.depth > 1 => {
                table.depth -= 1;
                // Words of the inner table's last cell and what follows stay apart.
                if let Some(cell) = &mut table.cell {
                    cell.push(' ');
                }
            }
            "table" => {
                let table = self.table.take().unwrap_or_default();
                self.flush();
                for chunk in table_chunks(table.header.as_ref(), &table.rows) {
                    self.found.push(Found {
                        shape: Shape::Table,
                        heading: self.heading.clone(),
                        text: chunk.text,
                        own: chunk.own,
                    });
                }
            }
            _ if table.depth > 1 => return false,
            "thead" => table.in_head = false,
            "tr" => {
                let row = std::mem::take(&mut table.row);
                let header = table.in_head
                    || (table.row_all_th && table.header.is_none() && table.rows.is_empty());
                if !row.cells.is_empty() {
                    match (header, &mut table.header) {
                        (true, Some(h)) => h.cells.extend(row.cells),
                        (true, None) => table.header = Some(row),
                        (false, _) => table.rows.push(row),
                    }
                }
            }
            "td" | "th" => {
                if let Some(cell) = table.cell.take() {
                    table.row.cells.push(cell);
                }
            }
            _ => return false,
        }
        true
    }

    fn separate(&mut self, name: &str) {
        let gap = match name {
            "br" if self.pre.is_some() && self.table.is_none() => '\n',
            "br" | "td" | "th" | "tr" | "img" | "wbr" => ' ',
            _ if self.table.is_some() && BLOCKS.contains(&name) => ' ',
            _ => return,
        };
        self.target().push(gap);
    }

    /// Ends the current block: its text becomes a passage if it has words.
    fn flush(&mut self) {
        let text = fold_whitespace(&std::mem::take(&mut self.text));
        let links = std::mem::take(&mut self.link_text);
        if has_word(&text) && !is_link_block(&text, &links) {
            self.found.push(Found {
                shape: Shape::Prose,
                heading: self.heading.clone(),
                text,
                own: 0,
            });
        }
    }
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

#[cfg(test)]
mod tests {
    use kb_schema::Kind;

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
                "Tea | Min\nGreen | 2",
                "Quoted",
                "a  b\n c",
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

    /// Issue 15, item 4: `pre` is code that keeps its lines; tables are rows under the header.
    #[test]
    fn pre_is_code_and_tables_are_rows_under_their_header() {
        let doc = parse_html(
            "<title>T</title>\n<p>Read the file:</p>\n<pre><code class=\"rust\"><span>// --snip--</span>\nlet args: Vec&lt;String&gt; = env::args().collect();\n    dbg!(args);\n</code></pre>\n<table><caption>Teas</caption><thead><tr><th>Tea</th><th>Minutes</th></tr></thead>\n<tbody><tr><td>Green</td><td>2</td></tr>\n<tr><td>Black <table><tr><td>strong</td></tr></table></td><td>4</td></tr></tbody></table>\n<table><tr><td>no</td><td>header</td></tr></table>",
        );
        let got: Vec<(Kind, &str, u32)> =
            doc.passages.iter().map(|p| (p.kind, p.text.as_str(), p.source.line)).collect();
        assert_eq!(
            got,
            [
                (Kind::Article, "Read the file:", 2),
                (
                    Kind::Code,
                    "// --snip--\nlet args: Vec<String> = env::args().collect();\n    dbg!(args);",
                    3
                ),
                (Kind::Article, "Teas", 7),
                (Kind::Article, "Tea | Minutes\nGreen | 2\nBlack strong | 4", 7),
                (Kind::Article, "no | header", 10),
            ]
        );
        // A first row of `th` cells is a header too; many rows make many passages.
        let rows: String =
            (0..100).map(|i| format!("<tr><td>tea {i}</td><td>{i}</td></tr>\n")).collect();
        let doc = parse_html(&format!("<table>\n<tr><th>Tea</th><th>N</th></tr>\n{rows}</table>"));
        assert_eq!(doc.passages.len(), 5);
        for (i, p) in doc.passages.iter().enumerate() {
            assert!(p.text.starts_with("Tea | N\n"), "{:?}", p.text);
            assert_eq!(p.text.lines().count(), 21);
            // The header's line, then each passage's first row's.
            let line = if i == 0 { 2 } else { 3 + 20 * i as u32 };
            assert_eq!(p.source.line, line, "{:?}", p.text);
        }
    }

    /// Issue 15, item 5: lines hold at the start and deep into a long page, whatever its
    /// attributes, scripts and comments repeat of its text.
    #[test]
    fn lines_hold_deep_into_a_long_page() {
        let mut html = String::from(
            "<!doctype html>\n<html><head><title>Long</title>\n<script>var toc = [\"Chapter 4999 closes the book\"];</script></head>\n<body><nav><a title=\"Chapter 4999 closes the book\">Chapter 4999</a></nav>\n",
        );
        let mut expected = Vec::new();
        for i in 0..5_000 {
            html.push_str(&format!(
                "<h2 id=\"c{i}\">Chapter {i}</h2>\n<!-- Chapter {} closes the book -->\n",
                i + 1
            ));
            expected.push((
                format!("Chapter {i} closes the book &amp; more"),
                html.lines().count() + 1,
            ));
            html.push_str(&format!(
                "<p class=\"x\">Chapter {i} closes\nthe book &amp; more.</p>\n<pre><code>fn chapter_{i}() {{}}\n</code></pre>\n"
            ));
        }
        html.push_str("</body></html>\n");
        let doc = parse_html(&html);
        assert_eq!(doc.passages.len(), 10_000);
        for (i, (_, line)) in expected.iter().enumerate() {
            let prose = &doc.passages[2 * i];
            assert_eq!(prose.text, format!("Chapter {i} closes the book & more."));
            assert_eq!(prose.source.line as usize, *line, "{}", prose.text);
            let code = &doc.passages[2 * i + 1];
            assert_eq!((code.kind, code.source.line as usize), (Kind::Code, line + 2));
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
