//! `POST /api/invites`: an invitation for one new phone of the caller's town (see
//! [`crate::invite`] for the code's design).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use diagnostic::association::{codes, MAX_LIVE_INVITES_PER_TOWN};
use diagnostic::sync::Invite;

use super::private_json;
use crate::auth::{new_secret, town_rejected, Authenticated};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::invite::{
    code_parts, display_code, new_code, public_origin, qr_svg, secret_hash, CODE_TTL_MS, JOIN_PATH,
    LINK_TTL_MS, MAX_CODE_ATTEMPTS,
};
use crate::storage::{Actor, CreateInviteOutcome, NewInvite, Storage};
use crate::AppState;

/// Codes drawn before giving up when their prefixes are all taken by live codes (with 32 768
/// prefixes, only a deployment with thousands of codes live within 15 minutes gets near).
const CODE_DRAWS: usize = 10;

pub async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let response = issue(
        &state,
        &headers,
        Issuer {
            town_id: auth.town_id,
            created_by: Some(auth.device_id.clone()),
            operator: None,
        },
    )
    .await?;
    tracing::info!(by = %auth.device_id, "invitation created");
    Ok(response)
}

/// Who makes an invitation: a device of the town (limited to
/// [`MAX_LIVE_INVITES_PER_TOWN`] live ones per town), or an operator (a recovery invitation:
/// not limited, the device it admits is an administrator, the act is audited).
pub(crate) struct Issuer {
    pub town_id: i64,
    pub created_by: Option<String>,
    pub operator: Option<Actor>,
}

/// Draws a code, stores the invitation, answers 201 [`Invite`].
pub(crate) async fn issue(
    state: &AppState,
    headers: &HeaderMap,
    issuer: Issuer,
) -> Result<Response, ApiError> {
    let now = now_ms();
    let secret = new_secret()?;
    let max_live = issuer
        .operator
        .is_none()
        .then_some(i64::from(MAX_LIVE_INVITES_PER_TOWN));
    let mut stored = None;
    for _ in 0..CODE_DRAWS {
        let code = new_code()?;
        let (code_prefix, code_hash) = code_parts(&code);
        let invite = NewInvite {
            town_id: issuer.town_id,
            created_by: issuer.created_by.clone(),
            operator: issuer.operator.clone(),
            grants_admin: issuer.operator.is_some(),
            secret_hash: secret_hash(&secret),
            code_prefix,
            code_hash,
            created_ms: now as i64,
            code_expires_ms: (now + CODE_TTL_MS) as i64,
            link_expires_ms: (now + LINK_TTL_MS) as i64,
        };
        match state
            .storage
            .create_invite(&invite, MAX_CODE_ATTEMPTS, max_live)
            .await?
        {
            CreateInviteOutcome::Created => {
                stored = Some(code);
                break;
            }
            CreateInviteOutcome::PrefixTaken => continue,
            CreateInviteOutcome::TooMany => {
                return Err(ApiError::sync(
                    StatusCode::TOO_MANY_REQUESTS,
                    codes::TOO_MANY_INVITES,
                    format!(
                        "La commune a déjà {MAX_LIVE_INVITES_PER_TOWN} invitations en cours : \
                         attendez qu'elles servent ou expirent (7 jours)."
                    ),
                ))
            }
            CreateInviteOutcome::NoTown => return Err(town_rejected()),
        }
    }
    let Some(code) = stored else {
        tracing::error!("no free invitation code prefix after {CODE_DRAWS} draws");
        return Err(ApiError::sync(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Trop d'invitations en cours : réessayez dans quelques minutes.",
        ));
    };
    let path = format!("{JOIN_PATH}#{secret}");
    let url = public_origin(state.public_url.as_deref(), headers).map(|origin| origin + &path);
    let qr_svg = url.as_deref().and_then(qr_svg);
    Ok(private_json(
        StatusCode::CREATED,
        Invite {
            code: display_code(&code),
            code_expires_ms: now + CODE_TTL_MS,
            secret,
            link_expires_ms: now + LINK_TTL_MS,
            path,
            url,
            qr_svg,
        },
    ))
}
