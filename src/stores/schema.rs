//! What Arobase keeps in the browser's localStorage, and how an older or damaged copy is read.
//!
//! Pure (no browser API), so the rules are tested natively. Three kinds of key:
//! * `arobase.settings` — the phone's settings (language, town name, current campaign, device id);
//! * `arobase.campaign.<id>` — one campaign (a town's yearly diagnostic): its answers **and** its
//!   outbox of operations, in one document so that an answer and its operation are written by the
//!   same `setItem`, never one without the other;
//! * `arobase.backup.<key>.<time>` — the raw text of a document that could not be read, kept
//!   before anything else is written to its key, so nothing is ever lost to a parse error.
//!
//! Each document carries `schema`; [`parse_campaign`] upgrades older schemas step by step and
//! moves answers given on an older questionnaire version through the domain crate's migration
//! map, keeping whatever did not survive in `retired` rather than dropping it.

use std::collections::BTreeMap;

use diagnostic::{Answer, Answers, Lang, Questionnaire};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Current schema of every document.
pub const SCHEMA_VERSION: u32 = 2;
/// Prefix of every key Arobase owns; erasing local data removes exactly these.
pub const KEY_PREFIX: &str = "arobase.";
pub const SETTINGS_KEY: &str = "arobase.settings";
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
    let name = original_key.strip_prefix(KEY_PREFIX).unwrap_or(original_key);
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

/// One local change, kept in the campaign's outbox until the server acknowledges it (sync).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Client-generated UUIDv7: unique, and sortable by creation time.
    pub id: String,
    pub device: String,
    pub campaign: String,
    pub question: String,
    /// The chosen option, or `None` when the answer was cleared.
    pub option: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub time_ms: f64,
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
    #[serde(default)]
    pub answers: BTreeMap<String, StoredAnswer>,
    #[serde(default)]
    pub outbox: Vec<Operation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredAnswer>,
    /// The two or three priorities the town chose, with their follow-up.
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
            outbox: Vec::new(),
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

    /// Records `op` and applies it. Consecutive operations on the same question that were not
    /// sent yet are folded into the latest one: a comment typed letter by letter is one change
    /// to sync, not forty.
    pub fn apply(&mut self, op: Operation) {
        match &op.option {
            Some(option) => {
                self.answers.insert(
                    op.question.clone(),
                    StoredAnswer {
                        option: option.clone(),
                        comment: op.comment.clone(),
                        updated_ms: op.time_ms,
                    },
                );
            }
            None => {
                self.answers.remove(&op.question);
            }
        }
        if self.outbox.last().is_some_and(|last| last.question == op.question) {
            self.outbox.pop();
        }
        self.outbox.push(op);
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
}

