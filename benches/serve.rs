//! `kb serve` under load: HTTP search on MedQuAD with 1, 4 and 8 concurrent clients (p50 / p99
//! latency, throughput), against the same searches made in-process through the `kb` library
//! (the ratio HTTP p50 / in-process p50 is the server's own cost). Optionally the same on a small
//! semantic index (`--semantic-records N`, needs the embedding model: `KB_MODEL_DIR`).
//!
//! ```text
//! cargo bench --bench serve -- [--queries N] [--semantic-records N] [--eval-dir DIR] [--kb PATH]
//! ```
//!
//! The release `kb` binary indexes MedQuAD (ids made distinct, as the e2e benchmark does) into
//! a temp folder and serves it on a loopback port; each client keeps one HTTP/1.1 connection
//! open and sends `GET /search?q=QUESTION&limit=10` one after another; the queries (MedQuAD's
//! first N questions, 2,000 by default) are shared out among the clients, so every
//! configuration runs each query once. The in-process figures are `Kb::search` with the same
//! options (top 10, snippets, the defaults of `kb search`) in this process, one at a time.
//! BENCHMARKS.md reports the figures.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::records::{for_each_record, with_distinct_id};
use support::report::{json_line, ms, num, percentile, Table};

const USAGE: &str = "\
usage: cargo bench --bench serve -- [--queries N] [--semantic-records N] [--eval-dir DIR]
           [--kb PATH] [--work DIR]

  --queries N           MedQuAD questions run in each configuration (default 2000)
  --semantic-records N  also measure a semantic index of MedQuAD's first N threads (default 0:
                        skipped; needs the embedding model, KB_MODEL_DIR)
  --eval-dir DIR        the evaluation data (default $KB_EVAL_DIR, else ../shared/eval)
  --kb PATH             the kb binary (default: the one cargo built for this bench)
  --work DIR            where the temp index goes (default: the system temp dir)";

/// Hits per query, as in the other search benchmarks.
const LIMIT: usize = 10;
/// Concurrent clients of each configuration.
const CLIENTS: [usize; 3] = [1, 4, 8];
/// Queries run first, unmeasured, so the index is in the page cache and the model loaded.
const WARM_UP: usize = 200;

struct Options {
    queries: usize,
    semantic_records: usize,
    eval_dir: PathBuf,
    kb: PathBuf,
    work: Option<PathBuf>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return;
    }
    // `cargo bench -- FILTER` passes its filter to every bench binary: run only when it names us.
    let filters: Vec<&String> =
        args.iter().filter(|a| !a.starts_with('-') && !is_value(&args, a)).collect();
    if !filters.is_empty() && !filters.iter().any(|f| "serve".contains(f.as_str())) {
        return;
    }
    if let Err(e) = parse(&args).and_then(|o| run(&o)) {
        eprintln!("serve bench: {e}");
        std::process::exit(2);
    }
}

/// Whether `arg` is the value of an option (`--queries 500`).
fn is_value(args: &[String], arg: &String) -> bool {
    let at = args.iter().position(|a| std::ptr::eq(a, arg)).unwrap_or(0);
    at > 0 && args[at - 1].starts_with("--") && args[at - 1] != "--bench"
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        queries: 2000,
        semantic_records: 0,
        eval_dir: support::fixtures::eval_dir(),
        kb: PathBuf::from(env!("CARGO_BIN_EXE_kb")),
        work: None,
    };
    let mut it = args.iter().map(String::as_str);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"));
        let count = |v: &str| v.parse::<usize>().map_err(|_| format!("{arg}: not a number: {v}"));
        match arg {
            "--queries" => o.queries = count(value()?)?.max(1),
            "--semantic-records" => o.semantic_records = count(value()?)?,
            "--eval-dir" => o.eval_dir = value()?.into(),
            "--kb" => o.kb = value()?.into(),
            "--work" => o.work = Some(value()?.into()),
            _ => {}
        }
    }
    Ok(o)
}

