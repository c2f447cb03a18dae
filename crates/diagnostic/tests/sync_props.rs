//! Property tests of the sync merge: whatever the interleaving of answers, pushes and pulls
//! across several devices and a server — with lost acknowledgements (retried pushes, so
//! duplicates), repeated and reversed pull pages, clocks far ahead that the server clamps —
//! every replica ends with the same answers and conflicts as the server, every operation is kept
//! everywhere, no device is ever in conflict with itself, and every device's clock only moves
//! forward. The devices run the replica the app ships ([`Replica`]): answers fold while unsent,
//! pushes take [`Replica::send`]'s batch and feed [`Replica::acknowledge`]. After every step,
//! each replica's incrementally kept view (answers, conflicts, heads, the campaign view with its
//! plan) equals the protocol's merge of its whole log and a replica rebuilt from that log.

use std::collections::{BTreeMap, BTreeSet};

use diagnostic::sync::{
    clamp, conflicts, heads, merge, observe, op_id, plan_key, tick, Clamped, Hlc, Operation,
    PushAck, Replica, MAX_COUNTER,
};
use proptest::prelude::*;

const START_MS: u64 = 1_800_000_000_000;

/// A few real questions with their options, so operations are valid content, and the plan entry
/// of the first (its statuses as options), so the campaign view's plan is exercised too.
fn questions() -> Vec<(String, Vec<String>)> {
    let mut questions: Vec<(String, Vec<String>)> = diagnostic::questionnaire()
        .questions()
        .take(3)
        .map(|q| {
            (
                q.id.clone(),
                q.answers.iter().map(|o| o.id.clone()).collect(),
            )
        })
        .collect();
    let plan = ["todo", "doing", "done"].map(String::from).to_vec();
    questions.push((plan_key(&questions[0].0), plan));
    questions
}

/// What the replica keeps incrementally equals what its whole log says: the protocol's merge and
/// conflicts, every question's heads, and the view of a replica rebuilt from the same parts.
fn assert_view_is_the_logs(replica: &Replica) {
    let log = || replica.ops.values();
    assert_eq!(replica.answers(), merge(log()), "answers");
    assert_eq!(replica.conflicts(), conflicts(log()), "conflicts");
    for op in log() {
        let expected: Vec<&Operation> = heads(log(), &op.campaign, &op.question);
        let kept: Vec<&Operation> = replica
            .ops
            .heads(&op.campaign, &op.question)
            .iter()
            .collect();
        assert_eq!(kept, expected, "heads of {}", op.question);
    }
    let rebuilt = Replica::from_log(
        replica.clock.clone(),
        log().cloned(),
        replica.outbox.clone(),
        replica.sent.clone(),
        replica.set_aside.clone(),
    );
    assert_eq!(&rebuilt, replica);
    assert_eq!(rebuilt.view("2026"), replica.view("2026"), "campaign view");
}

#[derive(Debug, Clone)]
enum Action {
    Answer {
        device: usize,
        question: usize,
        option: Option<usize>,
        comment: bool,
    },
    Resolve {
        device: usize,
        pick: usize,
        keep: bool,
    },
    Push {
        device: usize,
        lose_ack: bool,
        reverse: bool,
    },
    Pull {
        device: usize,
        limit: usize,
        lose_reply: bool,
        reverse: bool,
    },
    Wait {
        ms: u64,
    },
}

fn action(devices: usize) -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0..devices, 0..4usize, proptest::option::of(0..4usize), any::<bool>()).prop_map(
            |(device, question, option, comment)| Action::Answer { device, question, option, comment }
        ),
        1 => (0..devices, any::<usize>(), any::<bool>())
            .prop_map(|(device, pick, keep)| Action::Resolve { device, pick, keep }),
        3 => (0..devices, any::<bool>(), any::<bool>())
            .prop_map(|(device, lose_ack, reverse)| Action::Push { device, lose_ack, reverse }),
        3 => (0..devices, 1..6usize, any::<bool>(), any::<bool>()).prop_map(
            |(device, limit, lose_reply, reverse)| Action::Pull { device, limit, lose_reply, reverse }
        ),
        1 => (0..400_000u64).prop_map(|ms| Action::Wait { ms }),
    ]
}

