//! `kb mcp`: an MCP session with the real binary, the test being the client on its stdin and
//! stdout (newline-delimited JSON-RPC 2.0).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

use crate::util;

/// A `kb mcp` child and the messages it writes, one a line.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Session {
    fn start(work: &util::Kb) -> Session {
        Session::start_with(work, &[])
    }

    /// `kb mcp EXTRA...`.
    fn start_with(work: &util::Kb, extra: &[&str]) -> Session {
        let mut child = work
            .command()
            .arg("mcp")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kb mcp starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let stdin = child.stdin.take();
        Session { child, stdin, lines }
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").expect("write to kb mcp");
        stdin.flush().unwrap();
    }

    /// Sends a request and returns the response with its id (every line must be JSON-RPC 2.0).
    fn call(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no answer to {method} (id {id})"));
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carries a non-JSON line ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{message}");
            if message["id"] == id {
                return message;
            }
        }
    }

    /// `tools/call`: the result of a call that must succeed as a protocol request.
    fn tool(&mut self, id: u64, name: &str, arguments: Value) -> Value {
        let response = self.call(id, "tools/call", json!({"name": name, "arguments": arguments}));
        response.get("result").cloned().unwrap_or_else(|| panic!("{name}: {response}"))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text_of(result: &Value) -> &str {
    assert_eq!(result["content"][0]["type"], "text", "{result}");
    result["content"][0]["text"].as_str().expect("text content")
}

fn without_took(mut value: Value) -> Value {
    value.as_object_mut().expect("an object").remove("took_ms");
    value
}

#[test]
fn mcp_session_initializes_lists_and_calls_the_tools() {
    let work = util::Kb::with_seed_corpus();
    work.run(&["index", "corpus"]).expect_code(0);
    let mut mcp = Session::start(&work);

    let init = mcp.call(
        1,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "kb-tests", "version": "1"}}),
    );
    let result = &init["result"];
    assert_eq!(result["protocolVersion"], "2025-06-18", "{init}");
    assert!(result["capabilities"]["tools"].is_object(), "{init}");
    assert_eq!(result["serverInfo"]["name"], "kb");
    mcp.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    let list = mcp.call(2, "tools/list", json!({}));
    let tools = list["result"]["tools"].as_array().expect("tools");
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["search", "show", "stats"]);
    assert_eq!(tools[0]["inputSchema"]["required"], json!(["query"]));
    assert!(tools[0]["inputSchema"]["properties"]["kind"]["enum"].is_array());

    // search: readable hits, and the `kb search --json` object as structured content.
    let result = mcp.tool(3, "search", json!({"query": "botox results", "limit": 2}));
    assert_eq!(result["isError"], false);
    let text = text_of(&result);
    assert!(
        text.starts_with("1. Calf Reduction › TheConsultation explains Calf Reduction  [article]\n   Botox injections are not permanent"),
        "{text}"
    );
    assert!(text.contains("corpus/calf-reduction.txt:12  calf-reduction#3"), "{text}");
    assert!(!text.contains("<mark>") && !text.contains('\u{1b}'), "no markup: {text}");
    let cli: Value =
        work.run(&["search", "--json", "botox results", "-n", "2"]).expect_code(0).json();
    assert_eq!(without_took(result["structuredContent"].clone()), without_took(cli));

    let result = mcp.tool(4, "search", json!({"query": "nerve", "kind": "answer", "limit": 1}));
    assert_eq!(result["structuredContent"]["hits"][0]["kind"], "answer");
    assert!(text_of(&result).contains("answer to question nerve-block-calves-qa#0"));

    // show: a whole passage, a whole document.
    let result = mcp.tool(5, "show", json!({"id": "calf-reduction#3"}));
    assert_eq!(result["isError"], false);
    let cli: Value = work.run(&["show", "--json", "calf-reduction#3"]).expect_code(0).json();
    assert_eq!(result["structuredContent"], cli);
    let passage = cli["passages"][0]["text"].as_str().unwrap();
    assert!(text_of(&result).contains(passage), "{}", text_of(&result));
    assert!(text_of(&result).contains("corpus/calf-reduction.txt"));
    let result = mcp.tool(6, "show", json!({"id": "calf-reduction"}));
    let cli: Value = work.run(&["show", "--json", "calf-reduction"]).expect_code(0).json();
    assert_eq!(result["structuredContent"], cli);

    // stats: the counts.
    let result = mcp.tool(7, "stats", json!({}));
    let cli: Value = work.run(&["stats", "--json"]).expect_code(0).json();
    assert_eq!(result["structuredContent"], cli);
    assert!(text_of(&result).contains("passages    14"), "{}", text_of(&result));
    assert!(!text_of(&result).contains("search by meaning"), "a lexical index");

    // Tool errors carry a message; the session goes on.
    for (id, name, arguments, says) in [
        (
            10,
            "show",
            json!({"id": "no-such-thing"}),
            "no passage or document with id \"no-such-thing\"",
        ),
        (11, "search", json!({}), "missing field `query`"),
        (12, "search", json!({"query": "botox", "limit": "ten"}), "bad arguments"),
        (13, "search", json!({"query": "botox", "limit": 0}), "limit must be between 1 and 100"),
        (14, "search", json!({"query": "botox", "kind": "comment"}), "kind must be article"),
        (15, "search", json!({"query": "  "}), "the query is empty"),
        (16, "stats", json!({"verbose": true}), "unknown field `verbose`"),
    ] {
        let result = mcp.tool(id, name, arguments);
        assert_eq!(result["isError"], true, "{result}");
        assert!(text_of(&result).contains(says), "{name}: {}", text_of(&result));
    }
    let unknown = mcp.call(20, "tools/call", json!({"name": "delete_everything", "arguments": {}}));
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    assert_eq!(mcp.call(21, "ping", json!({}))["result"], json!({}));

    // Closing stdin ends the session: exit 0.
    drop(mcp.stdin.take());
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = mcp.child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "kb mcp did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn mcp_searches_by_meaning_through_the_graph_past_approximate_from() {
    let work = util::Kb::semantic_garage();
    let cli: Value = work.run(&["search", "--json", "automobile repair"]).expect_code(0).json();
    assert_eq!(cli["hits"][0]["doc_id"], "garage", "only meaning finds it: {cli}");

    let mut mcp = Session::start_with(&work, &["--approximate-from", "1"]);
    mcp.call(
        1,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "kb-tests", "version": "1"}}),
    );
    mcp.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    // The stats tool says when the graph is walked: soon, for three passages.
    let start = std::time::Instant::now();
    for id in 2.. {
        let text = text_of(&mcp.tool(id, "stats", json!({}))).to_owned();
        if text.contains("search by meaning: approximate (an HNSW graph)") {
            break;
        }
        assert!(text.contains("search by meaning: exact (every embedding scanned)"), "{text}");
        assert!(start.elapsed() < Duration::from_secs(10), "the graph is not ready: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Three passages: the walk finds them all, so they rank as `kb search`'s scan ranks them.
    let result = mcp.tool(1000, "search", json!({"query": "automobile repair"}));
    assert_eq!(without_took(result["structuredContent"].clone()), without_took(cli));

    let run = work.run(&["mcp", "--approximate-from", "1e5"]).expect_code(2);
    assert!(run.stderr.contains("--approximate-from"), "{}", run.stderr);
}
