//! The results as things to draw and files to download: radar geometry and CSV/JSON export.
//! Pure (no browser API), so every rule is tested natively.

pub mod chart;
pub mod csv;
pub mod export;
