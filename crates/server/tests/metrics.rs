//! `/metrics` (`--metrics-listen`) and request ids (`X-Request-Id`), on a real server over HTTP.

mod common;

use std::io::{BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use common::{on_both_backends, Backend, TestServer};

async fn with_metrics(backend: Backend) -> TestServer {
    TestServer::start_with_config(backend, |config| {
        config.metrics_listen = Some("127.0.0.1:0".into());
    })
    .await
}

/// The metrics as text, from the metrics listener.
async fn scrape(server: &TestServer) -> String {
    let addr = server.handle.metrics_addr().expect("a metrics listener");
    let response = server
        .client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// The value of the series named exactly `series` (name and labels), 0 when absent (a labelled
/// counter appears at its first increment).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.parse().unwrap())
}

/// Not on the public port, under any path; only on its own listener, and only when asked for.
async fn metrics_are_not_public(backend: Backend) {
    let server = with_metrics(backend).await;
    let metrics_addr = server.handle.metrics_addr().unwrap();
    assert_ne!(metrics_addr.port(), server.addr.port());
    for path in ["/metrics", "/api/metrics", "/metrics/"] {
        let response = server.get(path, &[]).await;
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("arobase_http_requests_total"),
            "{path} on the public port shows metrics: {body}"
        );
    }
    let text = scrape(&server).await;
    assert!(
        text.contains("# TYPE arobase_http_requests_total counter"),
        "{text}"
    );
    assert!(text.contains("# TYPE arobase_http_request_duration_seconds histogram"));
    // The metrics listener serves nothing else.
    let response = server
        .client
        .get(format!("http://{metrics_addr}/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let without = TestServer::start_backend(backend).await;
    assert_eq!(without.handle.metrics_addr(), None, "off unless set");
}

/// Requests, pushes, operations, pool and live-stream gauges move with what the server does;
/// routes are counted by template, never by the raw path.
async fn counters_follow_the_traffic(backend: Backend) {
    let server = with_metrics(backend).await;
    let mut mayor = server.create_town("42218", "Anne").await;
    let before = scrape(&server).await;
    let push_series =
        r#"arobase_http_requests_total{method="POST",route="/api/sync/push",status="200"}"#;
    assert_eq!(value(&before, push_series), 0.0);

    let ops = vec![
        mayor.answer(0, Some(0), &[]),
        mayor.answer(1, Some(0), &[]),
        mayor.answer(2, Some(0), &[]),
    ];
    let (status, body) = server.push(&mayor, &ops).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A retry: stored again, no new operation.
    let (status, _) = server.push(&mayor, &ops).await;
    assert_eq!(status, StatusCode::OK);
    let mut clash = mayor.answer(3, Some(0), &[]);
    clash.id = ops[0].id.clone();
    let (status, _) = server.push(&mayor, &[clash]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Raw paths with ids and unknown paths: counted under their template only.
    let (status, _) = server
        .delete("/api/devices/device-raw-id-123", Some(&mayor.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.get_json("/api/no-such-route-456", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A live stream, held open while scraping.
    let stream = server
        .client
        .get(server.url("/api/sync/events"))
        .bearer_auth(&mayor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);

    let after = scrape(&server).await;
    assert_eq!(value(&after, push_series), 2.0, "{after}");
    assert_eq!(
        value(
            &after,
            r#"arobase_http_requests_total{method="POST",route="/api/sync/push",status="409"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"arobase_http_request_duration_seconds_count{method="POST",route="/api/sync/push"}"#
        ),
        3.0
    );
    assert_eq!(
        value(&after, r#"arobase_sync_pushes_total{outcome="stored"}"#),
        2.0
    );
    assert_eq!(
        value(&after, r#"arobase_sync_pushes_total{outcome="refused"}"#),
        1.0
    );
    assert_eq!(value(&after, "arobase_sync_operations_stored_total"), 3.0);
    assert_eq!(
        value(
            &after,
            r#"arobase_http_requests_total{method="DELETE",route="/api/devices/{id}",status="404"}"#
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        value(
            &after,
            r#"arobase_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        1.0
    );
    assert!(!after.contains("device-raw-id-123") && !after.contains("no-such-route-456"));
    assert_eq!(value(&after, "arobase_live_streams"), 1.0);
    match backend {
        Backend::Sqlite => {
            assert_eq!(
                value(
                    &after,
                    r#"arobase_db_pool_connections{pool="writer",state="open"}"#
                ),
                1.0
            );
            assert!(
                value(
                    &after,
                    r#"arobase_db_pool_connections{pool="reader",state="open"}"#
                ) >= 1.0
            );
            // Town creation's pushes are none: these are the three pushes above.
            assert_eq!(value(&after, "arobase_group_commit_pushes_total"), 3.0);
            assert!(value(&after, "arobase_group_commit_transactions_total") >= 1.0);
        }
        Backend::Postgres => {
            assert!(
                value(
                    &after,
                    r#"arobase_db_pool_connections{pool="postgres",state="open"}"#
                ) >= 1.0,
                "{after}"
            );
            assert_eq!(
                value(&after, "arobase_group_commit_transactions_total"),
                0.0
            );
        }
    }

    drop(stream);
    // The server notices the closed stream at its next heartbeat or write; the gauge reads the
    // hub, so it must come back to 0 once the stream is gone. Poll a while.
    let mut open = 1.0;
    for _ in 0..100 {
        open = value(&scrape(&server).await, "arobase_live_streams");
        if open == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open, 0.0, "the closed stream is no longer counted");
}

fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string()
}

fn is_generated(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Every answer names its request: a sane incoming id is kept, anything else replaced; a JSON
/// error body carries the same id.
async fn request_ids_in_headers_and_error_bodies(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let plain = server.get("/api/health", &[]).await;
    let first = request_id(&plain);
    assert!(is_generated(&first), "{first}");
    let second = request_id(&server.get("/api/health", &[]).await);
    assert_ne!(first, second, "each request its own id");

    let kept = server
        .get("/api/health", &[("x-request-id", "proxy-7f3a.b_2:1")])
        .await;
    assert_eq!(request_id(&kept), "proxy-7f3a.b_2:1");

    for garbage in ["a".repeat(65), "has spaces".into(), "quo\"te".into()] {
        let replaced = server
            .get("/api/health", &[("x-request-id", garbage.as_str())])
            .await;
        let id = request_id(&replaced);
        assert!(is_generated(&id), "{garbage:?} was replaced by {id}");
    }
    // Bytes that are not even text, sent raw.
    let raw = server
        .raw(
            "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Request-Id: caf\u{e9}\r\n\
             Connection: close\r\n\r\n",
        )
        .await;
    let raw_id = raw.header("x-request-id").unwrap_or_default();
    assert!(is_generated(raw_id), "{}", raw.head);

    // A 4xx with a JSON body: an unknown token (the database is asked).
    let refused = server
        .client
        .post(server.url("/api/sync/push"))
        .bearer_auth("not-a-token")
        .header("x-request-id", "report-42")
        .json(&serde_json::json!({"ops": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(request_id(&refused), "report-42");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["request_id"], "report-42", "{body}");
    assert!(body["error"].is_string());
    // The body is the protocol's error type, which the app parses.
    let parsed: diagnostic::sync::ApiErrorBody = serde_json::from_value(body).unwrap();
    assert_eq!(parsed.request_id.as_deref(), Some("report-42"));

    // A malformed body (refused before any handler) and an unknown path: same.
    let malformed = server
        .client
        .post(server.url("/api/towns"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let id = request_id(&malformed);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str(), "{body}");
    let missing = server.get("/api/nope", &[]).await;
    let id = request_id(&missing);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str(), "{body}");
}

on_both_backends!(
    metrics_are_not_public,
    counters_follow_the_traffic,
    request_ids_in_headers_and_error_bodies,
);

/// The binary as run in production: `--metrics-listen` serves the metrics, and every JSON log
/// line of a request carries its id (the `request` span's `request_id`).
#[tokio::test]
async fn the_binary_logs_request_ids_and_serves_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    common::write_dist(&dist);
    let communes = tmp.path().join("communes");
    common::write_communes(&communes);
    // A port picked free now: the binary prints only the public address.
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_arobase-server"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--database-url")
        .arg(format!(
            "sqlite://{}",
            tmp.path().join("arobase.sqlite").display()
        ))
        .arg("--dist")
        .arg(&dist)
        .arg("--communes")
        .arg(&communes)
        .env(
            "AROBASE_METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let url = common::announced_url(&mut stdout);

    let client = reqwest::Client::new();
    // A town's creation: several statements, logged (debug) while the request is served.
    let created = client
        .post(format!("{url}/api/towns"))
        .header("x-request-id", "log-check-town")
        .json(&serde_json::json!({"commune": "35024", "name": "Anne", "role": "maire"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let refused = client
        .post(format!("{url}/api/sync/push"))
        .bearer_auth("not-a-token")
        .header("x-request-id", "log-check-1")
        .json(&serde_json::json!({"ops": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let metrics = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            r#"arobase_http_requests_total{method="POST",route="/api/sync/push",status="401"} 1"#
        ),
        "{metrics}"
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let events: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for (path, id) in [
        ("/api/towns", "log-check-town"),
        ("/api/sync/push", "log-check-1"),
    ] {
        let of_request: Vec<&Value> = events
            .iter()
            .filter(|event| event["span"]["path"] == path)
            .collect();
        assert!(!of_request.is_empty(), "no log line of {path}: {logs}");
        for event in &of_request {
            assert_eq!(event["span"]["request_id"], id, "{event}");
        }
    }
    let statements = events
        .iter()
        .filter(|event| {
            event["target"] == "sqlx::query" && event["span"]["request_id"] == "log-check-town"
        })
        .count();
    assert!(
        statements >= 2,
        "the statements run for the request carry its id: {logs}"
    );
    assert!(
        events.iter().any(|event| event["message"]
            .as_str()
            .is_some_and(|m| m.contains("metrics"))
            && event["metrics_addr"] == format!("127.0.0.1:{metrics_port}")),
        "the metrics address is logged at start: {logs}"
    );
}
