//! Serving the built app: types, caching, compression, conditional requests, SPA fallback, CSP.

mod common;

use common::{
    brotli_decode, expected_csp, file_content, gzip_decode, index_html, inline_script_hash,
    TestServer, CSS, JS, SECURITY_HEADERS, WASM,
};
use reqwest::StatusCode;
use rstest::rstest;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const DEEP_LINK: &str = "/questionnaire/securite/secu-mfa";

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
}

#[rstest]
#[case::root("/", "text/html; charset=utf-8")]
#[case::index("/index.html", "text/html; charset=utf-8")]
#[case::deep_link(DEEP_LINK, "text/html; charset=utf-8")]
#[case::javascript(JS, "text/javascript; charset=utf-8")]
#[case::wasm(WASM, "application/wasm")]
#[case::css(CSS, "text/css; charset=utf-8")]
#[case::service_worker("/sw.js", "text/javascript; charset=utf-8")]
#[case::manifest("/manifest.webmanifest", "application/manifest+json")]
#[case::svg("/favicon.svg", "image/svg+xml")]
#[case::png("/icon-192.png", "image/png")]
#[tokio::test]
async fn content_type_per_file(#[case] path: &str, #[case] content_type: &str) {
    let server = TestServer::start().await;
    let response = server.get(path, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), Some(content_type));
}

#[rstest]
#[case::hashed_js(JS, IMMUTABLE)]
#[case::hashed_wasm(WASM, IMMUTABLE)]
#[case::hashed_css(CSS, IMMUTABLE)]
#[case::root("/", "no-cache")]
#[case::index("/index.html", "no-cache")]
#[case::deep_link(DEEP_LINK, "no-cache")]
#[case::service_worker("/sw.js", "no-cache")]
#[case::manifest("/manifest.webmanifest", "no-cache")]
#[case::favicon("/favicon.svg", "no-cache")]
#[case::icon("/icon-192.png", "no-cache")]
#[tokio::test]
async fn cache_control_per_file(#[case] path: &str, #[case] cache_control: &str) {
    let server = TestServer::start().await;
    let response = server.get(path, &[("accept-encoding", "br")]).await;
    assert_eq!(header(&response, "cache-control"), Some(cache_control));
}

#[rstest]
#[case::none(None, None)]
#[case::br(Some("br"), Some("br"))]
#[case::gzip(Some("gzip"), Some("gzip"))]
#[case::browser(Some("gzip, deflate, br, zstd"), Some("br"))]
#[case::br_excluded(Some("br;q=0, gzip"), Some("gzip"))]
#[case::all_excluded(Some("br;q=0, gzip;q=0"), None)]
#[case::star_excluded(Some("*;q=0"), None)]
#[case::identity_only(Some("identity"), None)]
#[case::unknown_only(Some("zstd, deflate"), None)]
#[case::gzip_weighted_higher(Some("br;q=0.4, gzip;q=0.9"), Some("gzip"))]
#[case::star(Some("*"), Some("br"))]
#[tokio::test]
async fn wasm_encoding_negotiation(
    #[case] accept_encoding: Option<&str>,
    #[case] content_encoding: Option<&str>,
) {
    let server = TestServer::start().await;
    let headers: Vec<(&str, &str)> = accept_encoding
        .map(|value| ("accept-encoding", value))
        .into_iter()
        .collect();
    let response = server.get(WASM, &headers).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), Some("application/wasm"));
    assert_eq!(header(&response, "content-encoding"), content_encoding);
    assert_eq!(header(&response, "vary"), Some("Accept-Encoding"));
    let length: usize = header(&response, "content-length")
        .expect("content-length")
        .parse()
        .unwrap();
    let body = response.bytes().await.unwrap();
    assert_eq!(length, body.len());

    let original = file_content(WASM);
    let decoded = match content_encoding {
        Some("br") => brotli_decode(&body),
        Some("gzip") => gzip_decode(&body),
        _ => body.to_vec(),
    };
    assert_eq!(decoded, original, "body must decode to the original file");
    assert!(decoded.starts_with(b"\0asm"));
    if content_encoding.is_some() {
        assert!(body.len() < original.len(), "compressed must be smaller");
    }
}

