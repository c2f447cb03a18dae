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

pub mod group;
pub mod postgres;
pub mod sqlite;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use diagnostic::association::{
    AccessRequest, AuditEntry, DecisionKind, Operator, TownDetail, TownList, TownSpaces,
    TownStatus, TownSummary,
};
use diagnostic::network::{AtlasDraft, AtlasExample, AtlasStatus};
use diagnostic::sync::server::PushError;
use diagnostic::sync::{CommuneMatch, Device, Hlc, Operation, Town};

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

    /// Creates the space of `commune` with its first device (an administrator), `pending` in
    /// approval mode and `verified` in open mode. When the commune has a space that is not
    /// rejected: in approval mode an access request is stored (with the device's token hash,
    /// name and role), in open mode nothing.
    fn create_town(
        &self,
        commune: &str,
        device: &NewDevice,
        spaces: TownSpaces,
    ) -> impl Future<Output = Result<CreateTownOutcome, StorageError>> + Send;

    /// The access request whose token hashes to `token_hash`.
    fn access_request_by_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<AccessRequest>, StorageError>> + Send;

    /// A town and its commune.
    fn town(&self, town_id: i64)
        -> impl Future<Output = Result<Option<Town>, StorageError>> + Send;

    /// The device holding the token whose SHA-256 (hex) is `token_hash`, revoked or not.
    fn authenticate(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<AuthDevice>, StorageError>> + Send;

    /// Every device of the town, removed ones included, oldest first (`current` unset).
    fn devices(
        &self,
        town_id: i64,
    ) -> impl Future<Output = Result<Vec<Device>, StorageError>> + Send;

    /// Removes (« retire ») a device of the town and cancels its unused invitations, in one
    /// transaction. `by` says who asks: a device of the town (which may remove itself, others
    /// only as an administrator, never the last active administrator nor the last active
    /// device), or an operator (anything, written to the audit log).
    fn revoke_device(
        &self,
        town_id: i64,
        device_id: &str,
        by: &Remover,
        now_ms: i64,
    ) -> impl Future<Output = Result<RevokeOutcome, StorageError>> + Send;

    /// Stores an invitation, unless the town has `max_live` live ones (when given) or is
    /// rejected; `PrefixTaken` when its code prefix is already used by a live code (the caller
    /// draws another code). An operator's (recovery) invitation is written to the audit log.
    fn create_invite(
        &self,
        invite: &NewInvite,
        max_attempts: i64,
        max_live: Option<i64>,
    ) -> impl Future<Output = Result<CreateInviteOutcome, StorageError>> + Send;

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
    /// `relay`: the batch may carry other devices' operations (see
    /// [`group::PushArgs::relay`]).
    fn push(
        &self,
        town_id: i64,
        device_id: &str,
        ops: &[NewOp],
        now_ms: i64,
        relay: bool,
    ) -> impl Future<Output = Result<PushOutcome, StorageError>> + Send;

    /// Up to `limit` operations of the town with a sequence number above `after`, in order.
    fn pull(
        &self,
        town_id: i64,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<PulledOps, StorageError>> + Send;

    /// The database's epoch and last restore, from `server_meta`.
    fn epoch(&self) -> impl Future<Output = Result<Epoch, StorageError>> + Send;

    /// Starts epoch `id`, restored at `restored_ms`: what a restore ends with.
    fn set_epoch(
        &self,
        id: &str,
        restored_ms: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// The greatest clock stored in the town's log, which a restarted server's town clock
    /// resumes from ([`diagnostic::sync::server::TownClock::resumed`]).
    fn latest_clock(
        &self,
        town_id: i64,
    ) -> impl Future<Output = Result<Option<Hlc>, StorageError>> + Send;

    // --------------------------------------------------------------------------------------
    // Operators (every act written to the audit log in its own transaction)

    /// Adds an operator with its first enrolment link.
    fn add_operator(
        &self,
        name: &str,
        email: Option<&str>,
        link: &NewEnrolmentLink,
        actor: &Actor,
    ) -> impl Future<Output = Result<Operator, StorageError>> + Send;

    /// Every operator, oldest first, with whether they have enrolled a browser.
    fn operators(&self)
        -> impl Future<Output = Result<Vec<(Operator, bool)>, StorageError>> + Send;

    /// Removes an operator: their browser tokens and unused links stop working.
    fn remove_operator(
        &self,
        id: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<Operator>, StorageError>> + Send;

    /// When no operator has enrolled (and is not removed): makes (once) the server's own
    /// « Premier opérateur », invalidates its unused links and stores `link`; `false` (nothing
    /// written) when an operator has enrolled.
    fn bootstrap_operator(
        &self,
        link: &NewEnrolmentLink,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;

    /// Uses an enrolment link: stores the browser's token.
    fn enrol_operator(
        &self,
        secret_hash: &str,
        token_hash: &str,
        device_name: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<EnrolOutcome, StorageError>> + Send;

    /// The operator holding the browser token whose SHA-256 is `token_hash`.
    fn authenticate_operator(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<AuthOperator>, StorageError>> + Send;

    /// Towns matching `query`: pending ones (or with requests to decide) first.
    fn operator_towns(
        &self,
        query: &TownQuery,
    ) -> impl Future<Output = Result<TownList, StorageError>> + Send;

    fn town_detail(
        &self,
        town_id: i64,
    ) -> impl Future<Output = Result<Option<TownDetail>, StorageError>> + Send;

    /// Verifies a pending town, or rejects a pending or verified one (its unused invitations
    /// are cancelled; the commune may be claimed again).
    fn set_town_status(
        &self,
        town_id: i64,
        status: TownStatus,
        actor: &Actor,
        now_ms: i64,
    ) -> impl Future<Output = Result<StatusOutcome, StorageError>> + Send;

    /// Access requests still to decide, oldest first.
    fn pending_requests(
        &self,
    ) -> impl Future<Output = Result<Vec<AccessRequest>, StorageError>> + Send;

    /// Decides an access request; `device_id` is the id of the device it may create.
    fn decide_request(
        &self,
        request_id: i64,
        decision: DecisionKind,
        device_id: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> impl Future<Output = Result<DecideOutcome, StorageError>> + Send;

    /// The audit log, newest first, entries with an id below `before`.
    fn audit_log(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StorageError>> + Send;

    // --------------------------------------------------------------------------------------
    // A town's own data, and retention

    /// Every operation of the town, in sequence order.
    fn all_ops(
        &self,
        town_id: i64,
    ) -> impl Future<Output = Result<Vec<Operation>, StorageError>> + Send;

    /// Purges the town and everything in it, writing `town-erased` (without content) to the
    /// audit log; `None` when there is no such town. Returns the count of operations purged.
    fn erase_town(
        &self,
        town_id: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<u64>, StorageError>> + Send;

    /// One pass of the retention rules at `now_ms` (see [`crate::retention`]).
    fn retention(
        &self,
        now_ms: i64,
        devices_unseen_before_ms: i64,
        rejected_before_ms: i64,
    ) -> impl Future<Output = Result<RetentionReport, StorageError>> + Send;

    // --------------------------------------------------------------------------------------
    // The network (docs/network.md)

    /// Every space that is not rejected, with its commune, status and log version, by town id.
    fn network_towns(&self) -> impl Future<Output = Result<Vec<NetworkTown>, StorageError>> + Send;

    /// The operations of `town_id` in `campaign`, in log order: what validation, release and
    /// participation are computed from.
    fn campaign_ops(
        &self,
        town_id: i64,
        campaign: &str,
    ) -> impl Future<Output = Result<Vec<Operation>, StorageError>> + Send;

    /// Campaigns the publication considers: those some town ever released, and those that
    /// already have a ledger (a group must turn withheld when its last towns withdraw).
    fn network_campaigns(&self) -> impl Future<Output = Result<Vec<String>, StorageError>> + Send;

    /// The stored ledger of `campaign` (JSON) and when it last changed.
    fn ledger(
        &self,
        campaign: &str,
    ) -> impl Future<Output = Result<Option<StoredLedger>, StorageError>> + Send;

    /// When the ledger of `campaign` last changed, without reading it: what the in-memory
    /// copies of the ledger are checked against (another server instance may have written it).
    fn ledger_version(
        &self,
        campaign: &str,
    ) -> impl Future<Output = Result<Option<i64>, StorageError>> + Send;

    /// Writes the ledger of `campaign` (insert or replace).
    fn save_ledger(
        &self,
        campaign: &str,
        ledger: &StoredLedger,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    // --------------------------------------------------------------------------------------
    // The action atlas (docs/network.md, « L'atlas des actions »)

    /// Stores a (validated) draft of `town_id` as pending, unless the town already has
    /// `max_pending` examples waiting for moderation.
    fn submit_example(
        &self,
        town_id: i64,
        device_id: &str,
        draft: &AtlasDraft,
        max_pending: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<SubmitOutcome, StorageError>> + Send;

    /// The town's own examples, every status, newest first.
    fn town_examples(
        &self,
        town_id: i64,
    ) -> impl Future<Output = Result<Vec<AtlasExample>, StorageError>> + Send;

    /// Deletes one of the town's examples; `false` when it has no such example.
    fn delete_example(
        &self,
        town_id: i64,
        example_id: i64,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;

    /// Published examples of towns that are not rejected (of `question` when given), newest
    /// first, at most `limit`: what readers' lists are ranked from.
    fn published_examples(
        &self,
        question: Option<&str>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<AtlasExample>, StorageError>> + Send;

    /// Examples with `status` (every status when `None`), oldest first, at most `limit`: the
    /// operators' moderation queue.
    fn operator_examples(
        &self,
        status: Option<AtlasStatus>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<AtlasExample>, StorageError>> + Send;

    /// Publishes or refuses an example (with its reason), written to the audit log in the same
    /// transaction. Publishing a published example, or refusing a refused one, is `WrongState`.
    fn moderate_example(
        &self,
        example_id: i64,
        status: AtlasStatus,
        refusal: Option<&str>,
        actor: &Actor,
        now_ms: i64,
    ) -> impl Future<Output = Result<ModerateOutcome, StorageError>> + Send;
}

/// What [`Storage::submit_example`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    Submitted(Box<AtlasExample>),
    /// The town has that many examples waiting already: nothing was stored.
    TooManyPending,
}

/// What [`Storage::moderate_example`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModerateOutcome {
    Moderated(Box<AtlasExample>),
    NotFound,
    /// The example already has the status asked for.
    WrongState(AtlasStatus),
}

/// A space as the network sees it ([`Storage::network_towns`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkTown {
    pub id: i64,
    pub space: Town,
    /// The town's last operation sequence number: it changes with every push that stores
    /// something, so what was computed from the town's log is still right while it is unchanged.
    pub last_seq: i64,
}

/// A campaign's publication ledger as stored: the JSON of `diagnostic::network::Ledger`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLedger {
    pub json: String,
    /// When the ledger last changed (Unix ms).
    pub updated_ms: i64,
}

/// Who did something, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub label: String,
    pub operator_id: Option<i64>,
}

impl Actor {
    pub fn operator(id: i64, name: &str) -> Self {
        Actor {
            label: format!("« {name} » (opérateur)"),
            operator_id: Some(id),
        }
    }

    pub fn device(name: &str) -> Self {
        Actor {
            label: format!("« {name} » (appareil de la commune)"),
            operator_id: None,
        }
    }

    pub fn server() -> Self {
        Actor {
            label: "serveur".into(),
            operator_id: None,
        }
    }

    pub fn command_line() -> Self {
        Actor {
            label: "ligne de commande".into(),
            operator_id: None,
        }
    }
}

/// Who removes a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remover {
    /// A device of the town, by id.
    Device(String),
    Operator(Actor),
}

/// An operator enrolment link about to be stored (only its secret's hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrolmentLink {
    pub secret_hash: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolOutcome {
    Enrolled(Operator),
    Unknown,
    /// Used, expired, or its operator removed.
    Spent,
}

/// The operator a browser token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthOperator {
    pub id: i64,
    pub name: String,
    /// The operator was removed (or this token revoked).
    pub removed: bool,
}

/// `GET /api/operator/towns`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TownQuery {
    /// Normalised words of the commune's name, or the start of its INSEE code.
    pub text: Option<String>,
    pub status: Option<TownStatus>,
    pub departement: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusOutcome {
    Changed(Box<TownSummary>),
    NotFound,
    WrongState(TownStatus),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideOutcome {
    Decided(Box<AccessRequest>),
    NotFound,
    /// Already decided, or the decision does not fit the town any more (join a rejected space,
    /// replace when the commune already has another live space).
    WrongState,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub invites_purged: u64,
    pub devices_expired: u64,
    pub towns_purged: u64,
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
    /// Created the space (or admitted by an operator), or a mayor: see
    /// [`diagnostic::association::is_admin`].
    pub admin: bool,
}

/// The device a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthDevice {
    pub id: String,
    pub name: String,
    pub town_id: i64,
    pub revoked_ms: Option<i64>,
    pub admin: bool,
    pub town_status: TownStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    pub town_id: i64,
    /// The device that made it, or `None` for an operator's recovery invitation.
    pub created_by: Option<String>,
    /// The operator who made it (then it is written to the audit log).
    pub operator: Option<Actor>,
    /// The device it admits is an administrator (recovery).
    pub grants_admin: bool,
    pub secret_hash: String,
    pub code_prefix: String,
    pub code_hash: String,
    pub created_ms: i64,
    pub code_expires_ms: i64,
    pub link_expires_ms: i64,
}

/// An operation to store: checked, its clock possibly clamped, with the wall time it was sent
/// with (the push rules are the domain crate's, shared with the simulation).
pub use diagnostic::sync::server::NewOp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateTownOutcome {
    Created {
        town_id: i64,
    },
    UnknownCommune,
    /// The commune already has its space (open mode).
    Exists {
        commune_name: String,
    },
    /// The commune already has its space: the claim is an access request (approval mode).
    Requested(Box<AccessRequest>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateInviteOutcome {
    Created,
    /// The code prefix is used by a live code: draw another.
    PrefixTaken,
    /// The town has its maximum of live invitations.
    TooMany,
    /// No such town, or it is rejected.
    NoTown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemOutcome {
    Joined {
        town_id: i64,
    },
    /// No invitation has this secret or code prefix, or the code is wrong (counted when the
    /// invitation is live): one outcome, so a guesser cannot tell live prefixes.
    Invalid,
    /// The right code or link, too late.
    Expired,
    Used,
    /// The right code after too many wrong ones: the code no longer works (the link still does).
    Locked,
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
    /// A device that is not an administrator asked to remove another.
    NotAdmin,
    /// It is the town's last active administrator.
    LastAdmin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Committed; `inserted` operations were new, the others already stored identically
    /// (`retried`, with the clock stored then, which the device must adopt).
    /// `last_seq`: the town's last sequence number after this push, when it numbered any
    /// operation (what the live stream announces).
    Stored {
        inserted: usize,
        last_seq: Option<i64>,
        retried: Vec<(String, Hlc)>,
    },
    /// An id of the batch is already stored with other content (or in another town): nothing
    /// was written.
    Refused(PushError),
    /// The device was removed meanwhile: nothing was written.
    Revoked,
}

/// Which copy of the database this is (docs/operations.md, « Backups and restore »).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Epoch {
    /// 32 lowercase hexadecimal digits, new at each restore; what pulls and pushes report.
    pub id: String,
    /// When the database was last restored (Unix ms); `None` when it never was, and then the
    /// server relays nothing.
    pub restored_ms: Option<u64>,
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

    /// The transaction a push shared with others (group commit) failed to start or commit.
    #[error("a shared transaction failed")]
    Batch(#[source] Arc<StorageError>),

    /// The writer task is gone (the server is stopping).
    #[error("the database writer has stopped")]
    WriterStopped,
}

impl StorageError {
    /// Whether the failure is a momentary saturation or outage that the same request may
    /// overcome later: no pooled connection free within the acquire timeout (a flood, or
    /// PostgreSQL down), SQLite's lock held past the busy timeout (a backup), PostgreSQL's
    /// serialisation or lock failures, too many connections, or PostgreSQL's connection lost
    /// under the query (it stopped, crashed or restarts: the pool connects again once it is
    /// back, and a push whose commit went unanswered is retried, which is idempotent). The API
    /// answers those 503 with `Retry-After` rather than 500.
    pub fn is_transient(&self) -> bool {
        let source = match self {
            StorageError::Query { source, .. } => source,
            StorageError::Batch(shared) => return shared.is_transient(),
            _ => return false,
        };
        match source {
            // Socket errors only: SQLite reports its own I/O failures as database errors.
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => true,
            sqlx::Error::Database(err) => {
                let code = err.code().unwrap_or_default();
                if err
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some()
                {
                    // serialization_failure, deadlock_detected, lock_not_available,
                    // too_many_connections; admin_shutdown, crash_shutdown, cannot_connect_now;
                    // connection exceptions (class 08).
                    matches!(
                        code.as_ref(),
                        "40001" | "40P01" | "55P03" | "53300" | "57P01" | "57P02" | "57P03"
                    ) || code.starts_with("08")
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

/// A connection pool's state: connections open, of which idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
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

    /// The connection pools, as `/metrics` reports them.
    pub fn pools(&self) -> Vec<PoolStats> {
        fn stats<DB: sqlx::Database>(name: &'static str, pool: &sqlx::Pool<DB>) -> PoolStats {
            PoolStats {
                name,
                size: pool.size(),
                idle: pool.num_idle(),
            }
        }
        match self {
            Database::Sqlite(sqlite) => vec![
                stats("writer", sqlite.writer()),
                stats("reader", sqlite.reader()),
            ],
            Database::Postgres(postgres) => vec![stats("postgres", postgres.pool())],
        }
    }

    /// What the group-commit writer has done, when this backend has one (SQLite).
    pub fn group_commit(&self) -> Option<&group::GroupStats> {
        match self {
            Database::Sqlite(sqlite) => sqlite.group_commit().map(group::GroupCommit::stats),
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
        spaces: TownSpaces,
    ) -> Result<CreateTownOutcome, StorageError> {
        delegate!(self, create_town(commune, device, spaces))
    }

    async fn access_request_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<AccessRequest>, StorageError> {
        delegate!(self, access_request_by_token(token_hash))
    }

    async fn town(&self, town_id: i64) -> Result<Option<Town>, StorageError> {
        delegate!(self, town(town_id))
    }

    async fn authenticate(&self, token_hash: &str) -> Result<Option<AuthDevice>, StorageError> {
        delegate!(self, authenticate(token_hash))
    }

    async fn devices(&self, town_id: i64) -> Result<Vec<Device>, StorageError> {
        delegate!(self, devices(town_id))
    }

    async fn revoke_device(
        &self,
        town_id: i64,
        device_id: &str,
        by: &Remover,
        now_ms: i64,
    ) -> Result<RevokeOutcome, StorageError> {
        delegate!(self, revoke_device(town_id, device_id, by, now_ms))
    }

    async fn create_invite(
        &self,
        invite: &NewInvite,
        max_attempts: i64,
        max_live: Option<i64>,
    ) -> Result<CreateInviteOutcome, StorageError> {
        delegate!(self, create_invite(invite, max_attempts, max_live))
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
        relay: bool,
    ) -> Result<PushOutcome, StorageError> {
        delegate!(self, push(town_id, device_id, ops, now_ms, relay))
    }

    async fn epoch(&self) -> Result<Epoch, StorageError> {
        delegate!(self, epoch())
    }

    async fn set_epoch(&self, id: &str, restored_ms: i64) -> Result<(), StorageError> {
        delegate!(self, set_epoch(id, restored_ms))
    }

    async fn pull(&self, town_id: i64, after: i64, limit: i64) -> Result<PulledOps, StorageError> {
        delegate!(self, pull(town_id, after, limit))
    }

    async fn latest_clock(&self, town_id: i64) -> Result<Option<Hlc>, StorageError> {
        delegate!(self, latest_clock(town_id))
    }

    async fn add_operator(
        &self,
        name: &str,
        email: Option<&str>,
        link: &NewEnrolmentLink,
        actor: &Actor,
    ) -> Result<Operator, StorageError> {
        delegate!(self, add_operator(name, email, link, actor))
    }

    async fn operators(&self) -> Result<Vec<(Operator, bool)>, StorageError> {
        delegate!(self, operators())
    }

    async fn remove_operator(
        &self,
        id: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<Option<Operator>, StorageError> {
        delegate!(self, remove_operator(id, actor, now_ms))
    }

    async fn bootstrap_operator(&self, link: &NewEnrolmentLink) -> Result<bool, StorageError> {
        delegate!(self, bootstrap_operator(link))
    }

    async fn enrol_operator(
        &self,
        secret_hash: &str,
        token_hash: &str,
        device_name: &str,
        now_ms: i64,
    ) -> Result<EnrolOutcome, StorageError> {
        delegate!(
            self,
            enrol_operator(secret_hash, token_hash, device_name, now_ms)
        )
    }

    async fn authenticate_operator(
        &self,
        token_hash: &str,
    ) -> Result<Option<AuthOperator>, StorageError> {
        delegate!(self, authenticate_operator(token_hash))
    }

    async fn operator_towns(&self, query: &TownQuery) -> Result<TownList, StorageError> {
        delegate!(self, operator_towns(query))
    }

    async fn town_detail(&self, town_id: i64) -> Result<Option<TownDetail>, StorageError> {
        delegate!(self, town_detail(town_id))
    }

    async fn set_town_status(
        &self,
        town_id: i64,
        status: TownStatus,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<StatusOutcome, StorageError> {
        delegate!(self, set_town_status(town_id, status, actor, now_ms))
    }

    async fn pending_requests(&self) -> Result<Vec<AccessRequest>, StorageError> {
        delegate!(self, pending_requests())
    }

    async fn decide_request(
        &self,
        request_id: i64,
        decision: DecisionKind,
        device_id: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<DecideOutcome, StorageError> {
        delegate!(
            self,
            decide_request(request_id, decision, device_id, actor, now_ms)
        )
    }

    async fn audit_log(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StorageError> {
        delegate!(self, audit_log(before, limit))
    }

    async fn all_ops(&self, town_id: i64) -> Result<Vec<Operation>, StorageError> {
        delegate!(self, all_ops(town_id))
    }

    async fn erase_town(
        &self,
        town_id: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<Option<u64>, StorageError> {
        delegate!(self, erase_town(town_id, actor, now_ms))
    }

    async fn retention(
        &self,
        now_ms: i64,
        devices_unseen_before_ms: i64,
        rejected_before_ms: i64,
    ) -> Result<RetentionReport, StorageError> {
        delegate!(
            self,
            retention(now_ms, devices_unseen_before_ms, rejected_before_ms)
        )
    }

    async fn network_towns(&self) -> Result<Vec<NetworkTown>, StorageError> {
        delegate!(self, network_towns())
    }

    async fn campaign_ops(
        &self,
        town_id: i64,
        campaign: &str,
    ) -> Result<Vec<Operation>, StorageError> {
        delegate!(self, campaign_ops(town_id, campaign))
    }

    async fn network_campaigns(&self) -> Result<Vec<String>, StorageError> {
        delegate!(self, network_campaigns())
    }

    async fn ledger(&self, campaign: &str) -> Result<Option<StoredLedger>, StorageError> {
        delegate!(self, ledger(campaign))
    }

    async fn ledger_version(&self, campaign: &str) -> Result<Option<i64>, StorageError> {
        delegate!(self, ledger_version(campaign))
    }

    async fn save_ledger(&self, campaign: &str, ledger: &StoredLedger) -> Result<(), StorageError> {
        delegate!(self, save_ledger(campaign, ledger))
    }

    async fn submit_example(
        &self,
        town_id: i64,
        device_id: &str,
        draft: &AtlasDraft,
        max_pending: i64,
        now_ms: i64,
    ) -> Result<SubmitOutcome, StorageError> {
        delegate!(
            self,
            submit_example(town_id, device_id, draft, max_pending, now_ms)
        )
    }

    async fn town_examples(&self, town_id: i64) -> Result<Vec<AtlasExample>, StorageError> {
        delegate!(self, town_examples(town_id))
    }

    async fn delete_example(&self, town_id: i64, example_id: i64) -> Result<bool, StorageError> {
        delegate!(self, delete_example(town_id, example_id))
    }

    async fn published_examples(
        &self,
        question: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AtlasExample>, StorageError> {
        delegate!(self, published_examples(question, limit))
    }

    async fn operator_examples(
        &self,
        status: Option<AtlasStatus>,
        limit: i64,
    ) -> Result<Vec<AtlasExample>, StorageError> {
        delegate!(self, operator_examples(status, limit))
    }

    async fn moderate_example(
        &self,
        example_id: i64,
        status: AtlasStatus,
        refusal: Option<&str>,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<ModerateOutcome, StorageError> {
        delegate!(
            self,
            moderate_example(example_id, status, refusal, actor, now_ms)
        )
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
