/*!
The search page: `kb serve` answers `/` with HTML for people, rendered on the server.

# Routes

| route              | answer                                                                |
|--------------------|-----------------------------------------------------------------------|
| `GET /`            | the search box (and what the index holds)                             |
| `GET /?q=..`       | the results of `kb search` for `q` (`kind=KIND`, `limit=N` optional) |
| `GET /p/{id}`      | a passage in its document, between its neighbours (`q=..` lights the matched words; `context=all` shows the whole document) |
| `POST /login`      | with `--token`: the login form's target; sets the session cookie      |
| `GET /assets/{name}` | the page's stylesheet and script                                    |

Every results page has its own URL (a plain `GET` form), so it can be shared, bookmarked and
gone back to; searching calls the same [`kb::Kb::search`] with the same options as
`GET /search` and `kb search`, so the page lists the same hits in the same order. A snippet is
the hit's own [`kb::Snippet::to_html`], the very string the JSON's `snippet` holds.

# Why maud, and no inline script

The page shows whatever the indexed documents hold, and a document may hold `<script>`. The
templates are written with [maud](https://maud.lambda.xyz), which escapes every value put into
the HTML unless it is wrapped in `PreEscaped`: forgetting to escape is not possible by
omission, and the one `PreEscaped` value here is the snippet HTML made by kb's own escaper
(text escaped, only `<mark>` added). maud checks the markup at compile time and builds a
`String` with no runtime template engine: a small, well-kept dependency with no further ones.

Every page response carries a Content-Security-Policy that allows scripts and styles from kb
itself only (`script-src 'self'`): no inline script runs, even one that slipped through, and
the page has none (its one script, `/assets/kb.js`, is served from [`include_str!`] like the
stylesheet, so the page needs nothing from elsewhere and works offline). The script only adds
results-as-you-type (debounced, from the JSON of `GET /search`); with scripts off the page
works the same through the form.

# The token

With `--token`, a page asked for without credentials answers a login form (401); its `POST
/login` checks the token (constant time) and sets an `HttpOnly`, `SameSite=Strict` cookie
that stands for the token on reads (see [`super::auth`]). The JSON API is unchanged: it takes
`Authorization: Bearer TOKEN` as before, and the cookie for reads.
*/

mod html;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use kb::{Kind, SearchOptions};
use maud::Markup;

use super::auth::SESSION_COOKIE;
use super::error::ApiError;
use super::routes::{blocking, App};

/// The policy of every page and asset: kb's own scripts, styles, images and requests only; no
/// inline script or style, no plugins, no framing, forms post to kb only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
    base-uri 'none'; frame-ancestors 'none'";

/// Most hits one results page may ask for.
const MAX_PAGE_LIMIT: usize = 1000;

/// How many passages stand before and after the one shown on its page.
const NEIGHBOURS: u32 = 2;

/// How long the session cookie lasts: 30 days.
const SESSION_MAX_AGE_S: u32 = 30 * 24 * 3600;

/// The page's routes (the caller adds the layers: token, timeout, body limit).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/p/{id}", get(passage))
        .route("/login", post(login))
        .route("/assets/{name}", get(asset))
}

/// Whether `path` is reachable without the token: the login form's target and the assets
/// (the login form needs its stylesheet).
pub fn is_public(path: &str) -> bool {
    path == "/login" || path.starts_with("/assets/")
}

/// Whether `path` is a page (answered with the login form when the token is missing).
pub fn is_page(path: &str) -> bool {
    path == "/" || path.starts_with("/p/")
}

/// The login form, for a page asked for without the token; it returns to `uri` once logged
/// in.
pub fn login_required(uri: &Uri) -> Response {
    let next = uri.path_and_query().map_or("/", |pq| pq.as_str());
    page(StatusCode::UNAUTHORIZED, html::login(next, None))
}

