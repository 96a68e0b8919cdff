//! The `kb_en` analyzer at query time, without rebuilding it for every call.
//!
//! [`kb_schema::analyzer::tokens`] builds a fresh analyzer (stop-word set included) on each
//! call; a search analyzes the query and then every hit's text, so the query side keeps one
//! analyzer per thread instead.

use std::cell::RefCell;
use std::ops::Range;

use kb_schema::analyzer::WordTokenizer;
// FxHash for short words: far cheaper than SipHash, and the keys are words of the corpus, not
// input an attacker picks to collide.
use rustc_hash::FxHashMap;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

thread_local! {
    static ANALYZER: RefCell<TextAnalyzer> = RefCell::new(kb_schema::analyzer::analyzer());
    static WORD_TERMS: RefCell<WordTerms> = RefCell::new(WordTerms::new());
}

/// At most this many words are remembered by a thread's [`WordTerms`] (a few MiB); when it is
/// full it starts again empty.
const MAX_REMEMBERED_WORDS: usize = 1 << 17;

/// The term of each word seen so far: a word's term depends on the word alone, and texts of one
/// collection share most of their words, so the stemmer runs once for each.
struct WordTerms {
    analyzer: TextAnalyzer,
    /// Word -> index in `terms`.
    words: FxHashMap<Box<str>, usize>,
    /// The term of each word, `None` for a dropped word.
    terms: Vec<Option<Box<str>>>,
}

impl WordTerms {
    fn new() -> WordTerms {
        WordTerms {
            analyzer: kb_schema::analyzer::word_analyzer(),
            words: FxHashMap::default(),
            terms: Vec::new(),
        }
    }

    /// The term of `word` (as [`WordTokenizer`] cuts words), `None` for a dropped word.
    fn term(&mut self, word: &str) -> Option<&str> {
        let i = match self.words.get(word) {
            Some(&i) => i,
            None => {
                if self.terms.len() >= MAX_REMEMBERED_WORDS {
                    self.words.clear();
                    self.terms.clear();
                }
                self.terms.push(analyze_word(&mut self.analyzer, word).map(Box::from));
                self.words.insert(word.into(), self.terms.len() - 1);
                self.terms.len() - 1
            }
        };
        self.terms[i].as_deref()
    }
}

/// The term `analyzer` (a [`kb_schema::analyzer::word_analyzer`]) makes of one word.
fn analyze_word(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut terms = analyzer.token_stream(word);
    terms.advance().then(|| terms.token().text.clone())
}

/// Calls `f` with every token the `kb_en` analyzer makes of `text`: the term in `text`, the
/// byte range of the source word in `offset_from..offset_to`, the word position in `position`.
pub(crate) fn for_each_token(text: &str, mut f: impl FnMut(&Token)) {
    ANALYZER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut analyzer) => run(&mut analyzer, text, &mut f),
        // Only if `f` itself analyzes text: then this nested call gets an analyzer of its own.
        Err(_) => run(&mut kb_schema::analyzer::analyzer(), text, &mut f),
    });
}

fn run(analyzer: &mut TextAnalyzer, text: &str, f: &mut impl FnMut(&Token)) {
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        f(stream.token());
    }
}

/// Calls `f` with the byte range of every token the `kb_en` analyzer makes of `text`, in order,
/// and `value` of its term: the same tokens as [`for_each_token`], but `value` is called once
/// for each distinct word of `text`, and the analyzer runs once for each word the thread has
/// not met before (the stemmer is most of its cost, and passages repeat their words).
pub(crate) fn for_each_term_once<V: Copy>(
    text: &str,
    mut value: impl FnMut(&str) -> V,
    mut f: impl FnMut(Range<usize>, V),
) {
    let mut seen: FxHashMap<&str, Option<V>> =
        FxHashMap::with_capacity_and_hasher(text.len() / 16, Default::default());
    let mut words = WordTokenizer::default();
    let mut stream = words.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        let range = token.offset_from..token.offset_to;
        // The token is the word as it stands in the text (a possessive cut off).
        let word = &text[range.clone()];
        let v = match seen.get(word) {
            Some(v) => *v,
            None => {
                let v = WORD_TERMS.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut known) => known.term(word).map(&mut value),
                    // Only if `value` itself analyzes text: then the word is analyzed afresh.
                    Err(_) => {
                        let mut analyzer = kb_schema::analyzer::word_analyzer();
                        analyze_word(&mut analyzer, word).map(|term| value(&term))
                    }
                });
                seen.insert(word, v);
                v
            }
        };
        if let Some(v) = v {
            f(range, v);
        }
    }
}

/// The terms of `text` with their word positions (stop words leave gaps in the positions).
pub(crate) fn terms_with_positions(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push((t.position, t.text.clone())));
    out
}

/// The terms the `kb_stop` analyzer makes of `text` (the words `kb_en` drops, see
/// [`kb_schema::analyzer::stop_word_analyzer`]), with their word positions.
pub(crate) fn stop_word_terms(text: &str) -> Vec<(usize, String)> {
    let mut analyzer = kb_schema::analyzer::stop_word_analyzer();
    let mut out = Vec::new();
    run(&mut analyzer, text, &mut |t: &Token| out.push((t.position, t.text.clone())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_terms_as_the_schema_analyzer() {
        let text = "The calves of Café Neurectomy, running: e-mail 東京";
        let ours: Vec<String> = terms_with_positions(text).into_iter().map(|(_, t)| t).collect();
        assert_eq!(ours, kb_schema::analyzer::terms(text));
    }

    #[test]
    fn terms_once_gives_every_token_of_the_analyzer() {
        let text = "The calves of Café Neurectomy, running: e-mail 東京; the calves ran, running. \
                    Doctor’s doctors' a_b U.S.A 3.14 naïve NAÏVE";
        let mut all = Vec::new();
        for_each_token(text, |t| all.push((t.offset_from..t.offset_to, t.text.clone())));
        let mut analyzed: Vec<String> = Vec::new();
        let mut once = Vec::new();
        for_each_term_once(
            text,
            |term| {
                analyzed.push(term.to_owned());
                analyzed.len() - 1
            },
            |range, i| once.push((range, i)),
        );
        let once: Vec<_> = once.into_iter().map(|(r, i)| (r, analyzed[i].clone())).collect();
        assert_eq!(once, all);
        assert!(analyzed.len() < all.len(), "repeated words are analyzed once");
        // Nested, and again with every word known.
        for_each_term_once(
            text,
            |_| for_each_term_once("calves", |t| t.len(), |_, _| ()),
            |_, _| (),
        );
        let mut again = Vec::new();
        for_each_term_once(text, |t| t.len(), |range, n| again.push((range, n)));
        let lengths: Vec<_> = all.iter().map(|(r, t)| (r.clone(), t.len())).collect();
        assert_eq!(again, lengths);
    }

    #[test]
    fn nested_use_does_not_panic() {
        let mut inner = Vec::new();
        for_each_token("calves muscles", |t| {
            inner.push((t.text.clone(), terms_with_positions(&t.text)));
        });
        assert_eq!(inner[0].1, [(0, "calf".to_owned())]);
    }

    #[test]
    fn positions_keep_stop_word_gaps() {
        let positions: Vec<usize> = terms_with_positions("cut one of the motor nerves")
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(positions, [0, 1, 4, 5]);
    }
}
