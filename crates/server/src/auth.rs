//! Device tokens and the other secrets of sync, and the extractor that authenticates a request.
//!
//! A token is 256 bits from the operating system's generator, written `arobase_<base64url>`
//! (the prefix lets secret scanners recognise a leaked one). The server keeps only its SHA-256:
//! a stolen database holds no usable token. The town a request acts on is always the token's
//! device's town, never anything the request says.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine as _;
use diagnostic::association::{codes, RequestStatus, TownStatus, OPERATOR_TOKEN_PREFIX};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::storage::Storage;
use crate::AppState;

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "arobase_";

/// Random bytes of a token and of an invitation link's secret.
pub const SECRET_BYTES: usize = 32;

/// `N` bytes from the operating system's secure generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|err| {
        tracing::error!(error = %err, "the operating system's random generator failed");
        ApiError::Internal
    })?;
    Ok(bytes)
}

/// SHA-256, lowercase hex: how tokens, link secrets and codes are stored.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A fresh 256-bit secret, base64url without padding (43 characters).
pub fn new_secret() -> Result<String, ApiError> {
    Ok(BASE64URL.encode(random_bytes::<SECRET_BYTES>()?))
}

/// A fresh device token and its hash.
pub fn new_token() -> Result<(String, String), ApiError> {
    let token = format!("{TOKEN_PREFIX}{}", new_secret()?);
    let hash = sha256_hex(&token);
    Ok((token, hash))
}

/// Whether `token` has the shape of a device token (checked before any database lookup).
pub fn is_token_shaped(token: &str) -> bool {
    is_shaped(token, TOKEN_PREFIX)
}

/// A fresh operator token (`arobase_op_…`) and its hash.
pub fn new_operator_token() -> Result<(String, String), ApiError> {
    let token = format!("{OPERATOR_TOKEN_PREFIX}{}", new_secret()?);
    let hash = sha256_hex(&token);
    Ok((token, hash))
}

/// Whether `token` has the shape of an operator token. A device token never has it, nor does an
/// operator token have a device token's: each is refused by the other's extractor before any
/// lookup, and they live in separate tables anyway.
pub fn is_operator_token_shaped(token: &str) -> bool {
    is_shaped(token, OPERATOR_TOKEN_PREFIX)
}

fn is_shaped(token: &str, prefix: &str) -> bool {
    token
        .strip_prefix(prefix)
        .filter(|secret| secret.len() == 43)
        .and_then(|secret| BASE64URL.decode(secret).ok())
        .is_some_and(|bytes| bytes.len() == SECRET_BYTES)
}

/// A random (version 4) UUID: the public id of a device.
pub fn new_device_id() -> Result<String, ApiError> {
    let mut bytes = random_bytes::<16>()?;
    bytes[6] = 0x40 | (bytes[6] & 0x0F);
    bytes[8] = 0x80 | (bytes[8] & 0x3F);
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// The device a request comes from, authenticated by its bearer token, not removed, of a town
/// that is not rejected.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub device_id: String,
    pub town_id: i64,
    pub name: String,
    /// One of the town's administrators.
    pub admin: bool,
}

pub fn unauthenticated(message: &str) -> ApiError {
    ApiError::sync(StatusCode::UNAUTHORIZED, "unauthenticated", message)
}

pub fn revoked() -> ApiError {
    ApiError::sync(
        StatusCode::UNAUTHORIZED,
        "revoked",
        "Cet appareil a été retiré de l'espace de la commune. Les réponses déjà envoyées sont \
         conservées ; pour continuer sur cet appareil, demandez une nouvelle invitation.",
    )
}

/// The bearer token of the request; `Err` carries the reason, for the caller's 401.
pub fn bearer(parts: &Parts) -> Result<&str, &'static str> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or("Jeton manquant : envoyez l'en-tête `Authorization: Bearer <jeton>`.")?
        .to_str()
        .map_err(|_| "En-tête Authorization illisible.")?;
    header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or("L'en-tête Authorization doit être de la forme `Bearer <jeton>`.")
}

pub fn unknown_device_token() -> ApiError {
    unauthenticated(
        "Jeton d'appareil inconnu : cet appareil doit rejoindre l'espace de sa commune \
         (création ou invitation).",
    )
}

