//! Live updates: who listens to which town's log, and telling them when it grew.
//!
//! Each device may hold one stream (`GET /api/sync/events`, [`crate::handlers::sync::events`]).
//! A push that stores new operations [`LiveHub::publish`]es the town's last sequence number on
//! the town's `tokio::sync::broadcast` channel; every stream of the town turns it into an SSE
//! event, and its phone pulls. The channel exists only while the town has a stream: created by
//! the first, dropped with the last, so a push to a town nobody listens to costs one map lookup.
//!
//! Bounds, all checked under one lock:
//! - one stream per device: a new one replaces the old (a phone that lost its connection without
//!   the server noticing reconnects at once, and the stale stream ends);
//! - at most [`LiveSettings::per_town`] per town and [`LiveSettings::total`] on the server (each
//!   holds a connection, hence a file descriptor): beyond, 503 `busy` with `Retry-After`, and the
//!   phone falls back to polling;
//! - each stream ends after [`LiveSettings::max_age`] (the phone reconnects): no connection lives
//!   forever, and a device removed meanwhile is refused on reconnecting. The request timeout does
//!   not apply to a stream's body (the timeout layer times the handler, which answers at once),
//!   nor does the concurrency cap (its slot is freed when the headers leave).
//!
//! A device removed (by an administrator or an operator), a town erased or rejected: their
//! streams are ended at once ([`LiveHub::disconnect_device`], [`LiveHub::disconnect_town`]).
//! On shutdown every stream ends ([`LiveHub::close`]), so a graceful stop does not wait for them.
//!
//! Several server instances on one database each know only their own streams: a push through
//! one instance wakes no phone connected to another; those catch up by their fallback poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, oneshot, watch};

/// Events a slow stream may be behind before it skips to newer ones (each event carries the
/// latest sequence number, so skipping loses nothing).
const CHANNEL_CAPACITY: usize = 16;

/// The live streams' limits (the `--live-*` flags of [`crate::Config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSettings {
    /// Streams of one town at once.
    pub per_town: usize,
    /// Streams on this server at once.
    pub total: usize,
    /// Between two heartbeat comments (they keep proxies and NAT tables from closing an idle
    /// connection, and let the phone notice a dead one).
    pub heartbeat: Duration,
    /// A stream's longest life; the phone then reconnects.
    pub max_age: Duration,
}

pub const DEFAULT_LIVE_PER_TOWN: usize = 32;
pub const DEFAULT_LIVE_TOTAL: usize = 4096;
pub const DEFAULT_LIVE_HEARTBEAT_S: u64 = 20;
pub const DEFAULT_LIVE_MAX_AGE_S: u64 = 30 * 60;

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            per_town: DEFAULT_LIVE_PER_TOWN,
            total: DEFAULT_LIVE_TOTAL,
            heartbeat: Duration::from_secs(DEFAULT_LIVE_HEARTBEAT_S),
            max_age: Duration::from_secs(DEFAULT_LIVE_MAX_AGE_S),
        }
    }
}

/// Why a stream was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TownFull,
    ServerFull,
}

#[derive(Debug)]
struct TownStreams {
    sender: broadcast::Sender<u64>,
    /// Device id → (stream id, the sender whose drop ends that stream).
    devices: HashMap<String, (u64, oneshot::Sender<()>)>,
}

#[derive(Debug, Default)]
struct Streams {
    towns: HashMap<i64, TownStreams>,
    total: usize,
    next_id: u64,
}

impl Streams {
    /// Forgets a device's stream (which then ends); `only` keeps the entry unless it is that
    /// stream (a stream replaced meanwhile must not remove its successor).
    fn remove(&mut self, town_id: i64, device_id: &str, only: Option<u64>) {
        let Some(town) = self.towns.get_mut(&town_id) else {
            return;
        };
        let matches = town
            .devices
            .get(device_id)
            .is_some_and(|(id, _)| only.is_none_or(|only| only == *id));
        if matches {
            town.devices.remove(device_id);
            self.total -= 1;
        }
        if town.devices.is_empty() {
            self.towns.remove(&town_id);
        }
    }
}

#[derive(Debug)]
pub struct LiveHub {
    pub settings: LiveSettings,
    streams: Mutex<Streams>,
    closing: watch::Sender<bool>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub::new(LiveSettings::default())
    }
}

