//! Stage 6, snippets: the ranked candidates as [`Hit`]s: each stored passage with the byte
//! ranges of its matched words, its best fragment ([`highlight`]; for code, its best lines,
//! [`code`]), and for an answer, its question ([`QuestionRef`]).

pub mod code;
pub mod highlight;

use kb_schema::{KbSchema, Kind};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use crate::candidate::Candidate;
use crate::error::QueryError;
use crate::explanation::Explanation;
use crate::matches::MatchSet;
use crate::options::SearchOptions;
use crate::results::{Hit, QuestionRef, Snippet};
use crate::snapshot::Snapshot;

/// The hit at `rank` for `candidate`: the stored passage, highlighted with `matches` (when
/// `opts` ask for snippets), for an answer its question, and its `explanation` if any.
pub(crate) fn hit(
    snapshot: &Snapshot,
    rank: usize,
    candidate: &Candidate,
    matches: &MatchSet,
    opts: &SearchOptions,
    explanation: Option<Explanation>,
) -> Result<Hit, QueryError> {
    let p = snapshot.load(candidate.address)?;
    let (highlights, snippet) = if !opts.snippets {
        (Vec::new(), Snippet { text: String::new(), highlights: Vec::new() })
    } else if p.kind == Kind::Code {
        code::highlight(&p.text, matches)
    } else {
        highlight::highlight(&p.text, matches)
    };
    let question = match p.kind {
        Kind::Answer if opts.snippets => {
            question_of(&snapshot.searcher, &snapshot.schema, &p.doc_id)
                .map_err(|e| snapshot.error(e))?
                .map(|passage_id| QuestionRef { passage_id, title: p.doc_title.clone() })
        }
        _ => None,
    };
    Ok(Hit {
        rank,
        score: candidate.score,
        doc_id: p.doc_id,
        doc_title: p.doc_title,
        kind: p.kind,
        passage_id: p.id,
        heading: p.heading,
        text: p.text,
        highlights,
        snippet,
        source: p.source,
        question,
        explanation,
    })
}

/// The passage id of the question of thread `doc_id`, if the index has it.
pub(crate) fn question_of(
    searcher: &tantivy::Searcher,
    schema: &KbSchema,
    doc_id: &str,
) -> tantivy::Result<Option<String>> {
    let query = BooleanQuery::new(vec![
        (Occur::Must, Box::new(raw_term(schema.kind, Kind::Question.as_str())) as Box<dyn Query>),
        (Occur::Must, Box::new(raw_term(schema.doc_id, doc_id))),
    ]);
    let Some(&(_, address)) =
        searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?.first()
    else {
        return Ok(None);
    };
    let doc: TantivyDocument = searcher.doc(address)?;
    Ok(doc.get_first(schema.passage_id).and_then(|v| v.as_str()).map(str::to_owned))
}

fn raw_term(field: tantivy::schema::Field, value: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)
}
