//! Query expansion from what kb knows about words: close spellings ([`super::typos`]) and
//! [`Synonyms`]. Both become [`Alternative`]s: extra, lower-weighted ways for a query clause
//! to match, which the query builder ORs with the clause and adds to the highlight set.
//!
//! Expansion reads the index (term frequencies, the term dictionaries), so it runs before the
//! query is built and hands the builder plain data: building stays a pure function.

use super::synonyms::{Synonyms, SYNONYM_BOOST};
use super::typos::{self, Vocabulary, TYPO_BOOST};
use crate::analysis;
use crate::parse::{ParsedQuery, Presence, Scope, Target};

/// The least share of [`TYPO_BOOST`] a close word gets, however rare next to the most
/// frequent one.
const MIN_SHARE: f32 = 0.05;

/// Another way for (part of) a query to match.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alternative {
    /// Analyzed terms with relative positions: one term, or a phrase.
    pub terms: Vec<(usize, String)>,
    /// Its weight relative to the words as typed.
    pub boost: f32,
    /// What it is, for `--explain`: `typo "injetcions" ~ injections (1 edit): inject`,
    /// `synonym "botox" = "botulinum toxin"`.
    pub label: String,
    /// Whether it is a close spelling (typo tolerance) rather than a synonym.
    pub typo: bool,
}

/// The alternatives of a whole query.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Alternatives {
    /// Alternatives of one clause, by clause index: they match in its place (a `+required`
    /// word is satisfied by its synonym).
    pub per_clause: Vec<Vec<Alternative>>,
    /// Alternatives of several clauses together (a multi-word synonym typed as plain words):
    /// optional extras.
    pub spanning: Vec<Alternative>,
    /// Clauses whose word as typed counts less than its alternative: a typo that landed on a
    /// rare word, next to the far more frequent word meant (see
    /// [`super::typos::likely_meant`]). Their own match is weighted [`TYPO_BOOST`].
    pub demoted: Vec<usize>,
}

impl Alternatives {
    /// The alternatives of clause `i`.
    pub(crate) fn of_clause(&self, i: usize) -> &[Alternative] {
        self.per_clause.get(i).map_or(&[], Vec::as_slice)
    }

    /// The weight of clause `i`'s own words: [`TYPO_BOOST`] when a likelier word stands in
    /// for it, else 1.
    pub(crate) fn own_weight(&self, i: usize) -> f32 {
        if self.demoted.contains(&i) {
            TYPO_BOOST
        } else {
            1.0
        }
    }

    /// Whether `term` stands in for a typed word through typo tolerance.
    pub(crate) fn is_typo_term(&self, term: &str) -> bool {
        self.per_clause.iter().flatten().any(|a| a.typo && a.terms.iter().any(|(_, t)| t == term))
    }

    /// Whether there are none.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.spanning.is_empty() && self.per_clause.iter().all(Vec::is_empty)
    }

    fn push(&mut self, clause: usize, alternative: Alternative) {
        if self.per_clause.len() <= clause {
            self.per_clause.resize_with(clause + 1, Vec::new);
        }
        let list = &mut self.per_clause[clause];
        if !list.iter().any(|a| a.terms == alternative.terms) {
            list.push(alternative);
        }
    }
}

/// A clause that can be expanded: a word or phrase searched everywhere, not excluded.
struct Expandable<'q> {
    clause: usize,
    text: &'q str,
    is_word: bool,
    terms: Vec<String>,
}

