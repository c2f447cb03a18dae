//! The « Socle réglementaire »: the legal duties a town meets or not, shown apart from the score.
//!
//! # Rule
//!
//! Every question with a [`Duty`](crate::Duty) is one line. Its **status** comes from the
//! answer: an option at stage 3 or 4 meets the duty, any other stage does not, « Ne sait pas »
//! is to be checked, « Non concerné » (offered only on duties whose condition the app cannot
//! compute, such as a revenue threshold) says the duty does not bind the town. Whether the duty
//! **applies** comes from the commune's population when the duty has a population threshold
//! ([`Duty::applies_to`](crate::Duty::applies_to)): known when the phone is enrolled in its
//! town's space (the commune record), otherwise unknown and the line says from which size the
//! duty binds. Nothing here enters the @ level.

use serde::{Deserialize, Serialize};

use crate::model::{AnswerKind, Questionnaire};
use crate::Answers;

/// Where a town stands on one duty, from its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DutyStatus {
    /// Answered at stage 3 or 4.
    Met,
    /// Answered at stage 0, 1 or 2.
    NotMet,
    /// « Non concerné » on a duty with a condition.
    NotApplicable,
    /// « Ne sait pas »: to check.
    DontKnow,
    /// Not answered yet (or with an option the question does not offer).
    Unanswered,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineItem {
    /// The duty question's id.
    pub question: String,
    /// Theme of the question.
    pub theme: String,
    /// From the answer.
    pub status: DutyStatus,
    /// `Some(false)` when the commune is below the duty's population threshold, `None` when the
    /// duty has a threshold and the population is unknown, `Some(true)` otherwise.
    pub applies: Option<bool>,
    /// The threshold, for « à partir de 3 500 habitants ».
    pub min_population: Option<u64>,
}

impl BaselineItem {
    /// Whether the line asks for action: the duty applies (or may apply) and is not met.
    pub fn needs_action(&self) -> bool {
        self.applies != Some(false)
            && matches!(
                self.status,
                DutyStatus::NotMet | DutyStatus::DontKnow | DutyStatus::Unanswered
            )
    }
}

/// The checklist for `answers`, in content order, for a commune of `population` inhabitants
/// (`None` when unknown). See the module documentation for the rule.
pub fn baseline(
    q: &Questionnaire,
    answers: &Answers,
    population: Option<u64>,
) -> Vec<BaselineItem> {
    q.themes
        .iter()
        .flat_map(|theme| {
            theme
                .questions
                .iter()
                .map(move |question| (theme, question))
        })
        .filter_map(|(theme, question)| {
            let duty = question.duty.as_ref()?;
            let kind = answers
                .get(&question.id)
                .and_then(|a| question.option(&a.option))
                .map(|o| o.kind);
            let status = match kind {
                Some(AnswerKind::Stage(s)) if s >= 3 => DutyStatus::Met,
                Some(AnswerKind::Stage(_)) => DutyStatus::NotMet,
                Some(AnswerKind::NotApplicable) => DutyStatus::NotApplicable,
                Some(AnswerKind::DontKnow) => DutyStatus::DontKnow,
                None => DutyStatus::Unanswered,
            };
            Some(BaselineItem {
                question: question.id.clone(),
                theme: theme.id.clone(),
                status,
                applies: duty.applies_to(population),
                min_population: duty.min_population,
            })
        })
        .collect()
}
