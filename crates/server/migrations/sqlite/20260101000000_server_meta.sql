-- Facts about the database itself (when it was created, later the sync protocol generation),
-- kept apart from the domain tables that arrive with sync so that those migrations stay free to
-- change them. STRICT makes SQLite enforce the declared types, as PostgreSQL will.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

INSERT INTO server_meta (key, value)
VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
