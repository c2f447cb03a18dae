//! PostgreSQL backend, for shared deployments: one database, any number of server instances.
//!
//! Every instance runs the same transactions as with SQLite; what SQLite gets from its single
//! writer, PostgreSQL gets from row locks: a push numbers its operations from its town's counter
//! row (`UPDATE towns SET last_seq = last_seq + n … RETURNING`), whose lock it keeps until commit,
//! so two pushes to one town commit in the order of their numbers and a pull by sequence number
//! never skips an operation that commits late.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::StorageError;

/// How long a request waits for a pooled connection before failing instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections per server instance; PostgreSQL's default limit is 100 for all of them.
const MAX_CONNECTIONS: u32 = 10;

/// PostgreSQL storage: one pool for reads and writes.
#[derive(Debug, Clone)]
pub struct PgStorage {
    pool: PgPool,
    /// `host:port/database`, for messages (never the password).
    target: String,
}

impl PgStorage {
    /// Connects to the database named by a `postgres://` URL and runs the embedded migrations
    /// (several instances starting together are fine: sqlx serialises migrations with an
    /// advisory lock).
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|source| StorageError::InvalidPostgresUrl { source })?;
        let target = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A pooled connection is checked before each use (sqlx's default, relied upon): after
            // PostgreSQL restarts, dead connections are dropped and new ones made, so the server
            // reconnects by itself.
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(|source| StorageError::PostgresConnect {
                target: target.clone(),
                source,
            })?;
        if let Err(source) = sqlx::migrate!("./migrations/postgres").run(&pool).await {
            pool.close().await;
            return Err(StorageError::PostgresMigrate { target, source });
        }
        Ok(PgStorage { pool, target })
    }

    /// `host:port/database`.
    pub fn target(&self) -> &str {
        &self.target
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    /// No group-commit writer: the pool commits pushes to different towns in parallel, and
    /// PostgreSQL flushes the WAL of concurrent commits together (see `storage/group.rs`).
    fn group_commit(&self) -> Option<&super::group::GroupCommit> {
        None
    }

    async fn ping_db(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|source| StorageError::Query {
                what: "health check `SELECT 1`",
                source,
            })?;
        Ok(())
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }
}

/// The shared SQL (see `storage/mod.rs`), compiled for PostgreSQL.
mod queries {
    use super::PgStorage as Backend;
    type Db = sqlx::Postgres;
    const BACKEND: &str = "postgres";
    /// A row checked then changed is locked until commit, so concurrent requests (wrong codes
    /// guessed in parallel, decisions) see each other's changes.
    const FOR_UPDATE: &str = " FOR UPDATE";
    /// Serialises the first operator's making between server instances starting together (a
    /// transaction-scoped advisory lock; the number is Arobase's own).
    const LOCK_BOOTSTRAP: &str = "SELECT pg_advisory_xact_lock(4272070011)";
    include!("queries.rs");
}
