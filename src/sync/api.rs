//! The server's API, called with `fetch`: the one owner of API calls. Every path is the
//! protocol's (`diagnostic::association::routes`) and every body type too (`diagnostic::sync`,
//! `diagnostic::association`): one definition for the app and the server.

use diagnostic::association::{
    routes, AccessRequest, AccessRequested, AccessRequests, AuditLog, Decision, DecisionKind,
    EraseTown, HostInfo, OperatorEnrol, OperatorEnrolment, OperatorMe, TownDetail, TownList,
    TownStatus, TownSummary,
};
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

    /// The server's stable reason (`diagnostic::association::codes`, `revoked`…), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Refused { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether the server refused with `code`.
    pub fn is(&self, code: &str) -> bool {
        self.code() == Some(code)
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
    let (_, text) = send(method, path, token, body).await?;
    read(path, &text)
}

fn read<T: DeserializeOwned>(path: &str, text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::Unexpected(format!("{path}: {e}")))
}

/// Sends one request; the status and body of a 2xx answer, else why not.
async fn send(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<(u16, String), ApiError> {
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
    note_server_time(&response);
    let text = body_text(&response).await;
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok((status, text));
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

thread_local! {
    /// This phone's clock minus the server's, from the last answer's `Date` header.
    static CLOCK_OFFSET_MS: std::cell::Cell<Option<f64>> = const { std::cell::Cell::new(None) };
}

/// Reads the server's time from the `Date` header every HTTP answer carries (hyper writes it; a
/// reverse proxy keeps it or writes its own, from an equally synchronised clock). One-second
/// precision and the request's latency are far below what matters (minutes).
fn note_server_time(response: &web_sys::Response) {
    let Ok(Some(date)) = response.headers().get("date") else {
        return;
    };
    let server_ms = js_sys::Date::parse(&date);
    if server_ms.is_finite() {
        let offset = js_sys::Date::now() - server_ms;
        CLOCK_OFFSET_MS.with(|cell| cell.set(Some(offset)));
    }
}

/// How far ahead of the server's this phone's clock was at the last answer (negative: behind),
/// in milliseconds; `None` before any answer.
pub fn clock_offset_ms() -> Option<f64> {
    CLOCK_OFFSET_MS.with(std::cell::Cell::get)
}

fn json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}

// ------------------------------------------------------------------------------------------------
// A town's phones

pub async fn search_communes(query: &str) -> Result<CommuneSearch, ApiError> {
    call(
        "GET",
        &format!("{}?q={}&limit=8", routes::COMMUNES, encode(query)),
        None,
        None,
    )
    .await
}

/// What creating a space gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// 201: the space is made and this phone is its first device.
    Enrolled(Enrolment),
    /// 202: the commune has a space already; the claim waits for the association.
    Requested(AccessRequested),
}

pub async fn create_town(request: &CreateTown) -> Result<Created, ApiError> {
    let (status, text) = send("POST", routes::TOWNS, None, json(request)).await?;
    if status == 202 {
        read(routes::TOWNS, &text).map(Created::Requested)
    } else {
        read(routes::TOWNS, &text).map(Created::Enrolled)
    }
}

/// The state of a claim, with the token `POST /api/towns` gave for it.
pub async fn access_request(token: &str) -> Result<AccessRequest, ApiError> {
    call("GET", routes::ACCESS_REQUEST, Some(token), None).await
}

pub async fn join(request: &Join) -> Result<Enrolment, ApiError> {
    call("POST", routes::JOIN, None, json(request)).await
}

pub async fn me(token: &str) -> Result<Me, ApiError> {
    call("GET", routes::ME, Some(token), None).await
}

pub async fn devices(token: &str) -> Result<Devices, ApiError> {
    call("GET", routes::DEVICES, Some(token), None).await
}

/// Removes `device` (this phone itself, or another one as an administrator).
pub async fn revoke(token: &str, device: &str) -> Result<(), ApiError> {
    let path = routes::fill(routes::DEVICE, "id", &encode(device));
    send("DELETE", &path, Some(token), None).await.map(|_| ())
}

pub async fn invite(token: &str) -> Result<Invite, ApiError> {
    call("POST", routes::INVITES, Some(token), Some("{}".into())).await
}

/// Everything the server holds about this phone's town, as the JSON text to save.
pub async fn export_town(token: &str) -> Result<String, ApiError> {
    send("GET", routes::TOWN, Some(token), None)
        .await
        .map(|(_, text)| text)
}

/// Erases the town's space (an administrator, confirming with the commune's name).
pub async fn erase_town(token: &str, confirm: &str) -> Result<(), ApiError> {
    let body = EraseTown {
        confirm: confirm.to_string(),
    };
    send("DELETE", routes::TOWN, Some(token), json(&body))
        .await
        .map(|_| ())
}

