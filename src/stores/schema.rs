//! What Arobase keeps in the browser's localStorage, and how an older or damaged copy is read.
//!
//! Pure (no browser API), so the rules are tested natively. Three kinds of key:
//! * `arobase.settings` — the phone's settings (language, town name, current campaign, device id);
//! * `arobase.campaign.<id>` — one campaign (a town's yearly diagnostic): its answers **and** its
//!   outbox of operations, in one document so that an answer and its operation are written by the
//!   same `setItem`, never one without the other;
//! * `arobase.operator` — on a browser of the hosting association only: its operator token, kept
//!   apart from the town's device token so that one can never be sent as the other;
//! * `arobase.network` — the last figures of comparable towns fetched for this phone's town, with
//!   their date, and the group the user picked ([`NetworkCache`]): only a cache, so an unreadable
//!   copy is dropped, never backed up;
//! * `arobase.backup.<key>.<time>` — the raw text of a document that could not be read, kept
//!   before anything else is written to its key, so nothing is ever lost to a parse error.
//!
//! Each document carries `schema`; [`parse_campaign`] upgrades older schemas step by step and
//! moves answers given on an older questionnaire version through the domain crate's migration
//! map, keeping whatever did not survive in `retired` rather than dropping it.

use std::collections::BTreeMap;

use diagnostic::network;
use diagnostic::sync::{self as protocol, Conflict, Hlc, PushAck};
use diagnostic::{Answer, Answers, Lang, Questionnaire};

/// Operations are the sync protocol's: one definition for the app and the server.
pub use diagnostic::sync::Operation;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Current schema of every document.
pub const SCHEMA_VERSION: u32 = 2;
/// Prefix of every key Arobase owns; erasing local data removes exactly these.
pub const KEY_PREFIX: &str = "arobase.";
pub const SETTINGS_KEY: &str = "arobase.settings";
pub const OPERATOR_KEY: &str = "arobase.operator";
pub const NETWORK_KEY: &str = "arobase.network";
const CAMPAIGN_PREFIX: &str = "arobase.campaign.";
const BACKUP_PREFIX: &str = "arobase.backup.";

pub fn campaign_key(campaign_id: &str) -> String {
    format!("{CAMPAIGN_PREFIX}{campaign_id}")
}

/// The campaign id a key holds, if it is a campaign key.
pub fn campaign_of_key(key: &str) -> Option<&str> {
    key.strip_prefix(CAMPAIGN_PREFIX)
}

pub fn backup_key(original_key: &str, time_ms: f64) -> String {
    let name = original_key
        .strip_prefix(KEY_PREFIX)
        .unwrap_or(original_key);
    format!("{BACKUP_PREFIX}{name}.{}", time_ms as u64)
}

pub fn is_backup_key(key: &str) -> bool {
    key.starts_with(BACKUP_PREFIX)
}

/// The phone's own settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub schema: u32,
    /// Random id of this phone, written into every operation (no personal data).
    pub device_id: String,
    #[serde(default)]
    pub lang: Lang,
    /// The town's name, typed by the user until enrolment gives the official one.
    #[serde(default)]
    pub town_name: String,
    /// Id of the campaign being answered.
    pub current_campaign: String,
    /// The question the user last opened, to resume there.
    #[serde(default)]
    pub last_question: Option<String>,
    /// Whether persistent storage was already requested (it is asked once, at the first answer).
    #[serde(default)]
    pub persistence_requested: bool,
    /// The town's space on the server, once this phone is enrolled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncSettings>,
    /// A claim for a commune that already had a space, waiting for the association's decision
    /// (added in schema 2 without a version bump: absent in older documents, which read as no
    /// claim). Cleared once the phone is let in, or once the user has read a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_request: Option<PendingAccess>,
}

/// A claim sent with `POST /api/towns` that became an access request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingAccess {
    /// The request's token: it tells the request's state, and works as this phone's device token
    /// once an operator lets it in.
    pub token: String,
    /// The request as last read from the server.
    pub request: diagnostic::association::AccessRequest,
}

