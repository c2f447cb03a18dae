//! The content model: questionnaire, themes, axes, questions, answer options, recommendations,
//! level bands and the migration map.
//!
//! This file is compiled twice: as a module of the crate, and by `build.rs` (through a `#[path]`
//! module) so that the build script parses the TOML content into exactly the types the crate
//! uses at run time. It must therefore depend on nothing but `serde` and the standard library.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Interface language. French is the default: the users are French elected officials; English
/// exists for partners and for the project's own contributors.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Français.
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// Every supported language, in display order.
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// ISO 639-1 code, as used in the JSON (`"fr"`, `"en"`) and in the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Lang {
    type Err = String;

    /// Accepts `fr`/`en`, case-insensitively, with an optional region (`fr-FR`, `en_GB`), so a
    /// browser's `navigator.language` can be passed as it is.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let base = s
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match base.as_str() {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            _ => Err(format!("unsupported language `{s}` (expected fr or en)")),
        }
    }
}

/// A text in both languages. Every user-facing string of the content is one of these, and
/// validation requires both halves to be non-empty, so the UI never falls back silently.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Localized {
    /// French text (the reference version).
    pub fr: String,
    /// English text.
    pub en: String,
}

impl Localized {
    /// Builds a text from its two halves.
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Localized {
            fr: fr.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}

/// What an answer option means for scoring.
///
/// Serialised as a plain string — `"stage-0"` … `"stage-4"`, `"dont-know"`, `"not-applicable"` —
/// which reads well in the TOML content and is trivial to match on in any JSON consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum AnswerKind {
    /// A maturity stage, 0 (not started) to 4 (evaluated and improved).
    Stage(u8),
    /// « Ne sait pas »: scored as stage 0 and reported separately, so the town can find out.
    DontKnow,
    /// « Non concerné »: the question is left out of both numerator and denominator.
    NotApplicable,
}

impl AnswerKind {
    /// Highest maturity stage.
    pub const MAX_STAGE: u8 = 4;

    /// The stage this answer counts as in scores: `Some(s)` for a stage, `Some(0)` for « Ne sait
    /// pas » (not knowing is not having it in place), `None` for « Non concerné ».
    pub fn scored_stage(self) -> Option<u8> {
        match self {
            AnswerKind::Stage(s) => Some(s),
            AnswerKind::DontKnow => Some(0),
            AnswerKind::NotApplicable => None,
        }
    }

    /// The canonical string form (also the id of the matching default-scale option).
    pub fn as_id(self) -> String {
        match self {
            AnswerKind::Stage(s) => format!("stage-{s}"),
            AnswerKind::DontKnow => DONT_KNOW.to_string(),
            AnswerKind::NotApplicable => NOT_APPLICABLE.to_string(),
        }
    }
}

/// Id of the « Ne sait pas » option, identical on every question.
pub const DONT_KNOW: &str = "dont-know";
/// Id of the « Non concerné » option, identical on every question.
pub const NOT_APPLICABLE: &str = "not-applicable";

impl TryFrom<String> for AnswerKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            DONT_KNOW => Ok(AnswerKind::DontKnow),
            NOT_APPLICABLE => Ok(AnswerKind::NotApplicable),
            other => other
                .strip_prefix("stage-")
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| *n <= AnswerKind::MAX_STAGE)
                .map(AnswerKind::Stage)
                .ok_or_else(|| {
                    format!(
                        "unknown answer kind `{s}` (expected stage-0 … stage-4, dont-know or not-applicable)"
                    )
                }),
        }
    }
}

impl From<AnswerKind> for String {
    fn from(k: AnswerKind) -> String {
        k.as_id()
    }
}

/// One choice offered for a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerOption {
    /// Stable id, unique within the question (what [`crate::Answer::option`] stores).
    pub id: String,
    /// What the user reads.
    pub label: Localized,
    /// What the option means for scoring.
    pub kind: AnswerKind,
}

/// Effort and cost hint of a recommendation, shown as `€`, `€€` or `€€€`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Effort {
    /// `€`: a decision, a few hours of work, no or little spending.
    #[serde(rename = "€")]
    Low,
    /// `€€`: a project of a few weeks or a modest budget line.
    #[serde(rename = "€€")]
    Medium,
    /// `€€€`: an investment or a multi-month project.
    #[serde(rename = "€€€")]
    High,
}

impl Effort {
    /// The divisor used by [`crate::prioritise`]: 1, 2 or 3.
    pub fn cost_factor(self) -> f64 {
        match self {
            Effort::Low => 1.0,
            Effort::Medium => 2.0,
            Effort::High => 3.0,
        }
    }

