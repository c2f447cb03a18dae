//! The built app (Trunk's `dist/`), loaded into memory once at start.
//!
//! Every file is read, and compressed with brotli and gzip when its type compresses, before the
//! server accepts its first request: a request then costs a map lookup and a choice among prepared
//! representations, never a disk read or a compression. Serving only from this map also means no
//! request path can reach a file outside `dist/`, whatever `..` or encoding it carries.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode};
use sha2::{Digest, Sha256};

use crate::encoding::{AcceptEncoding, Encoding};
use crate::security::inline_script_hashes;
use crate::shells::{Shells, SLOT};

/// Hashed names change whenever their content does, so browsers may keep them forever.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else (index.html, sw.js, the manifest, icons) must be revalidated, so that a new
/// deployment reaches phones at their next visit; the ETag makes revalidation cheap.
const NO_CACHE: &str = "no-cache";

/// Brotli's best quality (11) runs at about 1 MB/s in a release build (measured on a 536 kB
/// wasm-bindgen output: 0.55 s, against 0.045 s at quality 9 for a 10% larger result). Above this
/// size the server drops to quality 9 so that start-up stays within a few seconds.
const BROTLI_BEST_QUALITY_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Directory depth beyond which loading stops descending (guards against symlink loops).
const MAX_DEPTH: usize = 16;

/// The app as the server found it at start.
#[derive(Debug)]
pub enum AppFiles {
    Built(Assets),
    /// No usable build: the API still works, app paths answer 503. `reason` is for the log.
    NotBuilt {
        reason: String,
    },
}

impl AppFiles {
    /// CSP hashes of the inline scripts of the served `index.html` (none when not built).
    pub fn script_hashes(&self) -> &[String] {
        match self {
            AppFiles::Built(assets) => &assets.script_hashes,
            AppFiles::NotBuilt { .. } => &[],
        }
    }
}

/// All files of the build, keyed by URL path (`/index.html`, `/snippets/x/inline0.js`).
#[derive(Debug)]
pub struct Assets {
    files: HashMap<String, Arc<Asset>>,
    index: Arc<Asset>,
    /// Each route's `index.html` with its heading (none for a build without the shell slot).
    shells: Option<Shells>,
    script_hashes: Vec<String>,
}

impl Assets {
    /// The file a request path names, percent-decoded; `None` when it names no file.
    pub fn file(&self, request_path: &str) -> Option<&Arc<Asset>> {
        let decoded = percent_decode(request_path)?;
        self.files.get(&decoded)
    }

