//! The association's side of the protocol: the people who run an Arobase server (operators),
//! whether a town's space is vouched for, claims for a commune that already has a space (access
//! requests), recovery, the audit log, what the host publishes about itself, and a town's export.
//! One definition for the app and the server, like [`crate::sync`]; `docs/operations.md` tells
//! how an association runs it, `docs/sync.md` lists the routes.
//!
//! # Who may do what
//!
//! - A **device** (a phone of a town, `Authorization: Bearer arobase_…`) acts only on its own
//!   town. Its town's **administrators** ([`crate::sync::Device::admin`]) may remove other
//!   devices and erase the space; any device may remove itself; the last administrator cannot be
//!   removed by a device.
//! - An **operator** (a person of the hosting association, `Authorization: Bearer
//!   arobase_op_…`, enrolled from a link printed by `arobase-server operator add`) acts on every
//!   town through `/api/operator/…`, and every one of those acts is written to the audit log.
//!   An operator token is never accepted as a device token, nor the other way round.
//!
//! # Trusted spaces
//!
//! With `--town-spaces approval` (the default), a new space is [`TownStatus::Pending`]: its
//! officials answer and sync at once, and the app says « en attente de vérification » until an
//! operator verifies it. A second claim for a commune that has a space becomes an
//! [`AccessRequest`] that operators decide ([`Decision`]). With `--town-spaces open` (a commune
//! hosting its own server), spaces are verified at creation and a second claim is refused with
//! `town_exists`, as before.

use serde::{Deserialize, Serialize};

use crate::sync::{Commune, Device, Operation, Role, Town};

/// Every operator token starts with this (a device token with `arobase_` only).
pub const OPERATOR_TOKEN_PREFIX: &str = "arobase_op_";

/// Where the app enrols an operator's browser; the link's secret follows in the fragment.
pub const OPERATOR_ENROL_PATH: &str = "/association/inscription";

/// Where the app shows the operator console.
pub const CONSOLE_PATH: &str = "/association";

/// Most live (unused, unexpired) invitations one town may have.
pub const MAX_LIVE_INVITES_PER_TOWN: u32 = 20;

/// Every route of the API, one definition for the server's router and the app's calls.
pub mod routes {
    pub const HEALTH: &str = "/api/health";
    pub const QUESTIONNAIRE: &str = "/api/questionnaire";
    pub const COMMUNES: &str = "/api/communes";
    /// `GET`: [`super::HostInfo`], anonymous.
    pub const HOST: &str = "/api/host";
    /// `POST` [`crate::sync::CreateTown`] → 201 [`crate::sync::Enrolment`], or 202
    /// [`super::AccessRequested`] when the commune has a space (approval mode).
    pub const TOWNS: &str = "/api/towns";
    pub const JOIN: &str = "/api/join";
    /// `GET` with a device token: [`crate::sync::Me`]. Reads only.
    pub const ME: &str = "/api/me";
    /// `GET` with the token of an access request: [`super::AccessRequest`].
    pub const ACCESS_REQUEST: &str = "/api/access-request";
    pub const DEVICES: &str = "/api/devices";
    /// `DELETE /api/devices/{id}`.
    pub const DEVICE: &str = "/api/devices/{id}";
    pub const INVITES: &str = "/api/invites";
    /// `GET`: [`super::TownExport`]; `DELETE` with [`super::EraseTown`] (administrator): the space
    /// and everything in it are purged.
    pub const TOWN: &str = "/api/town";
    pub const PUSH: &str = "/api/sync/push";
    pub const PULL: &str = "/api/sync/pull";
    /// `GET` with a device token: a Server-Sent Events stream that announces new operations of
    /// the token's town (event [`crate::sync::LIVE_OPS_EVENT`], data: the town's last sequence
    /// number). One per device; see `docs/sync.md`, « Live updates ».
    pub const EVENTS: &str = "/api/sync/events";