#[rstest]
#[case::index("/index.html")]
#[case::javascript(JS)]
#[case::css(CSS)]
#[case::manifest("/manifest.webmanifest")]
#[case::svg("/favicon.svg")]
#[tokio::test]
async fn text_files_are_served_compressed(#[case] path: &str) {
    let server = TestServer::start().await;
    let response = server.get(path, &[("accept-encoding", "br")]).await;
    assert_eq!(header(&response, "content-encoding"), Some("br"));
    let body = response.bytes().await.unwrap();
    assert_eq!(brotli_decode(&body), file_content(path));
}

#[tokio::test]
async fn png_is_never_compressed() {
    let server = TestServer::start().await;
    let response = server
        .get("/icon-192.png", &[("accept-encoding", "gzip, br")])
        .await;
    assert_eq!(header(&response, "content-encoding"), None);
    assert_eq!(header(&response, "vary"), None);
    let body = response.bytes().await.unwrap();
    assert_eq!(body.to_vec(), file_content("/icon-192.png"));
}

#[tokio::test]
async fn etag_revalidation_gives_304_per_representation() {
    let server = TestServer::start().await;
    let first = server.get(WASM, &[("accept-encoding", "br")]).await;
    let etag = header(&first, "etag").expect("etag").to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong ETag: {etag}"
    );

    let revalidated = server
        .get(
            WASM,
            &[("accept-encoding", "br"), ("if-none-match", etag.as_str())],
        )
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&revalidated, "etag"), Some(etag.as_str()));
    assert_eq!(header(&revalidated, "cache-control"), Some(IMMUTABLE));
    assert_eq!(header(&revalidated, "vary"), Some("Accept-Encoding"));
    assert!(revalidated.bytes().await.unwrap().is_empty());

    let weak = format!("W/{etag}");
    let weak_match = server
        .get(
            WASM,
            &[("accept-encoding", "br"), ("if-none-match", weak.as_str())],
        )
        .await;
    assert_eq!(weak_match.status(), StatusCode::NOT_MODIFIED);

    // The gzip representation has its own ETag, so the brotli one does not validate it.
    let other = server
        .get(
            WASM,
            &[
                ("accept-encoding", "gzip"),
                ("if-none-match", etag.as_str()),
            ],
        )
        .await;
    assert_eq!(other.status(), StatusCode::OK);
    assert_ne!(header(&other, "etag"), Some(etag.as_str()));
}

/// Each page's shell has its own ETag: a deep link revalidates with 304, and the ETag of another
/// page's shell does not match (it would show the wrong heading).
#[tokio::test]
async fn pages_revalidate_with_304() {
    let server = TestServer::start().await;
    let first = server.get(DEEP_LINK, &[]).await;
    let etag = header(&first, "etag").unwrap().to_string();
    let again = server
        .get(DEEP_LINK, &[("if-none-match", etag.as_str())])
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "cache-control"), Some("no-cache"));
    let home = server.get("/", &[("if-none-match", etag.as_str())]).await;
    assert_eq!(home.status(), StatusCode::OK);
}

