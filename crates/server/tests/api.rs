//! The API, the database and the server's life cycle.

mod common;

use std::time::Duration;

use common::{Dist, TestServer, SECURITY_HEADERS};
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::json;
use server::storage::Storage;
use server::{Config, Server, ServerError};

#[tokio::test]
async fn health_reports_ok_version_and_database() {
    let server = TestServer::start().await;
    let response = server.get("/api/health", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let json: serde_json::Value = response.json().await.unwrap();
    let epoch = json["epoch"].as_str().unwrap_or_default();
    assert!(
        epoch.len() == 32 && epoch.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
        "the epoch is 128 bits in lowercase hex: {json}"
    );
    assert_eq!(
        json,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": "sqlite",
               "epoch": epoch})
    );
}

#[tokio::test]
async fn health_is_degraded_when_the_database_is_gone() {
    let server = TestServer::start().await;
    server.handle.storage().close().await;
    let response = server.get("/api/health", &[]).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["status"], "degraded");
    assert_eq!(json["database"], "sqlite");
}

#[rstest]
#[case::bare("/api")]
#[case::slash("/api/")]
#[case::unknown("/api/nope")]
#[case::nested("/api/health/extra")]
#[case::future_endpoint("/api/sync")]
#[tokio::test]
async fn unknown_api_paths_are_a_json_404_naming_the_path(#[case] path: &str) {
    let server = TestServer::start().await;
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let response = server
            .client
            .request(method.clone(), server.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string();
        let mut json: serde_json::Value = response.json().await.unwrap();
        // The request's id, as its header says (tests/metrics.rs tests it further).
        assert_eq!(
            json.as_object_mut().unwrap().remove("request_id"),
            Some(json!(id))
        );
        assert_eq!(
            json,
            json!({"error": format!("no API endpoint at `{path}`")})
        );
    }
}

#[rstest]
#[case::post(reqwest::Method::POST)]
#[case::put(reqwest::Method::PUT)]
#[case::delete(reqwest::Method::DELETE)]
#[tokio::test]
async fn wrong_method_is_a_json_405(#[case] method: reqwest::Method) {
    let server = TestServer::start().await;
    let response = server
        .client
        .request(method.clone(), server.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET,HEAD");
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(response.headers()[*name], *value);
    }
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        json["error"],
        format!("method {method} is not allowed on `/api/health`")
    );
}

/// Sent raw: the server must refuse on the announced length alone, before the body arrives
/// (a real client would still be uploading).
#[rstest]
#[case::api("/api/health")]
#[case::unknown_api("/api/nope")]
#[case::app("/")]
#[tokio::test]
async fn oversized_body_is_a_json_413(#[case] path: &str) {
    let server = TestServer::start().await;
    let response = server
        .raw(&format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{{",
            2 * 1024 * 1024
        ))
        .await;
    assert_eq!(response.status, 413, "{}", response.head);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(response.header("content-security-policy").is_some());
    let mut json: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(
        json.as_object_mut().unwrap().remove("request_id"),
        response.header("x-request-id").map(|id| json!(id))
    );
    assert_eq!(
        json,
        json!({"error": "request body exceeds the limit of 1048576 bytes"})
    );
}

#[tokio::test]
async fn sqlite_pragmas_are_set_on_writer_and_readers() {
    let server = TestServer::start().await;
    let sqlite = server.handle.storage().as_sqlite().expect("SQLite backend");
    let (writer, reader) = sqlite.pragmas().await.unwrap();
    for pragmas in [writer, reader] {
        assert_eq!(pragmas.journal_mode, "wal");
        assert_eq!(pragmas.synchronous, 2, "synchronous=FULL");
        assert!(pragmas.foreign_keys);
        assert_eq!(pragmas.busy_timeout_ms, 5000);
    }
}

#[tokio::test]
async fn database_file_and_missing_directories_are_created_and_migrated() {
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("not/yet/there/arobase.sqlite");
    let url = format!("sqlite://{}", db_path.display());
    let storage = server::Database::connect(&url).await.unwrap();
    assert!(db_path.is_file());
    let sqlite = storage.as_sqlite().unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'",
    )
    .fetch_all(sqlite.reader())
    .await
    .unwrap();
    assert!(tables.contains(&"server_meta".to_string()), "{tables:?}");
    storage.close().await;

    // Reopening an existing database runs no migration twice.
    let reopened = server::Database::connect(&url).await.unwrap();
    reopened.ping().await.unwrap();
    reopened.close().await;
}

#[tokio::test]
async fn readers_cannot_write() {
    let server = TestServer::start().await;
    let sqlite = server.handle.storage().as_sqlite().unwrap();
    let err = sqlx::query("INSERT INTO server_meta (key, value) VALUES ('x', 'y')")
        .execute(sqlite.reader())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
    sqlx::query("INSERT INTO server_meta (key, value) VALUES ('x', 'y')")
        .execute(sqlite.writer())
        .await
        .unwrap();
}