    /// `POST` [`super::OperatorEnrol`] → 201 [`super::OperatorEnrolment`], anonymous.
    pub const OPERATOR_ENROL: &str = "/api/operator/enrol";
    /// `GET`: [`super::OperatorMe`].
    pub const OPERATOR_ME: &str = "/api/operator/me";
    /// `GET ?q=&status=&departement=&limit=`: [`super::TownList`].
    pub const OPERATOR_TOWNS: &str = "/api/operator/towns";
    /// `GET`: [`super::TownDetail`].
    pub const OPERATOR_TOWN: &str = "/api/operator/towns/{id}";
    /// `POST` → [`super::TownSummary`].
    pub const OPERATOR_VERIFY: &str = "/api/operator/towns/{id}/verify";
    /// `POST` → [`super::TownSummary`] (status rejected, purged after the retention period).
    pub const OPERATOR_REJECT: &str = "/api/operator/towns/{id}/reject";
    /// `POST` → [`crate::sync::Invite`]: a recovery invitation (the device it admits is an
    /// administrator).
    pub const OPERATOR_RECOVERY: &str = "/api/operator/towns/{id}/recovery";
    /// `DELETE`: removes any device of the town, its last administrator included.
    pub const OPERATOR_DEVICE: &str = "/api/operator/towns/{id}/devices/{device}";
    /// `GET`: [`super::AccessRequests`] still to decide.
    pub const OPERATOR_REQUESTS: &str = "/api/operator/requests";
    /// `POST` [`super::Decision`] → [`super::AccessRequest`].
    pub const OPERATOR_REQUEST: &str = "/api/operator/requests/{id}";
    /// `GET ?before=<id>&limit=`: [`super::AuditLog`], newest first.
    pub const OPERATOR_AUDIT: &str = "/api/operator/audit";

    /// `path` with its `{name}` segment replaced by `value` (for the app's calls).
    pub fn fill(path: &str, name: &str, value: &str) -> String {
        path.replace(&format!("{{{name}}}"), value)
    }
}

/// The `code` of API errors ([`crate::sync::ApiErrorBody`]) added with the association's side; the
/// app switches on these, the server sends them.
pub mod codes {
    /// 403: the token is an access request's, not yet decided.
    pub const ACCESS_PENDING: &str = "access_pending";
    /// 403: the access request was refused.
    pub const ACCESS_REFUSED: &str = "access_refused";
    /// 403: the device's space was rejected by an operator.
    pub const TOWN_REJECTED: &str = "town_rejected";
    /// 403: only an administrator of the town may do this.
    pub const NOT_ADMIN: &str = "not_admin";
    /// 409: a release pushed for a campaign that is not validated (see [`crate::network`]).
    pub const NOT_VALIDATED: &str = "not_validated";
    /// 409: that would remove the town's last administrator.
    pub const LAST_ADMIN: &str = "last_admin";
    /// 429: the town has [`super::MAX_LIVE_INVITES_PER_TOWN`] live invitations.
    pub const TOO_MANY_INVITES: &str = "too_many_invites";
    /// 404: an unknown or wrong invitation code or link (one answer for both).
    pub const INVITE_INVALID: &str = "invite_invalid";
    /// 400: the confirmation of an erasure does not name the commune.
    pub const CONFIRM_MISMATCH: &str = "confirm_mismatch";
    /// 401: no, a malformed or an unknown operator token.
    pub const OPERATOR_UNAUTHENTICATED: &str = "operator_unauthenticated";
    /// 401: the operator was removed.
    pub const OPERATOR_REMOVED: &str = "operator_removed";
    /// 404/410: an operator enrolment link unknown, used or expired.
    pub const ENROLMENT_INVALID: &str = "enrolment_invalid";
    /// 404: no such town, device or request (operator routes).
    pub const NOT_FOUND: &str = "not_found";
    /// 409: the request was already decided, or the town is not in a state that allows it.
    pub const WRONG_STATE: &str = "wrong_state";
    /// 429 with `Retry-After`: too many requests from this client.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 400: a text field or path parameter carries control characters.
    pub const CONTROL_CHARACTERS: &str = "control_characters";
    /// 409: an atlas example for a priority that is not done in the town's plan.
    pub const PLAN_NOT_DONE: &str = "plan_not_done";
    /// 429: the town has [`crate::network::atlas::MAX_PENDING_PER_TOWN`] examples waiting for
    /// moderation.
    pub const TOO_MANY_EXAMPLES: &str = "too_many_examples";
    /// 400: an atlas example or a refusal reason out of bounds (the message says which field).
    pub const INVALID_EXAMPLE: &str = "invalid_example";
}

