//! Arobase server: serves the built app (`dist/`) and the JSON API over an embedded database.
//!
//! ```no_run
//! # async fn run() -> Result<(), server::ServerError> {
//! let config = server::Config::default();
//! let (addr, handle) = server::Server::bind(&config).await?;
//! println!("listening on http://{addr}");
//! handle.run_until(server::shutdown_signal()).await
//! # }
//! ```
//!
//! Layout (after Atuin's server): `router.rs` lists every route, `handlers/` holds one module per
//! resource, `storage/` one module per database backend behind the [`storage::Storage`] trait.

pub mod assets;
pub mod auth;
pub mod backup;
pub mod clock;
pub mod communes;
pub mod config;
pub mod encoding;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod invite;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod network;
pub mod operators;
pub mod retention;
pub mod router;
pub mod security;
pub mod shells;
pub mod storage;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use diagnostic::association::HostInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt as _;

pub use config::{Config, LogFormat};
pub use error::{ApiError, ServerError};
pub use storage::{Database, Storage};

use assets::AppFiles;
use clock::ServerClock;
use config::SHUTDOWN_GRACE;
use limits::{LimitSettings, Limits};
use live::{LiveHub, LiveSettings};

/// What handlers share: the database, the app files loaded at start, the server's clock.
#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Database,
    pub app: Arc<AppFiles>,
    pub clock: Arc<ServerClock>,
    /// `--public-url`, for invitation links.
    pub public_url: Option<String>,
    /// The host's notices, the town-spaces mode and the retention periods (`GET /api/host`).
    pub host: Arc<HostInfo>,
    /// Rate limits and transport limits (the flags at the end of [`Config`]).
    pub limits: Arc<Limits>,
    /// What the network routes and the publication task keep between calls ([`network`]).
    pub network: Arc<network::NetworkCache>,
    /// Who listens to which town's log (`GET /api/sync/events`).
    pub live: Arc<LiveHub>,
    /// Counters and histograms behind `/metrics` (served on `--metrics-listen` only).
    pub metrics: Arc<metrics::Metrics>,
    /// The database's epoch, read once at start: restores happen with the server stopped
    /// ([`backup`]).
    pub epoch: Arc<storage::Epoch>,
}

impl AppState {
    pub fn new(storage: Database, app: AppFiles) -> Self {
        AppState {
            storage,
            app: Arc::new(app),
            clock: Arc::new(ServerClock::default()),
            public_url: None,
            host: Arc::new(HostInfo::default()),
            limits: Arc::new(Limits::default()),
            network: Arc::default(),
            live: Arc::new(LiveHub::default()),
            metrics: Arc::default(),
            epoch: Arc::default(),
        }
    }

    pub fn with_epoch(mut self, epoch: storage::Epoch) -> Self {
        self.epoch = Arc::new(epoch);
        self
    }

    pub fn with_host(mut self, host: HostInfo) -> Self {
        self.host = Arc::new(host);
        self
    }

    pub fn with_public_url(mut self, public_url: Option<String>) -> Self {
        self.public_url = public_url;
        self
    }

    pub fn with_limits(mut self, settings: LimitSettings) -> Self {
        self.limits = Arc::new(Limits::new(settings));
        self
    }

    pub fn with_live(mut self, settings: LiveSettings) -> Self {
        self.live = Arc::new(LiveHub::new(settings));
        self
    }
}

/// Entry point for starting the server.
pub struct Server;

impl Server {
    /// Opens and migrates the database, binds the listener, loads the app files, then serves in
    /// a background task. Returns the bound address (useful with port 0) and a handle to stop it.
    ///
    /// Imports the commune list first when the database has none (see [`communes`]).
    ///
    /// Fails with a [`ServerError`] whose source chain says what went wrong: an unusable
    /// `DATABASE_URL`, an unreadable commune list, a port in use, an unreadable app file. A missing or incomplete `dist/` is
    /// not an error: the API runs and app paths answer 503.
    pub async fn bind(config: &Config) -> Result<(SocketAddr, ServerHandle), ServerError> {
        let storage = Database::connect(&config.database_url).await?;
        if let Err(err) = communes::import_if_empty(&storage, &config.communes).await {
            storage.close().await;
            return Err(err.into());
        }
        match Self::start(config, storage.clone()).await {
            Ok(started) => Ok(started),
            Err(err) => {
                storage.close().await;
                Err(err)
            }
        }
    }

