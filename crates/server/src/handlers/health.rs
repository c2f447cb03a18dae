//! `GET /api/health`: is the server up, which version, does the database answer.

use std::time::Duration;

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

use crate::storage::Storage;
use crate::AppState;

/// A health probe must answer quickly even when the database hangs: past this it reports
/// "degraded" instead of waiting for the pool's own timeout.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: &'static str,
    pub version: &'static str,
    pub database: &'static str,
    /// The database's epoch: it changes with each restore, so operators and scripts can check
    /// one took (docs/operations.md, « Backups and restore »).
    pub epoch: String,
}

/// 200 `{"status":"ok",…}` when the database answers a trivial query, else 503 `degraded`, so
/// that a load balancer or uptime monitor takes the instance out while its database is down.
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let check = tokio::time::timeout(DATABASE_CHECK_TIMEOUT, state.storage.ping()).await;
    let (status, code) = match check {
        Ok(Ok(())) => ("ok", StatusCode::OK),
        Ok(Err(err)) => {
            tracing::warn!(error = %crate::error_chain(&err), "health check: database unavailable");
            ("degraded", StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = DATABASE_CHECK_TIMEOUT.as_millis() as u64,
                "health check: database did not answer in time"
            );
            ("degraded", StatusCode::SERVICE_UNAVAILABLE)
        }
    };
    let body = Health {
        status,
        version: env!("CARGO_PKG_VERSION"),
        database: state.storage.backend(),
        epoch: state.epoch.id.clone(),
    };
    (code, [(CACHE_CONTROL, "no-store")], Json(body))
}
