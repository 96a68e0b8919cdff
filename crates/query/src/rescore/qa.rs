//! Stage 4, rescore by Q&A awareness: a question that matches a query lifts its thread's
//! answers.
//!
//! Someone asking what a Q&A thread's question asks wants its answers, which often do not
//! repeat the question's words. Answers are already indexed with their question's title and
//! body as lower-weighted context fields, so they match; the lift makes the question's own
//! relevance count for them: each answer of a thread whose question matches the query gets
//! [`LIFT`] times the question's score added to its own.
//!
//! The question's score is that of the query with its `kind:` filters left out (so that
//! `--kind answer` still knows which questions match) and only questions admitted. The lifted
//! answers are those of the best [`QUESTIONS`] threads that match the query itself (filters and
//! exclusions included); they join the candidates even when the first ranking did not fetch
//! them. An index without questions skips all this for the cost of one dictionary lookup.

use std::collections::{HashMap, HashSet};

use kb_schema::{KbSchema, Kind};
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, TantivyDocument, Term};

use crate::candidate::{Candidate, DocIds};
use crate::explanation::Explanation;
use crate::options::SearchOptions;
use crate::parse::{ParsedQuery, Presence, Scope, Target};
use crate::retrieve::maxscore;
use crate::retrieve::query::{Plan, QueryBuilder};
use crate::rewrite::Alternatives;
use crate::snapshot::{KindColumns, Snapshot};

/// The share of a question's score its answers get.
pub(crate) const LIFT: f32 = 0.5;

/// How many of the best-matching questions lift their answers.
const QUESTIONS: usize = 10;

/// At most this many answers of those threads are lifted (the best-matching ones).
const ANSWERS: usize = 200;

/// An answer lifted by its question.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lifted {
    /// The answer's own score for the query.
    pub own: f32,
    /// What the lift adds: [`LIFT`] × `question_score`.
    pub amount: f32,
    /// The question's score.
    pub question_score: f32,
    /// The question's passage id.
    pub question: String,
    /// The answer's document number (see [`DocIds`]).
    pub doc: u64,
}

/// The answers a query lifts, by address.
#[derive(Debug, Default)]
pub(crate) struct Lift {
    answers: HashMap<DocAddress, Lifted>,
}

impl Lift {
    /// No lift.
    pub(crate) fn none() -> Lift {
        Lift::default()
    }

    /// The lift of the answer at `address`, if it has one.
    pub(crate) fn get(&self, address: DocAddress) -> Option<&Lifted> {
        self.answers.get(&address)
    }

    /// The lift's part of the explanation of the passage at `address`: `below` (how its own
    /// score was made) and what its question added, which make `score`; `below` alone when it
    /// was not lifted.
    pub(crate) fn explain(
        &self,
        address: DocAddress,
        score: f32,
        below: Explanation,
    ) -> Explanation {
        let Some(lifted) = self.get(address) else { return below };
        let what = format!(
            "Q&A lift: {} × {:.3}, the score of its question {}",
            LIFT, lifted.question_score, lifted.question
        );
        let lift = Explanation::leaf(lifted.amount, what);
        Explanation { score, what: "sum of".into(), parts: vec![below, lift] }
    }

    /// Lifts the answers among `candidates`, adds the lifted answers they lack, and sorts them
    /// again, best first (ties in index order, so rankings are repeatable).
    pub(crate) fn apply(&self, candidates: &mut Vec<Candidate>) {
        if self.answers.is_empty() {
            return;
        }
        let mut present: HashSet<DocAddress> = HashSet::with_capacity(candidates.len());
        for c in candidates.iter_mut() {
            present.insert(c.address);
            if let Some(lifted) = self.answers.get(&c.address) {
                c.score += lifted.amount;
            }
        }
        for (&address, lifted) in &self.answers {
            if !present.contains(&address) {
                let score = lifted.own + lifted.amount;
                candidates.push(Candidate { score, address, doc: lifted.doc });
            }
        }
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.address.cmp(&b.address)));
    }
}

/// The query `parsed` asks of questions: its words, filters and exclusions, but no `kind:`
/// filter, and questions only. A `kind:` clause is blanked rather than removed (an empty word
/// is no clause at all), so clause numbers, which query expansions refer to, stay the same.
pub(crate) fn question_query(parsed: &ParsedQuery) -> ParsedQuery {
    let mut questions = parsed.clone();
    for clause in &mut questions.clauses {
        if matches!(clause.target, Target::Kind(_)) {
            clause.presence = Presence::Optional;
            clause.target = Target::Word { text: String::new(), scope: Scope::All };
        }
    }
    questions.require(Target::Kind(Kind::Question));
    questions
}

/// The threads whose questions match a search best, and their answers: what a lift needs
/// before the answers' own scores are known. The search's ranking pass scores the answers
/// ([`Threads::answers`]) along the way, and [`Threads::lift`] makes the lift of those scores,
/// so the query runs once instead of once more for the answers alone.
#[derive(Debug, Default)]
pub(crate) struct Threads {
    /// The best question of each thread, by document number: its score and passage id.
    questions: HashMap<u64, (f32, String)>,
    /// Their doc ids, as `doc_id` terms.
    doc_id_terms: Vec<Term>,
    /// The addresses of their answers, sorted.
    answers: Vec<DocAddress>,
}

