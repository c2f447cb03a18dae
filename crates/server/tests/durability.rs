//! Durability: the real `arobase-server` binary takes pushes from several phones at once, is
//! killed with SIGKILL (no shutdown, no WAL checkpoint), and restarted on the same SQLite file:
//! every operation it acknowledged is there. A push is answered only after its commit, and
//! SQLite runs with `synchronous=FULL`.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::sync::Phone;
use diagnostic::sync::{Hlc, Operation};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_arobase-server");

/// Starts the binary on `db` and returns it with its base URL.
fn spawn(
    db: &std::path::Path,
    communes: &std::path::Path,
    dist: &std::path::Path,
) -> (Child, String) {
    let mut child = Command::new(BINARY)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .arg("--communes")
        .arg(communes)
        .arg("--dist")
        .arg(dist)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("Arobase listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (child, url)
}

async fn post(client: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

fn phone(enrolment: &Value) -> Phone {
    let device = enrolment["device"]["id"].as_str().unwrap().to_string();
    Phone {
        token: enrolment["token"].as_str().unwrap().to_string(),
        clock: Hlc::zero(device.clone()),
        device,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_operation_survives_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("data/arobase.sqlite");
    let communes = tmp.path().join("communes");
    common::write_communes(&communes);
    let dist = tmp.path().join("dist");
    let (mut child, url) = spawn(&db, &communes, &dist);
    let client = reqwest::Client::new();

    let mayor = phone(
        &post(
            &client,
            &format!("{url}/api/towns"),
            None,
            json!({"commune": "35024", "name": "Laurence", "role": "maire"}),
        )
        .await,
    );
    let mut phones = vec![mayor.clone()];
    for i in 0..3 {
        let invite = post(
            &client,
            &format!("{url}/api/invites"),
            Some(&mayor.token),
            json!({}),
        )
        .await;
        phones.push(phone(
            &post(
                &client,
                &format!("{url}/api/join"),
                None,
                json!({"secret": invite["secret"], "name": format!("Phone {i}"), "role": "agent"}),
            )
            .await,
        ));
    }

    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut pushers = Vec::new();
    for mut phone in phones {
        let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
        pushers.push(tokio::spawn(async move {
            let mut round = 0;
            while Instant::now() < deadline {
                let ops: Vec<Operation> = (0..5)
                    .map(|k| phone.answer((round * 5 + k) % 20, Some(k % 4), &[]))
                    .collect();
                round += 1;
                let sent = client
                    .post(format!("{url}/api/sync/push"))
                    .bearer_auth(&phone.token)
                    .json(&json!({ "ops": ops }))
                    .send()
                    .await;
                // Once the server is killed, requests fail: the pusher stops.
                let Ok(response) = sent else { return };
                if !response.status().is_success() {
                    return;
                }
                let Ok(ack) = response.json::<Value>().await else {
                    return;
                };
                let mut acked = acked.lock().unwrap();
                for id in ack["acknowledged"].as_array().unwrap() {
                    acked.insert(id.as_str().unwrap().to_string());
                }
            }
        }));
    }

    // Kill while pushes are in flight, once a good number were acknowledged.
    while acked.lock().unwrap().len() < 1000 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for pusher in pushers {
        pusher.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 1000,
        "only {} operations acknowledged",
        acked.len()
    );

    let (mut child, url) = spawn(&db, &communes, &dist);
    let mut stored = BTreeSet::new();
    let mut after = 0;
    loop {
        let page: Value = client
            .get(format!("{url}/api/sync/pull?after={after}&limit=1000"))
            .bearer_auth(&mayor.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for op in page["ops"].as_array().unwrap() {
            assert!(
                stored.insert(op["id"].as_str().unwrap().to_string()),
                "stored twice"
            );
        }
        after = page["next"].as_u64().unwrap();
        if !page["more"].as_bool().unwrap() {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let lost: Vec<&String> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged operations lost: {lost:?}",
        lost.len()
    );
    // Pushes cut by the kill may have committed without their answer arriving: stored but not
    // acknowledged is fine (the phone pushes them again and they are acknowledged then).
    assert!(stored.len() >= acked.len());
}
