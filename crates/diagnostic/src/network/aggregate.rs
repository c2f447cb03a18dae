//! A group's figures for one campaign, from the validated answers of its released towns —
//! answers only: never comments, names or devices — and one town's comparison with them.
//!
//! # Definitions
//!
//! - **Town scores** are the crate's own [`score`]: per axis, overall, @ level.
//! - **Axis and overall figures**: median, first and third quartile (interquartile band) of the
//!   town scores, over the towns with data on that axis (quartiles by linear interpolation between
//!   order statistics, the spreadsheet `QUARTILE.INCL`), rounded to the point.
//! - **@ levels**: how many towns are at each level, 1@ to 5@.
//! - **« Ont ceci en place »**, per question: the share of towns whose answer is at stage
//!   [`TARGET_STAGE`] (« En place ») or above, among the towns that answered it with a stage or
//!   « Ne sait pas ». « Ne sait pas » counts as *not in place* (as in scores: not knowing whether
//!   backups exist is not having reliable backups); « Non concerné » and unanswered questions are
//!   left out of the share. Rounded to [`SHARE_STEP`] %.
//! - **Suppression**: a group with fewer than [`MIN_GROUP_SIZE`] released towns shows nothing but
//!   how many more are needed; inside a shown group, an axis or a question with fewer than
//!   [`MIN_GROUP_SIZE`] towns counted is left out (otherwise a question answered by one town of
//!   the group would show that town's answer).
//!
//! Which groups are published, and when a publication is refreshed, is [`super::disclosure`]'s
//! business: these functions compute figures, they do not decide to show them.

use serde::{Deserialize, Serialize};

use super::groups::GroupKey;
use super::release::{release_state, ReleaseLevel};
use super::validation::validated_answers;
use crate::model::AnswerKind;
use crate::sync::{Commune, Operation};
use crate::{score, Answers, Questionnaire, TARGET_STAGE};

/// Fewer released towns than this in a group (k-anonymity's k), and nothing of it is shown.
pub const MIN_GROUP_SIZE: usize = 5;

/// Shares are rounded to this many percent.
pub const SHARE_STEP: u8 = 5;

/// A released town, as the server hands it to the aggregation: an opaque id (never published),
/// its commune (for its groups) and its **validated** answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleasedTown {
    pub id: String,
    pub commune: Commune,
    pub answers: Answers,
}

/// The town as the aggregation sees it, from its stored log: `Some` when `campaign` is released
/// (either level) and its validated answers can be rebuilt, with the level. What the server runs
/// for each town before [`super::publish`]; the level tells whether the console may list it
/// ([`super::named_result`]).
pub fn released_town(
    id: impl Into<String>,
    commune: &Commune,
    log: &[Operation],
    q: &Questionnaire,
    campaign: &str,
) -> Option<(ReleaseLevel, ReleasedTown)> {
    let state = release_state(log, campaign);
    let level = state.effective?;
    let answers = validated_answers(log, q, state.validation.as_ref()?)?;
    Some((
        level,
        ReleasedTown {
            id: id.into(),
            commune: commune.clone(),
            answers,
        },
    ))
}

/// What one town contributes to aggregates, computed once per town.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TownFigures {
    /// Score per axis of the content, in content order; `None` when nothing counts on it.
    pub axes: Vec<Option<f64>>,
    /// Overall score; `None` when no axis has data.
    pub overall: Option<f64>,
    /// @ level, 1–5.
    pub level: u8,
    /// Per question of the content, in content order: `Some(true)` in place, `Some(false)` not
    /// (a stage below [`TARGET_STAGE`] or « Ne sait pas »), `None` left out.
    pub in_place: Vec<Option<bool>>,
}

/// A town's contribution from its answers.
pub fn town_figures(q: &Questionnaire, answers: &Answers) -> TownFigures {
    let scores = score(q, answers);
    let axes: Vec<Option<f64>> = scores
        .axes
        .iter()
        .map(|line| (line.answered > 0).then_some(line.score))
        .collect();
    let overall = axes.iter().any(Option::is_some).then_some(scores.overall);
    let in_place = q
        .questions()
        .map(|question| {
            let answer = answers.get(&question.id)?;
            match question.option(&answer.option)?.kind {
                AnswerKind::Stage(stage) => Some(stage >= TARGET_STAGE),
                AnswerKind::DontKnow => Some(false),
                AnswerKind::NotApplicable => None,
            }
        })
        .collect();
    TownFigures {
        axes,
        overall,
        level: scores.level.at,
        in_place,
    }
}

