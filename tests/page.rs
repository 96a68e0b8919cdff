//! The search page of `kb serve` (`/`, `/p/{id}`, the login form), over the bundled corpus plus
//! a document whose title, heading and text hold `<script>`:
//!
//! - over plain HTTP: the HTML holds what `kb search` finds, escaped; the headers (CSP); the
//!   passage page and its 404; the `--token` login form and its cookie;
//! - in a real browser: headless Chromium (`/usr/bin/chromium`) loads the pages, with and
//!   without JavaScript, and the DOM it rendered is read (`--dump-dom`: after the page's
//!   scripts ran); driven over the DevTools protocol on a pipe, it types into the search box.
//!   Without Chromium these tests say loudly that they were skipped, and fail when
//!   `KB_REQUIRE_BROWSER` is set (CI sets it after installing Chromium).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serve::{connect, read_answer, Answer, Server};
use crate::util;

/// A document that tries to run scripts from its title, its heading and its text.
const HOSTILE: &str = "\
# Quokkaberry notes <script>document.title='pwned';document.body.setAttribute('data-pwned','title')</script>

## Picking <script>document.body.setAttribute('data-pwned','heading')</script> season

The quokkaberry <script>document.body.setAttribute('data-pwned','text')</script> ripens in late \
spring <img src=x onerror=\"document.body.setAttribute('data-pwned','img')\"> & tastes sweet.
";

/// The bundled corpus and the hostile document, indexed.
fn fixture() -> util::Kb {
    let work = util::Kb::with_seed_corpus();
    work.write("corpus/quokka.md", HOSTILE);
    work.run(&["index", "corpus"]).expect_code(0);
    work
}

/// `kb search --json QUERY ARGS...`.
fn cli_search(work: &util::Kb, query: &str, args: &[&str]) -> Value {
    let mut all = vec!["search", "--json", query];
    all.extend_from_slice(args);
    work.run(&all).json()
}

/// A request with extra header lines, on its own connection.
fn send(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut stream = connect(port);
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(body);
    stream.write_all(&message).expect("send the request");
    read_answer(&mut stream)
}

fn get(port: u16, path: &str) -> Answer {
    send(port, "GET", path, &[], b"")
}

