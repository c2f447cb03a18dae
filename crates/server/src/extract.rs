//! Request extractors whose rejections are [`ApiError`]s, so that a bad request body gets the
//! same JSON error shape as everything else instead of axum's plain-text rejections; and the one
//! place control characters are refused, in bodies ([`ApiJson`]) and in paths and query strings
//! ([`reject_control_characters`]).

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{shorten, ApiError, MAX_QUOTED_INPUT};

/// `Json<T>` for API endpoints: use it instead of `axum::Json` for every JSON request body.
///
/// Malformed or wrongly shaped JSON → 400 with serde's reason (line and column, or the field's
/// path, included; cut to a short excerpt); missing `Content-Type: application/json` → 415; a
/// body over the limit → 413; a string anywhere in the body (keys included) with a control
/// character other than newline, tab and carriage return → 400 `control_characters`, naming the
/// field. No handler ever sees a NUL (which PostgreSQL cannot store in text) or a C1 control.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<Value>::from_request(request, state).await?;
        if let Some(field) = field_with_control_characters(&value, &mut String::new()) {
            return Err(ApiError::control_characters(&field));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|err| {
                let path = err.path().to_string();
                let reason = shorten(&err.into_inner().to_string(), MAX_QUOTED_INPUT);
                ApiError::MalformedJson {
                    reason: if path == "." {
                        reason
                    } else {
                        format!("{}: {reason}", shorten(&path, 60))
                    },
                }
            })
    }
}

/// Whether `c` may appear in a JSON string: anything but control characters, except the line
/// breaks and tabs of free text (a comment may have several lines).
fn allowed_in_text(c: char) -> bool {
    !c.is_control() || matches!(c, '\n' | '\r' | '\t')
}

/// The path (`ops[3].comment`, in French for the message) of the first string of `value`, key or
/// value, that has a control character; `path` is where `value` sits.
fn field_with_control_characters(value: &Value, path: &mut String) -> Option<String> {
    let bad = |text: &str| !text.chars().all(allowed_in_text);
    match value {
        Value::String(text) if bad(text) => Some(if path.is_empty() {
            "Le texte envoyé".to_string()
        } else {
            format!("Le champ `{}`", shorten(path, 60))
        }),
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            let len = path.len();
            path.push_str(&format!("[{index}]"));
            let found = field_with_control_characters(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if bad(key) {
                return Some("Un nom de champ".to_string());
            }
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = field_with_control_characters(item, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Middleware refusing (400 `control_characters`) a request whose path or query string, once
/// percent-decoded, has a control character: path parameters (`/api/devices/%00`) and query
/// values (`?q=%00`) reach handlers and the database decoded, and no identifier or search ever
/// needs one. Applied to every route, so a new route with a `{param}` is covered without a thought.
pub async fn reject_control_characters(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if has_encoded_control(uri.path()) {
        return ApiError::control_characters("L'adresse demandée").into_response();
    }
    if uri.query().is_some_and(has_encoded_control) {
        return ApiError::control_characters("Un paramètre de la requête").into_response();
    }
    next.run(request).await
}

/// Whether percent-decoding `text` gives a C0 control, DEL, or (as UTF-8, `C2 80`–`C2 9F`) a C1
/// control. Raw control bytes never get this far: the HTTP parser refuses them in a request line.
fn has_encoded_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    decoded.iter().enumerate().any(|(i, &byte)| {
        byte < 0x20
            || byte == 0x7f
            || (byte == 0xc2
                && decoded
                    .get(i + 1)
                    .is_some_and(|next| (0x80..=0x9f).contains(next)))
    })
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            // serde's reasons may quote the input (`invalid type: string "…"`): only an excerpt.
            JsonRejection::JsonSyntaxError(err) => ApiError::MalformedJson {
                reason: shorten(&err.body_text(), MAX_QUOTED_INPUT),
            },
            // Valid JSON of the wrong shape is still a body this endpoint cannot read: one status
            // (400) for both keeps the client simple, and the reason tells them apart.
            JsonRejection::JsonDataError(err) => ApiError::MalformedJson {
                reason: shorten(&err.body_text(), MAX_QUOTED_INPUT),
            },
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::payload_too_large()
            }
            other => ApiError::BadBody {
                reason: shorten(&other.body_text(), MAX_QUOTED_INPUT),
            },
        }
    }
}

