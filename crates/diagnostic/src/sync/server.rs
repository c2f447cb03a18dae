//! The server's side of the sync protocol, as pure rules: what a push must satisfy, how a retry
//! is told from another operation reusing an id, how far ahead a clock may be, the town's clock,
//! how stored operations are numbered, and what a pull page says.
//!
//! The HTTP server (`crates/server`, its handler and both database backends) and the
//! deterministic simulation (`crates/diagnostic/tests/simulation.rs`, an in-memory log) call
//! these same functions, so the simulation exercises the rules that ship; only the storing
//! itself (SQL or a map) differs. Statuses are plain numbers because this crate has no HTTP
//! dependency.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use super::{
    clamp, observe, tick, Clamped, Hlc, Operation, PullPage, PushAck, DEFAULT_PULL_LIMIT,
    MAX_BATCH, MAX_CLOCK_AHEAD_MS, MAX_PULL_LIMIT,
};
use crate::network::is_network_key;
use crate::Questionnaire;

/// The device name of the server's clock readings (it authors no operation, so ties with a
/// device of that name are harmless).
pub const SERVER_DEVICE: &str = "server";

/// Longest excerpt of client input quoted in a refusal.
pub const MAX_QUOTED: usize = 200;

/// `text` cut to `max` characters, with an ellipsis when cut: refusals quote client input, which
/// may be huge.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

// ------------------------------------------------------------------------------------------------
// The town's clock

/// A town's hybrid logical clock on the server, handed to the town's devices in every sync
/// answer. One per town: a phone whose clock is fast moves its own town's clock only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownClock(Hlc);

impl Default for TownClock {
    fn default() -> Self {
        TownClock(Hlc::zero(SERVER_DEVICE))
    }
}

impl TownClock {
    /// The clock of a town whose log's greatest stored clock is `latest`, when a server starts
    /// (it keeps town clocks in memory only). Without it, a town's first readings after a
    /// restart could be earlier than operations stored before it (a clamped clock is up to
    /// [`MAX_CLOCK_AHEAD_MS`] ahead), and a phone answering after such a reading, without having
    /// pulled them yet, would lose to an earlier answer (found by the simulation).
    pub fn resumed(latest: Option<&Hlc>, now_ms: u64) -> TownClock {
        let mut clock = TownClock::default();
        if let Some(latest) = latest {
            clock.observe(latest, now_ms);
        }
        clock
    }

    /// A new reading at server time `now_ms`, after every one given before.
    pub fn read(&mut self, now_ms: u64) -> Hlc {
        self.0 = tick(&self.0, now_ms);
        self.0.clone()
    }

    /// Folds a clock the server stored for the town into the town's clock.
    pub fn observe(&mut self, remote: &Hlc, now_ms: u64) {
        self.0 = observe(&self.0, remote, now_ms);
    }

    /// The wall time a clock too far ahead is brought back to: [`MAX_CLOCK_AHEAD_MS`] past
    /// `now_ms`, or one millisecond past this clock when that is later. A phone that received
    /// this clock (or an operation it covers) records after it; a clamp to the bare limit could
    /// put that later answer before them — two clamps in one millisecond, the second keeping a
    /// smaller counter — and the earlier answer would win (found by the simulation). Past this
    /// clock, the clamped one still orders after everything the town had seen.
    pub fn clamp_limit(&self, now_ms: u64) -> u64 {
        now_ms
            .saturating_add(MAX_CLOCK_AHEAD_MS)
            .max(self.0.wall_ms.saturating_add(1))
    }
}

// ------------------------------------------------------------------------------------------------
// Push