#[rstest]
#[case::missing(Dist::Missing)]
#[case::no_index(Dist::NoIndex)]
#[tokio::test]
async fn without_a_build_the_api_runs_and_app_paths_are_503(#[case] dist: Dist) {
    let server = TestServer::start_with(dist).await;
    assert_eq!(
        server.get("/api/health", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        server.get("/api/nope", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    for path in ["/", "/index.html", "/questionnaire/securite", "/app.js"] {
        let response = server.get(path, &[]).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{csp}"
        );
        assert!(response.text().await.unwrap().contains("make build"));
    }
}

#[tokio::test]
async fn graceful_shutdown_stops_the_server_and_closes_the_database() {
    let server = TestServer::start().await;
    assert_eq!(
        server.get("/api/health", &[]).await.status(),
        StatusCode::OK
    );
    let storage = server.handle.storage().clone();
    let addr = server.addr;
    // The client keeps its connection open (keep-alive), as a browser would: an idle connection
    // must not hold the shutdown until the grace period runs out.
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.handle.shutdown())
        .await
        .expect("the server task ends")
        .expect("and cleanly");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown waited {:?}",
        started.elapsed()
    );
    assert!(storage.as_sqlite().unwrap().is_closed());
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn run_until_returns_when_the_signal_fires() {
    let server = TestServer::start().await;
    let storage = server.handle.storage().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.handle.run_until(async {
        let _ = rx.await;
    }));
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("stops promptly")
        .unwrap()
        .unwrap();
    assert!(storage.as_sqlite().unwrap().is_closed());
}

async fn bind_error(config: Config) -> String {
    match Server::bind(&config).await {
        Ok(_) => panic!("the server should not start"),
        Err(err) => server::error_chain(&err),
    }
}

fn config_in(tmp: &tempfile::TempDir) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", tmp.path().join("db.sqlite").display()),
        dist: tmp.path().join("dist"),
        ..Config::default()
    }
}

#[tokio::test]
async fn unreachable_postgres_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let message = bind_error(Config {
        database_url: "postgres://arobase:secret@127.0.0.1:1/arobase".into(),
        ..config_in(&tmp)
    })
    .await;
    assert!(
        message.contains("cannot connect to the PostgreSQL database 127.0.0.1:1/arobase"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
}

#[tokio::test]
async fn unusable_database_path_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a-file"), "").unwrap();
    let message = bind_error(Config {
        database_url: format!(
            "sqlite://{}",
            tmp.path().join("a-file/sub/db.sqlite").display()
        ),
        ..config_in(&tmp)
    })
    .await;
    assert!(
        message.contains("cannot create the database directory"),
        "{message}"
    );
    assert!(message.contains("a-file/sub"), "{message}");
}

#[tokio::test]
async fn invalid_sqlite_url_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let message = bind_error(Config {
        database_url: format!(
            "sqlite://{}?mode=sideways",
            tmp.path().join("db.sqlite").display()
        ),
        ..config_in(&tmp)
    })
    .await;
    assert!(message.contains("invalid SQLite DATABASE_URL"), "{message}");
    assert!(message.contains("sideways"), "{message}");
}

#[tokio::test]
async fn port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let config = Config {
        listen: addr.clone(),
        ..config_in(&tmp)
    };
    let err = Server::bind(&config).await.expect_err("port is taken");
    assert!(matches!(err, ServerError::Bind { .. }));
    let message = server::error_chain(&err);
    assert!(
        message.starts_with(&format!("cannot listen on {addr}: ")),
        "{message}"
    );
}

#[tokio::test]
async fn the_questionnaire_is_served_as_the_app_embeds_it() {
    let server = TestServer::start().await;
    let response = server.get("/api/questionnaire", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let json: serde_json::Value = response.json().await.unwrap();
    let embedded = serde_json::to_value(diagnostic::questionnaire()).unwrap();
    assert_eq!(json, embedded);
    assert_eq!(json["version"], diagnostic::CONTENT_VERSION);
    assert_eq!(json["axes"].as_array().unwrap().len(), 4);
    let themes = json["themes"].as_array().unwrap();
    assert_eq!(themes.len(), 4);
    for theme in themes {
        assert!(theme["title"]["fr"].is_string() && theme["title"]["en"].is_string());
        for question in theme["questions"].as_array().unwrap() {
            for field in ["id", "text", "help", "answers", "axes"] {
                assert!(
                    !question[field].is_null(),
                    "{} lacks {field}",
                    question["id"]
                );
            }
        }
    }

    let revalidated = server
        .get("/api/questionnaire", &[("if-none-match", &etag)])
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
}
