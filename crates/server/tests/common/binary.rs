//! The real `arobase-server` binary, started the way scripts start it, and a town enrolled on it
//! over HTTP.

use std::io::BufReader;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use diagnostic::sync::Hlc;
use serde_json::{json, Value};

use super::sync::Phone;

pub const BINARY: &str = env!("CARGO_BIN_EXE_arobase-server");

/// Starts the binary on the database at `database_url` and returns it with its base URL.
pub fn spawn(database_url: &str, communes: &Path, dist: &Path) -> (Child, String) {
    let mut child = Command::new(BINARY)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--database-url")
        .arg(database_url)
        .arg("--communes")
        .arg(communes)
        .arg("--dist")
        .arg(dist)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = super::announced_url(&mut BufReader::new(child.stdout.take().unwrap()));
    (child, url)
}

pub async fn post(client: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> Value {
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

pub fn sqlite_url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}

pub fn phone(enrolment: &Value) -> Phone {
    let device = enrolment["device"]["id"].as_str().unwrap().to_string();
    Phone {
        token: enrolment["token"].as_str().unwrap().to_string(),
        clock: Hlc::zero(device.clone()),
        device,
    }
}

/// A mayor's phone and `others` more that joined the town, all enrolled on the server at `url`.
pub async fn enrol(client: &reqwest::Client, url: &str, others: usize) -> Vec<Phone> {
    let mayor = phone(
        &post(
            client,
            &format!("{url}/api/towns"),
            None,
            json!({"commune": "35024", "name": "Laurence", "role": "maire"}),
        )
        .await,
    );
    let mut phones = vec![mayor.clone()];
    for i in 0..others {
        phones.push(enrol_one(client, url, &mayor, &format!("Phone {i}")).await);
    }
    phones
}

/// One more phone joins the town by an invitation of `inviter` (an administrator).
pub async fn enrol_one(client: &reqwest::Client, url: &str, inviter: &Phone, name: &str) -> Phone {
    let invite = post(
        client,
        &format!("{url}/api/invites"),
        Some(&inviter.token),
        json!({}),
    )
    .await;
    phone(
        &post(
            client,
            &format!("{url}/api/join"),
            None,
            json!({"secret": invite["secret"], "name": name, "role": "agent"}),
        )
        .await,
    )
}
