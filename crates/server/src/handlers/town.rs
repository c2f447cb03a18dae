//! `GET /api/host` (who runs the server, for the notices), `GET /api/town` (a town's export),
//! `DELETE /api/town` (an administrator erases the space) and `GET /api/access-request`.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diagnostic::association::{codes, EraseTown, TownExport};

use super::private_json;
use crate::auth::{bearer, is_token_shaped, sha256_hex, unknown_device_token, Authenticated};
use crate::clock::now_ms;
use crate::communes::normalise;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::storage::{Actor, Storage};
use crate::AppState;

pub async fn host(State(state): State<AppState>) -> Response {
    private_json(StatusCode::OK, state.host.as_ref().clone())
}

pub async fn export(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    let town = state
        .storage
        .town(auth.town_id)
        .await?
        .ok_or(ApiError::Internal)?;
    let mut devices = state.storage.devices(auth.town_id).await?;
    for device in &mut devices {
        device.current = device.id == auth.device_id;
    }
    let ops = state.storage.all_ops(auth.town_id).await?;
    let atlas = state.storage.town_examples(auth.town_id).await?;
    Ok(private_json(
        StatusCode::OK,
        TownExport {
            exported_ms: now_ms(),
            town,
            devices,
            ops,
            atlas,
        },
    ))
}

/// Whether `confirm` names the commune: its INSEE code or its name, whatever the case and
/// accents.
fn names_commune(confirm: &str, code: &str, name: &str) -> bool {
    let confirm = confirm.trim();
    confirm.eq_ignore_ascii_case(code)
        || (!confirm.is_empty() && normalise(confirm) == normalise(name))
}

pub async fn erase(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(request): ApiJson<EraseTown>,
) -> Result<Response, ApiError> {
    if !auth.admin {
        return Err(ApiError::sync(
            StatusCode::FORBIDDEN,
            codes::NOT_ADMIN,
            "Seul un administrateur de l'espace (la personne qui l'a créé, ou le maire) peut \
             l'effacer.",
        ));
    }
    let town = state
        .storage
        .town(auth.town_id)
        .await?
        .ok_or(ApiError::Internal)?;
    if request.confirm.chars().count() > 200
        || !names_commune(&request.confirm, &town.commune.code, &town.commune.name)
    {
        return Err(ApiError::sync(
            StatusCode::BAD_REQUEST,
            codes::CONFIRM_MISMATCH,
            format!(
                "Pour effacer l'espace, tapez le nom de la commune ({}) ou son code INSEE ({}).",
                town.commune.name, town.commune.code
            ),
        ));
    }
    let ops = state
        .storage
        .erase_town(auth.town_id, &Actor::device(&auth.name), now_ms() as i64)
        .await?;
    tracing::info!(town = auth.town_id, ops = ?ops, "town erased by its administrator");
    state.live.disconnect_town(auth.town_id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The bearer token of an access request (not yet a device token).
pub struct RequestToken(String);

impl axum::extract::FromRequestParts<AppState> for RequestToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).map_err(crate::auth::unauthenticated)?;
        if !is_token_shaped(token) {
            return Err(unknown_device_token());
        }
        Ok(RequestToken(token.to_string()))
    }
}

pub async fn access_request(
    State(state): State<AppState>,
    RequestToken(token): RequestToken,
) -> Result<Response, ApiError> {
    let request = state
        .storage
        .access_request_by_token(&sha256_hex(&token))
        .await?
        .ok_or_else(unknown_device_token)?;
    Ok(private_json(StatusCode::OK, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_names_the_commune_whatever_the_case_and_accents() {
        for confirm in ["29155", " 29155 ", "plouguerneau", "PLOUGUERNEAU"] {
            assert!(names_commune(confirm, "29155", "Plouguerneau"), "{confirm}");
        }
        assert!(names_commune("saint etienne", "42218", "Saint-Étienne"));
        assert!(names_commune("2a004", "2A004", "Ajaccio"));
        for confirm in ["", "2915", "Plougerneau", "oui"] {
            assert!(
                !names_commune(confirm, "29155", "Plouguerneau"),
                "{confirm}"
            );
        }
    }
}
