//! When to sync, and what a sync does: push every waiting operation, then pull the town's new
//! ones, page by page, storing each page before moving the cursor.
//!
//! A sync runs at start, when the browser comes back online, when the page becomes visible
//! again, a moment after a change, on the « Synchroniser » button, and on a timer that backs off
//! (with jitter) while the server cannot be reached. An unreachable server is a quiet state, not
//! an error: the answers are safe on the phone and wait.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use diagnostic::association::{codes, TownStatus};
use diagnostic::sync::{Operation, MAX_BATCH};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::api::{self, ApiError};
use crate::chunks::{split_point, ChunkUnavailable};
use crate::stores::browser::now_ms;
use crate::stores::LocalStore;

/// Between two syncs when all is well.
const IDLE_INTERVAL: Duration = Duration::from_secs(120);
/// After a change, wait this long so a burst of taps goes in one push.
const AFTER_CHANGE: Duration = Duration::from_millis(1500);
/// Backoff while the server cannot be reached: doubling from this, up to the maximum.
const FIRST_RETRY: Duration = Duration::from_secs(15);
const MAX_RETRY: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, PartialEq)]
pub enum SyncStatus {
    /// Not syncing (enrolled or not).
    Idle,
    Syncing,
    /// The server cannot be reached: nothing is wrong, the answers wait on the phone.
    Unreachable,
    /// The server refused something; its message.
    Failed(String),
    /// This device was removed from the town's space; the server's message.
    Revoked(String),
    /// An operator of the association rejected the town's space: nothing syncs any more; the
    /// answers stay on the phone.
    Rejected,
}

#[derive(Clone, Copy)]
pub struct SyncEngine {
    pub status: RwSignal<SyncStatus>,
    store: LocalStore,
    running: StoredValue<bool>,
    failures: StoredValue<u32>,
    /// Each scheduled timer carries the generation it was made in; only the latest one runs.
    generation: StoredValue<u64>,
}

impl SyncEngine {
    /// Starts a sync now (does nothing when not enrolled, removed, or already syncing).
    pub fn sync_now(&self) {
        let engine = *self;
        spawn_local(async move { engine.run().await });
    }

    fn schedule(&self, delay: Duration) {
        let engine = *self;
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        set_timeout(
            move || {
                if engine.generation.get_value() == generation {
                    engine.sync_now();
                }
            },
            delay,
        );
    }

    async fn run(self) {
        let Some(sync) = self.store.settings.with_untracked(|s| s.sync.clone()) else {
            return;
        };
        if let Some(message) = sync.revoked {
            self.status.set(SyncStatus::Revoked(message));
            return;
        }
        if sync.town.status == TownStatus::Rejected {
            self.status.set(SyncStatus::Rejected);
            return;
        }
        if self.running.get_value() {
            return;
        }
        self.running.set_value(true);
        self.status.set(SyncStatus::Syncing);
        // A missing chunk means the network is gone too: the quiet « unreachable » state.
        let result = match exchange(self, sync.token.clone()).await {
            Ok(exchange) => exchange.await,
            Err(ChunkUnavailable) => Err(ApiError::Unreachable),
        };
        self.running.set_value(false);
        let failures = match &result {
            Ok(()) => 0,
            Err(_) => self.failures.get_value().saturating_add(1),
        };
        self.failures.set_value(failures);
        match result {
            Ok(()) => {
                self.store.update_sync(|s| s.last_sync_ms = Some(now_ms()));
                self.status.set(SyncStatus::Idle);
            }
            Err(e) if e.is_revoked() => {
                let message = e.message();
                self.store
                    .update_sync(|s| s.revoked = Some(message.clone()));
                self.status.set(SyncStatus::Revoked(message));
                return;
            }
            Err(e) if e.is(codes::TOWN_REJECTED) => {
                self.store
                    .update_sync(|s| s.town.status = TownStatus::Rejected);
                self.status.set(SyncStatus::Rejected);
                return;
            }
            Err(ApiError::Unreachable) => self.status.set(SyncStatus::Unreachable),
            Err(e) => self.status.set(SyncStatus::Failed(e.message())),
        }
        self.schedule(next_delay(failures));
    }

