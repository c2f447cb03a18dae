//! The sync protocol shared by the app and the server: the wire types (one definition, used on
//! both sides), the hybrid logical clock, and the pure merge of a town's operation log.
//!
//! Every change an official makes to an answer is an [`Operation`], appended to a log that is
//! never rewritten. Replicas (each phone, the server) exchange operations; whatever order or how
//! many times they receive them, the same set of operations gives the same answers
//! ([`merge`]) and the same unresolved disagreements ([`conflicts`]). `docs/sync.md` describes
//! the HTTP protocol around these types.
//!
//! # The merge rule
//!
//! Operations are grouped by `(campaign, question)`. An operation's `base` names the operations
//! it replaces: the *heads* its author's phone showed for that question when the answer was
//! given (empty for a first answer). The **heads** of a question are its operations that no
//! other operation of the same question names in its base. One head: that is the answer. Several
//! heads: they were given concurrently (neither author had seen the other's); the one with the
//! greatest [`Hlc`] (then the greatest id) is the current answer — last writer wins — and if
//! the heads disagree (option or comment) a [`Conflict`] is reported until someone resolves it.
//! A resolution, "keep" or "replace", is an ordinary operation whose base names every head of
//! the conflict ([`Conflict::base`]), so it becomes the only head.
//!
//! ```
//! use diagnostic::sync::{conflicts, merge, Hlc, Operation};
//! let op = |id: &str, device: &str, option: &str, wall_ms: u64, base: &[&str]| Operation {
//!     id: id.into(),
//!     device: device.into(),
//!     campaign: "2026".into(),
//!     question: "secu-dpo".into(),
//!     option: Some(option.into()),
//!     comment: None,
//!     clock: Hlc { wall_ms, counter: 0, device: device.into() },
//!     base: base.iter().map(|b| b.to_string()).collect(),
//! };
//! let first = op("0190a0b0-0000-7000-8000-000000000001", "maire", "stage-1", 1_800_000_000_000, &[]);
//! // The mayor and the DGS both change it, offline, without seeing each other's change.
//! let mayor = op("0190a0b0-0000-7000-8000-000000000002", "maire", "stage-2", 1_800_000_001_000, &[&first.id]);
//! let dgs = op("0190a0b0-0000-7000-8000-000000000003", "dgs", "stage-3", 1_800_000_002_000, &[&first.id]);
//! let log = vec![first, mayor, dgs.clone()];
//! assert_eq!(merge(&log)["2026"]["secu-dpo"].option, "stage-3"); // the later one wins…
//! let found = conflicts(&log);
//! assert_eq!(found.len(), 1); // …but the disagreement is shown.
//! assert_eq!(found[0].winner().id, dgs.id);
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{Answer, Answers, Questionnaire};

pub mod server;

/// Version of this protocol, reported by the server so that a client can tell it is too old.
pub const PROTOCOL_VERSION: u32 = 1;

/// Most operations one push may carry (more is a 413). Clients split longer outboxes.
pub const MAX_BATCH: usize = 500;

/// Default and largest page of a pull.
pub const DEFAULT_PULL_LIMIT: u32 = 200;
pub const MAX_PULL_LIMIT: u32 = 1000;

/// A clock further ahead of the server's than this is clamped to it (and logged).
pub const MAX_CLOCK_AHEAD_MS: u64 = 5 * 60 * 1000;

/// The event name of the live stream (`GET /api/sync/events`) that says the town's log grew; its
/// data is the town's last sequence number, in decimal. A device whose pull cursor is below it
/// pulls.
pub const LIVE_OPS_EVENT: &str = "ops";

/// Valid wall times: 2020-01-01T00:00:00Z ..= 2100-01-01T00:00:00Z, in Unix milliseconds.
pub const MIN_WALL_MS: u64 = 1_577_836_800_000;
pub const MAX_WALL_MS: u64 = 4_102_444_800_000;

/// Largest logical counter of a valid clock. [`tick`] and [`observe`] never exceed it: past it
/// they advance the wall time by one millisecond instead.
pub const MAX_COUNTER: u32 = 0xFFFF;

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Most operation ids one base may name.
pub const MAX_BASE: usize = 32;

