//! Backups, restores and epochs through the real `arobase-server` binary (`backup`, `restore`,
//! `new-epoch`), and the relay rules of a restored server over HTTP on both backends
//! (docs/operations.md, « Backups and restore »; docs/sync.md).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::binary::{enrol, spawn, sqlite_url, BINARY};
use common::sync::{fresh_id, now_ms, questions, Phone};
use common::{on_both_backends, Backend, Dist, TestServer};
use diagnostic::sync::server::PLACEHOLDER_NAME;
use diagnostic::sync::{server_restored, Hlc, Operation, PullPage, PushAck, Replica, MAX_BATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};

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

/// The command failed and its error names `reason`.
fn refused_saying(output: &Output, reason: &str) {
    assert!(!output.status.success(), "succeeded: {}", stderr(output));
    assert!(stderr(output).contains(reason), "{}", stderr(output));
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

/// The devices of `phone`'s town whose id is `id` (as `GET /api/devices` lists them).
async fn devices_named(server: &TestServer, phone: &Phone, id: &str) -> Vec<Value> {
    let (status, devices) = server.get_json("/api/devices", Some(&phone.token)).await;
    assert_eq!(status, StatusCode::OK, "{devices}");
    devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|device| device["id"] == id)
        .cloned()
        .collect()
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

    let placeholders = devices_named(&server, &mayor, &unknown_id).await;
    assert_eq!(placeholders.len(), 1, "{placeholders:?}");
    let placeholder = &placeholders[0];
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

/// Phones relaying the same operations of a device the server does not know, all at once (on
/// PostgreSQL in parallel transactions): one placeholder, each operation stored once.
async fn concurrent_relays(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mayor = server.create_town("35024", "Laurence").await;
    let mut relayers = vec![mayor.clone()];
    for name in ["Sami", "Inès", "Paul"] {
        relayers.push(server.add_phone(&mayor, name).await);
    }
    let unknown_id = server::auth::new_device_id().unwrap();
    let mut unknown = Phone {
        token: String::new(),
        device: unknown_id.clone(),
        clock: Hlc::zero(unknown_id.clone()),
    };
    let orphans: Vec<Operation> = (0..20).map(|k| unknown.answer(k, Some(0), &[])).collect();
    let server = restart(server, backend, |url| {
        new_epoch(url);
    })
    .await;
    let server = std::sync::Arc::new(server);
    let relays: Vec<_> = relayers
        .into_iter()
        .map(|phone| {
            let (server, orphans) = (server.clone(), orphans.clone());
            tokio::spawn(async move { relay(&server, &phone, &orphans).await })
        })
        .collect();
    for relayed in relays {
        let (status, ack) = relayed.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{ack}");
    }
    let log = server.pull_all(&mayor, 1000).await;
    assert_eq!(log, orphans, "each operation once, as its device made it");
    let placeholders = devices_named(&server, &mayor, &unknown_id).await;
    assert_eq!(placeholders.len(), 1, "{placeholders:?}");
}

on_both_backends!(relay_rules, concurrent_relays);

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
    refused_saying(&output, "already exists");

    let output = run(&url, &["restore", "--from", backup.to_str().unwrap()]);
    refused_saying(&output, "looks in use");

    let not_a_database = dir.join("notes.txt");
    std::fs::write(&not_a_database, "pas une base de données\n".repeat(200)).unwrap();
    let output = run(
        &url,
        &["restore", "--from", not_a_database.to_str().unwrap()],
    );
    refused_saying(&output, "is not an Arobase database");
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
    refused_saying(&output, "is not an Arobase database");

    let output = run(
        &url,
        &["restore", "--from", dir.join("absent").to_str().unwrap()],
    );
    refused_saying(&output, "no database");

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
    refused_saying(&postgres, "pg_dump");
    let postgres = run(
        "postgres://nobody@127.0.0.1:1/none",
        &["restore", "--from", "x"],
    );
    refused_saying(&postgres, "pg_restore");
}

/// A phone of the load test: the domain crate's replica (what the app keeps), its token, and
/// where its pulls are.
struct Handset {
    token: String,
    replica: Replica,
    /// The pull cursor and the epoch it belongs to.
    after: u64,
    epoch: Option<String>,
}

impl Handset {
    fn new(phone: &Phone) -> Self {
        Handset {
            token: phone.token.clone(),
            replica: Replica::new(phone.device.clone()),
            after: 0,
            epoch: None,
        }
    }

    /// Answers `n` questions (the next ones round the questionnaire), into the outbox.
    fn answer(&mut self, n: usize, round: &mut usize) {
        let questions = questions();
        for _ in 0..n {
            let (question, options) = &questions[*round % questions.len()];
            let option = options[*round % options.len()].clone();
            self.replica
                .record(fresh_id(), now_ms(), "2026", question, Some(option), None);
            *round += 1;
        }
    }

