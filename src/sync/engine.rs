//! When to sync, and what a sync does: push every waiting operation, then pull the town's new
//! ones, page by page, storing each page before moving the cursor.
//!
//! A sync runs at start, when the browser comes back online, when the page becomes visible
//! again, a moment after a change, on the « Synchroniser » button, when the live stream says the
//! town's log grew past this phone's cursor, and on a timer that backs off (with jitter) while
//! the server cannot be reached. An unreachable server is a quiet state, not an error: the
//! answers are safe on the phone and wait.
//!
//! **Live updates.** While the page is visible, online and enrolled, one stream
//! (`GET /api/sync/events`) stays open; an event beyond the pull cursor starts a sync at once, so
//! another phone's answer shows here within a second or two, on any screen. Hidden, the stream is
//! closed (a phone in a pocket keeps no radio awake for it) and nothing polls; visible again, it
//! syncs and reopens. A stream that drops reconnects with a doubling backoff; while none is open
//! the timer polls every [`POLL_WITHOUT_LIVE`] instead of [`IDLE_INTERVAL`]. This module is the
//! one owner of the `online`, `offline` and `visibilitychange` listeners.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use diagnostic::association::{codes, TownStatus};
use diagnostic::sync::server::RELAY_REFUSED;
use diagnostic::sync::{server_restored, Operation, PushAck, MAX_BATCH};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::api::{self, ApiError};
use crate::chunks::{split_point, ChunkUnavailable};
use crate::stores::browser::now_ms;
use crate::stores::LocalStore;

/// Between two syncs when all is well and the live stream is open.
const IDLE_INTERVAL: Duration = Duration::from_secs(120);
/// Between two syncs when all is well but no live stream could be kept (visible page only).
const POLL_WITHOUT_LIVE: Duration = Duration::from_secs(10);
/// The live stream's reconnection backoff: doubling from this, up to the maximum.
const LIVE_FIRST_RETRY: Duration = Duration::from_secs(1);
const LIVE_MAX_RETRY: Duration = Duration::from_secs(60);
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
    /// A sync was asked for while one was running: run again when it ends.
    again: StoredValue<bool>,
    /// Whether the live stream is open now (shown in the sync panel).
    pub live: RwSignal<bool>,
    /// The open (or opening) live stream's generation; 0 when none. Closing bumps
    /// `live_generation`, which ends the loop that owns the stream.
    live_generation: StoredValue<u64>,
    live_running: StoredValue<bool>,
    /// How far this phone's clock is from the server's (milliseconds, positive: ahead), from the
    /// last answer; shown when beyond [`SKEW_WARNING_MS`].
    pub clock_offset_ms: RwSignal<Option<f64>>,
}

/// What a server's reported epoch said ([`SyncEngine::note_epoch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Epoch {
    /// The epoch this phone knew (or its first).
    Same,
    /// Another one: the server was restored.
    Restored,
}

