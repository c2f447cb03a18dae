//! Operators, the people of the hosting association: their one-time enrolment links, the
//! `arobase-server operator …` subcommands, and the first operator's link printed at start while
//! nobody has enrolled. Their routes are in [`crate::handlers::operator`].

use diagnostic::association::{Operator, OPERATOR_ENROL_PATH};
use diagnostic::sync::display_name;

use crate::auth::{new_secret, sha256_hex};
use crate::clock::now_ms;
use crate::storage::{Actor, NewEnrolmentLink, Storage, StorageError};

/// How long an enrolment link works.
pub const ENROLMENT_TTL_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// Longest e-mail address accepted (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("invalid name: {0}")]
    InvalidName(String),

    #[error("invalid e-mail address `{0}`")]
    InvalidEmail(String),

    #[error("no operator has the id {0}")]
    UnknownOperator(i64),

    #[error("the operating system's random generator failed")]
    Random,

    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The hash under which an enrolment link's secret is stored.
pub fn enrolment_secret_hash(secret: &str) -> String {
    sha256_hex(&format!("operator-link:{secret}"))
}

/// The link a browser opens to enrol: `{origin}/association/inscription#{secret}`.
pub fn enrolment_url(origin: &str, secret: &str) -> String {
    format!(
        "{}{OPERATOR_ENROL_PATH}#{secret}",
        origin.trim_end_matches('/')
    )
}

/// A fresh link's secret and what is stored of it.
fn new_link() -> Result<(String, NewEnrolmentLink), OperatorError> {
    let secret = new_secret().map_err(|_| OperatorError::Random)?;
    let now = now_ms();
    let link = NewEnrolmentLink {
        secret_hash: enrolment_secret_hash(&secret),
        created_ms: now as i64,
        expires_ms: (now + ENROLMENT_TTL_MS) as i64,
    };
    Ok((secret, link))
}

/// `operator add`: the operator and their enrolment link.
pub async fn add(
    storage: &impl Storage,
    name: &str,
    email: Option<&str>,
    origin: &str,
) -> Result<(Operator, String), OperatorError> {
    let name = display_name(name).map_err(OperatorError::InvalidName)?;
    let email = email
        .map(str::trim)
        .filter(|email| !email.is_empty())
        .map(|email| {
            let valid = email.chars().count() <= MAX_EMAIL_CHARS
                && email.contains('@')
                && !email.chars().any(|c| c.is_control() || c.is_whitespace());
            valid
                .then(|| email.to_string())
                .ok_or_else(|| OperatorError::InvalidEmail(email.to_string()))
        })
        .transpose()?;
    let (secret, link) = new_link()?;
    let operator = storage
        .add_operator(&name, email.as_deref(), &link, &Actor::command_line())
        .await?;
    Ok((operator, enrolment_url(origin, &secret)))
}

/// `operator remove`.
pub async fn remove(storage: &impl Storage, id: i64) -> Result<Operator, OperatorError> {
    storage
        .remove_operator(id, &Actor::command_line(), now_ms() as i64)
        .await?
        .ok_or(OperatorError::UnknownOperator(id))
}

/// `operator list`: one line per operator, `id<TAB>name<TAB>e-mail or -<TAB>state`.
pub async fn list(storage: &impl Storage) -> Result<Vec<String>, OperatorError> {
    Ok(storage
        .operators()
        .await?
        .into_iter()
        .map(|(operator, enrolled)| {
            let state = match (operator.removed_ms, enrolled) {
                (Some(_), _) => "retiré",
                (None, true) => "inscrit",
                (None, false) => "en attente d'inscription",
            };
            format!(
                "{}\t{}\t{}\t{state}",
                operator.id,
                operator.name,
                operator.email.as_deref().unwrap_or("-")
            )
        })
        .collect())
}

/// At start: when no operator has enrolled, a new one-time link for the first one (the previous
/// start's stops working), so that a fresh install leads straight to the console.
pub async fn bootstrap(
    storage: &impl Storage,
    origin: &str,
) -> Result<Option<String>, OperatorError> {
    let (secret, link) = new_link()?;
    Ok(storage
        .bootstrap_operator(&link)
        .await?
        .then(|| enrolment_url(origin, &secret)))
}
