//! Invitations: a link carrying a 256-bit secret (with its QR code) and a short code to read
//! aloud, both admitting one new device, once.
//!
//! # The short code
//!
//! Nine characters of Crockford's base32 (`0-9` and `A-Z` without `I L O U`, so nothing is
//! ambiguous when read aloud or typed), shown `K7Q-F3M-9PX`: 45 bits. The first group (15 bits)
//! is a non-secret **prefix** that identifies the invitation among the live ones (the server draws
//! another when a live code already uses it); the last two groups are the **secret** (30 bits).
//! The code is valid for [`CODE_TTL_MS`] (15 minutes) and once. Every wrong secret for a live
//! prefix is counted on that invitation, and at [`MAX_CODE_ATTEMPTS`] wrong attempts its code is
//! locked for good. So a guesser wins with probability at most 5 / 2³⁰ ≈ 4.7 × 10⁻⁹ per
//! invitation, however many requests they send; a wrong prefix identifies nothing and counts
//! nothing. Input is forgiving: case, spaces and dashes are ignored and `O`, `I`, `L` read as
//! `0`, `1`, `1`.

use axum::http::header::{HOST, ORIGIN};
use axum::http::HeaderMap;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::auth::{random_bytes, sha256_hex};
use crate::error::ApiError;

/// How long the short code works.
pub const CODE_TTL_MS: u64 = 15 * 60 * 1000;
/// How long the link works.
pub const LINK_TTL_MS: u64 = 7 * 24 * 60 * 60 * 1000;
/// Wrong codes that lock an invitation's code.
pub const MAX_CODE_ATTEMPTS: i64 = 5;
/// Characters of a code, without its dashes.
pub const CODE_LEN: usize = 9;
/// Characters of its public prefix.
pub const PREFIX_LEN: usize = 3;
/// Where the app handles an invitation link; the secret follows in the fragment.
pub const JOIN_PATH: &str = "/rejoindre";

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh code, canonical (no dashes).
pub fn new_code() -> Result<String, ApiError> {
    let bytes = random_bytes::<CODE_LEN>()?;
    // 256 is a multiple of 32: taking 5 bits of each byte is unbiased.
    Ok(bytes
        .iter()
        .map(|byte| ALPHABET[usize::from(byte & 31)] as char)
        .collect())
}

/// `K7QF3M9PX` → `K7Q-F3M-9PX`.
pub fn display_code(code: &str) -> String {
    code.as_bytes()
        .chunks(3)
        .map(|group| std::str::from_utf8(group).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a typed code, or `None` when it cannot be one.
pub fn canonical_code(input: &str) -> Option<String> {
    let mut code = String::with_capacity(CODE_LEN);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '.' | '\u{a0}' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        code.push(c);
    }
    (code.len() == CODE_LEN).then_some(code)
}

/// The prefix that identifies the invitation, and the hash that checks the whole code.
pub fn code_parts(canonical: &str) -> (String, String) {
    (
        canonical[..PREFIX_LEN].to_string(),
        sha256_hex(&format!("code:{canonical}")),
    )
}

/// The hash under which a link secret is stored.
pub fn secret_hash(secret: &str) -> String {
    sha256_hex(&format!("link:{secret}"))
}

/// The origin (`https://host[:port]`) links should use: the configured public URL, else the
/// `Origin` the app's request carries, else `Host` (with `X-Forwarded-Proto`, default http).
pub fn public_origin(configured: Option<&str>, headers: &HeaderMap) -> Option<String> {
    if let Some(url) = configured {
        return Some(url.trim_end_matches('/').to_string());
    }
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(origin) = header(ORIGIN).filter(|origin| is_origin(origin)) {
        return Some(origin.to_string());
    }
    let host = header(HOST)?;
    let scheme = match header(axum::http::HeaderName::from_static("x-forwarded-proto")) {
        Some("https") => "https",
        _ => "http",
    };
    let origin = format!("{scheme}://{host}");
    is_origin(&origin).then_some(origin)
}

/// `http(s)://host[:port]`, nothing else (no path, no user info, no space).
fn is_origin(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|host| {
        !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    })
}

/// The link as a QR code, an SVG document.
pub fn qr_svg(url: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn codes_are_nine_unambiguous_characters() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        assert_eq!(display_code("K7QF3M9PX"), "K7Q-F3M-9PX");
    }

    #[test]
    fn typed_codes_are_forgiving() {
        assert_eq!(canonical_code("k7q-f3m-9px").as_deref(), Some("K7QF3M9PX"));
        assert_eq!(
            canonical_code(" K7Q F3M 9PX ").as_deref(),
            Some("K7QF3M9PX")
        );
        assert_eq!(canonical_code("o1l-000-000").as_deref(), Some("011000000"));
        assert_eq!(canonical_code("K7Q-F3M-9P"), None);
        assert_eq!(canonical_code("K7Q-F3M-9PU"), None);
        assert_eq!(canonical_code("K7Q-F3M-9PXX"), None);
        assert_eq!(canonical_code("K7Q-F3M-9PÉ"), None);
    }

    #[test]
    fn public_origin_prefers_config_then_origin_then_host() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("mairie.example:8080"));
        assert_eq!(
            public_origin(None, &headers).as_deref(),
            Some("http://mairie.example:8080")
        );
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(
            public_origin(None, &headers).as_deref(),
            Some("https://mairie.example:8080")
        );
        headers.insert(ORIGIN, HeaderValue::from_static("https://arobase.example"));
        assert_eq!(
            public_origin(None, &headers).as_deref(),
            Some("https://arobase.example")
        );
        assert_eq!(
            public_origin(Some("https://configured.example/"), &headers).as_deref(),
            Some("https://configured.example")
        );
        headers.insert(ORIGIN, HeaderValue::from_static("null"));
        headers.insert(HOST, HeaderValue::from_static("evil.example/path"));
        assert_eq!(public_origin(None, &headers), None);
    }

    #[test]
    fn qr_codes_are_svg() {
        let svg = qr_svg("https://arobase.example/rejoindre#abc").unwrap();
        assert!(svg.contains("<svg"), "{svg}");
    }
}