/// Reads a campaign document of any known schema, salvaging what it can and migrating its
/// answers to `current`'s questionnaire version.
pub fn parse_campaign(raw: &str, current: &Questionnaire) -> LoadedCampaign {
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
        1 => (upgrade_v1(&value), None, true),
        SCHEMA_VERSION => match serde_json::from_value::<CampaignDoc>(value.clone()) {
            Ok(doc) => (Some(doc), None, false),
            Err(e) => (salvage_v2(&value), Some(Damage::Partial(e.to_string())), true),
        },
        n if n > SCHEMA_VERSION => (None, Some(Damage::NewerSchema(n)), false),
        _ => (
            None,
            Some(Damage::Unreadable("no schema version".into())),
            false,
        ),
    };
    let doc = doc.map(|mut doc| {
        if doc.content_version != current.version {
            migrate_content(&mut doc, current);
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

/// Schema 1 stored `answers` as `{question: option}` with no comment, time or outbox. Each answer
/// becomes an operation in the outbox, so a later sync still sends it.
fn upgrade_v1(value: &Value) -> Option<CampaignDoc> {
    let id = value.get("id")?.as_str()?.to_string();
    let content_version = value.get("content_version")?.as_str()?.to_string();
    let created_ms = value.get("created_ms").and_then(Value::as_f64).unwrap_or(0.0);
    let device = value.get("device").and_then(Value::as_str).unwrap_or("v1").to_string();
    let mut doc = CampaignDoc::new(id.clone(), content_version, created_ms);
    if let Some(answers) = value.get("answers").and_then(Value::as_object) {
        for (n, (question, option)) in answers.iter().enumerate() {
            let Some(option) = option.as_str() else { continue };
            doc.apply(Operation {
                id: format!("v1-{id}-{n:04}"),
                device: device.clone(),
                campaign: id.clone(),
                question: question.clone(),
                option: Some(option.to_string()),
                comment: None,
                time_ms: created_ms,
            });
        }
    }
    Some(doc)
}

/// Keeps every answer and operation of a damaged schema-2 document that still reads.
fn salvage_v2(value: &Value) -> Option<CampaignDoc> {
    let id = value.get("id")?.as_str()?.to_string();
    let content_version = value.get("content_version")?.as_str()?.to_string();
    let created_ms = value.get("created_ms").and_then(Value::as_f64).unwrap_or(0.0);
    let mut doc = CampaignDoc::new(id, content_version, created_ms);
    if let Some(answers) = value.get("answers").and_then(Value::as_object) {
        for (question, answer) in answers {
            if let Ok(answer) = serde_json::from_value::<StoredAnswer>(answer.clone()) {
                doc.answers.insert(question.clone(), answer);
            }
        }
    }
    if let Some(outbox) = value.get("outbox").and_then(Value::as_array) {
        doc.outbox = outbox
            .iter()
            .filter_map(|op| serde_json::from_value(op.clone()).ok())
            .collect();
    }
    let list = |field: &str| value.get(field).and_then(Value::as_array).cloned().unwrap_or_default();
    doc.retired = list("retired")
        .into_iter()
        .filter_map(|r| serde_json::from_value(r).ok())
        .collect();
    doc.plan = list("plan")
        .into_iter()
        .filter_map(|p| serde_json::from_value(p).ok())
        .collect();
    doc.validated = value
        .get("validated")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    doc.share_beyond_town = value
        .get("share_beyond_town")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Some(doc)
}

/// Moves the answers onto `current`'s questionnaire version. Answers the migration map cannot
/// carry over are kept in `retired`, with the reason, never dropped.
fn migrate_content(doc: &mut CampaignDoc, current: &Questionnaire) {
    let from = doc.content_version.clone();
    let times = carried_times(doc, current);
    match diagnostic::migrate(current, &from, doc.domain_answers()) {
        Ok(migrated) => {
            doc.answers = migrated
                .answers
                .into_iter()
                .map(|(question, answer)| {
                    let updated_ms = times.get(&question).copied().unwrap_or(doc.created_ms);
                    let stored = StoredAnswer {
                        option: answer.option,
                        comment: answer.comment,
                        updated_ms,
                    };
                    (question, stored)
                })
                .collect();
            let lists = [
                (migrated.removed, "removed"),
                (migrated.superseded, "superseded"),
                (migrated.unknown, "unknown"),
            ];
            let retired: Vec<_> = lists
                .into_iter()
                .flat_map(|(list, reason)| {
                    list.into_iter().map(move |d| (d, reason))
                })
                .map(|(d, reason)| RetiredAnswer {
                    question: d.question,
                    answer: d.answer,
                    content_version: from.clone(),
                    reason: reason.to_string(),
                })
                .collect();
            doc.retired.extend(retired);
            doc.content_version = current.version.clone();
        }
        Err(e) => {
            // A version the map does not know: keep every answer where it is, retired with the
            // reason, so nothing is scored against questions it was not given for.
            let reason = e.to_string();
            let old = std::mem::take(&mut doc.answers);
            doc.retired.extend(old.into_iter().map(|(question, a)| RetiredAnswer {
                question,
                answer: Answer {
                    option: a.option,
                    comment: a.comment,
                },
                content_version: from.clone(),
                reason: reason.clone(),
            }));
            doc.content_version = current.version.clone();
        }
    }
}

/// When each answer was last changed, keyed by the question id it has after migration: the
/// domain crate moves answers, this follows the same renames and merges to move their times.
fn carried_times(doc: &CampaignDoc, current: &Questionnaire) -> BTreeMap<String, f64> {
    let mut times: BTreeMap<String, f64> = doc
        .answers
        .iter()
        .map(|(q, a)| (q.clone(), a.updated_ms))
        .collect();
    let steps = current
        .migrations
        .iter()
        .skip_while(|step| step.from != doc.content_version);
    for step in steps {
        for renamed in &step.renamed {
            if let Some(time) = times.remove(&renamed.from) {
                times.insert(renamed.to.clone(), time);
            }
        }
        for merged in &step.merged {
            let latest = merged
                .from
                .iter()
                .filter_map(|id| times.remove(id))
                .fold(None, |acc: Option<f64>, t| Some(acc.map_or(t, |a| a.max(t))));
            if let Some(time) = latest {
                times.insert(merged.into.clone(), time);
            }
        }
    }
    times
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
