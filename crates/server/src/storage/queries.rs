// The SQL of both backends, `include!`d by `sqlite.rs` and `postgres.rs` (see `storage/mod.rs`).
// The including module defines `Db` (the sqlx database), `Backend` (its storage type, with
// `writer()`, `reader()`, `ping_db()` and `close_pools()`) and `BACKEND` (its name).
//
// Only SQL both engines run identically is written here: `$n` parameters (SQLite reads `$1` as
// the first argument), `RETURNING`, `ON CONFLICT`, `||`, `lower`, and BIGINT casts where
// PostgreSQL would otherwise type an expression as a 32-bit integer.

use diagnostic::sync::{Commune, CommuneMatch, Device, Epci, Hlc, Operation, Role, Town};
use sqlx::{QueryBuilder, Row};

use crate::storage::{
    AuthDevice, CommuneQuery, CommuneRow, CreateTownOutcome, NewDevice, NewInvite, NewOp,
    PulledOps, PushOutcome, RedeemOutcome, RevokeOutcome, Storage, StorageError,
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
        admin: false,
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

/// Whether a stored operation is the one `new` (from `device`, in `town_id`) describes: a retry.
/// The clock counts: the same id with another clock is another operation (a conflict). A clamped
/// clock is stored clamped, but its wall time as sent is kept (`sent_wall_ms`) and a clamp never
/// changes the counter, so a retry of a clamped operation matches whenever it comes.
fn same_op(row: &DbRow, town_id: i64, new: &NewOp) -> Result<bool, StorageError> {
    let op = &new.op;
    Ok(get::<i64>(row, "town_id")? == town_id
        && get::<String>(row, "device_id")? == op.device
        && get::<String>(row, "campaign")? == op.campaign
        && get::<String>(row, "question")? == op.question
        && get::<Option<String>>(row, "option_id")? == op.option
        && get::<Option<String>>(row, "comment")? == op.comment
        && get::<String>(row, "base")? == join_base(&op.base)
        && get::<i64>(row, "sent_wall_ms")? == new.sent_wall_ms
        && get::<i64>(row, "counter")? == i64::from(op.clock.counter))
}

/// The columns [`same_op`] compares.
const SAME_OP_COLUMNS: &str =
    "id, town_id, device_id, campaign, question, option_id, comment, base, sent_wall_ms, counter";

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
         invited_by) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(&device.id)
    .bind(town_id)
    .bind(&device.token_hash)
    .bind(&device.name)
    .bind(&device.role)
    .bind(device.created_ms)
    .bind(invited_by)
    .execute(&mut **tx)
    .await
    .map_err(failed("enrolling a device"))?;
    Ok(())
}