/// `Query<T>` for API endpoints: a query string of the wrong shape is a JSON 400 naming the
/// problem, like every other API error.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(rejection.into()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(format!(
            "invalid query string: {}",
            shorten(&rejection.body_text(), MAX_QUOTED_INPUT)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::extract::DefaultBodyLimit;
    use axum::http::header::CONTENT_TYPE;
    use axum::routing::post;
    use axum::Router;
    use rstest::rstest;
    use serde::Deserialize;
    use tower::ServiceExt;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // Only deserialised, to exercise the shape check.
    struct Answer {
        question: String,
        value: u8,
    }

    async fn extract(content_type: Option<&str>, body: Body) -> Result<Answer, ApiError> {
        let mut request = Request::builder().method("POST").uri("/api/test");
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let request = request.body(body).unwrap();
        ApiJson::<Answer>::from_request(request, &())
            .await
            .map(|ApiJson(answer)| answer)
    }

    #[rstest]
    #[case::syntax("{\"question\": ", StatusCode::BAD_REQUEST, "malformed JSON body")]
    #[case::not_json("hello", StatusCode::BAD_REQUEST, "line 1 column 1")]
    #[case::wrong_shape(
        "{\"question\": \"q\", \"value\": \"high\"}",
        StatusCode::BAD_REQUEST,
        "value"
    )]
    #[case::missing_field("{\"question\": \"q\"}", StatusCode::BAD_REQUEST, "missing field")]
    #[case::out_of_range(
        "{\"question\": \"q\", \"value\": 300}",
        StatusCode::BAD_REQUEST,
        "value"
    )]
    #[tokio::test]
    async fn maps_bad_json_to_400_with_reason(
        #[case] body: &'static str,
        #[case] status: StatusCode,
        #[case] reason: &str,
    ) {
        let err = extract(Some("application/json"), Body::from(body))
            .await
            .unwrap_err();
        assert_eq!(err.status(), status);
        assert!(err.to_string().contains(reason), "{err}");
    }

    #[rstest]
    #[case::plain("/api/devices/0b1c-42", false)]
    #[case::encoded_text("/api/communes?q=saint%20%C3%A9tienne", false)]
    #[case::lone_percent("/api/communes?q=100%", false)]
    #[case::nul("/api/devices/%00", true)]
    #[case::newline_lowercase_hex("/api/devices/a%0ab", true)]
    #[case::del("/api/devices/a%7F", true)]
    #[case::c1_next_line("/api/devices/a%C2%85", true)]
    #[case::c1_in_query("q=%c2%9f", true)]
    #[case::latin_after_c2("/api/communes?q=%C2%A0", false)]
    fn finds_encoded_control_characters(#[case] text: &str, #[case] control: bool) {
        assert_eq!(has_encoded_control(text), control, "{text}");
    }

    #[test]
    fn names_the_field_with_control_characters() {
        let body = serde_json::json!({
            "ops": [{"comment": "two\nlines\tand a tab\r"}, {"comment": "nul\u{0}"}]
        });
        assert_eq!(
            field_with_control_characters(&body, &mut String::new()).as_deref(),
            Some("Le champ `ops[1].comment`")
        );
        let fine = serde_json::json!({"comment": "Première ligne\r\nseconde", "n": 3});
        assert_eq!(
            field_with_control_characters(&fine, &mut String::new()),
            None
        );
        let key = serde_json::json!({"x\u{1b}": 1});
        assert_eq!(
            field_with_control_characters(&key, &mut String::new()).as_deref(),
            Some("Un nom de champ")
        );
    }

    #[tokio::test]
    async fn a_serde_reason_quotes_only_an_excerpt() {
        let huge = "x".repeat(100_000);
        let body = format!("{{\"question\": \"q\", \"value\": \"{huge}\"}}");
        let err = extract(Some("application/json"), Body::from(body))
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("malformed JSON body: value: "),
            "{message}"
        );
        assert!(message.chars().count() < 300, "{}", message.len());
        assert!(message.ends_with('…'), "{message}");
    }

    #[tokio::test]
    async fn accepts_valid_json() {
        let answer = extract(
            Some("application/json"),
            Body::from("{\"question\": \"secu-mfa\", \"value\": 3}"),
        )
        .await
        .unwrap();
        assert_eq!(answer.value, 3);
    }

    #[tokio::test]
    async fn missing_content_type_is_415() {
        let err = extract(None, Body::from("{}")).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    /// A body sent without `Content-Length` escapes the up-front check in the router; it must
    /// still hit the limit while being read, and become a JSON 413 rather than axum's plain text.
    #[tokio::test]
    async fn oversized_body_without_length_is_413() {
        async fn handler(ApiJson(_): ApiJson<serde_json::Value>) {}
        let app = Router::new()
            .route("/api/test", post(handler))
            .layer(DefaultBodyLimit::max(16));
        let request = Request::builder()
            .method("POST")
            .uri("/api/test")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(format!("[{}1]", "1,".repeat(64))))
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(json["error"]
            .as_str()
            .unwrap()
            .contains("exceeds the limit"));
    }
}