    /// What answers a path that names no file: the app, which routes client-side, in the shell
    /// of the page at that path (404 when the app has no such page).
    pub fn page(&self, request_path: &str) -> (StatusCode, &Arc<Asset>) {
        let Some(shells) = &self.shells else {
            return (StatusCode::OK, &self.index);
        };
        // A path that does not even decode names no page.
        let path = percent_decode(request_path).unwrap_or_default();
        shells.for_path(&path, diagnostic::questionnaire())
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// One file in every representation prepared for it.
#[derive(Debug)]
pub struct Asset {
    pub content_type: HeaderValue,
    pub cache_control: HeaderValue,
    /// Whether the type is one that gets compressed, hence whether responses vary on
    /// `Accept-Encoding` (even when compression did not pay off for this particular file).
    pub negotiable: bool,
    /// Identity first, then whichever compressed versions turned out smaller.
    variants: Vec<Variant>,
}

impl Asset {
    /// The representation to send for a request's `Accept-Encoding`.
    pub fn select(&self, accept: &AcceptEncoding) -> &Variant {
        let available: Vec<Encoding> = self.variants.iter().map(|v| v.encoding).collect();
        let chosen = accept.negotiate(&available);
        self.variants
            .iter()
            .find(|v| v.encoding == chosen)
            .unwrap_or(&self.variants[0])
    }

    /// The uncompressed representation.
    pub fn identity(&self) -> &Variant {
        &self.variants[0]
    }

    /// A page made by the server (a route's shell): an HTML file like `index.html`.
    pub fn html(html: String) -> Result<Asset, AssetsError> {
        Asset::from_bytes("index.html", html.into_bytes()).map_err(|source| AssetsError::Compress {
            path: PathBuf::from("index.html (a page's shell)"),
            source,
        })
    }

    /// A file named `name` with content `identity`, in every representation worth keeping.
    fn from_bytes(name: &str, identity: Vec<u8>) -> io::Result<Asset> {
        let (content_type, compressible) = content_type(name);
        let cache_control = if is_hashed_name(name) {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        let compressed = if compressible && !identity.is_empty() {
            compressed_variants(&identity)?
        } else {
            Vec::new()
        };
        let mut variants = vec![Variant::new(Encoding::Identity, identity)];
        variants.extend(compressed);
        Ok(Asset {
            content_type: HeaderValue::from_static(content_type),
            cache_control: HeaderValue::from_static(cache_control),
            negotiable: compressible,
            variants,
        })
    }

    /// The representation in `encoding`, if one was kept.
    pub fn variant(&self, encoding: Encoding) -> Option<&Variant> {
        self.variants.iter().find(|v| v.encoding == encoding)
    }
}

/// One representation: bytes as sent, and a strong ETag that differs between representations.
/// Cloning shares the bytes.
#[derive(Debug, Clone)]
pub struct Variant {
    pub encoding: Encoding,
    pub body: Bytes,
    pub etag: HeaderValue,
}

impl Variant {
    fn new(encoding: Encoding, body: Vec<u8>) -> Self {
        let digest = Sha256::digest(&body);
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let etag = format!("\"{hex}-{}\"", encoding.etag_suffix());
        Variant {
            encoding,
            body: Bytes::from(body),
            etag: HeaderValue::from_str(&etag).expect("ETag is ASCII"),
        }
    }
}

/// Failure to read a build that exists (a missing build is [`AppFiles::NotBuilt`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    #[error("cannot read the app file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot compress the app file {}", path.display())]
    Compress {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("loading the app files was interrupted")]
    Interrupted,
}

/// Loads `dist` off the async runtime (compression takes seconds on a real build).
pub async fn load(dist: PathBuf) -> Result<AppFiles, AssetsError> {
    tokio::task::spawn_blocking(move || load_blocking(&dist))
        .await
        .map_err(|_| AssetsError::Interrupted)?
}

/// Loads every file under `dist` into memory, compressing on all cores.
pub fn load_blocking(dist: &Path) -> Result<AppFiles, AssetsError> {
    let started = Instant::now();
    match std::fs::metadata(dist) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok(AppFiles::NotBuilt {
                reason: format!("the app directory {} does not exist", dist.display()),
            });
        }
        Err(source) => {
            return Err(AssetsError::Read {
                path: dist.to_path_buf(),
                source,
            })
        }
        Ok(meta) if !meta.is_dir() => {
            return Ok(AppFiles::NotBuilt {
                reason: format!("{} is not a directory", dist.display()),
            });
        }
        Ok(_) => {}
    }

    let mut found = Vec::new();
    collect_files(dist, "", 0, &mut found)?;
    if !found.iter().any(|(url, _)| url == "/index.html") {
        return Ok(AppFiles::NotBuilt {
            reason: format!("{} has no index.html", dist.display()),
        });
    }

    let prepared = prepare_in_parallel(&found)?;
    let mut files = HashMap::with_capacity(prepared.len());
    let (mut identity_bytes, mut smallest_bytes) = (0usize, 0usize);
    for (url, asset) in prepared {
        identity_bytes += asset.identity().body.len();
        smallest_bytes += asset
            .variants
            .iter()
            .map(|v| v.body.len())
            .min()
            .unwrap_or(0);
        files.insert(url, Arc::new(asset));
    }
    let index = Arc::clone(&files["/index.html"]);
    let html = String::from_utf8_lossy(&index.identity().body);
    let script_hashes = inline_script_hashes(&html);
    let shells_started = Instant::now();
    let shells = Shells::build(&html, diagnostic::questionnaire())?;
    let shells_ms = shells_started.elapsed().as_millis() as u64;
    if shells.is_none() {
        tracing::warn!(
            slot = SLOT,
            "index.html has no slot for the pages' shells: deep links get it as it is"
        );
    }