/// Why a push is refused. Nothing of a refused push is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// More than [`MAX_BATCH`] operations.
    TooLarge { len: usize },
    /// Operation `index` fails [`Operation::validate`].
    Invalid {
        index: usize,
        id: String,
        reason: String,
    },
    /// Operation `index` names another device than the one pushing.
    DeviceMismatch {
        index: usize,
        id: String,
        device: String,
        pusher: String,
    },
    /// Operation `index` repeats an id of the same push with other content.
    Repeated { index: usize, id: String },
    /// An id is already stored with other content (or in another town).
    IdConflict { id: String },
    /// A relayed push ([`super::Push::relay`]) breaks a relay rule (see [`check_relay`]).
    RelayRefused(RelayRefusal),
}

/// Why a relayed push is refused (code [`RELAY_REFUSED`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayRefusal {
    /// The server was never restored from a backup: it lost nothing, so nothing is relayed.
    NeverRestored,
    /// Operation `index`, of another device, was made after the restore: its own phone pushes it.
    AfterRestore {
        index: usize,
        id: String,
        device: String,
    },
    /// Operation `index` is another device's validation or release: only its author's phone
    /// sends those (an administrator's act, checked against that device's rights).
    NetworkKey {
        index: usize,
        id: String,
        device: String,
    },
    /// The operation's device belongs to another town.
    OtherTown { device: String },
    /// The operation's device is unknown and its id is not one this server could have given
    /// (a lowercase UUID, see [`is_device_id`]): no placeholder is written for it.
    NotADevice { device: String },
}

/// The code of every [`RelayRefusal`].
pub const RELAY_REFUSED: &str = "relay_refused";

impl PushError {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            PushError::TooLarge { .. } => 413,
            PushError::Invalid { .. } | PushError::Repeated { .. } => 400,
            PushError::DeviceMismatch { .. } => 403,
            PushError::IdConflict { .. } | PushError::RelayRefused(_) => 409,
        }
    }

    /// The stable machine-readable reason of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            PushError::TooLarge { .. } => "batch_too_large",
            PushError::Invalid { .. } | PushError::Repeated { .. } => "invalid_operation",
            PushError::DeviceMismatch { .. } => "device_mismatch",
            PushError::IdConflict { .. } => "op_id_conflict",
            PushError::RelayRefused(_) => RELAY_REFUSED,
        }
    }
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::TooLarge { len } => write!(
                f,
                "a push carries at most {MAX_BATCH} operations, this one {len}: send them in \
                 several pushes"
            ),
            PushError::Invalid { index, id, reason } => write!(
                f,
                "operation {index} (`{id}`): {reason}; nothing from this push was stored"
            ),
            PushError::DeviceMismatch {
                index,
                id,
                device,
                pusher,
            } => write!(
                f,
                "operation {index} (`{id}`) names device `{device}`, but this token is device \
                 `{pusher}`: a device only pushes its own operations; nothing from this push was \
                 stored"
            ),
            PushError::Repeated { index, id } => write!(
                f,
                "operation {index} (`{id}`) repeats an id of this push with other content; \
                 nothing from this push was stored"
            ),
            PushError::IdConflict { id } => write!(
                f,
                "operation id `{id}` is already stored with other content; nothing from this \
                 push was stored (give that operation a new id)"
            ),
            PushError::RelayRefused(refusal) => write!(f, "{refusal}"),
        }
    }
}

impl fmt::Display for RelayRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayRefusal::NeverRestored => write!(
                f,
                "this server was never restored from a backup, so it relays nothing: a device \
                 only pushes its own operations; nothing from this push was stored"
            ),
            RelayRefusal::AfterRestore { index, id, device } => write!(
                f,
                "operation {index} (`{id}`) of device `{device}` was made after this server was \
                 restored: only that device pushes it; nothing from this push was stored"
            ),
            RelayRefusal::NetworkKey { index, id, device } => write!(
                f,
                "operation {index} (`{id}`) is a validation or release of device `{device}`: \
                 only that device pushes it; nothing from this push was stored"
            ),
            RelayRefusal::OtherTown { device } => write!(
                f,
                "device `{device}` belongs to another town: a device relays its own town's \
                 operations only; nothing from this push was stored"
            ),
            RelayRefusal::NotADevice { device } => write!(
                f,
                "`{device}` is not a device id this server gives (a lowercase UUID); nothing \
                 from this push was stored"
            ),
        }
    }
}

