//! Sync figures on this machine (`scripts/bench-sync.sh`, `make bench-sync`): the round trip of
//! a 60-operation push, sustained pushes per second with concurrent phones on SQLite (pushes that
//! wait together share one transaction: group commit, `storage/group.rs`), and, for scale, the
//! raw SQLite commit rate with the same settings (WAL, `synchronous=FULL`) on the same disk in the
//! same run. Figures to quote, never asserted.
//!
//! `cargo run --release -p server --example bench_sync [-- --seconds 5 --dir target/bench]`

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diagnostic::sync::{op_id, Hlc, Operation};
use serde_json::{json, Value};
use server::{Config, Server};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

struct Phone {
    token: String,
    clock: Hlc,
    counter: u64,
}

impl Phone {
    fn ops(&mut self, questions: &[(String, String)], n: usize) -> Vec<Operation> {
        (0..n)
            .map(|_| {
                self.counter += 1;
                let now = server::clock::now_ms();
                self.clock = self.clock.tick(now);
                // As the app does: 10 bytes from the secure generator (74 random bits remain).
                let random = server::auth::random_bytes::<10>().unwrap();
                let (question, option) = &questions[self.counter as usize % questions.len()];
                Operation {
                    id: op_id(now, random),
                    device: self.clock.device.clone(),
                    campaign: "2026".into(),
                    question: question.clone(),
                    option: Some(option.clone()),
                    comment: None,
                    clock: self.clock.clone(),
                    base: Vec::new(),
                }
            })
            .collect()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

async fn post(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("server answers");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

fn phone(enrolment: &Value) -> Phone {
    Phone {
        token: enrolment["token"].as_str().unwrap().to_string(),
        clock: Hlc::zero(enrolment["device"]["id"].as_str().unwrap()),
        counter: 0,
    }
}

/// Raw commits per second: one-row transactions on a fresh file, same pragmas as the server.
async fn raw_sqlite_commits(dir: &std::path::Path, seconds: f64) -> (u64, f64) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("raw.sqlite");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let started = Instant::now();
    let mut commits = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("INSERT INTO t (payload) VALUES ($1)")
            .bind("0190a0b0-0000-7000-8000-000000000001 secu-dpo stage-3")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        commits += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    pool.close().await;
    (commits, commits as f64 / elapsed)
}

#[tokio::main]
async fn main() {
    let seconds: f64 = arg("--seconds", "5")
        .parse()
        .expect("--seconds is a number");
    let base_dir = std::path::PathBuf::from(arg("--dir", "target/bench-sync"));
    std::fs::create_dir_all(&base_dir).unwrap();
    let tmp = tempfile::tempdir_in(&base_dir).unwrap();

    // Same disk, same settings: the ceiling any durable push rate lives under.
    let (raw_commits, raw_rate) = raw_sqlite_commits(tmp.path(), seconds.min(3.0)).await;

    let communes = tmp.path().join("communes");
    std::fs::create_dir_all(&communes).unwrap();
    std::fs::write(
        communes.join("communes.json"),
        r#"[{"code": "35024", "nom": "Betton", "type": "commune-actuelle", "departement": "35",
            "region": "53", "codesPostaux": ["35830"], "population": 12335}]"#,
    )
    .unwrap();
    let config = Config {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", tmp.path().join("arobase.sqlite").display()),
        dist: tmp.path().join("no-dist"),
        communes,
        ..Config::default()
    };
    let (addr, handle) = Server::bind(&config).await.expect("server starts");
    let url = format!("http://{addr}");
    let client = reqwest::Client::new();
    let questions: Vec<(String, String)> = diagnostic::questionnaire()
        .questions()
        .map(|q| (q.id.clone(), q.answers[0].id.clone()))
        .collect();

    let mayor = post(
        &client,
        format!("{url}/api/towns"),
        None,
        json!({"commune": "35024", "name": "Bench", "role": "maire"}),
    )
    .await;
    let mut phones = vec![phone(&mayor)];
    for i in 0..15 {
        let invite = post(
            &client,
            format!("{url}/api/invites"),
            Some(&phones[0].token),
            json!({}),
        )
        .await;
        let joined = post(
            &client,
            format!("{url}/api/join"),
            None,
            json!({"secret": invite["secret"], "name": format!("Phone {i}"), "role": "agent"}),
        )
        .await;
        phones.push(phone(&joined));
    }

