//! A national campaign, simulated (`scripts/bench-campaign.sh`; the lead adds `make bench-campaign`).
//!
//! How to run it: `scripts/bench-campaign.sh` builds the release server and this example, then
//! runs both backends (PostgreSQL needs `AROBASE_TEST_POSTGRES_URL`, `make postgres`). Flags,
//! passed through: `--backend sqlite|postgres|both`, `--towns N` (default every commune of
//! 2 500–4 999 inhabitants: 2 215), `--minutes M` (the month's real length per run, default 3),
//! `--runs N` (per backend, then the ranges), `--in-flight N` (requests at once, default 64),
//! `--publication-interval SECONDS` (the server's publication rounds of the network's figures;
//! default hourly, so only the round at start runs: `6` is one per virtual day of a 3-minute
//! month), `--server target/release/arobase-server`, `--dir target/bench-campaign`,
//! `--communes DIR`.
//! Figures to quote, never asserted; but it exits non-zero when a phone does not end with its
//! town's whole log (an operation lost or duplicated) or a request failed for good.
//!
//! What it does: the real release server runs as a child process on the loopback (open mode;
//! the anonymous and invitation bursts opened wide for this run only, by flags: every phone
//! enrols from 127.0.0.1), on SQLite (a file under `--dir`) or on PostgreSQL (a schema of its
//! own, dropped at the end). Each town's mayor creates its space (`POST /api/towns`) and invites
//! two colleagues, who join with the invitation's link (`POST /api/join`). Then a month of 30
//! virtual days, compressed into `--minutes`: each of the 3 phones of a town has its own
//! schedule of 2–5 sessions (its third of the ~60 questions plus a few of the others', some
//! answers changed, some commented, a fifth of sessions offline and pushed at the next one); an
//! online session pulls, answers, pushes, as the app does, with the domain crate's `Replica`.
//! Schedules overlap, so phones pull each other's work (and now and then disagree). Near the
//! end every phone syncs; 60 % of mayors resolve their conflicts and validate, three quarters of
//! them release (a quarter named). Then every phone catches up, and each must hold exactly the
//! server's log of its town. The plans come from a deterministic generator (operation ids and
//! clocks are real, as on phones).
//!
//! Printed: pushes/s, pulls/s, operations/s over the month, p50/p95/p99 of push and pull
//! latency (the HTTP exchange, slot wait excluded), how late sessions started (the server
//! falling behind), the server's memory (VmRSS sampled, VmHWM at the end, from
//! `/proc/<pid>/status`), the database's size (SQLite: file + WAL + shared memory; PostgreSQL:
//! `pg_total_relation_size` of the schema's tables: data, indexes, TOAST), each next to its
//! value after start (the commune referential imported).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diagnostic::network::{record_release, record_validation, ReleaseLevel};
use diagnostic::sync::{Operation, PullPage, PushAck, Replica};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

mod common;
use common::{
    arg, communes_of_size, fresh_id, in_postgres_schema, load_average, percentile, pick_option, Rng,
};

const CAMPAIGN: &str = "2026";
const MONTH_DAYS: f64 = 30.0;
/// The three phones of a town: the mayor (administrator, who validates) and two colleagues.
const PHONES: [(&str, &str); 3] = [
    ("Marie Dupont", "maire"),
    ("Paul Martin", "adjoint"),
    ("Inès Moreau", "dgs"),
];
const COMMENTS: [&str; 4] = [
    "Délégué mutualisé avec la communauté de communes",
    "À revoir avec le secrétariat de mairie en conseil",
    "Prestataire en cours de changement, voir le devis",
    "Fait pour l'école, pas encore pour la médiathèque",
];
/// A request refused for now (429, 503, the connection) is tried again this many times.
const ATTEMPTS: usize = 10;

/// The real server, as a child process; killed if the run fails half-way.
struct ServerProcess {
    child: Child,
    base: String,
}