/// The alternatives for `parsed`: synonyms of its words and phrases (when `synonyms` is
/// given), and close spellings of words the index lacks (when `vocabulary` is given).
pub(crate) fn alternatives(
    parsed: &ParsedQuery,
    vocabulary: Option<&Vocabulary<'_>>,
    synonyms: Option<&Synonyms>,
) -> tantivy::Result<Alternatives> {
    let mut out = Alternatives::default();
    let clauses: Vec<Expandable<'_>> = parsed
        .clauses
        .iter()
        .enumerate()
        .filter(|(_, c)| c.presence != Presence::Excluded)
        .filter_map(|(clause, c)| match &c.target {
            Target::Word { text, scope: Scope::All } => Some((clause, text.as_str(), true)),
            Target::Phrase { text, scope: Scope::All } => Some((clause, text.as_str(), false)),
            _ => None,
        })
        .map(|(clause, text, is_word)| Expandable {
            clause,
            text,
            is_word,
            terms: analysis::terms_with_positions(text).into_iter().map(|(_, t)| t).collect(),
        })
        .filter(|c| !c.terms.is_empty())
        .collect();

    let mut has_synonym = vec![false; clauses.len()];
    if let Some(synonyms) = synonyms {
        for span in synonym_spans(&clauses, synonyms) {
            let (first, last) = (span.first, span.last);
            for alternative in span.alternatives {
                if first == last {
                    out.push(clauses[first].clause, alternative);
                } else if !out.spanning.iter().any(|a| a.terms == alternative.terms) {
                    out.spanning.push(alternative);
                }
            }
            has_synonym[first..=last].iter_mut().for_each(|h| *h = true);
        }
    }

    if let Some(vocabulary) = vocabulary {
        for (i, c) in clauses.iter().enumerate() {
            // A word with a synonym is understood; a phrase or a word of several terms
            // ("e-mail") is taken as typed.
            if has_synonym[i] || !c.is_word || c.terms.len() != 1 {
                continue;
            }
            if let Some(n) = typos::likely_meant(vocabulary, &c.terms[0], c.text)? {
                // The word meant ranks above the rare word the typo landed on.
                let label = format!("likely meant: {:?} ~ {} (1 edit): {}", c.text, n.word, n.term);
                let terms = vec![(0, n.term)];
                out.push(c.clause, Alternative { terms, boost: 1.0, label, typo: true });
                out.demoted.push(c.clause);
                continue;
            }
            let close = typos::alternatives(vocabulary, &c.terms[0], c.text)?;
            let most = close.iter().map(|n| n.doc_freq).max().unwrap_or(1).max(1);
            for n in close {
                // Equally close words are not equally likely meant: each counts by its
                // frequency next to the most frequent one's, so that a rare word one edit away
                // ("refsum" for "refsux") does not outrank the common one ("reflux") on its
                // higher IDF.
                let boost = TYPO_BOOST * (n.doc_freq as f32 / most as f32).max(MIN_SHARE);
                let edits =
                    if n.edits == 1 { "1 edit".to_owned() } else { format!("{} edits", n.edits) };
                // What the typo matched, and the stem searched for it.
                let label = format!("typo {:?} ~ {} ({edits}): {}", c.text, n.word, n.term);
                let terms = vec![(0, n.term)];
                out.push(c.clause, Alternative { terms, boost, label, typo: true });
            }
        }
    }
    Ok(out)
}

/// Consecutive expandable clauses (`first..=last`) that spell a synonym member, and the other
/// members of its group.
struct SynonymSpan {
    first: usize,
    last: usize,
    alternatives: Vec<Alternative>,
}

