use super::*;
use crate::sync::{conflicts, is_uuid_v7, merge, plan_key, Clamped};

const NOW: u64 = 1_800_000_000_000;
const CAMPAIGN: &str = "2026";

/// A question of the current content and two of its options.
fn question() -> (String, String, String) {
    let q = crate::outline()
        .questions()
        .find(|q| q.answers.len() >= 2)
        .expect("a question with two options");
    (
        q.id.clone(),
        q.answers[0].id.clone(),
        q.answers[1].id.clone(),
    )
}

fn id(n: u8) -> String {
    op_id(NOW, [n; 10])
}

fn ack(ids: &[&Operation], clock: Hlc) -> PushAck {
    PushAck {
        acknowledged: ids.iter().map(|op| op.id.clone()).collect(),
        clamped: vec![],
        clock,
        epoch: String::new(),
    }
}

#[test]
fn consecutive_changes_fold_until_sent() {
    let (question, a, b) = question();
    let mut r = Replica::new("maire");
    r.change(id(1), NOW, CAMPAIGN, &question, Some(a.clone()), None);
    let second = r.change(id(2), NOW + 1, CAMPAIGN, &question, Some(b.clone()), None);
    assert_eq!(r.outbox, vec![second.id.clone()], "folded into one change");
    assert_eq!(r.ops.len(), 1);
    assert!(second.base.is_empty(), "still a first answer");

    let batch = r.send(10);
    assert_eq!(batch, vec![second.clone()]);
    assert!(r.sent.contains(&second.id));
    let third = r.change(id(3), NOW + 2, CAMPAIGN, &question, Some(a), None);
    assert_eq!(r.outbox, vec![second.id.clone(), third.id.clone()]);
    assert_eq!(
        third.base,
        vec![second.id.clone()],
        "a sent one is replaced"
    );
}

/// Without the sent mark, a change folded into a pushed operation whose acknowledgement was lost
/// would sit beside it on the server, both heads: a conflict with oneself.
#[test]
fn a_lost_acknowledgement_never_makes_a_conflict_with_oneself() {
    let (question, a, b) = question();
    let mut r = Replica::new("maire");
    r.change(id(1), NOW, CAMPAIGN, &question, Some(a), None);
    let pushed = r.send(10);
    // The server stored `pushed`; its acknowledgement never came back.
    let later = r.change(id(2), NOW + 1, CAMPAIGN, &question, Some(b.clone()), None);
    let server: Vec<Operation> = pushed.into_iter().chain([later.clone()]).collect();
    assert!(conflicts(&server).is_empty());
    assert_eq!(merge(&server)[CAMPAIGN][&question].option, b);
    // The resend is acknowledged: both leave the outbox.
    let all = r.send(10);
    r.acknowledge(
        &ack(&all.iter().collect::<Vec<_>>(), Hlc::zero("server")),
        NOW,
    );
    assert!(r.outbox.is_empty() && r.sent.is_empty());
}

#[test]
fn a_folded_change_takes_the_new_base() {
    let (question, a, b) = question();
    let mut mayor = Replica::new("maire");
    let mut dgs = Replica::new("dgs");
    let first = mayor.record(id(1), NOW, CAMPAIGN, &question, Some(a.clone()), None);
    dgs.receive([first.clone()], NOW);
    // The DGS's unsent change, then the mayor's newer one arrives and replaces the first.
    dgs.change(id(2), NOW + 1, CAMPAIGN, &question, Some(b.clone()), None);
    let newer = mayor.record(id(3), NOW + 2, CAMPAIGN, &question, Some(b.clone()), None);
    dgs.receive([newer.clone()], NOW + 3);
    // The DGS changes the answer again, having seen the mayor's: it replaces the mayor's.
    let folded = dgs.change(id(4), NOW + 4, CAMPAIGN, &question, Some(a), None);
    assert_eq!(folded.base, vec![newer.id.clone()], "not the stale [first]");
    let town: Vec<Operation> = [first, newer, folded].into();
    assert!(conflicts(&town).is_empty());
}

#[test]
fn receiving_and_acknowledging_deliver_and_observe() {
    let (question, a, b) = question();
    let mut r = Replica::new("maire");
    let mine = r.record(id(1), NOW, CAMPAIGN, &question, Some(a), None);
    let other = r.record(id(2), NOW, CAMPAIGN, "plan:x", None, None);
    r.send(1);
    let ahead = Hlc {
        wall_ms: NOW + 60_000,
        counter: 3,
        device: "server".into(),
    };
    let mut stored = mine.clone();
    stored.clock.wall_ms = NOW - 5;
    r.receive([stored.clone()], NOW);
    assert_eq!(r.outbox, vec![other.id.clone()], "pulled back: delivered");
    assert!(r.sent.is_empty());
    assert_eq!(r.ops[&mine.id], stored, "the server's copy wins");

    let mut reply = ack(&[&other], ahead.clone());
    reply.clamped = vec![Clamped {
        id: other.id.clone(),
        clock: ahead.clone(),
    }];
    r.acknowledge(&reply, NOW);
    assert!(r.outbox.is_empty());
    assert_eq!(r.ops[&other.id].clock, ahead);
    assert!(r.clock > ahead, "observed the server's clock");

    let remote = Operation {
        id: id(9),
        device: "dgs".into(),
        clock: Hlc {
            wall_ms: NOW + 120_000,
            counter: 0,
            device: "dgs".into(),
        },
        option: Some(b),
        ..mine
    };
    r.receive([remote.clone()], NOW);
    assert!(
        r.clock > remote.clock,
        "every received operation is observed"
    );
}