impl Threads {
    /// No threads: nothing is lifted.
    pub(crate) fn none() -> Threads {
        Threads::default()
    }

    /// The addresses of the threads' answers, sorted.
    pub(crate) fn answers(&self) -> &[DocAddress] {
        &self.answers
    }

    /// The lift, given `scored`: the score for `query` (the search's own) of every answer in
    /// [`Threads::answers`] that `query` matches, in any order. As many as [`ANSWERS`]
    /// answers are lifted; should more match, the best ones are found by searching them.
    pub(crate) fn lift(
        &self,
        snapshot: &Snapshot,
        query: Option<&dyn Query>,
        scored: Vec<(f32, DocAddress)>,
    ) -> tantivy::Result<Lift> {
        if let Some(query) = query.filter(|_| scored.len() > ANSWERS) {
            let answers = self.search_answers(&snapshot.searcher, &snapshot.schema, query)?;
            return Ok(self.lift_of(&snapshot.doc_ids, answers));
        }
        Ok(self.lift_of(&snapshot.doc_ids, scored))
    }

    /// The best [`ANSWERS`] answers of the threads that `query` matches, with their scores.
    fn search_answers(
        &self,
        searcher: &tantivy::Searcher,
        schema: &KbSchema,
        query: &dyn Query,
    ) -> tantivy::Result<Vec<(f32, DocAddress)>> {
        let filter =
            |q: Box<dyn Query>| -> Box<dyn Query> { Box::new(ConstScoreQuery::new(q, 0.0)) };
        let answers = BooleanQuery::new(vec![
            (Occur::Must, query.box_clone()),
            (Occur::Must, filter(Box::new(raw_term(schema.kind, Kind::Answer.as_str())))),
            (Occur::Must, filter(Box::new(TermSetQuery::new(self.doc_id_terms.clone())))),
        ]);
        searcher.search(&answers, &TopDocs::with_limit(ANSWERS).order_by_score())
    }

    /// The lift of the answers `scored` (each with its own score).
    fn lift_of(&self, doc_ids: &DocIds, scored: Vec<(f32, DocAddress)>) -> Lift {
        let mut lift = Lift::none();
        for (own, address) in scored {
            let doc = doc_ids.doc(address);
            if let Some((question_score, question)) = self.questions.get(&doc) {
                let lifted = Lifted {
                    own,
                    amount: LIFT * question_score,
                    question_score: *question_score,
                    question: question.clone(),
                    doc,
                };
                lift.answers.insert(address, lifted);
            }
        }
        lift
    }
}

/// The threads whose answers a search lifts (see [`Threads`]): none unless `plan` ranks by a
/// query with something to light up, and none when `opts` only admit articles or questions, or when the
/// index has no questions. `first_pass` holds the best passages of feedback's first pass when
/// [`first_pass_wanted`] asked for them, and whether they are all the query matches: they tell
/// the best questions without another search.
pub(crate) fn threads_for(
    snapshot: &Snapshot,
    parsed: &ParsedQuery,
    alternatives: &Alternatives,
    opts: &SearchOptions,
    plan: &Plan,
    first_pass: Option<(&[(f32, DocAddress)], bool)>,
) -> tantivy::Result<Threads> {
    let (searcher, schema) = (&snapshot.searcher, &snapshot.schema);
    match plan {
        Plan::Index { matches, .. } if !matches.is_empty() => {}
        _ => return Ok(Threads::none()),
    }
    // An index without questions has nothing to lift.
    if opts.kind.is_some_and(|k| k != Kind::Answer) || !snapshot.kinds.any(Kind::Question) {
        return Ok(Threads::none());
    }
    let known = match first_pass {
        Some((best, all)) => questions_among(&snapshot.kinds, best, all),
        None => None,
    };
    let best = match known {
        Some(best) => best,
        None => {
            let questions = question_query(parsed);
            let builder = QueryBuilder::new(schema, &opts.weights).with_alternatives(alternatives);
            match builder.build(&questions) {
                plan @ Plan::Index { .. } => best_questions(snapshot, &plan)?,
                Plan::Nothing => return Ok(Threads::none()),
            }
        }
    };
    threads(searcher, schema, &snapshot.doc_ids, best)
}

/// How many best passages feedback's first pass should read for [`threads_for`]: when the
/// query's words alone make its question query (and scores are not explained, which labels
/// the query's parts), [`FIRST_PASS_FOR_QUESTIONS`]; else `None`.
pub(crate) fn first_pass_wanted(parsed: &ParsedQuery, opts: &SearchOptions) -> Option<usize> {
    (words_make_question_query(parsed) && !opts.explain).then_some(FIRST_PASS_FOR_QUESTIONS)
}

/// How many best passages a search's first pass reads when they are also to tell its best
/// questions ([`questions_among`]): enough to hold [`QUESTIONS`] questions for most queries.
pub(crate) const FIRST_PASS_FOR_QUESTIONS: usize = 4 * QUESTIONS;

