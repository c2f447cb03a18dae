//! Abuse limits: per-client rate limits on the writes anyone may send, and the transport limits
//! every request lives under (header-read and request timeouts, a concurrency cap).
//!
//! Rate limits are GCRA buckets (the `governor` crate, through `tower_governor`): a client may
//! spend a burst at once, then one request per period. They are per route group, not global:
//!
//! - [`Limits::anonymous`]: the writes that need no token and create something (a town's space,
//!   a device by invitation, an operator) share one bucket per client address, so rotating
//!   between them buys nothing. Put it on a route with one line in `router.rs`:
//!   `.route(path, post(handler).route_layer(limits.anonymous()))`.
//! - [`Limits::invites`]: invitation creation and atlas examples (the authenticated writes that
//!   create something other towns or people will read), one bucket per device token (a request
//!   without a token-shaped `Authorization` falls back to its client address, and is refused by
//!   the handler anyway).
//!
//! Pushes and pulls are deliberately not rate-limited: an honest phone catching up after weeks
//! offline sends many pushes in a row, and they are authenticated, bounded in size and already
//! serialised per town by the database.
//!
//! The client address is the TCP peer's, or with `--trust-forwarded-for` (only behind a reverse
//! proxy that sets it) the last address of `X-Forwarded-For`: the one the proxy itself saw, which
//! the client cannot forge. IPv6 clients are keyed by their /64, which one subscriber usually
//! holds whole.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::AUTHORIZATION;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::BoxError;
use governor::middleware::NoOpMiddleware;
use sha2::{Digest, Sha256};
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::auth::is_token_shaped;
use crate::config::Config;
use crate::error::ApiError;

/// How often buckets of clients that came back to full are forgotten (the limiters' memory).
const HOUSEKEEPING_PERIOD: Duration = Duration::from_secs(60);

/// `Retry-After` of a request shed because the server is at its concurrency cap.
const OVERLOADED_RETRY_AFTER_S: u64 = 2;

/// `Retry-After` of a request that ran past the request timeout.
const TIMED_OUT_RETRY_AFTER_S: u64 = 5;

/// The limits as configured (see the flags at the end of [`Config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitSettings {
    pub anonymous_per_minute: u32,
    pub anonymous_burst: u32,
    pub invites_per_minute: u32,
    pub invites_burst: u32,
    pub trust_forwarded_for: bool,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub max_concurrent_requests: usize,
}

impl LimitSettings {
    pub fn from_config(config: &Config) -> Self {
        LimitSettings {
            anonymous_per_minute: config.anonymous_per_minute,
            anonymous_burst: config.anonymous_burst,
            invites_per_minute: config.invites_per_minute,
            invites_burst: config.invites_burst,
            trust_forwarded_for: config.trust_forwarded_for,
            header_read_timeout: Duration::from_secs(config.header_read_timeout),
            request_timeout: Duration::from_secs(config.request_timeout),
            max_concurrent_requests: config.max_concurrent_requests,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings::from_config(&Config::default())
    }
}

/// What a rate limit counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// A client address (an IPv6 one cut to its /64).
    Address(IpAddr),
    /// A device, by the SHA-256 of its token (the token itself is never kept).
    Device([u8; 32]),
}

/// Finds the [`ClientKey`] of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKeys {
    trust_forwarded_for: bool,
    by_device: bool,
}

impl ClientKeys {
    /// The client's address, as [`ClientKey::Address`] keys it.
    pub fn address<T>(&self, request: &Request<T>) -> IpAddr {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let forwarded = self
            .trust_forwarded_for
            .then(|| last_forwarded_for(request))
            .flatten();
        // Without a peer address (a router driven in-process, never the real server) every such
        // request shares one bucket: stricter, never unlimited.
        let address = forwarded
            .or(peer)
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        bucket_address(address)
    }
}

impl KeyExtractor for ClientKeys {
    type Key = ClientKey;

    fn extract<T>(&self, request: &Request<T>) -> Result<ClientKey, GovernorError> {
        if self.by_device {
            if let Some(token) = bearer_token(request).filter(|token| is_token_shaped(token)) {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(&Sha256::digest(token.as_bytes()));
                return Ok(ClientKey::Device(hash));
            }
        }
        Ok(ClientKey::Address(self.address(request)))
    }
}

