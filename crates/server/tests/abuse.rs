//! A hostile or merely unlucky client against the real server over real HTTP: rate limits,
//! transport limits (header-read and request timeouts, the concurrency cap), a saturated
//! database, control characters, oversized input quoted back, reused operation ids, HSTS,
//! `/api/me` writing, and the PostgreSQL lock order under pushes racing removals.
//!
//! Storage paths run against SQLite and PostgreSQL (modules `sqlite::` and `postgres::`); the
//! PostgreSQL cases need `AROBASE_TEST_POSTGRES_URL`, as in `tests/sync.rs`.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::sync::Phone;
use common::{on_both_backends, Backend, TestServer};
use diagnostic::association::codes;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_backends!(
    control_characters_are_refused_in_bodies_paths_and_queries,
    free_text_keeps_its_line_breaks_and_tabs,
    the_same_operation_id_with_another_clock_is_a_conflict,
    errors_quote_only_an_excerpt_of_huge_input,
    me_reads_only_and_pushes_record_last_seen,
    a_request_stuck_on_a_locked_database_is_a_503_within_the_request_timeout,
);

fn error_code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

/// Retry-After of a response, in seconds; panics when missing.
fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After on {}", response.status()))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// POST with a JSON body, keeping the whole response (headers included).
async fn post(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut request = server.client.post(server.url(path)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request reaches the server")
}

fn create_body(commune: &str) -> Value {
    json!({"commune": commune, "name": "Laurence", "role": "maire"})
}

// ------------------------------------------------------------------------------------------------
// Control characters

async fn control_characters_are_refused_in_bodies_paths_and_queries(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let refused = |status: StatusCode, body: &Value| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(body), codes::CONTROL_CHARACTERS, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("caractères de contrôle"),
            "{body}"
        );
    };

    // A commune code, a name (PostgreSQL cannot store NUL in text: this was a 500).
    for body in [
        json!({"commune": "35024\u{0}", "name": "Laurence", "role": "maire"}),
        json!({"commune": "35024", "name": "Lau\u{0}rence", "role": "maire"}),
        json!({"commune": "35024", "name": "Laurence\u{85}", "role": "maire"}),
        json!({"commune": "35024", "name": "Laurence\u{7f}", "role": "maire"}),
    ] {
        let (status, answer) = server.post_json("/api/towns", None, body).await;
        refused(status, &answer);
    }
    let mut mayor = server.create_town("35024", "Laurence").await;
    let (status, answer) = server
        .post_json(
            "/api/join",
            None,
            json!({"code": "K7Q-F3M\u{0}9PX", "name": "Sami", "role": "dgs"}),
        )
        .await;
    refused(status, &answer);

    // A comment, an option id, an operation id; one bad operation refuses the whole push.
    let fine = mayor.answer(1, Some(1), &[]);
    for bad in [
        "before\u{0}after",
        "\u{1b}[31mred",
        "next\u{85}line",
        "bell\u{7}",
    ] {
        let mut op = mayor.answer(0, Some(1), &[]);
        op.comment = Some(bad.to_string());
        let (status, answer) = server.push(&mayor, &[fine.clone(), op]).await;
        refused(status, &answer);
        assert!(
            answer["error"].as_str().unwrap().contains("ops[1].comment"),
            "{answer}"
        );
    }
    let mut op = mayor.answer(0, Some(1), &[]);
    op.option = Some("a\u{0}".into());
    let (status, answer) = server.push(&mayor, &[op]).await;
    refused(status, &answer);
    let mut op = mayor.answer(0, Some(1), &[]);
    op.id.push('\u{0}');
    let (status, answer) = server.push(&mayor, &[op]).await;
    refused(status, &answer);
    // In a key too.
    let (status, answer) = server
        .post_json(
            "/api/sync/push",
            Some(&mayor.token),
            json!({"ops": [], "x\u{0}": 1}),
        )
        .await;
    refused(status, &answer);
    assert!(
        server.pull_all(&mayor, 10).await.is_empty(),
        "nothing stored"
    );

    // Path parameters and query values, percent-encoded (C0, DEL, C1 as UTF-8).
    for path in [
        "/api/devices/%00",
        "/api/devices/abc%0Adef",
        "/api/devices/x%7F",
        "/api/devices/x%C2%85",
    ] {
        let (status, answer) = server.delete(path, Some(&mayor.token)).await;
        refused(status, &answer);
    }
    for path in [
        "/api/communes?q=%00",
        "/api/communes?q=bet%0Dton",
        "/api/sync/pull?after=0&limit=%01",
        "/api/communes?q%00=betton",
    ] {
        let (status, answer) = server.get_json(path, Some(&mayor.token)).await;
        refused(status, &answer);
    }
    // The mayor's device is still there, its town intact; ordinary input still works.
    let (status, list) = server.get_json("/api/devices", Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["devices"].as_array().unwrap().len(), 1);
    let (status, found) = server.get_json("/api/communes?q=betton%20", None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let (status, _) = server
        .delete("/api/devices/no-such-device", Some(&mayor.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn free_text_keeps_its_line_breaks_and_tabs(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let mut op = mayor.answer(0, Some(1), &[]);
    op.comment = Some("Première ligne\r\nseconde ligne\n\tretrait — « guillemets » ✓".into());
    let (status, ack) = server.push(&mayor, std::slice::from_ref(&op)).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(server.pull_all(&mayor, 10).await, [op]);
}

// ------------------------------------------------------------------------------------------------
// Operation ids

async fn the_same_operation_id_with_another_clock_is_a_conflict(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let original = mayor.answer(0, Some(1), &[]);
    let (status, _) = server.push(&mayor, std::slice::from_ref(&original)).await;
    assert_eq!(status, StatusCode::OK);

    let mut later = original.clone();
    later.clock.wall_ms += 1;
    let mut counted = original.clone();
    counted.clock.counter += 1;
    for changed in [later, counted] {
        let (status, body) = server.push(&mayor, &[changed]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(error_code(&body), "op_id_conflict", "{body}");
    }
    // The identical retry is still acknowledged, and nothing was overwritten.
    let (status, ack) = server.push(&mayor, std::slice::from_ref(&original)).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["acknowledged"], json!([original.id]));
    assert_eq!(server.pull_all(&mayor, 10).await, [original]);

    // A clamped operation: stored clamped, its retry (the same clock as sent) still the same
    // operation, a minute later as at once; the same id with another far-ahead clock is not.
    let mut ahead = mayor.answer(1, Some(1), &[]);
    ahead.clock.wall_ms = common::sync::now_ms() + 3_600_000;
    let (status, ack) = server.push(&mayor, std::slice::from_ref(&ahead)).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["clamped"][0]["id"], ahead.id);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, again) = server.push(&mayor, std::slice::from_ref(&ahead)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let mut further = ahead.clone();
    further.clock.wall_ms += 1_000;
    let (status, body) = server.push(&mayor, &[further]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

// ------------------------------------------------------------------------------------------------
// Errors quote only an excerpt

async fn errors_quote_only_an_excerpt_of_huge_input(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let huge = "é".repeat(450_000); // 900 KB of UTF-8, under the 1 MiB body limit.

    let mut long_comment = mayor.answer(0, Some(1), &[]);
    long_comment.comment = Some(huge.clone());
    let mut long_question = mayor.answer(0, Some(1), &[]);
    long_question.question = huge.clone();
    let mut long_option = mayor.answer(0, Some(1), &[]);
    long_option.option = Some(huge.clone());
    // A string where serde expects a number or an enum: serde's reason quotes it whole.
    let mut wrong_type = serde_json::to_value(mayor.answer(0, Some(1), &[])).unwrap();
    wrong_type["clock"]["wall_ms"] = json!(huge);
    let mut bodies: Vec<(&str, Option<&str>, Value)> = [long_comment, long_question, long_option]
        .into_iter()
        .map(|op| {
            (
                "/api/sync/push",
                Some(mayor.token.as_str()),
                json!({ "ops": [op] }),
            )
        })
        .collect();
    bodies.push((
        "/api/sync/push",
        Some(mayor.token.as_str()),
        json!({ "ops": [wrong_type] }),
    ));
    bodies.push((
        "/api/towns",
        None,
        json!({"commune": "35024", "name": "L", "role": huge}),
    ));
    bodies.push((
        "/api/towns",
        None,
        json!({"commune": huge, "name": "Laurence", "role": "maire"}),
    ));
    bodies.push((
        "/api/towns",
        None,
        json!({"commune": "35024", "name": huge, "role": "maire"}),
    ));

    for (path, token, body) in bodies {
        let response = post(&server, path, token, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.is_client_error(),
            "{path}: {status} {}",
            &text[..text.len().min(300)]
        );
        assert!(
            text.len() < 1024,
            "{path}: a {} byte answer: {}…",
            text.len(),
            &text[..300]
        );
        let json: Value = serde_json::from_str(&text).unwrap();
        assert!(
            json["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{text}"
        );
    }
    assert!(server.pull_all(&mayor, 10).await.is_empty());
}

// ------------------------------------------------------------------------------------------------
// GET /api/me reads only

async fn last_seen(server: &TestServer, phone: &Phone) -> u64 {
    let (status, list) = server.get_json("/api/devices", Some(&phone.token)).await;
    assert_eq!(status, StatusCode::OK);
    list["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|device| device["id"] == phone.device.as_str())
        .unwrap()["last_seen_ms"]
        .as_u64()
        .unwrap()
}

async fn me_reads_only_and_pushes_record_last_seen(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let enrolled = last_seen(&server, &mayor).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    for _ in 0..3 {
        let (status, me) = server.get_json("/api/me", Some(&mayor.token)).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["device"]["last_seen_ms"], enrolled, "{me}");
    }
    let (status, _) = server.get_json("/api/sync/pull", Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        last_seen(&server, &mayor).await,
        enrolled,
        "reads never write"
    );

    let op = mayor.answer(0, Some(1), &[]);
    let (status, _) = server.push(&mayor, &[op]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        last_seen(&server, &mayor).await > enrolled,
        "a push records the visit"
    );
    // An empty push too (a phone with nothing new can still say it is alive).
    let pushed = last_seen(&server, &mayor).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    let (status, _) = server.push(&mayor, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(last_seen(&server, &mayor).await > pushed);
}

// ------------------------------------------------------------------------------------------------
// A saturated database

/// Holds the database's write lock from outside the server (a backup, a long migration, an
/// administrator's open transaction), until dropped.
enum OutsideLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl OutsideLock {
    async fn take(server: &TestServer, backend: Backend) -> Self {
        use sqlx::Connection as _;
        match backend {
            Backend::Sqlite => {
                let mut connection = sqlx::SqliteConnection::connect(&server.database_url)
                    .await
                    .unwrap();
                sqlx::query("BEGIN EXCLUSIVE")
                    .execute(&mut connection)
                    .await
                    .unwrap();
                OutsideLock::Sqlite(connection)
            }
            Backend::Postgres => {
                let mut connection = sqlx::PgConnection::connect(&server.database_url)
                    .await
                    .unwrap();
                sqlx::query("BEGIN").execute(&mut connection).await.unwrap();
                sqlx::query("LOCK TABLE towns, devices IN EXCLUSIVE MODE")
                    .execute(&mut connection)
                    .await
                    .unwrap();
                OutsideLock::Postgres(connection)
            }
        }
    }

    async fn release(self) {
        match self {
            OutsideLock::Sqlite(mut connection) => {
                sqlx::query("ROLLBACK")
                    .execute(&mut connection)
                    .await
                    .unwrap();
            }
            OutsideLock::Postgres(mut connection) => {
                sqlx::query("ROLLBACK")
                    .execute(&mut connection)
                    .await
                    .unwrap();
            }
        }
    }
}

/// Pushes from several phones while the database is locked: each one waits, then is answered
/// 503 with `Retry-After` and a JSON body (the request timeout, or SQLite's busy and pool acquire
/// timeouts, whichever comes first), never 500 and never a hang; afterwards all goes through.
async fn a_request_stuck_on_a_locked_database_is_a_503_within_the_request_timeout(
    backend: Backend,
) {
    // SQLite gives up on its own after 5 s (busy timeout, pool acquire timeout): the request
    // timeout is left above that there, so that those are what answers.
    let request_timeout = match backend {
        Backend::Sqlite => 20,
        Backend::Postgres => 2,
    };
    let server = TestServer::start_with_config(backend, |config| {
        config.request_timeout = request_timeout;
    })
    .await;
    let mayor = server.create_town("35024", "Laurence").await;
    let mut phones = vec![mayor.clone()];
    for i in 0..3 {
        phones.push(server.add_phone(&mayor, &format!("Phone {i}")).await);
    }
    let lock = OutsideLock::take(&server, backend).await;
    let started = Instant::now();
    let pushes = phones.iter().cloned().map(|mut phone| {
        let server = &server;
        async move {
            let op = phone.answer(0, Some(1), &[]);
            let response = post(
                server,
                "/api/sync/push",
                Some(&phone.token),
                json!({ "ops": [op] }),
            )
            .await;
            let status = response.status();
            let wait = retry_after(&response);
            let body: Value = response.json().await.unwrap();
            (status, wait, body)
        }
    });
    // Bounded here too: without a request timeout, this wait would never end.
    let answers = tokio::time::timeout(
        Duration::from_secs(request_timeout + 15),
        futures_join_all(pushes),
    )
    .await
    .expect("every push is answered while the database stays locked");
    let elapsed = started.elapsed();
    for (status, wait, body) in &answers {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(*wait >= 1, "{wait}");
        assert_eq!(error_code(body), "busy", "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("réessayez"),
            "{body}"
        );
    }
    assert!(
        elapsed < Duration::from_secs(request_timeout + 5),
        "{elapsed:?}"
    );
    lock.release().await;
    for mut phone in phones {
        let op = phone.answer(0, Some(1), &[]);
        let (status, body) = server.push(&phone, &[op]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// `join_all` without the futures crate: every future polled concurrently on this task.
async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in set.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

// ------------------------------------------------------------------------------------------------
// Rate limits

#[tokio::test]
async fn anonymous_creations_are_rate_limited_per_client_address() {
    let server = TestServer::start_with_config(Backend::Sqlite, |config| {
        config.anonymous_burst = 3;
        config.anonymous_per_minute = 1;
    })
    .await;
    // The bucket counts requests, refused ones included: a guesser pays for every guess.
    let (status, _) = server
        .post_json("/api/towns", None, create_body("35024"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = server
        .post_json("/api/towns", None, create_body("35024"))
        .await;
    // A second claim is an access request (approval mode, the default).
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = server
        .post_json(
            "/api/join",
            None,
            json!({"code": "K7Q-F3M-9PX", "name": "Sami", "role": "dgs"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Spent: creations and joins (one bucket for both) are 429 with Retry-After.
    for (path, body) in [
        ("/api/towns", create_body("29155")),
        (
            "/api/join",
            json!({"code": "K7Q-F3M-9PX", "name": "Sami", "role": "dgs"}),
        ),
    ] {
        let response = post(&server, path, None, body).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        let wait = retry_after(&response);
        assert!((1..=61).contains(&wait), "{wait}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), codes::RATE_LIMITED, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("réessayez dans"),
            "{body}"
        );
    }
    // Nothing was created by the refused request.
    let (_, found) = server.get_json("/api/communes?q=29155", None).await;
    assert_eq!(found["communes"][0]["has_space"], false, "{found}");
    // Reads and a device's own work are not limited.
    let (status, _) = server.get_json("/api/communes?q=betton", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.get_json("/api/health", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    for trusted in [false, true] {
        let server = TestServer::start_with_config(Backend::Sqlite, |config| {
            config.anonymous_burst = 1;
            config.anonymous_per_minute = 1;
            config.trust_forwarded_for = trusted;
        })
        .await;
        let mut statuses = Vec::new();
        for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
            let response = server
                .client
                .post(server.url("/api/towns"))
                // A client-written entry first, then what the proxy saw.
                .header("x-forwarded-for", format!("203.0.113.66, {client}"))
                .json(&create_body("35024"))
                .send()
                .await
                .unwrap();
            statuses.push(response.status());
        }
        let limited = statuses
            .iter()
            .filter(|status| **status == StatusCode::TOO_MANY_REQUESTS)
            .count();
        if trusted {
            // Three clients, three buckets.
            assert_eq!(limited, 0, "{statuses:?}");
        } else {
            // One peer (127.0.0.1): the header is the client's own word, and ignored.
            assert_eq!(limited, 2, "{statuses:?}");
        }
    }
}

#[tokio::test]
async fn invitations_are_rate_limited_per_device() {
    let server = TestServer::start_with_config(Backend::Sqlite, |config| {
        config.invites_burst = 2;
        config.invites_per_minute = 1;
    })
    .await;
    let mayor = server.create_town("35024", "Laurence").await;
    let other = server.create_town("29155", "Anne").await;
    server.invite(&mayor).await;
    server.invite(&mayor).await;
    let response = post(&server, "/api/invites", Some(&mayor.token), json!({})).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&response) >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), codes::RATE_LIMITED);
    // Another device (same address) has its own bucket; pushes are never limited.
    server.invite(&other).await;
    let mut mayor = mayor;
    for _ in 0..20 {
        let op = mayor.answer(0, Some(1), &[]);
        let (status, _) = server.push(&mayor, &[op]).await;
        assert_eq!(status, StatusCode::OK);
    }
}

// ------------------------------------------------------------------------------------------------
// Transport limits

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.addr).await.unwrap()
}

/// Reads until the server closes the connection; what it sent meanwhile.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| bytes)
}

#[tokio::test]
async fn a_half_sent_request_does_not_hold_its_connection() {
    let server = TestServer::start_with_config(Backend::Sqlite, |config| {
        config.header_read_timeout = 1;
    })
    .await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"POST /api/towns HTTP/1.1\r\nHost: localhost\r\nContent-Type: appli")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(10))
        .await
        .expect("the server closes a connection whose headers never finish");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // An idle keep-alive connection goes the same way; ordinary requests are unaffected.
    let (status, _) = server.get_json("/api/health", None).await;
    assert_eq!(status, StatusCode::OK);
}

/// Headers complete, a body announced but only begun: the request is answered at the request
/// timeout instead of waiting for the rest forever.
async fn start_slow_upload(server: &TestServer) -> TcpStream {
    let mut stream = connect(server).await;
    stream
        .write_all(
            b"POST /api/towns HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"commune\": \"350",
        )
        .await
        .unwrap();
    stream
}

#[tokio::test]
async fn a_slow_request_is_a_503_at_the_request_timeout() {
    let server = TestServer::start_with_config(Backend::Sqlite, |config| {
        config.request_timeout = 1;
    })
    .await;
    let mut stream = start_slow_upload(&server).await;
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(10))
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        text.to_ascii_lowercase().contains("\r\nretry-after: 5\r\n"),
        "{text}"
    );
    assert!(text.contains(r#""code":"busy""#), "{text}");
}

#[tokio::test]
async fn past_the_concurrency_cap_requests_are_shed_with_a_503() {
    let server = TestServer::start_with_config(Backend::Sqlite, |config| {
        config.max_concurrent_requests = 2;
    })
    .await;
    let slow = [
        start_slow_upload(&server).await,
        start_slow_upload(&server).await,
    ];
    // Give the server the moment it needs to start serving both.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = server.get("/api/health", &[]).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after(&response) >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "busy", "{body}");
    // Those clients gone, their slots are free again.
    drop(slow);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = server.get("/api/health", &[]).await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "the cap never freed up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ------------------------------------------------------------------------------------------------
// HSTS

#[tokio::test]
async fn hsts_only_when_the_public_url_is_https() {
    for (public_url, expected) in [
        (Some("https://arobase.example.org"), true),
        (Some("HTTPS://arobase.example.org/"), true),
        (Some("http://arobase.example.org"), false),
        (None, false),
    ] {
        let server = TestServer::start_with_config(Backend::Sqlite, |config| {
            config.public_url = public_url.map(str::to_string);
            config.anonymous_burst = 1;
        })
        .await;
        let mut responses = Vec::new();
        for path in ["/api/health", "/", "/api/nope", "/some/deep/link"] {
            responses.push(server.get(path, &[]).await);
        }
        for _ in 0..2 {
            // The second is a 429: the limits' answers carry it too.
            responses.push(post(&server, "/api/towns", None, json!({})).await);
        }
        assert_eq!(
            responses.last().unwrap().status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        for response in responses {
            let hsts = response.headers().get("strict-transport-security");
            if expected {
                assert_eq!(
                    hsts.unwrap(),
                    "max-age=31536000",
                    "{public_url:?} {}",
                    response.url()
                );
            } else {
                assert!(hsts.is_none(), "{public_url:?} {}", response.url());
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// PostgreSQL lock order

/// How long pushes and removals race in [`pushes_racing_removals_never_deadlock_on_postgres`].
const RACE_DURATION: Duration = Duration::from_secs(30);

/// Phones of one town push without pause while the mayor keeps removing them (and inviting new
/// ones): a push locked the device then the town, a removal the town then the device, and
/// PostgreSQL broke the resulting deadlocks by failing one side (a 500). Every answer must now be
/// a success, or 401 `revoked` for a phone already removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pushes_racing_removals_never_deadlock_on_postgres() {
    let server = Arc::new(TestServer::start_backend(Backend::Postgres).await);
    let mayor = server.create_town("35024", "Laurence").await;
    let deadline = Instant::now() + RACE_DURATION;
    let mut tasks = Vec::new();

    // The mayor answers all along, so the town's row is always in demand.
    {
        let server = server.clone();
        let mut mayor = mayor.clone();
        tasks.push(tokio::spawn(async move {
            let mut pushes = 0u64;
            while Instant::now() < deadline {
                let op = mayor.answer((pushes % 20) as usize, Some(1), &[]);
                let (status, body) = server.push(&mayor, &[op]).await;
                assert_eq!(status, StatusCode::OK, "the mayor's push: {body}");
                pushes += 1;
            }
            (pushes, 0u64)
        }));
    }
    for worker in 0..3 {
        let server = server.clone();
        let mayor = mayor.clone();
        tasks.push(tokio::spawn(async move {
            let (mut pushes, mut removals) = (0u64, 0u64);
            let mut round = 0u64;
            while Instant::now() < deadline {
                round += 1;
                let mut phone = server
                    .add_phone(&mayor, &format!("Phone {worker}-{round}"))
                    .await;
                let path = format!("/api/devices/{}", phone.device);
                let pusher = {
                    let server = server.clone();
                    async move {
                        let mut accepted = 0u64;
                        loop {
                            let ops: Vec<_> =
                                (0..3).map(|k| phone.answer(k, Some(k % 2), &[])).collect();
                            let (status, body) = server.push(&phone, &ops).await;
                            match status {
                                StatusCode::OK => accepted += 1,
                                StatusCode::UNAUTHORIZED if error_code(&body) == "revoked" => {
                                    return accepted
                                }
                                _ => panic!("a push answered {status}: {body}"),
                            }
                        }
                    }
                };
                let remover = {
                    let server = server.clone();
                    let token = mayor.token.clone();
                    async move {
                        // Somewhere in the middle of the phone's pushes.
                        tokio::time::sleep(Duration::from_millis(round % 7 * 3)).await;
                        let (status, body) =
                            server.call(Method::DELETE, &path, Some(&token), None).await;
                        assert_eq!(
                            status,
                            StatusCode::NO_CONTENT,
                            "a removal answered {status}: {body}"
                        );
                    }
                };
                let (accepted, ()) = tokio::join!(pusher, remover);
                pushes += accepted;
                removals += 1;
            }
            (pushes, removals)
        }));
    }
    let everything = async {
        let mut totals = (0, 0);
        for task in tasks {
            let (pushes, removals) = task.await.unwrap();
            totals.0 += pushes;
            totals.1 += removals;
        }
        totals
    };
    let (pushes, removals) =
        tokio::time::timeout(RACE_DURATION + Duration::from_secs(60), everything)
            .await
            .expect("pushes and removals finish: nothing hangs");
    // Enough of both to have raced many times over.
    assert!(
        pushes > 100 && removals > 20,
        "{pushes} pushes, {removals} removals"
    );
    eprintln!("{pushes} pushes and {removals} removals in {RACE_DURATION:?}, no 5xx");
}
