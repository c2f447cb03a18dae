//! The action atlas (« L'atlas des actions »): when a priority of a town's action plan is done,
//! an administrator of the town may publish a short example of what was done — with whom, at
//! what cost, over how long, and which role to ask — so that comparable towns can learn from it.
//! Operators of the association moderate every example before anyone else sees it.
//!
//! What an example carries is bounded and typed: a short text, three bands chosen from lists,
//! a role (« Secrétaire de mairie »), never a person unless the town types one on purpose in the
//! separate, clearly public [`AtlasDraft::public_contact`]. The town's name and département are
//! shown with it: publishing is the town's choice, and the form says so.
//!
//! Other towns see published examples of a question ordered by [`Proximity`]: same stratum and
//! département first, then same stratum, then same département, then the others; never their
//! own town's. `docs/network.md` (« L'atlas des actions ») tells the rules in prose.

use serde::{Deserialize, Serialize};

use super::groups::Stratum;
use crate::model::{Lang, Questionnaire};
use crate::sync::{heads, is_campaign, plan_key, Commune, Operation};

/// Longest « what was done », in characters.
pub const MAX_WHAT_CHARS: usize = 600;
/// Shortest « what was done »: a few words, not a placeholder.
pub const MIN_WHAT_CHARS: usize = 10;
/// Longest contact role (« Secrétaire de mairie »).
pub const MAX_ROLE_CHARS: usize = 80;
/// Longest public contact (an e-mail address or a phone number of the mairie).
pub const MAX_PUBLIC_CONTACT_CHARS: usize = 120;
/// Longest reason an operator gives for refusing an example.
pub const MAX_REFUSAL_CHARS: usize = 300;
/// Most examples of one town waiting for moderation at once.
pub const MAX_PENDING_PER_TOWN: u32 = 20;
/// Examples per question in the page a town caches (the best-ranked ones).
pub const EXAMPLES_PER_QUESTION: usize = 5;

/// Routes of the atlas (town tokens unless noted).
pub mod routes {
    /// `GET [?question=<id>]`: [`super::AtlasPage`], published examples of other towns, the
    /// caller's comparable towns first, at most [`super::EXAMPLES_PER_QUESTION`] per question.
    /// `POST` [`super::AtlasDraft`] (administrator, the priority done) → 201
    /// [`super::AtlasExample`], pending.
    pub const ATLAS: &str = "/api/atlas";
    /// `GET`: [`super::AtlasPage`] of the town's own examples, every status, newest first.
    pub const ATLAS_OWN: &str = "/api/atlas/own";
    /// `DELETE` (administrator): withdraws one of the town's own examples, whatever its status.
    pub const ATLAS_EXAMPLE: &str = "/api/atlas/{id}";
    /// `GET ?status=pending|published|refused|all&limit=`, operator: [`super::AtlasPage`],
    /// oldest first (pending examples wait in order).
    pub const OPERATOR_ATLAS: &str = "/api/operator/atlas";
    /// `POST`, operator → [`super::AtlasExample`], published (audit-logged).
    pub const OPERATOR_ATLAS_PUBLISH: &str = "/api/operator/atlas/{id}/publish";
    /// `POST` [`super::AtlasRefusal`], operator → [`super::AtlasExample`], refused
    /// (audit-logged).
    pub const OPERATOR_ATLAS_REFUSE: &str = "/api/operator/atlas/{id}/refuse";
}

/// Defines a closed list of choices with a stable id (its JSON and database form) and French and
/// English labels.
macro_rules! choices {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal, $fr:literal, $en:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $id)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// Its stable id (JSON, database, form values).
            pub fn id(self) -> &'static str {
                match self { $($name::$variant => $id,)* }
            }

            pub fn parse(id: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|choice| choice.id() == id)
            }

            pub fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(($name::$variant, Lang::Fr) => $fr,)*
                    $(($name::$variant, Lang::En) => $en,)*
                }
            }
        }
    };
}

