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
//!
//! A campaign's log, outbox, clock and set-aside operations are the domain's
//! [`diagnostic::sync::Replica`], stored as it is: this module implements no merge, folding or
//! acknowledgement, only where and how the replica is kept. Reading never records an operation
//! with a random id: what an upgrade must record is derived from the stored data
//! ([`diagnostic::sync::Replica::explain`]).

use std::collections::BTreeMap;

use diagnostic::network;
use diagnostic::sync::{self as protocol, Conflict, PushAck, Replica, UNNAMED_DEVICE};
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

/// The campaign id a key holds, if it is a campaign's key (its head; not one of its segments).
pub fn campaign_of_key(key: &str) -> Option<&str> {
    key.strip_prefix(CAMPAIGN_PREFIX)
        .filter(|id| !id.contains('.'))
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
    /// The server's epoch the cursor belongs to: another one means the server was restored
    /// (see `SyncEngine::note_epoch`). `None` until a server that has epochs answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
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

/// The answers, the plan and the set-aside operations are the domain replica's: one definition
/// for the app, the property tests and the simulation.
pub use diagnostic::sync::{PlanItem, PlanStatus, SetAside, StoredAnswer};

/// The label of a plan status on screen (the status itself is the domain's).
pub trait PlanStatusLabel {
    fn label(self, lang: Lang) -> &'static str;
}

impl PlanStatusLabel for PlanStatus {
    fn label(self, lang: Lang) -> &'static str {
        let t = crate::i18n::texts(lang);
        match self {
            PlanStatus::Todo => t.plan_todo,
            PlanStatus::Doing => t.plan_doing,
            PlanStatus::Done => t.plan_done,
        }
    }
}

/// An answer that a questionnaire migration could not carry over, kept for the user to see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetiredAnswer {
    pub question: String,
    pub answer: Answer,
    pub content_version: String,
    pub reason: String,
}

