//! The page's HTML, as maud templates: every value is escaped unless wrapped in
//! `PreEscaped`, which only kb's own snippet HTML is (see the module above).

use axum::http::StatusCode;
use kb::{Hit, Kind, SearchResults, Snippet, TotalRelation};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{Form, InContext};

/// What a path segment keeps as it is: letters, digits and `-_.~`; `#` and `/` in an id are
/// encoded (`calf-reduction%233`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The link to a passage's page, with the query whose words it lights.
pub fn passage_href(id: &str, q: &str) -> String {
    let mut href = format!("/p/{}", utf8_percent_encode(id, SEGMENT));
    if !q.trim().is_empty() {
        let query = form_urlencoded::Serializer::new(String::new()).append_pair("q", q).finish();
        href.push('?');
        href.push_str(&query);
    }
    href
}

/// The link to a results page.
fn results_href(form: &Form) -> String {
    format!("/?{}", form.query_string())
}

/// A page's `head`: its title, kb's style sheet and (for pages with the search box) kb's
/// script, served by kb itself (no inline script or style: the Content-Security-Policy forbids
/// them).
fn head(title: &str, script: bool) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light dark";
            title { (title) }
            link rel="stylesheet" href="/assets/kb.css";
            @if script { script src="/assets/kb.js" defer {} }
        }
    }
}

/// The frame of every page: head, search form, `main`.
fn layout(title: &str, form: &Form, autofocus: bool, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, true))
            body {
                a.skip href="#main" { "Skip to the results" }
                header {
                    a.brand href="/" { "kb" }
                    (search_form(form, autofocus))
                }
                main #main { (main) }
            }
        }
    }
}

/// The search form: a plain GET to `/`, so every search has its own URL.
fn search_form(form: &Form, autofocus: bool) -> Markup {
    html! {
        form #search role="search" method="get" action="/" {
            label for="q" { "Search" }
            input #q type="search" name="q" value=(form.q) autocomplete="off"
                autofocus[autofocus] placeholder="how long before botox results show";
            label for="kind" { "Kind" }
            select #kind name="kind" {
                option value="" selected[form.kind.is_none()] { "all kinds" }
                @for kind in Kind::ALL {
                    option value=(kind.as_str()) selected[form.kind == Some(kind)] {
                        (kind.as_str())
                    }
                }
            }
            @if let Some(limit) = form.limit {
                input type="hidden" name="limit" value=(limit);
            }
            button type="submit" { "Search" }
        }
    }
}

/// `GET /` without a query.
pub fn front(form: &Form, stats: Option<&kb::Stats>) -> Markup {
    let main = html! {
        h1 { "Search the knowledge base" }
        @if let Some(stats) = stats {
            p.summary { (stats.documents) " documents, " (stats.passages) " passages." }
        }
        p.hint {
            "Words, " code { "\"a phrase\"" } ", " code { "+required" } ", " code { "-excluded" }
            ", " code { "title:word" } "; typos are forgiven."
        }
    };
    layout("kb", form, true, main)
}

/// The kind filters of a results page: plain links, the current one marked.
fn kind_filters(form: &Form) -> Markup {
    let choices = std::iter::once(None).chain(Kind::ALL.into_iter().map(Some));
    html! {
        nav.kinds aria-label="Kind of passage" {
            ul {
                @for kind in choices {
                    @let current = form.kind == kind;
                    li {
                        a href=(results_href(&form.with_kind(kind)))
                            aria-current=[current.then_some("page")] {
                            (kind.map_or("all kinds", Kind::as_str))
                        }
                    }
                }
            }
        }
    }
}

/// `GET /?q=..`: the hits, as `kb search` ranks them.
pub fn results(form: &Form, results: &SearchResults) -> Markup {
    let count = results.hits.len();
    let main = html! {
        h1.visually-hidden { "Results" }
        (kind_filters(form))
        @if let Some(suggestion) = &results.did_you_mean {
            p.did-you-mean {
                "Did you mean: "
                a href=(results_href(&form.with_q(suggestion))) { (suggestion) }
                "?"
            }
        }
        @if results.hits.is_empty() {
            p.none { "No passages match " q { (results.query) } "." }
        } @else {
            ol.hits {
                @for hit in &results.hits { (hit_item(form, hit)) }
            }
        }
        p.summary {
            (count) " " (if count == 1 { "hit" } else { "hits" }) " ("
            @if results.total_relation == TotalRelation::Gte { "at least " }
            (results.total) " " (if results.total == 1 { "passage" } else { "passages" })
            " matched) in " (format!("{:.1}", results.took_ms)) " ms"
        }
    };
    layout(&format!("{} · kb", form.q), form, false, main)
}

