//! The reactive store of what this phone holds: settings and the current campaign's answers.
//!
//! Every change is written to localStorage **before** the signals change, inside the same event
//! handler as the tap: there is no save button and no debounce, so the last tap cannot be lost.
//! When a write fails (storage full), the signals keep the last persisted state — the screen
//! shows what is really saved — and the failure is shown to the user.
//!
//! A tap costs the same whatever the length of the log: the campaign is changed in place (never
//! cloned), the replica re-derives only the touched question, and the write appends to the open
//! segment and rewrites the small head (schema 3, see [`super::schema::layout`]). Subscribers
//! are notified only once the head is written; a failed write reads the campaign back from
//! storage, the state the screen must show.

use diagnostic::sync::{plan_key, PlanNote};
use diagnostic::{outline, Answers, Lang};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::browser::{self, BrowserStorage, StorageStatus, WriteError};
use super::schema::{
    backup_key, campaign_key, campaign_of_key, load_campaign, parse_operator, parse_settings,
    CampaignDoc, Damage, Operation as CampaignOp, OperatorSettings, PendingAccess, PlanItem,
    PlanStatus, Settings, Snapshot, StoredAnswer, SyncSettings, OPERATOR_KEY, SETTINGS_KEY,
};

/// How many priorities a town picks (SELFIE: two or three).
pub const MAX_PRIORITIES: usize = 3;

/// The state of the last write, shown quietly on screen and announced to screen readers.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    /// Nothing changed since the page opened.
    Idle,
    /// The last change is on the phone.
    Saved,
    /// The last change is **not** on the phone.
    Failed(SaveFailure),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SaveFailure {
    QuotaExceeded,
    Unavailable(String),
    /// Writing would overwrite data that could not be backed up first.
    Protected,
}

impl From<WriteError> for SaveFailure {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::QuotaExceeded => SaveFailure::QuotaExceeded,
            WriteError::Unavailable(reason) => SaveFailure::Unavailable(reason),
        }
    }
}

/// Something the user must be told about what was found in storage.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// A document could not be read as it was; its raw text was kept under `backup`.
    Recovered { backup: String, damage: Damage },
    /// A document could not be read and could not be backed up either: it is left untouched and
    /// nothing is written over it.
    Untouched { key: String, damage: Damage },
    /// Answers the new questionnaire version could not carry over (kept aside, listed).
    Retired { count: usize },
}

/// The shared store; cheap to copy (signals are handles).
#[derive(Clone, Copy)]
pub struct LocalStore {
    pub settings: RwSignal<Settings>,
    pub campaign: RwSignal<CampaignDoc>,
    pub save_state: RwSignal<SaveState>,
    pub notices: RwSignal<Vec<Notice>>,
    pub storage_status: RwSignal<StorageStatus>,
    /// Keys that must not be overwritten (unreadable and not backed up).
    protected: StoredValue<Vec<String>>,
    /// The current campaign's questions with concurrent answers to settle, in questionnaire
    /// order (computed once per change of the campaign, read by every badge).
    conflicted: Memo<Vec<String>>,
}

