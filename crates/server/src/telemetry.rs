//! Logging setup: structured events through `tracing`, human-readable or JSON lines.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Filter used when `RUST_LOG` is unset or unreadable.
const DEFAULT_FILTER: &str = "info";

/// Installs the global subscriber. Logs go to stderr so that stdout carries only the one line
/// announcing the URL, which scripts and tests read.
pub fn init(format: LogFormat) {
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(spec) => match EnvFilter::try_new(&spec) {
            Ok(filter) => (filter, None),
            Err(err) => (EnvFilter::new(DEFAULT_FILTER), Some((spec, err))),
        },
        Err(_) => (EnvFilter::new(DEFAULT_FILTER), None),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `try_init`: a second call (tests, embedding) keeps the first subscriber instead of panicking.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Some((spec, err)) = bad_filter {
        tracing::warn!(rust_log = %spec, error = %err, "RUST_LOG is invalid; using `info`");
    }
}
