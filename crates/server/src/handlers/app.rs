//! The app itself: files of the build from memory, and `index.html` for every other path so that
//! deep links (`/questionnaire/securite/secu-mfa`) load the app, which then routes client-side —
//! in the shell of that page (`crate::shells`), so its heading paints before the app runs.

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::assets::{AppFiles, Asset, Variant};
use crate::encoding::AcceptEncoding;
use crate::error::ApiError;
use crate::AppState;

/// Shown instead of the app when the server started without a build; it names the fix.
const NOT_BUILT_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
<title>Arobase : application non construite</title></head><body>\
<h1>App not built</h1>\
<p>The Arobase app has not been built on this server: run <code>make build</code>, then restart \
the server. The API is running.</p>\
<p lang=\"fr\">L'application Arobase n'a pas été construite sur ce serveur : lancez \
<code>make build</code>, puis redémarrez le serveur. L'API fonctionne.</p>\
</body></html>\n";

/// GET/HEAD of any non-API path: the file it names, else `index.html`.
pub async fn serve(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::MethodNotAllowed {
            method,
            path: uri.path().to_string(),
            allow: Some("GET,HEAD"),
        }
        .into_response();
    }
    let assets = match state.app.as_ref() {
        AppFiles::Built(assets) => assets,
        AppFiles::NotBuilt { .. } => return not_built(),
    };
    let (status, asset) = match assets.file(uri.path()) {
        Some(file) => (StatusCode::OK, file),
        None => assets.page(uri.path()),
    };
    let accept = AcceptEncoding::from_headers(headers.get_all(ACCEPT_ENCODING));
    let variant = asset.select(&accept);

    // HEAD needs no special case: axum sends the headers of the GET answer without its body.
    // A 404 page is never "not modified": its status must reach the browser.
    let not_modified = status == StatusCode::OK && etag_matches(&headers, &variant.etag);
    let mut response = if not_modified {
        Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
    } else {
        Response::builder()
            .status(status)
            .header(CONTENT_TYPE, asset.content_type.clone())
            .header(CONTENT_LENGTH, variant.body.len())
            .body(Body::from(variant.body.clone()))
    }
    .expect("static response parts are valid");
    add_representation_headers(response.headers_mut(), asset, variant);
    response
}

/// Headers shared by a 200 and its 304 (RFC 9110 §15.4.5 asks the 304 to repeat them).
fn add_representation_headers(headers: &mut HeaderMap, asset: &Asset, variant: &Variant) {
    headers.insert(ETAG, variant.etag.clone());
    headers.insert(CACHE_CONTROL, asset.cache_control.clone());
    if asset.negotiable {
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if let Some(encoding) = variant.encoding.content_encoding() {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
}

/// `If-None-Match` against the representation's ETag, with the weak comparison RFC 9110 §13.1.2
/// prescribes (a `W/` prefix is ignored); `*` matches any existing representation.
fn etag_matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/").as_bytes() == etag)
}

fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        NOT_BUILT_PAGE,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::exact("\"abc-br\"", true)]
    #[case::weak("W/\"abc-br\"", true)]
    #[case::list("\"zzz\", \"abc-br\"", true)]
    #[case::star("*", true)]
    #[case::other_representation("\"abc-gz\"", false)]
    #[case::unquoted("abc-br", false)]
    #[case::empty("", false)]
    fn compares_etags(#[case] if_none_match: &str, #[case] matches: bool) {
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, HeaderValue::from_str(if_none_match).unwrap());
        let etag = HeaderValue::from_static("\"abc-br\"");
        assert_eq!(etag_matches(&headers, &etag), matches);
    }
}
