//! A deterministic simulation of a town: 2 to 6 phones running the replica the app ships
//! ([`Replica`], stored as the app stores it — JSON — and restarted from it), a server running the
//! server's own push and pull rules ([`diagnostic::sync::server`]) over an in-memory log, and a
//! seeded scheduler — no wall clock, no threads — that delays, reorders, duplicates and drops
//! messages, loses acknowledgements, kills phones (also between two writes, and between storing
//! a push and sending it), restarts them from what they stored, and sets their clocks hours off.
//!
//! After a final round without faults, it checks:
//! 1. every operation acknowledged to a phone, and every one a phone still stores, is on every
//!    phone, and every phone's log is the server's (same operations, same clocks);
//! 2. every phone shows the same answers and the same conflicts, and nothing waits to be sent;
//! 3. of two causally ordered answers to a question the later one wins: the retained answer
//!    happened before no other answer to its question (causality as Lamport defines it, tracked
//!    by the harness beside the messages), and a conflict never opposes an answer to one its
//!    author's phone already had when it answered.
//!
//! A failing schedule is shrunk (steps dropped while it still fails) and printed with its seed:
//! `SIM_SEED=<n> make sim` replays it. `SIM_SCHEDULES` sets how many seeds run (default 10,000).
//! Planted bugs — switches of this harness's own wiring, never of the shipped code — show that
//! the checks can fail.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use diagnostic::sync::server::{self as rules, NewOp, PullRequest, Stored, TownClock};
use diagnostic::sync::{heads, op_id, Hlc, Operation, PullPage, PushAck, Replica};

const START_MS: u64 = 1_800_000_000_000;
const CAMPAIGN: &str = "2026";
/// Small pages and batches, so that a phone answers between two pages of one exchange.
const PULL_LIMIT: u32 = 2;
const PUSH_BATCH: usize = 2;
const QUESTIONS: usize = 3;
const HOUR_MS: i64 = 3_600_000;

// ------------------------------------------------------------------------------------------------
// Seeded randomness (SplitMix64: tiny, and the same on every platform)

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn skew(&mut self) -> i64 {
        match self.below(4) {
            0 | 1 => 0,
            2 => self.below(20 * 60_000) as i64 - 10 * 60_000,
            _ => self.below(6 * HOUR_MS as usize) as i64 - 3 * HOUR_MS,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Schedules

/// One step of a schedule. Indices are taken modulo what exists when the step runs, so any
/// subsequence of a schedule is a schedule (which is what shrinking needs).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// The phone's official answers a question (a tap: folds into an unsent change).
    Answer {
        phone: usize,
        question: usize,
        option: usize,
        salt: u64,
    },
    /// The official settles a conflict the phone shows, keeping one of its answers.
    Resolve {
        phone: usize,
        keep: usize,
        salt: u64,
    },
    /// The phone starts an exchange (push what waits, then pull), unless one is under way.
    Sync {
        phone: usize,
    },
    /// The network delivers one message in flight (any of them: reordering).
    Deliver {
        pick: usize,
    },
    Duplicate {
        pick: usize,
    },
    /// A message is lost (a request, or an acknowledgement).
    Drop {
        pick: usize,
    },
    /// The phone stops waiting for an answer (a timeout).
    GiveUp {
        phone: usize,
    },
    /// The server restarts (at least a second): its log stays, its memory goes.
    ServerRestart,
    /// The phone dies: what it did not store is lost.
    Crash {
        phone: usize,
    },
    /// The phone will die between the two writes of its next two-write action (storing a push
    /// and sending it; storing a page and its cursor).
    CrashMidway {
        phone: usize,
    },
    Restart {
        phone: usize,
    },
    Wait {
        ms: u64,
    },
    /// The phone's clock is set to another time (hours off, or back to the right time).
    SetClock {
        phone: usize,
        skew_ms: i64,
    },
}

#[derive(Debug, Clone)]
struct Schedule {
    skews: Vec<i64>,
    steps: Vec<Step>,
}

impl Schedule {
    fn generate(seed: u64) -> Schedule {
        let mut rng = Rng(seed);
        let phones = 2 + rng.below(5);
        let skews = (0..phones).map(|_| rng.skew()).collect();
        let len = 20 + rng.below(100);
        let steps = (0..len)
            .map(|_| {
                let phone = rng.below(phones);
                let pick = rng.below(64);
                match rng.below(100) {
                    0..=19 => Step::Answer {
                        phone,
                        question: rng.below(QUESTIONS),
                        option: rng.below(3),
                        salt: rng.next(),
                    },
                    20..=22 => Step::Resolve {
                        phone,
                        keep: pick,
                        salt: rng.next(),
                    },
                    23..=36 => Step::Sync { phone },
                    37..=66 => Step::Deliver { pick },
                    67..=70 => Step::Duplicate { pick },
                    71..=75 => Step::Drop { pick },
                    76..=79 => Step::GiveUp { phone },
                    80..=82 => Step::Crash { phone },
                    83..=85 => Step::CrashMidway { phone },
                    86..=90 => Step::Restart { phone },
                    97 => Step::ServerRestart,
                    91..=96 => Step::Wait {
                        ms: 1 + rng.below(120_000) as u64,
                    },
                    _ => Step::SetClock {
                        phone,
                        skew_ms: rng.skew(),
                    },
                }
            })
            .collect();
        Schedule { skews, steps }
    }
}

/// A bug planted in the harness's wiring of the shipped code, to show that the checks catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Planted {
    None,
    /// Replies reach the replica without the server's clock (an exchange that skips `observe`).
    SkipObserve,
    /// A push leaves before the replica that marks it sent is stored.
    SendBeforeStore,
    /// The pull cursor is stored before the page it follows.
    CursorBeforePage,
}

