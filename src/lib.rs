//! Arobase, the app: a Leptos client-side (CSR) application compiled to WebAssembly.
//!
//! Folders follow their role: `pages/` holds one component per route, `components/` the pieces they
//! share, `i18n/` the typed French/English catalogue,
//! `stores/` what the phone keeps (localStorage) and `flow` the order of questions. Domain rules (questionnaire, scoring) live in
//! the `diagnostic` crate, never here.

mod app;
pub mod chunks;
pub mod components;
pub mod console;
pub mod flow;
pub mod i18n;
pub mod pages;
pub mod pwa;
pub mod report;
pub mod stores;
pub mod sync;

pub use app::App;

/// The app's version, shown in « À propos » so a user can tell support what they run.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");
