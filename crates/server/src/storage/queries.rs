// The SQL of both backends, `include!`d by `sqlite.rs` and `postgres.rs` (see `storage/mod.rs`).
// The including module defines `Db` (the sqlx database), `Backend` (its storage type, with
// `writer()`, `reader()`, `ping_db()` and `close_pools()`) and `BACKEND` (its name).
//
// Only SQL both engines run identically is written here: `$n` parameters (SQLite reads `$1` as
// the first argument), `RETURNING`, `ON CONFLICT`, `||`, `lower`, and BIGINT casts where
// PostgreSQL would otherwise type an expression as a 32-bit integer.

use std::collections::HashMap;

use diagnostic::association::{
    is_admin, AccessRequest, AuditAction, AuditEntry, DecisionKind, Operator, RequestStatus,
    TownDetail, TownList, TownSpaces, TownStatus, TownSummary,
};
use diagnostic::network::{
    AtlasDraft, AtlasExample, AtlasStatus, AtlasTown, CostBand, DurationBand, PartnerType,
};
use diagnostic::sync::server::{
    numbered, placeholder_token_hash, relayed_devices, sort_batch, DeviceHome, PushError, Stored,
    PLACEHOLDER_NAME,
};
use diagnostic::sync::{Commune, CommuneMatch, Device, Epci, Hlc, Operation, Role, Town};
use sqlx::{QueryBuilder, Row};

use crate::storage::group::{shared_failure, PushArgs, PushBatch};
use crate::storage::{
    Actor, AuthDevice, AuthOperator, CommuneQuery, CommuneRow, CreateInviteOutcome,
    CreateTownOutcome, DecideOutcome, EnrolOutcome, Epoch, ModerateOutcome, NetworkTown, NewDevice,
    NewEnrolmentLink, NewInvite, NewOp, PulledOps, PushOutcome, RedeemOutcome, Remover,
    RetentionReport, RevokeOutcome, StatusOutcome, Storage, StorageError, StoredLedger,
    SubmitOutcome, TownQuery,
};

type DbRow = <Db as sqlx::Database>::Row;
type Tx = sqlx::Transaction<'static, Db>;

/// Rows per multi-row INSERT of communes (11 parameters each, well under both engines' limits).
const COMMUNE_CHUNK: usize = 1000;

fn failed(what: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |source| StorageError::Query { what, source }
}

fn corrupt(what: impl Into<String>) -> StorageError {
    StorageError::Corrupt { what: what.into() }
}

fn get<'r, T>(row: &'r DbRow, column: &'static str) -> Result<T, StorageError>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(column).map_err(failed(column))
}

fn unsigned(value: i64, what: &str) -> Result<u64, StorageError> {
    u64::try_from(value).map_err(|_| corrupt(format!("negative {what} {value}")))
}

const COMMUNE_COLUMNS: &str = "c.code, c.name, c.departement, c.departement_name, c.region, \
                               c.postal_codes, c.population, c.epci_code, c.epci_name";

fn commune_from(row: &DbRow) -> Result<Commune, StorageError> {
    let postal_codes: String = get(row, "postal_codes")?;
    let epci_code: Option<String> = get(row, "epci_code")?;
    let epci_name: Option<String> = get(row, "epci_name")?;
    Ok(Commune {
        code: get(row, "code")?,
        name: get(row, "name")?,
        departement: get(row, "departement")?,
        departement_name: get(row, "departement_name")?,
        region: get(row, "region")?,
        postal_codes: postal_codes
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        population: unsigned(get(row, "population")?, "population")?,
        epci: epci_code.map(|code| Epci {
            code,
            name: epci_name.unwrap_or_default(),
        }),
    })
}

fn optional_unsigned(value: Option<i64>, what: &str) -> Result<Option<u64>, StorageError> {
    value.map(|value| unsigned(value, what)).transpose()
}

fn role_from(role: &str) -> Result<Role, StorageError> {
    Role::parse(role).ok_or_else(|| corrupt(format!("role `{role}`")))
}

fn town_status_from(status: &str) -> Result<TownStatus, StorageError> {
    TownStatus::parse(status).ok_or_else(|| corrupt(format!("town status `{status}`")))
}

/// The kebab-case name serde gives a unit variant (`"request-joined"`).
fn enum_text<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

fn enum_from<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StorageError> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| corrupt(format!("{what} `{text}`")))
}

/// What every read of a town selects from `towns t` (with [`COMMUNE_COLUMNS`] from `communes c`).
const TOWN_COLUMNS: &str = "t.id AS town_id, t.created_ms AS town_created_ms, \
                            t.status AS town_status, t.verified_ms AS town_verified_ms, \
                            t.rejected_ms AS town_rejected_ms";

fn town_from(row: &DbRow) -> Result<Town, StorageError> {
    Ok(Town {
        commune: commune_from(row)?,
        created_ms: unsigned(get(row, "town_created_ms")?, "created_ms")?,
        status: town_status_from(&get::<String>(row, "town_status")?)?,
    })
}

/// A town as the console lists it: its columns, its commune's, and three counts.
fn summary_select() -> String {
    format!(
        "SELECT {TOWN_COLUMNS}, {COMMUNE_COLUMNS}, \
         (SELECT COUNT(*) FROM devices d WHERE d.town_id = t.id AND d.revoked_ms IS NULL) \
         AS active_devices, \
         (SELECT MAX(d.last_seen_ms) FROM devices d WHERE d.town_id = t.id) AS town_last_seen, \
         (SELECT COUNT(*) FROM access_requests r WHERE r.town_id = t.id \
         AND r.status = 'pending') AS pending_requests \
         FROM towns t JOIN communes c ON c.code = t.commune_code"
    )
}

fn summary_from(row: &DbRow) -> Result<TownSummary, StorageError> {
    let count = |column| -> Result<u32, StorageError> {
        let value: i64 = get(row, column)?;
        u32::try_from(value).map_err(|_| corrupt(format!("{column} {value}")))
    };
    Ok(TownSummary {
        id: get(row, "town_id")?,
        commune: commune_from(row)?,
        status: town_status_from(&get::<String>(row, "town_status")?)?,
        created_ms: unsigned(get(row, "town_created_ms")?, "created_ms")?,
        verified_ms: optional_unsigned(get(row, "town_verified_ms")?, "verified_ms")?,
        rejected_ms: optional_unsigned(get(row, "town_rejected_ms")?, "rejected_ms")?,
        active_devices: count("active_devices")?,
        last_seen_ms: optional_unsigned(get(row, "town_last_seen")?, "last_seen_ms")?,
        pending_requests: count("pending_requests")?,
    })
}

fn request_select() -> String {
    format!(
        "SELECT r.id AS request_id, r.town_id AS request_town_id, r.name AS requester_name, \
         r.role AS requester_role, r.created_ms AS request_created_ms, \
         r.status AS request_status, r.decided_ms AS request_decided_ms, {COMMUNE_COLUMNS} \
         FROM access_requests r JOIN towns t ON t.id = r.town_id \
         JOIN communes c ON c.code = t.commune_code"
    )
}

fn request_from(row: &DbRow) -> Result<AccessRequest, StorageError> {
    Ok(AccessRequest {
        id: get(row, "request_id")?,
        town_id: get(row, "request_town_id")?,
        commune: commune_from(row)?,
        name: get(row, "requester_name")?,
        role: role_from(&get::<String>(row, "requester_role")?)?,
        created_ms: unsigned(get(row, "request_created_ms")?, "created_ms")?,
        status: enum_from::<RequestStatus>(&get::<String>(row, "request_status")?, "status")?,
        decided_ms: optional_unsigned(get(row, "request_decided_ms")?, "decided_ms")?,
    })
}

const OPERATOR_COLUMNS: &str = "o.id, o.name, o.email, o.created_ms, o.removed_ms";

fn operator_from(row: &DbRow) -> Result<Operator, StorageError> {
    Ok(Operator {
        id: get(row, "id")?,
        name: get(row, "name")?,
        email: get(row, "email")?,
        created_ms: unsigned(get(row, "created_ms")?, "created_ms")?,
        removed_ms: optional_unsigned(get(row, "removed_ms")?, "removed_ms")?,
    })
}

const DEVICE_COLUMNS: &str = "id, name, role, created_ms, last_seen_ms, revoked_ms, admin";

fn device_from(row: &DbRow) -> Result<Device, StorageError> {
    let role: String = get(row, "role")?;
    Ok(Device {
        id: get(row, "id")?,
        name: get(row, "name")?,
        role: Role::parse(&role).ok_or_else(|| corrupt(format!("device role `{role}`")))?,
        created_ms: unsigned(get(row, "created_ms")?, "created_ms")?,
        last_seen_ms: get::<Option<i64>>(row, "last_seen_ms")?
            .map(|ms| unsigned(ms, "last_seen_ms"))
            .transpose()?,
        revoked_ms: get::<Option<i64>>(row, "revoked_ms")?
            .map(|ms| unsigned(ms, "revoked_ms"))
            .transpose()?,
        current: false,
        admin: get(row, "admin")?,
    })
}

const OP_COLUMNS: &str =
    "seq, id, device_id, campaign, question, option_id, comment, wall_ms, counter, base";

fn op_from(row: &DbRow) -> Result<(i64, Operation), StorageError> {
    let device: String = get(row, "device_id")?;
    let base: String = get(row, "base")?;
    let counter: i64 = get(row, "counter")?;
    let op = Operation {
        id: get(row, "id")?,
        device: device.clone(),
        campaign: get(row, "campaign")?,
        question: get(row, "question")?,
        option: get(row, "option_id")?,
        comment: get(row, "comment")?,
        clock: Hlc {
            wall_ms: unsigned(get(row, "wall_ms")?, "wall_ms")?,
            counter: u32::try_from(counter).map_err(|_| corrupt(format!("counter {counter}")))?,
            device,
        },
        base: split_base(&base),
    };
    Ok((get(row, "seq")?, op))
}

