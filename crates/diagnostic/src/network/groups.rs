//! Groups of comparable towns: population stratum, département, région, EPCI — and the whole
//! country, for the association's figures.
//!
//! A group is named by a [`GroupKey`]; its stable string form, `kind:id` ([`GroupKey::slug`]),
//! is what URLs, caches and the CSV use: `national:fr`, `strate:2500-3499`, `departement:2A`,
//! `region:84`, `epci:244200770`. The label is for display only and plays no part in equality.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::sync::Commune;

/// Population bands of the commune referential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stratum {
    /// Fewer than 2 500 inhabitants.
    #[serde(rename = "0-2499")]
    Under2500,
    #[serde(rename = "2500-3499")]
    From2500To3499,
    #[serde(rename = "3500-4999")]
    From3500To4999,
    #[serde(rename = "5000-9999")]
    From5000To9999,
    /// 10 000 inhabitants or more.
    #[serde(rename = "10000-")]
    From10000,
}

impl Stratum {
    pub const ALL: [Stratum; 5] = [
        Stratum::Under2500,
        Stratum::From2500To3499,
        Stratum::From3500To4999,
        Stratum::From5000To9999,
        Stratum::From10000,
    ];

    /// The band of a population (`Commune::population`).
    pub fn of(population: u64) -> Stratum {
        match population {
            0..=2_499 => Stratum::Under2500,
            2_500..=3_499 => Stratum::From2500To3499,
            3_500..=4_999 => Stratum::From3500To4999,
            5_000..=9_999 => Stratum::From5000To9999,
            _ => Stratum::From10000,
        }
    }

    /// Its id, in group keys.
    pub fn id(self) -> &'static str {
        match self {
            Stratum::Under2500 => "0-2499",
            Stratum::From2500To3499 => "2500-3499",
            Stratum::From3500To4999 => "3500-4999",
            Stratum::From5000To9999 => "5000-9999",
            Stratum::From10000 => "10000-",
        }
    }

    pub fn parse(id: &str) -> Option<Stratum> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// French label: « 2 500 à 3 499 habitants ».
    pub fn label(self) -> &'static str {
        match self {
            Stratum::Under2500 => "moins de 2 500 habitants",
            Stratum::From2500To3499 => "2 500 à 3 499 habitants",
            Stratum::From3500To4999 => "3 500 à 4 999 habitants",
            Stratum::From5000To9999 => "5 000 à 9 999 habitants",
            Stratum::From10000 => "10 000 habitants ou plus",
        }
    }
}

/// What a group gathers. The order is the app's group picker order (and the CSV's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// Same population stratum, nationwide.
    Strate,
    Departement,
    Region,
    Epci,
    /// Every released town (the association's figures; towns see it too).
    National,
}

impl GroupKind {
    pub const ALL: [GroupKind; 5] = [
        GroupKind::Strate,
        GroupKind::Departement,
        GroupKind::Region,
        GroupKind::Epci,
        GroupKind::National,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Strate => "strate",
            GroupKind::Departement => "departement",
            GroupKind::Region => "region",
            GroupKind::Epci => "epci",
            GroupKind::National => "national",
        }
    }

    pub fn parse(s: &str) -> Option<GroupKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// French name of the kind, for the group picker: « Même strate ».
    pub fn label_fr(self) -> &'static str {
        match self {
            GroupKind::Strate => "Même taille",
            GroupKind::Departement => "Même département",
            GroupKind::Region => "Même région",
            GroupKind::Epci => "Même intercommunalité",
            GroupKind::National => "France entière",
        }
    }
}

/// A group of comparable towns: kind, id within the kind, display label. Equality, order and
/// hash use `kind` and `id` only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupKey {
    pub kind: GroupKind,
    /// Stratum id, département code, région code, EPCI SIREN, or `fr`.
    pub id: String,
    /// « Loire (42) », « Auvergne-Rhône-Alpes », « 2 500 à 3 499 habitants »…
    pub label: String,
}

