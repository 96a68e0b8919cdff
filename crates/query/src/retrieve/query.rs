//! The query a search runs: [`ParsedQuery`] (with its rewrites) -> [`Plan`]: the tantivy query
//! and the [`MatchSet`] to highlight.
//!
//! Words and phrases are analyzed with the `kb_en` analyzer, exactly as the index was, and
//! turned into queries by hand (no `QueryParser`), so that every scoring choice is made here:
//!
//! - a term (or a phrase: a word like `e-mail` that analyzes to several terms is one too) is
//!   searched in the passage text and its context fields, each BM25 score times its
//!   [`FieldWeights`] weight, combined as a best-field disjunction;
//! - optional clauses: at least one must match and each one matching adds to the score;
//!   `+required` clauses must all match (the optional ones then only add to the score);
//! - `-excluded` clauses remove passages whose text, title or heading match (the hidden context
//!   field does not count: a passage is not dropped for words the reader cannot see); they are
//!   wrapped in [`Exclusion`] to work around a tantivy bug with excluded phrases;
//! - field filters (`kind:`, `doc:`) must match and do not score.
//!
//! A query whose words are all stop words has no term in the `kb_en` fields: it becomes a
//! phrase (or a term, for one word) in the passage text's `stop_words` field, which holds the
//! words `kb_en` drops at their positions, ranked by that phrase's BM25 and highlighted as the
//! words typed, in a row.
//!
//! Beside that query, a plan of words (no phrase) carries its [`Flat`] form: every term it
//! scores, in every field, at the weight it gets there. Their sum is never below the query's
//! own score (a best-field disjunction with a tie-breaker of at most 1 scores at most the sum
//! of its fields); [`super::prune`] reads a lower bound of the total from their dictionaries.
//! A plan of optional words and phrases, with at most `kind:`/`doc:` filters, also carries its
//! [`Sum`]: the same score as a sum of best-field disjunctions of terms or phrases, which
//! [`super::maxscore`] evaluates itself to skip passages that cannot make the top.

use kb_schema::KbSchema;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery,
    Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Term};
use unicode_segmentation::UnicodeSegmentation;

use super::exclude::Exclusion;
use super::explain;
use super::labelled::Labelled;
use crate::analysis;
use crate::explanation::Explanation;
use crate::matches::MatchSet;
use crate::options::FieldWeights;
use crate::parse::{ParsedQuery, Presence, Scope, Target};
use crate::rewrite::{Alternative, Alternatives};

/// How to answer a query.
pub(crate) enum Plan {
    /// Run `query` on the index and rank by its score.
    Index {
        /// The query.
        query: Box<dyn Query>,
        /// What to highlight in the hits.
        matches: MatchSet,
        /// The query's flat form, when it has one (see [`Flat`]).
        flat: Option<Flat>,
        /// The query's score as a sum of units, when it has one (see [`Sum`]).
        sum: Option<Sum>,
    },
    /// Nothing to search for (only punctuation, say).
    Nothing,
}

/// What a plan that matches nothing lights up.
static NOTHING: MatchSet = MatchSet { terms: Vec::new(), sequences: Vec::new() };

/// The terms a plan scores, in every field, at the weight they get there: what a flat sum of
/// term queries bounding the plan's score from above would sum (see the module docs).
pub(crate) struct Flat {
    /// The terms.
    pub terms: Vec<Term>,
    /// Whether the plan matches exactly the passages that hold one of `terms` (only optional
    /// words: no required word, filter or exclusion), so that any term's passages are a lower
    /// bound of its matches.
    pub union: bool,
}

/// A plan's score as kb's own code can compute it: a sum over units, in the query's order,
/// each unit one term's (or phrase's) best-field disjunction (`max + tie_breaker × (sum −
/// max)` over the fields that hold it) of its BM25 scores, each field's at its whole boost (the
/// clause's and the field's, multiplied as tantivy multiplies them); a passage must hold one
/// unit and every filter term. This is exactly the score of the plan's query, up to the order
/// of the float additions.
pub(crate) struct Sum {
    /// The units: each one term or phrase in its fields, with the boost it gets there.
    pub units: Vec<Vec<(Part, f32)>>,
    /// The best-field disjunctions' tie-breaker.
    pub tie_breaker: f32,
    /// Terms of untokenized fields (`kind:`, `doc:`) every match must hold; they do not score.
    pub filters: Vec<Term>,
}