impl ServerProcess {
    fn start(setup: &Setup, database_url: &str) -> ServerProcess {
        let (bin, dir, communes) = (setup.server, setup.dir, setup.communes_dir);
        let log_path = dir.join("server.log");
        let log = std::fs::File::create(&log_path).expect("the server's log file");
        let mut command = Command::new(bin);
        if let Some(seconds) = setup.publication_interval {
            // The network's publication rounds during the month (hourly by default: only the
            // round at start would run).
            command
                .arg("--publication-interval-secs")
                .arg(seconds.to_string());
        }
        let mut child = command
            .args(["--listen", "127.0.0.1:0", "--town-spaces", "open"])
            .arg("--database-url")
            .arg(database_url)
            .arg("--dist")
            .arg(dir.join("no-dist"))
            .arg("--communes")
            .arg(communes)
            // Every phone enrols from 127.0.0.1 and each mayor invites twice: the abuse limits
            // stay on by default, opened here for this run only.
            .args(["--anonymous-burst", "1000000", "--invites-burst", "1000000"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("{}: {err} (build it: make server)", bin.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("Arobase listening on ") {
                        break url.to_string();
                    }
                }
                _ => panic!(
                    "the server stopped before listening: see {}",
                    log_path.display()
                ),
            }
        };
        // Keep reading its stdout, so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess { child, base }
    }

    /// A field of `/proc/<pid>/status` in kB (`VmRSS:`, `VmHWM:`).
    fn status_kb(pid: u32, field: &str) -> Option<u64> {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()?
            .lines()
            .find(|line| line.starts_with(field))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    fn rss_mb(&self) -> f64 {
        Self::status_kb(self.child.id(), "VmRSS:").unwrap_or(0) as f64 / 1024.0
    }

    /// Stops it as an operator would (SIGTERM: in-flight requests finish, the database closes).
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "SIGTERM to the server");
        let status = self.child.wait().expect("the server exits");
        assert!(status.success(), "the server stopped with {status}");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Already gone after `stop`; on a failed run, never leave it behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What every phone shares: the HTTP client, the server, the slots for requests in flight.
struct Ctx {
    client: reqwest::Client,
    base: String,
    slots: Semaphore,
    retries: AtomicU64,
}

enum Refusal {
    /// Worth another try later (the server said so, or the connection failed).
    Later(String),
    /// Refused for good.
    Final(String),
}

impl Ctx {
    /// One exchange once a slot is free: the time of the successful attempt (request sent →
    /// body read, the wait for a slot excluded) and the body. Tries again after `Retry-After`
    /// on 429 and 503, and after a connection error.
    async fn exchange(
        &self,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(f64, String), String> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
            let outcome = {
                let _slot = self.slots.acquire().await.expect("slots stay open");
                let started = Instant::now();
                Self::attempt(request(&self.client))
                    .await
                    .map(|body| (started.elapsed().as_secs_f64() * 1000.0, body))
            };
            match outcome {
                Ok(done) => return Ok(done),
                Err(Refusal::Final(why)) => return Err(why),
                Err(Refusal::Later(why)) => {
                    last = why;
                    tokio::time::sleep(Duration::from_millis(200 << attempt.min(4))).await;
                }
            }
        }
        Err(format!("still refused after {ATTEMPTS} attempts: {last}"))
    }

    async fn attempt(request: reqwest::RequestBuilder) -> Result<String, Refusal> {
        let response = request
            .send()
            .await
            .map_err(|err| Refusal::Later(err.to_string()))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|err| Refusal::Later(err.to_string()))?;
        match status.as_u16() {
            200..=299 => Ok(body),
            429 | 503 => Err(Refusal::Later(format!("{status} {body}"))),
            _ => Err(Refusal::Final(format!("{status} {body}"))),
        }
    }

    /// [`Self::exchange`], its body read as `T`.
    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(f64, T), String> {
        let (ms, text) = self.exchange(request).await?;
        let value = serde_json::from_str(&text).map_err(|err| format!("{err}: {text}"))?;
        Ok((ms, value))
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let (_, value) = self
            .json(|client| {
                let request = client.post(&url).json(body);
                match token {
                    Some(token) => request.bearer_auth(token),
                    None => request,
                }
            })
            .await?;
        Ok(value)
    }
}

/// One phone: its token, its replica of the town's log (in memory, as the app's storage), its
/// pull cursor.
struct Phone {
    town: usize,
    /// 0 the mayor, 1 and 2 the colleagues.
    index: usize,
    token: String,
    replica: Replica,
    cursor: u64,
}