/// How the server treats new spaces (`--town-spaces`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TownSpaces {
    /// A commune hosting its own server: spaces are verified at creation.
    Open,
    /// An association hosting many towns: spaces wait for an operator's verification.
    #[default]
    Approval,
}

impl TownSpaces {
    pub fn as_str(self) -> &'static str {
        match self {
            TownSpaces::Open => "open",
            TownSpaces::Approval => "approval",
        }
    }
}

/// Whether a town's space is vouched for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TownStatus {
    /// Created, not yet checked by an operator: usable, shown « en attente de vérification ».
    Pending,
    /// An operator checked with the mairie (or the server is in open mode).
    #[default]
    Verified,
    /// An operator found it was not the commune's: its devices are refused, its data is purged
    /// after the retention period, and the commune may be claimed again.
    Rejected,
}

impl TownStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TownStatus::Pending => "pending",
            TownStatus::Verified => "verified",
            TownStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<TownStatus> {
        [
            TownStatus::Pending,
            TownStatus::Verified,
            TownStatus::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// Whether a device with `role` that `created_or_recovered` the space is an administrator.
pub fn is_admin(role: Role, created_or_recovered: bool) -> bool {
    created_or_recovered || role == Role::Maire
}

// ------------------------------------------------------------------------------------------------
// Access requests

/// A claim for a commune that already has a space, waiting for an operator's [`Decision`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    pub id: i64,
    /// The space claimed (the town the commune has now).
    pub town_id: i64,
    pub commune: Commune,
    /// Who asks: display name and role, as they would be on a device.
    pub name: String,
    pub role: Role,
    pub created_ms: u64,
    pub status: RequestStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestStatus {
    /// Waiting for an operator.
    Pending,
    /// Let into the existing space: the request's token now works as a device token.
    Joined,
    /// The existing space was a wrong claim: it was rejected and the requester got a new space
    /// for the commune, as its administrator; the request's token works as a device token.
    Replaced,
    /// Refused: the token will never work.
    Refused,
}

/// Answer (202) of `POST /api/towns` when the commune already has a space and the server is in
/// approval mode: a token kept by the app, which works as a device token once an operator lets
/// the request in (until then `GET /api/access-request` with it tells the request's state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequested {
    pub token: String,
    pub request: AccessRequest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequests {
    pub requests: Vec<AccessRequest>,
}

/// An operator's decision on an [`AccessRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    /// The requester joins the existing space (not as an administrator, unless maire).
    Join,
    /// The existing space is rejected; the requester gets a new one, as administrator.
    Replace,
    Refuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub decision: DecisionKind,
}

// ------------------------------------------------------------------------------------------------
// Operators

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub id: i64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_ms: Option<u64>,
}

/// `POST /api/operator/enrol`: a browser opens the one-time link of `operator add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorEnrol {
    /// The link's secret (its fragment).
    pub secret: String,
    /// What this browser is called in the audit log (« Ordinateur du siège »).
    pub device_name: String,
}

/// Answer of `POST /api/operator/enrol`: the operator token, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorEnrolment {
    pub token: String,
    pub operator: Operator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorMe {
    pub operator: Operator,
    pub town_spaces: TownSpaces,
}

/// One town as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownSummary {
    pub id: i64,
    pub commune: Commune,
    pub status: TownStatus,
    pub created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_ms: Option<u64>,
    /// Devices not removed.
    pub active_devices: u32,
    /// Latest visit of any of its devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_ms: Option<u64>,
    /// Access requests waiting for a decision.
    pub pending_requests: u32,
}

