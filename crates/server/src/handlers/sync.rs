//! `POST /api/sync/push`, `GET /api/sync/pull` and `GET /api/sync/events`: the operation log of
//! the caller's town, and the live stream that says when it grew.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use diagnostic::sync::server::{
    acknowledgement, check_batch, check_relay, latest_stored, prepare, PullError, PullRequest,
    PushError,
};
use diagnostic::sync::{PullPage, Push, PushAck, LIVE_OPS_EVENT};
use serde::Deserialize;
use tokio::sync::broadcast;

use super::private_json;
use crate::auth::{revoked, Authenticated};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::metrics;
use crate::storage::{PushOutcome, Storage};
use crate::AppState;

/// A refusal of the push rules, as the API says it.
fn push_refused(refusal: PushError) -> ApiError {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    ApiError::sync(status, refusal.code(), refusal.to_string())
}

pub async fn push(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(request): ApiJson<Push>,
) -> Result<Response, ApiError> {
    let questionnaire = diagnostic::questionnaire();
    let checked = if request.relay {
        check_relay(
            &request.ops,
            &auth.device_id,
            state.epoch.restored_ms,
            questionnaire,
        )
    } else {
        check_batch(&request.ops, &auth.device_id, questionnaire)
    };
    let ops = checked.map_err(|refusal| {
        state.metrics.push(metrics::PushOutcome::Refused, 0);
        push_refused(refusal)
    })?;
    super::network::check_network_ops(&state.storage, auth.town_id, auth.admin, &ops).await?;
    super::resume_town_clock(&state, auth.town_id).await?;
    let now = now_ms();
    let batch = prepare(ops, now, &state.clock.town(auth.town_id));
    for new in batch.iter().filter(|new| new.clamped()) {
        tracing::warn!(
            device = %new.op.device,
            op = %new.op.id,
            ahead_ms = new.sent_wall_ms - now,
            "operation clock too far ahead of the server's: clamped"
        );
    }
    match state
        .storage
        .push(
            auth.town_id,
            &auth.device_id,
            &batch,
            now as i64,
            request.relay,
        )
        .await?
    {
        PushOutcome::Stored {
            inserted,
            last_seq,
            retried,
        } => {
            if let Some(latest) = latest_stored(&batch, &retried) {
                state.clock.observe(auth.town_id, latest);
            }
            if let Some(last_seq) = last_seq {
                state.live.publish(auth.town_id, last_seq as u64);
            }
            state.metrics.push(metrics::PushOutcome::Stored, inserted);
            tracing::debug!(
                device = %auth.device_id,
                received = batch.len(),
                inserted,
                relay = request.relay,
                "push committed"
            );
            let clock = state.clock.read(auth.town_id);
            let ack = PushAck {
                epoch: state.epoch.id.clone(),
                ..acknowledgement(&batch, &retried, clock)
            };
            Ok(private_json(StatusCode::OK, ack))
        }
        PushOutcome::Refused(refusal) => {
            state.metrics.push(metrics::PushOutcome::Refused, 0);
            Err(push_refused(refusal))
        }
        PushOutcome::Revoked => {
            state.metrics.push(metrics::PushOutcome::Revoked, 0);
            Err(revoked())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PullParams {
    /// The cursor: the `next` of the previous page, 0 at first.
    #[serde(default)]
    pub after: u64,
    pub limit: Option<u32>,
    /// The epoch the cursor belongs to (the `epoch` of the page it came from): another one
    /// than the server's serves the log from the start.
    pub epoch: Option<String>,
}

pub async fn pull(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiQuery(params): ApiQuery<PullParams>,
) -> Result<Response, ApiError> {
    let refused = |refusal: PullError| {
        let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::sync(status, refusal.code(), refusal.to_string())
    };
    let request = PullRequest::new(params.after, params.limit)
        .map_err(refused)?
        .in_epoch(params.epoch.as_deref(), &state.epoch.id);
    super::resume_town_clock(&state, auth.town_id).await?;
    let page = state
        .storage
        .pull(
            auth.town_id,
            request.after as i64,
            i64::from(request.read_limit()),
        )
        .await?;
    let rows = page
        .ops
        .into_iter()
        .map(|(seq, op)| (seq.max(0) as u64, op))
        .collect();
    let page = request
        .page(
            rows,
            page.last_seq.max(0) as u64,
            state.clock.read(auth.town_id),
        )
        .map_err(refused)?;
    let page = PullPage {
        epoch: state.epoch.id.clone(),
        ..page
    };
    Ok(private_json(StatusCode::OK, page))
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
