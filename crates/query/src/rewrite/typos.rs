//! Typo tolerance: which indexed words are close to a query word that the index lacks.
//!
//! Misspellings are matched against the words as they appear in the passages, not against
//! their stems. A typo often changes how a word stems (`injetcions` stems to `injetcion`,
//! `injections` to `inject`), which puts it several edits away from every stem although it is
//! one swap away from the word the reader meant. So the index keeps a dictionary of its surface
//! words: the `words` field ([`kb_schema::KbSchema::words`]), the text, title and heading as
//! written (lowercased and folded, not stemmed; words with digits and words under three
//! letters left out), doc ids only. A field rather than a separate FST beside the index,
//! because tantivy then keeps it right for free: it follows every added, deleted and merged
//! segment and commits with the rest, and its term dictionary already is an FST.
//!
//! tantivy's `FuzzyTermQuery` matches close terms but never says which ones, so its matches
//! cannot be highlighted (and a fuzzy query scores every expanded term alike). kb expands the
//! word itself instead: the Levenshtein automaton of `FuzzyTermQuery::automaton`, with
//! transpositions (a swap of neighbours is one edit, as in Meilisearch), streams the close
//! surface words out of each segment's `words` dictionary; each one's `kb_en` stem is what is
//! searched, as an extra, low-weighted alternative of the word (see [`super::alternatives`]),
//! which the highlighter then lights like any other term (every form of that stem).
//!
//! Only words the index does not know, or knows barely next to a close and far more frequent
//! word, are expanded: an ordinary query never pays for a dictionary scan. Each word is looked
//! up once per search (its frequency and its neighbours are remembered, and "did you mean"
//! reuses them), the dictionary is walked at 1 edit first and at 2 only when nothing is 1 edit
//! away (only the closest words are kept anyway), and at most [`MAX_ALTERNATIVES`] words stand
//! in for one.
//!
//! A typo can also land on a word: `migrane` is not in the passages, but it stems like
//! `migrans` (a parasite's larva), which is. When the word as typed is absent from the
//! passages' words, its stem is rare, and a word one edit away is [`FAR_MORE_MEANT`] times as
//! frequent, that word is taken as the one meant ([`likely_meant`]): it is searched at full
//! weight, the word as typed below it (at [`TYPO_BOOST`]), and "did you mean" says so. How far a word may
//! be from its expansions depends on its length as typed ([`max_edits`]): short words and
//! numbers are never expanded, as nearly every short word is one edit away from another. Only
//! the closest words are kept (those at the fewest edits), the most frequent first, as
//! Meilisearch ranks a match with fewer typos first; the query builder then weighs each by its
//! frequency next to the most frequent one's (see [`super::alternatives`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use kb_schema::KbSchema;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::tokenizer::TokenStream;
use tantivy::Term;

use crate::analysis;

/// How much an expanded term's score counts next to the word's own: low enough that a passage
/// with the word as typed (or a stemmed form of it) ranks above one with a near miss.
pub(crate) const TYPO_BOOST: f32 = 0.3;

/// At most this many close terms stand in for one word, the closest and most frequent first.
const MAX_ALTERNATIVES: usize = 3;

/// A word found in at most this many passages is "very rare": it is expanded too when a close
/// term is [`FAR_MORE`] times as frequent (a typo that made it into the corpus, like the seed's
/// "funtion", should not hide the passages that spell the word right).
const RARE: u64 = 1;

/// See [`RARE`].
const FAR_MORE: u64 = 5;

/// A stem in at most this share of the passages (or in [`RARE`]) is rare enough for a word
/// that reaches it only through other words to be a typo of a far more frequent one
/// ([`likely_meant`]).
const RARE_SHARE: f64 = 0.01;

/// How much more frequent than the typed word's stem a word one edit away must be to be taken
/// as the word meant ([`likely_meant`]).
const FAR_MORE_MEANT: u64 = 10;

/// The most edits allowed between a query word, as typed, and a term standing in for it:
/// none for words under 5 characters and for anything with a digit (ids, years, doses), 1 for
/// 5 to 8 characters, 2 from 9 on.
pub fn max_edits(word: &str) -> u8 {
    edits_for(word, 5)
}

