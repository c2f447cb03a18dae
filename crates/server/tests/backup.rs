//! Backups, restores and epochs through the real `arobase-server` binary (`backup`, `restore`,
//! `new-epoch`), and the relay rules of a restored server over HTTP on both backends
//! (docs/operations.md, « Backups and restore »; docs/sync.md).

mod common;

use std::process::{Command, Output, Stdio};

use common::sync::Phone;
use common::{on_both_backends, Backend, Dist, TestServer};
use diagnostic::sync::server::PLACEHOLDER_NAME;
use diagnostic::sync::{Hlc, Operation};
use reqwest::StatusCode;
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_arobase-server");

/// Runs `arobase-server <args>` on the database at `database_url`, with a clean environment.
fn run(database_url: &str, args: &[&str]) -> Output {
    Command::new(BINARY)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// `new-epoch`, which must succeed: the epoch it printed.
fn new_epoch(database_url: &str) -> String {
    let output = run(database_url, &["new-epoch"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let epoch = stdout(&output);
    assert_eq!(epoch.len(), 32, "{epoch:?}");
    epoch
}

async fn health_epoch(server: &TestServer) -> String {
    let (status, health) = server.get_json("/api/health", None).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    health["epoch"].as_str().unwrap().to_string()
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

async fn relay(server: &TestServer, phone: &Phone, ops: &[Operation]) -> (StatusCode, Value) {
    server
        .post_json(
            "/api/sync/push",
            Some(&phone.token),
            json!({ "ops": ops, "relay": true }),
        )
        .await
}

/// The devices that relayed each operation of the log (`ops.relayed_by`), by operation id.
async fn relayed_by(server: &TestServer, id: &str) -> Option<String> {
    let sql = "SELECT relayed_by FROM ops WHERE id = $1";
    match server.handle.storage() {
        server::Database::Sqlite(db) => sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(db.reader())
            .await
            .unwrap(),
        server::Database::Postgres(db) => sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap(),
    }
}

/// Stops `server` and starts another on its database (its temporary directory is kept).
async fn restart(server: TestServer, backend: Backend, between: impl FnOnce(&str)) -> TestServer {
    let TestServer {
        handle,
        database_url,
        tmp,
        ..
    } = server;
    handle.shutdown().await.unwrap();
    between(&database_url);
    let mut restarted =
        TestServer::start_configured(Dist::Built, backend, Some(database_url), |_| {}).await;
    // The old directory holds the SQLite file: it lives as long as the new server.
    restarted.tmp = tmp;
    restarted
}

/// Every rule of a relayed push, before and after `new-epoch` (what `restore` ends with, and
/// what an operator runs after `pg_restore`).
async fn relay_rules(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let mut agent = server.add_phone(&mayor, "Sami").await;
    let mut stranger = server.create_town("42218", "Inès").await;
    let first_epoch = health_epoch(&server).await;
    assert_eq!(first_epoch.len(), 32);

    // Before any restore: even a relayed batch of the pusher's own operations is refused.
    let own = mayor.answer(0, Some(0), &[]);
    let (status, body) = relay(&server, &mayor, std::slice::from_ref(&own)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "relay_refused"),
        "{body}"
    );
    let (status, ack) = server.push(&mayor, std::slice::from_ref(&own)).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["epoch"], first_epoch.as_str());
    let (_, page) = server
        .get_json("/api/sync/pull?after=0", Some(&mayor.token))
        .await;
    assert_eq!(page["epoch"], first_epoch.as_str());

    // Made before the restore: the agent's answers (one acknowledged, one never pushed), a
    // reopening of its validation, another town's answer, and a device's the server will not
    // know (enrolled after the backup).
    let acked = agent.answer(1, Some(1), &[]);
    let (status, _) = server.push(&agent, std::slice::from_ref(&acked)).await;
    assert_eq!(status, StatusCode::OK);
    let held = agent.answer(2, Some(0), &[]);
    let mut reopening = agent.answer(3, None, &[]);
    reopening.question = diagnostic::network::validation_key("2026");
    let elsewhere = stranger.answer(4, Some(0), &[]);
    let unknown_id = server::auth::new_device_id().unwrap();
    let mut unknown = Phone {
        token: String::new(),
        device: unknown_id.clone(),
        clock: Hlc::zero(unknown_id.clone()),
    };
    let orphan = unknown.answer(5, Some(1), &[]);

    let mut new_epoch_printed = String::new();
    let server = restart(server, backend, |url| new_epoch_printed = new_epoch(url)).await;
    let epoch = health_epoch(&server).await;
    assert_eq!(
        epoch, new_epoch_printed,
        "/api/health reports the new epoch"
    );
    assert_ne!(epoch, first_epoch);

    // A cursor of the old epoch, even past the log, restarts at 0.
    let (status, page) = server
        .get_json(
            &format!("/api/sync/pull?after=999&epoch={first_epoch}"),
            Some(&mayor.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["epoch"], epoch.as_str());
    assert_eq!(page["ops"].as_array().unwrap().len(), 2, "{page}");
    let (status, page) = server
        .get_json(
            &format!("/api/sync/pull?after=999&epoch={epoch}"),
            Some(&mayor.token),
        )
        .await;
    assert_eq!(
        (status, code(&page)),
        (StatusCode::CONFLICT, "cursor_ahead")
    );

    // Refused: another town's device, another device's validation, an answer made after the
    // restore by its own (living) phone.
    let later = agent.answer(6, Some(0), &[]);
    for refused in [&elsewhere, &reopening, &later] {
        let batch = [own.clone(), refused.clone()];
        let (status, body) = relay(&server, &mayor, &batch).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "relay_refused"),
            "{refused:?}: {body}"
        );
    }
    // Without the flag, another device's operation is still a mismatch.
    let (status, body) = server.push(&mayor, std::slice::from_ref(&held)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "device_mismatch")
    );

    // Relayed: the pusher's own (already stored), the agent's acknowledged and held ones, and
    // the unknown device's, which gets a placeholder removed at once.
    let batch = [own.clone(), acked.clone(), held.clone(), orphan.clone()];
    for _ in 0..2 {
        // The second time is a retry: acknowledged again, nothing stored twice.
        let (status, ack) = relay(&server, &mayor, &batch).await;
        assert_eq!(status, StatusCode::OK, "{ack}");
        assert_eq!(ack["epoch"], epoch.as_str());
        assert_eq!(ack["acknowledged"].as_array().unwrap().len(), 4, "{ack}");
    }
    let log = server.pull_all(&mayor, 1000).await;
    let ids: Vec<&str> = log.iter().map(|op| op.id.as_str()).collect();
    assert_eq!(
        ids,
        [&own.id, &acked.id, &held.id, &orphan.id],
        "each once, in order"
    );
    assert_eq!(log[3], orphan, "stored as its device made it");
    assert_eq!(
        relayed_by(&server, &held.id).await,
        Some(mayor.device.clone())
    );
    assert_eq!(
        relayed_by(&server, &orphan.id).await,
        Some(mayor.device.clone())
    );
    assert_eq!(
        relayed_by(&server, &acked.id).await,
        None,
        "pushed by its own phone"
    );

    let (_, devices) = server.get_json("/api/devices", Some(&mayor.token)).await;
    let placeholder = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|device| device["id"] == unknown_id.as_str())
        .unwrap_or_else(|| panic!("no placeholder: {devices}"));
    assert_eq!(placeholder["name"], PLACEHOLDER_NAME);
    assert_eq!(placeholder["role"], "autre");
    assert!(
        placeholder["revoked_ms"].as_u64().is_some(),
        "{placeholder}"
    );
    assert_eq!(placeholder["admin"], false);

    // The agent's own phone still pushes what it made after the restore.
    let (status, _) = server.push(&agent, &[later]).await;
    assert_eq!(status, StatusCode::OK);
    // The stranger cannot relay the placeholder (it is in the mayor's town now).
    let other = Operation {
        id: common::sync::fresh_id(),
        ..orphan.clone()
    };
    let (status, body) = relay(&server, &stranger, &[other]).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "relay_refused"),
        "{body}"
    );
    server.handle.shutdown().await.unwrap();
}

