//! `arobase-server backup`, `restore` and `new-epoch` (docs/operations.md, « Backups and
//! restore »).
//!
//! A backup of SQLite is `VACUUM INTO` on a connection of its own to the live database: SQLite
//! writes a consistent snapshot (one read transaction) while the server keeps serving. A restore
//! puts a backup in place of the database with the server stopped, keeps the replaced files, and
//! ends with a new *epoch*: the id pulls and pushes report, which tells every phone that the
//! server lost what it acknowledged after the backup, so that phones re-send everything they hold
//! (see `docs/sync.md`). PostgreSQL is backed up and restored with its own tools (`pg_dump`,
//! `pg_restore`), then `new-epoch` does what a restore ends with.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use crate::storage::{Database, Epoch, SqliteStorage, Storage, StorageError};

/// How long the backup's connection waits for the server's writer to let it read.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "PostgreSQL is backed up with its own tool: `pg_dump -Fc -f arobase.dump \"$DATABASE_URL\"` \
         (restore with `pg_restore`, then run `arobase-server new-epoch`; see docs/operations.md, \
         « Backups and restore »)"
    )]
    PostgresBackup,

    #[error(
        "PostgreSQL is restored with its own tool: `pg_restore --clean --if-exists -d \
         \"$DATABASE_URL\" arobase.dump` with the server stopped, then `arobase-server new-epoch` \
         (see docs/operations.md, « Backups and restore »)"
    )]
    PostgresRestore,

    #[error("DATABASE_URL is neither sqlite:// nor postgres://")]
    Url(#[source] StorageError),

    #[error("{} already exists: a backup never overwrites a file, name another one", .0.display())]
    Exists(PathBuf),

    #[error("there is no database at {}", .0.display())]
    NoDatabase(PathBuf),

    #[error("{} is not an Arobase database", path.display())]
    NotArobase {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },

    #[error("{} is damaged (SQLite's integrity check: {report}); nothing was changed", path.display())]
    Damaged { path: PathBuf, report: String },

    #[error(
        "the database {} looks in use: its write-ahead log {} is not empty. Stop the server \
         first; if it is stopped (it crashed, or was killed), run again with --force",
        db.display(),
        wal.display()
    )]
    InUse { db: PathBuf, wal: PathBuf },

    #[error("{} is the database itself: restore from a copy", .0.display())]
    SameFile(PathBuf),

    #[error("cannot {what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("cannot {what}")]
    Sqlite {
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error(transparent)]
    Storage(#[from] StorageError),

    #[error("the operating system's random generator failed")]
    Random,
}

/// What `backup` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// The epoch of the database copied (a restore of this backup starts a new one).
    pub epoch: String,
}

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// Where the replaced database was moved (`None`: there was none).
    pub replaced: Option<PathBuf>,
    pub epoch: Epoch,
}

/// A new epoch id: 128 random bits in lowercase hex.
pub fn new_epoch_id() -> Result<String, BackupError> {
    let bytes = crate::auth::random_bytes::<16>().map_err(|_| BackupError::Random)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Starts a new epoch on the database (any backend): what a restore ends with.
pub async fn new_epoch(storage: &Database) -> Result<Epoch, BackupError> {
    let epoch = Epoch {
        id: new_epoch_id()?,
        restored_ms: Some(crate::clock::now_ms()),
    };
    let restored_ms = epoch.restored_ms.unwrap_or_default() as i64;
    storage.set_epoch(&epoch.id, restored_ms).await?;
    Ok(epoch)
}

/// The SQLite file of `database_url`; `postgres` is the error to give for PostgreSQL.
fn sqlite_file(database_url: &str, postgres: BackupError) -> Result<PathBuf, BackupError> {
    let scheme = database_url
        .split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("postgres" | "postgresql") => Err(postgres),
        Some("sqlite") => {
            let options = SqliteConnectOptions::from_str(database_url).map_err(|source| {
                BackupError::Url(StorageError::InvalidUrl {
                    url: database_url.to_string(),
                    source,
                })
            })?;
            Ok(options.get_filename().to_path_buf())
        }
        _ => Err(BackupError::Url(StorageError::UnsupportedScheme {
            scheme: scheme.unwrap_or_default(),
        })),
    }
}

fn io_error<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> BackupError + 'a {
    move |source| BackupError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// `path` with `suffix` appended to its file name (`arobase.sqlite` → `arobase.sqlite-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `path`'s data, then its directory entry, to disk.
fn sync_file_and_dir(path: &Path) -> Result<(), BackupError> {
    File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(io_error("write to disk", path))?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error("write to disk the directory", dir))?;
    }
    Ok(())
}

/// Opens `path` read-only, checks it is a sound Arobase database, and returns its epoch (empty
/// for a database older than epochs) and SQLite's clock as `YYYYMMDDTHHMMSSZ`.
async fn check_database(path: &Path) -> Result<(String, String), BackupError> {
    let not_arobase = |source| BackupError::NotArobase {
        path: path.to_path_buf(),
        source,
    };
    // Immutable: no lock, no -wal or -shm file made next to a backup.
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(not_arobase)?;
    let report: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(not_arobase)?;
    if report != ["ok"] {
        return Err(BackupError::Damaged {
            path: path.to_path_buf(),
            report: report.join("; "),
        });
    }
    let epoch: Option<String> = sqlx::query_scalar(
        "SELECT (SELECT value FROM server_meta WHERE key = 'epoch') \
         FROM server_meta WHERE key = 'created_at'",
    )
    .fetch_optional(&mut conn)
    .await
    .map_err(not_arobase)?
    .flatten();
    let now: String = sqlx::query_scalar("SELECT strftime('%Y%m%dT%H%M%SZ', 'now')")
        .fetch_one(&mut conn)
        .await
        .map_err(not_arobase)?;
    let _ = conn.close().await;
    Ok((epoch.unwrap_or_default(), now))
}

