//! The machine the benchmark ran on, printed first so every result says where it came from.

use std::process::Command;

use serde_json::{json, Value};

use crate::support::report::{json_line, Table};

/// Prints the machine's description (table and JSON line) and returns the line.
pub fn describe(kb: &std::path::Path) -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| "unknown".into())
    };
    let output = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "unknown".into())
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = load_average();
    let repo = crate::support::fixtures::repo_root();
    let repo = repo.to_string_lossy();
    let commit = output("git", &["-C", &repo, "rev-parse", "--short", "HEAD"]);
    let dirty = !output("git", &["-C", &repo, "status", "--porcelain"]).is_empty();
    let line = json!({
        "bench": "e2e_machine",
        "cpu": field(&cpuinfo, "model name"),
        "cores": cores,
        "memory": field(&meminfo, "MemTotal"),
        "load_average": load,
        "rustc": output("rustc", &["--version"]),
        "kb": format!("{} ({})", kb.display(), output(&kb.to_string_lossy(), &["--version"])),
        "commit": format!("{commit}{}", if dirty { " (with uncommitted changes)" } else { "" }),
    });
    let mut t = Table::new("machine", &["what", "value"]);
    for key in ["cpu", "cores", "memory", "load_average", "rustc", "kb", "commit"] {
        let v = &line[key];
        t.row(vec![key.into(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)]);
    }
    t.print();
    json_line(&line);
    line
}

/// The 1, 5 and 15 minute load averages (how busy the machine was), or `unknown`.
pub fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    if load.is_empty() {
        "unknown".into()
    } else {
        load.join(" ")
    }
}
