//! Prioritised actions: what a town should consider first.
//!
//! # Rule
//!
//! For every question answered at stage 0, 1 or 2, the recommendation written for that stage
//! becomes an action. Its **gain** is the number of overall-score points (0–100 scale) the town
//! would win by bringing that question to stage 3 (« En place »):
//!
//! `gain = 100 × (theme weight ÷ Σ weights of the themes with data) × (3 − stage) / 4 ÷ n`
//!
//! where `n` is the number of counted questions of the question's theme — *gap × weight*, the
//! weight being the question's share of the overall score. Its **priority** is `gain ÷ effort`,
//! with effort `€` = 1, `€€` = 2, `€€€` = 3: among equally useful steps, the cheap one comes
//! first, which suits towns with few means.
//!
//! « Ne sait pas » (scored as stage 0) yields a **find out** action instead, costing `€` — asking
//! the secretariat or the EPCI is cheap — with the stage-0 gain as its (upper-bound) gain and the
//! stage-0 recommendation's resource. It competes on the same priority, and wins ties, because
//! the answer may reveal the point is already covered.
//!
//! **Legal duties** not met (or « Ne sait pas ») come first, before any scored action, in content
//! order: they are not in the score (gain 0) but a town must meet them whatever its level.
//! Context questions (network coverage) produce actions with gain 0, which come last.
//!
//! « Non concerné », stages 3 and 4, unanswered questions and unknown options produce no action.
//! Ties are broken by: find-out first, then poolable first (sharing with the EPCI lowers the real
//! cost), then content order — so the ranking is deterministic.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{AnswerKind, Effort, Localized, Questionnaire};
use crate::score::Resolved;
use crate::Answers;

/// The stage an action aims for: « En place ».
pub const TARGET_STAGE: u8 = 3;

/// Whether an action improves something or first finds out where the town stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// Follow the recommendation for the current stage.
    Improve,
    /// The answer was « Ne sait pas »: find out first.
    FindOut,
}

/// One recommended action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Question the action is about.
    pub question: String,
    /// Theme of that question.
    pub theme: String,
    /// Improve or find out.
    pub kind: ActionKind,
    /// Stage the question was answered at (0 for « Ne sait pas »).
    pub stage: u8,
    /// What to do.
    pub text: Localized,
    /// Effort and cost hint.
    pub effort: Effort,
    /// Can be pooled with the intercommunalité.
    pub poolable: bool,
    /// Public body or service to turn to.
    pub resource: Localized,
    /// Overall-score points gained by reaching stage 3.
    pub gain: f64,
    /// `gain ÷ effort`: the ranking key.
    pub priority: f64,
    /// The question checks a legal duty: the action comes before any other.
    #[serde(default)]
    pub duty: bool,
}

/// Ranks the actions a town should consider first, most useful first. See the module
/// documentation for the rule.
pub fn prioritise(q: &Questionnaire, answers: &Answers) -> Vec<Action> {
    let resolved = Resolved::new(q, answers);

    // Σ possible per theme over the counted (scored) questions, and the weights of the themes
    // with data: the denominators of the theme scores and of the overall weighted mean.
    let mut possible: BTreeMap<&str, f64> = BTreeMap::new();
    for item in &resolved.items {
        if item.question.is_scored() && item.kind().and_then(AnswerKind::scored_stage).is_some() {
            *possible.entry(item.theme).or_default() += 1.0;
        }
    }
    let weights_with_data: f64 = q
        .themes
        .iter()
        .filter(|t| possible.contains_key(t.id.as_str()))
        .map(|t| t.overall_weight())
        .sum();

    let mut ranked: Vec<(usize, Action)> = Vec::new();
    for (position, item) in resolved.items.iter().enumerate() {
        let Some(kind) = item.kind() else { continue };
        let (stage, action_kind) = match kind {
            AnswerKind::Stage(s) if s < TARGET_STAGE => (s, ActionKind::Improve),
            AnswerKind::DontKnow => (0, ActionKind::FindOut),
            _ => continue,
        };
        let Some(reco) = item.question.recommendation_for(stage) else {
            continue;
        };
        let gap = f64::from(TARGET_STAGE - stage) / f64::from(AnswerKind::MAX_STAGE);
        let n = possible.get(item.theme).copied().unwrap_or(0.0);
        let weight = q.theme(item.theme).map_or(0.0, |t| t.overall_weight());
        let gain = if item.question.is_scored() && n > 0.0 && weights_with_data > 0.0 {
            100.0 * (weight / weights_with_data) * gap / n
        } else {
            0.0
        };
        let (text, effort) = match action_kind {
            ActionKind::Improve => (reco.text.clone(), reco.effort),
            ActionKind::FindOut => (q.find_out.clone(), Effort::Low),
        };
        ranked.push((
            position,
            Action {
                question: item.question.id.clone(),
                theme: item.theme.to_string(),
                kind: action_kind,
                stage,
                text,
                effort,
                poolable: reco.poolable,
                resource: reco.resource.clone(),
                gain,
                priority: gain / effort.cost_factor(),
                duty: item.question.duty.is_some(),
            },
        ));
    }

    ranked.sort_by(|(pa, a), (pb, b)| {
        b.duty
            .cmp(&a.duty)
            .then_with(|| if a.duty { pa.cmp(pb) } else { Ordering::Equal })
            .then_with(|| b.priority.total_cmp(&a.priority))
            .then_with(|| find_out_first(a.kind, b.kind))
            .then_with(|| b.poolable.cmp(&a.poolable))
            .then_with(|| pa.cmp(pb))
    });
    ranked.into_iter().map(|(_, a)| a).collect()
}

fn find_out_first(a: ActionKind, b: ActionKind) -> Ordering {
    match (a, b) {
        (ActionKind::FindOut, ActionKind::Improve) => Ordering::Less,
        (ActionKind::Improve, ActionKind::FindOut) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}
