//! What the server's load examples share (`bench_network`, `bench_campaign`): the deterministic
//! generator, the command line, percentiles, the real communes of 2 500–4 999 inhabitants, an
//! answer picked around a town's maturity, JSON posts, and a PostgreSQL schema of one run's own.

// Each example uses a part of this module; what one of them leaves unused is not dead code.
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;

/// A small deterministic generator (xorshift64*), so every run builds the same dataset.
pub struct Rng(u64);

impl Rng {
    pub fn seeded(seed: u64) -> Rng {
        // Never zero (xorshift's fixed point), and seeds close together diverge at once.
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        rng.next();
        rng
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// Fisher–Yates, in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

/// The value after `name` on the command line, else `default`.
pub fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

/// The nearest-rank percentile `p` of `sorted` (ascending).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `(code, département)` of the real communes of 2 500 to 4 999 inhabitants, from the
/// referential the server loads (2 215 with `@etalab/decoupage-administratif` 6.0.0).
pub fn communes_of_size(dir: &Path) -> Vec<(String, String)> {
    server::communes::load(dir)
        .unwrap_or_else(|err| {
            panic!(
                "{}: run `npm ci` (or pass --communes)",
                server::error_chain(&err)
            )
        })
        .into_iter()
        .filter(|c| (2_500..5_000).contains(&c.population))
        .map(|c| (c.code, c.departement))
        .collect()
}

/// A new operation id, as the app makes one (10 bytes from the system's generator).
pub fn fresh_id() -> String {
    diagnostic::sync::op_id(
        server::clock::now_ms(),
        server::auth::random_bytes::<10>().expect("the system's generator"),
    )
}

/// An option of `question` around `maturity` (0 the lowest level); now and then the last option
/// (« Ne sait pas » / « Non concerné »).
pub fn pick_option(question: &diagnostic::Question, maturity: u64, rng: &mut Rng) -> String {
    let n = question.answers.len() as u64;
    let pick = if rng.below(20) == 0 {
        n - 1
    } else {
        (maturity + rng.below(3)).saturating_sub(1).min(n - 1)
    };
    question.answers[pick as usize].id.clone()
}

/// POST `body` as JSON to `url` (with the bearer `token`); panics on a refusal.
pub async fn post(client: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("server answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "POST {url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Runs `bench` in a PostgreSQL schema of its own, in the database of
/// `AROBASE_TEST_POSTGRES_URL`: `bench` gets the schema's name and the URL that uses it. The schema
/// is dropped afterwards, even when the run fails half-way (the failure then goes on).
pub async fn in_postgres_schema<T, F>(bench: impl FnOnce(String, String) -> F) -> T
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let base = postgres_url();
    let (schema, url) = postgres_schema(&base).await;
    let run = tokio::spawn(bench(schema.clone(), url)).await;
    drop_schema(&base, &schema).await;
    run.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
}

/// A schema of its own in the PostgreSQL database of `base`, for one run: its name, and the URL
/// that uses it. Dropped by [`drop_schema`].
async fn postgres_schema(base: &str) -> (String, String) {
    use sqlx::Connection as _;
    let schema = format!(
        "arobase_bench_{}",
        &server::auth::sha256_hex(&server::auth::new_secret().unwrap())[..12]
    );
    let mut admin = sqlx::PgConnection::connect(base)
        .await
        .expect("connects to AROBASE_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    (
        schema.clone(),
        format!("{base}{separator}options[search_path]={schema}"),
    )
}

async fn drop_schema(base: &str, schema: &str) {
    use sqlx::Connection as _;
    let mut admin = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
}

/// `AROBASE_TEST_POSTGRES_URL`, or a panic that says how to get it.
fn postgres_url() -> String {
    std::env::var("AROBASE_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("AROBASE_TEST_POSTGRES_URL is not set: run `make postgres` and export it")
    })
}