/// What a browser of the hosting association keeps to use the console (under [`OPERATOR_KEY`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorSettings {
    pub schema: u32,
    /// The operator token (`arobase_op_…`), never sent as a device token.
    pub token: String,
    pub operator: diagnostic::association::Operator,
    /// The name given to this browser at enrolment.
    pub device_name: String,
}

impl OperatorSettings {
    pub fn new(enrolment: diagnostic::association::OperatorEnrolment, device_name: String) -> Self {
        OperatorSettings {
            schema: SCHEMA_VERSION,
            token: enrolment.token,
            operator: enrolment.operator,
            device_name,
        }
    }
}

/// Reads the operator document; unreadable or newer ones are ignored (the operator enrols again:
/// nothing of a town is in it).
pub fn parse_operator(raw: &str) -> Option<OperatorSettings> {
    let settings: OperatorSettings = serde_json::from_str(raw).ok()?;
    (settings.schema <= SCHEMA_VERSION
        && settings
            .token
            .starts_with(diagnostic::association::OPERATOR_TOKEN_PREFIX))
    .then_some(settings)
}

/// The figures of the town's groups of comparable towns as last fetched (under [`NETWORK_KEY`]),
/// so the comparison shows offline with its date, and the group the user picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkCache {
    pub schema: u32,
    /// The INSEE code of the town the figures are for: a phone that joins another town's space
    /// must not show the previous town's groups.
    pub commune: String,
    /// What `GET /api/network/aggregates` answered (campaign, date, groups).
    pub page: network::AggregatesPage,
    /// The slug of the group picked in « Groupe de comparaison » (`strate:2500-3499`…); `None`
    /// until the user picks one (the first shown group is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl NetworkCache {
    pub fn new(commune: String, page: network::AggregatesPage, group: Option<String>) -> Self {
        NetworkCache {
            schema: SCHEMA_VERSION,
            commune,
            page,
            group,
        }
    }

    /// Whether these figures are the ones for `commune` and `campaign`.
    pub fn is_for(&self, commune: &str, campaign: &str) -> bool {
        self.commune == commune && self.page.campaign == campaign
    }

    /// The group to compare with: the one picked when the town still has it, else the first
    /// shown one (stratum first, in `groups_of` order), else the first.
    pub fn selected(&self) -> Option<&network::GroupAggregate> {
        let groups = &self.page.groups;
        self.group
            .as_deref()
            .and_then(|slug| groups.iter().find(|g| g.group().slug() == slug))
            .or_else(|| groups.iter().find(|g| g.figures().is_some()))
            .or_else(|| groups.first())
    }

    /// The figures shown for the picked group, when it is shown.
    pub fn selected_figures(&self) -> Option<&network::GroupFigures> {
        self.selected().and_then(network::GroupAggregate::figures)
    }
}

/// Reads the network cache; `None` when it is unreadable, of a newer schema, or not a page of
/// figures. It is only a cache: the caller drops it and fetches again.
pub fn parse_network_cache(raw: &str) -> Option<NetworkCache> {
    let cache: NetworkCache = serde_json::from_str(raw).ok()?;
    (cache.schema <= SCHEMA_VERSION && !cache.commune.is_empty()).then_some(cache)
}

/// What this phone knows of its town's space on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncSettings {
    /// The device token (`Authorization: Bearer`). Only this phone and the server's hash know it.
    pub token: String,
    pub device: diagnostic::sync::Device,
    pub town: diagnostic::sync::Town,
    /// Sequence number of the last operation pulled and stored here.
    #[serde(default)]
    pub cursor: u64,
    #[serde(default)]
    pub last_sync_ms: Option<f64>,
    /// Set when the server says this device was removed: the message to show.
    #[serde(default)]
    pub revoked: Option<String>,
    /// The town's devices, to say who gave an answer.
    #[serde(default)]
    pub devices: Vec<diagnostic::sync::Device>,
}

