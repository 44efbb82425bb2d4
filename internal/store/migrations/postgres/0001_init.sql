CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	prefix     TEXT NOT NULL,
	hash       BYTEA NOT NULL UNIQUE,
	roles      TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT,
	revoked_at BIGINT
);

CREATE TABLE audit_events (
	seq       BIGINT PRIMARY KEY,
	id        TEXT NOT NULL,
	time_ns   BIGINT NOT NULL,
	prev_hash BYTEA NOT NULL,
	hash      BYTEA NOT NULL,
	data      BYTEA NOT NULL
);

-- Defence in depth: the application never updates or deletes audit events.
-- A superuser can drop the trigger; the hash chain (aigis audit verify) is
-- what detects that.
CREATE FUNCTION aigis_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit events are append-only';
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION aigis_audit_append_only();
