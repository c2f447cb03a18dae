//! Content validation: everything that must hold for a questionnaire to be served to users.
//!
//! Like `model.rs`, this file is also compiled by `build.rs`, so a content error fails the build
//! with the same precise message the tests see. Every error names the file, the place (axis,
//! theme, question, level band or migration step) and the problem.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::{
    AnswerKind, AnswerOption, Lang, Localized, Question, Questionnaire, DONT_KNOW, NOT_APPLICABLE,
};

/// Thresholds that depend on the content's ambition rather than on its consistency.
///
/// The real content uses [`Rules::default`]; small test fixtures (such as the migration fixture)
/// use [`Rules::lenient`] so they need not carry 48 questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Each theme must hold at least this many questions.
    pub min_questions_per_theme: usize,
    /// Each axis must be fed by at least this many scored questions.
    pub min_questions_per_axis: usize,
    /// Every theme must carry a `weight`, and the weights must sum to [`THEME_WEIGHT_TOTAL`].
    pub theme_weights_required: bool,
}

/// What the themes' weights sum to: percent of the overall score.
pub const THEME_WEIGHT_TOTAL: f64 = 100.0;

impl Default for Rules {
    /// At least 12 questions per theme and 6 per axis: below that a theme or axis score rests on
    /// too few answers to mean anything.
    fn default() -> Self {
        Rules {
            min_questions_per_theme: 12,
            min_questions_per_axis: 6,
            theme_weights_required: true,
        }
    }
}

impl Rules {
    /// One question per theme and per axis: for fixtures.
    pub fn lenient() -> Self {
        Rules {
            min_questions_per_theme: 1,
            min_questions_per_axis: 1,
            theme_weights_required: false,
        }
    }
}

