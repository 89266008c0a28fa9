package postgres

// The schema: numbered migrations, run by the binary at start. Replicas that start together take one
// advisory lock for it: the first migrates, the others wait, then find nothing left to do.
//
// Keys that come from outside (dedup keys, conversations, messages, adapters' keys) are bytea: a
// platform's id may hold any byte, and text refuses a zero byte. Times are unix nanoseconds (bigint), as
// the bbolt file keeps them, so a desk migrated either way reads back to the nanosecond. Records are the
// same JSON the bbolt file holds, in text columns, beside the columns the indexes need.

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
)

// migrations bring the schema from version i to i+1, each in the transaction that records it. Append;
// never edit one that has been released.
var migrations = []string{
	// 1: the desk's records.
	`
CREATE TABLE firstline_meta (key text PRIMARY KEY, value text NOT NULL);

CREATE SEQUENCE ticket_seq;
CREATE TABLE tickets (
	seq          bigint PRIMARY KEY,
	data         text NOT NULL,
	requester    text NOT NULL,
	status       text NOT NULL,
	tier         text NOT NULL,
	priority     text NOT NULL,
	assignee     text NOT NULL,
	platform     text NOT NULL,
	conversation bytea NOT NULL,
	created      bigint NOT NULL,
	resolved     bigint NOT NULL,
	changed      bigint NOT NULL,
	next_check   bigint,
	sla_clock    text NOT NULL,
	sla_due      bigint NOT NULL,
	sla_warned   boolean NOT NULL,
	sla_breached boolean NOT NULL,
	sla_paused   boolean NOT NULL,
	rating       smallint NOT NULL
);
CREATE INDEX tickets_by_requester ON tickets (requester, seq);
CREATE INDEX tickets_by_status ON tickets (status, seq);
CREATE INDEX tickets_by_assignee ON tickets (assignee, seq);
CREATE INDEX tickets_by_tier ON tickets (tier, seq);
CREATE INDEX tickets_by_priority ON tickets (priority, seq);
CREATE INDEX tickets_by_platform ON tickets (platform, seq);
CREATE INDEX tickets_by_created ON tickets (created, seq);
CREATE INDEX tickets_by_changed ON tickets (changed, seq);
CREATE INDEX tickets_by_conversation ON tickets (conversation, seq);
CREATE INDEX tickets_by_due ON tickets (next_check, seq) WHERE next_check IS NOT NULL;
CREATE INDEX tickets_by_sla_due ON tickets (sla_due, seq) WHERE sla_clock <> '';

CREATE TABLE ticket_terms (term text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (term, seq));
CREATE INDEX ticket_terms_by_ticket ON ticket_terms (seq);

CREATE TABLE conversations (key bytea PRIMARY KEY, ticket text NOT NULL);
CREATE INDEX conversations_by_ticket ON conversations (ticket);
CREATE TABLE messages (key bytea PRIMARY KEY, ticket text NOT NULL, data text NOT NULL);
CREATE INDEX messages_by_ticket ON messages (ticket);
CREATE TABLE ticket_messages (seq bigint NOT NULL, key text NOT NULL, data text NOT NULL, PRIMARY KEY (seq, key));

CREATE TABLE dedup (key bytea PRIMARY KEY, at bigint NOT NULL);
CREATE INDEX dedup_by_time ON dedup (at);

CREATE SEQUENCE outbox_seq;
CREATE TABLE outbox (
	seq     bigint PRIMARY KEY,
	lane    text NOT NULL,
	ticket  text NOT NULL,
	created bigint NOT NULL,
	data    text NOT NULL
);

CREATE TABLE articles (id text PRIMARY KEY, version integer NOT NULL, data text NOT NULL);
CREATE TABLE article_versions (id text NOT NULL, version integer NOT NULL, data text NOT NULL, PRIMARY KEY (id, version));
CREATE TABLE article_feedback (
	id          text PRIMARY KEY,
	offered     integer NOT NULL DEFAULT 0,
	solved      integer NOT NULL DEFAULT 0,
	not_helpful integer NOT NULL DEFAULT 0,
	human       integer NOT NULL DEFAULT 0
);
CREATE TABLE kb_files (id text PRIMARY KEY, data text NOT NULL);

CREATE SEQUENCE audit_seq;
CREATE TABLE audit (seq bigint PRIMARY KEY, at bigint NOT NULL, data text NOT NULL);

CREATE TABLE adapter_state (adapter text NOT NULL, key bytea NOT NULL, value bytea NOT NULL, PRIMARY KEY (adapter, key));
CREATE TABLE adapter_sequences (adapter text PRIMARY KEY, value bigint NOT NULL);

CREATE TABLE vectors (key text PRIMARY KEY, data bytea NOT NULL);

CREATE TABLE web_records (
	kind    text NOT NULL,
	key     text NOT NULL,
	"user"  text NOT NULL,
	expires bigint NOT NULL,
	rec     bytea NOT NULL,
	PRIMARY KEY (kind, key)
);
CREATE INDEX web_records_by_user ON web_records ("user", kind) WHERE "user" <> '';
CREATE INDEX web_records_by_expiry ON web_records (expires) WHERE expires <> 0;
`,
	// 2: action runs (bot.ActionRun), by state, ticket and the person they are for; the desk's settings.
	`
CREATE SEQUENCE action_run_seq;
CREATE TABLE action_runs (
	seq      bigint PRIMARY KEY,
	state    text NOT NULL,
	ticket   text NOT NULL,
	for_user text NOT NULL,
	created  bigint NOT NULL,
	data     text NOT NULL
);
CREATE INDEX action_runs_by_state ON action_runs (state, seq);
CREATE INDEX action_runs_by_ticket ON action_runs (ticket, seq);
CREATE INDEX action_runs_by_for ON action_runs (for_user, seq);

CREATE TABLE settings (name text PRIMARY KEY, value text NOT NULL);
`,
	// 3: what replicas coordinate through (lease.go, notify.go): leases, and a notification when an
	// article is written, on a channel named after the schema so that desks in two schemas of one
	// database do not wake each other.
	`
CREATE SEQUENCE lease_token;
CREATE TABLE leases (
	name       text PRIMARY KEY,
	owner      text NOT NULL,
	token      bigint NOT NULL,
	expires    timestamptz NOT NULL,
	taken_over boolean NOT NULL DEFAULT false
);

CREATE FUNCTION firstline_kb_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('firstline.kb.' || current_schema(), OLD.id);
	ELSE
		PERFORM pg_notify('firstline.kb.' || current_schema(), NEW.id);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER articles_notify AFTER INSERT OR UPDATE OR DELETE ON articles
	FOR EACH ROW EXECUTE FUNCTION firstline_kb_notify();
`,
}

