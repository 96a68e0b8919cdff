//! The JSON line and summary table of a criterion bench.
//!
//! criterion keeps its results in files (`<criterion dir>/<group>/<bench>/new/estimates.json`)
//! and has no API to return them, so after the run the bench reads back the results written
//! since it started and prints them: a compact table and one JSON line, like every kb benchmark.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{json, Value};

use super::report::{json_line, num, Table};

/// criterion's output folder, found the way criterion finds it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion` under the repository.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::fixtures::repo_root().join("target"));
    target.join("criterion")
}

/// One benchmark's result as criterion saved it.
struct Result {
    id: String,
    median_ns: f64,
    /// `("bytes" | "elements", count)` per iteration, when the bench declared a throughput.
    throughput: Option<(&'static str, f64)>,
}

/// Prints the results of the benchmarks of `groups` that were written after `started`: a table
/// and one JSON line `{"bench", "inputs", "results": [{"id", "median_ns", ...}]}`.
///
/// In `--test` or `--list` mode criterion writes nothing, and the line says so (`results: []`).
pub fn print_summary(bench: &str, inputs: Value, groups: &[&str], started: SystemTime) {
    let dir = criterion_dir();
    let mut results = Vec::new();
    for group in groups {
        collect(&dir.join(group), started, &mut results);
    }
    results.sort_by(|a, b| a.id.cmp(&b.id));
    let mut table =
        Table::new(format!("{bench}: medians (criterion)"), &["benchmark", "median", "throughput"]);
    let mut rows = Vec::new();
    for r in &results {
        let mut row = json!({"id": r.id, "median_ns": r.median_ns});
        let rate = match r.throughput {
            Some(("bytes", n)) => {
                let mib_s = n / (r.median_ns / 1e9) / (1u64 << 20) as f64;
                row["bytes_per_iter"] = json!(n);
                row["mib_per_s"] = json!(mib_s);
                format!("{} MiB/s", num(mib_s, 1))
            }
            Some((_, n)) => {
                let per_s = n / (r.median_ns / 1e9);
                row["elements_per_iter"] = json!(n);
                row["elements_per_s"] = json!(per_s);
                row["ns_per_element"] = json!(r.median_ns / n);
                format!("{} /s ({} µs each)", num(per_s, 0), num(r.median_ns / n / 1e3, 2))
            }
            None => String::new(),
        };
        table.row(vec![r.id.clone(), duration(r.median_ns), rate]);
        rows.push(row);
    }
    if !results.is_empty() {
        table.print();
    }
    json_line(&json!({"bench": bench, "inputs": inputs, "results": rows}));
}

/// A duration in nanoseconds, in the unit that suits it.
fn duration(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{} ns", num(ns, 1)),
        ns if ns < 1e6 => format!("{} µs", num(ns / 1e3, 2)),
        ns if ns < 1e9 => format!("{} ms", num(ns / 1e6, 2)),
        ns => format!("{} s", num(ns / 1e9, 2)),
    }
}

/// Finds `new/estimates.json` + `new/benchmark.json` pairs under `dir` newer than `since`.
fn collect(dir: &Path, since: SystemTime, out: &mut Vec<Result>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some(r) = read_result(&path, since) {
                out.push(r);
            }
        } else if path.file_name().is_some_and(|n| n != "base" && n != "report" && n != "change") {
            collect(&path, since, out);
        }
    }
}

fn read_result(new_dir: &Path, since: SystemTime) -> Option<Result> {
    let estimates = new_dir.join("estimates.json");
    let fresh = std::fs::metadata(&estimates).and_then(|m| m.modified()).is_ok_and(|t| t >= since);
    if !fresh {
        return None;
    }
    let read = |p: PathBuf| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
    };
    let est = read(estimates)?;
    let id = read(new_dir.join("benchmark.json"))?;
    let throughput = match id.get("throughput") {
        Some(Value::Object(t)) => t.iter().next().and_then(|(kind, n)| {
            let kind =
                if kind.to_ascii_lowercase().contains("byte") { "bytes" } else { "elements" };
            Some((kind, n.as_f64()?))
        }),
        _ => None,
    };
    Some(Result {
        id: id.get("full_id")?.as_str()?.to_owned(),
        median_ns: est.get("median")?.get("point_estimate")?.as_f64()?,
        throughput,
    })
}
