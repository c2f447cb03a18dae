//! One component per route; `app.rs` maps paths to them.

pub mod about;
pub mod conflicts;
pub mod home;
pub mod join;
pub mod legal;
pub mod not_found;
pub mod question;
pub mod questionnaire;
pub mod results;
pub mod settings;
pub mod theme;
pub mod town;
