//! The network's routes (docs/network.md, `diagnostic::network::routes`): a town's comparison
//! with its groups, the association's dashboard, and the open-data CSV. Everything of answers
//! comes from the publication ledger ([`crate::network`]), never from one town's rows; the one
//! exception is the console's list of towns released *named*, which those towns chose.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use diagnostic::association::codes;
use diagnostic::network::{
    check_network_op, groups_of, is_network_key, level_distribution, participation,
    weakest_questions, year_on_year, AggregatesPage, GroupKey, NetworkDashboard, NetworkError,
};
use diagnostic::sync::{is_campaign, Operation};
use serde::Deserialize;

use super::{private_json, shorten};
use crate::auth::{Authenticated, OperatorAuthenticated};
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::storage::{Storage, StorageError};
use crate::AppState;

/// How many weakest questions the dashboard lists.
const WEAKEST: usize = 10;

/// Validations and releases of a push, checked against the town's stored log (and the earlier
/// operations of the same batch): only an administrator's device validates or releases, and a
/// release needs a current validation. Run before anything of the push is written.
pub(crate) async fn check_network_ops(
    storage: &impl Storage,
    town_id: i64,
    device_is_admin: bool,
    ops: &[Operation],
) -> Result<(), ApiError> {
    let mut campaigns: Vec<&str> = ops
        .iter()
        .filter(|op| is_network_key(&op.question))
        .map(|op| op.campaign.as_str())
        .collect();
    if campaigns.is_empty() {
        return Ok(());
    }
    campaigns.sort_unstable();
    campaigns.dedup();
    let mut log = Vec::new();
    for campaign in campaigns {
        log.extend(storage.campaign_ops(town_id, campaign).await?);
    }
    for op in ops {
        check_network_op(&log, op, device_is_admin).map_err(|err| {
            let status = match err {
                NetworkError::NotAdmin => StatusCode::FORBIDDEN,
                NetworkError::NotValidated(_) => StatusCode::CONFLICT,
            };
            ApiError::sync(
                status,
                err.code(),
                format!("{err} ; rien de cet envoi n'a été enregistré"),
            )
        })?;
        log.push(op.clone());
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct CampaignQuery {
    pub campaign: String,
    /// One group only (`strate:5000-9999`, `departement:42`…): the town's own groups only.
    pub group: Option<String>,
}

fn campaign_of(campaign: &str) -> Result<&str, ApiError> {
    if is_campaign(campaign) {
        Ok(campaign)
    } else {
        Err(ApiError::bad_request(format!(
            "campagne « {} » inconnue : une campagne est une année, par exemple 2026",
            shorten(campaign, 20)
        )))
    }
}

fn storage_error(err: StorageError) -> ApiError {
    err.into()
}

/// `GET /api/network/aggregates?campaign=2026[&group=…]`: what the ledger shows for each group
/// of the caller's town. Cacheable by the app: the ETag changes only with the ledger.
pub async fn aggregates(
    State(state): State<AppState>,
    auth: Authenticated,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CampaignQuery>,
) -> Result<Response, ApiError> {
    let campaign = campaign_of(&query.campaign)?;
    let mut groups = match state.storage.town(auth.town_id).await? {
        Some(town) => groups_of(&town.commune),
        None => Vec::new(),
    };
    if let Some(wanted) = &query.group {
        let key: GroupKey =
            wanted
                .parse()
                .map_err(|err: diagnostic::network::ParseGroupKeyError| {
                    ApiError::bad_request(shorten(&err.to_string(), 200))
                })?;
        if !groups.contains(&key) {
            return Err(ApiError::sync(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                format!("la commune n'appartient pas au groupe « {key} »"),
            ));
        }
        groups.retain(|group| *group == key);
    }
    let published = state
        .network
        .ledger(&state.storage, campaign)
        .await
        .map_err(storage_error)?;
    let (ledger, published_ms) = (&published.ledger, published.published_ms);
    let slugs: Vec<String> = groups.iter().map(GroupKey::slug).collect();
    let etag = format!(
        "\"{campaign}-{}-{:016x}\"",
        published_ms.unwrap_or(0),
        fnv(slugs.join(",").as_bytes())
    );
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let etag_value = HeaderValue::from_str(&etag).expect("an ETag is ASCII");
    // Private: which groups a town is in says where it is.
    let cache = HeaderValue::from_static("private, no-cache");
    if fresh {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(ETAG, etag_value), (CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let page = AggregatesPage {
        campaign: campaign.to_string(),
        fetched_ms: now_ms(),
        groups: groups.iter().map(|group| ledger.aggregate(group)).collect(),
    };
    Ok((
        StatusCode::OK,
        [(ETAG, etag_value), (CACHE_CONTROL, cache)],
        Json(page),
    )
        .into_response())
}

/// FNV-1a: a stable short hash for the ETag (not a secret).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    pub campaign: String,
}

/// `GET /api/operator/network?campaign=2026`: the association's figures. Reading them changes
/// nothing, so nothing is audited (the towns listed named chose to be).
pub async fn dashboard(
    State(state): State<AppState>,
    _auth: OperatorAuthenticated,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Response, ApiError> {
    let campaign = campaign_of(&query.campaign)?.to_string();
    let storage = &state.storage;
    // Each town's participation and, when it chose to be named, its line in the console come
    // from its live log — read again only when the town pushed since (so a withdrawal shows at
    // once) — not from every town's log at each request.
    let mut towns = Vec::new();
    let mut named = Vec::new();
    for town in state.network.towns(storage, &campaign).await? {
        towns.push(town.participation.clone());
        named.extend(town.named.clone());
    }
    let published = state.network.ledger(storage, &campaign).await?;
    let (ledger, published_ms) = (&published.ledger, published.published_ms);
    let national = ledger.aggregate(&GroupKey::national());
    let (levels, weakest) = match national.figures() {
        Some(figures) => (
            level_distribution(figures),
            weakest_questions(figures, WEAKEST),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let previous_campaign = campaign
        .parse::<u16>()
        .ok()
        .and_then(|year| year.checked_sub(1))
        .map(|year| year.to_string())
        .filter(|year| is_campaign(year));
    let year_on_year = match previous_campaign {
        Some(previous) => {
            let before = state.network.ledger(storage, &previous).await?.ledger;
            match (
                before.aggregate(&GroupKey::national()).figures(),
                national.figures(),
            ) {
                (Some(before), Some(after)) => Some(year_on_year(before, after)),
                _ => None,
            }
        }
        None => None,
    };
    named.sort_by(|a, b| a.commune.cmp(&b.commune));
    Ok(private_json(
        StatusCode::OK,
        NetworkDashboard {
            participation: participation(&campaign, &towns),
            campaign,
            published_ms,
            national,
            levels,
            weakest,
            year_on_year,
            groups: ledger.current.values().cloned().collect(),
            named,
        },
    ))
}

async fn csv_response(state: &AppState, campaign: &str) -> Result<Response, ApiError> {
    let published = state.network.ledger(&state.storage, campaign).await?;
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"arobase-{campaign}.csv\""),
            ),
            (CACHE_CONTROL, "no-cache".to_string()),
        ],
        published.csv().to_string(),
    )
        .into_response())
}

/// `GET /api/operator/network.csv?campaign=2026`: the open-data CSV, for the console.
pub async fn operator_csv(
    State(state): State<AppState>,
    _auth: OperatorAuthenticated,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Response, ApiError> {
    let campaign = campaign_of(&query.campaign)?.to_string();
    csv_response(&state, &campaign).await
}

/// `GET /api/network/aggregates.csv?campaign=2026`, anonymous: the same open data (only groups
/// of at least k towns, as published).
pub async fn open_data_csv(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Response, ApiError> {
    let campaign = campaign_of(&query.campaign)?.to_string();
    csv_response(&state, &campaign).await
}
