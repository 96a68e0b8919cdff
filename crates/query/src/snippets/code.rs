//! Snippets of code: whole lines, as written.
//!
//! A passage of kind `code` keeps its lines and indentation, and so does its snippet: the lines
//! around the best cluster of matches (the one [`highlight`](super::highlight) would pick), at
//! most [`CODE_SNIPPET_LINES`] lines and twice [`SNIPPET_CHARS`] characters, with a `…` line
//! where lines were left out before or after. A single line too long for that is cut like prose.

use std::ops::Range;

use super::highlight::{self, best_cluster, find_matches, Match, MatchSet, SNIPPET_CHARS};
use crate::results::Snippet;

/// The most lines a snippet of code shows.
pub const CODE_SNIPPET_LINES: usize = 8;

/// Highlights a passage of code: the byte ranges of every matched word and its best lines.
pub(crate) fn highlight(text: &str, set: &MatchSet) -> (Vec<Range<usize>>, Snippet) {
    let matches = find_matches(text, set);
    let snippet = snippet(text, &matches, set.keys());
    (matches.into_iter().map(|m| m.range).collect(), snippet)
}

/// The best lines of `text` given its sorted matches; `keys` is the number of distinct keys.
fn snippet(text: &str, matches: &[Match], keys: usize) -> Snippet {
    let max_chars = 2 * SNIPPET_CHARS;
    let mut lines: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices('\n') {
        lines.push(start..i);
        start = i + 1;
    }
    lines.push(start..text.len());
    let chars = |from: usize, to: usize| text[lines[from].start..lines[to].end].chars().count();
    let last = lines.len() - 1;
    if lines.len() <= CODE_SNIPPET_LINES && chars(0, last) <= max_chars {
        return Snippet {
            text: text.to_owned(),
            highlights: matches.iter().map(|m| m.range.clone()).collect(),
        };
    }
    let (core, _) = best_cluster(text, matches, keys, SNIPPET_CHARS);
    let line_of = |at: usize| lines.partition_point(|l| l.end < at).min(last);
    let (mut from, mut to) = (line_of(core.start), line_of(core.end));
    if chars(from, to) > max_chars {
        return highlight::snippet(text, matches, keys, SNIPPET_CHARS);
    }
    // One line of context before the matches, then the lines after them, then before again.
    let fits =
        |from: usize, to: usize| to - from < CODE_SNIPPET_LINES && chars(from, to) <= max_chars;
    if from > 0 && fits(from - 1, to) {
        from -= 1;
    }
    while to < last && fits(from, to + 1) {
        to += 1;
    }
    while from > 0 && fits(from - 1, to) {
        from -= 1;
    }
    let window = lines[from].start..lines[to].end;
    let mut out = String::with_capacity(window.len() + 10);
    if from > 0 {
        out.push_str("…\n");
    }
    let shift = out.len();
    out.push_str(&text[window.clone()]);
    if to < last {
        out.push_str("\n…");
    }
    let highlights = matches
        .iter()
        .filter(|m| m.range.start >= window.start && m.range.end <= window.end)
        .map(|m| m.range.start - window.start + shift..m.range.end - window.start + shift)
        .collect();
    Snippet { text: out, highlights }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> MatchSet {
        let mut set = MatchSet::new();
        for word in words {
            for term in kb_schema::analyzer::terms(word) {
                set.add_term(&term);
            }
        }
        set
    }

    #[test]
    fn short_code_is_whole_and_keeps_its_lines() {
        let code = "fn main() {\n    let args = env::args();\n}";
        let (all, snippet) = highlight(code, &set(&["args"]));
        assert_eq!(snippet.text, code);
        assert_eq!(all.len(), 2);
        assert_eq!(&snippet.text[snippet.highlights[0].clone()], "args");
    }

    #[test]
    fn long_code_shows_whole_lines_around_the_matches() {
        let mut code: Vec<String> =
            (0..30).map(|i| format!("    let v{i} = compute({i});")).collect();
        code[20] = "    let total = checksum(values);".to_owned();
        let code = code.join("\n");
        let (_, snippet) = highlight(&code, &set(&["checksum"]));
        let lines: Vec<&str> = snippet.text.lines().collect();
        assert_eq!(lines.len(), CODE_SNIPPET_LINES + 2, "{}", snippet.text);
        assert_eq!(lines[0], "…");
        assert_eq!(lines[1], "    let v19 = compute(19);");
        assert_eq!(lines[2], "    let total = checksum(values);");
        assert_eq!(lines.last(), Some(&"…"));
        assert_eq!(&snippet.text[snippet.highlights[0].clone()], "checksum");
    }
}