impl SyncSettings {
    /// « Marie Dupont — Maire » for a device id, when known: the role as every screen labels it
    /// ([`crate::i18n::role_label`]), in French.
    pub fn who(&self, device: &str) -> Option<String> {
        self.who_in(device, Lang::Fr)
    }

    /// [`Self::who`] in `lang`.
    pub fn who_in(&self, device: &str, lang: Lang) -> Option<String> {
        self.devices
            .iter()
            .find(|d| d.id == device)
            .map(|d| format!("{} — {}", d.name, crate::i18n::role_label(d.role, lang)))
    }
}

impl Settings {
    pub fn new(device_id: String, current_campaign: String) -> Self {
        Settings {
            schema: SCHEMA_VERSION,
            device_id,
            lang: Lang::default(),
            town_name: String::new(),
            current_campaign,
            last_question: None,
            persistence_requested: false,
            sync: None,
            access_request: None,
        }
    }
}

/// One answer as stored: the domain answer plus when it was last changed here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub option: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub updated_ms: f64,
}

/// An operation kept on the phone but not sent, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetAside {
    pub op: Operation,
    pub reason: String,
}

/// An answer that a questionnaire migration could not carry over, kept for the user to see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetiredAnswer {
    pub question: String,
    pub answer: Answer,
    pub content_version: String,
    pub reason: String,
}

