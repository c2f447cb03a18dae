//! « Valider le diagnostic » as a town act that syncs.
//!
//! A validation is an ordinary [`Operation`] on the reserved key `validation:<campaign>` (like
//! the action plan's `plan:<question>` keys): `option` is [`VALIDATED`] — or `null` when an
//! administrator reopens the campaign —, `comment` is a [`ValidationNote`] in JSON, the author is
//! `device` and the moment is `clock.wall_ms`. It syncs, merges and conflicts like an answer: the
//! latest validation wins, and two administrators validating at once on two phones see each
//! other's act after the next sync.
//!
//! # The snapshot
//!
//! The note holds the answers *as validated* (options only: comments are working notes, never
//! validated nor shared) in the most compact form that fits [`MAX_COMMENT_CHARS`]:
//!
//! 1. **Codes** — one character per question of the content, in content order: the position of
//!    the chosen option in the question's option list (`0`–`9`, `a`–`z`), `.` when unanswered.
//!    55 characters for `apvf-2026.1`; decoded with the same content version.
//! 2. If the codes do not fit (a content of ~1 900 questions) or an option sits beyond position
//!    35: **covered operations** — the ids of the operations whose answers were current, one per
//!    answered question. The app rebuilds the snapshot by reading those operations in its log.
//! 3. If even those do not fit: only the **digest**. The app rebuilds the candidate snapshot as
//!    the answers of the operations whose clock is not after the validation's (what the validating
//!    phone could have seen) and keeps it only if its digest matches.
//!
//! Every note carries the digest (64-bit FNV-1a of `question=option\n` lines in content order),
//! so a rebuilt snapshot is checked, and a snapshot written under another content version can
//! still say whether the answers changed. The digest detects change; it is not a signature (the
//! log is authenticated by device tokens).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sync::{
    heads, is_campaign, merge, plan_target, OpError, Operation, Replica, MAX_COMMENT_CHARS,
};
use crate::{Answer, Answers, Questionnaire};

/// Key prefix of a campaign's validation: `validation:2026`.
pub const VALIDATION_PREFIX: &str = "validation:";
/// Key prefix of a campaign's release choice: `release:2026`.
pub const RELEASE_PREFIX: &str = "release:";
/// The `option` of a validation.
pub const VALIDATED: &str = "validated";

/// Alphabet of the snapshot codes: the option's position in the question's option list.
const CODES: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// Code of an unanswered question.
const UNANSWERED: char = '.';

/// The key of `campaign`'s validation.
pub fn validation_key(campaign: &str) -> String {
    format!("{VALIDATION_PREFIX}{campaign}")
}

/// The key of `campaign`'s release choice.
pub fn release_key(campaign: &str) -> String {
    format!("{RELEASE_PREFIX}{campaign}")
}

/// Whether `key` (an operation's `question`) is a validation or a release.
pub fn is_network_key(key: &str) -> bool {
    key.starts_with(VALIDATION_PREFIX) || key.starts_with(RELEASE_PREFIX)
}

/// Whether `key` is an answer's: not a plan entry, validation or release. [`merge`] returns all
/// keys of a campaign together; scores, snapshots and aggregates take only these.
pub fn is_answer_key(key: &str) -> bool {
    !is_network_key(key) && plan_target(key).is_none()
}

/// The answers among merged entries (plan entries, validations and releases left out).
pub fn answers_only(merged: &Answers) -> Answers {
    merged
        .iter()
        .filter(|(key, _)| is_answer_key(key))
        .map(|(key, answer)| (key.clone(), answer.clone()))
        .collect()
}

/// Why a validation or release operation is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkOpError {
    /// `validation:`/`release:` followed by something other than the operation's campaign.
    #[error("key `{key}` does not name the operation's campaign `{campaign}`")]
    Key { key: String, campaign: String },
    /// An `option` a validation or release cannot have.
    #[error("`{option}` is not a valid choice for `{key}`")]
    Option { key: String, option: String },
    /// A validation whose note is missing or malformed, or a release with a comment.
    #[error("invalid note for `{key}`: {reason}")]
    Note { key: String, reason: String },
    /// What [`Operation::validate`] checks for every operation.
    #[error(transparent)]
    Op(#[from] OpError),
}

