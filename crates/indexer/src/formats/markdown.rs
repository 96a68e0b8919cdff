//! Markdown (`.md`, `.markdown`), read with pulldown-cmark (CommonMark plus tables, footnotes,
//! task lists, definition lists and YAML / TOML front matter).
//!
//! - Title: the front matter's `title`, else the first `#` heading (then not a section heading),
//!   else the file name.
//! - Headings are not passages: each sets the section heading of what follows.
//! - Passages: paragraphs, list items (a nested item is its own passage, after its parent's
//!   text), definition terms and definitions.
//! - Code blocks (fenced or indented) are passages of kind `code` that keep their lines, from
//!   the line their code starts on; a long block is cut between lines.
//! - Tables are passages of a few rows each, one row a line (cells joined by ` | `), each under
//!   the header row, from the line of their first row.
//! - A paragraph or list item made only of links (a `SUMMARY.md` table of contents, a "Next
//!   chapter" line: [`is_link_block`]) is navigation, not a passage.
//! - HTML blocks are left out: they are markup, not prose. Inline HTML in a paragraph is kept
//!   as written.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::decode::normalize_newlines;
use super::document::{
    code_chunks, fold_whitespace, has_word, is_link_block, table_chunks, DocumentBuilder,
    LineIndex, Shape, TableRow,
};
use super::{ParsedFile, SourceError, SourceInfo};

/// What the text being collected will become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A paragraph passage.
    Paragraph,
    /// A list item (or definition term / definition) passage; takes its paragraphs' text.
    Item,
    /// A heading: the title or a section heading.
    Heading(HeadingLevel),
    /// A code block passage.
    Code,
    /// Front matter, read for its title.
    Metadata,
    /// A raw HTML block, dropped.
    Html,
}

/// Text being collected for a [`Target`].
struct Open {
    target: Target,
    text: String,
    /// The part of `text` inside links.
    links: String,
    line: u32,
}

/// A passage found, before the document's title is known (a `#` title may follow it).
struct Found {
    shape: Shape,
    heading: Option<String>,
    text: String,
    line: u32,
}

/// A table being read: its rows so far, the row and the cell being read.
#[derive(Default)]
struct Table {
    header: Option<TableRow>,
    rows: Vec<TableRow>,
    row: TableRow,
    cell: String,
}

/// The walk over the parser's events.
#[derive(Default)]
struct Walk {
    open: Vec<Open>,
    /// The table being read: its cells take the text.
    table: Option<Table>,
    title: Option<(String, u32)>,
    heading: Option<String>,
    found: Vec<Found>,
    /// How many links deep the text being read is.
    in_link: usize,
}

/// Parses a Markdown file into one article.
pub(crate) fn parse(text: &str, info: SourceInfo<'_>) -> Result<ParsedFile, SourceError> {
    let text = normalize_newlines(text);
    let lines = LineIndex::new(&text);
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    let mut walk = Walk::default();
    for (event, range) in Parser::new_ext(&text, options).into_offset_iter() {
        walk.event(event, lines.line_of(range.start));
    }

    let (title, title_line) = match walk.title {
        Some((title, line)) => (title, Some(line)),
        None => (super::document::file_stem_title(info.path, info.doc_id).into_owned(), None),
    };
    let mut doc = DocumentBuilder::new(info.doc_id, &title, info.path);
    for found in &walk.found {
        doc.block(found.shape, found.heading.as_deref(), &found.text, found.line);
    }
    if let (true, Some(line)) = (doc.is_empty(), title_line) {
        // A file that is only a title is still a document someone may look for.
        doc.paragraph(None, &title, line);
    }
    let document = doc
        .finish()
        .ok_or_else(|| SourceError { line: None, reason: "no text to index".to_owned() })?;
    Ok(ParsedFile { documents: vec![document], skipped: Vec::new() })
}

