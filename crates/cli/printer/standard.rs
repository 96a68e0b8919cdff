//! Output for people: like a good grep. Styles are written always; the `anstream` stream they go
//! through strips them when color is off (`--color never`, `NO_COLOR`, not a terminal).

use std::io::Write;

use anstyle::{AnsiColor, Style};
use kb::{IndexReport, Kind, Passage, SearchResults, Stats};
use kb_eval::EvalReport;

use crate::paths::display_path;

const TITLE: Style = Style::new().bold();
const MATCH: Style = AnsiColor::Red.on_default().bold();
const PATH: Style = AnsiColor::Magenta.on_default();
const DIM: Style = Style::new().dimmed();

/// Writes search results:
///
/// ```text
/// 1. Calf Reduction › TheConsultation explains Calf Reduction  [article]
///    Botox injections are not permanent, but … fully visible after one to two months.
///    corpus/calf-reduction.txt:12  calf-reduction#3
///
/// 2. Is Nerve Block Procedure in Calves Safe? › Making calf smaller  [answer]
///    answer to question nerve-block-calves-qa#0
///    …
/// ```
///
/// A hit of kind `code` shows its snippet as a block, its lines kept, each indented under the
/// title line. With `--explain`, each hit ends with the tree of its score, one part a line.
/// When little was found and a correction exists, `did you mean: …?` comes before the summary
/// line.
pub fn write_search(out: &mut impl Write, results: &SearchResults) -> std::io::Result<()> {
    for hit in &results.hits {
        write!(out, "{}. {TITLE}{}{TITLE:#}", hit.rank, hit.doc_title)?;
        if let Some(h) = &hit.heading {
            write!(out, " › {TITLE}{h}{TITLE:#}")?;
        }
        writeln!(out, "  {DIM}[{}]{DIM:#}", hit.kind)?;
        // The question's title is the document title, already on the line above: name the
        // question passage, which `kb show` prints.
        if let Some(q) = &hit.question {
            writeln!(out, "   answer to question {DIM}{}{DIM:#}", q.passage_id)?;
        }
        // Prose on one line; code as a block, its lines indented.
        let (indent, lines) = match hit.kind {
            Kind::Code => (CODE_INDENT, "\n".to_owned() + CODE_INDENT),
            _ => ("   ", " ".to_owned()),
        };
        let shape = |s: &str| s.replace('\n', &lines);
        write!(out, "{indent}")?;
        let text = &hit.snippet.text;
        let mut at = 0;
        for r in &hit.snippet.highlights {
            if r.start < at || r.end > text.len() {
                continue;
            }
            write!(
                out,
                "{}{MATCH}{}{MATCH:#}",
                shape(&text[at..r.start]),
                shape(&text[r.clone()])
            )?;
            at = r.end;
        }
        writeln!(out, "{}", shape(&text[at..]))?;
        writeln!(
            out,
            "   {PATH}{}:{}{PATH:#}  {DIM}{}{DIM:#}",
            display_path(&hit.source.path),
            hit.source.line,
            hit.passage_id
        )?;
        if let Some(explanation) = &hit.explanation {
            writeln!(out, "   {DIM}score explained:{DIM:#}")?;
            for line in explanation.lines() {
                writeln!(out, "     {line}")?;
            }
        }
        writeln!(out)?;
    }
    if let Some(suggestion) = &results.did_you_mean {
        writeln!(out, "did you mean: {TITLE}{suggestion}{TITLE:#}?")?;
    }
    let shown = results.hits.len();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let at_least = match results.total_relation {
        kb::TotalRelation::Eq => "",
        kb::TotalRelation::Gte => "at least ",
    };
    writeln!(
        out,
        "{shown} hit{} ({at_least}{} passage{} matched) in {:.1} ms",
        plural(shown),
        results.total,
        plural(results.total),
        results.took_ms
    )
}

/// How the lines of a code snippet are indented in search results: a bar marks the block.
const CODE_INDENT: &str = "   │ ";

/// Writes search results one line a hit, like grep: `path:line: snippet`, the matches styled
/// (the stream strips styles when color is off), nothing else. A pushed document, which has no
/// file, is named by its passage id (`n1#0:1: …`).
pub fn write_search_oneline(out: &mut impl Write, results: &SearchResults) -> std::io::Result<()> {
    for hit in &results.hits {
        let path = if hit.source.path.is_empty() {
            hit.passage_id.clone()
        } else {
            display_path(&hit.source.path)
        };
        write!(out, "{PATH}{path}{PATH:#}:{}: ", hit.source.line)?;
        let text = &hit.snippet.text;
        let mut at = 0;
        for r in &hit.snippet.highlights {
            if r.start < at || r.end > text.len() {
                continue;
            }
            write!(out, "{}{MATCH}{}{MATCH:#}", flat(&text[at..r.start]), flat(&text[r.clone()]))?;
            at = r.end;
        }
        writeln!(out, "{}", flat(&text[at..]))?;
    }
    Ok(())
}