/// Campaigns are years: `"2020"` ..= `"2100"`.
pub const FIRST_CAMPAIGN: u16 = 2020;
pub const LAST_CAMPAIGN: u16 = 2100;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 60;

// ------------------------------------------------------------------------------------------------
// Hybrid logical clock

/// A hybrid logical clock reading: wall time in Unix milliseconds, a counter for events within
/// the same millisecond (or while the wall clock lags behind a clock already seen), and the
/// device, so that two readings are never equal. Ordered by `(wall_ms, counter, device)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u32,
    pub device: String,
}

impl Hlc {
    /// The zero reading of `device`, before any event.
    pub fn zero(device: impl Into<String>) -> Self {
        Hlc {
            wall_ms: 0,
            counter: 0,
            device: device.into(),
        }
    }

    /// See [`tick`].
    pub fn tick(&self, now_ms: u64) -> Hlc {
        tick(self, now_ms)
    }

    /// See [`observe`].
    pub fn observe(&self, remote: &Hlc, now_ms: u64) -> Hlc {
        observe(self, remote, now_ms)
    }

    /// Whether this reading may travel: wall time in [`MIN_WALL_MS`]..=[`MAX_WALL_MS`], counter
    /// at most [`MAX_COUNTER`], a device named. Describes the first problem found.
    pub fn check(&self) -> Result<(), String> {
        if !(MIN_WALL_MS..=MAX_WALL_MS).contains(&self.wall_ms) {
            return Err(format!(
                "wall_ms {} is not a Unix time in milliseconds between 2020 and 2100",
                self.wall_ms
            ));
        }
        if self.counter > MAX_COUNTER {
            return Err(format!("counter {} is above {MAX_COUNTER}", self.counter));
        }
        if self.device.is_empty() {
            return Err("the clock names no device".into());
        }
        Ok(())
    }
}

/// `(wall, counter)` plus one, carrying into the wall time past [`MAX_COUNTER`].
fn bump(wall_ms: u64, counter: u32) -> (u64, u32) {
    if counter >= MAX_COUNTER {
        (wall_ms + 1, 0)
    } else {
        (wall_ms, counter + 1)
    }
}

/// The reading for a local event (an answer given) at wall time `now_ms`: strictly greater than
/// `local`, even when the wall clock went backwards.
pub fn tick(local: &Hlc, now_ms: u64) -> Hlc {
    let (wall_ms, counter) = if now_ms > local.wall_ms {
        (now_ms, 0)
    } else {
        bump(local.wall_ms, local.counter)
    };
    Hlc {
        wall_ms,
        counter,
        device: local.device.clone(),
    }
}

/// The reading after receiving `remote` (an operation's clock, the server's clock): strictly
/// greater than both `local` and `remote` (compared on wall time and counter), so that whatever
/// this device writes next orders after everything it has seen. Fold it over every clock of
/// every exchange.
pub fn observe(local: &Hlc, remote: &Hlc, now_ms: u64) -> Hlc {
    let wall = local.wall_ms.max(remote.wall_ms).max(now_ms);
    let (wall_ms, counter) = if wall == local.wall_ms && wall == remote.wall_ms {
        bump(wall, local.counter.max(remote.counter))
    } else if wall == local.wall_ms {
        bump(wall, local.counter)
    } else if wall == remote.wall_ms {
        bump(wall, remote.counter)
    } else {
        (wall, 0)
    };
    Hlc {
        wall_ms,
        counter,
        device: local.device.clone(),
    }
}

/// The server's correction of a clock too far ahead of its own time `server_now_ms`: `None` when
/// the clock is acceptable, else the same reading with its wall time brought back to
/// `server_now_ms + MAX_CLOCK_AHEAD_MS`. A phone whose clock is wrong by hours would otherwise
/// win every conflict until that time.
pub fn clamp(clock: &Hlc, server_now_ms: u64) -> Option<Hlc> {
    let limit = server_now_ms.saturating_add(MAX_CLOCK_AHEAD_MS);
    (clock.wall_ms > limit).then(|| Hlc {
        wall_ms: limit,
        counter: clock.counter,
        device: clock.device.clone(),
    })
}

