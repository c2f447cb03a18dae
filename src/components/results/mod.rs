//! The pieces of the results screen.

pub mod action_plan;
pub mod atlas;
pub mod baseline;
pub mod campaign;
pub mod compare;
pub mod explain;
pub mod radar;
pub mod section;
pub mod top_actions;