choices! {
    /// With whom the town did it.
    PartnerType {
        Internal = "interne", "En interne", "In-house";
        Intercommunality = "intercommunalite", "Intercommunalité", "Intercommunal body";
        OtherCommune = "autre-commune", "Autre commune", "Another town";
        DepartementRegion = "departement-region", "Département ou région", "Département or region";
        Provider = "prestataire", "Prestataire", "Contractor";
        Association = "association", "Association ou bénévoles", "Association or volunteers";
        State = "etat", "État ou opérateur public", "State or public agency";
    }
}

choices! {
    /// What it cost the town, in bands (a precise figure identifies a contract).
    CostBand {
        Free = "aucun", "Aucun coût", "No cost";
        Under1000 = "moins-1000", "Moins de 1 000 €", "Under €1,000";
        From1000To5000 = "1000-5000", "1 000 à 5 000 €", "€1,000 to €5,000";
        From5000To20000 = "5000-20000", "5 000 à 20 000 €", "€5,000 to €20,000";
        Over20000 = "plus-20000", "Plus de 20 000 €", "Over €20,000";
    }
}

choices! {
    /// How long it took, from decision to done.
    DurationBand {
        UnderMonth = "moins-1-mois", "Moins d'un mois", "Under a month";
        OneToThreeMonths = "1-3-mois", "1 à 3 mois", "1 to 3 months";
        ThreeToSixMonths = "3-6-mois", "3 à 6 mois", "3 to 6 months";
        SixToTwelveMonths = "6-12-mois", "6 à 12 mois", "6 to 12 months";
        OverYear = "plus-1-an", "Plus d'un an", "Over a year";
    }
}

choices! {
    /// Where an example stands in moderation.
    AtlasStatus {
        /// Sent by the town, seen by nobody else until an operator publishes it.
        Pending = "pending", "En attente de modération", "Awaiting moderation";
        /// Shown to other towns.
        Published = "published", "Publié", "Published";
        /// Refused by an operator, with a reason the town sees.
        Refused = "refused", "Refusé", "Refused";
    }
}

/// `POST /api/atlas`: what a town's administrator sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasDraft {
    /// The campaign of the plan entry (`"2026"`).
    pub campaign: String,
    /// The question whose recommendation the priority follows.
    pub question: String,
    /// What was done, in a few sentences.
    pub what: String,
    pub partner: PartnerType,
    pub cost: CostBand,
    pub duration: DurationBand,
    /// Which role to ask in the mairie (« Secrétaire de mairie »), not a person.
    pub contact_role: String,
    /// A contact the town chooses to make public (discouraged; shown to every town as typed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_contact: Option<String>,
}

/// The town an example comes from, as other towns see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasTown {
    /// INSEE code.
    pub code: String,
    pub name: String,
    pub departement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departement_name: Option<String>,
    pub stratum: Stratum,
}

impl AtlasTown {
    pub fn of(commune: &Commune) -> AtlasTown {
        AtlasTown {
            code: commune.code.clone(),
            name: commune.name.clone(),
            departement: commune.departement.clone(),
            departement_name: commune.departement_name.clone(),
            stratum: Stratum::of(commune.population),
        }
    }

    /// « Trilport (Seine-et-Marne) », or the département's code when its name is unknown.
    pub fn display(&self) -> String {
        let departement = self
            .departement_name
            .as_deref()
            .unwrap_or(&self.departement);
        format!("{} ({departement})", self.name)
    }
}

/// An example as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasExample {
    pub id: i64,
    pub campaign: String,
    pub question: String,
    pub what: String,
    pub partner: PartnerType,
    pub cost: CostBand,
    pub duration: DurationBand,
    pub contact_role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_contact: Option<String>,
    pub town: AtlasTown,
    pub status: AtlasStatus,
    /// Why an operator refused it (only for the town itself and operators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    pub created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_ms: Option<u64>,
}

/// Answer of the atlas's list routes. The app keeps the published page on the phone with its
/// date, so examples show offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasPage {
    /// When the server answered (Unix ms).
    pub fetched_ms: u64,
    pub examples: Vec<AtlasExample>,
}

impl AtlasPage {
    /// The examples about `question`, in the page's order.
    pub fn for_question<'a>(&'a self, question: &'a str) -> impl Iterator<Item = &'a AtlasExample> {
        self.examples
            .iter()
            .filter(move |example| example.question == question)
    }
}

