//! kb's highlighter: which words of a passage matched, and its best fragment.
//!
//! [`highlight`] is a pure function of the passage text and a [`MatchSet`]. The text is analyzed
//! again with the `kb_en` analyzer, so every word whose *term* is in the set is lit, whatever its
//! surface form: `calves` for the query `calf`, `injections` for `injection`. Word sequences in
//! the set (a query made only of stop words, which are not in the index) are matched verbatim,
//! ignoring case and punctuation between the words.
//!
//! The snippet is the window of at most [`SNIPPET_CHARS`] characters that covers the most
//! distinct matched terms (then the most matches), widened to whole sentences when they fit and
//! otherwise cut between words, with `…` where the passage was cut.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use crate::analysis;
pub use crate::matches::MatchSet;
use crate::results::Snippet;

/// The longest snippet, in characters (not counting the `…` marks).
pub const SNIPPET_CHARS: usize = 200;

/// One matched word (or word sequence) in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Match {
    /// Byte range in the text.
    pub range: Range<usize>,
    /// Which term or sequence of the [`MatchSet`] it is, to count distinct ones.
    pub key: usize,
}

/// Highlights `text`: the byte ranges of every matched word (sorted, not overlapping, on char
/// boundaries) and the best fragment with its own ranges.
pub fn highlight(text: &str, set: &MatchSet) -> (Vec<Range<usize>>, Snippet) {
    let matches = find_matches(text, set);
    let snippet = snippet(text, &matches, set.keys(), SNIPPET_CHARS);
    (matches.into_iter().map(|m| m.range).collect(), snippet)
}

/// Every match of `set` in `text`, sorted by position, not overlapping.
pub(crate) fn find_matches(text: &str, set: &MatchSet) -> Vec<Match> {
    let mut matches = Vec::new();
    if !set.terms.is_empty() {
        analysis::for_each_term_once(
            text,
            |term| set.term_index(term),
            |range, key| {
                if let Some(key) = key {
                    matches.push(Match { range, key });
                }
            },
        );
    }
    if !set.sequences.is_empty() {
        let words: Vec<(usize, &str)> = text
            .split_word_bound_indices()
            .filter(|(_, w)| w.chars().any(char::is_alphanumeric))
            .collect();
        for (i, seq) in set.sequences.iter().enumerate() {
            let key = set.terms.len() + i;
            let mut at = 0;
            while at + seq.len() <= words.len() {
                let window = &words[at..at + seq.len()];
                if window.iter().zip(seq).all(|((_, w), s)| lowercase_eq(w, s)) {
                    let start = window[0].0;
                    let (last_start, last) = window[seq.len() - 1];
                    matches.push(Match { range: start..last_start + last.len(), key });
                    at += seq.len();
                } else {
                    at += 1;
                }
            }
        }
        // Term matches and sequence matches may overlap: keep the first (the longer on a tie).
        matches
            .sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
        let mut end = 0;
        matches.retain(|m| {
            let keep = m.range.start >= end;
            if keep {
                end = m.range.end;
            }
            keep
        });
    }
    matches
}

/// `word` lowercased equals `lower`, without allocating.
fn lowercase_eq(word: &str, lower: &str) -> bool {
    word.chars().flat_map(char::to_lowercase).eq(lower.chars())
}

/// The best fragment of `text` of at most `max_chars` characters (plus `…` marks), given its
/// sorted, non-overlapping matches; `keys` is the number of distinct match keys.
pub(crate) fn snippet(text: &str, matches: &[Match], keys: usize, max_chars: usize) -> Snippet {
    if fits(text, 0, text.len(), max_chars) {
        return Snippet {
            text: text.to_owned(),
            highlights: matches.iter().map(|m| m.range.clone()).collect(),
        };
    }
    // A cluster of matches spanning at most three quarters of the snippet leaves room for the
    // words around it (a sentence start, say), which make the fragment readable: it is taken
    // unless the whole length covers more distinct terms.
    let (tight, tight_distinct) = best_cluster(text, matches, keys, max_chars * 3 / 4);
    let (wide, wide_distinct) = best_cluster(text, matches, keys, max_chars);
    let mut core = if wide_distinct > tight_distinct { wide } else { tight };
    if !fits(text, core.start, core.end, max_chars) {
        // One match longer than a snippet (a long verbatim sequence): show where it starts.
        core.end = core.start;
    }
    let window = widen(text, core, max_chars);
    cut(text, window, matches)
}