on_both_backends!(relay_rules);

/// What `restore` refuses, and what `backup` refuses, with a clear message and nothing changed.
#[tokio::test]
async fn restore_and_backup_refusals() {
    let server = TestServer::start().await;
    let url = server.database_url.clone();
    let dir = server.tmp.path();
    let backup = dir.join("backup.sqlite");

    // A live database: its write-ahead log is not empty.
    server.create_town("35024", "Laurence").await;
    let output = run(&url, &["backup", "--to", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), backup.display().to_string());
    assert!(stderr(&output).contains("bytes"), "{}", stderr(&output));
    let output = run(&url, &["backup", "--to", backup.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );

    let output = run(&url, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("looks in use"),
        "{}",
        stderr(&output)
    );

    let not_a_database = dir.join("notes.txt");
    std::fs::write(&not_a_database, "pas une base de données\n".repeat(200)).unwrap();
    let output = run(
        &url,
        &["restore", "--from", not_a_database.to_str().unwrap()],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not an Arobase database"),
        "{}",
        stderr(&output)
    );
    // Another SQLite database is no Arobase database either.
    let other = dir.join("other.sqlite");
    {
        use sqlx::{ConnectOptions as _, Connection as _};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&other)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let output = run(&url, &["restore", "--from", other.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not an Arobase database"),
        "{}",
        stderr(&output)
    );

    let output = run(
        &url,
        &["restore", "--from", dir.join("absent").to_str().unwrap()],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("no database"),
        "{}",
        stderr(&output)
    );

    // Nothing changed: same epoch, the server still serves its data.
    let epoch = health_epoch(&server).await;
    server.handle.shutdown().await.unwrap();
    assert!(!dir.join("data").read_dir().unwrap().any(|entry| entry
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("replaced")));
    assert_eq!(epoch.len(), 32);

    let postgres = run(
        "postgres://nobody@127.0.0.1:1/none",
        &["backup", "--to", "x"],
    );
    assert!(!postgres.status.success());
    assert!(
        stderr(&postgres).contains("pg_dump"),
        "{}",
        stderr(&postgres)
    );
    let postgres = run(
        "postgres://nobody@127.0.0.1:1/none",
        &["restore", "--from", "x"],
    );
    assert!(
        stderr(&postgres).contains("pg_restore"),
        "{}",
        stderr(&postgres)
    );
}