// ------------------------------------------------------------------------------------------------
// Operations

/// One change to one answer, as a device recorded it. Immutable once created: a later change is
/// another operation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Operation {
    /// Generated by the device: a lowercase UUIDv7 (see [`op_id`]). Globally unique.
    pub id: String,
    /// The authoring device's id (as the server gave it at enrolment).
    pub device: String,
    /// The campaign, a year: `"2026"`.
    pub campaign: String,
    pub question: String,
    /// The chosen option's id, or `null` when the answer was cleared.
    pub option: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When it was recorded; `clock.device` equals `device`.
    pub clock: Hlc,
    /// The operations this one replaces: the heads of its question on the author's phone when
    /// it was recorded ([`base_for`]). Empty for a first answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base: Vec<String>,
}

impl Operation {
    /// The answer it sets, or `None` when it clears the question.
    pub fn answer(&self) -> Option<Answer> {
        self.option.as_ref().map(|option| Answer {
            option: option.clone(),
            comment: self.comment.clone(),
        })
    }

    /// The same operation with its question (and option) moved to `questionnaire`'s current
    /// ids through the migration map ([`Questionnaire::upgrade`]); unchanged when already
    /// current or unknown. Applied to operations pulled from other phones, so an answer given on
    /// an older version lands where the local migration puts stored answers.
    pub fn upgraded(mut self, questionnaire: &Questionnaire) -> Operation {
        if let Some(target) = plan_target(&self.question) {
            if let Some((current, _)) = questionnaire.upgrade(target, None) {
                self.question = plan_key(&current);
            }
        } else if let Some((current, option)) =
            questionnaire.upgrade(&self.question, self.option.as_deref())
        {
            self.question = current;
            self.option = option;
        }
        self
    }

    /// Whether two operations say the same thing (same option and comment).
    pub fn agrees_with(&self, other: &Operation) -> bool {
        self.option == other.option && self.comment == other.comment
    }

    /// Last-writer-wins order: by clock, then by id (clocks only tie after the server clamped
    /// two readings of one device to the same limit).
    pub fn lww_cmp(&self, other: &Operation) -> Ordering {
        self.clock
            .cmp(&other.clock)
            .then_with(|| self.id.cmp(&other.id))
    }

    /// Checks everything that can be checked without knowing the sender: id, campaign, question
    /// and option against `questionnaire`, clock, comment and base. The server also checks that
    /// `device` is the authenticated device.
    pub fn validate(&self, questionnaire: &Questionnaire) -> Result<(), OpError> {
        if !is_uuid_v7(&self.id) {
            return Err(OpError::Id(self.id.clone()));
        }
        if !is_campaign(&self.campaign) {
            return Err(OpError::Campaign(self.campaign.clone()));
        }
        // A phone still on an older content version syncs that version's ids: they are valid
        // when the migration map carries them to a current question (and option), exactly as
        // a stored answer would be migrated — so an older phone is never refused.
        if let Some(checked) = crate::network::validate_network_op(self) {
            // A town's validation or release (`validation:<campaign>`, `release:<campaign>`).
            checked.map_err(OpError::from)?;
        } else if let Some(target) = plan_target(&self.question) {
            // An action-plan entry: the question whose recommendation is a priority, its status.
            if questionnaire.upgrade(target, None).is_none() {
                return Err(OpError::Question(self.question.clone()));
            }
            if let Some(status) = &self.option {
                if !PLAN_STATUSES.contains(&status.as_str()) {
                    return Err(OpError::Option {
                        question: self.question.clone(),
                        option: status.clone(),
                    });
                }
            }
        } else {
            let Some((current, option)) =
                questionnaire.upgrade(&self.question, self.option.as_deref())
            else {
                return Err(OpError::Question(self.question.clone()));
            };
            let Some(question) = questionnaire.question(&current) else {
                return Err(OpError::Question(self.question.clone()));
            };
            if let Some(option) = &option {
                if question.option(option).is_none() {
                    return Err(OpError::Option {
                        question: self.question.clone(),
                        option: self.option.clone().unwrap_or_default(),
                    });
                }
            }
        }
        if let Some(comment) = &self.comment {
            if comment.chars().count() > MAX_COMMENT_CHARS {
                return Err(OpError::Comment);
            }
        }
        self.clock.check().map_err(OpError::Clock)?;
        if self.clock.device != self.device {
            return Err(OpError::Clock(format!(
                "clock.device `{}` differs from device `{}`",
                self.clock.device, self.device
            )));
        }
        if self.base.len() > MAX_BASE {
            return Err(OpError::Base(format!(
                "it names {} operations, at most {MAX_BASE} allowed",
                self.base.len()
            )));
        }
        if let Some(bad) = self.base.iter().find(|id| !is_uuid_v7(id)) {
            return Err(OpError::Base(format!("`{bad}` is not an operation id")));
        }
        if self.base.contains(&self.id) {
            return Err(OpError::Base("an operation cannot replace itself".into()));
        }
        Ok(())
    }
}

