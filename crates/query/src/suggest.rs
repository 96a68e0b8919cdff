//! "Did you mean": a corrected query when a query word matches nothing as typed.
//!
//! Each query word the index lacks is replaced by the closest word of the passages as written
//! (the surface words typo tolerance matches against, see [`crate::rewrite::typos`]), the most
//! frequent among equally close ones; so is a word the index has barely, next to a close and
//! far more frequent word, when the whole query found little, and always a typo that landed on
//! a rare word next to the far more frequent word meant ([`typos::likely_meant`]), which the
//! search already ranked first.

use crate::analysis;
use crate::parse::{ParsedQuery, Presence, Target};
use crate::rewrite::typos::{self, Vocabulary};

/// A word the index has barely gets a suggestion only when fewer passages than this matched.
pub(crate) const FEW: usize = 3;

/// The most edits between a typed word and its suggested correction. A little more generous
/// than typo tolerance (a 4-letter word may get one edit): a suggestion is only shown, never
/// searched.
fn max_edits(word: &str) -> u8 {
    typos::edits_for(word, 4)
}

/// The corrected query for `query` (parsed as `parsed`), which found `total` passages, or
/// `None` when no word needs or has a correction.
pub(crate) fn did_you_mean(
    query: &str,
    parsed: &ParsedQuery,
    vocabulary: &Vocabulary<'_>,
    total: usize,
) -> tantivy::Result<Option<String>> {
    let mut out = String::with_capacity(query.len() + 8);
    let mut rest = 0;
    let mut changed = false;
    for clause in &parsed.clauses {
        let (text, is_word) = match &clause.target {
            Target::Word { text, .. } => (text.as_str(), true),
            Target::Phrase { text, .. } | Target::Doc(text) => (text.as_str(), false),
            Target::Kind(_) => continue,
        };
        // Clauses come in query order: find this one's text after the previous one's.
        let Some(at) = query[rest..].find(text).map(|i| rest + i) else { continue };
        let end = at + text.len();
        if is_word && clause.presence != Presence::Excluded {
            if let Some(correction) = correct(text, vocabulary, total)? {
                out.push_str(&query[rest..at]);
                out.push_str(&match_case(text, &correction));
                rest = end;
                changed = true;
                continue;
            }
        }
        out.push_str(&query[rest..end]);
        rest = end;
    }
    out.push_str(&query[rest..]);
    Ok(changed.then_some(out))
}

/// The correction of one typed word, if it needs one and one is close enough: always for a
/// word that matches nothing, for a very rare one only when the query found fewer than
/// [`FEW`] passages.
fn correct(
    word: &str,
    vocabulary: &Vocabulary<'_>,
    total: usize,
) -> tantivy::Result<Option<String>> {
    let edits = max_edits(word);
    let terms = analysis::terms_with_positions(word);
    let [(_, term)] = terms.as_slice() else { return Ok(None) };
    if edits == 0 {
        return Ok(None);
    }
    // A typo that landed on a rare word is searched as the word meant: say so, always.
    if let Some(meant) = typos::likely_meant(vocabulary, term, word)? {
        return Ok(Some(meant.word));
    }
    let doc_freq = vocabulary.doc_freq(term)?;
    if !typos::may_need_stand_in(doc_freq) || (doc_freq > 0 && total >= FEW) {
        return Ok(None);
    }
    let best = vocabulary
        .neighbours(word, term, edits)?
        .into_iter()
        .find(|n| typos::stands_in(doc_freq, n));
    Ok(best.map(|n| n.word))
}

/// `correction` written like `typed`: all capitals, a capital first, or as is.
fn match_case(typed: &str, correction: &str) -> String {
    let letters: Vec<char> = typed.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        return correction.to_uppercase();
    }
    if letters.first().is_some_and(|c| c.is_uppercase()) {
        let mut chars = correction.chars();
        if let Some(first) = chars.next() {
            return first.to_uppercase().chain(chars).collect();
        }
    }
    correction.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_allow_an_edit_from_four_letters() {
        assert_eq!(max_edits("botx"), 1);
        assert_eq!(max_edits("cal"), 0);
        assert_eq!(max_edits("neurectmy"), 2);
        assert_eq!(max_edits("b12x"), 0);
    }

    #[test]
    fn corrections_keep_the_typed_case() {
        assert_eq!(match_case("Botx", "botox"), "Botox");
        assert_eq!(match_case("BOTX", "botox"), "BOTOX");
        assert_eq!(match_case("botx", "botox"), "botox");
    }
}