    /// `€`, `€€` or `€€€`.
    pub fn symbol(self) -> &'static str {
        match self {
            Effort::Low => "€",
            Effort::Medium => "€€",
            Effort::High => "€€€",
        }
    }
}

/// What to do next when a question is answered at one of `stages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The stages (0–2) this advice is written for. Stages 3 and 4 never get an action.
    pub stages: Vec<u8>,
    /// The advice itself: the next concrete step.
    pub text: Localized,
    /// Effort and cost hint.
    pub effort: Effort,
    /// Whether it can be pooled with the intercommunalité (EPCI) or a syndicate.
    pub poolable: bool,
    /// The public body or service to turn to (a name, never an invented URL).
    pub resource: Localized,
}

/// One question of the questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Stable kebab-case id, prefixed by its theme's prefix (e.g. `demat-factures-chorus`).
    /// Answers are stored under it, so it changes only through the migration map.
    pub id: String,
    /// The question as asked.
    pub text: Localized,
    /// Why it matters, what « good » looks like, and the legal or official reference.
    pub help: Localized,
    /// The options offered. In the TOML content a question may leave this out to use the default
    /// scale; after loading ([`Questionnaire::normalise`]) it always holds the full list,
    /// including « Ne sait pas » and « Non concerné ».
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<AnswerOption>,
    /// Villes Internet axes this question feeds, with a positive weight (typically 1–3).
    pub axes: BTreeMap<String, f64>,
    /// Next steps for the low stages (0, 1, 2).
    #[serde(default)]
    pub recommendations: Vec<Recommendation>,
    /// Set when the question checks a legal duty: it then belongs to the « Socle réglementaire »
    /// checklist, not to the score (the @ level rewards what a town does, not its compliance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<Duty>,
    /// An unscored question about the territory rather than the town's action (fibre and mobile
    /// coverage, which a town hardly controls): shown in the « Contexte du territoire » panel.
    #[serde(default, skip_serializing_if = "is_false")]
    pub context: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The legal duty a question checks, and whom it binds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Duty {
    /// The text that creates the duty (« RGPD, art. 37 »), shown next to each checklist line.
    pub source: Localized,
    /// The duty binds communes from this population on (inclusive, INSEE municipal population);
    /// `None` when it binds every commune whatever its size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_population: Option<u64>,
    /// A condition the app cannot compute (a revenue, a website, contracts above a threshold):
    /// only such duties may offer « Non concerné ».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Localized>,
}

impl Duty {
    /// Whether the duty binds a commune of `population` inhabitants; `None` when it has a
    /// population threshold and the population is unknown.
    pub fn applies_to(&self, population: Option<u64>) -> Option<bool> {
        match (self.min_population, population) {
            (None, _) => Some(true),
            (Some(min), Some(p)) => Some(p >= min),
            (Some(_), None) => None,
        }
    }
}

/// One entry of the glossary reachable from every question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// The term as it appears in the texts (« PLAT'AU », « 3-2-1 »).
    pub term: String,
    /// What it means, in plain words.
    pub definition: Localized,
}

impl Question {
    /// The option with id `id`.
    pub fn option(&self, id: &str) -> Option<&AnswerOption> {
        self.answers.iter().find(|o| o.id == id)
    }

    /// The weight of this question on `axis` (0 when it does not feed that axis).
    pub fn weight(&self, axis: &str) -> f64 {
        self.axes.get(axis).copied().unwrap_or(0.0)
    }

    /// Whether the question counts in theme, axis and overall scores: neither a legal duty nor
    /// territorial context.
    pub fn is_scored(&self) -> bool {
        self.duty.is_none() && !self.context
    }

    /// Whether `option` fulfils this question's duty: an option at stage 3 or 4.
    pub fn is_met_by(&self, option: &str) -> bool {
        matches!(self.option(option).map(|o| o.kind), Some(AnswerKind::Stage(s)) if s >= 3)
    }

    /// The recommendation written for `stage`, if any.
    pub fn recommendation_for(&self, stage: u8) -> Option<&Recommendation> {
        self.recommendations
            .iter()
            .find(|r| r.stages.contains(&stage))
    }
}

/// One of the four APVF themes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theme {
    /// Stable id (`dematerialisation`, `communication`, `mediation`, `securite`).
    pub id: String,
    /// Prefix every question id of the theme starts with (followed by `-`).
    pub prefix: String,
    /// Theme title.
    pub title: Localized,
    /// One or two sentences introducing the theme.
    pub description: Localized,
    /// The questions, in the order they are asked.
    pub questions: Vec<Question>,
    /// Share of the overall score, in percent (the content's themes sum to 100). `None` in small
    /// test content: then every theme weighs the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