impl LocalStore {
    /// Reads everything from localStorage, repairing and backing up what it must.
    pub fn load() -> Self {
        let mut notices = Vec::new();
        let mut protected = Vec::new();
        let now = browser::now_ms();

        let settings = match browser::read_raw(SETTINGS_KEY) {
            None => None,
            Some(raw) => match parse_settings(&raw) {
                Ok(settings) => Some(settings),
                Err(damage) => {
                    keep_damaged(
                        SETTINGS_KEY,
                        &raw,
                        damage,
                        now,
                        &mut notices,
                        &mut protected,
                    );
                    None
                }
            },
        };
        let settings = settings.unwrap_or_else(|| {
            let settings = Settings::new(browser::new_device_id(), default_campaign_id(now));
            if !protected.iter().any(|k| k == SETTINGS_KEY) {
                let _ = browser::write_json(SETTINGS_KEY, &settings);
            }
            settings
        });

        let key = campaign_key(&settings.current_campaign);
        let current = outline();
        let fresh = || {
            CampaignDoc::new(
                settings.current_campaign.clone(),
                current.version.clone(),
                now,
            )
        };
        let campaign = match load_campaign(
            &BrowserStorage,
            &settings.current_campaign,
            current,
            &settings.device_id,
        ) {
            None => fresh(),
            Some(loaded) => {
                let rewrite = loaded.upgraded || loaded.damage.is_some();
                let mut safe_to_rewrite = true;
                let raw = browser::read_raw(&key).unwrap_or_default();
                for damaged in &loaded.damaged_keys {
                    // A damaged segment: its text is kept before the log is laid out again.
                    let text = browser::read_raw(damaged).unwrap_or_default();
                    let damage = Damage::Partial(format!("{damaged} did not read whole"));
                    safe_to_rewrite &=
                        keep_damaged(damaged, &text, damage, now, &mut notices, &mut protected);
                }
                if let Some(damage) = loaded.damage {
                    safe_to_rewrite &=
                        keep_damaged(&key, &raw, damage, now, &mut notices, &mut protected);
                } else if rewrite && !raw.contains("\"segments\"") {
                    // An upgrade from one document rewrites the key: keep the original text until
                    // the user erases it. (A schema-3 head rewritten after a crash keeps every
                    // operation: no backup needed.)
                    safe_to_rewrite = browser::write_raw(&backup_key(&key, now), &raw).is_ok();
                    if !safe_to_rewrite {
                        protected.push(key.clone());
                    }
                }
                let mut doc = loaded.doc.unwrap_or_else(fresh);
                if !doc.retired.is_empty() {
                    notices.push(Notice::Retired {
                        count: doc.retired.len(),
                    });
                }
                if rewrite && safe_to_rewrite {
                    let _ = write_campaign(&protected, &mut doc);
                }
                doc
            }
        };

        let campaign = RwSignal::new(campaign);
        let conflicted = Memo::new(move |_| {
            campaign.with(|c| {
                let conflicts: std::collections::BTreeSet<String> =
                    c.conflicts().into_iter().map(|c| c.question).collect();
                // Plan entries and validations have their own screens; questions only here.
                outline()
                    .questions()
                    .filter(|q| conflicts.contains(&q.id))
                    .map(|q| q.id.clone())
                    .collect()
            })
        });
        LocalStore {
            settings: RwSignal::new(settings),
            campaign,
            conflicted,
            save_state: RwSignal::new(SaveState::Idle),
            notices: RwSignal::new(notices),
            storage_status: RwSignal::new(StorageStatus::default()),
            protected: StoredValue::new(protected),
        }
    }

    /// The questions whose answers officials gave differently without seeing each other's,
    /// still to settle, in questionnaire order (reactive).
    pub fn conflicted(&self) -> Vec<String> {
        self.conflicted.get()
    }

    /// Whether `question` has answers to settle (reactive).
    pub fn is_conflicted(&self, question: &str) -> bool {
        self.conflicted
            .with(|ids| ids.iter().any(|id| id == question))
    }

    /// The answer to `question` in the current campaign (reactive).
    pub fn answer(&self, question: &str) -> Option<StoredAnswer> {
        self.campaign.with(|c| c.answers.get(question).cloned())
    }

    /// The answers in the domain crate's form, for scoring (reactive).
    pub fn answers(&self) -> Answers {
        self.campaign.with(CampaignDoc::domain_answers)
    }

    /// Number of answered questions among `ids` (reactive).
    pub fn answered_count<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> usize {
        self.campaign.with(|c| {
            ids.into_iter()
                .filter(|id| c.answers.contains_key(*id))
                .count()
        })
    }

    /// The user picked `option` for `question`.
    pub fn choose(&self, question: &str, option: &str) {
        let comment = self
            .campaign
            .with_untracked(|c| c.answers.get(question).and_then(|a| a.comment.clone()));
        self.record(question, Some(option.to_string()), comment);
    }

    /// The user edited the comment of an answered question.
    pub fn set_comment(&self, question: &str, comment: &str) {
        let Some(answer) = self
            .campaign
            .with_untracked(|c| c.answers.get(question).cloned())
        else {
            return;
        };
        let comment = Some(comment.to_string()).filter(|c| !c.trim().is_empty());
        if comment != answer.comment {
            self.record(question, Some(answer.option), comment);
        }
    }

    /// The user removed their answer to `question`.
    pub fn clear(&self, question: &str) {
        self.record(question, None, None);
    }

