//! JSON Lines records as the benchmarks read them: a MedQuAD Q&A thread
//! (`{"id", "title", "question", "answers": [{"body"}]}`) or a BEIR article
//! (`{"_id", "title", "text"}`), flattened to an id, a title and a text.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

/// One record, flattened: what the plain-tantivy baseline indexes as `title` and `text`.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// `id` (MedQuAD) or `_id` (BEIR).
    pub id: String,
    /// `title`, empty when absent.
    pub title: String,
    /// For a thread, the question and every answer's body, separated by blank lines; for an
    /// article, its `text`.
    pub text: String,
    /// For a thread, its question (the MedQuAD benchmarks use it as a query).
    pub question: Option<String>,
}

impl Record {
    /// Parses one JSON Lines record; the error says what is wrong (the caller adds file and line).
    pub fn parse(line: &str) -> Result<Record, String> {
        let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
        let Value::Object(obj) = value else { return Err("not a JSON object".into()) };
        let id = match obj.get("id").or_else(|| obj.get("_id")) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err("no \"id\" or \"_id\" (a non-empty string or a number)".into()),
        };
        let str_field = |name: &str| obj.get(name).and_then(Value::as_str).map(str::to_owned);
        let title = str_field("title").unwrap_or_default();
        let question = str_field("question");
        let text = match (&question, obj.get("answers")) {
            (Some(q), Some(Value::Array(answers))) => {
                let mut parts = vec![q.as_str()];
                parts.extend(answers.iter().filter_map(|a| a.get("body").and_then(Value::as_str)));
                parts.join("\n\n")
            }
            _ => str_field("text").ok_or("neither \"question\" + \"answers\" nor \"text\"")?,
        };
        Ok(Record { id, title, text, question })
    }
}

/// Calls `each` with every record of a JSON Lines file and its 1-based line, streaming (the
/// scaling corpora are hundreds of MB). Blank lines are skipped; a bad record stops the reading
/// with an error naming the file and the line.
pub fn for_each_record(
    path: &Path,
    each: &mut dyn FnMut(Record, usize) -> Result<(), String>,
) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let record =
            Record::parse(&line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        each(record, i + 1)?;
    }
    Ok(())
}

/// Reads every record of a JSON Lines file (for the small inputs; see [`for_each_record`]).
pub fn read_records(path: &Path) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for_each_record(path, &mut |r, _| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// One query: an id and its text, as `kb run` reads them (`{"_id", "text"}` a line).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The query id.
    pub id: String,
    /// The query text.
    pub text: String,
}

/// Reads a BEIR-style query file (`{"_id", "text"}` a line).
pub fn read_queries(path: &Path) -> Result<Vec<Query>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = |e: String| format!("{}:{}: {e}", path.display(), i + 1);
        let value: Value =
            serde_json::from_str(line).map_err(|e| at(format!("invalid JSON: {e}")))?;
        let id = match value.get("_id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(at("no \"_id\"".into())),
        };
        let text =
            value.get("text").and_then(Value::as_str).ok_or_else(|| at("no \"text\"".into()))?;
        out.push(Query { id, text: text.to_owned() });
    }
    Ok(out)
}

/// Writes queries as `{"_id", "text"}` lines, the shape `kb run --queries` and the baseline read.
pub fn write_queries(path: &Path, queries: &[Query]) -> Result<(), String> {
    let mut out = String::new();
    for q in queries {
        out.push_str(&serde_json::json!({"_id": q.id, "text": q.text}).to_string());
        out.push('\n');
    }
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
}

/// Makes record ids distinct: the `n`-th record (n > 1) with a given `id`/`_id` gets the id
/// `{id}~{n}`; the others are returned unchanged. Feeding the same lines again with the same
/// `seen` map makes a second copy of a corpus under new ids.
///
/// MedQuAD needs this: its 16,407 threads carry only 12,133 distinct ids (the same id is used
/// for different questions), and kb skips a repeated id, while tantivy would index it again.
pub fn with_distinct_id(line: &str, seen: &mut HashMap<String, usize>) -> Result<String, String> {
    let mut value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let key = if value.get("id").is_some() { "id" } else { "_id" };
    let id = match value.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err("no \"id\" or \"_id\"".into()),
    };
    let n = seen.entry(id.clone()).or_insert(0);
    *n += 1;
    if *n == 1 {
        return Ok(line.to_owned());
    }
    value[key] = Value::String(format!("{id}~{n}"));
    Ok(value.to_string())
}
