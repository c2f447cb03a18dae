//! The association's side over HTTP (operators, trusted spaces, access requests, recovery, roles,
//! invitation limits, export, erasure, retention), each test on SQLite and on PostgreSQL.
//!
//! The PostgreSQL cases need `AROBASE_TEST_POSTGRES_URL`, as in `tests/sync.rs`.

mod common;

use std::collections::BTreeSet;

use common::sync::{now_ms, Phone};
use common::{on_both_backends, Backend, TestServer};
use diagnostic::association::{TownSpaces, OPERATOR_TOKEN_PREFIX};
use diagnostic::sync::Hlc;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::operators;

on_both_backends!(
    operators_enrol_once_from_the_command_line_link,
    the_first_operator_link_is_printed_while_nobody_enrolled,
    operator_and_device_tokens_never_stand_for_each_other,
    a_new_space_is_pending_until_verified,
    open_mode_verifies_at_once_and_refuses_a_second_claim,
    a_second_claim_is_an_access_request_operators_decide,
    a_rejected_space_is_closed_and_its_commune_free_again,
    recovery_lets_a_new_phone_into_a_town_without_devices,
    only_administrators_remove_others_and_never_the_last_one,
    a_removed_device_invitations_stop_working,
    a_town_has_at_most_twenty_live_invitations,
    unknown_prefix_and_wrong_code_answer_the_same,
    concurrent_wrong_codes_never_pass_the_lock,
    a_town_exports_everything_it_has,
    erasure_leaves_nothing_of_the_town,
    retention_removes_old_devices_invitations_and_rejected_spaces,
    every_operator_act_is_audited_and_paged,
    host_information_comes_from_the_configuration,
    hostile_input_on_the_new_endpoints_is_a_4xx,
);

fn error_code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

fn secret_of(url: &str) -> &str {
    url.split_once('#').expect("a link with a fragment").1
}