    async fn exchange(&self, token: &str) -> Result<(), ApiError> {
        for campaign in self.store.campaign_ids() {
            self.store.with_campaign(&campaign, |doc| {
                doc.set_aside_invalid(diagnostic::outline());
            });
            loop {
                let batch: Vec<Operation> = self
                    .store
                    .pending_in(&campaign)
                    .into_iter()
                    .take(MAX_BATCH)
                    .collect();
                if batch.is_empty() {
                    break;
                }
                let full = batch.len() == MAX_BATCH;
                let ack = match api::push(token, batch).await {
                    Ok(ack) => ack,
                    // A validation or release the server refuses must not block the answers
                    // behind it: it is set aside with the reason, and the rest is sent again.
                    Err(e) if e.is(codes::NOT_ADMIN) || e.is(codes::NOT_VALIDATED) => {
                        let releases_only = e.is(codes::NOT_VALIDATED);
                        let mut set_aside = 0;
                        self.store.with_campaign(&campaign, |doc| {
                            set_aside = doc.set_aside_network(releases_only, &e.message());
                        });
                        if set_aside == 0 {
                            return Err(e);
                        }
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let stored = self
                    .store
                    .with_campaign(&campaign, |doc| doc.acknowledge(&ack, now_ms() as u64));
                if !stored {
                    return Err(ApiError::Unexpected(local_storage_problem()));
                }
                if !full {
                    break;
                }
            }
        }
        loop {
            let cursor = self
                .store
                .settings
                .with_untracked(|s| s.sync.as_ref().map_or(0, |s| s.cursor));
            let page = api::pull(token, cursor).await?;
            let mut by_campaign: BTreeMap<String, Vec<Operation>> = BTreeMap::new();
            for op in page.ops {
                by_campaign.entry(op.campaign.clone()).or_default().push(op);
            }
            for (campaign, ops) in by_campaign {
                // The cursor moves only once the page is stored: a failed write pulls it again.
                if !self
                    .store
                    .with_campaign(&campaign, |doc| doc.receive(ops, now_ms() as u64))
                {
                    return Err(ApiError::Unexpected(local_storage_problem()));
                }
            }
            self.store.update_sync(|s| s.cursor = page.next);
            if !page.more {
                break;
            }
        }
        if let Ok(devices) = api::devices(token).await {
            self.store.update_sync(|s| s.devices = devices.devices);
        }
        Ok(())
    }
}

split_point!(sync:
    /// The exchange (and the wire format under it) in a chunk of its own: a phone that never
    /// joined a town's space never downloads it.
    fn exchange(engine: SyncEngine, token: String) -> Pin<Box<dyn Future<Output = Result<(), ApiError>>>> {
        Box::pin(async move { engine.exchange(&token).await })
    }
);

fn local_storage_problem() -> String {
    crate::i18n::texts(diagnostic::Lang::Fr)
        .save_failed_quota
        .to_string()
}

/// The wait before the next sync: the idle interval when all is well, else a doubling backoff,
/// each with ±20 % jitter so that phones of a town do not all call at once.
fn next_delay(failures: u32) -> Duration {
    let base = if failures == 0 {
        IDLE_INTERVAL
    } else {
        FIRST_RETRY
            .saturating_mul(1 << failures.min(10).saturating_sub(1))
            .min(MAX_RETRY)
    };
    let jitter = 0.8 + 0.4 * js_sys::Math::random();
    base.mul_f64(jitter)
}

/// Creates the engine, wires its triggers and shares it through context.
pub fn provide_sync(store: LocalStore) -> SyncEngine {
    let engine = SyncEngine {
        status: RwSignal::new(SyncStatus::Idle),
        store,
        running: StoredValue::new(false),
        failures: StoredValue::new(0),
        generation: StoredValue::new(0),
    };
    provide_context(engine);
    engine.sync_now();
    // Back online, or back on the page: sync at once.
    std::mem::forget(window_event_listener(leptos::ev::online, move |_| {
        engine.sync_now()
    }));
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        let visible_again = Closure::<dyn Fn()>::new(move || {
            if !document.hidden() {
                engine.sync_now();
            }
        });
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                visible_again.as_ref().unchecked_ref(),
            );
        }
        // Lives as long as the page.
        visible_again.forget();
    }
    // A moment after each new change.
    let pending = Memo::new(move |_| store.pending_count());
    Effect::new(move |previous: Option<usize>| {
        let now = pending.get();
        if previous.is_some_and(|before| now > before) {
            engine.schedule(AFTER_CHANGE);
        }
        now
    });
    engine
}

pub fn use_sync() -> SyncEngine {
    expect_context::<SyncEngine>()
}