/// Asserts an HTML page with kb's page headers; its body.
fn html_page(answer: &Answer, status: u16) -> &str {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = answer.header("content-security-policy").expect("a Content-Security-Policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    // The one script element is kb's own, from /assets; no inline script at all.
    assert_eq!(answer.body.matches("<script").count(), 1, "{}", answer.body);
    assert!(answer.body.contains("<script src=\"/assets/kb.js\" defer></script>"));
    &answer.body
}

/// The passage ids of a page's hits, in order (the text of each hit's id link).
fn hit_ids(html: &str) -> Vec<String> {
    html.split("<li class=\"hit\"")
        .skip(1)
        .map(|hit| {
            let source = hit.split("<p class=\"source\">").nth(1).expect("a source line");
            let link = source.split("\">").nth(1).expect("the id link");
            link.split("</a>").next().expect("the id").to_owned()
        })
        .collect()
}

/// The first `<li class="hit" ...>...</li>` of a page.
fn first_hit(html: &str) -> &str {
    let start = html.find("<li class=\"hit\"").expect("a hit");
    let end = html[start..].find("</li>").expect("the hit's end");
    &html[start..start + end]
}

/// The `<ol class="hits">` list of a page.
fn hit_list(html: &str) -> &str {
    let start = html.find("<ol class=\"hits\">").expect("a list of hits");
    let end = html[start..].find("</ol>").expect("the list's end");
    &html[start..start + end]
}

/// The href of a passage's page.
fn passage_href(id: &str, q: &str) -> String {
    format!("/p/{}?q={}", id.replace('#', "%23"), q.replace(' ', "+"))
}

#[test]
fn page_lists_what_kb_search_finds_escaped_under_a_csp() {
    let work = fixture();
    let server = Server::start(&work, &[]);
    let port = server.port;

    // The front page: a labelled search box, and what the index holds.
    let answer = get(port, "/");
    let front = html_page(&answer, 200);
    assert!(front.contains("<label for=\"q\">Search</label>"), "{front}");
    assert!(front.contains("<input id=\"q\" type=\"search\" name=\"q\" value=\"\""), "{front}");
    assert!(front.contains("<label for=\"kind\">Kind</label>"), "{front}");
    assert!(front.contains("3 documents, 15 passages."), "{front}");

    for (q, path, args) in [
        ("botox results", "/?q=botox+results", &[][..]),
        ("nerve funtion", "/?q=nerve+funtion&kind=answer", &["--kind", "answer"][..]),
        ("calf", "/?q=calf&limit=3", &["--limit", "3"][..]),
        ("quokkaberry", "/?q=quokkaberry", &[][..]),
    ] {
        let cli = cli_search(&work, q, args);
        let answer = get(port, path);
        let page = html_page(&answer, 200);
        let hits = cli["hits"].as_array().unwrap();
        assert!(!hits.is_empty(), "{q}");
        // The same passages in the same order as `kb search`...
        let ids: Vec<&str> = hits.iter().map(|h| h["passage_id"].as_str().unwrap()).collect();
        assert_eq!(hit_ids(page), ids, "{path}");
        for hit in hits {
            // ... each with the JSON's own snippet HTML, its source and its question.
            let snippet = hit["snippet"].as_str().unwrap();
            assert!(page.contains(&format!("<p class=\"snippet\">{snippet}</p>")), "{snippet}");
            let source = format!(
                "<code>{}:{}</code>",
                hit["source"]["path"].as_str().unwrap(),
                hit["source"]["line"]
            );
            assert!(page.contains(&source), "{source}");
            if let Some(question) = hit["question"].as_object() {
                let link = format!(
                    "<p class=\"question\">Answer to <a href=\"{}\">{}</a></p>",
                    passage_href(question["passage_id"].as_str().unwrap(), q),
                    question["title"].as_str().unwrap()
                );
                assert!(page.contains(&link), "{link}\n{page}");
            }
        }
        let summary = format!("{} hits ({} passages matched) in ", hits.len(), cli["total"]);
        let summary = if hits.len() == 1 { summary.replace("hits", "hit") } else { summary };
        let summary =
            if cli["total"] == 1 { summary.replace("passages", "passage") } else { summary };
        assert!(page.contains(&summary), "{summary}\n{page}");
    }

    // The hostile document is shown as text: escaped in the title, heading and snippet.
    let answer = get(port, "/?q=quokkaberry");
    let page = html_page(&answer, 200);
    assert!(page.contains(
        "Quokkaberry notes &lt;script&gt;document.title='pwned';\
         document.body.setAttribute('data-pwned','title')&lt;/script&gt; › Picking \
         &lt;script&gt;document.body.setAttribute('data-pwned','heading')&lt;/script&gt; season"
    ));
    assert!(page.contains("&lt;img src=x onerror=&quot;"), "{page}");
    assert!(!page.contains("<img"), "{page}");

    // Kind filters: one for every kind the index knows (`kb stats --json`), the current marked.
    let stats: Value = work.run(&["stats", "--json"]).json();
    let kinds: Vec<&String> = stats["by_kind"].as_object().unwrap().keys().collect();
    assert!(kinds.len() >= 3, "{kinds:?}");
    let answer = get(port, "/?q=nerve+funtion&kind=answer");
    let page = html_page(&answer, 200);
    for kind in &kinds {
        let link = format!("<a href=\"/?q=nerve+funtion&amp;kind={kind}\"");
        assert!(page.contains(&link), "{link}");
        assert!(page.contains(&format!("<option value=\"{kind}\"")), "{kind}");
    }
    assert!(page.contains("<a href=\"/?q=nerve+funtion\">all kinds</a>"), "{page}");
    assert!(page.contains("kind=answer\" aria-current=\"page\">answer</a>"), "{page}");
    assert!(page.contains("<option value=\"answer\" selected>answer</option>"), "{page}");
    assert_eq!(
        page.matches("<li class=\"hit\"").count(),
        page.matches("data-kind=\"answer\"").count()
    );

    // Did you mean: a link to the corrected search; no match: the query, escaped.
    let cli = cli_search(&work, "botox injetcions", &[]);
    assert_eq!(cli["did_you_mean"], "botox injections");
    let answer = get(port, "/?q=botox+injetcions");
    let page = html_page(&answer, 200);
    assert!(page.contains(
        "<p class=\"did-you-mean\">Did you mean: \
         <a href=\"/?q=botox+injections\">botox injections</a>?</p>"
    ));
    let answer = get(port, "/?q=%3Cb%3Ezzqxv");
    let page = html_page(&answer, 200);
    assert!(page.contains("No passages match <q>&lt;b&gt;zzqxv</q>."), "{page}");
    assert!(page.contains("0 hits (0 passages matched)"), "{page}");

    // Bad parameters: a page saying what is wrong, the status the JSON API would give.
    let answer = get(port, "/?q=calf&kind=comment");
    assert!(html_page(&answer, 400).contains("kind must be one of article, question, answer"));
    let answer = get(port, "/?q=calf&limit=0");
    assert!(html_page(&answer, 400).contains("limit must be a number from 1 to 1000"));

    // The assets, served by kb itself.
    let js = get(port, "/assets/kb.js");
    assert_eq!(js.status, 200);
    assert_eq!(js.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert!(js.body.contains("fetch(\"/search?\""), "{}", js.body);
    let css = get(port, "/assets/kb.css");
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.body.contains("prefers-color-scheme: dark"));
    assert_eq!(get(port, "/assets/evil.js").status, 404);

    // The JSON API is as it was.
    let json = get(port, "/search?q=botox+results");
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(json.json()["hits"][0]["passage_id"], "calf-reduction#3");
}

#[test]
fn page_in_a_fresh_checkout_serves_the_bundled_corpus() {
    // No index yet: `kb serve` builds it from ./corpus first, as `kb search` does.
    let work = util::Kb::with_seed_corpus();
    let server = Server::start(&work, &[]);
    assert!(server.stderr().contains("kb: no index at"), "{}", server.stderr());
    let answer = get(server.port, "/?q=botox+results");
    assert_eq!(hit_ids(html_page(&answer, 200))[0], "calf-reduction#3");
}

#[test]
fn page_shows_a_passage_in_its_document_and_404s_unknown_ones() {
    let work = fixture();
    let server = Server::start(&work, &[]);
    let port = server.port;

    let answer = get(port, "/p/calf-reduction%233?q=botox+results");
    let page = html_page(&answer, 200);
    assert!(page.contains("<h1>Calf Reduction</h1>"), "{page}");
    assert!(page.contains("Passage 4 of 8 in <code>calf-reduction</code>"), "{page}");
    assert!(page.contains("<a href=\"/?q=botox+results\">← Results for"), "{page}");
    // The passage itself, lit and marked as the current one...
    let focus = page.split("aria-current=\"true\">").nth(1).expect("the passage");
    let focus = focus.split("</article>").next().unwrap();
    assert!(focus.contains("<span class=\"id\">calf-reduction#3</span>"), "{focus}");
    assert!(focus.contains("<mark>Botox</mark> injections are not permanent"), "{focus}");
    assert!(focus.contains("<code>corpus/calf-reduction.txt:12</code>"), "{focus}");
    // ... between its neighbours, two on each side, lit too (`results` in #4 and #6 is not shown).
    for id in
        ["calf-reduction%231", "calf-reduction%232", "calf-reduction%234", "calf-reduction%235"]
    {
        assert!(page.contains(&format!("href=\"/p/{id}?q=botox+results\"")), "{id}");
    }
    assert!(!page.contains("calf-reduction#0") && !page.contains("calf-reduction#6"), "{page}");
    assert!(page.contains("<mark>results</mark>"), "{page}");
    assert!(page.contains("calf-reduction%233?q=botox+results&amp;context=all"), "{page}");

    // The whole document, and without a query nothing is lit.
    let answer = get(port, "/p/calf-reduction%233?context=all");
    let page = html_page(&answer, 200);
    assert_eq!(page.matches("<article").count(), 8);
    assert!(!page.contains("<mark>"), "{page}");

    // An answer is shown with the question it answers.
    let answer = get(port, "/p/nerve-block-calves-qa%235");
    let page = html_page(&answer, 200);
    assert!(page.contains("href=\"/p/nerve-block-calves-qa%230\""), "{page}");

    // The hostile document's passage page: escaped.
    let answer = get(port, "/p/quokka%230?q=quokkaberry");
    let page = html_page(&answer, 200);
    assert!(page.contains("<h1>Quokkaberry notes &lt;script&gt;document.title="), "{page}");
    assert!(page.contains("<mark>quokkaberry</mark> &lt;script&gt;"), "{page}");

    // Unknown passages: a 404 page naming the id.
    for (path, says) in [
        ("/p/calf-reduction%2399", "no passage with id &quot;calf-reduction#99&quot;"),
        ("/p/no-such-doc%230", "no passage with id &quot;no-such-doc#0&quot;"),
        ("/p/%3Cscript%3E", "no passage with id &quot;&lt;script&gt;&quot;"),
    ] {
        let answer = get(port, path);
        assert!(html_page(&answer, 404).contains(says), "{path}: {}", answer.body);
    }
}

#[test]
fn page_with_a_token_asks_for_it_once_and_sets_a_strict_http_only_cookie() {
    let work = fixture();
    let server = Server::start(&work, &["--token", "s3cret-t0ken"]);
    let port = server.port;

    // Pages answer the login form, returning to where they were asked for; the API its 401.
    let answer = get(port, "/?q=botox+results");
    assert_eq!(answer.status, 401);
    assert!(answer.header("content-security-policy").is_some());
    assert!(answer.body.contains("<form id=\"login\" method=\"post\" action=\"/login\">"));
    assert!(answer
        .body
        .contains("<input type=\"hidden\" name=\"next\" value=\"/?q=botox+results\">"));
    assert!(answer.body.contains("<label for=\"token\">Token</label>"), "{}", answer.body);
    assert_eq!(get(port, "/p/calf-reduction%233").status, 401);
    assert!(get(port, "/search?q=botox").error(401).contains("Authorization: Bearer"));
    // The login form's stylesheet needs no token.
    assert_eq!(get(port, "/assets/kb.css").status, 200);

    let form = "application/x-www-form-urlencoded";
    let login =
        |body: &str| send(port, "POST", "/login", &[("Content-Type", form)], body.as_bytes());
    // The wrong token: the form again, saying so, and no cookie.
    let answer = login("token=wrong&next=%2F%3Fq%3Dbotox");
    assert_eq!(answer.status, 401);
    assert!(answer.body.contains("That is not the token"), "{}", answer.body);
    assert_eq!(answer.header("set-cookie"), None);

    // The right one: back to the page, with the cookie.
    let answer = login("token=s3cret-t0ken&next=%2F%3Fq%3Dbotox%2Bresults");
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some("/?q=botox+results"));
    let cookie = answer.header("set-cookie").expect("a session cookie").to_owned();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    let session = attributes[0];
    assert!(session.starts_with("kb_session=") && session.len() == "kb_session=".len() + 64);
    assert!(!cookie.contains("s3cret-t0ken"), "the cookie is not the token: {cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&attribute), "{attribute} in {cookie}");
    }
    // A login never sends anyone to another site.
    let answer = login("token=s3cret-t0ken&next=%2F%2Fevil.example%2F");
    assert_eq!(answer.header("location"), Some("/"));

    // With the cookie: the pages and the API's reads.
    let with = [("Cookie", session)];
    let answer = send(port, "GET", "/?q=botox+results", &with, b"");
    assert_eq!(hit_ids(html_page(&answer, 200))[0], "calf-reduction#3");
    let answer = send(port, "GET", "/p/calf-reduction%233", &with, b"");
    html_page(&answer, 200);
    let answer = send(port, "GET", "/search?q=botox", &with, b"");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["hits"][0]["doc_id"], "calf-reduction");
    // Not for writes, which still need the header; and a made-up cookie is no cookie.
    let record = br#"[{"id": "n1", "title": "Berries", "text": "The quokkaberry is sweet."}]"#;
    let with_json = [("Cookie", session), ("Content-Type", "application/json")];
    let answer = send(port, "POST", "/documents", &with_json, record);
    assert!(answer.error(401).contains("Authorization: Bearer"));
    let forged = format!("kb_session={}", "0".repeat(64));
    assert_eq!(send(port, "GET", "/?q=botox", &[("Cookie", &forged)], b"").status, 401);
    // The bearer token works as before.
    let bearer = [("Authorization", "Bearer s3cret-t0ken")];
    assert_eq!(send(port, "GET", "/health", &bearer, b"").status, 200);
    assert_eq!(send(port, "GET", "/", &bearer, b"").status, 200);
}