/// What one field of a [`Sum`]'s unit searches.
pub(crate) enum Part {
    /// A term.
    Term(Term),
    /// Terms at relative positions.
    Phrase(Vec<(usize, Term)>),
}

impl Plan {
    /// The query's flat form (see [`Flat`]), for a plan that has one.
    pub(crate) fn flat(&self) -> Option<&Flat> {
        match self {
            Plan::Index { flat, .. } => flat.as_ref(),
            Plan::Nothing => None,
        }
    }

    /// The query's score as a [`Sum`], for a plan that has one.
    pub(crate) fn sum(&self) -> Option<&Sum> {
        match self {
            Plan::Index { sum, .. } => sum.as_ref(),
            Plan::Nothing => None,
        }
    }

    /// The query to rank by, for a plan that runs one.
    pub(crate) fn query(&self) -> Option<&dyn Query> {
        match self {
            Plan::Index { query, .. } => Some(query.as_ref()),
            Plan::Nothing => None,
        }
    }

    /// What to highlight in the hits.
    pub(crate) fn matches(&self) -> &MatchSet {
        match self {
            Plan::Index { matches, .. } => matches,
            Plan::Nothing => &NOTHING,
        }
    }

    /// Retrieval's part of the explanation of the hit at `address`, whose score retrieval
    /// made `score`.
    pub(crate) fn explain(
        &self,
        searcher: &tantivy::Searcher,
        address: DocAddress,
        score: f32,
    ) -> tantivy::Result<Explanation> {
        match self {
            Plan::Index { query, .. } => explain::of_match(searcher, query.as_ref(), address),
            // No hits to explain.
            Plan::Nothing => Ok(Explanation::leaf(score, "nothing searched")),
        }
    }
}

/// Builds [`Plan`]s for one index schema and set of field weights.
pub(crate) struct QueryBuilder<'a> {
    schema: &'a KbSchema,
    weights: &'a FieldWeights,
    /// Terms added by pseudo-relevance feedback, with their boosts: optional, searched in all
    /// fields like a query word, never highlighted.
    expansion: &'a [(String, f32)],
    /// Typo and synonym alternatives of the query's clauses (see [`crate::rewrite`]).
    alternatives: Option<&'a Alternatives>,
    /// Whether to wrap the parts of the query in [`Labelled`] queries for explanations.
    labels: bool,
}

/// One analyzed unit of a query: a term, or terms at relative positions (a phrase).
enum Unit {
    Term(String),
    Phrase(Vec<(usize, String)>),
}