/// Where in the content a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The questionnaire as a whole (version, counts).
    Questionnaire,
    /// The default answer scale.
    Scale,
    /// An axis, by id.
    Axis(String),
    /// A theme, by id.
    Theme(String),
    /// A question, by id, with the theme holding it.
    Question {
        /// Theme id.
        theme: String,
        /// Question id.
        question: String,
    },
    /// A @ band, by position (1-based).
    Level(usize),
    /// A migration step.
    Migration {
        /// Version the step starts from.
        from: String,
        /// Version the step leads to.
        to: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Questionnaire => write!(f, "questionnaire"),
            Location::Scale => write!(f, "default scale"),
            Location::Axis(id) => write!(f, "axis `{id}`"),
            Location::Theme(id) => write!(f, "theme `{id}`"),
            Location::Question { theme, question } => {
                write!(f, "question `{question}` (theme `{theme}`)")
            }
            Location::Level(n) => write!(f, "level band #{n}"),
            Location::Migration { from, to } => write!(f, "migration {from} → {to}"),
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// A required text is empty in one language.
    #[error("{field} is empty in {lang}")]
    EmptyText {
        /// Which text (`text`, `help`, `option \`stage-0\` label`…).
        field: String,
        /// Which language.
        lang: Lang,
    },
    /// A text still holds a placeholder such as TODO.
    #[error("{field} still contains the placeholder `{marker}` in {lang}")]
    Placeholder {
        /// Which text.
        field: String,
        /// Which language.
        lang: Lang,
        /// The placeholder found.
        marker: String,
    },
    /// An id is used twice where it must be unique.
    #[error("duplicate {what} id `{id}`")]
    DuplicateId {
        /// Kind of object (`question`, `theme`, `option`…).
        what: String,
        /// The repeated id.
        id: String,
    },
    /// An id is not kebab-case.
    #[error(
        "{what} id `{id}` is not kebab-case (lowercase letters, digits, single inner hyphens)"
    )]
    NotKebabCase {
        /// Kind of object.
        what: String,
        /// The id.
        id: String,
    },
    /// A question id lacks its theme's prefix.
    #[error("id does not start with the theme prefix `{prefix}-`")]
    MissingPrefix {
        /// The expected prefix.
        prefix: String,
    },
    /// The content version is empty.
    #[error("version is empty")]
    EmptyVersion,
    /// A question feeds an axis that does not exist.
    #[error("refers to unknown axis `{axis}`")]
    UnknownAxis {
        /// The unknown axis id.
        axis: String,
    },
    /// A weight is zero, negative or not finite.
    #[error("weight {weight} on axis `{axis}` must be a positive number")]
    BadWeight {
        /// Axis id.
        axis: String,
        /// The weight found.
        weight: f64,
    },
    /// A question feeds no axis at all.
    #[error("feeds no axis (give it at least one entry in `axes`)")]
    NoAxis,
    /// A duty or context question feeds an axis: it would be scored after all.
    #[error("is a duty or context question, which is not scored: remove its `axes`")]
    UnscoredWithAxes,
    /// A duty question names no legal source.
    #[error("is a duty but its `source` is empty in {lang} (name the text that creates it)")]
    DutyWithoutSource {
        /// Which language.
        lang: Lang,
    },
    /// A duty that binds every commune (or a population the app computes) offers « Non
    /// concerné »: the town cannot opt out of it.
    #[error("is a duty without a `condition`, so it must not offer « Non concerné »")]
    NotApplicableOnDuty,
    /// A question is both a duty and context.
    #[error("cannot be both a duty and context")]
    DutyAndContext,
    /// A theme weight is missing, not positive, or the weights do not sum to 100.
    #[error("theme weights must each be positive and sum to {expected} (found {found})")]
    ThemeWeights {
        /// The sum expected.
        expected: f64,
        /// The sum found (0 when a weight is missing).
        found: f64,
    },
    /// A glossary entry is empty or repeated.
    #[error("glossary term `{term}` is empty or defined twice")]
    GlossaryTerm {
        /// The term.
        term: String,
    },
    /// A theme holds too few questions.
    #[error("has {count} questions, at least {min} required")]
    TooFewQuestions {
        /// Questions found.
        count: usize,
        /// Minimum required.
        min: usize,
    },
    /// An axis is fed by too few questions.
    #[error("is fed by {count} questions, at least {min} required")]
    AxisUnderfed {
        /// Questions found.
        count: usize,
        /// Minimum required.
        min: usize,
    },
    /// A question offers no answer at all.
    #[error("offers no answer option")]
    NoOptions,
    /// A question (or the scale) lacks « Ne sait pas » or « Non concerné ».
    #[error("lacks the « {label} » option (id `{id}`), which every question must offer")]
    MissingSpecial {
        /// French label of the missing option.
        label: String,
        /// Its required id.
        id: String,
    },
    /// A special option exists under the wrong id.
    #[error("option `{option}` is of kind `{kind}` but its id must be `{expected}`")]
    WrongSpecialId {
        /// The option id found.
        option: String,
        /// Its kind.
        kind: String,
        /// The id it must have.
        expected: String,
    },
    /// Two options share a kind that must be unique (specials; stages in the default scale).
    #[error("more than one option of kind `{kind}`")]
    DuplicateKind {
        /// The kind.
        kind: String,
    },
    /// An option id looks like a kind it does not have (`stage-2` meaning stage 3…).
    #[error("option `{option}` is named like another kind than its own (`{kind}`)")]
    MisleadingOptionId {
        /// The option id.
        option: String,
        /// Its actual kind.
        kind: String,
    },
    /// A stage outside 0–4 (only possible in content built in code).
    #[error("option `{option}` has stage {stage}, beyond the maximum of 4")]
    StageOutOfRange {
        /// The option id.
        option: String,
        /// The stage.
        stage: u8,
    },
    /// A question maps fewer than two distinct stages: it could not tell towns apart.
    #[error("offers {count} distinct maturity stage(s), at least 2 required")]
    TooFewStages {
        /// Distinct stages found.
        count: usize,
    },
    /// The default scale lacks a stage.
    #[error("lacks stage {stage}")]
    ScaleMissingStage {
        /// The missing stage.
        stage: u8,
    },
    /// A low stage the question can produce has no recommendation.
    #[error("stage {stage} has no recommendation (stages 0, 1 and 2 each need one)")]
    UncoveredStage {
        /// The stage.
        stage: u8,
    },
    /// A stage has several recommendations.
    #[error("stage {stage} is covered by more than one recommendation")]
    DoubleCoveredStage {
        /// The stage.
        stage: u8,
    },
    /// A recommendation lists no stage.
    #[error("recommendation #{index} lists no stage")]
    RecommendationWithoutStage {
        /// 1-based position of the recommendation.
        index: usize,
    },
    /// A recommendation targets stage 3 or 4, which never produce an action.
    #[error("recommendation #{index} targets stage {stage}, but stages 3 and 4 produce no action")]
    RecommendationForHighStage {
        /// 1-based position.
        index: usize,
        /// The stage.
        stage: u8,
    },
    /// A recommendation targets a stage none of the question's options maps to.
    #[error(
        "recommendation #{index} targets stage {stage}, which no option of the question maps to"
    )]
    RecommendationUnreachableStage {
        /// 1-based position.
        index: usize,
        /// The stage.
        stage: u8,
    },
    /// No @ band is defined.
    #[error("no level band is defined")]
    NoLevels,
    /// Bands are not numbered 1, 2, 3… in order.
    #[error("has {at}@ but bands must be numbered 1@, 2@, 3@… in order (expected {expected}@)")]
    LevelNumbering {
        /// The number found.
        at: u8,
        /// The number expected.
        expected: usize,
    },
    /// The first band does not start at 0, so low scores would have no band.
    #[error("first band must start at 0, not {min_score}")]
    LevelDoesNotStartAtZero {
        /// Its minimum.
        min_score: f64,
    },
    /// Band minimums do not increase strictly within 0–100.
    #[error("min_score {min_score} must lie in 0–100 and exceed the previous band's ({previous})")]
    LevelBounds {
        /// This band's minimum.
        min_score: f64,
        /// Previous band's minimum.
        previous: f64,
    },
    /// Migration steps do not chain.
    #[error("does not follow the previous step, which leads to `{expected}`")]
    MigrationChainBroken {
        /// Where the previous step leads.
        expected: String,
    },
    /// The last migration step does not lead to the current version.
    #[error("the last step must lead to the current version `{version}`")]
    MigrationDoesNotReachCurrent {
        /// The content's version.
        version: String,
    },
    /// A step starts and ends at the same version.
    #[error("a step must lead to a different version")]
    MigrationToSameVersion,
    /// An old question id appears in several changes of one step.
    #[error("old question `{id}` appears in more than one change")]
    MigrationDuplicateSource {
        /// The id.
        id: String,
    },
    /// A rename or merge targets a question that does not exist in the version it leads to.
    #[error("target question `{id}` does not exist in the version this step leads to")]
    MigrationUnknownTarget {
        /// The id.
        id: String,
    },
    /// A renamed, merged-away or removed question still exists in the version the step leads to.
    #[error("old question `{id}` still exists in the version this step leads to")]
    MigrationSourceStillExists {
        /// The id.
        id: String,
    },
    /// A merge lists no source question.
    #[error("merge into `{into}` lists no source question")]
    MigrationEmptyMerge {
        /// The target id.
        into: String,
    },
    /// An option map points to an option the target question does not offer.
    #[error(
        "option map of `{question}` maps `{from}` to `{to}`, which that question does not offer"
    )]
    MigrationUnknownOption {
        /// Target question id.
        question: String,
        /// Old option id.
        from: String,
        /// New option id.
        to: String,
    },
}

