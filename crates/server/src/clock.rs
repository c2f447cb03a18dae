//! The server's hybrid logical clock, handed to devices in every sync answer so that a phone
//! whose own clock is late still orders its next answers after everything it has seen.
//!
//! Each server instance keeps its own, in memory: HLC readings only need to be monotonic per
//! node, and the device id `server` ties are harmless (the server authors no operation).

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use diagnostic::sync::{observe, tick, Hlc};

/// The device name of the server's clock readings.
pub const SERVER_DEVICE: &str = "server";

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

#[derive(Debug)]
pub struct ServerClock {
    hlc: Mutex<Hlc>,
}

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock {
            hlc: Mutex::new(Hlc::zero(SERVER_DEVICE)),
        }
    }
}

impl ServerClock {
    /// A new reading, after every one given before.
    pub fn read(&self) -> Hlc {
        let mut hlc = self
            .hlc
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *hlc = tick(&hlc, now_ms());
        hlc.clone()
    }

    /// Folds in a clock the server stored.
    pub fn observe(&self, remote: &Hlc) {
        let mut hlc = self
            .hlc
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *hlc = observe(&hlc, remote, now_ms());
    }
}
