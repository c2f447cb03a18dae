//! The association's figures: participation, levels, axis medians, the questions where towns
//! are weakest, year-on-year change, the towns released *named*, and the open-data CSV. Pure
//! functions over what the server reads from its tables; no town's answers appear except those
//! released named, and only in [`named_result`] (the console), never in the CSV.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::aggregate::{GroupFigures, QuestionFigure, MIN_GROUP_SIZE};
use super::disclosure::Ledger;
use super::groups::{region_name, GroupKey, GroupKind};
use super::release::{release_state, ReleaseLevel};
use super::validation::{answers_only, is_answer_key};
use crate::sync::{Commune, Operation};
use crate::{score, Answers, Questionnaire};

/// One town's participation in a campaign (from the server's tables and the town's log).
#[derive(Debug, Clone, PartialEq)]
pub struct TownParticipation {
    pub commune: Commune,
    /// At least one answer in the campaign.
    pub answering: bool,
    /// A current validation.
    pub validated: bool,
    /// The effective release ([`super::ReleaseState::effective`]).
    pub released: Option<ReleaseLevel>,
}

impl TownParticipation {
    /// A town's participation in `campaign`, from its stored log.
    pub fn from_log(commune: &Commune, log: &[Operation], campaign: &str) -> TownParticipation {
        let state = release_state(log, campaign);
        TownParticipation {
            commune: commune.clone(),
            answering: log
                .iter()
                .any(|op| op.campaign == campaign && is_answer_key(&op.question)),
            validated: state.validation.is_some(),
            released: state.effective,
        }
    }
}

/// Participation counts for one area. Counts of towns, not answers: shown to operators at any
/// size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationRow {
    pub area: GroupKey,
    /// Towns with a space on the server.
    pub spaces: u32,
    pub answering: u32,
    pub validated: u32,
    /// Released, either level.
    pub released: u32,
    /// Of which named.
    pub named: u32,
}

/// Participation in one campaign: whole country, by région, by département (code order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participation {
    pub campaign: String,
    pub national: ParticipationRow,
    pub regions: Vec<ParticipationRow>,
    pub departements: Vec<ParticipationRow>,
}

fn empty_row(area: GroupKey) -> ParticipationRow {
    ParticipationRow {
        area,
        spaces: 0,
        answering: 0,
        validated: 0,
        released: 0,
        named: 0,
    }
}

fn count(row: &mut ParticipationRow, town: &TownParticipation) {
    row.spaces += 1;
    row.answering += u32::from(town.answering);
    row.validated += u32::from(town.validated);
    row.released += u32::from(town.released.is_some());
    row.named += u32::from(town.released == Some(ReleaseLevel::Named));
}

/// Participation counts of `towns` (every town with a space) for `campaign`.
pub fn participation(campaign: &str, towns: &[TownParticipation]) -> Participation {
    let mut national = empty_row(GroupKey::national());
    let mut regions: BTreeMap<String, ParticipationRow> = BTreeMap::new();
    let mut departements: BTreeMap<String, ParticipationRow> = BTreeMap::new();
    for town in towns {
        let c = &town.commune;
        count(&mut national, town);
        let region = regions.entry(c.region.clone()).or_insert_with(|| {
            empty_row(GroupKey::new(
                GroupKind::Region,
                c.region.clone(),
                region_name(&c.region).unwrap_or(&c.region),
            ))
        });
        count(region, town);
        let departement = departements
            .entry(c.departement.clone())
            .or_insert_with(|| {
                let label = match &c.departement_name {
                    Some(name) => format!("{name} ({})", c.departement),
                    None => c.departement.clone(),
                };
                empty_row(GroupKey::new(
                    GroupKind::Departement,
                    c.departement.clone(),
                    label,
                ))
            });
        count(departement, town);
    }
    Participation {
        campaign: campaign.to_string(),
        national,
        regions: regions.into_values().collect(),
        departements: departements.into_values().collect(),
    }
}

/// One @ level's share of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelShare {
    pub at: u8,
    pub towns: u32,
    /// Rounded to the percent.
    pub pct: u8,
}

/// The @ level distribution of a shown group, with shares.
pub fn level_distribution(figures: &GroupFigures) -> Vec<LevelShare> {
    let total = figures.towns.max(1);
    figures
        .levels
        .iter()
        .map(|l| LevelShare {
            at: l.at,
            towns: l.towns,
            pct: ((200 * l.towns + total) / (2 * total)).min(100) as u8,
        })
        .collect()
}

/// The `n` questions with the lowest share in place (ties in content order): where the
/// association should act (training, group purchasing).
pub fn weakest_questions(figures: &GroupFigures, n: usize) -> Vec<QuestionFigure> {
    let mut questions = figures.questions.clone();
    questions.sort_by_key(|f| f.in_place_pct); // stable: content order among ties
    questions.truncate(n);
    questions
}

/// The change of one axis median between two campaigns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxisChange {
    pub axis: String,
    pub before: u8,
    pub after: u8,
    /// `after − before`, in points.
    pub change: i16,
}

/// The change of one question's share in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionChange {
    pub question: String,
    pub before: u8,
    pub after: u8,
    pub change: i16,
}

/// One group from one campaign to a later one (both shown). Axes and questions shown in both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearOnYear {
    pub group: GroupKey,
    pub before_campaign: String,
    pub after_campaign: String,
    pub towns_before: u32,
    pub towns_after: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<AxisChange>,
    pub axes: Vec<AxisChange>,
    /// Biggest rise first.
    pub questions: Vec<QuestionChange>,
}