/// `GET /api/operator/towns`: matching towns (pending first, then by commune name), and how
/// many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownList {
    pub towns: Vec<TownSummary>,
    pub total: u64,
}

/// `GET /api/operator/towns/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownDetail {
    pub town: TownSummary,
    /// Every device, removed ones included, oldest first.
    pub devices: Vec<Device>,
    /// Its access requests, newest first.
    pub requests: Vec<AccessRequest>,
}

// ------------------------------------------------------------------------------------------------
// Audit log

/// What was done. Operators' acts, and the acts of a town that an association must be able to
/// account for (erasure), never their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    OperatorAdded,
    OperatorEnrolled,
    OperatorRemoved,
    TownVerified,
    TownRejected,
    /// A rejected space's data purged after the retention period (by the server).
    TownPurged,
    RequestJoined,
    RequestReplaced,
    RequestRefused,
    RecoveryIssued,
    DeviceRemoved,
    /// A town's administrator erased its space.
    TownErased,
    /// Devices unseen for the retention period removed (by the server).
    DevicesExpired,
    /// An operator published an atlas example (detail: its number and question).
    ExamplePublished,
    /// An operator refused an atlas example, or took a published one back.
    ExampleRefused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: u64,
    /// Who: `« Nom » (opérateur)`, `« Nom » (appareil de la commune)`, `serveur`, `ligne de
    /// commande`, as written when it happened.
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<i64>,
    pub action: AuditAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town_id: Option<i64>,
    /// The commune, by INSEE code and name, as it was (the town may be gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune_name: Option<String>,
    /// A short, content-free detail (the device removed, the decision's requester…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `GET /api/operator/audit`: newest first; `next_before` pages further back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

// ------------------------------------------------------------------------------------------------
// The host, and a town's own data

/// `GET /api/host`: who runs this server, for the privacy notice, the legal notice and the
/// accessibility statement (set by the server's configuration; unset fields are absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// The host's name (« Association des petites villes de France »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Where people write to exercise their rights or report a problem (an e-mail address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication_director: Option<String>,
    pub town_spaces: TownSpaces,
    /// Devices unseen for this many days are removed.
    pub device_retention_days: u32,
    /// Rejected spaces are purged this many days after rejection.
    pub rejected_retention_days: u32,
}

/// `GET /api/town`: everything the server holds about the caller's town.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownExport {
    pub exported_ms: u64,
    pub town: Town,
    /// Every device, removed ones included.
    pub devices: Vec<Device>,
    /// The whole operation log, in sequence order.
    pub ops: Vec<Operation>,
    /// The town's atlas examples, every status (absent from exports made before the atlas).
    #[serde(default)]
    pub atlas: Vec<crate::network::AtlasExample>,
}

/// `DELETE /api/town`: an administrator confirms by typing the commune's name or INSEE code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EraseTown {
    pub confirm: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_route_parameters() {
        assert_eq!(
            routes::fill(routes::OPERATOR_VERIFY, "id", "42"),
            "/api/operator/towns/42/verify"
        );
    }

    #[test]
    fn older_answers_read_as_verified_and_not_admin() {
        assert_eq!(TownStatus::default(), TownStatus::Verified);
        let device: Device =
            serde_json::from_str(r#"{"id":"d","name":"Marie","role":"maire","created_ms":1}"#)
                .unwrap();
        assert!(!device.admin);
    }

    #[test]
    fn admins_are_creators_and_mayors() {
        assert!(is_admin(Role::Maire, false));
        assert!(is_admin(Role::Agent, true));
        assert!(!is_admin(Role::Adjoint, false));
    }

    #[test]
    fn statuses_round_trip() {
        for status in [
            TownStatus::Pending,
            TownStatus::Verified,
            TownStatus::Rejected,
        ] {
            assert_eq!(TownStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }
}
