//! Configuration, from command-line flags or, for each flag, an environment variable (a flag
//! wins over its variable), so the same binary runs by hand, under systemd or in a container.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use diagnostic::association::TownSpaces;

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
/// About 18 months: devices unseen this long are removed.
pub const DEFAULT_DEVICE_RETENTION_DAYS: u32 = 548;
/// How long a rejected space's data is kept before it is purged.
pub const DEFAULT_REJECTED_RETENTION_DAYS: u32 = 30;

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
    #[arg(long, env = "AROBASE_LISTEN", default_value = DEFAULT_LISTEN, value_name = "HOST:PORT", global = true)]
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

    /// How new town spaces are treated: `approval` (an association hosting many towns: a new
    /// space is pending until an operator verifies it, and a second claim for a commune becomes
    /// an access request) or `open` (a commune hosting its own server: spaces are verified at
    /// creation, a second claim is refused).
    #[arg(long, env = "AROBASE_TOWN_SPACES", default_value = "approval", value_parser = parse_town_spaces, value_name = "MODE")]
    pub town_spaces: TownSpaces,

    /// Devices unseen for this many days are removed (their answers stay).
    #[arg(long, env = "AROBASE_DEVICE_RETENTION_DAYS", default_value_t = DEFAULT_DEVICE_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..), value_name = "DAYS")]
    pub device_retention_days: u32,

    /// A rejected space's data is purged this many days after its rejection.
    #[arg(long, env = "AROBASE_REJECTED_RETENTION_DAYS", default_value_t = DEFAULT_REJECTED_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..), value_name = "DAYS")]
    pub rejected_retention_days: u32,

    /// The host's name, for the privacy and legal notices (« Association des petites villes de
    /// France »).
    #[arg(long, env = "AROBASE_HOST_NAME", value_name = "TEXT")]
    pub host_name: Option<String>,

    /// The host's postal address, for the legal notice.
    #[arg(long, env = "AROBASE_HOST_ADDRESS", value_name = "TEXT")]
    pub host_address: Option<String>,

    /// Where people write to exercise their rights or report an accessibility problem (an
    /// e-mail address).
    #[arg(long, env = "AROBASE_HOST_CONTACT", value_name = "TEXT")]
    pub host_contact: Option<String>,

    /// The publication director named in the legal notice.
    #[arg(long, env = "AROBASE_PUBLICATION_DIRECTOR", value_name = "TEXT")]
    pub publication_director: Option<String>,

    /// Address and port of a second listener serving only GET /metrics (Prometheus text
    /// format): requests by route and status, latencies, pushes, operations stored, live
    /// streams, database pools. Off unless set; never served on --listen. Keep it private
    /// (127.0.0.1, or a network only the monitoring reaches): it has no authentication.
    #[arg(long, env = "AROBASE_METRICS_LISTEN", value_name = "HOST:PORT")]
    pub metrics_listen: Option<String>,

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

    /// Seconds between two publication rounds of the network's figures (the first runs at
    /// start). Rounds are rare on purpose: each one is a publication the ledger must keep safe
    /// from differencing. Lower it only for tests and demonstrations.
    #[arg(long, env = "AROBASE_PUBLICATION_INTERVAL_SECS", default_value_t = DEFAULT_PUBLICATION_INTERVAL_S, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
    pub publication_interval_secs: u64,

    /// Live update streams (`GET /api/sync/events`) one town may hold at once (one per device).
    #[arg(long, env = "AROBASE_LIVE_PER_TOWN", default_value_t = crate::live::DEFAULT_LIVE_PER_TOWN, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), value_name = "N")]
    pub live_per_town: usize,

    /// Live update streams the server holds at once (each is an open connection, hence a file
    /// descriptor: keep it well under `ulimit -n`); beyond, phones poll instead.
    #[arg(long, env = "AROBASE_LIVE_STREAMS", default_value_t = crate::live::DEFAULT_LIVE_TOTAL, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..), value_name = "N")]
    pub live_streams: usize,

    /// Seconds a live update stream lasts before the server ends it (the phone reconnects).
    #[arg(long, env = "AROBASE_LIVE_MAX_AGE", default_value_t = crate::live::DEFAULT_LIVE_MAX_AGE_S, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
    pub live_max_age: u64,
}

pub const DEFAULT_ANONYMOUS_PER_MINUTE: u32 = 6;
pub const DEFAULT_ANONYMOUS_BURST: u32 = 20;
pub const DEFAULT_INVITES_PER_MINUTE: u32 = 6;
pub const DEFAULT_INVITES_BURST: u32 = 20;
pub const DEFAULT_HEADER_READ_TIMEOUT_S: u64 = 10;
pub const DEFAULT_REQUEST_TIMEOUT_S: u64 = 30;
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;
/// One hour: [`crate::network::PUBLICATION_INTERVAL`].
pub const DEFAULT_PUBLICATION_INTERVAL_S: u64 = crate::network::PUBLICATION_INTERVAL.as_secs();

