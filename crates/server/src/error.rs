//! Errors: [`ApiError`] for what a request gets back, [`ServerError`] for start-up and serving.
//!
//! Every API failure is a JSON object `{"error": "<readable message>"}` with the right status, so
//! the app can show the message as is; bad input is always a 4xx, never a panic or a 500. The
//! body also names the request (`request_id`, as its `X-Request-Id` header does) and, for
//! refusals the app acts on, a stable `code` ([`ApiErrorBody`]).

use std::any::Any;

use axum::http::header::{ALLOW, CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use diagnostic::association::codes;
use diagnostic::sync::ApiErrorBody;

use crate::assets::AssetsError;
use crate::config::MAX_BODY_BYTES;
use crate::storage::StorageError;
use crate::telemetry::RequestId;

/// Longest request path quoted back in an error message.
const MAX_QUOTED_PATH: usize = 200;

/// Longest excerpt of client input (a serde reason, an operation's fault) quoted in a message.
pub use diagnostic::sync::server::MAX_QUOTED as MAX_QUOTED_INPUT;

/// Longest message ever sent, whatever it quotes: an error must never echo a large request back.
const MAX_MESSAGE_CHARS: usize = 600;

/// `Retry-After` of an answer given because the database was momentarily saturated.
const DATABASE_BUSY_RETRY_AFTER_S: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no API endpoint at {}", quote(path))]
    NotFound { path: String },

    #[error("method {method} is not allowed on {}", quote(path))]
    MethodNotAllowed {
        method: Method,
        path: String,
        /// `Allow` header value when the handler knows it; axum adds it itself for API routes.
        allow: Option<&'static str>,
    },

    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },

    #[error("malformed JSON body: {reason}")]
    MalformedJson { reason: String },

    #[error("expected a JSON body sent with `Content-Type: application/json`")]
    UnsupportedMediaType,

    #[error("cannot read the request body: {reason}")]
    BadBody { reason: String },

    /// A refusal of the sync API (bad input, authentication, invitations…), with a stable
    /// machine-readable `code` the app can switch on; the message can be shown as is.
    #[error("{message}")]
    Sync {
        status: StatusCode,
        code: &'static str,
        message: String,
    },

    /// Not now: retry after `retry_after_s` seconds (429 rate limit, 503 saturation). Sent with
    /// `Retry-After`, so clients wait politely instead of hammering a busy server.
    #[error("{message}")]
    RetryLater {
        status: StatusCode,
        code: &'static str,
        message: String,
        retry_after_s: u64,
    },

    /// Details stay in the server log: they may describe internals.
    #[error("internal server error")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MalformedJson { .. } | ApiError::BadBody { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Sync { status, .. } | ApiError::RetryLater { status, .. } => *status,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A sync refusal: `status`, a stable `code` and a message to show.
    pub fn sync(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Sync {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 for a request the API understood but cannot accept.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::sync(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// A refusal to retry later, with `Retry-After: retry_after_s`.
    pub fn retry_later(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        retry_after_s: u64,
    ) -> Self {
        ApiError::RetryLater {
            status,
            code,
            message: message.into(),
            retry_after_s,
        }
    }

    /// 429: this client sent too many requests of a kind; it may again in `retry_after_s`.
    pub fn rate_limited(retry_after_s: u64) -> Self {
        ApiError::retry_later(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            format!(
                "Trop de demandes depuis cette connexion : réessayez dans {retry_after_s} \
                 seconde{}.",
                if retry_after_s > 1 { "s" } else { "" }
            ),
            retry_after_s,
        )
    }

    /// 503: the database is saturated for now (its connections all busy, or locked).
    pub fn database_busy() -> Self {
        ApiError::retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Le serveur est très sollicité : réessayez dans quelques secondes.",
            DATABASE_BUSY_RETRY_AFTER_S,
        )
    }

    /// 400: a text field, path or query parameter carries control characters.
    pub fn control_characters(place: &str) -> Self {
        ApiError::sync(
            StatusCode::BAD_REQUEST,
            codes::CONTROL_CHARACTERS,
            format!(
                "{place} contient des caractères de contrôle (invisibles) : retirez-les puis \
                 réessayez."
            ),
        )
    }

    /// The machine-readable code, for the variants that have one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            ApiError::Sync { code, .. } | ApiError::RetryLater { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The 413 answer for the configured body limit.
    pub fn payload_too_large() -> Self {
        ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = shorten(&self.to_string(), MAX_MESSAGE_CHARS);
        let body = Json(ApiErrorBody {
            error: message,
            code: self.code().map(str::to_string),
            request_id: RequestId::current(),
        });
        // Errors describe one moment of the server; no cache (nor the service worker) may keep them.
        let mut response = (status, [(CACHE_CONTROL, "no-store")], body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        match self {
            ApiError::MethodNotAllowed {
                allow: Some(allow), ..
            } => {
                response
                    .headers_mut()
                    .insert(ALLOW, HeaderValue::from_static(allow));
            }
            ApiError::RetryLater { retry_after_s, .. } => {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(retry_after_s));
            }
            _ => {}
        }
        response
    }
}

/// A database failure while serving a request: a momentary saturation (no free connection in
/// time, a lock, a serialisation failure) is a 503 to retry; anything else is logged with its
/// cause and answered as a plain 500.
impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        if err.is_transient() {
            tracing::warn!(error = %crate::error_chain(&err), "database busy: answered 503");
            return ApiError::database_busy();
        }
        tracing::error!(error = %crate::error_chain(&err), "database failure");
        ApiError::Internal
    }
}

/// Last resort for bugs: a handler panicked. Logged with its message, answered as a JSON 500.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    tracing::error!(panic = message, "request handler panicked");
    ApiError::Internal.into_response()
}

/// Quotes a client-supplied path, shortened so an error cannot be made arbitrarily large.
fn quote(path: &str) -> String {
    format!("`{}`", shorten(path, MAX_QUOTED_PATH))
}

/// `text` cut to `max` characters, `…` marking the cut: the sync rules' own, one definition.
pub use diagnostic::sync::server::shorten;

/// Why the server could not start or stopped serving. Messages give the context; the cause is
/// the `source`, so print the whole chain (as `main` does).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Storage(#[from] StorageError),

    #[error(transparent)]
    Assets(#[from] AssetsError),

    #[error("cannot import the commune list")]
    Communes(#[from] crate::communes::CommunesError),

    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the HTTP server stopped with an error")]
    Serve(#[source] std::io::Error),

    #[error("the HTTP server task panicked")]
    Panicked,

    #[error("cannot prepare the first operator's link: {0}")]
    Operators(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn json_of(response: Response) -> serde_json::Value {
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn renders_json_with_status_and_no_store() {
        let response = ApiError::NotFound {
            path: "/api/nope".into(),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        let json = json_of(response).await;
        assert_eq!(json["error"], "no API endpoint at `/api/nope`");
    }

    #[tokio::test]
    async fn method_not_allowed_carries_allow_when_known() {
        let response = ApiError::MethodNotAllowed {
            method: Method::POST,
            path: "/".into(),
            allow: Some("GET,HEAD"),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "GET,HEAD");
    }

    #[tokio::test]
    async fn panics_become_a_generic_json_500() {
        let response = panic_response(Box::new("secret internal detail"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let json = json_of(response).await;
        assert_eq!(json["error"], "internal server error");
    }

    #[test]
    fn long_paths_are_shortened() {
        let long = "/api/".to_string() + &"x".repeat(1000);
        let message = ApiError::NotFound { path: long }.to_string();
        assert!(message.len() < 300, "{message}");
        assert!(message.ends_with("…`"));
    }
}