    async fn start(
        config: &Config,
        storage: Database,
    ) -> Result<(SocketAddr, ServerHandle), ServerError> {
        // Bind before the slow part (compression) so that a port already in use fails at once;
        // connections arriving meanwhile wait in the listen backlog.
        let listener =
            TcpListener::bind(&config.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.listen.clone(),
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.listen.clone(),
            source,
        })?;

        let metrics_listener = match &config.metrics_listen {
            Some(metrics_addr) => Some(TcpListener::bind(metrics_addr).await.map_err(
                |source| ServerError::Bind {
                    addr: metrics_addr.clone(),
                    source,
                },
            )?),
            None => None,
        };
        let metrics_addr = match &metrics_listener {
            Some(listener) => Some(listener.local_addr().map_err(|source| ServerError::Bind {
                addr: config.metrics_listen.clone().unwrap_or_default(),
                source,
            })?),
            None => None,
        };

        let app = assets::load(config.dist.clone()).await?;
        if let AppFiles::NotBuilt { reason } = &app {
            tracing::warn!(
                %reason,
                "app not built: serving the API only, app pages answer 503 (run `make build`)"
            );
        }
        // While nobody has enrolled as an operator, each start prints a fresh link for the first.
        let origin = match &config.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{addr}"),
        };
        let first_operator_link = operators::bootstrap(&storage, &origin)
            .await
            .map_err(|err| match err {
                operators::OperatorError::Storage(err) => ServerError::Storage(err),
                other => ServerError::Operators(other.to_string()),
            })?;

        let epoch = storage.epoch().await?;
        tracing::info!(epoch = %epoch.id, restored_ms = ?epoch.restored_ms, "database epoch");
        let host = config.host_info();
        let settings = LimitSettings::from_config(config);
        let header_read_timeout = settings.header_read_timeout;
        let state = AppState::new(storage.clone(), app)
            .with_public_url(config.public_url.clone())
            .with_host(host.clone())
            .with_limits(settings)
            .with_live(config.live_settings())
            .with_epoch(epoch);
        let live = state.live.clone();
        let housekeeping = state.limits.spawn_housekeeping();
        let network_cache = state.network.clone();
        let metrics_router = metrics::router(state.clone());
        let router = router::router(state);

        let (shutdown, shutdown_rx) = watch::channel(false);
        let metrics = metrics_listener.map(|listener| {
            let mut stop = shutdown_rx.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, metrics_router)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|stop| *stop).await;
                    })
                    .await;
                if let Err(err) = served {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            })
        });
        if let Some(metrics_addr) = metrics_addr {
            tracing::info!(%metrics_addr, "metrics served on http://{metrics_addr}/metrics");
        }
        let retention = retention::spawn(storage.clone(), host, shutdown_rx.clone());
        let publication = network::spawn(
            storage.clone(),
            network_cache.clone(),
            std::time::Duration::from_secs(config.publication_interval_secs),
            shutdown_rx.clone(),
        );
        let storage_for_serve = storage.clone();
        let task = tokio::spawn(async move {
            let result = serve(
                listener,
                router,
                shutdown_rx,
                storage_for_serve,
                header_read_timeout,
                live,
            )
            .await;
            housekeeping.abort();
            result
        });
        tracing::info!(%addr, database = storage.backend(), "server started");
        Ok((
            addr,
            ServerHandle {
                addr,
                shutdown,
                task,
                retention,
                publication,
                storage,
                network: network_cache,
                first_operator_link,
                metrics_addr,
                metrics,
            },
        ))
    }
}

/// A running server. Dropping it also shuts the server down gracefully, so a test that forgets
/// to stop its server does not leak it.
#[must_use = "dropping the handle shuts the server down"]
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Result<(), ServerError>>,
    /// The retention task ([`retention`]); it stops with the server.
    retention: JoinHandle<()>,
    /// The publication task ([`network`]); it stops with the server.
    publication: JoinHandle<()>,
    storage: Database,
    network: Arc<network::NetworkCache>,
    first_operator_link: Option<String>,
    /// The metrics listener's address and task, with `--metrics-listen`.
    metrics_addr: Option<SocketAddr>,
    metrics: Option<JoinHandle<()>>,
}

