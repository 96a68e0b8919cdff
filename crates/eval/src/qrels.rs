//! Relevance judgments ("qrels"): which documents are relevant to which query, and how much.

use std::collections::HashMap;
use std::path::Path;

use crate::input::{numbered_lines, read_text};
use crate::EvalError;

/// The graded judgments of one query: document id -> relevance grade. A grade above 0 means
/// relevant (the higher, the more); 0 or below means judged not relevant.
pub type Judgments = HashMap<String, i32>;

/// The judgments of one split, by query, in the order queries first appear in the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Qrels {
    queries: Vec<JudgedQuery>,
    by_id: HashMap<String, usize>,
}

/// One judged query of [`Qrels`].
#[derive(Debug, Clone, PartialEq)]
pub struct JudgedQuery {
    /// The query id.
    pub id: String,
    /// Its judgments.
    pub judgments: Judgments,
    /// The line of the file where it first appears.
    pub line: usize,
}

impl Qrels {
    /// Reads a qrels file (see [`Qrels::parse`]).
    pub fn read(path: &Path) -> Result<Qrels, EvalError> {
        let text = read_text(path, "the relevance judgments (qrels) of the split")?;
        Qrels::parse(path, &text)
    }

    /// Parses qrels in BEIR's form, `query-id corpus-id score` a line, tab-separated, with a
    /// header line and CRLF or LF line endings; TREC's four-column form `query-id 0 doc-id
    /// score` is read too. The first line is taken as a header when its score is not an
    /// integer. A query-document pair judged twice is an error, as in trec_eval; so is a file
    /// with no judgments. `path` names the file in errors, which give the line.
    pub fn parse(path: &Path, text: &str) -> Result<Qrels, EvalError> {
        let mut qrels = Qrels::default();
        let mut pairs: HashMap<(usize, String), usize> = HashMap::new();
        for (n, (line, content)) in numbered_lines(text).enumerate() {
            let fields: Vec<&str> = content.split_whitespace().collect();
            let (query, doc, grade) = match fields[..] {
                [q, d, g] | [q, _, d, g] => (q, d, g),
                _ => {
                    let count = fields.len();
                    let plural = if count == 1 { "" } else { "s" };
                    let reason = format!(
                        "expected `query-id corpus-id score` separated by tabs, found {count} field{plural}"
                    );
                    return Err(EvalError::parse(path, line, reason));
                }
            };
            let Ok(grade) = grade.parse::<i32>() else {
                if n == 0 {
                    continue; // the header: `query-id corpus-id score`
                }
                return Err(EvalError::parse(
                    path,
                    line,
                    format!("the score {grade:?} is not an integer relevance grade"),
                ));
            };
            let index = qrels.entry(query, line);
            if let Some(first) = pairs.insert((index, doc.to_owned()), line) {
                return Err(EvalError::parse(
                    path,
                    line,
                    format!(
                        "query {query:?} and document {doc:?} were already judged on line {first}"
                    ),
                ));
            }
            qrels.queries[index].judgments.insert(doc.to_owned(), grade);
        }
        if qrels.queries.is_empty() {
            return Err(EvalError::Invalid {
                path: path.to_path_buf(),
                reason: "no judgments: expected `query-id corpus-id score` lines".into(),
            });
        }
        Ok(qrels)
    }

    /// The index of `query`'s entry, added (first seen on `line`) if new.
    fn entry(&mut self, query: &str, line: usize) -> usize {
        if let Some(&i) = self.by_id.get(query) {
            return i;
        }
        self.queries.push(JudgedQuery { id: query.to_owned(), judgments: Judgments::new(), line });
        self.by_id.insert(query.to_owned(), self.queries.len() - 1);
        self.queries.len() - 1
    }

    /// The judged queries, in the order they first appear in the file.
    pub fn queries(&self) -> &[JudgedQuery] {
        &self.queries
    }

    /// The judgments of one query, if it is judged.
    pub fn judgments(&self, query_id: &str) -> Option<&Judgments> {
        self.by_id.get(query_id).map(|&i| &self.queries[i].judgments)
    }

    /// Number of judged queries.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Whether no query is judged (never true for parsed qrels).
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Qrels, EvalError> {
        Qrels::parse(Path::new("qrels/test.tsv"), text)
    }

    #[test]
    fn beir_qrels_with_header_and_crlf() {
        let qrels =
            parse("query-id\tcorpus-id\tscore\r\nPLAIN-2\tMED-2427\t2\r\nPLAIN-2\tMED-10\t1\r\n1\t31715818\t1\r\n")
                .unwrap();
        assert_eq!(qrels.len(), 2);
        let ids: Vec<_> = qrels.queries().iter().map(|q| (q.id.as_str(), q.line)).collect();
        assert_eq!(ids, [("PLAIN-2", 2), ("1", 4)]);
        let plain = qrels.judgments("PLAIN-2").unwrap();
        assert_eq!((plain["MED-2427"], plain["MED-10"]), (2, 1));
        assert_eq!(qrels.judgments("1").unwrap()["31715818"], 1);
        assert!(qrels.judgments("31715818").is_none());
    }

    #[test]
    fn headerless_and_trec_forms() {
        let qrels = parse("q1 0 d1 1\nq1 0 d2 0\nq2\td3\t-1\n").unwrap();
        assert_eq!(qrels.judgments("q1").unwrap().len(), 2);
        assert_eq!(qrels.judgments("q1").unwrap()["d2"], 0);
        assert_eq!(qrels.judgments("q2").unwrap()["d3"], -1);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let cases = [
            ("query-id\tcorpus-id\tscore\nq1\td1\n", 2, "found 2 fields"),
            ("q1\td1\t1\nq1\td2\thigh\n", 2, "\"high\" is not an integer"),
            ("q1\td1\t1\nq2\td1\t1\nq1\td1\t2\n", 3, "already judged on line 1"),
            ("q1 d1 1 extra stuff\n", 1, "found 5 fields"),
        ];
        for (text, line, reason) in cases {
            let msg = parse(text).unwrap_err().to_string();
            assert!(msg.starts_with(&format!("qrels/test.tsv:{line}: ")), "{text:?}: {msg}");
            assert!(msg.contains(reason), "{text:?}: {msg}");
        }
    }

    #[test]
    fn a_header_alone_is_an_error() {
        let msg = parse("query-id\tcorpus-id\tscore\r\n").unwrap_err().to_string();
        assert_eq!(msg, "qrels/test.tsv: no judgments: expected `query-id corpus-id score` lines");
    }
}
