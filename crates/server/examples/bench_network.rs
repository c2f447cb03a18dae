//! The network at national scale (`scripts/bench-network.sh`, `make bench-network`): a synthetic
//! campaign on the real communes of 2 500 to 4 999 inhabitants of the referential the server
//! loads (2 215 with `@etalab/decoupage-administratif` 6.0.0), three yearly campaigns each, about
//! 60 answers per campaign, 60 % of towns validated and released (a quarter of them named), every
//! space verified (open mode). Then, through real HTTP against the real server booted in this
//! process on port 0, on SQLite (a file) and on PostgreSQL (a schema of its own, dropped at the
//! end): the publication pass, one town's comparison, the operators' dashboard and both CSVs.
//! Figures to quote, never asserted.
//!
//! The dataset is seeded through the real API too (`POST /api/towns`, then one push per campaign
//! holding the answers, the validation and the release, as the app sends them), by a few
//! concurrent clients: every write is the server's own transaction and check.
//!
//! `cargo run --release -p server --example bench_network -- [--backend sqlite|postgres|both]
//!  [--dir target/bench-network] [--communes node_modules/@etalab/decoupage-administratif/data]
//!  [--requests 600] [--runs 5]`; PostgreSQL needs `AROBASE_TEST_POSTGRES_URL`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diagnostic::association::TownSpaces;
use diagnostic::network::{record_release, record_validation, ReleaseLevel};
use diagnostic::sync::{Operation, Replica};
use serde_json::{json, Value};
use server::{Config, Server, ServerHandle};

mod common;
use common::{
    arg, communes_of_size, fresh_id, in_postgres_schema, load_average, percentile, pick_option,
    post, Rng,
};

const CAMPAIGNS: [&str; 3] = ["2024", "2025", "2026"];
/// The campaign whose comparison, dashboard and CSV are measured (the one with a previous year).
const MEASURED: &str = "2026";
/// Concurrent clients seeding the dataset.
const SEEDERS: usize = 8;

/// `min–max (p50 …, p95 …) ms over n`.
fn summary(times: &[f64]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    format!(
        "{:7.2}–{:<7.2} ms   p50 {:7.2}   p95 {:7.2}   (n = {})",
        sorted[0],
        sorted[sorted.len() - 1],
        percentile(&sorted, 50.0),
        percentile(&sorted, 95.0),
        sorted.len()
    )
}

/// This process's resident memory now and at its peak (server and bench client together; the
/// client's share is a few MB).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or("?".to_string(), |kb| format!("{} MB", kb / 1024))
    };
    format!("RSS {} (peak {})", field("VmRSS:"), field("VmHWM:"))
}

/// One town of the dataset, as its administrator's phone sees it.
struct Town {
    index: usize,
    departement: String,
    token: String,
    replica: Replica,
}

/// What a town does in one campaign: 60 % validate and release (a quarter of them named), 15 %
/// validate only, 20 % answer without validating, 5 % have not started.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Progress {
    NotStarted,
    Answering,
    Validated,
    Released(ReleaseLevel),
}

fn progress(rng: &mut Rng) -> Progress {
    match rng.below(100) {
        0..=4 => Progress::NotStarted,
        5..=24 => Progress::Answering,
        25..=39 => Progress::Validated,
        n if n % 4 == 0 => Progress::Released(ReleaseLevel::Named),
        _ => Progress::Released(ReleaseLevel::Anonymous),
    }
}

/// A stable 0–2 head start per département, so its medians differ from its neighbours'.
fn departement_bias(departement: &str) -> u64 {
    departement
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 3
}

/// The operations of one town's campaign: every question answered around a maturity (the
/// département's head start, the town's own, a little progress each year), five answers then
/// revised, and the validation and release when `progress` says so.
fn campaign_ops(town: &mut Town, year: usize, progress: Progress, rng: &mut Rng) -> Vec<Operation> {
    let q = diagnostic::questionnaire();
    let campaign = CAMPAIGNS[year];
    if progress == Progress::NotStarted {
        return Vec::new();
    }
    let maturity = departement_bias(&town.departement) + rng.below(3) + rng.below(year as u64 + 1);
    let questions: Vec<_> = q.questions().collect();
    let mut ops = Vec::new();
    let record = |replica: &mut Replica, question: &diagnostic::Question, rng: &mut Rng| {
        replica.record(
            fresh_id(),
            server::clock::now_ms(),
            campaign,
            &question.id,
            Some(pick_option(question, maturity, rng)),
            None,
        )
    };
    for question in &questions {
        ops.push(record(&mut town.replica, question, rng));
    }
    for _ in 0..5 {
        let question = questions[rng.below(questions.len() as u64) as usize];
        ops.push(record(&mut town.replica, question, rng));
    }
    if matches!(progress, Progress::Validated | Progress::Released(_)) {
        ops.push(record_validation(
            &mut town.replica,
            fresh_id(),
            server::clock::now_ms(),
            q,
            campaign,
        ));
    }
    if let Progress::Released(level) = progress {
        ops.push(
            record_release(
                &mut town.replica,
                fresh_id(),
                server::clock::now_ms(),
                campaign,
                Some(level),
            )
            .expect("a validated campaign can be released"),
        );
    }
    ops
}

