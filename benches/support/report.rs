//! Summaries and output: medians and percentiles, aligned tables, and the one JSON line each
//! benchmark prints so its figures can be collected by a script.

use std::fmt::Write as _;

/// The median of `samples` (mean of the two middle ones for an even count); NaN when empty.
pub fn median(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// The `p`-th percentile (0 < p <= 100) by the nearest-rank method: the `ceil(p / 100 * n)`-th
/// smallest sample, always one of the samples. It is the definition `kb eval` and `kb run`
/// report (`kb_eval::latency::percentile`), so kb's and the baseline's figures mean the same.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Latency percentiles of one batch of queries, milliseconds (nearest rank, see [`percentile`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Queries per second, one query at a time: the count over the sum of the latencies.
    pub qps: f64,
}

impl Percentiles {
    /// Summarizes per-query latencies in milliseconds.
    pub fn of(latencies_ms: &[f64]) -> Percentiles {
        let p = |q| percentile(latencies_ms, q);
        let total_s: f64 = latencies_ms.iter().sum::<f64>() / 1e3;
        Percentiles {
            p50_ms: p(50.0),
            p95_ms: p(95.0),
            p99_ms: p(99.0),
            qps: if total_s > 0.0 { latencies_ms.len() as f64 / total_s } else { f64::NAN },
        }
    }

    /// The median of each figure over several runs.
    pub fn median_of(runs: &[Percentiles]) -> Percentiles {
        let m = |f: fn(&Percentiles) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        Percentiles {
            p50_ms: m(|p| p.p50_ms),
            p95_ms: m(|p| p.p95_ms),
            p99_ms: m(|p| p.p99_ms),
            qps: m(|p| p.qps),
        }
    }
}

/// A table printed with aligned columns, numbers right-aligned.
pub struct Table {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table.
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Table {
        Table {
            title: title.into(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as headers).
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len(), "row width in table {:?}", self.title);
        self.rows.push(cells);
    }

    /// The table as text, a title line first.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain([self.headers[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!("\n{}\n", self.title);
        let line = |cells: &[String], out: &mut String| {
            for (c, cell) in cells.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                let numeric =
                    c > 0 && cell.starts_with(|ch: char| ch.is_ascii_digit() || ch == '-');
                let sep = if c == 0 { "" } else { "  " };
                if numeric {
                    let _ = write!(out, "{sep}{}{cell}", " ".repeat(pad));
                } else {
                    let _ = write!(out, "{sep}{cell}{}", " ".repeat(pad));
                }
            }
            out.push('\n');
        };
        line(&self.headers, &mut out);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule, &mut out);
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }

    /// Prints the table on standard output.
    pub fn print(&self) {
        print!("{}", self.render());
    }
}

/// Prints `value` as one line of JSON on standard output.
pub fn json_line(value: &serde_json::Value) {
    println!("{}", serde_json::to_string(value).expect("a JSON value serializes"));
}

/// Milliseconds with a precision that suits the magnitude.
pub fn ms(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v < 10.0 {
        format!("{v:.3}")
    } else if v < 1000.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// A plain number with `digits` decimals; `-` for NaN (not measured).
pub fn num(v: f64, digits: usize) -> String {
    if v.is_nan() {
        "-".into()
    } else {
        format!("{v:.digits$}")
    }
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: f64) -> String {
    num(bytes / (1u64 << 20) as f64, 1)
}