/// `relay`: the operations are sent again to a restored server, other devices' among them.
pub async fn push(token: &str, ops: Vec<Operation>, relay: bool) -> Result<PushAck, ApiError> {
    call(
        "POST",
        routes::PUSH,
        Some(token),
        json(&Push { ops, relay }),
    )
    .await
}

/// `epoch`: the server's epoch the cursor belongs to (a restored server then starts from 0).
pub async fn pull(token: &str, after: u64, epoch: Option<&str>) -> Result<PullPage, ApiError> {
    let epoch = epoch.map_or(String::new(), |e| format!("&epoch={}", encode(e)));
    call(
        "GET",
        &format!("{}?after={after}&limit=500{epoch}", routes::PULL),
        Some(token),
        None,
    )
    .await
}

/// The live stream of the town's new operations (`GET /api/sync/events`), read with `fetch` so
/// the token travels in the `Authorization` header like every other call (`EventSource` cannot
/// set headers: the token would have to be in the URL, hence in logs and history).
pub struct LiveStream {
    reader: web_sys::ReadableStreamDefaultReader,
    abort: web_sys::AbortController,
    buffer: Vec<u8>,
}

/// What the live stream said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    /// The town's log now ends at this sequence number.
    Ops(u64),
    /// The stream ended (the server closes it after a while, or the connection dropped).
    Ended,
}

/// Silence longer than this means a dead connection (the server sends a heartbeat every 20 s).
const LIVE_SILENCE_MS: i32 = 50_000;

/// Opens the live stream. A refusal (401 revoked, 503 busy…) is an error like any call's.
pub async fn events(token: &str) -> Result<LiveStream, ApiError> {
    let window = web_sys::window().ok_or(ApiError::Unreachable)?;
    let abort = web_sys::AbortController::new().map_err(|_| ApiError::Unreachable)?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(&abort.signal()));
    let headers = web_sys::Headers::new().map_err(|_| ApiError::Unreachable)?;
    let _ = headers.set("Authorization", &format!("Bearer {token}"));
    let _ = headers.set("Accept", "text/event-stream");
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(routes::EVENTS, &init))
        .await
        .map_err(|_| ApiError::Unreachable)?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| ApiError::Unreachable)?;
    note_server_time(&response);
    let status = response.status();
    if status != 200 {
        let text = body_text(&response).await;
        if status >= 500 {
            return Err(ApiError::Unreachable);
        }
        let body: Option<ApiErrorBody> = serde_json::from_str(&text).ok();
        return Err(ApiError::Refused {
            status,
            code: body.as_ref().and_then(|b| b.code.clone()),
            message: body
                .map(|b| b.error)
                .unwrap_or_else(|| format!("HTTP {status}")),
        });
    }
    let reader = response
        .body()
        .ok_or(ApiError::Unreachable)?
        .get_reader()
        .dyn_into::<web_sys::ReadableStreamDefaultReader>()
        .map_err(|_| ApiError::Unreachable)?;
    Ok(LiveStream {
        reader,
        abort,
        buffer: Vec::new(),
    })
}

impl LiveStream {
    /// Waits for the next `ops` event (heartbeats are read and skipped).
    pub async fn next(&mut self) -> LiveEvent {
        loop {
            if let Some(event) = self.take_event() {
                match event {
                    Some(seq) => return LiveEvent::Ops(seq),
                    None => continue,
                }
            }
            let Some(window) = web_sys::window() else {
                return LiveEvent::Ended;
            };
            // The read, or silence past the bound, whichever first.
            let silence = js_sys::Promise::new(&mut |resolve, _| {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                    &resolve,
                    LIVE_SILENCE_MS,
                );
            });
            let read = self.reader.read();
            let first =
                JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&read, &silence))).await;
            let Ok(result) = first else {
                return LiveEvent::Ended;
            };
            if result.is_undefined() {
                self.close();
                return LiveEvent::Ended;
            }
            let done = js_sys::Reflect::get(&result, &"done".into())
                .map(|d| d.is_truthy())
                .unwrap_or(true);
            if done {
                return LiveEvent::Ended;
            }
            let Ok(value) = js_sys::Reflect::get(&result, &"value".into()) else {
                return LiveEvent::Ended;
            };
            self.buffer.extend(js_sys::Uint8Array::new(&value).to_vec());
        }
    }

    /// The next complete event of the buffer: `Some(Some(seq))` for `ops`, `Some(None)` for
    /// anything else (a heartbeat comment), `None` when no event is complete yet.
    fn take_event(&mut self) -> Option<Option<u64>> {
        let end = self.buffer.windows(2).position(|w| w == b"\n\n")?;
        let event: Vec<u8> = self.buffer.drain(..end + 2).collect();
        let text = String::from_utf8_lossy(&event);
        Some(parse_ops_event(&text))
    }

    /// Ends the stream now (the page is hidden, or a newer stream replaces it).
    pub fn close(&self) {
        self.abort.abort();
    }

    /// What ends the stream from elsewhere (the engine, when the page is hidden).
    pub fn closer(&self) -> web_sys::AbortController {
        self.abort.clone()
    }
}

