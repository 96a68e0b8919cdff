//! The driver's inputs, written into the work folder: each corpus as one JSON Lines file that
//! kb and the baseline both index, and its queries as `{"_id", "text"}` lines.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::context::Ctx;
use crate::support::records::{read_queries, with_distinct_id, write_queries, Query, Record};

/// A corpus and its queries.
pub struct Dataset {
    /// `medquad`, `scifact`, `nfcorpus`.
    pub name: &'static str,
    /// The JSON Lines file both systems index.
    pub corpus: PathBuf,
    /// The query file.
    pub queries_file: PathBuf,
    /// What the inputs are, for the report.
    pub description: String,
}

/// MedQuAD, its ids made distinct, and its questions as queries; `None` when it is absent.
pub fn medquad(ctx: &Ctx) -> Result<Option<Dataset>, String> {
    let source = ctx.opts.eval_dir.join("medquad").join("medquad-qa.jsonl");
    if !source.is_file() {
        return Ok(None);
    }
    let corpus = ctx.fresh("medquad/medquad-qa.jsonl")?;
    let records = copies(&source, &corpus, 1, None)?;
    let mut queries = Vec::new();
    crate::support::records::for_each_record(&corpus, &mut |r: Record, _| {
        queries.push(Query { id: r.id, text: r.question.unwrap_or(r.title) });
        Ok(())
    })?;
    let queries_file = ctx.fresh("medquad/questions.jsonl")?;
    write_queries(&queries_file, &queries)?;
    Ok(Some(Dataset {
        name: "medquad",
        corpus,
        queries_file,
        description: format!(
            "{} ({records} threads, ids made distinct); queries: its {} questions",
            source.display(),
            queries.len()
        ),
    }))
}

/// A BEIR collection (`scifact`, `nfcorpus`): its corpus as it is, and the queries judged in
/// `qrels/test.tsv`; `None` when it is absent.
pub fn beir(ctx: &Ctx, name: &'static str) -> Result<Option<Dataset>, String> {
    let dir = ctx.opts.eval_dir.join(name);
    let (corpus, qrels) = (dir.join("corpus.jsonl"), dir.join("qrels").join("test.tsv"));
    if !corpus.is_file() || !qrels.is_file() {
        return Ok(None);
    }
    let judged = judged_query_ids(&qrels)?;
    let queries: Vec<Query> = read_queries(&dir.join("queries.jsonl"))?
        .into_iter()
        .filter(|q| judged.contains(&q.id))
        .collect();
    let queries_file = ctx.fresh(&format!("{name}/test-queries.jsonl"))?;
    write_queries(&queries_file, &queries)?;
    let records = count_lines(&corpus)?;
    Ok(Some(Dataset {
        name,
        description: format!(
            "{} ({records} articles); queries: the {} judged in qrels/test.tsv",
            corpus.display(),
            queries.len()
        ),
        corpus,
        queries_file,
    }))
}

/// MedQuAD at `percent` of its size: the first `percent`% of its threads, or several copies
/// of it under distinct ids. Returns the file and its record count.
pub fn scaled_medquad(ctx: &Ctx, percent: usize) -> Result<(PathBuf, usize), String> {
    let source = ctx.opts.eval_dir.join("medquad").join("medquad-qa.jsonl");
    let out = ctx.fresh(&format!("scaling/medquad-{percent}pct.jsonl"))?;
    let (copies_n, limit) = if percent >= 100 {
        (percent.div_ceil(100), None)
    } else {
        (1, Some((count_lines(&source)? * percent).div_ceil(100)))
    };
    let records = copies(&source, &out, copies_n, limit)?;
    Ok((out, records))
}

/// Writes `n` copies of the records of `source` (only the first `limit` of them, if given) to
/// `out`, every id distinct. Streams: the large copies are hundreds of MB.
fn copies(source: &Path, out: &Path, n: usize, limit: Option<usize>) -> Result<usize, String> {
    let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = BufWriter::new(file);
    let mut seen = HashMap::new();
    let mut written = 0;
    for _ in 0..n {
        let reader =
            BufReader::new(File::open(source).map_err(|e| format!("{}: {e}", source.display()))?);
        for (i, line) in reader.lines().enumerate() {
            if limit.is_some_and(|l| i >= l) {
                break;
            }
            let line = line.map_err(|e| format!("{}:{}: {e}", source.display(), i + 1))?;
            if line.trim().is_empty() {
                continue;
            }
            let line = with_distinct_id(&line, &mut seen)
                .map_err(|e| format!("{}:{}: {e}", source.display(), i + 1))?;
            writeln!(w, "{line}").map_err(|e| format!("{}: {e}", out.display()))?;
            written += 1;
        }
    }
    w.flush().map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(written)
}

/// The query ids judged in a BEIR qrels file (`query-id corpus-id score`, a header line,
/// CRLF line ends).
fn judged_query_ids(qrels: &Path) -> Result<HashSet<String>, String> {
    let text = std::fs::read_to_string(qrels).map_err(|e| format!("{}: {e}", qrels.display()))?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| l.trim_end_matches('\r').split('\t').next())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Non-blank lines of a file.
fn count_lines(path: &Path) -> Result<usize, String> {
    let reader = BufReader::new(File::open(path).map_err(|e| format!("{}: {e}", path.display()))?);
    let mut n = 0;
    for line in reader.lines() {
        if !line.map_err(|e| format!("{}: {e}", path.display()))?.trim().is_empty() {
            n += 1;
        }
    }
    Ok(n)
}

/// The first `n` queries of a query file, written to `out` (the scaling benchmark's sample).
pub fn first_queries(from: &Path, n: usize, out: &Path) -> Result<usize, String> {
    let queries: Vec<Query> = read_queries(from)?.into_iter().take(n).collect();
    write_queries(out, &queries)?;
    Ok(queries.len())
}