/// The byte range from the first to the last match of the window of matches that fits in
/// `max_chars` and covers the most distinct keys (then the most matches; then the earliest),
/// and how many distinct keys it covers. Empty at the start of the text when there are no
/// matches.
pub(crate) fn best_cluster(
    text: &str,
    matches: &[Match],
    keys: usize,
    max_chars: usize,
) -> (Range<usize>, usize) {
    if matches.is_empty() {
        return (0..0, 0);
    }
    // Char offsets of every match start and end, in one pass over the text.
    let mut bytes: Vec<usize> = Vec::with_capacity(matches.len() * 2);
    for m in matches {
        bytes.push(m.range.start);
        bytes.push(m.range.end);
    }
    let chars = char_offsets(text, &bytes);
    let start_char = |i: usize| chars[2 * i];
    let end_char = |i: usize| chars[2 * i + 1];

    let mut counts = vec![0usize; keys.max(1)];
    let mut distinct = 0;
    let mut best = (0, 0, 0..=0);
    let mut i = 0;
    for j in 0..matches.len() {
        let key = matches[j].key.min(counts.len() - 1);
        if counts[key] == 0 {
            distinct += 1;
        }
        counts[key] += 1;
        while i < j && end_char(j) - start_char(i) > max_chars {
            let key = matches[i].key.min(counts.len() - 1);
            counts[key] -= 1;
            if counts[key] == 0 {
                distinct -= 1;
            }
            i += 1;
        }
        let size = j - i + 1;
        if (distinct, size) > (best.0, best.1) {
            best = (distinct, size, i..=j);
        }
    }
    (matches[*best.2.start()].range.start..matches[*best.2.end()].range.end, best.0)
}

/// Widens `core` (a byte range of at most `max_chars` chars, or empty) to a window of at most
/// `max_chars` chars: whole sentences when they fit, else whole words around the core.
fn widen(text: &str, core: Range<usize>, max_chars: usize) -> Range<usize> {
    // Only sentences near the core can be part of the window: those of a stretch of text
    // reaching more than `max_chars` chars either side of it, cut where every segmentation of
    // the text has a sentence boundary, so they are the sentences the whole text has there.
    let lo = sentence_anchor_at_or_before(text, back_chars(text, core.start, max_chars + 1));
    let hi = sentence_anchor_at_or_after(text, forward_chars(text, core.end, max_chars + 1));
    let sentences: Vec<Range<usize>> = text[lo..hi]
        .split_sentence_bound_indices()
        .map(|(start, s)| lo + start..lo + start + s.trim_end().len())
        .collect();
    // The sentence holding a byte offset: the last one starting at or before it.
    let containing = |at: usize| sentences.partition_point(|s| s.start <= at).saturating_sub(1);
    let first = containing(core.start);
    let last = containing(if core.is_empty() { core.start } else { core.end - 1 }).max(first);
    if let (Some(a), Some(b)) = (sentences.get(first), sentences.get(last)) {
        let start = a.start.min(core.start);
        let end = b.end.max(core.end);
        if fits(text, start, end, max_chars) {
            // Whole sentences: add the following ones, then the preceding ones, while they fit.
            let (mut lo, mut hi) = (first, last);
            let (mut start, mut end) = (start, end);
            while hi + 1 < sentences.len() && fits(text, start, sentences[hi + 1].end, max_chars) {
                hi += 1;
                end = sentences[hi].end;
            }
            while lo > 0 && fits(text, sentences[lo - 1].start, end, max_chars) {
                lo -= 1;
                start = sentences[lo].start;
            }
            return start..end;
        }
    }
    // The sentences are too long: cut between words. A third of the room goes before the
    // core, the rest after it, where reading continues; but a sentence start that is near is
    // worth the room it takes.
    let room = max_chars.saturating_sub(chars_between(text, core.start, core.end));
    let sentence_start = sentences.get(first).map_or(0, |s| s.start.min(core.start));
    let lead = room / 3;
    let near = fits(text, sentence_start, core.start, lead.max(max_chars / 4))
        && fits(text, sentence_start, core.end, max_chars);
    let start = if near {
        sentence_start
    } else {
        word_boundary_at_or_after(text, back_chars(text, core.start, lead)).min(core.start)
    };
    let room = max_chars.saturating_sub(chars_between(text, start, core.end));
    let limit = forward_chars(text, core.end, room);
    let end = if limit >= text.len() {
        text.len()
    } else {
        // A sentence end when one is near the limit, else the last word boundary before it.
        let sentence_end = sentences.iter().rev().map(|s| s.end).find(|&e| e <= limit);
        match sentence_end {
            Some(e) if e >= core.end && chars_between(text, e, limit) < room / 2 => e,
            _ => word_boundary_at_or_before(text, limit).max(core.end),
        }
    };
    start..end
}

