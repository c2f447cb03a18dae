//! Loading the official commune list: at start when the database has none, never over an
//! existing list, and on demand with `arobase-server import-communes`.

mod common;

use std::process::{Command, Stdio};

use server::storage::Storage;
use server::{Config, Server};

const BINARY: &str = env!("CARGO_BIN_EXE_arobase-server");

fn config(tmp: &tempfile::TempDir, communes: std::path::PathBuf) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", tmp.path().join("db.sqlite").display()),
        dist: tmp.path().join("dist"),
        communes,
        ..Config::default()
    }
}

#[tokio::test]
async fn imported_at_start_only_when_the_database_has_none() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("communes");
    common::write_communes(&dir);
    let (_, handle) = Server::bind(&config(&tmp, dir.clone())).await.unwrap();
    assert_eq!(
        handle.storage().communes_count().await.unwrap(),
        9,
        "delegated communes left out"
    );
    handle.shutdown().await.unwrap();

    // A list already there is kept as is at the next start (even if the files changed or went).
    std::fs::write(dir.join("communes.json"), "[]").unwrap();
    let (_, handle) = Server::bind(&config(&tmp, dir)).await.unwrap();
    assert_eq!(handle.storage().communes_count().await.unwrap(), 9);
    handle.shutdown().await.unwrap();
    let (_, handle) = Server::bind(&config(&tmp, tmp.path().join("gone")))
        .await
        .unwrap();
    assert_eq!(handle.storage().communes_count().await.unwrap(), 9);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_missing_list_is_a_warning_and_a_broken_one_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, handle) = Server::bind(&config(&tmp, tmp.path().join("nowhere")))
        .await
        .expect("starts without the list");
    assert_eq!(handle.storage().communes_count().await.unwrap(), 0);
    handle.shutdown().await.unwrap();

    let broken = tmp.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("communes.json"), "{\"not\": \"a list\"}").unwrap();
    let err = match Server::bind(&config(&tmp, broken)).await {
        Ok(_) => panic!("a broken list must stop the start"),
        Err(err) => server::error_chain(&err),
    };
    assert!(err.starts_with("cannot import the commune list: "), "{err}");
    assert!(
        err.contains("communes.json is not the expected JSON"),
        "{err}"
    );
}

#[test]
fn the_import_communes_command_loads_and_refreshes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("communes");
    common::write_communes(&dir);
    let db = tmp.path().join("db.sqlite");
    let run = || {
        Command::new(BINARY)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", format!("sqlite://{}", db.display()))
            .env("AROBASE_COMMUNES", &dir)
            .arg("import-communes")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let output = run();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.starts_with("9 communes imported from "), "{stdout}");
    }
    // A new version of the list updates the rows in place.
    let updated = std::fs::read_to_string(dir.join("communes.json"))
        .unwrap()
        .replace("\"population\":6641", "\"population\":6700");
    std::fs::write(dir.join("communes.json"), updated).unwrap();
    assert!(run().status.success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let storage = server::Database::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let query = server::communes::parse_query("plouguerneau", 5).unwrap();
        let found = storage.search_communes(&query).await.unwrap();
        assert_eq!(found[0].commune.population, 6700);
        assert_eq!(storage.communes_count().await.unwrap(), 9);
        storage.close().await;
    });

    let output = Command::new(BINARY)
        .env_clear()
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .args(["--communes", "/nonexistent/communes", "import-communes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read /nonexistent/communes/communes.json"),
        "{stderr}"
    );
}