    /// Pushes the outbox (`relay: false`) or the next re-send batch (`relay: true`); `None` when
    /// the server could not be reached or refused (the caller stops).
    async fn push(&mut self, client: &reqwest::Client, url: &str, relay: bool) -> Option<usize> {
        let ops = if relay {
            self.replica
                .next_resend(MAX_BATCH, diagnostic::questionnaire(), true)
        } else {
            self.replica.send(MAX_BATCH)
        };
        if ops.is_empty() {
            return Some(0);
        }
        let response = client
            .post(format!("{url}/api/sync/push"))
            .bearer_auth(&self.token)
            .json(&json!({ "ops": ops, "relay": relay }))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert!(!relay, "a relayed batch was refused: {status} {body}");
            return None;
        }
        let ack: PushAck = response.json().await.ok()?;
        self.seen_epoch(&ack.epoch);
        if relay {
            self.replica.resent(&ack, now_ms());
        } else {
            self.replica.acknowledge(&ack, now_ms());
        }
        Some(ack.acknowledged.len())
    }

    /// Pulls until the log is exhausted, as the app does (cursor and epoch kept).
    async fn pull(&mut self, client: &reqwest::Client, url: &str) -> Option<()> {
        loop {
            let epoch = self.epoch.clone().unwrap_or_default();
            let page: PullPage = client
                .get(format!(
                    "{url}/api/sync/pull?after={}&limit=500&epoch={epoch}",
                    self.after
                ))
                .bearer_auth(&self.token)
                .send()
                .await
                .ok()?
                .error_for_status()
                .ok()?
                .json()
                .await
                .ok()?;
            self.seen_epoch(&page.epoch);
            self.replica.receive(page.ops, now_ms());
            self.after = page.next;
            if !page.more {
                return Some(());
            }
        }
    }

    /// What the app does when a reply names an epoch: a new one means a restore.
    fn seen_epoch(&mut self, reported: &str) {
        if server_restored(self.epoch.as_deref(), reported) {
            self.replica.start_resend();
            self.after = 0;
        }
        self.epoch = Some(reported.to_string());
    }

    fn held(&self) -> BTreeMap<String, Operation> {
        (*self.replica.ops).clone()
    }
}