fn run(o: &Options) -> Result<(), String> {
    let source = o.eval_dir.join("medquad").join("medquad-qa.jsonl");
    if !source.is_file() {
        println!("serve: skipped, no {}", source.display());
        return Ok(());
    }
    if !o.kb.is_file() {
        return Err(format!("no kb binary at {} (cargo build --release)", o.kb.display()));
    }
    let work = match &o.work {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .map_err(|e| format!("temp dir: {e}"))?;
    println!("load average at the start: {}", load_average());

    // MedQuAD with distinct ids, and its questions.
    let corpus = work.path().join("medquad.jsonl");
    let questions = distinct_copy(&source, &corpus, usize::MAX)?;
    let queries: Vec<String> = questions.into_iter().take(o.queries).collect();
    let index = work.path().join("index");
    kb_index(o, &corpus, &index, false)?;
    let lexical = measure(o, &index, &queries, "MedQuAD (16,407 threads), lexical")?;

    let semantic = if o.semantic_records > 0 {
        let corpus = work.path().join("medquad-semantic.jsonl");
        let questions = distinct_copy(&source, &corpus, o.semantic_records)?;
        let index = work.path().join("index-semantic");
        kb_index(o, &corpus, &index, true)?;
        let label = format!("MedQuAD's first {} threads, semantic", o.semantic_records);
        Some(measure(o, &index, &questions, &label)?)
    } else {
        None
    };
    json_line(&json!({
        "bench": "serve",
        "queries": queries.len(),
        "limit": LIMIT,
        "lexical": lexical,
        "semantic": semantic,
        "load_average_end": load_average(),
    }));
    println!("load average at the end: {}", load_average());
    Ok(())
}

/// Writes the first `records` threads of `source` to `out` with distinct ids; their questions.
fn distinct_copy(source: &Path, out: &Path, records: usize) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(source).map_err(|e| format!("{}: {e}", source.display()))?;
    let mut seen = HashMap::new();
    let mut copy = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(records) {
        copy.push_str(&with_distinct_id(line, &mut seen)?);
        copy.push('\n');
    }
    std::fs::write(out, copy).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut questions = Vec::new();
    for_each_record(out, &mut |r, _| {
        questions.push(r.question.unwrap_or(r.title));
        Ok(())
    })?;
    Ok(questions)
}