/// Checks what is specific to a validation or release operation: the key names the operation's
/// campaign; a validation's `option` is [`VALIDATED`] with a well-formed [`ValidationNote`] (or
/// `null` with no comment: reopened); a release's `option` is a [`crate::network::ReleaseLevel`]
/// id or `null`, without comment. `None` when `op` is not a network key.
///
/// [`Operation::validate`] calls it first, so every client and the server check network keys the
/// same way.
pub fn validate_network_op(op: &Operation) -> Option<Result<(), NetworkOpError>> {
    let (prefix, campaign) = if let Some(c) = op.question.strip_prefix(VALIDATION_PREFIX) {
        (VALIDATION_PREFIX, c)
    } else if let Some(c) = op.question.strip_prefix(RELEASE_PREFIX) {
        (RELEASE_PREFIX, c)
    } else {
        return None;
    };
    Some(check_network(op, prefix, campaign))
}

fn check_network(op: &Operation, prefix: &str, campaign: &str) -> Result<(), NetworkOpError> {
    let key = || op.question.clone();
    if campaign != op.campaign || !is_campaign(campaign) {
        return Err(NetworkOpError::Key {
            key: key(),
            campaign: op.campaign.clone(),
        });
    }
    let bad_option = |option: &str| NetworkOpError::Option {
        key: key(),
        option: option.to_string(),
    };
    if prefix == VALIDATION_PREFIX {
        match (op.option.as_deref(), op.comment.as_deref()) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(NetworkOpError::Note {
                key: key(),
                reason: "a reopening carries no note".into(),
            }),
            (Some(VALIDATED), Some(note)) => ValidationNote::parse(note)
                .map(|_| ())
                .map_err(|reason| NetworkOpError::Note { key: key(), reason }),
            (Some(VALIDATED), None) => Err(NetworkOpError::Note {
                key: key(),
                reason: "a validation carries its snapshot".into(),
            }),
            (Some(other), _) => Err(bad_option(other)),
        }
    } else {
        if let Some(option) = op.option.as_deref() {
            if crate::network::ReleaseLevel::parse(option).is_none() {
                return Err(bad_option(option));
            }
        }
        if op.comment.is_some() {
            return Err(NetworkOpError::Note {
                key: key(),
                reason: "a release carries no comment".into(),
            });
        }
        Ok(())
    }
}