/// Whether a UAX #29 sentence boundary is at byte `at` of `text` whatever comes before it, and
/// the boundaries after it do not depend on what comes before it: just after a line feed
/// (rule SB4) that an ASCII character follows, or at an ASCII capital that follows `.`, `!` or
/// `?` and one space (SB11; no rule that joins sentences looks back past a capital or a line
/// feed). The text's start and end are anchors too.
fn is_sentence_anchor(text: &[u8], at: usize) -> bool {
    if at == 0 || at >= text.len() {
        return true;
    }
    let next = text[at];
    (text[at - 1] == b'\n' && next.is_ascii())
        || (next.is_ascii_uppercase()
            && at >= 2
            && text[at - 1] == b' '
            && matches!(text[at - 2], b'.' | b'!' | b'?'))
}

/// The last sentence anchor ([`is_sentence_anchor`]) at or before byte `at`.
fn sentence_anchor_at_or_before(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    (0..=at.min(text.len())).rev().find(|&i| is_sentence_anchor(bytes, i)).unwrap_or(0)
}

/// The first sentence anchor ([`is_sentence_anchor`]) at or after byte `at`.
fn sentence_anchor_at_or_after(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    (at.min(text.len())..text.len()).find(|&i| is_sentence_anchor(bytes, i)).unwrap_or(text.len())
}

/// The snippet for a window: trimmed, `…` where text was cut, highlights shifted into it.
fn cut(text: &str, window: Range<usize>, matches: &[Match]) -> Snippet {
    let slice = &text[window.clone()];
    let start = window.start + (slice.len() - slice.trim_start().len());
    let end = window.start + slice.trim_end().len();
    let (start, end) = if start <= end { (start, end) } else { (window.start, window.start) };
    let before = !text[..start].trim().is_empty();
    let after = !text[end..].trim().is_empty();
    let mut out = String::with_capacity(end - start + 6);
    if before {
        out.push('…');
    }
    let shift = out.len();
    out.push_str(&text[start..end]);
    if after {
        out.push('…');
    }
    let highlights = matches
        .iter()
        .filter(|m| m.range.start >= start && m.range.end <= end)
        .map(|m| m.range.start - start + shift..m.range.end - start + shift)
        .collect();
    Snippet { text: out, highlights }
}

/// Char offsets of sorted byte offsets (each on a char boundary or at the end).
fn char_offsets(text: &str, sorted_bytes: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(sorted_bytes.len());
    let mut chars = 0;
    let mut at = 0;
    for &b in sorted_bytes {
        chars += text[at..b].chars().count();
        at = b;
        out.push(chars);
    }
    out
}