/// What a phone measured and saw.
#[derive(Default)]
struct Stats {
    push_ms: Vec<f64>,
    pull_ms: Vec<f64>,
    ops_pushed: u64,
    ops_pulled: u64,
    /// How late each session started after its time in the compressed month.
    lag_ms: Vec<f64>,
    sessions: u64,
    offline: u64,
    conflicts_resolved: u64,
    validated: u64,
    released: u64,
    named: u64,
    failures: Vec<String>,
}

impl Stats {
    fn add(&mut self, other: Stats) {
        self.push_ms.extend(other.push_ms);
        self.pull_ms.extend(other.pull_ms);
        self.lag_ms.extend(other.lag_ms);
        self.failures.extend(other.failures);
        self.ops_pushed += other.ops_pushed;
        self.ops_pulled += other.ops_pulled;
        self.sessions += other.sessions;
        self.offline += other.offline;
        self.conflicts_resolved += other.conflicts_resolved;
        self.validated += other.validated;
        self.released += other.released;
        self.named += other.named;
    }
}

impl Phone {
    /// Pushes the outbox, 500 at a time, as the app does; a failure leaves it there.
    async fn push(&mut self, ctx: &Ctx, stats: &mut Stats) {
        loop {
            let batch = self.replica.send(diagnostic::sync::MAX_BATCH);
            if batch.is_empty() {
                return;
            }
            let url = format!("{}/api/sync/push", ctx.base);
            let body = json!({ "ops": batch });
            let sent = ctx
                .json(|client| client.post(&url).bearer_auth(&self.token).json(&body))
                .await;
            match sent {
                Ok((ms, ack)) => {
                    let ack: PushAck = ack;
                    stats.push_ms.push(ms);
                    stats.ops_pushed += ack.acknowledged.len() as u64;
                    self.replica.acknowledge(&ack, server::clock::now_ms());
                }
                Err(why) => {
                    stats
                        .failures
                        .push(format!("town {} push: {why}", self.town));
                    return;
                }
            }
        }
    }

    /// Pulls until the town's log is read to its end.
    async fn pull(&mut self, ctx: &Ctx, stats: &mut Stats) {
        loop {
            let url = format!("{}/api/sync/pull?after={}", ctx.base, self.cursor);
            let pulled = ctx
                .json(|client| client.get(&url).bearer_auth(&self.token))
                .await;
            match pulled {
                Ok((ms, page)) => {
                    let page: PullPage = page;
                    stats.pull_ms.push(ms);
                    stats.ops_pulled += page.ops.len() as u64;
                    let now = server::clock::now_ms();
                    self.replica.receive(page.ops, now);
                    self.replica.observe(&page.clock, now);
                    self.cursor = page.next;
                    if !page.more {
                        return;
                    }
                }
                Err(why) => {
                    stats
                        .failures
                        .push(format!("town {} pull: {why}", self.town));
                    return;
                }
            }
        }
    }

    /// A tap on the phone: an answer (maybe commented), folded as the app folds it.
    fn answer(&mut self, question: &diagnostic::Question, maturity: u64, rng: &mut Rng) {
        let comment = rng
            .chance(15)
            .then(|| COMMENTS[rng.below(COMMENTS.len() as u64) as usize].to_string());
        self.replica.change(
            fresh_id(),
            server::clock::now_ms(),
            CAMPAIGN,
            &question.id,
            Some(pick_option(question, maturity, rng)),
            comment,
        );
    }

    /// The mayor's last session: every disagreement settled (the current answer kept), the
    /// campaign validated, then released or not.
    fn close(&mut self, release: Option<ReleaseLevel>, stats: &mut Stats) {
        let now = server::clock::now_ms;
        for conflict in self.replica.conflicts() {
            let winner = conflict.winner().clone();
            self.replica
                .resolve(fresh_id(), now(), &conflict, winner.option, winner.comment);
            stats.conflicts_resolved += 1;
        }
        let q = diagnostic::questionnaire();
        record_validation(&mut self.replica, fresh_id(), now(), q, CAMPAIGN);
        stats.validated += 1;
        if let Some(level) = release {
            record_release(&mut self.replica, fresh_id(), now(), CAMPAIGN, Some(level))
                .expect("a validated campaign can be released");
            stats.released += 1;
            stats.named += u64::from(level == ReleaseLevel::Named);
        }
    }
}

