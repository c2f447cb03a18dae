//! The replica a phone ships: one device's copy of its town's log, with its clock, its outbox and
//! what it set aside. The app stores one per campaign (`src/stores/` only decides how it is laid
//! out in localStorage); the property tests, the server's tests and the simulation run this same
//! code, so what is tested is what ships.
//!
//! # The outbox and the *sent* mark
//!
//! Every operation recorded here waits in the outbox until the server acknowledges it (or it is
//! pulled back). Consecutive changes to one question fold into one operation ([`Replica::change`]:
//! a comment typed letter by letter is one change to sync, not forty), but **an operation handed
//! to a push is marked sent ([`Replica::send`]) and is never folded again**: its acknowledgement
//! may be lost while the server stored it, and a change folded into it would then replace an
//! operation the server keeps, and show a conflict with oneself. The caller stores the replica
//! *after* `send` and *before* the request leaves, so a crash between the two only resends.
//!
//! # The derived view is kept, not recomputed
//!
//! A tap must cost the same with a log of 70 operations or of 10,000. The replica therefore keeps,
//! beside its operations, what it derives from them per `(campaign, question)`: the ids of that
//! question's operations, their heads (winner first), the latest wall time and the earliest clock.
//! Every change of an operation ([`Replica::record`], [`Replica::change`], [`Replica::resolve`],
//! [`Replica::receive`], [`Replica::acknowledge`]…) goes through one private entry point that
//! re-derives **only the touched question**, from that question's operations. [`Replica::view`],
//! [`Replica::answers`], [`Replica::conflicts`] and the base of a new answer read this index, so
//! they cost the number of questions, not the length of the log. The index is rebuilt from the
//! operations when a replica is deserialised or assembled ([`Replica::from_log`]); the property
//! tests check after every step that it equals a rebuild and the protocol's [`merge`] and
//! [`conflicts`] of the whole log.
//!
//! The index lives in the log itself ([`Log`]: read like a map, changed only by its `insert`,
//! `remove` and `retain`), so no change can bypass it. The log also notes which operations
//! changed since the caller last asked ([`Log::take_changes`]), so a store can append them
//! instead of rewriting the log.
//!
//! # A restored server: re-sending what the phone holds
//!
//! A server restored from a backup has lost what it acknowledged after the backup; its phones
//! still hold it. The server then reports a new *epoch* ([`PushAck::epoch`],
//! [`super::PullPage::epoch`]); a phone that sees one differ from the epoch it knew
//! ([`server_restored`]) starts its pull cursor again from 0 and re-sends **every operation of its
//! log** ([`Replica::start_resend`], then [`Replica::next_resend`] batch after batch, each pushed
//! with `relay: true` and acknowledged with [`Replica::resent`]): its own and, as a relay, the
//! other devices' of its town, so an answer whose author's phone is gone still comes back from
//! another phone. Pushes are idempotent, so what the server kept is acknowledged again, never
//! duplicated. The position is an operation id (the log is ordered by id), so it survives a reload
//! in a few bytes, whatever the length of the log.
//!
//! # Reading never mints operations at random
//!
//! Upgrading an old document or reconciling answers stored without their operations records
//! operations while *reading* ([`Replica::explain`]). Their ids and clocks derive from the stored
//! data only ([`derived_op_id`]), so reading the same document twice (one read not written back,
//! a second tab) gives the same operations, never two copies of one answer under two ids.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

#[cfg(doc)]
use super::{conflicts, merge};
use super::{observe, op_id, plan_target, tick, Conflict, Hlc, Operation, PlanNote, PushAck};
use crate::{network, Answers, Questionnaire};

/// The device of a phone's clock before it has any id (documents of the first schemas).
pub const UNNAMED_DEVICE: &str = "local";