struct Device {
    replica: Replica,
    cursor: usize,
    /// How far this phone's wall clock is from true time (some are hours ahead).
    skew_ms: i64,
}

struct Server {
    log: Vec<Operation>,
    ids: BTreeSet<String>,
    clock: Hlc,
}

impl Server {
    /// Stores what is new (clamping clocks too far ahead), returns the acknowledged ids and the
    /// stored copies of the clamped operations.
    fn push(&mut self, ops: &[Operation], now: u64) -> (Vec<String>, Vec<Operation>) {
        let mut clamped = Vec::new();
        for op in ops {
            if self.ids.insert(op.id.clone()) {
                let mut stored = op.clone();
                if let Some(clock) = clamp(&op.clock, now) {
                    stored.clock = clock;
                    clamped.push(stored.clone());
                }
                self.clock = observe(&self.clock, &stored.clock, now);
                self.log.push(stored);
            }
        }
        (ops.iter().map(|op| op.id.clone()).collect(), clamped)
    }
}

struct World {
    questions: Vec<(String, Vec<String>)>,
    devices: Vec<Device>,
    server: Server,
    now: u64,
    next_id: u64,
    created: BTreeSet<String>,
}

impl World {
    fn new(skews: Vec<i64>) -> Self {
        World {
            questions: questions(),
            devices: skews
                .into_iter()
                .enumerate()
                .map(|(i, skew_ms)| Device {
                    replica: Replica::new(format!("device-{i}")),
                    cursor: 0,
                    skew_ms,
                })
                .collect(),
            server: Server {
                log: Vec::new(),
                ids: BTreeSet::new(),
                clock: Hlc::zero("server"),
            },
            now: START_MS,
            next_id: 0,
            created: BTreeSet::new(),
        }
    }

    fn local_now(&self, device: usize) -> u64 {
        self.now.saturating_add_signed(self.devices[device].skew_ms)
    }

    fn fresh_id(&mut self, device: usize) -> String {
        self.next_id += 1;
        let mut random = [0u8; 10];
        random[2..].copy_from_slice(&self.next_id.to_be_bytes());
        let id = op_id(self.local_now(device), random);
        self.created.insert(id.clone());
        id
    }

    fn apply(&mut self, action: &Action) {
        self.now += 1;
        match *action {
            Action::Answer {
                device,
                question,
                option,
                comment,
            } => {
                let id = self.fresh_id(device);
                let now = self.local_now(device);
                let (question, options) = &self.questions[question];
                let option = option.map(|i| options[i % options.len()].clone());
                let comment = comment.then(|| format!("note {id}"));
                let d = &mut self.devices[device];
                let before = d.replica.clock.clone();
                let unsent: Vec<String> = d.replica.outbox.clone();
                d.replica.change(id, now, "2026", question, option, comment);
                assert!(d.replica.clock > before, "tick moves the clock forward");
                // A change folded into an unsent one replaces it: that one never existed.
                for folded in unsent.iter().filter(|id| !d.replica.ops.contains_key(*id)) {
                    assert!(
                        !d.replica.sent.contains(folded),
                        "a sent operation never folds"
                    );
                    self.created.remove(folded);
                }
            }
            Action::Resolve { device, pick, keep } => {
                let open = self.devices[device].replica.conflicts();
                if open.is_empty() {
                    return;
                }
                let conflict = open[pick % open.len()].clone();
                let id = self.fresh_id(device);
                let now = self.local_now(device);
                let chosen = &conflict.ops[pick % conflict.ops.len()];
                let (option, comment) = if keep {
                    (chosen.option.clone(), chosen.comment.clone())
                } else {
                    (None, Some("effacé après discussion".to_string()))
                };
                let d = &mut self.devices[device];
                d.replica.resolve(id, now, &conflict, option, comment);
                assert!(
                    !d.replica
                        .conflicts()
                        .iter()
                        .any(|c| c.question == conflict.question),
                    "a resolution settles its conflict locally"
                );
            }
            Action::Push {
                device,
                lose_ack,
                reverse,
            } => self.push(device, lose_ack, reverse),
            Action::Pull {
                device,
                limit,
                lose_reply,
                reverse,
            } => self.pull(device, limit, lose_reply, reverse),
            Action::Wait { ms } => self.now += ms,
        }
        for device in &self.devices {
            assert_view_is_the_logs(&device.replica);
        }
    }