    tracing::info!(
        dir = %dist.display(),
        files = files.len(),
        identity_bytes,
        smallest_bytes,
        inline_scripts = script_hashes.len(),
        page_shells = shells.as_ref().map_or(0, Shells::count),
        shells_ms,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "app files loaded and compressed"
    );
    Ok(AppFiles::Built(Assets {
        files,
        index,
        shells,
        script_hashes,
    }))
}

/// Walks `dir`, collecting `(url_path, fs_path)` of every regular file.
fn collect_files(
    dir: &Path,
    url_prefix: &str,
    depth: usize,
    found: &mut Vec<(String, PathBuf)>,
) -> Result<(), AssetsError> {
    let read_error = |source| AssetsError::Read {
        path: dir.to_path_buf(),
        source,
    };
    if depth > MAX_DEPTH {
        tracing::warn!(dir = %dir.display(), "app directory nested too deep; skipped");
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            tracing::warn!(path = %path.display(), "app file name is not UTF-8; not served");
            continue;
        };
        // Dot-files are tool leftovers (Trunk's `.stage`, editors' swap files), never app files;
        // `.well-known` is the exception the web defines.
        if name.starts_with('.') && name != ".well-known" {
            continue;
        }
        // `metadata` follows symlinks, so a deployment may link files into dist/.
        let meta = std::fs::metadata(&path).map_err(|source| AssetsError::Read {
            path: path.clone(),
            source,
        })?;
        let url = format!("{url_prefix}/{name}");
        if meta.is_dir() {
            collect_files(&path, &url, depth + 1, found)?;
        } else if meta.is_file() {
            found.push((url, path));
        }
    }
    Ok(())
}

/// Reads and compresses the files on as many threads as there are cores.
fn prepare_in_parallel(found: &[(String, PathBuf)]) -> Result<Vec<(String, Asset)>, AssetsError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(found.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Vec<Result<(String, Asset), AssetsError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    // Work-stealing by index: big files (the wasm) do not hold up the rest.
                    while let Some((url, path)) = found.get(next.fetch_add(1, Ordering::Relaxed)) {
                        done.push(prepare(url, path).map(|asset| (url.clone(), asset)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.into_iter().collect()
}

fn prepare(url: &str, path: &Path) -> Result<Asset, AssetsError> {
    let identity = std::fs::read(path).map_err(|source| AssetsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let name = url.rsplit('/').next().unwrap_or(url);
    Asset::from_bytes(name, identity).map_err(|source| AssetsError::Compress {
        path: path.to_path_buf(),
        source,
    })
}

/// The compressed variants of `identity` (those smaller than it), by its SHA-256: one process may
/// start many servers on the same files (the integration tests start hundreds, the benches a few),
/// and brotli at its best quality is most of a start's time, so each text is compressed once per
/// process. A server keeps its files for its whole life, so the map never needs to shrink.
fn compressed_variants(identity: &[u8]) -> io::Result<Vec<Variant>> {
    static COMPRESSED: LazyLock<Mutex<HashMap<[u8; 32], Vec<Variant>>>> =
        LazyLock::new(Mutex::default);
    let key: [u8; 32] = Sha256::digest(identity).into();
    let cache = || COMPRESSED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = cache().get(&key) {
        return Ok(found.clone());
    }
    // Not under the lock: files compress in parallel; a text two threads compress at once is
    // only compressed twice.
    let mut compressed = Vec::new();
    let br = brotli_compress(identity)?;
    if br.len() < identity.len() {
        compressed.push(Variant::new(Encoding::Brotli, br));
    }
    let gz = gzip_compress(identity)?;
    if gz.len() < identity.len() {
        compressed.push(Variant::new(Encoding::Gzip, gz));
    }
    cache().insert(key, compressed.clone());
    Ok(compressed)
}

fn brotli_compress(input: &[u8]) -> io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: if input.len() <= BROTLI_BEST_QUALITY_MAX_BYTES {
            11
        } else {
            9
        },
        size_hint: input.len(),
        ..Default::default()
    };
    let mut output = Vec::with_capacity(input.len() / 3);
    brotli::BrotliCompress(&mut &input[..], &mut output, &params)?;
    Ok(output)
}

fn gzip_compress(input: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(input.len() / 3),
        flate2::Compression::best(),
    );
    encoder.write_all(input)?;
    encoder.finish()
}

/// `Content-Type` of a file name and whether that type is worth compressing.
pub fn content_type(name: &str) -> (&'static str, bool) {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => ("text/html; charset=utf-8", true),
        "js" | "mjs" => ("text/javascript; charset=utf-8", true),
        "wasm" => ("application/wasm", true),
        "css" => ("text/css; charset=utf-8", true),
        "svg" => ("image/svg+xml", true),
        "json" | "map" => ("application/json", true),
        "webmanifest" => ("application/manifest+json", true),
        "txt" => ("text/plain; charset=utf-8", true),
        "xml" => ("application/xml", true),
        "ico" => ("image/x-icon", true),
        "png" => ("image/png", false),
        "jpg" | "jpeg" => ("image/jpeg", false),
        "gif" => ("image/gif", false),
        "webp" => ("image/webp", false),
        "avif" => ("image/avif", false),
        "woff2" => ("font/woff2", false),
        "woff" => ("font/woff", false),
        "pdf" => ("application/pdf", false),
        _ => ("application/octet-stream", false),
    }
}

