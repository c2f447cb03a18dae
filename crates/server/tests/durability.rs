//! Durability: the real `arobase-server` binary takes pushes from several phones at once, and is
//! killed with SIGKILL (no shutdown, no WAL checkpoint), or loses its PostgreSQL server (stopped
//! with `pg_ctl stop -m immediate`, PostgreSQL's own crash): every operation it acknowledged is
//! there afterwards. A push is answered only after its commit, and SQLite runs with
//! `synchronous=FULL`.
//!
//! The PostgreSQL tests run `AROBASE_CRASH_CYCLES` crashes each (20 by default, as `make test`
//! runs them; `make test-crash` runs more).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::sync::Phone;
use common::Backend;
use diagnostic::sync::Operation;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use common::binary::{enrol, spawn, sqlite_url};

/// Every operation id the town's log holds, read page by page; fails on an operation served twice.
async fn pull_all(client: &reqwest::Client, url: &str, token: &str) -> BTreeSet<String> {
    let mut stored = BTreeSet::new();
    let mut after = 0;
    loop {
        let page: Value = client
            .get(format!("{url}/api/sync/pull?after={after}&limit=1000"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for op in page["ops"].as_array().unwrap() {
            let id = op["id"].as_str().unwrap().to_string();
            assert!(stored.insert(id.clone()), "{id} stored twice");
        }
        after = page["next"].as_u64().unwrap();
        if !page["more"].as_bool().unwrap() {
            break;
        }
    }
    stored
}

fn assert_none_lost(acked: &BTreeSet<String>, stored: &BTreeSet<String>) {
    let lost: Vec<&String> = acked.difference(stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged operations lost: {lost:?}",
        lost.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_operation_survives_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("data/arobase.sqlite");
    let communes = tmp.path().join("communes");
    common::write_communes(&communes);
    let dist = tmp.path().join("dist");
    let (mut child, url) = spawn(&sqlite_url(&db), &communes, &dist);
    let client = reqwest::Client::new();
    let phones = enrol(&client, &url, 3).await;
    let mayor = phones[0].clone();

    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut pushers = Vec::new();
    for mut phone in phones {
        let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
        pushers.push(tokio::spawn(async move {
            let mut round = 0;
            while Instant::now() < deadline {
                let ops: Vec<Operation> = (0..5)
                    .map(|k| phone.answer((round * 5 + k) % 20, Some(k % 4), &[]))
                    .collect();
                round += 1;
                let sent = client
                    .post(format!("{url}/api/sync/push"))
                    .bearer_auth(&phone.token)
                    .json(&json!({ "ops": ops }))
                    .send()
                    .await;
                // Once the server is killed, requests fail: the pusher stops.
                let Ok(response) = sent else { return };
                if !response.status().is_success() {
                    return;
                }
                let Ok(ack) = response.json::<Value>().await else {
                    return;
                };
                let mut acked = acked.lock().unwrap();
                for id in ack["acknowledged"].as_array().unwrap() {
                    acked.insert(id.as_str().unwrap().to_string());
                }
            }
        }));
    }

    // Kill while pushes are in flight, once a good number were acknowledged.
    while acked.lock().unwrap().len() < 1000 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for pusher in pushers {
        pusher.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 1000,
        "only {} operations acknowledged",
        acked.len()
    );

    let (mut child, url) = spawn(&sqlite_url(&db), &communes, &dist);
    let stored = pull_all(&client, &url, &mayor.token).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_none_lost(&acked, &stored);
    // Pushes cut by the kill may have committed without their answer arriving: stored but not
    // acknowledged is fine (the phone pushes them again and they are acknowledged then).
    assert!(stored.len() >= acked.len());
}

/// Crashes per PostgreSQL test: `AROBASE_CRASH_CYCLES`, 20 by default.
fn cycles() -> usize {
    match std::env::var("AROBASE_CRASH_CYCLES") {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("AROBASE_CRASH_CYCLES={value:?} is not a number")),
        Err(_) => 20,
    }
}

/// What the phones of a [`Fleet`] saw.
#[derive(Debug, Default)]
struct Tally {
    /// Every operation the phones made.
    made: BTreeSet<String>,
    /// Every operation the server acknowledged.
    acked: BTreeSet<String>,
    /// Answers 503 with a JSON error and `Retry-After`: the database is down, try again.
    unavailable: usize,
    /// Any other answer than 200 or such a 503, with its body.
    unexpected: Vec<String>,
    /// The longest wait for an answer.
    slowest: Duration,
}

/// Phones pushing to one server as the app does: each keeps its unacknowledged operations in an
/// outbox and pushes them again, through refused connections, cut answers and 503s, until they
/// are acknowledged; then it makes five new ones.
struct Fleet {
    /// The server's base URL: a restarted server listens on a new port.
    url: Arc<Mutex<String>>,
    tally: Arc<Mutex<Tally>>,
    /// Set once the phones should stop making operations and only empty their outboxes.
    stop: Arc<AtomicBool>,
    phones: Vec<JoinHandle<()>>,
}

impl Fleet {
    fn start(client: &reqwest::Client, url: &str, phones: Vec<Phone>) -> Fleet {
        let url = Arc::new(Mutex::new(url.to_string()));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let phones = phones
            .into_iter()
            .map(|phone| {
                tokio::spawn(keep_pushing(
                    phone,
                    client.clone(),
                    url.clone(),
                    tally.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        Fleet {
            url,
            tally,
            stop,
            phones,
        }
    }

    fn point_at(&self, url: &str) {
        *self.url.lock().unwrap() = url.to_string();
    }

    fn unavailable(&self) -> usize {
        self.tally.lock().unwrap().unavailable
    }

    /// Waits until `more` operations were acknowledged; false if that takes longer than `within`.
    async fn wait_for_acks(&self, more: usize, within: Duration) -> bool {
        let target = self.tally.lock().unwrap().acked.len() + more;
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.tally.lock().unwrap().acked.len() >= target {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }

    /// Stops making operations, waits until every phone's outbox is empty, and returns the tally.
    async fn finish(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        for phone in self.phones {
            tokio::time::timeout(Duration::from_secs(60), phone)
                .await
                .expect("the phones' outboxes empty within 60 s")
                .unwrap();
        }
        std::mem::take(&mut *self.tally.lock().unwrap())
    }
}

async fn keep_pushing(
    mut phone: Phone,
    client: reqwest::Client,
    url: Arc<Mutex<String>>,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
) {
    let pause = Duration::from_millis(20);
    let mut outbox: Vec<Operation> = Vec::new();
    let mut round = 0;
    loop {
        if outbox.is_empty() {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            outbox = (0..5)
                .map(|k| phone.answer((round * 5 + k) % 20, Some(k % 4), &[]))
                .collect();
            round += 1;
            let mut tally = tally.lock().unwrap();
            tally.made.extend(outbox.iter().map(|op| op.id.clone()));
        }
        let target = format!("{}/api/sync/push", url.lock().unwrap());
        let started = Instant::now();
        let sent = client
            .post(target)
            .bearer_auth(&phone.token)
            .json(&json!({ "ops": outbox }))
            .send()
            .await;
        // A refused connection or an answer cut short: the server was killed. Try again.
        let Ok(response) = sent else {
            tokio::time::sleep(pause).await;
            continue;
        };
        let status = response.status();
        let retry_after = response.headers().contains_key("retry-after");
        let Ok(text) = response.text().await else {
            tokio::time::sleep(pause).await;
            continue;
        };
        let elapsed = started.elapsed();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let acknowledged = {
            let mut tally = tally.lock().unwrap();
            tally.slowest = tally.slowest.max(elapsed);
            if status == StatusCode::OK {
                let acked: BTreeSet<String> = body["acknowledged"]
                    .as_array()
                    .expect("an acknowledgement lists its operations")
                    .iter()
                    .map(|id| id.as_str().unwrap().to_string())
                    .collect();
                outbox.retain(|op| !acked.contains(&op.id));
                tally.acked.extend(acked);
                true
            } else {
                if status == StatusCode::SERVICE_UNAVAILABLE
                    && retry_after
                    && body["error"].is_string()
                {
                    tally.unavailable += 1;
                } else {
                    tally.unexpected.push(format!("{status}: {text}"));
                }
                false
            }
        };
        if acknowledged {
            continue;
        }
        tokio::time::sleep(pause).await;
    }
}

/// After the crashes and the retries: no odd answer, nothing acknowledged lost, and every
/// operation the phones made stored exactly once (`pull_all` fails on a duplicate).
fn assert_exactly_once(tally: &Tally, stored: &BTreeSet<String>) {
    assert!(
        tally.unexpected.is_empty(),
        "{} answers neither 200 nor 503 with Retry-After: {:?}",
        tally.unexpected.len(),
        &tally.unexpected[..tally.unexpected.len().min(5)]
    );
    assert_none_lost(&tally.acked, stored);
    let missing: Vec<&String> = tally.made.difference(stored).collect();
    assert!(
        missing.is_empty(),
        "{} operations never stored despite retries: {missing:?}",
        missing.len()
    );
    let unknown = stored.difference(&tally.made).count();
    assert_eq!(unknown, 0, "the log holds operations no phone made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_operation_through_server_kills() {
    let tmp = tempfile::tempdir().unwrap();
    let communes = tmp.path().join("communes");
    common::write_communes(&communes);
    let dist = tmp.path().join("dist");
    let database_url = common::fresh_database_url(Backend::Postgres, tmp.path()).await;
    let (mut child, url) = spawn(&database_url, &communes, &dist);
    let client = reqwest::Client::new();
    let phones = enrol(&client, &url, 3).await;
    let mayor = phones[0].clone();
    let fleet = Fleet::start(&client, &url, phones);

    let mut url = url;
    let cycles = cycles();
    let started = Instant::now();
    for cycle in 0..cycles {
        // Killed while pushes are in flight, once some were acknowledged since the restart.
        assert!(
            fleet.wait_for_acks(20, Duration::from_secs(30)).await,
            "cycle {cycle}: no push acknowledged within 30 s"
        );
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        (child, url) = spawn(&database_url, &communes, &dist);
        fleet.point_at(&url);
    }
    assert!(fleet.wait_for_acks(20, Duration::from_secs(30)).await);
    let tally = fleet.finish().await;
    let stored = pull_all(&client, &url, &mayor.token).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_exactly_once(&tally, &stored);
    eprintln!(
        "{cycles} server kills in {:?}: {} operations",
        started.elapsed(),
        stored.len()
    );
}

/// A PostgreSQL cluster of the test's own (data directory, port), so stopping it hits no other
/// test: made by `initdb` from the binaries `scripts/postgres.sh` installs (the newest under
/// `/usr/lib/postgresql`, or `AROBASE_TEST_POSTGRES_BIN`), run as `postgres` when the tests run
/// as root (PostgreSQL refuses root).
struct Cluster {
    /// Data directory, socket and log; owned by the cluster's user.
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    fn init() -> Cluster {
        use std::os::unix::fs::MetadataExt as _;
        let bin = match std::env::var_os("AROBASE_TEST_POSTGRES_BIN") {
            Some(bin) => PathBuf::from(bin),
            None => {
                let versions = std::fs::read_dir("/usr/lib/postgresql").expect(
                    "PostgreSQL's binaries are not installed under /usr/lib/postgresql: run \
                     scripts/postgres.sh, or set AROBASE_TEST_POSTGRES_BIN",
                );
                let newest = versions
                    .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
                    .max()
                    .expect("a PostgreSQL version under /usr/lib/postgresql");
                PathBuf::from(format!("/usr/lib/postgresql/{newest}/bin"))
            }
        };
        let dir = tempfile::tempdir().unwrap();
        // The owner of /proc/self is the process's effective user.
        let as_postgres = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        if as_postgres {
            let id = |flag: &str| -> u32 {
                let out = Command::new("id")
                    .args([flag, "postgres"])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "no `postgres` user");
                String::from_utf8(out.stdout)
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap()
            };
            std::os::unix::fs::chown(dir.path(), Some(id("-u")), Some(id("-g"))).unwrap();
        }
        // A port nobody listens on now (PostgreSQL binds it a moment later).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "--no-sync",
                "--no-instructions",
                "-A",
                "trust",
                "-U",
                "arobase",
                "-E",
                "UTF8",
                "-D",
                data.to_str().unwrap(),
            ],
        );
        // `fsync = off`: the crash here is PostgreSQL's, not the machine's, so what PostgreSQL
        // wrote before acknowledging a commit is in the kernel's cache either way; without the
        // flushes, crash recovery and its checkpoint take a fraction of the time on CI's disk.
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(
            &mut conf,
            format!(
                "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
                 fsync = off\n",
                cluster.dir.path().display()
            )
            .as_bytes(),
        )
        .unwrap();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://arobase@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        let out = command.args(args).stdin(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the cluster and waits until it accepts connections (crash recovery included).
    fn start(&self) {
        let log = self.dir.path().join("log");
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
            ],
        );
    }

    /// PostgreSQL's crash: every backend ends at once, no checkpoint; recovery replays the WAL.
    fn stop_immediately(&self) {
        let data = self.data();
        self.run(
            "pg_ctl",
            &["stop", "-m", "immediate", "-D", data.to_str().unwrap()],
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        if data.join("postmaster.pid").exists() {
            self.stop_immediately();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_crashes_answer_503_and_the_server_reconnects_by_itself() {
    let cluster = Cluster::init();
    cluster.start();
    let tmp = tempfile::tempdir().unwrap();
    let communes = tmp.path().join("communes");
    common::write_communes(&communes);
    let dist = tmp.path().join("dist");
    let (mut child, url) = spawn(&cluster.url(), &communes, &dist);
    let client = reqwest::Client::new();
    let phones = enrol(&client, &url, 3).await;
    let mayor = phones[0].clone();
    let fleet = Fleet::start(&client, &url, phones);

    let cycles = cycles();
    let started = Instant::now();
    for cycle in 0..cycles {
        // Each crash comes once pushes go through again: the same server process reconnected.
        assert!(
            fleet.wait_for_acks(20, Duration::from_secs(30)).await,
            "cycle {cycle}: no push acknowledged within 30 s of PostgreSQL's restart"
        );
        let unavailable = fleet.unavailable();
        cluster.stop_immediately();
        // Mostly short outages (pushes in flight are answered 503, the next ones wait for a
        // connection and go through once PostgreSQL is back), one in ten (and the last) longer
        // than the pool's 5 s acquire timeout: every phone waiting then must get a 503.
        let long = cycle % 10 == 9 || cycle + 1 == cycles;
        let outage = Duration::from_millis(if long { 6_500 } else { 300 });
        tokio::time::sleep(outage).await;
        if long {
            assert!(
                fleet.unavailable() > unavailable,
                "cycle {cycle}: no 503 while PostgreSQL was down for {outage:?}"
            );
        }
        cluster.start();
    }
    assert!(fleet.wait_for_acks(20, Duration::from_secs(30)).await);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server exited while PostgreSQL was down"
    );
    let tally = fleet.finish().await;
    let stored = pull_all(&client, &url, &mayor.token).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_exactly_once(&tally, &stored);
    let timeout = Duration::from_secs(server::config::DEFAULT_REQUEST_TIMEOUT_S);
    assert!(
        tally.slowest < timeout,
        "an answer took {:?}, past the request timeout",
        tally.slowest
    );
    eprintln!(
        "{cycles} PostgreSQL crashes in {:?}: {} operations, {} answers 503, slowest answer {:?}",
        started.elapsed(),
        stored.len(),
        tally.unavailable,
        tally.slowest
    );
}