    fn record(&self, question: &str, option: Option<String>, comment: Option<String>) {
        let device = self.settings.with_untracked(|s| s.device_id.clone());
        let now = browser::now_ms() as u64;
        let saved = self.change_campaign(|doc| {
            doc.record(
                browser::new_op_id(),
                &device,
                now,
                question,
                option,
                comment,
            );
        });
        if saved {
            browser::measure_persisted();
            self.ensure_persistence_requested();
        }
    }

    /// Settles a conflict: keeps one of the concurrent answers or gives a new one.
    pub fn resolve(
        &self,
        conflict: &diagnostic::sync::Conflict,
        option: Option<String>,
        comment: Option<String>,
    ) {
        let device = self.settings.with_untracked(|s| s.device_id.clone());
        let now = browser::now_ms() as u64;
        self.change_campaign(|doc| {
            doc.resolve(
                browser::new_op_id(),
                &device,
                now,
                conflict,
                option,
                comment,
            );
        });
    }

    /// Applies `change` to the current campaign in place and writes it; subscribers hear of it
    /// only once it is stored. When the write fails, the campaign is read back from storage, so
    /// the screen never shows an unsaved change. Returns whether it was saved.
    fn change_campaign(&self, change: impl FnOnce(&mut CampaignDoc)) -> bool {
        let written = self.protected.with_value(|protected| {
            self.campaign.update_untracked(|doc| {
                change(doc);
                write_campaign(protected, doc).map_err(|failure| (failure, doc.id.clone()))
            })
        });
        match written {
            Ok(()) => {
                self.campaign.notify();
                self.save_state.set(SaveState::Saved);
                true
            }
            Err((failure, id)) => {
                let stored = self.read_campaign(&id);
                self.campaign.set(stored);
                self.save_state.set(SaveState::Failed(failure));
                false
            }
        }
    }

    /// Campaign `id` as stored (a new one when it is not; an unreadable one is left for the next
    /// start, which backs it up and says so).
    fn read_campaign(&self, id: &str) -> CampaignDoc {
        let device = self.settings.with_untracked(|s| s.device_id.clone());
        load_campaign(&BrowserStorage, id, outline(), &device)
            .and_then(|loaded| loaded.doc)
            .unwrap_or_else(|| {
                CampaignDoc::new(id.to_string(), outline().version.clone(), browser::now_ms())
            })
    }

    /// Chooses or un-chooses `question`'s recommendation as a priority. The town keeps its plan
    /// short (SELFIE's practice): at most [`MAX_PRIORITIES`]; returns false when full. The plan is
    /// made of operations like the answers, so it syncs with the town's other phones.
    pub fn toggle_priority(&self, question: &str) -> bool {
        let chosen = self
            .campaign
            .with_untracked(|c| c.plan.iter().any(|p| p.question == question));
        let full = self
            .campaign
            .with_untracked(|c| c.plan.len() >= MAX_PRIORITIES);
        if !chosen && full {
            return false;
        }
        let status = (!chosen).then(|| PlanStatus::Todo.code().to_string());
        self.record(&plan_key(question), status, None);
        true
    }

    /// Edits the follow-up of a chosen priority.
    pub fn update_priority(&self, question: &str, change: impl FnOnce(&mut PlanItem)) {
        let Some(mut item) = self
            .campaign
            .with_untracked(|c| c.plan.iter().find(|p| p.question == question).cloned())
        else {
            return;
        };
        change(&mut item);
        let note = PlanNote {
            owner: item.owner,
            notes: item.notes,
        };
        let comment = (note != PlanNote::default())
            .then(|| serde_json::to_string(&note).ok())
            .flatten();
        let status = Some(item.status.code().to_string());
        self.record(&plan_key(question), status, comment);
    }

    /// Whether this phone is an administrator's in its town's space: the one that may validate
    /// and release for the town (reactive).
    pub fn is_town_admin(&self) -> bool {
        self.sync_info(|s| s.device.admin && s.revoked.is_none())
            .unwrap_or(false)
    }

