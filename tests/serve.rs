//! `kb serve`: the real binary listening on a free loopback port, driven over HTTP/1.1 by a
//! small blocking client written here (one connection a request, `Connection: close`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util;

/// A `kb serve` child process; killed when dropped (if still running).
pub struct Server {
    child: Child,
    pub port: u16,
    /// Everything the server wrote to stderr so far.
    stderr: Arc<Mutex<String>>,
    token: Option<String>,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The `{"error": "..."}` message, asserting the status and the shape.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "status; body: {}", self.body);
        let body = self.json();
        let message = body["error"].as_str().unwrap_or_else(|| panic!("no error: {body}"));
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "only `error`: {body}");
        message.to_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Server {
    /// Starts `kb serve --addr 127.0.0.1:0 EXTRA...` in `work` and waits for its
    /// `kb: listening on http://...` line.
    pub fn start(work: &util::Kb, extra: &[&str]) -> Server {
        let mut child = work
            .command()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kb serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().expect("stderr");
        let log = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("kb: listening on http://") {
                    let _ = tx.send(addr.to_owned());
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let token = extra.iter().position(|a| *a == "--token").map(|i| extra[i + 1].to_owned());
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("kb serve did not say it listens:\n{}", stderr.lock().unwrap());
            }
        };
        let port = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
        assert!(addr.starts_with("127.0.0.1:") && port != 0, "listening on {addr}");
        Server { child, port, stderr, token }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits up to 5 s for the server to print `needle` on stderr.
    pub fn wait_for_stderr(&self, needle: &str) {
        let start = Instant::now();
        while !self.stderr().contains(needle) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "no {needle:?} in:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A request with the server's token (if it has one).
    pub fn call(&self, method: &str, path: &str, body: Option<(&str, &[u8])>) -> Answer {
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        request(self.port, method, path, auth.as_deref(), body)
    }

    pub fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None)
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.call("POST", path, Some(("application/json", body.to_string().as_bytes())))
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child's pid, which has not been waited for yet.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "SIGTERM sent");
    }

    /// Waits up to `limit` for the process to exit; its exit code, or `None` if still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// What the server printed on stdout (nothing, ever), once it has exited.
    pub fn stdout_after_exit(&mut self) -> String {
        let mut out = String::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            let _ = pipe.read_to_string(&mut out);
        }
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection; the whole answer.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> Answer {
    let mut stream = connect(port);
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(auth) = auth {
        head.push_str(&format!("Authorization: {auth}\r\n"));
    }
    if let Some((content_type, bytes)) = body {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
        head.push_str(&format!("Content-Length: {}\r\n", bytes.len()));
    }
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    if let Some((_, bytes)) = body {
        message.extend_from_slice(bytes);
    }
    // The server may answer (413) before reading the whole body: a failed write is fine then.
    let _ = stream.write_all(&message);
    read_answer(&mut stream)
}

pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to kb serve");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream
}

/// Reads an answer until the server closes the connection.
pub fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        // A reset after the answer arrived (the server closed with a body unread) still leaves
        // the answer readable in `raw`.
        assert!(!raw.is_empty(), "reading the answer: {e}");
    }
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    Answer { status: status.expect("a status line"), headers, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}

/// A JSON value with its `took_ms` removed (it differs from run to run).
fn without_took(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.remove("took_ms");
    }
    value
}

fn indexed_seed_corpus() -> util::Kb {
    let work = util::Kb::with_seed_corpus();
    work.run(&["index", "corpus"]).expect_code(0);
    work
}

