//! The endpoints, and how their parameters are read.
//!
//! | route                     | answer                                                      |
//! |---------------------------|-------------------------------------------------------------|
//! | `GET /health`             | `{"status": "ok", "documents": N, "passages": N, "dense": M}` |
//! | `GET /search?q=...`       | the `kb search --json` object                               |
//! | `POST /search`            | the same, parameters in a JSON object                       |
//! | `GET /passages/{id}`      | the `kb show --json ID` object of a passage                 |
//! | `GET /documents/{id}`     | the `kb show --json ID` object of a document                |
//! | `GET /stats`              | the `kb stats --json` object                                |
//! | `POST /documents`         | upsert: the `kb index --json` report (token required)       |
//! | `DELETE /documents/{id}`  | remove a pushed document: the report (token required)       |
//!
//! `dense` says how searches by meaning are answered now: `"none"` (a lexical index), `"exact"`
//! (every embedding scanned) or `"approximate"` (the HNSW graph, past `--approximate-from`).
//!
//! The search page's routes (`/`, `/p/{id}`, `/login`, `/assets/...`) are [`super::page`]'s.
//!
//! Search parameters: `q` (required), `limit`, `kind` (`article`, `question`, `answer`, `code`),
//! `doc`, `per_doc`, `semantic` (0 to 1), `dense` and `dense_feedback` (as `kb search`'s
//! `--dense N --dense-feedback N`, at most 10,000), `explain` and `exact_total`
//! (`true`/`false`); an unknown or malformed one is a 400 naming it. Any other path is a 404,
//! another method on a known path a 405.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kb::{Kb, SearchOptions};
use serde::Deserialize;

use super::auth::{self, Token};
use super::error::ApiError;
use crate::commands::live;

/// What every request handler shares.
pub struct App {
    /// The knowledge base.
    pub kb: Arc<Kb>,
    /// The token requests must carry, if any; writes exist only with one.
    pub token: Option<Token>,
    /// Longest a request may take (503 after).
    pub timeout: Duration,
    /// Largest request body in bytes (413 above).
    pub max_body: usize,
}

type Answer = Result<Response, ApiError>;

/// The whole service: routes, then the body limit, the token check and the timeout around
/// every one of them (the 404 and 405 answers included).
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(super::page::routes())
        .route("/health", get(health))
        .route("/search", get(search_get).post(search_post))
        .route("/passages/{id}", get(passage))
        .route("/documents", axum::routing::post(upsert))
        .route("/documents/{id}", get(document).delete(remove))
        .route("/stats", get(stats))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(app.max_body))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), auth::require_token))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), timeout))
        .with_state(app)
}

/// Middleware: answers 503 when the request takes longer than the configured timeout.
async fn timeout(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(app.timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the request took longer than {} s", app.timeout.as_secs()),
        )
        .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found(
        "no such route: see GET / (the search page), GET /health, GET|POST /search, \
         GET /passages/ID, GET /documents/ID, GET /stats, POST /documents, DELETE /documents/ID",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "this route does not take that method")
}

/// Runs library work on the blocking pool; a panic there is a 500, never a dead server.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(ApiError::internal("the request failed inside kb")))
}

fn json(value: &impl serde::Serialize) -> Answer {
    Ok(Json(value).into_response())
}

async fn health(State(app): State<Arc<App>>) -> Answer {
    let kb = Arc::clone(&app.kb);
    let (stats, dense) = blocking(move || Ok((kb.stats()?, live::DenseMode::of(&kb)))).await?;
    #[derive(serde::Serialize)]
    struct Health {
        status: &'static str,
        documents: u64,
        passages: u64,
        dense: live::DenseMode,
    }
    json(&Health { status: "ok", documents: stats.documents, passages: stats.passages, dense })
}

async fn stats(State(app): State<Arc<App>>) -> Answer {
    let kb = Arc::clone(&app.kb);
    json(&blocking(move || Ok(kb.stats()?)).await?)
}

/// The parameters of a search, from a query string or a JSON body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
    kind: Option<String>,
    doc: Option<String>,
    per_doc: Option<usize>,
    semantic: Option<f32>,
    dense: Option<usize>,
    dense_feedback: Option<usize>,
    explain: Option<bool>,
    exact_total: Option<bool>,
}

/// Most hits one search may ask for: a larger `limit` is a 400, not a huge allocation.
const MAX_LIMIT: usize = 10_000;