/// Whether the words of `parsed` alone make its [`question_query`], but for the `kind:question`
/// filter (which adds nothing to a score): then the best passages for the words, read in
/// order, hold the best questions ([`questions_among`]).
pub(crate) fn words_make_question_query(parsed: &ParsedQuery) -> bool {
    parsed.clauses.iter().all(|c| {
        c.presence == Presence::Optional
            && matches!(c.target, Target::Word { scope: Scope::All, .. })
    })
}

/// The best [`QUESTIONS`] questions for a query ([`words_make_question_query`]), from `best`:
/// its best passages, best first (`all` when they are all the passages it matches). `None`
/// when `best` holds too few questions to tell.
pub(crate) fn questions_among(
    kinds: &KindColumns,
    best: &[(f32, DocAddress)],
    all: bool,
) -> Option<Vec<(f32, DocAddress)>> {
    let is_question =
        |(_, address): &&(f32, DocAddress)| kinds.of(*address) == Some(Kind::Question);
    let questions: Vec<(f32, DocAddress)> =
        best.iter().filter(is_question).take(QUESTIONS).copied().collect();
    (questions.len() == QUESTIONS || all).then_some(questions)
}

/// The best [`QUESTIONS`] questions for `questions` (the [`question_query`], built).
pub(crate) fn best_questions(
    snapshot: &Snapshot,
    questions: &Plan,
) -> tantivy::Result<Vec<(f32, DocAddress)>> {
    maxscore::top(snapshot, questions, QUESTIONS)
}

/// The threads of the best questions of a search (`best`, best first; see [`best_questions`]
/// and [`questions_among`]), and their answers.
pub(crate) fn threads(
    searcher: &tantivy::Searcher,
    schema: &KbSchema,
    doc_ids: &DocIds,
    best: Vec<(f32, DocAddress)>,
) -> tantivy::Result<Threads> {
    // The best question of each thread.
    let mut threads = Threads::none();
    for (score, address) in best {
        let doc_number = doc_ids.doc(address);
        if score <= 0.0 || threads.questions.contains_key(&doc_number) {
            continue;
        }
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_owned);
        let (Some(doc_id), Some(passage_id)) = (text(schema.doc_id), text(schema.passage_id))
        else {
            continue;
        };
        threads.questions.insert(doc_number, (score, passage_id));
        threads.doc_id_terms.push(Term::from_field_text(schema.doc_id, &doc_id));
    }
    if threads.questions.is_empty() {
        return Ok(threads);
    }
    // Their answers: a handful of short posting lists, read without scoring.
    let of_threads: Vec<(Occur, Box<dyn Query>)> = threads
        .doc_id_terms
        .iter()
        .map(|term| {
            let query = TermQuery::new(term.clone(), IndexRecordOption::Basic);
            (Occur::Should, Box::new(query) as Box<dyn Query>)
        })
        .collect();
    let answers = BooleanQuery::new(vec![
        (Occur::Must, Box::new(raw_term(schema.kind, Kind::Answer.as_str())) as Box<dyn Query>),
        (Occur::Must, Box::new(BooleanQuery::new(of_threads))),
    ]);
    threads.answers = searcher.search(&answers, &DocSetCollector)?.into_iter().collect();
    threads.answers.sort();
    Ok(threads)
}

fn raw_term(field: tantivy::schema::Field, value: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    #[test]
    fn the_question_query_drops_kind_filters_and_keeps_clause_numbers() {
        let parsed = parse("kettle kind:answer -kind:article doc:k");
        let questions = question_query(&parsed);
        assert_eq!(questions.clauses.len(), parsed.clauses.len() + 1);
        assert_eq!(questions.clauses[0], parsed.clauses[0]);
        assert_eq!(questions.clauses[3], parsed.clauses[3], "doc: stays");
        assert!(
            matches!(&questions.clauses[1].target, Target::Word { text, .. } if text.is_empty())
        );
        assert!(
            matches!(&questions.clauses[2].target, Target::Word { text, .. } if text.is_empty())
        );
        assert_eq!(questions.clauses[4].target, Target::Kind(Kind::Question));
    }

    fn candidate(score: f32, doc_id: u32, doc: u64) -> Candidate {
        Candidate { score, address: DocAddress::new(0, doc_id), doc }
    }

    #[test]
    fn lifted_answers_rise_and_missing_ones_join() {
        let mut lift = Lift::none();
        let lifted = |own: f32, question_score: f32| Lifted {
            own,
            amount: LIFT * question_score,
            question_score,
            question: "t#0".into(),
            doc: 7,
        };
        lift.answers.insert(DocAddress::new(0, 2), lifted(1.0, 4.0));
        lift.answers.insert(DocAddress::new(0, 9), lifted(0.5, 4.0));
        let mut candidates = vec![candidate(3.0, 1, 1), candidate(1.0, 2, 7), candidate(2.5, 3, 2)];
        lift.apply(&mut candidates);
        let order: Vec<(u32, f32)> =
            candidates.iter().map(|c| (c.address.doc_id, c.score)).collect();
        assert_eq!(order, [(1, 3.0), (2, 3.0), (3, 2.5), (9, 2.5)]);
    }
}
