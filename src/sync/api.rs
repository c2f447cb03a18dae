//! The server's sync API, called with `fetch`. Every body type is the protocol's own
//! (`diagnostic::sync`): one definition for the app and the server.

use diagnostic::sync::{
    ApiErrorBody, CommuneSearch, CreateTown, Devices, Enrolment, Invite, Join, Me, Operation,
    PullPage, Push, PushAck,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: offline, server down, or the connection dropped. A quiet state, retried later.
    Unreachable,
    /// The server answered with an error; `message` is its sentence for the user.
    Refused {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// The answer did not read as expected.
    Unexpected(String),
}

impl ApiError {
    pub fn is_revoked(&self) -> bool {
        matches!(self, ApiError::Refused { status: 401, .. })
    }

    /// A sentence for the user.
    pub fn message(&self) -> String {
        match self {
            ApiError::Unreachable => String::new(),
            ApiError::Refused { message, .. } => message.clone(),
            ApiError::Unexpected(detail) => detail.clone(),
        }
    }
}

async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<T, ApiError> {
    let text = send(method, path, token, body).await?;
    serde_json::from_str(&text).map_err(|e| ApiError::Unexpected(format!("{path}: {e}")))
}

async fn send(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<String, ApiError> {
    let window = web_sys::window().ok_or(ApiError::Unreachable)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::Unreachable)?;
    if let Some(token) = token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    if let Some(body) = body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&body.into());
    }
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| ApiError::Unreachable)?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| ApiError::Unreachable)?;
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(text);
    }
    // A proxy or a server restarting answers 5xx: as good as unreachable, retried quietly.
    if status >= 500 {
        return Err(ApiError::Unreachable);
    }
    let body: Option<ApiErrorBody> = serde_json::from_str(&text).ok();
    Err(ApiError::Refused {
        status,
        code: body.as_ref().and_then(|b| b.code.clone()),
        message: body
            .map(|b| b.error)
            .unwrap_or_else(|| format!("HTTP {status}")),
    })
}

fn json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

pub async fn search_communes(query: &str) -> Result<CommuneSearch, ApiError> {
    let q: String = js_sys::encode_uri_component(query).into();
    call("GET", &format!("/api/communes?q={q}&limit=8"), None, None).await
}

pub async fn create_town(request: &CreateTown) -> Result<Enrolment, ApiError> {
    call("POST", "/api/towns", None, json(request)).await
}

pub async fn join(request: &Join) -> Result<Enrolment, ApiError> {
    call("POST", "/api/join", None, json(request)).await
}

pub async fn me(token: &str) -> Result<Me, ApiError> {
    call("GET", "/api/me", Some(token), None).await
}

pub async fn devices(token: &str) -> Result<Devices, ApiError> {
    call("GET", "/api/devices", Some(token), None).await
}

pub async fn revoke(token: &str, device: &str) -> Result<(), ApiError> {
    send(
        "DELETE",
        &format!("/api/devices/{device}"),
        Some(token),
        None,
    )
    .await
    .map(|_| ())
}

pub async fn invite(token: &str) -> Result<Invite, ApiError> {
    call("POST", "/api/invites", Some(token), Some("{}".into())).await
}

pub async fn push(token: &str, ops: Vec<Operation>) -> Result<PushAck, ApiError> {
    call("POST", "/api/sync/push", Some(token), json(&Push { ops })).await
}

pub async fn pull(token: &str, after: u64) -> Result<PullPage, ApiError> {
    call(
        "GET",
        &format!("/api/sync/pull?after={after}&limit=500"),
        Some(token),
        None,
    )
    .await
}