/// The edits a word may be from another: none under `one_edit_from` characters or with a
/// digit, 1 up to 8 characters, 2 from 9 on ([`max_edits`] from 5; "did you mean" from 4).
pub(crate) fn edits_for(word: &str, one_edit_from: usize) -> u8 {
    if word.chars().any(|c| c.is_numeric()) {
        return 0;
    }
    match word.chars().count() {
        n if n < one_edit_from => 0,
        0..=8 => 1,
        _ => 2,
    }
}

/// An indexed stem close to a query word, through one of its surface words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Neighbour {
    /// The stem searched (the `kb_en` term of `word`).
    pub term: String,
    /// The closest surface word (lowercased, folded) that analyzes to `term`, the most frequent
    /// among equally close ones: what the typo matched.
    pub word: String,
    /// Edits between `word` and the query word as typed (insertions, deletions, substitutions
    /// and swaps of two adjacent characters).
    pub edits: u8,
    /// Passages holding `term`, summed over the text, title and heading fields.
    pub doc_freq: u64,
}

/// The index's words, as far as typo tolerance and "did you mean" need them.
pub(crate) struct Vocabulary<'a> {
    searcher: &'a tantivy::Searcher,
    /// The fields a reader sees: their dictionaries hold every term a query can mean.
    fields: [Field; 3],
    /// The surface words of those fields (`words`).
    words: Field,
    /// [`Vocabulary::neighbours`] already found, by their arguments: typo tolerance and "did
    /// you mean" ask for the same words in one search.
    found: RefCell<HashMap<(String, String, u8), Vec<Neighbour>>>,
    /// [`Vocabulary::doc_freq`] already read, by term.
    freqs: RefCell<HashMap<String, u64>>,
    /// [`surface_form`] of the words already seen, as typed: each is asked for twice.
    surfaces: RefCell<HashMap<String, Option<String>>>,
}

impl<'a> Vocabulary<'a> {
    /// The vocabulary of the index `searcher` reads.
    pub(crate) fn new(searcher: &'a tantivy::Searcher, schema: &KbSchema) -> Self {
        Vocabulary {
            searcher,
            fields: [schema.text, schema.title, schema.heading],
            words: schema.words,
            found: RefCell::default(),
            freqs: RefCell::default(),
            surfaces: RefCell::default(),
        }
    }

    /// In how many passages `term` (a `kb_en` term) occurs (summed over the fields).
    pub(crate) fn doc_freq(&self, term: &str) -> tantivy::Result<u64> {
        if let Some(&n) = self.freqs.borrow().get(term) {
            return Ok(n);
        }
        let mut n = 0;
        for &field in &self.fields {
            n += self.searcher.doc_freq(&Term::from_field_text(field, term))?;
        }
        self.freqs.borrow_mut().insert(term.to_owned(), n);
        Ok(n)
    }

    /// In how many passages the word as typed (lowercased and folded) is written, as the
    /// surface-word dictionary knows it; `None` when it is not one such word.
    fn written(&self, typed: &str) -> tantivy::Result<Option<u64>> {
        let Some(word) = self.surface(typed) else { return Ok(None) };
        Ok(Some(self.searcher.doc_freq(&Term::from_field_text(self.words, &word))?))
    }

    /// [`surface_form`] of `typed`, worked out once per word.
    fn surface(&self, typed: &str) -> Option<String> {
        if let Some(word) = self.surfaces.borrow().get(typed) {
            return word.clone();
        }
        let word = surface_form(typed);
        self.surfaces.borrow_mut().insert(typed.to_owned(), word.clone());
        word
    }

    /// How many passages the index holds.
    fn passages(&self) -> u64 {
        self.searcher.num_docs()
    }