/// Operations whose `question` starts with this prefix carry the town's action plan, not an
/// answer: `plan:<question id>` chooses that question's recommendation as a priority, with its
/// status as `option` (`null` takes it out of the plan) and its owner and notes in `comment`
/// (see [`PlanNote`]). They sync, merge and conflict exactly like answers.
pub const PLAN_PREFIX: &str = "plan:";

/// The statuses a plan entry may have.
pub const PLAN_STATUSES: [&str; 3] = ["todo", "doing", "done"];

/// The `question` of the plan entry for `question`.
pub fn plan_key(question: &str) -> String {
    format!("{PLAN_PREFIX}{question}")
}

/// The question a plan entry is about, if `key` is a plan entry.
pub fn plan_target(key: &str) -> Option<&str> {
    key.strip_prefix(PLAN_PREFIX)
}

/// Owner and notes of a plan entry, kept as JSON in the operation's `comment`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanNote {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// Why an operation is invalid. Messages name the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("id `{0}` is not a lowercase UUIDv7 (xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx)")]
    Id(String),
    #[error("unknown campaign `{0}`: a campaign is a year from 2020 to 2100, such as \"2026\"")]
    Campaign(String),
    #[error("unknown question `{0}`")]
    Question(String),
    #[error("unknown option `{option}` for question `{question}`")]
    Option { question: String, option: String },
    #[error("comment longer than {MAX_COMMENT_CHARS} characters")]
    Comment,
    #[error("invalid clock: {0}")]
    Clock(String),
    #[error("invalid base: {0}")]
    Base(String),
    /// A validation or release whose key, choice or note is wrong. Boxed: a
    /// [`crate::network::NetworkOpError`] may itself wrap an `OpError`.
    #[error(transparent)]
    Network(Box<crate::network::NetworkOpError>),
}

impl From<crate::network::NetworkOpError> for OpError {
    fn from(err: crate::network::NetworkOpError) -> OpError {
        match err {
            // Never nest an `OpError` in itself.
            crate::network::NetworkOpError::Op(op) => op,
            other => OpError::Network(Box::new(other)),
        }
    }
}

/// Whether `s` is a campaign id: a year from [`FIRST_CAMPAIGN`] to [`LAST_CAMPAIGN`], written
/// with exactly four digits.
pub fn is_campaign(s: &str) -> bool {
    s.len() == 4
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u16>()
            .is_ok_and(|year| (FIRST_CAMPAIGN..=LAST_CAMPAIGN).contains(&year))
}

