//! `POST /api/sync/push`, `GET /api/sync/pull` and `GET /api/sync/events`: the operation log of
//! the caller's town, and the live stream that says when it grew.

use std::collections::HashMap;

use std::convert::Infallible;

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use diagnostic::sync::{
    clamp, Clamped, Operation, PullPage, Push, PushAck, DEFAULT_PULL_LIMIT, LIVE_OPS_EVENT,
    MAX_BATCH, MAX_PULL_LIMIT,
};
use serde::Deserialize;
use tokio::sync::broadcast;

use super::private_json;
use crate::auth::{revoked, Authenticated};
use crate::clock::now_ms;
use crate::error::{ApiError, MAX_QUOTED_INPUT};
use crate::extract::{ApiJson, ApiQuery};
use crate::storage::{NewOp, PushOutcome, Storage};
use crate::AppState;

/// Checks the whole batch before anything is written: one bad operation refuses it all.
fn check_batch(ops: &[Operation], device_id: &str) -> Result<Vec<Operation>, ApiError> {
    if ops.len() > MAX_BATCH {
        return Err(ApiError::sync(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "a push carries at most {MAX_BATCH} operations, this one {}: send them in \
                 several pushes",
                ops.len()
            ),
        ));
    }
    let questionnaire = diagnostic::questionnaire();
    let mut seen: HashMap<&str, &Operation> = HashMap::new();
    let mut unique = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let id = super::shorten(&op.id, 40);
        op.validate(questionnaire).map_err(|err| {
            // The fault quotes the operation's fields, which may be huge: an excerpt only.
            let err = super::shorten(&err.to_string(), MAX_QUOTED_INPUT);
            ApiError::sync(
                StatusCode::BAD_REQUEST,
                "invalid_operation",
                format!("operation {index} (`{id}`): {err}; nothing from this push was stored"),
            )
        })?;
        if op.device != device_id {
            return Err(ApiError::sync(
                StatusCode::FORBIDDEN,
                "device_mismatch",
                format!(
                    "operation {index} (`{id}`) names device `{}`, but this token is device \
                     `{device_id}`: a device only pushes its own operations; nothing from this \
                     push was stored",
                    super::shorten(&op.device, 40)
                ),
            ));
        }
        match seen.get(op.id.as_str()) {
            Some(earlier) if *earlier != op => {
                return Err(ApiError::sync(
                    StatusCode::BAD_REQUEST,
                    "invalid_operation",
                    format!(
                        "operation {index} (`{id}`) repeats an id of this push with other \
                         content; nothing from this push was stored"
                    ),
                ))
            }
            Some(_) => {}
            None => {
                seen.insert(&op.id, op);
                unique.push(op.clone());
            }
        }
    }
    Ok(unique)
}

pub async fn push(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(request): ApiJson<Push>,
) -> Result<Response, ApiError> {
    let ops = check_batch(&request.ops, &auth.device_id)?;
    super::network::check_network_ops(&state.storage, auth.town_id, auth.admin, &ops).await?;
    let now = now_ms();
    let mut clamped = Vec::new();
    let batch: Vec<NewOp> = ops
        .into_iter()
        .map(|mut op| {
            let sent_wall_ms = op.clock.wall_ms as i64;
            if let Some(clock) = clamp(&op.clock, now) {
                tracing::warn!(
                    device = %op.device,
                    op = %op.id,
                    ahead_ms = op.clock.wall_ms - now,
                    "operation clock too far ahead of the server's: clamped"
                );
                op.clock = clock.clone();
                clamped.push(Clamped {
                    id: op.id.clone(),
                    clock,
                });
            }
            NewOp { op, sent_wall_ms }
        })
        .collect();
    match state
        .storage
        .push(auth.town_id, &auth.device_id, &batch, now as i64)
        .await?
    {
        PushOutcome::Stored { inserted, last_seq } => {
            if let Some(latest) = batch.iter().map(|new| &new.op.clock).max() {
                state.clock.observe(auth.town_id, latest);
            }
            if let Some(last_seq) = last_seq {
                state.live.publish(auth.town_id, last_seq as u64);
            }
            tracing::debug!(
                device = %auth.device_id,
                received = batch.len(),
                inserted,
                "push committed"
            );
            Ok(private_json(
                StatusCode::OK,
                PushAck {
                    acknowledged: batch.into_iter().map(|new| new.op.id).collect(),
                    clamped,
                    clock: state.clock.read(auth.town_id),
                },
            ))
        }
        PushOutcome::IdConflict { id } => Err(ApiError::sync(
            StatusCode::CONFLICT,
            "op_id_conflict",
            format!(
                "operation id `{id}` is already stored with other content; nothing from this \
                 push was stored (give that operation a new id)"
            ),
        )),
        PushOutcome::Revoked => Err(revoked()),
    }
}