impl Unit {
    fn terms(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Unit::Term(t) => (Some(t.as_str()), None),
            Unit::Phrase(ts) => (None, Some(ts.iter().map(|(_, t)| t.as_str()))),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

impl<'a> QueryBuilder<'a> {
    /// A builder for an index with `schema`, scoring with `weights`.
    pub(crate) fn new(schema: &'a KbSchema, weights: &'a FieldWeights) -> Self {
        QueryBuilder { schema, weights, expansion: &[], alternatives: None, labels: false }
    }

    /// The same builder, letting each clause also match its `alternatives` (typo tolerance,
    /// synonyms), which are highlighted too.
    pub(crate) fn with_alternatives(self, alternatives: &'a Alternatives) -> Self {
        QueryBuilder { alternatives: Some(alternatives), ..self }
    }

    /// The same builder, labelling the parts of the query for explanations (scores unchanged).
    pub(crate) fn with_labels(self, labels: bool) -> Self {
        QueryBuilder { labels, ..self }
    }

    /// The same builder, adding `terms` (analyzed, with their boosts) as optional words.
    pub(crate) fn with_expansion(self, terms: &'a [(String, f32)]) -> Self {
        QueryBuilder { expansion: terms, ..self }
    }

    /// The plan for a parsed query.
    pub(crate) fn build(&self, parsed: &ParsedQuery) -> Plan {
        let mut optional: Vec<Box<dyn Query>> = Vec::new();
        let mut required: Vec<Box<dyn Query>> = Vec::new();
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        let mut excluded: Vec<Box<dyn Query>> = Vec::new();
        let mut matches = MatchSet::new();
        // The words of clauses that analyzed to nothing, for a stop-words-only query.
        let mut stop_words: Vec<String> = Vec::new();
        // The units of the sum (and of the flat form, when all are terms), each one term or
        // phrase in its weighted fields.
        let mut units: Vec<Vec<(Part, f32)>> = Vec::new();
        // The terms of `kind:` and `doc:` filters; whether another filter (a field word) is
        // there, which a sum cannot evaluate.
        let mut raw_filters: Vec<Term> = Vec::new();
        let mut other_filters = false;

        for (i, clause) in parsed.clauses.iter().enumerate() {
            let (text, scope) = match &clause.target {
                Target::Word { text, scope } | Target::Phrase { text, scope } => (text, *scope),
                Target::Kind(kind) => {
                    let term = Term::from_field_text(self.schema.kind, kind.as_str());
                    if clause.presence != Presence::Excluded {
                        raw_filters.push(term.clone());
                    }
                    push_filter(clause.presence, self.raw_term(term), &mut filters, &mut excluded);
                    continue;
                }
                Target::Doc(id) => {
                    let term = Term::from_field_text(self.schema.doc_id, id);
                    if clause.presence != Presence::Excluded {
                        raw_filters.push(term.clone());
                    }
                    push_filter(clause.presence, self.raw_term(term), &mut filters, &mut excluded);
                    continue;
                }
            };
            let Some(unit) = analyze(text) else {
                if clause.presence != Presence::Excluded && scope == Scope::All {
                    stop_words.extend(text.split_whitespace().map(str::to_owned));
                }
                continue;
            };
            match clause.presence {
                Presence::Excluded => {
                    let fields = self.visible_fields(scope);
                    excluded.push(Box::new(Exclusion(self.unit_query(&unit, &fields))));
                }
                presence => {
                    unit.terms().for_each(|t| matches.add_term(t));
                    let own = self.alternatives.map_or(1.0, |a| a.own_weight(i));
                    units.push(parts(&unit, &self.fields(scope), own));
                    for alternative in self.alternatives.map_or(&[][..], |a| a.of_clause(i)) {
                        let unit = alternative_unit(alternative);
                        units.push(parts(&unit, &self.fields(Scope::All), alternative.boost));
                    }
                    let q = self.unit_query(&unit, &self.fields(scope));
                    let q: Box<dyn Query> =
                        if own == 1.0 { q } else { Box::new(BoostQuery::new(q, own)) };
                    let q = self.label(q, || clause_label(&clause.target));
                    // Typo and synonym alternatives (rewrite) match in the clause's place.
                    let q = self.or_alternatives(q, i, &mut matches);
                    match (presence, scope) {
                        (Presence::Optional, _) => optional.push(q),
                        // A field word narrows like a filter, but scores like a word.
                        (_, Scope::Title | Scope::Heading) => {
                            other_filters = true;
                            filters.push(q)
                        }
                        _ => required.push(q),
                    }
                }
            }
        }

        if optional.is_empty() && required.is_empty() {
            let words: Vec<&str> = stop_words.iter().flat_map(|w| w.unicode_words()).collect();
            let Some(unit) = unit(analysis::stop_word_terms(&words.join(" "))) else {
                // Only filters and exclusions: every passage they let through.
                if filters.is_empty() && excluded.is_empty() {
                    return Plan::Nothing;
                }
                filters.push(Box::new(AllQuery));
                return Plan::Index {
                    query: conjunction(filters, excluded),
                    matches,
                    flat: None,
                    sum: None,
                };
            };
            // Words kb_en drops (stop words only): their phrase among the text's stop words.
            matches.add_sequence(&words);
            let field = self.schema.stop_words;
            let q: Box<dyn Query> = match &unit {
                Unit::Term(t) => Box::new(TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                )),
                Unit::Phrase(terms) => Box::new(PhraseQuery::new_with_offset(
                    terms.iter().map(|(p, t)| (*p, Term::from_field_text(field, t))).collect(),
                )),
            };
            let q = self.label(q, || format!("stop words {:?} in the text", words.join(" ")));
            if filters.is_empty() && excluded.is_empty() {
                return Plan::Index { query: q, matches, flat: None, sum: None };
            }
            filters.insert(0, q);
            return Plan::Index {
                query: conjunction(filters, excluded),
                matches,
                flat: None,
                sum: None,
            };
        }

        // Alternatives of several words together (rewrite) are optional extras.
        for alternative in self.alternatives.map_or(&[][..], |a| &a.spanning) {
            let unit = alternative_unit(alternative);
            units.push(parts(&unit, &self.fields(Scope::All), alternative.boost));
            optional.push(self.alternative_query(alternative, &mut matches));
        }

        // Feedback terms count like optional words: they may bring in passages that use other
        // words for the same thing (the searcher only expands plain-word queries).
        // They are searched in the passage text only: one scorer a term keeps the second
        // search nearly as cheap as the first.
        for (term, boost) in self.expansion {
            let unit = Unit::Term(term.clone());
            units.push(parts(&unit, &[(self.schema.text, 1.0)], *boost));
            let q = self.unit_query(&unit, &[(self.schema.text, 1.0)]);
            let q = Box::new(BoostQuery::new(q, *boost));
            optional.push(self.label(q, || format!("feedback {term:?}")));
        }

        // An optional clause a hit lacks must say so when explained (see `Labelled`).
        let optional: Vec<Box<dyn Query>> = optional.into_iter().map(|q| self.guard(q)).collect();
        let only_optional = required.is_empty() && filters.is_empty() && excluded.is_empty();
        // A best-field disjunction with a tie-breaker of at most 1 scores at most the sum of its
        // fields, and a weight above 0 keeps each part's place in the sum (see `Flat`).
        let tie_breaker = self.weights.tie_breaker;
        let bounded = (0.0..=1.0).contains(&tie_breaker)
            && units.iter().flatten().all(|(_, w)| *w > 0.0 && w.is_finite());
        let terms: Option<Vec<Term>> = units
            .iter()
            .flatten()
            .map(|(part, _)| match part {
                Part::Term(t) => Some(t.clone()),
                Part::Phrase(_) => None,
            })
            .collect();
        let flat = terms
            .filter(|terms| bounded && !terms.is_empty())
            .map(|terms| Flat { terms, union: only_optional });
        // Explanations label the query's parts: the sum would have no labels to show.
        let summable = bounded
            && !units.is_empty()
            && required.is_empty()
            && excluded.is_empty()
            && !other_filters
            && !self.labels;
        let sum = summable.then_some(Sum { units, tie_breaker, filters: raw_filters });
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        let mut should: Vec<Box<dyn Query>> = Vec::new();
        if required.is_empty() {
            // Without required words, at least one optional word must match: filters alone
            // must not let every passage of a kind through.
            must.push(union(optional));
        } else {
            should = optional;
            must.extend(required);
        }
        must.extend(filters);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        clauses.extend(must.into_iter().map(|q| (Occur::Must, q)));
        clauses.extend(should.into_iter().map(|q| (Occur::Should, q)));
        clauses.extend(excluded.into_iter().map(|q| (Occur::MustNot, q)));
        let query: Box<dyn Query> = if clauses.len() == 1 && clauses[0].0 == Occur::Must {
            clauses.pop().map(|(_, q)| q).expect("one clause")
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        Plan::Index { query, matches, flat, sum }
    }

    /// The weighted fields a word in `scope` is searched in.
    fn fields(&self, scope: Scope) -> Vec<(Field, f32)> {
        let s = self.schema;
        let w = self.weights;
        match scope {
            Scope::All => [
                (s.text, w.text),
                (s.title, w.title),
                (s.heading, w.heading),
                (s.context, w.context),
            ]
            .into_iter()
            .filter(|(_, weight)| *weight > 0.0)
            .collect(),
            Scope::Title => vec![(s.title, 1.0)],
            Scope::Heading => vec![(s.heading, 1.0)],
        }
    }

    /// The fields an excluded word is looked for in: those a reader sees.
    fn visible_fields(&self, scope: Scope) -> Vec<(Field, f32)> {
        let s = self.schema;
        match scope {
            Scope::All => vec![(s.text, 1.0), (s.title, 1.0), (s.heading, 1.0)],
            scope => self.fields(scope),
        }
    }

    /// A unit searched in weighted fields: a best-field disjunction of per-field queries.
    fn unit_query(&self, unit: &Unit, fields: &[(Field, f32)]) -> Box<dyn Query> {
        let mut per_field: Vec<Box<dyn Query>> = fields
            .iter()
            .map(|&(field, weight)| {
                let q: Box<dyn Query> = match unit {
                    Unit::Term(t) => Box::new(TermQuery::new(
                        Term::from_field_text(field, t),
                        IndexRecordOption::WithFreqs,
                    )),
                    Unit::Phrase(terms) => Box::new(PhraseQuery::new_with_offset(
                        terms.iter().map(|(p, t)| (*p, Term::from_field_text(field, t))).collect(),
                    )),
                };
                let q: Box<dyn Query> =
                    if weight == 1.0 { q } else { Box::new(BoostQuery::new(q, weight)) };
                // Which field a part of a score comes from, for explanations.
                self.label(q, || self.schema.schema.get_field_name(field).to_owned())
            })
            .collect();
        if per_field.len() == 1 {
            per_field.pop().expect("one field")
        } else {
            Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, self.weights.tie_breaker))
        }
    }

