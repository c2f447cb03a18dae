//! Group commit (`storage/group.rs`): pushes that wait together share one transaction, each is
//! answered only after its commit, and one refused push leaves its batch-mates stored.

mod common;

use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;

use diagnostic::sync::server::{NewOp, PushError};
use diagnostic::sync::Operation;
use reqwest::StatusCode;
use server::storage::group::{PushArgs, PushBatch};
use server::storage::{Database, PushOutcome, Storage};

use common::sync::Phone;
use common::{on_both_backends, Backend, TestServer};

fn new_ops(ops: &[Operation]) -> Vec<NewOp> {
    ops.iter()
        .map(|op| NewOp {
            op: op.clone(),
            sent_wall_ms: op.clock.wall_ms,
        })
        .collect()
}

async fn batch(storage: &Database, pushes: &[PushArgs<'_>]) -> Vec<PushOutcome> {
    let outcomes = match storage {
        Database::Sqlite(db) => db.push_batch(pushes).await,
        Database::Postgres(db) => db.push_batch(pushes).await,
    };
    assert_eq!(outcomes.len(), pushes.len(), "one outcome per push");
    outcomes
        .into_iter()
        .map(|outcome| outcome.expect("no database failure"))
        .collect()
}

/// One transaction carrying a good push, a conflicting one, a removed device's and another good
/// one: the good ones are stored, numbered in the order they came, and nothing of the refused
/// ones is (not even the sequence numbers they would have taken).
async fn a_refused_push_leaves_its_batch_mates_stored(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut mayor = server.create_town("42218", "Anne").await;
    let mut agent = server.add_phone(&mayor, "Sami").await;
    let mut removed = server.add_phone(&mayor, "Léa").await;
    let first = mayor.answer(0, Some(0), &[]);
    let (status, body) = server.push(&mayor, std::slice::from_ref(&first)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .delete(
            &format!("/api/devices/{}", removed.device),
            Some(&mayor.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let good = new_ops(&[mayor.answer(1, Some(0), &[]), mayor.answer(2, Some(0), &[])]);
    // The id of `first` with other content: a conflict, refused.
    let mut conflicting = mayor.answer(3, Some(0), &[]);
    conflicting.id = first.id.clone();
    let conflicting = new_ops(&[conflicting]);
    let from_removed = new_ops(&[removed.answer(4, Some(0), &[])]);
    let also_good = new_ops(&[agent.answer(5, Some(0), &[])]);
    let town_id = server
        .handle
        .storage()
        .authenticate(&server::auth::sha256_hex(&mayor.token))
        .await
        .unwrap()
        .expect("the mayor's token")
        .town_id;
    let now = server::clock::now_ms() as i64;
    fn push<'a>(town_id: i64, device: &'a Phone, ops: &'a [NewOp], now_ms: i64) -> PushArgs<'a> {
        PushArgs {
            town_id,
            device_id: &device.device,
            ops,
            now_ms,
            relay: false,
        }
    }
    let outcomes = batch(
        server.handle.storage(),
        &[
            push(town_id, &mayor, &good, now),
            push(town_id, &mayor, &conflicting, now),
            push(town_id, &removed, &from_removed, now),
            push(town_id, &agent, &also_good, now),
        ],
    )
    .await;
    assert!(
        matches!(
            outcomes[0],
            PushOutcome::Stored {
                inserted: 2,
                last_seq: Some(3),
                ..
            }
        ),
        "{outcomes:?}"
    );
    assert!(
        matches!(
            outcomes[1],
            PushOutcome::Refused(PushError::IdConflict { .. })
        ),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[2], PushOutcome::Revoked);
    assert!(
        matches!(
            outcomes[3],
            PushOutcome::Stored {
                inserted: 1,
                last_seq: Some(4),
                ..
            }
        ),
        "the refused pushes took no sequence number: {outcomes:?}"
    );

    let log = server.pull_all(&mayor, 100).await;
    let ids: Vec<&str> = log.iter().map(|op| op.id.as_str()).collect();
    let expected: Vec<&str> = [&first]
        .into_iter()
        .chain(good.iter().map(|new| &new.op))
        .chain(also_good.iter().map(|new| &new.op))
        .map(|op| op.id.as_str())
        .collect();
    assert_eq!(ids, expected, "stored once each, in the batch's order");
    assert_eq!(log[0], first, "the conflicting push changed nothing");
}

/// Sixteen phones pushing at once: every push answered 200 after its commit, every operation in
/// the log exactly once with sequence numbers without gaps, and (SQLite) fewer transactions than
/// pushes: they were shared.
async fn concurrent_phones_share_commits(backend: Backend) {
    const PHONES: usize = 16;
    const PUSHES: usize = 12;
    let server = TestServer::start_backend(backend).await;
    let mayor = server.create_town("35024", "Anne").await;
    let mut phones = vec![mayor.clone()];
    for i in 1..PHONES {
        phones.push(server.add_phone(&mayor, &format!("Phone {i}")).await);
    }
    let server = std::sync::Arc::new(server);
    let batches_before = server
        .handle
        .storage()
        .group_commit()
        .map(|stats| stats.batches.load(Relaxed));
    let mut tasks = Vec::new();
    for (i, mut phone) in phones.into_iter().enumerate() {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for round in 0..PUSHES {
                let ops = vec![phone.answer((i + round) % 10, Some(0), &[])];
                let (status, body) = server.push(&phone, &ops).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                sent.extend(ops.into_iter().map(|op| op.id));
            }
            sent
        }));
    }
    let mut sent = HashSet::new();
    for task in tasks {
        sent.extend(task.await.unwrap());
    }
    assert_eq!(sent.len(), PHONES * PUSHES);

    let log = server.pull_all(&mayor, 500).await;
    let stored: HashSet<String> = log.iter().map(|op| op.id.clone()).collect();
    assert_eq!(log.len(), PHONES * PUSHES, "each operation stored once");
    assert_eq!(stored, sent);
    let (status, page) = server
        .get_json("/api/sync/pull?after=0&limit=1", Some(&mayor.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["next"], 1, "numbering starts at 1");
    let (_, last) = server
        .get_json(
            &format!("/api/sync/pull?after={}&limit=1", PHONES * PUSHES - 1),
            Some(&mayor.token),
        )
        .await;
    assert_eq!(
        last["next"].as_u64(),
        Some((PHONES * PUSHES) as u64),
        "no gap: the last number is the count"
    );
    assert_eq!(last["more"], false);

    match (server.handle.storage().group_commit(), batches_before) {
        (Some(stats), Some(batches_before)) => {
            let batches = stats.batches.load(Relaxed) - batches_before;
            let pushes = stats.pushes.load(Relaxed);
            assert!(pushes >= (PHONES * PUSHES) as u64, "{pushes}");
            assert!(
                batches < (PHONES * PUSHES) as u64,
                "{batches} transactions for {} pushes: none shared",
                PHONES * PUSHES
            );
        }
        (None, None) => assert_eq!(backend, Backend::Postgres, "PostgreSQL commits per push"),
        other => panic!("group commit appeared or vanished: {other:?}"),
    }
}

on_both_backends!(
    a_refused_push_leaves_its_batch_mates_stored,
    concurrent_phones_share_commits,
);
