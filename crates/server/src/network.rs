//! The network's publication (docs/network.md): every [`PUBLICATION_INTERVAL`] by default
//! (`--publication-interval-secs`; the first at
//! start), for each campaign some town released, the released towns are rebuilt from their
//! stored logs ([`released_town`]) and [`publish`] decides, against the campaign's [`Ledger`]
//! (everything ever published for it, stored in `network_ledgers`), what each group shows.
//! Towns only ever receive what the ledger shows; [`run_once`] lets tests pass any time.
//!
//! [`NetworkCache`] keeps what was computed from each town's log (until the town pushes again)
//! and each parsed ledger (until it changes), so the hourly pass and the routes do not read
//! every town's log, nor parse a ledger, each time (`make bench-network` measures both).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use diagnostic::association::TownStatus;
use diagnostic::network::{
    csv, named_result, publish, released_town, Decision, Ledger, NamedResult, ReleaseLevel,
    ReleasedTown, TownParticipation,
};
use diagnostic::sync::{Operation, Town};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::now_ms;
use crate::storage::{Database, NetworkTown, Storage, StorageError, StoredLedger};

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

/// What the network keeps in memory between passes and requests, so that neither the hourly
/// pass nor a request reads every town's log again when nothing changed:
///
/// - each town's summary of a campaign (participation, validated answers when released, its
///   console line when named), computed from its log once and kept while the town's
///   `last_seq` (bumped by every stored push) and space are unchanged;
/// - each campaign's ledger, parsed once and kept while its `updated_ms` is unchanged (checked
///   with one small query per request: another instance sharing the database may publish),
///   with its open-data CSV made on first demand.
///
/// The publication task and the routes share one (`AppState::network`).
#[derive(Debug, Default)]
pub struct NetworkCache {
    towns: Mutex<HashMap<(i64, String), Arc<TownCampaign>>>,
    ledgers: Mutex<HashMap<String, CachedLedger>>,
}

/// One town in one campaign, as computed from its stored log.
#[derive(Debug)]
pub struct TownCampaign {
    pub id: i64,
    /// The town's `last_seq` when its log was read.
    pub last_seq: i64,
    pub space: Town,
    pub participation: TownParticipation,
    /// Released (either level) with its validated answers.
    pub released: Option<(ReleaseLevel, ReleasedTown)>,
    /// Its line in the association's console, when released named.
    pub named: Option<NamedResult>,
}

impl TownCampaign {
    fn from_log(town: NetworkTown, log: &[Operation], campaign: &str) -> TownCampaign {
        let questionnaire = diagnostic::questionnaire();
        let participation = TownParticipation::from_log(&town.space.commune, log, campaign);
        let released = released_town(
            town.id.to_string(),
            &town.space.commune,
            log,
            questionnaire,
            campaign,
        );
        let named = match &released {
            Some((ReleaseLevel::Named, released)) => Some(named_result(
                questionnaire,
                &town.space.commune,
                campaign,
                &released.answers,
            )),
            _ => None,
        };
        TownCampaign {
            id: town.id,
            last_seq: town.last_seq,
            space: town.space,
            participation,
            released,
            named,
        }
    }

    /// Counts in aggregates: released, and its space checked by an operator (a space nobody
    /// checked could be made up to single out a real town).
    pub fn counted(&self) -> Option<&ReleasedTown> {
        match &self.released {
            Some((_, town)) if self.space.status == TownStatus::Verified => Some(town),
            _ => None,
        }
    }
}

/// A campaign's ledger as last read, and the CSV made from it.
#[derive(Debug, Clone)]
struct CachedLedger {
    updated_ms: Option<i64>,
    ledger: Arc<Ledger>,
    csv: Arc<OnceLock<String>>,
}

/// A campaign's published figures, shared by the requests that read them.
#[derive(Debug, Clone)]
pub struct PublishedLedger {
    pub ledger: Arc<Ledger>,
    /// When it last changed; `None` before the first publication.
    pub published_ms: Option<u64>,
    csv: Arc<OnceLock<String>>,
}