impl SearchParams {
    /// Reads `q=...&limit=...` pairs; an unknown, repeated or malformed one is an error.
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<SearchParams, ApiError> {
        fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ApiError> {
            value.trim().parse().map_err(|_| {
                ApiError::bad_request(format!("{name} must be a number, not {value:?}"))
            })
        }
        let mut p = SearchParams::default();
        for (name, value) in pairs {
            let repeated = match name.as_str() {
                "q" => p.q.replace(value).is_some(),
                "limit" => p.limit.replace(number(&name, &value)?).is_some(),
                "kind" => p.kind.replace(value).is_some(),
                "doc" => p.doc.replace(value).is_some(),
                "per_doc" => p.per_doc.replace(number(&name, &value)?).is_some(),
                "semantic" => p.semantic.replace(number(&name, &value)?).is_some(),
                "dense" => p.dense.replace(number(&name, &value)?).is_some(),
                "dense_feedback" => p.dense_feedback.replace(number(&name, &value)?).is_some(),
                "explain" | "exact_total" => {
                    let yes = match value.as_str() {
                        "true" | "1" | "" => true,
                        "false" | "0" => false,
                        _ => {
                            return Err(ApiError::bad_request(format!(
                                "{name} must be true or false, not {value:?}"
                            )))
                        }
                    };
                    match name.as_str() {
                        "explain" => p.explain.replace(yes).is_some(),
                        _ => p.exact_total.replace(yes).is_some(),
                    }
                }
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "unknown parameter {name:?}: the search parameters are q, limit, \
                         kind, doc, per_doc, semantic, dense, dense_feedback, explain and \
                         exact_total"
                    )))
                }
            };
            if repeated {
                return Err(ApiError::bad_request(format!("{name} is given more than once")));
            }
        }
        Ok(p)
    }

    /// The query and the library's options, with `kb search`'s defaults for what is not given.
    fn into_query(self) -> Result<(String, SearchOptions), ApiError> {
        let query = self.q.unwrap_or_default();
        if query.trim().is_empty() {
            return Err(ApiError::bad_request("q is required: the words to search for"));
        }
        let mut opts = SearchOptions::default();
        if let Some(limit) = self.limit {
            if limit > MAX_LIMIT {
                return Err(ApiError::bad_request(format!(
                    "limit must be at most {MAX_LIMIT}, not {limit}"
                )));
            }
            opts.limit = limit;
        }
        if let Some(kind) = self.kind {
            opts.kind = Some(kb::Kind::parse(&kind).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "kind must be article, question, answer or code, not {kind:?}"
                ))
            })?);
        }
        opts.doc = self.doc;
        if let Some(per_doc) = self.per_doc {
            opts.per_doc = per_doc;
        }
        if let Some(weight) = self.semantic {
            opts.semantic.weight = weight;
        }
        for (name, given, set) in [
            ("dense", self.dense, &mut opts.semantic.dense),
            ("dense_feedback", self.dense_feedback, &mut opts.semantic.feedback),
        ] {
            if let Some(n) = given {
                if n > MAX_LIMIT {
                    return Err(ApiError::bad_request(format!(
                        "{name} must be at most {MAX_LIMIT}, not {n}"
                    )));
                }
                *set = n;
            }
        }
        opts.explain = self.explain.unwrap_or(false);
        opts.exact_total = self.exact_total.unwrap_or(false);
        Ok((query, opts))
    }
}

async fn search_get(
    State(app): State<Arc<App>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer {
    let Query(pairs) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    search(app, SearchParams::from_pairs(pairs)?).await
}

async fn search_post(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Answer {
    let body = read_body(body)?;
    let params: SearchParams = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the search body is not valid: {e}")))?;
    search(app, params).await
}

async fn search(app: Arc<App>, params: SearchParams) -> Answer {
    let (query, opts) = params.into_query()?;
    let kb = Arc::clone(&app.kb);
    json(&blocking(move || Ok(kb.search(&query, &opts)?)).await?)
}

async fn passage(State(app): State<Arc<App>>, id: Result<Path<String>, PathRejection>) -> Answer {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let kb = Arc::clone(&app.kb);
    let found = blocking(move || {
        let passage = kb.passage(&id)?;
        passage
            .map(|p| kb::PassageList { passages: vec![p] })
            .ok_or_else(|| ApiError::not_found(format!("no passage with id {id:?}")))
    })
    .await?;
    json(&found)
}

async fn document(State(app): State<Arc<App>>, id: Result<Path<String>, PathRejection>) -> Answer {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let kb = Arc::clone(&app.kb);
    let found = blocking(move || {
        kb.document(&id)?.ok_or_else(|| ApiError::not_found(format!("no document with id {id:?}")))
    })
    .await?;
    json(&found)
}

/// Writes answer 403 when the server has no token: without one anyone who can reach it could
/// change the index.
fn writes_allowed(app: &App) -> Result<(), ApiError> {
    if app.token.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "writes are off: start kb serve with --token (or KB_TOKEN) to allow them",
        ));
    }
    Ok(())
}

async fn upsert(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    writes_allowed(&app)?;
    let body = read_body(body)?;
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-ndjson"));
    let documents = if ndjson { parse_ndjson(&body)? } else { parse_array(&body)? };
    let kb = Arc::clone(&app.kb);
    json(&blocking(move || Ok(kb.upsert(documents)?)).await?)
}

async fn remove(State(app): State<Arc<App>>, id: Result<Path<String>, PathRejection>) -> Answer {
    writes_allowed(&app)?;
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let kb = Arc::clone(&app.kb);
    json(&blocking(move || Ok(kb.remove(&[id])?)).await?)
}

/// The body, or the error reading it gave (413 over the limit).
fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, "the request body is larger than --max-body-mb allows")
        } else {
            ApiError::new(status, e.body_text())
        }
    })
}

/// A JSON array of records.
fn parse_array(body: &[u8]) -> Result<Vec<kb::Document>, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be a JSON array of records (or JSON Lines with Content-Type: \
             application/x-ndjson): {e}"
        ))
    })
}

/// JSON Lines: one record a line, blank lines ignored.
fn parse_ndjson(body: &[u8]) -> Result<Vec<kb::Document>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the body is not UTF-8 text"))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line)
                .map_err(|e| ApiError::bad_request(format!("line {}: not a record: {e}", n + 1)))
        })
        .collect()
}