#[test]
fn invalid_and_refused_operations_are_set_aside() {
    let (question, a, _) = question();
    let mut r = Replica::new("maire");
    let good = r.record(id(1), NOW, CAMPAIGN, &question, Some(a), None);
    let bad = r.record(
        id(2),
        NOW,
        CAMPAIGN,
        "no-such-question",
        Some("x".into()),
        None,
    );
    assert_eq!(r.set_aside_invalid(crate::outline()), 1);
    assert_eq!(r.outbox, vec![good.id.clone()]);
    assert_eq!(r.set_aside[0].op, bad);
    let release = r.record(
        id(3),
        NOW,
        CAMPAIGN,
        &network::release_key(CAMPAIGN),
        Some("x".into()),
        None,
    );
    r.send(10);
    assert_eq!(r.set_aside_network(true, "not validated"), 1);
    assert_eq!(r.set_aside[1].op, release);
    assert!(!r.sent.contains(&release.id));
}

#[test]
fn explaining_answers_is_deterministic_and_idempotent() {
    let (question, a, b) = question();
    let base = {
        let mut r = Replica::new("local");
        r.record(id(1), NOW, CAMPAIGN, &question, Some(a.clone()), None);
        r
    };
    let stored = vec![(question.clone(), b.clone(), Some("note".to_string()))];
    let (mut one, mut two) = (base.clone(), base.clone());
    assert!(one.explain(CAMPAIGN, stored.clone(), NOW - 10));
    assert!(two.explain(CAMPAIGN, stored.clone(), NOW - 10));
    assert_eq!(one, two, "the same stored data gives the same operations");
    let made = &one.ops[one.outbox.last().unwrap()];
    assert!(is_uuid_v7(&made.id));
    assert_eq!(made.base, vec![id(1)]);
    assert_eq!(one.view(CAMPAIGN).answers[&question].option, b);
    assert!(
        !one.explain(CAMPAIGN, stored, NOW),
        "already said: nothing recorded"
    );
    assert_ne!(
        derived_op_id(NOW, &["a", "bc"]),
        derived_op_id(NOW, &["ab", "c"])
    );
}

#[test]
fn the_view_separates_answers_plan_and_network_acts() {
    let (question, a, _) = question();
    let other = crate::outline()
        .questions()
        .nth(3)
        .expect("four questions")
        .id
        .clone();
    let mut r = Replica::new("maire");
    r.record(
        id(1),
        NOW,
        CAMPAIGN,
        &plan_key(&other),
        Some("doing".into()),
        None,
    );
    let note = PlanNote {
        owner: "DGS".into(),
        notes: String::new(),
    };
    r.record(
        id(2),
        NOW + 5,
        CAMPAIGN,
        &plan_key(&question),
        Some("todo".into()),
        Some(serde_json::to_string(&note).unwrap()),
    );
    r.record(id(3), NOW + 7, CAMPAIGN, &question, Some(a.clone()), None);
    r.record(id(4), NOW + 9, CAMPAIGN, &question, Some(a.clone()), None);
    r.record(
        id(5),
        NOW,
        CAMPAIGN,
        &network::validation_key(CAMPAIGN),
        None,
        None,
    );
    r.record(id(6), NOW, "2027", &question, Some(a.clone()), None);
    let view = r.view(CAMPAIGN);
    assert_eq!(view.answers.len(), 1);
    assert_eq!(view.answers[&question].updated_ms, (NOW + 9) as f64);
    let plan: Vec<(&str, PlanStatus, &str)> = view
        .plan
        .iter()
        .map(|p| (p.question.as_str(), p.status, p.owner.as_str()))
        .collect();
    assert_eq!(
        plan,
        vec![
            (other.as_str(), PlanStatus::Doing, ""),
            (question.as_str(), PlanStatus::Todo, "DGS")
        ]
    );
}

