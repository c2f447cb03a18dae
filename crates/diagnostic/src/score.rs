//! Scoring: theme and axis scores (0–100), overall score, @ level, completeness, and the
//! per-question explanation of any score.
//!
//! # Rules
//!
//! * **What counts.** Only *scored* questions count: legal duties go to the « Socle
//!   réglementaire » checklist ([`crate::baseline`]) and territorial context (fibre, mobile
//!   coverage) to its own panel; both still count for completeness.
//! * **Points.** An answered question at stage `s` (0–4) earns `weight × s / 4` out of `weight`
//!   possible points. On a theme every question weighs 1; on an axis the weight is the
//!   question's weight for that axis (the axes draw the Villes Internet profile, the radar).
//! * **Score** of a theme or axis = `100 × Σ earned / Σ possible` over its counted questions, or 0
//!   when nothing counts yet (then `answered == 0` tells the UI to show « — » rather than 0).
//! * **« Non concerné »** removes the question from numerator *and* denominator: a town without a
//!   school is neither rewarded nor penalised on school questions.
//! * **« Ne sait pas »** counts as stage 0 (not knowing whether backups exist is, in practice,
//!   not having reliable backups) and is listed in [`Scores::dont_know`] so the town can find out.
//! * **Unanswered** questions are left out of the scores but lower [`Scores::completeness`].
//! * **Unknown** question ids or option ids in the answers are ignored and listed in
//!   [`Scores::ignored`]; scoring never panics on user data.
//! * **Overall** = the themes' scores weighted by the content's theme weights (`apvf-2026.2`:
//!   each theme 25 %), over the themes that have at least one counted question. So each theme
//!   is a quarter of the level, and within a theme each question weighs the same. 0 when no
//!   theme has data.
//! * **Level**: the @ band of the overall score, read from the content's `levels` (for
//!   `apvf-2026.2`: < 20 → 1@, < 40 → 2@, < 60 → 3@, < 80 → 4@, ≥ 80 → 5@). Every town gets at
//!   least 1@, as with the Villes Internet label.

use serde::{Deserialize, Serialize};

use crate::model::{AnswerKind, AnswerOption, Level, Question, Questionnaire};
use crate::{Answer, Answers};

/// Score of one theme or axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreLine {
    /// Theme or axis id.
    pub id: String,
    /// 0–100; 0 when `answered == 0`.
    pub score: f64,
    /// Questions counted (a stage or « Ne sait pas »).
    pub answered: usize,
    /// Of which « Ne sait pas ».
    pub dont_know: usize,
    /// Questions answered « Non concerné ».
    pub not_applicable: usize,
    /// Questions not answered yet (or answered with an unknown option).
    pub unanswered: usize,
}

/// Why an entry of the answers was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgnoredReason {
    /// No question has this id in the current content (answers from another version should be
    /// migrated first, see [`crate::migrate`]).
    UnknownQuestion,
    /// The question exists but offers no option with this id.
    UnknownOption,
}

/// An answer that could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    /// The question id as found in the answers.
    pub question: String,
    /// The option id as found in the answers.
    pub option: String,
    /// Why it was ignored.
    pub reason: IgnoredReason,
}

/// The result of [`score`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Content version the scores were computed on.
    pub version: String,
    /// One line per theme, in content order.
    pub themes: Vec<ScoreLine>,
    /// One line per axis, in content order.
    pub axes: Vec<ScoreLine>,
    /// The theme scores that have data, weighted by the themes' weights, 0–100.
    pub overall: f64,
    /// The @ band of `overall`, with its reading.
    pub level: Level,
    /// Answered ÷ applicable, 0–1: « Ne sait pas » counts as answered, « Non concerné » leaves
    /// both counts. 1 when every question is « Non concerné ».
    pub completeness: f64,
    /// Ids of the questions answered « Ne sait pas », in content order.
    pub dont_know: Vec<String>,
    /// Entries of the answers that were not scored.
    pub ignored: Vec<Ignored>,
}

/// What a score is computed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum Target {
    /// A theme, by id.
    Theme(String),
    /// An axis, by id.
    Axis(String),
}

/// One question's part in a theme or axis score.
///
/// Points are absolute (`weight × stage / 4`), not shares of the score, so a question's
/// contribution does not move when another question changes; the share of the 0–100 score a
/// question cost is `100 × lost / Explanation::possible`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Question id.
    pub question: String,
    /// Option chosen, if the question was answered with a known option.
    pub option: Option<String>,
    /// What the option means; `None` when unanswered.
    pub kind: Option<AnswerKind>,
    /// Weight of the question in this score (1 on themes).
    pub weight: f64,
    /// Points earned.
    pub earned: f64,
    /// Points possible (0 when « Non concerné » or unanswered).
    pub possible: f64,
    /// `possible − earned`: what this answer cost the score.
    pub lost: f64,
}

/// The detail of one theme or axis score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// What was explained.
    pub target: Target,
    /// The score, identical to the matching [`ScoreLine::score`].
    pub score: f64,
    /// Σ earned.
    pub earned: f64,
    /// Σ possible.
    pub possible: f64,
    /// Every question feeding the target, in content order (including « Non concerné » and
    /// unanswered ones, with zero points, so the UI can list them).
    pub contributions: Vec<Contribution>,
}