// SchemaVersion is the schema this build writes.
func SchemaVersion() int { return len(migrations) }

// migrationLock is the advisory lock the migrator holds: "FLSCHEMA" in ASCII, a number of Firstline's
// own, so that no other program's lock is taken by mistake.
const migrationLock int64 = 0x464c_5343_4845_4d41 // "FLSCHEMA"

// migrate brings the schema up to date in one transaction under the advisory lock: DDL is transactional
// in PostgreSQL, so a migration that fails leaves the schema as it was, and a replica that waited for
// the lock reads the version the first one wrote.
func (db *DB) migrate(ctx context.Context, readOnly bool) error {
	ptx, err := db.pool.Begin(ctx)
	if err != nil {
		return db.unavailable(err)
	}
	defer ptx.Rollback(context.WithoutCancel(ctx))
	if !readOnly {
		if _, err := ptx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		if _, err := ptx.Exec(ctx, `CREATE TABLE IF NOT EXISTS firstline_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create the schema table: %w", err)
		}
	}
	have, err := schemaVersion(ctx, ptx)
	if err != nil {
		return err
	}
	if have > len(migrations) {
		return bot.Errorf(bot.EINVALID, "the database %s has schema version %d, newer than this Firstline understands (%d): upgrade Firstline", db.where, have, len(migrations))
	}
	if have == len(migrations) {
		return nil
	}
	if readOnly {
		return bot.Errorf(bot.EINVALID, "the database %s needs an upgrade (schema %d to %d): start the desk (or any Firstline command that writes) first", db.where, have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		if _, err := ptx.Exec(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate the database to schema %d: %w", v+1, err)
		}
		if _, err := ptx.Exec(ctx, "INSERT INTO firstline_schema (version) VALUES ($1)", v+1); err != nil {
			return fmt.Errorf("record schema %d: %w", v+1, err)
		}
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate the database %s: %w", db.where, err)
	}
	db.log.Info("database schema migrated", "from", have, "to", len(migrations))
	return nil
}

// schemaVersion reads the schema's version: 0 for a database Firstline never migrated.
func schemaVersion(ctx context.Context, q pgx.Tx) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, "SELECT to_regclass('firstline_schema') IS NOT NULL").Scan(&exists); err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM firstline_schema").Scan(&v); err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	return v, nil
}