// ------------------------------------------------------------------------------------------------
// The town

/// Ids of the operations that happened before an event (Lamport's relation), tracked by the
/// harness beside the messages: what the clocks are meant to respect.
type Past = BTreeSet<String>;

#[derive(Debug, Clone)]
enum Body {
    Push(Vec<Operation>),
    Pull(u64),
    Ack(PushAck),
    Page(PullPage),
}

/// A phone's write: its campaign document, its cursor, or a request leaving.
#[derive(Debug)]
enum Write {
    Replica,
    Cursor(u64),
    Send(Body),
}

impl Write {
    fn describe(&self) -> String {
        match self {
            Write::Replica => "stores its replica".into(),
            Write::Cursor(cursor) => format!("stores cursor {cursor}"),
            Write::Send(_) => "sends the push".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Message {
    phone: usize,
    request: u64,
    body: Body,
    /// For a reply: what the server's clock covers when it answers.
    past: Past,
}

/// What a phone keeps across a crash: its campaign document and its settings' cursor, written
/// separately (two `setItem`s in the app), and the harness's note of what its clock covers.
#[derive(Debug, Clone)]
struct Disk {
    replica: String,
    past: Past,
    cursor: u64,
}

#[derive(Debug)]
struct Running {
    replica: Replica,
    cursor: u64,
    past: Past,
    /// The request this phone waits an answer for.
    waiting: Option<u64>,
}

#[derive(Debug)]
struct Phone {
    device: String,
    skew_ms: i64,
    disk: Disk,
    running: Option<Running>,
    dies_midway: bool,
}

#[derive(Debug, Default)]
struct Server {
    /// The town's log; an operation's sequence number is its index plus one.
    log: Vec<NewOp>,
    by_id: HashMap<String, usize>,
    clock: TownClock,
    /// What the town's clock covers: every stored operation and what happened before it.
    past: Past,
    retries: usize,
}

impl Server {
    /// A push, through the server's rules, as the handler runs them.
    fn push(&mut self, device: &str, ops: &[Operation], now: u64) -> Result<PushAck, String> {
        let checked = rules::check_batch(ops, device, diagnostic::questionnaire())
            .map_err(|e| e.to_string())?;
        let batch = rules::prepare(checked, now, &self.clock);
        let sorted = rules::sort_batch(&batch, |id| {
            self.by_id
                .get(id)
                .map(|&index| Stored::Here(Box::new(self.log[index].clone())))
        })
        .map_err(|e| e.to_string())?;
        self.retries += sorted.retried.len();
        let fresh: Vec<NewOp> = sorted.fresh.into_iter().cloned().collect();
        for (seq, new) in rules::numbered(self.log.len() as u64, &fresh) {
            self.by_id.insert(new.op.id.clone(), seq as usize - 1);
            self.log.push(new.clone());
        }
        if let Some(latest) = rules::latest_stored(&batch, &sorted.retried) {
            self.clock.observe(latest, now);
        }
        Ok(rules::acknowledgement(
            &batch,
            &sorted.retried,
            self.clock.read(now),
        ))
    }

    fn pull(&mut self, after: u64, now: u64) -> Result<PullPage, String> {
        let request = PullRequest::new(after, Some(PULL_LIMIT)).map_err(|e| e.to_string())?;
        let rows = self
            .log
            .iter()
            .enumerate()
            .skip(after as usize)
            .take(request.read_limit() as usize)
            .map(|(index, new)| (index as u64 + 1, new.op.clone()))
            .collect();
        request
            .page(rows, self.log.len() as u64, self.clock.read(now))
            .map_err(|e| e.to_string())
    }
}

/// How often a schedule reached the situations the checks are about: a run where one of them
/// never happens would pass without testing it.
#[derive(Debug, Default, Clone, Copy)]
struct Coverage {
    /// Acknowledgements that gave a phone a clamped clock.
    clamped: usize,
    /// Pushes the server recognised as retries.
    retries: usize,
    /// Replies a phone no longer waited for (a timeout, a duplicate).
    stale_replies: usize,
    /// Answers given while an exchange was under way.
    answered_mid_exchange: usize,
    resolved: usize,
    /// Deaths between two writes.
    midway_crashes: usize,
    /// Schedules that end with a conflict shown.
    ending_in_conflict: usize,
}

impl Coverage {
    fn add(&mut self, other: Coverage) {
        self.clamped += other.clamped;
        self.retries += other.retries;
        self.stale_replies += other.stale_replies;
        self.answered_mid_exchange += other.answered_mid_exchange;
        self.resolved += other.resolved;
        self.midway_crashes += other.midway_crashes;
        self.ending_in_conflict += other.ending_in_conflict;
    }

    fn all_reached(&self) -> bool {
        [
            self.clamped,
            self.retries,
            self.stale_replies,
            self.answered_mid_exchange,
            self.resolved,
            self.midway_crashes,
            self.ending_in_conflict,
        ]
        .iter()
        .all(|&count| count > 0)
    }
}

struct Town {
    planted: Planted,
    now: u64,
    phones: Vec<Phone>,
    server: Server,
    network: Vec<Message>,
    next_request: u64,
    /// Ids the server acknowledged to a phone that took the acknowledgement in.
    acknowledged: BTreeSet<String>,
    /// Per operation: what happened before it (Lamport), and what its phone's log held.
    past_of: HashMap<String, Past>,
    seen_of: HashMap<String, BTreeSet<String>>,
    trace: Option<Vec<String>>,
    coverage: Coverage,
}

/// Four hex digits of an id's random part, enough to tell a trace's operations apart.
fn short(id: &str) -> &str {
    &id[id.len() - 8..id.len() - 4]
}

fn store_replica(disk: &mut Disk, running: &Running) {
    disk.replica = serde_json::to_string(&running.replica).expect("a replica serialises");
    disk.past = running.past.clone();
}

impl Town {
    fn new(schedule: &Schedule, planted: Planted, tracing: bool) -> Town {
        let phones = schedule
            .skews
            .iter()
            .enumerate()
            .map(|(index, &skew_ms)| {
                let device = format!("phone-{index}");
                let replica = Replica::new(device.clone());
                let disk = Disk {
                    replica: serde_json::to_string(&replica).unwrap(),
                    past: Past::new(),
                    cursor: 0,
                };
                Phone {
                    device,
                    skew_ms,
                    running: Some(Running {
                        replica,
                        cursor: 0,
                        past: Past::new(),
                        waiting: None,
                    }),
                    disk,
                    dies_midway: false,
                }
            })
            .collect();
        Town {
            planted,
            now: START_MS,
            phones,
            server: Server::default(),
            network: Vec::new(),
            next_request: 0,
            acknowledged: BTreeSet::new(),
            past_of: HashMap::new(),
            seen_of: HashMap::new(),
            trace: tracing.then(Vec::new),
            coverage: Coverage::default(),
        }
    }

    fn log(&mut self, line: impl FnOnce() -> String) {
        if let Some(trace) = &mut self.trace {
            trace.push(line());
        }
    }

    fn phone_now(&self, phone: usize) -> u64 {
        self.now.saturating_add_signed(self.phones[phone].skew_ms)
    }

    fn send(&mut self, phone: usize, body: Body) {
        let request = self.next_request;
        self.next_request += 1;
        if let Some(running) = &mut self.phones[phone].running {
            running.waiting = Some(request);
        }
        self.network.push(Message {
            phone,
            request,
            body,
            past: Past::new(),
        });
    }

    /// The phone's next request of an exchange: a push while operations wait, then pulls.
    fn next_request(&mut self, phone: usize) -> Result<(), String> {
        let Some(running) = &mut self.phones[phone].running else {
            return Ok(());
        };
        let (batch, cursor) = (running.replica.send(PUSH_BATCH), running.cursor);
        if batch.is_empty() {
            self.log(|| format!("  phone {phone} pulls after {cursor}"));
            self.send(phone, Body::Pull(cursor));
            return Ok(());
        }
        let ids: Vec<String> = batch.iter().map(|op| short(&op.id).to_string()).collect();
        self.log(|| format!("  phone {phone} pushes {ids:?}"));
        let (store, send) = (Write::Replica, Write::Send(Body::Push(batch)));
        if self.planted == Planted::SendBeforeStore {
            self.write_both(phone, send, store);
        } else {
            self.write_both(phone, store, send);
        }
        Ok(())
    }

    fn write(&mut self, phone: usize, write: Write) {
        match write {
            Write::Replica => self.store(phone),
            Write::Cursor(cursor) => self.phones[phone].disk.cursor = cursor,
            Write::Send(body) => self.send(phone, body),
        }
    }

    /// Two writes in order; a phone meant to die midway dies between them. Whether it died.
    fn write_both(&mut self, phone: usize, first: Write, second: Write) -> bool {
        let (done, skipped) = (first.describe(), second.describe());
        self.write(phone, first);
        if self.phones[phone].dies_midway {
            self.log(|| format!("  phone {phone} {done}, dies before it {skipped}"));
            self.coverage.midway_crashes += 1;
            self.crash(phone);
            return true;
        }
        self.write(phone, second);
        false
    }

    /// The phone writes its campaign document.
    fn store(&mut self, phone: usize) {
        let p = &mut self.phones[phone];
        if let Some(running) = &p.running {
            store_replica(&mut p.disk, running);
        }
    }

    fn crash(&mut self, phone: usize) {
        let p = &mut self.phones[phone];
        p.running = None;
        p.dies_midway = false;
    }

    fn record(
        &mut self,
        phone: usize,
        salt: u64,
        resolve: Option<usize>,
        question: usize,
        option: usize,
    ) {
        let now = self.phone_now(phone);
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&salt.to_be_bytes());
        let id = op_id(now, random);
        let questionnaire = diagnostic::questionnaire();
        let questions: Vec<_> = questionnaire.questions().take(QUESTIONS).collect();
        let p = &mut self.phones[phone];
        let Some(running) = &mut p.running else {
            return;
        };
        let seen: BTreeSet<String> = running.replica.ops.keys().cloned().collect();
        self.coverage.answered_mid_exchange += usize::from(running.waiting.is_some());
        let op = match resolve {
            Some(keep) => {
                let conflicts = running.replica.conflicts();
                if conflicts.is_empty() {
                    return;
                }
                let conflict = &conflicts[keep % conflicts.len()];
                let kept = &conflict.ops[keep / conflicts.len() % conflict.ops.len()];
                let (option, comment) = (kept.option.clone(), kept.comment.clone());
                self.coverage.resolved += 1;
                running.replica.resolve(id, now, conflict, option, comment)
            }
            None => {
                let question = questions[question % questions.len()];
                let option = question.answers[option % question.answers.len()].id.clone();
                running
                    .replica
                    .change(id, now, CAMPAIGN, &question.id, Some(option), None)
            }
        };
        self.past_of.insert(op.id.clone(), running.past.clone());
        self.seen_of.insert(op.id.clone(), seen);
        running.past.insert(op.id.clone());
        // The app stores the campaign at once, before anything is sent.
        store_replica(&mut p.disk, running);
        let line = format!(
            "  phone {phone} records {} on {} = {:?} base {:?} clock {}+{}",
            short(&op.id),
            op.question,
            op.option,
            op.base.iter().map(|b| short(b)).collect::<Vec<_>>(),
            op.clock.wall_ms as i64 - START_MS as i64,
            op.clock.counter
        );
        self.log(|| line);
    }

    /// The server answers a request.
    fn serve(&mut self, message: Message) -> Result<(), String> {
        let now = self.now;
        let device = self.phones[message.phone].device.clone();
        let body = match message.body {
            Body::Push(ops) => {
                let ack = self.server.push(&device, &ops, now).map_err(|e| {
                    format!("the server refused a push of phone {}: {e}", message.phone)
                })?;
                for op in &ops {
                    self.server.past.insert(op.id.clone());
                    if let Some(past) = self.past_of.get(&op.id) {
                        self.server.past.extend(past.iter().cloned());
                    }
                }
                Body::Ack(ack)
            }
            Body::Pull(after) => Body::Page(self.server.pull(after, now).map_err(|e| {
                format!("the server refused a pull of phone {}: {e}", message.phone)
            })?),
            Body::Ack(_) | Body::Page(_) => unreachable!("replies go to phones"),
        };
        let mut reply = Message {
            phone: message.phone,
            request: message.request,
            body,
            past: self.server.past.clone(),
        };
        if self.planted == Planted::SkipObserve {
            let zero = Hlc::zero(rules::SERVER_DEVICE);
            match &mut reply.body {
                Body::Ack(ack) => ack.clock = zero,
                Body::Page(page) => page.clock = zero,
                _ => {}
            }
        }
        self.network.push(reply);
        Ok(())
    }

    /// A phone takes a reply in.
    fn take_reply(&mut self, message: Message) -> Result<(), String> {
        let phone = message.phone;
        let now = self.phone_now(phone);
        let planted = self.planted;
        let p = &mut self.phones[phone];
        let Some(running) = &mut p.running else {
            return Ok(());
        };
        if running.waiting != Some(message.request) {
            // An answer to a request given up, or a copy: the fetch is gone.
            self.coverage.stale_replies += 1;
            return Ok(());
        }
        running.past.extend(message.past);
        match message.body {
            Body::Ack(ack) => {
                running.replica.acknowledge(&ack, now);
                store_replica(&mut p.disk, running);
                self.acknowledged.extend(ack.acknowledged.iter().cloned());
                self.coverage.clamped += ack.clamped.len();
                let ids: Vec<&str> = ack.acknowledged.iter().map(|id| short(id)).collect();
                let line = format!("  phone {phone} takes ack {ids:?}");
                self.log(|| line);
                self.next_request(phone)
            }
            Body::Page(page) => {
                let ids: Vec<String> = page
                    .ops
                    .iter()
                    .map(|op| short(&op.id).to_string())
                    .collect();
                let (next, more) = (page.next, page.more);
                running.replica.receive(page.ops, now);
                running.replica.observe(&page.clock, now);
                running.cursor = next;
                let (page, cursor) = (Write::Replica, Write::Cursor(next));
                let died = if planted == Planted::CursorBeforePage {
                    self.write_both(phone, cursor, page)
                } else {
                    self.write_both(phone, page, cursor)
                };
                if died {
                    return Ok(());
                }
                self.log(|| format!("  phone {phone} takes page {ids:?} next {next} more {more}"));
                if more {
                    self.next_request(phone)
                } else {
                    running_of(&mut self.phones[phone]).waiting = None;
                    Ok(())
                }
            }
            Body::Push(_) | Body::Pull(_) => unreachable!("requests go to the server"),
        }
    }

    fn restart(&mut self, phone: usize) {
        let p = &mut self.phones[phone];
        if p.running.is_some() {
            return;
        }
        let replica: Replica =
            serde_json::from_str(&p.disk.replica).expect("the stored replica reads back");
        p.running = Some(Running {
            replica,
            cursor: p.disk.cursor,
            past: p.disk.past.clone(),
            waiting: None,
        });
    }

    fn step(&mut self, step: &Step) -> Result<(), String> {
        self.log(|| format!("{step:?}"));
        match *step {
            Step::Answer {
                phone,
                question,
                option,
                salt,
            } => self.record(phone, salt, None, question, option),
            Step::Resolve { phone, keep, salt } => self.record(phone, salt, Some(keep), 0, 0),
            Step::Sync { phone } => {
                if self.phones[phone]
                    .running
                    .as_ref()
                    .is_some_and(|r| r.waiting.is_none())
                {
                    return self.next_request(phone);
                }
            }
            Step::Deliver { pick } => {
                if !self.network.is_empty() {
                    let message = self.network.remove(pick % self.network.len());
                    return match message.body {
                        Body::Push(_) | Body::Pull(_) => self.serve(message),
                        Body::Ack(_) | Body::Page(_) => self.take_reply(message),
                    };
                }
            }
            Step::Duplicate { pick } => {
                if !self.network.is_empty() {
                    let copy = self.network[pick % self.network.len()].clone();
                    self.network.push(copy);
                }
            }
            Step::Drop { pick } => {
                if !self.network.is_empty() {
                    self.network.remove(pick % self.network.len());
                }
            }
            Step::GiveUp { phone } => {
                if let Some(running) = &mut self.phones[phone].running {
                    running.waiting = None;
                }
            }
            Step::Crash { phone } => self.crash(phone),
            Step::CrashMidway { phone } => self.phones[phone].dies_midway = true,
            Step::Restart { phone } => self.restart(phone),
            Step::Wait { ms } => self.now += ms,
            Step::ServerRestart => {
                self.now += 1_000;
                let latest = self.server.log.iter().map(|new| &new.op.clock).max();
                self.server.clock = TownClock::resumed(latest, self.now);
            }
            Step::SetClock { phone, skew_ms } => self.phones[phone].skew_ms = skew_ms,
        }
        Ok(())
    }

    /// The final round without faults: every phone restarted, nothing in flight, then each
    /// exchanges in turn until nothing moves.
    fn quiesce(&mut self) -> Result<(), String> {
        self.log(|| "-- final round without faults".into());
        self.network.clear();
        for phone in 0..self.phones.len() {
            self.phones[phone].dies_midway = false;
            self.restart(phone);
            running_of(&mut self.phones[phone]).waiting = None;
        }
        for _round in 0..2 {
            for phone in 0..self.phones.len() {
                self.next_request(phone)?;
                while let Some(message) = self.network.pop() {
                    match message.body {
                        Body::Push(_) | Body::Pull(_) => self.serve(message)?,
                        Body::Ack(_) | Body::Page(_) => self.take_reply(message)?,
                    }
                }
            }
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        let server: BTreeMap<&str, &Operation> = self
            .server
            .log
            .iter()
            .map(|new| (new.op.id.as_str(), &new.op))
            .collect();
        let mut required: BTreeSet<String> = self.acknowledged.clone();
        for p in &self.phones {
            let stored: Replica = serde_json::from_str(&p.disk.replica).unwrap();
            required.extend(stored.ops.keys().cloned());
        }
        let first = running_ref(&self.phones[0]);
        let (answers, conflicts) = (first.replica.answers(), first.replica.conflicts());
        for (index, p) in self.phones.iter().enumerate() {
            let replica = &running_ref(p).replica;
            if let Some(missing) = required.iter().find(|id| !replica.ops.contains_key(*id)) {
                return Err(format!(
                    "operation {} (acknowledged or stored) is missing on phone {index}",
                    short(missing)
                ));
            }
            let log: BTreeMap<&str, &Operation> = replica
                .ops
                .iter()
                .map(|(id, op)| (id.as_str(), op))
                .collect();
            if log != server {
                let differs = server
                    .iter()
                    .find(|(id, op)| log.get(*id) != Some(*op))
                    .map(|(id, op)| {
                        format!(
                            "{} (server {:?}, phone {:?})",
                            short(id),
                            op.clock,
                            log.get(*id).map(|o| &o.clock)
                        )
                    })
                    .or_else(|| {
                        log.keys()
                            .find(|id| !server.contains_key(*id))
                            .map(|id| format!("{} only on the phone", short(id)))
                    });
                return Err(format!(
                    "phone {index}'s log differs from the server's: {}",
                    differs.unwrap_or_default()
                ));
            }
            if !replica.outbox.is_empty() {
                return Err(format!(
                    "phone {index} still has {:?} to send",
                    replica.outbox
                ));
            }
            if replica.answers() != answers || replica.conflicts() != conflicts {
                return Err(format!(
                    "phone {index} and phone 0 disagree on answers or conflicts"
                ));
            }
        }
        // The later of two causally ordered answers wins.
        let ops: Vec<&Operation> = server.values().copied().collect();
        let questions: BTreeSet<&str> = ops.iter().map(|op| op.question.as_str()).collect();
        for question in questions {
            let heads = heads(ops.iter().copied(), CAMPAIGN, question);
            let winner = heads[0];
            if let Some(later) = ops.iter().find(|op| {
                op.question == question
                    && self
                        .past_of
                        .get(&op.id)
                        .is_some_and(|past| past.contains(&winner.id))
            }) {
                return Err(format!(
                    "on {question}, {} (clock {:?}) wins over {} (clock {:?}), which happened after it",
                    short(&winner.id),
                    winner.clock,
                    short(&later.id),
                    later.clock
                ));
            }
        }
        for conflict in &conflicts {
            for a in &conflict.ops {
                for b in &conflict.ops {
                    if self
                        .seen_of
                        .get(&b.id)
                        .is_some_and(|seen| seen.contains(&a.id))
                    {
                        return Err(format!(
                            "on {}, a conflict opposes {} to {}, whose phone had it when answering",
                            conflict.question,
                            short(&a.id),
                            short(&b.id)
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn running_of(phone: &mut Phone) -> &mut Running {
    phone.running.as_mut().expect("the phone runs")
}

fn running_ref(phone: &Phone) -> &Running {
    phone.running.as_ref().expect("the phone runs")
}

/// Runs a schedule; `Err` says what broke, with the trace when `tracing`.
fn run(schedule: &Schedule, planted: Planted, tracing: bool) -> Result<(), (String, Vec<String>)> {
    let (mut town, result) = execute(schedule, planted, tracing);
    result.map_err(|failure| (failure, town.trace.take().unwrap_or_default()))
}

fn execute(schedule: &Schedule, planted: Planted, tracing: bool) -> (Town, Result<(), String>) {
    let mut town = Town::new(schedule, planted, tracing);
    let result = schedule
        .steps
        .iter()
        .try_for_each(|step| town.step(step))
        .and_then(|()| town.quiesce())
        .and_then(|()| town.check());
    town.coverage.retries = town.server.retries;
    if let Some(phone) = town.phones[0].running.as_ref() {
        town.coverage.ending_in_conflict = usize::from(!phone.replica.conflicts().is_empty());
    }
    (town, result)
}

/// Drops steps while the schedule still fails: halves, quarters… then one by one.
fn shrink(schedule: &Schedule, planted: Planted) -> Schedule {
    let mut best = schedule.clone();
    let mut chunk = best.steps.len().max(1);
    while chunk >= 1 {
        let mut start = 0;
        let mut progress = false;
        while start < best.steps.len() {
            let mut candidate = best.clone();
            let end = (start + chunk).min(candidate.steps.len());
            candidate.steps.drain(start..end);
            if run(&candidate, planted, false).is_err() {
                best = candidate;
                progress = true;
            } else {
                start += chunk;
            }
        }
        if !progress {
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
    }
    best
}

/// The report of a failing seed: what broke, and the minimal schedule with what happened.
fn report(seed: u64, planted: Planted) -> Option<String> {
    let schedule = Schedule::generate(seed);
    run(&schedule, planted, false).err()?;
    let minimal = shrink(&schedule, planted);
    let (failure, trace) = run(&minimal, planted, true).expect_err("the shrunk schedule fails");
    let replay = match planted {
        Planted::None => format!("SIM_SEED={seed} make sim"),
        _ => format!("cargo test -p diagnostic --test simulation (planted {planted:?})"),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "seed {seed} fails: {failure}\nreplay: {replay}\n\
         minimal trace ({} of {} steps; phone clocks off by {:?} ms):",
        minimal.steps.len(),
        schedule.steps.len(),
        minimal.skews
    );
    for line in trace {
        let _ = writeln!(out, "{line}");
    }
    Some(out)
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|value| {
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not `{value}`"))
    })
}

#[test]
fn simulated_towns_converge() {
    if let Some(seed) = env_u64("SIM_SEED") {
        match report(seed, Planted::None) {
            Some(report) => panic!("{report}"),
            None => return println!("seed {seed} passes"),
        }
    }
    let schedules = env_u64("SIM_SCHEDULES").unwrap_or(10_000);
    let mut coverage = Coverage::default();
    for seed in 0..schedules {
        let (town, result) = execute(&Schedule::generate(seed), Planted::None, false);
        coverage.add(town.coverage);
        if result.is_err() {
            panic!(
                "{}",
                report(seed, Planted::None).expect("the seed fails again")
            );
        }
    }
    println!("{schedules} schedules pass; reached: {coverage:?}");
    assert!(
        coverage.all_reached(),
        "some situation was never reached: {coverage:?}"
    );
}

/// A planted bug is caught: some seed fails with it, and the same seed passes without it.
fn assert_caught(planted: Planted) {
    let seed = (0..20_000)
        .find(|&seed| run(&Schedule::generate(seed), planted, false).is_err())
        .unwrap_or_else(|| panic!("no schedule caught {planted:?} in 20,000"));
    assert!(
        run(&Schedule::generate(seed), Planted::None, false).is_ok(),
        "seed {seed} fails without {planted:?} too"
    );
    let report = report(seed, planted).expect("the seed fails again");
    println!("{report}");
    assert!(report.contains(&format!("seed {seed} fails: ")), "{report}");
}

#[test]
fn catches_skipped_observe() {
    assert_caught(Planted::SkipObserve);
}

#[test]
fn catches_sending_before_storing() {
    assert_caught(Planted::SendBeforeStore);
}

#[test]
fn catches_cursor_stored_before_its_page() {
    assert_caught(Planted::CursorBeforePage);
}