/// One content error: file, place, problem. Displays as `file: place: problem`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {location}: {problem}")]
pub struct ValidationError {
    /// The content file (as given to [`validate`]).
    pub file: String,
    /// Where the problem is.
    pub location: Location,
    /// What the problem is.
    pub problem: Problem,
}

/// Every error found in one pass (validation does not stop at the first, so an author fixes
/// them all in one go).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} content error(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Validates `q` (as loaded, i.e. after [`Questionnaire::normalise`]) with the default
/// [`Rules`]. `file` names the content file in error messages.
pub fn validate(q: &Questionnaire, file: &str) -> Result<(), ValidationErrors> {
    validate_with(q, file, &Rules::default())
}

/// Validates `q` with explicit thresholds. Checks:
/// - unique, kebab-case ids for axes, themes, questions (across the whole questionnaire) and
///   options (within a question); question ids carry their theme's prefix;
/// - every text present and non-empty in French and English, with no TODO-style placeholder;
/// - theme and axis sizes against `rules`; every axis a question refers to exists; weights > 0;
/// - the default scale holds stages 0–4, « Ne sait pas » and « Non concerné »; every question
///   offers both specials under their fixed ids and at least two distinct stages;
/// - every low stage (0–2) a question can produce has exactly one recommendation, and every
///   recommendation targets a low stage the question can produce;
/// - @ bands numbered 1@… from score 0 with strictly increasing minimums;
/// - the migration map chains to the current version and refers to existing ids.
pub fn validate_with(q: &Questionnaire, file: &str, rules: &Rules) -> Result<(), ValidationErrors> {
    let mut v = Validator {
        file,
        errors: Vec::new(),
    };
    v.questionnaire(q, rules);
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(v.errors))
    }
}

