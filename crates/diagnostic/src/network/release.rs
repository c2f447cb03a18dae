//! The town's sharing choice: release a validated campaign to the network, anonymously or named
//! to the association, or withdraw it.
//!
//! The choice travels as an operation on the key `release:<campaign>`: `option` is
//! `"anonymous"` or `"named"`, `null` when withdrawn; no comment. Only a validated campaign can
//! be released: the server refuses a release pushed while the campaign has no validation
//! ([`check_network_op`]), and — because a reopening may travel concurrently from another phone
//! — [`release_state`] counts a release only while a validation is current. What is shared is the
//! *validated* snapshot, never the answers being edited since.

use serde::{Deserialize, Serialize};

use super::validation::{current_validation, is_network_key, release_key, Validation};
use crate::sync::{heads, Operation, Replica};

/// How far a validated campaign is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseLevel {
    /// Its answers (never comments, names or devices) count in the aggregates of its groups.
    Anonymous,
    /// As anonymous, and the association's operators also see the town's own results.
    Named,
}

impl ReleaseLevel {
    pub const ALL: [ReleaseLevel; 2] = [ReleaseLevel::Anonymous, ReleaseLevel::Named];

    /// The id used in operations and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseLevel::Anonymous => "anonymous",
            ReleaseLevel::Named => "named",
        }
    }

    pub fn parse(s: &str) -> Option<ReleaseLevel> {
        Self::ALL.into_iter().find(|level| level.as_str() == s)
    }

    /// What the level shows to whom, in plain French, for the app's sharing choice.
    pub fn explanation_fr(self) -> &'static str {
        match self {
            ReleaseLevel::Anonymous => {
                "Vos réponses validées comptent, sans le nom de la commune, dans les chiffres des \
                 groupes de communes comparables (même strate, département, région, EPCI). Ces \
                 chiffres ne sont montrés que si au moins 5 communes ont partagé. Ni vos \
                 commentaires, ni vos noms, ni vos téléphones ne sont partagés."
            }
            ReleaseLevel::Named => {
                "En plus du partage anonyme, l'équipe de l'association voit les résultats de \
                 votre commune (score, niveau @, réponses validées) dans sa console, pour vous \
                 accompagner. Les autres communes ne voient jamais vos résultats."
            }
        }
    }

    /// The same in English (the app's second language).
    pub fn explanation_en(self) -> &'static str {
        match self {
            ReleaseLevel::Anonymous => {
                "Your validated answers count, without the town's name, in the figures of the \
                 groups of comparable towns (same size band, département, region, EPCI). Those \
                 figures are shown only when at least 5 towns shared. Your comments, names and \
                 phones are never shared."
            }
            ReleaseLevel::Named => {
                "On top of anonymous sharing, the association's team sees your town's results \
                 (score, @ level, validated answers) in its console, to support you. Other towns \
                 never see your results."
            }
        }
    }
}

/// What withdrawing means, in plain French.
pub const WITHDRAWAL_FR: &str = "Vous pouvez retirer le partage à tout moment : vos réponses ne \
    comptent plus dans aucun chiffre calculé ensuite, et l'association ne voit plus vos résultats. \
    Les chiffres déjà publiés avant le retrait ne sont pas recalculés pour vous seul (cela \
    révélerait vos réponses) : ils sont remplacés à la prochaine mise à jour de votre groupe.";

/// An administrator's last sharing choice for a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseChoice {
    /// `None`: withdrawn.
    pub level: Option<ReleaseLevel>,
    pub by_device: String,
    pub at_ms: u64,
    /// The operation's id.
    pub op: String,
}

/// A town's release state for one campaign: the wire type of the app's sharing screen and of
/// the server's aggregates (which count `effective` towns only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseState {
    pub campaign: String,
    /// The current validation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
    /// The last choice made, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<ReleaseChoice>,
    /// What counts: the chosen level while a validation is current, else `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<ReleaseLevel>,
}

impl ReleaseState {
    /// A release was chosen but the campaign was reopened since: the app says « partage
    /// suspendu : validez à nouveau pour qu'il reprenne ».
    pub fn suspended(&self) -> bool {
        self.effective.is_none() && self.choice.as_ref().is_some_and(|c| c.level.is_some())
    }
}

/// The release state of `campaign` from the town's log.
pub fn release_state(log: &[Operation], campaign: &str) -> ReleaseState {
    let validation = current_validation(log, campaign);
    let choice = heads(log, campaign, &release_key(campaign))
        .into_iter()
        .next()
        .map(|op| ReleaseChoice {
            level: op.option.as_deref().and_then(ReleaseLevel::parse),
            by_device: op.device.clone(),
            at_ms: op.clock.wall_ms,
            op: op.id.clone(),
        });
    let effective = validation
        .as_ref()
        .and(choice.as_ref())
        .and_then(|c| c.level);
    ReleaseState {
        campaign: campaign.to_string(),
        validation,
        choice,
        effective,
    }
}

/// Why a validation or release cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// Only an administrator of the town validates and releases (code `not_admin`, 403).
    #[error("seul un administrateur de la commune peut valider ou partager le diagnostic")]
    NotAdmin,
    /// A release of a campaign that has no current validation (code `not_validated`, 409).
    #[error("le diagnostic {0} doit être validé avant d'être partagé")]
    NotValidated(String),
}

impl NetworkError {
    /// The API error code (`ApiErrorBody::code`).
    pub fn code(&self) -> &'static str {
        match self {
            NetworkError::NotAdmin => crate::association::codes::NOT_ADMIN,
            NetworkError::NotValidated(_) => NOT_VALIDATED,
        }
    }
}

/// API error code: a release pushed for a campaign that is not validated.
pub const NOT_VALIDATED: &str = crate::association::codes::NOT_VALIDATED;

/// The server's check of a pushed operation against the town's log (`log`: what it stored, plus
/// the earlier operations of the same batch): validations and releases come from an
/// administrator's device, and a release (not a withdrawal) needs a current validation. Other
/// operations pass. Run after [`super::validate_operation`].
pub fn check_network_op(
    log: &[Operation],
    op: &Operation,
    device_is_admin: bool,
) -> Result<(), NetworkError> {
    if !is_network_key(&op.question) {
        return Ok(());
    }
    if !device_is_admin {
        return Err(NetworkError::NotAdmin);
    }
    if op.question == release_key(&op.campaign)
        && op.option.is_some()
        && current_validation(log, &op.campaign).is_none()
    {
        return Err(NetworkError::NotValidated(op.campaign.clone()));
    }
    Ok(())
}

/// Records, on `replica`, the sharing choice for `campaign` (`None` withdraws) and returns the
/// operation to push. Refused when releasing a campaign not validated on this phone's log.
pub fn record_release(
    replica: &mut Replica,
    id: String,
    now_ms: u64,
    campaign: &str,
    level: Option<ReleaseLevel>,
) -> Result<Operation, NetworkError> {
    if level.is_some() {
        let log: Vec<Operation> = replica.ops.values().cloned().collect();
        if current_validation(&log, campaign).is_none() {
            return Err(NetworkError::NotValidated(campaign.to_string()));
        }
    }
    Ok(replica.record(
        id,
        now_ms,
        campaign,
        &release_key(campaign),
        level.map(|l| l.as_str().to_string()),
        None,
    ))
}
