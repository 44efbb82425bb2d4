CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	prefix     TEXT NOT NULL,
	hash       BLOB NOT NULL UNIQUE,
	roles      TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER,
	revoked_at INTEGER
);

CREATE TABLE audit_events (
	seq       INTEGER PRIMARY KEY,
	id        TEXT NOT NULL,
	time_ns   INTEGER NOT NULL,
	prev_hash BLOB NOT NULL,
	hash      BLOB NOT NULL,
	data      BLOB NOT NULL
);

-- Defence in depth: the application never updates or deletes audit events.
-- Someone with write access to the file can drop these triggers; the hash
-- chain (aigis audit verify) is what detects that.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