/// Checks the whole batch pushed by device `pusher` before anything is written (one bad
/// operation refuses it all) and returns its operations once each, in the order sent.
pub fn check_batch(
    ops: &[Operation],
    pusher: &str,
    questionnaire: &Questionnaire,
) -> Result<Vec<Operation>, PushError> {
    check(ops, pusher, None, questionnaire)
}

/// [`check_batch`] for a relayed push ([`super::Push::relay`]) to a server restored at
/// `restored_ms` (`None`: never restored, refused). The pusher's own operations follow the usual
/// rules; an operation of another device is relayed only when it was made before the restore
/// (`clock.wall_ms <= restored_ms`: later ones reach this server from their own phone) and is no
/// validation or release (an administrator's act, which only its author sends). Whether its
/// device may be relayed by the pusher is the storage's to tell ([`relayed_devices`]).
pub fn check_relay(
    ops: &[Operation],
    pusher: &str,
    restored_ms: Option<u64>,
    questionnaire: &Questionnaire,
) -> Result<Vec<Operation>, PushError> {
    let restored_ms = restored_ms.ok_or(PushError::RelayRefused(RelayRefusal::NeverRestored))?;
    check(ops, pusher, Some(restored_ms), questionnaire)
}

fn check(
    ops: &[Operation],
    pusher: &str,
    relay_until: Option<u64>,
    questionnaire: &Questionnaire,
) -> Result<Vec<Operation>, PushError> {
    if ops.len() > MAX_BATCH {
        return Err(PushError::TooLarge { len: ops.len() });
    }
    let mut seen: HashMap<&str, &Operation> = HashMap::new();
    let mut unique = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let id = shorten(&op.id, 40);
        op.validate(questionnaire)
            .map_err(|err| PushError::Invalid {
                index,
                id: id.clone(),
                // The reason quotes the operation's fields, which may be huge: an excerpt only.
                reason: shorten(&err.to_string(), MAX_QUOTED),
            })?;
        if op.device != pusher {
            let device = shorten(&op.device, 40);
            let Some(restored_ms) = relay_until else {
                return Err(PushError::DeviceMismatch {
                    index,
                    id,
                    device,
                    pusher: pusher.to_string(),
                });
            };
            if is_network_key(&op.question) {
                return Err(PushError::RelayRefused(RelayRefusal::NetworkKey {
                    index,
                    id,
                    device,
                }));
            }
            if op.clock.wall_ms > restored_ms {
                return Err(PushError::RelayRefused(RelayRefusal::AfterRestore {
                    index,
                    id,
                    device,
                }));
            }
        }
        match seen.get(op.id.as_str()) {
            Some(earlier) if *earlier != op => return Err(PushError::Repeated { index, id }),
            Some(_) => {}
            None => {
                seen.insert(&op.id, op);
                unique.push(op.clone());
            }
        }
    }
    Ok(unique)
}

/// Where the server knows a relayed operation's device from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceHome {
    /// A device of the pusher's town (removed or not).
    SameTown,
    /// A device of another town.
    OtherTown,
    /// No device of this id: enrolled after the backup the server was restored from.
    Unknown,
}

/// The devices of a relayed batch other than `pusher`, checked with `home` (what the database
/// says of each, asked once per device): refused when one belongs to another town; else the
/// unknown ones, sorted, for which the storage writes a placeholder in the pusher's town (see
/// [`PLACEHOLDER_NAME`]) so that their operations still name a device.
pub fn relayed_devices(
    batch: &[NewOp],
    pusher: &str,
    mut home: impl FnMut(&str) -> DeviceHome,
) -> Result<Vec<String>, PushError> {
    let devices: BTreeSet<&str> = batch
        .iter()
        .map(|new| new.op.device.as_str())
        .filter(|device| *device != pusher)
        .collect();
    let mut unknown = Vec::new();
    for device in devices {
        match home(device) {
            DeviceHome::SameTown => {}
            DeviceHome::OtherTown => {
                return Err(PushError::RelayRefused(RelayRefusal::OtherTown {
                    device: shorten(device, 40),
                }))
            }
            DeviceHome::Unknown if is_device_id(device) => unknown.push(device.to_string()),
            DeviceHome::Unknown => {
                return Err(PushError::RelayRefused(RelayRefusal::NotADevice {
                    device: shorten(device, 40),
                }))
            }
        }
    }
    Ok(unknown)
}