fn join_base(base: &[String]) -> String {
    base.join(",")
}

fn split_base(base: &str) -> Vec<String> {
    base.split(',')
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the log holds under an operation's id, as the push rules compare it with a new one
/// ([`diagnostic::sync::server::sort_batch`]).
fn stored_op(row: &DbRow, town_id: i64) -> Result<Stored, StorageError> {
    if get::<i64>(row, "town_id")? != town_id {
        return Ok(Stored::Elsewhere);
    }
    let (_, op) = op_from(row)?;
    let sent_wall_ms = unsigned(get(row, "sent_wall_ms")?, "sent_wall_ms")?;
    Ok(Stored::Here(Box::new(NewOp { op, sent_wall_ms })))
}

/// The columns [`stored_op`] reads.
const STORED_OP_COLUMNS: &str =
    "seq, id, town_id, device_id, campaign, question, option_id, comment, wall_ms, counter, base, \
     sent_wall_ms";

async fn begin(pool: &sqlx::Pool<Db>) -> Result<Tx, StorageError> {
    pool.begin().await.map_err(failed("starting a transaction"))
}

async fn commit(tx: Tx) -> Result<(), StorageError> {
    tx.commit().await.map_err(failed("committing"))
}

async fn rollback(tx: Tx) -> Result<(), StorageError> {
    tx.rollback().await.map_err(failed("rolling back"))
}

async fn insert_device(
    tx: &mut Tx,
    town_id: i64,
    device: &NewDevice,
    invited_by: Option<&str>,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO devices (id, town_id, token_hash, name, role, created_ms, last_seen_ms, \
         invited_by, admin) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
    )
    .bind(&device.id)
    .bind(town_id)
    .bind(&device.token_hash)
    .bind(&device.name)
    .bind(&device.role)
    .bind(device.created_ms)
    .bind(invited_by)
    .bind(device.admin)
    .execute(&mut **tx)
    .await
    .map_err(failed("enrolling a device"))?;
    Ok(())
}

/// Takes the town's row lock (PostgreSQL) for the rest of the transaction, so that operations on
/// one town that read then write (removing a device) happen one after the other; `false` when
/// there is no such town. Every path that locks a town and a device takes the town first.
async fn lock_town(tx: &mut Tx, town_id: i64) -> Result<bool, StorageError> {
    let locked = sqlx::query("UPDATE towns SET last_seq = last_seq WHERE id = $1")
        .bind(town_id)
        .execute(&mut **tx)
        .await
        .map_err(failed("locking the town"))?;
    Ok(locked.rows_affected() == 1)
}

/// A town as the audit log names it (kept as text: the entry outlives the town).
struct TownRef {
    id: i64,
    code: String,
    name: String,
    status: TownStatus,
}