/// The sequence number of an `ops` event's text, `None` for any other event or comment.
fn parse_ops_event(text: &str) -> Option<u64> {
    let mut lines = text.lines();
    let is_ops = lines.clone().any(|line| {
        line.strip_prefix("event:").map(str::trim) == Some(diagnostic::sync::LIVE_OPS_EVENT)
    });
    if !is_ops {
        return None;
    }
    lines.find_map(|line| {
        line.strip_prefix("data:")
            .and_then(|d| d.trim().parse().ok())
    })
}

/// Who runs this server (privacy notice, legal notice, accessibility statement).
pub async fn host() -> Result<HostInfo, ApiError> {
    call("GET", routes::HOST, None, None).await
}

// ------------------------------------------------------------------------------------------------
// The association's operators (the console). Their token is never a device token.

pub async fn operator_enrol(
    secret: &str,
    device_name: &str,
) -> Result<OperatorEnrolment, ApiError> {
    let body = OperatorEnrol {
        secret: secret.to_string(),
        device_name: device_name.to_string(),
    };
    call("POST", routes::OPERATOR_ENROL, None, json(&body)).await
}

pub async fn operator_me(token: &str) -> Result<OperatorMe, ApiError> {
    call("GET", routes::OPERATOR_ME, Some(token), None).await
}

/// Towns matching `query` (words of the name, or the start of the INSEE code), `departement`
/// (its code, or empty for all) and `status`.
pub async fn operator_towns(
    token: &str,
    query: &str,
    departement: &str,
    status: Option<TownStatus>,
    limit: u32,
) -> Result<TownList, ApiError> {
    let mut path = format!(
        "{}?q={}&departement={}&limit={limit}",
        routes::OPERATOR_TOWNS,
        encode(query.trim()),
        encode(departement.trim())
    );
    if let Some(status) = status {
        path.push_str(&format!("&status={}", status.as_str()));
    }
    call("GET", &path, Some(token), None).await
}

fn town_path(route: &str, town: i64) -> String {
    routes::fill(route, "id", &town.to_string())
}

pub async fn operator_town(token: &str, town: i64) -> Result<TownDetail, ApiError> {
    call(
        "GET",
        &town_path(routes::OPERATOR_TOWN, town),
        Some(token),
        None,
    )
    .await
}

pub async fn operator_verify(token: &str, town: i64) -> Result<TownSummary, ApiError> {
    let path = town_path(routes::OPERATOR_VERIFY, town);
    call("POST", &path, Some(token), Some("{}".into())).await
}

pub async fn operator_reject(token: &str, town: i64) -> Result<TownSummary, ApiError> {
    let path = town_path(routes::OPERATOR_REJECT, town);
    call("POST", &path, Some(token), Some("{}".into())).await
}

pub async fn operator_recovery(token: &str, town: i64) -> Result<Invite, ApiError> {
    let path = town_path(routes::OPERATOR_RECOVERY, town);
    call("POST", &path, Some(token), Some("{}".into())).await
}

pub async fn operator_remove_device(token: &str, town: i64, device: &str) -> Result<(), ApiError> {
    let path = routes::fill(
        &town_path(routes::OPERATOR_DEVICE, town),
        "device",
        &encode(device),
    );
    send("DELETE", &path, Some(token), None).await.map(|_| ())
}

pub async fn operator_requests(token: &str) -> Result<AccessRequests, ApiError> {
    call("GET", routes::OPERATOR_REQUESTS, Some(token), None).await
}

pub async fn operator_decide(
    token: &str,
    request: i64,
    decision: DecisionKind,
) -> Result<AccessRequest, ApiError> {
    let path = routes::fill(routes::OPERATOR_REQUEST, "id", &request.to_string());
    call("POST", &path, Some(token), json(&Decision { decision })).await
}

/// The audit log, newest first; `before` pages further back.
pub async fn operator_audit(
    token: &str,
    before: Option<i64>,
    limit: u32,
) -> Result<AuditLog, ApiError> {
    let mut path = format!("{}?limit={limit}", routes::OPERATOR_AUDIT);
    if let Some(before) = before {
        path.push_str(&format!("&before={before}"));
    }
    call("GET", &path, Some(token), None).await
}