#[derive(Debug, Deserialize)]
pub struct PullParams {
    /// The cursor: the `next` of the previous page, 0 at first.
    #[serde(default)]
    pub after: u64,
    pub limit: Option<u32>,
}

pub async fn pull(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiQuery(params): ApiQuery<PullParams>,
) -> Result<Response, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if !(1..=MAX_PULL_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "`limit` must be between 1 and {MAX_PULL_LIMIT}, not {limit}"
        )));
    }
    let after = i64::try_from(params.after)
        .map_err(|_| ApiError::bad_request(format!("`after` {} is too large", params.after)))?;
    let page = state
        .storage
        .pull(auth.town_id, after, i64::from(limit) + 1)
        .await?;
    if after > page.last_seq {
        return Err(ApiError::sync(
            StatusCode::CONFLICT,
            "cursor_ahead",
            format!(
                "`after` = {after} is past this town's last operation ({}): the server's data is \
                 older than this device's (restored from a backup?). Pull again from after=0 and \
                 push every local operation again.",
                page.last_seq
            ),
        ));
    }
    let mut ops = page.ops;
    let more = ops.len() > limit as usize;
    ops.truncate(limit as usize);
    let next = ops.last().map_or(after, |(seq, _)| *seq) as u64;
    Ok(private_json(
        StatusCode::OK,
        PullPage {
            ops: ops.into_iter().map(|(_, op)| op).collect(),
            next,
            more,
            clock: state.clock.read(auth.town_id),
        },
    ))
}

/// `GET /api/sync/events`: a Server-Sent Events stream that tells the device each time its
/// town's log grows (event `ops`, data: the town's last sequence number), starting with the
/// current one, so a phone that was disconnected knows at once whether to pull. Heartbeat
/// comments keep it alive through proxies; it ends after the configured age, when the device is
/// removed or opens another stream, and when the server stops (see [`crate::live`]).
pub async fn events(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    let subscription = state
        .live
        .subscribe(auth.town_id, &auth.device_id)
        .map_err(|refusal| {
            tracing::warn!(town = auth.town_id, ?refusal, "live stream refused");
            ApiError::retry_later(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Trop de connexions en direct pour l'instant : l'application interroge le \
                 serveur à intervalles réguliers à la place.",
                LIVE_RETRY_AFTER_S,
            )
        })?;
    // Subscribed before reading, so a push committing in between is announced either way.
    let last_seq = state
        .storage
        .pull(auth.town_id, i64::MAX, 1)
        .await?
        .last_seq;
    let settings = &state.live.settings;
    let deadline = tokio::time::Instant::now() + settings.max_age;
    let stream = futures_util::stream::unfold(
        (subscription, Some(last_seq.max(0) as u64)),
        move |(mut live, first)| async move {
            if let Some(seq) = first {
                return Some((Ok::<Event, Infallible>(ops_event(seq)), (live, None)));
            }
            loop {
                let received = tokio::select! {
                    received = live.events.recv() => received,
                    // Replaced by a newer stream of the device, or the device was removed.
                    _ = &mut live.ended => return None,
                    _ = live.closing.wait_for(|closing| *closing) => return None,
                    () = tokio::time::sleep_until(deadline) => return None,
                };
                match received {
                    Ok(seq) => return Some((Ok(ops_event(seq)), (live, None))),
                    // Behind: the next one received is newer, and says as much.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(settings.heartbeat));
    let mut response = sse.into_response();
    let headers = response.headers_mut();
    // Proxies must pass each event on at once: nginx buffers unless told not to, and nothing
    // may cache or transform it.
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, no-transform"),
    );
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// `Retry-After` of a refused live stream: the phone polls meanwhile.
const LIVE_RETRY_AFTER_S: u64 = 60;

fn ops_event(last_seq: u64) -> Event {
    Event::default()
        .event(LIVE_OPS_EVENT)
        .data(last_seq.to_string())
}
