//! The action atlas over HTTP (docs/network.md, « L'atlas des actions »): an administrator sends
//! an example of a done priority, operators moderate it (audit-logged), other towns read it,
//! comparable towns first, and erasing a town takes its examples away — each test on SQLite and
//! on PostgreSQL.
//!
//! The PostgreSQL cases need `AROBASE_TEST_POSTGRES_URL`, as in `tests/sync.rs`.

mod common;

use common::sync::{fresh_id, now_ms, questions, Phone};
use common::{on_both_backends, Backend, TestServer};
use diagnostic::association::TownSpaces;
use diagnostic::network::atlas::MAX_PENDING_PER_TOWN;
use diagnostic::sync::{plan_key, Replica};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::operators;

on_both_backends!(
    only_an_administrator_with_a_done_priority_sends_an_example,
    an_example_is_seen_only_once_published_comparable_towns_first,
    moderation_is_audited_and_a_refusal_tells_the_town_why,
    hostile_atlas_input_is_a_4xx,
    a_town_has_a_bounded_number_of_pending_examples,
    erasing_a_town_removes_its_examples_and_the_export_has_them,
);

const CAMPAIGN: &str = "2026";

/// A server whose new spaces are verified at once.
async fn open_server(backend: Backend) -> TestServer {
    TestServer::start_with_config(backend, |config| config.town_spaces = TownSpaces::Open).await
}

fn question(n: usize) -> String {
    questions()[n].0.clone()
}