/// `arobase-server backup --to FILE`: a consistent copy of the SQLite database, taken while the
/// server serves it. Writes `FILE.partial`, then renames it, so that `FILE` is only ever whole.
pub async fn backup(database_url: &str, to: &Path) -> Result<BackupReport, BackupError> {
    let db = sqlite_file(database_url, BackupError::PostgresBackup)?;
    if !db.is_file() {
        return Err(BackupError::NoDatabase(db));
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_path_buf()));
    }
    let partial = with_suffix(to, ".partial");
    // A leftover of an interrupted backup: VACUUM INTO only writes into an absent or empty file.
    match std::fs::remove_file(&partial) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => {
            return Err(io_error("remove the unfinished backup", &partial)(err))
        }
        _ => {}
    }
    // A plain connection: no journal mode set (the database stays in WAL), the file never
    // created, and a wait for the server's writer rather than a failure.
    let mut conn: SqliteConnection = SqliteConnectOptions::new()
        .filename(&db)
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await
        .map_err(|source| BackupError::Sqlite {
            what: "open the database",
            source,
        })?;
    let epoch: Option<String> =
        sqlx::query_scalar("SELECT value FROM server_meta WHERE key = 'epoch'")
            .fetch_optional(&mut conn)
            .await
            .map_err(|source| BackupError::NotArobase {
                path: db.clone(),
                source,
            })?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(partial.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    if let Err(source) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::Sqlite {
            what: "copy the database (VACUUM INTO)",
            source,
        });
    }
    sync_file_and_dir(&partial)?;
    // Checked again: the copy took a while, and a file made meanwhile must not be replaced.
    if to.exists() {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::Exists(to.to_path_buf()));
    }
    std::fs::rename(&partial, to).map_err(io_error("rename the backup to", to))?;
    sync_file_and_dir(to)?;
    let bytes = std::fs::metadata(to)
        .map_err(io_error("read the size of", to))?
        .len();
    Ok(BackupReport {
        path: to.to_path_buf(),
        bytes,
        epoch: epoch.unwrap_or_default(),
    })
}

/// `arobase-server restore --from FILE`, with the server stopped: checks FILE, moves the current
/// database (and its -wal and -shm files) aside to `<db>.replaced-<UTC time>`, copies FILE into
/// place, migrates it (a backup may come from an older release) and starts a new epoch.
/// `force`: restore even though the database's write-ahead log is not empty (after a crash).
pub async fn restore(
    database_url: &str,
    from: &Path,
    force: bool,
) -> Result<RestoreReport, BackupError> {
    let db = sqlite_file(database_url, BackupError::PostgresRestore)?;
    if !from.is_file() {
        return Err(BackupError::NoDatabase(from.to_path_buf()));
    }
    if db.exists() && std::fs::canonicalize(&db).ok() == std::fs::canonicalize(from).ok() {
        return Err(BackupError::SameFile(from.to_path_buf()));
    }
    let (_, now) = check_database(from).await?;
    let wal = with_suffix(&db, "-wal");
    let wal_bytes = std::fs::metadata(&wal).map_or(0, |meta| meta.len());
    if wal_bytes > 0 && !force {
        return Err(BackupError::InUse { db, wal });
    }

    let replaced = if db.exists() {
        let aside = with_suffix(&db, &format!(".replaced-{now}"));
        if aside.exists() {
            return Err(BackupError::Exists(aside));
        }
        // The database last: until it moves, the files left still make a whole database.
        for suffix in ["-wal", "-shm", ""] {
            let file = with_suffix(&db, suffix);
            if file.exists() {
                let target = with_suffix(&aside, suffix);
                std::fs::rename(&file, &target).map_err(io_error("move aside", &file))?;
            }
        }
        Some(aside)
    } else {
        if let Some(dir) = db.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_error("create the directory", dir))?;
        }
        None
    };

    let restoring = with_suffix(&db, ".restoring");
    std::fs::copy(from, &restoring).map_err(io_error("copy the backup to", &restoring))?;
    sync_file_and_dir(&restoring)?;
    std::fs::rename(&restoring, &db).map_err(io_error("put in place", &db))?;
    sync_file_and_dir(&db)?;

    // Migrations run on connect: a backup of an older release is brought up to date.
    let storage = Database::Sqlite(SqliteStorage::connect(database_url).await?);
    let epoch = new_epoch(&storage).await;
    storage.close().await;
    Ok(RestoreReport {
        replaced,
        epoch: epoch?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_128_random_bits_in_lowercase_hex() {
        let (a, b) = (new_epoch_id().unwrap(), new_epoch_id().unwrap());
        assert_eq!(a.len(), 32);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn postgres_points_to_its_own_tools() {
        let err = sqlite_file("postgres://u@h/db", BackupError::PostgresBackup).unwrap_err();
        assert!(err.to_string().contains("pg_dump"), "{err}");
        let err = sqlite_file("postgresql://u@h/db", BackupError::PostgresRestore).unwrap_err();
        assert!(err.to_string().contains("pg_restore"), "{err}");
        assert!(sqlite_file("mysql://h/db", BackupError::PostgresBackup).is_err());
        assert_eq!(
            sqlite_file("sqlite://data/a.sqlite", BackupError::PostgresBackup).unwrap(),
            PathBuf::from("data/a.sqlite")
        );
    }
}