#[test]
fn adopting_the_server_id_renames_only_what_is_unsent() {
    let (question, a, b) = question();
    let mut r = Replica::new("random-id");
    let received = Operation {
        device: "dgs".into(),
        clock: Hlc {
            wall_ms: NOW,
            counter: 0,
            device: "dgs".into(),
        },
        ..r.clone()
            .record(id(1), NOW, CAMPAIGN, &question, Some(a), None)
    };
    r.receive([received.clone()], NOW);
    let mine = r.record(id(2), NOW, CAMPAIGN, &question, Some(b), None);
    r.adopt_device("server-id");
    assert_eq!(r.ops[&mine.id].device, "server-id");
    assert_eq!(r.ops[&mine.id].clock.device, "server-id");
    assert_eq!(r.ops[&received.id], received);
    assert_eq!(r.device(), "server-id");
}

#[test]
fn a_restored_server_is_a_new_epoch_reported() {
    assert!(server_restored(Some("e1"), "e2"));
    assert!(!server_restored(Some("e1"), "e1"));
    assert!(!server_restored(None, "e1"), "a first epoch is only noted");
    assert!(
        !server_restored(Some("e1"), ""),
        "a server older than epochs"
    );
}

/// After a restore, every operation the phone holds goes back, its own and the town's, in
/// batches, and the position survives a reload; the outbox, what was set aside and the other
/// devices' validations stay out of it.
#[test]
fn a_resend_goes_through_the_whole_log_once() {
    let (question, a, b) = question();
    let q = crate::outline();
    let others: Vec<String> = q
        .questions()
        .skip(1)
        .take(6)
        .map(|q| q.id.clone())
        .collect();
    let mut mayor = Replica::new("maire");
    let mut dgs = Replica::new("dgs");
    let mine = mayor.record(id(1), NOW, CAMPAIGN, &question, Some(a.clone()), None);
    let validation = network::record_validation(&mut mayor, id(2), NOW + 1, q, CAMPAIGN);
    let sent = mayor.send(10);
    mayor.acknowledge(&ack(&sent.iter().collect::<Vec<_>>(), Hlc::zero("s")), NOW);
    // The DGS's answers and a validation of theirs reach the mayor's phone.
    let mut theirs: Vec<Operation> = others
        .iter()
        .enumerate()
        .map(|(n, other)| {
            let option = q.question(other).expect("question").answers[0].id.clone();
            dgs.record(
                id(10 + n as u8),
                NOW + 2,
                CAMPAIGN,
                other,
                Some(option),
                None,
            )
        })
        .collect();
    let their_validation = network::record_validation(&mut dgs, id(30), NOW + 3, q, CAMPAIGN);
    theirs.push(their_validation.clone());
    mayor.receive(theirs.clone(), NOW + 4);
    // Still in the outbox, and set aside: not part of the re-send.
    let unsent = mayor.change(id(40), NOW + 5, CAMPAIGN, &question, Some(b), None);
    mayor.record(
        id(41),
        NOW + 5,
        CAMPAIGN,
        "no-such-question",
        Some("x".into()),
        None,
    );
    assert_eq!(mayor.set_aside_invalid(q), 1);

    assert!(
        mayor.next_resend(3, q, true).is_empty(),
        "nothing before a restore"
    );
    mayor.start_resend();
    let mut resent: Vec<String> = Vec::new();
    loop {
        // A reload between batches keeps the position.
        mayor = serde_json::from_str(&serde_json::to_string(&mayor).unwrap()).unwrap();
        let batch = mayor.next_resend(3, q, true);
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 3);
        resent.extend(batch.iter().map(|op| op.id.clone()));
        mayor.resent(
            &ack(&batch.iter().collect::<Vec<_>>(), Hlc::zero("s")),
            NOW + 6,
        );
    }
    assert_eq!(mayor.resend, None, "the re-send ended");
    let mut expected: Vec<String> = [mine.id.clone(), validation.id.clone()]
        .into_iter()
        .chain(others.iter().enumerate().map(|(n, _)| theirs[n].id.clone()))
        .collect();
    expected.sort();
    assert_eq!(resent, expected, "each once, in id order");
    assert!(!resent.contains(&their_validation.id));
    assert!(!resent.contains(&unsent.id), "the outbox sends it");
    assert_eq!(mayor.outbox, vec![unsent.id.clone()]);

    // Refused validations: the rest of the re-send goes on without them.
    mayor.start_resend();
    let without: Vec<String> = mayor
        .next_resend(100, q, false)
        .into_iter()
        .map(|op| op.id)
        .collect();
    assert_eq!(without.len(), expected.len() - 1);
    assert!(!without.contains(&validation.id));

    // One the server refuses from this device is passed over, and stays here.
    mayor.start_resend();
    let first = mayor.next_resend(1, q, true)[0].id.clone();
    mayor.resend_past(&first);
    let rest = mayor.next_resend(100, q, true);
    assert_eq!(rest.len(), expected.len() - 1);
    assert!(rest.iter().all(|op| op.id != first));
    assert!(mayor.ops.contains_key(&first));
}