/// Whether `s` is a UUIDv7 in canonical lowercase form.
pub fn is_uuid_v7(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
        && b[14] == b'7'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// A UUIDv7 operation id from the time (Unix milliseconds) and 10 random bytes (from the
/// platform's secure generator, `crypto.getRandomValues` in the browser; the version and variant
/// overwrite 6 of their bits, 74 random bits remain). Ids made later sort later, which keeps the
/// server's index compact.
pub fn op_id(unix_ms: u64, random: [u8; 10]) -> String {
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
    bytes[6..].copy_from_slice(&random);
    bytes[6] = 0x70 | (bytes[6] & 0x0F);
    bytes[8] = 0x80 | (bytes[8] & 0x3F);
    let mut id = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

// ------------------------------------------------------------------------------------------------
// Merge

/// A question on which concurrent operations disagree and nobody has resolved it yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub campaign: String,
    pub question: String,
    /// The heads: concurrent operations, the current answer (last writer) first.
    pub ops: Vec<Operation>,
}

impl Conflict {
    /// The operation whose answer currently applies.
    pub fn winner(&self) -> &Operation {
        &self.ops[0]
    }

    /// The base a resolution must carry: every head's id.
    pub fn base(&self) -> Vec<String> {
        self.ops.iter().map(|op| op.id.clone()).collect()
    }
}

type Key<'a> = (&'a str, &'a str);

/// The operations of each `(campaign, question)`, one per id (should two differ under one id,
/// the greatest by `Ord` is kept, so every replica keeps the same one).
fn group<'a>(
    ops: impl IntoIterator<Item = &'a Operation>,
) -> BTreeMap<Key<'a>, Vec<&'a Operation>> {
    let mut by_id: BTreeMap<&str, &Operation> = BTreeMap::new();
    for op in ops {
        by_id
            .entry(op.id.as_str())
            .and_modify(|kept| {
                if op > *kept {
                    *kept = op;
                }
            })
            .or_insert(op);
    }
    let mut groups: BTreeMap<Key<'a>, Vec<&'a Operation>> = BTreeMap::new();
    for op in by_id.into_values() {
        groups
            .entry((op.campaign.as_str(), op.question.as_str()))
            .or_default()
            .push(op);
    }
    groups
}

/// Heads of one question's operations, winner first. Should bases form a cycle that leaves no
/// head (only a buggy or hostile client can do that), every operation counts as a head.
pub(crate) fn heads_of<'a>(ops: &[&'a Operation]) -> Vec<&'a Operation> {
    let replaced: BTreeSet<&str> = ops
        .iter()
        .flat_map(|op| op.base.iter().filter(move |id| **id != op.id))
        .map(String::as_str)
        .collect();
    let mut heads: Vec<&Operation> = ops
        .iter()
        .copied()
        .filter(|op| !replaced.contains(op.id.as_str()))
        .collect();
    if heads.is_empty() {
        heads = ops.to_vec();
    }
    heads.sort_by(|a, b| b.lww_cmp(a));
    heads
}

/// The heads of `(campaign, question)` in `ops`, the current answer first.
pub fn heads<'a>(
    ops: impl IntoIterator<Item = &'a Operation>,
    campaign: &str,
    question: &str,
) -> Vec<&'a Operation> {
    let ops: Vec<&Operation> = ops
        .into_iter()
        .filter(|op| op.campaign == campaign && op.question == question)
        .collect();
    group(ops)
        .into_values()
        .next()
        .map(|ops| heads_of(&ops))
        .unwrap_or_default()
}

/// The base for a new answer to `(campaign, question)`: the ids of its current heads.
pub fn base_for<'a>(
    ops: impl IntoIterator<Item = &'a Operation>,
    campaign: &str,
    question: &str,
) -> Vec<String> {
    heads(ops, campaign, question)
        .into_iter()
        .map(|op| op.id.clone())
        .collect()
}

/// The current answers of every campaign that has operations: per question, the answer of the
/// winning head; a question whose winner cleared it has no answer. Depends only on the set of
/// operations, never on their order or repetitions.
pub fn merge<'a>(ops: impl IntoIterator<Item = &'a Operation>) -> BTreeMap<String, Answers> {
    let mut campaigns: BTreeMap<String, Answers> = BTreeMap::new();
    for ((campaign, question), ops) in group(ops) {
        let answers = campaigns.entry(campaign.to_string()).or_default();
        if let Some(answer) = heads_of(&ops)[0].answer() {
            answers.insert(question.to_string(), answer);
        }
    }
    campaigns
}