impl Theme {
    /// The theme's weight in the overall score (1 when the content gives none).
    pub fn overall_weight(&self) -> f64 {
        self.weight.unwrap_or(1.0)
    }
}

/// One of the four Villes Internet axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Stable id (`democratie`, `vivre-ensemble`, `connaissances`, `richesses`).
    pub id: String,
    /// Axis title.
    pub title: Localized,
    /// One-line description.
    pub description: Localized,
}

/// A @ level: one band of the overall score, with its reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Number of @, 1 to 5.
    pub at: u8,
    /// Lowest overall score (0–100, inclusive) of the band.
    pub min_score: f64,
    /// Short name of the band.
    pub label: Localized,
    /// What the band means for the town and where to go next.
    pub interpretation: Localized,
}

/// `renamed {from, to}`: the answer is kept under the new id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renamed {
    /// Old question id.
    pub from: String,
    /// New question id.
    pub to: String,
    /// Optional old option id → new option id, for options that were renamed too. Options not
    /// listed keep their id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// `merged {from: [..], into}`: several questions become one; one answer is kept (see
/// [`crate::migrate`] for the rule) and the others are reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    /// Old question ids (`into` may be one of them).
    pub from: Vec<String>,
    /// The surviving question id.
    pub into: String,
    /// Optional old option id → new option id, applied to the answers of every `from` question.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// `removed {id}`: the question is gone; its answer is returned in the migration report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// Old question id.
    pub id: String,
}

/// The changes between two consecutive content versions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MigrationStep {
    /// Version the answers were given on.
    pub from: String,
    /// Version this step leads to (the next step's `from`, or the current version).
    pub to: String,
    /// Questions whose id changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renamed: Vec<Renamed>,
    /// Questions folded into one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<Merged>,
    /// Questions dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<Removed>,
}

/// The whole content of one version of the questionnaire.
///
/// Its JSON form (served as `GET /api/questionnaire`) is `{version, axes[], themes[], …}`; each
/// question carries its full `answers[]` list once loaded through [`Questionnaire::from_json`] or
/// [`crate::questionnaire`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Questionnaire {
    /// Content version, e.g. `apvf-2026.1`. Answers are always stored with the version they were
    /// given on, so they can be migrated.
    pub version: String,
    /// The four Villes Internet axes.
    pub axes: Vec<Axis>,
    /// The four APVF themes and their questions.
    pub themes: Vec<Theme>,
    /// The default answer scale (five stages, « Ne sait pas », « Non concerné »).
    pub scale: Vec<AnswerOption>,
    /// @ bands, from 1@ upwards.
    pub levels: Vec<Level>,
    /// Text of the « find out » action proposed for every « Ne sait pas » answer.
    pub find_out: Localized,
    /// Reminder shown with results: this is a self-assessment, not the Villes Internet label.
    pub notice: Localized,
    /// The answer options of duty questions that do not define their own (« Oui », « En cours »,
    /// « Non »), before « Ne sait pas ».
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duty_scale: Vec<AnswerOption>,
    /// Jargon explained, reachable from every question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub glossary: Vec<Term>,
    /// Migration map from older versions, oldest step first (empty for the first version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<MigrationStep>,
}

impl Questionnaire {
    /// Expands the default scale into every question that does not define its own options, and
    /// appends « Ne sait pas » and « Non concerné » (from the default scale) to any custom list
    /// that omits them.
    ///
    /// Why automatic rather than required in the content: the two special answers must exist on
    /// every question (users asked for them in comparable tools) and must look the same
    /// everywhere, so authors should not have to repeat them. Validation still checks the result.
    /// Idempotent.
    pub fn normalise(&mut self) {
        let specials: Vec<AnswerOption> = self
            .scale
            .iter()
            .filter(|o| matches!(o.kind, AnswerKind::DontKnow | AnswerKind::NotApplicable))
            .cloned()
            .collect();
        for theme in &mut self.themes {
            for question in &mut theme.questions {
                // « Non concerné » is offered on a duty only when its condition cannot be
                // computed: a duty that binds every commune (or a population the app knows)
                // is never « not applicable » by the town's own choice.
                let offers_not_applicable =
                    question.duty.as_ref().is_none_or(|d| d.condition.is_some());
                if question.answers.is_empty() {
                    if question.duty.is_some() && !self.duty_scale.is_empty() {
                        question.answers = self.duty_scale.clone();
                    } else {
                        question.answers = self.scale.clone();
                        if !offers_not_applicable {
                            question
                                .answers
                                .retain(|o| o.kind != AnswerKind::NotApplicable);
                        }
                        continue;
                    }
                }
                for special in &specials {
                    if special.kind == AnswerKind::NotApplicable && !offers_not_applicable {
                        continue;
                    }
                    if !question.answers.iter().any(|o| o.kind == special.kind) {
                        question.answers.push(special.clone());
                    }
                }
            }
        }
    }