    fn push(&mut self, device: usize, lose_ack: bool, reverse: bool) {
        let now = self.now;
        let local_now = self.local_now(device);
        let d = &mut self.devices[device];
        let mut batch = d.replica.send(usize::MAX);
        if reverse {
            batch.reverse();
        }
        let (acknowledged, clamped) = self.server.push(&batch, now);
        if lose_ack {
            return; // The device never hears back: it will push the same operations again.
        }
        let before = d.replica.clock.clone();
        let ack = PushAck {
            acknowledged,
            clamped: clamped
                .into_iter()
                .map(|op| Clamped {
                    id: op.id,
                    clock: op.clock,
                })
                .collect(),
            clock: self.server.clock.clone(),
            epoch: String::new(),
        };
        d.replica.acknowledge(&ack, local_now);
        assert!(d.replica.clock > before, "observe moves the clock forward");
    }

    fn pull(&mut self, device: usize, limit: usize, lose_reply: bool, reverse: bool) {
        let local_now = self.local_now(device);
        let d = &mut self.devices[device];
        let end = (d.cursor + limit).min(self.server.log.len());
        let mut page = self.server.log[d.cursor..end].to_vec();
        if reverse {
            page.reverse();
        }
        let before = d.replica.clock.clone();
        d.replica.receive(page, local_now);
        d.replica.observe(&self.server.clock, local_now);
        assert!(d.replica.clock > before, "observe moves the clock forward");
        if !lose_reply {
            d.cursor = end;
        }
    }

