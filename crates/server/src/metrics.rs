//! `GET /metrics` in Prometheus text format, served only on its own listen address
//! (`--metrics-listen`, off unless set), never on the public one: the figures (towns' activity,
//! pool saturation) are for the host's monitoring, not for the Internet.
//!
//! One registry per server (the `prometheus` crate's), not a process-wide one: tests boot several
//! servers in one process, and each must count its own requests.
//!
//! | metric                                        | type      | labels                  |
//! |-----------------------------------------------|-----------|-------------------------|
//! | `arobase_http_requests_total`                 | counter   | `method`, `route`, `status` |
//! | `arobase_http_request_duration_seconds`       | histogram | `method`, `route`       |
//! | `arobase_sync_pushes_total`                   | counter   | `outcome`               |
//! | `arobase_sync_operations_stored_total`        | counter   |                         |
//! | `arobase_live_streams`                        | gauge     |                         |
//! | `arobase_db_pool_connections`                 | gauge     | `pool`, `state`         |
//! | `arobase_group_commit_transactions_total`     | counter   |                         |
//! | `arobase_group_commit_pushes_total`           | counter   |                         |
//!
//! `route` is the matched route's template (`/api/devices/{id}`), never the raw path, so the
//! number of series stays bounded whatever clients ask: `app` for the app's files, `unmatched`
//! for unknown API paths. `method` is one of the standard methods or `other`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::AppState;

/// The path of the metrics on the metrics listener.
pub const PATH: &str = "/metrics";

/// How a push ended, for `arobase_sync_pushes_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Committed (new operations, retries, or both).
    Stored,
    /// Refused by the push rules (bad batch, an id already stored with other content).
    Refused,
    /// The device was removed.
    Revoked,
}

impl PushOutcome {
    fn label(self) -> &'static str {
        match self {
            PushOutcome::Stored => "stored",
            PushOutcome::Refused => "refused",
            PushOutcome::Revoked => "revoked",
        }
    }
}

/// The server's metrics. Counters move as requests are served; gauges read the live streams and
/// the database pools when scraped.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    pushes: IntCounterVec,
    ops_stored: IntCounter,
    live_streams: IntGauge,
    pool: IntGaugeVec,
    group_transactions: IntCounter,
    group_pushes: IntCounter,
    /// Scrapes update the gauges then encode: one at a time, so each reads its own update.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        // The names and labels are constants: registering them cannot fail but by a bug here,
        // which every test booting a server would show.
        fn registered<M: prometheus::core::Collector + Clone + 'static>(
            registry: &Registry,
            metric: prometheus::Result<M>,
        ) -> M {
            let metric = metric.expect("a valid metric definition");
            registry
                .register(Box::new(metric.clone()))
                .expect("each metric registered once");
            metric
        }
        let requests = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "arobase_http_requests_total",
                    "HTTP requests answered, by method, route template and status.",
                ),
                &["method", "route", "status"],
            ),
        );
        let duration = registered(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "arobase_http_request_duration_seconds",
                    "Time to answer a request (until its headers), by method and route template.",
                )
                .buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    30.0,
                ]),
                &["method", "route"],
            ),
        );
        let pushes = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "arobase_sync_pushes_total",
                    "Pushes by outcome: stored, refused by the push rules, revoked (device removed).",
                ),
                &["outcome"],
            ),
        );
        let ops_stored = registered(
            &registry,
            IntCounter::new(
                "arobase_sync_operations_stored_total",
                "Operations newly stored by pushes (retries of stored ones not counted).",
            ),
        );
        let live_streams = registered(
            &registry,
            IntGauge::new(
                "arobase_live_streams",
                "Live update streams (GET /api/sync/events) open now.",
            ),
        );
        let pool = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "arobase_db_pool_connections",
                    "Database connections by pool (writer, reader; postgres) and state (open, \
                     idle).",
                ),
                &["pool", "state"],
            ),
        );
        let group_transactions = registered(
            &registry,
            IntCounter::new(
                "arobase_group_commit_transactions_total",
                "Transactions of the group-commit writer (SQLite): one commit each.",
            ),
        );
        let group_pushes = registered(
            &registry,
            IntCounter::new(
                "arobase_group_commit_pushes_total",
                "Pushes those transactions carried: divided by the transactions, the mean batch.",
            ),
        );
        Metrics {
            registry,
            requests,
            duration,
            pushes,
            ops_stored,
            live_streams,
            pool,
            group_transactions,
            group_pushes,
            scrape: Mutex::new(()),
        }
    }

    /// A push's outcome, and how many operations it newly stored.
    pub fn push(&self, outcome: PushOutcome, inserted: usize) {
        self.pushes.with_label_values(&[outcome.label()]).inc();
        self.ops_stored.inc_by(inserted as u64);
    }

    fn request(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.duration
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// The text exposition, gauges read now.
    fn render(&self, state: &AppState) -> Result<String, prometheus::Error> {
        let _one_at_a_time = self
            .scrape
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.live_streams
            .set(i64::try_from(state.live.open_streams()).unwrap_or(i64::MAX));
        for pool in state.storage.pools() {
            self.pool
                .with_label_values(&[pool.name, "open"])
                .set(i64::from(pool.size));
            self.pool
                .with_label_values(&[pool.name, "idle"])
                .set(i64::try_from(pool.idle).unwrap_or(i64::MAX));
        }
        if let Some(stats) = state.storage.group_commit() {
            use std::sync::atomic::Ordering::Relaxed;
            // Mirrors of the writer's own counters, which only grow.
            let catch_up = |counter: &IntCounter, total: u64| {
                counter.inc_by(total.saturating_sub(counter.get()));
            };
            catch_up(&self.group_transactions, stats.batches.load(Relaxed));
            catch_up(&self.group_pushes, stats.pushes.load(Relaxed));
        }
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        String::from_utf8(text).map_err(|err| prometheus::Error::Msg(err.to_string()))
    }
}

/// Counts every request by method, route template and final status, with its latency. Sits
/// outside the transport limits, so that load shedding (503) and timeouts are counted too.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_string(),
        None if request.uri().path().starts_with("/api/") => "unmatched".to_string(),
        None => "app".to_string(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.request(
        method,
        &route,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The router of the metrics listener: `GET /metrics` and nothing else.
pub fn router(state: AppState) -> Router {
    Router::new().route(PATH, get(scrape)).with_state(state)
}

async fn scrape(State(state): State<AppState>) -> Response {
    match state.metrics.render(&state) {
        Ok(text) => (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "cannot encode the metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
