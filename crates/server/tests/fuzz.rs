//! Fuzzing through the real server (router, extractors, limits, storage) on port 0: push and
//! join requests made from valid ones by removing fields, changing types, huge numbers, long
//! strings, deep nesting, repeated elements, cut or invalid UTF-8 bytes, noise, under any content
//! type, with a valid token, another, or none. Never a 5xx (a panic is answered 500 by the
//! catch-panic layer, so it fails here too), and every refusal is a readable JSON error.
//!
//! `PROPTEST_CASES` sets the number of cases per test on SQLite (2,000 by default; `make fuzz`
//! runs more); PostgreSQL runs a quarter of them.

mod common;

#[path = "../../diagnostic/tests/common/mutate.rs"]
mod mutate;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::header::CONTENT_TYPE;
use serde_json::{json, Value};

use common::{Backend, TestServer};

fn cases(backend: Backend) -> u32 {
    let cases = mutate::cases(2_000);
    match backend {
        Backend::Sqlite => cases,
        Backend::Postgres => (cases / 4).max(1),
    }
}

#[derive(Debug, Clone)]
enum Token {
    Valid,
    None,
    Unknown,
    /// An `Authorization` header that is no bearer token.
    Malformed(&'static [u8]),
}

/// What a case sends: to `path`, `body` under `content_type`, with `token`.
#[derive(Clone)]
struct Request {
    path: &'static str,
    token: Token,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

/// The body as text (invalid UTF-8 shown as U+FFFD), so a failure reads.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("path", &self.path)
            .field("token", &self.token)
            .field("content_type", &self.content_type)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

fn request(path: &'static str, templates: Vec<Value>) -> impl Strategy<Value = Request> {
    let token = prop_oneof![
        4 => Just(Token::Valid),
        2 => Just(Token::None),
        1 => Just(Token::Unknown),
        1 => prop::sample::select(vec![
            &b"Bearer"[..],
            b"Bearer ",
            b"Basic YXJvYmFzZTphcm9iYXNl",
            b"Bearer a b",
            // Bytes outside ASCII (reqwest refuses to send those that are not UTF-8).
            b"bearer \xc3\xa9t\xc3\xa9",
        ])
        .prop_map(Token::Malformed),
    ];
    let content_type = prop_oneof![
        6 => Just(Some("application/json")),
        1 => Just(None),
        1 => prop::sample::select(vec![
            "text/plain",
            "application/json; charset=iso-8859-1",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "application/octet-stream",
        ])
        .prop_map(Some),
    ];
    let body =
        prop::sample::select(templates).prop_flat_map(|template| mutate::damaged(template, 4));
    (token, content_type, body).prop_map(move |(token, content_type, body)| Request {
        path,
        token,
        content_type,
        body,
    })
}

/// Sends `request` and checks the answer: below 500, and JSON with an `error` message when
/// refused.
async fn check(server: &TestServer, token: &str, request: Request) -> Result<(), TestCaseError> {
    let mut http = server.client.post(server.url(request.path));
    http = match request.token {
        Token::Valid => http.bearer_auth(token),
        Token::None => http,
        Token::Unknown => http.bearer_auth("A".repeat(token.len())),
        Token::Malformed(value) => http.header(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_bytes(value).unwrap(),
        ),
    };
    if let Some(content_type) = request.content_type {
        http = http.header(CONTENT_TYPE, content_type);
    }
    let oversized = request.body.len() > server::config::MAX_BODY_BYTES;
    let response = match http.body(request.body).send().await {
        Ok(response) => response,
        // Past the limit the server answers 413 and closes without reading the rest: the
        // client may see the connection reset while it still sends.
        Err(_) if oversized => return Ok(()),
        Err(err) => return Err(TestCaseError::fail(format!("no answer: {err:?}"))),
    };
    let status = response.status();
    let text = response.text().await.unwrap();
    prop_assert!(status.as_u16() < 500, "{status}: {text}");
    let body: Value = serde_json::from_str(&text)
        .map_err(|_| TestCaseError::fail(format!("{status}, not JSON: {text}")))?;
    if !status.is_success() {
        prop_assert!(
            body["error"]
                .as_str()
                .is_some_and(|message| !message.is_empty()),
            "{status} without an error message: {text}"
        );
    }
    Ok(())
}

/// Runs `cases` requests from `strategy` against `server`; failures are shrunk and saved in
/// `fuzz.proptest-regressions` next to this file.
fn run(
    runtime: &tokio::runtime::Runtime,
    server: &TestServer,
    token: &str,
    cases: u32,
    strategy: impl Strategy<Value = Request>,
) {
    let config = Config {
        cases,
        source_file: Some(file!()),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    if let Err(failure) = runner.run(&strategy, |request| {
        runtime.block_on(check(server, token, request))
    }) {
        panic!("{failure}");
    }
}

/// A server on a fresh database of `backend`, a town, a phone's token, a push of its that the
/// server accepts and an invitation to join it.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: TestServer,
    token: String,
    push: Value,
    invite: Value,
}

impl Fixture {
    fn new(backend: Backend) -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (server, token, push, invite) = runtime.block_on(async {
            let server = TestServer::start_backend(backend).await;
            let mut phone = server.create_town("35024", "Laurence").await;
            let first = phone.answer(0, Some(1), &[]);
            let second = phone.answer(1, None, &[]);
            let third = phone.answer(0, Some(2), &[&first.id]);
            let ops = [first, second, third];
            let (status, ack) = server.push(&phone, &ops).await;
            assert!(
                status.is_success(),
                "the template push is refused: {status} {ack}"
            );
            let invite = server.invite(&phone).await;
            let push = json!({ "ops": ops });
            (server, phone.token, push, invite)
        });
        Fixture {
            runtime,
            server,
            token,
            push,
            invite,
        }
    }

    fn joins(&self) -> Vec<Value> {
        vec![
            json!({"secret": self.invite["secret"], "name": "Agent", "role": "agent"}),
            json!({"code": self.invite["code"], "name": "Élu", "role": "elu"}),
        ]
    }

    fn fuzz(&self, path: &'static str, templates: Vec<Value>, cases: u32) {
        run(
            &self.runtime,
            &self.server,
            &self.token,
            cases,
            request(path, templates),
        );
    }
}

fn push_never_fails_on(backend: Backend) {
    let fixture = Fixture::new(backend);
    fixture.fuzz("/api/sync/push", vec![fixture.push.clone()], cases(backend));
}

fn join_never_fails_on(backend: Backend) {
    let fixture = Fixture::new(backend);
    fixture.fuzz("/api/join", fixture.joins(), cases(backend) / 2);
}

#[test]
fn push_payloads_never_fail_the_server_on_sqlite() {
    push_never_fails_on(Backend::Sqlite);
}

#[test]
fn push_payloads_never_fail_the_server_on_postgres() {
    push_never_fails_on(Backend::Postgres);
}

#[test]
fn join_payloads_never_fail_the_server_on_sqlite() {
    join_never_fails_on(Backend::Sqlite);
}

#[test]
fn join_payloads_never_fail_the_server_on_postgres() {
    join_never_fails_on(Backend::Postgres);
}