    /// The same questionnaire without its reading matter: question wording and help,
    /// recommendations, axis descriptions and the two notices become empty. What stays — ids,
    /// order, answer options, axes and weights, levels (scores carry them), theme titles and
    /// descriptions (the home page lists them), axis titles, migrations, which questions are duties
    /// or context (with their population thresholds) — is everything needed to
    /// store, migrate, validate, count and score answers.
    ///
    /// Why: the app's first download embeds this outline only; the full text is embedded in the
    /// chunks that show questions and results, fetched when first opened (see the app's
    /// `src/chunks.rs`). Never show a stripped field from an outline.
    pub fn outline(&self) -> Questionnaire {
        let mut outline = self.clone();
        let strip = Localized::default;
        outline.find_out = strip();
        outline.notice = strip();
        outline.glossary.clear();
        for axis in &mut outline.axes {
            axis.description = strip();
        }
        for theme in &mut outline.themes {
            for question in &mut theme.questions {
                question.text = strip();
                question.help = strip();
                question.recommendations.clear();
                // A duty stays a duty (it is not scored), but its texts are reading matter.
                if let Some(duty) = &mut question.duty {
                    duty.source = strip();
                    duty.condition = duty.condition.as_ref().map(|_| strip());
                }
            }
        }
        outline
    }

    /// Every question, theme by theme, in the order they are asked.
    pub fn questions(&self) -> impl Iterator<Item = &Question> + '_ {
        self.themes.iter().flat_map(|t| t.questions.iter())
    }

    /// The question with id `id`.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id == id)
    }

    /// Where an answer given under `question` (with `option`) on any version this content's
    /// migration map knows lives now: `(current question id, option)` after every `renamed` or
    /// `merged` step and its option map; `None` when the question was removed or is unknown.
    /// A current id comes back unchanged. Used for answers synced from a phone still on an older
    /// version, so they land where [`crate::migrate`] puts a stored answer.
    pub fn upgrade(
        &self,
        question: &str,
        option: Option<&str>,
    ) -> Option<(String, Option<String>)> {
        if self.question(question).is_some() {
            return Some((question.to_string(), option.map(str::to_string)));
        }
        let mut id = question.to_string();
        let mut option = option.map(str::to_string);
        let mut moved = false;
        for step in &self.migrations {
            let (target, map) = if let Some(r) = step.renamed.iter().find(|r| r.from == id) {
                (&r.to, &r.options)
            } else if let Some(m) = step.merged.iter().find(|m| m.from.contains(&id)) {
                (&m.into, &m.options)
            } else if step.removed.iter().any(|r| r.id == id) {
                return None;
            } else {
                continue;
            };
            if let Some(new) = option.as_ref().and_then(|o| map.get(o)) {
                option = Some(new.clone());
            }
            id = target.clone();
            moved = true;
        }
        (moved && self.question(&id).is_some()).then_some((id, option))
    }

    /// The theme with id `id`.
    pub fn theme(&self, id: &str) -> Option<&Theme> {
        self.themes.iter().find(|t| t.id == id)
    }

    /// The axis with id `id`.
    pub fn axis(&self, id: &str) -> Option<&Axis> {
        self.axes.iter().find(|a| a.id == id)
    }

    /// The theme that holds question `question_id`.
    pub fn theme_of(&self, question_id: &str) -> Option<&Theme> {
        self.themes
            .iter()
            .find(|t| t.questions.iter().any(|q| q.id == question_id))
    }

    /// The @ band an overall score falls in: the band with the highest `min_score` not above
    /// `score`. Never fails: with no band defined (invalid content) it returns a bare 1@.
    pub fn level_for(&self, score: f64) -> Level {
        self.levels
            .iter()
            .filter(|l| l.min_score <= score)
            .max_by(|a, b| a.min_score.total_cmp(&b.min_score))
            .or_else(|| self.levels.iter().min_by_key(|l| l.at))
            .cloned()
            .unwrap_or(Level {
                at: 1,
                min_score: 0.0,
                label: Localized::default(),
                interpretation: Localized::default(),
            })
    }
}