/// Every check of an operation, network keys included: what the server runs on each pushed
/// operation until `Operation::validate` calls [`validate_network_op`] itself. For a network key
/// the checks common to all operations (id, campaign, clock, comment length, base) are those of
/// [`Operation::validate`], run on the same operation with a neutral question.
pub fn validate_operation(op: &Operation, q: &Questionnaire) -> Result<(), NetworkOpError> {
    match validate_network_op(op) {
        None => op.validate(q).map_err(NetworkOpError::from),
        Some(checked) => {
            checked?;
            let Some(any_question) = q.questions().next() else {
                return Ok(());
            };
            let neutral = Operation {
                question: any_question.id.clone(),
                option: None,
                ..op.clone()
            };
            neutral.validate(q).map_err(NetworkOpError::from)
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The note and its snapshot

/// What a validation carries in its `comment`, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationNote {
    /// Content version the snapshot was taken on (`apvf-2026.1`).
    pub content: String,
    /// Answered questions at that moment.
    pub answered: u32,
    /// 16 hex digits: FNV-1a 64 of the validated answers (see the module documentation).
    pub digest: String,
    /// One character per question of `content` (tier 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<String>,
    /// The operations whose answers were validated (tier 2, when `codes` is absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covered: Vec<String>,
}

/// How a note carries its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Snapshot {
    /// One code per question.
    Codes,
    /// The ids of the operations covered.
    Covered,
    /// The digest only.
    Digest,
}

impl ValidationNote {
    /// The note for `answers` (answer keys only are read) and the operations that set them
    /// (`covered`: the winning operation of each answered question), in the most compact form that
    /// fits [`MAX_COMMENT_CHARS`].
    pub fn new(q: &Questionnaire, answers: &Answers, covered: Vec<String>) -> ValidationNote {
        Self::fitting(q, answers, covered, MAX_COMMENT_CHARS)
    }

    /// [`ValidationNote::new`] with a given limit (tests use small ones to reach every tier).
    pub fn fitting(
        q: &Questionnaire,
        answers: &Answers,
        covered: Vec<String>,
        limit: usize,
    ) -> ValidationNote {
        let mut note = ValidationNote {
            content: q.version.clone(),
            answered: canonical(q, answers).len() as u32,
            digest: digest(q, answers),
            codes: codes(q, answers),
            covered: Vec::new(),
        };
        if note.codes.is_some() && note.to_json().chars().count() <= limit {
            return note;
        }
        note.codes = None;
        note.covered = covered;
        note.covered.sort();
        if note.to_json().chars().count() <= limit {
            return note;
        }
        note.covered.clear();
        note
    }

    /// How this note carries its snapshot.
    pub fn snapshot(&self) -> Snapshot {
        if self.codes.is_some() {
            Snapshot::Codes
        } else if !self.covered.is_empty() {
            Snapshot::Covered
        } else {
            Snapshot::Digest
        }
    }

    /// The JSON put in the operation's `comment`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a note is plain data")
    }

    /// Reads a note from an operation's `comment`; the error says what is wrong.
    pub fn parse(comment: &str) -> Result<ValidationNote, String> {
        let note: ValidationNote =
            serde_json::from_str(comment).map_err(|e| format!("not a validation note: {e}"))?;
        if note.digest.len() != 16 || !note.digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the digest is not 16 hexadecimal digits".into());
        }
        if let Some(codes) = &note.codes {
            if !codes
                .bytes()
                .all(|b| b == UNANSWERED as u8 || CODES.contains(&b))
            {
                return Err("the snapshot codes hold an unknown character".into());
            }
        }
        if let Some(bad) = note.covered.iter().find(|id| !crate::sync::is_uuid_v7(id)) {
            return Err(format!("`{bad}` is not an operation id"));
        }
        Ok(note)
    }

    /// The validated answers decoded from the codes, when the note has them and was written
    /// under `q`'s content version.
    pub fn decode(&self, q: &Questionnaire) -> Option<Answers> {
        let codes = self.codes.as_ref()?;
        if self.content != q.version || codes.chars().count() != q.questions().count() {
            return None;
        }
        let mut answers = Answers::new();
        for (question, code) in q.questions().zip(codes.chars()) {
            if code == UNANSWERED {
                continue;
            }
            let position = CODES.iter().position(|&c| c as char == code)?;
            let option = question.answers.get(position)?;
            answers.insert(question.id.clone(), Answer::new(option.id.clone()));
        }
        Some(answers)
    }
}

/// `(question, option)` of each answer with a known question and option, in content order.
fn canonical<'q>(q: &'q Questionnaire, answers: &Answers) -> Vec<(&'q str, &'q str)> {
    q.questions()
        .filter_map(|question| {
            let answer = answers.get(&question.id)?;
            let option = question.option(&answer.option)?;
            Some((question.id.as_str(), option.id.as_str()))
        })
        .collect()
}

