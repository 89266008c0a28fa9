package postgres

// A desk out of and into PostgreSQL, as dump records (package dump): what `firstline migrate` copies
// between this store and a bbolt file. Export reads every table in one snapshot and refuses a table it
// does not know; an Importer fills an empty database in one transaction (COPY), so a copy cut short
// leaves the database as empty as it was.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/firstline-desk/firstline/bot"
	"github.com/firstline-desk/firstline/storage/dump"
	"github.com/firstline-desk/firstline/storage/ticketindex"
)

// tables are the tables of the schema: those that hold the records of each kind, then what is derived
// from them or the schema's own.
var tables = map[dump.Kind]string{
	dump.Ticket: "tickets", dump.Conversation: "conversations", dump.Message: "messages", dump.PostRef: "ticket_messages",
	dump.Dedup: "dedup", dump.Effect: "outbox", dump.Article: "articles", dump.ArticleVersion: "article_versions",
	dump.Feedback: "article_feedback", dump.KBFile: "kb_files", dump.Audit: "audit", dump.AdapterValue: "adapter_state",
	dump.AdapterSequence: "adapter_sequences", dump.Vector: "vectors", dump.WebRecord: "web_records",
	dump.ActionRun: "action_runs", dump.Setting: "settings",
}

// leases are how running replicas divide their work (lease.go): nothing a copy of the desk carries.
var otherTables = []string{"ticket_terms", "firstline_meta", "firstline_schema", "leases"}

// exportQueries select each kind's records in the order of the fields scan reads.
var exportQueries = map[dump.Kind]string{
	dump.Ticket:          "SELECT seq, data FROM tickets ORDER BY seq",
	dump.Conversation:    "SELECT key, ticket FROM conversations ORDER BY key",
	dump.Message:         "SELECT key, ticket, data FROM messages ORDER BY key",
	dump.PostRef:         "SELECT seq, key, data FROM ticket_messages ORDER BY seq, key",
	dump.Dedup:           "SELECT key, at FROM dedup ORDER BY key",
	dump.Effect:          "SELECT seq, data FROM outbox ORDER BY seq",
	dump.Article:         `SELECT id, data FROM articles ORDER BY id COLLATE "C"`,
	dump.ArticleVersion:  `SELECT id, version, data FROM article_versions ORDER BY id COLLATE "C", version`,
	dump.Feedback:        `SELECT id, offered, solved, not_helpful, human FROM article_feedback ORDER BY id COLLATE "C"`,
	dump.KBFile:          `SELECT id, data FROM kb_files ORDER BY id COLLATE "C"`,
	dump.Audit:           "SELECT seq, data FROM audit ORDER BY seq",
	dump.AdapterValue:    `SELECT adapter, key, value FROM adapter_state ORDER BY adapter COLLATE "C", key`,
	dump.AdapterSequence: `SELECT adapter, value FROM adapter_sequences ORDER BY adapter COLLATE "C"`,
	dump.Vector:          `SELECT key, data FROM vectors ORDER BY key COLLATE "C"`,
	dump.WebRecord:       `SELECT kind, key, "user", expires, rec FROM web_records ORDER BY kind COLLATE "C", key COLLATE "C"`,
	dump.ActionRun:       "SELECT seq, data FROM action_runs ORDER BY seq",
	dump.Setting:         `SELECT name, value FROM settings ORDER BY name COLLATE "C"`,
}

// sequences are the sequences behind dump's Sequence records.
var sequences = map[string]string{dump.SeqTickets: "ticket_seq", dump.SeqOutbox: "outbox_seq", dump.SeqAudit: "audit_seq",
	dump.SeqActionRuns: "action_run_seq"}

// Export calls fn with every record of the database, kind by kind in dump.Kinds' order, from one
// snapshot (REPEATABLE READ): a consistent copy even while desks write (though what they write after is
// not in it).
func (db *DB) Export(ctx context.Context, fn func(dump.Record) error) error {
	return db.View(ctx, func(btx bot.Tx) error { return btx.(*tx).export(fn) })
}

// export is Export in t.
func (t *tx) export(fn func(dump.Record) error) error {
	if err := t.knownTables(); err != nil {
		return err
	}
	for _, kind := range dump.Kinds {
		if kind == dump.Sequence {
			for _, name := range slices.Sorted(mapKeysOf(sequences)) {
				var n int64
				if _, err := t.scanOne("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM "+sequences[name], nil, &n); err != nil {
					return err
				}
				if err := fn(dump.Record{Kind: dump.Sequence, Name: name, Seq: uint64(n)}); err != nil {
					return err
				}
			}
			continue
		}
		if err := t.each(exportQueries[kind], nil, func(r pgx.Rows) error {
			rec, err := scanRecord(kind, r)
			if err != nil {
				return fmt.Errorf("export %s: %w", kind, err)
			}
			return fn(rec)
		}); err != nil {
			return err
		}
	}
	return nil
}