/// Beyond this, the sync panel says the phone's clock seems off: the server accepts clocks up to
/// `MAX_CLOCK_AHEAD_MS` (5 minutes) ahead, and a late clock makes this phone's answers lose
/// against earlier ones of other phones until it syncs.
pub const SKEW_WARNING_MS: f64 = 2.0 * 60.0 * 1000.0;

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
                // Hidden with nothing to send: no timer wakes the radio; becoming visible syncs.
                if engine.generation.get_value() == generation
                    && (!page_hidden() || engine.store.pending_count_untracked() > 0)
                {
                    engine.sync_now();
                }
            },
            delay,
        );
    }

    /// Whether a live stream should be open now.
    fn wants_live(&self) -> bool {
        let enrolled = self.store.settings.with_untracked(|s| {
            s.sync.as_ref().is_some_and(|sync| {
                sync.revoked.is_none() && sync.town.status != TownStatus::Rejected
            })
        });
        enrolled && !page_hidden() && online()
    }

    /// Opens the live stream unless one is open or opening, or it is not wanted now.
    fn ensure_live(&self) {
        if self.live_running.get_value() || !self.wants_live() {
            return;
        }
        self.live_running.set_value(true);
        let generation = self.live_generation.get_value() + 1;
        self.live_generation.set_value(generation);
        let engine = *self;
        spawn_local(async move {
            // In the sync chunk with the exchange; a missing chunk means no network: the next
            // sync (back online) tries again.
            if let Ok(live) = live(engine, generation).await {
                live.await;
            }
            if engine.live_generation.get_value() == generation {
                engine.live_running.set_value(false);
            }
        });
    }

    /// Closes the live stream now (the loop that owns it sees the new generation and stops).
    fn close_live(&self) {
        if let Some(closer) = LIVE_CLOSER.with(|c| c.borrow_mut().take()) {
            closer.abort();
        }
        self.live_generation
            .set_value(self.live_generation.get_value() + 1);
        self.live_running.set_value(false);
        self.live.set(false);
    }

    async fn live_loop(self, generation: u64) {
        let current = move || self.live_generation.get_value() == generation;
        let mut failures: u32 = 0;
        while current() && self.wants_live() {
            let Some(token) = self.store.token() else {
                return;
            };
            match api::events(&token).await {
                Ok(mut stream) => {
                    failures = 0;
                    if !current() {
                        stream.close();
                        return;
                    }
                    self.live.set(true);
                    LIVE_CLOSER.with(|c| *c.borrow_mut() = Some(stream.closer()));
                    self.clock_offset_ms.set(api::clock_offset_ms());
                    // Polled more often while the stream was down: back to the idle pace.
                    self.schedule(next_delay(self.failures.get_value(), true));
                    loop {
                        let event = stream.next().await;
                        if !current() {
                            stream.close();
                            return;
                        }
                        match event {
                            api::LiveEvent::Ops(last_seq) => {
                                let cursor = self
                                    .store
                                    .settings
                                    .with_untracked(|s| s.sync.as_ref().map_or(0, |s| s.cursor));
                                // Below the cursor: the server's log went back (a
                                // restore): the sync finds its new epoch.
                                if last_seq != cursor {
                                    self.sync_now();
                                }
                            }
                            api::LiveEvent::Ended => break,
                        }
                    }
                    self.live.set(false);
                }
                // Removed, or the space rejected: a sync says so on screen, and stops.
                Err(e) if e.is_revoked() || e.is(codes::TOWN_REJECTED) => {
                    self.live.set(false);
                    self.sync_now();
                    return;
                }
                Err(_) => {
                    self.live.set(false);
                    failures = failures.saturating_add(1);
                    // Meanwhile the timer polls at the short pace.
                    if !self.running.get_value() {
                        self.schedule(next_delay(self.failures.get_value(), false));
                    }
                }
            }
            let wait = if failures == 0 {
                // Ended normally (its maximum age): reconnect at once, jittered a little.
                Duration::from_millis(200 + (js_sys::Math::random() * 800.0) as u64)
            } else {
                LIVE_FIRST_RETRY
                    .saturating_mul(1 << failures.min(8).saturating_sub(1))
                    .min(LIVE_MAX_RETRY)
                    .mul_f64(0.8 + 0.4 * js_sys::Math::random())
            };
            sleep(wait).await;
        }
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
            self.again.set_value(true);
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
        self.clock_offset_ms.set(api::clock_offset_ms());
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
        if self.again.get_value() {
            self.again.set_value(false);
            self.sync_now();
            return;
        }
        self.schedule(next_delay(failures, self.live.get_untracked()));
        self.ensure_live();
    }

    async fn exchange(&self, token: &str) -> Result<(), ApiError> {
        for campaign in self.store.campaign_ids() {
            self.store.with_campaign(&campaign, |doc| {
                doc.replica.set_aside_invalid(diagnostic::outline());
            });
            loop {
                // Marked sent and stored before it leaves: never folded into a later change,
                // whether or not its acknowledgement comes back.
                let Some(batch) = self.store.send_in(&campaign, MAX_BATCH) else {
                    return Err(ApiError::Unexpected(local_storage_problem()));
                };
                if batch.is_empty() {
                    break;
                }
                let full = batch.len() == MAX_BATCH;
                let ack = match api::push(token, batch, false).await {
                    Ok(ack) => ack,
                    // A validation or release the server refuses must not block the answers
                    // behind it: it is set aside with the reason, and the rest is sent again.
                    Err(e) if e.is(codes::NOT_ADMIN) || e.is(codes::NOT_VALIDATED) => {
                        let releases_only = e.is(codes::NOT_VALIDATED);
                        let mut set_aside = 0;
                        self.store.with_campaign(&campaign, |doc| {
                            set_aside = doc.replica.set_aside_network(releases_only, &e.message());
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
                // A restore seen here: the re-send below runs before any pull.
                self.note_epoch(&ack.epoch)?;
                if !full {
                    break;
                }
            }
        }
        // Re-sent before anything is pulled from the restored server: the log then holds only
        // what this phone knew before the restore (the server would refuse from a relay what
        // other devices made after it), and a re-send cut short goes on at the next sync.
        self.resend_all(token).await?;
        if self.pull_all(token).await? == Epoch::Restored {
            self.resend_all(token).await?;
            self.pull_all(token).await?;
        }
        if let Ok(devices) = api::devices(token).await {
            self.store.update_sync(|s| s.devices = devices.devices);
        }
        Ok(())
    }

    /// Pulls the town's operations past the cursor, page by page. Stops at once, storing nothing
    /// of the page, when it says the server was restored (the re-send comes first).
    async fn pull_all(&self, token: &str) -> Result<Epoch, ApiError> {
        loop {
            let (cursor, epoch) = self.store.settings.with_untracked(|s| {
                s.sync
                    .as_ref()
                    .map_or((0, None), |s| (s.cursor, s.epoch.clone()))
            });
            let page = api::pull(token, cursor, epoch.as_deref()).await?;
            if self.note_epoch(&page.epoch)? == Epoch::Restored {
                return Ok(Epoch::Restored);
            }
            let mut by_campaign: BTreeMap<String, Vec<Operation>> = BTreeMap::new();
            for op in page.ops {
                by_campaign.entry(op.campaign.clone()).or_default().push(op);
            }
            let current = self.store.campaign.with_untracked(|c| c.id.clone());
            let behind = self
                .store
                .campaign
                .with_untracked(|c| c.replica.clock < page.clock);
            if behind && !by_campaign.contains_key(&current) {
                by_campaign.insert(current, Vec::new());
            }
            for (campaign, ops) in by_campaign {
                // The cursor moves only once the page is stored: a failed write pulls it again.
                // Every clock received is observed: the operations' (in `receive`) and the
                // server's, so that the next answer here orders after all of them.
                if !self.store.with_campaign(&campaign, |doc| {
                    let now = now_ms() as u64;
                    doc.receive(ops, now);
                    doc.replica.observe(&page.clock, now);
                }) {
                    return Err(ApiError::Unexpected(local_storage_problem()));
                }
            }
            self.store.update_sync(|s| s.cursor = page.next);
            if !page.more {
                return Ok(Epoch::Same);
            }
        }
    }

    /// The epoch a server reported (see `diagnostic::sync::Replica`'s module doc): a new one means
    /// it was restored from a backup, and may have lost what it acknowledged since: every
    /// campaign starts re-sending all it holds, then the pull cursor starts again from 0. In that
    /// order, each stored before the next: a crash in between re-sends, never skips.
    fn note_epoch(&self, reported: &str) -> Result<Epoch, ApiError> {
        let known = self
            .store
            .settings
            .with_untracked(|s| s.sync.as_ref().and_then(|s| s.epoch.clone()));
        if reported.is_empty() || known.as_deref() == Some(reported) {
            return Ok(Epoch::Same);
        }
        let restored = server_restored(known.as_deref(), reported);
        if restored {
            for campaign in self.store.campaign_ids() {
                if !self
                    .store
                    .with_campaign(&campaign, |doc| doc.replica.start_resend())
                {
                    return Err(ApiError::Unexpected(local_storage_problem()));
                }
            }
            self.store.update_sync(|s| s.cursor = 0);
        }
        let reported = reported.to_string();
        self.store.update_sync(|s| s.epoch = Some(reported));
        Ok(if restored {
            Epoch::Restored
        } else {
            Epoch::Same
        })
    }

    /// [`Self::resend_all`]'s batch that the server refused, sent again operation by operation;
    /// the re-send moves past those it refuses.
    async fn resend_one_by_one(
        &self,
        token: &str,
        campaign: &str,
        batch: Vec<Operation>,
    ) -> Result<(), ApiError> {
        for op in batch {
            let id = op.id.clone();
            match api::push(token, vec![op], true).await {
                Ok(ack) => self.store_resent(campaign, &ack)?,
                Err(e) if e.is(RELAY_REFUSED) => {
                    if !self
                        .store
                        .with_campaign(campaign, |doc| doc.replica.resend_past(&id))
                    {
                        return Err(ApiError::Unexpected(local_storage_problem()));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Stores a re-sent batch's acknowledgement ([`diagnostic::sync::Replica::resent`]).
    fn store_resent(&self, campaign: &str, ack: &PushAck) -> Result<(), ApiError> {
        if self.store.with_campaign(campaign, |doc| {
            doc.replica.resent(ack, now_ms() as u64);
            doc.refresh();
        }) {
            Ok(())
        } else {
            Err(ApiError::Unexpected(local_storage_problem()))
        }
    }

    /// Sends again, as a relay, every operation each campaign holds while a re-send is under way
    /// (after a restore: [`Self::note_epoch`]).
    async fn resend_all(&self, token: &str) -> Result<(), ApiError> {
        for campaign in self.store.campaign_ids() {
            let mut network = true;
            loop {
                let mut batch = Vec::new();
                if !self.store.with_campaign(&campaign, |doc| {
                    batch = doc
                        .replica
                        .next_resend(MAX_BATCH, diagnostic::outline(), network)
                }) {
                    return Err(ApiError::Unexpected(local_storage_problem()));
                }
                if batch.is_empty() {
                    break;
                }
                let ack = match api::push(token, batch.clone(), true).await {
                    Ok(ack) => ack,
                    // This device's validations and releases the server no longer takes: the
                    // rest goes on without them (they stay on the phone).
                    Err(e) if network && (e.is(codes::NOT_ADMIN) || e.is(codes::NOT_VALIDATED)) => {
                        network = false;
                        continue;
                    }
                    // An operation the server will not take from this phone (made by another
                    // device after the restore): the batch goes again one by one, without it.
                    Err(e) if e.is(RELAY_REFUSED) => {
                        self.resend_one_by_one(token, &campaign, batch).await?;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                self.store_resent(&campaign, &ack)?;
            }
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

split_point!(sync:
    /// The live stream's loop, with the exchange.
    fn live(engine: SyncEngine, generation: u64) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move { engine.live_loop(generation).await })
    }
);

fn local_storage_problem() -> String {
    crate::i18n::texts(diagnostic::Lang::Fr)
        .save_failed_quota
        .to_string()
}

/// The wait before the next sync: the idle interval when all is well (short without a live
/// stream), else a doubling backoff, each with ±20 % jitter so that phones of a town do not all
/// call at once.
fn next_delay(failures: u32, live: bool) -> Duration {
    let base = if failures == 0 && live {
        IDLE_INTERVAL
    } else if failures == 0 {
        POLL_WITHOUT_LIVE
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
        again: StoredValue::new(false),
        live: RwSignal::new(false),
        live_generation: StoredValue::new(0),
        live_running: StoredValue::new(false),
        clock_offset_ms: RwSignal::new(None),
    };
    provide_context(engine);
    // The first sync opens the live stream when it ends.
    engine.sync_now();
    // Back online, or back on the page: sync at once (then the stream reopens).
    std::mem::forget(window_event_listener(leptos::ev::online, move |_| {
        engine.sync_now()
    }));
    std::mem::forget(window_event_listener(leptos::ev::offline, move |_| {
        engine.close_live()
    }));
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        let visible_again = Closure::<dyn Fn()>::new(move || {
            if document.hidden() {
                engine.close_live();
            } else {
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

thread_local! {
    /// Aborts the open live stream's request (a browser object: kept out of the signals).
    static LIVE_CLOSER: std::cell::RefCell<Option<web_sys::AbortController>> =
        const { std::cell::RefCell::new(None) };
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Waits `duration` (a browser timer).
async fn sleep(duration: Duration) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                duration.as_millis().min(i32::MAX as u128) as i32,
            );
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub fn use_sync() -> SyncEngine {
    expect_context::<SyncEngine>()
}
