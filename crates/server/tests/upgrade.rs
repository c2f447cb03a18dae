//! Upgrades: a database written by an earlier release is opened by this code, migrated, and its
//! phones keep syncing as if nothing happened. The fixtures in `tests/fixtures/upgrade/<release>/`
//! were written by that release's own code (`make fixtures`, the ignored test `write_fixtures`
//! below): a SQLite file, a PostgreSQL dump (plain SQL of one schema, its name replaced by
//! `__SCHEMA__`), and for each what the phones of the scenario know (their tokens, and the
//! operations the server held). A release that changes the schema adds its own fixture directory
//! here and keeps the older ones: every release must open every earlier one.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::sync::Phone;
use common::{fresh_database_url, postgres_base_url, Backend, TestServer};
use diagnostic::sync::{Hlc, Operation};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The releases whose databases this code must open, oldest first.
const RELEASES: &[&str] = &["2026.12"];

/// The release `make fixtures` writes (this one).
const CURRENT: &str = "2026.12";

/// Stands for the PostgreSQL schema's name in a dump.
const SCHEMA_PLACEHOLDER: &str = "__SCHEMA__";

fn fixture_dir(release: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upgrade")
        .join(release)
}

/// What a fixture's phones know: enough to act as them against the upgraded server.
#[derive(Debug, Serialize, Deserialize)]
struct Scenario {
    commune: String,
    phones: Vec<FixturePhone>,
    /// Every operation the server held, in its pull order.
    ops: Vec<Operation>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FixturePhone {
    name: String,
    token: String,
    device: String,
}

impl FixturePhone {
    /// The phone, its clock past every operation it saw (as the app's would be).
    fn phone(&self, ops: &[Operation]) -> Phone {
        let mut clock = Hlc::zero(self.device.clone());
        for op in ops {
            clock = clock.observe(&op.clock, 0);
        }
        Phone {
            token: self.token.clone(),
            device: self.device.clone(),
            clock,
        }
    }
}

fn scenario_file(release: &str, backend: Backend) -> PathBuf {
    fixture_dir(release).join(match backend {
        Backend::Sqlite => "sqlite.json",
        Backend::Postgres => "postgres.json",
    })
}

/// The database of `release` restored where a server of this code can open it; its URL.
async fn restore(release: &str, backend: Backend, tmp: &Path) -> String {
    let url = fresh_database_url(backend, tmp).await;
    match backend {
        Backend::Sqlite => {
            let file = tmp.join("data/arobase.sqlite");
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::copy(fixture_dir(release).join("arobase.sqlite"), &file).unwrap();
        }
        Backend::Postgres => {
            // `fresh_database_url` made an empty schema; the dump creates it again.
            let schema = schema_of(&url);
            psql(&format!("DROP SCHEMA {schema} CASCADE"));
            let dump = std::fs::read_to_string(fixture_dir(release).join("postgres.sql")).unwrap();
            psql(&dump.replace(SCHEMA_PLACEHOLDER, &schema));
        }
    }
    url
}

/// The schema a test database URL puts first on the search path.
fn schema_of(url: &str) -> String {
    url.rsplit("options[search_path]=")
        .next()
        .filter(|schema| schema.starts_with("arobase_t_"))
        .unwrap_or_else(|| panic!("no test schema in {url}"))
        .to_string()
}

/// Runs `sql` with `psql` on the test database, stopping at the first error.
fn psql(sql: &str) {
    use std::io::Write;
    let mut child = Command::new("psql")
        .arg(postgres_base_url())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("psql runs (scripts/postgres.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "psql failed");
}

async fn upgrade_and_sync(release: &str, backend: Backend) {
    let scenario: Scenario =
        serde_json::from_str(&std::fs::read_to_string(scenario_file(release, backend)).unwrap())
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let url = restore(release, backend, tmp.path()).await;
    let server = TestServer::start_on(&url).await;

    // Every phone is still enrolled, and finds every operation, in the same order.
    for fixture in &scenario.phones {
        let (status, me) = server.get_json("/api/me", Some(&fixture.token)).await;
        assert_eq!(status, StatusCode::OK, "{release} {backend:?}: {me}");
        assert_eq!(me["device"]["id"], json!(fixture.device));
        let phone = fixture.phone(&scenario.ops);
        let pulled = server.pull_all(&phone, 7).await;
        assert_eq!(
            pulled, scenario.ops,
            "{release} {backend:?}: the log survives"
        );
    }

    // A phone that had not heard its push acknowledged sends it again: no duplicate.
    let mayor = &scenario.phones[0];
    let mut phone = mayor.phone(&scenario.ops);
    let own: Vec<Operation> = scenario
        .ops
        .iter()
        .filter(|op| op.device == mayor.device)
        .cloned()
        .collect();
    let (status, ack) = server.push(&phone, &own).await;
    assert_eq!(status, StatusCode::OK, "{ack}");

    // New answers go through, and the other phones get them.
    let answered: Vec<&str> = scenario.ops.iter().map(|op| op.question.as_str()).collect();
    let fresh = (0..common::sync::questions().len())
        .find(|&i| !answered.contains(&common::sync::questions()[i].0.as_str()))
        .unwrap();
    let op = phone.answer(fresh, Some(0), &[]);
    let (status, ack) = server.push(&phone, std::slice::from_ref(&op)).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    let deputy = scenario.phones[1].phone(&scenario.ops);
    let pulled = server.pull_all(&deputy, 50).await;
    assert_eq!(
        pulled.len(),
        scenario.ops.len() + 1,
        "one new operation, no duplicate"
    );
    assert_eq!(pulled.last(), Some(&op));

    // The town can still invite: a new phone joins and gets the whole log.
    let newcomer = server
        .add_phone(&phone_with_token(&mayor.token, &mayor.device), "Nouvel élu")
        .await;
    assert_eq!(server.pull_all(&newcomer, 50).await, pulled);
}

fn phone_with_token(token: &str, device: &str) -> Phone {
    Phone {
        token: token.to_string(),
        device: device.to_string(),
        clock: Hlc::zero(device.to_string()),
    }
}

#[tokio::test]
async fn earlier_sqlite_databases_upgrade_and_keep_syncing() {
    for release in RELEASES {
        upgrade_and_sync(release, Backend::Sqlite).await;
    }
}

#[tokio::test]
async fn earlier_postgres_databases_upgrade_and_keep_syncing() {
    for release in RELEASES {
        upgrade_and_sync(release, Backend::Postgres).await;
    }
}

/// Writes this release's fixtures (`make fixtures`): a town of three phones that answered,
/// disagreed once and synced, on SQLite and on PostgreSQL.
#[tokio::test]
#[ignore = "writes the fixtures of this release: `make fixtures`"]
async fn write_fixtures() {
    let dir = fixture_dir(CURRENT);
    std::fs::create_dir_all(&dir).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let server = TestServer::start_backend(backend).await;
        let commune = "29155";
        let mut mayor = server.create_town(commune, "Marie Dupont").await;
        let mut deputy = server.add_phone(&mayor, "Paul Martin").await;
        let secretary = server.add_phone(&mayor, "Anne Le Gall").await;
        let mut ops = Vec::new();
        for question in 0..6 {
            ops.push(mayor.answer(question, Some(question % 3), &[]));
        }
        server.push(&mayor, &ops).await;
        // The deputy answers others, and one of the mayor's without having seen it: a conflict.
        let mut theirs: Vec<Operation> = (6..9)
            .map(|question| deputy.answer(question, Some(1), &[]))
            .collect();
        theirs.push(deputy.answer(2, Some(0), &[]));
        // And changes one of the mayor's answers, having seen it.
        theirs.push(deputy.answer(0, Some(2), &[&ops[0].id]));
        server.push(&deputy, &theirs).await;
        let all = server.pull_all(&secretary, 100).await;
        assert_eq!(all.len(), 11);

        let phones = [
            ("Marie Dupont", &mayor),
            ("Paul Martin", &deputy),
            ("Anne Le Gall", &secretary),
        ]
        .map(|(name, phone)| FixturePhone {
            name: name.into(),
            token: phone.token.clone(),
            device: phone.device.clone(),
        });
        let scenario = Scenario {
            commune: commune.into(),
            phones: phones.into(),
            ops: all,
        };
        std::fs::write(
            scenario_file(CURRENT, backend),
            serde_json::to_string_pretty(&scenario).unwrap() + "\n",
        )
        .unwrap();
        match backend {
            Backend::Sqlite => {
                // One self-contained file (no WAL beside it), taken while the server runs.
                use sqlx::Connection as _;
                let target = dir.join("arobase.sqlite");
                let _ = std::fs::remove_file(&target);
                let mut db = sqlx::SqliteConnection::connect(&server.database_url)
                    .await
                    .unwrap();
                sqlx::query("VACUUM INTO ?")
                    .bind(target.display().to_string())
                    .execute(&mut db)
                    .await
                    .unwrap();
            }
            Backend::Postgres => {
                let schema = schema_of(&server.database_url);
                let output = Command::new("pg_dump")
                    .arg(postgres_base_url())
                    .args(["--schema", &schema, "--no-owner", "--no-privileges"])
                    .output()
                    .expect("pg_dump runs");
                assert!(output.status.success(), "pg_dump failed");
                let dump = String::from_utf8(output.stdout).unwrap();
                std::fs::write(
                    dir.join("postgres.sql"),
                    dump.replace(&schema, SCHEMA_PLACEHOLDER),
                )
                .unwrap();
            }
        }
    }
}