impl Walk {
    fn event(&mut self, event: Event<'_>, line: u32) {
        match event {
            Event::Start(tag) => self.start(tag, line),
            Event::End(tag) => self.end(tag),
            // Inline HTML stays as written: in prose it is usually a word in angle brackets
            // (`press <kbd>`) that a reader of the source sees and may search for.
            Event::Text(text)
            | Event::Code(text)
            | Event::InlineHtml(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text) => {
                if let Some(table) = &mut self.table {
                    table.cell.push_str(&text);
                } else if let Some(open) = self.open.last_mut() {
                    // A code block's line is that of its first line of code, not its fence.
                    if open.target == Target::Code && open.text.is_empty() {
                        open.line = line;
                    }
                    open.text.push_str(&text);
                    if self.in_link > 0 {
                        open.links.push(' ');
                        open.links.push_str(&text);
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => self.separate(),
            // HTML blocks, rules, footnote marks and task boxes carry no prose.
            Event::Html(_)
            | Event::FootnoteReference(_)
            | Event::Rule
            | Event::TaskListMarker(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, line: u32) {
        match tag {
            // A paragraph inside a list item is part of the item's passage.
            Tag::Paragraph if self.top() == Some(Target::Item) => self.separate(),
            Tag::Paragraph => self.push(Target::Paragraph, line),
            Tag::Item | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => {
                self.flush_item();
                self.push(Target::Item, line);
            }
            // The parent item's text so far comes before its nested items.
            Tag::List(_) => self.flush_item(),
            Tag::Heading { level, .. } => self.push(Target::Heading(level), line),
            Tag::CodeBlock(_) => {
                self.flush_item();
                self.push(Target::Code, line);
            }
            Tag::Table(_) => {
                self.flush_item();
                self.table = Some(Table::default());
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(table) = &mut self.table {
                    table.row = TableRow { cells: Vec::new(), line };
                }
            }
            Tag::MetadataBlock(_) => self.push(Target::Metadata, line),
            Tag::HtmlBlock => self.push(Target::Html, line),
            Tag::Link { .. } => self.in_link += 1,
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        let expected = match tag {
            TagEnd::Paragraph => Target::Paragraph,
            TagEnd::Item | TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition => {
                Target::Item
            }
            TagEnd::Heading(level) => Target::Heading(level),
            TagEnd::CodeBlock => Target::Code,
            TagEnd::MetadataBlock(_) => Target::Metadata,
            TagEnd::HtmlBlock => Target::Html,
            TagEnd::TableCell | TagEnd::TableRow | TagEnd::TableHead | TagEnd::Table => {
                self.end_table_part(tag);
                return;
            }
            TagEnd::Link => {
                self.in_link = self.in_link.saturating_sub(1);
                return;
            }
            _ => return,
        };
        if self.top() != Some(expected) {
            return;
        }
        let Some(open) = self.open.pop() else { return };
        match open.target {
            Target::Paragraph | Target::Item => self.emit_prose(open.text, &open.links, open.line),
            Target::Code => {
                for (offset, chunk) in code_chunks(&open.text) {
                    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
                    self.emit(Shape::Code, chunk, open.line.saturating_add(offset));
                }
            }
            Target::Heading(level) => {
                let text = fold_whitespace(&open.text);
                if self.title.is_none() && level == HeadingLevel::H1 && has_word(&text) {
                    self.title = Some((text, open.line));
                } else {
                    self.heading = has_word(&text).then_some(text);
                }
            }
            Target::Metadata => {
                if self.title.is_none() {
                    // `open.line` is the opening `---`; the block's text starts on the next line.
                    self.title = front_matter_title(&open.text)
                        .map(|(title, index)| (title, open.line.saturating_add(1 + index)));
                }
            }
            Target::Html => {}
        }
    }

    fn top(&self) -> Option<Target> {
        self.open.last().map(|o| o.target)
    }

    fn push(&mut self, target: Target, line: u32) {
        self.open.push(Open { target, text: String::new(), links: String::new(), line });
    }

    /// Keeps words apart across line breaks and paragraphs.
    fn separate(&mut self) {
        if let Some(table) = &mut self.table {
            table.cell.push(' ');
        } else if let Some(open) = self.open.last_mut() {
            open.text.push(' ');
        }
    }

    /// Ends a cell, a row, the header or the whole table: a table's passages are its rows in
    /// groups under the header ([`table_chunks`]).
    fn end_table_part(&mut self, tag: TagEnd) {
        let Some(table) = &mut self.table else { return };
        match tag {
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut table.cell);
                table.row.cells.push(cell);
            }
            TagEnd::TableHead => table.header = Some(std::mem::take(&mut table.row)),
            TagEnd::TableRow => {
                let row = std::mem::take(&mut table.row);
                table.rows.push(row);
            }
            _ => {
                let table = self.table.take().unwrap_or_default();
                for chunk in table_chunks(table.header.as_ref(), &table.rows) {
                    self.emit(Shape::Table, chunk.text, chunk.line);
                }
            }
        }
    }

    /// Emits the text an open list item has so far, before a block that becomes its own passage.
    fn flush_item(&mut self) {
        if let Some(open) = self.open.last_mut().filter(|o| o.target == Target::Item) {
            let text = std::mem::take(&mut open.text);
            let links = std::mem::take(&mut open.links);
            let line = open.line;
            self.emit_prose(text, &links, line);
        }
    }

    /// Emits a paragraph or an item's text, unless it is made only of links (navigation).
    fn emit_prose(&mut self, text: String, links: &str, line: u32) {
        if !is_link_block(&text, links) {
            self.emit(Shape::Prose, text, line);
        }
    }

    fn emit(&mut self, shape: Shape, text: String, line: u32) {
        if has_word(&text) {
            self.found.push(Found { shape, heading: self.heading.clone(), text, line });
        }
    }
}

/// The `title` of YAML (`title: Tea`) or TOML (`title = "Tea"`) front matter, and the index of
/// its line in the block.
fn front_matter_title(block: &str) -> Option<(String, u32)> {
    block.lines().enumerate().find_map(|(index, line)| {
        let rest = line.strip_prefix("title")?;
        let value = rest.trim_start().strip_prefix([':', '='])?.trim();
        let value = ['"', '\'']
            .iter()
            .find_map(|&q| value.strip_prefix(q).and_then(|v| v.strip_suffix(q)))
            .unwrap_or(value);
        let value = fold_whitespace(value);
        has_word(&value).then(|| (value, u32::try_from(index).unwrap_or(u32::MAX)))
    })
}

#[cfg(test)]
mod tests {
    use kb_schema::{Kind, Passage};

    use super::*;
    use crate::formats::{Format, ParsedDocument};

    fn parse_md(text: &str) -> ParsedDocument {
        let info =
            SourceInfo { path: "/c/notes/tea.md", doc_id: "notes/tea", format: Format::Markdown };
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

    /// The document of tests/formats.rs `markdown_titles_sections_paragraphs_and_items`.
    const BREWING: &str = "\
---
title: Brewing Tea
---

Intro paragraph about brewing tea leaves.

## Green tea

Green tea is steamed, not oxidised.

- Sencha is the everyday green tea.
- Matcha is stone-ground.

## Black tea

Black tea is fully oxidised before drying.
";

    /// Issue 15, item 2: a table of contents (`SUMMARY.md`) and "Next chapter" lines are made
    /// of links: navigation, not passages; prose with a link in it stays.
    #[test]
    fn blocks_made_of_links_are_navigation() {
        let doc = parse_md(
            "# Summary\n\n- [Introduction](intro.md)\n- [Getting Started](ch01.md)\n    - [Installation](ch01-01.md)\n\nRead [the guide](guide.md) before you install anything.\n\n[Next chapter](ch02.md)\n",
        );
        assert_eq!(summary(&doc), [(None, "Read the guide before you install anything.", 7)]);
    }

    #[test]
    fn front_matter_title_sections_paragraphs_and_items() {
        let doc = parse_md(BREWING);
        assert_eq!(doc.title, "Brewing Tea");
        assert_eq!(doc.doc_id, "notes/tea");
        assert_eq!(
            summary(&doc),
            [
                (None, "Intro paragraph about brewing tea leaves.", 5),
                (Some("Green tea"), "Green tea is steamed, not oxidised.", 9),
                (Some("Green tea"), "Sencha is the everyday green tea.", 11),
                (Some("Green tea"), "Matcha is stone-ground.", 12),
                (Some("Black tea"), "Black tea is fully oxidised before drying.", 16),
            ]
        );
        assert_eq!(doc.passages[2].id, "notes/tea#2");
    }

    #[test]
    fn the_first_h1_is_the_title_and_later_ones_are_sections() {
        let doc =
            parse_md("# Tea *Notes*\n\nSteep for `3` minutes.\n\n# Storage\n\nKeep it dry.\n");
        assert_eq!(doc.title, "Tea Notes");
        assert_eq!(
            summary(&doc),
            [(None, "Steep for 3 minutes.", 3), (Some("Storage"), "Keep it dry.", 7)]
        );
        // With a front-matter title, the `#` heading is a section.
        let doc = parse_md("+++\ntitle = \"Tea\"\n+++\n\n# Intro\n\nHello tea.\n");
        assert_eq!(doc.title, "Tea");
        assert_eq!(summary(&doc), [(Some("Intro"), "Hello tea.", 7)]);
    }

    #[test]
    fn without_a_title_the_file_name_is_used() {
        let doc = parse_md("Just a paragraph.\n\nSetext section\n--------------\n\nMore.\n");
        assert_eq!(doc.title, "tea");
        assert_eq!(
            summary(&doc),
            [(None, "Just a paragraph.", 1), (Some("Setext section"), "More.", 6)]
        );
    }

    #[test]
    fn nested_items_follow_their_parent_and_loose_items_keep_their_paragraphs() {
        let doc = parse_md(
            "# T\n\n- Parent item\n  - Child one\n  - Child two\n- Loose item\n\n  second paragraph\n\n1. Numbered\n",
        );
        assert_eq!(
            summary(&doc),
            [
                (None, "Parent item", 3),
                (None, "Child one", 4),
                (None, "Child two", 5),
                (None, "Loose item second paragraph", 6),
                (None, "Numbered", 10),
            ]
        );
    }

    #[test]
    fn code_blocks_tables_and_quotes_are_passages_html_is_not() {
        let doc = parse_md(
            "# T\n\n```rust\nfn brew() {\n    steep();\n}\n```\n\n| Tea | Minutes |\n|-----|---------|\n| Green | 2 |\n\n> Quoted wisdom\n> on two lines.\n\n<div class=\"ad\">\nBuy now\n</div>\n\nTerm\n: Its definition.\n",
        );
        assert_eq!(
            summary(&doc),
            [
                (None, "fn brew() {\n    steep();\n}", 4),
                (None, "Tea | Minutes\nGreen | 2", 9),
                (None, "Quoted wisdom on two lines.", 13),
                (None, "Term", 20),
                (None, "Its definition.", 21),
            ]
        );
    }

    /// Issue 15, item 4: code keeps its lines and is kind `code`, fenced or indented.
    #[test]
    fn code_blocks_keep_their_lines_and_are_code() {
        let doc = parse_md(
            "# T\n\nRead the file:\n\n```rust\n\n// --snip--\nlet args: Vec<String> = env::args().collect();\n    dbg!(args);   \n```\n\n    indented();\n    more();\n",
        );
        let got: Vec<(Kind, &str, u32)> =
            doc.passages.iter().map(|p| (p.kind, p.text.as_str(), p.source.line)).collect();
        assert_eq!(
            got,
            [
                (Kind::Article, "Read the file:", 3),
                (
                    Kind::Code,
                    "// --snip--\nlet args: Vec<String> = env::args().collect();\n    dbg!(args);",
                    7
                ),
                (Kind::Code, "indented();\nmore();", 12),
            ]
        );
    }

    /// Issue 15, item 4: a big table is many passages, each under the header row.
    #[test]
    fn a_big_table_becomes_passages_of_rows_under_their_header() {
        let rows: String = (1..=10_000).map(|i| format!("| item {i} | {} |\n", i * 7)).collect();
        let text = format!("# Numbers\n\nIntro.\n\n| Item | Weight |\n|---|---|\n{rows}\nAfter.\n");
        let doc = parse_md(&text);
        let tables: Vec<&Passage> = doc.passages[1..doc.passages.len() - 1].iter().collect();
        assert!(tables.len() >= 500, "{} passages", tables.len());
        for p in &tables {
            assert!(p.text.starts_with("Item | Weight\n"), "{:?}", p.text);
            assert!(p.text.len() <= 1_100, "{} bytes", p.text.len());
        }
        assert_eq!(tables[0].text.lines().nth(1), Some("item 1 | 7"));
        assert_eq!(tables[0].source.line, 5);
        // A later passage starts at the line of its first row.
        let p = tables[100];
        let first: u32 = p.text.lines().nth(1).unwrap()["item ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(p.source.line, 6 + first);
        let rows: usize = tables.iter().map(|p| p.text.lines().count() - 1).sum();
        assert_eq!(rows, 10_000);
        assert_eq!(doc.passages.last().unwrap().source.line, 10_008);
    }

    /// Issue 15, item 5: lines hold deep into a long file.
    #[test]
    fn lines_hold_deep_into_a_long_file() {
        let mut text = String::from("# Long\n\n");
        for i in 0..5_000 {
            text.push_str(&format!(
                "## Part {i}\n\nParagraph {i} about &amp; <b>tea</b>.\n\n```\ncode {i}\n```\n\n"
            ));
        }
        let doc = parse_md(&text);
        for p in &doc.passages {
            let line = text.lines().nth(p.source.line as usize - 1).unwrap();
            let first_word = p.text.split_whitespace().next().unwrap();
            assert!(line.starts_with(first_word), "{} at line {}: {line:?}", p.text, p.source.line);
        }
        assert_eq!(doc.passages.len(), 10_000);
    }

    #[test]
    fn inline_html_is_kept_as_written() {
        let doc = parse_md("# Symbols\n\nUse <kbd> & \"quotes\" around the widget name.\n");
        assert_eq!(summary(&doc), [(None, "Use <kbd> & \"quotes\" around the widget name.", 3)]);
    }

    #[test]
    fn crlf_and_title_only_files() {
        let doc = parse_md("# Tea\r\n\r\nGreen tea.\r\n\r\n- Sencha\r\n");
        assert_eq!(summary(&doc), [(None, "Green tea.", 3), (None, "Sencha", 5)]);
        let doc = parse_md("\n# Only a title\n");
        assert_eq!(summary(&doc), [(None, "Only a title", 2)]);
        let doc = parse_md("---\nauthor: me\ntitle: Front matter only\n---\n");
        assert_eq!(summary(&doc), [(None, "Front matter only", 3)]);
        let info = SourceInfo { path: "x.md", doc_id: "x", format: Format::Markdown };
        assert_eq!(parse("---\n\n***\n", info).unwrap_err().reason, "no text to index");
    }

    #[test]
    fn front_matter_values() {
        assert_eq!(
            front_matter_title("author: me\ntitle: 'Tea  Time'\n"),
            Some(("Tea Time".into(), 1))
        );
        assert_eq!(front_matter_title("subtitle: no\n  title: nested\n"), None);
        assert_eq!(front_matter_title("title:\n"), None);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let quotes = format!("{} deep quote\n", ">".repeat(20_000));
        assert_eq!(summary(&parse_md(&quotes)), [(None, "deep quote", 1)]);
        let list: String = (0..2_000).map(|i| format!("{}- item {i}\n", "  ".repeat(i))).collect();
        assert_eq!(parse_md(&list).passages.len(), 2_000);
    }
}
