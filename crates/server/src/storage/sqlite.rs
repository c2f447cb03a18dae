//! SQLite backend: one embedded file, no service to run.
//!
//! SQLite allows one writer at a time, so writes go through a pool of exactly one connection
//! (they queue in the pool instead of failing with `SQLITE_BUSY`), while reads use a separate pool
//! of read-only connections that WAL lets run alongside the writer.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;

use super::group::GroupCommit;
use super::StorageError;

/// How long a connection waits on a lock held by another process (a backup, the sqlite3 shell)
/// before giving up; in-process writers never contend, they queue in the writer pool.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request waits for a pooled connection before failing instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Readers are cheap in WAL mode, but more than a few buys nothing on a small server.
const MAX_READERS: u32 = 4;

/// SQLite storage: a single-connection writer pool and a read-only reader pool on the same file.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    writer: SqlitePool,
    reader: SqlitePool,
    path: PathBuf,
    /// The queue of pushes to the writer task (group commit); `None` in the task's own copy.
    group: Option<GroupCommit>,
}

/// Connection settings as SQLite reports them, to check that the intended pragmas took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pragmas {
    pub journal_mode: String,
    /// 0 = OFF, 1 = NORMAL, 2 = FULL, 3 = EXTRA.
    pub synchronous: i64,
    pub foreign_keys: bool,
    pub busy_timeout_ms: i64,
}

impl SqliteStorage {
    /// Opens the database file named by a `sqlite:` URL, creating the file and its parent
    /// directories when missing, then runs the embedded migrations.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let options =
            SqliteConnectOptions::from_str(url).map_err(|source| StorageError::InvalidUrl {
                url: url.to_string(),
                source,
            })?;
        let path = options.get_filename().to_path_buf();
        let in_memory = is_in_memory(url);
        if !in_memory && path.as_os_str().is_empty() {
            return Err(StorageError::NoFile {
                url: url.to_string(),
            });
        }

        // FULL rather than NORMAL: in WAL mode NORMAL may lose the last commits on power loss,
        // and a diagnostic a mayor just finished must survive the town hall's power cut.
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .optimize_on_close(true, None);

        if !in_memory {
            create_parent_dir(&path)?;
        }

        let open_error = |source| StorageError::Open {
            path: path.clone(),
            source,
        };
        // The one writer connection is kept for the server's lifetime: recycling it buys nothing,
        // and for an in-memory database closing it would drop the data.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(open_error)?;

        if let Err(source) = migrate(&writer).await {
            writer.close().await;
            return Err(StorageError::Migrate { path, source });
        }

        // An in-memory database exists only inside its connections, so separate reader
        // connections would not see it: there the writer serves reads too.
        let reader = if in_memory {
            writer.clone()
        } else {
            let reader_options = options.read_only(true).optimize_on_close(false, None);
            match SqlitePoolOptions::new()
                .max_connections(MAX_READERS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(reader_options)
                .await
            {
                Ok(reader) => reader,
                Err(source) => {
                    writer.close().await;
                    return Err(open_error(source));
                }
            }
        };

        let storage = SqliteStorage {
            writer,
            reader,
            path,
            group: None,
        };
        let group = Some(GroupCommit::spawn(storage.clone()));
        Ok(SqliteStorage { group, ..storage })
    }

    /// The database file (for in-memory databases, SQLite's internal name).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Pool for statements that write; it holds one connection, so writes are serialised.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Pool of read-only connections.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// Pragmas of a writer connection and of a reader connection, as SQLite reports them.
    pub async fn pragmas(&self) -> Result<(Pragmas, Pragmas), StorageError> {
        Ok((
            read_pragmas(&self.writer).await?,
            read_pragmas(&self.reader).await?,
        ))
    }

    /// The group-commit writer every push goes through.
    pub fn group_commit(&self) -> Option<&GroupCommit> {
        self.group.as_ref()
    }

    /// Whether both pools have been closed.
    pub fn is_closed(&self) -> bool {
        self.writer.is_closed() && self.reader.is_closed()
    }
}

impl SqliteStorage {
    async fn ping_db(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(|source| StorageError::Query {
                what: "health check `SELECT 1`",
                source,
            })?;
        Ok(())
    }