    /// « Valider le diagnostic ». In a town's space it is the town's act: the synced
    /// `validation:<campaign>` operation, through the same outbox as the plan. A phone on its own
    /// keeps its local snapshot of today's answers and scores.
    pub fn validate_campaign(&self) {
        if self.sync_info(|_| ()).is_some() {
            let device = self.settings.with_untracked(|s| s.device_id.clone());
            let now = browser::now_ms() as u64;
            self.change_campaign(|doc| {
                doc.record_town_validation(browser::new_op_id(), &device, now, outline());
            });
            return;
        }
        let now = browser::now_ms();
        self.change_campaign(|doc| {
            let scores = diagnostic::score(outline(), &doc.domain_answers());
            doc.validated = Some(Snapshot {
                validated_ms: now,
                content_version: doc.content_version.clone(),
                answers: doc.answers.clone(),
                scores,
            });
        });
    }

    /// The town's sharing choice for the current campaign (`None` withdraws), recorded as the
    /// synced `release:<campaign>` operation. Returns false when it was not recorded (sharing a
    /// campaign that is not validated, or storage full).
    pub fn release_campaign(&self, level: Option<diagnostic::network::ReleaseLevel>) -> bool {
        let device = self.settings.with_untracked(|s| s.device_id.clone());
        let now = browser::now_ms() as u64;
        let mut recorded = false;
        let saved = self.change_campaign(|doc| {
            recorded = doc
                .record_town_release(browser::new_op_id(), &device, now, level)
                .is_ok();
        });
        saved && recorded
    }

    pub fn set_share_beyond_town(&self, share: bool) {
        self.change_campaign(|doc| doc.share_beyond_town = share);
    }

    /// Applies `change` to campaign `id` (the current one, another stored one, or a new one for
    /// operations pulled from a campaign this phone never had) and stores it.
    pub fn with_campaign(&self, id: &str, change: impl FnOnce(&mut CampaignDoc)) -> bool {
        if self.campaign.with_untracked(|c| c.id == id) {
            return self.change_campaign(change);
        }
        let now = browser::now_ms();
        let device = self.settings.with_untracked(|s| s.device_id.clone());
        let mut doc = match load_campaign(&BrowserStorage, id, outline(), &device) {
            Some(loaded) => match loaded.doc {
                // A damaged one is rewritten only by the next start, which backs it up first.
                Some(doc) if loaded.damage.is_none() => doc,
                _ => return false,
            },
            None => CampaignDoc::new(id.to_string(), outline().version.clone(), now),
        };
        change(&mut doc);
        self.protected
            .with_value(|protected| write_campaign(protected, &mut doc))
            .is_ok()
    }

    /// The next batch of campaign `id` to push (at most `max`), marked sent and stored before
    /// it leaves ([`diagnostic::sync::Replica::send`]); `None` when it could not be stored.
    pub fn send_in(&self, id: &str, max: usize) -> Option<Vec<CampaignOp>> {
        let mut batch = Vec::new();
        let stored = self.with_campaign(id, |doc| batch = doc.replica.send(max));
        stored.then_some(batch)
    }

    /// Number of this campaign's changes not yet on the server (reactive).
    pub fn pending_count(&self) -> usize {
        self.campaign.with(|c| c.replica.outbox.len())
    }

    /// [`Self::pending_count`] for a timer (not reactive).
    pub fn pending_count_untracked(&self) -> usize {
        self.campaign.with_untracked(|c| c.replica.outbox.len())
    }

    /// Enrolment done: keep the token, take the server's device id for every operation not sent
    /// yet, and name the town after its commune if the user had not.
    pub fn enrol(&self, enrolment: diagnostic::sync::Enrolment) {
        let device = enrolment.device.id.clone();
        for id in self.campaign_ids() {
            self.with_campaign(&id, |doc| doc.replica.adopt_device(&device));
        }
        let commune = enrolment.town.commune.name.clone();
        self.update_settings(move |s| {
            s.device_id = enrolment.device.id.clone();
            if s.town_name.is_empty() {
                s.town_name = commune;
            }
            // A claim let in by the association ends here: its token is now the device token.
            s.access_request = None;
            s.sync = Some(SyncSettings {
                token: enrolment.token,
                device: enrolment.device,
                town: enrolment.town,
                cursor: 0,
                last_sync_ms: None,
                revoked: None,
                devices: Vec::new(),
                epoch: None,
            });
        });
    }

    /// Reads from what this phone knows of its town's space (reactive); `None` when not enrolled.
    pub fn sync_info<T>(&self, read: impl FnOnce(&SyncSettings) -> T) -> Option<T> {
        self.settings.with(|s| s.sync.as_ref().map(read))
    }