async fn town_ref(tx: &mut Tx, town_id: i64) -> Result<Option<TownRef>, StorageError> {
    let row = sqlx::query(
        "SELECT t.commune_code, c.name, t.status FROM towns t \
         JOIN communes c ON c.code = t.commune_code WHERE t.id = $1",
    )
    .bind(town_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(failed("reading a town"))?;
    row.map(|row| {
        Ok(TownRef {
            id: town_id,
            code: get(&row, "commune_code")?,
            name: get(&row, "name")?,
            status: town_status_from(&get::<String>(&row, "status")?)?,
        })
    })
    .transpose()
}

/// Appends to the audit log, inside the transaction of the act it records.
async fn insert_audit(
    tx: &mut Tx,
    at_ms: i64,
    actor: &Actor,
    action: AuditAction,
    town: Option<&TownRef>,
    detail: Option<String>,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO audit_log (at_ms, actor, operator_id, action, town_id, commune_code, \
         commune_name, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(at_ms)
    .bind(&actor.label)
    .bind(actor.operator_id)
    .bind(enum_text(action))
    .bind(town.map(|town| town.id))
    .bind(town.map(|town| town.code.clone()))
    .bind(town.map(|town| town.name.clone()))
    .bind(detail)
    .execute(&mut **tx)
    .await
    .map_err(failed("writing the audit log"))?;
    Ok(())
}

/// What every read of an atlas example selects, with its town's commune.
fn example_select() -> String {
    format!(
        "SELECT e.id AS example_id, e.campaign, e.question, e.what, e.partner, e.cost, \
         e.duration, e.contact_role, e.public_contact, e.status AS example_status, e.refusal, \
         e.created_ms AS example_created_ms, e.decided_ms AS example_decided_ms, \
         {COMMUNE_COLUMNS} \
         FROM atlas_examples e JOIN towns t ON t.id = e.town_id \
         JOIN communes c ON c.code = t.commune_code"
    )
}

fn choice<T>(parse: fn(&str) -> Option<T>, text: &str, what: &str) -> Result<T, StorageError> {
    parse(text).ok_or_else(|| corrupt(format!("{what} `{text}`")))
}

fn example_from(row: &DbRow) -> Result<AtlasExample, StorageError> {
    Ok(AtlasExample {
        id: get(row, "example_id")?,
        campaign: get(row, "campaign")?,
        question: get(row, "question")?,
        what: get(row, "what")?,
        partner: choice(
            PartnerType::parse,
            &get::<String>(row, "partner")?,
            "partner",
        )?,
        cost: choice(CostBand::parse, &get::<String>(row, "cost")?, "cost band")?,
        duration: choice(
            DurationBand::parse,
            &get::<String>(row, "duration")?,
            "duration band",
        )?,
        contact_role: get(row, "contact_role")?,
        public_contact: get(row, "public_contact")?,
        town: AtlasTown::of(&commune_from(row)?),
        status: choice(
            AtlasStatus::parse,
            &get::<String>(row, "example_status")?,
            "example status",
        )?,
        refusal: get(row, "refusal")?,
        created_ms: unsigned(get(row, "example_created_ms")?, "created_ms")?,
        decided_ms: optional_unsigned(get(row, "example_decided_ms")?, "decided_ms")?,
    })
}

async fn example_in(tx: &mut Tx, example_id: i64) -> Result<AtlasExample, StorageError> {
    let row = sqlx::query(&format!("{} WHERE e.id = $1", example_select()))
        .bind(example_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(failed("reading an atlas example"))?;
    example_from(&row)
}

/// Deletes the town and everything in it; returns how many operations it had. Access requests
/// that made one of its devices go too (a replacement's request belongs to the old town).
async fn purge_town(tx: &mut Tx, town_id: i64) -> Result<u64, StorageError> {
    let ops = sqlx::query("DELETE FROM ops WHERE town_id = $1")
        .bind(town_id)
        .execute(&mut **tx)
        .await
        .map_err(failed("purging a town's operations"))?
        .rows_affected();
    for (sql, what) in [
        (
            "DELETE FROM atlas_examples WHERE town_id = $1",
            "purging a town's atlas examples",
        ),
        (
            "DELETE FROM invites WHERE town_id = $1",
            "purging a town's invitations",
        ),
        (
            "DELETE FROM access_requests WHERE town_id = $1 \
             OR device_id IN (SELECT id FROM devices WHERE town_id = $1)",
            "purging a town's access requests",
        ),
        (
            "DELETE FROM devices WHERE town_id = $1",
            "purging a town's devices",
        ),
        ("DELETE FROM towns WHERE id = $1", "purging a town"),
    ] {
        sqlx::query(sql)
            .bind(town_id)
            .execute(&mut **tx)
            .await
            .map_err(failed(what))?;
    }
    Ok(ops)
}

/// Rejects a town (its devices are refused from now on, the commune may be claimed again) and
/// cancels its unused invitations.
async fn reject_town(tx: &mut Tx, town_id: i64, now_ms: i64) -> Result<(), StorageError> {
    sqlx::query("UPDATE towns SET status = 'rejected', rejected_ms = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(town_id)
        .execute(&mut **tx)
        .await
        .map_err(failed("rejecting a town"))?;
    sqlx::query("DELETE FROM invites WHERE town_id = $1 AND used_ms IS NULL")
        .bind(town_id)
        .execute(&mut **tx)
        .await
        .map_err(failed("cancelling a town's invitations"))?;
    Ok(())
}

async fn summary_in(tx: &mut Tx, town_id: i64) -> Result<TownSummary, StorageError> {
    let row = sqlx::query(&format!("{} WHERE t.id = $1", summary_select()))
        .bind(town_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(failed("reading a town"))?;
    summary_from(&row)
}

async fn request_in(tx: &mut Tx, request_id: i64) -> Result<AccessRequest, StorageError> {
    let row = sqlx::query(&format!("{} WHERE r.id = $1", request_select()))
        .bind(request_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(failed("reading an access request"))?;
    request_from(&row)
}

/// Adds `TownQuery`'s conditions to a query on `towns t JOIN communes c`.
fn push_town_filters(select: &mut QueryBuilder<'_, Db>, query: &TownQuery) {
    select.push(" WHERE 1 = 1");
    if let Some(text) = &query.text {
        select
            .push(" AND (lower(t.commune_code) LIKE ")
            .push_bind(format!("{text}%"))
            .push(" OR c.search_name LIKE ")
            .push_bind(format!("%{text}%"))
            .push(")");
    }
    if let Some(status) = query.status {
        select
            .push(" AND t.status = ")
            .push_bind(status.as_str().to_string());
    }
    if let Some(departement) = &query.departement {
        select
            .push(" AND c.departement = ")
            .push_bind(departement.clone());
    }
}

/// The name of the operator the server makes for itself while nobody has enrolled.
const BOOTSTRAP_OPERATOR: &str = "Premier opérateur";

async fn insert_link(
    tx: &mut Tx,
    operator_id: i64,
    link: &NewEnrolmentLink,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO operator_enrolments (operator_id, secret_hash, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(operator_id)
    .bind(&link.secret_hash)
    .bind(link.created_ms)
    .bind(link.expires_ms)
    .execute(&mut **tx)
    .await
    .map_err(failed("storing an enrolment link"))?;
    Ok(())
}

async fn operator_in(tx: &mut Tx, id: i64) -> Result<Operator, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {OPERATOR_COLUMNS} FROM operators o WHERE o.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut **tx)
    .await
    .map_err(failed("reading an operator"))?;
    operator_from(&row)
}

/// One push inside the batch's transaction (see [`PushBatch`]): nothing is committed or rolled
/// back here; the caller keeps what a [`PushOutcome::Stored`] wrote and undoes anything else.
async fn push_one(tx: &mut Tx, push: &PushArgs<'_>) -> Result<PushOutcome, StorageError> {
    let PushArgs {
        town_id,
        device_id,
        ops,
        now_ms,
        relay,
    } = *push;
    // Town first, then the device: the order of every transaction that takes both (removing
    // a device does the same), so that on PostgreSQL a push racing a removal waits instead
    // of deadlocking. It also serialises the town's pushes from here on (they would wait for
    // the town's counter row below anyway).
    lock_town(tx, town_id).await?;
    let active = sqlx::query(
        "UPDATE devices SET last_seen_ms = $1 \
             WHERE id = $2 AND town_id = $3 AND revoked_ms IS NULL",
    )
    .bind(now_ms)
    .bind(device_id)
    .bind(town_id)
    .execute(&mut **tx)
    .await
    .map_err(failed("checking the pushing device"))?;
    if active.rows_affected() != 1 {
        return Ok(PushOutcome::Revoked);
    }

    // Ids already stored: identical retries are acknowledged again, anything else refused.
    let mut stored = HashMap::new();
    if !ops.is_empty() {
        let mut select =
            QueryBuilder::<Db>::new(format!("SELECT {STORED_OP_COLUMNS} FROM ops WHERE id IN ("));
        let mut ids = select.separated(", ");
        for new in ops {
            ids.push_bind(new.op.id.clone());
        }
        select.push(")");
        let rows = select
            .build()
            .fetch_all(&mut **tx)
            .await
            .map_err(failed("looking up operation ids"))?;
        for row in &rows {
            stored.insert(get::<String>(row, "id")?, stored_op(row, town_id)?);
        }
    }
    if relay {
        if let Err(refusal) = place_relayed_devices(tx, town_id, device_id, ops, now_ms).await? {
            return Ok(PushOutcome::Refused(refusal));
        }
    }
    let sorted = match sort_batch(ops, |id| stored.remove(id)) {
        Ok(sorted) => sorted,
        Err(refusal) => return Ok(PushOutcome::Refused(refusal)),
    };
    let mut retried = sorted.retried;
    let fresh = sorted.fresh;
    if fresh.is_empty() {
        return Ok(PushOutcome::Stored {
            inserted: 0,
            last_seq: None,
            retried,
        });
    }

    // The town's counter row: taking the next numbers locks it until commit, so on
    // PostgreSQL a concurrent push to the same town waits, and sequence order is commit order.
    let count = i64::try_from(fresh.len()).expect("a batch is small");
    let last: i64 = sqlx::query_scalar(
        "UPDATE towns SET last_seq = last_seq + $1 WHERE id = $2 RETURNING last_seq",
    )
    .bind(count)
    .bind(town_id)
    .fetch_one(&mut **tx)
    .await
    .map_err(failed("numbering operations"))?;
    let before = unsigned(last - count, "last_seq")?;

    let mut insert = QueryBuilder::<Db>::new(
        "INSERT INTO ops (id, town_id, seq, device_id, campaign, question, option_id, \
             comment, wall_ms, counter, base, sent_wall_ms, received_ms, relayed_by) ",
    );
    insert.push_values(numbered(before, &fresh), |mut row, (seq, new)| {
        let op = &new.op;
        row.push_bind(op.id.clone())
            .push_bind(town_id)
            .push_bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .push_bind(op.device.clone())
            .push_bind(op.campaign.clone())
            .push_bind(op.question.clone())
            .push_bind(op.option.clone())
            .push_bind(op.comment.clone())
            .push_bind(i64::try_from(op.clock.wall_ms).unwrap_or(i64::MAX))
            .push_bind(i64::from(op.clock.counter))
            .push_bind(join_base(&op.base))
            .push_bind(i64::try_from(new.sent_wall_ms).unwrap_or(i64::MAX))
            .push_bind(now_ms)
            .push_bind((op.device != device_id).then(|| device_id.to_string()));
    });
    insert.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
    let inserted: Vec<String> = insert
        .build_query_scalar()
        .fetch_all(&mut **tx)
        .await
        .map_err(failed("appending operations"))?;

    // Stored by a concurrent transaction since the lookup above (PostgreSQL only): a retry
    // racing itself is fine, anything else is a conflict. The numbers it took stay unused.
    if inserted.len() != fresh.len() {
        let mut raced = HashMap::new();
        for new in fresh.iter().filter(|new| !inserted.contains(&new.op.id)) {
            let row = sqlx::query(&format!(
                "SELECT {STORED_OP_COLUMNS} FROM ops WHERE id = $1"
            ))
            .bind(&new.op.id)
            .fetch_one(&mut **tx)
            .await
            .map_err(failed("looking up an operation id"))?;
            raced.insert(new.op.id.clone(), stored_op(&row, town_id)?);
        }
        let lost: Vec<NewOp> = fresh
            .iter()
            .filter(|new| raced.contains_key(&new.op.id))
            .map(|new| (*new).clone())
            .collect();
        match sort_batch(&lost, |id| raced.remove(id)) {
            Ok(sorted) => retried.extend(sorted.retried),
            Err(refusal) => return Ok(PushOutcome::Refused(refusal)),
        }
    }
    Ok(PushOutcome::Stored {
        inserted: inserted.len(),
        last_seq: Some(last),
        retried,
    })
}

/// The storage part of the relay rules: looks up the devices of the batch other than the
/// pusher's, refuses another town's ([`relayed_devices`]) and writes a placeholder row, removed
/// at once, for each unknown one (enrolled after the backup), so that `ops.device_id` names a
/// device. Another relayer may write the same placeholder concurrently (PostgreSQL): `ON
/// CONFLICT DO NOTHING` waits for it, and the devices are then checked again.
async fn place_relayed_devices(
    tx: &mut Tx,
    town_id: i64,
    pusher: &str,
    ops: &[NewOp],
    now_ms: i64,
) -> Result<Result<(), PushError>, StorageError> {
    for attempt in 0..2 {
        let devices: Vec<&str> = ops
            .iter()
            .map(|new| new.op.device.as_str())
            .filter(|device| *device != pusher)
            .collect();
        let mut homes = HashMap::new();
        if !devices.is_empty() {
            let mut select = QueryBuilder::<Db>::new("SELECT id, town_id FROM devices WHERE id IN (");
            let mut ids = select.separated(", ");
            for device in &devices {
                ids.push_bind(device.to_string());
            }
            select.push(")");
            for row in select
                .build()
                .fetch_all(&mut **tx)
                .await
                .map_err(failed("looking up relayed devices"))?
            {
                homes.insert(get::<String>(&row, "id")?, get::<i64>(&row, "town_id")?);
            }
        }
        let unknown = match relayed_devices(ops, pusher, |device| match homes.get(device) {
            Some(town) if *town == town_id => DeviceHome::SameTown,
            Some(_) => DeviceHome::OtherTown,
            None => DeviceHome::Unknown,
        }) {
            Ok(unknown) => unknown,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let mut written = 0;
        for device in &unknown {
            written += sqlx::query(
                "INSERT INTO devices (id, town_id, token_hash, name, role, created_ms, \
                 revoked_ms, admin) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(device)
            .bind(town_id)
            .bind(placeholder_token_hash(device))
            .bind(PLACEHOLDER_NAME)
            .bind(Role::Autre.as_str())
            .bind(now_ms)
            .bind(false)
            .execute(&mut **tx)
            .await
            .map_err(failed("writing a relayed device's placeholder"))?
            .rows_affected();
        }
        if written == unknown.len() as u64 {
            if !unknown.is_empty() {
                tracing::info!(
                    town = town_id,
                    relayed_by = pusher,
                    devices = ?unknown,
                    "relayed operations of devices unknown since the restore: placeholders written"
                );
            }
            return Ok(Ok(()));
        }
        // Written meanwhile by another transaction: look again (it may be another town's).
        tracing::debug!(attempt, "a relayed device appeared concurrently");
    }
    Err(corrupt("relayed devices keep appearing concurrently"))
}

impl PushBatch for Backend {
    async fn push_batch(&self, pushes: &[PushArgs<'_>]) -> Vec<Result<PushOutcome, StorageError>> {
        match push_in_one_transaction(self.writer(), pushes).await {
            Ok(outcomes) => outcomes,
            Err(err) => shared_failure(err, pushes.len()),
        }
    }
}

/// The pushes in order, each in a savepoint when there are several (alone, the transaction is
/// its savepoint), then one commit if any was stored.
async fn push_in_one_transaction(
    pool: &sqlx::Pool<Db>,
    pushes: &[PushArgs<'_>],
) -> Result<Vec<Result<PushOutcome, StorageError>>, StorageError> {
    let mut tx = begin(pool).await?;
    let savepoints = pushes.len() > 1;
    let mut outcomes = Vec::with_capacity(pushes.len());
    let mut stored_any = false;
    for push in pushes {
        if savepoints {
            execute(&mut tx, "SAVEPOINT push").await?;
        }
        let outcome = push_one(&mut tx, push).await;
        let stored = matches!(outcome, Ok(PushOutcome::Stored { .. }));
        if savepoints {
            if !stored {
                execute(&mut tx, "ROLLBACK TO SAVEPOINT push").await?;
            }
            execute(&mut tx, "RELEASE SAVEPOINT push").await?;
        }
        stored_any |= stored;
        outcomes.push(outcome);
    }
    if stored_any {
        commit(tx).await?;
    } else {
        rollback(tx).await?;
    }
    Ok(outcomes)
}

async fn execute(tx: &mut Tx, statement: &'static str) -> Result<(), StorageError> {
    sqlx::query(statement)
        .execute(&mut **tx)
        .await
        .map_err(failed(statement))?;
    Ok(())
}

impl Storage for Backend {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.ping_db().await
    }

    async fn close(&self) {
        self.close_pools().await
    }

    async fn communes_count(&self) -> Result<u64, StorageError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM communes")
            .fetch_one(self.reader())
            .await
            .map_err(failed("counting communes"))?;
        unsigned(count, "count")
    }

    async fn import_communes(&self, communes: &[CommuneRow]) -> Result<usize, StorageError> {
        let mut tx = begin(self.writer()).await?;
        for chunk in communes.chunks(COMMUNE_CHUNK) {
            let mut insert = QueryBuilder::<Db>::new(
                "INSERT INTO communes (code, name, search_name, departement, departement_name, \
                 region, postal_codes, population, epci_code, epci_name, siren) ",
            );
            insert.push_values(chunk, |mut row, c| {
                row.push_bind(c.code.clone())
                    .push_bind(c.name.clone())
                    .push_bind(c.search_name.clone())
                    .push_bind(c.departement.clone())
                    .push_bind(c.departement_name.clone())
                    .push_bind(c.region.clone())
                    .push_bind(format!(" {} ", c.postal_codes.join(" ")))
                    .push_bind(c.population)
                    .push_bind(c.epci_code.clone())
                    .push_bind(c.epci_name.clone())
                    .push_bind(c.siren.clone());
            });
            insert.push(
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                 search_name = excluded.search_name, departement = excluded.departement, \
                 departement_name = excluded.departement_name, region = excluded.region, \
                 postal_codes = excluded.postal_codes, population = excluded.population, \
                 epci_code = excluded.epci_code, epci_name = excluded.epci_name, \
                 siren = excluded.siren",
            );
            insert
                .build()
                .execute(&mut *tx)
                .await
                .map_err(failed("importing communes"))?;
        }
        commit(tx).await?;
        Ok(communes.len())
    }

    async fn search_communes(
        &self,
        query: &CommuneQuery,
    ) -> Result<Vec<CommuneMatch>, StorageError> {
        let mut select = QueryBuilder::<Db>::new(format!(
            "SELECT {COMMUNE_COLUMNS}, \
             CAST(CASE WHEN t.id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_space, CAST("
        ));
        // Rank: the whole name, then its start, then the start of one of its words, then any
        // match; for codes, an exact code first.
        if !query.phrase.is_empty() {
            select
                .push("CASE WHEN c.search_name = ")
                .push_bind(query.phrase.clone())
                .push(" THEN 0 WHEN c.search_name LIKE ")
                .push_bind(format!("{}%", query.phrase))
                .push(" THEN 1 WHEN c.search_name LIKE ")
                .push_bind(format!("% {}%", query.phrase))
                .push(" THEN 2 ELSE 3 END");
        } else if let Some(number) = query.numbers.first() {
            select
                .push("CASE WHEN lower(c.code) = ")
                .push_bind(number.clone())
                .push(" OR c.postal_codes LIKE ")
                .push_bind(format!("% {number} %"))
                .push(" THEN 0 ELSE 1 END");
        } else {
            select.push("0");
        }
        select.push(
            " AS BIGINT) AS rank FROM communes c \
             LEFT JOIN towns t ON t.commune_code = c.code AND t.status <> 'rejected' \
             WHERE 1 = 1",
        );
        for word in &query.words {
            select
                .push(" AND c.search_name LIKE ")
                .push_bind(format!("%{word}%"));
        }
        for number in &query.numbers {
            select
                .push(" AND (lower(c.code) LIKE ")
                .push_bind(format!("{number}%"))
                .push(" OR c.postal_codes LIKE ")
                .push_bind(format!("% {number}%"))
                .push(")");
        }
        select
            .push(" ORDER BY rank, c.population DESC, c.name, c.code LIMIT ")
            .push_bind(query.limit);
        let rows = select
            .build()
            .fetch_all(self.reader())
            .await
            .map_err(failed("searching communes"))?;
        rows.iter()
            .map(|row| {
                Ok(CommuneMatch {
                    commune: commune_from(row)?,
                    has_space: get::<i64>(row, "has_space")? != 0,
                })
            })
            .collect()
    }

    async fn create_town(
        &self,
        commune: &str,
        device: &NewDevice,
        spaces: TownSpaces,
    ) -> Result<CreateTownOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM communes WHERE code = $1")
            .bind(commune)
            .fetch_optional(&mut *tx)
            .await
            .map_err(failed("reading a commune"))?;
        let Some(commune_name) = name else {
            rollback(tx).await?;
            return Ok(CreateTownOutcome::UnknownCommune);
        };
        let (status, verified_ms) = match spaces {
            TownSpaces::Open => (TownStatus::Verified, Some(device.created_ms)),
            TownSpaces::Approval => (TownStatus::Pending, None),
        };
        let town_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO towns (commune_code, created_ms, status, verified_ms) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (commune_code) WHERE status <> 'rejected' DO NOTHING RETURNING id",
        )
        .bind(commune)
        .bind(device.created_ms)
        .bind(status.as_str())
        .bind(verified_ms)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("creating a town"))?;
        if let Some(town_id) = town_id {
            insert_device(&mut tx, town_id, device, None).await?;
            commit(tx).await?;
            return Ok(CreateTownOutcome::Created { town_id });
        }
        let existing: Option<i64> = match spaces {
            TownSpaces::Open => None,
            TownSpaces::Approval => sqlx::query_scalar(
                "SELECT id FROM towns WHERE commune_code = $1 AND status <> 'rejected'",
            )
            .bind(commune)
            .fetch_optional(&mut *tx)
            .await
            .map_err(failed("reading a town"))?,
        };
        let Some(town_id) = existing else {
            rollback(tx).await?;
            return Ok(CreateTownOutcome::Exists { commune_name });
        };
        let request_id: i64 = sqlx::query_scalar(
            "INSERT INTO access_requests (town_id, token_hash, name, role, created_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(town_id)
        .bind(&device.token_hash)
        .bind(&device.name)
        .bind(&device.role)
        .bind(device.created_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(failed("storing an access request"))?;
        let request = request_in(&mut tx, request_id).await?;
        commit(tx).await?;
        Ok(CreateTownOutcome::Requested(Box::new(request)))
    }

    async fn access_request_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<AccessRequest>, StorageError> {
        sqlx::query(&format!("{} WHERE r.token_hash = $1", request_select()))
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await
            .map_err(failed("reading an access request"))?
            .map(|row| request_from(&row))
            .transpose()
    }

    async fn town(&self, town_id: i64) -> Result<Option<Town>, StorageError> {
        let row = sqlx::query(&format!(
            "SELECT {TOWN_COLUMNS}, {COMMUNE_COLUMNS} \
             FROM towns t JOIN communes c ON c.code = t.commune_code WHERE t.id = $1"
        ))
        .bind(town_id)
        .fetch_optional(self.reader())
        .await
        .map_err(failed("reading a town"))?;
        row.map(|row| town_from(&row)).transpose()
    }

    async fn authenticate(&self, token_hash: &str) -> Result<Option<AuthDevice>, StorageError> {
        let row = sqlx::query(
            "SELECT d.id, d.name, d.town_id, d.revoked_ms, d.admin, t.status AS town_status \
             FROM devices d JOIN towns t ON t.id = d.town_id WHERE d.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.reader())
        .await
        .map_err(failed("checking a token"))?;
        row.map(|row| {
            Ok(AuthDevice {
                id: get(&row, "id")?,
                name: get(&row, "name")?,
                town_id: get(&row, "town_id")?,
                revoked_ms: get(&row, "revoked_ms")?,
                admin: get(&row, "admin")?,
                town_status: town_status_from(&get::<String>(&row, "town_status")?)?,
            })
        })
        .transpose()
    }

    async fn devices(&self, town_id: i64) -> Result<Vec<Device>, StorageError> {
        sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE town_id = $1 ORDER BY created_ms, id"
        ))
        .bind(town_id)
        .fetch_all(self.reader())
        .await
        .map_err(failed("listing devices"))?
        .iter()
        .map(device_from)
        .collect()
    }

    async fn revoke_device(
        &self,
        town_id: i64,
        device_id: &str,
        by: &Remover,
        now_ms: i64,
    ) -> Result<RevokeOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        if !lock_town(&mut tx, town_id).await? {
            rollback(tx).await?;
            return Ok(RevokeOutcome::NotFound);
        }
        let row = sqlx::query(
            "SELECT role, admin, revoked_ms FROM devices WHERE id = $1 AND town_id = $2",
        )
        .bind(device_id)
        .bind(town_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("reading a device"))?;
        let Some(row) = row else {
            rollback(tx).await?;
            return Ok(RevokeOutcome::NotFound);
        };
        if get::<Option<i64>>(&row, "revoked_ms")?.is_some() {
            rollback(tx).await?;
            return Ok(RevokeOutcome::AlreadyRevoked);
        }
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(town_id);
        if let Remover::Device(caller) = by {
            if caller != device_id {
                let caller_admin: Option<bool> = sqlx::query_scalar(
                    "SELECT admin FROM devices WHERE id = $1 AND town_id = $2 \
                     AND revoked_ms IS NULL",
                )
                .bind(caller)
                .bind(town_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(failed("reading a device"))?;
                if caller_admin != Some(true) {
                    rollback(tx).await?;
                    return Ok(RevokeOutcome::NotAdmin);
                }
            }
            if get::<bool>(&row, "admin")? {
                let admins = count(
                    "SELECT COUNT(*) FROM devices WHERE town_id = $1 AND revoked_ms IS NULL \
                     AND admin = TRUE",
                )
                .fetch_one(&mut *tx)
                .await
                .map_err(failed("counting administrators"))?;
                if admins <= 1 {
                    rollback(tx).await?;
                    return Ok(RevokeOutcome::LastAdmin);
                }
            }
            let active =
                count("SELECT COUNT(*) FROM devices WHERE town_id = $1 AND revoked_ms IS NULL")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(failed("counting devices"))?;
            if active <= 1 {
                rollback(tx).await?;
                return Ok(RevokeOutcome::LastDevice);
            }
        }
        sqlx::query("UPDATE devices SET revoked_ms = $1 WHERE id = $2 AND town_id = $3")
            .bind(now_ms)
            .bind(device_id)
            .bind(town_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("removing a device"))?;
        // A removed phone's links must not let it (or whoever holds it) back in.
        sqlx::query("DELETE FROM invites WHERE created_by = $1 AND used_ms IS NULL")
            .bind(device_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("cancelling a device's invitations"))?;
        if let Remover::Operator(actor) = by {
            let town = town_ref(&mut tx, town_id).await?;
            // The role, not the name: the log outlives the town and keeps none of its content.
            let role: String = get(&row, "role")?;
            insert_audit(
                &mut tx,
                now_ms,
                actor,
                AuditAction::DeviceRemoved,
                town.as_ref(),
                Some(format!("un appareil ({role})")),
            )
            .await?;
        }
        commit(tx).await?;
        Ok(RevokeOutcome::Revoked)
    }

    async fn create_invite(
        &self,
        invite: &NewInvite,
        max_attempts: i64,
        max_live: Option<i64>,
    ) -> Result<CreateInviteOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        // The town first: the count of its live invitations holds until commit.
        let town = if lock_town(&mut tx, invite.town_id).await? {
            town_ref(&mut tx, invite.town_id).await?
        } else {
            None
        };
        let Some(town) = town.filter(|town| town.status != TownStatus::Rejected) else {
            rollback(tx).await?;
            return Ok(CreateInviteOutcome::NoTown);
        };
        if let Some(max_live) = max_live {
            let live: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM invites WHERE town_id = $1 AND used_ms IS NULL \
                 AND link_expires_ms > $2",
            )
            .bind(invite.town_id)
            .bind(invite.created_ms)
            .fetch_one(&mut *tx)
            .await
            .map_err(failed("counting invitations"))?;
            if live >= max_live {
                rollback(tx).await?;
                return Ok(CreateInviteOutcome::TooMany);
            }
        }
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM invites WHERE code_prefix = $1 AND used_ms IS NULL \
             AND attempts < $2 AND code_expires_ms > $3",
        )
        .bind(&invite.code_prefix)
        .bind(max_attempts)
        .bind(invite.created_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(failed("checking an invitation code"))?;
        if live > 0 {
            rollback(tx).await?;
            return Ok(CreateInviteOutcome::PrefixTaken);
        }
        sqlx::query(
            "INSERT INTO invites (town_id, created_by, operator_id, grants_admin, secret_hash, \
             code_prefix, code_hash, created_ms, code_expires_ms, link_expires_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(invite.town_id)
        .bind(&invite.created_by)
        .bind(invite.operator.as_ref().and_then(|actor| actor.operator_id))
        .bind(invite.grants_admin)
        .bind(&invite.secret_hash)
        .bind(&invite.code_prefix)
        .bind(&invite.code_hash)
        .bind(invite.created_ms)
        .bind(invite.code_expires_ms)
        .bind(invite.link_expires_ms)
        .execute(&mut *tx)
        .await
        .map_err(failed("creating an invitation"))?;
        if let Some(actor) = &invite.operator {
            insert_audit(
                &mut tx,
                invite.created_ms,
                actor,
                AuditAction::RecoveryIssued,
                Some(&town),
                None,
            )
            .await?;
        }
        commit(tx).await?;
        Ok(CreateInviteOutcome::Created)
    }

    async fn redeem_link(
        &self,
        secret_hash: &str,
        device: &NewDevice,
    ) -> Result<RedeemOutcome, StorageError> {
        let now = device.created_ms;
        let mut tx = begin(self.writer()).await?;
        let row = sqlx::query(&format!(
            "SELECT id, town_id, created_by, grants_admin, link_expires_ms, used_ms FROM invites \
             WHERE secret_hash = $1{FOR_UPDATE}"
        ))
        .bind(secret_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("reading an invitation"))?;
        let Some(row) = row else {
            rollback(tx).await?;
            return Ok(RedeemOutcome::Invalid);
        };
        let outcome = if get::<Option<i64>>(&row, "used_ms")?.is_some() {
            RedeemOutcome::Used
        } else if get::<i64>(&row, "link_expires_ms")? <= now {
            RedeemOutcome::Expired
        } else {
            let invite: i64 = get(&row, "id")?;
            let town_id: i64 = get(&row, "town_id")?;
            let created_by: Option<String> = get(&row, "created_by")?;
            let device = NewDevice {
                admin: device.admin || get::<bool>(&row, "grants_admin")?,
                ..device.clone()
            };
            insert_device(&mut tx, town_id, &device, created_by.as_deref()).await?;
            let claimed = sqlx::query(
                "UPDATE invites SET used_ms = $1, used_by = $2 WHERE id = $3 AND used_ms IS NULL",
            )
            .bind(now)
            .bind(&device.id)
            .bind(invite)
            .execute(&mut *tx)
            .await
            .map_err(failed("using an invitation"))?;
            if claimed.rows_affected() == 1 {
                commit(tx).await?;
                return Ok(RedeemOutcome::Joined { town_id });
            }
            RedeemOutcome::Used
        };
        rollback(tx).await?;
        Ok(outcome)
    }

    async fn redeem_code(
        &self,
        prefix: &str,
        code_hash: &str,
        device: &NewDevice,
        max_attempts: i64,
    ) -> Result<RedeemOutcome, StorageError> {
        let now = device.created_ms;
        let mut tx = begin(self.writer()).await?;
        // Creation keeps a prefix unique among live codes, so the newest invitation with it is
        // the only one that may still be live. Locked (PostgreSQL) until commit: concurrent
        // guesses are counted one after the other, never past the lock.
        let row = sqlx::query(&format!(
            "SELECT id, town_id, created_by, grants_admin, code_hash, code_expires_ms, attempts, \
             used_ms FROM invites WHERE code_prefix = $1 \
             ORDER BY created_ms DESC, id DESC LIMIT 1{FOR_UPDATE}"
        ))
        .bind(prefix)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("reading an invitation"))?;
        let Some(row) = row else {
            rollback(tx).await?;
            return Ok(RedeemOutcome::Invalid);
        };
        let invite: i64 = get(&row, "id")?;
        let used = get::<Option<i64>>(&row, "used_ms")?.is_some();
        let locked = get::<i64>(&row, "attempts")? >= max_attempts;
        let expired = get::<i64>(&row, "code_expires_ms")? <= now;
        if get::<String>(&row, "code_hash")? != code_hash {
            // A wrong code answers like an unknown prefix; it counts only on a live code.
            if !(used || locked || expired) {
                sqlx::query("UPDATE invites SET attempts = attempts + 1 WHERE id = $1")
                    .bind(invite)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed("counting a wrong code"))?;
                commit(tx).await?;
            } else {
                rollback(tx).await?;
            }
            return Ok(RedeemOutcome::Invalid);
        }
        let outcome = if used {
            RedeemOutcome::Used
        } else if locked {
            RedeemOutcome::Locked
        } else if expired {
            RedeemOutcome::Expired
        } else {
            let town_id: i64 = get(&row, "town_id")?;
            let created_by: Option<String> = get(&row, "created_by")?;
            let device = NewDevice {
                admin: device.admin || get::<bool>(&row, "grants_admin")?,
                ..device.clone()
            };
            insert_device(&mut tx, town_id, &device, created_by.as_deref()).await?;
            let claimed = sqlx::query(
                "UPDATE invites SET used_ms = $1, used_by = $2 \
                 WHERE id = $3 AND used_ms IS NULL AND attempts < $4",
            )
            .bind(now)
            .bind(&device.id)
            .bind(invite)
            .bind(max_attempts)
            .execute(&mut *tx)
            .await
            .map_err(failed("using an invitation"))?;
            if claimed.rows_affected() == 1 {
                commit(tx).await?;
                return Ok(RedeemOutcome::Joined { town_id });
            }
            RedeemOutcome::Used
        };
        rollback(tx).await?;
        Ok(outcome)
    }

    async fn push(
        &self,
        town_id: i64,
        device_id: &str,
        ops: &[NewOp],
        now_ms: i64,
        relay: bool,
    ) -> Result<PushOutcome, StorageError> {
        let push = PushArgs {
            town_id,
            device_id,
            ops,
            now_ms,
            relay,
        };
        match self.group_commit() {
            Some(writer) => writer.push(push).await,
            None => self
                .push_batch(&[push])
                .await
                .pop()
                .unwrap_or(Err(StorageError::WriterStopped)),
        }
    }

    async fn epoch(&self) -> Result<Epoch, StorageError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT key, value FROM server_meta WHERE key IN ('epoch', 'restored_ms')",
        )
        .fetch_all(self.reader())
        .await
        .map_err(failed("reading the database's epoch"))?;
        let mut epoch = Epoch::default();
        for (key, value) in rows {
            if key == "epoch" {
                epoch.id = value;
            } else {
                epoch.restored_ms = Some(
                    value
                        .parse()
                        .map_err(|_| corrupt(format!("restored_ms `{value}`")))?,
                );
            }
        }
        if epoch.id.is_empty() {
            return Err(corrupt("server_meta has no epoch"));
        }
        Ok(epoch)
    }

    async fn set_epoch(&self, id: &str, restored_ms: i64) -> Result<(), StorageError> {
        let mut tx = begin(self.writer()).await?;
        for (key, value) in [("epoch", id.to_string()), ("restored_ms", restored_ms.to_string())] {
            sqlx::query(
                "INSERT INTO server_meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await
            .map_err(failed("writing the database's epoch"))?;
        }
        commit(tx).await
    }

    async fn latest_clock(&self, town_id: i64) -> Result<Option<Hlc>, StorageError> {
        sqlx::query(
            "SELECT wall_ms, counter, device_id FROM ops WHERE town_id = $1 \
             ORDER BY wall_ms DESC, counter DESC, device_id DESC LIMIT 1",
        )
        .bind(town_id)
        .fetch_optional(self.reader())
        .await
        .map_err(failed("reading the town's latest clock"))?
        .map(|row| {
            let counter: i64 = get(&row, "counter")?;
            Ok(Hlc {
                wall_ms: unsigned(get(&row, "wall_ms")?, "wall_ms")?,
                counter: u32::try_from(counter)
                    .map_err(|_| corrupt(format!("counter {counter}")))?,
                device: get(&row, "device_id")?,
            })
        })
        .transpose()
    }

    async fn pull(&self, town_id: i64, after: i64, limit: i64) -> Result<PulledOps, StorageError> {
        let last_seq: i64 = sqlx::query_scalar("SELECT last_seq FROM towns WHERE id = $1")
            .bind(town_id)
            .fetch_optional(self.reader())
            .await
            .map_err(failed("reading the town's counter"))?
            .unwrap_or(0);
        let ops = sqlx::query(&format!(
            "SELECT {OP_COLUMNS} FROM ops WHERE town_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ))
        .bind(town_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .map_err(failed("reading operations"))?
        .iter()
        .map(op_from)
        .collect::<Result<_, _>>()?;
        Ok(PulledOps { ops, last_seq })
    }

    async fn add_operator(
        &self,
        name: &str,
        email: Option<&str>,
        link: &NewEnrolmentLink,
        actor: &Actor,
    ) -> Result<Operator, StorageError> {
        let mut tx = begin(self.writer()).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO operators (name, email, created_ms) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(email)
        .bind(link.created_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(failed("adding an operator"))?;
        insert_link(&mut tx, id, link).await?;
        insert_audit(
            &mut tx,
            link.created_ms,
            actor,
            AuditAction::OperatorAdded,
            None,
            Some(format!("« {name} » (n° {id})")),
        )
        .await?;
        let operator = operator_in(&mut tx, id).await?;
        commit(tx).await?;
        Ok(operator)
    }

    async fn operators(&self) -> Result<Vec<(Operator, bool)>, StorageError> {
        sqlx::query(&format!(
            "SELECT {OPERATOR_COLUMNS}, (SELECT COUNT(*) FROM operator_tokens k \
             WHERE k.operator_id = o.id) AS tokens FROM operators o ORDER BY o.id"
        ))
        .fetch_all(self.reader())
        .await
        .map_err(failed("listing operators"))?
        .iter()
        .map(|row| Ok((operator_from(row)?, get::<i64>(row, "tokens")? > 0)))
        .collect()
    }

    async fn remove_operator(
        &self,
        id: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<Option<Operator>, StorageError> {
        let mut tx = begin(self.writer()).await?;
        let row = sqlx::query(&format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators o WHERE o.id = $1{FOR_UPDATE}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("reading an operator"))?;
        let Some(row) = row else {
            rollback(tx).await?;
            return Ok(None);
        };
        let operator = operator_from(&row)?;
        if operator.removed_ms.is_some() {
            rollback(tx).await?;
            return Ok(Some(operator));
        }
        for (sql, what) in [
            (
                "UPDATE operators SET removed_ms = $1 WHERE id = $2",
                "removing an operator",
            ),
            (
                "UPDATE operator_tokens SET revoked_ms = $1 \
                 WHERE operator_id = $2 AND revoked_ms IS NULL",
                "revoking an operator's tokens",
            ),
            (
                "UPDATE operator_enrolments SET expires_ms = $1 \
                 WHERE operator_id = $2 AND used_ms IS NULL AND expires_ms > $1",
                "cancelling an operator's links",
            ),
        ] {
            sqlx::query(sql)
                .bind(now_ms)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(failed(what))?;
        }
        insert_audit(
            &mut tx,
            now_ms,
            actor,
            AuditAction::OperatorRemoved,
            None,
            Some(format!("« {} » (n° {id})", operator.name)),
        )
        .await?;
        let operator = operator_in(&mut tx, id).await?;
        commit(tx).await?;
        Ok(Some(operator))
    }

    async fn bootstrap_operator(&self, link: &NewEnrolmentLink) -> Result<bool, StorageError> {
        let mut tx = begin(self.writer()).await?;
        sqlx::query(LOCK_BOOTSTRAP)
            .execute(&mut *tx)
            .await
            .map_err(failed("serialising the first operator"))?;
        let enrolled: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM operators o WHERE o.removed_ms IS NULL AND EXISTS \
             (SELECT 1 FROM operator_tokens k WHERE k.operator_id = o.id \
             AND k.revoked_ms IS NULL)",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(failed("counting operators"))?;
        if enrolled > 0 {
            rollback(tx).await?;
            return Ok(false);
        }
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM operators WHERE bootstrap = TRUE AND removed_ms IS NULL \
             ORDER BY id LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("reading operators"))?;
        let id = match existing {
            Some(id) => id,
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO operators (name, created_ms, bootstrap) \
                     VALUES ($1, $2, TRUE) RETURNING id",
                )
                .bind(BOOTSTRAP_OPERATOR)
                .bind(link.created_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(failed("adding the first operator"))?;
                insert_audit(
                    &mut tx,
                    link.created_ms,
                    &Actor::server(),
                    AuditAction::OperatorAdded,
                    None,
                    Some(format!("« {BOOTSTRAP_OPERATOR} » (n° {id})")),
                )
                .await?;
                id
            }
        };
        // One link at a time: the previous start's stops working.
        sqlx::query("DELETE FROM operator_enrolments WHERE operator_id = $1 AND used_ms IS NULL")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(failed("cancelling the first operator's links"))?;
        insert_link(&mut tx, id, link).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn enrol_operator(
        &self,
        secret_hash: &str,
        token_hash: &str,
        device_name: &str,
        now_ms: i64,
    ) -> Result<EnrolOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        let row = sqlx::query(&format!(
            "SELECT id, operator_id, expires_ms, used_ms FROM operator_enrolments \
             WHERE secret_hash = $1{FOR_UPDATE}"
        ))
        .bind(secret_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("reading an enrolment link"))?;
        let Some(row) = row else {
            rollback(tx).await?;
            return Ok(EnrolOutcome::Unknown);
        };
        let operator_id: i64 = get(&row, "operator_id")?;
        let operator = operator_in(&mut tx, operator_id).await?;
        if get::<Option<i64>>(&row, "used_ms")?.is_some()
            || get::<i64>(&row, "expires_ms")? <= now_ms
            || operator.removed_ms.is_some()
        {
            rollback(tx).await?;
            return Ok(EnrolOutcome::Spent);
        }
        sqlx::query("UPDATE operator_enrolments SET used_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(get::<i64>(&row, "id")?)
            .execute(&mut *tx)
            .await
            .map_err(failed("using an enrolment link"))?;
        sqlx::query(
            "INSERT INTO operator_tokens (operator_id, token_hash, device_name, created_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(operator_id)
        .bind(token_hash)
        .bind(device_name)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(failed("storing an operator token"))?;
        insert_audit(
            &mut tx,
            now_ms,
            &Actor::operator(operator_id, &operator.name),
            AuditAction::OperatorEnrolled,
            None,
            Some(format!("navigateur « {device_name} »")),
        )
        .await?;
        commit(tx).await?;
        Ok(EnrolOutcome::Enrolled(operator))
    }

    async fn authenticate_operator(
        &self,
        token_hash: &str,
    ) -> Result<Option<AuthOperator>, StorageError> {
        let row = sqlx::query(
            "SELECT o.id, o.name, o.removed_ms, k.revoked_ms AS token_revoked_ms \
             FROM operator_tokens k JOIN operators o ON o.id = k.operator_id \
             WHERE k.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.reader())
        .await
        .map_err(failed("checking an operator token"))?;
        row.map(|row| {
            Ok(AuthOperator {
                id: get(&row, "id")?,
                name: get(&row, "name")?,
                removed: get::<Option<i64>>(&row, "removed_ms")?.is_some()
                    || get::<Option<i64>>(&row, "token_revoked_ms")?.is_some(),
            })
        })
        .transpose()
    }

    async fn operator_towns(&self, query: &TownQuery) -> Result<TownList, StorageError> {
        let mut select = QueryBuilder::<Db>::new(summary_select());
        push_town_filters(&mut select, query);
        select
            .push(
                " ORDER BY CASE WHEN t.status = 'pending' OR EXISTS (SELECT 1 FROM \
                 access_requests r WHERE r.town_id = t.id AND r.status = 'pending') \
                 THEN 0 ELSE 1 END, c.name, t.id LIMIT ",
            )
            .push_bind(query.limit);
        let towns = select
            .build()
            .fetch_all(self.reader())
            .await
            .map_err(failed("listing towns"))?
            .iter()
            .map(summary_from)
            .collect::<Result<_, _>>()?;
        let mut count = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM towns t JOIN communes c ON c.code = t.commune_code",
        );
        push_town_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(self.reader())
            .await
            .map_err(failed("counting towns"))?;
        Ok(TownList {
            towns,
            total: unsigned(total, "count")?,
        })
    }

    async fn town_detail(&self, town_id: i64) -> Result<Option<TownDetail>, StorageError> {
        let row = sqlx::query(&format!("{} WHERE t.id = $1", summary_select()))
            .bind(town_id)
            .fetch_optional(self.reader())
            .await
            .map_err(failed("reading a town"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let town = summary_from(&row)?;
        let devices = self.devices(town_id).await?;
        let requests = sqlx::query(&format!(
            "{} WHERE r.town_id = $1 ORDER BY r.created_ms DESC, r.id DESC",
            request_select()
        ))
        .bind(town_id)
        .fetch_all(self.reader())
        .await
        .map_err(failed("listing access requests"))?
        .iter()
        .map(request_from)
        .collect::<Result<_, _>>()?;
        Ok(Some(TownDetail {
            town,
            devices,
            requests,
        }))
    }

    async fn set_town_status(
        &self,
        town_id: i64,
        status: TownStatus,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<StatusOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        let town = if lock_town(&mut tx, town_id).await? {
            town_ref(&mut tx, town_id).await?
        } else {
            None
        };
        let Some(town) = town else {
            rollback(tx).await?;
            return Ok(StatusOutcome::NotFound);
        };
        let action = match (town.status, status) {
            (TownStatus::Pending, TownStatus::Verified) => {
                sqlx::query("UPDATE towns SET status = 'verified', verified_ms = $1 WHERE id = $2")
                    .bind(now_ms)
                    .bind(town_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed("verifying a town"))?;
                AuditAction::TownVerified
            }
            (TownStatus::Pending | TownStatus::Verified, TownStatus::Rejected) => {
                reject_town(&mut tx, town_id, now_ms).await?;
                AuditAction::TownRejected
            }
            (current, _) => {
                rollback(tx).await?;
                return Ok(StatusOutcome::WrongState(current));
            }
        };
        insert_audit(&mut tx, now_ms, actor, action, Some(&town), None).await?;
        let summary = summary_in(&mut tx, town_id).await?;
        commit(tx).await?;
        Ok(StatusOutcome::Changed(Box::new(summary)))
    }

    async fn pending_requests(&self) -> Result<Vec<AccessRequest>, StorageError> {
        sqlx::query(&format!(
            "{} WHERE r.status = 'pending' ORDER BY r.created_ms, r.id",
            request_select()
        ))
        .fetch_all(self.reader())
        .await
        .map_err(failed("listing access requests"))?
        .iter()
        .map(request_from)
        .collect()
    }

    async fn decide_request(
        &self,
        request_id: i64,
        decision: DecisionKind,
        device_id: &str,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<DecideOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        // A request's town never changes: read it, then lock town before request.
        let town_id: Option<i64> =
            sqlx::query_scalar("SELECT town_id FROM access_requests WHERE id = $1")
                .bind(request_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(failed("reading an access request"))?;
        let Some(town_id) = town_id else {
            rollback(tx).await?;
            return Ok(DecideOutcome::NotFound);
        };
        lock_town(&mut tx, town_id).await?;
        let row = sqlx::query(&format!(
            "SELECT status, name, role, token_hash, created_ms FROM access_requests \
             WHERE id = $1{FOR_UPDATE}"
        ))
        .bind(request_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(failed("reading an access request"))?;
        let town = town_ref(&mut tx, town_id).await?;
        let (Some(town), "pending") = (town, get::<String>(&row, "status")?.as_str()) else {
            rollback(tx).await?;
            return Ok(DecideOutcome::WrongState);
        };
        let name: String = get(&row, "name")?;
        let role_text: String = get(&row, "role")?;
        let role = role_from(&role_text)?;
        // The role, not the name: the log outlives the town and keeps none of its content.
        let detail = format!("demande n° {request_id} ({role_text})");
        let device = |admin| NewDevice {
            id: device_id.to_string(),
            token_hash: String::new(),
            name: name.clone(),
            role: role_text.clone(),
            created_ms: now_ms,
            admin,
        };
        let token_hash: String = get(&row, "token_hash")?;
        let (status, device_town, action, audit_town) = match decision {
            DecisionKind::Join => {
                if town.status == TownStatus::Rejected {
                    rollback(tx).await?;
                    return Ok(DecideOutcome::WrongState);
                }
                let new = NewDevice {
                    token_hash,
                    ..device(is_admin(role, false))
                };
                insert_device(&mut tx, town_id, &new, None).await?;
                ("joined", Some(town_id), AuditAction::RequestJoined, town)
            }
            DecisionKind::Replace => {
                if town.status != TownStatus::Rejected {
                    reject_town(&mut tx, town_id, now_ms).await?;
                    insert_audit(
                        &mut tx,
                        now_ms,
                        actor,
                        AuditAction::TownRejected,
                        Some(&town),
                        Some(format!("remplacé (demande n° {request_id})")),
                    )
                    .await?;
                }
                // An operator just vouched for the requester: the new space is verified.
                let new_town: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO towns (commune_code, created_ms, status, verified_ms) \
                     VALUES ($1, $2, 'verified', $2) \
                     ON CONFLICT (commune_code) WHERE status <> 'rejected' DO NOTHING \
                     RETURNING id",
                )
                .bind(&town.code)
                .bind(now_ms)
                .fetch_optional(&mut *tx)
                .await
                .map_err(failed("creating a town"))?;
                let Some(new_town) = new_town else {
                    rollback(tx).await?;
                    return Ok(DecideOutcome::WrongState);
                };
                let new = NewDevice {
                    token_hash,
                    ..device(true)
                };
                insert_device(&mut tx, new_town, &new, None).await?;
                let new_ref = TownRef {
                    id: new_town,
                    status: TownStatus::Verified,
                    ..town
                };
                (
                    "replaced",
                    Some(new_town),
                    AuditAction::RequestReplaced,
                    new_ref,
                )
            }
            DecisionKind::Refuse => ("refused", None, AuditAction::RequestRefused, town),
        };
        sqlx::query(
            "UPDATE access_requests SET status = $1, decided_ms = $2, decided_by = $3, \
             device_id = $4 WHERE id = $5",
        )
        .bind(status)
        .bind(now_ms)
        .bind(actor.operator_id)
        .bind(device_town.map(|_| device_id))
        .bind(request_id)
        .execute(&mut *tx)
        .await
        .map_err(failed("deciding an access request"))?;
        insert_audit(
            &mut tx,
            now_ms,
            actor,
            action,
            Some(&audit_town),
            Some(detail),
        )
        .await?;
        let request = request_in(&mut tx, request_id).await?;
        commit(tx).await?;
        Ok(DecideOutcome::Decided(Box::new(request)))
    }

    async fn audit_log(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StorageError> {
        let mut select = QueryBuilder::<Db>::new(
            "SELECT id, at_ms, actor, operator_id, action, town_id, commune_code, commune_name, \
             detail FROM audit_log",
        );
        if let Some(before) = before {
            select.push(" WHERE id < ").push_bind(before);
        }
        select.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        select
            .build()
            .fetch_all(self.reader())
            .await
            .map_err(failed("reading the audit log"))?
            .iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: get(row, "id")?,
                    at_ms: unsigned(get(row, "at_ms")?, "at_ms")?,
                    actor: get(row, "actor")?,
                    operator_id: get(row, "operator_id")?,
                    action: enum_from(&get::<String>(row, "action")?, "audit action")?,
                    town_id: get(row, "town_id")?,
                    commune_code: get(row, "commune_code")?,
                    commune_name: get(row, "commune_name")?,
                    detail: get(row, "detail")?,
                })
            })
            .collect()
    }

    async fn all_ops(&self, town_id: i64) -> Result<Vec<Operation>, StorageError> {
        sqlx::query(&format!(
            "SELECT {OP_COLUMNS} FROM ops WHERE town_id = $1 ORDER BY seq"
        ))
        .bind(town_id)
        .fetch_all(self.reader())
        .await
        .map_err(failed("reading operations"))?
        .iter()
        .map(|row| op_from(row).map(|(_, op)| op))
        .collect()
    }

    async fn erase_town(
        &self,
        town_id: i64,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<Option<u64>, StorageError> {
        let mut tx = begin(self.writer()).await?;
        let town = if lock_town(&mut tx, town_id).await? {
            town_ref(&mut tx, town_id).await?
        } else {
            None
        };
        let Some(town) = town else {
            rollback(tx).await?;
            return Ok(None);
        };
        let ops = purge_town(&mut tx, town_id).await?;
        insert_audit(
            &mut tx,
            now_ms,
            actor,
            AuditAction::TownErased,
            Some(&town),
            Some(format!("{ops} opération(s) effacée(s)")),
        )
        .await?;
        commit(tx).await?;
        Ok(Some(ops))
    }

    async fn retention(
        &self,
        now_ms: i64,
        devices_unseen_before_ms: i64,
        rejected_before_ms: i64,
    ) -> Result<RetentionReport, StorageError> {
        // A link outlives its code: past the link's expiry the invitation is of no use.
        let invites_purged = sqlx::query("DELETE FROM invites WHERE link_expires_ms <= $1")
            .bind(now_ms)
            .execute(self.writer())
            .await
            .map_err(failed("purging expired invitations"))?
            .rows_affected();
        let mut report = RetentionReport {
            invites_purged,
            ..RetentionReport::default()
        };

        let stale_towns: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT town_id FROM devices WHERE revoked_ms IS NULL \
             AND COALESCE(last_seen_ms, created_ms) < $1 ORDER BY town_id",
        )
        .bind(devices_unseen_before_ms)
        .fetch_all(self.reader())
        .await
        .map_err(failed("finding devices unseen for long"))?;
        for town_id in stale_towns {
            let mut tx = begin(self.writer()).await?;
            lock_town(&mut tx, town_id).await?;
            let removed: Vec<String> = sqlx::query_scalar(
                "UPDATE devices SET revoked_ms = $1 WHERE town_id = $2 AND revoked_ms IS NULL \
                 AND COALESCE(last_seen_ms, created_ms) < $3 RETURNING id",
            )
            .bind(now_ms)
            .bind(town_id)
            .bind(devices_unseen_before_ms)
            .fetch_all(&mut *tx)
            .await
            .map_err(failed("removing devices unseen for long"))?;
            if removed.is_empty() {
                rollback(tx).await?;
                continue;
            }
            sqlx::query(
                "DELETE FROM invites WHERE town_id = $1 AND used_ms IS NULL AND created_by IN \
                 (SELECT id FROM devices WHERE town_id = $1 AND revoked_ms IS NOT NULL)",
            )
            .bind(town_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("cancelling removed devices' invitations"))?;
            let town = town_ref(&mut tx, town_id).await?;
            insert_audit(
                &mut tx,
                now_ms,
                &Actor::server(),
                AuditAction::DevicesExpired,
                town.as_ref(),
                Some(format!("{} appareil(s) retiré(s)", removed.len())),
            )
            .await?;
            commit(tx).await?;
            report.devices_expired += removed.len() as u64;
        }

        let rejected: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM towns WHERE status = 'rejected' AND rejected_ms < $1 ORDER BY id",
        )
        .bind(rejected_before_ms)
        .fetch_all(self.reader())
        .await
        .map_err(failed("finding rejected towns"))?;
        for town_id in rejected {
            let mut tx = begin(self.writer()).await?;
            lock_town(&mut tx, town_id).await?;
            let Some(town) = town_ref(&mut tx, town_id).await? else {
                rollback(tx).await?;
                continue;
            };
            let ops = purge_town(&mut tx, town_id).await?;
            insert_audit(
                &mut tx,
                now_ms,
                &Actor::server(),
                AuditAction::TownPurged,
                Some(&town),
                Some(format!("{ops} opération(s) effacée(s)")),
            )
            .await?;
            commit(tx).await?;
            report.towns_purged += 1;
        }
        Ok(report)
    }

    async fn network_towns(&self) -> Result<Vec<NetworkTown>, StorageError> {
        sqlx::query(&format!(
            "SELECT {TOWN_COLUMNS}, {COMMUNE_COLUMNS}, t.last_seq AS town_last_seq \
             FROM towns t JOIN communes c ON c.code = t.commune_code \
             WHERE t.status <> 'rejected' ORDER BY t.id"
        ))
        .fetch_all(self.reader())
        .await
        .map_err(failed("reading the network's towns"))?
        .iter()
        .map(|row| {
            Ok(NetworkTown {
                id: get(row, "town_id")?,
                space: town_from(row)?,
                last_seq: get(row, "town_last_seq")?,
            })
        })
        .collect()
    }

    async fn campaign_ops(
        &self,
        town_id: i64,
        campaign: &str,
    ) -> Result<Vec<Operation>, StorageError> {
        sqlx::query(&format!(
            "SELECT {OP_COLUMNS} FROM ops WHERE town_id = $1 AND campaign = $2 ORDER BY seq"
        ))
        .bind(town_id)
        .bind(campaign)
        .fetch_all(self.reader())
        .await
        .map_err(failed("reading a campaign's operations"))?
        .iter()
        .map(|row| op_from(row).map(|(_, op)| op))
        .collect()
    }

    async fn network_campaigns(&self) -> Result<Vec<String>, StorageError> {
        sqlx::query(
            "SELECT DISTINCT campaign FROM ops WHERE question LIKE 'release:%' \
             UNION SELECT campaign FROM network_ledgers ORDER BY campaign",
        )
        .fetch_all(self.reader())
        .await
        .map_err(failed("listing the network's campaigns"))?
        .iter()
        .map(|row| get(row, "campaign"))
        .collect()
    }

    async fn ledger(&self, campaign: &str) -> Result<Option<StoredLedger>, StorageError> {
        sqlx::query("SELECT ledger, updated_ms FROM network_ledgers WHERE campaign = $1")
            .bind(campaign)
            .fetch_optional(self.reader())
            .await
            .map_err(failed("reading a publication ledger"))?
            .map(|row| {
                Ok(StoredLedger {
                    json: get(&row, "ledger")?,
                    updated_ms: get(&row, "updated_ms")?,
                })
            })
            .transpose()
    }

    async fn ledger_version(&self, campaign: &str) -> Result<Option<i64>, StorageError> {
        sqlx::query_scalar("SELECT updated_ms FROM network_ledgers WHERE campaign = $1")
            .bind(campaign)
            .fetch_optional(self.reader())
            .await
            .map_err(failed("reading a publication ledger's date"))
    }

    async fn save_ledger(&self, campaign: &str, ledger: &StoredLedger) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO network_ledgers (campaign, ledger, updated_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (campaign) DO UPDATE \
             SET ledger = excluded.ledger, updated_ms = excluded.updated_ms",
        )
        .bind(campaign)
        .bind(&ledger.json)
        .bind(ledger.updated_ms)
        .execute(self.writer())
        .await
        .map_err(failed("writing a publication ledger"))?;
        Ok(())
    }

    async fn submit_example(
        &self,
        town_id: i64,
        device_id: &str,
        draft: &AtlasDraft,
        max_pending: i64,
        now_ms: i64,
    ) -> Result<SubmitOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        // Counting then inserting under the town's lock: two phones cannot both slip under the
        // limit.
        lock_town(&mut tx, town_id).await?;
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM atlas_examples WHERE town_id = $1 AND status = 'pending'",
        )
        .bind(town_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(failed("counting a town's pending examples"))?;
        if pending >= max_pending {
            rollback(tx).await?;
            return Ok(SubmitOutcome::TooManyPending);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO atlas_examples (town_id, device_id, campaign, question, what, partner, \
             cost, duration, contact_role, public_contact, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(town_id)
        .bind(device_id)
        .bind(&draft.campaign)
        .bind(&draft.question)
        .bind(&draft.what)
        .bind(draft.partner.id())
        .bind(draft.cost.id())
        .bind(draft.duration.id())
        .bind(&draft.contact_role)
        .bind(draft.public_contact.as_deref())
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(failed("storing an atlas example"))?;
        let example = example_in(&mut tx, id).await?;
        commit(tx).await?;
        Ok(SubmitOutcome::Submitted(Box::new(example)))
    }

    async fn town_examples(&self, town_id: i64) -> Result<Vec<AtlasExample>, StorageError> {
        sqlx::query(&format!(
            "{} WHERE e.town_id = $1 ORDER BY e.created_ms DESC, e.id DESC",
            example_select()
        ))
        .bind(town_id)
        .fetch_all(self.reader())
        .await
        .map_err(failed("reading a town's atlas examples"))?
        .iter()
        .map(example_from)
        .collect()
    }

    async fn delete_example(&self, town_id: i64, example_id: i64) -> Result<bool, StorageError> {
        let deleted = sqlx::query("DELETE FROM atlas_examples WHERE id = $1 AND town_id = $2")
            .bind(example_id)
            .bind(town_id)
            .execute(self.writer())
            .await
            .map_err(failed("deleting an atlas example"))?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn published_examples(
        &self,
        question: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AtlasExample>, StorageError> {
        sqlx::query(&format!(
            "{} WHERE e.status = 'published' AND t.status <> 'rejected' \
             AND ($1 IS NULL OR e.question = $1) \
             ORDER BY e.created_ms DESC, e.id DESC LIMIT $2",
            example_select()
        ))
        .bind(question)
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .map_err(failed("reading published atlas examples"))?
        .iter()
        .map(example_from)
        .collect()
    }

    async fn operator_examples(
        &self,
        status: Option<AtlasStatus>,
        limit: i64,
    ) -> Result<Vec<AtlasExample>, StorageError> {
        sqlx::query(&format!(
            "{} WHERE ($1 IS NULL OR e.status = $1) ORDER BY e.created_ms, e.id LIMIT $2",
            example_select()
        ))
        .bind(status.map(AtlasStatus::id))
        .bind(limit)
        .fetch_all(self.reader())
        .await
        .map_err(failed("reading atlas examples to moderate"))?
        .iter()
        .map(example_from)
        .collect()
    }

    async fn moderate_example(
        &self,
        example_id: i64,
        status: AtlasStatus,
        refusal: Option<&str>,
        actor: &Actor,
        now_ms: i64,
    ) -> Result<ModerateOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        // One statement decides: two operators acting at once cannot both change it.
        let town_id: Option<i64> = sqlx::query_scalar(
            "UPDATE atlas_examples SET status = $1, refusal = $2, decided_ms = $3, \
             decided_by = $4 WHERE id = $5 AND status <> $1 RETURNING town_id",
        )
        .bind(status.id())
        .bind(refusal)
        .bind(now_ms)
        .bind(actor.operator_id)
        .bind(example_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("moderating an atlas example"))?;
        let Some(town_id) = town_id else {
            let current: Option<String> =
                sqlx::query_scalar("SELECT status FROM atlas_examples WHERE id = $1")
                    .bind(example_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(failed("reading an atlas example"))?;
            rollback(tx).await?;
            return match current {
                None => Ok(ModerateOutcome::NotFound),
                Some(current) => Ok(ModerateOutcome::WrongState(choice(
                    AtlasStatus::parse,
                    &current,
                    "example status",
                )?)),
            };
        };
        let example = example_in(&mut tx, example_id).await?;
        let town = town_ref(&mut tx, town_id).await?;
        let action = match status {
            AtlasStatus::Published => AuditAction::ExamplePublished,
            AtlasStatus::Pending | AtlasStatus::Refused => AuditAction::ExampleRefused,
        };
        insert_audit(
            &mut tx,
            now_ms,
            actor,
            action,
            town.as_ref(),
            Some(format!("exemple n° {example_id} ({})", example.question)),
        )
        .await?;
        commit(tx).await?;
        Ok(ModerateOutcome::Moderated(Box::new(example)))
    }
}