/// Marks `question` with `status` in the town's plan (pushed as the app does).
async fn set_plan(server: &TestServer, phone: &Phone, question: &str, status: Option<&str>) {
    let mut replica = Replica::new(phone.device.clone());
    for op in server.pull_all(phone, 500).await {
        replica.ops.insert(op.id.clone(), op);
    }
    let op = replica.record(
        fresh_id(),
        now_ms(),
        CAMPAIGN,
        &plan_key(question),
        status.map(str::to_string),
        Some(r#"{"owner":"Anne"}"#.into()),
    );
    let (status, body) = server.push(phone, &[op]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn draft(question: &str, what: &str) -> Value {
    json!({
        "campaign": CAMPAIGN,
        "question": question,
        "what": what,
        "partner": "intercommunalite",
        "cost": "moins-1000",
        "duration": "1-3-mois",
        "contact_role": "Secrétaire de mairie",
    })
}

async fn submit(server: &TestServer, phone: &Phone, body: Value) -> (StatusCode, Value) {
    server
        .post_json("/api/atlas", Some(&phone.token), body)
        .await
}

/// Marks the priority done and sends an example; returns its id.
async fn done_and_submitted(server: &TestServer, phone: &Phone, question: &str, what: &str) -> i64 {
    set_plan(server, phone, question, Some("done")).await;
    let (status, body) = submit(server, phone, draft(question, what)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "pending");
    body["id"].as_i64().unwrap()
}

async fn operator(server: &TestServer) -> String {
    let (_, url) = operators::add(server.handle.storage(), "Claire", None, &server.base)
        .await
        .unwrap();
    let secret = url.split_once('#').unwrap().1;
    let (status, body) = server
        .post_json(
            "/api/operator/enrol",
            None,
            json!({"secret": secret, "device_name": "Ordinateur du siège"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_string()
}

async fn publish(server: &TestServer, op: &str, id: i64) {
    let (status, body) = server
        .post_json(
            &format!("/api/operator/atlas/{id}/publish"),
            Some(op),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "published");
}

/// What `phone`'s town reads: (town name, what) of each example, in order.
async fn read(server: &TestServer, phone: &Phone, query: &str) -> Vec<(String, String)> {
    let (status, page) = server
        .get_json(&format!("/api/atlas{query}"), Some(&phone.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["town"]["name"].as_str().unwrap().to_string(),
                e["what"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn error_code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

async fn only_an_administrator_with_a_done_priority_sends_an_example(backend: Backend) {
    let server = open_server(backend).await;
    let mayor = server.create_town("42147", "Anne").await;
    let agent = server.add_phone(&mayor, "Sami").await;
    let q = question(0);

    // Not an administrator: refused whatever the plan says.
    set_plan(&server, &mayor, &q, Some("done")).await;
    let (status, body) = submit(&server, &agent, draft(&q, "Sauvegardes externalisées")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "not_admin");

    // The priority must be done in the town's log, as it stands now.
    for plan in [Some("doing"), None] {
        set_plan(&server, &mayor, &q, plan).await;
        let (status, body) = submit(&server, &mayor, draft(&q, "Sauvegardes externalisées")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{plan:?}: {body}");
        assert_eq!(error_code(&body), "plan_not_done");
    }
    let (status, body) = submit(&server, &mayor, draft(&question(1), "Une autre priorité")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let id = done_and_submitted(&server, &mayor, &q, "  Sauvegardes externalisées  ").await;
    let (status, own) = server.get_json("/api/atlas/own", Some(&agent.token)).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let example = &own["examples"][0];
    assert_eq!(example["id"], id);
    assert_eq!(example["what"], "Sauvegardes externalisées");
    assert_eq!(example["town"]["name"], "Montbrison");
    assert_eq!(example["town"]["stratum"], "10000-");
    assert!(example.get("public_contact").is_none(), "{example}");

    // Unauthenticated: nothing.
    for (method, path) in [
        (Method::GET, "/api/atlas"),
        (Method::GET, "/api/atlas/own"),
        (Method::POST, "/api/atlas"),
        (Method::DELETE, "/api/atlas/1"),
    ] {
        let body = (method == Method::POST).then(|| draft(&q, "Sauvegardes externalisées"));
        let (status, answer) = server.call(method.clone(), path, None, body).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {answer}"
        );
    }

    // Only an administrator withdraws it.
    let path = format!("/api/atlas/{id}");
    let (status, body) = server.delete(&path, Some(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server.delete(&path, Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = server.delete(&path, Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, own) = server.get_json("/api/atlas/own", Some(&mayor.token)).await;
    assert_eq!(own["examples"], json!([]));
}

async fn an_example_is_seen_only_once_published_comparable_towns_first(backend: Backend) {
    let server = open_server(backend).await;
    let op = operator(&server).await;
    let q = question(2);
    // The reader: Montbrison (Loire, 10,000 inhabitants or more).
    let reader = server.create_town("42147", "Lecteur").await;
    // Sent newest last, so that the order is not the order of publication.
    let other = server.create_town("29155", "Yann").await; // another stratum and département
    let stratum = server.create_town("2A004", "Paul").await; // same stratum
    let both = server.create_town("42218", "Gaël").await; // same stratum and département
    let mut ids = Vec::new();
    for (phone, what) in [
        (&other, "Plouguerneau a formé ses agents"),
        (&stratum, "Ajaccio a mutualisé un DPO"),
        (&both, "Saint-Étienne a écrit sa charte"),
    ] {
        ids.push(done_and_submitted(&server, phone, &q, what).await);
    }
    let own_id = done_and_submitted(&server, &reader, &q, "Montbrison l'a fait aussi").await;

    // Pending: nobody else sees them.
    assert_eq!(read(&server, &reader, "").await, vec![]);
    let (_, queue) = server.get_json("/api/operator/atlas", Some(&op)).await;
    assert_eq!(queue["examples"].as_array().unwrap().len(), 4, "{queue}");

    for id in ids.iter().chain([&own_id]) {
        publish(&server, &op, *id).await;
    }
    let seen = read(&server, &reader, "").await;
    assert_eq!(
        seen,
        vec![
            (
                "Saint-Étienne".into(),
                "Saint-Étienne a écrit sa charte".into()
            ),
            ("Ajaccio".into(), "Ajaccio a mutualisé un DPO".into()),
            (
                "Plouguerneau".into(),
                "Plouguerneau a formé ses agents".into()
            ),
        ],
        "the town's own example is never listed, comparable towns come first"
    );
    assert_eq!(
        read(&server, &reader, &format!("?question={q}&limit=1"))
            .await
            .len(),
        1
    );
    assert_eq!(
        read(&server, &reader, &format!("?question={}", question(3))).await,
        vec![]
    );
    // Plouguerneau sees the others, Montbrison among them.
    let names: Vec<String> = read(&server, &other, "")
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.contains(&"Montbrison".to_string()), "{names:?}");
    assert!(!names.contains(&"Plouguerneau".to_string()), "{names:?}");
    // The reader's comparable towns are not told the refused reason of others, nor who sent it.
    let (_, page) = server.get_json("/api/atlas", Some(&reader.token)).await;
    let text = page.to_string();
    for secret in ["Gaël", "Paul", "Yann", "device"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

async fn moderation_is_audited_and_a_refusal_tells_the_town_why(backend: Backend) {
    let server = open_server(backend).await;
    let op = operator(&server).await;
    let town = server.create_town("35024", "Laurence").await;
    let reader = server.create_town("37214", "Lecteur").await;
    let q = question(0);
    let id = done_and_submitted(&server, &town, &q, "Un exemple avec un nom de personne").await;

    let refuse = |reason: &'static str| {
        let server = &server;
        let op = op.clone();
        async move {
            server
                .post_json(
                    &format!("/api/operator/atlas/{id}/refuse"),
                    Some(&op),
                    json!({ "reason": reason }),
                )
                .await
        }
    };
    let (status, body) = refuse("  Retirez le nom de la personne.  ").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "refused");
    let (status, body) = refuse("Encore").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "wrong_state");

    let (_, own) = server.get_json("/api/atlas/own", Some(&town.token)).await;
    assert_eq!(own["examples"][0]["status"], "refused");
    assert_eq!(
        own["examples"][0]["refusal"],
        "Retirez le nom de la personne."
    );
    assert!(read(&server, &reader, "").await.is_empty());
    let (_, refused) = server
        .get_json("/api/operator/atlas?status=refused", Some(&op))
        .await;
    assert_eq!(refused["examples"][0]["id"], id);
    let (_, pending) = server.get_json("/api/operator/atlas", Some(&op)).await;
    assert_eq!(pending["examples"], json!([]));

    // An operator may change their mind, and take a published example back.
    publish(&server, &op, id).await;
    assert_eq!(read(&server, &reader, "").await.len(), 1);
    let (_, own) = server.get_json("/api/atlas/own", Some(&town.token)).await;
    assert!(own["examples"][0].get("refusal").is_none(), "{own}");
    let (status, _) = refuse("Publié par erreur").await;
    assert_eq!(status, StatusCode::OK);
    assert!(read(&server, &reader, "").await.is_empty());

    let (_, log) = server
        .get_json("/api/operator/audit?limit=50", Some(&op))
        .await;
    let acts: Vec<(&str, &str)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("example-"))
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["commune_code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        acts,
        vec![
            ("example-refused", "35024"),
            ("example-published", "35024"),
            ("example-refused", "35024"),
        ]
    );
    let entry = &log["entries"][0];
    assert_eq!(entry["actor"], "« Claire » (opérateur)");
    assert_eq!(entry["detail"], format!("exemple n° {id} ({q})"));
}

async fn hostile_atlas_input_is_a_4xx(backend: Backend) {
    let server = open_server(backend).await;
    let op = operator(&server).await;
    let mayor = server.create_town("42218", "Anne").await;
    let q = question(0);
    set_plan(&server, &mayor, &q, Some("done")).await;

    let long = "é".repeat(601);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"question": "nope"}), "invalid_example"),
        (json!({"campaign": "20x6"}), "invalid_example"),
        (json!({"campaign": "1999"}), "invalid_example"),
        (json!({"what": "court"}), "invalid_example"),
        (json!({"what": long}), "invalid_example"),
        (
            json!({"what": "Avec une cloche \u{7} dedans"}),
            "control_characters",
        ),
        (json!({"contact_role": ""}), "invalid_example"),
        (json!({"contact_role": "Maire\u{0}"}), "control_characters"),
        (
            json!({"public_contact": "x".repeat(121)}),
            "invalid_example",
        ),
        (json!({"partner": "ami"}), "invalid_request"),
        (json!({"cost": 12}), "invalid_request"),
        (json!({"duration": null}), "invalid_request"),
    ];
    for (change, code) in cases {
        let mut body = draft(&q, "Un exemple tout à fait correct");
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, answer) = submit(&server, &mayor, body.clone()).await;
        assert!(status.is_client_error(), "{change}: {status} {answer}");
        if status == StatusCode::BAD_REQUEST && code != "invalid_request" {
            assert_eq!(error_code(&answer), code, "{change}: {answer}");
        }
        assert!(
            !answer["error"].as_str().unwrap_or("").is_empty(),
            "{change}: no readable message in {answer}"
        );
    }
    let (status, _) = server
        .call(
            Method::POST,
            "/api/atlas",
            Some(&mayor.token),
            Some(json!("[")),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    for path in [
        "/api/atlas?question=nope",
        "/api/atlas?limit=-1",
        "/api/atlas?limit=abc",
    ] {
        let (status, body) = server.get_json(path, Some(&mayor.token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
    }
    for path in [
        "/api/atlas/abc",
        "/api/atlas/-1",
        "/api/atlas/99999999999999999999",
    ] {
        let (status, body) = server.delete(path, Some(&mayor.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    for path in [
        "/api/operator/atlas?status=bogus",
        "/api/operator/atlas?limit=x",
    ] {
        let (status, body) = server.get_json(path, Some(&op)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
    }
    let id = done_and_submitted(&server, &mayor, &q, "Un exemple tout à fait correct").await;
    for (path, body, expected) in [
        (
            "/api/operator/atlas/abc/publish".to_string(),
            json!({}),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/operator/atlas/424242/publish".to_string(),
            json!({}),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/api/operator/atlas/{id}/refuse"),
            json!({"reason": " "}),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/operator/atlas/{id}/refuse"),
            json!({"reason": "x".repeat(301)}),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/operator/atlas/{id}/refuse"),
            json!({}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, answer) = server.post_json(&path, Some(&op), body).await;
        assert_eq!(status, expected, "{path}: {answer}");
    }
    // Each token only opens its own routes.
    let (status, _) = server
        .post_json(
            &format!("/api/operator/atlas/{id}/publish"),
            Some(&mayor.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.get_json("/api/atlas", Some(&op)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Nothing of it was published by the failures.
    let (_, own) = server.get_json("/api/atlas/own", Some(&mayor.token)).await;
    assert_eq!(own["examples"].as_array().unwrap().len(), 1);
    assert_eq!(own["examples"][0]["status"], "pending");
}

async fn a_town_has_a_bounded_number_of_pending_examples(backend: Backend) {
    let server = open_server(backend).await;
    let op = operator(&server).await;
    let mayor = server.create_town("94038", "Anne").await;
    let q = question(0);
    set_plan(&server, &mayor, &q, Some("done")).await;
    let mut first = None;
    for n in 0..MAX_PENDING_PER_TOWN {
        let (status, body) =
            submit(&server, &mayor, draft(&q, &format!("Exemple numéro {n}"))).await;
        assert_eq!(status, StatusCode::CREATED, "{n}: {body}");
        first.get_or_insert(body["id"].as_i64().unwrap());
    }
    let (status, body) = submit(&server, &mayor, draft(&q, "Un de trop, vraiment")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), "too_many_examples");
    // Once the association has read one, there is room again.
    publish(&server, &op, first.unwrap()).await;
    let (status, body) = submit(&server, &mayor, draft(&q, "Maintenant il y a de la place")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn erasing_a_town_removes_its_examples_and_the_export_has_them(backend: Backend) {
    let server = open_server(backend).await;
    let op = operator(&server).await;
    let leaving = server.create_town("42095", "Anne").await;
    let reader = server.create_town("42147", "Lecteur").await;
    let q = question(0);
    let id = done_and_submitted(&server, &leaving, &q, "Firminy partage son expérience").await;
    publish(&server, &op, id).await;
    assert_eq!(read(&server, &reader, "").await.len(), 1);

    let (status, export) = server.get_json("/api/town", Some(&leaving.token)).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["atlas"][0]["what"], "Firminy partage son expérience");

    let (status, body) = server
        .call(
            Method::DELETE,
            "/api/town",
            Some(&leaving.token),
            Some(json!({"confirm": "42095"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(read(&server, &reader, "").await.is_empty());
    let (_, all) = server
        .get_json("/api/operator/atlas?status=all", Some(&op))
        .await;
    assert_eq!(all["examples"], json!([]));
}