/// Takes the town's row lock (PostgreSQL) for the rest of the transaction, so that operations on
/// one town that read then write (removing a device) happen one after the other.
async fn lock_town(tx: &mut Tx, town_id: i64) -> Result<(), StorageError> {
    sqlx::query("UPDATE towns SET last_seq = last_seq WHERE id = $1")
        .bind(town_id)
        .execute(&mut **tx)
        .await
        .map_err(failed("locking the town"))?;
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
             LEFT JOIN towns t ON t.commune_code = c.code WHERE 1 = 1",
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
        let town_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO towns (commune_code, created_ms) VALUES ($1, $2) \
             ON CONFLICT (commune_code) DO NOTHING RETURNING id",
        )
        .bind(commune)
        .bind(device.created_ms)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("creating a town"))?;
        let Some(town_id) = town_id else {
            rollback(tx).await?;
            return Ok(CreateTownOutcome::Exists { commune_name });
        };
        insert_device(&mut tx, town_id, device, None).await?;
        commit(tx).await?;
        Ok(CreateTownOutcome::Created { town_id })
    }

    async fn town(&self, town_id: i64) -> Result<Option<Town>, StorageError> {
        let row = sqlx::query(&format!(
            "SELECT t.created_ms AS town_created_ms, {COMMUNE_COLUMNS} \
             FROM towns t JOIN communes c ON c.code = t.commune_code WHERE t.id = $1"
        ))
        .bind(town_id)
        .fetch_optional(self.reader())
        .await
        .map_err(failed("reading a town"))?;
        row.map(|row| {
            Ok(Town {
                commune: commune_from(&row)?,
                created_ms: unsigned(get(&row, "town_created_ms")?, "created_ms")?,
                status: diagnostic::association::TownStatus::Verified,
            })
        })
        .transpose()
    }

    async fn authenticate(&self, token_hash: &str) -> Result<Option<AuthDevice>, StorageError> {
        let row = sqlx::query("SELECT id, town_id, revoked_ms FROM devices WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await
            .map_err(failed("checking a token"))?;
        row.map(|row| {
            Ok(AuthDevice {
                id: get(&row, "id")?,
                town_id: get(&row, "town_id")?,
                revoked_ms: get(&row, "revoked_ms")?,
            })
        })
        .transpose()
    }

    async fn touch_device(&self, device_id: &str, now_ms: i64) -> Result<(), StorageError> {
        sqlx::query("UPDATE devices SET last_seen_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(device_id)
            .execute(self.writer())
            .await
            .map_err(failed("recording a device's visit"))?;
        Ok(())
    }

    async fn devices(&self, town_id: i64) -> Result<Vec<Device>, StorageError> {
        sqlx::query(
            "SELECT id, name, role, created_ms, last_seen_ms, revoked_ms FROM devices \
             WHERE town_id = $1 ORDER BY created_ms, id",
        )
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
        now_ms: i64,
    ) -> Result<RevokeOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        lock_town(&mut tx, town_id).await?;
        let revoked: Option<Option<i64>> =
            sqlx::query_scalar("SELECT revoked_ms FROM devices WHERE id = $1 AND town_id = $2")
                .bind(device_id)
                .bind(town_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(failed("reading a device"))?;
        let outcome = match revoked {
            None => RevokeOutcome::NotFound,
            Some(Some(_)) => RevokeOutcome::AlreadyRevoked,
            Some(None) => {
                let active: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM devices WHERE town_id = $1 AND revoked_ms IS NULL",
                )
                .bind(town_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(failed("counting devices"))?;
                if active <= 1 {
                    RevokeOutcome::LastDevice
                } else {
                    sqlx::query(
                        "UPDATE devices SET revoked_ms = $1 WHERE id = $2 AND town_id = $3",
                    )
                    .bind(now_ms)
                    .bind(device_id)
                    .bind(town_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed("removing a device"))?;
                    RevokeOutcome::Revoked
                }
            }
        };
        if outcome == RevokeOutcome::Revoked {
            commit(tx).await?;
        } else {
            rollback(tx).await?;
        }
        Ok(outcome)
    }

    async fn create_invite(
        &self,
        invite: &NewInvite,
        max_attempts: i64,
    ) -> Result<bool, StorageError> {
        let mut tx = begin(self.writer()).await?;
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
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO invites (town_id, created_by, secret_hash, code_prefix, code_hash, \
             created_ms, code_expires_ms, link_expires_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(invite.town_id)
        .bind(&invite.created_by)
        .bind(&invite.secret_hash)
        .bind(&invite.code_prefix)
        .bind(&invite.code_hash)
        .bind(invite.created_ms)
        .bind(invite.code_expires_ms)
        .bind(invite.link_expires_ms)
        .execute(&mut *tx)
        .await
        .map_err(failed("creating an invitation"))?;
        commit(tx).await?;
        Ok(true)
    }

    async fn redeem_link(
        &self,
        secret_hash: &str,
        device: &NewDevice,
    ) -> Result<RedeemOutcome, StorageError> {
        let now = device.created_ms;
        let mut tx = begin(self.writer()).await?;
        let row = sqlx::query(
            "SELECT id, town_id, created_by, link_expires_ms, used_ms FROM invites \
             WHERE secret_hash = $1",
        )
        .bind(secret_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("reading an invitation"))?;
        let Some(row) = row else {
            rollback(tx).await?;
            return Ok(RedeemOutcome::NotFound);
        };
        let outcome = if get::<Option<i64>>(&row, "used_ms")?.is_some() {
            RedeemOutcome::Used
        } else if get::<i64>(&row, "link_expires_ms")? <= now {
            RedeemOutcome::Expired
        } else {
            let invite: i64 = get(&row, "id")?;
            let town_id: i64 = get(&row, "town_id")?;
            let created_by: String = get(&row, "created_by")?;
            insert_device(&mut tx, town_id, device, Some(&created_by)).await?;
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
        // the only one that may still be live.
        let row = sqlx::query(
            "SELECT id, town_id, created_by, code_hash, code_expires_ms, attempts, used_ms \
             FROM invites WHERE code_prefix = $1 ORDER BY created_ms DESC, id DESC LIMIT 1",
        )
        .bind(prefix)
        .fetch_optional(&mut *tx)
        .await
        .map_err(failed("reading an invitation"))?;
        let Some(row) = row else {
            rollback(tx).await?;
            return Ok(RedeemOutcome::NotFound);
        };
        let invite: i64 = get(&row, "id")?;
        let outcome = if get::<Option<i64>>(&row, "used_ms")?.is_some() {
            RedeemOutcome::Used
        } else if get::<i64>(&row, "attempts")? >= max_attempts {
            RedeemOutcome::Locked
        } else if get::<i64>(&row, "code_expires_ms")? <= now {
            RedeemOutcome::Expired
        } else if get::<String>(&row, "code_hash")? != code_hash {
            // Counted and committed, whatever happens next.
            let attempts: i64 = sqlx::query_scalar(
                "UPDATE invites SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
            )
            .bind(invite)
            .fetch_one(&mut *tx)
            .await
            .map_err(failed("counting a wrong code"))?;
            commit(tx).await?;
            return Ok(if attempts >= max_attempts {
                RedeemOutcome::Locked
            } else {
                RedeemOutcome::WrongCode {
                    attempts_left: max_attempts - attempts,
                }
            });
        } else {
            let town_id: i64 = get(&row, "town_id")?;
            let created_by: String = get(&row, "created_by")?;
            insert_device(&mut tx, town_id, device, Some(&created_by)).await?;
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
    ) -> Result<PushOutcome, StorageError> {
        let mut tx = begin(self.writer()).await?;
        // Town first, then the device: the order of every transaction that takes both (removing
        // a device does the same), so that on PostgreSQL a push racing a removal waits instead
        // of deadlocking. It also serialises the town's pushes from here on (they would wait for
        // the town's counter row below anyway).
        lock_town(&mut tx, town_id).await?;
        let active = sqlx::query(
            "UPDATE devices SET last_seen_ms = $1 \
             WHERE id = $2 AND town_id = $3 AND revoked_ms IS NULL",
        )
        .bind(now_ms)
        .bind(device_id)
        .bind(town_id)
        .execute(&mut *tx)
        .await
        .map_err(failed("checking the pushing device"))?;
        if active.rows_affected() != 1 {
            rollback(tx).await?;
            return Ok(PushOutcome::Revoked);
        }

        // Ids already stored: identical retries are acknowledged again, anything else refused.
        let mut stored = std::collections::HashSet::new();
        if !ops.is_empty() {
            let mut select =
                QueryBuilder::<Db>::new(format!("SELECT {SAME_OP_COLUMNS} FROM ops WHERE id IN ("));
            let mut ids = select.separated(", ");
            for new in ops {
                ids.push_bind(new.op.id.clone());
            }
            select.push(")");
            let rows = select
                .build()
                .fetch_all(&mut *tx)
                .await
                .map_err(failed("looking up operation ids"))?;
            for row in &rows {
                let id: String = get(row, "id")?;
                let Some(new) = ops.iter().find(|new| new.op.id == id) else {
                    continue;
                };
                if !same_op(row, town_id, new)? {
                    rollback(tx).await?;
                    return Ok(PushOutcome::IdConflict { id });
                }
                stored.insert(id);
            }
        }
        let fresh: Vec<&NewOp> = ops
            .iter()
            .filter(|new| !stored.contains(&new.op.id))
            .collect();
        if fresh.is_empty() {
            commit(tx).await?;
            return Ok(PushOutcome::Stored { inserted: 0 });
        }

        // The town's counter row: taking the next numbers locks it until commit, so on
        // PostgreSQL a concurrent push to the same town waits, and sequence order is commit order.
        let count = i64::try_from(fresh.len()).expect("a batch is small");
        let last: i64 = sqlx::query_scalar(
            "UPDATE towns SET last_seq = last_seq + $1 WHERE id = $2 RETURNING last_seq",
        )
        .bind(count)
        .bind(town_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(failed("numbering operations"))?;
        let first = last - count + 1;

        let mut insert = QueryBuilder::<Db>::new(
            "INSERT INTO ops (id, town_id, seq, device_id, campaign, question, option_id, \
             comment, wall_ms, counter, base, sent_wall_ms, received_ms) ",
        );
        insert.push_values(fresh.iter().zip(first..), |mut row, (new, seq)| {
            let op = &new.op;
            row.push_bind(op.id.clone())
                .push_bind(town_id)
                .push_bind(seq)
                .push_bind(op.device.clone())
                .push_bind(op.campaign.clone())
                .push_bind(op.question.clone())
                .push_bind(op.option.clone())
                .push_bind(op.comment.clone())
                .push_bind(i64::try_from(op.clock.wall_ms).unwrap_or(i64::MAX))
                .push_bind(i64::from(op.clock.counter))
                .push_bind(join_base(&op.base))
                .push_bind(new.sent_wall_ms)
                .push_bind(now_ms);
        });
        insert.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
        let inserted: Vec<String> = insert
            .build_query_scalar()
            .fetch_all(&mut *tx)
            .await
            .map_err(failed("appending operations"))?;

        // Stored by a concurrent transaction since the lookup above (PostgreSQL only): a retry
        // racing itself is fine, anything else is a conflict. The numbers it took stay unused.
        if inserted.len() != fresh.len() {
            for new in fresh.iter().filter(|new| !inserted.contains(&new.op.id)) {
                let row = sqlx::query(&format!("SELECT {SAME_OP_COLUMNS} FROM ops WHERE id = $1"))
                .bind(&new.op.id)
                .fetch_one(&mut *tx)
                .await
                .map_err(failed("looking up an operation id"))?;
                if !same_op(&row, town_id, new)? {
                    rollback(tx).await?;
                    return Ok(PushOutcome::IdConflict {
                        id: new.op.id.clone(),
                    });
                }
            }
        }
        commit(tx).await?;
        Ok(PushOutcome::Stored {
            inserted: inserted.len(),
        })
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
}