// ---- In a real browser ----

/// Chromium's path, or `None` (said loudly) when it is not installed; a failure instead when
/// `KB_REQUIRE_BROWSER` is set.
fn chromium() -> Option<&'static Path> {
    let path = Path::new("/usr/bin/chromium");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("KB_REQUIRE_BROWSER").is_none(),
        "KB_REQUIRE_BROWSER is set but chromium is not installed at {}",
        path.display()
    );
    // Straight to the process's stderr, past the test harness's capture: seen in every run.
    let _ = writeln!(
        std::io::stderr(),
        "\n**** skipped: chromium not installed ({}); the search page was NOT tested in a \
         browser. Install Debian's chromium package, or set KB_REQUIRE_BROWSER=1 to fail. ****\n",
        path.display()
    );
    None
}

/// The DOM headless Chromium rendered for `path` (after its scripts ran, if `scripts`).
fn dump_dom(chromium: &Path, port: u16, path: &str, scripts: bool) -> String {
    let profile = tempfile::tempdir().expect("a profile folder");
    let mut command = Command::new(chromium);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    command.arg(format!("--user-data-dir={}", profile.path().display()));
    if !scripts {
        // JavaScript off as a person turns it off: the profile's content setting. (The switch
        // `--blink-settings=scriptEnabled=false` also stops `--dump-dom` itself, which then
        // prints nothing.)
        let prefs = profile.path().join("Default");
        std::fs::create_dir_all(&prefs).expect("the profile's Default folder");
        std::fs::write(
            prefs.join("Preferences"),
            r#"{"profile": {"default_content_setting_values": {"javascript": 2}}}"#,
        )
        .expect("the profile's preferences");
    }
    command.arg("--dump-dom").arg(format!("http://127.0.0.1:{port}{path}"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            assert!(status.success(), "chromium failed on {path}: {status}");
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish {path} within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = reader.join().expect("the DOM");
    assert!(dom.contains("</html>"), "no DOM for {path}: {dom}");
    dom
}

/// A snippet's HTML as Chromium serializes the same DOM (it writes quotes in text as they
/// are).
fn as_serialized(snippet: &str) -> String {
    snippet.replace("&#39;", "'").replace("&quot;", "\"")
}

#[test]
fn browser_shows_results_passages_suggestions_and_filters() {
    let Some(chromium) = chromium() else { return };
    let work = fixture();
    let server = Server::start(&work, &[]);
    let port = server.port;

    // The results, with scripts on: kb's script ran (it marks <html>), the CSP let it.
    let cli = cli_search(&work, "botox results", &[]);
    let dom = dump_dom(chromium, port, "/?q=botox+results", true);
    assert!(dom.contains("<html lang=\"en\" class=\"js\">"), "{dom}");
    assert!(dom.contains("<title>botox results · kb</title>"), "{dom}");
    let first = first_hit(&dom);
    let top = &cli["hits"][0];
    assert_eq!(top["passage_id"], "calf-reduction#3");
    assert!(first.contains("<span class=\"rank\">1.</span>"), "{first}");
    assert!(
        first.contains("Calf Reduction › TheConsultation explains Calf Reduction</a>"),
        "{first}"
    );
    let snippet = as_serialized(top["snippet"].as_str().unwrap());
    assert!(snippet.starts_with("<mark>Botox</mark> injections are not permanent"), "{snippet}");
    assert!(first.contains(&format!("<p class=\"snippet\">{snippet}</p>")), "{first}");
    assert!(first.contains("<code>corpus/calf-reduction.txt:12</code>"), "{first}");
    assert_eq!(hit_ids(&dom), hit_ids_of(&cli));
    // The answer's question, a link to the thread.
    assert!(dom.contains(
        "<p class=\"question\">Answer to <a href=\"/p/nerve-block-calves-qa%230?q=botox+results\">\
         Is Nerve Block Procedure in Calves Safe?</a></p>"
    ));

    // With scripts off, the same page: the same hits, rendered by the server alone.
    let plain = dump_dom(chromium, port, "/?q=botox+results", false);
    assert!(plain.contains("<html lang=\"en\">"), "{plain}");
    assert_eq!(hit_list(&plain), hit_list(&dom));

    // The passage page, from the first hit's link.
    let dom = dump_dom(chromium, port, "/p/calf-reduction%233?q=botox+results", true);
    let focus = dom.split("aria-current=\"true\">").nth(1).expect("the passage");
    assert!(focus.contains("<mark>Botox</mark> injections are not permanent"), "{focus}");
    assert!(dom.contains("<h2 class=\"heading\">TheConsultation explains Calf Reduction</h2>"));
    assert!(dom.contains(">calf-reduction#2</a>") && dom.contains(">calf-reduction#4</a>"));

    // A misspelt query: the suggestion, a link.
    let dom = dump_dom(chromium, port, "/?q=botox+injetcions", false);
    assert!(dom.contains(
        "<p class=\"did-you-mean\">Did you mean: \
         <a href=\"/?q=botox+injections\">botox injections</a>?</p>"
    ));

    // The kind filter: answers only, the filter marked, the form keeping it.
    let dom = dump_dom(chromium, port, "/?q=nerve+funtion&kind=answer", true);
    let hits = dom.matches("<li class=\"hit\"").count();
    assert!(hits >= 1, "{dom}");
    assert_eq!(dom.matches("<li class=\"hit\" data-kind=\"answer\">").count(), hits);
    assert!(dom.contains("aria-current=\"page\">answer</a>"), "{dom}");
    assert!(dom.contains("<option value=\"answer\" selected=\"\">answer</option>"), "{dom}");
}

fn hit_ids_of(cli: &Value) -> Vec<String> {
    cli["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["passage_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn browser_never_runs_a_script_a_document_holds() {
    let Some(chromium) = chromium() else { return };
    let work = fixture();
    let server = Server::start(&work, &[]);
    let port = server.port;

    // The document's scripts would retitle the page and mark <body>: neither happens, and
    // they are shown as text. kb's own script did run (so scripts were on).
    for path in ["/?q=quokkaberry", "/p/quokka%230?q=quokkaberry"] {
        let dom = dump_dom(chromium, port, path, true);
        assert!(dom.contains("<html lang=\"en\" class=\"js\">"), "{dom}");
        assert!(!dom.contains("<title>pwned"), "{dom}");
        assert!(dom.contains(" · kb</title>"), "{dom}");
        assert!(dom.contains("<body><a class=\"skip\""), "body untouched: {dom}");
        assert!(!dom.contains("data-pwned=\""), "{dom}");
        assert!(!dom.contains("<img"), "{dom}");
        assert!(
            dom.contains(
                "&lt;script&gt;document.body.setAttribute('data-pwned','text')&lt;/script&gt;"
            ),
            "{dom}"
        );
        assert!(dom.contains("Quokkaberry notes &lt;script&gt;document.title='pwned';"), "{dom}");
        assert!(dom.contains("&lt;img src=x onerror="), "{dom}");
    }
}

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// commands in on fd 3, answers out on fd 4, each a JSON object ended by a NUL byte), for
/// what `--dump-dom` cannot do: typing into the page.
struct Browser {
    child: std::process::Child,
    commands: std::fs::File,
    answers: std::sync::mpsc::Receiver<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(chromium: &Path) -> Browser {
        use std::os::fd::{FromRawFd, RawFd};
        use std::os::unix::process::CommandExt;

        fn pipe() -> (RawFd, RawFd) {
            let mut fds = [0; 2];
            // SAFETY: pipe2 fills the two-element array it is given.
            assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0, "pipe2");
            (fds[0], fds[1])
        }
        let (to_browser_r, to_browser_w) = pipe();
        let (from_browser_r, from_browser_w) = pipe();
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut command = Command::new(chromium);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec. The pipe
        // ends are first copied above fd 10 (without close-on-exec) so that placing them on
        // fds 3 and 4 cannot overwrite one with the other.
        unsafe {
            command.pre_exec(move || {
                let input = libc::fcntl(to_browser_r, libc::F_DUPFD, 10);
                let output = libc::fcntl(from_browser_w, libc::F_DUPFD, 10);
                if input < 0 || output < 0 || libc::dup2(input, 3) < 0 || libc::dup2(output, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium starts");
        // SAFETY: the four descriptors are ours, each wrapped once; the child's copies are its
        // own.
        let (commands, mut answers_pipe) = unsafe {
            drop(std::fs::File::from_raw_fd(to_browser_r));
            drop(std::fs::File::from_raw_fd(from_browser_w));
            (std::fs::File::from_raw_fd(to_browser_w), std::fs::File::from_raw_fd(from_browser_r))
        };
        let (tx, answers) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut pending = Vec::new();
            let mut buf = [0u8; 64 * 1024];
            while let Ok(n) = answers_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.iter().position(|b| *b == 0) {
                    let message: Vec<u8> = pending.drain(..=end).collect();
                    if let Ok(value) = serde_json::from_slice(&message[..end]) {
                        if tx.send(value).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Browser { child, commands, answers, next_id: 0, _profile: profile }
    }

    /// Sends a command (to a page's session, if given) and waits up to 30 s for its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = serde_json::json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = Value::from(session);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.commands.write_all(&bytes).expect("send to chromium");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let answer = self
                .answers
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("chromium did not answer {method} within 30 s"));
            if answer["id"] == id {
                assert!(answer.get("error").is_none(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    /// Opens `url` in a new page; the page's session id.
    fn open(&mut self, url: &str) -> String {
        let target = self.call(None, "Target.createTarget", serde_json::json!({"url": url}));
        let attached = self.call(
            None,
            "Target.attachToTarget",
            serde_json::json!({"targetId": target["targetId"], "flatten": true}),
        );
        attached["sessionId"].as_str().expect("a session").to_owned()
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, session: &str, expression: &str) -> Value {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            serde_json::json!({"expression": expression, "returnByValue": true}),
        );
        assert!(result.get("exceptionDetails").is_none(), "{expression}: {result}");
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` every 50 ms until it is true; false after 15 s.
    fn wait_for(&mut self, session: &str, expression: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if self.eval(session, expression) == Value::Bool(true) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn browser_results_follow_the_search_box_as_you_type() {
    let Some(chromium) = chromium() else { return };
    let work = fixture();
    let server = Server::start(&work, &[]);
    let mut browser = Browser::start(chromium);
    let page = browser.open(&format!("http://127.0.0.1:{}/?q=botox+results", server.port));
    assert!(
        browser.wait_for(
            &page,
            "document.readyState === 'complete' && document.documentElement.classList.contains('js')"
        ),
        "the page loaded with kb's script"
    );
    // A mark on this very page: it must still be there after the results change (no reload).
    browser.eval(&page, "window.kbTestMark = 1; true");

    // Typing a query, and choosing a kind: the results follow, the address too.
    browser.eval(
        &page,
        "const q = document.getElementById('q'); q.value = 'nerve funtion'; \
         q.dispatchEvent(new Event('input', {bubbles: true})); true",
    );
    assert!(
        browser.wait_for(&page, "location.search === '?q=nerve+funtion'"),
        "the address follows the search box: {}",
        browser.eval(&page, "location.href")
    );
    let cli = cli_search(&work, "nerve funtion", &[]);
    let shown = browser.eval(
        &page,
        "JSON.stringify({ids: [...document.querySelectorAll('.hit .source a')].map(a => a.textContent), \
         snippet: document.querySelector('.hit .snippet').innerHTML, title: document.title, \
         mark: window.kbTestMark, summary: document.querySelector('.summary').textContent, \
         question: document.querySelector('.hit .question a') && \
                   document.querySelector('.hit .question a').getAttribute('href')})",
    );
    let shown: Value = serde_json::from_str(shown.as_str().unwrap()).unwrap();
    assert_eq!(shown["mark"], 1, "no reload: {shown}");
    assert_eq!(shown["title"], "nerve funtion · kb");
    let ids: Vec<String> = hit_ids_of(&cli);
    assert_eq!(shown["ids"], serde_json::json!(ids));
    let snippet = as_serialized(cli["hits"][0]["snippet"].as_str().unwrap());
    assert_eq!(shown["snippet"], snippet.as_str());
    assert!(snippet.contains("<mark>"), "{snippet}");
    let summary = shown["summary"].as_str().unwrap();
    assert!(summary.starts_with(&format!(
        "{} hits ({} passages matched) in ",
        ids.len(),
        cli["total"]
    )));
    let question = cli["hits"].as_array().unwrap().iter().find_map(|h| h["question"].as_object());
    if let Some(question) = question {
        let href = passage_href(question["passage_id"].as_str().unwrap(), "nerve funtion");
        assert_eq!(shown["question"], href.as_str(), "{shown}");
    }

    browser.eval(
        &page,
        "const k = document.getElementById('kind'); k.value = 'answer'; \
         k.dispatchEvent(new Event('change', {bubbles: true})); true",
    );
    assert!(browser.wait_for(&page, "location.search === '?q=nerve+funtion&kind=answer'"));
    let kinds = browser.eval(
        &page,
        "JSON.stringify([...document.querySelectorAll('.hit')].map(h => h.dataset.kind))",
    );
    let kinds: Vec<String> = serde_json::from_str(kinds.as_str().unwrap()).unwrap();
    let cli = cli_search(&work, "nerve funtion", &["--kind", "answer"]);
    assert_eq!(kinds.len(), cli["hits"].as_array().unwrap().len());
    assert!(kinds.iter().all(|k| k == "answer"), "{kinds:?}");

    // A hostile document's text, rendered by the script: text, never markup.
    browser.eval(
        &page,
        "document.getElementById('kind').value = ''; const q2 = document.getElementById('q'); \
         q2.value = 'quokkaberry'; q2.dispatchEvent(new Event('input', {bubbles: true})); true",
    );
    assert!(browser.wait_for(&page, "location.search === '?q=quokkaberry'"));
    let body = browser.eval(&page, "document.body.outerHTML");
    let body = body.as_str().unwrap();
    assert!(!body.contains("data-pwned=\"") && !body.contains("<img"), "{body}");
    assert!(body.contains("<mark>quokkaberry</mark> &lt;script&gt;"), "{body}");
    assert_eq!(browser.eval(&page, "document.title"), "quokkaberry · kb");
}