fn synonym_spans(clauses: &[Expandable<'_>], synonyms: &Synonyms) -> Vec<SynonymSpan> {
    let mut spans = Vec::new();
    for group in synonyms.groups() {
        let mut found: Vec<SynonymSpan> = Vec::new();
        for (m, member) in group.iter().enumerate() {
            let wanted: Vec<&str> = member.term_list().collect();
            for first in 0..clauses.len() {
                let Some(last) = spelled_from(clauses, first, &wanted) else { continue };
                let typed: Vec<&str> = clauses[first..=last].iter().map(|c| c.text).collect();
                let alternatives = group
                    .iter()
                    .enumerate()
                    .filter(|&(o, _)| o != m)
                    .map(|(_, other)| Alternative {
                        terms: other.terms.clone(),
                        // A phrase's BM25 weight is the sum of its words': divided through, a
                        // synonym counts like one word, a little below a word as typed.
                        boost: SYNONYM_BOOST / other.terms.len() as f32,
                        label: format!("synonym {:?} = {:?}", typed.join(" "), other.text),
                        typo: false,
                    })
                    .collect();
                found.push(SynonymSpan { first, last, alternatives });
            }
        }
        // The longest spelling wins: "botulinum toxin" typed, with both "botulinum" and
        // "botulinum toxin" members in the group, is the two-word member only.
        let longest: Vec<(usize, usize)> = found.iter().map(|s| (s.first, s.last)).collect();
        found.retain(|s| {
            !longest.iter().any(|&(first, last)| {
                first <= s.first && s.last <= last && (first, last) != (s.first, s.last)
            })
        });
        spans.extend(found);
    }
    spans
}

/// If the terms of clauses `first..` start with exactly `wanted` (whole clauses only; a span
/// of several clauses only of plain words), the last clause of the span.
fn spelled_from(clauses: &[Expandable<'_>], first: usize, wanted: &[&str]) -> Option<usize> {
    let mut at = 0;
    for (i, c) in clauses.iter().enumerate().skip(first) {
        let rest = &wanted[at..];
        if c.terms.len() > rest.len() || !c.terms.iter().zip(rest).all(|(a, b)| a == b) {
            return None;
        }
        if i > first && !(c.is_word && clauses[first].is_word) {
            return None;
        }
        at += c.terms.len();
        if at == wanted.len() {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn synonyms() -> Synonyms {
        Synonyms::parse("botox, botulinum toxin\nneurectomy, nerve removal\n")
    }

    fn labels(alternatives: &[Alternative]) -> Vec<&str> {
        alternatives.iter().map(|a| a.label.as_str()).collect()
    }

    #[test]
    fn a_word_gets_the_other_members_of_its_group() {
        let alt = alternatives(&parse("Botox results"), None, Some(&synonyms())).unwrap();
        assert_eq!(labels(alt.of_clause(0)), [r#"synonym "Botox" = "botulinum toxin""#]);
        assert_eq!(
            alt.of_clause(0)[0].terms,
            [(0, "botulinum".to_owned()), (1, "toxin".to_owned())]
        );
        assert!(alt.of_clause(1).is_empty() && alt.spanning.is_empty());
    }

    #[test]
    fn a_phrase_or_words_in_a_row_match_a_multi_word_member() {
        let quoted = alternatives(&parse("\"botulinum toxins\""), None, Some(&synonyms())).unwrap();
        assert_eq!(quoted.of_clause(0)[0].terms, [(0, "botox".to_owned())]);
        let words = alternatives(&parse("nerve removal risks"), None, Some(&synonyms())).unwrap();
        let nested = Synonyms::parse("botox, botulinum toxin, botulinum");
        let longest = alternatives(&parse("botulinum toxin"), None, Some(&nested)).unwrap();
        assert!(longest.per_clause.iter().all(Vec::is_empty), "{longest:?}");
        assert_eq!(
            labels(&longest.spanning),
            [
                r#"synonym "botulinum toxin" = "botox""#,
                r#"synonym "botulinum toxin" = "botulinum""#
            ]
        );
        assert_eq!(labels(&words.spanning), [r#"synonym "nerve removal" = "neurectomy""#]);
        assert!(words.per_clause.iter().all(Vec::is_empty));
        // Not in a row, or excluded: no match.
        let apart = alternatives(&parse("nerve the risks removal"), None, Some(&synonyms()));
        assert!(apart.unwrap().is_empty());
        let excluded = alternatives(&parse("-botox calf"), None, Some(&synonyms())).unwrap();
        assert!(excluded.is_empty());
    }
}