#[test]
fn serve_answers_with_exactly_the_cli_json() {
    let work = indexed_seed_corpus();
    let server = Server::start(&work, &[]);

    for (query, params, cli_args) in [
        ("botox results", "", &[][..]),
        ("nerve funtion", "&kind=answer", &["--kind", "answer"][..]),
        ("calves", "&explain=true&limit=3", &["--explain", "--limit", "3"][..]),
        ("calf", "&per_doc=1&doc=calf-reduction", &["--per-doc", "1", "--doc", "calf-reduction"]),
    ] {
        let mut args = vec!["search", "--json", query];
        args.extend_from_slice(cli_args);
        let cli: Value = work.run(&args).expect_code(0).json();
        let q = query.replace(' ', "+");
        let answer = server.get(&format!("/search?q={q}{params}"));
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(without_took(answer.json()), without_took(cli.clone()), "GET {query:?}");
        assert!(answer.json()["took_ms"].is_number());
    }

    // POST /search takes the same parameters as a JSON object.
    let cli: Value =
        work.run(&["search", "--json", "botox results", "-n", "2", "--kind", "article"]).json();
    let answer =
        server.post_json("/search", &json!({"q": "botox results", "limit": 2, "kind": "article"}));
    assert_eq!(without_took(answer.json()), without_took(cli));
    assert_eq!(answer.json()["hits"].as_array().unwrap().len(), 2);

    // Passages (the id URL-encoded) and documents: what `kb show --json` prints.
    let cli: Value = work.run(&["show", "--json", "calf-reduction#3"]).expect_code(0).json();
    let answer = server.get("/passages/calf-reduction%233");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), cli);
    assert!(cli["passages"][0]["text"].as_str().unwrap().starts_with("Botox injections"));
    let cli: Value = work.run(&["show", "--json", "calf-reduction"]).expect_code(0).json();
    assert_eq!(server.get("/documents/calf-reduction").json(), cli);
    assert!(cli["passages"].as_array().unwrap().len() > 1);

    let cli: Value = work.run(&["stats", "--json"]).expect_code(0).json();
    assert_eq!(server.get("/stats").json(), cli);
    let health = server.get("/health");
    assert_eq!(health.status, 200);
    assert_eq!(
        health.json(),
        json!({"status": "ok", "documents": cli["documents"], "passages": cli["passages"],
               "dense": "none"})
    );

    // Ids that are not there, and routes that are not there.
    assert!(server.get("/passages/calf-reduction%2399").error(404).contains("calf-reduction#99"));
    assert!(server.get("/passages/calf-reduction").error(404).contains("no passage"));
    assert!(server.get("/documents/no-such-doc").error(404).contains("no-such-doc"));
    assert!(server.get("/nope").error(404).contains("no such route"));
    assert!(server.get("/search/more").error(404).contains("no such route"));
    assert_eq!(
        server.call("PUT", "/search", None).error(405),
        "this route does not take that method"
    );

    // Without a token there are no writes.
    let record = json!([{"id": "n1", "title": "Berries", "text": "The quokkaberry is sweet."}]);
    assert!(server.post_json("/documents", &record).error(403).contains("--token"));
    assert!(server.call("DELETE", "/documents/n1", None).error(403).contains("--token"));
    assert!(server.get("/search?q=quokkaberry").json()["hits"].as_array().unwrap().is_empty());
    // Nothing on stdout.
    drop(server);
}