/// Whether `text[start..end]` has at most `max` chars (counting stops early).
fn fits(text: &str, start: usize, end: usize, max: usize) -> bool {
    end <= start || text[start..end].chars().nth(max).is_none()
}

fn chars_between(text: &str, start: usize, end: usize) -> usize {
    if end <= start {
        0
    } else {
        text[start..end].chars().count()
    }
}

/// The byte offset `n` chars before `from` (or 0).
fn back_chars(text: &str, from: usize, n: usize) -> usize {
    if n == 0 {
        return from;
    }
    text[..from].char_indices().rev().take(n).last().map_or(from, |(i, _)| i)
}

/// The byte offset `n` chars after `from` (or the end).
fn forward_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..].char_indices().nth(n).map_or(text.len(), |(i, _)| from + i)
}

/// How far around a cut point word boundaries are looked for, in bytes.
const SCAN: usize = 96;

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The first word boundary (UAX #29) at or after `at`, looked for in a short stretch of text;
/// `at` itself (on a char boundary) if none is near.
fn word_boundary_at_or_after(text: &str, at: usize) -> usize {
    let at = ceil_boundary(text, at);
    if at == 0 || at == text.len() {
        return at;
    }
    // Segmenting starts a little earlier so that the first boundaries found are real ones.
    let lo = floor_boundary(text, at.saturating_sub(SCAN));
    let hi = ceil_boundary(text, at + SCAN);
    text[lo..hi]
        .split_word_bound_indices()
        .map(|(i, _)| lo + i)
        .chain(std::iter::once(hi).filter(|&h| h == text.len()))
        .find(|&b| b >= at && (b > lo || lo == 0))
        .unwrap_or(at)
}

/// The last word boundary (UAX #29) at or before `at`, looked for in a short stretch of text;
/// `at` itself (on a char boundary) if none is near.
fn word_boundary_at_or_before(text: &str, at: usize) -> usize {
    let at = floor_boundary(text, at);
    if at == 0 || at == text.len() {
        return at;
    }
    let lo = floor_boundary(text, at.saturating_sub(SCAN));
    let hi = ceil_boundary(text, at + SCAN);
    text[lo..hi]
        .split_word_bound_indices()
        .map(|(i, _)| lo + i)
        .rev()
        .find(|&b| b <= at && (b > lo || lo == 0))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn set(query: &str) -> MatchSet {
        let mut set = MatchSet::new();
        for term in kb_schema::analyzer::terms(query) {
            set.add_term(&term);
        }
        set
    }

    fn lit<'a>(text: &'a str, ranges: &[Range<usize>]) -> Vec<&'a str> {
        ranges.iter().map(|r| &text[r.clone()]).collect()
    }

    #[test]
    fn stems_and_irregular_plurals_are_lit() {
        let text = "Botox injections into the calves; one injection per calf.";
        let (ranges, snippet) = highlight(text, &set("calf injection"));
        assert_eq!(lit(text, &ranges), ["injections", "calves", "injection", "calf"]);
        assert_eq!(snippet.text, text, "short passages are their own snippet");
        assert_eq!(snippet.highlights, ranges);
    }

    #[test]
    fn every_occurrence_is_lit_including_non_ascii() {
        let text = "Naïve café, NAÏVE Café: naive cafés. 東京 is 東京.";
        let (ranges, _) = highlight(text, &set("naive cafe 東京"));
        assert_eq!(
            lit(text, &ranges),
            ["Naïve", "café", "NAÏVE", "Café", "naive", "cafés", "東", "京", "東", "京"]
        );
    }

    #[test]
    fn nothing_matched_gives_the_beginning() {
        let text = "First sentence here. ".repeat(30);
        let (ranges, snippet) = highlight(&text, &set("absent"));
        assert!(ranges.is_empty());
        assert!(snippet.text.starts_with("First sentence here."), "{}", snippet.text);
        assert!(snippet.text.ends_with("here.…"), "{}", snippet.text);
        assert!(snippet.text.chars().count() <= SNIPPET_CHARS + 1);
    }

    #[test]
    fn the_window_with_most_distinct_terms_wins_and_is_cut_at_sentences() {
        let filler = "Nothing to see in this sentence at all. ".repeat(8);
        let text = format!(
            "Botox once. {filler}Botox results are visible within two months. {filler}Botox again."
        );
        let (ranges, snippet) = highlight(&text, &set("botox results visible"));
        assert_eq!(ranges.len(), 5);
        assert!(
            snippet.text.starts_with("…Botox results are visible within two months."),
            "{}",
            snippet.text
        );
        assert!(snippet.text.ends_with('…'));
        assert_eq!(lit(&snippet.text, &snippet.highlights), ["Botox", "results", "visible"]);
    }

    #[test]
    fn a_huge_sentence_is_cut_between_words() {
        let mut text = String::new();
        for i in 0..5_000 {
            text.push_str(if i == 3_000 { "needle " } else { "hay " });
        }
        let (ranges, snippet) = highlight(&text, &set("needle"));
        assert_eq!(lit(&text, &ranges), ["needle"]);
        assert!(
            snippet.text.starts_with("…hay ") && snippet.text.ends_with(" hay…"),
            "{}",
            snippet.text
        );
        assert!(snippet.text.chars().count() <= SNIPPET_CHARS + 2);
        assert_eq!(lit(&snippet.text, &snippet.highlights), ["needle"]);
    }

    #[test]
    fn cuts_never_split_a_word_in_cjk_or_accented_text() {
        let text = "Ünïcödé wörds ".repeat(40) + "東京タワー calf " + &"ünïcödé ".repeat(40);
        let (_, snippet) = highlight(&text, &set("calf"));
        let inner = snippet.text.trim_start_matches('…').trim_end_matches('…');
        assert!(text.contains(inner));
        for piece in inner.split_whitespace() {
            assert!(
                text.split_whitespace().any(|w| w == piece) || piece == "東京タワー",
                "{piece:?} in {inner:?}"
            );
        }
        assert_eq!(lit(&snippet.text, &snippet.highlights), ["calf"]);
    }

    #[test]
    fn stop_word_sequences_are_matched_verbatim() {
        let mut set = MatchSet::new();
        set.add_sequence(&["to", "be", "or", "not", "to", "be"]);
        let text = "To be, or not to be: that is the question. To be sure.";
        let (ranges, _) = highlight(text, &set);
        assert_eq!(lit(text, &ranges), ["To be, or not to be"]);
    }

    #[test]
    fn terms_and_sequences_together_do_not_overlap() {
        let mut set = set("question");
        set.add_sequence(&["the", "question"]);
        let text = "That is the question, the question.";
        let (ranges, _) = highlight(text, &set);
        assert_eq!(lit(text, &ranges), ["the question", "the question"]);
    }

    #[test]
    fn match_set_keeps_terms_sorted_and_distinct() {
        let mut set = MatchSet::new();
        for t in ["nerv", "calf", "nerv"] {
            set.add_term(t);
        }
        assert_eq!(set.terms().collect::<Vec<_>>(), ["calf", "nerv"]);
        assert!(set.contains_term("calf") && !set.contains_term("cal"));
        assert!(!set.is_empty() && MatchSet::new().is_empty());
    }

    /// The highlighter as it was before matches were found a word at a time and sentences
    /// cut only near the window: the new one must give the same answer for every input.
    mod reference {
        use super::super::*;

        pub fn highlight(text: &str, set: &MatchSet) -> (Vec<Range<usize>>, Snippet) {
            let matches = find_matches(text, set);
            let snippet = snippet(text, &matches, set.keys(), SNIPPET_CHARS);
            (matches.into_iter().map(|m| m.range).collect(), snippet)
        }

        fn find_matches(text: &str, set: &MatchSet) -> Vec<Match> {
            let mut term_matches = Vec::new();
            if !set.terms.is_empty() {
                analysis::for_each_token(text, |t| {
                    if let Some(key) = set.term_index(&t.text) {
                        term_matches.push(Match { range: t.offset_from..t.offset_to, key });
                    }
                });
            }
            // Sequences are found as before; only the term pass changed.
            let mut only_sequences = set.clone();
            only_sequences.terms.clear();
            let sequences = super::super::find_matches(text, &only_sequences);
            if set.sequences.is_empty() {
                return term_matches;
            }
            let mut matches: Vec<Match> = term_matches
                .into_iter()
                .chain(sequences.into_iter().map(|m| Match { key: m.key + set.terms.len(), ..m }))
                .collect();
            matches.sort_by(|a, b| {
                a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end))
            });
            let mut end = 0;
            matches.retain(|m| {
                let keep = m.range.start >= end;
                if keep {
                    end = m.range.end;
                }
                keep
            });
            matches
        }

        fn snippet(text: &str, matches: &[Match], keys: usize, max_chars: usize) -> Snippet {
            if fits(text, 0, text.len(), max_chars) {
                return Snippet {
                    text: text.to_owned(),
                    highlights: matches.iter().map(|m| m.range.clone()).collect(),
                };
            }
            let (tight, tight_distinct) = best_cluster(text, matches, keys, max_chars * 3 / 4);
            let (wide, wide_distinct) = best_cluster(text, matches, keys, max_chars);
            let mut core = if wide_distinct > tight_distinct { wide } else { tight };
            if !fits(text, core.start, core.end, max_chars) {
                core.end = core.start;
            }
            let window = widen(text, core, max_chars);
            cut(text, window, matches)
        }

        fn widen(text: &str, core: Range<usize>, max_chars: usize) -> Range<usize> {
            let sentences: Vec<Range<usize>> = text
                .split_sentence_bound_indices()
                .map(|(start, s)| start..start + s.trim_end().len())
                .collect();
            let containing =
                |at: usize| sentences.partition_point(|s| s.start <= at).saturating_sub(1);
            let first = containing(core.start);
            let last =
                containing(if core.is_empty() { core.start } else { core.end - 1 }).max(first);
            if let (Some(a), Some(b)) = (sentences.get(first), sentences.get(last)) {
                let start = a.start.min(core.start);
                let end = b.end.max(core.end);
                if fits(text, start, end, max_chars) {
                    let (mut lo, mut hi) = (first, last);
                    let (mut start, mut end) = (start, end);
                    while hi + 1 < sentences.len()
                        && fits(text, start, sentences[hi + 1].end, max_chars)
                    {
                        hi += 1;
                        end = sentences[hi].end;
                    }
                    while lo > 0 && fits(text, sentences[lo - 1].start, end, max_chars) {
                        lo -= 1;
                        start = sentences[lo].start;
                    }
                    return start..end;
                }
            }
            let room = max_chars.saturating_sub(chars_between(text, core.start, core.end));
            let sentence_start = sentences.get(first).map_or(0, |s| s.start.min(core.start));
            let lead = room / 3;
            let near = fits(text, sentence_start, core.start, lead.max(max_chars / 4))
                && fits(text, sentence_start, core.end, max_chars);
            let start = if near {
                sentence_start
            } else {
                word_boundary_at_or_after(text, back_chars(text, core.start, lead)).min(core.start)
            };
            let room = max_chars.saturating_sub(chars_between(text, start, core.end));
            let limit = forward_chars(text, core.end, room);
            let end = if limit >= text.len() {
                text.len()
            } else {
                let sentence_end = sentences.iter().rev().map(|s| s.end).find(|&e| e <= limit);
                match sentence_end {
                    Some(e) if e >= core.end && chars_between(text, e, limit) < room / 2 => e,
                    _ => word_boundary_at_or_before(text, limit).max(core.end),
                }
            };
            start..end
        }
    }

    /// Both highlighters agree on `text` with the query `query` (and its first two words as a
    /// verbatim sequence).
    fn same_as_reference(text: &str, query: &str) {
        let mut set = set(query);
        assert_eq!(highlight(text, &set), reference::highlight(text, &set), "{query:?} {text:?}");
        let words: Vec<&str> = query.unicode_words().take(2).collect();
        set.add_sequence(&words);
        assert_eq!(highlight(text, &set), reference::highlight(text, &set), "{query:?} {text:?}");
    }

    #[test]
    fn same_as_the_reference_on_long_varied_passages() {
        let sentences = [
            "Botox injections are not permanent. ",
            "Results show after one to two months! ",
            "Is it safe? Most surgeons think so.\n",
            "e.g. the U.S. F.D.A. approved it in 2002 (see p. 3). ",
            "Dr. Smith’s calves were treated; the nerve function recovered. ",
            "“Quoted speech.” Then more text follows here... and here. ",
            "- a list item\n- another item\r\n",
            "Naïve café owners said: \"it works.\" ",
            "東京の病院で治療を受けた。次の文です。 ",
            "a sentence with no end and lowercase after a stop. it goes on ",
            "Key Points\n",
            "\n\n",
            "Very long sentence without any stop at all and many many words in it that goes on and on and on and on and on and on and on and on and on and on and on and on and on past the snippet length for sure ",
        ];
        let queries = [
            "botox results",
            "nerve calf",
            "safe surgeon approved",
            "sentence stop",
            "absent",
            "café quoted list",
            "東京",
            "long snippet words",
        ];
        // A deterministic shuffle of the sentences into many passages.
        let mut seed = 7u64;
        for n in 0..300 {
            let mut text = String::new();
            for _ in 0..(n % 40 + 1) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                text.push_str(sentences[(seed >> 33) as usize % sentences.len()]);
            }
            for q in queries {
                same_as_reference(&text, q);
            }
        }
    }

    proptest! {
        #[test]
        fn same_as_reference_for_any_text(text in "\\PC{0,900}", query in "\\PC{0,30}") {
            same_as_reference(&text, &query);
        }

        #[test]
        fn same_as_reference_for_sentences(
            parts in proptest::collection::vec(
                "[a-zA-Z]{1,9}|[A-Z][a-z]{0,5}|[.!?]|[ \n]|\r\n|[\"”’)(]|[0-9]|é|東|\u{301}|\u{2029}|\u{85}",
                0..400,
            ),
            query in "[a-zA-Z ]{0,20}",
        ) {
            same_as_reference(&parts.concat(), &query);
        }

        #[test]
        fn ranges_are_sound_for_any_text(text in "\\PC{0,600}", query in "\\PC{0,30}") {
            check(&text, &query);
        }

        #[test]
        fn ranges_are_sound_for_wordy_text(
            words in proptest::collection::vec("[a-zA-Zéü東京]{1,9}[ .,!?\n]{1,2}", 0..200),
            query in "[a-zé東 ]{0,20}",
        ) {
            check(&words.concat(), &query);
        }
    }

    fn check(text: &str, query: &str) {
        let mut set = set(query);
        let words: Vec<&str> = query.unicode_words().take(2).collect();
        set.add_sequence(&words);
        let (ranges, snippet) = highlight(text, &set);
        let mut end = 0;
        for r in &ranges {
            assert!(r.start >= end && r.start < r.end && r.end <= text.len(), "{ranges:?}");
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            end = r.end;
        }
        let core = snippet.text.trim_start_matches('…').trim_end_matches('…');
        assert!(text.contains(core), "snippet {:?} not in text", snippet.text);
        assert!(snippet.text.chars().count() <= SNIPPET_CHARS + 2, "{}", snippet.text);
        let mut end = 0;
        let lit_text: Vec<&str> = lit(text, &ranges);
        for r in &snippet.highlights {
            assert!(r.start >= end && r.start < r.end && r.end <= snippet.text.len());
            assert!(snippet.text.is_char_boundary(r.start) && snippet.text.is_char_boundary(r.end));
            assert!(lit_text.contains(&&snippet.text[r.clone()]), "{:?}", &snippet.text[r.clone()]);
            end = r.end;
        }
    }
}
