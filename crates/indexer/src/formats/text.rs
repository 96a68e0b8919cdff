//! Plain text (`.txt`): the structure is inferred from the layout, as a reader would.
//!
//! - The first non-empty line is the title (not a passage).
//! - Blank lines separate blocks. A block of one short line with no closing punctuation, followed
//!   by more text, is a heading: it is not a passage, it labels what follows. A closing `?` is
//!   allowed, as in "What does calf reduction mean?" above a definition.
//! - Bullet lines (`•`, `-`, `*`, `1.`, `1)`, indented or not) are one passage each; other blocks
//!   are one paragraph passage each.
//! - Share-button debris at the end of a scraped page ("Share this:", "Print", ...) is dropped.
//! - A document whose title is a question, followed by the question's body and then titled
//!   answers (a short title line, then body paragraphs, repeated), is a Q&A thread: the title and
//!   body are the question, each title line and its body one answer.

use kb_schema::Kind;

use super::decode::normalize_newlines;
use super::document::{file_stem_title, has_word, DocumentBuilder, NewPassage};
use super::{ParsedFile, SourceError, SourceInfo};

/// A first line longer than this is a paragraph that starts right away, not a title.
const TITLE_MAX_CHARS: usize = 120;
/// Headings are short: longer lines are text, even without a full stop.
const HEADING_MAX_CHARS: usize = 80;
/// Answer titles are short too, though sometimes a full sentence.
const ANSWER_TITLE_MAX_CHARS: usize = 100;
/// A block at least this long (or of several lines) reads as a body paragraph.
const BODY_MIN_CHARS: usize = 80;

/// Lines that web pages put after the content (share buttons, related links), compared
/// lowercased without a trailing colon. Only dropped at the very end of a file.
const TRAILING_BOILERPLATE: &[&str] = &[
    "share this",
    "share",
    "share this article",
    "share this post",
    "share on facebook",
    "share on twitter",
    "related",
    "related posts",
    "related articles",
    "print",
    "email",
    "tweet",
    "like this",
    "like",
    "loading...",
    "facebook",
    "twitter",
    "pinterest",
    "linkedin",
    "reddit",
    "whatsapp",
];

/// One line of the file, trimmed, with its 1-based number.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    text: &'a str,
    number: u32,
}

/// Consecutive non-blank lines.
type Block<'a> = Vec<Line<'a>>;

/// A Q&A thread found in the blocks after the title.
struct Thread<'b, 'a> {
    question: &'b [Block<'a>],
    answers: Vec<Answer<'b, 'a>>,
}

/// One answer: its title line and body blocks.
struct Answer<'b, 'a> {
    title: Line<'a>,
    body: &'b [Block<'a>],
}

/// Parses a plain-text file into one document (an article or a Q&A thread).
pub(crate) fn parse(text: &str, info: SourceInfo<'_>) -> Result<ParsedFile, SourceError> {
    let text = normalize_newlines(text);
    let mut lines: Vec<Line<'_>> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| Line { text: l.trim(), number: u32::try_from(i + 1).unwrap_or(u32::MAX) })
        .collect();
    drop_trailing_boilerplate(&mut lines);

    let first = lines.iter().position(|l| !l.text.is_empty()).ok_or_else(no_text)?;
    let first_line = lines[first];
    let stem;
    let (title, rest, title_from_text) = if first_line.text.chars().count() <= TITLE_MAX_CHARS {
        (first_line.text, &lines[first + 1..], true)
    } else {
        stem = file_stem_title(info.path, info.doc_id);
        (stem.as_ref(), &lines[first..], false)
    };
    let blocks = blocks(rest);

    let mut doc = DocumentBuilder::new(info.doc_id, title, info.path);
    let thread = if title_from_text && title.ends_with('?') { split_thread(&blocks) } else { None };
    match thread {
        Some(thread) => push_thread(&mut doc, &thread, title, first_line.number),
        None => push_article(&mut doc, &blocks),
    }
    if doc.is_empty() && title_from_text {
        // A file that is only a title is still a document someone may look for.
        doc.paragraph(None, title, first_line.number);
    }
    let document = doc.finish().ok_or_else(no_text)?;
    Ok(ParsedFile { documents: vec![document], skipped: Vec::new() })
}