/// Scores `answers` against `q`. See the module documentation for the rules.
pub fn score(q: &Questionnaire, answers: &Answers) -> Scores {
    let resolved = Resolved::new(q, answers);

    let themes: Vec<ScoreLine> = q
        .themes
        .iter()
        .map(|t| line(&t.id, &resolved.theme_contributions(&t.id)))
        .collect();
    let axes: Vec<ScoreLine> = q
        .axes
        .iter()
        .map(|a| line(&a.id, &resolved.axis_contributions(&a.id)))
        .collect();

    let (weighted, weights) = q
        .themes
        .iter()
        .zip(&themes)
        .filter(|(_, line)| line.answered > 0)
        .fold((0.0, 0.0), |(sum, total), (theme, line)| {
            let w = theme.overall_weight();
            (sum + w * line.score, total + w)
        });
    let overall = if weights > 0.0 {
        (weighted / weights).clamp(0.0, 100.0)
    } else {
        0.0
    };

    let mut answered = 0usize;
    let mut applicable = 0usize;
    let mut dont_know = Vec::new();
    for r in &resolved.items {
        match r.kind() {
            Some(AnswerKind::NotApplicable) => {}
            Some(kind) => {
                answered += 1;
                applicable += 1;
                if kind == AnswerKind::DontKnow {
                    dont_know.push(r.question.id.clone());
                }
            }
            None => applicable += 1,
        }
    }
    let completeness = if applicable == 0 {
        1.0
    } else {
        answered as f64 / applicable as f64
    };

    Scores {
        version: q.version.clone(),
        themes,
        axes,
        overall,
        level: q.level_for(overall),
        completeness,
        dont_know,
        ignored: resolved.ignored,
    }
}

/// Details a theme or axis score question by question, so the UI can show which answers raised
/// or lowered it. `None` when the target id does not exist.
pub fn explain(q: &Questionnaire, answers: &Answers, target: &Target) -> Option<Explanation> {
    let resolved = Resolved::new(q, answers);
    let contributions = match target {
        Target::Theme(id) => {
            q.theme(id)?;
            resolved.theme_contributions(id)
        }
        Target::Axis(id) => {
            q.axis(id)?;
            resolved.axis_contributions(id)
        }
    };
    let (earned, possible) = totals(&contributions);
    Some(Explanation {
        target: target.clone(),
        score: ratio(earned, possible),
        earned,
        possible,
        contributions,
    })
}

/// One question with the option chosen for it (if any, and known).
pub(crate) struct Item<'q> {
    pub(crate) theme: &'q str,
    pub(crate) question: &'q Question,
    pub(crate) option: Option<&'q AnswerOption>,
}

impl Item<'_> {
    pub(crate) fn kind(&self) -> Option<AnswerKind> {
        self.option.map(|o| o.kind)
    }

    fn contribution(&self, weight: f64) -> Contribution {
        let kind = self.kind();
        let (earned, possible) = match kind.and_then(AnswerKind::scored_stage) {
            Some(stage) => (
                weight * f64::from(stage) / f64::from(AnswerKind::MAX_STAGE),
                weight,
            ),
            None => (0.0, 0.0),
        };
        Contribution {
            question: self.question.id.clone(),
            option: self.option.map(|o| o.id.clone()),
            kind,
            weight,
            earned,
            possible,
            lost: possible - earned,
        }
    }
}

/// The answers matched against the questionnaire once, shared by every score.
pub(crate) struct Resolved<'q> {
    pub(crate) items: Vec<Item<'q>>,
    pub(crate) ignored: Vec<Ignored>,
}

impl<'q> Resolved<'q> {
    pub(crate) fn new(q: &'q Questionnaire, answers: &Answers) -> Self {
        let mut ignored = Vec::new();
        let mut items = Vec::with_capacity(answers.len().max(64));
        for theme in &q.themes {
            for question in &theme.questions {
                let option = answers.get(&question.id).and_then(|a: &Answer| {
                    let found = question.option(&a.option);
                    if found.is_none() {
                        ignored.push(Ignored {
                            question: question.id.clone(),
                            option: a.option.clone(),
                            reason: IgnoredReason::UnknownOption,
                        });
                    }
                    found
                });
                items.push(Item {
                    theme: &theme.id,
                    question,
                    option,
                });
            }
        }
        for (id, answer) in answers {
            if q.question(id).is_none() {
                ignored.push(Ignored {
                    question: id.clone(),
                    option: answer.option.clone(),
                    reason: IgnoredReason::UnknownQuestion,
                });
            }
        }
        Resolved { items, ignored }
    }

    pub(crate) fn theme_contributions(&self, theme: &str) -> Vec<Contribution> {
        self.items
            .iter()
            .filter(|i| i.theme == theme && i.question.is_scored())
            .map(|i| i.contribution(1.0))
            .collect()
    }

    pub(crate) fn axis_contributions(&self, axis: &str) -> Vec<Contribution> {
        self.items
            .iter()
            .filter(|i| i.question.is_scored())
            .filter_map(|i| i.question.axes.get(axis).map(|&w| i.contribution(w)))
            .collect()
    }
}

fn totals(contributions: &[Contribution]) -> (f64, f64) {
    contributions
        .iter()
        .fold((0.0, 0.0), |(e, p), c| (e + c.earned, p + c.possible))
}

fn ratio(earned: f64, possible: f64) -> f64 {
    if possible > 0.0 {
        (100.0 * earned / possible).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

fn line(id: &str, contributions: &[Contribution]) -> ScoreLine {
    let (earned, possible) = totals(contributions);
    let mut l = ScoreLine {
        id: id.to_string(),
        score: ratio(earned, possible),
        answered: 0,
        dont_know: 0,
        not_applicable: 0,
        unanswered: 0,
    };
    for c in contributions {
        match c.kind {
            None => l.unanswered += 1,
            Some(AnswerKind::NotApplicable) => l.not_applicable += 1,
            Some(AnswerKind::DontKnow) => {
                l.answered += 1;
                l.dont_know += 1;
            }
            Some(AnswerKind::Stage(_)) => l.answered += 1,
        }
    }
    l
}