    println!(
        "Arobase sync bench — {} cores, SQLite (WAL, synchronous=FULL) in {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        base_dir.display()
    );
    println!();
    println!("raw SQLite commits (1-row transactions, one connection): {raw_rate:8.0} /s  ({raw_commits} in {:.1} s)", seconds.min(3.0));

    // Round trip of a 60-operation push, one phone, one after the other.
    let mut times = Vec::new();
    for _ in 0..60 {
        let ops = phones[0].ops(&questions, 60);
        let started = Instant::now();
        post(
            &client,
            format!("{url}/api/sync/push"),
            Some(&phones[0].token),
            json!({ "ops": ops }),
        )
        .await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "60-operation push round trip (60 runs):  p50 {:6.2} ms   p95 {:6.2} ms   max {:6.2} ms",
        percentile(&times, 50.0),
        percentile(&times, 95.0),
        times.last().unwrap()
    );

    // Sustained load: N phones pushing back to back.
    println!();
    println!(
        "sustained pushes, {seconds:.0} s each (group commit: the pushes waiting together share \
         one transaction):"
    );
    println!("  phones  ops/push   pushes/s     ops/s    p50 ms    p95 ms   vs raw commits   pushes/commit");
    let mut group_rate = 0.0;
    let phones: Vec<Arc<tokio::sync::Mutex<Phone>>> = phones
        .into_iter()
        .map(|p| Arc::new(tokio::sync::Mutex::new(p)))
        .collect();
    let questions = Arc::new(questions);
    let group = handle
        .storage()
        .group_commit()
        .expect("SQLite commits through its group-commit writer");
    for (concurrent, batch) in [(1, 1), (4, 1), (16, 1), (16, 10)] {
        let commits_before = group.batches.load(Ordering::Relaxed);
        let pushes_before = group.pushes.load(Ordering::Relaxed);
        let stop = Arc::new(AtomicBool::new(false));
        let pushes = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for phone in &phones[..concurrent] {
            let phone = phone.clone();
            let (client, url, stop, pushes, questions) = (
                client.clone(),
                url.clone(),
                stop.clone(),
                pushes.clone(),
                questions.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut phone = phone.lock().await;
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let ops = phone.ops(&questions, batch);
                    let started = Instant::now();
                    post(
                        &client,
                        format!("{url}/api/sync/push"),
                        Some(&phone.token),
                        json!({ "ops": ops }),
                    )
                    .await;
                    latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                    pushes.fetch_add(1, Ordering::Relaxed);
                }
                latencies
            }));
        }
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort_by(f64::total_cmp);
        let rate = pushes.load(Ordering::Relaxed) as f64 / elapsed;
        let per_commit = (group.pushes.load(Ordering::Relaxed) - pushes_before) as f64
            / (group.batches.load(Ordering::Relaxed) - commits_before).max(1) as f64;
        println!(
            "  {concurrent:6}  {batch:8}  {rate:9.0}  {:8.0}  {:8.2}  {:8.2}   {:5.0} %          {per_commit:6.1}",
            rate * batch as f64,
            percentile(&latencies, 50.0),
            percentile(&latencies, 95.0),
            100.0 * rate / raw_rate
        );
        if (concurrent, batch) == (16, 1) {
            group_rate = rate;
        }
    }
    handle.shutdown().await.unwrap();

    // Again at the end: on a shared machine the disk's speed drifts during the run.
    let (_, raw_after) = raw_sqlite_commits(&tmp.path().join("after"), seconds.min(3.0)).await;
    println!();
    println!("raw SQLite commits again, after the load:                {raw_after:8.0} /s");
    println!();
    println!(
        "group commit, 16 phones x 1 op: {group_rate:.0} pushes/s against {raw_rate:.0} and \
         {raw_after:.0} raw 1-row commits/s before and after ({:.0} % of their mean)",
        200.0 * group_rate / (raw_rate + raw_after)
    );
    println!(
        "machine load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
