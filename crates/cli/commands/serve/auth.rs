//! The bearer token: with one configured, every request must carry
//! `Authorization: Bearer TOKEN` (else 401), and writes exist (without one they answer 403).
//!
//! People reach the search page with a browser, which cannot send that header: the page asks
//! for the token once ([`super::page`]'s login form) and sets the [`SESSION_COOKIE`], whose
//! value is derived from the token (never the token itself). The cookie is `HttpOnly` (scripts
//! cannot read it) and `SameSite=Strict` (no other site's page makes the browser send it), and
//! it stands for the token on reads only (`GET`, `HEAD`): writes still need the header. Without
//! either, a page route answers the login form and every other route the JSON 401 as before.
//!
//! The comparison takes the same time wherever the first differing byte is (the `subtle`
//! crate's constant-time equality), so the token cannot be guessed byte by byte from response
//! times.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::page;
use super::routes::App;

/// The name of the cookie the page's login form sets.
pub const SESSION_COOKIE: &str = "kb_session";

/// The token requests must present.
pub struct Token {
    token: Vec<u8>,
    /// The session cookie's value: a key derived from the token (BLAKE3's key derivation), so
    /// the cookie changes with the token and does not reveal it.
    session: String,
}

impl Token {
    /// A token; never empty (an empty `--token` counts as none).
    pub fn new(token: String) -> Token {
        let key = blake3::derive_key("kb serve 2026-11 page session cookie", token.as_bytes());
        let session = key.iter().map(|b| format!("{b:02x}")).collect();
        Token { token: token.into_bytes(), session }
    }

    /// The value of the session cookie that stands for this token.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Whether `given` is the token, compared in constant time.
    pub fn matches(&self, given: &[u8]) -> bool {
        // `ct_eq` on slices of different lengths is false without looking at the bytes; the
        // length is all that leaks.
        bool::from(self.token.as_slice().ct_eq(given))
    }

    /// Whether the request's cookies hold this token's session, compared in constant time.
    fn session_in(&self, headers: &axum::http::HeaderMap) -> bool {
        let sessions = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == SESSION_COOKIE);
        // Every cookie of that name is compared, so the time taken does not say which matched.
        sessions.fold(false, |found, (_, value)| {
            found | bool::from(self.session.as_bytes().ct_eq(value.trim().as_bytes()))
        })
    }
}

/// Middleware: lets a request through when no token is configured or it carries the token (for
/// reads, the header or the session cookie). The login form and the page's assets need
/// neither; a page asked for without them answers the login form.
pub async fn require_token(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(token) = &app.token {
        let given = req.headers().get(AUTHORIZATION).and_then(|value| bearer(value.as_bytes()));
        if given.is_some_and(|given| token.matches(given)) {
            return next.run(req).await;
        }
        let path = req.uri().path();
        let read = req.method() == Method::GET || req.method() == Method::HEAD;
        if page::is_public(path) || (read && token.session_in(req.headers())) {
            return next.run(req).await;
        }
        if read && page::is_page(path) {
            return page::login_required(req.uri());
        }
        return ApiError::unauthorized().into_response();
    }
    next.run(req).await
}

/// The credentials of an `Authorization: Bearer X` header (the scheme's case does not matter).
fn bearer(header: &[u8]) -> Option<&[u8]> {
    let scheme = header.get(..7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    Some(header[7..].trim_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_matches_only_itself() {
        let token = Token::new("s3cret".to_owned());
        assert!(token.matches(b"s3cret"));
        assert!(!token.matches(b"s3cre"));
        assert!(!token.matches(b"s3cret!"));
        assert!(!token.matches(b"S3cret"));
        assert!(!token.matches(b""));
    }

    #[test]
    fn bearer_credentials_are_read_from_the_header() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bearer  abc "), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"Bearer"), None);
    }
}
