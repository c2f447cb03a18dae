//! The network over HTTP (docs/network.md): validation and release as pushed operations, the
//! publication pass and its ledger (k ≥ 5, withdrawal), a town's comparison, the operators'
//! dashboard and the open-data CSV — each test on SQLite and on PostgreSQL.
//!
//! The PostgreSQL cases need `AROBASE_TEST_POSTGRES_URL`, as in `tests/sync.rs`.

mod common;

use common::sync::{fresh_id, now_ms, questions, Phone};
use common::{on_both_backends, Backend, TestServer};
use diagnostic::association::TownSpaces;
use diagnostic::network::{record_release, record_validation, release_key, ReleaseLevel};
use diagnostic::sync::{Operation, Replica};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::operators;

on_both_backends!(
    only_an_administrator_validates_and_only_a_validated_campaign_is_released,
    four_released_towns_are_withheld_five_are_shown,
    a_withdrawal_leaves_the_figures_only_once_enough_towns_changed,
    no_town_data_is_reachable_by_another_town_or_anonymously,
    operators_see_named_towns_only_if_released_named,
    the_csv_has_a_bom_semicolons_and_only_groups_of_five,
    hostile_network_input_is_a_4xx,
);

const CAMPAIGN: &str = "2026";

/// The fixture's communes of 10,000 inhabitants or more (one stratum, several départements).
const BIG: [&str; 7] = [
    "42218", "42147", "42095", "94038", "2A004", "37214", "35024",
];

/// A town's administrator phone and its local replica.
struct Town {
    admin: Phone,
    replica: Replica,
}

/// A server whose new spaces are verified at once: only verified spaces count in aggregates.
async fn open_server(backend: Backend) -> TestServer {
    TestServer::start_with_config(backend, |config| config.town_spaces = TownSpaces::Open).await
}

async fn town(server: &TestServer, commune: &str) -> Town {
    let admin = server.create_town(commune, "Maire").await;
    let replica = Replica::new(admin.device.clone());
    Town { admin, replica }
}

