//! `GET /api/questionnaire`: the current APVF questionnaire, exactly as the app embeds it.
//!
//! The app never needs this to work (the content is compiled in, so it runs offline from the
//! first visit); it exists for other clients, for the service worker's offline-worthy reference
//! data, and so the content can be read without building the app.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Serialised once: the content is fixed for the life of the binary.
static BODY: LazyLock<(Bytes, HeaderValue)> = LazyLock::new(|| {
    let questionnaire = diagnostic::questionnaire();
    let json = serde_json::to_vec(questionnaire).expect("the questionnaire serialises to JSON");
    let etag = HeaderValue::from_str(&format!("\"{}\"", questionnaire.version))
        .expect("a content version is a valid header value");
    (Bytes::from(json), etag)
});

pub async fn questionnaire(headers: HeaderMap) -> Response {
    let (body, etag) = &*BODY;
    // Revalidated on every use (no-cache) but cheap: the version is the ETag.
    let cache = [
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (ETAG, etag.clone()),
    ];
    if headers.get(IF_NONE_MATCH) == Some(etag) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let json = HeaderValue::from_static("application/json");
    (cache, [(CONTENT_TYPE, json)], body.clone()).into_response()
}
