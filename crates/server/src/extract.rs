//! Request extractors whose rejections are [`ApiError`]s, so that a bad request body gets the
//! same JSON error shape as everything else instead of axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Json<T>` for API endpoints: use it instead of `axum::Json` for every JSON request body.
///
/// Malformed or wrongly shaped JSON → 400 with serde's reason (line and column included);
/// missing `Content-Type: application/json` → 415; a body over the limit → 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(rejection.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonSyntaxError(err) => ApiError::MalformedJson {
                reason: err.body_text(),
            },
            // Valid JSON of the wrong shape is still a body this endpoint cannot read: one status
            // (400) for both keeps the client simple, and the reason tells them apart.
            JsonRejection::JsonDataError(err) => ApiError::MalformedJson {
                reason: err.body_text(),
            },
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::payload_too_large()
            }
            other => ApiError::BadBody {
                reason: other.body_text(),
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
        ApiError::bad_request(format!("invalid query string: {}", rejection.body_text()))
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