/// Stops the binary as systemd does (SIGTERM: a graceful stop, the WAL checkpointed).
fn stop(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every operation of the town's log, page by page, in the server's epoch `epoch`.
async fn whole_log(client: &reqwest::Client, url: &str, token: &str) -> Vec<Operation> {
    let mut handset = Handset {
        token: token.to_string(),
        replica: Replica::new("reader"),
        after: 0,
        epoch: None,
    };
    let mut log = Vec::new();
    loop {
        let page: PullPage = client
            .get(format!(
                "{url}/api/sync/pull?after={}&limit=1000",
                handset.after
            ))
            .bearer_auth(&handset.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        handset.after = page.next;
        log.extend(page.ops);
        if !page.more {
            return log;
        }
    }
}

/// The test: a live server under load is backed up, keeps acknowledging pushes after
/// the backup, stops and is restored from it; the phones see the new epoch, pull from 0 and
/// re-send (relay) what they hold; then every operation any phone held is on the server, once.
/// A phone enrolled after the backup is unknown to the restored server: its operations come back
/// through the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restored_server_gets_back_every_operation_the_phones_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("data/arobase.sqlite");
    let url_db = sqlite_url(&db);
    let communes = tmp.path().join("communes");
    common::write_communes(&communes);
    let dist = tmp.path().join("dist");
    let backup = tmp.path().join("backups/arobase-backup.sqlite");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();

    let (child, url) = spawn(&url_db, &communes, &dist);
    let client = reqwest::Client::new();
    let phones = enrol(&client, &url, 3).await;
    let handsets: Vec<Arc<tokio::sync::Mutex<Handset>>> = phones
        .iter()
        .map(|phone| Arc::new(tokio::sync::Mutex::new(Handset::new(phone))))
        .collect();
    let acked = Arc::new(Mutex::new(BTreeSet::new()));

    // Every phone answers, pushes and pulls until told to stop.
    let stop_at = Arc::new(Mutex::new(None::<Instant>));
    let load = |handsets: Vec<Arc<tokio::sync::Mutex<Handset>>>| {
        handsets
            .into_iter()
            .map(|handset| {
                let (client, url, acked, stop_at) =
                    (client.clone(), url.clone(), acked.clone(), stop_at.clone());
                tokio::spawn(async move {
                    let mut round = 0;
                    loop {
                        if stop_at
                            .lock()
                            .unwrap()
                            .is_some_and(|at| Instant::now() > at)
                        {
                            return;
                        }
                        let mut handset = handset.lock().await;
                        handset.answer(3, &mut round);
                        let sent: Vec<String> = handset
                            .replica
                            .pending()
                            .into_iter()
                            .map(|op| op.id)
                            .collect();
                        if handset.push(&client, &url, false).await.is_some() {
                            acked.lock().unwrap().extend(sent);
                        }
                        handset.pull(&client, &url).await;
                    }
                })
            })
            .collect::<Vec<_>>()
    };
    let pushers = load(handsets.clone());
    while acked.lock().unwrap().len() < 300 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The backup, while the phones push: it holds at least what was acknowledged before it.
    let acked_before_backup = acked.lock().unwrap().clone();
    let output = {
        let (url_db, backup) = (url_db.clone(), backup.clone());
        tokio::task::spawn_blocking(move || {
            run(&url_db, &["backup", "--to", backup.to_str().unwrap()])
        })
        .await
        .unwrap()
    };
    assert!(output.status.success(), "{}", stderr(&output));
    let acked_at_backup = acked.lock().unwrap().len();

    // A phone enrolled after the backup joins the load; then the at-risk window: pushes
    // acknowledged after the backup, which the restored server will not have.
    let late = common::binary::enrol_one(&client, &url, &phones[0], "Téléphone tardif").await;
    let late = Arc::new(tokio::sync::Mutex::new(Handset::new(&late)));
    let late_pusher = load(vec![late.clone()]);
    while acked.lock().unwrap().len() < acked_at_backup + 300 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    *stop_at.lock().unwrap() = Some(Instant::now());
    for pusher in pushers.into_iter().chain(late_pusher) {
        pusher.await.unwrap();
    }
    // Each phone catches up, so the late phone's answers are held by the others too.
    for handset in handsets.iter().chain([&late]) {
        let mut handset = handset.lock().await;
        while !handset.replica.pending().is_empty() {
            handset.push(&client, &url, false).await.expect("pushed");
        }
    }
    for handset in &handsets {
        handset
            .lock()
            .await
            .pull(&client, &url)
            .await
            .expect("pulled");
    }
    let before = whole_log(&client, &url, &phones[0].token).await;
    let old_epoch = handsets[0].lock().await.epoch.clone().unwrap();
    stop(child);

    // The restore, with the server stopped.
    let output = run(&url_db, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let new_epoch = stdout(&output);
    assert_ne!(new_epoch, old_epoch);
    let (child, url) = spawn(&url_db, &communes, &dist);
    let health: Value = client
        .get(format!("{url}/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["epoch"], new_epoch.as_str());
    let restored = whole_log(&client, &url, &phones[0].token).await;
    let restored_ids: BTreeSet<&String> = restored.iter().map(|op| &op.id).collect();
    assert!(
        acked_before_backup
            .iter()
            .all(|id| restored_ids.contains(id)),
        "the backup lacks operations acknowledged before it began"
    );
    let lost = before.len() - restored.len();
    assert!(
        lost > 0,
        "the at-risk window is empty: the test proves nothing"
    );
    let late_device = late.lock().await.replica.device().to_string();
    assert!(restored.iter().all(|op| op.device != late_device));

    // A pull with the old epoch and a cursor past the restored log starts over at 0.
    let mut first = handsets[1].lock().await;
    assert!(
        first.after > restored.len() as u64,
        "the cursor is past the restored log"
    );
    first
        .pull(&client, &url)
        .await
        .expect("a pull of the old epoch is served");
    assert_eq!(first.epoch.as_deref(), Some(new_epoch.as_str()));
    assert!(
        first.replica.resend.is_some(),
        "the new epoch started a re-send"
    );
    drop(first);

    // The phones re-send everything they hold, all at once; the late phone's token is lost.
    let relays: Vec<_> = handsets
        .iter()
        .map(|handset| {
            let (handset, client, url) = (handset.clone(), client.clone(), url.clone());
            tokio::spawn(async move {
                let mut handset = handset.lock().await;
                handset.pull(&client, &url).await.expect("pulled");
                assert!(handset.replica.resend.is_some());
                while handset.replica.resend.is_some() {
                    handset.push(&client, &url, true).await.expect("relayed");
                }
            })
        })
        .collect();
    for relay in relays {
        relay.await.unwrap();
    }

    let after = whole_log(&client, &url, &phones[0].token).await;
    let mut held = BTreeMap::new();
    for handset in handsets.iter().chain([&late]) {
        held.extend(handset.lock().await.held());
    }
    let ids: Vec<&String> = after.iter().map(|op| &op.id).collect();
    let unique: BTreeSet<&String> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an operation is stored twice");
    let on_server: BTreeSet<&String> = unique;
    let held_ids: BTreeSet<&String> = held.keys().collect();
    assert_eq!(
        held_ids.difference(&on_server).count(),
        0,
        "operations held by a phone are missing"
    );
    assert_eq!(on_server, held_ids, "nothing but what the phones held");
    assert!(acked.lock().unwrap().iter().all(|id| held.contains_key(id)));
    for op in &after {
        assert_eq!(Some(op), held.get(&op.id), "stored as its phone holds it");
    }
    let relayed_late = after.iter().filter(|op| op.device == late_device).count();
    assert!(
        relayed_late > 0,
        "the late phone's answers came back through the others"
    );
    eprintln!(
        "{} operations before the restore, {} in the backup ({} acknowledged before it began), \
         {lost} brought back by the phones' relay ({relayed_late} of the phone enrolled after the \
         backup)",
        before.len(),
        restored.len(),
        acked_before_backup.len()
    );
    stop(child);
}