/// Median and interquartile band, 0–100, rounded to the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quartiles {
    pub q1: u8,
    pub median: u8,
    pub q3: u8,
}

/// One axis of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxisFigure {
    pub axis: String,
    #[serde(flatten)]
    pub quartiles: Quartiles,
}

/// How many towns of a group are at one @ level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCount {
    pub at: u8,
    pub towns: u32,
}

/// One question of a group: « 62 % des communes comparables ont ceci en place ».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionFigure {
    pub question: String,
    /// Multiple of [`SHARE_STEP`].
    pub in_place_pct: u8,
}

/// A shown group's figures. Carries no town id, name, comment or device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFigures {
    pub group: GroupKey,
    pub campaign: String,
    /// Released towns counted.
    pub towns: u32,
    /// When these figures were computed (Unix ms): the app shows « chiffres du … ».
    pub computed_ms: u64,
    /// Overall score; absent when fewer than [`MIN_GROUP_SIZE`] towns have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<Quartiles>,
    /// Axes with at least [`MIN_GROUP_SIZE`] towns with data, in content order.
    pub axes: Vec<AxisFigure>,
    /// Every level of the content, 1@ first.
    pub levels: Vec<LevelCount>,
    /// Questions with at least [`MIN_GROUP_SIZE`] towns counted, in content order.
    pub questions: Vec<QuestionFigure>,
}

impl GroupFigures {
    /// The share in place for `question`, when shown.
    pub fn in_place_pct(&self, question: &str) -> Option<u8> {
        self.questions
            .iter()
            .find(|f| f.question == question)
            .map(|f| f.in_place_pct)
    }

    /// The figures of `axis`, when shown.
    pub fn axis(&self, axis: &str) -> Option<Quartiles> {
        self.axes
            .iter()
            .find(|f| f.axis == axis)
            .map(|f| f.quartiles)
    }
}

/// A group that shows nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    pub group: GroupKey,
    pub campaign: String,
    /// How many more released towns are needed (« encore 2 communes »); `None` when the group
    /// is big enough but withheld because publishing it would let another group's towns be
    /// singled out (« pas encore disponible »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needed: Option<u32>,
}

/// What a town (or the association) receives for one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum GroupAggregate {
    Shown(GroupFigures),
    Withheld(Withheld),
}

impl GroupAggregate {
    pub fn group(&self) -> &GroupKey {
        match self {
            GroupAggregate::Shown(f) => &f.group,
            GroupAggregate::Withheld(w) => &w.group,
        }
    }

    pub fn figures(&self) -> Option<&GroupFigures> {
        match self {
            GroupAggregate::Shown(f) => Some(f),
            GroupAggregate::Withheld(_) => None,
        }
    }
}

/// The figures of `group` for `campaign` from its members' contributions, or what it lacks.
/// Applies the size thresholds only (see [`super::disclosure`] for what may be published).
pub fn group_figures(
    q: &Questionnaire,
    group: &GroupKey,
    campaign: &str,
    members: &[&TownFigures],
    computed_ms: u64,
) -> GroupAggregate {
    if members.len() < MIN_GROUP_SIZE {
        return GroupAggregate::Withheld(Withheld {
            group: group.clone(),
            campaign: campaign.to_string(),
            needed: Some((MIN_GROUP_SIZE - members.len()) as u32),
        });
    }
    let overall = quartiles(members.iter().filter_map(|t| t.overall).collect());
    let axes = q
        .axes
        .iter()
        .enumerate()
        .filter_map(|(i, axis)| {
            let scores = members
                .iter()
                .filter_map(|t| t.axes.get(i).copied().flatten())
                .collect();
            quartiles(scores).map(|quartiles| AxisFigure {
                axis: axis.id.clone(),
                quartiles,
            })
        })
        .collect();
    let mut levels: Vec<LevelCount> = q
        .levels
        .iter()
        .map(|l| LevelCount { at: l.at, towns: 0 })
        .collect();
    levels.sort_by_key(|l| l.at);
    for town in members {
        if let Some(count) = levels.iter_mut().find(|l| l.at == town.level) {
            count.towns += 1;
        }
    }
    let questions = q
        .questions()
        .enumerate()
        .filter_map(|(i, question)| {
            let (mut counted, mut in_place) = (0usize, 0usize);
            for town in members {
                if let Some(Some(yes)) = town.in_place.get(i) {
                    counted += 1;
                    in_place += usize::from(*yes);
                }
            }
            (counted >= MIN_GROUP_SIZE).then(|| QuestionFigure {
                question: question.id.clone(),
                in_place_pct: round_share(in_place, counted),
            })
        })
        .collect();
    GroupAggregate::Shown(GroupFigures {
        group: group.clone(),
        campaign: campaign.to_string(),
        towns: members.len() as u32,
        computed_ms,
        overall,
        axes,
        levels,
        questions,
    })
}