/// Whether `id` has the shape of the device ids the server gives: a lowercase hyphenated UUID.
pub fn is_device_id(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

/// The name of the row the server writes for a device it does not know when another phone
/// relays its operations (it was enrolled after the backup): removed at once (its token was
/// lost with the restore; its owner is invited again), role [`super::Role::Autre`], and a token
/// hash that no token can have ([`placeholder_token_hash`]).
pub const PLACEHOLDER_NAME: &str = "Appareil d'avant la restauration";

/// The token hash of a placeholder device: unique (the column is), never a SHA-256 in hex (64
/// hexadecimal digits), so that no token ever authenticates as it.
pub fn placeholder_token_hash(device: &str) -> String {
    format!("relayed:{device}")
}

/// An operation as the server stores it: checked, its clock possibly clamped, with the wall time
/// it was sent with (what tells a retry of a clamped operation from another operation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOp {
    pub op: Operation,
    pub sent_wall_ms: u64,
}

impl NewOp {
    /// Whether the server changed the clock it was sent with.
    pub fn clamped(&self) -> bool {
        self.op.clock.wall_ms != self.sent_wall_ms
    }
}

/// The checked operations as they will be stored at server time `now_ms`: a clock further ahead
/// than [`MAX_CLOCK_AHEAD_MS`] is brought back ([`clamp`]); a phone whose clock is wrong by hours
/// would otherwise win every conflict until then. It is brought back to that limit, or to just
/// after the town's clock ([`TownClock::clamp_limit`]) when that is later.
pub fn prepare(ops: Vec<Operation>, now_ms: u64, town: &TownClock) -> Vec<NewOp> {
    // `clamp` brings a clock back to `MAX_CLOCK_AHEAD_MS` past the time it is given.
    let limit_base = town.clamp_limit(now_ms) - MAX_CLOCK_AHEAD_MS;
    ops.into_iter()
        .map(|mut op| {
            let sent_wall_ms = op.clock.wall_ms;
            if let Some(clock) = clamp(&op.clock, limit_base) {
                op.clock = clock;
            }
            NewOp { op, sent_wall_ms }
        })
        .collect()
}

/// Whether `stored` (an operation already in the log under the id of `new`) is the one `new`
/// describes: a retry, acknowledged again without storing anything. The clock counts: the same id
/// with another clock is another operation (a conflict). A clamp changes only the wall time and
/// the sent one is kept, so a retry of a clamped operation matches whenever it comes, even when
/// today's clamp would give another clock. The stored clock itself counts as sent too: a phone
/// adopts the clock of a clamped operation ([`PushAck::clamped`]) and re-sends it that way after
/// a restore.
pub fn is_retry(stored: &NewOp, new: &NewOp) -> bool {
    let (a, b) = (&stored.op, &new.op);
    a.id == b.id
        && a.device == b.device
        && a.campaign == b.campaign
        && a.question == b.question
        && a.option == b.option
        && a.comment == b.comment
        && a.base == b.base
        && (stored.sent_wall_ms == new.sent_wall_ms || a.clock.wall_ms == new.sent_wall_ms)
        && a.clock.counter == b.clock.counter
}

/// A prepared batch split against what the log already holds under its ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sorted<'a> {
    /// Operations to append, in the order sent.
    pub fresh: Vec<&'a NewOp>,
    /// Retries, with the clock stored the first time (which the client must adopt: a clamp
    /// made today may differ from the one stored).
    pub retried: Vec<(String, Hlc)>,
}

