//! The network half of Arobase (« Du local au global »): a town validates its campaign, may
//! release it to the network, and sees where it stands among comparable towns; the association
//! sees participation and aggregates. Pure functions and wire types, shared by the app and the
//! server like [`crate::sync`]; `docs/network.md` tells the rules in prose.
//!
//! - [`validation`]: « Valider le diagnostic » as a town act that syncs — an operation on the
//!   reserved key `validation:<campaign>` carrying a compact snapshot of the answers — and what
//!   changed since.
//! - [`release`]: the town's sharing choice ([`ReleaseLevel`]), on the key `release:<campaign>`;
//!   only a validated campaign counts as released.
//! - [`groups`]: the groups of comparable towns ([`GroupKey`]: stratum, département, région,
//!   EPCI, and the whole country for the association).
//! - [`aggregate`]: a group's figures from released towns' answers (answers only), withheld
//!   below [`MIN_GROUP_SIZE`] towns, and a town's comparison with them.
//! - [`disclosure`]: the publication rules that stop differencing (a [`Ledger`] of everything
//!   ever published for a campaign; a new publication is accepted only if no combination with
//!   earlier ones isolates fewer than [`MIN_GROUP_SIZE`] towns).
//! - [`dashboard`]: the association's figures (participation, levels, axis medians, weakest
//!   questions, year-on-year change) and the open-data CSV.
//! - [`atlas`]: the action atlas — examples of done priorities a town publishes, moderated by
//!   operators, shown to comparable towns first (its routes are [`atlas::routes`]).
//!
//! ```
//! use diagnostic::network::{groups_of, GroupKey, GroupKind};
//! use diagnostic::sync::Commune;
//! let commune = Commune {
//!     code: "77475".into(), name: "Trilport".into(), departement: "77".into(),
//!     departement_name: Some("Seine-et-Marne".into()), region: "11".into(),
//!     postal_codes: vec!["77470".into()], population: 5_000, epci: None,
//! };
//! let groups = groups_of(&commune);
//! assert!(groups.iter().any(|g| g.slug() == "strate:5000-9999"));
//! assert_eq!("departement:77".parse::<GroupKey>().unwrap().kind, GroupKind::Departement);
//! ```

pub mod aggregate;
pub mod atlas;
pub mod dashboard;
pub mod disclosure;
pub mod groups;
pub mod release;
pub mod validation;

pub use aggregate::{
    compare, group_figures, released_town, town_figures, AxisComparison, AxisFigure, Comparison,
    GroupAggregate, GroupFigures, LevelCount, Quartiles, QuestionComparison, QuestionFigure,
    ReleasedTown, TownFigures, Withheld, MIN_GROUP_SIZE, SHARE_STEP,
};
pub use atlas::{
    for_reader, plan_done, validate_draft, validate_refusal, AtlasDraft, AtlasError, AtlasExample,
    AtlasPage, AtlasRefusal, AtlasStatus, AtlasTown, CostBand, DurationBand, PartnerType,
    Proximity,
};
pub use dashboard::{
    csv, level_distribution, named_result, participation, weakest_questions, year_on_year,
    AxisChange, LevelShare, NamedResult, Participation, ParticipationRow, QuestionChange,
    TownParticipation, YearOnYear, CSV_HEADER,
};
pub use disclosure::{publish, Decision, Ledger, Published, Refusal};
pub use groups::{groups_of, region_name, GroupKey, GroupKind, ParseGroupKeyError, Stratum};
pub use release::{
    check_network_op, record_release, release_state, NetworkError, ReleaseChoice, ReleaseLevel,
    ReleaseState, NOT_VALIDATED, WITHDRAWAL_FR,
};
pub use validation::{
    answers_only, changed_questions, current_validation, is_answer_key, is_network_key,
    record_reopening, record_validation, release_key, validate_network_op, validate_operation,
    validated_answers, validation_key, validation_status, NetworkOpError, Snapshot, Validation,
    ValidationNote, ValidationStatus, RELEASE_PREFIX, VALIDATED, VALIDATION_PREFIX,
};

/// Routes the server adds for the network (the app calls them; town tokens unless noted).
pub mod routes {
    /// `GET ?campaign=2026`: [`super::AggregatesPage`] — the published figures of the caller's
    /// own groups (never another town's rows).
    pub const AGGREGATES: &str = "/api/network/aggregates";
    /// `GET ?campaign=2026` with an operator token: participation ([`super::Participation`]),
    /// national figures with [`super::level_distribution`], [`super::weakest_questions`],
    /// [`super::year_on_year`] and the towns released named ([`super::NamedResult`]).
    pub const OPERATOR_DASHBOARD: &str = "/api/operator/network";
    /// `GET ?campaign=2026` with an operator token: the open-data CSV ([`super::csv`]).
    pub const OPERATOR_CSV: &str = "/api/operator/network.csv";
    /// `GET ?campaign=2026`, anonymous: the same CSV, for open data.
    pub const OPEN_DATA_CSV: &str = "/api/network/aggregates.csv";
}

/// Answer of [`routes::AGGREGATES`]: the published figures (or why they are withheld) of every
/// group of the calling town, for one campaign. The app keeps it on the phone with its date so the
/// comparison works offline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AggregatesPage {
    /// The campaign year, `"2026"`.
    pub campaign: String,
    /// When the server answered (Unix ms): the phone shows « chiffres du … ».
    pub fetched_ms: u64,
    /// One entry per group of the town, in [`GroupKind`] order.
    pub groups: Vec<GroupAggregate>,
}

/// Answer of [`routes::OPERATOR_DASHBOARD`]: the association's figures for one campaign.
/// Participation counts towns (any size); every figure of answers comes from the published
/// ledger (groups of at least [`MIN_GROUP_SIZE`] towns), except `named`: the towns that chose to
/// be released *named*, with their own results.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetworkDashboard {
    pub campaign: String,
    /// When the ledger last changed (Unix ms); `None` before the first publication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_ms: Option<u64>,
    pub participation: Participation,
    /// The whole country: its axis quartiles (medians) and level counts, or why withheld.
    pub national: GroupAggregate,
    /// The national @ level distribution (empty while withheld).
    pub levels: Vec<LevelShare>,
    /// The questions least often in place nationally, weakest first (empty while withheld).
    pub weakest: Vec<QuestionFigure>,
    /// National change from the previous campaign, when both are shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_on_year: Option<YearOnYear>,
    /// Every group of the ledger as it stands (for the map: départements' medians).
    pub groups: Vec<GroupAggregate>,
    /// Towns released named, with their results, by commune code.
    pub named: Vec<NamedResult>,
}