/// One campaign: a town's diagnostic for one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDoc {
    pub schema: u32,
    pub id: String,
    /// The questionnaire version the answers belong to.
    pub content_version: String,
    pub created_ms: f64,
    /// The current answers: the merge of `log` (last writer wins), rebuilt whenever the log
    /// changes. Stored too, so that readers (export, older tools) need no merge.
    #[serde(default)]
    pub answers: BTreeMap<String, StoredAnswer>,
    /// Every operation of this campaign known here: this phone's, and the town's once synced.
    #[serde(default)]
    pub log: BTreeMap<String, Operation>,
    /// Ids of this phone's operations the server has not acknowledged yet, oldest first. An
    /// operation leaves it only once acknowledged (or pulled back from the server).
    #[serde(default)]
    pub outbox: Vec<String>,
    /// This phone's hybrid logical clock.
    #[serde(default = "local_clock")]
    pub clock: Hlc,
    /// This phone's operations the server would refuse (checked with the server's own rule before
    /// sending), taken out of the outbox so the others still sync; kept, with the reason, to show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_aside: Vec<SetAside>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredAnswer>,
    /// The two or three priorities the town chose, with their follow-up: the merge of the log's
    /// plan entries (`plan:<question>` operations, synced like answers), rebuilt with `answers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<PlanItem>,
    /// The frozen copy made by « Valider le diagnostic »; edits after it are a new draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validated: Option<Snapshot>,
    /// Whether the town agreed to share this campaign beyond itself (off unless switched on).
    #[serde(default)]
    pub share_beyond_town: bool,
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

    pub fn code(self) -> &'static str {
        match self {
            PlanStatus::Todo => "todo",
            PlanStatus::Doing => "doing",
            PlanStatus::Done => "done",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let t = crate::i18n::texts(lang);
        match self {
            PlanStatus::Todo => t.plan_todo,
            PlanStatus::Doing => t.plan_doing,
            PlanStatus::Done => t.plan_done,
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

/// A validated diagnostic: the answers and scores as they were on that day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub validated_ms: f64,
    pub content_version: String,
    pub answers: BTreeMap<String, StoredAnswer>,
    pub scores: diagnostic::Scores,
}

impl CampaignDoc {
    pub fn new(id: String, content_version: String, created_ms: f64) -> Self {
        CampaignDoc {
            schema: SCHEMA_VERSION,
            id,
            content_version,
            created_ms,
            answers: BTreeMap::new(),
            log: BTreeMap::new(),
            outbox: Vec::new(),
            clock: local_clock(),
            set_aside: Vec::new(),
            retired: Vec::new(),
            plan: Vec::new(),
            validated: None,
            share_beyond_town: false,
        }
    }

    /// Whether answers changed since the campaign was validated (a new draft).
    pub fn edited_since_validation(&self) -> bool {
        self.validated
            .as_ref()
            .is_some_and(|snapshot| snapshot.answers != self.answers)
    }

    /// The answers in the domain crate's form, for scoring.
    pub fn domain_answers(&self) -> Answers {
        self.answers
            .iter()
            .map(|(q, a)| {
                let answer = Answer {
                    option: a.option.clone(),
                    comment: a.comment.clone(),
                };
                (q.clone(), answer)
            })
            .collect()
    }

    /// Records a change made on this phone and returns its operation. Its base is the
    /// question's current heads, so answering while a conflict shows resolves it. Consecutive
    /// changes to one question that were not sent yet fold into one operation (it takes over the
    /// folded one's base): a comment typed letter by letter is one change to sync, not forty.
    pub fn record(
        &mut self,
        id: String,
        device: &str,
        now_ms: u64,
        question: &str,
        option: Option<String>,
        comment: Option<String>,
    ) -> Operation {
        let mut base = protocol::base_for(self.log.values(), &self.id, question);
        let last_unsent = self.outbox.last().and_then(|last| self.log.get(last));
        if last_unsent.is_some_and(|op| op.question == question) {
            let folded = self.outbox.pop().and_then(|id| self.log.remove(&id));
            base = folded.map(|op| op.base).unwrap_or_default();
        }
        self.record_with_base(id, device, now_ms, question, option, comment, base)
    }

    /// Resolves `conflict` with the given answer (one of its operations' to keep it, or a new
    /// one): an operation whose base names every head, so it becomes the only one.
    pub fn resolve(
        &mut self,
        id: String,
        device: &str,
        now_ms: u64,
        conflict: &Conflict,
        option: Option<String>,
        comment: Option<String>,
    ) -> Operation {
        self.record_with_base(
            id,
            device,
            now_ms,
            &conflict.question,
            option,
            comment,
            conflict.base(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn record_with_base(
        &mut self,
        id: String,
        device: &str,
        now_ms: u64,
        question: &str,
        option: Option<String>,
        comment: Option<String>,
        base: Vec<String>,
    ) -> Operation {
        if self.clock.device != device {
            self.clock.device = device.to_string();
        }
        self.clock = protocol::tick(&self.clock, now_ms);
        let op = Operation {
            id,
            device: device.to_string(),
            campaign: self.id.clone(),
            question: question.to_string(),
            option,
            comment,
            clock: self.clock.clone(),
            base,
        };
        self.outbox.push(op.id.clone());
        self.log.insert(op.id.clone(), op.clone());
        self.rebuild_answers();
        op
    }

    /// Takes in operations pulled from the server: the server's copy replaces any local one (it
    /// may have clamped the clock), and one that was waiting in the outbox is delivered. An
    /// operation recorded on a phone still on an older content version names that version's
    /// question and option: it is moved through the migration map first, exactly as a stored
    /// answer is (see [`migrate_content`]), so it lands on the current question.
    pub fn receive(&mut self, ops: impl IntoIterator<Item = Operation>, now_ms: u64) {
        let current = diagnostic::outline();
        for op in ops {
            let op = op.upgraded(current);
            self.clock = protocol::observe(&self.clock, &op.clock, now_ms);
            self.outbox.retain(|id| *id != op.id);
            self.log.insert(op.id.clone(), op);
        }
        self.rebuild_answers();
    }

    /// The server stored these operations: they leave the outbox.
    pub fn acknowledge(&mut self, ack: &PushAck, now_ms: u64) {
        self.outbox.retain(|id| !ack.acknowledged.contains(id));
        for clamped in &ack.clamped {
            if let Some(op) = self.log.get_mut(&clamped.id) {
                op.clock = clamped.clock.clone();
            }
        }
        self.clock = protocol::observe(&self.clock, &ack.clock, now_ms);
        self.rebuild_answers();
    }

    /// Folds a clock the server sent (a pull page's) into this phone's, so that what is recorded
    /// next orders after it even when this phone's own clock is late. `false` when it changed
    /// nothing (no need to store the campaign again).
    pub fn observe(&mut self, clock: &Hlc, now_ms: u64) -> bool {
        if self.clock > *clock {
            return false;
        }
        self.clock = protocol::observe(&self.clock, clock, now_ms);
        true
    }

    /// The operations waiting to be sent, oldest first.
    pub fn pending(&self) -> Vec<Operation> {
        self.outbox
            .iter()
            .filter_map(|id| self.log.get(id).cloned())
            .collect()
    }

    /// Takes out of the outbox every operation the server would refuse — the same check it runs —
    /// so that one bad operation cannot block the others; they stay on the phone, with the reason.
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
        self.outbox
            .retain(|id| !refused.iter().any(|r| r.op.id == *id));
        let count = refused.len();
        self.set_aside.extend(refused);
        count
    }

    /// Answers stored without the operations that explain them (a damaged log, a document
    /// written by another tool) become operations of this phone, so they are neither lost at the
    /// next change nor left out of sync. Returns whether anything was recorded.
    fn reconcile(&mut self, now_ms: u64, next_id: fn() -> String) -> bool {
        let stored = std::mem::take(&mut self.answers);
        self.rebuild_answers();
        let stored = stored.into_iter().map(|(q, a)| (q, a.option, a.comment));
        self.record_unexplained(stored, now_ms, next_id)
    }

    /// Records, as operations of this phone, each of `answers` that the current answers do not
    /// already say. Returns whether anything was recorded.
    fn record_unexplained(
        &mut self,
        answers: impl IntoIterator<Item = (String, String, Option<String>)>,
        now_ms: u64,
        next_id: fn() -> String,
    ) -> bool {
        let device = self.clock.device.clone();
        let mut recorded = false;
        for (question, option, comment) in answers {
            let explained = self
                .answers
                .get(&question)
                .is_some_and(|a| a.option == option && a.comment == comment);
            if !explained {
                self.record(next_id(), &device, now_ms, &question, Some(option), comment);
                recorded = true;
            }
        }
        recorded
    }

    /// Enrolment gave this phone its server device id: the operations not sent yet take it.
    pub fn adopt_device(&mut self, device: &str) {
        for id in &self.outbox {
            if let Some(op) = self.log.get_mut(id) {
                op.device = device.to_string();
                op.clock.device = device.to_string();
            }
        }
        self.clock.device = device.to_string();
    }

    /// Concurrent answers that disagree, still unresolved (the shown winner first in each).
    pub fn conflicts(&self) -> Vec<Conflict> {
        protocol::conflicts(self.log.values())
    }

    /// Records the town's validation of this campaign with its current answers (the synced
    /// `validation:<campaign>` operation, through the outbox like a plan entry). Only an
    /// administrator's phone offers it; the server refuses it from others.
    pub fn record_town_validation(
        &mut self,
        id: String,
        device: &str,
        now_ms: u64,
        questionnaire: &Questionnaire,
    ) -> Operation {
        let answers = self.domain_answers();
        let covered = answers
            .keys()
            .filter_map(|question| {
                protocol::heads(self.log.values(), &self.id, question)
                    .first()
                    .map(|op| op.id.clone())
            })
            .collect();
        let note = network::ValidationNote::new(questionnaire, &answers, covered);
        self.record(
            id,
            device,
            now_ms,
            &network::validation_key(&self.id),
            Some(network::VALIDATED.to_string()),
            Some(note.to_json()),
        )
    }

    /// The town's validation of this campaign as the log says it: who, when, and the questions
    /// answered differently since.
    pub fn town_validation(&self, questionnaire: &Questionnaire) -> network::ValidationStatus {
        let log: Vec<Operation> = self.log.values().cloned().collect();
        network::validation_status(&log, questionnaire, &self.id)
    }

    /// Records the town's sharing choice for this campaign (`None`: not shared, or withdrawn) as
    /// the synced `release:<campaign>` operation. Sharing needs a current validation (the server
    /// checks it too: `not_validated`); withdrawing is always possible.
    pub fn record_town_release(
        &mut self,
        id: String,
        device: &str,
        now_ms: u64,
        level: Option<network::ReleaseLevel>,
    ) -> Result<Operation, network::NetworkError> {
        if level.is_some() && network::current_validation(self.log.values(), &self.id).is_none() {
            return Err(network::NetworkError::NotValidated(self.id.clone()));
        }
        Ok(self.record(
            id,
            device,
            now_ms,
            &network::release_key(&self.id),
            level.map(|l| l.as_str().to_string()),
            None,
        ))
    }

    /// The server refused a pushed batch because of its validations or releases (`not_admin`:
    /// this device is no longer an administrator; `not_validated`: a release whose validation
    /// was withdrawn meanwhile on another phone). Those operations leave the outbox for
    /// `set_aside`, with the server's reason, so they cannot block the answers behind them.
    /// Returns how many were set aside.
    pub fn set_aside_network(&mut self, releases_only: bool, reason: &str) -> usize {
        let refused: Vec<SetAside> = self
            .pending()
            .into_iter()
            .filter(|op| {
                if releases_only {
                    op.question == network::release_key(&self.id) && op.option.is_some()
                } else {
                    network::is_network_key(&op.question)
                }
            })
            .map(|op| SetAside {
                op,
                reason: reason.to_string(),
            })
            .collect();
        self.outbox
            .retain(|id| !refused.iter().any(|r| r.op.id == *id));
        let count = refused.len();
        self.set_aside.extend(refused);
        count
    }

    /// The town's sharing state of this campaign as the log says it.
    pub fn town_release(&self) -> network::ReleaseState {
        let log: Vec<Operation> = self.log.values().cloned().collect();
        network::release_state(&log, &self.id)
    }

    /// Recomputes `answers` from `log`.
    fn rebuild_answers(&mut self) {
        let merged = protocol::merge(self.log.values())
            .remove(&self.id)
            .unwrap_or_default();
        // Per key: the last change (for `updated_ms`) and the first (plan entries keep the order
        // in which priorities were chosen).
        let mut times: BTreeMap<&str, (u64, &Hlc)> = BTreeMap::new();
        for op in self.log.values() {
            let entry = times.entry(op.question.as_str()).or_insert((0, &op.clock));
            entry.0 = entry.0.max(op.clock.wall_ms);
            entry.1 = entry.1.min(&op.clock);
        }
        let mut plan: Vec<(&Hlc, PlanItem)> = Vec::new();
        let mut answers = BTreeMap::new();
        for (key, answer) in merged {
            // Validations and releases are the town's acts on the campaign, not answers.
            if network::is_network_key(&key) {
                continue;
            }
            let (latest, first) = times.get(key.as_str()).copied().unwrap_or((0, &self.clock));
            match protocol::plan_target(&key) {
                Some(question) => {
                    let note: protocol::PlanNote = answer
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
                    plan.push((first, item));
                }
                None => {
                    let stored = StoredAnswer {
                        option: answer.option,
                        comment: answer.comment,
                        updated_ms: latest as f64,
                    };
                    answers.insert(key, stored);
                }
            }
        }
        plan.sort_by(|a, b| a.0.cmp(b.0));
        self.plan = plan.into_iter().map(|(_, item)| item).collect();
        self.answers = answers;
    }
}

/// The clock of a phone before enrolment gives it a device id.
fn local_clock() -> Hlc {
    Hlc::zero("local")
}

/// Why a stored document could not be read as it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Damage {
    /// Not JSON at all (truncated write, foreign data).
    Unreadable(String),
    /// JSON, but written by a newer Arobase than this one.
    NewerSchema(u32),
    /// JSON of a known schema, but some parts did not match it; the rest was kept.
    Partial(String),
}

/// A campaign read from storage: the document, whether it was damaged, and whether it changed
/// while being read (upgraded or migrated), in which case it should be written back.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedCampaign {
    pub doc: Option<CampaignDoc>,
    pub damage: Option<Damage>,
    pub upgraded: bool,
}

/// Makes new operations while reading: the time, and a fresh operation id per call.
pub struct NewOps {
    pub now_ms: u64,
    pub next_id: fn() -> String,
}

/// Reads a campaign document of any known schema, salvaging what it can and migrating its
/// answers to `current`'s questionnaire version.
pub fn parse_campaign(raw: &str, current: &Questionnaire, new_ops: NewOps) -> LoadedCampaign {
    let value: Value = match serde_json::from_str(raw) {
        Ok(value) => value,
        Err(e) => {
            return LoadedCampaign {
                doc: None,
                damage: Some(Damage::Unreadable(e.to_string())),
                upgraded: false,
            }
        }
    };
    let schema = value.get("schema").and_then(Value::as_u64).unwrap_or(0) as u32;
    let (doc, damage, mut upgraded) = match schema {
        1 => (upgrade_v1(&value, new_ops.next_id), None, true),
        SCHEMA_VERSION => match serde_json::from_value::<CampaignDoc>(value.clone()) {
            Ok(doc) => (Some(doc), None, false),
            Err(e) => (
                salvage_v2(&value),
                Some(Damage::Partial(e.to_string())),
                true,
            ),
        },
        n if n > SCHEMA_VERSION => (None, Some(Damage::NewerSchema(n)), false),
        _ => (
            None,
            Some(Damage::Unreadable("no schema version".into())),
            false,
        ),
    };
    let doc = doc.map(|mut doc| {
        if doc.reconcile(new_ops.now_ms, new_ops.next_id) {
            upgraded = true;
        }
        if doc.content_version != current.version {
            migrate_content(&mut doc, current, new_ops.now_ms, new_ops.next_id);
            upgraded = true;
        }
        doc
    });
    let damage = match (&doc, damage) {
        (None, None) => Some(Damage::Unreadable("missing campaign fields".into())),
        (_, damage) => damage,
    };
    LoadedCampaign {
        doc,
        damage,
        upgraded,
    }
}

fn campaign_header(value: &Value) -> Option<CampaignDoc> {
    let id = value.get("id")?.as_str()?.to_string();
    let content_version = value.get("content_version")?.as_str()?.to_string();
    let created_ms = value
        .get("created_ms")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    Some(CampaignDoc::new(id, content_version, created_ms))
}

/// Schema 1 stored `answers` as `{question: option}`, with no comment, clock or log. Each answer
/// becomes an operation of this phone, waiting in the outbox, so a later sync still sends it.
fn upgrade_v1(value: &Value, next_id: fn() -> String) -> Option<CampaignDoc> {
    let mut doc = campaign_header(value)?;
    let time = (doc.created_ms as u64).max(1);
    if let Some(answers) = value.get("answers").and_then(Value::as_object) {
        for (question, option) in answers {
            let Some(option) = option.as_str() else {
                continue;
            };
            doc.record(
                next_id(),
                "local",
                time,
                question,
                Some(option.to_string()),
                None,
            );
        }
    }
    Some(doc)
}

/// Keeps every part of a damaged schema-2 document that still reads.
fn salvage_v2(value: &Value) -> Option<CampaignDoc> {
    let mut doc = campaign_header(value)?;
    let field = |name: &str| value.get(name).cloned().unwrap_or(Value::Null);
    let items = |name: &str| field(name).as_array().cloned().unwrap_or_default();
    if let Some(log) = field("log").as_object() {
        doc.log = log
            .iter()
            .filter_map(|(id, op)| Some((id.clone(), serde_json::from_value(op.clone()).ok()?)))
            .collect();
    }
    doc.outbox = items("outbox")
        .into_iter()
        .filter_map(|id| id.as_str().map(str::to_string))
        .filter(|id| doc.log.contains_key(id))
        .collect();
    if let Ok(clock) = serde_json::from_value(field("clock")) {
        doc.clock = clock;
    }
    doc.set_aside = items("set_aside")
        .into_iter()
        .filter_map(|r| serde_json::from_value(r).ok())
        .collect();
    doc.retired = items("retired")
        .into_iter()
        .filter_map(|r| serde_json::from_value(r).ok())
        .collect();
    doc.validated = serde_json::from_value(field("validated")).ok();
    doc.share_beyond_town = field("share_beyond_town").as_bool().unwrap_or(false);
    // Answers as stored; `reconcile` checks them against the log.
    if let Some(answers) = field("answers").as_object() {
        doc.answers = answers
            .iter()
            .filter_map(|(q, a)| Some((q.clone(), serde_json::from_value(a.clone()).ok()?)))
            .collect();
    }
    Some(doc)
}

/// Moves the answers onto `current`'s questionnaire version through the domain crate's migration
/// map. Answers it cannot carry over are kept in `retired`, with the reason, never dropped.
/// Operations naming questions or options the current content lacks leave the log (the server
/// accepts only current ids; it keeps the old ones it already has), and each answer that moved
/// is recorded anew as an operation of this phone, so it syncs.
fn migrate_content(
    doc: &mut CampaignDoc,
    current: &Questionnaire,
    now_ms: u64,
    next_id: fn() -> String,
) {
    let from = doc.content_version.clone();
    let retire = |question: String, answer: Answer, reason: &str| RetiredAnswer {
        question,
        answer,
        content_version: from.clone(),
        reason: reason.to_string(),
    };
    let answers = match diagnostic::migrate(current, &from, doc.domain_answers()) {
        Ok(migrated) => {
            let lists = [
                (migrated.removed, "removed"),
                (migrated.superseded, "superseded"),
                (migrated.unknown, "unknown"),
            ];
            for (list, reason) in lists {
                doc.retired.extend(
                    list.into_iter()
                        .map(|d| retire(d.question, d.answer, reason)),
                );
            }
            migrated.answers
        }
        Err(e) => {
            // A version the map does not know: nothing can be scored against questions it was
            // not given for, so every answer is kept aside, with the reason.
            let reason = e.to_string();
            let old = doc.domain_answers();
            doc.retired
                .extend(old.into_iter().map(|(q, a)| retire(q, a, &reason)));
            doc.log.clear();
            Answers::new()
        }
    };
    doc.log
        .retain(|_, op| match protocol::plan_target(&op.question) {
            Some(question) => current.question(question).is_some(),
            None => current
                .question(&op.question)
                .is_some_and(|q| op.option.as_ref().is_none_or(|o| q.option(o).is_some())),
        });
    let log = &doc.log;
    doc.outbox.retain(|id| log.contains_key(id));
    doc.rebuild_answers();
    doc.content_version = current.version.clone();
    let moved = answers.into_iter().map(|(q, a)| (q, a.option, a.comment));
    doc.record_unexplained(moved, now_ms, next_id);
}

/// Reads the settings document; `None` with the damage when it cannot be used.
pub fn parse_settings(raw: &str) -> Result<Settings, Damage> {
    let value: Value = serde_json::from_str(raw).map_err(|e| Damage::Unreadable(e.to_string()))?;
    let schema = value.get("schema").and_then(Value::as_u64).unwrap_or(0) as u32;
    if schema > SCHEMA_VERSION {
        return Err(Damage::NewerSchema(schema));
    }
    // Settings had the same shape in schema 1.
    let mut settings: Settings =
        serde_json::from_value(value).map_err(|e| Damage::Partial(e.to_string()))?;
    settings.schema = SCHEMA_VERSION;
    Ok(settings)
}

#[cfg(test)]
mod tests;