/// An HTML page with the page headers.
fn page(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    secure_headers(headers);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The headers every page and asset carries.
fn secure_headers(headers: &mut axum::http::HeaderMap) {
    headers
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// The search form's fields as the request gave them (shown again as typed), and what they
/// mean.
#[derive(Debug, Default, Clone)]
pub struct Form {
    /// The query as typed.
    pub q: String,
    /// The kind filter, if one is chosen.
    pub kind: Option<Kind>,
    /// The number of hits asked for, when not the default.
    pub limit: Option<usize>,
}

impl Form {
    /// Reads `q`, `kind` and `limit` (others are ignored: a shared link may carry anything);
    /// the form as far as it could be read, and what was wrong with the rest.
    fn from_pairs(pairs: Vec<(String, String)>) -> (Form, Option<String>) {
        let mut form = Form::default();
        let mut problem = None;
        for (name, value) in pairs {
            match name.as_str() {
                "q" => form.q = value,
                "kind" if value.is_empty() => form.kind = None,
                "kind" => match Kind::parse(&value) {
                    Some(kind) => form.kind = Some(kind),
                    None => {
                        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                        problem = Some(format!(
                            "kind must be one of {}, not {value:?}",
                            kinds.join(", ")
                        ));
                    }
                },
                "limit" if value.trim().is_empty() => form.limit = None,
                "limit" => match value.trim().parse::<usize>() {
                    Ok(n) if (1..=MAX_PAGE_LIMIT).contains(&n) => form.limit = Some(n),
                    _ => {
                        problem = Some(format!(
                            "limit must be a number from 1 to {MAX_PAGE_LIMIT}, not {value:?}"
                        ))
                    }
                },
                _ => {}
            }
        }
        (form, problem)
    }

    /// The query string of this search (`q=..&kind=..&limit=..`), for links.
    pub fn query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("q", &self.q);
        if let Some(kind) = self.kind {
            out.append_pair("kind", kind.as_str());
        }
        if let Some(limit) = self.limit {
            out.append_pair("limit", &limit.to_string());
        }
        out.finish()
    }

    /// The same search with another query.
    pub fn with_q(&self, q: &str) -> Form {
        Form { q: q.to_owned(), ..self.clone() }
    }

    /// The same search with another kind filter.
    pub fn with_kind(&self, kind: Option<Kind>) -> Form {
        Form { kind, ..self.clone() }
    }
}

fn pairs(query: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Vec<(String, String)> {
    // A query string that cannot be read at all (not UTF-8) is taken as no parameters.
    query.map(|Query(pairs)| pairs).unwrap_or_default()
}

/// `GET /`: the search box, or the results of `q`.
async fn home(
    State(app): State<Arc<App>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let (form, problem) = Form::from_pairs(pairs(query));
    if let Some(problem) = problem {
        return page(
            StatusCode::BAD_REQUEST,
            html::error(&form, StatusCode::BAD_REQUEST, &problem),
        );
    }
    let kb = Arc::clone(&app.kb);
    if form.q.trim().is_empty() {
        let stats = blocking(move || Ok(kb.stats()?)).await.ok();
        return page(StatusCode::OK, html::front(&form, stats.as_ref()));
    }
    // `kb search`'s options: the same hits in the same order.
    let defaults = SearchOptions::default();
    let opts =
        SearchOptions { kind: form.kind, limit: form.limit.unwrap_or(defaults.limit), ..defaults };
    let q = form.q.clone();
    match blocking(move || Ok(kb.search(&q, &opts)?)).await {
        Ok(results) => page(StatusCode::OK, html::results(&form, &results)),
        Err(err) => page(err.status(), html::error(&form, err.status(), err.message())),
    }
}

/// What the passage page shows: the passage, the passages around it, and which of their words
/// the query matched.
pub struct InContext {
    /// The passage asked for.
    pub focus: kb::Passage,
    /// The passages shown, in document order (the focus among them).
    pub shown: Vec<kb::Passage>,
    /// How many passages the document has.
    pub document_len: usize,
    /// Byte ranges of the matched words in each shown passage's text, by passage id.
    pub lit: HashMap<String, Vec<Range<usize>>>,
    /// Whether the whole document is shown.
    pub all: bool,
}

/// `GET /p/{id}`: a passage in its document.
async fn passage(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let pairs = pairs(query);
    let all = pairs.iter().any(|(n, v)| n == "context" && v == "all");
    let (form, _) = Form::from_pairs(pairs);
    let id = match id {
        Ok(Path(id)) => id,
        Err(e) => {
            let status = StatusCode::BAD_REQUEST;
            return page(status, html::error(&form, status, &e.body_text()));
        }
    };
    let kb = Arc::clone(&app.kb);
    let q = form.q.clone();
    let found = blocking(move || {
        let focus = kb
            .passage(&id)?
            .ok_or_else(|| ApiError::not_found(format!("no passage with id {id:?}")))?;
        let document = kb.document(&focus.doc_id)?.map(|d| d.passages).unwrap_or_default();
        let document_len = document.len();
        let shown: Vec<kb::Passage> = if all {
            document
        } else {
            let from = focus.position.saturating_sub(NEIGHBOURS);
            let to = focus.position.saturating_add(NEIGHBOURS);
            // An answer is shown with the question it answers, wherever that stands.
            let question_too = focus.kind == Kind::Answer;
            document
                .into_iter()
                .filter(|p| {
                    (from..=to).contains(&p.position) || (question_too && p.kind == Kind::Question)
                })
                .collect()
        };
        let shown = if shown.is_empty() { vec![focus.clone()] } else { shown };
        let mut lit = HashMap::new();
        if !q.trim().is_empty() {
            // The same search, in this document only, every passage of it: its highlights are
            // the words the results page lit. Words decide them, so no model is needed.
            let opts = SearchOptions {
                doc: Some(focus.doc_id.clone()),
                limit: document_len.max(1),
                per_doc: 0,
                semantic: kb::Semantic::OFF,
                ..SearchOptions::default()
            };
            if let Ok(results) = kb.search(&q, &opts) {
                lit.extend(results.hits.into_iter().map(|hit| (hit.passage_id, hit.highlights)));
            }
        }
        Ok(InContext { focus, shown, document_len, lit, all })
    })
    .await;
    match found {
        Ok(found) => page(StatusCode::OK, html::passage(&form, &found)),
        Err(err) => page(err.status(), html::error(&form, err.status(), err.message())),
    }
}

/// `POST /login` (`application/x-www-form-urlencoded`: `token`, `next`): with the right token,
/// sets the session cookie and goes back to `next`; else the form again, saying so.
async fn login(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = body.unwrap_or_default();
    let mut given = String::new();
    let mut next = String::from("/");
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "token" => given = value.into_owned(),
            "next" => next = value.into_owned(),
            _ => {}
        }
    }
    let next = local_path(&next);
    let Some(token) = &app.token else {
        // No token configured: nothing to log in to.
        return see_other(next, None);
    };
    if !token.matches(given.trim().as_bytes()) {
        return page(
            StatusCode::UNAUTHORIZED,
            html::login(next, Some("That is not the token this server was started with.")),
        );
    }
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_MAX_AGE_S}",
        token.session()
    );
    see_other(next, Some(cookie))
}

