//! Query files: BEIR `queries.jsonl`, or plain text with one query per line.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::input::{numbered_lines, read_text};
use crate::EvalError;

/// One query to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Its id: BEIR's `_id`, or the line number in a plain text file.
    pub id: String,
    /// The query text, passed to the searcher as it is.
    pub text: String,
}

/// Reads a query file for `kb run`: a `.jsonl` file is read as BEIR queries, anything else as
/// plain text with one query per line.
pub fn read_query_file(path: &Path) -> Result<Vec<Query>, EvalError> {
    let hint = "the file of queries to run";
    let text = read_text(path, hint)?;
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("jsonl")) {
        parse_beir_queries(path, &text)
    } else {
        Ok(parse_query_lines(&text))
    }
}

/// Reads a BEIR `queries.jsonl`.
pub fn read_beir_queries(path: &Path) -> Result<Vec<Query>, EvalError> {
    let text =
        read_text(path, "a BEIR folder has a queries.jsonl, one {\"_id\", \"text\"} a line")?;
    parse_beir_queries(path, &text)
}

/// Parses BEIR queries: one JSON object a line with `_id` (a string or a number) and `text`;
/// other fields (BEIR's `metadata`) are ignored, and so are blank lines. `path` names the file
/// in errors, which give the line.
pub fn parse_beir_queries(path: &Path, text: &str) -> Result<Vec<Query>, EvalError> {
    let mut queries = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, content) in numbered_lines(text) {
        let query =
            parse_beir_query(content).map_err(|reason| EvalError::parse(path, line, reason))?;
        if let Some(first) = seen.insert(query.id.clone(), line) {
            return Err(EvalError::parse(
                path,
                line,
                format!("query id {:?} was already used on line {first}", query.id),
            ));
        }
        queries.push(query);
    }
    Ok(queries)
}

fn parse_beir_query(line: &str) -> Result<Query, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let Value::Object(object) = value else {
        return Err("not a JSON object: expected {\"_id\": ..., \"text\": ...}".into());
    };
    let id = match object.get("_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        // BEIR ids are strings, but some converters write numbers; qrels hold them as text.
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(_)) => return Err("\"_id\" is empty".into()),
        Some(_) => return Err("\"_id\" must be a string or a number".into()),
        None => return Err("no \"_id\" field".into()),
    };
    let text = match object.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(format!("query {id:?}: \"text\" must be a string")),
        None => return Err(format!("query {id:?}: no \"text\" field")),
    };
    Ok(Query { id, text })
}

/// Parses plain text queries: one a line, its id the 1-based line number (so ids stay put when
/// a line is edited); blank lines are skipped and surrounding whitespace trimmed.
pub fn parse_query_lines(text: &str) -> Vec<Query> {
    numbered_lines(text)
        .map(|(line, content)| Query { id: line.to_string(), text: content.trim().to_owned() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, text: &str) -> Query {
        Query { id: id.into(), text: text.into() }
    }

    #[test]
    fn beir_queries_with_string_and_numeric_ids() {
        let text = "{\"_id\": \"PLAIN-3\", \"text\": \"Breast Cancer\", \"metadata\": {\"url\": \"x\"}}\r\n\
                    \r\n\
                    {\"_id\": 42, \"text\": \"0-dimensional biomaterials\"}\n";
        let queries = parse_beir_queries(Path::new("queries.jsonl"), text).unwrap();
        assert_eq!(queries, [q("PLAIN-3", "Breast Cancer"), q("42", "0-dimensional biomaterials")]);
    }

    #[test]
    fn bad_beir_lines_name_file_and_line() {
        let cases = [
            ("{\"_id\": \"1\", \"text\": \"a\"}\nnot json\n", 2, "not a JSON object"),
            ("[1, 2]\n", 1, "not a JSON object"),
            ("{\"text\": \"a\"}\n", 1, "no \"_id\" field"),
            ("{\"_id\": \"\", \"text\": \"a\"}\n", 1, "\"_id\" is empty"),
            ("{\"_id\": true, \"text\": \"a\"}\n", 1, "must be a string or a number"),
            ("{\"_id\": \"7\"}\n", 1, "query \"7\": no \"text\" field"),
            ("{\"_id\": \"7\", \"text\": 3}\n", 1, "\"text\" must be a string"),
            (
                "{\"_id\": \"7\", \"text\": \"a\"}\n{\"_id\": 7, \"text\": \"b\"}\n",
                2,
                "already used on line 1",
            ),
        ];
        for (text, line, reason) in cases {
            let err = parse_beir_queries(Path::new("d/queries.jsonl"), text).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("d/queries.jsonl:{line}: ")), "{text:?}: {msg}");
            assert!(msg.contains(reason), "{text:?}: {msg}");
        }
    }

    #[test]
    fn plain_lines_are_numbered_by_line() {
        let queries = parse_query_lines("calf reduction\r\n\n  botox downtime  \n");
        assert_eq!(queries, [q("1", "calf reduction"), q("3", "botox downtime")]);
    }

    #[test]
    fn query_file_kind_follows_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("q.jsonl");
        std::fs::write(&jsonl, "{\"_id\": \"a\", \"text\": \"tea\"}\n").unwrap();
        assert_eq!(read_query_file(&jsonl).unwrap(), [q("a", "tea")]);
        let txt = dir.path().join("q.txt");
        std::fs::write(&txt, "{\"_id\": \"a\", \"text\": \"tea\"}\n").unwrap();
        assert_eq!(read_query_file(&txt).unwrap()[0].id, "1");
    }
}