/// GET `path` with `token`; the time of the whole exchange (body read) in ms, and the body.
async fn timed_get(client: &reqwest::Client, url: &str, token: Option<&str>) -> (f64, Vec<u8>) {
    let started = Instant::now();
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("server answers");
    let status = response.status();
    let body = response.bytes().await.expect("body").to_vec();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(
        status.is_success(),
        "GET {url}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    (ms, body)
}

/// Creates every town's space and pushes its three campaigns, `SEEDERS` clients at once.
async fn seed(
    client: &reqwest::Client,
    base: &str,
    communes: &[(String, String)],
) -> (Vec<Town>, [usize; 4]) {
    let communes = Arc::new(communes.to_vec());
    let mut tasks = Vec::new();
    for worker in 0..SEEDERS {
        let (client, base, communes) = (client.clone(), base.to_string(), communes.clone());
        tasks.push(tokio::spawn(async move {
            let mut towns = Vec::new();
            let mut counts = [0usize; 4];
            for (index, (code, departement)) in communes.iter().enumerate() {
                if index % SEEDERS != worker {
                    continue;
                }
                let created = post(
                    &client,
                    &format!("{base}/api/towns"),
                    None,
                    json!({"commune": code, "name": "Maire", "role": "maire"}),
                )
                .await;
                let device = created["device"]["id"].as_str().unwrap().to_string();
                let mut town = Town {
                    index,
                    departement: departement.clone(),
                    token: created["token"].as_str().unwrap().to_string(),
                    replica: Replica::new(device),
                };
                for year in 0..CAMPAIGNS.len() {
                    let mut rng = Rng::seeded((index * CAMPAIGNS.len() + year) as u64);
                    let progress = progress(&mut rng);
                    counts[match progress {
                        Progress::NotStarted => 0,
                        Progress::Answering => 1,
                        Progress::Validated => 2,
                        Progress::Released(_) => 3,
                    }] += 1;
                    let ops = campaign_ops(&mut town, year, progress, &mut rng);
                    if !ops.is_empty() {
                        post(
                            &client,
                            &format!("{base}/api/sync/push"),
                            Some(&town.token),
                            json!({ "ops": ops }),
                        )
                        .await;
                    }
                }
                towns.push(town);
            }
            (towns, counts)
        }));
    }
    let mut towns = Vec::new();
    let mut counts = [0usize; 4];
    for task in tasks {
        let (some, c) = task.await.expect("a seeding client");
        towns.extend(some);
        for (total, n) in counts.iter_mut().zip(c) {
            *total += n;
        }
    }
    towns.sort_by_key(|town| town.index);
    (towns, counts)
}

async fn start(database_url: &str, dir: &Path, communes: &Path) -> (String, ServerHandle) {
    let config = Config {
        listen: "127.0.0.1:0".into(),
        database_url: database_url.to_string(),
        dist: dir.join("no-dist"),
        communes: communes.to_path_buf(),
        // Every new space verified at once: only verified spaces count in aggregates.
        town_spaces: TownSpaces::Open,
        // One client creates 2 215 spaces and downloads the open data many times.
        anonymous_burst: 1_000_000,
        invites_burst: 1_000_000,
        ..Config::default()
    };
    let (addr, handle) = Server::bind(&config).await.expect("server starts");
    (format!("http://{addr}"), handle)
}

async fn operator_token(client: &reqwest::Client, base: &str, handle: &ServerHandle) -> String {
    let (_, url) = server::operators::add(handle.storage(), "Banc d'essai", None, base)
        .await
        .expect("an operator");
    let secret = url.split_once('#').expect("a link with its secret").1;
    let enrolled = post(
        client,
        &format!("{base}/api/operator/enrol"),
        None,
        json!({"secret": secret, "device_name": "Banc d'essai"}),
    )
    .await;
    enrolled["token"].as_str().unwrap().to_string()
}

/// Forgets every publication, so the next pass publishes from scratch (bench only).
async fn drop_ledgers(handle: &ServerHandle) {
    let statement = "DELETE FROM network_ledgers";
    match handle.storage() {
        server::storage::Database::Sqlite(db) => {
            sqlx::query(statement).execute(db.writer()).await.unwrap();
        }
        server::storage::Database::Postgres(db) => {
            sqlx::query(statement).execute(db.pool()).await.unwrap();
        }
    }
}

/// One publication pass: as after a restart (`fresh`: every town's log read) or as the server's
/// hourly task runs it (with what it keeps in memory).
async fn publication_pass(
    handle: &ServerHandle,
    fresh: bool,
) -> (f64, server::network::PublicationReport) {
    let started = Instant::now();
    let now = server::clock::now_ms();
    let report = if fresh {
        server::network::run_once(handle.storage(), now).await
    } else {
        server::network::run_once_with(handle.storage(), handle.network(), now).await
    }
    .expect("a publication pass");
    (started.elapsed().as_secs_f64() * 1000.0, report)
}

async fn bench_backend(
    name: &str,
    database_url: &str,
    dir: &Path,
    communes_dir: &Path,
    communes: &[(String, String)],
    requests: usize,
    runs: usize,
) {
    println!();
    println!("== {name} ==  load average {}", load_average());
    let started = Instant::now();
    let (base, handle) = start(database_url, dir, communes_dir).await;
    println!(
        "server up (referential imported) in {:.1} s; {}",
        started.elapsed().as_secs_f64(),
        memory()
    );
    let client = reqwest::Client::new();

    let started = Instant::now();
    let (towns, counts) = seed(&client, &base, communes).await;
    println!(
        "seeded through the API in {:.0} s ({SEEDERS} clients): {} towns × {} campaigns — \
         not started {}, answering {}, validated only {}, released {}; {}",
        started.elapsed().as_secs_f64(),
        towns.len(),
        CAMPAIGNS.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        memory()
    );

    // The publication pass from scratch: ledgers forgotten, every town's log read.
    let mut scratch = Vec::new();
    let mut last = server::network::PublicationReport::default();
    for _ in 0..3 {
        drop_ledgers(&handle).await;
        let (ms, report) = publication_pass(&handle, true).await;
        scratch.push(ms);
        last = report;
    }
    println!(
        "publication pass, 3 campaigns from scratch (logs read, nothing published before): {}  \
         ({} groups published)",
        summary(&scratch),
        last.published
    );
    // As the server runs it: the first pass after a start reads every log; the next ones,
    // nothing having changed, only what changed.
    let (first, _) = publication_pass(&handle, false).await;
    let mut steady = Vec::new();
    for _ in 0..3 {
        steady.push(publication_pass(&handle, false).await.0);
    }
    println!("publication pass as the server runs it: first after start {first:.0} ms (logs read), then nothing changed: {}", summary(&steady));
    println!(
        "after the passes: {}; load average {}",
        memory(),
        load_average()
    );

    // One town's comparison: many towns, each its own token, one after the other.
    let aggregates = format!("{base}/api/network/aggregates?campaign={MEASURED}");
    let mut rng = Rng::seeded(42);
    let mut order: Vec<usize> = (0..towns.len()).collect();
    rng.shuffle(&mut order);
    let mut times = Vec::new();
    let mut shown = 0usize;
    let mut groups = 0usize;
    for i in 0..requests {
        let town = &towns[order[i % order.len()]];
        let (ms, body) = timed_get(&client, &aggregates, Some(&town.token)).await;
        times.push(ms);
        let page: Value = serde_json::from_slice(&body).unwrap();
        for group in page["groups"].as_array().unwrap() {
            groups += 1;
            shown += usize::from(group["status"] == "shown");
        }
    }
    println!(
        "town comparison GET {}: {}  ({} towns; {:.1} of {:.1} groups shown per town)",
        diagnostic::network::routes::AGGREGATES,
        summary(&times),
        requests.min(towns.len()),
        shown as f64 / requests as f64,
        groups as f64 / requests as f64
    );

    // The same with the ledger read and parsed at each request (what the route did before the
    // server kept it).
    let mut uncached = Vec::new();
    for i in 0..(requests / 10).max(5) {
        handle.network().clear();
        let town = &towns[order[i % order.len()]];
        uncached.push(timed_get(&client, &aggregates, Some(&town.token)).await.0);
    }
    println!(
        "town comparison, ledger read at each request:  {}",
        summary(&uncached)
    );

    // The dashboard and the CSVs: with the server's memory empty (every town's log read, the
    // ledgers parsed: what every request did before the server kept them), first load after a
    // publication, then warm.
    let operator = operator_token(&client, &base, &handle).await;
    let dashboard = format!("{base}/api/operator/network?campaign={MEASURED}");
    let operator_csv = format!("{base}/api/operator/network.csv?campaign={MEASURED}");
    let open_csv = format!("{base}/api/network/aggregates.csv?campaign={MEASURED}");
    let mut empty = Vec::new();
    for _ in 0..runs {
        handle.network().clear();
        empty.push(timed_get(&client, &dashboard, Some(&operator)).await.0);
    }
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    let (mut csv_cold, mut csv_warm, mut open_warm) = (Vec::new(), Vec::new(), Vec::new());
    let mut sizes = (0, 0);
    for _ in 0..runs {
        drop_ledgers(&handle).await;
        publication_pass(&handle, false).await;
        let (ms, body) = timed_get(&client, &dashboard, Some(&operator)).await;
        cold.push(ms);
        sizes.0 = body.len();
        let (ms, body) = timed_get(&client, &operator_csv, Some(&operator)).await;
        csv_cold.push(ms);
        sizes.1 = body.len();
        for _ in 0..3 {
            warm.push(timed_get(&client, &dashboard, Some(&operator)).await.0);
            csv_warm.push(timed_get(&client, &operator_csv, Some(&operator)).await.0);
            open_warm.push(timed_get(&client, &open_csv, None).await.0);
        }
    }
    println!(
        "dashboard, server memory empty (every log read): {}",
        summary(&empty)
    );
    println!(
        "dashboard GET {}, first after a publication: {}  ({} KB)",
        diagnostic::network::routes::OPERATOR_DASHBOARD,
        summary(&cold),
        sizes.0 / 1024
    );
    println!(
        "dashboard, warm:                             {}",
        summary(&warm)
    );
    println!(
        "operator CSV, first after a publication:     {}  ({} KB)",
        summary(&csv_cold),
        sizes.1 / 1024
    );
    println!(
        "operator CSV, warm:                          {}",
        summary(&csv_warm)
    );
    println!(
        "anonymous open-data CSV, warm:               {}",
        summary(&open_warm)
    );
    println!(
        "after the reads: {}; load average {}",
        memory(),
        load_average()
    );

    // A restart: everything the server keeps in memory is gone. Its first publication pass runs
    // at start; wait for it, then load the dashboard.
    handle.shutdown().await.unwrap();
    let (base, handle) = start(database_url, dir, communes_dir).await;
    let wait = scratch.iter().cloned().fold(0.0, f64::max) * 2.0 / 1000.0 + 1.0;
    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
    let dashboard = format!("{base}/api/operator/network?campaign={MEASURED}");
    let (first, _) = timed_get(&client, &dashboard, Some(&operator)).await;
    let (second, _) = timed_get(&client, &dashboard, Some(&operator)).await;
    println!(
        "after a restart: dashboard first load {first:.2} ms, then {second:.2} ms; {}",
        memory()
    );
    handle.shutdown().await.unwrap();
    println!("load average at the end: {}", load_average());
}

#[tokio::main]
async fn main() {
    let backend = arg("--backend", "both");
    let requests: usize = arg("--requests", "600").parse().expect("--requests N");
    let runs: usize = arg("--runs", "5").parse().expect("--runs N");
    let communes_dir = PathBuf::from(arg("--communes", server::communes::DEFAULT_DIR));
    let base_dir = PathBuf::from(arg("--dir", "target/bench-network"));
    std::fs::create_dir_all(&base_dir).unwrap();

    // The real communes of 2 500 to 4 999 inhabitants, from the referential the server loads.
    let communes = communes_of_size(&communes_dir);
    let departements: std::collections::BTreeSet<&str> =
        communes.iter().map(|(_, d)| d.as_str()).collect();
    println!(
        "Arobase network bench — {} cores; {} communes of 2 500–4 999 inhabitants in {} \
         départements; campaigns {}; comparison, dashboard and CSV of {MEASURED}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        communes.len(),
        departements.len(),
        CAMPAIGNS.join(", ")
    );
    println!("times are whole HTTP exchanges on the loopback (request sent → body read)");

    if backend == "sqlite" || backend == "both" {
        let tmp = tempfile::tempdir_in(&base_dir).unwrap();
        let url = format!("sqlite://{}", tmp.path().join("arobase.sqlite").display());
        bench_backend(
            "SQLite (file, WAL)",
            &url,
            tmp.path(),
            &communes_dir,
            &communes,
            requests,
            runs,
        )
        .await;
    }
    if backend == "postgres" || backend == "both" {
        let tmp = tempfile::tempdir_in(&base_dir).unwrap();
        let (dir, communes_dir, communes) = (
            tmp.path().to_path_buf(),
            communes_dir.clone(),
            communes.clone(),
        );
        in_postgres_schema(|schema, url| async move {
            let label = format!("PostgreSQL (schema {schema}, dropped at the end)");
            bench_backend(&label, &url, &dir, &communes_dir, &communes, requests, runs).await
        })
        .await;
    }
}