/// A snippet on one line: newlines become spaces (same byte length, so ranges still hold).
fn flat(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Writes the `kb index` summary.
pub fn write_index_report(out: &mut impl Write, r: &IndexReport) -> std::io::Result<()> {
    let failed = r.skipped.iter().filter(|s| s.is_failure()).count();
    if !r.committed {
        writeln!(out, "index is up to date: {} files unchanged, nothing to do", r.unchanged)?;
    } else {
        writeln!(
            out,
            "files: {} added, {} changed, {} removed, {} unchanged, {} skipped, {} of other types",
            r.added,
            r.changed,
            r.removed,
            r.unchanged,
            failed,
            r.skipped.len() - failed
        )?;
    }
    writeln!(
        out,
        "index: {} documents, {} passages ({:.0} ms, {:.1} MB read)",
        r.documents,
        r.passages,
        r.took_ms,
        r.bytes_read as f64 / 1e6
    )?;
    if failed > 0 {
        writeln!(out, "skipped (see messages above): {failed}")?;
    }
    Ok(())
}

/// Writes `kb stats`.
pub fn write_stats(out: &mut impl Write, s: &Stats) -> std::io::Result<()> {
    writeln!(out, "documents   {}", s.documents)?;
    writeln!(
        out,
        "passages    {} (article {}, question {}, answer {}, code {})",
        s.passages, s.by_kind.article, s.by_kind.question, s.by_kind.answer, s.by_kind.code
    )?;
    if s.dropped.boilerplate + s.dropped.duplicates > 0 {
        writeln!(
            out,
            "left out    {} passages of boilerplate, {} duplicates",
            s.dropped.boilerplate, s.dropped.duplicates
        )?;
    }
    writeln!(out, "files       {}", s.files)?;
    writeln!(out, "index size  {:.1} KiB", s.index_bytes as f64 / 1024.0)?;
    if let Some(file_list) = &s.file_list {
        writeln!(out)?;
        for f in file_list {
            let path = display_path(&f.path);
            if f.passages > 0 {
                write!(out, "indexed  {path}  {} documents, {} passages", f.documents, f.passages)?;
                if f.boilerplate + f.duplicates > 0 {
                    write!(
                        out,
                        " ({} boilerplate, {} duplicates left out)",
                        f.boilerplate, f.duplicates
                    )?;
                }
                writeln!(out)?;
            }
            for skip in &f.skipped {
                match skip.line {
                    Some(line) => writeln!(out, "skipped  {path}:{line}  {}", skip.reason)?,
                    None => writeln!(out, "skipped  {path}  {}", skip.reason)?,
                }
            }
        }
    }
    Ok(())
}

/// Writes whole passages (`kb show`).
pub fn write_passages(out: &mut impl Write, passages: &[Passage]) -> std::io::Result<()> {
    if let Some(first) = passages.first() {
        writeln!(out, "{TITLE}{}{TITLE:#}  {DIM}{}{DIM:#}\n", first.doc_title, first.doc_id)?;
    }
    let mut heading: Option<&str> = None;
    for p in passages {
        if p.heading.as_deref() != heading {
            heading = p.heading.as_deref();
            if let Some(h) = heading {
                writeln!(out, "## {TITLE}{h}{TITLE:#}\n")?;
            }
        }
        match p.kind {
            Kind::Article => writeln!(out, "{}", p.text)?,
            Kind::Code => {
                // Indented four spaces, as Markdown writes code: ready to copy.
                writeln!(out, "[code]")?;
                for line in p.text.lines() {
                    writeln!(out, "    {line}")?;
                }
            }
            k => writeln!(out, "[{k}] {}", p.text)?,
        }
        writeln!(
            out,
            "{PATH}{}:{}{PATH:#}  {DIM}{}{DIM:#}\n",
            display_path(&p.source.path),
            p.source.line,
            p.id
        )?;
    }
    Ok(())
}

/// Writes the `kb eval` summary:
///
/// ```text
/// scifact (test split): 300 queries
/// nDCG@10     0.6650
/// Recall@100  0.9080
/// MRR@10      0.6300
/// latency     p50 1.2 ms, p95 3.4 ms, p99 5.6 ms (nearest rank)
/// index       5183 documents, 21000 passages in .kb-eval/scifact-0123456789abcdef (reused, 12 ms)
/// ```
pub fn write_eval(out: &mut impl Write, r: &EvalReport) -> std::io::Result<()> {
    writeln!(
        out,
        "{TITLE}{}{TITLE:#} ({} split): {} queries",
        r.dataset, r.split, r.scores.queries
    )?;
    writeln!(out, "nDCG@10     {:.4}", r.scores.mean.ndcg_10)?;
    writeln!(out, "Recall@100  {:.4}", r.scores.mean.recall_100)?;
    writeln!(out, "MRR@10      {:.4}", r.scores.mean.mrr_10)?;
    writeln!(
        out,
        "latency     p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms (nearest rank)",
        r.latency.p50_ms, r.latency.p95_ms, r.latency.p99_ms
    )?;
    let how = if r.index_reused { "reused" } else { "built" };
    write!(
        out,
        "index       {} documents, {} passages in {PATH}{}{PATH:#} ({how}, {:.0} ms)",
        r.documents,
        r.passages,
        display_path(&r.index_dir.to_string_lossy()),
        r.index_ms
    )?;
    if r.skipped > 0 {
        write!(out, "; {} corpus records skipped", r.skipped)?;
    }
    writeln!(out)
}
