//! State that outlives a page: the answers and settings kept on the phone.
//!
//! `schema` is the pure storage format (tested natively); `browser` is the thin layer over
//! `localStorage` and other browser APIs; `local` is the reactive store the pages share through
//! context; `network` keeps the figures of comparable towns for offline comparison; `atlas` is
//! the offline copy of the action atlas.

pub mod atlas;
pub mod browser;
pub mod local;
pub mod network;
pub mod schema;

pub use local::{provide_local_store, use_local_store, LocalStore, Notice, SaveFailure, SaveState};
pub use network::{use_network_store, NetworkStore};