/// One device's copy of its town's log (the app keeps one per campaign), with its clock, the
/// operations still to send and those it will not send. Serialised with the names the app's
/// campaign document has always used (`log`, `outbox`, `clock`, `set_aside`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replica {
    /// This device's hybrid logical clock.
    #[serde(default = "unnamed_clock")]
    pub clock: Hlc,
    /// Every operation known here, by id: this device's and the town's once synced, with what
    /// they say per question (see the module doc).
    #[serde(default, rename = "log")]
    pub ops: Log,
    /// Ids of this device's operations the server has not acknowledged yet, oldest first. One
    /// leaves it only once acknowledged (or pulled back from the server).
    #[serde(default)]
    pub outbox: Vec<String>,
    /// The ids of the outbox already handed to a push (see the module doc): never folded.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub sent: BTreeSet<String>,
    /// This device's operations the server would refuse, taken out of the outbox so the others
    /// still sync; kept, with the reason, to show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_aside: Vec<SetAside>,
    /// While re-sending the log to a restored server (see the module doc): the operations with
    /// an id greater than this one are still to send again (`""`: none sent yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend: Option<String>,
}

/// Whether the server was restored since this phone last synced with it: it reports an epoch
/// (`reported`, empty from a server older than epochs) other than the one this phone knew. A phone
/// that knew none (its first sync, or an app older than epochs) only takes note of it.
pub fn server_restored(known: Option<&str>, reported: &str) -> bool {
    !reported.is_empty() && known.is_some_and(|known| known != reported)
}

fn unnamed_clock() -> Hlc {
    Hlc::zero(UNNAMED_DEVICE)
}

/// An operation kept on the device but not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAside {
    pub op: Operation,
    pub reason: String,
}

/// One current answer as a replica derives it: the merged answer plus when its question last
/// changed (the greatest wall time of its operations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub option: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub updated_ms: f64,
}

/// Follow-up of a chosen priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanStatus {
    #[default]
    Todo,
    Doing,
    Done,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 3] = [PlanStatus::Todo, PlanStatus::Doing, PlanStatus::Done];

    /// The id an operation carries as its `option` (one of [`super::PLAN_STATUSES`]).
    pub fn code(self) -> &'static str {
        match self {
            PlanStatus::Todo => "todo",
            PlanStatus::Doing => "doing",
            PlanStatus::Done => "done",
        }
    }
}

/// One chosen priority: the question whose recommendation the town will act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanItem {
    pub question: String,
    #[serde(default)]
    pub status: PlanStatus,
    /// Who carries it (free text: « l'adjointe au numérique »).
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub notes: String,
}

/// What a campaign's log says, ready to show: its answers (plan entries, validations and
/// releases left out) and its action plan, in the order priorities were chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignView {
    pub answers: BTreeMap<String, StoredAnswer>,
    pub plan: Vec<PlanItem>,
}

impl Replica {
    pub fn new(device: impl Into<String>) -> Self {
        Replica {
            clock: Hlc::zero(device),
            ops: Log::default(),
            outbox: Vec::new(),
            sent: BTreeSet::new(),
            set_aside: Vec::new(),
            resend: None,
        }
    }

    /// A replica assembled from stored parts (a storage layout that keeps the log apart from
    /// the rest). Outbox and sent ids that name no operation are dropped; no operation counts as
    /// changed ([`Log::take_changes`]).
    pub fn from_log(
        clock: Hlc,
        ops: impl IntoIterator<Item = Operation>,
        outbox: Vec<String>,
        sent: BTreeSet<String>,
        set_aside: Vec<SetAside>,
    ) -> Self {
        let mut replica = Replica {
            clock,
            ops: ops.into_iter().collect(),
            outbox,
            sent,
            set_aside,
            resend: None,
        };
        replica.retain(|_| true);
        replica
    }

    fn base_for(&self, campaign: &str, question: &str) -> Vec<String> {
        self.ops
            .heads(campaign, question)
            .iter()
            .map(|op| op.id.clone())
            .collect()
    }

    pub fn device(&self) -> &str {
        &self.clock.device
    }