    /// The device token, for a call made now (not reactive).
    pub fn token(&self) -> Option<String> {
        self.settings
            .with_untracked(|s| s.sync.as_ref().map(|s| s.token.clone()))
    }

    /// Changes what this phone knows of its town's space (cursor, last sync, devices…).
    pub fn update_sync(&self, change: impl FnOnce(&mut SyncSettings)) {
        self.update_settings(|s| {
            if let Some(sync) = s.sync.as_mut() {
                change(sync);
            }
        });
    }

    /// Leaves the town's space on this phone (after removal, to join again); answers stay.
    pub fn forget_enrolment(&self) {
        self.update_settings(|s| s.sync = None);
    }

    /// The claim waiting for the association, if any (reactive).
    pub fn access_request(&self) -> Option<PendingAccess> {
        self.settings.with(|s| s.access_request.clone())
    }

    /// Keeps (or updates, or with `None` forgets) the claim waiting for the association.
    pub fn set_access_request(&self, claim: Option<PendingAccess>) {
        self.update_settings(|s| s.access_request = claim);
    }

    /// The operator's enrolment on this browser (the console), read from its own key.
    pub fn operator(&self) -> Option<OperatorSettings> {
        browser::read_raw(OPERATOR_KEY).and_then(|raw| parse_operator(&raw))
    }

    /// Keeps an operator's enrolment under its own key, never beside the town's device token.
    pub fn set_operator(&self, operator: &OperatorSettings) -> Result<(), SaveFailure> {
        self.write(OPERATOR_KEY, operator)
    }

    /// Forgets the operator's enrolment on this browser (removed or unknown to the server).
    pub fn forget_operator(&self) {
        browser::remove(OPERATOR_KEY);
    }

    /// Ids of the campaigns on this phone, oldest first.
    pub fn campaign_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = browser::own_keys()
            .into_iter()
            .filter_map(|(key, _)| campaign_of_key(&key).map(str::to_string))
            .collect();
        let current = self.campaign.with_untracked(|c| c.id.clone());
        if !ids.contains(&current) {
            ids.push(current);
        }
        ids.sort();
        ids
    }

    /// The campaign before the current one, read-only (for the year-on-year overlay).
    pub fn previous_campaign(&self) -> Option<CampaignDoc> {
        let current = self.campaign.with(|c| c.id.clone());
        let previous = self
            .campaign_ids()
            .into_iter()
            .filter(|id| *id < current)
            .max()?;
        let device = self.settings.with_untracked(|s| s.device_id.clone());
        load_campaign(&BrowserStorage, &previous, outline(), &device)?.doc
    }

    /// Starts next year's campaign from this one's answers: each copied answer is a new operation
    /// of the new campaign, so it syncs like any other. Returns the new campaign's id.
    pub fn start_new_campaign(&self) -> Option<String> {
        let (current_id, content_version, clock, answers) = self.campaign.with_untracked(|c| {
            let answers: Vec<(String, StoredAnswer)> = c
                .answers
                .iter()
                .map(|(q, a)| (q.clone(), a.clone()))
                .collect();
            (
                c.id.clone(),
                c.content_version.clone(),
                c.replica.clock.clone(),
                answers,
            )
        });
        let last = self.campaign_ids().into_iter().max().unwrap_or(current_id);
        let next_id = last.parse::<u16>().ok()?.checked_add(1)?.to_string();
        let now = browser::now_ms();
        let device = self.settings.with_untracked(|s| s.device_id.clone());
        let mut doc = CampaignDoc::new(next_id.clone(), content_version, now);
        doc.replica.clock = clock;
        for (question, answer) in answers {
            let (option, comment) = (Some(answer.option), answer.comment);
            doc.record(
                browser::new_op_id(),
                &device,
                now as u64,
                &question,
                option,
                comment,
            );
        }
        let written = self
            .protected
            .with_value(|protected| write_campaign(protected, &mut doc));
        if let Err(failure) = written {
            self.save_state.set(SaveState::Failed(failure));
            return None;
        }
        self.update_settings(|s| s.current_campaign = next_id.clone());
        self.campaign.set(doc);
        self.save_state.set(SaveState::Saved);
        Some(next_id)
    }

    fn write<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<(), SaveFailure> {
        if self.protected.with_value(|p| p.iter().any(|k| k == key)) {
            return Err(SaveFailure::Protected);
        }
        browser::write_json(key, value).map_err(SaveFailure::from)
    }

    fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        let mut next = self.settings.get_untracked();
        change(&mut next);
        if next == self.settings.get_untracked() {
            return;
        }
        match self.write(SETTINGS_KEY, &next) {
            Ok(()) => self.settings.set(next),
            Err(failure) => {
                self.settings.update(|_| ());
                self.save_state.set(SaveState::Failed(failure));
            }
        }
    }

    pub fn set_lang(&self, lang: Lang) {
        self.update_settings(|s| s.lang = lang);
    }

    pub fn set_town_name(&self, name: &str) {
        let name = name.trim().to_string();
        self.update_settings(|s| s.town_name = name);
    }

    /// Remembers the question on screen, so « Reprendre » comes back to it.
    pub fn set_last_question(&self, question: &str) {
        self.update_settings(|s| s.last_question = Some(question.to_string()));
    }

    /// At the first answer, asks the browser to keep the data (then shows the result in Réglages).
    fn ensure_persistence_requested(&self) {
        if self.settings.with_untracked(|s| s.persistence_requested) {
            return;
        }
        self.update_settings(|s| s.persistence_requested = true);
        let store = *self;
        spawn_local(async move {
            browser::request_persistence().await;
            store.refresh_storage_status();
        });
    }

    /// Reads the browser's storage status (persistence, usage) into `storage_status`.
    pub fn refresh_storage_status(&self) {
        let status = self.storage_status;
        spawn_local(async move {
            status.set(browser::storage_status().await);
        });
    }

    /// Bytes used by Arobase's own keys in localStorage.
    pub fn own_bytes(&self) -> usize {
        browser::own_keys().iter().map(|(_, size)| size).sum()
    }

    /// Erases every Arobase key on this phone and starts afresh.
    pub fn erase_all(&self) {
        browser::remove_own_keys();
        let fresh = LocalStore::load();
        self.settings.set(fresh.settings.get_untracked());
        self.campaign.set(fresh.campaign.get_untracked());
        self.notices.set(Vec::new());
        self.protected.set_value(Vec::new());
        self.save_state.set(SaveState::Idle);
        self.refresh_storage_status();
    }
}