fn no_text() -> SourceError {
    SourceError { line: None, reason: "no text to index".to_owned() }
}

/// Removes share buttons and the like from the end (with the blank lines around them).
fn drop_trailing_boilerplate(lines: &mut Vec<Line<'_>>) {
    loop {
        while lines.last().is_some_and(|l| l.text.is_empty()) {
            lines.pop();
        }
        match lines.last() {
            Some(last) if is_boilerplate(last.text) => {
                lines.pop();
            }
            _ => return,
        }
    }
}

fn is_boilerplate(line: &str) -> bool {
    let line = line.trim_end_matches(':').trim_end().to_lowercase();
    TRAILING_BOILERPLATE.contains(&line.as_str())
}

/// Groups lines into blocks separated by blank lines.
fn blocks<'a>(lines: &[Line<'a>]) -> Vec<Block<'a>> {
    let mut blocks: Vec<Block<'a>> = Vec::new();
    let mut current: Block<'a> = Vec::new();
    for line in lines {
        if line.text.is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else {
            current.push(*line);
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// The text of a bullet line without its marker, or `None` if the line is not a bullet.
fn bullet_item(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    let rest = &line[first.len_utf8()..];
    match first {
        // Bullet characters are unambiguous: no space is needed after them.
        '•' | '◦' | '▪' | '▫' | '●' | '○' | '‣' | '∙' | '■' | '□' | '►' | '➢' => {
            Some(rest.trim_start())
        }
        // These also start ordinary text ("-5 degrees", "*emphasis*"): a space must follow.
        '-' | '*' | '+' | '–' | '—' => {
            (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
        }
        '0'..='9' => {
            let digits = line.bytes().take_while(u8::is_ascii_digit).count();
            let after = &line[digits..];
            let rest = after.strip_prefix('.').or_else(|| after.strip_prefix(')'))?;
            (digits <= 3 && rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
        }
        _ => None,
    }
}

/// The only line of a one-line block.
fn single_line<'a>(block: &[Line<'a>]) -> Option<&'a str> {
    match block {
        [line] => Some(line.text),
        _ => None,
    }
}

/// Whether block `i` is a section heading: one short line without closing punctuation (but `?`
/// is allowed), with more text after it.
fn is_heading(blocks: &[Block<'_>], i: usize) -> bool {
    let Some(line) = single_line(&blocks[i]) else { return false };
    i + 1 < blocks.len()
        && line.chars().count() < HEADING_MAX_CHARS
        && bullet_item(line).is_none()
        && !line.ends_with(['.', '!', ':', ';', ','])
        && has_word(line)
}

/// Whether block `i` of a thread is an answer's title: one short line followed by a body. A
/// title that ends like a sentence counts only before a real paragraph, so that a short closing
/// remark ("It is fine.") stays in the answer it ends.
fn is_answer_title(blocks: &[Block<'_>], i: usize) -> bool {
    let Some(line) = single_line(&blocks[i]) else { return false };
    let Some(next) = blocks.get(i + 1) else { return false };
    let looks_like_body = || next.len() > 1 || next[0].text.chars().count() >= BODY_MIN_CHARS;
    line.chars().count() <= ANSWER_TITLE_MAX_CHARS
        && has_word(line)
        && (!line.ends_with(['.', '!', '?']) || looks_like_body())
}

/// Splits the blocks after a question title into the question's body and titled answers;
/// `None` if they do not have that shape (then the document is an article). Bulleted lists
/// mark an article: forum answers are prose.
fn split_thread<'b, 'a>(blocks: &'b [Block<'a>]) -> Option<Thread<'b, 'a>> {
    if blocks.is_empty() || blocks.iter().flatten().any(|l| bullet_item(l.text).is_some()) {
        return None;
    }
    // The first block is always the question's body, whatever it looks like.
    let mut i = 1;
    while i < blocks.len() && !is_answer_title(blocks, i) {
        i += 1;
    }
    let question = &blocks[..i];
    let mut answers = Vec::new();
    while i < blocks.len() {
        // `is_answer_title` guarantees a block after the title: the first of the body.
        let start = i + 1;
        let mut end = start + 1;
        while end < blocks.len() && !is_answer_title(blocks, end) {
            end += 1;
        }
        answers.push(Answer { title: blocks[i][0], body: &blocks[start..end] });
        i = end;
    }
    (!answers.is_empty()).then_some(Thread { question, answers })
}

/// All the lines of some blocks as one string (whitespace is folded later).
fn joined(blocks: &[Block<'_>]) -> String {
    blocks.iter().flatten().map(|l| l.text).collect::<Vec<_>>().join(" ")
}

fn push_thread(doc: &mut DocumentBuilder<'_>, thread: &Thread<'_, '_>, title: &str, line: u32) {
    let question = joined(thread.question);
    doc.push(NewPassage {
        kind: Kind::Question,
        heading: None,
        parts: &[title, &question],
        context: None,
        line,
    });
    for answer in &thread.answers {
        let body = joined(answer.body);
        doc.push(NewPassage {
            kind: Kind::Answer,
            heading: None,
            parts: &[answer.title.text, &body],
            context: Some(&question),
            line: answer.title.number,
        });
    }
}

fn push_article(doc: &mut DocumentBuilder<'_>, blocks: &[Block<'_>]) {
    let mut heading: Option<&str> = None;
    for (i, block) in blocks.iter().enumerate() {
        if is_heading(blocks, i) {
            heading = Some(block[0].text);
            continue;
        }
        // Lines before the first bullet are a paragraph; each bullet starts a passage, and
        // lines that follow a bullet without a marker continue it (wrapped text).
        let mut current: Option<(String, u32)> = None;
        for line in block {
            match (bullet_item(line.text), &mut current) {
                (Some(item), _) => {
                    if let Some((text, number)) = current.take() {
                        doc.paragraph(heading, &text, number);
                    }
                    current = Some((item.to_owned(), line.number));
                }
                (None, Some((text, _))) => {
                    text.push(' ');
                    text.push_str(line.text);
                }
                (None, None) => current = Some((line.text.to_owned(), line.number)),
            }
        }
        if let Some((text, number)) = current {
            doc.paragraph(heading, &text, number);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Format, ParsedDocument};

    fn parse_text(text: &str) -> ParsedDocument {
        let info = SourceInfo { path: "/c/doc.txt", doc_id: "doc", format: Format::Text };
        let mut file = parse(text, info).unwrap();
        assert_eq!(file.documents.len(), 1);
        file.documents.remove(0)
    }

    fn summary(doc: &ParsedDocument) -> Vec<(Kind, Option<&str>, &str, u32)> {
        doc.passages
            .iter()
            .map(|p| (p.kind, p.heading.as_deref(), p.text.as_str(), p.source.line))
            .collect()
    }

    const CALF_REDUCTION: &str = include_str!("../../../../corpus/calf-reduction.txt");
    const NERVE_BLOCK: &str = include_str!("../../../../corpus/nerve-block-calves-qa.txt");

    #[test]
    fn calf_reduction_seed_is_an_article_of_eight_passages() {
        let doc = parse_text(CALF_REDUCTION);
        assert_eq!(doc.title, "Calf Reduction");
        let p = &doc.passages;
        assert_eq!(p.len(), 8);
        assert!(p.iter().all(|p| p.kind == Kind::Article && p.doc_title == "Calf Reduction"));
        assert!(p[0].text.starts_with("Calf reduction refers to a variety of procedures"));
        assert_eq!(p[0].heading.as_deref(), Some("Definition - What does Calf Reduction mean?"));
        assert_eq!(p[0].source.line, 5);
        assert!(p[1].text.starts_with("Calf reduction techniques were originally pioneered"));
        let starts =
            ["Microliposuction", "Botox", "Radiofrequency", "In selective neurectomy", "Partial"];
        for (passage, start) in p[2..7].iter().zip(starts) {
            assert!(
                passage.text.starts_with(start),
                "{:?} should start with {start:?}",
                passage.text
            );
        }
        assert!(p[7].text.starts_with("Doctors warn that with the exception"));
        assert!(p[7].text.ends_with("permanent calf reduction techniques."), "{:?}", p[7].text);
        for passage in &p[1..] {
            assert_eq!(passage.heading.as_deref(), Some("TheConsultation explains Calf Reduction"));
        }
        assert_eq!(p[3].id, "doc#3");
        assert_eq!(p[3].source.line, 12);
        assert!(!p.iter().any(|p| p.text.contains("Share this")));
        let positions: Vec<u32> = p.iter().map(|p| p.position).collect();
        assert_eq!(positions, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn nerve_block_seed_is_a_question_and_five_answers() {
        let doc = parse_text(NERVE_BLOCK);
        assert_eq!(doc.title, "Is Nerve Block Procedure in Calves Safe?");
        let p = &doc.passages;
        let kinds: Vec<Kind> = p.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [Kind::Question, Kind::Answer, Kind::Answer, Kind::Answer, Kind::Answer, Kind::Answer]
        );
        assert_eq!(p[0].id, "doc#0");
        assert!(p[0]
            .text
            .starts_with("Is Nerve Block Procedure in Calves Safe?\nIn Korea, there is"));
        assert_eq!(p[0].source.line, 1);
        let titles = [
            "Making Calves Appear Smaller",
            "Nerve block procedures to make calves smaller",
            "Making calf smaller",
            "Muscle Atrophy Is One Technique For Making Calfs Smaller",
            "Making calves smaller by nerve block works but will compromise function.",
        ];
        for (answer, title) in p[1..].iter().zip(titles) {
            assert!(answer.text.starts_with(&format!("{title}\n")), "{:?}", answer.text);
            assert!(answer
                .context
                .as_deref()
                .unwrap()
                .starts_with("In Korea, there is a new procedure"));
        }
        // Two body lines with no blank line between them belong to one answer.
        assert!(
            p[2].text.contains("not recommended. Botox injections to the calves"),
            "{:?}",
            p[2].text
        );
        assert_eq!(p[2].source.line, 9);
        // No-break spaces are folded like any whitespace.
        assert!(p[4].text.contains("cut one of the motor nerves to the muscle"), "{:?}", p[4].text);
        assert!(p[5].text.ends_with("effect funtion."), "{:?}", p[5].text);
    }

    #[test]
    fn short_thread_with_sentence_bodies() {
        let doc = parse_text(
            "Is tea safe for calves?\n\nMy calf drinks tea. Is that fine?\n\nShort answer\n\nIt is fine in small amounts.\n\nAsk a vet\n\nA vet can weigh the risks.\n",
        );
        assert_eq!(
            summary(&doc),
            [
                (
                    Kind::Question,
                    None,
                    "Is tea safe for calves?\nMy calf drinks tea. Is that fine?",
                    1
                ),
                (Kind::Answer, None, "Short answer\nIt is fine in small amounts.", 5),
                (Kind::Answer, None, "Ask a vet\nA vet can weigh the risks.", 9),
            ]
        );
        assert_eq!(doc.passages[2].context.as_deref(), Some("My calf drinks tea. Is that fine?"));
    }

    #[test]
    fn answers_keep_several_paragraphs() {
        let doc = parse_text(
            "Why does my kettle hum?\n\nIt hums when heating.\n\nScale on the element\n\nLimescale on the element makes it hum while the water heats up, which is normal.\n\nI hope this helps!\n\nAsk the maker\n\nThey know the model best and can tell you whether the noise is expected.\n",
        );
        let p = &doc.passages;
        assert_eq!(p.len(), 3, "{:#?}", summary(&doc));
        assert!(p[1].text.ends_with("which is normal. I hope this helps!"), "{:?}", p[1].text);
        assert!(p[2].text.starts_with("Ask the maker\n"));
    }

    #[test]
    fn a_question_title_without_titled_answers_is_an_article() {
        let doc = parse_text("Is tea safe?\n\nTea is safe for most people in moderate amounts.\n");
        assert_eq!(
            summary(&doc),
            [(Kind::Article, None, "Tea is safe for most people in moderate amounts.", 3)]
        );
        // Bullets mark an article even under a question.
        let doc = parse_text(
            "Is tea safe?\n\nMostly.\n\nRisks\n\n- Caffeine keeps you up.\n- Tannins.\n",
        );
        assert!(doc.passages.iter().all(|p| p.kind == Kind::Article));
        assert_eq!(doc.passages.len(), 3);
    }

    #[test]
    fn headings_bullets_and_paragraphs() {
        let doc = parse_text(
            "Tea Guide\n\nBrewing\n\nUse water below boiling\nfor green tea.\n\nKinds:\n  * Sencha, steamed.\n  2) Matcha,\n     stone-ground.\n  - \n\nA last line\n",
        );
        assert_eq!(
            summary(&doc),
            [
                (Kind::Article, Some("Brewing"), "Use water below boiling for green tea.", 5),
                (Kind::Article, Some("Brewing"), "Kinds:", 8),
                (Kind::Article, Some("Brewing"), "Sencha, steamed.", 9),
                (Kind::Article, Some("Brewing"), "Matcha, stone-ground.", 10),
                (Kind::Article, Some("Brewing"), "A last line", 14),
            ]
        );
    }

    #[test]
    fn dashes_and_numbers_in_prose_are_not_bullets() {
        assert_eq!(bullet_item("-5 degrees outside"), None);
        assert_eq!(bullet_item("*emphasis* here"), None);
        assert_eq!(bullet_item("2019. A year"), None);
        assert_eq!(bullet_item("1.5 litres"), None);
        assert_eq!(bullet_item("•Tight bullet"), Some("Tight bullet"));
        assert_eq!(bullet_item("12. Twelfth"), Some("Twelfth"));
    }

    #[test]
    fn trailing_share_buttons_are_dropped_but_not_in_the_middle() {
        let doc =
            parse_text("Title\n\nPrint\n\nBody text here.\n\nShare this:\n\nTwitter\nFacebook\n\n");
        assert_eq!(summary(&doc), [(Kind::Article, Some("Print"), "Body text here.", 5)]);
    }

    #[test]
    fn crlf_bom_and_title_only_files() {
        let doc = parse_text("\u{feff}Title\r\n\r\nFirst para\r\ncontinues.\r\n\r\nSecond.\r\n");
        assert_eq!(
            summary(&doc),
            [
                (Kind::Article, None, "First para continues.", 3),
                (Kind::Article, None, "Second.", 6),
            ]
        );
        // Lone carriage returns (old Mac files) end lines too.
        assert_eq!(summary(&parse_text("Title\r\rBody.\r")), [(Kind::Article, None, "Body.", 3)]);
        let doc = parse_text("\n\n  Just a title  \n");
        assert_eq!(summary(&doc), [(Kind::Article, None, "Just a title", 3)]);
    }

    #[test]
    fn a_long_first_line_is_text_not_a_title() {
        let long = "word ".repeat(40);
        let doc = parse_text(&format!("{long}\n\nSecond paragraph.\n"));
        assert_eq!(doc.title, "doc");
        assert_eq!(doc.passages.len(), 2);
        assert_eq!(doc.passages[0].source.line, 1);
    }

    #[test]
    fn a_huge_single_line_is_one_passage() {
        let mut text = String::from("Huge\n\n");
        for i in 0..200_000 {
            text.push_str(if i == 150_000 { "needle " } else { "hay " });
        }
        let doc = parse_text(&text);
        assert_eq!(doc.passages.len(), 1);
        assert!(doc.passages[0].text.contains(" needle hay"));
        assert_eq!(doc.passages[0].text.len(), text.len() - "Huge\n\n".len() - 1);
    }

    #[test]
    fn text_without_words_is_refused() {
        let info = SourceInfo { path: "d.txt", doc_id: "d", format: Format::Text };
        assert_eq!(parse("----\n\n====\n", info).unwrap_err().reason, "no text to index");
        assert_eq!(parse("Share this:\n", info).unwrap_err().reason, "no text to index");
    }
}
