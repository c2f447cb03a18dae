//! `GET /api/devices` (the town's devices) and `DELETE /api/devices/{id}` (« retirer » one).
//! A device may remove itself; removing another takes one of the town's administrators; the last
//! active administrator (and the last active device) cannot be removed by a device — an
//! operator can, then issue a recovery invitation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diagnostic::association::codes;
use diagnostic::sync::Devices;

use super::{private_json, shorten};
use crate::auth::Authenticated;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::storage::{Remover, RevokeOutcome, Storage};
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
        .revoke_device(
            auth.town_id,
            &id,
            &Remover::Device(auth.device_id.clone()),
            now_ms() as i64,
        )
        .await?
    {
        RevokeOutcome::Revoked => {
            tracing::info!(device = %id, by = %auth.device_id, "device removed");
            state.live.disconnect_device(auth.town_id, &id);
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
        RevokeOutcome::NotAdmin => Err(ApiError::sync(
            StatusCode::FORBIDDEN,
            codes::NOT_ADMIN,
            "Seul un administrateur de l'espace (la personne qui l'a créé, ou le maire) peut \
             retirer un autre appareil.",
        )),
        RevokeOutcome::LastAdmin => Err(ApiError::sync(
            StatusCode::CONFLICT,
            codes::LAST_ADMIN,
            "C'est le dernier administrateur actif de l'espace : invitez d'abord le maire, \
             sinon plus personne ne pourrait gérer les appareils.",
        )),
    }
}