/// Questions whose heads disagree, by campaign then question. Heads that agree (two officials
/// chose the same option with the same comment) are no conflict.
pub fn conflicts<'a>(ops: impl IntoIterator<Item = &'a Operation>) -> Vec<Conflict> {
    group(ops)
        .into_iter()
        .filter_map(|((campaign, question), ops)| {
            let heads = heads_of(&ops);
            let disagree = heads.iter().any(|op| !op.agrees_with(heads[0]));
            disagree.then(|| Conflict {
                campaign: campaign.to_string(),
                question: question.to_string(),
                ops: heads.into_iter().cloned().collect(),
            })
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// A replica: see `replica.rs`.

mod replica;
pub use replica::*;

// ------------------------------------------------------------------------------------------------
// Wire types of the HTTP API (see docs/sync.md)

/// What an official says they are. Only this and a display name are kept about a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Maire.
    Maire,
    /// Adjoint·e (au numérique or other).
    Adjoint,
    /// Conseiller·ère municipal·e.
    Conseiller,
    /// Directeur·rice général·e des services.
    Dgs,
    /// Agent·e of the town.
    Agent,
    Autre,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Maire,
        Role::Adjoint,
        Role::Conseiller,
        Role::Dgs,
        Role::Agent,
        Role::Autre,
    ];

    /// The id used in JSON (`"maire"`, `"dgs"`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Maire => "maire",
            Role::Adjoint => "adjoint",
            Role::Conseiller => "conseiller",
            Role::Dgs => "dgs",
            Role::Agent => "agent",
            Role::Autre => "autre",
        }
    }

    /// The role whose id is `s`.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == s)
    }
}

/// Checks and tidies a display name: surrounding spaces trimmed, 1 to [`MAX_NAME_CHARS`]
/// characters, no control characters.
pub fn display_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the display name is empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "the display name is longer than {MAX_NAME_CHARS} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the display name contains control characters".into());
    }
    Ok(name.to_string())
}

/// `POST /api/towns`: the first official of a commune creates its space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTown {
    /// INSEE code of the commune, as `GET /api/communes` gives it.
    pub commune: String,
    pub name: String,
    pub role: Role,
}

/// `POST /api/join`: a new phone joins with an invitation, by its link secret or its short code
/// (exactly one of the two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Join {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub name: String,
    pub role: Role,
}

/// Answer of `POST /api/towns` and `POST /api/join`: the device's token (shown once, kept by
/// the app, sent as `Authorization: Bearer <token>`), the device and its town.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub token: String,
    pub device: Device,
    pub town: Town,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Public id: the `device` of its operations.
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_ms: u64,
    /// Last push or `GET /api/me`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_ms: Option<u64>,
    /// Set once the device was removed (« retiré »); its operations stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_ms: Option<u64>,
    /// Whether this is the device making the request.
    #[serde(default)]
    pub current: bool,
    /// Whether it is one of the town's administrators: the device that created the space (or
    /// was let in by an operator's recovery invitation or decision) and every device with role
    /// [`Role::Maire`]. Administrators remove other devices, validate, release and erase.
    #[serde(default)]
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Town {
    pub commune: Commune,
    pub created_ms: u64,
    /// Whether an operator of the hosting association has checked that the space is really the
    /// commune's (see [`crate::association`]). Absent in answers of older servers: verified.
    #[serde(default)]
    pub status: crate::association::TownStatus,
}

/// A commune of the official list (INSEE, through `@etalab/decoupage-administratif`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commune {
    /// INSEE code (`"42218"`, `"2A004"`).
    pub code: String,
    pub name: String,
    pub departement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departement_name: Option<String>,
    pub region: String,
    pub postal_codes: Vec<String>,
    pub population: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epci: Option<Epci>,
}

/// The intercommunality (EPCI) a commune belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Epci {
    /// SIREN of the EPCI.
    pub code: String,
    pub name: String,
}

/// One result of `GET /api/communes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommuneMatch {
    #[serde(flatten)]
    pub commune: Commune,
    /// Whether the commune already has its space: then one joins by invitation.
    pub has_space: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommuneSearch {
    pub communes: Vec<CommuneMatch>,
}

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub device: Device,
    pub town: Town,
    /// The server's clock, to observe.
    pub clock: Hlc,
    pub protocol: u32,
}