// ------------------------------------------------------------------------------------------------
// The association's dashboard (issue 12)

/// A JSON file of the app's own build rather than the API (the console's map of France,
/// `scripts/map-build.mjs`): same origin, no token, revalidated by the browser's HTTP cache.
pub async fn static_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    call("GET", path, None, None).await
}

/// The association's figures for one campaign year (`"2026"`).
pub async fn operator_network(
    token: &str,
    campaign: &str,
) -> Result<diagnostic::network::NetworkDashboard, ApiError> {
    let path = format!(
        "{}?campaign={}",
        diagnostic::network::routes::OPERATOR_DASHBOARD,
        encode(campaign)
    );
    call("GET", &path, Some(token), None).await
}

/// The open-data CSV of one campaign, as the server wrote it (BOM and `;` included).
pub async fn operator_network_csv(token: &str, campaign: &str) -> Result<String, ApiError> {
    let path = format!(
        "{}?campaign={}",
        diagnostic::network::routes::OPERATOR_CSV,
        encode(campaign)
    );
    // `Response.text()` decodes UTF-8 and drops the byte order mark the server sends; put it back
    // so a spreadsheet opening the saved file reads the accents as UTF-8.
    send("GET", &path, Some(token), None)
        .await
        .map(|(_, text)| with_bom(text))
}

/// `text` starting with exactly one UTF-8 byte order mark.
fn with_bom(text: String) -> String {
    if text.starts_with('\u{feff}') {
        text
    } else {
        format!("\u{feff}{text}")
    }
}

// ------------------------------------------------------------------------------------------------
// A town's comparison with comparable towns (issue 12)

/// The published figures of every group of the caller's town for one campaign year: what the
/// results page compares with, kept on the phone by `stores::network`.
pub async fn network_aggregates(
    token: &str,
    campaign: &str,
) -> Result<diagnostic::network::AggregatesPage, ApiError> {
    let path = format!(
        "{}?campaign={}",
        diagnostic::network::routes::AGGREGATES,
        encode(campaign)
    );
    call("GET", &path, Some(token), None).await
}
// The action atlas (issue 12, docs/network.md « L'atlas des actions »)

use diagnostic::network::atlas::routes as atlas_routes;
use diagnostic::network::{AtlasDraft, AtlasExample, AtlasPage, AtlasRefusal, AtlasStatus};

/// Published examples of other towns (every question), the town's comparable towns first.
pub async fn atlas(token: &str) -> Result<AtlasPage, ApiError> {
    call("GET", atlas_routes::ATLAS, Some(token), None).await
}

/// The town's own examples and where each stands in moderation.
pub async fn atlas_own(token: &str) -> Result<AtlasPage, ApiError> {
    call("GET", atlas_routes::ATLAS_OWN, Some(token), None).await
}

/// Sends an example of a done priority (administrators only); it waits for an operator.
pub async fn atlas_submit(token: &str, draft: &AtlasDraft) -> Result<AtlasExample, ApiError> {
    call("POST", atlas_routes::ATLAS, Some(token), json(draft)).await
}

/// Withdraws one of the town's examples (administrators only).
pub async fn atlas_withdraw(token: &str, id: i64) -> Result<(), ApiError> {
    let path = routes::fill(atlas_routes::ATLAS_EXAMPLE, "id", &id.to_string());
    send("DELETE", &path, Some(token), None).await.map(|_| ())
}

/// Examples with `status` (every status when `None`), oldest first.
pub async fn operator_atlas(
    token: &str,
    status: Option<AtlasStatus>,
) -> Result<AtlasPage, ApiError> {
    let status = status.map_or("all", AtlasStatus::id);
    let path = format!("{}?status={status}", atlas_routes::OPERATOR_ATLAS);
    call("GET", &path, Some(token), None).await
}

pub async fn operator_atlas_publish(token: &str, id: i64) -> Result<AtlasExample, ApiError> {
    let path = routes::fill(atlas_routes::OPERATOR_ATLAS_PUBLISH, "id", &id.to_string());
    call("POST", &path, Some(token), Some("{}".into())).await
}

pub async fn operator_atlas_refuse(
    token: &str,
    id: i64,
    reason: &str,
) -> Result<AtlasExample, ApiError> {
    let path = routes::fill(atlas_routes::OPERATOR_ATLAS_REFUSE, "id", &id.to_string());
    let body = AtlasRefusal {
        reason: reason.to_string(),
    };
    call("POST", &path, Some(token), json(&body)).await
}

/// The response's body as text; empty when it cannot be read (the status still says what happened).
async fn body_text(response: &web_sys::Response) -> String {
    match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}
