//! Moving answers given on an older content version to the current one.
//!
//! Towns answer over weeks, offline, and keep last year's answers to measure progress; the
//! content will change meanwhile. Answers are therefore stored with the content version they were
//! given on, and [`migrate`] replays the content's migration map (`renamed`, `merged`, `removed`
//! entries, one step per version) on them. Nothing is dropped silently: every answer that does not
//! survive is returned in one of the report lists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{AnswerKind, Questionnaire};
use crate::{Answer, Answers};

/// An answer that did not make it into the migrated answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// The question id the answer was given under (in the old version).
    pub question: String,
    /// The answer as it was (after any option renaming).
    pub answer: Answer,
    /// Where it would have gone: the merge target for superseded answers, the current question
    /// whose options did not include the answer for unknown options; `None` otherwise.
    pub target: Option<String>,
}

/// The result of [`migrate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigratedAnswers {
    /// Version the answers were given on.
    pub from: String,
    /// Version they now belong to (the current content's).
    pub to: String,
    /// The answers, keyed by current question ids.
    pub answers: Answers,
    /// Answers to questions the content removed.
    pub removed: Vec<Dropped>,
    /// Answers to merged questions that lost to another answer (see [`migrate`] for the rule).
    pub superseded: Vec<Dropped>,
    /// Answers whose question no longer exists without a migration entry saying so, or whose
    /// option the current question does not offer.
    pub unknown: Vec<Dropped>,
}

/// Why answers could not be migrated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    /// The answers' version is neither the current one nor a `from` of the migration map.
    #[error(
        "answers were given on content version `{version}`, which the migration map of `{current}` does not know"
    )]
    UnknownVersion {
        /// The answers' version.
        version: String,
        /// The current version.
        current: String,
    },
}

struct Candidate {
    origin: String,
    answer: Answer,
}

/// Moves `answers`, given on content version `from_version`, to `q`'s version.
///
/// Steps are applied in order from `from_version` to the current version:
/// * `renamed {from, to}` — the answer moves to the new id (options renamed per the entry's map);
/// * `merged {from: [..], into}` — all answers move to `into`; **one is kept**: the one of
///   highest confidence — a maturity stage beats « Non concerné », which beats « Ne sait pas » —
///   and, among stages, the **lowest** (a merged capability is only as far along as its weakest
///   part; the user can raise it). Ties go to the alphabetically first old id. The others are
///   returned in [`MigratedAnswers::superseded`];
/// * `removed {id}` — the answer is returned in [`MigratedAnswers::removed`].
///
/// Finally each answer is checked against the current content: unknown questions or options go
/// to [`MigratedAnswers::unknown`]. With `from_version` equal to the current version only that
/// check is done. Every input answer ends up in exactly one of the four lists.
pub fn migrate(
    q: &Questionnaire,
    from_version: &str,
    answers: Answers,
) -> Result<MigratedAnswers, MigrationError> {
    let steps = if from_version == q.version {
        &q.migrations[q.migrations.len()..]
    } else {
        let start = q
            .migrations
            .iter()
            .position(|s| s.from == from_version)
            .ok_or_else(|| MigrationError::UnknownVersion {
                version: from_version.to_string(),
                current: q.version.clone(),
            })?;
        &q.migrations[start..]
    };

    let mut result = MigratedAnswers {
        from: from_version.to_string(),
        to: q.version.clone(),
        answers: Answers::new(),
        removed: Vec::new(),
        superseded: Vec::new(),
        unknown: Vec::new(),
    };

    let mut work: BTreeMap<String, Vec<Candidate>> = answers
        .into_iter()
        .map(|(id, answer)| (id.clone(), vec![Candidate { origin: id, answer }]))
        .collect();

    for step in steps {
        let mut next: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
        for (id, mut candidates) in work {
            if let Some(r) = step.renamed.iter().find(|r| r.from == id) {
                rename_options(&mut candidates, &r.options);
                next.entry(r.to.clone()).or_default().extend(candidates);
            } else if let Some(m) = step.merged.iter().find(|m| m.from.contains(&id)) {
                rename_options(&mut candidates, &m.options);
                next.entry(m.into.clone()).or_default().extend(candidates);
            } else if step.removed.iter().any(|r| r.id == id) {
                result
                    .removed
                    .extend(candidates.into_iter().map(|c| dropped(c, None)));
            } else {
                next.entry(id).or_default().extend(candidates);
            }
        }
        work = next;
    }

    for (id, candidates) in work {
        let Some(question) = q.question(&id) else {
            result
                .unknown
                .extend(candidates.into_iter().map(|c| dropped(c, None)));
            continue;
        };
        let mut valid: Vec<(AnswerKind, Candidate)> = Vec::new();
        for c in candidates {
            match question.option(&c.answer.option) {
                Some(option) => valid.push((option.kind, c)),
                None => result.unknown.push(dropped(c, Some(id.clone()))),
            }
        }
        valid.sort_by(|(ka, a), (kb, b)| {
            rank(*kb)
                .cmp(&rank(*ka))
                .then_with(|| a.origin.cmp(&b.origin))
        });
        let mut valid = valid.into_iter();
        if let Some((_, kept)) = valid.next() {
            result.answers.insert(id.clone(), kept.answer);
        }
        result
            .superseded
            .extend(valid.map(|(_, c)| dropped(c, Some(id.clone()))));
    }
    Ok(result)
}

/// Higher is preferred when merging: stages (the lower the better) over « Non concerné » over
/// « Ne sait pas ».
fn rank(kind: AnswerKind) -> (u8, i16) {
    match kind {
        AnswerKind::Stage(s) => (2, -i16::from(s)),
        AnswerKind::NotApplicable => (1, 0),
        AnswerKind::DontKnow => (0, 0),
    }
}

fn rename_options(candidates: &mut [Candidate], map: &BTreeMap<String, String>) {
    for c in candidates {
        if let Some(new) = map.get(&c.answer.option) {
            c.answer.option = new.clone();
        }
    }
}

fn dropped(c: Candidate, target: Option<String>) -> Dropped {
    Dropped {
        question: c.origin,
        answer: c.answer,
        target,
    }
}