impl GroupKey {
    pub fn new(kind: GroupKind, id: impl Into<String>, label: impl Into<String>) -> GroupKey {
        GroupKey {
            kind,
            id: id.into(),
            label: label.into(),
        }
    }

    /// The whole country.
    pub fn national() -> GroupKey {
        GroupKey::new(GroupKind::National, "fr", "France entière")
    }

    pub fn stratum(stratum: Stratum) -> GroupKey {
        GroupKey::new(GroupKind::Strate, stratum.id(), stratum.label())
    }

    /// `kind:id`: stable, for URLs, caches and the CSV.
    pub fn slug(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }
}

impl PartialEq for GroupKey {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.id == other.id
    }
}

impl Eq for GroupKey {}

impl Hash for GroupKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        self.id.hash(state);
    }
}

impl PartialOrd for GroupKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GroupKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.kind, &self.id).cmp(&(other.kind, &other.id))
    }
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.slug())
    }
}

/// Why a string is not a group key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` n'est pas un groupe (attendu : strate:2500-3499, departement:42, region:84, epci:<SIREN> ou national:fr)")]
pub struct ParseGroupKeyError(pub String);

impl FromStr for GroupKey {
    type Err = ParseGroupKeyError;

    /// Parses `kind:id`. The label is the stratum's or région's name when known, else the id
    /// (the server fills département and EPCI names from the referential).
    fn from_str(s: &str) -> Result<GroupKey, ParseGroupKeyError> {
        let error = || ParseGroupKeyError(s.chars().take(60).collect());
        let (kind, id) = s.split_once(':').ok_or_else(error)?;
        let kind = GroupKind::parse(kind).ok_or_else(error)?;
        let plain_id = !id.is_empty()
            && id.len() <= 20
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !plain_id {
            return Err(error());
        }
        match kind {
            GroupKind::Strate => Stratum::parse(id).map(GroupKey::stratum).ok_or_else(error),
            GroupKind::National if id == "fr" => Ok(GroupKey::national()),
            GroupKind::National => Err(error()),
            GroupKind::Region => Ok(GroupKey::new(
                kind,
                id,
                region_name(id).unwrap_or(id).to_string(),
            )),
            GroupKind::Departement | GroupKind::Epci => Ok(GroupKey::new(kind, id, id)),
        }
    }
}

/// Names of the régions by INSEE code (2016 map).
const REGIONS: [(&str, &str); 18] = [
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
    ("11", "Île-de-France"),
    ("24", "Centre-Val de Loire"),
    ("27", "Bourgogne-Franche-Comté"),
    ("28", "Normandie"),
    ("32", "Hauts-de-France"),
    ("44", "Grand Est"),
    ("52", "Pays de la Loire"),
    ("53", "Bretagne"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("84", "Auvergne-Rhône-Alpes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("94", "Corse"),
];

/// The name of a région from its INSEE code.
pub fn region_name(code: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The groups a commune belongs to, in [`GroupKind`] order: its stratum, département, région,
/// EPCI (when it has one) and the whole country.
pub fn groups_of(commune: &Commune) -> Vec<GroupKey> {
    let mut groups = vec![GroupKey::stratum(Stratum::of(commune.population))];
    let departement_label = match &commune.departement_name {
        Some(name) => format!("{name} ({})", commune.departement),
        None => commune.departement.clone(),
    };
    groups.push(GroupKey::new(
        GroupKind::Departement,
        commune.departement.clone(),
        departement_label,
    ));
    groups.push(GroupKey::new(
        GroupKind::Region,
        commune.region.clone(),
        region_name(&commune.region).unwrap_or(&commune.region),
    ));
    if let Some(epci) = &commune.epci {
        groups.push(GroupKey::new(
            GroupKind::Epci,
            epci.code.clone(),
            epci.name.clone(),
        ));
    }
    groups.push(GroupKey::national());
    groups
}