    /// The stems of the surface words at most `edits` edits from the query word `typed`, whose
    /// own term is `own` (excluded): only those at the fewest edits found, most frequent first,
    /// then alphabetical. `typed` is the word as typed; it is lowercased and folded here.
    pub(crate) fn neighbours(
        &self,
        typed: &str,
        own: &str,
        edits: u8,
    ) -> tantivy::Result<Vec<Neighbour>> {
        let key = (typed.to_owned(), own.to_owned(), edits);
        if let Some(found) = self.found.borrow().get(&key) {
            return Ok(found.clone());
        }
        let found = self.walk(typed, own, edits)?;
        self.found.borrow_mut().insert(key, found.clone());
        Ok(found)
    }

    /// [`Vocabulary::neighbours`], read from the dictionaries.
    fn walk(&self, typed: &str, own: &str, edits: u8) -> tantivy::Result<Vec<Neighbour>> {
        if edits == 0 {
            return Ok(Vec::new());
        }
        let Some(word) = self.surface(typed) else { return Ok(Vec::new()) };
        // Only the closest words are kept: a walk at 1 edit (cheap) spares the walk at 2 (far
        // larger automata, far more of the dictionary visited) whenever it finds a word.
        for distance in 1..edits {
            let found = self.walk_at(&word, own, distance)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        self.walk_at(&word, own, edits)
    }

    /// The stems of the surface words at most `edits` from `word` (lowercased and folded),
    /// `own` excluded: those at the fewest edits, most frequent first.
    fn walk_at(&self, word: &str, own: &str, edits: u8) -> tantivy::Result<Vec<Neighbour>> {
        // Surface word -> passages holding it.
        let mut found: BTreeMap<String, u64> = BTreeMap::new();
        // The automaton depends on the word only: built once, it walks every dictionary.
        let fuzzy = FuzzyTermQuery::new(Term::from_field_text(self.words, word), edits, true);
        let automaton = fuzzy.automaton()?;
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(self.words)?;
            let mut stream = inverted.terms().search(&automaton).into_stream()?;
            while stream.advance() {
                let Ok(key) = std::str::from_utf8(stream.key()) else { continue };
                if key != word {
                    *found.entry(key.to_owned()).or_default() += u64::from(stream.value().doc_freq);
                }
            }
        }
        // Stem -> (edits, surface frequency, surface word) of its best surface word.
        let mut stems: BTreeMap<String, (u8, u64, String)> = BTreeMap::new();
        for (surface, freq) in found {
            let distance = edit_distance(word, &surface);
            // The automaton counts a swap as one edit, as `edit_distance` does; this only guards
            // against a disagreement on odd input.
            if distance > edits {
                continue;
            }
            let terms = analysis::terms_with_positions(&surface);
            let [(_, stem)] = terms.as_slice() else { continue };
            if stem == own {
                continue;
            }
            let best = stems.entry(stem.clone()).or_insert((u8::MAX, 0, String::new()));
            if (distance, std::cmp::Reverse(freq)) < (best.0, std::cmp::Reverse(best.1)) {
                *best = (distance, freq, surface);
            }
        }
        let Some(fewest) = stems.values().map(|b| b.0).min() else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for (term, (edits, _, word)) in stems {
            if edits == fewest {
                let doc_freq = self.doc_freq(&term)?;
                out.push(Neighbour { term, word, edits, doc_freq });
            }
        }
        out.sort_by(|a, b| b.doc_freq.cmp(&a.doc_freq).then(a.term.cmp(&b.term)));
        Ok(out)
    }
}

/// `typed` as the surface-word dictionary holds words: lowercased and folded; `None` unless it
/// is one such word (not several, nor one with digits, a stop word or a short word).
fn surface_form(typed: &str) -> Option<String> {
    let mut analyzer = kb_schema::analyzer::surface_word_analyzer();
    let mut stream = analyzer.token_stream(typed);
    if !stream.advance() {
        return None;
    }
    let token = stream.token();
    let whole = token.offset_from == 0 && token.offset_to == typed.len();
    let word = token.text.clone();
    (whole && !stream.advance()).then_some(word)
}