/// `100 × part ÷ whole` rounded to the nearest [`SHARE_STEP`] (halves up).
pub(crate) fn round_share(part: usize, whole: usize) -> u8 {
    if whole == 0 {
        return 0;
    }
    let step = usize::from(SHARE_STEP);
    // Integer arithmetic: the same on every platform.
    let steps = (2 * 100 * part + step * whole) / (2 * step * whole);
    (steps * step).min(100) as u8
}

/// Quartiles of at least [`MIN_GROUP_SIZE`] values, else `None`.
fn quartiles(mut values: Vec<f64>) -> Option<Quartiles> {
    if values.len() < MIN_GROUP_SIZE {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let position = p * (values.len() - 1) as f64;
        let low = position.floor() as usize;
        let high = position.ceil() as usize;
        let value = values[low] + (values[high] - values[low]) * (position - low as f64);
        value.round().clamp(0.0, 100.0) as u8
    };
    Some(Quartiles {
        q1: at(0.25),
        median: at(0.5),
        q3: at(0.75),
    })
}

// ------------------------------------------------------------------------------------------------
// A town's comparison

/// One axis: the town's score and its group's band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisComparison {
    pub axis: String,
    /// The town's score; `None` when it has no data on the axis.
    pub town: Option<f64>,
    /// The group's figures; `None` when withheld for this axis.
    pub group: Option<Quartiles>,
}

/// One question: the town's answer against the group's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionComparison {
    pub question: String,
    /// Whether the town has it in place (`None`: unanswered or « Non concerné »).
    pub town_in_place: Option<bool>,
    /// « 62 % des communes comparables ont ceci en place »; `None` when withheld.
    pub group_in_place_pct: Option<u8>,
}

/// What the results page shows for one group: the radar's second shape and band, the levels,
/// and one line per question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub group: GroupKey,
    pub towns: u32,
    pub town_level: u8,
    pub levels: Vec<LevelCount>,
    pub axes: Vec<AxisComparison>,
    pub questions: Vec<QuestionComparison>,
}

/// A town's comparison with one shown group, axes and questions in content order.
pub fn compare(q: &Questionnaire, town: &TownFigures, figures: &GroupFigures) -> Comparison {
    Comparison {
        group: figures.group.clone(),
        towns: figures.towns,
        town_level: town.level,
        levels: figures.levels.clone(),
        axes: q
            .axes
            .iter()
            .enumerate()
            .map(|(i, axis)| AxisComparison {
                axis: axis.id.clone(),
                town: town.axes.get(i).copied().flatten(),
                group: figures.axis(&axis.id),
            })
            .collect(),
        questions: q
            .questions()
            .enumerate()
            .map(|(i, question)| QuestionComparison {
                question: question.id.clone(),
                town_in_place: town.in_place.get(i).copied().flatten(),
                group_in_place_pct: figures.in_place_pct(&question.id),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_to_the_step() {
        assert_eq!(round_share(0, 7), 0);
        assert_eq!(round_share(7, 7), 100);
        assert_eq!(round_share(5, 8), 65); // 62.5 → 65 (halves up)
        assert_eq!(round_share(1, 8), 15); // 12.5 → 15
        assert_eq!(round_share(1, 3), 35); // 33.3 → 35
        assert_eq!(round_share(3, 0), 0);
    }
}