impl LiveHub {
    pub fn new(settings: LiveSettings) -> Self {
        LiveHub {
            settings,
            streams: Mutex::new(Streams::default()),
            closing: watch::channel(false).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Streams> {
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens the device's stream, ending its previous one.
    pub fn subscribe(
        self: &Arc<Self>,
        town_id: i64,
        device_id: &str,
    ) -> Result<Subscription, Refusal> {
        let mut streams = self.lock();
        streams.remove(town_id, device_id, None);
        let in_town = streams
            .towns
            .get(&town_id)
            .map_or(0, |town| town.devices.len());
        if in_town >= self.settings.per_town {
            return Err(Refusal::TownFull);
        }
        if streams.total >= self.settings.total {
            return Err(Refusal::ServerFull);
        }
        streams.next_id += 1;
        let id = streams.next_id;
        let (end, ended) = oneshot::channel();
        let town = streams.towns.entry(town_id).or_insert_with(|| TownStreams {
            sender: broadcast::channel(CHANNEL_CAPACITY).0,
            devices: HashMap::new(),
        });
        let events = town.sender.subscribe();
        town.devices.insert(device_id.to_string(), (id, end));
        streams.total += 1;
        Ok(Subscription {
            hub: self.clone(),
            town_id,
            device_id: device_id.to_string(),
            id,
            events,
            ended,
            closing: self.closing.subscribe(),
        })
    }

    /// Tells the town's streams that its log now ends at `last_seq`.
    pub fn publish(&self, town_id: i64, last_seq: u64) {
        if let Some(town) = self.lock().towns.get(&town_id) {
            // An error only means every receiver is gone (a stream ending right now).
            let _ = town.sender.send(last_seq);
        }
    }

    /// Ends the device's stream (it was removed).
    pub fn disconnect_device(&self, town_id: i64, device_id: &str) {
        self.lock().remove(town_id, device_id, None);
    }

    /// Ends every stream of the town (erased or rejected).
    pub fn disconnect_town(&self, town_id: i64) {
        let mut streams = self.lock();
        if let Some(town) = streams.towns.remove(&town_id) {
            streams.total -= town.devices.len();
        }
    }

    /// Ends every stream, now and from now on (the server is stopping).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Streams open now.
    pub fn open_streams(&self) -> usize {
        self.lock().total
    }
}

/// One open stream; dropping it (the connection closed) forgets it.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<LiveHub>,
    town_id: i64,
    device_id: String,
    id: u64,
    /// The town's last sequence numbers, as pushes store operations.
    pub events: broadcast::Receiver<u64>,
    /// Completes (with an error) when the stream must end: replaced, or its device removed.
    pub ended: oneshot::Receiver<()>,
    /// Becomes `true` when the server stops.
    pub closing: watch::Receiver<bool>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub
            .lock()
            .remove(self.town_id, &self.device_id, Some(self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(per_town: usize, total: usize) -> Arc<LiveHub> {
        Arc::new(LiveHub::new(LiveSettings {
            per_town,
            total,
            ..LiveSettings::default()
        }))
    }

    #[tokio::test]
    async fn one_stream_per_device_the_new_one_replaces_the_old() {
        let hub = hub(4, 10);
        let mut first = hub.subscribe(1, "a").unwrap();
        let mut second = hub.subscribe(1, "a").unwrap();
        assert_eq!(hub.open_streams(), 1);
        assert!(
            (&mut first.ended).await.is_err(),
            "the old stream is told to end"
        );
        drop(first);
        assert_eq!(
            hub.open_streams(),
            1,
            "the old one leaving keeps the new one"
        );
        hub.publish(1, 7);
        assert_eq!(second.events.recv().await.unwrap(), 7);
        drop(second);
        assert_eq!(hub.open_streams(), 0);
        assert!(
            hub.lock().towns.is_empty(),
            "the town's channel goes with its last stream"
        );
    }

    #[test]
    fn bounded_per_town_and_overall() {
        let hub = hub(2, 3);
        let _a = hub.subscribe(1, "a").unwrap();
        let _b = hub.subscribe(1, "b").unwrap();
        assert_eq!(hub.subscribe(1, "c").unwrap_err(), Refusal::TownFull);
        let _b_again = hub.subscribe(1, "b").unwrap();
        let _d = hub.subscribe(2, "d").unwrap();
        assert_eq!(hub.subscribe(3, "e").unwrap_err(), Refusal::ServerFull);
        hub.disconnect_town(1);
        assert_eq!(hub.open_streams(), 1);
        let _e = hub.subscribe(3, "e").unwrap();
    }

    #[tokio::test]
    async fn a_removed_device_s_stream_ends() {
        let hub = hub(2, 3);
        let mut a = hub.subscribe(1, "a").unwrap();
        hub.disconnect_device(1, "a");
        assert!((&mut a.ended).await.is_err());
        assert_eq!(hub.open_streams(), 0);
    }
}