/// `POST /api/operator/atlas/{id}/refuse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtlasRefusal {
    pub reason: String,
}

/// Why a draft or a refusal is refused. Messages are French (shown as they are by the app).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtlasError {
    #[error("campagne « {0} » inconnue : une campagne est une année, par exemple 2026")]
    Campaign(String),
    #[error("question « {0} » inconnue")]
    Question(String),
    #[error("décrivez ce qui a été fait en {MIN_WHAT_CHARS} à {MAX_WHAT_CHARS} caractères")]
    WhatLength,
    #[error("indiquez la fonction à contacter en 1 à {MAX_ROLE_CHARS} caractères")]
    RoleLength,
    #[error("le contact public dépasse {MAX_PUBLIC_CONTACT_CHARS} caractères")]
    ContactLength,
    #[error("le motif du refus doit faire 1 à {MAX_REFUSAL_CHARS} caractères")]
    ReasonLength,
    #[error("le champ « {0} » contient des caractères de contrôle")]
    ControlCharacters(&'static str),
}

/// `text` trimmed, within `min..=max` characters, without control characters (a line break is
/// allowed where `multiline`).
fn tidy(
    text: &str,
    field: &'static str,
    multiline: bool,
    min: usize,
    max: usize,
    length: AtlasError,
) -> Result<String, AtlasError> {
    let text = text.trim();
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err(AtlasError::ControlCharacters(field));
    }
    let count = text.chars().count();
    if count < min || count > max {
        return Err(length);
    }
    Ok(text.to_string())
}

/// Checks a draft against the questionnaire and the bounds, and returns it tidied (trimmed; an
/// empty public contact is none).
pub fn validate_draft(
    draft: &AtlasDraft,
    questionnaire: &Questionnaire,
) -> Result<AtlasDraft, AtlasError> {
    if !is_campaign(&draft.campaign) {
        return Err(AtlasError::Campaign(shorten(&draft.campaign)));
    }
    if questionnaire.question(&draft.question).is_none() {
        return Err(AtlasError::Question(shorten(&draft.question)));
    }
    let what = tidy(
        &draft.what,
        "ce qui a été fait",
        true,
        MIN_WHAT_CHARS,
        MAX_WHAT_CHARS,
        AtlasError::WhatLength,
    )?;
    let contact_role = tidy(
        &draft.contact_role,
        "fonction à contacter",
        false,
        1,
        MAX_ROLE_CHARS,
        AtlasError::RoleLength,
    )?;
    let public_contact = match draft.public_contact.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(contact) => Some(tidy(
            contact,
            "contact public",
            false,
            1,
            MAX_PUBLIC_CONTACT_CHARS,
            AtlasError::ContactLength,
        )?),
    };
    Ok(AtlasDraft {
        campaign: draft.campaign.clone(),
        question: draft.question.clone(),
        what,
        partner: draft.partner,
        cost: draft.cost,
        duration: draft.duration,
        contact_role,
        public_contact,
    })
}

/// Checks and trims an operator's refusal reason.
pub fn validate_refusal(refusal: &AtlasRefusal) -> Result<String, AtlasError> {
    tidy(
        &refusal.reason,
        "motif",
        false,
        1,
        MAX_REFUSAL_CHARS,
        AtlasError::ReasonLength,
    )
}

/// Client input quoted back in a message, cut short.
fn shorten(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// Whether the town's plan entry for `question` in `campaign` is done, from its log: the winning
/// head of `plan:<question>` has the status `done`. What the server checks before it accepts an
/// example.
pub fn plan_done(log: &[Operation], campaign: &str, question: &str) -> bool {
    heads(log, campaign, &plan_key(question))
        .first()
        .is_some_and(|head| head.option.as_deref() == Some("done"))
}

/// How close the town of an example is to the town reading it: the order of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Proximity {
    SameStratumAndDepartement,
    SameStratum,
    SameDepartement,
    Other,
}

impl Proximity {
    pub fn of(reader: &Commune, town: &AtlasTown) -> Proximity {
        let same_stratum = Stratum::of(reader.population) == town.stratum;
        let same_departement = reader.departement == town.departement;
        match (same_stratum, same_departement) {
            (true, true) => Proximity::SameStratumAndDepartement,
            (true, false) => Proximity::SameStratum,
            (false, true) => Proximity::SameDepartement,
            (false, false) => Proximity::Other,
        }
    }
}