// knownTables refuses a schema with a table this build does not know of: it may hold records a copy
// would leave behind.
func (t *tx) knownTables() error {
	known := map[string]bool{}
	for _, name := range tables {
		known[name] = true
	}
	for _, name := range otherTables {
		known[name] = true
	}
	return t.each("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()", nil, func(r pgx.Rows) error {
		var name string
		if err := r.Scan(&name); err != nil {
			return err
		}
		if !known[name] {
			return bot.Errorf(bot.EINVALID, "the database holds a table %q, which this Firstline cannot copy: use the Firstline that made it", name)
		}
		return nil
	})
}

func scanRecord(kind dump.Kind, r pgx.Rows) (dump.Record, error) {
	rec := dump.Record{Kind: kind}
	var seq int64
	var err error
	switch kind {
	case dump.Ticket, dump.Audit, dump.ActionRun:
		err = r.Scan(&seq, &rec.Data)
	case dump.Setting:
		var v string
		err = r.Scan(&rec.Name, &v)
		rec.Data = []byte(v)
	case dump.Effect:
		if err = r.Scan(&seq, &rec.Data); err == nil {
			// The stored JSON leaves Seq out (see Enqueue): a dump's effect carries it, as bbolt's does.
			var e bot.Effect
			if err = json.Unmarshal(rec.Data, &e); err == nil {
				e.Seq = uint64(seq)
				rec.Data, err = json.Marshal(e)
			}
		}
	case dump.Conversation:
		err = r.Scan(&rec.Key, &rec.ID)
	case dump.Message:
		err = r.Scan(&rec.Key, &rec.ID, &rec.Data)
	case dump.PostRef:
		err = r.Scan(&seq, &rec.Name, &rec.Data)
	case dump.Dedup:
		err = r.Scan(&rec.Key, &rec.At)
	case dump.Article, dump.KBFile, dump.Vector:
		err = r.Scan(&rec.ID, &rec.Data)
	case dump.ArticleVersion:
		err = r.Scan(&rec.ID, &seq, &rec.Data)
	case dump.Feedback:
		var f bot.ArticleFeedback
		if err = r.Scan(&rec.ID, &f.Offered, &f.Solved, &f.NotHelpful, &f.Human); err == nil {
			rec.Data, err = json.Marshal(f)
		}
	case dump.AdapterValue:
		err = r.Scan(&rec.Name, &rec.Key, &rec.Data)
	case dump.AdapterSequence:
		err = r.Scan(&rec.Name, &seq)
	case dump.WebRecord:
		err = r.Scan(&rec.Name, &rec.ID, &rec.User, &rec.At, &rec.Data)
	default:
		err = fmt.Errorf("unknown kind %q", kind)
	}
	rec.Seq = uint64(seq)
	return rec, err
}

func mapKeysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Importer fills an empty database with dump records, in one transaction: Close commits it, Abort
// (or any error) rolls it back.
type Importer struct {
	db   *DB
	ctx  context.Context
	ptx  pgx.Tx
	kind dump.Kind
	buf  []dump.Record
}

const importBatch = 5000

// NewImporter opens the import into db, which must hold no records (a database just created, or one a
// desk started on and never wrote to): a copy is never merged into a desk.
func NewImporter(ctx context.Context, db *DB) (*Importer, error) {
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return nil, db.unavailable(err)
	}
	im := &Importer{db: db, ctx: ctx, ptx: ptx}
	for _, kind := range dump.Kinds {
		name, ok := tables[kind]
		if !ok {
			continue
		}
		var any bool
		if err := ptx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+name+")").Scan(&any); err != nil {
			im.Abort()
			return nil, fmt.Errorf("look into %s: %w", name, err)
		}
		if any {
			im.Abort()
			return nil, bot.Errorf(bot.EINVALID, "the database %s is not empty (%s holds records): a desk is copied only into an empty database", db.where, name)
		}
	}
	return im, nil
}

// Put adds a record; records come in dump.Kinds' order.
func (im *Importer) Put(r dump.Record) error {
	if r.Kind != im.kind || len(im.buf) >= importBatch {
		if err := im.flush(); err != nil {
			return err
		}
		im.kind = r.Kind
	}
	im.buf = append(im.buf, r)
	return nil
}

// Close writes what is left and commits the import.
func (im *Importer) Close() error {
	if err := im.flush(); err != nil {
		im.Abort()
		return err
	}
	if err := im.ptx.Commit(im.ctx); err != nil {
		return fmt.Errorf("commit the copy: %w", err)
	}
	return nil
}

// Abort rolls the import back: the database is left empty.
func (im *Importer) Abort() { im.ptx.Rollback(context.WithoutCancel(im.ctx)) }

