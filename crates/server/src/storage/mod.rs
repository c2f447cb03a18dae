//! Persistence behind one trait, with one module per database backend.
//!
//! SQLite (embedded, zero setup) is the default for a town hall's small server; PostgreSQL serves
//! large shared deployments, where several server instances may share one database. Handlers
//! only see [`Storage`], and [`Database`] picks the backend from the `DATABASE_URL` scheme.
//!
//! The SQL of both backends is one text, `queries.rs`, compiled once per backend (it is
//! `include!`d by `sqlite.rs` and `postgres.rs` with their own `Db` type): both speak the same SQL
//! here (`$1` parameters, `RETURNING`, `ON CONFLICT`), and runtime queries keep the build free of
//! any live database.

pub mod postgres;
pub mod sqlite;

use std::future::Future;
use std::path::PathBuf;

use diagnostic::sync::{CommuneMatch, Device, Operation, Town};

pub use postgres::PgStorage;
pub use sqlite::SqliteStorage;

/// What every backend provides. Methods return `Send` futures so handlers stay `Send`.
///
/// Times are Unix milliseconds. Each writing method is one transaction: it either happens whole
/// or not at all.
pub trait Storage: Send + Sync {
    /// Backend name as reported by `/api/health` (`"sqlite"` or `"postgres"`).
    fn backend(&self) -> &'static str;

    /// A trivial round trip proving the database answers.
    fn ping(&self) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Waits for checked-out connections to be returned, then closes them all. Idempotent.
    fn close(&self) -> impl Future<Output = ()> + Send;

    /// How many communes are loaded.
    fn communes_count(&self) -> impl Future<Output = Result<u64, StorageError>> + Send;

    /// Inserts or updates every commune, in one transaction; returns how many were written.
    fn import_communes(
        &self,
        communes: &[CommuneRow],
    ) -> impl Future<Output = Result<usize, StorageError>> + Send;

    /// Communes matching `query`, best first.
    fn search_communes(
        &self,
        query: &CommuneQuery,
    ) -> impl Future<Output = Result<Vec<CommuneMatch>, StorageError>> + Send;

    /// Creates the space of `commune` with its first device.
    fn create_town(
        &self,
        commune: &str,
        device: &NewDevice,
    ) -> impl Future<Output = Result<CreateTownOutcome, StorageError>> + Send;

    /// A town and its commune.
    fn town(&self, town_id: i64)
        -> impl Future<Output = Result<Option<Town>, StorageError>> + Send;

    /// The device holding the token whose SHA-256 (hex) is `token_hash`, revoked or not.
    fn authenticate(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<AuthDevice>, StorageError>> + Send;

    /// Records that the device was just seen.
    fn touch_device(
        &self,
        device_id: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Every device of the town, removed ones included, oldest first (`current` unset).
    fn devices(
        &self,
        town_id: i64,
    ) -> impl Future<Output = Result<Vec<Device>, StorageError>> + Send;

    /// Removes (« retire ») a device of the town; never the town's last active one.
    fn revoke_device(
        &self,
        town_id: i64,
        device_id: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<RevokeOutcome, StorageError>> + Send;

    /// Stores an invitation; `false` when its code prefix is already used by a live code (the
    /// caller draws another code).
    fn create_invite(
        &self,
        invite: &NewInvite,
        max_attempts: i64,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;

    /// Redeems the invitation whose link secret hashes to `secret_hash`, enrolling `device`.
    fn redeem_link(
        &self,
        secret_hash: &str,
        device: &NewDevice,
    ) -> impl Future<Output = Result<RedeemOutcome, StorageError>> + Send;

    /// Redeems the live invitation identified by `prefix` if `code_hash` matches its code,
    /// enrolling `device`; a mismatch counts one attempt, and `max_attempts` lock the code.
    fn redeem_code(
        &self,
        prefix: &str,
        code_hash: &str,
        device: &NewDevice,
        max_attempts: i64,
    ) -> impl Future<Output = Result<RedeemOutcome, StorageError>> + Send;

    /// Appends a batch to the town's log in one transaction, idempotently (see [`PushOutcome`]).
    fn push(
        &self,
        town_id: i64,
        device_id: &str,
        ops: &[NewOp],
        now_ms: i64,
    ) -> impl Future<Output = Result<PushOutcome, StorageError>> + Send;

    /// Up to `limit` operations of the town with a sequence number above `after`, in order.
    fn pull(
        &self,
        town_id: i64,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<PulledOps, StorageError>> + Send;
}

/// A commune as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneRow {
    pub code: String,
    pub name: String,
    /// [`crate::communes::normalise`]d name.
    pub search_name: String,
    pub departement: String,
    pub departement_name: Option<String>,
    pub region: String,
    pub postal_codes: Vec<String>,
    pub population: i64,
    pub epci_code: Option<String>,
    pub epci_name: Option<String>,
    pub siren: Option<String>,
}

/// A parsed commune search (see [`crate::communes::parse_query`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneQuery {
    /// Normalised words the name must all contain.
    pub words: Vec<String>,
    /// Codes (postal, INSEE, département) one of which each must start.
    pub numbers: Vec<String>,
    /// The words joined by spaces, to rank exact and prefix matches first.
    pub phrase: String,
    pub limit: i64,
}

/// A device about to be enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub id: String,
    pub token_hash: String,
    pub name: String,
    pub role: String,
    pub created_ms: i64,
}

/// The device a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthDevice {
    pub id: String,
    pub town_id: i64,
    pub revoked_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    pub town_id: i64,
    pub created_by: String,
    pub secret_hash: String,
    pub code_prefix: String,
    pub code_hash: String,
    pub created_ms: i64,
    pub code_expires_ms: i64,
    pub link_expires_ms: i64,
}

/// An operation to store: checked, its clock possibly clamped, with the wall time it was sent
/// with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOp {
    pub op: Operation,
    pub sent_wall_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateTownOutcome {
    Created {
        town_id: i64,
    },
    UnknownCommune,
    /// The commune already has its space.
    Exists {
        commune_name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemOutcome {
    Joined {
        town_id: i64,
    },
    /// No invitation has this secret or code prefix.
    NotFound,
    Expired,
    Used,
    /// Too many wrong codes: the code no longer works (the link still does).
    Locked,
    /// A wrong code, counted.
    WrongCode {
        attempts_left: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    Revoked,
    AlreadyRevoked,
    /// No such device in this town (it may exist in another: that is none of the caller's
    /// business).
    NotFound,
    /// It is the town's last active device.
    LastDevice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Committed; `inserted` operations were new, the others already stored identically.
    Stored { inserted: usize },
    /// An id of the batch is already stored with other content (or in another town): nothing
    /// was written.
    IdConflict { id: String },
    /// The device was removed meanwhile: nothing was written.
    Revoked,
}

/// A page of the log, and the town's last sequence number when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledOps {
    pub ops: Vec<(i64, Operation)>,
    pub last_seq: i64,
}

/// Failures of the storage layer. Messages name the database and what was being done; the
/// underlying driver error is the `source`, so callers print the chain rather than repeat it.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "DATABASE_URL `{url}` has no scheme; use sqlite://path/to/file.sqlite or \
         postgres://user:password@host/database"
    )]
    MissingScheme { url: String },