/// What the log holds under an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// An operation of this town (boxed: the other variant is empty).
    Here(Box<NewOp>),
    /// An operation of another town: ids are global, so never a retry.
    Elsewhere,
}

/// Sorts `batch` into new operations and retries; `stored` says what the log holds under an id
/// (`None`: nothing). Any other use of a stored id is refused.
pub fn sort_batch(
    batch: &[NewOp],
    mut stored: impl FnMut(&str) -> Option<Stored>,
) -> Result<Sorted<'_>, PushError> {
    let mut sorted = Sorted {
        fresh: Vec::new(),
        retried: Vec::new(),
    };
    for new in batch {
        match stored(&new.op.id) {
            Some(Stored::Here(old)) if is_retry(&old, new) => {
                sorted.retried.push((old.op.id, old.op.clock))
            }
            Some(_) => {
                return Err(PushError::IdConflict {
                    id: new.op.id.clone(),
                })
            }
            None => sorted.fresh.push(new),
        }
    }
    Ok(sorted)
}

/// Sequence numbers of the operations appended to a town's log whose last number was
/// `last_seq`: the next ones, in the order sent, so a town's log is read back in commit order.
pub fn numbered<T>(last_seq: u64, fresh: &[T]) -> impl Iterator<Item = (u64, &T)> {
    (last_seq + 1..).zip(fresh)
}

/// The answer to a committed push: every id of the batch is acknowledged; every operation whose
/// stored clock differs from the one sent is listed with the stored clock — a clamp made now, or
/// for a retry the one stored the first time — so that the client's copy equals the server's.
pub fn acknowledgement(batch: &[NewOp], retried: &[(String, Hlc)], clock: Hlc) -> PushAck {
    let clamped = batch
        .iter()
        .filter_map(|new| {
            let stored = retried
                .iter()
                .find(|(id, _)| *id == new.op.id)
                .map_or(&new.op.clock, |(_, clock)| clock);
            (stored.wall_ms != new.sent_wall_ms).then(|| Clamped {
                id: new.op.id.clone(),
                clock: stored.clone(),
            })
        })
        .collect();
    PushAck {
        acknowledged: batch.iter().map(|new| new.op.id.clone()).collect(),
        clamped,
        clock,
        epoch: String::new(),
    }
}

/// The greatest clock stored by a push, for the town's clock to observe.
pub fn latest_stored<'a>(batch: &'a [NewOp], retried: &'a [(String, Hlc)]) -> Option<&'a Hlc> {
    batch
        .iter()
        .map(|new| {
            retried
                .iter()
                .find(|(id, _)| *id == new.op.id)
                .map_or(&new.op.clock, |(_, clock)| clock)
        })
        .max()
}

// ------------------------------------------------------------------------------------------------
// Pull

/// Why a pull is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullError {
    /// `limit` outside 1..=[`MAX_PULL_LIMIT`].
    Limit(u32),
    /// `after` beyond what the storage can count.
    AfterTooLarge(u64),
    /// `after` is past the town's last sequence number: the server's data is older than the
    /// device's (restored from a backup?).
    CursorAhead { after: u64, last_seq: u64 },
}

impl PullError {
    pub fn status(&self) -> u16 {
        match self {
            PullError::Limit(_) | PullError::AfterTooLarge(_) => 400,
            PullError::CursorAhead { .. } => 409,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            PullError::Limit(_) | PullError::AfterTooLarge(_) => "invalid_request",
            PullError::CursorAhead { .. } => "cursor_ahead",
        }
    }
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullError::Limit(limit) => write!(
                f,
                "`limit` must be between 1 and {MAX_PULL_LIMIT}, not {limit}"
            ),
            PullError::AfterTooLarge(after) => write!(f, "`after` {after} is too large"),
            PullError::CursorAhead { after, last_seq } => write!(
                f,
                "`after` = {after} is past this town's last operation ({last_seq}): the server's \
                 data is older than this device's (restored from a backup?). Pull again from \
                 after=0 and push every local operation again."
            ),
        }
    }
}