/// One campaign: a town's diagnostic for one year. Its log, outbox, clock and set-aside
/// operations are the domain's [`Replica`] (this module only decides how it is stored); `answers`
/// and `plan` are what the replica derives, kept beside it so readers (export, older tools) need
/// no merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDoc {
    pub schema: u32,
    pub id: String,
    /// The questionnaire version the answers belong to.
    pub content_version: String,
    pub created_ms: f64,
    /// The current answers: the replica's view of this campaign, rebuilt whenever it changes.
    #[serde(default)]
    pub answers: BTreeMap<String, StoredAnswer>,
    /// `log`, `outbox`, `sent`, `clock` and `set_aside`, at the top level as schema 2 has them.
    #[serde(flatten)]
    pub replica: Replica,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredAnswer>,
    /// The two or three priorities the town chose, with their follow-up: the replica's view of
    /// the log's plan entries (`plan:<question>` operations, synced like answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<PlanItem>,
    /// The frozen copy made by « Valider le diagnostic »; edits after it are a new draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validated: Option<Snapshot>,
    /// Whether the town agreed to share this campaign beyond itself (off unless switched on).
    #[serde(default)]
    pub share_beyond_town: bool,
    /// Where it is stored (schema 3: see [`layout`]); not part of its content.
    #[serde(skip)]
    layout: Layout,
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
            schema: CAMPAIGN_SCHEMA,
            id,
            content_version,
            created_ms,
            answers: BTreeMap::new(),
            replica: Replica::new(UNNAMED_DEVICE),
            retired: Vec::new(),
            plan: Vec::new(),
            validated: None,
            share_beyond_town: false,
            layout: Layout::default(),
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

    /// Records a change made on this phone by `device` ([`Replica::change`]: consecutive unsent
    /// changes to one question fold) and returns its operation.
    pub fn record(
        &mut self,
        id: String,
        device: &str,
        now_ms: u64,
        question: &str,
        option: Option<String>,
        comment: Option<String>,
    ) -> Operation {
        self.replica.set_device(device);
        let op = self
            .replica
            .change(id, now_ms, &self.id, question, option, comment);
        self.refresh();
        op
    }

    /// Settles `conflict` ([`Replica::resolve`]).
    pub fn resolve(
        &mut self,
        id: String,
        device: &str,
        now_ms: u64,
        conflict: &Conflict,
        option: Option<String>,
        comment: Option<String>,
    ) -> Operation {
        self.replica.set_device(device);
        let op = self.replica.resolve(id, now_ms, conflict, option, comment);
        self.refresh();
        op
    }

    /// Takes in operations pulled or announced from the server ([`Replica::receive`]).
    pub fn receive(&mut self, ops: impl IntoIterator<Item = Operation>, now_ms: u64) {
        self.replica.receive(ops, now_ms);
        self.refresh();
    }

    /// The server stored a pushed batch ([`Replica::acknowledge`]).
    pub fn acknowledge(&mut self, ack: &PushAck, now_ms: u64) {
        self.replica.acknowledge(ack, now_ms);
        self.refresh();
    }

    /// Concurrent answers that disagree, still unresolved (the shown winner first in each).
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.replica.conflicts()
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
        self.replica.set_device(device);
        let op = network::record_validation(&mut self.replica, id, now_ms, questionnaire, &self.id);
        self.refresh();
        op
    }

    /// The town's validation of this campaign as the log says it: who, when, and the questions
    /// answered differently since.
    pub fn town_validation(&self, questionnaire: &Questionnaire) -> network::ValidationStatus {
        let log: Vec<Operation> = self.replica.ops.values().cloned().collect();
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
        self.replica.set_device(device);
        let op = network::record_release(&mut self.replica, id, now_ms, &self.id, level)?;
        self.refresh();
        Ok(op)
    }

    /// The town's sharing state of this campaign as the log says it.
    pub fn town_release(&self) -> network::ReleaseState {
        let log: Vec<Operation> = self.replica.ops.values().cloned().collect();
        network::release_state(&log, &self.id)
    }

    /// Recomputes `answers` and `plan` from the replica.
    pub fn refresh(&mut self) {
        let view = self.replica.view(&self.id);
        self.answers = view.answers;
        self.plan = view.plan;
    }

    /// Answers stored without the operations that explain them (a damaged log, a document
    /// written by another tool) become operations of this phone ([`Replica::explain`], at the
    /// time stored with each), so they are neither lost at the next change nor left out of sync.
    /// Returns whether anything was recorded.
    fn reconcile(&mut self) -> bool {
        let stored = std::mem::take(&mut self.answers);
        self.refresh();
        let mut recorded = false;
        for (question, answer) in stored {
            let current = self.answers.get(&question);
            if current.is_some_and(|a| a.option == answer.option && a.comment == answer.comment) {
                continue;
            }
            let at_ms = answer.updated_ms.max(self.created_ms) as u64;
            let said = [(question, answer.option, answer.comment)];
            recorded |= self.replica.explain(&self.id, said, at_ms);
        }
        if recorded {
            self.refresh();
        }
        recorded
    }
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
    /// Segments whose raw text must be backed up before the campaign is written again.
    pub damaged_keys: Vec<String>,
}

/// Reads a campaign stored as one document (schemas 1 and 2; a schema-3 head alone reads without
/// its log: see [`load_campaign`]), salvaging what it can and migrating its answers to `current`'s
/// questionnaire version. Reading mints no random operation: what an upgrade must record derives
/// from the stored data ([`Replica::explain`]), so two reads of one document agree.
pub fn parse_campaign(raw: &str, current: &Questionnaire) -> LoadedCampaign {
    let mut loaded = match serde_json::from_str(raw) {
        Ok(value) => read_document(value),
        Err(e) => LoadedCampaign {
            doc: None,
            damage: Some(Damage::Unreadable(e.to_string())),
            upgraded: false,
            damaged_keys: Vec::new(),
        },
    };
    if let Some(doc) = loaded.doc.as_mut() {
        if settle(doc, current) {
            loaded.upgraded = true;
        }
    }
    loaded
}

