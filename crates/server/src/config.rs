//! Configuration, from command-line flags or, for each flag, an environment variable (a flag
//! wins over its variable), so the same binary runs by hand, under systemd or in a container.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// Largest request body accepted, in bytes. API payloads (a town's answers) are a few kilobytes;
/// the limit only stops a client from making the server buffer arbitrary amounts of data.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// After a shutdown signal, how long in-flight requests get to finish before the server stops
/// anyway (systemd's default stop timeout is 90 s, Docker's 10 s then SIGKILL).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/arobase.sqlite";
pub const DEFAULT_DIST: &str = "dist";
pub const DEFAULT_COMMUNES: &str = crate::communes::DEFAULT_DIR;

#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(
    name = "arobase-server",
    version,
    about = "Arobase server: serves the Arobase app and its API",
    long_about = "Arobase server: serves the built Arobase app (the dist/ directory made by \
                  `make build`) and its JSON API (with sync between the phones of a town), over \
                  an embedded SQLite database or PostgreSQL.\n\n\
                  Every option can also be set through the environment variable named below it; \
                  a command-line flag wins over its variable."
)]
pub struct Config {
    /// Address and port to listen on. Use 0.0.0.0:8080 to accept connections from other machines
    /// (normally from a reverse proxy that terminates HTTPS).
    #[arg(long, env = "AROBASE_LISTEN", default_value = DEFAULT_LISTEN, value_name = "HOST:PORT")]
    pub listen: String,

    /// Database URL. sqlite://path/to/file.sqlite (relative to the working directory; the file and
    /// its directory are created when missing), or postgres://user:password@host:port/database.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true,
        value_name = "URL",
        global = true
    )]
    pub database_url: String,

    /// Directory of the built app (Trunk's output). When it is missing, the API still runs and
    /// app pages answer 503 until the app is built and the server restarted.
    #[arg(long, env = "AROBASE_DIST", default_value = DEFAULT_DIST, value_name = "DIR")]
    pub dist: PathBuf,

    /// Log format: `pretty` for people, `json` (one object per line) for log collectors. The
    /// level filter comes from RUST_LOG (default `info`).
    #[arg(long, env = "AROBASE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// Directory of the official commune list (communes.json, epci.json, departements.json of
    /// the npm package @etalab/decoupage-administratif). Imported at start when the database has
    /// no commune yet; `import-communes` refreshes it.
    #[arg(long, env = "AROBASE_COMMUNES", default_value = DEFAULT_COMMUNES, value_name = "DIR", global = true)]
    pub communes: PathBuf,

    /// Public origin of the server (https://arobase.example), used in invitation links and their
    /// QR codes. When unset, the origin the app's request names is used.
    #[arg(long, env = "AROBASE_PUBLIC_URL", value_name = "URL", global = true)]
    pub public_url: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,

    // ---- Abuse limits (`crate::limits`; docs/configuration.md) ----
    /// Anonymous creations (new town spaces, joins by invitation, operator enrolments) allowed
    /// per client address and per minute, once its burst is spent.
    #[arg(long, env = "AROBASE_ANONYMOUS_PER_MINUTE", default_value_t = DEFAULT_ANONYMOUS_PER_MINUTE, value_parser = at_least_one(), value_name = "N")]
    pub anonymous_per_minute: u32,

    /// Anonymous creations a client address may send at once before the per-minute rate applies.
    #[arg(long, env = "AROBASE_ANONYMOUS_BURST", default_value_t = DEFAULT_ANONYMOUS_BURST, value_parser = at_least_one(), value_name = "N")]
    pub anonymous_burst: u32,

    /// Invitations one device may create per minute, once its burst is spent.
    #[arg(long, env = "AROBASE_INVITES_PER_MINUTE", default_value_t = DEFAULT_INVITES_PER_MINUTE, value_parser = at_least_one(), value_name = "N")]
    pub invites_per_minute: u32,

    /// Invitations one device may create at once before the per-minute rate applies.
    #[arg(long, env = "AROBASE_INVITES_BURST", default_value_t = DEFAULT_INVITES_BURST, value_parser = at_least_one(), value_name = "N")]
    pub invites_burst: u32,

    /// Take the client's address for rate limits from the last `X-Forwarded-For` entry rather
    /// than from the connection. Only behind a reverse proxy that sets that header: otherwise any
    /// client could pick its own address.
    #[arg(long, env = "AROBASE_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Seconds a client has to send a request's headers; a connection that has not by then (a
    /// half-sent request, an idle keep-alive connection) is closed.
    #[arg(long, env = "AROBASE_HEADER_READ_TIMEOUT", default_value_t = DEFAULT_HEADER_READ_TIMEOUT_S, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
    pub header_read_timeout: u64,

    /// Seconds a request may take, body upload included, before it is answered 503.
    #[arg(long, env = "AROBASE_REQUEST_TIMEOUT", default_value_t = DEFAULT_REQUEST_TIMEOUT_S, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
    pub request_timeout: u64,

    /// Requests served at once; more are answered 503 with `Retry-After` at once.
    #[arg(long, env = "AROBASE_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), value_name = "N")]
    pub max_concurrent_requests: usize,
}

pub const DEFAULT_ANONYMOUS_PER_MINUTE: u32 = 6;
pub const DEFAULT_ANONYMOUS_BURST: u32 = 20;
pub const DEFAULT_INVITES_PER_MINUTE: u32 = 6;
pub const DEFAULT_INVITES_BURST: u32 = 20;
pub const DEFAULT_HEADER_READ_TIMEOUT_S: u64 = 10;
pub const DEFAULT_REQUEST_TIMEOUT_S: u64 = 30;
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;

fn at_least_one() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..)
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Imports (inserts or updates) the commune list into the database, then exits.
    ImportCommunes,
}

impl Default for Config {
    /// The documented defaults, without reading the command line or the environment.
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN.to_string(),
            database_url: DEFAULT_DATABASE_URL.to_string(),
            dist: PathBuf::from(DEFAULT_DIST),
            log_format: LogFormat::Pretty,
            communes: PathBuf::from(DEFAULT_COMMUNES),
            public_url: None,
            command: None,
            anonymous_per_minute: DEFAULT_ANONYMOUS_PER_MINUTE,
            anonymous_burst: DEFAULT_ANONYMOUS_BURST,
            invites_per_minute: DEFAULT_INVITES_PER_MINUTE,
            invites_burst: DEFAULT_INVITES_BURST,
            trust_forwarded_for: false,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT_S,
            request_timeout: DEFAULT_REQUEST_TIMEOUT_S,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Config::command().debug_assert();
    }

    #[test]
    fn flags_parse() {
        let config = Config::try_parse_from([
            "arobase-server",
            "--listen",
            "0.0.0.0:9000",
            "--database-url",
            "sqlite:///var/lib/arobase/db.sqlite",
            "--dist",
            "/srv/arobase/dist",
            "--log-format",
            "json",
        ])
        .unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(config.database_url, "sqlite:///var/lib/arobase/db.sqlite");
        assert_eq!(config.dist, PathBuf::from("/srv/arobase/dist"));
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn rejects_unknown_log_format() {
        let err = Config::try_parse_from(["arobase-server", "--log-format", "xml"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    }
}
