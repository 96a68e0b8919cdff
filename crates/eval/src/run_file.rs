//! TREC run files: `qid Q0 docid rank score tag` a line, the format trec_eval, pytrec_eval and
//! ranx read, so anyone can score kb with their own tools.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use crate::input::{numbered_lines, read_text};
use crate::ranking::Ranking;
use crate::EvalError;

/// The run tag kb writes in the last column.
pub const RUN_TAG: &str = "kb";

/// Rankings for a batch of queries, in the order the queries were added.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    queries: Vec<(String, Ranking)>,
    by_id: HashMap<String, usize>,
}

impl Run {
    /// Adds the ranking of a query, replacing an earlier one for the same id.
    pub fn insert(&mut self, query_id: &str, ranking: Ranking) {
        match self.by_id.get(query_id) {
            Some(&i) => self.queries[i].1 = ranking,
            None => {
                self.by_id.insert(query_id.to_owned(), self.queries.len());
                self.queries.push((query_id.to_owned(), ranking));
            }
        }
    }

    /// The ranking of a query, if the run has one.
    pub fn get(&self, query_id: &str) -> Option<&Ranking> {
        self.by_id.get(query_id).map(|&i| &self.queries[i].1)
    }

    /// The queries and their rankings, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Ranking)> {
        self.queries.iter().map(|(q, r)| (q.as_str(), r))
    }

    /// Number of queries.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Whether the run has no query.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }
}

/// Writes `run` as a TREC run file: for each query, its documents best first as
/// `qid Q0 docid rank score tag`, rank 1-based, the score printed in full (the shortest text
/// that reads back as the same `f32`, so no two different scores tie in the file). A query
/// with no document writes no line.
///
/// The format is split on whitespace, so an id containing whitespace cannot be written: that is
/// an [`io::ErrorKind::InvalidData`] error naming it, raised before anything is written.
pub fn write_run(out: &mut impl Write, run: &Run, tag: &str) -> io::Result<()> {
    let invalid = |what: &str, id: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} {id:?} contains whitespace, which a TREC run file cannot hold"),
        )
    };
    let bad_id = |id: &str| id.is_empty() || id.contains(char::is_whitespace);
    if bad_id(tag) {
        return Err(invalid("the run tag", tag));
    }
    for (query_id, ranking) in run.iter() {
        if bad_id(query_id) {
            return Err(invalid("the query id", query_id));
        }
        if let Some(doc) = ranking.docs().iter().find(|d| bad_id(&d.doc_id)) {
            return Err(invalid("the document id", &doc.doc_id));
        }
    }
    for (query_id, ranking) in run.iter() {
        for (i, doc) in ranking.docs().iter().enumerate() {
            writeln!(out, "{query_id} Q0 {} {} {} {tag}", doc.doc_id, i + 1, doc.score)?;
        }
    }
    Ok(())
}

/// Reads a TREC run file (see [`parse_run`]).
pub fn read_run(path: &Path) -> Result<Run, EvalError> {
    let text = read_text(path, "the TREC run file")?;
    parse_run(path, &text)
}