/// Adds an operator the way `arobase-server operator add` does, enrols a browser with the
/// link, returns the operator token.
async fn operator(server: &TestServer, name: &str) -> String {
    let (_, url) = operators::add(server.handle.storage(), name, None, &server.base)
        .await
        .unwrap();
    let (status, body) = server
        .post_json(
            "/api/operator/enrol",
            None,
            json!({"secret": secret_of(&url), "device_name": "Ordinateur du siège"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// The id of the live space of `commune`, as the console finds it.
async fn town_id(server: &TestServer, op: &str, commune: &str) -> i64 {
    let (status, list) = server
        .get_json(&format!("/api/operator/towns?q={commune}"), Some(op))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["towns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|town| town["commune"]["code"] == commune && town["status"] != "rejected")
        .unwrap_or_else(|| panic!("no live space of {commune}: {list}"))["id"]
        .as_i64()
        .unwrap()
}

async fn claim(server: &TestServer, commune: &str, name: &str, role: &str) -> (StatusCode, Value) {
    server
        .post_json(
            "/api/towns",
            None,
            json!({"commune": commune, "name": name, "role": role}),
        )
        .await
}

async fn audit_actions(server: &TestServer, op: &str) -> Vec<Value> {
    let (status, log) = server
        .get_json("/api/operator/audit?limit=200", Some(op))
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["entries"].as_array().unwrap().clone()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect()
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    let storage = server.handle.storage();
    if let Some(sqlite) = storage.as_sqlite() {
        sqlx::query_scalar(sql)
            .fetch_one(sqlite.writer())
            .await
            .unwrap()
    } else {
        sqlx::query_scalar(sql)
            .fetch_one(storage.as_postgres().unwrap().pool())
            .await
            .unwrap()
    }
}

async fn join(server: &TestServer, invite: &Value, name: &str, role: &str) -> (StatusCode, Value) {
    server
        .post_json(
            "/api/join",
            None,
            json!({"code": invite["code"], "name": name, "role": role}),
        )
        .await
}

fn phone(body: &Value) -> Phone {
    let device = body["device"]["id"].as_str().unwrap().to_string();
    Phone {
        token: body["token"].as_str().unwrap().to_string(),
        clock: Hlc::zero(device.clone()),
        device,
    }
}

async fn operators_enrol_once_from_the_command_line_link(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let storage = server.handle.storage();
    let (added, url) = operators::add(
        storage,
        " Claire ",
        Some("claire@apvf.example"),
        &server.base,
    )
    .await
    .unwrap();
    assert_eq!(added.name, "Claire");
    assert!(
        url.starts_with(&format!("{}/association/inscription#", server.base)),
        "{url}"
    );
    let enrol = json!({"secret": secret_of(&url), "device_name": "Portable de Claire"});
    let (status, body) = server
        .post_json("/api/operator/enrol", None, enrol.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with(OPERATOR_TOKEN_PREFIX), "{token}");
    assert_eq!(body["operator"]["name"], "Claire");
    assert_eq!(body["operator"]["email"], "claire@apvf.example");

    // One time only.
    let (status, again) = server.post_json("/api/operator/enrol", None, enrol).await;
    assert_eq!(status, StatusCode::GONE, "{again}");
    assert_eq!(error_code(&again), "enrolment_invalid");
    let (status, unknown) = server
        .post_json(
            "/api/operator/enrol",
            None,
            json!({"secret": "x".repeat(43), "device_name": "PC"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    assert_eq!(error_code(&unknown), "enrolment_invalid");

    let (status, me) = server.get_json("/api/operator/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["operator"]["id"], added.id);
    assert_eq!(me["town_spaces"], "approval");

    let lines = operators::list(storage).await.unwrap();
    assert!(
        lines.contains(&format!(
            "{}\tClaire\tclaire@apvf.example\tinscrit",
            added.id
        )),
        "{lines:?}"
    );

    // Removed: the browser is signed out, for good.
    operators::remove(storage, added.id).await.unwrap();
    let (status, body) = server.get_json("/api/operator/me", Some(token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "operator_removed");
    assert!(operators::remove(storage, 999_999).await.is_err());
    assert!(operators::add(storage, "  ", None, &server.base)
        .await
        .is_err());
    assert!(
        operators::add(storage, "Paul", Some("pas une adresse"), &server.base)
            .await
            .is_err()
    );
}

async fn the_first_operator_link_is_printed_while_nobody_enrolled(backend: Backend) {
    let first = TestServer::start_backend(backend).await;
    let link = first
        .handle
        .first_operator_link()
        .expect("no operator yet")
        .to_string();
    assert!(link.starts_with(&format!("{}/association/inscription#", first.base)));
    // A second start on the same database: a new link, the previous one no longer works.
    let second = TestServer::start_on_database(backend, &first).await;
    let new_link = second.handle.first_operator_link().unwrap().to_string();
    assert_ne!(new_link, link);
    let (status, body) = second
        .post_json(
            "/api/operator/enrol",
            None,
            json!({"secret": secret_of(&link), "device_name": "PC"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = second
        .post_json(
            "/api/operator/enrol",
            None,
            json!({"secret": secret_of(&new_link), "device_name": "PC"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["operator"]["name"], "Premier opérateur");
    // Someone enrolled: no more link at start.
    let third = TestServer::start_on_database(backend, &first).await;
    assert_eq!(third.handle.first_operator_link(), None);
}

async fn operator_and_device_tokens_never_stand_for_each_other(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let mayor = server.create_town("35024", "Laurence").await;
    for path in ["/api/me", "/api/devices", "/api/sync/pull", "/api/town"] {
        let (status, body) = server.get_json(path, Some(&op)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert_eq!(error_code(&body), "unauthenticated", "{path}");
    }
    let (status, body) = server.post_json("/api/invites", Some(&op), json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    for path in [
        "/api/operator/me",
        "/api/operator/towns",
        "/api/operator/requests",
        "/api/operator/audit",
    ] {
        for token in [Some(mayor.token.as_str()), None, Some("arobase_op_short")] {
            let (status, body) = server.get_json(path, token).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
            assert_eq!(error_code(&body), "operator_unauthenticated", "{path}");
        }
    }
    let (status, _) = server
        .post_json(
            "/api/operator/towns/1/verify",
            Some(&mayor.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_new_space_is_pending_until_verified(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let (status, created) = claim(&server, "29155", "Anne", "adjoint").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["town"]["status"], "pending");
    assert_eq!(created["device"]["admin"], true, "the creator administers");
    let mayor = phone(&created);
    // Usable at once: answer, sync, invite.
    let mut answering = mayor.clone();
    let answer = answering.answer(0, Some(1), &[]);
    let (status, _) = server.push(&mayor, &[answer]).await;
    assert_eq!(status, StatusCode::OK);
    server.invite(&mayor).await;
    let (_, me) = server.get_json("/api/me", Some(&mayor.token)).await;
    assert_eq!(me["town"]["status"], "pending");
    assert_eq!(me["device"]["admin"], true);

    let (status, list) = server
        .get_json("/api/operator/towns?status=pending", Some(&op))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    let town = &list["towns"][0];
    assert_eq!(town["commune"]["name"], "Plouguerneau");
    assert_eq!(town["active_devices"], 1);
    let id = town["id"].as_i64().unwrap();

    let (status, verified) = server
        .post_json(
            &format!("/api/operator/towns/{id}/verify"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["status"], "verified");
    assert!(verified["verified_ms"].is_u64());
    let (_, me) = server.get_json("/api/me", Some(&mayor.token)).await;
    assert_eq!(me["town"]["status"], "verified");
    let (status, again) = server
        .post_json(
            &format!("/api/operator/towns/{id}/verify"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(error_code(&again), "wrong_state");

    // Search by name, INSEE code, département.
    for query in [
        "q=plougu",
        "q=29155",
        "departement=29",
        "q=PLOUGUERNEAU&status=verified",
    ] {
        let (_, list) = server
            .get_json(&format!("/api/operator/towns?{query}"), Some(&op))
            .await;
        assert_eq!(list["total"], 1, "{query}: {list}");
    }
    for query in ["q=betton", "departement=35", "status=pending"] {
        let (_, list) = server
            .get_json(&format!("/api/operator/towns?{query}"), Some(&op))
            .await;
        assert_eq!(list["total"], 0, "{query}: {list}");
    }
    let (status, detail) = server
        .get_json(&format!("/api/operator/towns/{id}"), Some(&op))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["devices"][0]["name"], "Anne");
    assert_eq!(detail["devices"][0]["admin"], true);
}

async fn open_mode_verifies_at_once_and_refuses_a_second_claim(backend: Backend) {
    let server = TestServer::start_with_config(backend, |config| {
        config.town_spaces = TownSpaces::Open;
    })
    .await;
    let (status, created) = claim(&server, "29155", "Anne", "maire").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["town"]["status"], "verified");
    let (status, again) = claim(&server, "29155", "Yann", "adjoint").await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(error_code(&again), "town_exists");
    assert!(again["error"].as_str().unwrap().contains("Plouguerneau"));
    let (_, host) = server.get_json("/api/host", None).await;
    assert_eq!(host["town_spaces"], "open");
}

async fn a_second_claim_is_an_access_request_operators_decide(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let first = server.create_town("35024", "Intrus").await;

    // Join: the requester's token becomes a device token of the existing space.
    let (status, requested) = claim(&server, "35024", "Yann", "adjoint").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{requested}");
    let yann = requested["token"].as_str().unwrap().to_string();
    assert!(yann.starts_with("arobase_") && !yann.starts_with(OPERATOR_TOKEN_PREFIX));
    let (status, request) = server.get_json("/api/access-request", Some(&yann)).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    assert_eq!(request["status"], "pending");
    assert_eq!(request["name"], "Yann");
    for path in ["/api/me", "/api/devices", "/api/sync/pull"] {
        let (status, body) = server.get_json(path, Some(&yann)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(error_code(&body), "access_pending");
    }
    let (_, pending) = server.get_json("/api/operator/requests", Some(&op)).await;
    assert_eq!(
        pending["requests"].as_array().unwrap().len(),
        1,
        "{pending}"
    );
    let request_id = pending["requests"][0]["id"].as_i64().unwrap();
    let (_, list) = server.get_json("/api/operator/towns", Some(&op)).await;
    assert_eq!(list["towns"][0]["pending_requests"], 1, "{list}");

    let decide = |id: i64, decision: &'static str| {
        let server = &server;
        let op = op.clone();
        async move {
            server
                .post_json(
                    &format!("/api/operator/requests/{id}"),
                    Some(&op),
                    json!({ "decision": decision }),
                )
                .await
        }
    };
    let (status, decided) = decide(request_id, "join").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "joined");
    let (status, me) = server.get_json("/api/me", Some(&yann)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["device"]["name"], "Yann");
    assert_eq!(
        me["device"]["admin"], false,
        "an adjoint is no administrator"
    );
    let (_, devices) = server.get_json("/api/devices", Some(&first.token)).await;
    assert_eq!(devices["devices"].as_array().unwrap().len(), 2);
    let (status, again) = decide(request_id, "refuse").await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(error_code(&again), "wrong_state");

    // Refuse: the token never works.
    let (_, requested) = claim(&server, "35024", "Farceur", "autre").await;
    let farceur = requested["token"].as_str().unwrap().to_string();
    let id = requested["request"]["id"].as_i64().unwrap();
    let (status, decided) = decide(id, "refuse").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "refused");
    let (status, body) = server.get_json("/api/me", Some(&farceur)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "access_refused");
    let (_, request) = server.get_json("/api/access-request", Some(&farceur)).await;
    assert_eq!(request["status"], "refused");

    // Replace: the existing space was a wrong claim; the real mayor gets a new, verified one.
    let (_, requested) = claim(&server, "35024", "Laurence", "maire").await;
    let laurence = requested["token"].as_str().unwrap().to_string();
    let old_town = requested["request"]["town_id"].as_i64().unwrap();
    let id = requested["request"]["id"].as_i64().unwrap();
    let (status, decided) = decide(id, "replace").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "replaced");
    let (status, me) = server.get_json("/api/me", Some(&laurence)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["town"]["status"], "verified");
    assert_eq!(me["device"]["admin"], true);
    let (_, devices) = server.get_json("/api/devices", Some(&laurence)).await;
    assert_eq!(
        devices["devices"].as_array().unwrap().len(),
        1,
        "a new space"
    );
    for token in [&first.token, &yann] {
        let (status, body) = server.get_json("/api/me", Some(token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(error_code(&body), "town_rejected");
    }
    let new_town = town_id(&server, &op, "35024").await;
    assert_ne!(new_town, old_town);
    let (_, old) = server
        .get_json(&format!("/api/operator/towns/{old_town}"), Some(&op))
        .await;
    assert_eq!(old["town"]["status"], "rejected");
    assert_eq!(old["requests"].as_array().unwrap().len(), 3);
    let (_, pending) = server.get_json("/api/operator/requests", Some(&op)).await;
    assert!(pending["requests"].as_array().unwrap().is_empty());
    let (status, body) = decide(999_999, "join").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(error_code(&body), "not_found");
}

async fn a_rejected_space_is_closed_and_its_commune_free_again(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let squatter = server.create_town("29155", "Intrus").await;
    let invite = server.invite(&squatter).await;
    let id = town_id(&server, &op, "29155").await;
    let (status, rejected) = server
        .post_json(
            &format!("/api/operator/towns/{id}/reject"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert!(rejected["rejected_ms"].is_u64());
    for (method, path) in [
        (Method::GET, "/api/me"),
        (Method::GET, "/api/devices"),
        (Method::GET, "/api/sync/pull"),
        (Method::GET, "/api/town"),
        (Method::POST, "/api/invites"),
        (Method::POST, "/api/sync/push"),
    ] {
        let body = (method == Method::POST).then(|| json!({"ops": []}));
        let (status, answer) = server.call(method, path, Some(&squatter.token), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        assert_eq!(error_code(&answer), "town_rejected", "{path}");
    }
    // Its invitations were cancelled.
    let (status, body) = join(&server, &invite, "Complice", "autre").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The commune can be claimed again, by its real officials.
    let (status, created) = claim(&server, "29155", "Anne", "maire").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["town"]["status"], "pending");
    let (status, again) = server
        .post_json(
            &format!("/api/operator/towns/{id}/reject"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(error_code(&again), "wrong_state");
    let (status, again) = server
        .post_json(
            &format!("/api/operator/towns/{id}/recovery"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
}

async fn recovery_lets_a_new_phone_into_a_town_without_devices(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let answer = mayor.answer(0, Some(2), &[]);
    server.push(&mayor, std::slice::from_ref(&answer)).await;
    let dgs = server.add_phone(&mayor, "Sami").await;
    let id = town_id(&server, &op, "35024").await;
    // The operator may remove every device, the last administrator included.
    for phone in [&dgs, &mayor] {
        let (status, body) = server
            .delete(
                &format!("/api/operator/towns/{id}/devices/{}", phone.device),
                Some(&op),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let (status, body) = server.get_json("/api/me", Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "revoked");

    let (status, invite) = server
        .post_json(
            &format!("/api/operator/towns/{id}/recovery"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    assert!(
        invite["url"].as_str().unwrap().contains("/rejoindre#"),
        "{invite}"
    );
    assert!(invite["qr_svg"].as_str().unwrap().contains("<svg"));
    let (status, joined) = join(&server, &invite, "Nouveau téléphone", "agent").await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    assert_eq!(
        joined["device"]["admin"], true,
        "recovery admits an administrator"
    );
    let newcomer = phone(&joined);
    // The town's data is untouched, and the newcomer runs the space.
    assert_eq!(server.pull_all(&newcomer, 10).await, [answer]);
    server.invite(&newcomer).await;
    let entries = audit_actions(&server, &op).await;
    let names = actions(&entries);
    assert_eq!(names.iter().filter(|a| **a == "device-removed").count(), 2);
    assert!(names.contains(&"recovery-issued"), "{names:?}");
    let removed = entries
        .iter()
        .find(|entry| entry["action"] == "device-removed")
        .unwrap();
    assert_eq!(removed["commune_code"], "35024");
    assert_eq!(removed["actor"], "« Claire » (opérateur)");
}

async fn only_administrators_remove_others_and_never_the_last_one(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let creator = server.create_town("35024", "Laurence").await;
    let dgs = server.add_phone(&creator, "Sami").await;
    let agent = server.add_phone(&creator, "Chloé").await;
    let remove = |by: &Phone, target: &Phone| {
        let path = format!("/api/devices/{}", target.device);
        let token = by.token.clone();
        let server = &server;
        async move { server.delete(&path, Some(&token)).await }
    };
    let (status, body) = remove(&dgs, &agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "not_admin");
    let (status, body) = remove(&dgs, &creator).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Oneself, always.
    let (status, _) = remove(&agent, &agent).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The last administrator, never by a device.
    let (status, body) = remove(&creator, &creator).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "last_admin");
    // A mayor who joins is an administrator: then the creator may leave.
    let invite = server.invite(&creator).await;
    let (_, joined) = join(&server, &invite, "Le maire", "maire").await;
    assert_eq!(joined["device"]["admin"], true);
    let mayor = phone(&joined);
    let (status, _) = remove(&creator, &creator).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = remove(&mayor, &dgs).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = remove(&mayor, &mayor).await;
    assert_eq!(error_code(&body), "last_admin", "{status}");
    // An operator can.
    let id = town_id(&server, &op, "35024").await;
    let (status, _) = server
        .delete(
            &format!("/api/operator/towns/{id}/devices/{}", mayor.device),
            Some(&op),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .delete(
            &format!("/api/operator/towns/{id}/devices/no-such-device"),
            Some(&op),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

async fn a_removed_device_invitations_stop_working(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mayor = server.create_town("35024", "Laurence").await;
    let stolen = server.add_phone(&mayor, "Téléphone volé").await;
    let invite = server.invite(&stolen).await;
    let kept = server.invite(&mayor).await;
    let (status, _) = server
        .delete(
            &format!("/api/devices/{}", stolen.device),
            Some(&mayor.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for body in [
        json!({"secret": invite["secret"], "name": "Voleur", "role": "autre"}),
        json!({"code": invite["code"], "name": "Voleur", "role": "autre"}),
    ] {
        let (status, answer) = server.post_json("/api/join", None, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
        assert_eq!(error_code(&answer), "invite_invalid");
    }
    // The other devices' invitations still work.
    let (status, body) = join(&server, &kept, "Paul", "adjoint").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn a_town_has_at_most_twenty_live_invitations(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let mayor = server.create_town("35024", "Laurence").await;
    let other = server.create_town("29155", "Anne").await;
    for _ in 0..20 {
        server.invite(&mayor).await;
    }
    let (status, body) = server
        .post_json("/api/invites", Some(&mayor.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), "too_many_invites");
    // Per town: another town is not affected.
    server.invite(&other).await;
    // An operator's recovery is never blocked by a flood of invitations.
    let id = town_id(&server, &op, "35024").await;
    let (status, body) = server
        .post_json(
            &format!("/api/operator/towns/{id}/recovery"),
            Some(&op),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Expired links free their place.
    let storage = server.handle.storage();
    let expire = "UPDATE invites SET link_expires_ms = 1, code_expires_ms = 1";
    if let Some(sqlite) = storage.as_sqlite() {
        sqlx::query(expire).execute(sqlite.writer()).await.unwrap();
    } else {
        sqlx::query(expire)
            .execute(storage.as_postgres().unwrap().pool())
            .await
            .unwrap();
    }
    server.invite(&mayor).await;
}

async fn unknown_prefix_and_wrong_code_answer_the_same(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mayor = server.create_town("35024", "Laurence").await;
    let invite = server.invite(&mayor).await;
    let code = invite["code"].as_str().unwrap();
    let wrong = format!(
        "{}{}",
        &code[..code.len() - 1],
        if code.ends_with('0') { '1' } else { '0' }
    );
    let unknown_prefix = if code.starts_with("ZZZ") {
        "YYY-000-000"
    } else {
        "ZZZ-000-000"
    };
    let (wrong_status, wrong_body) = join(&server, &json!({"code": wrong}), "X", "autre").await;
    let (unknown_status, unknown_body) =
        join(&server, &json!({"code": unknown_prefix}), "X", "autre").await;
    let (link_status, link_body) = server
        .post_json(
            "/api/join",
            None,
            json!({"secret": "y".repeat(43), "name": "X", "role": "autre"}),
        )
        .await;
    // Each answer names its own request; everything else must be the same.
    let [wrong_body, unknown_body, link_body] =
        [wrong_body, unknown_body, link_body].map(|mut body| {
            let id = body
                .as_object_mut()
                .and_then(|body| body.remove("request_id"));
            assert!(id.is_some_and(|id| id.is_string()), "{body}");
            body
        });
    assert_eq!(wrong_status, StatusCode::NOT_FOUND);
    assert_eq!(wrong_status, unknown_status);
    assert_eq!(wrong_body, unknown_body);
    assert_eq!(link_status, unknown_status);
    assert_eq!(link_body, unknown_body);
    assert_eq!(error_code(&wrong_body), "invite_invalid");
}

async fn concurrent_wrong_codes_never_pass_the_lock(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mayor = server.create_town("35024", "Laurence").await;
    let invite = server.invite(&mayor).await;
    let code = invite["code"].as_str().unwrap().to_string();
    let alphabet: Vec<char> = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".chars().collect();
    let mut guesses = Vec::new();
    for i in 0..40 {
        // Wrong in the secret part, never the right code.
        let mut guess: Vec<char> = code.chars().collect();
        let last = guess.len() - 1;
        let candidates: Vec<char> = alphabet
            .iter()
            .copied()
            .filter(|c| *c != guess[last])
            .collect();
        guess[last] = candidates[i % candidates.len()];
        guess[last - 1] = alphabet[(i / candidates.len()) % alphabet.len()];
        let guess: String = guess.into_iter().collect();
        if guess != code {
            guesses.push(guess);
        }
    }
    let tasks: Vec<_> = guesses
        .into_iter()
        .map(|guess| {
            let url = server.url("/api/join");
            tokio::spawn(async move {
                let response = reqwest::Client::new()
                    .post(url)
                    .json(&json!({"code": guess, "name": "X", "role": "autre"}))
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(error_code(&body), "invite_invalid");
    }
    assert_eq!(
        count(&server, "SELECT attempts FROM invites").await,
        5,
        "exactly the lock's count of wrong codes, never more"
    );
    let (status, body) = join(&server, &invite, "Paul", "adjoint").await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(error_code(&body), "invite_locked");
    assert_eq!(count(&server, "SELECT COUNT(*) FROM devices").await, 1);
}

async fn a_town_exports_everything_it_has(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let dgs = server.add_phone(&mayor, "Sami").await;
    let other = server.create_town("29155", "Anne").await;
    let ops: Vec<_> = (0..3).map(|i| mayor.answer(i, Some(1), &[])).collect();
    server.push(&mayor, &ops).await;
    let mut elsewhere = other.clone();
    let foreign = elsewhere.answer(0, Some(0), &[]);
    server.push(&other, &[foreign]).await;
    let before = now_ms();
    let (status, export) = server.get_json("/api/town", Some(&dgs.token)).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert!(export["exported_ms"].as_u64().unwrap() >= before);
    assert_eq!(export["town"]["commune"]["code"], "35024");
    assert_eq!(export["town"]["status"], "pending");
    let devices = export["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[1]["current"], true);
    let exported: Vec<diagnostic::sync::Operation> =
        serde_json::from_value(export["ops"].clone()).unwrap();
    assert_eq!(
        exported, ops,
        "the whole log of this town, nothing of another"
    );
}

async fn erasure_leaves_nothing_of_the_town(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let mut mayor = server.create_town("29155", "Anne").await;
    let dgs = server.add_phone(&mayor, "Sami").await;
    let mut answer = mayor.answer(0, Some(1), &[]);
    answer.comment = Some("Un commentaire très personnel".into());
    server.push(&mayor, &[answer]).await;
    server.invite(&mayor).await;
    // A joined request and a pending one.
    let (_, joined) = claim(&server, "29155", "Yann", "adjoint").await;
    let joined_id = joined["request"]["id"].as_i64().unwrap();
    server
        .post_json(
            &format!("/api/operator/requests/{joined_id}"),
            Some(&op),
            json!({"decision": "join"}),
        )
        .await;
    claim(&server, "29155", "Encore", "autre").await;
    let kept = server.create_town("35024", "Laurence").await;
    let id = town_id(&server, &op, "29155").await;

    let erase = |token: String, confirm: &'static str| {
        let server = &server;
        async move {
            server
                .call(
                    Method::DELETE,
                    "/api/town",
                    Some(&token),
                    Some(json!({ "confirm": confirm })),
                )
                .await
        }
    };
    let (status, body) = erase(dgs.token.clone(), "29155").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "not_admin");
    for confirm in ["", "Plougerneau", "35024"] {
        let (status, body) = erase(mayor.token.clone(), confirm).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{confirm}: {body}");
        assert_eq!(error_code(&body), "confirm_mismatch");
    }
    let (status, body) = erase(mayor.token.clone(), "  PLOUGUERNÉAU ").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    for sql in [
        format!("SELECT COUNT(*) FROM towns WHERE commune_code = '29155' OR id = {id}"),
        format!("SELECT COUNT(*) FROM devices WHERE town_id = {id}"),
        format!("SELECT COUNT(*) FROM ops WHERE town_id = {id}"),
        format!("SELECT COUNT(*) FROM invites WHERE town_id = {id}"),
        format!("SELECT COUNT(*) FROM access_requests WHERE town_id = {id}"),
        "SELECT COUNT(*) FROM ops WHERE comment LIKE '%personnel%'".to_string(),
        "SELECT COUNT(*) FROM devices WHERE name IN ('Anne', 'Sami', 'Yann')".to_string(),
        "SELECT COUNT(*) FROM access_requests WHERE name IN ('Yann', 'Encore')".to_string(),
        "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%personnel%' \
         OR detail LIKE '%Yann%' OR detail LIKE '%Sami%' OR actor LIKE '%Sami%'"
            .to_string(),
    ] {
        assert_eq!(count(&server, &sql).await, 0, "{sql}");
    }
    // What remains: the other town, and a content-free line in the audit log.
    assert_eq!(count(&server, "SELECT COUNT(*) FROM towns").await, 1);
    let entries = audit_actions(&server, &op).await;
    let erased = entries
        .iter()
        .find(|entry| entry["action"] == "town-erased")
        .expect("an audit entry");
    assert_eq!(erased["commune_code"], "29155");
    assert_eq!(erased["commune_name"], "Plouguerneau");
    assert_eq!(erased["detail"], "1 opération(s) effacée(s)");
    assert_eq!(erased["actor"], "« Anne » (appareil de la commune)");
    let (status, _) = server.get_json("/api/me", Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.get_json("/api/me", Some(&kept.token)).await;
    assert_eq!(status, StatusCode::OK);
    // The commune may start afresh.
    let (status, body) = claim(&server, "29155", "Anne", "maire").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn retention_removes_old_devices_invitations_and_rejected_spaces(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let answer = mayor.answer(0, Some(1), &[]);
    server.push(&mayor, &[answer]).await;
    server.invite(&mayor).await;
    server.create_town("29155", "Intrus").await;
    let rejected = town_id(&server, &op, "29155").await;
    server
        .post_json(
            &format!("/api/operator/towns/{rejected}/reject"),
            Some(&op),
            json!({}),
        )
        .await;
    let host = server::Config::default().host_info();
    let storage = server.handle.storage();
    let day = 24 * 60 * 60 * 1000;
    let now = now_ms();

    // Nothing is due yet.
    let report = server::retention::run_once(storage, &host, now)
        .await
        .unwrap();
    assert_eq!(report, Default::default());
    // Eight days on: the invitation's link has expired; the rejected space is kept (30 days).
    let report = server::retention::run_once(storage, &host, now + 8 * day)
        .await
        .unwrap();
    assert_eq!(report.invites_purged, 1);
    assert_eq!(report.towns_purged, 0);
    // 31 days on: the rejected space is purged.
    let report = server::retention::run_once(storage, &host, now + 31 * day)
        .await
        .unwrap();
    assert_eq!(report.towns_purged, 1);
    assert_eq!(
        count(
            &server,
            &format!("SELECT COUNT(*) FROM towns WHERE id = {rejected}")
        )
        .await,
        0
    );
    let (status, _) = server.get_json("/api/me", Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::OK, "the other town's devices are kept");
    // 549 days on: the mayor's phone, unseen for 18 months, is removed; its answers stay.
    let report = server::retention::run_once(storage, &host, now + 549 * day)
        .await
        .unwrap();
    assert_eq!(report.devices_expired, 1);
    let (status, body) = server.get_json("/api/me", Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "revoked");
    assert_eq!(count(&server, "SELECT COUNT(*) FROM ops").await, 1);
    let entries = audit_actions(&server, &op).await;
    let names = actions(&entries);
    assert!(names.contains(&"town-purged"), "{names:?}");
    assert!(names.contains(&"devices-expired"), "{names:?}");
    let expired = entries
        .iter()
        .find(|entry| entry["action"] == "devices-expired")
        .unwrap();
    assert_eq!(expired["actor"], "serveur");
    assert_eq!(expired["commune_code"], "35024");
}

async fn every_operator_act_is_audited_and_paged(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let mayor = server.create_town("35024", "Laurence").await;
    let id = town_id(&server, &op, "35024").await;
    server
        .post_json(
            &format!("/api/operator/towns/{id}/verify"),
            Some(&op),
            json!({}),
        )
        .await;
    for (who, decision) in [("A", "join"), ("B", "refuse"), ("C", "replace")] {
        let (_, requested) = claim(&server, "35024", who, "maire").await;
        let request = requested["request"]["id"].as_i64().unwrap();
        let (status, body) = server
            .post_json(
                &format!("/api/operator/requests/{request}"),
                Some(&op),
                json!({ "decision": decision }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let new_id = town_id(&server, &op, "35024").await;
    server
        .post_json(
            &format!("/api/operator/towns/{new_id}/recovery"),
            Some(&op),
            json!({}),
        )
        .await;
    server
        .delete(
            &format!("/api/operator/towns/{id}/devices/{}", mayor.device),
            Some(&op),
        )
        .await;
    server.create_town("29155", "Anne").await;
    let other = town_id(&server, &op, "29155").await;
    server
        .post_json(
            &format!("/api/operator/towns/{other}/reject"),
            Some(&op),
            json!({}),
        )
        .await;
    let entries = audit_actions(&server, &op).await;
    let names: BTreeSet<&str> = actions(&entries).into_iter().collect();
    for action in [
        "operator-added",
        "operator-enrolled",
        "town-verified",
        "request-joined",
        "request-refused",
        "request-replaced",
        "town-rejected",
        "recovery-issued",
        "device-removed",
    ] {
        assert!(names.contains(action), "{action} missing: {names:?}");
    }
    let added: Vec<&str> = entries
        .iter()
        .filter(|entry| entry["action"] == "operator-added")
        .map(|entry| entry["actor"].as_str().unwrap())
        .collect();
    // The server's own « Premier opérateur », then Claire by the command line.
    assert_eq!(added, ["ligne de commande", "serveur"], "{entries:?}");
    let enrolled = entries
        .iter()
        .find(|entry| entry["action"] == "operator-enrolled")
        .unwrap();
    assert_eq!(enrolled["actor"], "« Claire » (opérateur)");
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let verified = entries
        .iter()
        .find(|entry| entry["action"] == "town-verified")
        .unwrap();
    assert_eq!(verified["actor"], "« Claire » (opérateur)");
    assert!(verified["operator_id"].is_i64());
    assert_eq!(verified["town_id"], id);
    assert_eq!(verified["commune_name"], "Betton");

    // Paging: three at a time, following `next_before`, gives the same entries.
    let mut paged = Vec::new();
    let mut path = "/api/operator/audit?limit=3".to_string();
    loop {
        let (status, page) = server.get_json(&path, Some(&op)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        paged.extend(page["entries"].as_array().unwrap().iter().cloned());
        match page["next_before"].as_i64() {
            Some(before) => path = format!("/api/operator/audit?limit=3&before={before}"),
            None => break,
        }
    }
    assert_eq!(paged, entries);
}

async fn host_information_comes_from_the_configuration(backend: Backend) {
    let server = TestServer::start_with_config(backend, |config| {
        config.host_name = Some("Association des petites villes de France".into());
        config.host_address = Some("42 rue de Paris, 75000 Paris".into());
        config.host_contact = Some("dpo@apvf.example".into());
        config.publication_director = Some("  ".into());
        config.device_retention_days = 365;
    })
    .await;
    let (status, host) = server.get_json("/api/host", None).await;
    assert_eq!(status, StatusCode::OK, "{host}");
    assert_eq!(host["name"], "Association des petites villes de France");
    assert_eq!(host["address"], "42 rue de Paris, 75000 Paris");
    assert_eq!(host["contact"], "dpo@apvf.example");
    assert!(host.get("publication_director").is_none(), "{host}");
    assert_eq!(host["town_spaces"], "approval");
    assert_eq!(host["device_retention_days"], 365);
    assert_eq!(host["rejected_retention_days"], 30);
}

async fn hostile_input_on_the_new_endpoints_is_a_4xx(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let op = operator(&server, "Claire").await;
    let mayor = server.create_town("35024", "Laurence").await;
    let huge = "é".repeat(100_000);
    let mut cases: Vec<(Method, String, Option<&str>, Option<Value>)> = Vec::new();
    for id in [
        "abc",
        "-1",
        "0",
        "99999999999999999999999",
        "1.5",
        "%F0%9F%92%A5",
        "999999",
        "%00",
        "1%00",
    ] {
        for path in [
            format!("/api/operator/towns/{id}"),
            format!("/api/operator/towns/{id}/verify"),
            format!("/api/operator/towns/{id}/reject"),
            format!("/api/operator/towns/{id}/recovery"),
            format!("/api/operator/towns/{id}/devices/{id}"),
            format!("/api/operator/requests/{id}"),
        ] {
            let method = if path.ends_with(&format!("towns/{id}")) {
                Method::GET
            } else if path.contains("/devices/") {
                Method::DELETE
            } else {
                Method::POST
            };
            let body = (method == Method::POST).then(|| json!({"decision": "join"}));
            cases.push((method, path, Some(op.as_str()), body));
        }
    }
    for query in [
        "q=".to_string() + &"x".repeat(1000),
        "status=weird".into(),
        "limit=abc".into(),
        "departement=%27%3B%20DROP".into(),
    ] {
        cases.push((
            Method::GET,
            format!("/api/operator/towns?{query}"),
            Some(op.as_str()),
            None,
        ));
    }
    for query in ["before=abc", "limit=99999999999999999999"] {
        cases.push((
            Method::GET,
            format!("/api/operator/audit?{query}"),
            Some(op.as_str()),
            None,
        ));
    }
    for body in [
        json!({"decision": "maybe"}),
        json!({"decision": 3}),
        json!([]),
        json!({"decision": huge}),
    ] {
        cases.push((
            Method::POST,
            "/api/operator/requests/1".into(),
            Some(op.as_str()),
            Some(body),
        ));
    }
    for body in [
        json!({"secret": huge, "device_name": "PC"}),
        json!({"secret": "x", "device_name": huge}),
        json!({"secret": "x", "device_name": "\u{0}"}),
        json!({"secret": ""}),
        json!("nope"),
    ] {
        cases.push((Method::POST, "/api/operator/enrol".into(), None, Some(body)));
    }
    for body in [json!({"confirm": huge}), json!({}), json!({"confirm": 42})] {
        cases.push((
            Method::DELETE,
            "/api/town".into(),
            Some(mayor.token.as_str()),
            Some(body),
        ));
    }
    cases.push((
        Method::GET,
        "/api/access-request".into(),
        Some("arobase_garbage"),
        None,
    ));
    cases.push((Method::GET, "/api/access-request".into(), None, None));
    cases.push((
        Method::DELETE,
        format!("/api/operator/towns/1/devices/{}", "x".repeat(5000)),
        Some(op.as_str()),
        None,
    ));
    cases.push((
        Method::DELETE,
        "/api/operator/towns/1/devices/a%00b".into(),
        Some(op.as_str()),
        None,
    ));
    cases.push((
        Method::GET,
        "/api/operator/towns?q=%00&departement=%00".into(),
        Some(op.as_str()),
        None,
    ));
    cases.push((
        Method::GET,
        "/api/access-request".into(),
        Some(mayor.token.as_str()),
        None,
    ));
    for (method, path, token, body) in cases {
        let (status, answer) = server.call(method.clone(), &path, token, body).await;
        assert!(
            status.is_client_error(),
            "{method} {}: {status} {answer}",
            &path[..path.len().min(120)]
        );
        assert!(answer["error"].is_string(), "{method} {path}: {answer}");
        // (How much of a bad body an error quotes back is bounded for every route at once, by
        // the hardening of issue 11's abuse limits.)
    }
    // Out-of-range numbers are brought into range rather than refused.
    // LIKE wildcards are only punctuation, dropped like the rest of it.
    for path in [
        "/api/operator/towns?limit=-5",
        "/api/operator/towns?q=%25%5F%27",
        "/api/operator/audit?before=-1&limit=0",
    ] {
        let (status, answer) = server.get_json(path, Some(&op)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }
    // The town and the operator are intact.
    let (status, _) = server.get_json("/api/me", Some(&mayor.token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.get_json("/api/operator/me", Some(&op)).await;
    assert_eq!(status, StatusCode::OK);
}

/// A PostgreSQL database made before the association's side migrates with its data: spaces
/// verified, creators and mayors administrators, invitations kept, the commune unique among
/// live spaces only. (The same for SQLite is a unit test of `storage::sqlite`.)
#[tokio::test]
async fn a_postgres_database_from_before_operators_migrates_with_its_data() {
    use server::storage::Storage as _;
    use sqlx::Connection as _;
    let tmp = tempfile::tempdir().unwrap();
    let url = common::fresh_database_url(Backend::Postgres, tmp.path()).await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut before = sqlx::migrate!("./migrations/postgres");
    let first_two = before.migrations[..2].to_vec();
    before.migrations = std::borrow::Cow::Owned(first_two);
    before.run(&mut conn).await.unwrap();
    for sql in [
        "INSERT INTO communes (code, name, search_name, departement, region, postal_codes, \
         population) VALUES ('29155', 'Plouguerneau', 'plouguerneau', '29', '53', ' 29880 ', 6641)",
        "INSERT INTO towns (commune_code, created_ms, last_seq) VALUES ('29155', 100, 1)",
        "INSERT INTO devices (id, town_id, token_hash, name, role, created_ms) \
         SELECT 'creator', id, 'h1', 'Anne', 'adjoint', 100 FROM towns",
        "INSERT INTO devices (id, town_id, token_hash, name, role, created_ms, invited_by) \
         SELECT 'mayor', id, 'h2', 'Marie', 'maire', 200, 'creator' FROM towns",
        "INSERT INTO devices (id, town_id, token_hash, name, role, created_ms, invited_by) \
         SELECT 'joined', id, 'h3', 'Sami', 'dgs', 300, 'creator' FROM towns",
        "INSERT INTO invites (town_id, created_by, secret_hash, code_prefix, code_hash, \
         created_ms, code_expires_ms, link_expires_ms) \
         SELECT id, 'creator', 's', 'ABC', 'c', 150, 160, 170 FROM towns",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();

    let storage = server::Database::connect(&url).await.unwrap();
    let town_id: i64 = sqlx::query_scalar("SELECT id FROM towns")
        .fetch_one(storage.as_postgres().unwrap().pool())
        .await
        .unwrap();
    let town = storage.town(town_id).await.unwrap().unwrap();
    assert_eq!(town.status, diagnostic::association::TownStatus::Verified);
    let admins: Vec<(String, bool)> = storage
        .devices(town_id)
        .await
        .unwrap()
        .into_iter()
        .map(|device| (device.id, device.admin))
        .collect();
    assert_eq!(
        admins,
        [
            ("creator".to_string(), true),
            ("mayor".to_string(), true),
            ("joined".to_string(), false)
        ]
    );
    let pool = storage.as_postgres().unwrap().pool();
    let invites: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM invites WHERE created_by = 'creator'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(invites, 1);
    let duplicate = sqlx::query("INSERT INTO towns (commune_code, created_ms) VALUES ('29155', 1)")
        .execute(pool)
        .await;
    assert!(duplicate.is_err(), "one live space per commune");
    sqlx::query("UPDATE towns SET status = 'rejected'")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO towns (commune_code, created_ms) VALUES ('29155', 1)")
        .execute(pool)
        .await
        .unwrap();
    storage.close().await;
}

/// Instances starting together on one PostgreSQL database make one first operator, not one each.
#[tokio::test]
async fn instances_starting_together_make_one_first_operator() {
    let first = TestServer::start_backend(Backend::Postgres).await;
    let url = first.database_url.clone();
    let starts = (0..4).map(|_| {
        let url = url.clone();
        async move { TestServer::start_on(&url).await }
    });
    let servers = futures_join_all(starts).await;
    assert_eq!(
        count(&first, "SELECT COUNT(*) FROM operators WHERE bootstrap").await,
        1
    );
    drop(servers);
}

/// `futures::future::join_all` without the dependency.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}
