//! The action atlas (docs/network.md, « L'atlas des actions »; `diagnostic::network::atlas`):
//! a town's administrator sends an example of a done priority, operators publish or refuse it
//! (audit-logged), and towns read the published examples of others, comparable towns first.
//!
//! The server checks that the priority is done from the town's own log (the winning head of
//! `plan:<question>` has the status `done`), so an example always follows a done priority.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diagnostic::association::codes;
use diagnostic::network::atlas::{EXAMPLES_PER_QUESTION, MAX_PENDING_PER_TOWN};
use diagnostic::network::{
    for_reader, plan_done, validate_draft, validate_refusal, AtlasDraft, AtlasError, AtlasPage,
    AtlasRefusal, AtlasStatus,
};
use serde::Deserialize;

use super::{private_json, shorten};
use crate::auth::{Authenticated, OperatorAuthenticated};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::storage::{Actor, ModerateOutcome, Storage, SubmitOutcome};
use crate::AppState;

/// Published examples read before ranking them for one town: the newest ones. Far above what a
/// network of small towns publishes in years; it bounds a request's work if it ever is not.
const MAX_RANKED: i64 = 5_000;
/// Most examples of one question in an answer (`limit`).
const MAX_PER_QUESTION: usize = 50;
/// Examples in the operators' list when they do not say.
const DEFAULT_QUEUE: i64 = 100;
/// Most examples in one operators' list.
const MAX_QUEUE: i64 = 500;

fn not_admin() -> ApiError {
    ApiError::sync(
        StatusCode::FORBIDDEN,
        codes::NOT_ADMIN,
        "Seul un administrateur de l'espace (la personne qui l'a créé, ou le maire) peut publier \
         ou retirer un exemple au nom de la commune.",
    )
}

fn invalid(err: AtlasError) -> ApiError {
    let code = match err {
        AtlasError::ControlCharacters(_) => codes::CONTROL_CHARACTERS,
        _ => codes::INVALID_EXAMPLE,
    };
    let mut message = err.to_string();
    // The messages are lowercase fragments; a sentence reads better on the phone.
    if let Some(first) = message.get(..1) {
        message = format!("{}{}.", first.to_uppercase(), &message[1..]);
    }
    ApiError::sync(StatusCode::BAD_REQUEST, code, message)
}

fn not_found() -> ApiError {
    ApiError::sync(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        "Aucun exemple de l'atlas n'a ce numéro.",
    )
}

/// A numeric id from the path; anything else names nothing (404).
fn example_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(not_found)
}