/// One session of a phone's schedule.
struct Session {
    /// When, in days since the start of the month.
    day: f64,
    /// Questions answered for the first time (indexes in the questionnaire).
    questions: Vec<usize>,
    /// Answers given earlier and changed now.
    changes: usize,
    online: bool,
    /// The mayor's closing: validation, and the release level if released.
    close: Option<Option<ReleaseLevel>>,
}

/// The schedules of a town's three phones, from its own seed.
fn town_plan(town: usize, questions: usize) -> (u64, Vec<Vec<Session>>) {
    let mut rng = Rng::seeded(town as u64);
    let maturity = rng.below(4);
    let mut order: Vec<usize> = (0..questions).collect();
    rng.shuffle(&mut order);
    let third = questions.div_ceil(PHONES.len());
    let mut plans = Vec::new();
    for phone in 0..PHONES.len() {
        let mut mine: Vec<usize> = order
            .iter()
            .copied()
            .skip(phone * third)
            .take(third)
            .collect();
        // A few of the others' questions too: phones overlap, as colleagues do.
        for _ in 0..3 {
            mine.push(order[rng.below(questions as u64) as usize]);
        }
        let count = 2 + rng.below(4) as usize;
        let mut day =
            rng.below(if phone == 0 { 8 } else { 14 }) as f64 + rng.below(1000) as f64 / 1000.0;
        let chunk = mine.len().div_ceil(count);
        let mut sessions = Vec::new();
        for (i, part) in mine.chunks(chunk).enumerate() {
            sessions.push(Session {
                day: day.min(27.0),
                questions: part.to_vec(),
                changes: if i == 0 { 0 } else { rng.below(3) as usize },
                // A fifth offline (a town hall's cellar); pushed at the next online session.
                online: !rng.chance(20),
                close: None,
            });
            day += 1.0 + rng.below(5) as f64 + rng.below(1000) as f64 / 1000.0;
        }
        // Near the end, every phone syncs what it holds.
        sessions.push(Session {
            day: 27.5 + rng.below(1000) as f64 / 1000.0,
            questions: Vec::new(),
            changes: 0,
            online: true,
            close: None,
        });
        plans.push(sessions);
    }
    // 60 % of mayors validate at the end; three quarters of those release, a quarter named.
    if rng.chance(60) {
        let release = match rng.below(16) {
            0..=3 => None,
            4..=6 => Some(ReleaseLevel::Named),
            _ => Some(ReleaseLevel::Anonymous),
        };
        plans[0].push(Session {
            day: 29.0 + rng.below(900) as f64 / 1000.0,
            questions: Vec::new(),
            changes: 0,
            online: true,
            close: Some(release),
        });
    }
    (maturity, plans)
}

/// A phone through its month: each session at its time (or as soon as the previous ends).
async fn live(
    ctx: Arc<Ctx>,
    mut phone: Phone,
    plan: Vec<Session>,
    maturity: u64,
    start: Instant,
    month: Duration,
) -> (Phone, Stats) {
    let q = diagnostic::questionnaire();
    let questions: Vec<&diagnostic::Question> = q.questions().collect();
    let mut rng = Rng::seeded(0x5e55_1017 ^ (phone.town * PHONES.len() + phone.index) as u64);
    let mut stats = Stats::default();
    let mut answered: Vec<usize> = Vec::new();
    for session in plan {
        let due = start + month.mul_f64(session.day / MONTH_DAYS);
        tokio::time::sleep_until(due.into()).await;
        stats.lag_ms.push(due.elapsed().as_secs_f64() * 1000.0);
        stats.sessions += 1;
        if session.online {
            phone.pull(&ctx, &mut stats).await;
        } else {
            stats.offline += 1;
        }
        for &index in &session.questions {
            phone.answer(questions[index], maturity, &mut rng);
            answered.push(index);
        }
        for _ in 0..session.changes {
            let index = answered[rng.below(answered.len() as u64) as usize];
            phone.answer(questions[index], maturity + 1, &mut rng);
        }
        if let Some(release) = session.close {
            phone.close(release, &mut stats);
        }
        if session.online {
            phone.push(&ctx, &mut stats).await;
        }
    }
    (phone, stats)
}