impl PublishedLedger {
    /// The open-data CSV of this ledger ([`csv`]), made once.
    pub fn csv(&self) -> &str {
        self.csv.get_or_init(|| csv(&[&self.ledger]))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps hold finished values only: one left by a panicking thread is still whole.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl NetworkCache {
    /// Forgets everything, as after a restart (the benchmark measures that first load).
    pub fn clear(&self) {
        lock(&self.towns).clear();
        lock(&self.ledgers).clear();
    }

    /// Every space that is not rejected, in `campaign`: logs are read only for towns that
    /// pushed something (or changed) since they were last read.
    pub async fn towns(
        &self,
        storage: &impl Storage,
        campaign: &str,
    ) -> Result<Vec<Arc<TownCampaign>>, StorageError> {
        let spaces = storage.network_towns().await?;
        let mut towns = Vec::with_capacity(spaces.len());
        for town in spaces {
            let key = (town.id, campaign.to_string());
            let cached = lock(&self.towns).get(&key).cloned();
            match cached {
                Some(cached) if cached.last_seq == town.last_seq && cached.space == town.space => {
                    towns.push(cached)
                }
                _ => {
                    let log = storage.campaign_ops(town.id, campaign).await?;
                    let computed = Arc::new(TownCampaign::from_log(town, &log, campaign));
                    lock(&self.towns).insert(key, computed.clone());
                    towns.push(computed);
                }
            }
        }
        // Erased and rejected spaces leave the memory too.
        let present: HashSet<i64> = towns.iter().map(|town| town.id).collect();
        lock(&self.towns).retain(|(id, of), _| of != campaign || present.contains(id));
        Ok(towns)
    }

    /// The published ledger of `campaign`, parsed only when it changed since last read.
    pub async fn ledger(
        &self,
        storage: &impl Storage,
        campaign: &str,
    ) -> Result<PublishedLedger, StorageError> {
        let version = storage.ledger_version(campaign).await?;
        let cached = lock(&self.ledgers).get(campaign).cloned();
        let cached = match cached {
            Some(cached) if cached.updated_ms == version => cached,
            _ => {
                let (ledger, updated_ms) = read_ledger(storage, campaign).await?;
                let fresh = CachedLedger {
                    updated_ms,
                    ledger: Arc::new(ledger),
                    csv: Arc::default(),
                };
                lock(&self.ledgers).insert(campaign.to_string(), fresh.clone());
                fresh
            }
        };
        Ok(PublishedLedger {
            ledger: cached.ledger,
            published_ms: cached.updated_ms.and_then(|ms| u64::try_from(ms).ok()),
            csv: cached.csv,
        })
    }
}

/// The stored ledger of `campaign` and its `updated_ms` (a fresh ledger, `None`, before any).
async fn read_ledger(
    storage: &impl Storage,
    campaign: &str,
) -> Result<(Ledger, Option<i64>), StorageError> {
    match storage.ledger(campaign).await? {
        None => Ok((Ledger::new(campaign), None)),
        Some(stored) => {
            let ledger =
                serde_json::from_str(&stored.json).map_err(|err| StorageError::Corrupt {
                    what: format!("publication ledger of {campaign}: {err}"),
                })?;
            Ok((ledger, Some(stored.updated_ms)))
        }
    }
}

/// One publication pass as if it were `now_ms`, reading every town's log (a pass after a
/// restart does the same).
pub async fn run_once(
    storage: &impl Storage,
    now_ms: u64,
) -> Result<PublicationReport, StorageError> {
    run_once_with(storage, &NetworkCache::default(), now_ms).await
}

/// One publication pass as if it were `now_ms`, reusing what `cache` computed from the logs
/// that did not change since.
pub async fn run_once_with(
    storage: &impl Storage,
    cache: &NetworkCache,
    now_ms: u64,
) -> Result<PublicationReport, StorageError> {
    let questionnaire = diagnostic::questionnaire();
    let mut report = PublicationReport::default();
    for campaign in storage.network_campaigns().await? {
        report.campaigns += 1;
        let towns: Vec<ReleasedTown> = cache
            .towns(storage, &campaign)
            .await?
            .iter()
            .filter_map(|town| town.counted().cloned())
            .collect();
        let (mut ledger, previous_ms) = read_ledger(storage, &campaign).await?;
        let before = ledger.clone();
        let decisions = publish(&mut ledger, questionnaire, &towns, now_ms);
        report.published += decisions
            .iter()
            .filter(|(_, decision)| *decision == Decision::Published)
            .count();
        // Unchanged ledgers keep their date: it is what the towns' caches compare. A changed
        // one always gets a later date than before, even within the same millisecond, since
        // the date is the version every cache of it is checked against.
        if ledger != before {
            report.changed += 1;
            let json = serde_json::to_string(&ledger).map_err(|err| StorageError::Corrupt {
                what: format!("publication ledger of {campaign}: {err}"),
            })?;
            let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
            let updated_ms =
                previous_ms.map_or(now, |previous| now.max(previous.saturating_add(1)));
            storage
                .save_ledger(&campaign, &StoredLedger { json, updated_ms })
                .await?;
        }
    }
    Ok(report)
}

/// The background task, a round every `every` (`--publication-interval-secs`, default
/// [`PUBLICATION_INTERVAL`]); it ends when `shutdown` turns true (or its sender is dropped).
pub(crate) fn spawn(
    storage: Database,
    cache: Arc<NetworkCache>,
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
            match run_once_with(&storage, &cache, now_ms()).await {
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