/// What `reader` sees of `published`: never its own town's examples, the closest towns first
/// (newest first among equals), at most `per_question` per question. Stable whatever the input
/// order.
pub fn for_reader(
    reader: &Commune,
    mut published: Vec<AtlasExample>,
    per_question: usize,
) -> Vec<AtlasExample> {
    published.retain(|example| {
        example.status == AtlasStatus::Published && example.town.code != reader.code
    });
    published.sort_by(|a, b| {
        Proximity::of(reader, &a.town)
            .cmp(&Proximity::of(reader, &b.town))
            .then(b.created_ms.cmp(&a.created_ms))
            .then(b.id.cmp(&a.id))
    });
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    published.retain(|example| {
        let count = counts.entry(example.question.clone()).or_default();
        *count += 1;
        *count <= per_question
    });
    published
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{Hlc, PLAN_PREFIX};

    fn question() -> String {
        crate::questionnaire()
            .questions()
            .next()
            .unwrap()
            .id
            .clone()
    }

    fn draft() -> AtlasDraft {
        AtlasDraft {
            campaign: "2026".into(),
            question: question(),
            what: "  Sauvegarde externalisée avec l'intercommunalité.  ".into(),
            partner: PartnerType::Intercommunality,
            cost: CostBand::Under1000,
            duration: DurationBand::OneToThreeMonths,
            contact_role: " Secrétaire de mairie ".into(),
            public_contact: Some("   ".into()),
        }
    }

    fn commune(code: &str, departement: &str, population: u64) -> Commune {
        Commune {
            code: code.into(),
            name: format!("Commune {code}"),
            departement: departement.into(),
            departement_name: None,
            region: "11".into(),
            postal_codes: vec![],
            population,
            epci: None,
        }
    }

    fn example(id: i64, town: &Commune, question: &str, created_ms: u64) -> AtlasExample {
        AtlasExample {
            id,
            campaign: "2026".into(),
            question: question.into(),
            what: "Fait".into(),
            partner: PartnerType::Internal,
            cost: CostBand::Free,
            duration: DurationBand::UnderMonth,
            contact_role: "Maire".into(),
            public_contact: None,
            town: AtlasTown::of(town),
            status: AtlasStatus::Published,
            refusal: None,
            created_ms,
            decided_ms: None,
        }
    }

    #[test]
    fn a_draft_is_trimmed_and_an_empty_contact_is_none() {
        let tidy = validate_draft(&draft(), crate::questionnaire()).unwrap();
        assert_eq!(
            tidy.what,
            "Sauvegarde externalisée avec l'intercommunalité."
        );
        assert_eq!(tidy.contact_role, "Secrétaire de mairie");
        assert_eq!(tidy.public_contact, None);
    }

    #[test]
    fn hostile_drafts_are_refused_with_a_reason() {
        let q = crate::questionnaire();
        let cases: Vec<(AtlasDraft, AtlasError)> = vec![
            (
                AtlasDraft {
                    campaign: "20x6".into(),
                    ..draft()
                },
                AtlasError::Campaign("20x6".into()),
            ),
            (
                AtlasDraft {
                    question: "nope".into(),
                    ..draft()
                },
                AtlasError::Question("nope".into()),
            ),
            (
                AtlasDraft {
                    what: "court".into(),
                    ..draft()
                },
                AtlasError::WhatLength,
            ),
            (
                AtlasDraft {
                    what: "é".repeat(MAX_WHAT_CHARS + 1),
                    ..draft()
                },
                AtlasError::WhatLength,
            ),
            (
                AtlasDraft {
                    what: "Une ligne\u{7}avec une cloche".into(),
                    ..draft()
                },
                AtlasError::ControlCharacters("ce qui a été fait"),
            ),
            (
                AtlasDraft {
                    contact_role: "".into(),
                    ..draft()
                },
                AtlasError::RoleLength,
            ),
            (
                AtlasDraft {
                    contact_role: "Maire\nadjoint".into(),
                    ..draft()
                },
                AtlasError::ControlCharacters("fonction à contacter"),
            ),
            (
                AtlasDraft {
                    public_contact: Some("x".repeat(MAX_PUBLIC_CONTACT_CHARS + 1)),
                    ..draft()
                },
                AtlasError::ContactLength,
            ),
        ];
        for (draft, expected) in cases {
            assert_eq!(validate_draft(&draft, q), Err(expected));
        }
        // A line break is fine in the description.
        let multiline = AtlasDraft {
            what: "Première étape.\nSeconde étape.".into(),
            ..draft()
        };
        assert!(validate_draft(&multiline, q).is_ok());
        assert_eq!(
            validate_refusal(&AtlasRefusal { reason: " ".into() }),
            Err(AtlasError::ReasonLength)
        );
        assert_eq!(
            validate_refusal(&AtlasRefusal {
                reason: " Nom d'une personne ".into()
            }),
            Ok("Nom d'une personne".into())
        );
    }

    #[test]
    fn choices_round_trip_through_their_ids() {
        for partner in PartnerType::ALL {
            assert_eq!(PartnerType::parse(partner.id()), Some(*partner));
            let json = serde_json::to_string(partner).unwrap();
            assert_eq!(json, format!("\"{}\"", partner.id()));
        }
        for cost in CostBand::ALL {
            assert_eq!(CostBand::parse(cost.id()), Some(*cost));
        }
        for duration in DurationBand::ALL {
            assert_eq!(DurationBand::parse(duration.id()), Some(*duration));
        }
        for status in AtlasStatus::ALL {
            assert_eq!(AtlasStatus::parse(status.id()), Some(*status));
        }
        assert_eq!(CostBand::Under1000.label(Lang::Fr), "Moins de 1 000 €");
        assert!(serde_json::from_str::<CostBand>("\"gratuit\"").is_err());
    }

    #[test]
    fn the_plan_entry_must_be_done() {
        let q = question();
        let op = |id: &str, counter: u64, option: Option<&str>, base: Vec<String>| Operation {
            id: id.into(),
            device: "d".into(),
            campaign: "2026".into(),
            question: format!("{PLAN_PREFIX}{q}"),
            option: option.map(str::to_string),
            comment: None,
            clock: Hlc {
                wall_ms: 1_000 + counter,
                counter: 0,
                device: "d".into(),
            },
            base,
        };
        let doing = op("a", 1, Some("doing"), vec![]);
        let done = op("b", 2, Some("done"), vec!["a".into()]);
        let dropped = op("c", 3, None, vec!["b".into()]);
        assert!(!plan_done(&[], "2026", &q));
        assert!(!plan_done(std::slice::from_ref(&doing), "2026", &q));
        assert!(plan_done(&[doing.clone(), done.clone()], "2026", &q));
        assert!(!plan_done(&[doing.clone(), done.clone()], "2027", &q));
        assert!(!plan_done(&[doing, done, dropped], "2026", &q));
    }

    #[test]
    fn readers_see_comparable_towns_first_and_never_their_own() {
        let reader = commune("77475", "77", 3_000);
        let same_both = commune("77001", "77", 3_200);
        let same_stratum = commune("29001", "29", 2_900);
        let same_departement = commune("77002", "77", 12_000);
        let other = commune("13001", "13", 800);
        let mut pending = example(9, &same_both, "q1", 99);
        pending.status = AtlasStatus::Pending;
        let published = vec![
            example(1, &other, "q1", 50),
            example(2, &same_departement, "q1", 40),
            example(3, &same_stratum, "q1", 30),
            example(4, &same_both, "q1", 20),
            example(5, &reader, "q1", 60),
            example(6, &same_stratum, "q1", 35),
            pending,
            example(7, &other, "q2", 10),
        ];
        let seen = for_reader(&reader, published.clone(), 10);
        let ids: Vec<i64> = seen.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![4, 6, 3, 2, 1, 7]);
        let capped = for_reader(&reader, published.into_iter().rev().collect(), 2);
        let ids: Vec<i64> = capped.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![4, 6, 7]);
        let page = AtlasPage {
            fetched_ms: 1,
            examples: capped,
        };
        assert_eq!(page.for_question("q2").count(), 1);
    }
}
