//! Shared fixtures: a fake Trunk build, a server booted on 127.0.0.1:0 with a temporary SQLite
//! file, and a raw HTTP helper for requests reqwest would normalise (`..`) or refuse to send.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use server::{Config, Server, ServerHandle};

pub const JS: &str = "/arobase-1a2b3c4d5e6f7a8b.js";
pub const WASM: &str = "/arobase-1a2b3c4d5e6f7a8b_bg.wasm";
pub const CSS: &str = "/style-0123456789abcdef.css";

/// Trunk's module loader, exactly as the fixture's index.html carries it inline.
pub const INLINE_SCRIPT: &str =
    "\nimport init, * as bindings from '/arobase-1a2b3c4d5e6f7a8b.js';\n\
const wasm = await init({ module_or_path: '/arobase-1a2b3c4d5e6f7a8b_bg.wasm' });\n\
window.wasmBindings = bindings;\n\
dispatchEvent(new CustomEvent(\"TrunkApplicationStarted\", {detail: {wasm}}));\n";

pub fn index_html() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Arobase</title>\n\
         <link rel=\"manifest\" href=\"/manifest.webmanifest\">\n\
         <link rel=\"icon\" href=\"/favicon.svg\">\n\
         <link rel=\"stylesheet\" href=\"{CSS}\">\n\
         <link rel=\"modulepreload\" href=\"{JS}\" crossorigin=\"anonymous\">\n\
         <link rel=\"preload\" href=\"{WASM}\" crossorigin=\"anonymous\" as=\"fetch\" \
         type=\"application/wasm\">\n\
         <script type=\"module\">{INLINE_SCRIPT}</script>\n\
         </head>\n<body><div id=\"app-shell\"><main class=\"page\" id=\"shell-page\"></main></div>\
         </body>\n</html>\n"
    )
}

/// The CSP source the server must list for [`INLINE_SCRIPT`], computed independently.
pub fn inline_script_hash() -> String {
    format!(
        "'sha256-{}'",
        BASE64.encode(Sha256::digest(INLINE_SCRIPT.as_bytes()))
    )
}

/// A WebAssembly-looking file: the real magic number, then compressible filler.
pub fn wasm_bytes() -> Vec<u8> {
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..600 {
        wasm.extend_from_slice(format!("(func $f{i} (result i32) i32.const {})", i % 7).as_bytes());
    }
    wasm
}

/// PNG signature then bytes that do not compress: PNG must never be recompressed anyway.
pub fn png_bytes() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut state: u32 = 0x1234_5678;
    png.extend((0..2048).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as u8
    }));
    png
}

/// Every file of the fake build: (URL path, content).
pub fn dist_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("/index.html", index_html().into_bytes()),
        (
            JS,
            "export function init() { return fetch('/arobase-1a2b3c4d5e6f7a8b_bg.wasm'); }\n"
                .repeat(40)
                .into_bytes(),
        ),
        (WASM, wasm_bytes()),
        (
            CSS,
            "body { font-family: system-ui, sans-serif; margin: 0; }\n"
                .repeat(30)
                .into_bytes(),
        ),
        (
            "/sw.js",
            "self.addEventListener('fetch', (event) => { event.respondWith(fetch(event.request)); });\n"
                .repeat(5)
                .into_bytes(),
        ),
        (
            "/manifest.webmanifest",
            br##"{"name": "Arobase", "short_name": "Arobase", "start_url": "/", "display": "standalone", "background_color": "#ffffff", "theme_color": "#000091", "icons": [{"src": "/icon-192.png", "sizes": "192x192", "type": "image/png"}]}"##.to_vec(),
        ),
        (
            "/favicon.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"7\" fill=\"#000091\"/><circle cx=\"8\" cy=\"8\" r=\"3\" fill=\"#ffffff\"/></svg>\n"
                .to_vec(),
        ),
        ("/icon-192.png", png_bytes()),
    ]
}

