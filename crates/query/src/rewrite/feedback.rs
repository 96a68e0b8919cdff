//! Pseudo-relevance feedback (RM3): the words of the best first-pass passages, added to the
//! query.
//!
//! Short queries often miss relevant passages that use other words for the same thing ("heart
//! attack" vs "myocardial infarction"). RM3 assumes the top few passages of a first search are
//! relevant, builds a term distribution from them (each passage's term frequencies, normalised by
//! its length and weighted by its share of the first-pass score) and searches again with the
//! query mixed with the most likely terms of that distribution. The mix gives the original query
//! `1 - weight` of the total and the expansion `weight` ([`Feedback::weight`]).
//!
//! Measured with `kb eval` (nDCG@10; tuned on SciFact train and NFCorpus dev, then run once on
//! the test splits), 10 passages, 10 terms and a weight of 0.1 lift NFCorpus clearly and SciFact a
//! little: see the README's ranking table. Larger weights help NFCorpus's short queries more but
//! start to hurt SciFact's long claims, so the default stays conservative.

use std::collections::HashMap;

use tantivy::DocAddress;

use super::Alternatives;
use crate::analysis;
use crate::error::QueryError;
use crate::options::{Feedback, SearchOptions};
use crate::parse::{ParsedQuery, Presence, Scope, Target};
use crate::snapshot::Snapshot;

/// How much of each feedback passage is read for expansion words.
const FEEDBACK_TEXT_BYTES: usize = 4000;

/// The `k` best passages of a query, best first, for any `k`.
pub(crate) type Ranker<'a> = &'a dyn Fn(usize) -> tantivy::Result<Vec<(f32, DocAddress)>>;

/// What feedback's first pass found.
#[derive(Debug, Default)]
pub(crate) struct FirstPass {
    /// The words to add to the query (analyzed), with their boosts; empty when feedback did
    /// not run or found nothing. Typo stand-ins are left out: they gain no weight through
    /// feedback, so that matches as typed stay above near misses.
    pub expansion: Vec<(String, f32)>,
    /// The best passages the pass read, best first, when a later stage asked for them
    /// (`also_read` of [`first_pass`]), and whether they are all the passages the query
    /// matches.
    pub best: Option<(Vec<(f32, DocAddress)>, bool)>,
}

impl FirstPass {
    /// [`FirstPass::best`], borrowed.
    pub(crate) fn best(&self) -> Option<(&[(f32, DocAddress)], bool)> {
        self.best.as_ref().map(|(best, all)| (best.as_slice(), *all))
    }
}

/// Feedback for `parsed`, whose `k` best passages `top(k)` ranks: a first pass over the index,
/// whose best passages give the [`expansion`] words. Only plain-word queries are expanded (see
/// [`is_plain`]), and only when `opts` turn feedback on, the query has few enough terms and
/// the index enough passages. `also_read`: the pass reads at least this many passages, for a
/// later stage ([`FirstPass::best`]).
pub(crate) fn first_pass(
    snapshot: &Snapshot,
    parsed: &ParsedQuery,
    top: Option<Ranker<'_>>,
    alternatives: &Alternatives,
    opts: &SearchOptions,
    also_read: Option<usize>,
) -> Result<FirstPass, QueryError> {
    let Some(top) = top.filter(|_| is_plain(parsed)) else {
        return Ok(FirstPass::default());
    };
    let query_terms = query_terms(parsed);
    let fb = &opts.feedback;
    if !fb.is_on()
        || query_terms == 0
        || query_terms > fb.max_query_terms
        || snapshot.searcher.num_docs() < fb.min_index_passages
    {
        return Ok(FirstPass::default());
    }
    let fetch = also_read.map_or(fb.passages, |n| fb.passages.max(n));
    let mut top = top(fetch).map_err(|e| snapshot.error(e))?;
    let best = also_read.map(|_| (top.clone(), top.len() < fetch));
    top.truncate(fb.passages);
    let mut passages = Vec::with_capacity(top.len());
    for (score, address) in top {
        let p = snapshot.load(address)?;
        // The start of a long passage says what it is about; analyzing all of it (MedQuAD
        // answers run to pages) would cost more than the rest of the search.
        let text = &p.text[..floor_char_boundary(&p.text, FEEDBACK_TEXT_BYTES)];
        passages.push((score, format!("{}\n{}", p.doc_title, text)));
    }
    let mut expansion = expansion(&passages, query_terms, fb);
    expansion.retain(|(term, _)| !alternatives.is_typo_term(term));
    Ok(FirstPass { expansion, best })
}