#[test]
fn serve_refuses_bad_requests_with_a_message_and_keeps_answering() {
    let work = indexed_seed_corpus();
    let server = Server::start(&work, &["--max-body-mb", "1", "--timeout-s", "1"]);

    for (query, says) in [
        ("q=botox&limit=abc", "limit must be a number, not \"abc\""),
        ("q=botox&limit=0", "the limit must be at least 1"),
        ("q=botox&limit=99999999999", "limit must be at most 10000"),
        ("q=botox&per_doc=-1", "per_doc must be a number"),
        ("q=botox&kind=comment", "kind must be article, question, answer or code, not \"comment\""),
        ("q=botox&semantic=2", "the semantic weight must be between 0 and 1"),
        ("q=botox&explain=maybe", "explain must be true or false"),
        ("q=botox&colour=red", "unknown parameter \"colour\""),
        ("q=botox&q=again", "q is given more than once"),
        ("limit=3", "q is required"),
        ("q=+++", "q is required"),
    ] {
        let message = server.get(&format!("/search?{query}")).error(400);
        assert!(message.contains(says), "{query}: {message}");
    }
    for (body, says) in [
        (&b"{\"q\": \"botox\", \"limit\": \"ten\"}"[..], "the search body is not valid"),
        (b"{\"q\": \"botox\", \"colour\": 1}", "unknown field `colour`"),
        (b"not json", "the search body is not valid"),
        (b"", "the search body is not valid"),
    ] {
        let message = server.call("POST", "/search", Some(("application/json", body))).error(400);
        assert!(message.contains(says), "{}: {message}", String::from_utf8_lossy(body));
    }
    // Odd bytes in paths and queries.
    assert_eq!(server.get("/passages/%FF%FE").status, 400);
    for odd in ["%FF", "%E2%80%8B%00%0A", "%22%22%22", "-", "title%3A", "(((", "a%20b%7E2%5E9"] {
        let answer = server.get(&format!("/search?q={odd}"));
        assert_eq!(answer.status, 200, "{odd}: {}", answer.body);
        assert!(answer.json()["hits"].is_array());
    }

    // A body over --max-body-mb: 413.
    let big = vec![b' '; (1 << 20) + 1024];
    let message = server.call("POST", "/search", Some(("application/json", &big))).error(413);
    assert!(message.contains("--max-body-mb"), "{message}");

    // A request that takes longer than --timeout-s (its body never completes): 503.
    let mut slow = connect(server.port);
    slow.write_all(
        b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\nConnection: close\r\n\r\n{\"q\": ",
    )
    .unwrap();
    let started = Instant::now();
    let answer = read_answer(&mut slow);
    assert!(answer.error(503).contains("longer than 1 s"));
    assert!(started.elapsed() < Duration::from_secs(10));

    // Still answering, and nothing logged on stdout.
    assert_eq!(server.get("/health").status, 200);
    assert_eq!(server.get("/search?q=botox").json()["hits"][0]["doc_id"], "calf-reduction");
}

#[test]
fn serve_with_a_token_checks_it_on_every_request_and_allows_writes() {
    let work = indexed_seed_corpus();
    let server = Server::start(&work, &["--token", "s3cret-t0ken"]);
    let port = server.port;

    for auth in [None, Some("Bearer wrong"), Some("Bearer s3cret-t0ke"), Some("s3cret-t0ken")] {
        for (method, path) in [
            ("GET", "/health"),
            ("GET", "/search?q=botox"),
            ("GET", "/nope"),
            ("DELETE", "/documents/x"),
        ] {
            let answer = request(port, method, path, auth, None);
            assert!(answer.error(401).contains("Authorization: Bearer"), "{auth:?} {path}");
            assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        }
    }
    assert_eq!(request(port, "GET", "/health", Some("Bearer s3cret-t0ken"), None).status, 200);
    assert_eq!(request(port, "GET", "/health", Some("bearer s3cret-t0ken"), None).status, 200);

    // Upsert a JSON array: the `kb index --json` report, and searchable at once.
    let records = json!([
        {"id": "n1", "title": "Berries", "text": "The quokkaberry is sweet."},
        {"id": "t1", "title": "Ferns", "question": "Do ferns flower?",
         "answers": [{"body": "No: ferns make spores, never a flower."}]}
    ]);
    let report = server.post_json("/documents", &records);
    assert_eq!(report.status, 200, "{}", report.body);
    let report = report.json();
    assert_eq!(report["added"], 2);
    assert_eq!(report["committed"], true);
    assert_eq!(report["skipped"], json!([]));
    let hits = server.get("/search?q=quokkaberry").json();
    assert_eq!(hits["hits"][0]["passage_id"], "n1#0");
    assert_eq!(server.get("/search?q=spores&kind=answer").json()["hits"][0]["doc_id"], "t1");
    // ...and `kb search` in another process sees them too.
    assert_eq!(work.search("quokkaberry", &[]).hits[0].doc_id, "n1");

    // JSON Lines replace a document (an upsert).
    let lines =
        b"{\"id\": \"n1\", \"title\": \"Berries\", \"text\": \"The lingonberry is sour.\"}\n\n";
    let report = server.call("POST", "/documents", Some(("application/x-ndjson", lines)));
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        report.json()["changed"].as_u64().unwrap() + report.json()["added"].as_u64().unwrap(),
        1
    );
    assert!(server.get("/search?q=quokkaberry").json()["hits"].as_array().unwrap().is_empty());
    assert_eq!(server.get("/search?q=lingonberry").json()["hits"][0]["doc_id"], "n1");

    // Bad records: 400 naming the problem; nothing written.
    let message = server
        .call(
            "POST",
            "/documents",
            Some((
                "application/x-ndjson",
                b"{\"id\": \"n2\", \"title\": \"x\", \"text\": \"y\"}\n{oops\n",
            )),
        )
        .error(400);
    assert!(message.starts_with("line 2:"), "{message}");
    assert!(server.post_json("/documents", &json!({"id": "n3"})).error(400).contains("JSON array"));
    assert_eq!(server.get("/documents/n2").status, 404);

    // Remove: gone from searches; an id that is no pushed document is listed as skipped.
    let report = server.call("DELETE", "/documents/n1", None);
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(report.json()["removed"], 1);
    assert!(server.get("/search?q=lingonberry").json()["hits"].as_array().unwrap().is_empty());
    assert_eq!(server.get("/documents/n1").status, 404);
    let report = server.call("DELETE", "/documents/calf-reduction", None).json();
    assert_eq!(report["removed"], 0);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 1);
    assert_eq!(server.get("/documents/calf-reduction").status, 200);
}

