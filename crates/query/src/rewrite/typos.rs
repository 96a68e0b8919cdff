//! Typo tolerance: which indexed terms are close to a query word that the index lacks.
//!
//! tantivy's `FuzzyTermQuery` matches close terms but never says which ones, so its matches
//! cannot be highlighted (and a fuzzy query scores every expanded term alike). kb expands the
//! word itself instead: the Levenshtein automaton of `FuzzyTermQuery::automaton` streams the
//! close terms out of each segment's term dictionaries, and the query builder searches them as
//! extra, low-weighted alternatives of the word (see [`super::alternatives`]), which the highlighter
//! then lights like any other term.
//!
//! Only words the index does not know, or knows barely next to a close and far more frequent
//! word, are expanded: an ordinary query never pays for a dictionary scan. How far a word may
//! be from its expansions depends on its length as typed ([`max_edits`]): short words and
//! numbers are never expanded, as nearly every short word is one edit away from another.

use std::collections::BTreeMap;

use kb_schema::KbSchema;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::Term;

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

/// The most edits allowed between a query word, as typed, and a term standing in for it:
/// none for words under 5 characters and for anything with a digit (ids, years, doses), 1 for
/// 5 to 8 characters, 2 from 9 on.
pub fn max_edits(word: &str) -> u8 {
    if word.chars().any(|c| c.is_numeric()) {
        return 0;
    }
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// An indexed term close to a query term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Neighbour {
    /// The indexed term (analyzed: lowercased, stemmed).
    pub term: String,
    /// Edits between it and the query term (insertions, deletions, substitutions and swaps of
    /// two adjacent characters).
    pub edits: u8,
    /// Passages holding it, summed over the text, title and heading fields.
    pub doc_freq: u64,
}

/// The index's terms, as far as typo tolerance and "did you mean" need them.
pub(crate) struct Vocabulary<'a> {
    searcher: &'a tantivy::Searcher,
    /// The fields a reader sees: their dictionaries hold every word a query can mean.
    fields: [Field; 3],
}

impl<'a> Vocabulary<'a> {
    /// The vocabulary of the index `searcher` reads.
    pub(crate) fn new(searcher: &'a tantivy::Searcher, schema: &KbSchema) -> Self {
        Vocabulary { searcher, fields: [schema.text, schema.title, schema.heading] }
    }

    /// In how many passages `term` occurs (summed over the fields).
    pub(crate) fn doc_freq(&self, term: &str) -> tantivy::Result<u64> {
        let mut n = 0;
        for &field in &self.fields {
            n += self.searcher.doc_freq(&Term::from_field_text(field, term))?;
        }
        Ok(n)
    }

    /// Indexed terms at most `edits` edits from `term` (itself excluded), closest first, then
    /// most frequent, then alphabetical.
    pub(crate) fn neighbours(&self, term: &str, edits: u8) -> tantivy::Result<Vec<Neighbour>> {
        if edits == 0 || term.is_empty() {
            return Ok(Vec::new());
        }
        let mut found: BTreeMap<String, u64> = BTreeMap::new();
        // The automaton depends on the term only: built once, it walks every dictionary.
        let fuzzy = FuzzyTermQuery::new(Term::from_field_text(self.fields[0], term), edits, true);
        let automaton = fuzzy.automaton()?;
        for &field in &self.fields {
            for segment in self.searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().search(&automaton).into_stream()?;
                while stream.advance() {
                    let Ok(key) = std::str::from_utf8(stream.key()) else { continue };
                    if key != term {
                        *found.entry(key.to_owned()).or_default() +=
                            u64::from(stream.value().doc_freq);
                    }
                }
            }
        }
        let mut out: Vec<Neighbour> = found
            .into_iter()
            .map(|(t, doc_freq)| Neighbour { edits: edit_distance(term, &t), term: t, doc_freq })
            // The automaton counts a swap as one edit, as `edit_distance` does; the filter only
            // guards against a disagreement on odd input.
            .filter(|n| n.edits <= edits)
            .collect();
        out.sort_by(|a, b| {
            a.edits.cmp(&b.edits).then(b.doc_freq.cmp(&a.doc_freq)).then(a.term.cmp(&b.term))
        });
        Ok(out)
    }
}

/// The terms that stand in for the query word `surface` (as typed), whose analyzed term is
/// `term`: empty unless the word is missing from the index or very rare next to a close, far
/// more frequent term.
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
    let mut close = vocabulary.neighbours(term, edits)?;
    close.retain(|n| stands_in(doc_freq, n));
    close.truncate(MAX_ALTERNATIVES);
    Ok(close)
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
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("funtion", "function"), 1);
        assert_eq!(edit_distance("injecton", "inject"), 2);
        assert_eq!(edit_distance("botox", "btoox"), 1);
        assert_eq!(edit_distance("calf", "calf"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("café", "cafe"), 1);
    }
}
