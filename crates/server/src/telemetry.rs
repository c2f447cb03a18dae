//! Logging setup: structured events through `tracing`, human-readable or JSON lines; and the
//! request id every log line of a request carries (the `request` span's `request_id`).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Filter used when `RUST_LOG` is unset or unreadable.
const DEFAULT_FILTER: &str = "info";

/// Installs the global subscriber. Logs go to stderr so that stdout carries only the one line
/// announcing the URL, which scripts and tests read.
pub fn init(format: LogFormat) {
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(spec) => match EnvFilter::try_new(&spec) {
            Ok(filter) => (filter, None),
            Err(err) => (EnvFilter::new(DEFAULT_FILTER), Some((spec, err))),
        },
        Err(_) => (EnvFilter::new(DEFAULT_FILTER), None),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `try_init`: a second call (tests, embedding) keeps the first subscriber instead of panicking.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Some((spec, err)) = bad_filter {
        tracing::warn!(rust_log = %spec, error = %err, "RUST_LOG is invalid; using `info`");
    }
}

/// The header carrying a request's id, both ways.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming request id kept; a longer one is replaced (it would bloat every log line).
const MAX_REQUEST_ID: usize = 64;

/// A request's id: the caller's `X-Request-Id` when it is sane (1 to 64 characters among
/// letters, digits, `-`, `_`, `.`, `:`), else one made here. In the request's log span, its
/// response's `X-Request-Id` and its JSON error body, so a report quoting it finds the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

tokio::task_local! {
    /// The id of the request being served, for error bodies made deep inside the handlers.
    static CURRENT: RequestId;
}

impl RequestId {
    /// The incoming header's value when it is sane.
    pub fn accepted(value: &HeaderValue) -> Option<Self> {
        let bytes = value.as_bytes();
        let sane = !bytes.is_empty()
            && bytes.len() <= MAX_REQUEST_ID
            && bytes
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        sane.then(|| RequestId(String::from_utf8_lossy(bytes).into_owned()))
    }

    /// A new id: 16 hexadecimal digits from the system's generator (a counter if it fails, so a
    /// request is never refused for want of an id).
    pub fn generate() -> Self {
        static FALLBACK: AtomicU64 = AtomicU64::new(0);
        let number = match crate::auth::random_bytes::<8>() {
            Ok(bytes) => u64::from_be_bytes(bytes),
            Err(_) => FALLBACK.fetch_add(1, Ordering::Relaxed),
        };
        RequestId(format!("{number:016x}"))
    }

    /// The id of the request being served, when there is one.
    pub fn current() -> Option<String> {
        CURRENT.try_with(|id| id.0.clone()).ok()
    }
}

/// Gives each request its id (see [`RequestId`]): in its extensions (the log span reads it
/// there), in the task serving it (error bodies) and in its response's header.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(RequestId::accepted)
        .unwrap_or_else(RequestId::generate);
    // Only the characters `accepted` allows, or hexadecimal: always a valid header value.
    let header = HeaderValue::from_str(&id.0).ok();
    if let Some(header) = &header {
        request
            .headers_mut()
            .insert(REQUEST_ID_HEADER, header.clone());
    }
    request.extensions_mut().insert(id.clone());
    let mut response = CURRENT.scope(id, next.run(request)).await;
    if let Some(header) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, header);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_others_refused() {
        let kept = |text: &str| RequestId::accepted(&HeaderValue::from_str(text).unwrap());
        assert_eq!(
            kept("proxy-7f3a.b_2:1"),
            Some(RequestId("proxy-7f3a.b_2:1".into()))
        );
        assert_eq!(kept(&"a".repeat(64)).map(|id| id.0.len()), Some(64));
        assert_eq!(kept(&"a".repeat(65)), None);
        assert_eq!(kept(""), None);
        assert_eq!(kept("has space"), None);
        assert_eq!(kept("quote\"d"), None);
        let bytes = HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap();
        assert_eq!(RequestId::accepted(&bytes), None);
    }

    #[test]
    fn generated_ids_are_sane_and_differ() {
        let (a, b) = (RequestId::generate(), RequestId::generate());
        assert_ne!(a, b);
        let header = HeaderValue::from_str(&a.0).unwrap();
        assert_eq!(RequestId::accepted(&header), Some(a));
    }
}