/// The terms that stand in for the query word `surface` (as typed), whose analyzed term is
/// `term`: empty unless the word is missing from the index or very rare next to a close, far
/// more frequent word.
pub(crate) fn alternatives(
    vocabulary: &Vocabulary<'_>,
    term: &str,
    surface: &str,
) -> tantivy::Result<Vec<Neighbour>> {
    let edits = max_edits(surface);
    if edits == 0 {
        return Ok(Vec::new());
    }
    let doc_freq = vocabulary.doc_freq(term)?;
    if doc_freq > RARE {
        return Ok(Vec::new());
    }
    let mut close = vocabulary.neighbours(surface, term, edits)?;
    close.retain(|n| stands_in(doc_freq, n));
    close.truncate(MAX_ALTERNATIVES);
    Ok(close)
}

/// The word meant by the query word `surface` (as typed; analyzed term `term`) when the typo
/// landed on another word: `surface` is absent from the passages as written, its stem is rare
/// (in at most [`RARE_SHARE`] of the passages, or [`RARE`]) and reached only through other
/// words (`migrane` stems like `migrans`), and a word one edit away is [`FAR_MORE_MEANT`] times
/// as frequent (`migraine`). `None` otherwise, and for a word the index lacks altogether
/// (plain typo tolerance handles it).
pub(crate) fn likely_meant(
    vocabulary: &Vocabulary<'_>,
    term: &str,
    surface: &str,
) -> tantivy::Result<Option<Neighbour>> {
    let edits = max_edits(surface);
    if edits == 0 {
        return Ok(None);
    }
    let doc_freq = vocabulary.doc_freq(term)?;
    let rare = RARE.max((vocabulary.passages() as f64 * RARE_SHARE) as u64);
    if doc_freq == 0 || doc_freq > rare {
        return Ok(None);
    }
    if vocabulary.written(surface)? != Some(0) {
        return Ok(None);
    }
    let close = vocabulary.neighbours(surface, term, edits)?;
    Ok(close.into_iter().find(|n| n.edits == 1 && n.doc_freq >= FAR_MORE_MEANT * doc_freq))
}

/// Whether `neighbour` may stand in for a word found in `doc_freq` passages: always when the
/// word is missing, and when it is very rare and the neighbour far more frequent.
pub(crate) fn stands_in(doc_freq: u64, neighbour: &Neighbour) -> bool {
    doc_freq == 0 || (doc_freq <= RARE && neighbour.doc_freq >= FAR_MORE * doc_freq)
}

/// Whether a word found in `doc_freq` passages may have stand-ins at all.
pub(crate) fn may_need_stand_in(doc_freq: u64) -> bool {
    doc_freq <= RARE
}

/// The optimal string alignment distance between two words, over characters: insertions,
/// deletions, substitutions and swaps of two adjacent characters cost one edit each. Saturates
/// at 255.
pub(crate) fn edit_distance(a: &str, b: &str) -> u8 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the dynamic programme: two rows back are needed for swaps.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    u8::try_from(previous[b.len()]).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_allowed_grow_with_the_typed_length() {
        assert_eq!(max_edits("botx"), 0, "under 5 characters");
        assert_eq!(max_edits("calfs"), 1);
        assert_eq!(max_edits("funtion"), 1);
        assert_eq!(max_edits("injectons"), 2);
        assert_eq!(max_edits("neurectmy"), 2);
        assert_eq!(max_edits("covid19"), 0, "digits");
        assert_eq!(max_edits("2011"), 0);
        assert_eq!(max_edits("ünïcödé"), 1, "characters, not bytes");
    }

    #[test]
    fn typed_words_are_looked_up_lowercased_and_folded() {
        assert_eq!(surface_form("Injetcions").as_deref(), Some("injetcions"));
        assert_eq!(surface_form("Naïve").as_deref(), Some("naive"));
        assert_eq!(surface_form("covid19"), None, "digits");
        assert_eq!(surface_form("the"), None, "stop word");
        assert_eq!(surface_form("e-mail"), None, "two words");
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("funtion", "function"), 1);
        assert_eq!(edit_distance("injecton", "inject"), 2);
        assert_eq!(edit_distance("botox", "btoox"), 1);
        assert_eq!(edit_distance("calf", "calf"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("café", "cafe"), 1);
    }
}