#[test]
fn serve_under_load_sees_other_processes_commits_within_a_second() {
    const CLIENTS: usize = 8;
    const SEARCHES: usize = 150;
    let work = indexed_seed_corpus();
    let server = Server::start(&work, &[]);
    let port = server.port;

    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let failures = Arc::clone(&failures);
            std::thread::spawn(move || {
                let queries = ["botox results", "calf reduction", "nerve function", "korea"];
                for i in 0..SEARCHES {
                    let q = queries[(client + i) % queries.len()].replace(' ', "+");
                    let answer =
                        request(port, "GET", &format!("/search?q={q}&limit=5"), None, None);
                    let hits = serde_json::from_str::<Value>(&answer.body)
                        .ok()
                        .and_then(|v| v["hits"].as_array().map(Vec::len));
                    if answer.status != 200 || hits.is_none_or(|n| n == 0) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{}: {}", answer.status, answer.body));
                    }
                }
            })
        })
        .collect();

    // Meanwhile another process indexes new files, three times; each commit must be visible
    // to the server's searches within a second of `kb index` finishing.
    let mut delays = Vec::new();
    for round in 0..3 {
        let word = format!("zanzibarite{round}");
        work.write(
            &format!("corpus/new-{round}.md"),
            format!("# New {round}\n\nThe {word} gem.\n"),
        );
        work.run(&["index", "corpus"]).expect_code(0);
        let committed = Instant::now();
        loop {
            let answer = server.get(&format!("/search?q={word}"));
            assert_eq!(answer.status, 200);
            if answer.json()["hits"][0]["doc_id"] == format!("new-{round}") {
                break;
            }
            assert!(
                committed.elapsed() < Duration::from_secs(1),
                "round {round}: the commit is not visible after {:?}",
                committed.elapsed()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        delays.push(committed.elapsed());
    }
    for client in clients {
        client.join().expect("client thread");
    }
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} searches failed: {:?}",
        failures.len(),
        CLIENTS * SEARCHES,
        &failures[..failures.len().min(3)]
    );
    assert_eq!(server.get("/stats").json()["documents"], 5, "delays {delays:?}");
}

