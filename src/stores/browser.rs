//! The browser APIs under the store: localStorage (through gloo-storage), random ids, clocks,
//! persistent-storage requests and timing marks. Everything here fails softly: a browser that
//! refuses storage gets an error value, never a panic.

use gloo_storage::errors::StorageError;
use gloo_storage::{LocalStorage, Storage};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::schema::{StorageRead, KEY_PREFIX};

/// localStorage as the campaign reader sees it ([`super::schema::load_campaign`]).
pub struct BrowserStorage;

impl StorageRead for BrowserStorage {
    fn read(&self, key: &str) -> Option<String> {
        read_raw(key)
    }

    fn keys(&self) -> Vec<String> {
        own_key_names()
    }
}

/// Why a write did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteError {
    /// The browser's storage for this site is full.
    QuotaExceeded,
    /// Storage is disabled or unavailable (private mode, blocked cookies…).
    Unavailable(String),
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The raw text stored under `key`, if any.
pub fn read_raw(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

/// Serialises `value` and stores it under `key`. Returns only once the browser has it.
pub fn write_json<T: Serialize>(key: &str, value: &T) -> Result<(), WriteError> {
    LocalStorage::set(key, value).map_err(classify)
}

/// Stores `text` as it is under `key` (used for backups of unreadable documents).
pub fn write_raw(key: &str, text: &str) -> Result<(), WriteError> {
    let storage =
        local_storage().ok_or_else(|| WriteError::Unavailable("no localStorage".into()))?;
    storage
        .set_item(key, text)
        .map_err(|e| classify(StorageError::JsError(js_sys::Error::from(e).into())))
}

fn classify(error: StorageError) -> WriteError {
    match error {
        // Chromium and WebKit say QuotaExceededError; Firefox says NS_ERROR_DOM_QUOTA_REACHED.
        StorageError::JsError(e) if e.name.contains("Quota") || e.name.contains("QUOTA") => {
            WriteError::QuotaExceeded
        }
        other => WriteError::Unavailable(other.to_string()),
    }
}

/// Every key Arobase owns.
pub fn own_key_names() -> Vec<String> {
    let Some(storage) = local_storage() else {
        return Vec::new();
    };
    let len = storage.length().unwrap_or(0);
    (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(KEY_PREFIX))
        .collect()
}

/// Every key Arobase owns, with the size of key and value in bytes (UTF-16, as browsers count).
pub fn own_keys() -> Vec<(String, usize)> {
    let Some(storage) = local_storage() else {
        return Vec::new();
    };
    own_key_names()
        .into_iter()
        .map(|key| {
            let value_len = storage
                .get_item(&key)
                .ok()
                .flatten()
                .map_or(0, |v| v.encode_utf16().count());
            let size = 2 * (key.encode_utf16().count() + value_len);
            (key, size)
        })
        .collect()
}

/// Removes `key` (a document that is no longer wanted).
pub fn remove(key: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(key);
    }
}

/// Removes every key Arobase owns, and nothing else.
pub fn remove_own_keys() {
    if let Some(storage) = local_storage() {
        for (key, _) in own_keys() {
            let _ = storage.remove_item(&key);
        }
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

/// A fresh operation id: the protocol's UUIDv7 from the time and the browser's secure random.
pub fn new_op_id() -> String {
    diagnostic::sync::op_id(now_ms() as u64, random_bytes())
}

/// A random id for this phone until enrolment gives it the server's (no personal data).
pub fn new_device_id() -> String {
    let hex: String = random_bytes::<8>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("local-{hex}")
}

/// What the browser says about keeping this site's data.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StorageStatus {
    /// `Some(true)` when the browser promised not to evict the data.
    pub persisted: Option<bool>,
    pub usage_bytes: Option<f64>,
    pub quota_bytes: Option<f64>,
}

fn storage_manager() -> Option<web_sys::StorageManager> {
    Some(web_sys::window()?.navigator().storage())
}

async fn promise_value(
    promise: Result<js_sys::Promise, wasm_bindgen::JsValue>,
) -> Option<wasm_bindgen::JsValue> {
    JsFuture::from(promise.ok()?).await.ok()
}

/// Asks the browser to keep this site's data (Safari otherwise evicts it after 7 days unused).
pub async fn request_persistence() -> Option<bool> {
    promise_value(storage_manager()?.persist()).await?.as_bool()
}

pub async fn storage_status() -> StorageStatus {
    let Some(manager) = storage_manager() else {
        return StorageStatus::default();
    };
    let persisted = promise_value(manager.persisted())
        .await
        .and_then(|v| v.as_bool());
    let estimate = promise_value(manager.estimate()).await;
    let field = |name: &str| {
        estimate
            .as_ref()
            .and_then(|e| js_sys::Reflect::get(e, &name.into()).ok())
            .and_then(|v| v.as_f64())
    };
    StorageStatus {
        persisted,
        usage_bytes: field("usage"),
        quota_bytes: field("quota"),
    }
}

fn performance() -> Option<web_sys::Performance> {
    web_sys::window()?.performance()
}

/// Marks the moment a tap reached the app; [`measure_persisted`] closes the measure. The
/// tap-to-persisted benchmark (`scripts/bench-tap.mjs`) reads these User Timing entries.
pub fn mark_tap() {
    if let Some(p) = performance() {
        let _ = p.mark("arobase:tap");
    }
}

pub fn measure_persisted() {
    if let Some(p) = performance() {
        let _ = p.measure_with_start_mark("arobase:tap-to-persisted", "arobase:tap");
    }
}

/// Saves `text` as a file through a temporary object URL: no server, works offline.
pub fn download(name: &str, mime: &str, text: &str) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Revoked a moment later: some browsers read the URL after `click` returns.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    web_sys::window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000)
        .ok()
        .map(|_| ())
}