/// Creates a town's space and enrols its three phones through the API.
async fn enrol(ctx: &Ctx, town: usize, commune: &str) -> Result<Vec<Phone>, String> {
    let phone = |index: usize, enrolment: Value| -> Result<Phone, String> {
        let token = enrolment["token"].as_str().ok_or("no token")?.to_string();
        let device = enrolment["device"]["id"].as_str().ok_or("no device")?;
        Ok(Phone {
            town,
            index,
            token,
            replica: Replica::new(device),
            cursor: 0,
        })
    };
    let (name, role) = PHONES[0];
    let created = ctx
        .post(
            "/api/towns",
            None,
            &json!({"commune": commune, "name": name, "role": role}),
        )
        .await?;
    let mayor = phone(0, created)?;
    let mut phones = Vec::new();
    for (index, (name, role)) in PHONES.iter().enumerate().skip(1) {
        let invite = ctx
            .post("/api/invites", Some(&mayor.token), &json!({}))
            .await?;
        let secret = invite["secret"].as_str().ok_or("no secret")?;
        let joined = ctx
            .post(
                "/api/join",
                None,
                &json!({"secret": secret, "name": name, "role": role}),
            )
            .await?;
        phones.push(phone(index, joined)?);
    }
    phones.insert(0, mayor);
    Ok(phones)
}

/// The town's whole log on the server, read from the start.
async fn server_log(ctx: &Ctx, token: &str) -> Result<BTreeMap<String, Operation>, String> {
    let mut log = BTreeMap::new();
    let mut after = 0;
    loop {
        let url = format!("{}/api/sync/pull?after={after}&limit=1000", ctx.base);
        let (_, page): (_, PullPage) = ctx
            .json(|client| client.get(&url).bearer_auth(token))
            .await?;
        for op in page.ops {
            if let Some(twice) = log.insert(op.id.clone(), op) {
                return Err(format!("operation {} twice in the log", twice.id));
            }
        }
        after = page.next;
        if !page.more {
            return Ok(log);
        }
    }
}

/// Where the backend keeps its data, to measure it.
enum Store {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Store {
    async fn size_mb(&self) -> f64 {
        match self {
            Store::Sqlite(path) => {
                let size = |suffix: &str| {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    std::fs::metadata(name).map_or(0, |m| m.len())
                };
                (size("") + size("-wal") + size("-shm")) as f64 / 1e6
            }
            Store::Postgres { url, schema } => {
                use sqlx::Connection as _;
                let mut db = sqlx::PgConnection::connect(url).await.unwrap();
                let bytes: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')",
                )
                .bind(schema)
                .fetch_one(&mut db)
                .await
                .unwrap();
                db.close().await.unwrap();
                bytes as f64 / 1e6
            }
        }
    }
}

/// The figures of one run, for the ranges over runs.
#[derive(Clone, Copy)]
struct Figures {
    pushes_s: f64,
    pulls_s: f64,
    ops_s: f64,
    push_p50: f64,
    push_p95: f64,
    push_p99: f64,
    pull_p95: f64,
    lag_p95: f64,
    peak_rss_mb: f64,
    db_mb: f64,
    db_growth_mb: f64,
    ok: bool,
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

fn latency(name: &str, values: &[f64]) {
    println!(
        "  {name} latency: p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  max {:.1} ms  (n = {})",
        percentile(values, 50.0),
        percentile(values, 95.0),
        percentile(values, 99.0),
        values.last().copied().unwrap_or(f64::NAN),
        values.len()
    );
}

struct Setup<'a> {
    server: &'a Path,
    dir: &'a Path,
    communes_dir: &'a Path,
    communes: &'a [(String, String)],
    minutes: f64,
    in_flight: usize,
    publication_interval: Option<u64>,
}