    /// The device that records the next operations (a phone has a random id before enrolment
    /// gives it the server's: see [`Self::adopt_device`]).
    pub fn set_device(&mut self, device: &str) {
        if self.clock.device != device {
            self.clock.device = device.to_string();
        }
    }

    /// Records an answer given on this device (`option: None` clears it) and returns the
    /// operation to push; it waits in the outbox. Its base is the question's current heads here,
    /// so giving an answer while a conflict is shown resolves it.
    pub fn record(
        &mut self,
        id: String,
        now_ms: u64,
        campaign: &str,
        question: &str,
        option: Option<String>,
        comment: Option<String>,
    ) -> Operation {
        let base = self.base_for(campaign, question);
        self.record_with_base(id, now_ms, campaign, question, option, comment, base)
    }

    /// [`Self::record`] for a change made on the phone: when the last operation of the outbox is
    /// about the same question and was never handed to a push, the change replaces it (folds)
    /// instead of following it. The new operation takes the base the question has *without* the
    /// folded one — what the screen shows now, including what was received since — never the
    /// folded one's older base.
    pub fn change(
        &mut self,
        id: String,
        now_ms: u64,
        campaign: &str,
        question: &str,
        option: Option<String>,
        comment: Option<String>,
    ) -> Operation {
        let foldable = self
            .outbox
            .last()
            .filter(|last| !self.sent.contains(*last))
            .and_then(|last| self.ops.get(last))
            .is_some_and(|op| op.campaign == campaign && op.question == question);
        if foldable {
            if let Some(folded) = self.outbox.pop() {
                self.ops.remove(&folded);
            }
        }
        self.record(id, now_ms, campaign, question, option, comment)
    }

