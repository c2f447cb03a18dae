-- The network (docs/network.md): one publication ledger per campaign — everything ever published
-- for it and what each group shows now — as the JSON of `diagnostic::network::Ledger`. Written by
-- the publication task only; read by the aggregates, dashboard and CSV routes. Mirrored for
-- PostgreSQL. `updated_ms` changes only when the ledger does: it is the answers' cache key.
CREATE TABLE network_ledgers (
    campaign   TEXT PRIMARY KEY NOT NULL,
    ledger     TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT;

-- The publication reads each town's operations of one campaign.
CREATE INDEX ops_by_town_campaign ON ops (town_id, campaign);