async fn run_backend(name: &str, database_url: &str, store: Store, setup: &Setup<'_>) -> Figures {
    println!();
    println!("== {name} ==  load average {}", load_average());
    let started = Instant::now();
    let server = ServerProcess::start(setup, database_url);
    let pid = server.child.id();
    let db_start = store.size_mb().await;
    println!(
        "server up (pid {pid}, referential imported) in {:.1} s; RSS {:.0} MB; database {db_start:.1} MB",
        started.elapsed().as_secs_f64(),
        server.rss_mb()
    );
    let peak_sampled = Arc::new(AtomicU64::new(0));
    let sampler = tokio::spawn({
        let peak = peak_sampled.clone();
        async move {
            let mut every = tokio::time::interval(Duration::from_millis(100));
            loop {
                every.tick().await;
                let kb = ServerProcess::status_kb(pid, "VmRSS:").unwrap_or(0);
                peak.fetch_max(kb, Ordering::Relaxed);
            }
        }
    });
    let ctx = Arc::new(Ctx {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(setup.in_flight)
            // Under the server's 10 s idle limit: never reuse a connection it is closing.
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
        base: server.base.clone(),
        slots: Semaphore::new(setup.in_flight),
        retries: AtomicU64::new(0),
    });

    // Enrolment: every town's space, its invitations and joins.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (town, (code, _)) in setup.communes.iter().enumerate() {
        let (ctx, code) = (ctx.clone(), code.clone());
        tasks.push(tokio::spawn(async move { enrol(&ctx, town, &code).await }));
    }
    let mut towns = Vec::new();
    for task in tasks {
        towns.push(
            task.await
                .unwrap()
                .unwrap_or_else(|why| panic!("enrolment: {why}")),
        );
    }
    let enrol_s = started.elapsed().as_secs_f64();
    println!(
        "enrolment: {} towns, {} phones ({} requests) in {enrol_s:.1} s ({:.0} requests/s); RSS {:.0} MB",
        towns.len(),
        towns.len() * PHONES.len(),
        towns.len() * 5,
        (towns.len() * 5) as f64 / enrol_s,
        server.rss_mb()
    );

    // The month.
    let questions = diagnostic::questionnaire().questions().count();
    let month = Duration::from_secs_f64(setup.minutes * 60.0);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (town, phones) in towns.into_iter().enumerate() {
        let (maturity, plans) = town_plan(town, questions);
        for (phone, plan) in phones.into_iter().zip(plans) {
            tasks.push(tokio::spawn(live(
                ctx.clone(),
                phone,
                plan,
                maturity,
                start,
                month,
            )));
        }
    }
    let mut phones = Vec::new();
    let mut stats = Stats::default();
    for task in tasks {
        let (phone, some) = task.await.unwrap();
        phones.push(phone);
        stats.add(some);
    }
    let month_s = start.elapsed().as_secs_f64();
    let retries_month = ctx.retries.load(Ordering::Relaxed);
    let rss_month = server.rss_mb();
    let push_ms = sorted(std::mem::take(&mut stats.push_ms));
    let pull_ms = sorted(std::mem::take(&mut stats.pull_ms));
    let lag_ms = sorted(std::mem::take(&mut stats.lag_ms));
    let figures_rates = (
        push_ms.len() as f64 / month_s,
        pull_ms.len() as f64 / month_s,
        (stats.ops_pushed + stats.ops_pulled) as f64 / month_s,
    );
    println!(
        "month: {MONTH_DAYS} days in {month_s:.0} s (planned {:.0} s): {} sessions ({} offline), \
         {} pushes ({} operations), {} pulls ({} operations)",
        month.as_secs_f64(),
        stats.sessions,
        stats.offline,
        push_ms.len(),
        stats.ops_pushed,
        pull_ms.len(),
        stats.ops_pulled
    );
    println!(
        "  throughput: {:.0} pushes/s, {:.0} pulls/s, {:.0} operations/s (pushed {:.0} + pulled {:.0}), \
         {:.0} requests/s",
        figures_rates.0,
        figures_rates.1,
        figures_rates.2,
        stats.ops_pushed as f64 / month_s,
        stats.ops_pulled as f64 / month_s,
        (push_ms.len() + pull_ms.len()) as f64 / month_s
    );
    latency("push", &push_ms);
    latency("pull", &pull_ms);
    println!(
        "  sessions late on their schedule: p50 {:.0} ms  p95 {:.0} ms  max {:.0} ms; {} requests \
         tried again (429/503/connection)",
        percentile(&lag_ms, 50.0),
        percentile(&lag_ms, 95.0),
        lag_ms.last().copied().unwrap_or(f64::NAN),
        retries_month
    );
    println!(
        "  mayors: {} conflicts resolved, {} campaigns validated, {} released ({} named); server RSS {rss_month:.0} MB",
        stats.conflicts_resolved, stats.validated, stats.released, stats.named
    );

    // Every phone catches up, then holds exactly its town's log on the server.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut phone in phones {
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            phone.push(&ctx, &mut stats).await;
            phone.pull(&ctx, &mut stats).await;
            (phone, stats)
        }));
    }
    let mut by_town: BTreeMap<usize, Vec<Phone>> = BTreeMap::new();
    for task in tasks {
        let (phone, some) = task.await.unwrap();
        stats.failures.extend(some.failures);
        by_town.entry(phone.town).or_default().push(phone);
    }
    let mut mismatches = Vec::new();
    let mut stored = 0;
    for (town, phones) in &by_town {
        let log = match server_log(&ctx, &phones[0].token).await {
            Ok(log) => log,
            Err(why) => {
                mismatches.push(format!("town {town}: {why}"));
                continue;
            }
        };
        stored += log.len();
        for (index, phone) in phones.iter().enumerate() {
            let held: BTreeMap<&String, &Operation> = phone.replica.ops.iter().collect();
            let expected: BTreeMap<&String, &Operation> = log.iter().collect();
            if !phone.replica.outbox.is_empty() || held != expected {
                let missing = expected.keys().filter(|id| !held.contains_key(*id)).count();
                let extra = held.keys().filter(|id| !expected.contains_key(*id)).count();
                let differ = held
                    .iter()
                    .filter(|(id, op)| expected.get(*id).is_some_and(|e| e != *op))
                    .count();
                mismatches.push(format!(
                    "town {town} phone {index}: {} waiting, {missing} missing, {extra} not on the \
                     server, {differ} different",
                    phone.replica.outbox.len()
                ));
            }
        }
    }
    let ok = mismatches.is_empty() && stats.failures.is_empty();
    println!(
        "catch-up and check in {:.1} s: {stored} operations on the server; {}",
        started.elapsed().as_secs_f64(),
        if ok {
            format!(
                "every phone of every town holds exactly its town's log ({} phones)",
                by_town.values().map(Vec::len).sum::<usize>()
            )
        } else {
            format!(
                "MISMATCH: {} phones differ, {} requests failed",
                mismatches.len(),
                stats.failures.len()
            )
        }
    );
    for line in mismatches.iter().chain(&stats.failures).take(20) {
        println!("  {line}");
    }

    sampler.abort();
    let hwm = ServerProcess::status_kb(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
    let sampled = peak_sampled.load(Ordering::Relaxed) as f64 / 1024.0;
    let db_end = store.size_mb().await;
    println!(
        "server memory: peak {hwm:.0} MB (VmHWM), highest sample {sampled:.0} MB, now {:.0} MB",
        server.rss_mb()
    );
    server.stop();
    let db_stopped = store.size_mb().await;
    let what = match store {
        Store::Sqlite(_) => "SQLite file + WAL + shm",
        Store::Postgres { .. } => "pg_total_relation_size of the schema's tables",
    };
    println!(
        "database ({what}): {db_end:.1} MB at the end (+{:.1} MB over the {db_start:.1} MB after \
         start), {db_stopped:.1} MB once the server stopped; load average {}",
        db_end - db_start,
        load_average()
    );
    Figures {
        pushes_s: figures_rates.0,
        pulls_s: figures_rates.1,
        ops_s: figures_rates.2,
        push_p50: percentile(&push_ms, 50.0),
        push_p95: percentile(&push_ms, 95.0),
        push_p99: percentile(&push_ms, 99.0),
        pull_p95: percentile(&pull_ms, 95.0),
        lag_p95: percentile(&lag_ms, 95.0),
        peak_rss_mb: hwm,
        db_mb: db_end,
        db_growth_mb: db_end - db_start,
        ok,
    }
}