fn bearer_token<T>(request: &Request<T>) -> Option<&str> {
    let header = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The last entry of the last `X-Forwarded-For` header: what the nearest proxy saw. The entries
/// before it were written by the client or other proxies, and anyone can write anything there.
fn last_forwarded_for<T>(request: &Request<T>) -> Option<IpAddr> {
    let header = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?;
    let entry = header.to_str().ok()?.rsplit(',').next()?.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

/// IPv4 (also when written IPv4-mapped) as is; IPv6 cut to its /64 prefix.
fn bucket_address(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

type Bucket = GovernorConfig<ClientKeys, NoOpMiddleware>;
/// The layer [`Limits::anonymous`] and [`Limits::invites`] hand out.
pub type RateLimitLayer = GovernorLayer<ClientKeys, NoOpMiddleware, Body>;

/// The server's limits: settings and the shared rate-limit buckets.
pub struct Limits {
    pub settings: LimitSettings,
    anonymous: Arc<Bucket>,
    invites: Arc<Bucket>,
}

impl fmt::Debug for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limits")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(LimitSettings::default())
    }
}

impl Limits {
    pub fn new(settings: LimitSettings) -> Self {
        let trust_forwarded_for = settings.trust_forwarded_for;
        let anonymous = bucket(
            settings.anonymous_per_minute,
            settings.anonymous_burst,
            ClientKeys {
                trust_forwarded_for,
                by_device: false,
            },
        );
        let invites = bucket(
            settings.invites_per_minute,
            settings.invites_burst,
            ClientKeys {
                trust_forwarded_for,
                by_device: true,
            },
        );
        Limits {
            settings,
            anonymous: Arc::new(anonymous),
            invites: Arc::new(invites),
        }
    }

    /// The rate limit of anonymous creations (one bucket per client address, shared by every
    /// route it is put on).
    pub fn anonymous(&self) -> RateLimitLayer {
        layer(&self.anonymous)
    }

    /// The rate limit of invitation creation (one bucket per device token).
    pub fn invites(&self) -> RateLimitLayer {
        layer(&self.invites)
    }

    /// Forgets, once a minute, the buckets that have refilled (a client that stopped asking costs
    /// nothing anymore). Ends by itself once the limits are dropped.
    pub fn spawn_housekeeping(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let limits: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HOUSEKEEPING_PERIOD);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(limits) = limits.upgrade() else {
                    return;
                };
                for bucket in [&limits.anonymous, &limits.invites] {
                    bucket.limiter().retain_recent();
                    bucket.limiter().shrink_to_fit();
                }
            }
        })
    }
}

fn bucket(per_minute: u32, burst: u32, keys: ClientKeys) -> Bucket {
    // Both are at least 1 (the flags refuse 0), so the builder cannot fail.
    let period = Duration::from_secs(60) / per_minute.max(1);
    GovernorConfigBuilder::default()
        .period(period)
        .burst_size(burst.max(1))
        .key_extractor(keys)
        .finish()
        .expect("a rate limit with a non-zero period and burst")
}

fn layer(bucket: &Arc<Bucket>) -> RateLimitLayer {
    GovernorLayer::new(bucket.clone()).error_handler(rate_limited)
}

/// The 429 of a rate limit, with `Retry-After`.
fn rate_limited(error: GovernorError) -> Response {
    match error {
        GovernorError::TooManyRequests { wait_time, .. } => {
            // governor rounds the wait down; a client retrying after the rounded value would be
            // refused again.
            ApiError::rate_limited(wait_time + 1).into_response()
        }
        other => {
            tracing::error!(error = %other, "rate limiter failure");
            ApiError::Internal.into_response()
        }
    }
}

/// The answer of the transport layers' errors: a request shed at the concurrency cap, or past the
/// request timeout. Both are 503 with `Retry-After`, so phones retry quietly.
pub async fn transport_error(error: BoxError) -> Response {
    if error.is::<tower::load_shed::error::Overloaded>() {
        tracing::warn!("concurrency cap reached: request shed");
        ApiError::retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Le serveur est très sollicité : réessayez dans quelques secondes.",
            OVERLOADED_RETRY_AFTER_S,
        )
        .into_response()
    } else if error.is::<tower::timeout::error::Elapsed>() {
        tracing::warn!("request timed out");
        ApiError::retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "La demande a pris trop de temps : réessayez dans quelques secondes.",
            TIMED_OUT_RETRY_AFTER_S,
        )
        .into_response()
    } else {
        tracing::error!(%error, "transport layer failure");
        ApiError::Internal.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> Request<()> {
        let mut builder = Request::builder().uri("/api/towns");
        for value in forwarded {
            builder = builder.header("x-forwarded-for", *value);
        }
        let mut request = builder.body(()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        request
    }

    fn keys(trust_forwarded_for: bool) -> ClientKeys {
        ClientKeys {
            trust_forwarded_for,
            by_device: false,
        }
    }

    #[test]
    fn the_peer_address_unless_told_to_trust_the_proxy() {
        let forged = request("192.0.2.7:5000", &["203.0.113.9"]);
        assert_eq!(
            keys(false).address(&forged),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            keys(true).address(&forged),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn only_the_last_forwarded_entry_counts() {
        // The client wrote the first entries; the proxy appended what it saw.
        let request = request(
            "10.0.0.1:5000",
            &["1.1.1.1, 2.2.2.2", "198.51.100.4, 203.0.113.9"],
        );
        assert_eq!(
            keys(true).address(&request),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let garbage = self::request("10.0.0.1:5000", &["not an address"]);
        assert_eq!(
            keys(true).address(&garbage),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let one = request("[2001:db8:1:2:aaaa::1]:5000", &[]);
        let other = request("[2001:db8:1:2:bbbb::9]:5000", &[]);
        assert_eq!(keys(false).address(&one), keys(false).address(&other));
        let mapped = request("[::ffff:192.0.2.7]:5000", &[]);
        assert_eq!(
            keys(false).address(&mapped),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn invitations_count_by_device_token() {
        let by_device = ClientKeys {
            trust_forwarded_for: false,
            by_device: true,
        };
        let (token, _) = crate::auth::new_token().unwrap();
        let mut with_token = request("192.0.2.7:5000", &[]);
        with_token
            .headers_mut()
            .insert(AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        assert!(matches!(
            by_device.extract(&with_token).unwrap(),
            ClientKey::Device(_)
        ));
        let anonymous = request("192.0.2.7:5000", &[]);
        assert!(matches!(
            by_device.extract(&anonymous).unwrap(),
            ClientKey::Address(_)
        ));
    }
}
