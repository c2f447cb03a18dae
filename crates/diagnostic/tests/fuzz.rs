//! Fuzzing of what the domain crate decodes from outside and of the merge: questionnaire content
//! JSON and a phone's stored replica (the app's campaign document), damaged the way a buggy or
//! hostile source would (see `common/mutate.rs`), never panic, and content that decodes and
//! validates scores; the merge of operations no honest client makes (colliding ids with other
//! content, bases that point nowhere, to themselves or in cycles, any campaign, question or
//! clock) never panics and depends only on the set of operations. `sync_props.rs` covers the
//! merge of honest replicas; this file, what they must survive.
//!
//! `PROPTEST_CASES` sets the number of cases per test (1,000 by default; `make fuzz` runs more).

#[path = "common/mutate.rs"]
mod mutate;

use std::collections::BTreeMap;

use diagnostic::sync::{conflicts, merge, op_id, Hlc, Operation, Replica};
use diagnostic::{Answer, Answers, Questionnaire};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

fn content() -> Value {
    serde_json::to_value(diagnostic::questionnaire()).unwrap()
}

/// Every question answered with its option number `pick` (modulo its options).
fn answers(q: &Questionnaire, pick: usize) -> Answers {
    q.questions()
        .filter(|question| !question.answers.is_empty())
        .map(|question| {
            let option = &question.answers[pick % question.answers.len()];
            (
                question.id.clone(),
                Answer {
                    option: option.id.clone(),
                    comment: None,
                },
            )
        })
        .collect()
}

/// An operation of a small world (3 devices, 2 campaigns, 3 questions, ids from a pool of 12 so
/// they collide), its bases any ids of the pool, itself included.
fn wild_operation() -> impl Strategy<Value = Operation> {
    (
        0..12u8,
        0..3usize,
        0..2usize,
        0..3usize,
        proptest::option::of("[a-z-]{0,8}"),
        proptest::option::of(any::<String>()),
        (any::<u64>(), any::<u32>(), 0..3usize),
        proptest::collection::vec(0..13u8, 0..4),
    )
        .prop_map(
            |(id, device, campaign, question, option, comment, clock, base)| {
                let devices = ["a", "b", "c"];
                let pool = |n: u8| {
                    let mut random = [0u8; 10];
                    random[9] = n;
                    op_id(1_800_000_000_000, random)
                };
                Operation {
                    id: pool(id),
                    device: devices[device].into(),
                    campaign: ["2026", "2027"][campaign].into(),
                    question: format!("q{question}"),
                    option,
                    comment,
                    clock: Hlc {
                        wall_ms: clock.0,
                        counter: clock.1,
                        device: devices[clock.2].into(),
                    },
                    // 12 is no operation's id: a base that points nowhere.
                    base: base.into_iter().map(pool).collect(),
                }
            },
        )
}

fn replica_document() -> Value {
    let mut replica = Replica::new("a");
    let questions: Vec<_> = diagnostic::questionnaire().questions().take(3).collect();
    for (i, question) in questions.iter().enumerate() {
        let now = 1_800_000_000_000 + i as u64;
        replica.record(
            op_id(now, [i as u8; 10]),
            now,
            "2026",
            &question.id,
            Some(question.answers[i % question.answers.len()].id.clone()),
            Some("voir avec la DGS".into()),
        );
    }
    serde_json::to_value(&replica).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(mutate::cases(1_000)))]

    #[test]
    fn damaged_content_never_panics_and_valid_content_scores(
        bytes in mutate::damaged(content(), 6),
        pick in 0..8usize,
    ) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(q) = Questionnaire::from_json(&text) {
            let outline = q.outline();
            prop_assert!(outline.questions().count() == q.questions().count());
            if diagnostic::validate(&q, "fuzz.json").is_ok() {
                let scores = diagnostic::score(&q, &answers(&q, pick));
                let _ = format!("{scores:?}");
            }
        }
    }

    #[test]
    fn damaged_replica_documents_never_panic(bytes in mutate::damaged(replica_document(), 6)) {
        if let Ok(mut replica) = serde_json::from_slice::<Replica>(&bytes) {
            let _ = replica.answers();
            let _ = replica.conflicts();
            let _ = replica.view("2026");
            let _ = replica.pending();
            let _ = replica.set_aside_invalid(diagnostic::questionnaire());
            let _ = replica.send(50);
        }
    }

    #[test]
    fn merge_of_wild_operations_depends_only_on_their_set(
        ops in proptest::collection::vec(wild_operation(), 0..30),
        rotate in any::<Index>(),
        repeats in proptest::collection::vec(any::<Index>(), 0..10),
        split in any::<Index>(),
    ) {
        let mut shuffled = ops.clone();
        if !shuffled.is_empty() {
            let k = rotate.index(shuffled.len());
            shuffled.rotate_left(k);
            shuffled.reverse();
            for index in &repeats {
                shuffled.push(index.get(&ops).clone());
            }
        }
        let merged = merge(&ops);
        prop_assert_eq!(&merged, &merge(&shuffled));
        prop_assert_eq!(conflicts(&ops), conflicts(&shuffled));
        for conflict in conflicts(&ops) {
            let answer = merged.get(&conflict.campaign)
                .and_then(|answers| answers.get(&conflict.question))
                .cloned();
            prop_assert_eq!(conflict.winner().answer(), answer);
        }
        // Two phones receiving them in two orders, in two batches each, see the same answers
        // (ids unique here: a phone takes the server's copy of an id as authoritative).
        let mut unique: BTreeMap<&str, &Operation> = BTreeMap::new();
        for op in &ops {
            unique.entry(op.id.as_str()).or_insert(op);
        }
        let unique: Vec<Operation> = unique.into_values().cloned().collect();
        let at = split.index(unique.len() + 1);
        let (mut first, mut second) = (Replica::new("x"), Replica::new("y"));
        first.receive(unique[..at].iter().cloned(), 0);
        first.receive(unique[at..].iter().cloned(), 0);
        second.receive(unique.iter().rev().cloned(), 0);
        second.receive(unique.iter().cloned(), 0);
        prop_assert_eq!(first.answers(), second.answers());
        prop_assert_eq!(first.conflicts(), second.conflicts());
        prop_assert_eq!(first.answers(), merge(&unique));
    }
}
