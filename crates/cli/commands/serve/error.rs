//! Errors as HTTP answers: a status and `{"error": "..."}`.
//!
//! The library's errors map to statuses by what the client can do about them:
//!
//! | [`kb::Error`]                        | status                                   |
//! |--------------------------------------|------------------------------------------|
//! | `BadInput`                           | 400: change the request                  |
//! | `NotFound`                           | 404                                      |
//! | `Locked` (another process writes)    | 503 with `Retry-After: 1`: try again     |
//! | `ModelUnavailable`                   | 503: search with `semantic=0` meanwhile  |
//! | `Damaged`, `OtherVersion`, `Io`, ... | 500: the index needs the operator        |

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }

    /// 400: the request cannot be used as it is.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 401: no token, or the wrong one.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this server needs a token: send the header `Authorization: Bearer TOKEN`",
        )
    }

    /// 500: something failed on the server's side.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The HTTP status (the search page shows errors as pages with it).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<kb::Error> for ApiError {
    fn from(err: kb::Error) -> ApiError {
        let status = match &err {
            kb::Error::BadInput(_) => StatusCode::BAD_REQUEST,
            kb::Error::NotFound(_) => StatusCode::NOT_FOUND,
            kb::Error::Locked(_) | kb::Error::ModelUnavailable { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut message = err.to_string();
        if let kb::Error::Locked(_) = err {
            message.push_str("; try again when it is done");
        }
        ApiError { status, message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            eprintln!("kb: {}: {}", self.status.as_u16(), self.message);
        }
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let unavailable = self.status == StatusCode::SERVICE_UNAVAILABLE;
        let mut response =
            (self.status, Json(serde_json::json!({ "error": self.message }))).into_response();
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if unavailable {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