fn kb_index(o: &Options, corpus: &Path, index: &Path, semantic: bool) -> Result<(), String> {
    let started = Instant::now();
    let mut cmd = Command::new(&o.kb);
    cmd.arg("--index").arg(index).arg("index").arg(corpus);
    if semantic {
        cmd.arg("--semantic");
    }
    let out = cmd.output().map_err(|e| format!("kb index: {e}"))?;
    if !out.status.success() {
        return Err(format!("kb index failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    eprintln!(
        "serve bench: indexed {} in {:.1} s",
        corpus.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// In-process, then over HTTP with 1, 4 and 8 clients: prints the table, returns the figures.
fn measure(
    o: &Options,
    index: &Path,
    queries: &[String],
    label: &str,
) -> Result<serde_json::Value, String> {
    let opts = kb::SearchOptions { limit: LIMIT, ..kb::SearchOptions::default() };
    let in_process = {
        let kb = kb::Kb::open(index).map_err(|e| e.to_string())?;
        for q in queries.iter().take(WARM_UP) {
            kb.search(q, &opts).map_err(|e| e.to_string())?;
        }
        let mut latencies = Vec::with_capacity(queries.len());
        for q in queries {
            let start = Instant::now();
            kb.search(q, &opts).map_err(|e| e.to_string())?;
            latencies.push(start.elapsed().as_secs_f64() * 1e3);
        }
        latencies
    };
    let server = Server::start(o, index)?;
    // Warm up the server, and check it answers exactly what the library does.
    {
        let kb = kb::Kb::open(index).map_err(|e| e.to_string())?;
        let mut client = Client::connect(server.port)?;
        for q in queries.iter().take(WARM_UP) {
            let body = client.search(q)?;
            let served: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            let local =
                serde_json::to_value(kb.search(q, &opts).map_err(|e| e.to_string())?).unwrap();
            if served["hits"].as_array().map(Vec::len) != local["hits"].as_array().map(Vec::len)
                || served["hits"][0]["passage_id"] != local["hits"][0]["passage_id"]
            {
                return Err(format!("the server and the library disagree on {q:?}"));
            }
        }
    }
    let mut table = Table::new(
        format!("serve: {label}; {} queries, top {LIMIT} with snippets", queries.len()),
        &["searches", "p50 ms", "p99 ms", "queries/s", "p50 / in-process p50"],
    );
    let local_p50 = percentile(&in_process, 50.0);
    let local_total_s: f64 = in_process.iter().sum::<f64>() / 1e3;
    table.row(vec![
        "in-process (kb::Kb::search), 1 at a time".into(),
        ms(local_p50),
        ms(percentile(&in_process, 99.0)),
        num(in_process.len() as f64 / local_total_s, 0),
        "1.00".into(),
    ]);
    let mut figures = json!({
        "in_process": {"p50_ms": local_p50, "p99_ms": percentile(&in_process, 99.0),
                       "qps": in_process.len() as f64 / local_total_s},
    });
    for clients in CLIENTS {
        let (latencies, wall_s) = http_load(server.port, queries, clients)?;
        let p50 = percentile(&latencies, 50.0);
        let p99 = percentile(&latencies, 99.0);
        let qps = latencies.len() as f64 / wall_s;
        table.row(vec![
            format!("HTTP, {clients} client{}", if clients == 1 { "" } else { "s" }),
            ms(p50),
            ms(p99),
            num(qps, 0),
            num(p50 / local_p50, 2),
        ]);
        figures[format!("http_{clients}")] =
            json!({"p50_ms": p50, "p99_ms": p99, "qps": qps, "ratio_p50": p50 / local_p50});
    }
    table.print();
    drop(server);
    Ok(figures)
}

/// Runs every query once over `clients` connections at once; the latencies and the wall time.
fn http_load(port: u16, queries: &[String], clients: usize) -> Result<(Vec<f64>, f64), String> {
    let start = Instant::now();
    let results: Vec<Result<Vec<f64>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                scope.spawn(move || {
                    let mut client = Client::connect(port)?;
                    let mut latencies = Vec::new();
                    for q in queries.iter().skip(c).step_by(clients) {
                        let start = Instant::now();
                        client.search(q)?;
                        latencies.push(start.elapsed().as_secs_f64() * 1e3);
                    }
                    Ok(latencies)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("client thread")).collect()
    });
    let wall_s = start.elapsed().as_secs_f64();
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    Ok((all, wall_s))
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(port: u16) -> Result<Client, String> {
        let stream =
            TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
        Ok(Client { reader: BufReader::new(stream) })
    }

    /// `GET /search?q=...&limit=10`: the body of a 200 answer.
    fn search(&mut self, query: &str) -> Result<Vec<u8>, String> {
        let request = format!(
            "GET /search?q={}&limit={LIMIT} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            url_encode(query)
        );
        self.reader.get_mut().write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        let mut status = String::new();
        self.reader.read_line(&mut status).map_err(|e| e.to_string())?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).map_err(|e| e.to_string())?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().map_err(|_| "bad content-length")?;
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        if !status.starts_with("HTTP/1.1 200") {
            return Err(format!("{query:?}: {} {}", status.trim(), String::from_utf8_lossy(&body)));
        }
        Ok(body)
    }
}

fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `kb serve` child on a free loopback port; killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(o: &Options, index: &Path) -> Result<Server, String> {
        let mut child = Command::new(&o.kb)
            .arg("--index")
            .arg(index)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("kb serve: {e}"))?;
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        loop {
            line.clear();
            if stderr.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                let _ = child.kill();
                return Err("kb serve exited before listening".into());
            }
            if let Some(addr) = line.trim().strip_prefix("kb: listening on http://") {
                let port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
                let port = port.ok_or_else(|| format!("no port in {addr}"))?;
                // Keep draining stderr so the server never blocks on it.
                std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
                return Ok(Server { child, port });
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