/// `min–max` of one figure over the runs.
fn range(runs: &[Figures], figure: impl Fn(&Figures) -> f64) -> String {
    let values = sorted(runs.iter().map(figure).collect());
    format!("{:.1}–{:.1}", values[0], values[values.len() - 1])
}

fn ranges(name: &str, runs: &[Figures]) {
    if runs.is_empty() {
        return;
    }
    println!();
    println!("== {name}: ranges over {} runs ==", runs.len());
    println!(
        "pushes/s {}  pulls/s {}  operations/s {}",
        range(runs, |f| f.pushes_s),
        range(runs, |f| f.pulls_s),
        range(runs, |f| f.ops_s)
    );
    println!(
        "push p50 {} ms  p95 {} ms  p99 {} ms;  pull p95 {} ms;  sessions late p95 {} ms",
        range(runs, |f| f.push_p50),
        range(runs, |f| f.push_p95),
        range(runs, |f| f.push_p99),
        range(runs, |f| f.pull_p95),
        range(runs, |f| f.lag_p95)
    );
    println!(
        "server peak RSS {} MB;  database {} MB (+{} MB over the referential)",
        range(runs, |f| f.peak_rss_mb),
        range(runs, |f| f.db_mb),
        range(runs, |f| f.db_growth_mb)
    );
}

