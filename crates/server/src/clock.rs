//! The server's hybrid logical clocks, one per town, handed to that town's devices in every sync
//! answer so that a phone whose own clock is late still orders its next answers after
//! everything its town has seen.
//!
//! One clock per town, not one for the server: a clock only moves forward, and a phone whose
//! clock is fast (accepted up to [`MAX_CLOCK_AHEAD_MS`] ahead, see `clamp`) pushes it forward.
//! With one shared clock that phone would push every town's phones ahead, and in every other
//! town the answer given last would no longer be the one retained. Here it moves its own town's
//! clock only.
//!
//! Each server instance keeps them in memory, created on a town's first use: HLC readings only
//! need to be monotonic per node and town. Nothing is stored: on its first use after a start, a
//! town's clock resumes after the greatest clock of its log (`resume`, read from storage). Phones
//! also observe the clock of every operation they pull, but a phone answering between its push
//! and its pull knows the town only through the push's reading, and a clamped operation may be up
//! to five minutes ahead of the wall time (the simulation found the later answer losing there).
//! The device id `server` ties are harmless (the server authors no operation). The map holds one
//! small entry per town that synced since the start (at most the number of communes).
//!
//! [`MAX_CLOCK_AHEAD_MS`]: diagnostic::sync::MAX_CLOCK_AHEAD_MS

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use diagnostic::sync::server::TownClock;
use diagnostic::sync::Hlc;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

#[derive(Debug, Default)]
pub struct ServerClock {
    towns: Mutex<HashMap<i64, TownClock>>,
}

impl ServerClock {
    fn with_town<T>(&self, town_id: i64, change: impl FnOnce(&mut TownClock) -> T) -> T {
        let mut towns = self
            .towns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(towns.entry(town_id).or_default())
    }

    /// A new reading of the town's clock, after every one given to it before.
    pub fn read(&self, town_id: i64) -> Hlc {
        self.with_town(town_id, |clock| clock.read(now_ms()))
    }

    /// Whether the town's clock was resumed since the start (see [`Self::resume`]).
    pub fn knows(&self, town_id: i64) -> bool {
        self.towns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains_key(&town_id)
    }

    /// Starts the town's clock after the greatest clock stored in its log
    /// ([`TownClock::resumed`]); a clock already running only observes it.
    pub fn resume(&self, town_id: i64, latest: Option<&Hlc>) {
        let mut towns = self
            .towns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match towns.get_mut(&town_id) {
            Some(clock) => {
                if let Some(latest) = latest {
                    clock.observe(latest, now_ms());
                }
            }
            None => {
                towns.insert(town_id, TownClock::resumed(latest, now_ms()));
            }
        }
    }

    /// A copy of the town's clock, for the push rules' clamp.
    pub fn town(&self, town_id: i64) -> TownClock {
        self.with_town(town_id, |clock| clock.clone())
    }

    /// Folds a clock the server stored for the town into that town's clock only.
    pub fn observe(&self, town_id: i64, remote: &Hlc) {
        self.with_town(town_id, |clock| clock.observe(remote, now_ms()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_phone_moves_its_own_towns_clock_only() {
        let clock = ServerClock::default();
        let ahead = Hlc {
            wall_ms: now_ms() + 4 * 60 * 1000,
            counter: 7,
            device: "phone".into(),
        };
        clock.observe(1, &ahead);
        assert!(clock.read(1) > ahead);
        let other = clock.read(2);
        assert!(other.wall_ms < ahead.wall_ms, "{other:?}");
        assert!(clock.read(2) > other, "each town's readings still increase");
    }
}