/// The largest char boundary of `text` at or before `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// How many analyzed terms the query's own words have (typo and synonym alternatives aside).
fn query_terms(parsed: &ParsedQuery) -> usize {
    parsed
        .clauses
        .iter()
        .map(|c| match &c.target {
            Target::Word { text, .. } | Target::Phrase { text, .. } => {
                analysis::terms_with_positions(text).len()
            }
            Target::Kind(_) | Target::Doc(_) => 0,
        })
        .sum()
}

/// Whether a query is plain words (and filters): no phrase, no required, excluded or
/// field-scoped word. Only such queries get feedback terms: a query with constraints says
/// exactly what the passages must contain, and related words must not bend that.
fn is_plain(parsed: &ParsedQuery) -> bool {
    parsed.clauses.iter().all(|c| match &c.target {
        Target::Word { scope, .. } => c.presence == Presence::Optional && *scope == Scope::All,
        Target::Phrase { .. } => false,
        Target::Kind(_) | Target::Doc(_) => c.presence != Presence::Excluded,
    })
}

/// The expansion terms for a query, with the boost each gets relative to an original query term
/// (which scores with a boost of 1).
///
/// `passages` are the first pass's best passages as `(score, text)`, best first; `query_terms` is
/// the number of analyzed terms in the original query.
pub(crate) fn expansion(
    passages: &[(f32, String)],
    query_terms: usize,
    feedback: &Feedback,
) -> Vec<(String, f32)> {
    let total: f32 = passages.iter().map(|(score, _)| score.max(0.0)).sum();
    if query_terms == 0 || total <= 0.0 || feedback.weight <= 0.0 || feedback.weight >= 1.0 {
        return Vec::new();
    }
    // Terms are numbered as they are met: `weights` and `counts` are indexed by number.
    let mut numbers: HashMap<String, usize> = HashMap::new();
    let mut terms: Vec<String> = Vec::new();
    let mut weights: Vec<f32> = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    let mut in_passage: Vec<usize> = Vec::new();
    for (score, text) in passages {
        let mut length = 0u32;
        in_passage.clear();
        analysis::for_each_term_once(
            text,
            |term| match numbers.get(term) {
                Some(&n) => n,
                None => {
                    numbers.insert(term.to_owned(), terms.len());
                    terms.push(term.to_owned());
                    terms.len() - 1
                }
            },
            |_, n| {
                if n >= counts.len() {
                    counts.resize(n + 1, 0);
                }
                if counts[n] == 0 {
                    in_passage.push(n);
                }
                counts[n] += 1;
                length += 1;
            },
        );
        if length == 0 {
            continue;
        }
        weights.resize(terms.len(), 0.0);
        let share = score.max(0.0) / total;
        for &n in &in_passage {
            let tf = std::mem::take(&mut counts[n]);
            weights[n] += share * tf as f32 / length as f32;
        }
    }
    best_scaled(terms.into_iter().zip(weights).collect(), query_terms, feedback)
}

