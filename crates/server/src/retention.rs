//! What the server forgets on its own: expired invitations, devices unseen for
//! `--device-retention-days` (removed, their answers kept), and rejected spaces
//! `--rejected-retention-days` after their rejection (purged). One pass every
//! [`RETENTION_INTERVAL`], the first at start; [`run_once`] lets tests pass any time.

use std::time::Duration;

use diagnostic::association::HostInfo;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::now_ms;
use crate::storage::{Database, RetentionReport, Storage, StorageError};

pub const RETENTION_INTERVAL: Duration = Duration::from_secs(60 * 60);

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// One pass of the retention rules as if it were `now_ms`.
pub async fn run_once(
    storage: &impl Storage,
    host: &HostInfo,
    now_ms: u64,
) -> Result<RetentionReport, StorageError> {
    let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
    storage
        .retention(
            now,
            now - i64::from(host.device_retention_days) * DAY_MS,
            now - i64::from(host.rejected_retention_days) * DAY_MS,
        )
        .await
}

/// The background task; it ends when `shutdown` turns true (or its sender is dropped).
pub(crate) fn spawn(
    storage: Database,
    host: HostInfo,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(RETENTION_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            match run_once(&storage, &host, now_ms()).await {
                Ok(report) if report != RetentionReport::default() => tracing::info!(
                    invites = report.invites_purged,
                    devices = report.devices_expired,
                    towns = report.towns_purged,
                    "retention: expired data removed"
                ),
                Ok(_) => {}
                Err(err) => tracing::error!(
                    error = %crate::error_chain(&err),
                    "retention pass failed; retried at the next one"
                ),
            }
        }
    })
}