/// Whether a file name carries Trunk's content hash: `-` and 12 to 16 lowercase hex digits,
/// followed by the extension or by wasm-bindgen's `_bg` (`arobase-1a2b3c4d5e6f7a8b_bg.wasm`).
/// Trunk prints a 64-bit hash without leading zeros, so one build in sixteen has 15 digits; fewer
/// than 12 happens once in 65,536 builds and only costs a revalidation, while a lower bound keeps
/// names like `icon-192.png` out. Only the file name counts: wasm-bindgen's
/// `snippets/<crate>-<hash>/` directories hash the crate, not the content, so their files must
/// still be revalidated.
pub fn is_hashed_name(name: &str) -> bool {
    const HASH_LEN: std::ops::RangeInclusive<usize> = 12..=16;
    let bytes = name.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        if b != b'-' || i == 0 {
            return false;
        }
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
            .count();
        let rest = &name[i + 1 + digits..];
        HASH_LEN.contains(&digits) && (rest.starts_with('.') || rest.starts_with("_bg."))
    })
}

/// Decodes `%XX` escapes; `None` for malformed escapes or non-UTF-8 results (which cannot name
/// a file the server loaded, whose names are all UTF-8).
fn percent_decode(path: &str) -> Option<String> {
    if !path.contains('%') {
        return Some(path.to_string());
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::trunk_js("arobase-1a2b3c4d5e6f7a8b.js", true)]
    #[case::trunk_wasm("arobase-1a2b3c4d5e6f7a8b_bg.wasm", true)]
    #[case::trunk_css("style-0123456789abcdef.css", true)]
    #[case::double_extension("vendor-0123456789abcdef.min.js", true)]
    #[case::dashed_stem("my-app-0123456789abcdef.js", true)]
    #[case::index("index.html", false)]
    #[case::service_worker("sw.js", false)]
    #[case::manifest("manifest.webmanifest", false)]
    #[case::icon("icon-192.png", false)]
    #[case::unhashed_wasm("arobase_bg.wasm", false)]
    #[case::fifteen_hex_leading_zero_dropped("arobase-1a2b3c4d5e6f7a8.js", true)]
    #[case::twelve_hex("arobase-1a2b3c4d5e6f.js", true)]
    #[case::eleven_hex("arobase-1a2b3c4d5e6.js", false)]
    #[case::numbered_icon("icon-192.png", false)]
    #[case::seventeen_hex("arobase-1a2b3c4d5e6f7a8b9.js", false)]
    #[case::uppercase_hex("arobase-1A2B3C4D5E6F7A8B.js", false)]
    #[case::not_hex("arobase-1a2b3c4d5e6f7a8g.js", false)]
    #[case::no_stem("-1a2b3c4d5e6f7a8b.js", false)]
    #[case::other_suffix("arobase-1a2b3c4d5e6f7a8b_x.js", false)]
    fn detects_hashed_names(#[case] name: &str, #[case] hashed: bool) {
        assert_eq!(is_hashed_name(name), hashed);
    }

    #[rstest]
    #[case::plain("/a/b.js", Some("/a/b.js"))]
    #[case::space("/my%20file.txt", Some("/my file.txt"))]
    #[case::dot_dot("/%2e%2E/etc", Some("/../etc"))]
    #[case::truncated("/a%2", None)]
    #[case::bad_hex("/a%zz", None)]
    #[case::not_utf8("/a%ff", None)]
    fn decodes_paths(#[case] path: &str, #[case] expected: Option<&str>) {
        assert_eq!(percent_decode(path).as_deref(), expected);
    }

    #[test]
    fn keeps_compressed_versions_only_when_smaller() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<p>".repeat(1000)).unwrap();
        std::fs::write(dir.path().join("tiny.txt"), "x").unwrap();
        std::fs::write(dir.path().join("logo.png"), [0x89u8; 4096]).unwrap();
        let AppFiles::Built(assets) = load_blocking(dir.path()).unwrap() else {
            panic!("dist with index.html must load");
        };
        let index = assets.file("/index.html").unwrap();
        assert!(index.variant(Encoding::Brotli).is_some());
        assert!(index.variant(Encoding::Gzip).is_some());
        let tiny = assets.file("/tiny.txt").unwrap();
        assert!(
            tiny.variant(Encoding::Brotli).is_none(),
            "1 byte cannot shrink"
        );
        assert!(tiny.negotiable);
        let png = assets.file("/logo.png").unwrap();
        assert!(
            png.variant(Encoding::Gzip).is_none(),
            "PNG is never compressed"
        );
        assert!(!png.negotiable);
    }

    #[test]
    fn missing_dir_or_index_is_not_built() {
        let dir = tempfile::tempdir().unwrap();
        let missing = load_blocking(&dir.path().join("nope")).unwrap();
        assert!(matches!(missing, AppFiles::NotBuilt { .. }));
        std::fs::write(dir.path().join("app.js"), "x").unwrap();
        let no_index = load_blocking(dir.path()).unwrap();
        assert!(
            matches!(&no_index, AppFiles::NotBuilt { reason } if reason.contains("index.html"))
        );
    }

    #[test]
    fn skips_dot_files_and_walks_subdirectories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<p>").unwrap();
        std::fs::create_dir_all(dir.path().join(".stage")).unwrap();
        std::fs::write(dir.path().join(".stage/index.html"), "old").unwrap();
        std::fs::create_dir_all(dir.path().join("snippets/x-0123456789abcdef")).unwrap();
        std::fs::write(
            dir.path().join("snippets/x-0123456789abcdef/inline0.js"),
            "export {}",
        )
        .unwrap();
        let AppFiles::Built(assets) = load_blocking(dir.path()).unwrap() else {
            panic!("dist with index.html must load");
        };
        assert_eq!(assets.len(), 2);
        let snippet = assets
            .file("/snippets/x-0123456789abcdef/inline0.js")
            .unwrap();
        assert_eq!(snippet.cache_control, NO_CACHE);
        assert!(assets.file("/.stage/index.html").is_none());
    }
}
