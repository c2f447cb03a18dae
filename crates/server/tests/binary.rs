//! The `arobase-server` binary as an operator runs it: configuration from flags and environment,
//! the announced URL, JSON logs, signals, and clear failures.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rstest::rstest;

const BINARY: &str = env!("CARGO_BIN_EXE_arobase-server");

/// The binary with a clean environment, so the developer's or CI's variables cannot leak in.
fn command() -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for the process to exit, killing it if it outlives `timeout`.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("arobase-server did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("the `kill` command exists");
    assert!(status.success());
}

#[rstest]
#[case::sigterm("TERM")]
#[case::sigint("INT")]
#[tokio::test]
async fn starts_from_env_and_flags_serves_and_stops_on_signal(#[case] signal: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    common::write_dist(&dist);
    let db_path = tmp.path().join("state/arobase.sqlite");
    let mut child = command()
        // A flag wins over its variable: this bogus address must be ignored.
        .env("AROBASE_LISTEN", "not-an-address")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .env("DATABASE_URL", format!("sqlite://{}", db_path.display()))
        .env("AROBASE_DIST", &dist)
        .env("AROBASE_LOG_FORMAT", "json")
        .spawn()
        .unwrap();

    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let url = common::announced_url(&mut stdout);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        db_path.is_file(),
        "DATABASE_URL from the environment was used"
    );

    let client = reqwest::Client::new();
    let health = client
        .get(format!("{url}/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let index = client.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(
        index.status(),
        200,
        "AROBASE_DIST from the environment was used"
    );

    send_signal(&child, signal);
    let status = wait_with_timeout(&mut child, Duration::from_secs(15));
    assert!(status.success(), "graceful stop exits 0, got {status}");

    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let events: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"))
        })
        .collect();
    let request_log = events
        .iter()
        .find(|event| event["span"]["path"] == "/api/health")
        .unwrap_or_else(|| panic!("no request log for /api/health in {logs}"));
    assert_eq!(request_log["span"]["method"], "GET");
    assert_eq!(request_log["status"], 200);
    assert!(request_log["latency"].is_string(), "{request_log}");
    assert!(
        events
            .iter()
            .any(|event| event["message"] == "server stopped; database closed"),
        "{logs}"
    );
}

#[rstest]
#[case::postgres_unreachable(
    "postgres://arobase:secret@127.0.0.1:1/arobase",
    "cannot connect to the PostgreSQL database 127.0.0.1:1/arobase"
)]
#[case::unknown_scheme("mysql://localhost/arobase", "unsupported DATABASE_URL scheme `mysql`")]
#[case::unopenable(
    "sqlite:///proc/arobase/db.sqlite",
    "cannot create the database directory /proc/arobase"
)]
fn bad_database_url_fails_clearly(#[case] url: &str, #[case] message: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let output = command()
        .args(["--listen", "127.0.0.1:0", "--database-url", url])
        .arg("--dist")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(message), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing announced");
}

#[test]
fn help_documents_every_option_and_its_variable() {
    let output = command().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for text in [
        "--listen",
        "AROBASE_LISTEN",
        "--database-url",
        "DATABASE_URL",
        "--dist",
        "AROBASE_DIST",
        "--log-format",
        "AROBASE_LOG_FORMAT",
        "RUST_LOG",
        "--communes",
        "AROBASE_COMMUNES",
        "--public-url",
        "AROBASE_PUBLIC_URL",
        "import-communes",
        "operator",
        "--town-spaces",
        "AROBASE_TOWN_SPACES",
        "--device-retention-days",
        "AROBASE_DEVICE_RETENTION_DAYS",
        "--rejected-retention-days",
        "AROBASE_REJECTED_RETENTION_DAYS",
        "--host-name",
        "AROBASE_HOST_NAME",
        "--host-address",
        "AROBASE_HOST_ADDRESS",
        "--host-contact",
        "AROBASE_HOST_CONTACT",
        "--publication-director",
        "AROBASE_PUBLICATION_DIRECTOR",
        "--anonymous-per-minute",
        "AROBASE_ANONYMOUS_PER_MINUTE",
        "--anonymous-burst",
        "AROBASE_ANONYMOUS_BURST",
        "--invites-per-minute",
        "AROBASE_INVITES_PER_MINUTE",
        "--invites-burst",
        "AROBASE_INVITES_BURST",
        "--trust-forwarded-for",
        "AROBASE_TRUST_FORWARDED_FOR",
        "--header-read-timeout",
        "AROBASE_HEADER_READ_TIMEOUT",
        "--request-timeout",
        "AROBASE_REQUEST_TIMEOUT",
        "--max-concurrent-requests",
        "AROBASE_MAX_CONCURRENT_REQUESTS",
        "--metrics-listen",
        "AROBASE_METRICS_LISTEN",
    ] {
        assert!(help.contains(text), "--help lacks {text}:\n{help}");
    }
}

/// `operator add|list|remove` as an operator types them: stdout carries only what a script
/// reads (the link, the list), the rest is on stderr.
#[test]
fn operator_subcommands_print_the_link_the_list_and_remove() {
    let tmp = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", tmp.path().join("db.sqlite").display());
    let run = |args: &[&str]| {
        let output = command()
            .env("DATABASE_URL", &database)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (code, stdout, stderr) = run(&[
        "operator",
        "add",
        "--name",
        "Claire Martin",
        "--email",
        "claire@apvf.example",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stdout}");
    let secret = lines[0]
        .strip_prefix("http://127.0.0.1:8080/association/inscription#")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(secret.len(), 43, "{secret}");
    assert!(stderr.contains("Claire Martin"), "{stderr}");

    let (code, stdout, _) = run(&[
        "--public-url",
        "https://arobase.example/",
        "operator",
        "add",
        "--name",
        "Paul",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("https://arobase.example/association/inscription#"),
        "{stdout}"
    );

    let (code, stdout, _) = run(&["operator", "list"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        "1\tClaire Martin\tclaire@apvf.example\ten attente d'inscription\n\
         2\tPaul\t-\ten attente d'inscription\n"
    );
    let (code, _, stderr) = run(&["operator", "remove", "--id", "2"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (_, stdout, _) = run(&["operator", "list"]);
    assert!(stdout.contains("2\tPaul\t-\tretiré"), "{stdout}");

    for args in [
        &["operator", "remove", "--id", "99"][..],
        &["operator", "add", "--name", "   "],
        &[
            "operator",
            "add",
            "--name",
            "Léa",
            "--email",
            "pas-une-adresse",
        ],
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}");
        assert!(stderr.contains("arobase-server: error"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// With no operator yet, the second line of stdout is the first operator's one-time link (the
/// first stays the address scripts read).
#[test]
fn start_prints_the_first_operator_link_after_the_address() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = command()
        .args(["--listen", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", tmp.path().join("db.sqlite").display()),
        )
        .env("AROBASE_DIST", tmp.path().join("no-dist"))
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let url = common::announced_url(&mut stdout);
    let mut second = String::new();
    stdout.read_line(&mut second).unwrap();
    let link = second
        .trim()
        .strip_prefix("Premier opérateur : ")
        .unwrap_or_else(|| panic!("{second:?}"));
    assert!(
        link.starts_with(&format!("{url}/association/inscription#")),
        "{link}"
    );
    send_signal(&child, "TERM");
    let status = wait_with_timeout(&mut child, Duration::from_secs(15));
    assert!(status.success());
}