    #[error(
        "unsupported DATABASE_URL scheme `{scheme}`; use sqlite://path/to/file.sqlite or \
         postgres://user:password@host/database"
    )]
    UnsupportedScheme { scheme: String },

    #[error("invalid SQLite DATABASE_URL `{url}`")]
    InvalidUrl {
        url: String,
        #[source]
        source: sqlx::Error,
    },

    // The URL is never repeated for PostgreSQL: it usually carries a password.
    #[error("invalid PostgreSQL DATABASE_URL")]
    InvalidPostgresUrl {
        #[source]
        source: sqlx::Error,
    },

    #[error("cannot connect to the PostgreSQL database {target}")]
    PostgresConnect {
        target: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("cannot apply the database migrations to the PostgreSQL database {target}")]
    PostgresMigrate {
        target: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    #[error("SQLite DATABASE_URL `{url}` names no file; use sqlite://path/to/file.sqlite")]
    NoFile { url: String },

    #[error("cannot create the database directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot open the SQLite database {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },

    #[error("cannot apply the database migrations to {}", path.display())]
    Migrate {
        path: PathBuf,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    #[error("database query failed: {what}")]
    Query {
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("the database holds an unreadable value: {what}")]
    Corrupt { what: String },
}

impl StorageError {
    /// Whether the failure is a momentary saturation that the same request may overcome later:
    /// no pooled connection free within the acquire timeout (a flood), SQLite's lock held past
    /// the busy timeout (a backup), PostgreSQL's serialisation or lock failures, too many
    /// connections. The API answers those 503 with `Retry-After` rather than 500.
    pub fn is_transient(&self) -> bool {
        let StorageError::Query { source, .. } = self else {
            return false;
        };
        match source {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(err) => {
                let code = err.code().unwrap_or_default();
                if err
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some()
                {
                    // serialization_failure, deadlock_detected, lock_not_available,
                    // too_many_connections.
                    matches!(code.as_ref(), "40001" | "40P01" | "55P03" | "53300")
                } else {
                    // SQLite result codes, extended ones included: BUSY (5), LOCKED (6).
                    code.parse::<u32>()
                        .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
                }
            }
            _ => false,
        }
    }
}

/// The configured database, whichever backend the URL named.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(SqliteStorage),
    Postgres(PgStorage),
}

