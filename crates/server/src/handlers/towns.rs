//! Enrolment: `POST /api/towns` (the first official creates the commune's space), `POST
//! /api/join` (another joins by invitation) and `GET /api/me`. Both enrolments answer 201 with
//! the new device's token, the only time it is ever shown.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use diagnostic::association::{codes, is_admin, AccessRequested};
use diagnostic::sync::{
    display_name, CreateTown, Device, Enrolment, Join, Me, Role, PROTOCOL_VERSION,
};

use super::{private_json, shorten};
use crate::auth::{new_device_id, new_token, Authenticated};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::invite::{canonical_code, code_parts, secret_hash, MAX_CODE_ATTEMPTS};
use crate::storage::{CreateTownOutcome, NewDevice, RedeemOutcome, Storage};
use crate::AppState;

/// Longest link secret looked up (a real one has 43 characters).
const MAX_SECRET_CHARS: usize = 100;

/// A device about to enrol; `creates` when it creates the space (then it is an administrator).
fn new_device(name: &str, role: Role, creates: bool) -> Result<(NewDevice, String), ApiError> {
    let name = display_name(name).map_err(ApiError::bad_request)?;
    let (token, token_hash) = new_token()?;
    let device = NewDevice {
        id: new_device_id()?,
        token_hash,
        name,
        role: role.as_str().to_string(),
        created_ms: now_ms() as i64,
        admin: is_admin(role, creates),
    };
    Ok((device, token))
}

/// The 201 answer of an enrolment.
async fn enrolled(
    state: &AppState,
    town_id: i64,
    device: NewDevice,
    token: String,
) -> Result<Response, ApiError> {
    let town = state.storage.town(town_id).await?.ok_or_else(|| {
        tracing::error!(town_id, "a town just enrolled into is missing");
        ApiError::Internal
    })?;
    let role = Role::parse(&device.role).ok_or(ApiError::Internal)?;
    // A recovery invitation makes an administrator: the stored flag is the truth.
    let admin = state
        .storage
        .devices(town_id)
        .await?
        .iter()
        .any(|stored| stored.id == device.id && stored.admin);
    tracing::info!(device = %device.id, commune = %town.commune.code, "device enrolled");
    let created_ms = device.created_ms as u64;
    Ok(private_json(
        StatusCode::CREATED,
        Enrolment {
            token,
            device: Device {
                id: device.id,
                name: device.name,
                role,
                created_ms,
                last_seen_ms: Some(created_ms),
                revoked_ms: None,
                current: true,
                admin,
            },
            town,
        },
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateTown>,
) -> Result<Response, ApiError> {
    let (device, token) = new_device(&request.name, request.role, true)?;
    let commune = request.commune.trim();
    match state
        .storage
        .create_town(commune, &device, state.host.town_spaces)
        .await?
    {
        CreateTownOutcome::Created { town_id } => enrolled(&state, town_id, device, token).await,
        CreateTownOutcome::UnknownCommune => Err(ApiError::sync(
            StatusCode::BAD_REQUEST,
            "unknown_commune",
            format!(
                "unknown commune `{}`: give the INSEE code of a commune found with \
                 GET /api/communes",
                shorten(commune, 20)
            ),
        )),
        CreateTownOutcome::Exists { commune_name } => Err(ApiError::sync(
            StatusCode::CONFLICT,
            "town_exists",
            format!(
                "L'espace de {commune_name} existe déjà : demandez une invitation (lien, QR code \
                 ou code) à un élu ou un agent déjà inscrit."
            ),
        )),
        CreateTownOutcome::Requested(request) => {
            tracing::info!(
                request = request.id,
                commune = %request.commune.code,
                "access request for a commune that has a space"
            );
            Ok(private_json(
                StatusCode::ACCEPTED,
                AccessRequested {
                    token,
                    request: *request,
                },
            ))
        }
    }
}

pub async fn join(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<Join>,
) -> Result<Response, ApiError> {
    let (device, token) = new_device(&request.name, request.role, false)?;
    let outcome = match (&request.secret, &request.code) {
        (Some(secret), None) => {
            let secret = secret.trim();
            if secret.is_empty() || secret.len() > MAX_SECRET_CHARS {
                return Err(ApiError::bad_request("the invitation secret is malformed"));
            }
            state
                .storage
                .redeem_link(&secret_hash(secret), &device)
                .await?
        }
        (None, Some(code)) => {
            let code = canonical_code(code).ok_or_else(|| {
                ApiError::sync(
                    StatusCode::BAD_REQUEST,
                    "invalid_code",
                    "Un code d'invitation a 9 caractères, par exemple K7Q-F3M-9PX.",
                )
            })?;
            let (prefix, hash) = code_parts(&code);
            state
                .storage
                .redeem_code(&prefix, &hash, &device, MAX_CODE_ATTEMPTS)
                .await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of `secret` (from an invitation link) and `code`",
            ))
        }
    };
    match outcome {
        RedeemOutcome::Joined { town_id } => enrolled(&state, town_id, device, token).await,
        // One answer for an unknown prefix or link and a wrong code: a guesser learns nothing.
        RedeemOutcome::Invalid => Err(ApiError::sync(
            StatusCode::NOT_FOUND,
            codes::INVITE_INVALID,
            "Invitation inconnue ou code incorrect : vérifiez le code ou le lien, ou demandez \
             une nouvelle invitation. Après quelques essais erronés, un code est bloqué.",
        )),
        RedeemOutcome::Expired => Err(ApiError::sync(
            StatusCode::GONE,
            "invite_expired",
            "Cette invitation a expiré : demandez-en une nouvelle.",
        )),
        RedeemOutcome::Used => Err(ApiError::sync(
            StatusCode::GONE,
            "invite_used",
            "Cette invitation a déjà servi : demandez-en une nouvelle.",
        )),
        RedeemOutcome::Locked => Err(ApiError::sync(
            StatusCode::GONE,
            "invite_locked",
            "Trop d'essais erronés : ce code est bloqué. Demandez une nouvelle invitation.",
        )),
    }
}

/// Reads only: the app calls it at every start, and a read must not queue behind SQLite's one
/// writer (nor fail when the database is read-only). `last_seen_ms` is set at enrolment and by
/// every push (`Storage::push`).
pub async fn me(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    let town = state
        .storage
        .town(auth.town_id)
        .await?
        .ok_or(ApiError::Internal)?;
    let mut device = state
        .storage
        .devices(auth.town_id)
        .await?
        .into_iter()
        .find(|device| device.id == auth.device_id)
        .ok_or(ApiError::Internal)?;
    device.current = true;
    super::resume_town_clock(&state, auth.town_id).await?;
    Ok(private_json(
        StatusCode::OK,
        Me {
            device,
            town,
            clock: state.clock.read(auth.town_id),
            protocol: PROTOCOL_VERSION,
        },
    ))
}