/// Stores `doc` (schema 3: what changed appended to its open segment, then its head, the commit
/// point; see [`super::schema::layout`]); it then knows how it is stored. Refused for a protected
/// key (damaged and not backed up).
fn write_campaign(protected: &[String], doc: &mut CampaignDoc) -> Result<(), SaveFailure> {
    let key = campaign_key(&doc.id);
    if protected.contains(&key) {
        return Err(SaveFailure::Protected);
    }
    let writes = doc
        .writes()
        .map_err(|e| SaveFailure::Unavailable(e.to_string()))?;
    for (key, text) in &writes.set {
        browser::write_raw(key, text)?;
    }
    for key in &writes.remove {
        browser::remove(key);
    }
    doc.stored(writes.layout);
    Ok(())
}

/// Backs up the raw text of a damaged document; returns whether the key may now be rewritten.
fn keep_damaged(
    key: &str,
    raw: &str,
    damage: Damage,
    now: f64,
    notices: &mut Vec<Notice>,
    protected: &mut Vec<String>,
) -> bool {
    let backup = backup_key(key, now);
    match browser::write_raw(&backup, raw) {
        Ok(()) => {
            notices.push(Notice::Recovered { backup, damage });
            true
        }
        Err(_) => {
            notices.push(Notice::Untouched {
                key: key.to_string(),
                damage,
            });
            protected.push(key.to_string());
            false
        }
    }
}

/// A campaign is a yearly diagnostic; its id is the year it started.
fn default_campaign_id(now_ms: f64) -> String {
    let year = js_sys::Date::new(&now_ms.into()).get_full_year();
    year.to_string()
}

/// Loads the store once at the root and shares it with every page.
pub fn provide_local_store() -> LocalStore {
    let store = LocalStore::load();
    store.refresh_storage_status();
    provide_context(store);
    store
}

pub fn use_local_store() -> LocalStore {
    expect_context::<LocalStore>()
}