    /// `query` OR'ed with the alternatives of clause `clause`, whose terms join `matches`.
    fn or_alternatives(
        &self,
        query: Box<dyn Query>,
        clause: usize,
        matches: &mut MatchSet,
    ) -> Box<dyn Query> {
        let alternatives = self.alternatives.map_or(&[][..], |a| a.of_clause(clause));
        if alternatives.is_empty() {
            return query;
        }
        let mut any = vec![self.guard(query)];
        any.extend(alternatives.iter().map(|a| self.alternative_query(a, matches)));
        self.guard(union(any))
    }

    /// One alternative, searched in every field at its boost.
    fn alternative_query(
        &self,
        alternative: &Alternative,
        matches: &mut MatchSet,
    ) -> Box<dyn Query> {
        alternative.terms.iter().for_each(|(_, t)| matches.add_term(t));
        let unit = alternative_unit(alternative);
        let q = self.unit_query(&unit, &self.fields(Scope::All));
        let q: Box<dyn Query> = Box::new(BoostQuery::new(q, alternative.boost));
        self.label(q, || alternative.label.clone())
    }

    /// `query` under a label for explanations, when they are asked for.
    fn label(&self, query: Box<dyn Query>, label: impl FnOnce() -> String) -> Box<dyn Query> {
        if self.labels {
            Box::new(Labelled::new(query, Some(label())))
        } else {
            query
        }
    }