/// A checked pull request: read the operations numbered above `after`, at most `limit + 1`
/// of them (the extra one says whether more follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullRequest {
    pub after: u64,
    pub limit: u32,
}

impl PullRequest {
    /// Checks `after` and `limit` (default [`DEFAULT_PULL_LIMIT`]).
    pub fn new(after: u64, limit: Option<u32>) -> Result<Self, PullError> {
        let limit = limit.unwrap_or(DEFAULT_PULL_LIMIT);
        if !(1..=MAX_PULL_LIMIT).contains(&limit) {
            return Err(PullError::Limit(limit));
        }
        if i64::try_from(after).is_err() {
            return Err(PullError::AfterTooLarge(after));
        }
        Ok(PullRequest { after, limit })
    }

    /// The request as served by a server in epoch `current`, for a client that names epoch
    /// `asked`: from the start when it names another one, since its cursor counts in another
    /// log (it may be ahead of this one, or behind numbers that now name other operations).
    /// Naming none, or an empty one (a client that never saw an epoch), keeps the cursor.
    pub fn in_epoch(self, asked: Option<&str>, current: &str) -> Self {
        match asked {
            Some(asked) if !asked.is_empty() && asked != current => {
                PullRequest { after: 0, ..self }
            }
            _ => self,
        }
    }

    /// How many operations to read: one more than a page, to know whether more follow.
    pub fn read_limit(&self) -> u32 {
        self.limit + 1
    }