pub fn write_dist(dist: &Path) {
    for (url, content) in dist_files() {
        let path = dist.join(url.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

pub fn file_content(url: &str) -> Vec<u8> {
    dist_files()
        .into_iter()
        .find(|(path, _)| *path == url)
        .map(|(_, content)| content)
        .unwrap_or_else(|| panic!("no fixture file {url}"))
}

pub enum Dist {
    /// The fake Trunk build above.
    Built,
    /// No dist directory at all.
    Missing,
    /// A dist directory without index.html.
    NoIndex,
}

/// The database a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The base URL of the PostgreSQL test database, set by `make test` (`scripts/postgres.sh`).
pub const POSTGRES_URL_VAR: &str = "AROBASE_TEST_POSTGRES_URL";

/// The PostgreSQL test database URL; fails the test (never skips it) when it is not set.
pub fn postgres_base_url() -> String {
    std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_URL_VAR} is not set, so the PostgreSQL tests cannot run. Run `make test`, \
             or start PostgreSQL and export its URL with \
             `export {POSTGRES_URL_VAR}=$(scripts/postgres.sh)` before `cargo test`."
        )
    })
}

/// A new, empty database for one test: a SQLite file in `dir`, or a new schema of the PostgreSQL
/// test database (named `arobase_t_…`; `scripts/postgres.sh` drops old ones).
pub async fn fresh_database_url(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("data/arobase.sqlite").display()),
        Backend::Postgres => {
            use sqlx::Connection as _;
            let base = postgres_base_url();
            let schema = format!(
                "arobase_t_{}",
                &server::auth::sha256_hex(&server::auth::new_secret().unwrap())[..16]
            );
            let mut admin = sqlx::PgConnection::connect(&base)
                .await
                .unwrap_or_else(|err| panic!("cannot connect to {POSTGRES_URL_VAR}: {err}"));
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.unwrap();
            let separator = if base.contains('?') { '&' } else { '?' };
            format!("{base}{separator}options[search_path]={schema}")
        }
    }
}

/// A small commune list in the format of `@etalab/decoupage-administratif`.
pub fn write_communes(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let communes = serde_json::json!([
        {"code": "42218", "nom": "Saint-Étienne", "type": "commune-actuelle", "departement": "42",
         "region": "84", "codesPostaux": ["42000", "42100", "42230"], "population": 172565,
         "siren": "214202186"},
        {"code": "01350", "nom": "Saint-Étienne-du-Bois", "type": "commune-actuelle",
         "departement": "01", "region": "84", "codesPostaux": ["01370"], "population": 2584},
        {"code": "42147", "nom": "Montbrison", "type": "commune-actuelle", "departement": "42",
         "region": "84", "codesPostaux": ["42600"], "population": 16028},
        {"code": "42095", "nom": "Firminy", "type": "commune-actuelle", "departement": "42",
         "region": "84", "codesPostaux": ["42700"], "population": 16813},
        {"code": "94038", "nom": "L'Haÿ-les-Roses", "type": "commune-actuelle",
         "departement": "94", "region": "11", "codesPostaux": ["94240"], "population": 31341},
        {"code": "2A004", "nom": "Ajaccio", "type": "commune-actuelle", "departement": "2A",
         "region": "94", "codesPostaux": ["20000", "20090", "20167"], "population": 73615},
        {"code": "37214", "nom": "Saint-Avertin", "type": "commune-actuelle", "departement": "37",
         "region": "24", "codesPostaux": ["37550"], "population": 15012},
        {"code": "35024", "nom": "Betton", "type": "commune-actuelle", "departement": "35",
         "region": "53", "codesPostaux": ["35830"], "population": 12335},
        {"code": "29155", "nom": "Plouguerneau", "type": "commune-actuelle", "departement": "29",
         "region": "53", "codesPostaux": ["29880"], "population": 6641},
        {"code": "42001", "nom": "Saint-Étienne-Ancienne", "type": "commune-deleguee",
         "departement": "42", "region": "84", "codesPostaux": ["42000"], "population": 10}
    ]);
    let epci = serde_json::json!([
        {"code": "244200770", "nom": "Saint-Étienne Métropole", "type": "METRO",
         "membres": [{"code": "42218", "nom": "Saint-Étienne"}, {"code": "42095", "nom": "Firminy"}]}
    ]);
    let departements = serde_json::json!([
        {"code": "42", "nom": "Loire", "region": "84"},
        {"code": "2A", "nom": "Corse-du-Sud", "region": "94"}
    ]);
    std::fs::write(dir.join("communes.json"), communes.to_string()).unwrap();
    std::fs::write(dir.join("epci.json"), epci.to_string()).unwrap();
    std::fs::write(dir.join("departements.json"), departements.to_string()).unwrap();
}

