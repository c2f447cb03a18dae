//! `GET /api/devices` (the town's devices) and `DELETE /api/devices/{id}` (« retirer » one).
//! Any device of a town may remove any other, or itself, but never the town's last active one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diagnostic::sync::Devices;

use super::{private_json, shorten};
use crate::auth::Authenticated;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::storage::{RevokeOutcome, Storage};
use crate::AppState;

pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    let mut devices = state.storage.devices(auth.town_id).await?;
    for device in &mut devices {
        device.current = device.id == auth.device_id;
    }
    Ok(private_json(StatusCode::OK, Devices { devices }))
}

pub async fn revoke(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match state
        .storage
        .revoke_device(auth.town_id, &id, now_ms() as i64)
        .await?
    {
        RevokeOutcome::Revoked => {
            tracing::info!(device = %id, by = %auth.device_id, "device removed");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        RevokeOutcome::AlreadyRevoked => Ok(StatusCode::NO_CONTENT.into_response()),
        RevokeOutcome::NotFound => Err(ApiError::sync(
            StatusCode::NOT_FOUND,
            "device_not_found",
            format!(
                "Aucun appareil `{}` dans l'espace de cette commune.",
                shorten(&id, 40)
            ),
        )),
        RevokeOutcome::LastDevice => Err(ApiError::sync(
            StatusCode::CONFLICT,
            "last_device",
            "C'est le dernier appareil actif de la commune : invitez d'abord un autre appareil, \
             sinon plus personne ne pourrait accéder à l'espace.",
        )),
    }
}
