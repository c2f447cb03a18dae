//! Request handlers, one module per resource; `router.rs` says which path reaches which.

pub mod app;
pub mod atlas;
pub mod communes;
pub mod devices;
pub mod health;
pub mod invites;
pub mod network;
pub mod operator;
pub mod questionnaire;
pub mod sync;
pub mod town;
pub mod towns;
pub mod unmatched;

use axum::http::header::CACHE_CONTROL;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::ApiError;
use crate::storage::Storage;
use crate::AppState;

/// Resumes the town's clock from its log on its first use since the server started (clocks live
/// in memory: see [`crate::clock::ServerClock::resume`]); every answer carrying it calls this first.
pub(crate) async fn resume_town_clock(state: &AppState, town_id: i64) -> Result<(), ApiError> {
    if !state.clock.knows(town_id) {
        let latest = state.storage.latest_clock(town_id).await?;
        state.clock.resume(town_id, latest.as_ref());
    }
    Ok(())
}

/// A JSON answer no cache may keep (it is one town's data, or carries a secret).
pub(crate) fn private_json(status: StatusCode, body: impl Serialize) -> Response {
    (status, [(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// `text` cut to `max` characters, for quoting client input back in a message.
pub(crate) use crate::error::shorten;
