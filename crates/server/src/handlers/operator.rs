//! `/api/operator/…`: the console of the hosting association's operators. Every route but the
//! enrolment needs an operator's browser token ([`OperatorAuthenticated`]); every act is written
//! to the audit log in the same transaction as the act (see `storage/queries.rs`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use diagnostic::association::{
    codes, AccessRequests, AuditLog, Decision, OperatorEnrol, OperatorEnrolment, OperatorMe,
    TownStatus,
};
use diagnostic::sync::display_name;
use serde::Deserialize;

use super::invites::{issue, Issuer};
use super::{private_json, shorten};
use crate::auth::{new_device_id, new_operator_token, OperatorAuthenticated};
use crate::clock::now_ms;
use crate::communes::normalise;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::operators::enrolment_secret_hash;
use crate::storage::{
    DecideOutcome, EnrolOutcome, Remover, RevokeOutcome, StatusOutcome, Storage, TownQuery,
};
use crate::AppState;

/// Longest link secret looked up (a real one has 43 characters).
const MAX_SECRET_CHARS: usize = 100;
/// Towns listed when the console does not say.
const DEFAULT_TOWNS: i64 = 50;
/// Most towns or audit entries in one answer.
const MAX_PAGE: i64 = 200;
/// Longest device id looked up (a real one has 36 characters).
const MAX_DEVICE_ID_CHARS: usize = 64;
/// Longest town search.
const MAX_QUERY_CHARS: usize = 100;

fn not_found(what: &str) -> ApiError {
    ApiError::sync(StatusCode::NOT_FOUND, codes::NOT_FOUND, what.to_string())
}

fn wrong_state(message: impl Into<String>) -> ApiError {
    ApiError::sync(StatusCode::CONFLICT, codes::WRONG_STATE, message)
}

/// A numeric id from the path; anything else names nothing (404).
fn path_id(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| not_found(&format!("Aucun(e) {what} « {} ».", shorten(text, 20))))
}

fn status_word(status: TownStatus) -> &'static str {
    match status {
        TownStatus::Pending => "en attente de vérification",
        TownStatus::Verified => "vérifié",
        TownStatus::Rejected => "rejeté",
    }
}

pub async fn enrol(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<OperatorEnrol>,
) -> Result<Response, ApiError> {
    let secret = request.secret.trim();
    if secret.is_empty() || secret.len() > MAX_SECRET_CHARS {
        return Err(ApiError::bad_request("the enrolment secret is malformed"));
    }
    let device_name = display_name(&request.device_name).map_err(ApiError::bad_request)?;
    let (token, token_hash) = new_operator_token()?;
    match state
        .storage
        .enrol_operator(
            &enrolment_secret_hash(secret),
            &token_hash,
            &device_name,
            now_ms() as i64,
        )
        .await?
    {
        EnrolOutcome::Enrolled(operator) => {
            tracing::info!(operator = operator.id, "operator enrolled a browser");
            Ok(private_json(
                StatusCode::CREATED,
                OperatorEnrolment { token, operator },
            ))
        }
        EnrolOutcome::Unknown => Err(ApiError::sync(
            StatusCode::NOT_FOUND,
            codes::ENROLMENT_INVALID,
            "Lien d'inscription inconnu : demandez-en un nouveau (`arobase-server operator add`).",
        )),
        EnrolOutcome::Spent => Err(ApiError::sync(
            StatusCode::GONE,
            codes::ENROLMENT_INVALID,
            "Ce lien d'inscription a déjà servi ou a expiré : demandez-en un nouveau.",
        )),
    }
}

pub async fn me(
    State(state): State<AppState>,
    auth: OperatorAuthenticated,
) -> Result<Response, ApiError> {
    let operator = state
        .storage
        .operators()
        .await?
        .into_iter()
        .map(|(operator, _)| operator)
        .find(|operator| operator.id == auth.id)
        .ok_or(ApiError::Internal)?;
    Ok(private_json(
        StatusCode::OK,
        OperatorMe {
            operator,
            town_spaces: state.host.town_spaces,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct TownsQuery {
    q: Option<String>,
    status: Option<String>,
    departement: Option<String>,
    limit: Option<i64>,
}

pub async fn towns(
    State(state): State<AppState>,
    _auth: OperatorAuthenticated,
    ApiQuery(query): ApiQuery<TownsQuery>,
) -> Result<Response, ApiError> {
    let text = match query.q.as_deref().map(str::trim) {
        Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
            return Err(ApiError::bad_request(format!(
                "a search has at most {MAX_QUERY_CHARS} characters"
            )))
        }
        Some(q) => Some(normalise(q)).filter(|q| !q.is_empty()),
        None => None,
    };
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => Some(TownStatus::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown status `{}`: pending, verified or rejected",
                shorten(text, 20)
            ))
        })?),
        None => None,
    };
    let departement = match query.departement.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(code) if code.len() <= 3 && code.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Some(code.to_ascii_uppercase())
        }
        Some(code) => {
            return Err(ApiError::bad_request(format!(
                "unknown département `{}`",
                shorten(code, 10)
            )))
        }
    };
    let query = TownQuery {
        text,
        status,
        departement,
        limit: query.limit.unwrap_or(DEFAULT_TOWNS).clamp(1, MAX_PAGE),
    };
    Ok(private_json(
        StatusCode::OK,
        state.storage.operator_towns(&query).await?,
    ))
}

