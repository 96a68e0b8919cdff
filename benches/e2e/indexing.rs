//! Indexing: `kb index FILE` against the baseline's `index FILE`, each into a fresh folder,
//! alternating, `runs` times; wall time and peak RSS of the whole process, index size on disk.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::context::Ctx;
use crate::support::disk::dir_bytes;
use crate::support::process::run_measured;
use crate::support::report::{json_line, median, mib, ms, num, Table};

/// One indexing run of either system.
#[derive(Debug, Clone)]
pub struct IndexRun {
    /// Wall time of the process, milliseconds.
    pub wall_ms: f64,
    /// Peak RSS of the process, KiB.
    pub peak_rss_kb: Option<u64>,
    /// Documents in the index (kb: its report; baseline: records).
    pub documents: u64,
    /// kb's passages (the baseline has one document a record).
    pub passages: Option<u64>,
    /// Records kb skipped.
    pub skipped: u64,
    /// Index size on disk, bytes.
    pub index_bytes: u64,
}

/// The runs of both systems on one input, and the last index of each (kept for searching).
pub struct Indexed {
    /// What was indexed.
    pub input: PathBuf,
    /// Its size, bytes.
    pub source_bytes: u64,
    /// kb's runs.
    pub kb: Vec<IndexRun>,
    /// The baseline's runs.
    pub plain: Vec<IndexRun>,
    /// kb's last index.
    pub kb_dir: PathBuf,
    /// The baseline's last index.
    pub plain_dir: PathBuf,
}

/// Medians of one system's runs.
#[derive(Debug, Clone, Copy)]
pub struct IndexMedians {
    /// Wall time, milliseconds.
    pub wall_ms: f64,
    /// Peak RSS, KiB.
    pub peak_rss_kb: f64,
    /// Index size, bytes.
    pub index_bytes: f64,
}

impl IndexMedians {
    fn of(runs: &[IndexRun]) -> IndexMedians {
        let m = |f: &dyn Fn(&IndexRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        IndexMedians {
            wall_ms: m(&|r| r.wall_ms),
            peak_rss_kb: m(&|r| r.peak_rss_kb.map_or(f64::NAN, |k| k as f64)),
            index_bytes: m(&|r| r.index_bytes as f64),
        }
    }
}

/// Indexes `input` with both systems, `runs` times each, into `{tag}/kb-index` and
/// `{tag}/plain-index` under the work folder.
pub fn index_both(ctx: &Ctx, tag: &str, input: &Path, runs: usize) -> Result<Indexed, String> {
    let source_bytes =
        std::fs::metadata(input).map_err(|e| format!("{}: {e}", input.display()))?.len();
    let mut out = Indexed {
        input: input.to_owned(),
        source_bytes,
        kb: Vec::new(),
        plain: Vec::new(),
        kb_dir: PathBuf::new(),
        plain_dir: PathBuf::new(),
    };
    for run in 0..runs {
        eprintln!("e2e: {tag}: indexing, run {}/{runs}", run + 1);
        // Alternating the systems spreads slow phases of a shared machine over both.
        out.kb_dir = ctx.fresh(&format!("{tag}/kb-index"))?;
        out.kb.push(kb_index(ctx, input, &out.kb_dir)?);
        out.plain_dir = ctx.fresh(&format!("{tag}/plain-index"))?;
        out.plain.push(plain_index(ctx, input, &out.plain_dir)?);
    }
    Ok(out)
}

/// `kb --index DIR index INPUT --json`.
pub fn kb_index(ctx: &Ctx, input: &Path, dir: &Path) -> Result<IndexRun, String> {
    let done = run_measured(ctx.kb(dir).arg("index").arg(input).arg("--json"))?;
    // Exit 2 with a report means some records were skipped: counted, not fatal.
    let report: Value = serde_json::from_str(&done.stdout).map_err(|_| {
        format!("kb index {} failed ({}):\n{}", input.display(), done.status, done.stderr)
    })?;
    let count = |k: &str| {
        report.get(k).and_then(Value::as_u64).ok_or_else(|| format!("kb index --json: no {k:?}"))
    };
    Ok(IndexRun {
        wall_ms: done.wall_ms,
        peak_rss_kb: done.peak_rss_kb,
        documents: count("documents")?,
        passages: Some(count("passages")?),
        skipped: report.get("skipped").and_then(Value::as_array).map_or(0, |s| s.len() as u64),
        index_bytes: dir_bytes(dir),
    })
}

/// The baseline's `index --index DIR INPUT`.
pub fn plain_index(ctx: &Ctx, input: &Path, dir: &Path) -> Result<IndexRun, String> {
    let done = run_measured(ctx.plain().arg("index").arg("--index").arg(dir).arg(input))?
        .check("plain index")?;
    let line = done.json_line()?;
    Ok(IndexRun {
        wall_ms: done.wall_ms,
        peak_rss_kb: done.peak_rss_kb,
        documents: line["records"].as_u64().ok_or("plain index: no \"records\"")?,
        passages: None,
        skipped: 0,
        index_bytes: dir_bytes(dir),
    })
}

impl Indexed {
    /// Medians of kb's runs.
    pub fn kb_medians(&self) -> IndexMedians {
        IndexMedians::of(&self.kb)
    }