impl Database {
    /// Opens (creating if needed) and migrates the database named by `url`.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let Some((scheme, _)) = url.split_once(':') else {
            return Err(StorageError::MissingScheme {
                url: url.to_string(),
            });
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Database::Sqlite(SqliteStorage::connect(url).await?)),
            "postgres" | "postgresql" => Ok(Database::Postgres(PgStorage::connect(url).await?)),
            other => Err(StorageError::UnsupportedScheme {
                scheme: other.to_string(),
            }),
        }
    }

    /// The SQLite backend, for SQLite-only operations such as reading pragmas.
    pub fn as_sqlite(&self) -> Option<&SqliteStorage> {
        match self {
            Database::Sqlite(sqlite) => Some(sqlite),
            Database::Postgres(_) => None,
        }
    }

    /// The PostgreSQL backend.
    pub fn as_postgres(&self) -> Option<&PgStorage> {
        match self {
            Database::Postgres(postgres) => Some(postgres),
            Database::Sqlite(_) => None,
        }
    }
}

/// Forwards a [`Storage`] method to whichever backend this is.
macro_rules! delegate {
    ($self:ident, $method:ident ( $($arg:expr),* )) => {
        match $self {
            Database::Sqlite(db) => db.$method($($arg),*).await,
            Database::Postgres(db) => db.$method($($arg),*).await,
        }
    };
}

impl Storage for Database {
    fn backend(&self) -> &'static str {
        match self {
            Database::Sqlite(sqlite) => sqlite.backend(),
            Database::Postgres(postgres) => postgres.backend(),
        }
    }

    async fn ping(&self) -> Result<(), StorageError> {
        delegate!(self, ping())
    }

    async fn close(&self) {
        delegate!(self, close())
    }

    async fn communes_count(&self) -> Result<u64, StorageError> {
        delegate!(self, communes_count())
    }

    async fn import_communes(&self, communes: &[CommuneRow]) -> Result<usize, StorageError> {
        delegate!(self, import_communes(communes))
    }

    async fn search_communes(
        &self,
        query: &CommuneQuery,
    ) -> Result<Vec<CommuneMatch>, StorageError> {
        delegate!(self, search_communes(query))
    }

    async fn create_town(
        &self,
        commune: &str,
        device: &NewDevice,
    ) -> Result<CreateTownOutcome, StorageError> {
        delegate!(self, create_town(commune, device))
    }

    async fn town(&self, town_id: i64) -> Result<Option<Town>, StorageError> {
        delegate!(self, town(town_id))
    }

    async fn authenticate(&self, token_hash: &str) -> Result<Option<AuthDevice>, StorageError> {
        delegate!(self, authenticate(token_hash))
    }

    async fn touch_device(&self, device_id: &str, now_ms: i64) -> Result<(), StorageError> {
        delegate!(self, touch_device(device_id, now_ms))
    }

    async fn devices(&self, town_id: i64) -> Result<Vec<Device>, StorageError> {
        delegate!(self, devices(town_id))
    }

    async fn revoke_device(
        &self,
        town_id: i64,
        device_id: &str,
        now_ms: i64,
    ) -> Result<RevokeOutcome, StorageError> {
        delegate!(self, revoke_device(town_id, device_id, now_ms))
    }

    async fn create_invite(
        &self,
        invite: &NewInvite,
        max_attempts: i64,
    ) -> Result<bool, StorageError> {
        delegate!(self, create_invite(invite, max_attempts))
    }

    async fn redeem_link(
        &self,
        secret_hash: &str,
        device: &NewDevice,
    ) -> Result<RedeemOutcome, StorageError> {
        delegate!(self, redeem_link(secret_hash, device))
    }

    async fn redeem_code(
        &self,
        prefix: &str,
        code_hash: &str,
        device: &NewDevice,
        max_attempts: i64,
    ) -> Result<RedeemOutcome, StorageError> {
        delegate!(self, redeem_code(prefix, code_hash, device, max_attempts))
    }

    async fn push(
        &self,
        town_id: i64,
        device_id: &str,
        ops: &[NewOp],
        now_ms: i64,
    ) -> Result<PushOutcome, StorageError> {
        delegate!(self, push(town_id, device_id, ops, now_ms))
    }

    async fn pull(&self, town_id: i64, after: i64, limit: i64) -> Result<PulledOps, StorageError> {
        delegate!(self, pull(town_id, after, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unreachable_postgres_is_a_clear_error_without_the_password() {
        // Port 1 on the loopback: nothing listens there, the connection is refused at once.
        let err = Database::connect("postgres://arobase:secret@127.0.0.1:1/arobase")
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::PostgresConnect { .. }), "{err}");
        let message = crate::error_chain(&err);
        assert!(
            message.contains("cannot connect to the PostgreSQL database 127.0.0.1:1/arobase"),
            "{message}"
        );
        assert!(
            !message.contains("secret"),
            "the password leaked: {message}"
        );
    }

    #[tokio::test]
    async fn rejects_unknown_and_missing_schemes() {
        let err = Database::connect("mysql://localhost/arobase")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`mysql`"), "{err}");
        let err = Database::connect("data/arobase.sqlite").await.unwrap_err();
        assert!(matches!(err, StorageError::MissingScheme { .. }), "{err}");
    }
}