/// A server running on an ephemeral port, with its temporary files.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub handle: ServerHandle,
    pub db_path: PathBuf,
    pub database_url: String,
    pub tmp: TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Dist::Built).await
    }

    pub async fn start_with(dist: Dist) -> Self {
        Self::start_full(dist, Backend::Sqlite, None).await
    }

    /// A server on a fresh database of `backend`, with the fixture commune list.
    pub async fn start_backend(backend: Backend) -> Self {
        Self::start_full(Dist::Built, backend, None).await
    }

    /// A server on the database at `url` (another instance may share it).
    pub async fn start_on(url: &str) -> Self {
        Self::start_full(Dist::Built, Backend::Postgres, Some(url.to_string())).await
    }

    pub async fn start_full(dist: Dist, backend: Backend, url: Option<String>) -> Self {
        Self::start_configured(dist, backend, url, |_| {}).await
    }

    /// Another server on `other`'s database (a restart, or a second instance).
    pub async fn start_on_database(backend: Backend, other: &TestServer) -> Self {
        Self::start_configured(
            Dist::Built,
            backend,
            Some(other.database_url.clone()),
            |_| {},
        )
        .await
    }

    /// A server on a fresh database of `backend` with `configure` applied to its configuration.
    pub async fn start_with_config(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_configured(Dist::Built, backend, None, configure).await
    }

    pub async fn start_configured(
        dist: Dist,
        backend: Backend,
        url: Option<String>,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dist_dir = tmp.path().join("dist");
        match dist {
            Dist::Built => write_dist(&dist_dir),
            Dist::Missing => {}
            Dist::NoIndex => {
                std::fs::create_dir_all(&dist_dir).unwrap();
                std::fs::write(dist_dir.join("app.js"), "export {}").unwrap();
            }
        }
        let db_path = tmp.path().join("data").join("arobase.sqlite");
        let communes = tmp.path().join("communes");
        write_communes(&communes);
        let database_url = match url {
            Some(url) => url,
            None => fresh_database_url(backend, tmp.path()).await,
        };
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            database_url: database_url.clone(),
            dist: dist_dir,
            communes,
            // Tests enrol many phones from 127.0.0.1 at once; the rate limits have their own
            // tests (tests/limits.rs), with their own settings.
            anonymous_burst: 100_000,
            invites_burst: 100_000,
            ..Config::default()
        };
        configure(&mut config);
        let (addr, handle) = Server::bind(&config).await.expect("server starts");
        TestServer {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            handle,
            db_path,
            database_url,
            tmp,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET with extra headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request reaches the server")
    }

    pub async fn raw(&self, request: &str) -> RawResponse {
        raw_request(self.addr, request).await
    }
}

/// A response read off the socket as is.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// Sends `request` verbatim (it must ask `Connection: close`) and reads the whole answer.
pub async fn raw_request(addr: SocketAddr, request: &str) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete response head");
    let head = String::from_utf8(bytes[..split].to_vec()).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    RawResponse {
        status,
        head,
        body: bytes[split + 4..].to_vec(),
    }
}

pub fn brotli_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

pub fn gzip_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The exact policy expected for the fixture build.
pub fn expected_csp() -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
         worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        inline_script_hash()
    )
}

/// Headers every response must carry, with their values.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

pub mod binary;
pub mod sync;

/// Runs each listed `async fn(Backend)` as one test per backend (`Backend` must be in scope
/// where it is called).
#[allow(unused_macros)] // Each test binary uses a different part of this module.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::Backend::Postgres).await
                }
            )*
        }
    };
}

#[allow(unused_imports)] // Each test binary uses a different part of this module.
pub(crate) use on_both_backends;

/// The URL the `arobase-server` binary announces on its first line of stdout (scripts and tests
/// read it to find the port it bound).
pub fn announced_url(stdout: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    line.trim()
        .strip_prefix("Arobase listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string()
}
