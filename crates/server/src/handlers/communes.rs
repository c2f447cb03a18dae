//! `GET /api/communes?q=<text>&limit=<n>`: the official communes matching a name, a postal code
//! or an INSEE code, accent- and case-insensitively, best first.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use diagnostic::sync::CommuneSearch;
use serde::Deserialize;

use super::private_json;
use crate::communes::{parse_query, DEFAULT_LIMIT};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::storage::Storage;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    /// 1 to 50 (clamped), default 20.
    pub limit: Option<i64>,
}

pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    let query = parse_query(&params.q, params.limit.unwrap_or(DEFAULT_LIMIT))
        .map_err(|err| ApiError::bad_request(err.to_string()))?;
    let communes = state.storage.search_communes(&query).await?;
    Ok(private_json(StatusCode::OK, CommuneSearch { communes }))
}