#[test]
fn serve_finishes_in_flight_requests_and_exits_0_on_sigterm() {
    let work = indexed_seed_corpus();
    let mut server = Server::start(&work, &[]);

    // A request in flight: its head and half its body sent.
    let body = br#"{"q": "botox results", "limit": 1}"#;
    let mut in_flight = connect(server.port);
    write!(
        in_flight,
        "POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    in_flight.write_all(&body[..10]).unwrap();
    // And a request that never completes: the server must not wait for it forever.
    let mut stalled = connect(server.port);
    stalled.write_all(b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{").unwrap();
    std::thread::sleep(Duration::from_millis(200));

    server.terminate();
    let terminated = Instant::now();
    // The server says it is stopping; new connections are refused from then on.
    server.wait_for_stderr("kb: shutting down");
    std::thread::sleep(Duration::from_millis(100));
    assert!(TcpStream::connect(("127.0.0.1", server.port)).is_err(), "still accepting");

    // The request in flight is answered in full.
    in_flight.write_all(&body[10..]).unwrap();
    let answer = read_answer(&mut in_flight);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["hits"][0]["passage_id"], "calf-reduction#3");

    let limit = Duration::from_secs(5).saturating_sub(terminated.elapsed());
    assert_eq!(server.wait_exit(limit), Some(0), "exit 0 within 5 s of SIGTERM");
    server.wait_for_stderr("requests still running after 3 s");
    drop(stalled);
    assert_eq!(server.stdout_after_exit(), "", "nothing on stdout");
}

#[test]
fn serve_help_says_it_binds_loopback_and_refuses_a_missing_index() {
    let work = util::Kb::new();
    let help = work.run(&["serve", "--help"]).expect_code(0).stdout;
    assert!(help.contains("127.0.0.1:8787"), "{help}");
    assert!(help.contains("loopback"), "{help}");
    assert!(help.contains("KB_TOKEN"), "{help}");
    let run =
        work.run(&["--index", "nothing-here", "serve", "--addr", "127.0.0.1:0"]).expect_code(2);
    assert!(run.stderr.contains("no index at nothing-here"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn serve_ranks_a_semantic_index_by_meaning_as_kb_search_does() {
    let work = util::Kb::new().with_word_model(&[
        &["car", "automobile", "vehicle"],
        &["repair", "fix", "mend"],
        &["soup", "pot", "broth", "stew", "onion", "salt", "kitchen"],
    ]);
    work.write(
        "docs/kitchen.txt",
        "Kitchen\n\nAn automobile repair manual lies under the soup pot, beside the broth, the \
         stew, the onion and the salt.\n",
    );
    work.write(
        "docs/workshop.txt",
        "Workshop\n\nMend the vehicle, fix the car: automobile work.\n",
    );
    work.write("docs/stew.txt", "Stew\n\nA stew of onion, salt and broth for the repair crew.\n");
    work.run(&["index", "--semantic", "docs"]).expect_code(0);
    let server = Server::start(&work, &[]);

    let doc_ids = |answer: &Answer| -> Vec<String> {
        assert_eq!(answer.status, 200, "{}", answer.body);
        let hits = answer.json()["hits"].as_array().unwrap().clone();
        hits.iter().map(|h| h["doc_id"].as_str().unwrap().to_owned()).collect()
    };
    // By meaning (the default weight, and 0.7), and by words alone with semantic=0.
    let by_meaning = server.get("/search?q=automobile+repair&semantic=0.7");
    assert_eq!(doc_ids(&by_meaning), ["workshop", "kitchen", "stew"]);
    assert_eq!(doc_ids(&server.get("/search?q=automobile+repair&semantic=0"))[0], "kitchen");
    for (params, cli_args) in [
        ("", &[][..]),
        ("&semantic=0.7", &["--semantic", "0.7"][..]),
        ("&dense=0", &["--dense", "0"][..]),
        ("&dense_feedback=0", &["--dense-feedback", "0"][..]),
    ] {
        let mut args = vec!["search", "--json", "automobile repair"];
        args.extend_from_slice(cli_args);
        let cli: Value = work.run(&args).expect_code(0).json();
        let served = server.get(&format!("/search?q=automobile+repair{params}"));
        assert_eq!(without_took(served.json()), without_took(cli), "{params}");
    }
    // "vehicle" is the workshop's word only; the kitchen's "automobile" is found by meaning,
    // unless meaning only re-ranks the words' passages (dense=0).
    assert_eq!(doc_ids(&server.get("/search?q=vehicle"))[..2], ["workshop", "kitchen"]);
    assert_eq!(doc_ids(&server.get("/search?q=vehicle&dense=0")), ["workshop"]);
    // The cosines are with the query and its two best passages' meaning, or with the query
    // alone (dense_feedback=0), as --explain says.
    let lent = "with the query and the meaning of the 2 best passages";
    assert!(server.get("/search?q=vehicle&explain=true").body.contains(lent));
    let alone = server.get("/search?q=vehicle&explain=true&dense_feedback=0").body;
    assert!(alone.contains("semantic: cosine") && !alone.contains(lent), "{alone}");
    let too_many = server.post_json("/search", &json!({"q": "car", "dense_feedback": 20000}));
    assert!(too_many.error(400).contains("dense_feedback must be at most 10000"));
}

#[test]
fn serve_walks_the_approximate_graph_past_approximate_from_and_health_says_so() {
    let work = util::Kb::semantic_garage();
    let hits = |answer: &Answer| -> Vec<String> {
        assert_eq!(answer.status, 200, "{}", answer.body);
        let hits = answer.json()["hits"].as_array().unwrap().clone();
        hits.iter().map(|h| h["doc_id"].as_str().unwrap().to_owned()).collect()
    };
    let query = "/search?q=automobile+repair";

    // The default threshold (100,000 passages): the exact scan answers.
    let exact = Server::start(&work, &[]);
    assert_eq!(exact.get("/health").json()["dense"], "exact");
    let by_scan = hits(&exact.get(query));
    // The garage has none of the query's words: only meaning finds it, and ranks it first.
    assert_eq!(by_scan[0], "garage", "{by_scan:?}");
    drop(exact);

    // From 3 passages on, the graph is built in the background and then walked.
    let graph = Server::start(&work, &["--approximate-from", "3"]);
    let start = Instant::now();
    loop {
        let dense = graph.get("/health").json()["dense"].clone();
        if dense == "approximate" {
            break;
        }
        assert_eq!(dense, "exact", "before the graph is ready");
        assert!(start.elapsed() < Duration::from_secs(10), "the graph of 3 passages is not ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Three passages: the walk finds every one, so the ranking is the scan's.
    assert_eq!(hits(&graph.get(query)), by_scan);

    // Above the index's size, no graph.
    let small = Server::start(&work, &["--approximate-from", "4"]);
    assert_eq!(hits(&small.get(query)), by_scan);
    assert_eq!(small.get("/health").json()["dense"], "exact");

    let run = work.run(&["serve", "--approximate-from", "many"]).expect_code(2);
    assert!(run.stderr.contains("--approximate-from"), "{}", run.stderr);
}
