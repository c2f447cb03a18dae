//! Pieces shared by several pages.

pub mod confirm_dialog;
pub mod invite_card;
pub mod layout;
pub mod page_heading;
pub mod results;
pub mod save_status;
pub mod storage_notices;
pub mod sync_status;
pub mod theme_list;