    /// Resolves `conflict` with the given answer: "keep" passes the answer of one of its
    /// operations, "replace" a new one. Its base names every head, so it becomes the only one.
    pub fn resolve(
        &mut self,
        id: String,
        now_ms: u64,
        conflict: &Conflict,
        option: Option<String>,
        comment: Option<String>,
    ) -> Operation {
        let base = conflict.base();
        self.record_with_base(
            id,
            now_ms,
            &conflict.campaign,
            &conflict.question,
            option,
            comment,
            base,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn record_with_base(
        &mut self,
        id: String,
        now_ms: u64,
        campaign: &str,
        question: &str,
        option: Option<String>,
        comment: Option<String>,
        base: Vec<String>,
    ) -> Operation {
        self.clock = tick(&self.clock, now_ms);
        let op = Operation {
            id,
            device: self.clock.device.clone(),
            campaign: campaign.to_string(),
            question: question.to_string(),
            option,
            comment,
            clock: self.clock.clone(),
            base,
        };
        self.outbox.push(op.id.clone());
        self.ops.insert(op.id.clone(), op.clone());
        op
    }

    /// Takes in operations from the server (a pull page, a live update): each is first moved to
    /// the current questionnaire's ids ([`Operation::upgraded`]: a phone still on an older
    /// content version syncs that version's ids), replaces any local copy with the same id (the
    /// server's copy is authoritative: it may have clamped the clock), leaves the outbox if it
    /// was waiting there, and the clock observes it.
    pub fn receive(&mut self, ops: impl IntoIterator<Item = Operation>, now_ms: u64) {
        let current = crate::outline();
        for op in ops {
            let op = op.upgraded(current);
            self.clock = observe(&self.clock, &op.clock, now_ms);
            self.deliver(&op.id);
            if self.ops.get(&op.id) != Some(&op) {
                self.ops.insert(op.id.clone(), op);
            }
        }
    }

    /// `id` is on the server: it leaves the outbox.
    fn deliver(&mut self, id: &str) {
        if self.sent.remove(id) || self.outbox.iter().any(|o| o == id) {
            self.outbox.retain(|o| o != id);
        }
    }

    /// Folds a remote clock (the server's, from a push or pull reply) into this one, so that what
    /// is recorded next orders after it.
    pub fn observe(&mut self, remote: &Hlc, now_ms: u64) {
        self.clock = observe(&self.clock, remote, now_ms);
    }

    /// The operations waiting to be sent, oldest first.
    pub fn pending(&self) -> Vec<Operation> {
        self.outbox
            .iter()
            .filter_map(|id| self.ops.get(id).cloned())
            .collect()
    }

    /// The next batch to push (at most `max`, oldest first), marked sent: store the replica
    /// before sending it (see the module doc).
    pub fn send(&mut self, max: usize) -> Vec<Operation> {
        let batch: Vec<Operation> = self
            .outbox
            .iter()
            .take(max)
            .filter_map(|id| self.ops.get(id).cloned())
            .collect();
        self.sent.extend(batch.iter().map(|op| op.id.clone()));
        batch
    }

    /// The server stored these operations: they leave the outbox, take the clock the server
    /// stored when it clamped theirs, and this clock observes the server's.
    pub fn acknowledge(&mut self, ack: &PushAck, now_ms: u64) {
        for id in &ack.acknowledged {
            self.deliver(id);
        }
        for clamped in &ack.clamped {
            self.amend(&clamped.id, |op| op.clock = clamped.clock.clone());
        }
        self.clock = observe(&self.clock, &ack.clock, now_ms);
    }

    /// The server was restored ([`server_restored`]): every operation of the log is to be sent
    /// again, from the first (a re-send under way starts over: what it sent may be lost too).
    pub fn start_resend(&mut self) {
        self.resend = Some(String::new());
    }

    /// The next operations to send again to a restored server (at most `max`, in id order),
    /// to push with `relay: true`; empty when the re-send is over (it then ends). Left out:
    /// the outbox (its operations go by [`Self::send`], and its last one may still fold), the
    /// operations set aside and those `questionnaire` refuses (the server would refuse the
    /// whole batch), other devices' validations and releases (the server takes those from
    /// their author only), and with `network: false` this device's too (the server refused
    /// them in this re-send: this device is no longer an administrator, or a validation was
    /// withdrawn meanwhile). Nothing is marked: a batch whose acknowledgement is lost is sent
    /// again.
    pub fn next_resend(
        &mut self,
        max: usize,
        questionnaire: &Questionnaire,
        network: bool,
    ) -> Vec<Operation> {
        let Some(after) = self.resend.as_deref() else {
            return Vec::new();
        };
        let unsent: BTreeSet<&str> = self
            .outbox
            .iter()
            .map(String::as_str)
            .chain(self.set_aside.iter().map(|s| s.op.id.as_str()))
            .collect();
        let device = self.device();
        let batch: Vec<Operation> = self
            .ops
            .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
            .map(|(_, op)| op)
            .filter(|op| !unsent.contains(op.id.as_str()))
            .filter(|op| !network::is_network_key(&op.question) || (network && op.device == device))
            .filter(|op| op.validate(questionnaire).is_ok())
            .take(max)
            .cloned()
            .collect();
        if batch.is_empty() {
            self.resend = None;
        }
        batch
    }

    /// The server acknowledged a batch of [`Self::next_resend`]: the re-send moves past it, and
    /// the acknowledgement is taken like any other ([`Self::acknowledge`]).
    pub fn resent(&mut self, ack: &PushAck, now_ms: u64) {
        if let Some(last) = ack.acknowledged.iter().max() {
            self.resend_past(last);
        }
        self.acknowledge(ack, now_ms);
    }

    /// The re-send moves past `id` without it: the server will not take it from this device
    /// (`relay_refused`: another device made it after the restore, so that device's phone pushed
    /// it, or this phone received it from the restored server itself). It stays here.
    pub fn resend_past(&mut self, id: &str) {
        if let Some(after) = self.resend.as_mut() {
            if id > after.as_str() {
                *after = id.to_string();
            }
        }
    }

    /// Takes out of the outbox every operation the server would refuse — the same check it runs —
    /// so that one bad operation cannot block the others; they stay here, with the reason.
    /// Returns how many were set aside.
    pub fn set_aside_invalid(&mut self, questionnaire: &Questionnaire) -> usize {
        let refused: Vec<SetAside> = self
            .pending()
            .into_iter()
            .filter_map(|op| {
                let reason = op.validate(questionnaire).err()?.to_string();
                Some(SetAside { op, reason })
            })
            .collect();
        self.set_aside_all(refused)
    }

    /// The server refused a pushed batch because of its validations or releases (`not_admin`:
    /// this device is no longer an administrator; `not_validated`, `releases_only`: a release
    /// whose validation was withdrawn meanwhile on another phone). Those operations leave the
    /// outbox with the server's reason, so they cannot block the answers behind them. Returns how
    /// many were set aside.
    pub fn set_aside_network(&mut self, releases_only: bool, reason: &str) -> usize {
        let refused: Vec<SetAside> = self
            .pending()
            .into_iter()
            .filter(|op| {
                if releases_only {
                    op.question == network::release_key(&op.campaign) && op.option.is_some()
                } else {
                    network::is_network_key(&op.question)
                }
            })
            .map(|op| SetAside {
                op,
                reason: reason.to_string(),
            })
            .collect();
        self.set_aside_all(refused)
    }

    fn set_aside_all(&mut self, refused: Vec<SetAside>) -> usize {
        for r in &refused {
            self.outbox.retain(|id| *id != r.op.id);
            self.sent.remove(&r.op.id);
        }
        let count = refused.len();
        self.set_aside.extend(refused);
        count
    }

    /// Changes one stored operation in place (a clamped clock, a new device id).
    fn amend(&mut self, id: &str, change: impl FnOnce(&mut Operation)) {
        if let Some(mut op) = self.ops.get(id).cloned() {
            change(&mut op);
            if self.ops.get(id) != Some(&op) {
                self.ops.insert(id.to_string(), op);
            }
        }
    }

    /// Enrolment gave this device its server id: the operations not sent yet take it, and so
    /// does the clock.
    pub fn adopt_device(&mut self, device: &str) {
        for id in self.outbox.clone() {
            self.amend(&id, |op| {
                op.device = device.to_string();
                op.clock.device = device.to_string();
            });
        }
        self.clock.device = device.to_string();
    }

    /// Forgets the operations `keep` refuses (ids a new questionnaire version no longer has: the
    /// server accepts only current ids and keeps the old ones it has); the outbox loses them too.
    pub fn retain(&mut self, keep: impl FnMut(&Operation) -> bool) {
        self.ops.retain(keep);
        let ops = &self.ops;
        self.outbox.retain(|id| ops.contains_key(id));
        self.sent.retain(|id| ops.contains_key(id));
    }

    /// Records, as operations of this device, each of `answers` (question, option, comment) that
    /// `campaign`'s current answers do not already say: answers read from a document that kept
    /// them without their operations (an older schema, a damaged log, a migration). Called while
    /// *reading*, so nothing random goes in: `at_ms` must come from the stored data (the
    /// campaign's creation time, the answer's time), and ids are [`derived_op_id`]s. Returns
    /// whether anything was recorded.
    pub fn explain(
        &mut self,
        campaign: &str,
        answers: impl IntoIterator<Item = (String, String, Option<String>)>,
        at_ms: u64,
    ) -> bool {
        // Computed once: recording `question` makes `(option, comment)` its only head, and no
        // other question's answer moves.
        let current = self.view(campaign).answers;
        let mut recorded = false;
        for (question, option, comment) in answers {
            let said = current.get(&question);
            if said.is_some_and(|a| a.option == option && a.comment == comment) {
                continue;
            }
            let base = self.base_for(campaign, &question);
            let clock = tick(&self.clock, at_ms);
            let id = derived_op_id(
                clock.wall_ms,
                &[
                    &clock.device,
                    &clock.wall_ms.to_string(),
                    &clock.counter.to_string(),
                    campaign,
                    &question,
                    &option,
                    comment.as_deref().unwrap_or(""),
                ],
            );
            self.record_with_base(id, at_ms, campaign, &question, Some(option), comment, base);
            recorded = true;
        }
        recorded
    }

    /// Current answers of every campaign here: the same as [`merge`] of [`Self::ops`], read
    /// from the index.
    pub fn answers(&self) -> BTreeMap<String, Answers> {
        let mut campaigns: BTreeMap<String, Answers> = BTreeMap::new();
        for ((campaign, question), derived) in self.ops.derived() {
            let answers = campaigns.entry(campaign.clone()).or_default();
            if let Some(answer) = derived.heads.first().and_then(Operation::answer) {
                answers.insert(question.clone(), answer);
            }
        }
        campaigns
    }

    /// The same as [`conflicts`] of [`Self::ops`], read from the index.
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.ops
            .derived()
            .iter()
            .filter_map(|((campaign, question), derived)| {
                let winner = derived.heads.first()?;
                let disagree = derived.heads.iter().any(|op| !op.agrees_with(winner));
                disagree.then(|| Conflict {
                    campaign: campaign.clone(),
                    question: question.clone(),
                    ops: derived.heads.clone(),
                })
            })
            .collect()
    }

    /// What `campaign`'s log says: its answers, each with the time of its question's last
    /// change, and its action plan (plan entries' status, owner and notes), priorities in the
    /// order they were first chosen. Validations and releases are the town's acts on the
    /// campaign, not answers: left out. Read from the index: it costs the campaign's number of
    /// questions, whatever the length of the log.
    pub fn view(&self, campaign: &str) -> CampaignView {
        let from = (campaign.to_string(), String::new());
        let mut plan: Vec<(&Hlc, PlanItem)> = Vec::new();
        let mut view = CampaignView::default();
        for ((_, key), derived) in self
            .ops
            .derived()
            .range(from..)
            .take_while(|((c, _), _)| c == campaign)
        {
            if network::is_network_key(key) {
                continue;
            }
            let Some(answer) = derived.heads.first().and_then(Operation::answer) else {
                continue;
            };
            match plan_target(key) {
                Some(question) => {
                    let note: PlanNote = answer
                        .comment
                        .as_deref()
                        .and_then(|c| serde_json::from_str(c).ok())
                        .unwrap_or_default();
                    let status = PlanStatus::ALL
                        .into_iter()
                        .find(|s| s.code() == answer.option)
                        .unwrap_or_default();
                    let item = PlanItem {
                        question: question.to_string(),
                        status,
                        owner: note.owner,
                        notes: note.notes,
                    };
                    plan.push((&derived.first, item));
                }
                None => {
                    let stored = StoredAnswer {
                        option: answer.option,
                        comment: answer.comment,
                        updated_ms: derived.latest_ms as f64,
                    };
                    view.answers.insert(key.clone(), stored);
                }
            }
        }
        plan.sort_by(|a, b| a.0.cmp(b.0));
        view.plan = plan.into_iter().map(|(_, item)| item).collect();
        view
    }
}

/// A UUIDv7 operation id derived from `parts` (FNV-1a, two differently seeded passes) instead of
/// random bytes, at time `unix_ms`: the same parts always give the same id. For operations made
/// while reading stored data ([`Replica::explain`]); an answer given on the phone takes a random
/// id ([`op_id`] with the platform's secure generator).
pub fn derived_op_id(unix_ms: u64, parts: &[&str]) -> String {
    let fnv = |seed: u64| {
        let mut hash = seed;
        for part in parts {
            for byte in part.bytes().chain([0u8]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        hash
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&a.to_be_bytes());
    random[8..].copy_from_slice(&b.to_be_bytes()[..2]);
    op_id(unix_ms, random)
}

mod log;
pub use log::Log;

#[cfg(test)]
mod tests;