impl ServerHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where `GET /metrics` is served (`--metrics-listen`), when it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The one-time enrolment link of the first operator, made at start when nobody has enrolled
    /// (`main` prints it after the listening address).
    pub fn first_operator_link(&self) -> Option<&str> {
        self.first_operator_link.as_deref()
    }

    /// What the server's publication task and network routes keep in memory: a pass run with
    /// it ([`network::run_once_with`]) is the one the server would run.
    pub fn network(&self) -> &network::NetworkCache {
        &self.network
    }

    /// The server's database (tests read pragmas through it; ops tooling may too).
    pub fn storage(&self) -> &Database {
        &self.storage
    }

    /// Starts a graceful shutdown and returns at once: the listener stops accepting, in-flight
    /// requests finish (up to [`SHUTDOWN_GRACE`]), then the database pool is closed.
    pub fn trigger_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Shuts down gracefully and waits until the server has stopped and the pool is closed.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        self.trigger_shutdown();
        let ServerHandle {
            task,
            shutdown,
            retention,
            publication,
            metrics,
            ..
        } = self;
        // Scrapes are instant reads: nothing to finish.
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        // A pass in progress is one transaction per town: dropping it rolls the current one back.
        retention.abort();
        // A pass in progress writes each ledger in one statement: aborting loses nothing.
        publication.abort();
        let result = task.await;
        drop(shutdown);
        result.map_err(|_| ServerError::Panicked)?
    }

    /// Serves until `signal` completes, then shuts down gracefully; returns early with the error
    /// if the server fails on its own.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> Result<(), ServerError> {
        let stopped_on_its_own = tokio::select! {
            () = signal => None,
            result = &mut self.task => Some(result),
        };
        match stopped_on_its_own {
            Some(result) => result.map_err(|_| ServerError::Panicked)?,
            None => self.shutdown().await,
        }
    }
}

/// Serves HTTP/1.1 on `listener` until `shutdown`, then drains in-flight requests (up to
/// [`SHUTDOWN_GRACE`]) and closes the database.
///
/// hyper directly rather than `axum::serve`, which cannot set a header-read timeout: without one
/// a client sending half a request holds its connection (and a file descriptor) forever. HTTP/1
/// only: browsers speak HTTP/2 only over TLS, which the reverse proxy terminates, and the proxy
/// speaks HTTP/1.1 to us; cleartext HTTP/2 would only add connections without such a timeout.
async fn serve(
    mut listener: TcpListener,
    router: axum::Router,
    mut shutdown: watch::Receiver<bool>,
    storage: Database,
    header_read_timeout: std::time::Duration,
    live: Arc<LiveHub>,
) -> Result<(), ServerError> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connections = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            // axum's accept loop: retries on per-connection errors, backs off when out of
            // file descriptors.
            accepted = axum::serve::Listener::accept(&mut listener) => accepted,
            // A dropped sender (`wait_for` error) counts as a shutdown request too.
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        // The peer address, for rate limits (what `into_make_service_with_connect_info` does).
        let service = router
            .clone()
            .map_request(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                // Header-read timeouts, clients going away: routine, not worth more than debug.
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    // Live streams never finish by themselves: end them, or the grace period would be spent
    // waiting for them.
    live.close();
    tracing::info!("shutting down: finishing in-flight requests");
    let result = tokio::select! {
        () = connections.shutdown() => Ok(()),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!(
                grace_s = SHUTDOWN_GRACE.as_secs(),
                "requests still in flight after the grace period; stopping anyway"
            );
            Ok(())
        }
    };
    // Closing waits for borrowed connections; a request abandoned past the grace period could
    // hold one forever, so this wait is bounded too (and short: the grace period is spent).
    match tokio::time::timeout(DATABASE_CLOSE_TIMEOUT, storage.close()).await {
        Ok(()) => tracing::info!("server stopped; database closed"),
        Err(_) => tracing::warn!("server stopped; database connections still in use, not closed"),
    }
    result
}

/// See [`serve`]: how long closing the database may take once the server has stopped.
const DATABASE_CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Completes on SIGINT (Ctrl-C) or SIGTERM (systemd, Docker, Kubernetes stop).
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

/// `err` and its sources, `: `-separated, for one-line error reports.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