/// FNV-1a 64 of the canonical answers, as 16 hex digits.
pub(crate) fn digest(q: &Questionnaire, answers: &Answers) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (question, option) in canonical(q, answers) {
        for byte in question
            .bytes()
            .chain(std::iter::once(b'='))
            .chain(option.bytes())
            .chain(std::iter::once(b'\n'))
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn codes(q: &Questionnaire, answers: &Answers) -> Option<String> {
    q.questions()
        .map(|question| match answers.get(&question.id) {
            None => Some(UNANSWERED),
            Some(answer) => match question.answers.iter().position(|o| o.id == answer.option) {
                None => Some(UNANSWERED),
                Some(position) => CODES.get(position).map(|&c| c as char),
            },
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// State from the log

/// A campaign's current validation, read from the town's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub campaign: String,
    /// The validation operation's id.
    pub op: String,
    /// The device that validated (its name and role come from `GET /api/devices`).
    pub by_device: String,
    /// When, Unix ms (the operation's clock).
    pub at_ms: u64,
    pub note: ValidationNote,
}

/// The current validation of `campaign` in `log`: the winning operation of its validation key,
/// if that is a validation (not a reopening) with a readable note.
pub fn current_validation<'a>(
    log: impl IntoIterator<Item = &'a Operation>,
    campaign: &str,
) -> Option<Validation> {
    let key = validation_key(campaign);
    let winner = heads(log, campaign, &key).into_iter().next()?;
    if winner.option.as_deref() != Some(VALIDATED) {
        return None;
    }
    let note = ValidationNote::parse(winner.comment.as_deref()?).ok()?;
    Some(Validation {
        campaign: campaign.to_string(),
        op: winner.id.clone(),
        by_device: winner.device.clone(),
        at_ms: winner.clock.wall_ms,
        note,
    })
}

/// The answers `validation` validated, rebuilt from its note and, when the note holds no codes
/// for `q`, from `log` (see the module documentation). `None` when they cannot be rebuilt yet
/// (operations not pulled, or another content version): then compare digests only.
pub fn validated_answers(
    log: &[Operation],
    q: &Questionnaire,
    validation: &Validation,
) -> Option<Answers> {
    if let Some(answers) = validation.note.decode(q) {
        return Some(answers);
    }
    let note = &validation.note;
    let candidate: Answers = if !note.covered.is_empty() {
        let by_id: BTreeMap<&str, &Operation> = log.iter().map(|op| (op.id.as_str(), op)).collect();
        let mut answers = Answers::new();
        for id in &note.covered {
            let op = by_id.get(id.as_str())?;
            if let Some(answer) = op.answer() {
                answers.insert(op.question.clone(), Answer::new(answer.option));
            }
        }
        answers
    } else {
        let cut = log
            .iter()
            .find(|op| op.id == validation.op)
            .map(|op| op.clock.clone())?;
        let before: Vec<&Operation> = log
            .iter()
            .filter(|op| op.campaign == validation.campaign && op.clock <= cut)
            .collect();
        answers_only(
            &merge(before)
                .remove(&validation.campaign)
                .unwrap_or_default(),
        )
    };
    (note.content == q.version && digest(q, &candidate) == note.digest).then_some(candidate)
}

/// Questions whose option differs between `validated` and `current` (answered in one only
/// included), in content order. Comments are not compared.
pub fn changed_questions(q: &Questionnaire, validated: &Answers, current: &Answers) -> Vec<String> {
    q.questions()
        .filter(|question| {
            let option = |answers: &Answers| answers.get(&question.id).map(|a| a.option.clone());
            option(validated) != option(current)
        })
        .map(|question| question.id.clone())
        .collect()
}

/// What the results page shows about validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ValidationStatus {
    /// Never validated, or reopened.
    NotValidated,
    /// Validated; `changed` lists the questions answered differently since (empty: the current
    /// answers are the validated ones). `changed_unknown` when the snapshot could not be rebuilt
    /// and only the digest says the answers changed.
    Validated {
        validation: Box<Validation>,
        changed: Vec<String>,
        #[serde(default)]
        changed_unknown: bool,
    },
}

/// The validation state of `campaign` from the town's merged log.
pub fn validation_status(log: &[Operation], q: &Questionnaire, campaign: &str) -> ValidationStatus {
    let Some(validation) = current_validation(log, campaign) else {
        return ValidationStatus::NotValidated;
    };
    let current = answers_only(&merge(log).remove(campaign).unwrap_or_default());
    match validated_answers(log, q, &validation) {
        Some(validated) => ValidationStatus::Validated {
            changed: changed_questions(q, &validated, &current),
            validation: Box::new(validation),
            changed_unknown: false,
        },
        None => {
            let differs = digest(q, &current) != validation.note.digest;
            ValidationStatus::Validated {
                validation: Box::new(validation),
                changed: Vec::new(),
                changed_unknown: differs,
            }
        }
    }
}

/// Records, on `replica`, the validation of `campaign` with its current answers, and returns the
/// operation to push. Only an administrator's phone offers it (the server refuses others).
pub fn record_validation(
    replica: &mut Replica,
    id: String,
    now_ms: u64,
    q: &Questionnaire,
    campaign: &str,
) -> Operation {
    let answers = answers_only(&replica.answers().remove(campaign).unwrap_or_default());
    let covered: Vec<String> = answers
        .keys()
        .filter_map(|question| {
            heads(replica.ops.values(), campaign, question)
                .first()
                .map(|op| op.id.clone())
        })
        .collect();
    let note = ValidationNote::new(q, &answers, covered);
    replica.record(
        id,
        now_ms,
        campaign,
        &validation_key(campaign),
        Some(VALIDATED.to_string()),
        Some(note.to_json()),
    )
}

/// Records the reopening of `campaign` (its validation withdrawn: it no longer counts as
/// released until validated again).
pub fn record_reopening(
    replica: &mut Replica,
    id: String,
    now_ms: u64,
    campaign: &str,
) -> Operation {
    replica.record(id, now_ms, campaign, &validation_key(campaign), None, None)
}