    /// Medians of the baseline's runs.
    pub fn plain_medians(&self) -> IndexMedians {
        IndexMedians::of(&self.plain)
    }

    /// kb's median wall time over the baseline's.
    pub fn ratio(&self) -> f64 {
        self.kb_medians().wall_ms / self.plain_medians().wall_ms
    }

    /// Prints the table and the JSON line of the `index/{name}` benchmark; returns the line.
    pub fn report(&self, name: &str, description: &str) -> Value {
        let mut t = Table::new(
            format!("index/{name}: {description}; medians of {} runs", self.kb.len()),
            &[
                "system",
                "wall ms",
                "documents",
                "docs/s",
                "MiB/s",
                "peak RSS MiB",
                "index MiB",
                "passages",
            ],
        );
        let mib_src = self.source_bytes as f64 / (1u64 << 20) as f64;
        let mut line = json!({
            "bench": "e2e_index",
            "dataset": name,
            "inputs": description,
            "input": self.input.display().to_string(),
            "source_bytes": self.source_bytes,
            "runs": self.kb.len(),
        });
        for (system, key, runs, m) in [
            ("kb", "kb", &self.kb, self.kb_medians()),
            ("plain tantivy", "plain", &self.plain, self.plain_medians()),
        ] {
            let last = runs.last().expect("at least one run");
            let secs = m.wall_ms / 1e3;
            t.row(vec![
                system.into(),
                ms(m.wall_ms),
                last.documents.to_string(),
                num(last.documents as f64 / secs, 0),
                num(mib_src / secs, 1),
                num(m.peak_rss_kb / 1024.0, 1),
                mib(m.index_bytes),
                last.passages.map_or("-".into(), |p| p.to_string()),
            ]);
            line[key] = json!({
                "wall_ms": m.wall_ms,
                "wall_ms_runs": runs.iter().map(|r| r.wall_ms).collect::<Vec<_>>(),
                "documents": last.documents,
                "passages": last.passages,
                "skipped": last.skipped,
                "docs_per_s": last.documents as f64 / secs,
                "mib_per_s": mib_src / secs,
                "peak_rss_kb": m.peak_rss_kb,
                "index_bytes": m.index_bytes,
            });
        }
        t.row(vec![
            "kb / plain".into(),
            num(self.ratio(), 2),
            String::new(),
            String::new(),
            String::new(),
            num(self.kb_medians().peak_rss_kb / self.plain_medians().peak_rss_kb, 2),
            num(self.kb_medians().index_bytes / self.plain_medians().index_bytes, 2),
            String::new(),
        ]);
        line["ratio_wall"] = json!(self.ratio());
        t.print();
        json_line(&line);
        line
    }
}