fn at_least_one() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..)
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Imports (inserts or updates) the commune list into the database, then exits.
    ImportCommunes,
    /// Manages the operators (people of the hosting association), then exits.
    Operator {
        #[command(subcommand)]
        action: OperatorCommand,
    },
    /// Copies the SQLite database to FILE while the server may be serving it (a consistent
    /// snapshot), then prints the file, its size and the database's epoch. For PostgreSQL use
    /// pg_dump (docs/operations.md).
    Backup {
        /// The backup to write; never overwritten when it exists.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// With the server stopped: replaces the SQLite database by the backup FILE (the replaced
    /// files are kept as <database>.replaced-<UTC time>), migrates it and starts a new epoch, so
    /// that phones re-send what the backup lacks. Prints the new epoch.
    Restore {
        /// A backup made by `backup`.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Restore even though the database's write-ahead log is not empty (a server that
        /// crashed); never while a server runs on it.
        #[arg(long)]
        force: bool,
    },
    /// Starts a new epoch, as a restore does: after restoring by other means (pg_restore).
    /// Prints it.
    NewEpoch,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum OperatorCommand {
    /// Adds an operator and prints their one-time enrolment link (valid 7 days) on stdout.
    Add {
        /// Their name, as the audit log shows it.
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// Lists the operators: id, name, e-mail, state (tab-separated).
    List,
    /// Removes an operator: their browsers are signed out, their links stop working.
    Remove {
        #[arg(long)]
        id: i64,
    },
}

fn parse_town_spaces(text: &str) -> Result<TownSpaces, String> {
    [TownSpaces::Approval, TownSpaces::Open]
        .into_iter()
        .find(|mode| mode.as_str() == text)
        .ok_or_else(|| format!("`{text}` is not a mode: use `approval` or `open`"))
}

impl Config {
    /// The live streams' limits.
    pub fn live_settings(&self) -> crate::live::LiveSettings {
        crate::live::LiveSettings {
            per_town: self.live_per_town,
            total: self.live_streams,
            max_age: std::time::Duration::from_secs(self.live_max_age),
            ..crate::live::LiveSettings::default()
        }
    }

    /// What `GET /api/host` says, from the flags.
    pub fn host_info(&self) -> diagnostic::association::HostInfo {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
        };
        diagnostic::association::HostInfo {
            name: text(&self.host_name),
            address: text(&self.host_address),
            contact: text(&self.host_contact),
            publication_director: text(&self.publication_director),
            town_spaces: self.town_spaces,
            device_retention_days: self.device_retention_days,
            rejected_retention_days: self.rejected_retention_days,
        }
    }

    /// The origin of links printed on the command line: `--public-url`, else the listen
    /// address.
    pub fn command_line_origin(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }
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
            town_spaces: TownSpaces::Approval,
            device_retention_days: DEFAULT_DEVICE_RETENTION_DAYS,
            rejected_retention_days: DEFAULT_REJECTED_RETENTION_DAYS,
            host_name: None,
            host_address: None,
            host_contact: None,
            publication_director: None,
            command: None,
            anonymous_per_minute: DEFAULT_ANONYMOUS_PER_MINUTE,
            anonymous_burst: DEFAULT_ANONYMOUS_BURST,
            invites_per_minute: DEFAULT_INVITES_PER_MINUTE,
            invites_burst: DEFAULT_INVITES_BURST,
            trust_forwarded_for: false,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT_S,
            request_timeout: DEFAULT_REQUEST_TIMEOUT_S,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            publication_interval_secs: DEFAULT_PUBLICATION_INTERVAL_S,
            live_per_town: crate::live::DEFAULT_LIVE_PER_TOWN,
            live_streams: crate::live::DEFAULT_LIVE_TOTAL,
            live_max_age: crate::live::DEFAULT_LIVE_MAX_AGE_S,
            metrics_listen: None,
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
    fn association_flags_parse() {
        let config = Config::try_parse_from(["arobase-server"]).unwrap();
        assert_eq!(config.town_spaces, TownSpaces::Approval);
        assert_eq!(config.device_retention_days, 548);
        assert_eq!(config.rejected_retention_days, 30);
        let config = Config::try_parse_from([
            "arobase-server",
            "--town-spaces",
            "open",
            "--device-retention-days",
            "90",
            "--host-name",
            "APVF",
            "operator",
            "add",
            "--name",
            "Claire",
        ])
        .unwrap();
        assert_eq!(config.town_spaces, TownSpaces::Open);
        assert_eq!(config.device_retention_days, 90);
        assert_eq!(config.host_info().name.as_deref(), Some("APVF"));
        assert_eq!(
            config.command,
            Some(Command::Operator {
                action: OperatorCommand::Add {
                    name: "Claire".into(),
                    email: None
                }
            })
        );
        let restore = Config::try_parse_from([
            "arobase-server",
            "restore",
            "--from",
            "/srv/backups/a.sqlite",
            "--force",
        ])
        .unwrap();
        assert_eq!(
            restore.command,
            Some(Command::Restore {
                from: "/srv/backups/a.sqlite".into(),
                force: true
            })
        );
        assert!(Config::try_parse_from(["arobase-server", "backup"]).is_err());
        for bad in [
            ["--town-spaces", "closed"],
            ["--device-retention-days", "0"],
        ] {
            assert!(Config::try_parse_from(["arobase-server", bad[0], bad[1]]).is_err());
        }
    }

    #[test]
    fn rejects_unknown_log_format() {
        let err = Config::try_parse_from(["arobase-server", "--log-format", "xml"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    }
}