const PLACEHOLDERS: [&str; 4] = ["TODO", "TBD", "FIXME", "XXX"];

struct Validator<'a> {
    file: &'a str,
    errors: Vec<ValidationError>,
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

fn kind_label(kind: AnswerKind) -> String {
    kind.as_id()
}

/// The kind an option id announces, if it is one of the reserved forms.
fn announced_kind(id: &str) -> Option<AnswerKind> {
    AnswerKind::try_from(id.to_string()).ok()
}

impl Validator<'_> {
    fn push(&mut self, location: &Location, problem: Problem) {
        self.errors.push(ValidationError {
            file: self.file.to_string(),
            location: location.clone(),
            problem,
        });
    }

    fn text(&mut self, loc: &Location, field: &str, t: &Localized) {
        for lang in Lang::ALL {
            let s = t.get(lang);
            if s.trim().is_empty() {
                self.push(
                    loc,
                    Problem::EmptyText {
                        field: field.to_string(),
                        lang,
                    },
                );
            } else if let Some(marker) = PLACEHOLDERS.iter().find(|m| s.contains(*m)) {
                self.push(
                    loc,
                    Problem::Placeholder {
                        field: field.to_string(),
                        lang,
                        marker: marker.to_string(),
                    },
                );
            }
        }
    }

    fn id(&mut self, loc: &Location, what: &str, id: &str, seen: &mut BTreeSet<String>) {
        if !is_kebab(id) {
            self.push(
                loc,
                Problem::NotKebabCase {
                    what: what.to_string(),
                    id: id.to_string(),
                },
            );
        }
        if !seen.insert(id.to_string()) {
            self.push(
                loc,
                Problem::DuplicateId {
                    what: what.to_string(),
                    id: id.to_string(),
                },
            );
        }
    }

    fn questionnaire(&mut self, q: &Questionnaire, rules: &Rules) {
        let top = Location::Questionnaire;
        if q.version.trim().is_empty() {
            self.push(&top, Problem::EmptyVersion);
        }
        self.text(&top, "find_out", &q.find_out);
        self.text(&top, "notice", &q.notice);

        let mut axis_ids = BTreeSet::new();
        for axis in &q.axes {
            let loc = Location::Axis(axis.id.clone());
            self.id(&loc, "axis", &axis.id, &mut axis_ids);
            self.text(&loc, "title", &axis.title);
            self.text(&loc, "description", &axis.description);
        }

        self.scale(&q.scale);

        let mut theme_ids = BTreeSet::new();
        let mut prefixes = BTreeSet::new();
        let mut question_ids = BTreeSet::new();
        let mut axis_use: BTreeMap<&str, usize> = BTreeMap::new();
        for theme in &q.themes {
            let loc = Location::Theme(theme.id.clone());
            self.id(&loc, "theme", &theme.id, &mut theme_ids);
            self.id(&loc, "theme prefix", &theme.prefix, &mut prefixes);
            self.text(&loc, "title", &theme.title);
            self.text(&loc, "description", &theme.description);
            if theme.questions.len() < rules.min_questions_per_theme {
                self.push(
                    &loc,
                    Problem::TooFewQuestions {
                        count: theme.questions.len(),
                        min: rules.min_questions_per_theme,
                    },
                );
            }
            for question in &theme.questions {
                let loc = Location::Question {
                    theme: theme.id.clone(),
                    question: question.id.clone(),
                };
                self.id(&loc, "question", &question.id, &mut question_ids);
                if !question.id.starts_with(&format!("{}-", theme.prefix)) {
                    self.push(
                        &loc,
                        Problem::MissingPrefix {
                            prefix: theme.prefix.clone(),
                        },
                    );
                }
                self.question(&loc, question, &axis_ids);
                if question.is_scored() {
                    for axis in question.axes.keys() {
                        *axis_use.entry(axis.as_str()).or_default() += 1;
                    }
                }
            }
        }
        for axis in &q.axes {
            let count = axis_use.get(axis.id.as_str()).copied().unwrap_or(0);
            if count < rules.min_questions_per_axis {
                self.push(
                    &Location::Axis(axis.id.clone()),
                    Problem::AxisUnderfed {
                        count,
                        min: rules.min_questions_per_axis,
                    },
                );
            }
        }

        self.theme_weights(q, rules);
        let mut terms = BTreeSet::new();
        for entry in &q.glossary {
            if entry.term.trim().is_empty() || !terms.insert(entry.term.to_lowercase()) {
                self.push(
                    &top,
                    Problem::GlossaryTerm {
                        term: entry.term.clone(),
                    },
                );
            }
            self.text(
                &top,
                &format!("glossary `{}`", entry.term),
                &entry.definition,
            );
        }
        self.levels(q);
        self.migrations(q);
    }

    /// Content weights are all present and sum to 100, or (test content) all absent.
    fn theme_weights(&mut self, q: &Questionnaire, rules: &Rules) {
        let given: Vec<f64> = q.themes.iter().filter_map(|t| t.weight).collect();
        if given.is_empty() && !rules.theme_weights_required {
            return;
        }
        let all_positive =
            given.len() == q.themes.len() && given.iter().all(|w| w.is_finite() && *w > 0.0);
        let found = if given.len() == q.themes.len() {
            given.iter().sum()
        } else {
            0.0
        };
        if !all_positive || (found - THEME_WEIGHT_TOTAL).abs() > 1e-9 {
            self.push(
                &Location::Questionnaire,
                Problem::ThemeWeights {
                    expected: THEME_WEIGHT_TOTAL,
                    found,
                },
            );
        }
    }

    fn scale(&mut self, scale: &[AnswerOption]) {
        let loc = Location::Scale;
        self.options(&loc, scale, false);
        let stages: BTreeSet<u8> = scale
            .iter()
            .filter_map(|o| match o.kind {
                AnswerKind::Stage(s) => Some(s),
                _ => None,
            })
            .collect();
        for stage in 0..=AnswerKind::MAX_STAGE {
            if !stages.contains(&stage) {
                self.push(&loc, Problem::ScaleMissingStage { stage });
            }
        }
        let mut kinds = BTreeSet::new();
        for o in scale {
            if matches!(o.kind, AnswerKind::Stage(_)) && !kinds.insert(o.kind) {
                self.push(
                    &loc,
                    Problem::DuplicateKind {
                        kind: kind_label(o.kind),
                    },
                );
            }
        }
    }

    /// Checks shared by the default scale and each question's options. `binding_duty`: the
    /// options of a duty without condition, which must not offer « Non concerné ».
    fn options(&mut self, loc: &Location, options: &[AnswerOption], binding_duty: bool) {
        if options.is_empty() {
            self.push(loc, Problem::NoOptions);
            return;
        }
        let mut ids = BTreeSet::new();
        for o in options {
            self.id(loc, "option", &o.id, &mut ids);
            self.text(loc, &format!("option `{}` label", o.id), &o.label);
            if let AnswerKind::Stage(stage) = o.kind {
                if stage > AnswerKind::MAX_STAGE {
                    self.push(
                        loc,
                        Problem::StageOutOfRange {
                            option: o.id.clone(),
                            stage,
                        },
                    );
                }
            }
            let expected_special = match o.kind {
                AnswerKind::DontKnow => Some(DONT_KNOW),
                AnswerKind::NotApplicable => Some(NOT_APPLICABLE),
                AnswerKind::Stage(_) => None,
            };
            match (expected_special, announced_kind(&o.id)) {
                (Some(expected), _) if o.id != expected => self.push(
                    loc,
                    Problem::WrongSpecialId {
                        option: o.id.clone(),
                        kind: kind_label(o.kind),
                        expected: expected.to_string(),
                    },
                ),
                (None, Some(announced)) if announced != o.kind => self.push(
                    loc,
                    Problem::MisleadingOptionId {
                        option: o.id.clone(),
                        kind: kind_label(o.kind),
                    },
                ),
                _ => {}
            }
        }
        for (kind, label, id) in [
            (AnswerKind::DontKnow, "Ne sait pas", DONT_KNOW),
            (AnswerKind::NotApplicable, "Non concerné", NOT_APPLICABLE),
        ] {
            let count = options.iter().filter(|o| o.kind == kind).count();
            if binding_duty && kind == AnswerKind::NotApplicable {
                if count > 0 {
                    self.push(loc, Problem::NotApplicableOnDuty);
                }
                continue;
            }
            match count {
                0 => self.push(
                    loc,
                    Problem::MissingSpecial {
                        label: label.to_string(),
                        id: id.to_string(),
                    },
                ),
                1 => {}
                _ => self.push(
                    loc,
                    Problem::DuplicateKind {
                        kind: kind_label(kind),
                    },
                ),
            }
        }
    }

    fn question(&mut self, loc: &Location, q: &Question, axis_ids: &BTreeSet<String>) {
        self.text(loc, "text", &q.text);
        self.text(loc, "help", &q.help);
        self.options(
            loc,
            &q.answers,
            q.duty.as_ref().is_some_and(|d| d.condition.is_none()),
        );

        if let Some(duty) = &q.duty {
            for lang in Lang::ALL {
                if duty.source.get(lang).trim().is_empty() {
                    self.push(loc, Problem::DutyWithoutSource { lang });
                }
            }
            if let Some(condition) = &duty.condition {
                self.text(loc, "duty condition", condition);
            }
            if q.context {
                self.push(loc, Problem::DutyAndContext);
            }
        }
        if q.is_scored() && q.axes.is_empty() {
            self.push(loc, Problem::NoAxis);
        }
        if !q.is_scored() && !q.axes.is_empty() {
            self.push(loc, Problem::UnscoredWithAxes);
        }
        for (axis, &weight) in &q.axes {
            if !axis_ids.contains(axis) {
                self.push(loc, Problem::UnknownAxis { axis: axis.clone() });
            }
            if !(weight.is_finite() && weight > 0.0) {
                self.push(
                    loc,
                    Problem::BadWeight {
                        axis: axis.clone(),
                        weight,
                    },
                );
            }
        }

        let reachable: BTreeSet<u8> = q
            .answers
            .iter()
            .filter_map(|o| match o.kind {
                AnswerKind::Stage(s) => Some(s),
                _ => None,
            })
            .collect();
        if !q.answers.is_empty() && reachable.len() < 2 {
            self.push(
                loc,
                Problem::TooFewStages {
                    count: reachable.len(),
                },
            );
        }

        let mut coverage: BTreeMap<u8, usize> = BTreeMap::new();
        for (i, r) in q.recommendations.iter().enumerate() {
            let index = i + 1;
            self.text(loc, &format!("recommendation #{index} text"), &r.text);
            self.text(
                loc,
                &format!("recommendation #{index} resource"),
                &r.resource,
            );
            if r.stages.is_empty() {
                self.push(loc, Problem::RecommendationWithoutStage { index });
            }
            for &stage in &r.stages {
                if stage >= 3 {
                    self.push(loc, Problem::RecommendationForHighStage { index, stage });
                } else if !reachable.contains(&stage) {
                    self.push(
                        loc,
                        Problem::RecommendationUnreachableStage { index, stage },
                    );
                } else {
                    *coverage.entry(stage).or_default() += 1;
                }
            }
        }
        for stage in reachable.iter().copied().filter(|s| *s < 3) {
            match coverage.get(&stage).copied().unwrap_or(0) {
                0 => self.push(loc, Problem::UncoveredStage { stage }),
                1 => {}
                _ => self.push(loc, Problem::DoubleCoveredStage { stage }),
            }
        }
    }

    fn levels(&mut self, q: &Questionnaire) {
        if q.levels.is_empty() {
            self.push(&Location::Questionnaire, Problem::NoLevels);
            return;
        }
        let mut previous: Option<f64> = None;
        for (i, level) in q.levels.iter().enumerate() {
            let loc = Location::Level(i + 1);
            if usize::from(level.at) != i + 1 {
                self.push(
                    &loc,
                    Problem::LevelNumbering {
                        at: level.at,
                        expected: i + 1,
                    },
                );
            }
            match previous {
                None if level.min_score != 0.0 => self.push(
                    &loc,
                    Problem::LevelDoesNotStartAtZero {
                        min_score: level.min_score,
                    },
                ),
                Some(prev) if !(level.min_score > prev && level.min_score < 100.0) => self.push(
                    &loc,
                    Problem::LevelBounds {
                        min_score: level.min_score,
                        previous: prev,
                    },
                ),
                _ => {}
            }
            previous = Some(level.min_score);
            self.text(&loc, "label", &level.label);
            self.text(&loc, "interpretation", &level.interpretation);
        }
    }

    /// Walks the steps from the newest back to the oldest, keeping the set of question ids that
    /// exist in the version each step leads to: the current ids for the last step, then, going
    /// back, the ids as they were before each step.
    fn migrations(&mut self, q: &Questionnaire) {
        for (i, step) in q.migrations.iter().enumerate() {
            let loc = Location::Migration {
                from: step.from.clone(),
                to: step.to.clone(),
            };
            if step.from == step.to {
                self.push(&loc, Problem::MigrationToSameVersion);
            }
            if i > 0 && q.migrations[i - 1].to != step.from {
                self.push(
                    &loc,
                    Problem::MigrationChainBroken {
                        expected: q.migrations[i - 1].to.clone(),
                    },
                );
            }
        }
        if let Some(last) = q.migrations.last() {
            if last.to != q.version {
                self.push(
                    &Location::Migration {
                        from: last.from.clone(),
                        to: last.to.clone(),
                    },
                    Problem::MigrationDoesNotReachCurrent {
                        version: q.version.clone(),
                    },
                );
            }
        }

        let mut alive: BTreeSet<String> = q.questions().map(|x| x.id.clone()).collect();
        let last_index = q.migrations.len().saturating_sub(1);
        for (i, step) in q.migrations.iter().enumerate().rev() {
            let loc = Location::Migration {
                from: step.from.clone(),
                to: step.to.clone(),
            };
            let mut sources = BTreeSet::new();
            let old_ids = step
                .renamed
                .iter()
                .map(|r| &r.from)
                .chain(step.merged.iter().flat_map(|m| m.from.iter()))
                .chain(step.removed.iter().map(|r| &r.id));
            for id in old_ids {
                if !sources.insert(id.clone()) {
                    self.push(&loc, Problem::MigrationDuplicateSource { id: id.clone() });
                }
            }
            for r in &step.renamed {
                if !alive.contains(&r.to) {
                    self.push(&loc, Problem::MigrationUnknownTarget { id: r.to.clone() });
                }
                if alive.contains(&r.from) {
                    self.push(
                        &loc,
                        Problem::MigrationSourceStillExists { id: r.from.clone() },
                    );
                }
                if i == last_index {
                    self.option_map(&loc, q, &r.to, &r.options);
                }
            }
            for m in &step.merged {
                if m.from.is_empty() {
                    self.push(
                        &loc,
                        Problem::MigrationEmptyMerge {
                            into: m.into.clone(),
                        },
                    );
                }
                if !alive.contains(&m.into) {
                    self.push(&loc, Problem::MigrationUnknownTarget { id: m.into.clone() });
                }
                for f in m.from.iter().filter(|f| **f != m.into) {
                    if alive.contains(f) {
                        self.push(&loc, Problem::MigrationSourceStillExists { id: f.clone() });
                    }
                }
                if i == last_index {
                    self.option_map(&loc, q, &m.into, &m.options);
                }
            }
            for r in &step.removed {
                if alive.contains(&r.id) {
                    self.push(
                        &loc,
                        Problem::MigrationSourceStillExists { id: r.id.clone() },
                    );
                }
            }
            // The ids as they were before this step.
            for r in &step.renamed {
                alive.remove(&r.to);
            }
            for m in &step.merged {
                if !m.from.contains(&m.into) {
                    alive.remove(&m.into);
                }
            }
            alive.extend(sources);
        }
    }

    fn option_map(
        &mut self,
        loc: &Location,
        q: &Questionnaire,
        target: &str,
        options: &BTreeMap<String, String>,
    ) {
        let Some(question) = q.question(target) else {
            return;
        };
        for (from, to) in options {
            if question.option(to).is_none() {
                self.push(
                    loc,
                    Problem::MigrationUnknownOption {
                        question: target.to_string(),
                        from: from.clone(),
                        to: to.clone(),
                    },
                );
            }
        }
    }
}
