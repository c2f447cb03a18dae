//! Arobase domain crate: the APVF digital-maturity questionnaire for small towns, its scoring on
//! the four Villes Internet axes, the @ level, prioritised actions, and the migration of answers
//! between content versions.
//!
//! Pure: no I/O, no web dependency, so the same code runs in the Leptos (WebAssembly) app — which
//! must work offline — and in the axum server, and both always agree on a score.
//!
//! The content (`content/apvf-2026.2.toml`) is checked and converted to JSON at build time by
//! `build.rs`, embedded, and parsed once by [`questionnaire`].
//!
//! ```
//! use diagnostic::{questionnaire, score, Answer, Answers};
//! let q = questionnaire();
//! let mut answers = Answers::new();
//! answers.insert("secu-sauvegardes".into(), Answer { option: "sauvegarde-3-2-1".into(), comment: None });
//! let scores = score(q, &answers);
//! assert!(scores.level.at >= 1);
//! ```

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

pub mod association;
mod baseline;
mod migrate;
mod model;
pub mod network;
pub mod pages;
mod prioritise;
mod score;
pub mod sync;
mod validate;

pub use baseline::{baseline, BaselineItem, DutyStatus};
pub use migrate::{migrate, Dropped, MigratedAnswers, MigrationError};
pub use model::{
    AnswerKind, AnswerOption, Axis, Duty, Effort, Lang, Level, Localized, Merged, MigrationStep,
    Question, Questionnaire, Recommendation, Removed, Renamed, Term, Theme, DONT_KNOW,
    NOT_APPLICABLE,
};
pub use prioritise::{prioritise, Action, ActionKind, TARGET_STAGE};
pub use score::{
    explain, score, Contribution, Explanation, Ignored, IgnoredReason, ScoreLine, Scores, Target,
};
pub use validate::{
    validate, validate_with, Location, Problem, Rules, ValidationError, ValidationErrors,
    THEME_WEIGHT_TOTAL,
};

/// Version of the embedded content.
pub const CONTENT_VERSION: &str = "apvf-2026.2";

/// The embedded content file, relative to the workspace root (for error messages and tests).
pub const CONTENT_FILE: &str = "crates/diagnostic/content/apvf-2026.2.toml";

/// JSON produced by `build.rs` from [`CONTENT_FILE`].
const CONTENT_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/apvf-2026.2.json"));

/// [`CONTENT_JSON`] without its reading matter ([`Questionnaire::outline`]), also from `build.rs`.
const OUTLINE_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/apvf-2026.2.outline.json"));

/// What a user gave to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// Id of the chosen [`AnswerOption`].
    pub option: String,
    /// Free note (who to ask, what is planned…). Never scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Answer {
    /// An answer without comment.
    pub fn new(option: impl Into<String>) -> Self {
        Answer {
            option: option.into(),
            comment: None,
        }
    }
}

/// A town's answers, keyed by question id. A map, so one question has at most one answer and the
/// order answers were given in cannot matter.
pub type Answers = BTreeMap<String, Answer>;

/// Why a questionnaire could not be loaded from JSON.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Not JSON of the expected shape.
    #[error("questionnaire JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Questionnaire {
    /// Parses a questionnaire from JSON (as embedded, or as served by `GET /api/questionnaire`)
    /// and normalises it, so every question lists its full `answers`. Does not validate: content
    /// is validated when built; call [`validate`] for content from elsewhere.
    pub fn from_json(json: &str) -> Result<Questionnaire, LoadError> {
        let mut q: Questionnaire = serde_json::from_str(json)?;
        q.normalise();
        Ok(q)
    }
}

static QUESTIONNAIRE: LazyLock<Questionnaire> = LazyLock::new(|| {
    Questionnaire::from_json(CONTENT_JSON)
        .expect("embedded questionnaire JSON is produced and validated by build.rs")
});

/// The current questionnaire (`apvf-2026.2`), parsed once on first use.
pub fn questionnaire() -> &'static Questionnaire {
    &QUESTIONNAIRE
}

static OUTLINE: LazyLock<Questionnaire> = LazyLock::new(|| {
    Questionnaire::from_json(OUTLINE_JSON)
        .expect("embedded outline JSON is produced by build.rs from validated content")
});

/// The current questionnaire's outline: everything but the texts read on screen (see
/// [`Questionnaire::outline`]). Enough to store, migrate, validate, count and score answers;
/// small enough for the app's first download, which embeds it instead of [`questionnaire`].
pub fn outline() -> &'static Questionnaire {
    &OUTLINE
}
