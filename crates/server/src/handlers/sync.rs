//! `POST /api/sync/push` and `GET /api/sync/pull`: the operation log of the caller's town.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use diagnostic::sync::{
    clamp, Clamped, Operation, PullPage, Push, PushAck, DEFAULT_PULL_LIMIT, MAX_BATCH,
    MAX_PULL_LIMIT,
};
use serde::Deserialize;

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
        PushOutcome::Stored { inserted } => {
            if let Some(latest) = batch.iter().map(|new| &new.op.clock).max() {
                state.clock.observe(latest);
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
                    clock: state.clock.read(),
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
            clock: state.clock.read(),
        },
    ))
}
