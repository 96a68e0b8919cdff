//! The e2e driver's command line.

use std::path::PathBuf;

/// How the driver runs.
pub struct Options {
    /// Runs of each measurement; the medians are reported.
    pub runs: usize,
    /// Runs of each measurement in the scaling benchmark (its large sizes take minutes a run).
    pub scaling_runs: usize,
    /// MedQuAD questions used as queries at every scaling size.
    pub scaling_queries: usize,
    /// The sizes of the scaling benchmark, in percent of MedQuAD.
    pub scaling_sizes: Vec<usize>,
    /// The shared evaluation data (`medquad/`, `scifact/`, `nfcorpus/`).
    pub eval_dir: PathBuf,
    /// The `kb` binary.
    pub kb: PathBuf,
    /// Where the temp folders go (default: the system's temp dir).
    pub work: Option<PathBuf>,
    /// Keep the work folder (indexes, generated corpora) instead of deleting it.
    pub keep: bool,
    /// Run only the benchmarks whose name contains one of these (like criterion's filter).
    pub filters: Vec<String>,
}

pub const USAGE: &str = "\
usage: cargo bench --bench e2e -- [FILTER...] [--runs N] [--scaling-runs N]
           [--scaling-queries N] [--scaling-sizes P,P,...] [--eval-dir DIR] [--kb PATH]
           [--work DIR] [--keep]

Benchmarks (FILTER picks those whose name contains it; all by default):
  index/medquad  index/scifact  index/nfcorpus     kb index vs plain tantivy
  search/medquad search/scifact search/nfcorpus    warm search, top 10, +/- snippets
  eval/scifact   eval/nfcorpus                     kb eval (its own figures)
  process/corpus process/medquad                   kb search as a whole process
  scaling/10%    scaling/100% ...                  MedQuAD at several sizes

  --runs N             runs of each measurement, medians reported (default 5)
  --scaling-runs N     runs at each scaling size (default 3)
  --scaling-queries N  MedQuAD questions used as queries when scaling (default 2000)
  --scaling-sizes L    sizes in percent of MedQuAD (default 10,100,400,1600)
  --eval-dir DIR       the evaluation data (default $KB_EVAL_DIR, else ../shared/eval)
  --kb PATH            the kb binary (default: the one cargo built for this bench)
  --work DIR           where temp indexes and corpora go (default: the system temp dir)
  --keep               keep them afterwards";

impl Options {
    /// Parses the arguments (without the program name). `cargo bench` adds `--bench`, which is
    /// ignored, and so are criterion's options when `cargo bench -- --opt` passes them to every
    /// bench binary.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            runs: 5,
            scaling_runs: 3,
            scaling_queries: 2000,
            scaling_sizes: vec![10, 100, 400, 1600],
            eval_dir: crate::support::fixtures::eval_dir(),
            kb: PathBuf::from(env!("CARGO_BIN_EXE_kb")),
            work: None,
            keep: false,
            filters: Vec::new(),
        };
        let mut it = args.iter().map(String::as_str);
        while let Some(arg) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"));
            let count = |v: &str| match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{arg}: not a positive number: {v}")),
            };
            match arg {
                "--runs" => o.runs = count(value()?)?,
                "--scaling-runs" => o.scaling_runs = count(value()?)?,
                "--scaling-queries" => o.scaling_queries = count(value()?)?,
                "--scaling-sizes" => {
                    o.scaling_sizes =
                        value()?.split(',').map(|p| count(p.trim())).collect::<Result<_, _>>()?
                }
                "--eval-dir" => o.eval_dir = value()?.into(),
                "--kb" => o.kb = value()?.into(),
                "--work" => o.work = Some(value()?.into()),
                "--keep" => o.keep = true,
                "--bench" => {}
                other if other.starts_with('-') => eprintln!("e2e: ignoring option {other}"),
                filter => o.filters.push(filter.to_owned()),
            }
        }
        // Shown in every report: `/work/shared/eval` reads better than `/work/main/../shared/eval`.
        o.eval_dir = o.eval_dir.canonicalize().unwrap_or(o.eval_dir);
        Ok(o)
    }

    /// The names of all the benchmarks, in the order they run.
    pub fn benchmarks(&self) -> Vec<String> {
        let mut names = Vec::new();
        for ds in ["medquad", "scifact", "nfcorpus"] {
            names.extend(["index", "search"].map(|b| format!("{b}/{ds}")));
            names.push(if ds == "medquad" {
                "process/medquad".into()
            } else {
                format!("eval/{ds}")
            });
        }
        names.push("process/corpus".into());
        names.extend(self.scaling_sizes.iter().map(|p| format!("scaling/{p}%")));
        names
    }

    /// Whether the benchmark `name` (e.g. `index/medquad`) is to run.
    pub fn selected(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }
}
