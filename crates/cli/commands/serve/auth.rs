//! The bearer token: with one configured, every request must carry
//! `Authorization: Bearer TOKEN` (else 401), and writes exist (without one they answer 403).
//!
//! The comparison takes the same time wherever the first differing byte is (the `subtle`
//! crate's constant-time equality), so the token cannot be guessed byte by byte from response
//! times.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::routes::App;

/// The token requests must present.
pub struct Token(Vec<u8>);

impl Token {
    /// A token; never empty (an empty `--token` counts as none).
    pub fn new(token: String) -> Token {
        Token(token.into_bytes())
    }

    /// Whether `given` is the token, compared in constant time.
    pub fn matches(&self, given: &[u8]) -> bool {
        // `ct_eq` on slices of different lengths is false without looking at the bytes; the
        // length is all that leaks.
        bool::from(self.0.as_slice().ct_eq(given))
    }
}

/// Middleware: lets a request through when no token is configured or it carries the token.
pub async fn require_token(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(token) = &app.token {
        let given = req.headers().get(AUTHORIZATION).and_then(|value| bearer(value.as_bytes()));
        if !given.is_some_and(|given| token.matches(given)) {
            return ApiError::unauthorized().into_response();
        }
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