/// `GET /api/devices`: the town's devices, removed ones included (their operations stay and
/// still name them), oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Devices {
    pub devices: Vec<Device>,
}

/// `POST /api/invites`: one invitation for one new phone, usable once, by link or by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// Short code to read aloud, `XXX-XXX-XXX`; expires at `code_expires_ms`.
    pub code: String,
    pub code_expires_ms: u64,
    /// The link's secret (base64url, 256 bits); the link expires at `link_expires_ms`.
    pub secret: String,
    pub link_expires_ms: u64,
    /// Path and fragment of the link: `/rejoindre#<secret>` (the fragment never reaches a
    /// server log).
    pub path: String,
    /// The whole link when the server knows its public origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The link as a QR code, an SVG document (present with `url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
}

/// `POST /api/sync/push`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    pub ops: Vec<Operation>,
    /// The batch may carry operations of other devices of the town: after a restore (a new
    /// [`PushAck::epoch`]) a phone re-sends everything it holds, others' operations included,
    /// since their own phone may be gone. Refused (`relay_refused`) by a server never restored
    /// and for operations made after the restore (see [`server::check_relay`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub relay: bool,
}

/// Answer of a push, sent once the batch is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    /// Every id of the batch: stored now or already stored with the same content. The client
    /// may drop them from its outbox.
    pub acknowledged: Vec<String>,
    /// Operations whose clock the server clamped, with the clock it stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clamped: Vec<Clamped>,
    /// The server's clock, to observe.
    pub clock: Hlc,
    /// The server's epoch (see [`PullPage::epoch`]); empty from a server older than epochs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub epoch: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clamped {
    pub id: String,
    pub clock: Hlc,
}

/// Answer of `GET /api/sync/pull?after=<seq>&limit=<n>&epoch=<epoch>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullPage {
    /// Operations with a sequence number above `after`, in sequence order.
    pub ops: Vec<Operation>,
    /// The cursor for the next pull: the last sequence number returned (`after` when none).
    pub next: u64,
    /// Whether more operations follow `next` right now.
    pub more: bool,
    pub clock: Hlc,
    /// The server's epoch: an id that changes each time the server's database is restored from
    /// a backup. A phone that sees it change re-sends every operation it holds (the server lost
    /// what it acknowledged after the backup) and pulls again from 0; a pull that names another
    /// epoch is served from 0. Empty from a server older than epochs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub epoch: String,
}