/// Reads one campaign document (a schema-3 head with its log put back under `log`), upgrading
/// schema 1 and salvaging a damaged one.
fn read_document(value: Value) -> LoadedCampaign {
    let schema = value.get("schema").and_then(Value::as_u64).unwrap_or(0) as u32;
    let (doc, damage, upgraded) = match schema {
        1 => (upgrade_v1(&value), None, true),
        SCHEMA_VERSION | CAMPAIGN_SCHEMA => {
            match serde_json::from_value::<CampaignDoc>(value.clone()) {
                Ok(doc) => (Some(doc), None, false),
                Err(e) => (
                    salvage_v2(&value),
                    Some(Damage::Partial(e.to_string())),
                    true,
                ),
            }
        }
        n if n > CAMPAIGN_SCHEMA => (None, Some(Damage::NewerSchema(n)), false),
        _ => (
            None,
            Some(Damage::Unreadable("no schema version".into())),
            false,
        ),
    };
    let damage = match (&doc, damage) {
        (None, None) => Some(Damage::Unreadable("missing campaign fields".into())),
        (_, damage) => damage,
    };
    LoadedCampaign {
        doc,
        damage,
        upgraded,
        damaged_keys: Vec::new(),
    }
}

/// Records answers stored without their operations and moves the answers to `current`'s
/// questionnaire version; returns whether the document changed.
fn settle(doc: &mut CampaignDoc, current: &Questionnaire) -> bool {
    let mut changed = doc.reconcile();
    if doc.content_version != current.version {
        migrate_content(doc, current);
        changed = true;
    }
    changed
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
fn upgrade_v1(value: &Value) -> Option<CampaignDoc> {
    let mut doc = campaign_header(value)?;
    let time = (doc.created_ms as u64).max(1);
    if let Some(answers) = value.get("answers").and_then(Value::as_object) {
        let answers = answers.iter().filter_map(|(question, option)| {
            Some((question.clone(), option.as_str()?.to_string(), None))
        });
        doc.replica.explain(&doc.id, answers, time);
    }
    doc.refresh();
    Some(doc)
}

/// Keeps every part of a damaged schema-2 document that still reads.
fn salvage_v2(value: &Value) -> Option<CampaignDoc> {
    let mut doc = campaign_header(value)?;
    let field = |name: &str| value.get(name).cloned().unwrap_or(Value::Null);
    let items = |name: &str| field(name).as_array().cloned().unwrap_or_default();
    let replica = &mut doc.replica;
    if let Some(log) = field("log").as_object() {
        replica.ops = log
            .values()
            .filter_map(|op| serde_json::from_value(op.clone()).ok())
            .collect();
    }
    let ids = |name: &str| -> Vec<String> {
        items(name)
            .into_iter()
            .filter_map(|id| id.as_str().map(str::to_string))
            .collect()
    };
    replica.outbox = ids("outbox");
    replica.sent = ids("sent").into_iter().collect();
    // Drops what names no operation of the log.
    replica.retain(|_| true);
    if let Ok(clock) = serde_json::from_value(field("clock")) {
        replica.clock = clock;
    }
    replica.set_aside = items("set_aside")
        .into_iter()
        .filter_map(|r| serde_json::from_value(r).ok())
        .collect();
    replica.resend = field("resend").as_str().map(str::to_string);
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
fn migrate_content(doc: &mut CampaignDoc, current: &Questionnaire) {
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
            doc.replica.retain(|_| false);
            Answers::new()
        }
    };
    doc.replica
        .retain(|op| match protocol::plan_target(&op.question) {
            Some(question) => current.question(question).is_some(),
            None => current
                .question(&op.question)
                .is_some_and(|q| op.option.as_ref().is_none_or(|o| q.option(o).is_some())),
        });
    doc.refresh();
    doc.content_version = current.version.clone();
    let moved = answers.into_iter().map(|(q, a)| (q, a.option, a.comment));
    // At the campaign's creation time: the clock still orders them after everything seen here.
    let at_ms = (doc.created_ms as u64).max(1);
    if doc.replica.explain(&doc.id, moved, at_ms) {
        doc.refresh();
    }
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

mod layout;
pub use layout::*;

#[cfg(test)]
mod tests;