#[tokio::main]
async fn main() {
    let backend = arg("--backend", "both");
    let runs: usize = arg("--runs", "1").parse().expect("--runs N");
    let minutes: f64 = arg("--minutes", "3").parse().expect("--minutes M");
    let in_flight: usize = arg("--in-flight", "64").parse().expect("--in-flight N");
    let publication_interval: Option<u64> = Some(arg("--publication-interval", ""))
        .filter(|seconds| !seconds.is_empty())
        .map(|seconds| seconds.parse().expect("--publication-interval SECONDS"));
    let server = PathBuf::from(arg("--server", "target/release/arobase-server"));
    let communes_dir = PathBuf::from(arg("--communes", server::communes::DEFAULT_DIR));
    let base_dir = PathBuf::from(arg("--dir", "target/bench-campaign"));
    std::fs::create_dir_all(&base_dir).unwrap();

    let mut communes = communes_of_size(&communes_dir);
    let all = communes.len();
    let towns: usize = arg("--towns", &all.to_string()).parse().expect("--towns N");
    if towns < all {
        // Spread over the whole list (every département), not its first codes.
        let step = all as f64 / towns as f64;
        communes = (0..towns)
            .map(|i| communes[(i as f64 * step) as usize].clone())
            .collect();
    }
    println!(
        "Arobase national campaign — {} cores; {} towns (of {all} communes of 2 500–4 999 \
         inhabitants) × {} phones; a month of {MONTH_DAYS} days in {minutes} min; at most \
         {in_flight} requests in flight; server {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        communes.len(),
        PHONES.len(),
        server.display()
    );
    println!(
        "times are whole HTTP exchanges on the loopback (request sent → body read); the \
         network's publication rounds {}",
        publication_interval.map_or("hourly (only the one at start runs)".to_string(), |s| {
            format!("every {s} s")
        })
    );

    let mut failed = false;
    let (mut sqlite, mut postgres) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        if backend == "sqlite" || backend == "both" {
            let tmp = tempfile::tempdir_in(&base_dir).unwrap();
            let path = tmp.path().join("arobase.sqlite");
            let url = format!("sqlite://{}", path.display());
            let setup = Setup {
                server: &server,
                dir: tmp.path(),
                communes_dir: &communes_dir,
                communes: &communes,
                minutes,
                in_flight,
                publication_interval,
            };
            let figures =
                run_backend("SQLite (file, WAL)", &url, Store::Sqlite(path), &setup).await;
            failed |= !figures.ok;
            sqlite.push(figures);
        }
        if backend == "postgres" || backend == "both" {
            let tmp = tempfile::tempdir_in(&base_dir).unwrap();
            let (server, dir, communes_dir, communes) = (
                server.clone(),
                tmp.path().to_path_buf(),
                communes_dir.clone(),
                communes.clone(),
            );
            let figures = in_postgres_schema(|schema, url| async move {
                let label = format!("PostgreSQL (schema {schema}, dropped at the end)");
                let setup = Setup {
                    server: &server,
                    dir: &dir,
                    communes_dir: &communes_dir,
                    communes: &communes,
                    minutes,
                    in_flight,
                    publication_interval,
                };
                let store = Store::Postgres {
                    url: url.clone(),
                    schema,
                };
                run_backend(&label, &url, store, &setup).await
            })
            .await;
            failed |= !figures.ok;
            postgres.push(figures);
        }
    }
    if runs > 1 {
        ranges("SQLite", &sqlite);
        ranges("PostgreSQL", &postgres);
    }
    if failed {
        eprintln!("bench_campaign: operations lost or refused (see MISMATCH above)");
        std::process::exit(1);
    }
}