    /// The page from `rows` (operations numbered above `after`, in order, at most
    /// [`Self::read_limit`]) and the town's `last_seq` when they were read.
    pub fn page(
        &self,
        mut rows: Vec<(u64, Operation)>,
        last_seq: u64,
        clock: Hlc,
    ) -> Result<PullPage, PullError> {
        if self.after > last_seq {
            return Err(PullError::CursorAhead {
                after: self.after,
                last_seq,
            });
        }
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next = rows.last().map_or(self.after, |(seq, _)| *seq);
        Ok(PullPage {
            ops: rows.into_iter().map(|(_, op)| op).collect(),
            next,
            more,
            clock,
            epoch: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::op_id;

    const NOW: u64 = 1_800_000_000_000;

    fn op(wall_ms: u64) -> Operation {
        let q = crate::questionnaire();
        let question = q.questions().next().unwrap();
        Operation {
            id: op_id(NOW, [1; 10]),
            device: "d".into(),
            campaign: "2026".into(),
            question: question.id.clone(),
            option: Some(question.answers[0].id.clone()),
            comment: None,
            clock: Hlc {
                wall_ms,
                counter: 3,
                device: "d".into(),
            },
            base: vec![],
        }
    }

    #[test]
    fn a_retried_clamped_push_gets_the_clock_stored_first() {
        let sent = op(NOW + 3_600_000);
        let first = prepare(vec![sent.clone()], NOW, &TownClock::default());
        assert!(first[0].clamped());
        assert_eq!(first[0].op.clock.wall_ms, NOW + MAX_CLOCK_AHEAD_MS);
        // A minute later the same operation again (its acknowledgement was lost).
        let retry = prepare(vec![sent], NOW + 60_000, &TownClock::default());
        let sorted =
            sort_batch(&retry, |_| Some(Stored::Here(Box::new(first[0].clone())))).unwrap();
        assert!(sorted.fresh.is_empty());
        let ack = acknowledgement(&retry, &sorted.retried, Hlc::zero(SERVER_DEVICE));
        assert_eq!(ack.clamped.len(), 1);
        assert_eq!(ack.clamped[0].clock, first[0].op.clock);
    }

    #[test]
    fn a_clamped_clock_stays_after_the_towns() {
        let mut town = TownClock::default();
        let first = prepare(vec![op(NOW + 3_600_000)], NOW, &town);
        town.observe(&first[0].op.clock, NOW);
        let seen = town.read(NOW);
        // Another fast phone that received `seen` answers in the same millisecond.
        let mut later = op(NOW + 7_200_000);
        later.clock.counter = 0;
        let later = prepare(vec![later], NOW, &town);
        assert!(later[0].op.clock > seen, "{:?} {seen:?}", later[0].op.clock);
        assert_eq!(later[0].op.clock.counter, 0, "a clamp keeps the counter");
    }

    #[test]
    fn the_same_id_with_another_clock_is_a_conflict() {
        let stored = prepare(vec![op(NOW)], NOW, &TownClock::default());
        let other = prepare(vec![op(NOW + 1)], NOW, &TownClock::default());
        assert_eq!(
            sort_batch(&other, |_| Some(Stored::Here(Box::new(stored[0].clone())))),
            Err(PushError::IdConflict {
                id: stored[0].op.id.clone()
            })
        );
    }

    #[test]
    fn pages_stop_at_the_limit_and_refuse_a_cursor_ahead() {
        let request = PullRequest::new(2, Some(1)).unwrap();
        let rows = vec![(3, op(NOW)), (4, op(NOW))];
        let page = request.page(rows, 4, Hlc::zero("server")).unwrap();
        assert_eq!((page.ops.len(), page.next, page.more), (1, 3, true));
        assert_eq!(
            request
                .page(vec![], 1, Hlc::zero("server"))
                .unwrap_err()
                .code(),
            "cursor_ahead"
        );
        assert_eq!(PullRequest::new(0, Some(0)).unwrap_err().status(), 400);
    }

    fn of(device: &str, wall_ms: u64, n: u8) -> Operation {
        let mut op = op(wall_ms);
        op.id = op_id(wall_ms, [n; 10]);
        op.device = device.into();
        op.clock.device = device.into();
        op
    }

    #[test]
    fn without_relay_only_the_pushers_own_operations_pass() {
        let q = crate::questionnaire();
        let ops = [of("a", NOW, 1), of("b", NOW, 2)];
        let refused = check_batch(&ops, "a", q).unwrap_err();
        assert!(matches!(
            refused,
            PushError::DeviceMismatch { index: 1, .. }
        ));
        assert_eq!((refused.status(), refused.code()), (403, "device_mismatch"));
    }

    #[test]
    fn a_server_never_restored_relays_nothing() {
        let q = crate::questionnaire();
        // Not even a batch of the pusher's own operations: the flag itself is refused.
        let refused = check_relay(&[of("a", NOW, 1)], "a", None, q).unwrap_err();
        assert_eq!(
            refused,
            PushError::RelayRefused(RelayRefusal::NeverRestored)
        );
        assert_eq!((refused.status(), refused.code()), (409, RELAY_REFUSED));
    }

    #[test]
    fn others_operations_are_relayed_when_made_before_the_restore() {
        let q = crate::questionnaire();
        let restored = NOW + 1000;
        let ops = [
            of("a", NOW + 5000, 1),
            of("b", NOW, 2),
            of("c", restored, 3),
        ];
        // The pusher's own operation after the restore is its own business.
        assert_eq!(check_relay(&ops, "a", Some(restored), q).unwrap().len(), 3);
        let late = [of("a", NOW, 1), of("b", restored + 1, 2)];
        assert!(matches!(
            check_relay(&late, "a", Some(restored), q),
            Err(PushError::RelayRefused(RelayRefusal::AfterRestore {
                index: 1,
                ..
            }))
        ));
    }

    #[test]
    fn others_validations_and_releases_are_never_relayed() {
        let q = crate::questionnaire();
        let mut validation = of("b", NOW, 2);
        validation.question = crate::network::validation_key("2026");
        validation.option = None; // a reopening: no note to write
        let own = Operation {
            device: "a".into(),
            clock: Hlc {
                device: "a".into(),
                ..validation.clock.clone()
            },
            ..validation.clone()
        };
        assert_eq!(validation.validate(q), Ok(()));
        assert!(matches!(
            check_relay(&[validation], "a", Some(NOW + 1), q),
            Err(PushError::RelayRefused(RelayRefusal::NetworkKey {
                index: 0,
                ..
            }))
        ));
        // The pusher's own validation passes these rules (the network's are checked apart).
        assert_eq!(check_relay(&[own], "a", Some(NOW + 1), q).unwrap().len(), 1);
    }

    #[test]
    fn relayed_devices_of_another_town_are_refused_unknown_ones_listed() {
        // Unknown devices: ids the server could have given (enrolled after the backup).
        let (y, z) = (
            "0b2c3d4e-0000-4000-8000-000000000001",
            "0b2c3d4e-0000-4000-8000-000000000002",
        );
        let batch = prepare(
            vec![
                of("a", NOW, 1),
                of(z, NOW, 2),
                of("b", NOW, 3),
                of(y, NOW, 4),
            ],
            NOW,
            &TownClock::default(),
        );
        let mut asked = Vec::new();
        let home = |device: &str| match device {
            "b" => DeviceHome::SameTown,
            "x" => DeviceHome::OtherTown,
            _ => DeviceHome::Unknown,
        };
        let unknown = relayed_devices(&batch, "a", |device| {
            asked.push(device.to_string());
            home(device)
        })
        .unwrap();
        assert_eq!(unknown, [y, z]);
        assert_eq!(
            asked,
            [y, z, "b"],
            "the pusher is not looked up, others once"
        );
        let mut elsewhere = batch.clone();
        elsewhere[1].op.device = "x".into();
        assert_eq!(
            relayed_devices(&elsewhere, "a", home),
            Err(PushError::RelayRefused(RelayRefusal::OtherTown {
                device: "x".into()
            }))
        );
        // An unknown id the server never gives gets no placeholder row.
        let mut odd = batch.clone();
        odd[1].op.device = z.to_uppercase();
        assert!(matches!(
            relayed_devices(&odd, "a", home),
            Err(PushError::RelayRefused(RelayRefusal::NotADevice { .. }))
        ));
        let hash = placeholder_token_hash(y);
        assert!(
            hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()),
            "no token hashes to {hash}"
        );
    }

    #[test]
    fn a_clamped_operation_resent_with_the_clock_it_adopted_is_a_retry() {
        let sent = op(NOW + 3_600_000);
        let first = prepare(vec![sent.clone()], NOW, &TownClock::default());
        assert!(first[0].clamped());
        // The phone adopted the stored clock; after a restore it sends the operation that way.
        let adopted = Operation {
            clock: first[0].op.clock.clone(),
            ..sent
        };
        let resent = prepare(vec![adopted], NOW + 60_000, &TownClock::default());
        let sorted =
            sort_batch(&resent, |_| Some(Stored::Here(Box::new(first[0].clone())))).unwrap();
        assert_eq!(sorted.retried.len(), 1);
        let ack = acknowledgement(&resent, &sorted.retried, Hlc::zero(SERVER_DEVICE));
        assert!(ack.clamped.is_empty(), "{ack:?}");
    }

    #[test]
    fn a_pull_in_another_epoch_starts_over() {
        let request = PullRequest::new(40, None).unwrap();
        assert_eq!(request.in_epoch(Some("old"), "new").after, 0);
        assert_eq!(request.in_epoch(Some("new"), "new").after, 40);
        assert_eq!(request.in_epoch(None, "new").after, 40);
        assert_eq!(request.in_epoch(Some(""), "new").after, 40);
        // A cursor ahead of the restored log is no refusal once it names the old epoch.
        let page = request
            .in_epoch(Some("old"), "new")
            .page(vec![(1, op(NOW))], 1, Hlc::zero(SERVER_DEVICE))
            .unwrap();
        assert_eq!((page.ops.len(), page.next), (1, 1));
    }
}
