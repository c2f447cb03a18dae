//! Syncing this phone's answers with the town's space on the server (see `docs/sync.md`): the
//! HTTP calls (`api`) and the engine that decides when to push and pull (`engine`).

pub mod api;
pub mod engine;
pub mod network;

pub use engine::{provide_sync, use_sync, SyncEngine, SyncStatus, SKEW_WARNING_MS};