/// `POST /api/atlas`: an administrator sends an example of a done priority; it waits for an
/// operator.
pub async fn submit(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(draft): ApiJson<AtlasDraft>,
) -> Result<Response, ApiError> {
    if !auth.admin {
        return Err(not_admin());
    }
    let draft = validate_draft(&draft, diagnostic::questionnaire()).map_err(invalid)?;
    let log = state
        .storage
        .campaign_ops(auth.town_id, &draft.campaign)
        .await?;
    if !plan_done(&log, &draft.campaign, &draft.question) {
        return Err(ApiError::sync(
            StatusCode::CONFLICT,
            codes::PLAN_NOT_DONE,
            "Cette priorité n'est pas « faite » dans le plan d'action de la commune : marquez-la \
             faite (et laissez le téléphone se synchroniser) avant d'en publier un exemple.",
        ));
    }
    match state
        .storage
        .submit_example(
            auth.town_id,
            &auth.device_id,
            &draft,
            i64::from(MAX_PENDING_PER_TOWN),
            now_ms() as i64,
        )
        .await?
    {
        SubmitOutcome::Submitted(example) => {
            tracing::info!(
                town = auth.town_id,
                example = example.id,
                "atlas example sent"
            );
            Ok(private_json(StatusCode::CREATED, example))
        }
        SubmitOutcome::TooManyPending => Err(ApiError::sync(
            StatusCode::TOO_MANY_REQUESTS,
            codes::TOO_MANY_EXAMPLES,
            format!(
                "La commune a déjà {MAX_PENDING_PER_TOWN} exemples en attente de modération : \
                 attendez que l'association les ait lus."
            ),
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReadQuery {
    /// One question only.
    pub question: Option<String>,
    /// Examples per question (at most [`MAX_PER_QUESTION`]).
    pub limit: Option<usize>,
}

/// `GET /api/atlas[?question=…&limit=…]`: published examples of other towns, the caller's
/// comparable towns first.
pub async fn published(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiQuery(query): ApiQuery<ReadQuery>,
) -> Result<Response, ApiError> {
    if let Some(question) = &query.question {
        if diagnostic::questionnaire().question(question).is_none() {
            return Err(invalid(AtlasError::Question(shorten(question, 40))));
        }
    }
    let per_question = query
        .limit
        .unwrap_or(EXAMPLES_PER_QUESTION)
        .clamp(1, MAX_PER_QUESTION);
    let reader = state
        .storage
        .town(auth.town_id)
        .await?
        .ok_or(ApiError::Internal)?;
    let examples = state
        .storage
        .published_examples(query.question.as_deref(), MAX_RANKED)
        .await?;
    Ok(private_json(
        StatusCode::OK,
        AtlasPage {
            fetched_ms: now_ms(),
            examples: for_reader(&reader.commune, examples, per_question),
        },
    ))
}

/// `GET /api/atlas/own`: the town's own examples and where each stands.
pub async fn own(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    let examples = state.storage.town_examples(auth.town_id).await?;
    Ok(private_json(
        StatusCode::OK,
        AtlasPage {
            fetched_ms: now_ms(),
            examples,
        },
    ))
}

/// `DELETE /api/atlas/{id}`: an administrator withdraws one of the town's examples.
pub async fn remove(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !auth.admin {
        return Err(not_admin());
    }
    let id = example_id(&id)?;
    if state.storage.delete_example(auth.town_id, id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        // Another town's example is none of this one's business: the same answer.
        Err(not_found())
    }
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    /// `pending` (the default), `published`, `refused` or `all`.
    pub status: Option<String>,
    pub limit: Option<i64>,
}

/// `GET /api/operator/atlas[?status=…&limit=…]`: examples to moderate, oldest first.
pub async fn queue(
    State(state): State<AppState>,
    _auth: OperatorAuthenticated,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<Response, ApiError> {
    let status = match query.status.as_deref() {
        None => Some(AtlasStatus::Pending),
        Some("all") => None,
        Some(text) => Some(AtlasStatus::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "statut « {} » inconnu : pending, published, refused ou all",
                shorten(text, 20)
            ))
        })?),
    };
    let limit = query.limit.unwrap_or(DEFAULT_QUEUE).clamp(1, MAX_QUEUE);
    let examples = state.storage.operator_examples(status, limit).await?;
    Ok(private_json(
        StatusCode::OK,
        AtlasPage {
            fetched_ms: now_ms(),
            examples,
        },
    ))
}

async fn moderate(
    state: &AppState,
    auth: &OperatorAuthenticated,
    id: &str,
    status: AtlasStatus,
    refusal: Option<&str>,
) -> Result<Response, ApiError> {
    let id = example_id(id)?;
    match state
        .storage
        .moderate_example(
            id,
            status,
            refusal,
            &Actor::operator(auth.id, &auth.name),
            now_ms() as i64,
        )
        .await?
    {
        ModerateOutcome::Moderated(example) => Ok(private_json(StatusCode::OK, example)),
        ModerateOutcome::NotFound => Err(not_found()),
        ModerateOutcome::WrongState(current) => Err(ApiError::sync(
            StatusCode::CONFLICT,
            codes::WRONG_STATE,
            format!(
                "Cet exemple est déjà « {} ».",
                current.label(diagnostic::Lang::Fr)
            ),
        )),
    }
}

/// `POST /api/operator/atlas/{id}/publish`: other towns see it from now on.
pub async fn publish(
    State(state): State<AppState>,
    auth: OperatorAuthenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    moderate(&state, &auth, &id, AtlasStatus::Published, None).await
}

/// `POST /api/operator/atlas/{id}/refuse` with a reason the town reads: pending, or published
/// and taken back.
pub async fn refuse(
    State(state): State<AppState>,
    auth: OperatorAuthenticated,
    Path(id): Path<String>,
    ApiJson(refusal): ApiJson<AtlasRefusal>,
) -> Result<Response, ApiError> {
    let reason = validate_refusal(&refusal).map_err(invalid)?;
    moderate(&state, &auth, &id, AtlasStatus::Refused, Some(&reason)).await
}