// copyRows copies rows into a table's columns.
func (im *Importer) copyRows(table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := im.ptx.CopyFrom(im.ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

func (im *Importer) flush() error {
	if len(im.buf) == 0 {
		return nil
	}
	defer func() { im.buf = im.buf[:0] }()
	var rows [][]any
	switch im.kind {
	case dump.Ticket:
		var terms [][]any
		for _, r := range im.buf {
			tk := new(bot.Ticket)
			if err := json.Unmarshal(r.Data, tk); err != nil {
				return fmt.Errorf("ticket %d: %w", r.Seq, err)
			}
			if tk.ID != bot.TicketID(r.Seq) {
				return fmt.Errorf("ticket %d says it is %s", r.Seq, tk.ID)
			}
			args, err := ticketArgs(int64(r.Seq), tk)
			if err != nil {
				return err
			}
			args[1] = string(r.Data) // as it was written, byte for byte
			rows = append(rows, args)
			for term := range ticketindex.Terms(tk) {
				terms = append(terms, []any{term, int64(r.Seq)})
			}
		}
		if err := im.copyRows("tickets", columnList(ticketColumns), rows); err != nil {
			return err
		}
		return im.copyRows("ticket_terms", []string{"term", "seq"}, terms)
	case dump.Sequence:
		for _, r := range im.buf {
			seq, ok := sequences[r.Name]
			if !ok {
				return fmt.Errorf("no sequence %q", r.Name)
			}
			if r.Seq > 0 {
				if _, err := im.ptx.Exec(im.ctx, "SELECT setval('"+seq+"', $1, true)", int64(r.Seq)); err != nil {
					return fmt.Errorf("set %s: %w", seq, err)
				}
			}
		}
		return nil
	}
	var columns []string
	for _, r := range im.buf {
		var row []any
		switch r.Kind {
		case dump.Conversation:
			columns, row = []string{"key", "ticket"}, []any{r.Key, r.ID}
		case dump.Message:
			columns, row = []string{"key", "ticket", "data"}, []any{r.Key, r.ID, string(r.Data)}
		case dump.PostRef:
			columns, row = []string{"seq", "key", "data"}, []any{int64(r.Seq), r.Name, string(r.Data)}
		case dump.Dedup:
			columns, row = []string{"key", "at"}, []any{r.Key, r.At}
		case dump.Effect:
			var e bot.Effect
			if err := json.Unmarshal(r.Data, &e); err != nil {
				return fmt.Errorf("effect %d: %w", r.Seq, err)
			}
			e.Seq = 0 // the seq column holds it (see Enqueue)
			data, err := json.Marshal(e)
			if err != nil {
				return err
			}
			columns, row = []string{"seq", "lane", "ticket", "created", "data"}, []any{int64(r.Seq), e.Lane, e.Ticket, nanos(e.CreatedAt), string(data)}
		case dump.Article:
			var a storedArticle
			if err := json.Unmarshal(r.Data, &a); err != nil {
				return fmt.Errorf("article %s: %w", r.ID, err)
			}
			columns, row = []string{"id", "version", "data"}, []any{r.ID, a.Version, string(r.Data)}
		case dump.ArticleVersion:
			columns, row = []string{"id", "version", "data"}, []any{r.ID, int32(r.Seq), string(r.Data)}
		case dump.Feedback:
			var f bot.ArticleFeedback
			if err := json.Unmarshal(r.Data, &f); err != nil {
				return fmt.Errorf("feedback of %s: %w", r.ID, err)
			}
			columns, row = []string{"id", "offered", "solved", "not_helpful", "human"}, []any{r.ID, f.Offered, f.Solved, f.NotHelpful, f.Human}
		case dump.KBFile:
			columns, row = []string{"id", "data"}, []any{r.ID, string(r.Data)}
		case dump.Audit:
			var e bot.AuditEntry
			if err := json.Unmarshal(r.Data, &e); err != nil {
				return fmt.Errorf("audit entry %d: %w", r.Seq, err)
			}
			columns, row = []string{"seq", "at", "data"}, []any{int64(r.Seq), nanos(e.At), string(r.Data)}
		case dump.AdapterValue:
			columns, row = []string{"adapter", "key", "value"}, []any{r.Name, r.Key, nonNil(r.Data)}
		case dump.AdapterSequence:
			columns, row = []string{"adapter", "value"}, []any{r.Name, int64(r.Seq)}
		case dump.Vector:
			columns, row = []string{"key", "data"}, []any{r.ID, nonNil(r.Data)}
		case dump.WebRecord:
			columns, row = []string{"kind", "key", "user", "expires", "rec"}, []any{r.Name, r.ID, r.User, r.At, nonNil(r.Data)}
		case dump.ActionRun:
			var run bot.ActionRun
			if err := json.Unmarshal(r.Data, &run); err != nil {
				return fmt.Errorf("action run %d: %w", r.Seq, err)
			}
			if run.ID != bot.RunID(r.Seq) {
				return fmt.Errorf("action run %d says it is %s", r.Seq, run.ID)
			}
			columns = []string{"seq", "state", "ticket", "for_user", "created", "data"}
			row = []any{int64(r.Seq), string(run.State), run.Ticket, run.For, nanos(run.CreatedAt), string(r.Data)}
		case dump.Setting:
			columns, row = []string{"name", "value"}, []any{r.Name, string(r.Data)}
		default:
			return fmt.Errorf("unknown kind %q", r.Kind)
		}
		rows = append(rows, row)
	}
	return im.copyRows(tables[im.kind], columns, rows)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// columnList splits a list of columns written for SQL.
func columnList(s string) []string { return strings.Fields(strings.ReplaceAll(s, ",", " ")) }
