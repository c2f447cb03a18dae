//! Answers for requests no endpoint handles: JSON 404 under `/api`, JSON 405 for a wrong method.

use axum::http::{Method, Uri};

use crate::error::ApiError;

/// Unknown `/api/...` path. The app's own routes never start with `/api`, so this is never a deep
/// link into the app and must not get `index.html`.
pub async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::NotFound {
        path: uri.path().to_string(),
    }
}

/// A known path asked with a method it does not support; axum adds the `Allow` header.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method,
        path: uri.path().to_string(),
        allow: None,
    }
}