    /// `query`, made safe to explain for a passage it may not match (see [`Labelled`]), when
    /// explanations are asked for.
    fn guard(&self, query: Box<dyn Query>) -> Box<dyn Query> {
        if self.labels {
            Box::new(Labelled::new(query, None))
        } else {
            query
        }
    }

    /// An exact match on a raw (untokenized) field's `term`, contributing nothing to the score.
    fn raw_term(&self, term: Term) -> Box<dyn Query> {
        let term = TermQuery::new(term, IndexRecordOption::Basic);
        Box::new(ConstScoreQuery::new(Box::new(term), 0.0))
    }
}

/// An alternative's terms as a unit: a term, or a phrase.
fn alternative_unit(alternative: &Alternative) -> Unit {
    match alternative.terms.as_slice() {
        [(_, term)] => Unit::Term(term.clone()),
        terms => Unit::Phrase(terms.to_vec()),
    }
}

/// `unit` searched in `fields` at `boost`: a [`Sum`]'s unit, each field at its whole boost as
/// tantivy makes it (the outer boost times the field's weight).
fn parts(unit: &Unit, fields: &[(Field, f32)], boost: f32) -> Vec<(Part, f32)> {
    let part = |field| match unit {
        Unit::Term(t) => Part::Term(Term::from_field_text(field, t)),
        Unit::Phrase(terms) => {
            Part::Phrase(terms.iter().map(|(p, t)| (*p, Term::from_field_text(field, t))).collect())
        }
    };
    fields.iter().map(|&(field, weight)| (part(field), boost * weight)).collect()
}

/// How a clause is named in explanations: `word "botox"`, `phrase "calf muscle"`.
fn clause_label(target: &Target) -> String {
    match target {
        Target::Word { text, .. } => format!("word {text:?}"),
        Target::Phrase { text, .. } => format!("phrase {text:?}"),
        Target::Kind(kind) => format!("kind:{kind}"),
        Target::Doc(id) => format!("doc:{id}"),
    }
}

/// Analyzes a word or phrase: `None` if nothing is left (stop words, punctuation).
fn analyze(text: &str) -> Option<Unit> {
    unit(analysis::terms_with_positions(text))
}

