//! Security headers sent on every response, API and files alike.
//!
//! The Content-Security-Policy forbids inline scripts except the ones the build itself wrote into
//! `index.html` (Trunk's module loader): their SHA-256 hashes are computed at start from the very
//! file being served, so the policy always matches the build without ever needing
//! `'unsafe-inline'`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// HSTS: a year, the usual value (and the minimum of browsers' preload lists). Subdomains are
/// left out: the host's other sites under the same domain are not ours to constrain.
pub const HSTS: &str = "max-age=31536000";

/// The header set, built once at start (the CSP depends on the served `index.html`).
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    /// `script_hashes` are CSP source expressions such as `'sha256-…'`.
    pub fn new(script_hashes: &[String]) -> Self {
        let csp = content_security_policy(script_hashes);
        // Hashes are base64 and the rest is ASCII, so the value is always a valid header.
        let csp = HeaderValue::from_str(&csp).expect("CSP is ASCII");
        SecurityHeaders { csp, hsts: false }
    }

    /// Adds `Strict-Transport-Security` when the server's public origin is HTTPS
    /// ([`serves_https`]): browsers then never try plain HTTP again. Sent over plain HTTP too
    /// (behind the TLS-terminating proxy the server only sees HTTP), browsers ignore it there.
    pub fn with_hsts(mut self, hsts: bool) -> Self {
        self.hsts = hsts;
        self
    }

    fn apply(&self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert(CONTENT_SECURITY_POLICY, self.csp.clone());
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        );
        headers.insert(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        if self.hsts {
            headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
        }
    }
}

/// Whether `--public-url` names an HTTPS origin.
pub fn serves_https(public_url: Option<&str>) -> bool {
    public_url.is_some_and(|url| {
        url.trim()
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    })
}

/// Middleware adding [`SecurityHeaders`] to whatever the inner service answered, errors included.
pub async fn add_security_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    headers.apply(&mut response);
    response
}

/// The policy: everything from our own origin only; WebAssembly compilation allowed
/// (`'wasm-unsafe-eval'`, which does not allow JavaScript `eval`); inline scripts only by hash.
pub fn content_security_policy(script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for hash in script_hashes {
        script_src.push(' ');
        script_src.push_str(hash);
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// CSP hash sources (`'sha256-<base64>'`) of every inline `<script>` (one without `src`) in an
/// HTML document, in document order and without duplicates.
///
/// This is a deliberately small scanner, not an HTML parser: it understands comments, quoted
/// attribute values and the raw-text content of `<script>`, which is all that a build tool's
/// output needs. A script it misjudged would only be blocked by the browser, never allowed.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if !starts_with_script_tag(rest) {
            rest = &rest[1..];
            continue;
        }
        let Some((has_src, content_start)) = scan_script_attributes(&rest["<script".len()..])
        else {
            break; // Unterminated tag: nothing more to find.
        };
        let content = &rest["<script".len() + content_start..];
        let content_end = find_ignore_ascii_case(content, "</script").unwrap_or(content.len());
        if !has_src {
            let hash = script_hash(&content[..content_end]);
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
        rest = &content[content_end..];
    }
    hashes
}

/// `'sha256-…'` of a script's text as the browser sees it: the HTML parser turns CRLF and lone
/// CR into LF before the script exists, so the hash must be taken after the same normalisation.
fn script_hash(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let digest = Sha256::digest(normalised.as_bytes());
    format!("'sha256-{}'", BASE64.encode(digest))
}

fn starts_with_script_tag(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() > "<script".len()
        && bytes[..7].eq_ignore_ascii_case(b"<script")
        && matches!(
            bytes[7],
            b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'
        )
}

/// Reads the attributes after `<script` up to the closing `>`; returns whether a `src` attribute
/// was present and the offset just past the `>`.
fn scan_script_attributes(tag: &str) -> Option<(bool, usize)> {
    let bytes = tag.as_bytes();
    let mut has_src = false;
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if *bytes.get(i)? == b'>' {
            return Some((has_src, i + 1));
        }
        let name_start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b'>' | b'/') {
            if bytes[i].is_ascii_whitespace() {
                break;
            }
            i += 1;
        }
        if bytes[name_start..i].eq_ignore_ascii_case(b"src") {
            has_src = true;
        }
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i)? {
            quote @ (b'"' | b'\'') => {
                let close = tag[i + 1..].find(*quote as char)?;
                i += close + 2;
            }
            _ => {
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
            }
        }
    }
}

fn find_ignore_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(script: &str) -> String {
        format!(
            "'sha256-{}'",
            BASE64.encode(Sha256::digest(script.as_bytes()))
        )
    }

    #[test]
    fn hashes_trunk_module_loader_and_skips_external_scripts() {
        let loader = "\nimport init from '/arobase-0123456789abcdef.js';\nawait init();\n";
        let html = format!(
            "<!DOCTYPE html><html><head>\
             <script src=\"/external.js\"></script>\
             <link rel=\"modulepreload\" href=\"/arobase-0123456789abcdef.js\">\
             <script type=\"module\">{loader}</script></head><body></body></html>"
        );
        assert_eq!(inline_script_hashes(&html), vec![expected(loader)]);
    }

    #[test]
    fn handles_case_quotes_comments_and_duplicates() {
        let html = "<!-- <script>ignored()</script> -->\
                    <SCRIPT data-src=\"x>y\" type='module'>a()</SCRIPT>\
                    <script>a()</script>\
                    <script async src=/x.js></script>\
                    <scripts>not a script</scripts>\
                    <script>b()</script>";
        assert_eq!(
            inline_script_hashes(html),
            vec![expected("a()"), expected("b()")]
        );
    }

    #[test]
    fn normalises_line_endings_like_the_browser() {
        let html = "<script>a();\r\nb();\r</script>";
        assert_eq!(inline_script_hashes(html), vec![expected("a();\nb();\n")]);
    }

    #[test]
    fn tolerates_truncated_documents() {
        assert!(inline_script_hashes("<script type=\"module").is_empty());
        assert_eq!(
            inline_script_hashes("<script>open()"),
            vec![expected("open()")]
        );
    }

    #[test]
    fn policy_lists_hashes_and_never_unsafe_inline() {
        let csp = content_security_policy(&["'sha256-abc='".to_string()]);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc='; style-src"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.ends_with("frame-ancestors 'none'"));
    }
}