    /// Every device pushes its outbox then pulls until caught up.
    fn settle(&mut self) {
        for device in 0..self.devices.len() {
            self.push(device, false, false);
            assert!(self.devices[device].replica.outbox.is_empty());
            assert!(self.devices[device].replica.sent.is_empty());
        }
        for device in 0..self.devices.len() {
            while self.devices[device].cursor < self.server.log.len() {
                self.pull(device, 3, false, false);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_keep_every_operation(
        (skews, actions) in (2..=4usize).prop_flat_map(|n| (
            proptest::collection::vec(
                prop_oneof![3 => -60_000i64..60_000, 1 => 3_600_000i64..7_200_000],
                n,
            ),
            proptest::collection::vec(action(n), 0..60),
        ))
    ) {
        let mut world = World::new(skews);
        for action in &actions {
            world.apply(action);
        }
        world.settle();

        let server_ids: Vec<&String> = world.server.log.iter().map(|op| &op.id).collect();
        let unique: BTreeSet<&String> = server_ids.iter().copied().collect();
        prop_assert_eq!(unique.len(), server_ids.len(), "the server stores each operation once");
        prop_assert_eq!(
            unique.iter().map(|id| id.to_string()).collect::<BTreeSet<_>>(),
            world.created.clone(),
            "the server kept every operation"
        );
        let answers = merge(&world.server.log);
        let open = conflicts(&world.server.log);
        for conflict in &open {
            let devices: BTreeSet<&str> = conflict.ops.iter().map(|op| op.device.as_str()).collect();
            prop_assert_eq!(devices.len(), conflict.ops.len(), "no device is in conflict with itself");
        }
        for device in &world.devices {
            let kept: BTreeSet<String> = device.replica.ops.keys().cloned().collect();
            prop_assert_eq!(&kept, &world.created, "{} kept every operation", device.replica.device());
            prop_assert_eq!(&device.replica.answers(), &answers);
            prop_assert_eq!(&device.replica.conflicts(), &open);
            let server_copy: BTreeMap<&String, &Operation> =
                world.server.log.iter().map(|op| (&op.id, op)).collect();
            for (id, op) in &device.replica.ops {
                prop_assert_eq!(server_copy[id], op, "the server's copy replaced the local one");
            }
        }
    }

    #[test]
    fn merge_ignores_order_and_repetition(
        specs in proptest::collection::vec(
            (0..3usize, 0..2usize, proptest::option::of(0..3usize), 0..4u64, 0..3u32,
             proptest::collection::vec(any::<prop::sample::Index>(), 0..3)),
            1..25,
        ),
        shuffle in any::<prop::sample::Index>(),
        duplicates in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let devices = ["a", "b", "c"];
        let questions = ["q1", "q2"];
        let mut ops: Vec<Operation> = Vec::new();
        for (i, (device, question, option, wall, counter, base)) in specs.into_iter().enumerate() {
            let earlier: Vec<String> = ops
                .iter()
                .filter(|op| op.question == questions[question])
                .map(|op| op.id.clone())
                .collect();
            let base = if earlier.is_empty() {
                Vec::new()
            } else {
                base.iter().map(|index| index.get(&earlier).clone()).collect()
            };
            let mut random = [0u8; 10];
            random[9] = i as u8;
            ops.push(Operation {
                id: op_id(START_MS + i as u64, random),
                device: devices[device].into(),
                campaign: "2026".into(),
                question: questions[question].into(),
                option: option.map(|o| format!("stage-{o}")),
                comment: None,
                clock: Hlc { wall_ms: START_MS + wall, counter, device: devices[device].into() },
                base,
            });
        }
        let mut shuffled = ops.clone();
        let n = shuffled.len();
        let k = shuffle.index(n);
        shuffled.rotate_left(k);
        shuffled.reverse();
        for index in &duplicates {
            shuffled.push(index.get(&ops).clone());
        }
        prop_assert_eq!(merge(&ops), merge(&shuffled));
        prop_assert_eq!(conflicts(&ops), conflicts(&shuffled));
        // Every conflict's winner is the merged answer.
        let merged = merge(&ops);
        for conflict in conflicts(&ops) {
            let answer = merged.get("2026").and_then(|a| a.get(&conflict.question)).cloned();
            prop_assert_eq!(conflict.winner().answer(), answer);
        }
    }

    #[test]
    fn hlc_is_monotonic(
        start in (0..2_000u64, 0..=MAX_COUNTER),
        steps in proptest::collection::vec(
            (any::<bool>(), 0..3_000u64, 0..3_000u64, 0..=MAX_COUNTER),
            1..50,
        ),
    ) {
        let mut local = Hlc { wall_ms: start.0, counter: start.1, device: "a".into() };
        for (is_tick, now, remote_wall, remote_counter) in steps {
            let remote = Hlc { wall_ms: remote_wall, counter: remote_counter, device: "b".into() };
            let next = if is_tick { tick(&local, now) } else { observe(&local, &remote, now) };
            prop_assert!((next.wall_ms, next.counter) > (local.wall_ms, local.counter));
            prop_assert!(next.wall_ms >= now);
            prop_assert!(next.counter <= MAX_COUNTER);
            if !is_tick {
                prop_assert!((next.wall_ms, next.counter) > (remote.wall_ms, remote.counter));
            }
            prop_assert_eq!(&next.device, "a");
            local = next;
        }
    }
}