/// Analyzed terms with their word positions as a unit: `None` for none, a term for one, else a
/// phrase.
fn unit(mut terms: Vec<(usize, String)>) -> Option<Unit> {
    match terms.len() {
        0 => None,
        1 => terms.pop().map(|(_, t)| Unit::Term(t)),
        _ => {
            // Positions relative to the first term; the gaps left by stop words stay, as in the
            // index, so "cut one of the nerves" matches the text it was copied from.
            let first = terms[0].0;
            Some(Unit::Phrase(terms.into_iter().map(|(p, t)| (p - first, t)).collect()))
        }
    }
}

fn push_filter(
    presence: Presence,
    q: Box<dyn Query>,
    filters: &mut Vec<Box<dyn Query>>,
    excluded: &mut Vec<Box<dyn Query>>,
) {
    match presence {
        Presence::Excluded => excluded.push(Box::new(Exclusion(q))),
        _ => filters.push(q),
    }
}

/// Matches what any of `queries` matches; scores are summed.
fn union(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1 {
        return queries.pop().expect("one query");
    }
    Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Should, q)).collect()))
}

/// Matches what all of `must` match and none of `must_not`.
fn conjunction(must: Vec<Box<dyn Query>>, must_not: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = must
        .into_iter()
        .map(|q| (Occur::Must, q))
        .chain(must_not.into_iter().map(|q| (Occur::MustNot, q)))
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn plan(query: &str) -> Plan {
        let schema = KbSchema::new();
        let weights = FieldWeights::default();
        QueryBuilder::new(&schema, &weights).build(&parse(query))
    }

    fn lit_terms(plan: &Plan) -> Vec<String> {
        match plan {
            Plan::Index { matches, .. } => matches.terms().map(str::to_owned).collect(),
            Plan::Nothing => panic!("no plan"),
        }
    }

    #[test]
    fn highlighted_terms_are_analyzed_and_exclusions_left_out() {
        let p = plan(r#"Calves "botox injections" +nerves -surgery title:reduction"#);
        assert_eq!(lit_terms(&p), ["botox", "calf", "inject", "nerv", "reduct"]);
    }

    /// The terms a query searches, as `field:term`.
    fn searched(plan: &Plan) -> Vec<String> {
        let schema = KbSchema::new();
        let mut out = Vec::new();
        plan.query().expect("a query").query_terms(&mut |term, _| {
            let field = schema.schema.get_field_name(term.field());
            out.push(format!("{field}:{}", term.value().as_str().unwrap_or("?")));
        });
        out
    }

    #[test]
    fn stop_words_only_become_a_phrase_over_the_stop_words_field() {
        let p = plan("To be, or not to be");
        assert_eq!(lit_terms(&p), Vec::<String>::new(), "no kb_en term");
        assert!(!p.matches().is_empty(), "the words are lit as typed");
        let words = ["to", "be", "or", "not", "to", "be"].map(|w| format!("stop_words:{w}"));
        assert_eq!(searched(&p), words);
        assert_eq!(searched(&plan("The")), ["stop_words:the"]);
        // Filters and exclusions narrow it; a word kb_en keeps makes it an ordinary query.
        let filtered = searched(&plan("what is the kind:answer -kettle"));
        assert!(filtered.contains(&"stop_words:what".to_owned()), "{filtered:?}");
        assert!(filtered.contains(&"kind:answer".to_owned()), "{filtered:?}");
        assert!(filtered.contains(&"text:kettl".to_owned()), "{filtered:?}");
        assert!(!searched(&plan("the botox")).iter().any(|t| t.starts_with("stop_words:")));
    }

    #[test]
    fn punctuation_only_is_nothing_but_filters_alone_browse() {
        assert!(matches!(plan("(( * ^ :::"), Plan::Nothing));
        assert!(matches!(plan("kind:answer"), Plan::Index { .. }));
        assert!(matches!(plan("-botox"), Plan::Index { .. }));
    }

    #[test]
    fn multi_term_words_and_phrases_keep_stop_word_gaps() {
        match analyze("cut one of the motor nerves") {
            Some(Unit::Phrase(terms)) => {
                assert_eq!(terms.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [0, 1, 4, 5])
            }
            _ => panic!("expected a phrase"),
        }
        assert!(matches!(analyze("e-mail"), Some(Unit::Phrase(_))));
        assert!(matches!(analyze("Calves"), Some(Unit::Term(t)) if t == "calf"));
        assert!(analyze("the").is_none());
    }
}