pub async fn town(
    State(state): State<AppState>,
    _auth: OperatorAuthenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "commune")?;
    let detail = state
        .storage
        .town_detail(id)
        .await?
        .ok_or_else(|| not_found("Aucun espace de commune n'a ce numéro."))?;
    Ok(private_json(StatusCode::OK, detail))
}

async fn set_status(
    state: &AppState,
    auth: &OperatorAuthenticated,
    id: &str,
    status: TownStatus,
) -> Result<Response, ApiError> {
    let id = path_id(id, "commune")?;
    match state
        .storage
        .set_town_status(id, status, &auth.actor(), now_ms() as i64)
        .await?
    {
        StatusOutcome::Changed(summary) => {
            tracing::info!(
                town = id,
                operator = auth.id,
                status = status.as_str(),
                "town status"
            );
            if status == TownStatus::Rejected {
                state.live.disconnect_town(id);
            }
            Ok(private_json(StatusCode::OK, *summary))
        }
        StatusOutcome::NotFound => Err(not_found("Aucun espace de commune n'a ce numéro.")),
        StatusOutcome::WrongState(current) => Err(wrong_state(format!(
            "Cet espace est {} : il ne peut pas être {}.",
            status_word(current),
            status_word(status)
        ))),
    }
}

pub async fn verify(
    State(state): State<AppState>,
    auth: OperatorAuthenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_status(&state, &auth, &id, TownStatus::Verified).await
}

pub async fn reject(
    State(state): State<AppState>,
    auth: OperatorAuthenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_status(&state, &auth, &id, TownStatus::Rejected).await
}

pub async fn recovery(
    State(state): State<AppState>,
    auth: OperatorAuthenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "commune")?;
    let town = state
        .storage
        .town(id)
        .await?
        .ok_or_else(|| not_found("Aucun espace de commune n'a ce numéro."))?;
    if town.status == TownStatus::Rejected {
        return Err(wrong_state(
            "Cet espace est rejeté : aucune invitation ne peut y faire entrer.",
        ));
    }
    let response = issue(
        &state,
        &headers,
        Issuer {
            town_id: id,
            created_by: None,
            operator: Some(auth.actor()),
        },
    )
    .await?;
    tracing::info!(town = id, operator = auth.id, "recovery invitation issued");
    Ok(response)
}

pub async fn remove_device(
    State(state): State<AppState>,
    auth: OperatorAuthenticated,
    Path((id, device)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "commune")?;
    // A device id is a UUID: anything long or with control characters (a NUL would be a
    // PostgreSQL error) names no device, without asking the database.
    if device.len() > MAX_DEVICE_ID_CHARS || device.chars().any(char::is_control) {
        return Err(not_found("Aucun appareil de ce numéro dans cet espace."));
    }
    match state
        .storage
        .revoke_device(
            id,
            &device,
            &Remover::Operator(auth.actor()),
            now_ms() as i64,
        )
        .await?
    {
        RevokeOutcome::Revoked | RevokeOutcome::AlreadyRevoked => {
            state.live.disconnect_device(id, &device);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(not_found("Aucun appareil de ce numéro dans cet espace.")),
    }
}

pub async fn requests(
    State(state): State<AppState>,
    _auth: OperatorAuthenticated,
) -> Result<Response, ApiError> {
    Ok(private_json(
        StatusCode::OK,
        AccessRequests {
            requests: state.storage.pending_requests().await?,
        },
    ))
}

pub async fn decide(
    State(state): State<AppState>,
    auth: OperatorAuthenticated,
    Path(id): Path<String>,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "demande")?;
    match state
        .storage
        .decide_request(
            id,
            decision.decision,
            &new_device_id()?,
            &auth.actor(),
            now_ms() as i64,
        )
        .await?
    {
        DecideOutcome::Decided(request) => {
            tracing::info!(request = id, operator = auth.id, "access request decided");
            Ok(private_json(StatusCode::OK, *request))
        }
        DecideOutcome::NotFound => Err(not_found("Aucune demande d'accès n'a ce numéro.")),
        DecideOutcome::WrongState => Err(wrong_state(
            "Cette demande est déjà décidée, ou l'espace ne le permet plus (rejeté, ou remplacé \
             entre-temps).",
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

pub async fn audit(
    State(state): State<AppState>,
    _auth: OperatorAuthenticated,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_TOWNS).clamp(1, MAX_PAGE);
    let entries = state.storage.audit_log(query.before, limit).await?;
    let next_before = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|entry| entry.id))
        .flatten();
    Ok(private_json(
        StatusCode::OK,
        AuditLog {
            entries,
            next_before,
        },
    ))
}