/// Parses a TREC run file: six whitespace-separated columns a line. As trec_eval does, the
/// rank column is checked but not used: each query's documents are ordered by score (see
/// [`Ranking`]). A document listed twice for one query is an error, as in trec_eval. `path`
/// names the file in errors, which give the line.
pub fn parse_run(path: &Path, text: &str) -> Result<Run, EvalError> {
    let mut lines: Vec<(String, Vec<(String, f32)>)> = Vec::new();
    let mut by_query: HashMap<String, usize> = HashMap::new();
    let mut seen: HashMap<(usize, String), usize> = HashMap::new();
    for (line, content) in numbered_lines(text) {
        let fields: Vec<&str> = content.split_whitespace().collect();
        let [query_id, _, doc_id, rank, score, _] = fields[..] else {
            return Err(EvalError::parse(
                path,
                line,
                format!("expected `qid Q0 docid rank score tag`, found {} fields", fields.len()),
            ));
        };
        if rank.parse::<u64>().is_err() {
            return Err(EvalError::parse(path, line, format!("the rank {rank:?} is not a number")));
        }
        let score = match score.parse::<f32>() {
            Ok(s) if s.is_finite() => s,
            _ => {
                return Err(EvalError::parse(
                    path,
                    line,
                    format!("the score {score:?} is not a number"),
                ))
            }
        };
        let q = *by_query.entry(query_id.to_owned()).or_insert_with(|| {
            lines.push((query_id.to_owned(), Vec::new()));
            lines.len() - 1
        });
        if let Some(first) = seen.insert((q, doc_id.to_owned()), line) {
            return Err(EvalError::parse(
                path,
                line,
                format!("document {doc_id:?} is listed twice for query {query_id:?} (first on line {first})"),
            ));
        }
        lines[q].1.push((doc_id.to_owned(), score));
    }
    let mut run = Run::default();
    for (query_id, scores) in lines {
        run.insert(&query_id, Ranking::from_scores(scores));
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking(docs: &[(&str, f32)]) -> Ranking {
        Ranking::from_scores(docs.iter().map(|&(d, s)| (d.to_owned(), s)))
    }

    fn sample() -> Run {
        let mut run = Run::default();
        run.insert("q2", ranking(&[("d1", 1.5), ("d9", 7.25), ("d3", 1.5)]));
        run.insert("empty", Ranking::default());
        run.insert("q1", ranking(&[("MED-10", 0.1)]));
        run
    }

    fn written(run: &Run) -> String {
        let mut out = Vec::new();
        write_run(&mut out, run, RUN_TAG).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_the_standard_six_columns() {
        assert_eq!(
            written(&sample()),
            "q2 Q0 d9 1 7.25 kb\nq2 Q0 d3 2 1.5 kb\nq2 Q0 d1 3 1.5 kb\nq1 Q0 MED-10 1 0.1 kb\n"
        );
    }

    #[test]
    fn scores_are_written_in_full_and_read_back_the_same() {
        let mut run = Run::default();
        run.insert("q", ranking(&[("a", 12.345_679), ("b", 12.345_678), ("c", 1e-8)]));
        let text = written(&run);
        assert!(text.contains(" 12.345679 ") && text.contains(" 12.345678 "), "{text}");
        let back = parse_run(Path::new("run.trec"), &text).unwrap();
        assert_eq!(back.get("q"), run.get("q"));
    }

    #[test]
    fn read_back_orders_by_score_not_by_rank_column() {
        let text = "q1 Q0 a 1 1.0 x\nq2 Q0 z 1 3 x\nq1 Q0 b 2 2.0 x\r\n";
        let run = parse_run(Path::new("run.trec"), text).unwrap();
        let ids: Vec<&str> = run.iter().map(|(q, _)| q).collect();
        assert_eq!(ids, ["q1", "q2"]);
        let q1: Vec<&str> =
            run.get("q1").unwrap().docs().iter().map(|d| d.doc_id.as_str()).collect();
        assert_eq!(q1, ["b", "a"]);
        assert_eq!(parse_run(Path::new("r"), &written(&sample())).unwrap().len(), 2);
    }

    #[test]
    fn bad_run_lines_name_file_and_line() {
        let cases = [
            ("q1 Q0 a 1 1.0\n", 1, "found 5 fields"),
            ("q1 Q0 a 1 1.0 kb\nq1 Q0 b first 1.0 kb\n", 2, "the rank \"first\""),
            ("q1 Q0 a 1 high kb\n", 1, "the score \"high\""),
            ("q1 Q0 a 1 NaN kb\n", 1, "the score \"NaN\""),
            (
                "q1 Q0 a 1 1 kb\nq2 Q0 a 1 1 kb\nq1 Q0 a 2 0.5 kb\n",
                3,
                "listed twice for query \"q1\" (first on line 1)",
            ),
        ];
        for (text, line, reason) in cases {
            let msg = parse_run(Path::new("out/run.trec"), text).unwrap_err().to_string();
            assert!(msg.starts_with(&format!("out/run.trec:{line}: ")), "{text:?}: {msg}");
            assert!(msg.contains(reason), "{text:?}: {msg}");
        }
    }

    #[test]
    fn ids_with_whitespace_are_refused_before_writing() {
        let mut run = Run::default();
        run.insert("q1", ranking(&[("fine", 2.0)]));
        run.insert("q2", ranking(&[("two words", 1.0)]));
        let mut out = Vec::new();
        let err = write_run(&mut out, &run, RUN_TAG).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("\"two words\""), "{err}");
        assert!(out.is_empty());
        let mut run = Run::default();
        run.insert("my query", Ranking::default());
        assert!(write_run(&mut Vec::new(), &run, RUN_TAG).is_err());
    }
}