    async fn close_pools(&self) {
        // Readers first: the writer's close runs `PRAGMA optimize` and checkpoints the WAL,
        // which goes best with no other connection open.
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// The shared SQL (see `storage/mod.rs`), compiled for SQLite.
mod queries {
    use super::SqliteStorage as Backend;
    type Db = sqlx::Sqlite;
    const BACKEND: &str = "sqlite";
    /// SQLite has one writer at a time: a row read in a write transaction cannot change before
    /// commit, so there is no row lock to take.
    const FOR_UPDATE: &str = "";
    /// Serialises the first operator's making between server instances: SQLite's writer does.
    const LOCK_BOOTSTRAP: &str = "SELECT 1";
    include!("queries.rs");
}

async fn read_pragmas(pool: &SqlitePool) -> Result<Pragmas, StorageError> {
    let query_error = |source| StorageError::Query {
        what: "reading connection pragmas",
        source,
    };
    // All four on one connection: pragmas are per connection.
    let mut conn = pool.acquire().await.map_err(query_error)?;
    let journal_mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(query_error)?;
    let synchronous: i64 = sqlx::query("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(query_error)?;
    let foreign_keys: i64 = sqlx::query("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(query_error)?;
    let busy_timeout_ms: i64 = sqlx::query("PRAGMA busy_timeout")
        .fetch_one(&mut *conn)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(query_error)?;
    Ok(Pragmas {
        journal_mode,
        synchronous,
        foreign_keys: foreign_keys != 0,
        busy_timeout_ms,
    })
}

/// Runs the embedded migrations with foreign keys off (a migration that rebuilds a table drops
/// one other tables reference, which SQLite's documented procedure does with them off), then
/// checks every reference before turning them back on.
async fn migrate(writer: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    use sqlx::migrate::MigrateError;
    let mut conn = writer.acquire().await?;
    // Outside any transaction, or SQLite ignores it.
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    let migrated = sqlx::migrate!("./migrations/sqlite")
        .run_direct(&mut *conn)
        .await;
    let violations = match migrated {
        Ok(()) => sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut *conn)
            .await
            .map(|rows| rows.len()),
        Err(err) => Err(sqlx::Error::Migrate(Box::new(err))),
    };
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    match violations {
        Ok(0) => Ok(()),
        Ok(count) => Err(MigrateError::Execute(sqlx::Error::Protocol(format!(
            "{count} broken foreign key references after migrating"
        )))),
        Err(sqlx::Error::Migrate(err)) => Err(*err),
        Err(err) => Err(MigrateError::Execute(err)),
    }
}

fn create_parent_dir(path: &Path) -> Result<(), StorageError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|source| StorageError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// Mirrors how sqlx reads the URL: `:memory:` as the path, or `mode=memory` in the query.
fn is_in_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|param| param == "mode=memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_in_memory_urls() {
        assert!(is_in_memory("sqlite::memory:"));
        assert!(is_in_memory("sqlite://:memory:"));
        assert!(is_in_memory("sqlite://?mode=memory&cache=shared"));
        assert!(!is_in_memory("sqlite://data/arobase.sqlite"));
        assert!(!is_in_memory("sqlite://data/memory.sqlite?mode=rwc"));
    }

    use crate::storage::Storage;

    #[tokio::test]
    async fn in_memory_database_works_with_a_shared_pool() {
        let storage = SqliteStorage::connect("sqlite::memory:").await.unwrap();
        storage.ping().await.unwrap();
        let count: i64 =
            sqlx::query("SELECT count(*) FROM server_meta WHERE key IN ('created_at', 'epoch')")
                .fetch_one(storage.reader())
                .await
                .unwrap()
                .get(0);
        assert_eq!(count, 2, "the migrations ran on the connection readers use");
        storage.close().await;
        assert!(storage.is_closed());
    }

    /// A database made before the association's side (towns, devices, an invitation, an
    /// operation) migrates with everything kept: spaces verified, creators administrators, every
    /// reference intact, foreign keys back on.
    #[tokio::test]
    async fn a_database_from_before_operators_migrates_with_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.sqlite").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        let mut before = sqlx::migrate!("./migrations/sqlite");
        let first_two = before.migrations[..2].to_vec();
        before.migrations = std::borrow::Cow::Owned(first_two);
        before.run(&pool).await.unwrap();
        for sql in [
            "INSERT INTO communes (code, name, search_name, departement, region, postal_codes, \
             population) VALUES ('29155', 'Plouguerneau', 'plouguerneau', '29', '53', \
             ' 29880 ', 6641)",
            "INSERT INTO towns (id, commune_code, created_ms, last_seq) VALUES (7, '29155', 100, 1)",
            "INSERT INTO devices (id, town_id, token_hash, name, role, created_ms) \
             VALUES ('creator', 7, 'h1', 'Anne', 'adjoint', 100)",
            "INSERT INTO devices (id, town_id, token_hash, name, role, created_ms, invited_by) \
             VALUES ('joined', 7, 'h2', 'Sami', 'dgs', 200, 'creator')",
            "INSERT INTO invites (town_id, created_by, secret_hash, code_prefix, code_hash, \
             created_ms, code_expires_ms, link_expires_ms, used_ms, used_by) \
             VALUES (7, 'creator', 's', 'ABC', 'c', 150, 160, 170, 200, 'joined')",
            "INSERT INTO ops (id, town_id, seq, device_id, campaign, question, wall_ms, counter, \
             base, sent_wall_ms, received_ms) \
             VALUES ('op', 7, 1, 'joined', '2026', 'q', 1, 0, '', 1, 1)",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;

        let storage = SqliteStorage::connect(&url).await.unwrap();
        let town = storage.town(7).await.unwrap().unwrap();
        assert_eq!(town.status, diagnostic::association::TownStatus::Verified);
        let devices = storage.devices(7).await.unwrap();
        let admins: Vec<(&str, bool)> = devices
            .iter()
            .map(|device| (device.id.as_str(), device.admin))
            .collect();
        assert_eq!(admins, [("creator", true), ("joined", false)]);
        let kept: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM invites WHERE created_by = 'creator'), \
             (SELECT COUNT(*) FROM ops WHERE town_id = 7)",
        )
        .fetch_one(storage.reader())
        .await
        .unwrap();
        assert_eq!(kept, (1, 1));
        let (writer, _) = storage.pragmas().await.unwrap();
        assert!(writer.foreign_keys, "foreign keys are back on");
        // The commune is unique among live spaces only: the constraint is the partial index.
        let err = sqlx::query("INSERT INTO towns (commune_code, created_ms) VALUES ('29155', 1)")
            .execute(storage.writer())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("UNIQUE"), "{err}");
        sqlx::query("UPDATE towns SET status = 'rejected' WHERE id = 7")
            .execute(storage.writer())
            .await
            .unwrap();
        sqlx::query("INSERT INTO towns (commune_code, created_ms) VALUES ('29155', 1)")
            .execute(storage.writer())
            .await
            .unwrap();
        storage.close().await;
    }

    #[tokio::test]
    async fn empty_path_is_rejected() {
        let err = SqliteStorage::connect("sqlite://").await.unwrap_err();
        assert!(matches!(err, StorageError::NoFile { .. }), "{err}");
    }
}