/// One hit: rank, title › heading, kind, the question an answer answers, snippet, source.
fn hit_item(form: &Form, hit: &Hit) -> Markup {
    html! {
        li.hit data-kind=(hit.kind.as_str()) {
            h2 {
                span.rank { (hit.rank) "." }
                " "
                a.title href=(passage_href(&hit.passage_id, &form.q)) {
                    (hit.doc_title)
                    @if let Some(heading) = &hit.heading { " › " (heading) }
                }
                " "
                span.kind { (hit.kind.as_str()) }
            }
            @if let Some(question) = &hit.question {
                p.question {
                    "Answer to "
                    a href=(passage_href(&question.passage_id, &form.q)) { (question.title) }
                }
            }
            // The JSON's own snippet string: kb's escaper made it, only `<mark>` is markup.
            p.snippet { (PreEscaped(hit.snippet.to_html())) }
            p.source {
                code { (hit.source.path) ":" (hit.source.line) }
                " · "
                a href=(passage_href(&hit.passage_id, &form.q)) { (hit.passage_id) }
            }
        }
    }
}

/// `GET /p/{id}`: the passage between its neighbours, the query's words lit.
pub fn passage(form: &Form, found: &InContext) -> Markup {
    let focus = &found.focus;
    // A heading is shown above the first shown passage under it.
    let mut last_heading = None;
    let shown: Vec<(&kb::Passage, Option<&str>)> = found
        .shown
        .iter()
        .map(|p| {
            let heading = p.heading.as_deref();
            let new = (heading.is_some() && heading != last_heading).then_some(heading).flatten();
            last_heading = heading;
            (p, new)
        })
        .collect();
    let main = html! {
        @if !form.q.trim().is_empty() {
            p.back { a href=(results_href(form)) { "← Results for " q { (form.q) } } }
        }
        h1 { (focus.doc_title) }
        p.summary {
            "Passage " (focus.position + 1) " of " (found.document_len) " in "
            code { (focus.doc_id) }
            @if !found.all && found.shown.len() < found.document_len {
                " · "
                a href={ (passage_href(&focus.id, &form.q))
                    (if form.q.trim().is_empty() { "?" } else { "&" }) "context=all" } {
                    "the whole document"
                }
            }
        }
        @for (p, heading) in shown {
            @let is_focus = p.id == focus.id;
            @if let Some(heading) = heading {
                h2.heading { (heading) }
            }
            article.passage.focus[is_focus] #(anchor(p)) aria-current=[is_focus.then_some("true")] {
                p.meta {
                    span.kind { (p.kind.as_str()) }
                    " "
                    @if is_focus {
                        span.id { (p.id) }
                    } @else {
                        a href=(passage_href(&p.id, &form.q)) { (p.id) }
                    }
                }
                @let lit = found.lit.get(&p.id).cloned().unwrap_or_default();
                @let text = Snippet { text: p.text.clone(), highlights: lit };
                p.text { (PreEscaped(text.to_html())) }
                p.source { code { (p.source.path) ":" (p.source.line) } }
            }
        }
    };
    layout(&format!("{} · kb", focus.id), form, false, main)
}

/// The element id of a passage on its document's page.
fn anchor(p: &kb::Passage) -> String {
    format!("p{}", p.position)
}

/// The login form (with `--token`), returning to `next`.
pub fn login(next: &str, problem: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head("Log in · kb", false))
            body {
                main #main.login {
                    h1 { "This knowledge base needs its token" }
                    p { "Ask whoever runs it for the token it was started with (" code { "--token" } ")." }
                    @if let Some(problem) = problem {
                        p.problem role="alert" { (problem) }
                    }
                    form #login method="post" action="/login" {
                        input type="hidden" name="next" value=(next);
                        label for="token" { "Token" }
                        input #token type="password" name="token" autocomplete="current-password"
                            required autofocus;
                        button type="submit" { "Log in" }
                    }
                }
            }
        }
    }
}

/// A page saying what went wrong, the form kept for another try.
pub fn error(form: &Form, status: StatusCode, message: &str) -> Markup {
    let main = html! {
        h1 { (status.canonical_reason().unwrap_or("Error")) }
        p.problem role="alert" { (message) }
        p { a href="/" { "Start again" } }
    };
    layout(&format!("{} · kb", status.as_u16()), form, false, main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_ids_and_queries() {
        assert_eq!(passage_href("calf-reduction#3", ""), "/p/calf-reduction%233");
        assert_eq!(
            passage_href("notes/a b.md#0", "botox & \"x\""),
            "/p/notes%2Fa%20b.md%230?q=botox+%26+%22x%22"
        );
    }

    #[test]
    fn document_text_is_escaped_everywhere() {
        let form = Form { q: "<script>alert(1)</script>".into(), ..Form::default() };
        let results = SearchResults {
            query: form.q.clone(),
            total: 0,
            total_relation: TotalRelation::Eq,
            took_ms: 1.0,
            hits: vec![],
            did_you_mean: Some("<img src=x onerror=alert(1)>".into()),
        };
        let page = super::results(&form, &results).into_string();
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
        assert!(page.contains("No passages match <q>&lt;script&gt;"), "{page}");
        assert_eq!(page.matches("<script").count(), 1, "only kb.js: {page}");
    }
}