/// Answers every question (the option depends on `seed`), validates, releases at `level`, in
/// one push; asserts it is accepted.
async fn answer_validate_release(server: &TestServer, town: &mut Town, seed: usize, level: &str) {
    let mut ops = answers(&mut town.replica, seed);
    ops.push(record_validation(
        &mut town.replica,
        fresh_id(),
        now_ms(),
        diagnostic::questionnaire(),
        CAMPAIGN,
    ));
    ops.push(
        record_release(
            &mut town.replica,
            fresh_id(),
            now_ms(),
            CAMPAIGN,
            ReleaseLevel::parse(level),
        )
        .unwrap(),
    );
    let (status, body) = server.push(&town.admin, &ops).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn answers(replica: &mut Replica, seed: usize) -> Vec<Operation> {
    questions()
        .iter()
        .enumerate()
        .map(|(i, (question, options))| {
            let option = options[(seed + i) % options.len()].clone();
            replica.record(fresh_id(), now_ms(), CAMPAIGN, question, Some(option), None)
        })
        .collect()
}

/// Withdraws the town's release.
async fn withdraw(server: &TestServer, town: &mut Town) {
    let op = record_release(&mut town.replica, fresh_id(), now_ms(), CAMPAIGN, None).unwrap();
    let (status, body) = server.push(&town.admin, &[op]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn publish(server: &TestServer) -> server::network::PublicationReport {
    server::network::run_once(server.handle.storage(), now_ms())
        .await
        .unwrap()
}

async fn aggregates(server: &TestServer, phone: &Phone) -> Value {
    let (status, body) = server
        .get_json(
            &format!("/api/network/aggregates?campaign={CAMPAIGN}"),
            Some(&phone.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The group `slug` of an aggregates page.
fn group<'a>(page: &'a Value, slug: &str) -> &'a Value {
    let (kind, id) = slug.split_once(':').unwrap();
    page["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"]["kind"] == kind && g["group"]["id"] == id)
        .unwrap_or_else(|| panic!("no group {slug} in {page}"))
}

fn error_code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
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

async fn only_an_administrator_validates_and_only_a_validated_campaign_is_released(
    backend: Backend,
) {
    let server = open_server(backend).await;
    let mut town = town(&server, "42218").await;
    let agent = server.add_phone(&town.admin, "Agent").await;

    // A non-administrator's validation is refused, and nothing of its push is stored.
    let mut agent_replica = Replica::new(agent.device.clone());
    let mut ops = answers(&mut agent_replica, 0);
    ops.push(record_validation(
        &mut agent_replica,
        fresh_id(),
        now_ms(),
        diagnostic::questionnaire(),
        CAMPAIGN,
    ));
    let (status, body) = server.push(&agent, &ops).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "not_admin");
    assert!(server.pull_all(&agent, 500).await.is_empty());
    // Its answers alone are welcome.
    let (status, body) = server.push(&agent, &ops[..ops.len() - 1]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The administrator cannot release before validating.
    let release = town.replica.record(
        fresh_id(),
        now_ms(),
        CAMPAIGN,
        &release_key(CAMPAIGN),
        Some("anonymous".into()),
        None,
    );
    let (status, body) = server.push(&town.admin, &[release]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "not_validated");

    // A withdrawal needs no validation; a malformed release is a 400.
    let withdrawal = Replica::new(town.admin.device.clone()).record(
        fresh_id(),
        now_ms(),
        CAMPAIGN,
        &release_key(CAMPAIGN),
        None,
        None,
    );
    let (status, body) = server.push(&town.admin, &[withdrawal]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (key, option) in [
        ("release:2026", Some("everyone")),
        ("release:2025", Some("anonymous")),
        ("validation:2026", Some("validated")),
        ("validation:20x6", None),
    ] {
        let op = town.replica.record(
            fresh_id(),
            now_ms(),
            CAMPAIGN,
            key,
            option.map(str::to_string),
            None,
        );
        let (status, body) = server.push(&town.admin, &[op]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key} {option:?}: {body}");
        assert_eq!(error_code(&body), "invalid_operation");
    }

    // Validated first, in the same push: accepted.
    answer_validate_release(&server, &mut town, 1, "anonymous").await;
    let log = server.pull_all(&town.admin, 500).await;
    assert!(log.iter().any(|op| op.question == "validation:2026"));
    assert!(log
        .iter()
        .any(|op| op.question == "release:2026" && op.option.as_deref() == Some("anonymous")));
}

async fn four_released_towns_are_withheld_five_are_shown(backend: Backend) {
    let server = open_server(backend).await;
    let mut towns = Vec::new();
    for (i, commune) in BIG[..5].iter().enumerate() {
        let mut town = town(&server, commune).await;
        if i < 4 {
            answer_validate_release(&server, &mut town, i, "anonymous").await;
        }
        towns.push(town);
    }
    // A town that releases nothing still sees its groups.
    let onlooker = town(&server, "29155").await;

    publish(&server).await;
    let page = aggregates(&server, &towns[0].admin).await;
    assert_eq!(page["campaign"], CAMPAIGN);
    let stratum = group(&page, "strate:10000-");
    assert_eq!(stratum["status"], "withheld", "{page}");
    assert_eq!(stratum["needed"], 1);
    assert_eq!(group(&page, "national:fr")["status"], "withheld");

    answer_validate_release(&server, &mut towns[4], 4, "anonymous").await;
    // Released but not yet published: the figures wait for the next pass.
    assert_eq!(
        group(&aggregates(&server, &towns[0].admin).await, "strate:10000-")["status"],
        "withheld"
    );
    let report = publish(&server).await;
    assert!(report.published >= 2, "{report:?}");
    let page = aggregates(&server, &towns[0].admin).await;
    let stratum = group(&page, "strate:10000-");
    assert_eq!(stratum["status"], "shown", "{page}");
    assert_eq!(stratum["towns"], 5);
    assert!(!stratum["questions"].as_array().unwrap().is_empty());
    // Three released towns in the Loire: its département stays withheld.
    assert_eq!(group(&page, "departement:42")["status"], "withheld");
    let national = group(&aggregates(&server, &onlooker.admin).await, "national:fr").clone();
    assert_eq!(national["status"], "shown");
    assert_eq!(national["towns"], 5);

    // Cacheable: the same ledger answers 304 to its ETag; one group only on request.
    let response = server
        .get(
            &format!("/api/network/aggregates?campaign={CAMPAIGN}"),
            &[("authorization", &format!("Bearer {}", towns[0].admin.token))],
        )
        .await;
    let etag = response.headers()[ETAG].to_str().unwrap().to_string();
    let again = server
        .get(
            &format!("/api/network/aggregates?campaign={CAMPAIGN}"),
            &[
                ("authorization", &format!("Bearer {}", towns[0].admin.token)),
                (IF_NONE_MATCH.as_str(), &etag),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let (status, one) = server
        .get_json(
            &format!("/api/network/aggregates?campaign={CAMPAIGN}&group=strate:10000-"),
            Some(&towns[0].admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["groups"].as_array().unwrap().len(), 1);
}

async fn a_withdrawal_leaves_the_figures_only_once_enough_towns_changed(backend: Backend) {
    let server = open_server(backend).await;
    let mut towns = Vec::new();
    for (i, commune) in BIG[..6].iter().enumerate() {
        let mut town = town(&server, commune).await;
        answer_validate_release(&server, &mut town, i, "anonymous").await;
        towns.push(town);
    }
    publish(&server).await;
    let before = aggregates(&server, &towns[0].admin).await;
    assert_eq!(group(&before, "strate:10000-")["towns"], 6);

    // One town withdraws: publishing the five others would tell its answers by difference, so
    // the previous figures stay (the ledger rule), unchanged.
    withdraw(&server, &mut towns[5]).await;
    let report = publish(&server).await;
    assert_eq!(report.published, 0, "{report:?}");
    let after = aggregates(&server, &towns[0].admin).await;
    assert_eq!(
        group(&after, "strate:10000-"),
        group(&before, "strate:10000-")
    );

    // Two more leave: four remain, too few to show anything — the group is withheld.
    withdraw(&server, &mut towns[4]).await;
    withdraw(&server, &mut towns[3]).await;
    let report = publish(&server).await;
    assert_eq!(report.published, 0, "{report:?}");
    let page = aggregates(&server, &towns[0].admin).await;
    let stratum = group(&page, "strate:10000-");
    assert_eq!(stratum["status"], "withheld", "{page}");
    assert_eq!(stratum["needed"], 2);
}

async fn no_town_data_is_reachable_by_another_town_or_anonymously(backend: Backend) {
    let server = open_server(backend).await;
    let mut towns = Vec::new();
    for (i, commune) in BIG[..5].iter().enumerate() {
        let mut town = town(&server, commune).await;
        answer_validate_release(&server, &mut town, i, "named").await;
        towns.push(town);
    }
    publish(&server).await;

    // Anonymous, or with a device token on operator routes: 401.
    for path in [
        "/api/network/aggregates?campaign=2026",
        "/api/operator/network?campaign=2026",
        "/api/operator/network.csv?campaign=2026",
    ] {
        let (status, body) = server.get_json(path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    for path in [
        "/api/operator/network?campaign=2026",
        "/api/operator/network.csv?campaign=2026",
    ] {
        let response = server
            .get(
                path,
                &[("authorization", &format!("Bearer {}", towns[0].admin.token))],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }

    // Another town sees figures, never a town: no commune code, name, device or town id.
    let page = aggregates(&server, &towns[0].admin).await.to_string();
    for (i, commune) in BIG[..5].iter().enumerate() {
        if i > 0 {
            assert!(!page.contains(commune), "{commune} in {page}");
        }
        assert!(!page.contains(&towns[i].admin.device), "{page}");
    }
    for forbidden in ["Montbrison", "Firminy", "members", "#", "named"] {
        assert!(!page.contains(forbidden), "{forbidden} in {page}");
    }
    // A group the town is not in is not served to it.
    let (status, body) = server
        .get_json(
            "/api/network/aggregates?campaign=2026&group=departement:94",
            Some(&towns[0].admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The open CSV is figures only.
    let (status, _) = server
        .get_json("/api/sync/pull?after=0", Some("arobase_nope"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let csv = server
        .get("/api/network/aggregates.csv?campaign=2026", &[])
        .await
        .text()
        .await
        .unwrap();
    for commune in BIG {
        assert!(!csv.contains(commune), "{commune} in the CSV");
    }
}

async fn operators_see_named_towns_only_if_released_named(backend: Backend) {
    let server = open_server(backend).await;
    let op = operator(&server).await;
    let mut towns = Vec::new();
    for (i, commune) in BIG[..6].iter().enumerate() {
        let mut town = town(&server, commune).await;
        match i {
            0 | 1 => answer_validate_release(&server, &mut town, i, "named").await,
            2..=4 => answer_validate_release(&server, &mut town, i, "anonymous").await,
            // Answers, not validated: counted as answering only.
            _ => {
                let ops = answers(&mut town.replica, i);
                let (status, body) = server.push(&town.admin, &ops).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        }
        towns.push(town);
    }
    publish(&server).await;
    let audit_before = audit_len(&server, &op).await;
    let (status, dashboard) = server
        .get_json("/api/operator/network?campaign=2026", Some(&op))
        .await;
    assert_eq!(status, StatusCode::OK, "{dashboard}");
    let named: Vec<&str> = dashboard["named"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["commune"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["42147", "42218"]);
    let national = &dashboard["participation"]["national"];
    assert_eq!(national["spaces"], 6);
    assert_eq!(national["answering"], 6);
    assert_eq!(national["validated"], 5);
    assert_eq!(national["released"], 5);
    assert_eq!(national["named"], 2);
    assert_eq!(dashboard["national"]["status"], "shown");
    assert_eq!(dashboard["national"]["towns"], 5);
    assert!(!dashboard["levels"].as_array().unwrap().is_empty());
    assert!(!dashboard["weakest"].as_array().unwrap().is_empty());
    assert!(dashboard["published_ms"].as_u64().is_some());
    // Reading reveals what towns chose to show; it changes nothing, so it is not audited.
    assert_eq!(audit_len(&server, &op).await, audit_before);

    // A named town that withdraws leaves the list at once.
    withdraw(&server, &mut towns[0]).await;
    let (_, dashboard) = server
        .get_json("/api/operator/network?campaign=2026", Some(&op))
        .await;
    let named: Vec<&str> = dashboard["named"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["commune"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["42147"]);
}

async fn audit_len(server: &TestServer, op: &str) -> usize {
    let (status, body) = server
        .get_json("/api/operator/audit?limit=200", Some(op))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["entries"].as_array().unwrap().len()
}

async fn the_csv_has_a_bom_semicolons_and_only_groups_of_five(backend: Backend) {
    let server = open_server(backend).await;
    let op = operator(&server).await;
    for (i, commune) in BIG[..5].iter().enumerate() {
        let mut town = town(&server, commune).await;
        answer_validate_release(&server, &mut town, i, "anonymous").await;
    }
    publish(&server).await;
    let response = server
        .get(
            "/api/operator/network.csv?campaign=2026",
            &[("authorization", &format!("Bearer {op}"))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(response.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let csv = response.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "no BOM");
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let towns_column = header.iter().position(|h| *h == "communes").unwrap();
    let mut groups = std::collections::BTreeSet::new();
    let mut rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(';').collect();
        assert_eq!(fields.len(), header.len(), "{line}");
        let towns: u32 = fields[towns_column].parse().unwrap();
        assert!(towns >= 5, "{line}");
        groups.insert(fields[1].to_string());
        rows += 1;
    }
    assert!(rows > 0);
    // The stratum and the country, nothing of the départements or régions of fewer than five.
    assert!(groups.contains("strate:10000-"), "{groups:?}");
    assert!(
        !groups.iter().any(|g| g.starts_with("departement:")),
        "{groups:?}"
    );

    // The same open data anonymously.
    let open = server
        .get("/api/network/aggregates.csv?campaign=2026", &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(open, csv);
}

async fn hostile_network_input_is_a_4xx(backend: Backend) {
    let server = open_server(backend).await;
    let op = operator(&server).await;
    let town = town(&server, "42218").await;
    let long = "9".repeat(5_000);
    let bad_campaigns = [
        "",
        "abcd",
        "1999",
        "20266",
        "2026%00",
        long.as_str(),
        "2026'--",
    ];
    for campaign in bad_campaigns {
        for (path, token) in [
            ("/api/network/aggregates", Some(town.admin.token.as_str())),
            ("/api/network/aggregates.csv", None),
            ("/api/operator/network", Some(op.as_str())),
            ("/api/operator/network.csv", Some(op.as_str())),
        ] {
            let response = server
                .get(
                    &format!("{path}?campaign={campaign}"),
                    &token
                        .map(|t| vec![("authorization".to_string(), format!("Bearer {t}"))])
                        .unwrap_or_default()
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                )
                .await;
            let status = response.status();
            assert!(
                status.is_client_error(),
                "{path}?campaign={}: {status}",
                &campaign[..campaign.len().min(20)]
            );
        }
    }
    // No campaign at all.
    let (status, _) = server
        .get_json("/api/network/aggregates", Some(&town.admin.token))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for group in [
        "foo:bar",
        "strate:12",
        "strate",
        "departement:",
        &"x".repeat(3000),
    ] {
        let (status, body) = server
            .get_json(
                &format!("/api/network/aggregates?campaign=2026&group={group}"),
                Some(&town.admin.token),
            )
            .await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{group}: {status} {body}"
        );
    }
}
