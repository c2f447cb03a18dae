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

/// Whether `token` has the shape of a token (checked before any database lookup).
pub fn is_token_shaped(token: &str) -> bool {
    token
        .strip_prefix(TOKEN_PREFIX)
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

/// The device a request comes from, authenticated by its bearer token and not removed.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub device_id: String,
    pub town_id: i64,
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

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| {
                unauthenticated(
                    "Jeton d'appareil manquant : envoyez l'en-tête `Authorization: Bearer <jeton>`.",
                )
            })?
            .to_str()
            .map_err(|_| unauthenticated("En-tête Authorization illisible."))?;
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                unauthenticated("L'en-tête Authorization doit être de la forme `Bearer <jeton>`.")
            })?;
        let unknown = || {
            unauthenticated(
                "Jeton d'appareil inconnu : cet appareil doit rejoindre l'espace de sa commune \
                 (création ou invitation).",
            )
        };
        if !is_token_shaped(token) {
            return Err(unknown());
        }
        let device = state
            .storage
            .authenticate(&sha256_hex(token))
            .await?
            .ok_or_else(unknown)?;
        if device.revoked_ms.is_some() {
            return Err(revoked());
        }
        Ok(Authenticated {
            device_id: device.id,
            town_id: device.town_id,
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
    fn device_ids_are_uuid_v4() {
        let id = new_device_id().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