/// The [`Feedback::terms`] heaviest of `weights` (term, weight under the feedback model), as
/// boosts relative to an original query term.
fn best_scaled(
    mut ranked: Vec<(String, f32)>,
    query_terms: usize,
    feedback: &Feedback,
) -> Vec<(String, f32)> {
    // Ties broken by term so the expansion (and so the ranking) is deterministic.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(feedback.terms);
    let mass: f32 = ranked.iter().map(|(_, w)| w).sum();
    if mass <= 0.0 {
        return Vec::new();
    }
    // Original terms weigh (1 - weight) / query_terms each, expansion terms weight * w / mass;
    // divided through so that an original term's boost is 1.
    let scale = feedback.weight / (1.0 - feedback.weight) * query_terms as f32 / mass;
    ranked.into_iter().map(|(term, w)| (term, w * scale)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feedback() -> Feedback {
        Feedback { terms: 3, weight: 0.1, ..Feedback::default() }
    }

    #[test]
    fn the_most_likely_terms_of_the_best_passages_come_first() {
        let passages = vec![
            (3.0, "Statins lower cholesterol. Statins protect the heart.".to_owned()),
            (1.0, "Cholesterol in eggs and statins.".to_owned()),
        ];
        let terms = expansion(&passages, 2, &feedback());
        let names: Vec<&str> = terms.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(names, ["statin", "cholesterol", "heart"]);
        assert!(terms.windows(2).all(|w| w[0].1 >= w[1].1));
        // The expansion as a whole weighs weight / (1 - weight) of the original query.
        let total: f32 = terms.iter().map(|(_, w)| w).sum();
        assert!((total - 0.1 / 0.9 * 2.0).abs() < 1e-4, "{total}");
    }

    /// The term weights as they were computed before terms were numbered and each passage's
    /// words analyzed once: the new ones must give the same terms and the same boosts.
    fn reference(
        passages: &[(f32, String)],
        query_terms: usize,
        feedback: &Feedback,
    ) -> Vec<(String, f32)> {
        let total: f32 = passages.iter().map(|(score, _)| score.max(0.0)).sum();
        if query_terms == 0 || total <= 0.0 || feedback.weight <= 0.0 || feedback.weight >= 1.0 {
            return Vec::new();
        }
        let mut weights: HashMap<String, f32> = HashMap::new();
        for (score, text) in passages {
            let mut counts: HashMap<String, u32> = HashMap::new();
            let mut length = 0u32;
            analysis::for_each_token(text, |t| {
                *counts.entry(t.text.clone()).or_default() += 1;
                length += 1;
            });
            if length == 0 {
                continue;
            }
            let share = score.max(0.0) / total;
            for (term, tf) in counts {
                *weights.entry(term).or_default() += share * tf as f32 / length as f32;
            }
        }
        best_scaled(weights.into_iter().collect(), query_terms, feedback)
    }

    #[test]
    fn same_as_the_reference() {
        let texts = [
            "Statins lower cholesterol. Statins protect the heart.",
            "Cholesterol in eggs and statins; the heart's arteries, heart attacks.",
            "the of and",
            "",
            "Calves and calf muscles: nerve block, nerve damage, Botox injections in calves.",
            "Naïve café owners, naive cafés: 東京 東京 e-mail U.S.A 3.14 running runs ran.",
            "Key Points\n - Adult acute lymphoblastic leukemia (ALL) is a type of cancer in \
             which the bone marrow makes too many lymphocytes (a type of white blood cell).",
        ];
        let mut seed = 3u64;
        for n in 0..200 {
            let mut passages = Vec::new();
            for i in 0..(n % 12) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let a = texts[(seed >> 33) as usize % texts.len()];
                let b = texts[(seed >> 40) as usize % texts.len()];
                let score = ((seed >> 20) % 1000) as f32 / 97.0 - (i % 5) as f32 * 0.01;
                passages.push((score, format!("{a}\n{b} {a}")));
            }
            for terms in [1, 3, 10, 40] {
                let fb = Feedback { terms, weight: 0.2, ..Feedback::default() };
                for query_terms in [1, 4] {
                    let ours = expansion(&passages, query_terms, &fb);
                    assert_eq!(ours, reference(&passages, query_terms, &fb), "{passages:?}");
                }
            }
        }
    }

    #[test]
    fn nothing_to_expand_from_gives_nothing() {
        assert!(expansion(&[], 2, &feedback()).is_empty());
        assert!(expansion(&[(0.0, "words".into())], 2, &feedback()).is_empty());
        assert!(expansion(&[(1.0, "the of and".into())], 2, &feedback()).is_empty());
        let off = Feedback { weight: 0.0, ..feedback() };
        assert!(expansion(&[(1.0, "statins".into())], 2, &off).is_empty());
    }
}