pub fn town_rejected() -> ApiError {
    ApiError::sync(
        StatusCode::FORBIDDEN,
        codes::TOWN_REJECTED,
        "L'association qui héberge Arobase a constaté que cet espace n'était pas celui de la \
         commune : il est fermé. Si c'est une erreur, contactez-la.",
    )
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).map_err(unauthenticated)?;
        if !is_token_shaped(token) {
            return Err(unknown_device_token());
        }
        let hash = sha256_hex(token);
        let Some(device) = state.storage.authenticate(&hash).await? else {
            // Perhaps an access request's token, whose device exists only once let in.
            return Err(match state.storage.access_request_by_token(&hash).await? {
                Some(request) if request.status == RequestStatus::Pending => ApiError::sync(
                    StatusCode::FORBIDDEN,
                    codes::ACCESS_PENDING,
                    "Votre demande d'accès à l'espace de la commune attend la décision de \
                         l'association qui héberge Arobase.",
                ),
                Some(request) if request.status == RequestStatus::Refused => ApiError::sync(
                    StatusCode::FORBIDDEN,
                    codes::ACCESS_REFUSED,
                    "Votre demande d'accès à l'espace de la commune a été refusée.",
                ),
                _ => unknown_device_token(),
            });
        };
        if device.revoked_ms.is_some() {
            return Err(revoked());
        }
        if device.town_status == TownStatus::Rejected {
            return Err(town_rejected());
        }
        Ok(Authenticated {
            device_id: device.id,
            town_id: device.town_id,
            name: device.name,
            admin: device.admin,
        })
    }
}

/// The operator a request comes from, by the browser token of `/api/operator/…` routes.
#[derive(Debug, Clone)]
pub struct OperatorAuthenticated {
    pub id: i64,
    pub name: String,
}

impl OperatorAuthenticated {
    /// How the audit log names them.
    pub fn actor(&self) -> crate::storage::Actor {
        crate::storage::Actor::operator(self.id, &self.name)
    }
}

fn operator_unauthenticated(message: &str) -> ApiError {
    ApiError::sync(
        StatusCode::UNAUTHORIZED,
        codes::OPERATOR_UNAUTHENTICATED,
        message,
    )
}

impl FromRequestParts<AppState> for OperatorAuthenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).map_err(operator_unauthenticated)?;
        let unknown = || {
            operator_unauthenticated(
                "Jeton d'opérateur inconnu : inscrivez ce navigateur avec le lien donné par \
                 `arobase-server operator add`.",
            )
        };
        if !is_operator_token_shaped(token) {
            return Err(unknown());
        }
        let operator = state
            .storage
            .authenticate_operator(&sha256_hex(token))
            .await?
            .ok_or_else(unknown)?;
        if operator.removed {
            return Err(ApiError::sync(
                StatusCode::UNAUTHORIZED,
                codes::OPERATOR_REMOVED,
                "Cet opérateur a été retiré : ce navigateur n'a plus accès à la console.",
            ));
        }
        Ok(OperatorAuthenticated {
            id: operator.id,
            name: operator.name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_with_a_prefix() {
        let (token, hash) = new_token().unwrap();
        assert!(token.starts_with(TOKEN_PREFIX));
        assert_eq!(token.len(), TOKEN_PREFIX.len() + 43);
        assert!(is_token_shaped(&token));
        assert_eq!(hash, sha256_hex(&token));
        assert_eq!(hash.len(), 64);
        assert_ne!(new_token().unwrap().0, token);
        assert!(!is_token_shaped("arobase_short"));
        assert!(!is_token_shaped(&token[TOKEN_PREFIX.len()..]));
    }

    #[test]
    fn operator_and_device_tokens_never_pass_for_each_other() {
        let (operator, _) = new_operator_token().unwrap();
        let (device, _) = new_token().unwrap();
        assert!(operator.starts_with(OPERATOR_TOKEN_PREFIX));
        assert!(is_operator_token_shaped(&operator));
        assert!(!is_token_shaped(&operator));
        assert!(!is_operator_token_shaped(&device));
    }

    #[test]
    fn device_ids_are_uuid_v4() {
        let id = new_device_id().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