/// Body of every API error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// A sentence to show.
    pub error: String,
    /// A stable machine-readable reason (`revoked`, `town_exists`, …), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The request's id (`X-Request-Id`), to quote when reporting the failure: it finds the
    /// server's log lines of that request. Absent from servers older than it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(wall_ms: u64, counter: u32, device: &str) -> Hlc {
        Hlc {
            wall_ms,
            counter,
            device: device.into(),
        }
    }

    /// The request id is optional both ways: an app reads a body from a server without it, and
    /// a server's body without a code or id has neither key.
    #[test]
    fn error_bodies_with_and_without_a_request_id() {
        let old: ApiErrorBody =
            serde_json::from_str(r#"{"error": "x", "code": "revoked"}"#).unwrap();
        assert_eq!(old.request_id, None);
        let new: ApiErrorBody =
            serde_json::from_str(r#"{"error": "x", "request_id": "3f9c0a7d51e2b864"}"#).unwrap();
        assert_eq!(new.request_id.as_deref(), Some("3f9c0a7d51e2b864"));
        let bare = ApiErrorBody {
            error: "x".into(),
            code: None,
            request_id: None,
        };
        assert_eq!(serde_json::to_string(&bare).unwrap(), r#"{"error":"x"}"#);
    }

    #[test]
    fn tick_follows_the_wall_clock_or_counts() {
        let zero = Hlc::zero("a");
        assert_eq!(tick(&zero, 1000), clock(1000, 0, "a"));
        assert_eq!(tick(&clock(1000, 0, "a"), 1000), clock(1000, 1, "a"));
        assert_eq!(tick(&clock(1000, 4, "a"), 900), clock(1000, 5, "a"));
        assert_eq!(
            tick(&clock(1000, MAX_COUNTER, "a"), 900),
            clock(1001, 0, "a")
        );
    }

    #[test]
    fn observe_moves_past_both_clocks() {
        let local = clock(1000, 3, "a");
        assert_eq!(
            observe(&local, &clock(2000, 7, "b"), 1500),
            clock(2000, 8, "a")
        );
        assert_eq!(
            observe(&local, &clock(1000, 7, "b"), 900),
            clock(1000, 8, "a")
        );
        assert_eq!(
            observe(&local, &clock(900, 7, "b"), 900),
            clock(1000, 4, "a")
        );
        assert_eq!(
            observe(&local, &clock(900, 7, "b"), 3000),
            clock(3000, 0, "a")
        );
    }

    #[test]
    fn plan_entries_validate_against_the_question_and_the_statuses() {
        let q = crate::questionnaire();
        let question = q.questions().next().unwrap().id.clone();
        let now = 1_800_000_000_000;
        let entry = |key: String, status: Option<&str>| Operation {
            id: op_id(now, [7; 10]),
            device: "d".into(),
            campaign: "2026".into(),
            question: key,
            option: status.map(Into::into),
            comment: None,
            clock: clock(now, 0, "d"),
            base: vec![],
        };
        assert_eq!(plan_target(&plan_key(&question)), Some(question.as_str()));
        assert_eq!(
            entry(plan_key(&question), Some("doing")).validate(q),
            Ok(())
        );
        assert_eq!(entry(plan_key(&question), None).validate(q), Ok(()));
        assert!(matches!(
            entry(plan_key(&question), Some("stage-2")).validate(q),
            Err(OpError::Option { .. })
        ));
        assert!(matches!(
            entry(plan_key("nope"), Some("todo")).validate(q),
            Err(OpError::Question(_))
        ));
    }

    #[test]
    fn clamps_only_clocks_far_ahead() {
        let now = 1_800_000_000_000;
        assert_eq!(clamp(&clock(now + MAX_CLOCK_AHEAD_MS, 2, "a"), now), None);
        assert_eq!(
            clamp(&clock(now + 3_600_000, 2, "a"), now),
            Some(clock(now + MAX_CLOCK_AHEAD_MS, 2, "a"))
        );
    }

    #[test]
    fn op_ids_are_uuid_v7() {
        let id = op_id(1_800_000_000_000, [0xff; 10]);
        assert!(is_uuid_v7(&id), "{id}");
        assert_eq!(&id[..13], "01a3185c-5000");
        assert!(!is_uuid_v7(&id.to_uppercase()));
        assert!(!is_uuid_v7("0190a0b0-0000-4000-8000-000000000001"));
        assert!(!is_uuid_v7("0190a0b0-0000-7000-c000-000000000001"));
        assert!(!is_uuid_v7("0190a0b0000070008000000000000001"));
        assert!(op_id(1, [0; 10]) < op_id(2, [0xff; 10]));
    }

    #[test]
    fn campaigns_are_years() {
        assert!(is_campaign("2026"));
        assert!(is_campaign("2020") && is_campaign("2100"));
        for bad in [
            "2019",
            "2101",
            "26",
            "02026",
            "+202",
            "２０２６",
            "",
            "abcd",
        ] {
            assert!(!is_campaign(bad), "{bad}");
        }
    }

    #[test]
    fn display_names_are_checked_and_trimmed() {
        assert_eq!(display_name("  Marie  ").unwrap(), "Marie");
        assert!(display_name("   ").is_err());
        assert!(display_name("a\u{0}b").is_err());
        assert!(display_name(&"é".repeat(61)).is_err());
        assert!(display_name(&"é".repeat(60)).is_ok());
    }

    #[test]
    fn roles_use_kebab_case() {
        assert_eq!(serde_json::to_string(&Role::Dgs).unwrap(), "\"dgs\"");
        assert!(serde_json::from_str::<Role>("\"pape\"").is_err());
        for role in Role::ALL {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
