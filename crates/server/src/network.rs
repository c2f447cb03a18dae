//! The network's publication (docs/network.md): every [`PUBLICATION_INTERVAL`] by default
//! (`--publication-interval-secs`; the first at
//! start), for each campaign some town released, the released towns are rebuilt from their
//! stored logs ([`released_town`]) and [`publish`] decides, against the campaign's [`Ledger`]
//! (everything ever published for it, stored in `network_ledgers`), what each group shows.
//! Towns only ever receive what the ledger shows; [`run_once`] lets tests pass any time.

use std::time::Duration;

use diagnostic::network::{publish, released_town, Decision, Ledger, ReleaseLevel, ReleasedTown};
use diagnostic::sync::Town;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::now_ms;
use crate::storage::{Database, Storage, StorageError, StoredLedger};

/// How often figures are refreshed: a town's withdrawal reaches the figures computed afterwards,
/// and refreshes are rare on purpose (each one is a publication the ledger must keep safe).
pub const PUBLICATION_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// What one publication pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicationReport {
    /// Campaigns considered.
    pub campaigns: usize,
    /// Groups newly published (all campaigns).
    pub published: usize,
    /// Campaigns whose ledger changed.
    pub changed: usize,
}

/// A town released in `campaign`, with its level and its space.
pub struct Released {
    pub level: ReleaseLevel,
    pub town: ReleasedTown,
    pub space: Town,
}

/// Every town released in `campaign`, from the stored logs. Only verified spaces count in
/// aggregates (`verified_only`): spaces nobody checked could be made up to single out a real
/// town.
pub async fn released_towns(
    storage: &impl Storage,
    campaign: &str,
    verified_only: bool,
) -> Result<Vec<Released>, StorageError> {
    let questionnaire = diagnostic::questionnaire();
    let mut released = Vec::new();
    for (town_id, space) in storage.network_towns().await? {
        if verified_only && space.status != diagnostic::association::TownStatus::Verified {
            continue;
        }
        let log = storage.campaign_ops(town_id, campaign).await?;
        if let Some((level, town)) = released_town(
            town_id.to_string(),
            &space.commune,
            &log,
            questionnaire,
            campaign,
        ) {
            released.push(Released { level, town, space });
        }
    }
    Ok(released)
}

/// The ledger of `campaign` and when it last changed (a fresh one, `None`, before any).
pub async fn load_ledger(
    storage: &impl Storage,
    campaign: &str,
) -> Result<(Ledger, Option<u64>), StorageError> {
    match storage.ledger(campaign).await? {
        None => Ok((Ledger::new(campaign), None)),
        Some(stored) => {
            let ledger =
                serde_json::from_str(&stored.json).map_err(|err| StorageError::Corrupt {
                    what: format!("publication ledger of {campaign}: {err}"),
                })?;
            Ok((ledger, u64::try_from(stored.updated_ms).ok()))
        }
    }
}

/// One publication pass as if it were `now_ms`.
pub async fn run_once(
    storage: &impl Storage,
    now_ms: u64,
) -> Result<PublicationReport, StorageError> {
    let questionnaire = diagnostic::questionnaire();
    let mut report = PublicationReport::default();
    for campaign in storage.network_campaigns().await? {
        report.campaigns += 1;
        let towns: Vec<ReleasedTown> = released_towns(storage, &campaign, true)
            .await?
            .into_iter()
            .map(|released| released.town)
            .collect();
        let (mut ledger, _) = load_ledger(storage, &campaign).await?;
        let before = ledger.clone();
        let decisions = publish(&mut ledger, questionnaire, &towns, now_ms);
        report.published += decisions
            .iter()
            .filter(|(_, decision)| *decision == Decision::Published)
            .count();
        // Unchanged ledgers keep their date: it is what the towns' caches compare.
        if ledger != before {
            report.changed += 1;
            let json = serde_json::to_string(&ledger).map_err(|err| StorageError::Corrupt {
                what: format!("publication ledger of {campaign}: {err}"),
            })?;
            storage
                .save_ledger(
                    &campaign,
                    &StoredLedger {
                        json,
                        updated_ms: i64::try_from(now_ms).unwrap_or(i64::MAX),
                    },
                )
                .await?;
        }
    }
    Ok(report)
}

/// The background task, a round every `every` (`--publication-interval-secs`, default
/// [`PUBLICATION_INTERVAL`]); it ends when `shutdown` turns true (or its sender is dropped).
pub(crate) fn spawn(
    storage: Database,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            match run_once(&storage, now_ms()).await {
                Ok(report) if report.changed > 0 => tracing::info!(
                    campaigns = report.campaigns,
                    published = report.published,
                    changed = report.changed,
                    "network: figures published"
                ),
                Ok(_) => {}
                Err(err) => tracing::error!(
                    error = %crate::error_chain(&err),
                    "network publication failed; retried at the next pass"
                ),
            }
        }
    })
}