#[rstest]
#[case::wasm_br(WASM, "br")]
#[case::index_identity("/", "identity")]
#[case::deep_link(DEEP_LINK, "gzip")]
#[tokio::test]
async fn head_has_the_get_headers_and_no_body(#[case] path: &str, #[case] accept: &str) {
    let server = TestServer::start().await;
    let get = server.get(path, &[("accept-encoding", accept)]).await;
    let head = server
        .client
        .head(server.url(path))
        .header("accept-encoding", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    for name in [
        "content-type",
        "content-length",
        "content-encoding",
        "etag",
        "cache-control",
        "content-security-policy",
    ] {
        assert_eq!(header(&head, name), header(&get, name), "{name}");
    }
    assert!(
        header(&head, "content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 0
    );
    assert!(head.bytes().await.unwrap().is_empty());
}

/// Every other path gets `index.html` with the heading of the page the app shows there (see
/// `crates/server/src/shells.rs`), and a 404 with « Page introuvable » when the app has no page.
#[rstest]
#[case::deep_link(
    DEEP_LINK,
    200,
    "La double authentification (code reçu sur téléphone, application, clé) est-elle activée \
     sur la messagerie et les accès sensibles (banque, Chorus Pro, logiciels financiers, site)\u{202f}?"
)]
#[case::theme("/questionnaire/securite", 200, "Sécurité numérique")]
#[case::trailing_slash("/resultats/", 200, "Résultats")]
#[case::query("/?source=pwa", 200, "Où en est le numérique dans votre commune ?")]
#[case::invitation("/rejoindre", 200, "Rejoindre l&#39;espace de la commune")]
#[case::unknown_question("/questionnaire/securite/nope", 404, "Page introuvable")]
#[case::api_lookalike("/apiculture", 404, "Page introuvable")]
#[case::missing_file("/missing.js", 404, "Page introuvable")]
#[case::unicode("/commune/%C3%89vreux", 404, "Page introuvable")]
#[case::undecodable("/%FF%FE", 404, "Page introuvable")]
#[tokio::test]
async fn app_paths_get_their_page_in_the_shell(
    #[case] path: &str,
    #[case] status: u16,
    #[case] heading: &str,
) {
    let server = TestServer::start().await;
    let response = server.get(path, &[]).await;
    assert_eq!(response.status().as_u16(), status, "{path}");
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&response, "cache-control"), Some("no-cache"));
    let body = response.text().await.unwrap();
    let index = index_html();
    // The build's page, with only the title and the shell's slot filled in.
    let head_end = index.find("<title>").unwrap();
    assert_eq!(body[..head_end], index[..head_end], "{path}");
    assert!(
        body.ends_with(&index[index.find("</main>").unwrap()..]),
        "{body}"
    );
    assert!(
        body.contains(&format!("<h1 tabindex=\"-1\">{heading}</h1>")),
        "{path}: {body}"
    );
    assert!(
        body.contains(&format!("<title>{heading} — Arobase</title>")),
        "{body}"
    );
}

/// A 404 page keeps its status even when the browser holds its ETag.
#[tokio::test]
async fn a_missing_page_is_never_not_modified() {
    let server = TestServer::start().await;
    let first = server.get("/nope", &[]).await;
    let etag = header(&first, "etag").unwrap().to_string();
    let again = server.get("/nope", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

/// Sent raw: HTTP clients resolve dot segments (even encoded ones) before sending.
#[rstest]
#[case::plain("/../../../../etc/passwd")]
#[case::sibling("/../secret.txt")]
#[case::encoded_dots("/%2e%2e/%2e%2e/etc/passwd")]
#[case::encoded_slashes("/..%2f..%2fsecret.txt")]
#[case::backslashes("/..\\..\\secret.txt")]
#[case::double_encoded("/%252e%252e/secret.txt")]
#[tokio::test]
async fn traversal_never_leaves_dist(#[case] path: &str) {
    let server = TestServer::start().await;
    std::fs::write(server.tmp.path().join("secret.txt"), "TOP SECRET").unwrap();
    let response = server
        .raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        ))
        .await;
    let body = String::from_utf8_lossy(&response.body);
    assert!(!body.contains("TOP SECRET"), "{path} leaked a file");
    assert!(!body.contains("root:"), "{path} leaked /etc/passwd");
    match response.status {
        404 => assert!(body.contains("Page introuvable"), "{path}: {body}"),
        status => assert_eq!(status, 400, "{path}: {}", response.head),
    }
}

#[tokio::test]
async fn csp_allows_exactly_the_inline_script_of_the_build() {
    let server = TestServer::start().await;
    let response = server.get("/", &[]).await;
    let csp = header(&response, "content-security-policy").expect("CSP");
    assert_eq!(csp, expected_csp());
    assert!(csp.contains(&inline_script_hash()));
    assert!(!csp.contains("unsafe-inline"));
}

#[rstest]
#[case::index("/")]
#[case::wasm(WASM)]
#[case::deep_link(DEEP_LINK)]
#[case::manifest("/manifest.webmanifest")]
#[case::health("/api/health")]
#[case::api_not_found("/api/nope")]
#[tokio::test]
async fn security_headers_on_every_response(#[case] path: &str) {
    let server = TestServer::start().await;
    let response = server.get(path, &[]).await;
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(header(&response, name), Some(*value), "{name} on {path}");
    }
    assert_eq!(
        header(&response, "content-security-policy"),
        Some(expected_csp().as_str())
    );
}

#[tokio::test]
async fn other_methods_on_app_paths_are_a_json_405() {
    let server = TestServer::start().await;
    let response = server
        .client
        .post(server.url(DEEP_LINK))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow"), Some("GET,HEAD"));
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        json["error"],
        format!("method POST is not allowed on `{DEEP_LINK}`")
    );
}