/// `next` when it is a path on this server, else `/`: the login form never sends anyone
/// elsewhere (`//host` and `/\host` are other hosts to a browser).
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local {
        next
    } else {
        "/"
    }
}

/// A 303 to `location`, setting `cookie` if given.
fn see_other(location: &str, cookie: Option<String>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    // Non-ASCII and spaces percent-encoded: a header value is visible ASCII.
    const UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b' ').add(b'"');
    let location = percent_encoding::utf8_percent_encode(location, UNSAFE).to_string();
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, value);
    }
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::SET_COOKIE, value);
    }
    secure_headers(headers);
    response
}

/// The stylesheet.
const CSS: &str = include_str!("kb.css");
/// The script: results as you type.
const JS: &str = include_str!("kb.js");

/// `GET /assets/{name}`: the stylesheet and the script, from the binary.
async fn asset(Path(name): Path<String>) -> Response {
    let (body, content_type) = match name.as_str() {
        "kb.css" => (CSS, "text/css; charset=utf-8"),
        "kb.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return ApiError::not_found(format!("no asset {name:?}")).into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure_headers(headers);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }

    #[test]
    fn the_form_reads_q_kind_and_limit_and_says_what_is_wrong() {
        let (form, problem) = Form::from_pairs(pairs("q=botox+results&kind=answer&limit=5&x=1"));
        assert_eq!(problem, None);
        assert_eq!(form.q, "botox results");
        assert_eq!(form.kind, Some(Kind::Answer));
        assert_eq!(form.limit, Some(5));
        assert_eq!(form.query_string(), "q=botox+results&kind=answer&limit=5");
        assert_eq!(form.with_kind(None).query_string(), "q=botox+results&limit=5");

        let (form, problem) = Form::from_pairs(pairs("q=a&kind=&limit="));
        assert_eq!((form.kind, form.limit, problem), (None, None, None));
        let (_, problem) = Form::from_pairs(pairs("q=a&kind=comment"));
        assert!(problem.unwrap().starts_with("kind must be one of article, question, answer"));
        for limit in ["0", "abc", "1001", "-1"] {
            let (_, problem) = Form::from_pairs(pairs(&format!("q=a&limit={limit}")));
            assert!(problem.unwrap().starts_with("limit must be a number from 1 to 1000"));
        }
    }

    #[test]
    fn login_returns_only_to_paths_on_this_server() {
        assert_eq!(local_path("/?q=botox&kind=answer"), "/?q=botox&kind=answer");
        assert_eq!(local_path("/p/calf-reduction%233"), "/p/calf-reduction%233");
        for elsewhere in ["//evil.example/", "/\\evil.example", "https://evil.example/", "", "x"] {
            assert_eq!(local_path(elsewhere), "/", "{elsewhere}");
        }
        assert_eq!(local_path("/\r\nSet-Cookie: x"), "/");
    }
}