/// Year-on-year change of a group.
pub fn year_on_year(before: &GroupFigures, after: &GroupFigures) -> YearOnYear {
    let axes = after
        .axes
        .iter()
        .filter_map(|a| {
            let b = before.axis(&a.axis)?;
            Some(AxisChange {
                axis: a.axis.clone(),
                before: b.median,
                after: a.quartiles.median,
                change: i16::from(a.quartiles.median) - i16::from(b.median),
            })
        })
        .collect();
    let overall = match (before.overall, after.overall) {
        (Some(b), Some(a)) => Some(AxisChange {
            axis: "overall".into(),
            before: b.median,
            after: a.median,
            change: i16::from(a.median) - i16::from(b.median),
        }),
        _ => None,
    };
    let mut questions: Vec<QuestionChange> = after
        .questions
        .iter()
        .filter_map(|a| {
            let b = before.in_place_pct(&a.question)?;
            Some(QuestionChange {
                question: a.question.clone(),
                before: b,
                after: a.in_place_pct,
                change: i16::from(a.in_place_pct) - i16::from(b),
            })
        })
        .collect();
    questions.sort_by_key(|c| std::cmp::Reverse(c.change));
    YearOnYear {
        group: after.group.clone(),
        before_campaign: before.campaign.clone(),
        after_campaign: after.campaign.clone(),
        towns_before: before.towns,
        towns_after: after.towns,
        overall,
        axes,
        questions,
    }
}

/// A town released *named*: what the association's console lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedResult {
    pub commune: String,
    pub name: String,
    pub departement: String,
    pub campaign: String,
    pub overall: f64,
    pub level: u8,
    /// `(axis id, score)` in content order.
    pub axes: Vec<(String, f64)>,
    pub completeness: f64,
}

/// The console's line for a town released named, from its validated answers.
pub fn named_result(
    q: &Questionnaire,
    commune: &Commune,
    campaign: &str,
    validated: &Answers,
) -> NamedResult {
    let scores = score(q, &answers_only(validated));
    NamedResult {
        commune: commune.code.clone(),
        name: commune.name.clone(),
        departement: commune.departement.clone(),
        campaign: campaign.to_string(),
        overall: scores.overall,
        level: scores.level.at,
        axes: scores
            .axes
            .iter()
            .map(|l| (l.id.clone(), l.score))
            .collect(),
        completeness: scores.completeness,
    }
}

// ------------------------------------------------------------------------------------------------
// Open data

/// The CSV's header line (documented in `docs/network.md`).
pub const CSV_HEADER: &str =
    "campagne;groupe;type_groupe;id_groupe;libelle_groupe;communes;calcule_le;indicateur;cle;valeur";

/// UTF-8 byte order mark, so spreadsheet software reads the accents right.
pub const BOM: char = '\u{feff}';

/// The open-data CSV of the figures shown now in `ledgers` (one per campaign): `;`-separated,
/// UTF-8 with BOM, CRLF line ends, one figure per row, integers only (no decimal separator to
/// misread). Only groups of at least [`MIN_GROUP_SIZE`] towns appear — the only ones ever shown.
/// `calcule_le` is the publication date, `AAAA-MM-JJ` (UTC).
pub fn csv(ledgers: &[&Ledger]) -> String {
    let mut out = String::new();
    out.push(BOM);
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for ledger in ledgers {
        let mut shown: Vec<&GroupFigures> = ledger
            .shown()
            .filter(|f| f.towns as usize >= MIN_GROUP_SIZE)
            .collect();
        shown.sort_by(|a, b| a.group.cmp(&b.group));
        for f in shown {
            let prefix = [
                field(&f.campaign),
                field(&f.group.slug()),
                field(f.group.kind.as_str()),
                field(&f.group.id),
                field(&f.group.label),
                f.towns.to_string(),
                date(f.computed_ms),
            ]
            .join(";");
            let mut row = |indicator: &str, key: &str, value: u32| {
                let _ = write!(out, "{prefix};{indicator};{};{value}\r\n", field(key));
            };
            if let Some(o) = f.overall {
                row("global_q1", "", o.q1.into());
                row("global_mediane", "", o.median.into());
                row("global_q3", "", o.q3.into());
            }
            for a in &f.axes {
                row("axe_q1", &a.axis, a.quartiles.q1.into());
                row("axe_mediane", &a.axis, a.quartiles.median.into());
                row("axe_q3", &a.axis, a.quartiles.q3.into());
            }
            for l in &f.levels {
                row("niveau_communes", &l.at.to_string(), l.towns);
            }
            for qf in &f.questions {
                row(
                    "question_en_place_pct",
                    &qf.question,
                    qf.in_place_pct.into(),
                );
            }
        }
    }
    out
}

/// A CSV field: quoted when it holds `;`, `"` or a line break (quotes doubled).
fn field(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `AAAA-MM-JJ` of a Unix time in ms (UTC), without a date library (civil-from-days).
fn date(unix_ms: u64) -> String {
    let days = (unix_ms / 86_400_000) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_800_000_000_000), "2027-01-15");
        assert_eq!(date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(field("Loire (42)"), "Loire (42)");
        assert_eq!(field("a;b"), "\"a;b\"");
        assert_eq!(field("dit \"x\""), "\"dit \"\"x\"\"\"");
    }
}
