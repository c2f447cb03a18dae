//! `POST /api/invites`: an invitation for one new phone of the caller's town (see
//! [`crate::invite`] for the code's design).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use diagnostic::sync::Invite;

use super::private_json;
use crate::auth::{new_secret, Authenticated};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::invite::{
    code_parts, display_code, new_code, public_origin, qr_svg, secret_hash, CODE_TTL_MS, JOIN_PATH,
    LINK_TTL_MS, MAX_CODE_ATTEMPTS,
};
use crate::storage::{NewInvite, Storage};
use crate::AppState;

/// Codes drawn before giving up when their prefixes are all taken by live codes (with 32 768
/// prefixes, only a deployment with thousands of codes live within 15 minutes gets near).
const CODE_DRAWS: usize = 10;

pub async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = now_ms();
    let secret = new_secret()?;
    let mut stored = None;
    for _ in 0..CODE_DRAWS {
        let code = new_code()?;
        let (code_prefix, code_hash) = code_parts(&code);
        let invite = NewInvite {
            town_id: auth.town_id,
            created_by: auth.device_id.clone(),
            secret_hash: secret_hash(&secret),
            code_prefix,
            code_hash,
            created_ms: now as i64,
            code_expires_ms: (now + CODE_TTL_MS) as i64,
            link_expires_ms: (now + LINK_TTL_MS) as i64,
        };
        if state
            .storage
            .create_invite(&invite, MAX_CODE_ATTEMPTS)
            .await?
        {
            stored = Some(code);
            break;
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
    let url = public_origin(state.public_url.as_deref(), &headers).map(|origin| origin + &path);
    let qr_svg = url.as_deref().and_then(qr_svg);
    tracing::info!(by = %auth.device_id, "invitation created");
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
