package storage

// Maintenance of the data file: backups (online through a running DB, or of a file no process holds),
// restore, the consistency check, the retention purge, erasing a person, and compaction. Every change is
// made in bbolt transactions; files are replaced only by renaming a complete, fsync'd, verified copy.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/firstline-desk/firstline/bot"
)

// FileInfo describes a data file, or a backup of one, that passed verification.
type FileInfo struct {
	Path    string
	Size    int64
	Tickets int
	Schema  int
}

// openRaw opens a data file at the bbolt level without migrating it: maintenance works on a file of any
// schema this build understands and must not change a file it was only asked to copy or check. A file held
// by another process fails after the lock timeout with an EUNAVAILABLE error.
func openRaw(path string, readOnly bool, timeout time.Duration) (*bolt.DB, error) {
	if timeout <= 0 {
		timeout = defaultLockTimeout
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, bot.Errorf(bot.ENOTFOUND, "there is no data file at %s", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if st.Size() == 0 {
		return nil, bot.Errorf(bot.EINVALID, "%s is empty, not a Firstline data file", path)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: readOnly})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, bot.Errorf(bot.EUNAVAILABLE, errDataFileInUseFmt, path)
	}
	if err != nil && !readOnly {
		if nw := notWritable(path, err); nw != nil {
			return nil, nw // not "not a data file": the file may be fine, and restore must not go on unlocked
		}
	}
	if err != nil { // invalid, version mismatch, checksum: not (or no longer) a bbolt file
		return nil, bot.Errorf(bot.EINVALID, "%s is not a readable Firstline data file (%v)", path, err)
	}
	return b, nil
}

// notWritable explains an error opening the data file for writing that comes from permissions or a
// read-only file system, naming the file; for other errors it returns nil.
func notWritable(path string, err error) error {
	if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
		return nil
	}
	return fmt.Errorf("cannot write the data file %s: Firstline must be able to write it and its directory (read-only file system, or owned by another user?): %w", path, err)
}

// stopFirstline turns "the file is in use" into what a command that needs the file to itself must say.
func stopFirstline(err error, path, what string) error {
	if bot.ErrorCode(err) == bot.EUNAVAILABLE {
		return bot.Errorf(bot.EUNAVAILABLE, "the data file %s is in use by a running Firstline: stop Firstline first, then %s", path, what)
	}
	return err
}

// schemaOf reads the file's schema version; ok is false when the file has none (it is not Firstline's).
func schemaOf(btx *bolt.Tx) (version int, ok bool) {
	m := btx.Bucket(bucketMeta)
	if m == nil {
		return 0, false
	}
	v := m.Get(keySchema)
	if len(v) != 8 {
		return 0, false
	}
	return int(binary.BigEndian.Uint64(v)), true
}

func countTickets(btx *bolt.Tx) int {
	if b := btx.Bucket(bucketTickets); b != nil {
		return b.Stats().KeyN
	}
	return 0
}

// VerifyFile opens a data file or a backup read-only and checks it: every bbolt page (Tx.Check), a
// Firstline schema version, and one not newer than this build. It changes nothing.
func VerifyFile(path string, opts Options) (FileInfo, error) {
	b, err := openRaw(path, true, opts.LockTimeout)
	if err != nil {
		return FileInfo{}, err
	}
	defer b.Close()
	info := FileInfo{Path: path}
	err = b.View(func(btx *bolt.Tx) error {
		var damage []string
		for err := range btx.Check() {
			damage = append(damage, err.Error())
		}
		if len(damage) > 0 {
			if len(damage) > 3 {
				damage = append(damage[:3], fmt.Sprintf("and %d more", len(damage)-3))
			}
			return bot.Errorf(bot.EINVALID, "%s is damaged: %s", path, strings.Join(damage, "; "))
		}
		v, ok := schemaOf(btx)
		if !ok {
			return bot.Errorf(bot.EINVALID, "%s is a bbolt file but not a Firstline data file (it has no schema version)", path)
		}
		if v > SchemaVersion() {
			return bot.Errorf(bot.EINVALID, "%s has schema version %d, newer than this Firstline understands (%d): use a newer Firstline", path, v, SchemaVersion())
		}
		info.Schema, info.Size, info.Tickets = v, btx.Size(), countTickets(btx)
		return nil
	})
	if err != nil {
		return FileInfo{}, err
	}
	if st, err := os.Stat(path); err == nil {
		info.Size = st.Size()
	}
	return info, nil
}

// Backup writes a consistent copy of the data file to dest while the desk keeps working: one read
// transaction (Tx.WriteTo) into a temporary file next to dest, fsync'd, then renamed over dest. Writers
// are not blocked. ctx stops a long copy (the temporary file is removed). The copy is not verified here:
// callers verify dest with VerifyFile, as a file read back from disk.
func (db *DB) Backup(ctx context.Context, dest string) (FileInfo, error) {
	return backup(ctx, db.bolt, db.path, dest)
}

// BackupFile copies a data file no process holds. It opens the file read-only and never migrates it, so
// a file of an older schema can be backed up before an upgrade. When a process holds the file the error
// is EUNAVAILABLE: the copy must then be asked of that process (DB.Backup).
func BackupFile(ctx context.Context, src, dest string, opts Options) (FileInfo, error) {
	b, err := openRaw(src, true, opts.LockTimeout)
	if err != nil {
		return FileInfo{}, err
	}
	defer b.Close()
	return backup(ctx, b, src, dest)
}

func backup(ctx context.Context, b *bolt.DB, src, dest string) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, err
	}
	if sameFile(src, dest) {
		return FileInfo{}, bot.Errorf(bot.EINVALID, "%s is the data file itself: write the backup somewhere else", dest)
	}
	dir := filepath.Dir(dest)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*") // 0600: a backup holds what the data file holds
	if err != nil {
		return FileInfo{}, fmt.Errorf("create the backup in %s: %w", dir, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	}()
	info := FileInfo{Path: dest}
	err = b.View(func(btx *bolt.Tx) error {
		if _, err := btx.WriteTo(ctxWriter{ctx: ctx, w: tmp}); err != nil {
			return err
		}
		info.Size = btx.Size()
		info.Schema, _ = schemaOf(btx)
		info.Tickets = countTickets(btx)
		return nil
	})
	if err != nil {
		return FileInfo{}, fmt.Errorf("write the backup %s: %w", dest, err)
	}
	if err := syncClose(tmp); err != nil {
		return FileInfo{}, fmt.Errorf("write the backup %s: %w", dest, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return FileInfo{}, fmt.Errorf("move the backup into place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return FileInfo{}, err
	}
	return info, nil
}

// ctxWriter fails the write once ctx is done, so a backup of a large file stops promptly on shutdown.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

func syncClose(f *os.File) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func sameFile(a, b string) bool {
	if absA, errA := filepath.Abs(a); errA == nil {
		if absB, errB := filepath.Abs(b); errB == nil && absA == absB {
			return true
		}
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// copyFile copies src to a new file dst (which must not exist), fsync'd.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := syncClose(out); err != nil {
		os.Remove(dst)
		return err
	}
	return nil
}

// RestoreResult is what Restore did.
type RestoreResult struct {
	FileInfo // the data file now in place
	// Previous is where the data file that was replaced is kept; "" when there was none.
	Previous string
}

// Restore puts the backup at backupPath in place of the data file at dataPath. It refuses while a process
// holds the data file, and refuses a backup that fails verification or has a schema newer than this build
// (an older one is upgraded when Firstline next opens it). The backup is copied next to the data file and
// verified there; the current file is kept as DATA.before-restore-TIMESTAMP (a hard link, so there is never
// a moment without a data file) and the copy is renamed over it. The backup itself is left as it was.
func Restore(ctx context.Context, dataPath, backupPath string, now time.Time, opts Options) (RestoreResult, error) {
	if sameFile(dataPath, backupPath) {
		return RestoreResult{}, bot.Errorf(bot.EINVALID, "%s is the data file itself, not a backup of it", backupPath)
	}
	// Refuse before copying what may be gigabytes.
	if lock, err := lockData(dataPath, opts); err != nil {
		return RestoreResult{}, err
	} else if lock != nil {
		lock.Close()
	}
	if _, err := VerifyFile(backupPath, opts); err != nil {
		return RestoreResult{}, fmt.Errorf("the backup cannot be restored: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return RestoreResult{}, err
	}
	dir := filepath.Dir(dataPath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return RestoreResult{}, fmt.Errorf("create data directory: %w", err)
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.restore-%d", filepath.Base(dataPath), now.UnixNano()))
	if err := copyFile(backupPath, tmp); err != nil {
		return RestoreResult{}, fmt.Errorf("copy the backup next to the data file: %w", err)
	}
	defer os.Remove(tmp) // gone after the rename
	info, err := VerifyFile(tmp, opts)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("the copy of the backup does not verify: %w", err)
	}

	// Hold the data file's lock while swapping: no Firstline started since the first check runs on it.
	var res RestoreResult
	lock, err := lockData(dataPath, opts)
	if err != nil {
		return RestoreResult{}, err
	}
	if lock != nil {
		defer lock.Close()
	}
	if _, err := os.Lstat(dataPath); err == nil {
		res.Previous = dataPath + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		if err := os.Link(dataPath, res.Previous); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return RestoreResult{}, fmt.Errorf("keep the current data file: %s already exists", res.Previous)
			}
			if err := copyFile(dataPath, res.Previous); err != nil {
				return RestoreResult{}, fmt.Errorf("keep the current data file as %s: %w", res.Previous, err)
			}
		}
	}
	if err := os.Rename(tmp, dataPath); err != nil {
		return RestoreResult{}, fmt.Errorf("move the backup into place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return RestoreResult{}, err
	}
	info.Path = dataPath
	res.FileInfo = info
	return res, nil
}

// lockData takes the data file's lock for a restore: nil when there is no file to lock, or when it is too
// damaged to open (restoring is how one repairs it); an error when a process holds it.
func lockData(path string, opts Options) (*bolt.DB, error) {
	b, err := openRaw(path, false, opts.LockTimeout)
	switch code := bot.ErrorCode(err); {
	case err == nil:
		return b, nil
	case code == bot.ENOTFOUND || code == bot.EINVALID:
		return nil, nil
	default:
		return nil, stopFirstline(err, path, "restore")
	}
}

// compactTxSize bounds each transaction of a compaction, so a large file is not copied in one.
const compactTxSize = 64 << 20

// Compact rewrites the data file into a fresh one (bbolt's Compact: only live keys are copied, bucket
// sequences kept), fsyncs and verifies it, and renames it over the old file: the bytes of deleted and
// erased records, which bbolt leaves in free pages, are gone from disk. It refuses while a process holds
// the file. It returns the sizes before and after.
func Compact(ctx context.Context, path string, opts Options) (before, after int64, err error) {
	src, err := openRaw(path, false, opts.LockTimeout)
	if err != nil {
		return 0, 0, stopFirstline(err, path, "compact")
	}
	defer src.Close()
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".compact")
	os.Remove(tmp) // left by an interrupted compaction: never the data file
	defer os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return 0, 0, fmt.Errorf("create %s: %w", tmp, err)
	}
	if err := bolt.Compact(dst, src, compactTxSize); err != nil {
		dst.Close()
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return 0, 0, err
	}
	if err := syncClose(f); err != nil {
		return 0, 0, fmt.Errorf("sync %s: %w", tmp, err)
	}
	info, err := VerifyFile(tmp, opts)
	if err != nil {
		return 0, 0, fmt.Errorf("the compacted copy does not verify, the data file is unchanged: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, 0, fmt.Errorf("move the compacted file into place: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return 0, 0, err
	}
	return st.Size(), info.Size, nil
}

// --- check ----------------------------------------------------------------------------------------------

// maxProblems bounds the lines of a report: a broken index can make one per ticket.
const maxProblems = 1000

// CheckReport is what a check found: one line per problem, none when the file is sound.
type CheckReport struct {
	Tickets  int
	Schema   int
	Problems []string
	// Omitted counts the problems found beyond the first maxProblems, which are not listed.
	Omitted int
}

func (r *CheckReport) add(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
		return
	}
	r.Omitted++
}

// CheckFile checks a data file no process holds: bbolt's page check and Firstline's own invariants (see
// checkData), in one read transaction. It opens the file read-only and changes nothing.
func CheckFile(ctx context.Context, path string, opts Options) (CheckReport, error) {
	b, err := openRaw(path, true, opts.LockTimeout)
	if err != nil {
		return CheckReport{}, err
	}
	defer b.Close()
	var r CheckReport
	err = b.View(func(btx *bolt.Tx) error {
		if checkPages(btx, &r) {
			return checkData(ctx, btx, &r)
		}
		return nil
	})
	return r, err
}

// CheckAll checks the open data file while the desk works. The page check runs in a write transaction
// that is rolled back: Tx.Check reads the freelist, which a concurrent writer changes, so in a read
// transaction it races with the desk's commits; the desk's writes wait for it (3 s for a 0.9 GB file of
// 200,000 tickets on a busy 2-core machine). The invariants are then checked in a read transaction,
// which blocks nothing.
func (db *DB) CheckAll(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	if err := ctx.Err(); err != nil {
		return r, err
	}
	sound := false
	pages := func(btx *bolt.Tx) error { sound = checkPages(btx, &r); return nil }
	var err error
	if db.bolt.IsReadOnly() {
		err = db.bolt.View(pages)
	} else {
		var btx *bolt.Tx
		if btx, err = db.bolt.Begin(true); err == nil {
			err = pages(btx)
			btx.Rollback()
		}
	}
	if err != nil {
		return r, fmt.Errorf("check pages: %w", err)
	}
	if !sound {
		return r, nil
	}
	err = db.bolt.View(func(btx *bolt.Tx) error { return checkData(ctx, btx, &r) })
	return r, err
}

// checkPages runs bbolt's page check and reports whether the pages are sound. When they are not, the
// invariants are not walked: reading damaged pages can crash, and the remedy is a backup either way.
func checkPages(btx *bolt.Tx, r *CheckReport) bool {
	sound := true
	for err := range btx.Check() { // drained to the end: Check's goroutine sends until it is done
		r.add("bbolt: %v", err)
		sound = false
	}
	if !sound {
		r.add("bbolt: the file is damaged, so Firstline's own invariants were not checked: restore a backup (firstline restore)")
	}
	return sound
}

// ticketFacts is what the index pass needs to know of a ticket: the hashes of the index keys it must
// have (due: 0 when nothing is due), and the ticket its conversation links to. Hashes keep this a few
// dozen bytes a ticket however long the keys.
type ticketFacts struct {
	requester, status, updated, due, conv uint64
	linked                                uint64
}

var checkedBuckets = [][]byte{bucketMeta, bucketTickets, bucketByConv, bucketByRequester, bucketByStatus, bucketMessages,
	bucketDedup, bucketOutbox, bucketArticles, bucketArticleVers, bucketAdapters, bucketByDue, bucketDueOf, bucketByUpdated,
	bucketAudit, bucketFeedback}

// checkData checks Firstline's invariants in btx:
//   - the schema version is this build's, and every bucket exists;
//   - every ticket decodes, under the key of its id, below the ticket sequence, with a known status;
//   - every ticket has its entries in tickets_by_requester, tickets_by_status and tickets_by_updated (at
//     its last change), and, when an SLA event is due on it, in tickets_by_due and due_by_ticket;
//   - every ticket's conversation links to it or to another ticket of the same conversation (a DM's
//     newest ticket), and every message in its Messages is linked back to it;
//   - every entry of every index (conversations, messages, requester, status, last change, due) points at
//     a ticket that exists, and the requester, status, last-change and due entries are that ticket's
//     current ones (a conversation may link to a ticket of another: a thread joined to it);
//   - outbox effects decode and reference tickets that exist; audit entries, feedback and articles decode,
//     each article's newest version is in article_versions, and no sequence is below its highest key.
func checkData(ctx context.Context, btx *bolt.Tx, r *CheckReport) error {
	v, ok := schemaOf(btx)
	r.Schema = v
	switch {
	case !ok:
		r.add("meta: no schema version: this is not a Firstline data file")
		return nil
	case v < SchemaVersion():
		r.add("meta: schema version %d, older than this Firstline's %d: start Firstline (or run any command that writes) to upgrade the file", v, SchemaVersion())
	case v > SchemaVersion():
		r.add("meta: schema version %d, newer than this Firstline's %d: check it with a newer Firstline", v, SchemaVersion())
	}
	missing := false
	for _, name := range checkedBuckets {
		if btx.Bucket(name) == nil {
			r.add("%s: the bucket is missing", name)
			missing = true
		}
	}
	if missing {
		return nil
	}
	seed := maphash.MakeSeed()
	hash := func(b []byte) uint64 { return maphash.Bytes(seed, b) }
	b := func(name []byte) *bolt.Bucket { return btx.Bucket(name) }
	byReq, byStatus, byUpdated := b(bucketByRequester), b(bucketByStatus), b(bucketByUpdated)
	byDue, dueOf, byConv, msgs := b(bucketByDue), b(bucketDueOf), b(bucketByConv), b(bucketMessages)

	facts := map[uint64]ticketFacts{}
	var order []uint64
	var highest uint64
	err := forEachTicket(ctx, btx, nil, func(seq uint64, tk *bot.Ticket, decodeErr error) error {
		id := bot.TicketID(seq)
		highest = max(highest, seq)
		if decodeErr != nil {
			r.add("%s: cannot be read: %v", id, decodeErr)
			return nil
		}
		r.Tickets++
		key := u64(seq)
		var f ticketFacts
		if tk.ID != id {
			r.add("%s: stored under its key with the id %q", id, tk.ID)
		}
		if _, err := bot.ParseStatus(string(tk.Status)); err != nil {
			r.add("%s: unknown status %q", id, tk.Status)
		}
		rk := compose([]byte(tk.Requester), key)
		if f.requester = hash(rk); !has(byReq, rk) {
			r.add("%s: missing from tickets_by_requester (requester %s): \"tickets list\" by requester misses it", id, tk.Requester)
		}
		sk := compose([]byte(tk.Status), key)
		if f.status = hash(sk); !has(byStatus, sk) {
			r.add("%s: missing from tickets_by_status (status %s): lists and reports by status miss it", id, tk.Status)
		}
		at := lastChange(tk)
		uk := timeKey(at, key)
		if f.updated = hash(uk); !has(byUpdated, uk) {
			r.add("%s: missing from tickets_by_updated at its last change (%s): reports miss it", id, stamp(at))
		}
		got := dueOf.Get(key)
		if next, ok := tk.NextSLAEvent(); ok {
			dk := timeKey(next, key)
			f.due = hash(dk)
			switch {
			case !has(byDue, dk):
				r.add("%s: its next SLA event (%s) has no entry in tickets_by_due: the SLA loop will never act on it", id, stamp(next))
			case !bytes.Equal(got, dk):
				r.add("%s: due_by_ticket does not point at its tickets_by_due entry (%s)", id, stamp(next))
			}
		} else if got != nil {
			r.add("%s: nothing is due on it, yet due_by_ticket has an entry for it", id)
		}
		ck := []byte(tk.Conversation.Key())
		f.conv = hash(ck)
		if v := byConv.Get(ck); v == nil {
			r.add("%s: its conversation (%s) links to no ticket: messages there do not reach it", id, keyName(ck))
		} else if s, err := ticketSeq(string(v)); err == nil {
			f.linked = s
		} // an unreadable link is reported with the index
		for _, name := range slices.Sorted(maps.Keys(tk.Messages)) {
			ref := tk.Messages[name]
			v := msgs.Get([]byte(ref.Key()))
			if v == nil {
				r.add("%s: its message %s (%s) is not in messages: clicks and replies on it reach no ticket", id, name, keyName([]byte(ref.Key())))
				continue
			}
			var link bot.MessageLink
			if err := json.Unmarshal(v, &link); err == nil && link.Ticket != id {
				r.add("%s: its message %s (%s) is linked to %s", id, name, keyName([]byte(ref.Key())), link.Ticket)
			}
		}
		facts[seq] = f
		order = append(order, seq)
		return nil
	})
	if err != nil {
		return err
	}
	if seq := b(bucketTickets).Sequence(); seq < highest {
		r.add("tickets: the id sequence is at %d, below the highest ticket %s: new tickets would overwrite old ones", seq, bot.TicketID(highest))
	}
	for _, seq := range order {
		f := facts[seq]
		if t, ok := facts[f.linked]; ok && t.conv != f.conv {
			r.add("%s: its conversation links to %s, a ticket in another conversation", bot.TicketID(seq), bot.TicketID(f.linked))
		}
	}

	// The indexes, from their side: every entry must belong to a ticket that exists and be its entry now.
	if err := ctx.Err(); err != nil {
		return err
	}
	gone := func(index string, seq uint64, where string) {
		r.add("%s: %s points at %s, which does not exist", index, where, bot.TicketID(seq))
	}
	byConv.ForEach(func(k, v []byte) error {
		seq, err := ticketSeq(string(v))
		if err != nil {
			r.add("tickets_by_conversation: conversation %s links to %q, not a ticket id", keyName(k), v)
			return nil
		}
		// A link to a ticket of another conversation is no error: a person's quick second question in
		// a new thread is joined to their ticket of a moment ago, and its thread linked there.
		if _, ok := facts[seq]; !ok {
			gone("tickets_by_conversation", seq, "conversation "+keyName(k))
		}
		return nil
	})
	msgs.ForEach(func(k, v []byte) error {
		var link bot.MessageLink
		if err := json.Unmarshal(v, &link); err != nil {
			r.add("messages: the link of message %s cannot be read: %v", keyName(k), err)
			return nil
		}
		seq, err := ticketSeq(link.Ticket)
		if _, ok := facts[seq]; err != nil || !ok {
			r.add("messages: message %s (%s) points at %s, which does not exist", keyName(k), link.Key, link.Ticket)
		}
		return nil
	})
	for _, ix := range []struct {
		name string
		b    *bolt.Bucket
		of   func(ticketFacts) uint64
		what string
	}{
		{"tickets_by_requester", byReq, func(f ticketFacts) uint64 { return f.requester }, "requester"},
		{"tickets_by_status", byStatus, func(f ticketFacts) uint64 { return f.status }, "status"},
	} {
		ix.b.ForEach(func(k, _ []byte) error {
			if len(k) < 9 || k[len(k)-9] != 0 {
				r.add("%s: malformed key %q", ix.name, k)
				return nil
			}
			seq, value := binary.BigEndian.Uint64(k[len(k)-8:]), k[:len(k)-9]
			if f, ok := facts[seq]; !ok {
				gone(ix.name, seq, fmt.Sprintf("the entry under %s %q", ix.what, value))
			} else if ix.of(f) != hash(k) {
				r.add("%s: %s is listed under %s %q, which is not its %s", ix.name, bot.TicketID(seq), ix.what, value, ix.what)
			}
			return nil
		})
	}
	byUpdated.ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			r.add("tickets_by_updated: malformed key %x", k)
			return nil
		}
		seq := binary.BigEndian.Uint64(k[8:])
		if f, ok := facts[seq]; !ok {
			gone("tickets_by_updated", seq, "the entry at "+stamp(keyTime(k)))
		} else if f.updated != hash(k) {
			r.add("tickets_by_updated: %s is listed at %s, not at its last change", bot.TicketID(seq), stamp(keyTime(k)))
		}
		return nil
	})
	byDue.ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			r.add("tickets_by_due: malformed key %x", k)
			return nil
		}
		seq := binary.BigEndian.Uint64(k[8:])
		if f, ok := facts[seq]; !ok {
			gone("tickets_by_due", seq, "the entry due at "+stamp(keyTime(k)))
		} else if f.due != hash(k) {
			r.add("tickets_by_due: %s is listed as due at %s, which is not its next SLA event", bot.TicketID(seq), stamp(keyTime(k)))
		}
		return nil
	})
	dueOf.ForEach(func(k, _ []byte) error {
		if len(k) != 8 {
			r.add("due_by_ticket: malformed key %x", k)
			return nil
		}
		// An existing ticket's entry was compared with what is due on it in the ticket pass.
		if seq := binary.BigEndian.Uint64(k); facts[seq] == (ticketFacts{}) {
			gone("due_by_ticket", seq, "an entry")
		}
		return nil
	})
	checkLog(r, b(bucketOutbox), "outbox", func(k, v []byte) {
		var e bot.Effect
		if err := json.Unmarshal(v, &e); err != nil {
			r.add("outbox: effect %d cannot be read: %v", binary.BigEndian.Uint64(k), err)
			return
		}
		if e.Seq != binary.BigEndian.Uint64(k) {
			r.add("outbox: the effect under key %d says it is %d", binary.BigEndian.Uint64(k), e.Seq)
		}
		if e.Ticket != "" {
			seq, err := ticketSeq(e.Ticket)
			if _, ok := facts[seq]; err != nil || !ok {
				r.add("outbox: effect %d (%s on %s) is for %s, which does not exist", e.Seq, e.Kind, e.Platform, e.Ticket)
			}
		}
	})
	checkLog(r, b(bucketAudit), "audit", func(k, v []byte) {
		var e bot.AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			r.add("audit: entry %d cannot be read: %v", binary.BigEndian.Uint64(k), err)
		}
	})
	b(bucketFeedback).ForEach(func(k, v []byte) error {
		var f bot.ArticleFeedback
		if err := json.Unmarshal(v, &f); err != nil {
			r.add("article_feedback: the counts of %s cannot be read: %v", k, err)
		}
		return nil
	})
	versions := b(bucketArticleVers)
	b(bucketArticles).ForEach(func(k, v []byte) error {
		var a storedArticle
		if err := json.Unmarshal(v, &a); err != nil {
			r.add("articles: %s cannot be read: %v", k, err)
			return nil
		}
		if !has(versions, compose(k, u64(uint64(a.Version)))) {
			r.add("articles: %s is at version %d, which is missing from article_versions", k, a.Version)
		}
		return nil
	})
	return nil
}

// checkLog checks a log bucket keyed by its sequence (outbox, audit): each entry, and a sequence at or
// above the highest key, so no new entry overwrites one.
func checkLog(r *CheckReport, b *bolt.Bucket, name string, each func(k, v []byte)) {
	var highest uint64
	b.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			r.add("%s: malformed key %x", name, k)
			return nil
		}
		highest = max(highest, binary.BigEndian.Uint64(k))
		each(k, v)
		return nil
	})
	if b.Sequence() < highest {
		r.add("%s: the sequence is at %d, below the highest entry %d: new entries would overwrite old ones", name, b.Sequence(), highest)
	}
}

// forEachTicket decodes every ticket in key order, a chunk at a time on every core, inside btx; with want,
// only the tickets whose stored JSON it accepts (a cheap look at the bytes spares decoding the rest). fn
// gets the decoding error of a ticket that cannot be read instead of the ticket.
func forEachTicket(ctx context.Context, btx *bolt.Tx, want func(raw []byte) bool, fn func(seq uint64, tk *bot.Ticket, err error) error) error {
	const chunk = 4096
	c := btx.Bucket(bucketTickets).Cursor()
	k, v := c.First()
	for k != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, seqs := make([][]byte, 0, chunk), make([]uint64, 0, chunk)
		for ; k != nil && len(raw) < chunk; k, v = c.Next() {
			if len(k) != 8 || v == nil || (want != nil && !want(v)) {
				continue
			}
			raw, seqs = append(raw, v), append(seqs, binary.BigEndian.Uint64(k))
		}
		tickets, err := decodeTickets(raw, seqs)
		for i, seq := range seqs {
			var derr error
			if err != nil { // find which: decodeTickets stops a worker at its first failure
				tk := new(bot.Ticket)
				if derr = decode(raw[i], tk, "ticket"); derr == nil {
					tickets[i] = tk
				}
			}
			if err := fn(seq, tickets[i], derr); err != nil {
				return err
			}
		}
	}
	return nil
}

// has reports whether b holds key; Get cannot tell a missing key from an empty value.
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return k != nil && bytes.Equal(k, key)
}

func keyTime(k []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))) }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// keyName prints a conversation or message key ("platform\x1fchannel\x1fid") as platform/channel/id.
func keyName(k []byte) string { return strings.ReplaceAll(string(k), "\x1f", "/") }

// --- deleting tickets: retention and erasure --------------------------------------------------------

// deleteTicket removes a ticket with its entries in every index and the message links its Messages
// records, and returns how many links it removed. Its own conversation's link is relinkConversations'
// work; other links to it (a message it no longer records, like a rating question asked again; a thread
// joined to it) are found by staleLinks; its effects are the caller's.
func (t *tx) deleteTicket(tk *bot.Ticket) (links int, err error) {
	seq, err := ticketSeq(tk.ID)
	if err != nil {
		return 0, err
	}
	key := u64(seq)
	for _, e := range []struct {
		bucket []byte
		key    []byte
	}{
		{bucketByRequester, compose([]byte(tk.Requester), key)},
		{bucketByStatus, compose([]byte(tk.Status), key)},
		{bucketByUpdated, timeKey(lastChange(tk), key)},
	} {
		if err := t.bucket(e.bucket).Delete(e.key); err != nil {
			return 0, fmt.Errorf("delete ticket %s from %s: %w", tk.ID, e.bucket, err)
		}
	}
	dueOf := t.bucket(bucketDueOf)
	if old := dueOf.Get(key); old != nil {
		if err := t.bucket(bucketByDue).Delete(old); err != nil {
			return 0, fmt.Errorf("delete ticket %s from %s: %w", tk.ID, bucketByDue, err)
		}
	}
	if err := dueOf.Delete(key); err != nil {
		return 0, fmt.Errorf("delete ticket %s from %s: %w", tk.ID, bucketDueOf, err)
	}
	msgs := t.bucket(bucketMessages)
	for _, ref := range tk.Messages {
		k := []byte(ref.Key())
		var link bot.MessageLink
		if v := msgs.Get(k); v != nil && json.Unmarshal(v, &link) == nil && link.Ticket == tk.ID {
			if err := msgs.Delete(k); err != nil {
				return 0, fmt.Errorf("delete the message links of %s: %w", tk.ID, err)
			}
			links++
		}
	}
	if err := t.bucket(bucketTickets).Delete(key); err != nil {
		return 0, fmt.Errorf("delete ticket %s: %w", tk.ID, err)
	}
	return links, nil
}

// relinkConversations points the conversation of each deleted ticket that linked to it at next(ticket),
// the newest remaining ticket of that conversation (a DM holds one ticket after another), or removes the
// link when next returns "". It returns how many links it removed.
func (t *tx) relinkConversations(deleted []*bot.Ticket, next func(*bot.Ticket) (string, error)) (removed int, err error) {
	b := t.bucket(bucketByConv)
	for _, tk := range deleted {
		ck := []byte(tk.Conversation.Key())
		if string(b.Get(ck)) != tk.ID {
			continue
		}
		id, err := next(tk)
		if err != nil {
			return removed, err
		}
		if id == "" {
			err = b.Delete(ck)
			removed++
		} else {
			err = b.Put(ck, []byte(id))
		}
		if err != nil {
			return removed, fmt.Errorf("relink the conversation of %s: %w", tk.ID, err)
		}
	}
	return removed, nil
}

// newestOfRequester finds the newest remaining ticket of tk's requester in tk's conversation. Only a DM
// holds several tickets (a thread's ticket is found by its link, so a second is never opened there), and
// a DM has one requester; for a thread there is nothing to look for.
func (t *tx) newestOfRequester(tk *bot.Ticket) (string, error) {
	if !tk.Conversation.DM {
		return "", nil
	}
	seqs := scanIndex(t.bucket(bucketByRequester), []byte(tk.Requester))
	key := tk.Conversation.Key()
	for _, seq := range slices.Backward(seqs) {
		other, err := t.ticketBySeq(seq, bot.TicketID(seq))
		if err != nil {
			return "", err
		}
		if other.Conversation.Key() == key {
			return other.ID, nil
		}
	}
	return "", nil
}

// A link is an entry that points at a ticket: a conversation's (its value is the ticket id) or a posted
// message's (a MessageLink).
type link struct {
	bucket, key []byte
}

// linkedTicket returns the sequence of the ticket a link's value points at.
func linkedTicket(bucket, v []byte) (uint64, bool) {
	id := string(v)
	if bytes.Equal(bucket, bucketMessages) {
		var l bot.MessageLink
		if json.Unmarshal(v, &l) != nil {
			return 0, false // not ours to judge: check reports it
		}
		id = l.Ticket
	}
	seq, err := ticketSeq(id)
	return seq, err == nil
}

// staleLinks returns the links whose ticket no longer exists. Nothing indexes links by ticket, so this
// reads every link once: a few per ticket, no ticket decoded.
func staleLinks(btx *bolt.Tx) []link {
	var stale []link
	tickets := btx.Bucket(bucketTickets)
	for _, name := range [][]byte{bucketByConv, bucketMessages} {
		btx.Bucket(name).ForEach(func(k, v []byte) error {
			if seq, ok := linkedTicket(name, v); ok && tickets.Get(u64(seq)) == nil {
				stale = append(stale, link{bucket: name, key: bytes.Clone(k)})
			}
			return nil
		})
	}
	return stale
}

// deleteStaleLinks deletes those of links that are still stale in btx and returns how many it deleted.
func deleteStaleLinks(btx *bolt.Tx, links []link) (int, error) {
	n := 0
	tickets := btx.Bucket(bucketTickets)
	for _, l := range links {
		b := btx.Bucket(l.bucket)
		v := b.Get(l.key)
		if v == nil {
			continue
		}
		if seq, ok := linkedTicket(l.bucket, v); ok && tickets.Get(u64(seq)) == nil {
			if err := b.Delete(l.key); err != nil {
				return n, fmt.Errorf("delete a stale link from %s: %w", l.bucket, err)
			}
			n++
		}
	}
	return n, nil
}

// deleteEffects drops the pending effects for which drop is true.
func (t *tx) deleteEffects(drop func(*bot.Effect) bool) (int, error) {
	var seqs []uint64
	err := t.bucket(bucketOutbox).ForEach(func(k, v []byte) error {
		var e bot.Effect
		if err := decode(v, &e, "outbox effect"); err != nil {
			return err
		}
		if drop(&e) {
			seqs = append(seqs, e.Seq)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, seq := range seqs {
		if err := t.DeleteEffect(seq); err != nil {
			return 0, err
		}
	}
	return len(seqs), nil
}

// Purge is what PurgeResolved removed.
type Purge struct {
	Tickets int
	// Links are the conversation and message links to the deleted tickets.
	Links   int
	Effects int
}

// purgeScanFactor bounds the index entries one purge transaction reads to this many times its batch, so
// old tickets that stay (active ones nobody touched for months) cannot make a transaction long either.
const purgeScanFactor = 8

// PurgeResolved deletes the tickets resolved before cutoff, with every index entry, message link,
// conversation link and pending effect of theirs, in transactions of at most batch tickets so the desk's
// own writes wait for one batch at most. Candidates come from the last-change index, so a ticket that
// changed after cutoff (rated, commented on) is kept until its last change is older too; audit entries
// and articles' feedback counts are kept. It returns what it removed, also when ctx ends it early.
func (db *DB) PurgeResolved(ctx context.Context, cutoff time.Time, batch int) (Purge, error) {
	if batch <= 0 {
		batch = 500
	}
	var res Purge
	bound := u64(uint64(max(cutoff.UnixNano(), 0)))
	var from []byte // where the next batch resumes in tickets_by_updated
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			t := &tx{btx: btx}
			var purge []*bot.Ticket
			c := btx.Bucket(bucketByUpdated).Cursor()
			k, _ := c.First()
			if from != nil {
				k, _ = c.Seek(from)
			}
			for scanned := 0; ; k, _ = c.Next() {
				if k == nil || string(k[:min(len(k), 8)]) >= string(bound) {
					done = true
					break
				}
				if len(purge) == batch || scanned == batch*purgeScanFactor {
					from = bytes.Clone(k)
					break
				}
				scanned++
				if len(k) != 16 {
					continue
				}
				tk, err := t.ticketBySeq(binary.BigEndian.Uint64(k[8:]), bot.TicketID(binary.BigEndian.Uint64(k[8:])))
				if bot.IsNotFound(err) {
					continue // a dangling entry: check reports it
				}
				if err != nil {
					return err
				}
				if tk.Status == bot.StatusResolved && tk.ResolvedAt != nil && tk.ResolvedAt.Before(cutoff) {
					purge = append(purge, tk)
				}
			}
			gone := map[string]bool{}
			for _, tk := range purge {
				n, err := t.deleteTicket(tk)
				if err != nil {
					return err
				}
				gone[tk.ID] = true
				res.Links += n
			}
			n, err := t.relinkConversations(purge, t.newestOfRequester)
			if err != nil {
				return err
			}
			res.Links += n
			n, err = t.deleteEffects(func(e *bot.Effect) bool { return gone[e.Ticket] })
			if err != nil {
				return err
			}
			res.Tickets += len(purge)
			res.Effects += n
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("purge resolved tickets: %w", err)
		}
	}
	if res.Tickets == 0 {
		return res, nil
	}
	// The other links to the deleted tickets: found in one read, deleted in small batches.
	var stale []link
	if err := db.bolt.View(func(btx *bolt.Tx) error { stale = staleLinks(btx); return nil }); err != nil {
		return res, fmt.Errorf("find stale links: %w", err)
	}
	for len(stale) > 0 {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch := stale[:min(len(stale), 1000)]
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			n, err := deleteStaleLinks(btx, batch)
			res.Links += n
			return err
		})
		if err != nil {
			return res, fmt.Errorf("delete stale links: %w", err)
		}
		stale = stale[len(batch):]
	}
	return res, nil
}

// --- erasing a person -----------------------------------------------------------------------------------

// Erasure is what EraseUser changed, or in a dry run would change.
type Erasure struct {
	User string
	// DeletedTickets are the tickets the person requested, deleted with their index entries and links.
	DeletedTickets []string
	// ChangedTickets are other tickets that held their messages, name or id.
	ChangedTickets []string
	// Messages are their transcript entries in other tickets, now "[erased]".
	Messages int
	// Assignments are tickets they were assigned, now assigned to "erased".
	Assignments int
	// Fields are other fields that named them (history, resolved by, ratings, drafts), now "erased".
	Fields int
	// Mentions are places their name, id or words were found in other text and replaced.
	Mentions int
	// AuditEntries, ArticleVersions and AdapterRecords are the records of those kinds rewritten.
	AuditEntries    int
	ArticleVersions int
	AdapterRecords  int
	// Effects are pending outbox effects dropped (theirs) or scrubbed (mentioning them).
	Effects int
	// Links are the conversation and message links to the deleted tickets, removed.
	Links int
}

// What erased data is replaced with.
const (
	erasedName = "erased"
	erasedText = "[erased]"
)

var errDryRun = errors.New("dry run")

// EraseUser removes a person's data in one transaction: the tickets they requested are deleted (with
// index entries, message and conversation links, pending effects); in every other ticket their messages
// become "[erased]", and their id or name as assignee, in the history, as rater, or as a draft's author
// becomes "erased"; their name and id, as whole words, become "erased" wherever they appear in other text
// (transcripts, notes, subjects, ratings' comments, drafts, audit details, pending messages, adapters'
// stored messages), and the words of their messages become "[erased]" where the same ticket quotes them
// (a draft, a reply, a relay not yet posted); an adapter's stored message whose author they are becomes
// "[erased]"; audit entries they made or that name them, and the article versions they wrote, name
// "erased". Dedup keys are left: they are opaque event ids that expire within days. With dryRun nothing
// is written. The freed bytes stay in the file until Compact.
func (db *DB) EraseUser(ctx context.Context, user string, dryRun bool) (Erasure, error) {
	platform, id := bot.SplitID(user)
	if platform == "" || strings.TrimSpace(id) == "" {
		return Erasure{}, bot.Errorf(bot.EINVALID, "%q is not platform:id (like \"slack:U0123ABCD\" or \"console:bob\")", user)
	}
	if err := ctx.Err(); err != nil {
		return Erasure{}, err
	}
	var res Erasure
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		res = Erasure{User: user}
		t := &tx{btx: btx}
		er := newEraser(user)

		// What identifies them: their tickets, the names they went by, what they wrote. A ticket that
		// names them holds their id in its JSON: the others are not decoded.
		var own []*bot.Ticket
		for _, seq := range scanIndex(t.bucket(bucketByRequester), []byte(user)) {
			tk, err := t.ticketBySeq(seq, bot.TicketID(seq))
			if err != nil {
				return err
			}
			own = append(own, tk)
			res.DeletedTickets = append(res.DeletedTickets, tk.ID)
		}
		quotedID := jsonText(user)
		err := forEachTicket(ctx, btx, func(raw []byte) bool { return bytes.Contains(raw, quotedID) }, func(_ uint64, tk *bot.Ticket, err error) error {
			if err != nil {
				return err
			}
			if tk.Requester == user {
				er.addName(tk.RequesterName)
			}
			if tk.Assignee == user {
				er.addName(tk.AssigneeName)
			}
			for _, e := range tk.Transcript {
				if e.Author == user {
					er.addName(e.Name)
					er.addMessage(tk.ID, e.Text)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		er.compile()

		// Everyone else's tickets that may hold their id or a name of theirs.
		var changed []*bot.Ticket
		err = forEachTicket(ctx, btx, er.mayName, func(_ uint64, tk *bot.Ticket, err error) error {
			if err != nil {
				return err
			}
			if tk.Requester == user {
				return nil
			}
			if er.ticket(tk, &res) {
				changed = append(changed, tk)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, tk := range changed {
			if err := t.PutTicket(tk); err != nil {
				return err
			}
			res.ChangedTickets = append(res.ChangedTickets, tk.ID)
		}
		for _, tk := range own {
			n, err := t.deleteTicket(tk)
			if err != nil {
				return err
			}
			res.Links += n
		}
		// A conversation's tickets all have one requester (a thread has one ticket, a DM one person, a
		// joined thread its asker's), so the links to theirs have nowhere else to point.
		n, err := t.relinkConversations(own, func(*bot.Ticket) (string, error) { return "", nil })
		if err != nil {
			return err
		}
		res.Links += n
		n, err = deleteStaleLinks(btx, staleLinks(btx))
		if err != nil {
			return err
		}
		res.Links += n
		if err := er.outbox(t, res.DeletedTickets, &res); err != nil {
			return err
		}
		if err := er.audit(t, &res); err != nil {
			return err
		}
		if err := er.articles(t, &res); err != nil {
			return err
		}
		if err := er.adapters(t, &res); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return Erasure{}, fmt.Errorf("erase %s: %w", user, err)
	}
	return res, nil
}

// eraser finds and replaces one person in text and records.
type eraser struct {
	user, bare string
	names      []string // their id and the names they went by
	// messages are what they wrote, by ticket: matched verbatim where it is quoted in the same ticket (a
	// draft captured from it, a reply quoting it, a relay waiting in the outbox). Only in the same ticket:
	// "I restarted, no change." in another ticket is someone else's.
	messages map[string][]string
	re       *regexp.Regexp
	lower    [][]byte // names, lower case, as they are and as JSON writes them: mayName's needles
}

// Names and messages shorter than these are not searched for in free text: "Al" or "thanks" would erase
// other people's words. Fields that hold their id are replaced whatever its length.
const (
	minNameRunes    = 3
	minMessageRunes = 8
)

func newEraser(user string) *eraser {
	_, bare := bot.SplitID(user)
	e := &eraser{user: user, bare: bare, messages: map[string][]string{}}
	e.addName(user)
	e.addName(bare)
	return e
}

func (e *eraser) addName(s string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) >= minNameRunes && !slices.Contains(e.names, s) {
		e.names = append(e.names, s)
	}
}

func (e *eraser) addMessage(ticket, s string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) >= minMessageRunes && !slices.Contains(e.messages[ticket], s) {
		e.messages[ticket] = append(e.messages[ticket], s)
	}
}

func (e *eraser) compile() {
	longestFirst := func(a, b string) int { return len(b) - len(a) }
	slices.SortFunc(e.names, longestFirst) // the regexp takes the first alternative that matches
	for _, m := range e.messages {
		slices.SortFunc(m, longestFirst)
	}
	quoted := make([]string, len(e.names))
	for i, n := range e.names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	e.re = regexp.MustCompile(`(?i)` + strings.Join(quoted, "|"))
	for _, n := range e.names {
		low := strings.ToLower(n)
		e.lower = append(e.lower, []byte(low))
		if j := jsonText(low); string(j) != low {
			e.lower = append(e.lower, j)
		}
	}
}

// mayName reports whether a stored ticket may name them: whether its JSON holds one of their names or
// ids in any case. It may say yes for "bobsled"; scrub decides on words.
func (e *eraser) mayName(raw []byte) bool {
	low := bytes.ToLower(raw)
	for _, n := range e.lower {
		if bytes.Contains(low, n) {
			return true
		}
	}
	return false
}

// jsonText is s as it appears inside a JSON string (Go escapes <, > and & among others).
func jsonText(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

// scrub replaces their messages in ticket with "[erased]" and their names, as whole words, with "erased".
func (e *eraser) scrub(s, ticket string) (string, int) {
	if s == "" {
		return s, 0
	}
	n := 0
	for _, m := range e.messages[ticket] {
		if c := strings.Count(s, m); c > 0 {
			s, n = strings.ReplaceAll(s, m, erasedText), n+c
		}
	}
	var out strings.Builder
	last := 0
	for _, loc := range e.re.FindAllStringIndex(s, -1) {
		before, _ := utf8.DecodeLastRuneInString(s[:loc[0]])
		after, _ := utf8.DecodeRuneInString(s[loc[1]:])
		if isWordRune(before) || isWordRune(after) {
			continue // "bob" in "bobsled"
		}
		out.WriteString(s[last:loc[0]])
		out.WriteString(erasedName)
		last = loc[1]
		n++
	}
	if n == 0 {
		return s, 0
	}
	out.WriteString(s[last:])
	return out.String(), n
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

// text scrubs *p (in ticket, "" for none) and adds the replacements to *n.
func (e *eraser) text(p *string, ticket string, n *int) bool {
	s, c := e.scrub(*p, ticket)
	if c == 0 {
		return false
	}
	*p, *n = s, *n+c
	return true
}

// ticket erases the person from another person's ticket and reports whether anything changed.
func (e *eraser) ticket(tk *bot.Ticket, res *Erasure) bool {
	changed := false
	field := func(p *string) {
		if *p == e.user {
			*p, changed = erasedName, true
			res.Fields++
		}
	}
	text := func(p *string) {
		if e.text(p, tk.ID, &res.Mentions) {
			changed = true
		}
	}
	if tk.Assignee == e.user {
		tk.Assignee, tk.AssigneeName, changed = erasedName, erasedName, true
		res.Assignments++
	}
	field(&tk.ResolvedBy)
	text(&tk.Subject)
	for i := range tk.Transcript {
		en := &tk.Transcript[i]
		if en.Author == e.user {
			en.Author, en.Name, en.Text, changed = erasedName, erasedName, erasedText, true
			res.Messages++
			continue
		}
		text(&en.Text)
	}
	for i := range tk.Events {
		field(&tk.Events[i].By)
		text(&tk.Events[i].Detail)
	}
	for i := range tk.Cards {
		text(&tk.Cards[i].Note)
	}
	if r := tk.CSAT; r != nil {
		if r.By == e.user {
			r.By, changed = erasedName, true
			res.Fields++
			if r.Comment != "" {
				r.Comment = erasedName
			}
		}
		text(&r.Comment)
	}
	if d := tk.Draft; d != nil {
		field(&d.By)
		text(&d.Title)
		text(&d.Body)
	}
	return changed
}

// outbox drops the pending effects of their deleted tickets and the messages to them, and scrubs the
// others: a message not yet posted must not post what was erased.
func (e *eraser) outbox(t *tx, deleted []string, res *Erasure) error {
	n, err := t.deleteEffects(func(eff *bot.Effect) bool {
		return slices.Contains(deleted, eff.Ticket) || eff.Post.DM == e.user
	})
	if err != nil {
		return err
	}
	res.Effects += n
	effects, err := t.Effects(0, 0)
	if err != nil {
		return err
	}
	for _, eff := range effects {
		var c int
		e.text(&eff.Post.Text, eff.Ticket, &c)
		e.text(&eff.Post.Title, eff.Ticket, &c)
		for i := range eff.Post.Fields {
			e.text(&eff.Post.Fields[i].Value, eff.Ticket, &c)
		}
		if c > 0 {
			if err := t.PutEffect(eff); err != nil {
				return err
			}
			res.Effects++
			res.Mentions += c
		}
	}
	return nil
}

// audit rewrites the audit entries they made or that name them. The audit log is otherwise never
// rewritten; erasing a person is the one exception.
func (e *eraser) audit(t *tx, res *Erasure) error {
	type entry struct {
		key []byte
		e   bot.AuditEntry
	}
	var changed []entry
	b := t.bucket(bucketAudit)
	err := b.ForEach(func(k, v []byte) error {
		var a bot.AuditEntry
		if err := decode(v, &a, "audit entry"); err != nil {
			return err
		}
		c := 0
		for _, p := range []*string{&a.Actor, &a.Target} {
			if *p == e.user {
				*p = erasedName
				c++
			}
		}
		e.text(&a.Detail, "", &c)
		if c > 0 {
			changed = append(changed, entry{bytes.Clone(k), a})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changed {
		data, err := json.Marshal(c.e)
		if err != nil {
			return err
		}
		if err := b.Put(c.key, data); err != nil {
			return fmt.Errorf("rewrite audit entry: %w", err)
		}
	}
	res.AuditEntries += len(changed)
	return nil
}

// articles rewrites the author of the article versions they wrote.
func (e *eraser) articles(t *tx, res *Erasure) error {
	for _, name := range [][]byte{bucketArticles, bucketArticleVers} {
		b := t.bucket(name)
		var keys [][]byte
		var values [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var a storedArticle
			if err := decode(v, &a, "article "+string(k)); err != nil {
				return err
			}
			if a.Author != e.user {
				return nil
			}
			a.Author = erasedName
			data, err := json.Marshal(a)
			if err != nil {
				return err
			}
			keys, values = append(keys, bytes.Clone(k)), append(values, data)
			return nil
		})
		if err != nil {
			return err
		}
		for i := range keys {
			if err := b.Put(keys[i], values[i]); err != nil {
				return fmt.Errorf("rewrite article %s: %w", keys[i], err)
			}
		}
		if bytes.Equal(name, bucketArticleVers) {
			res.ArticleVersions += len(keys)
		}
	}
	return nil
}

// adapters scrubs what the person's platform adapter keeps in the data file (the console keeps its chat
// there). Adapter state is JSON the adapter owns, so this is generic: in an object whose "author" is the
// person, "text" and "title" become "[erased]" and the author "erased"; every other string is scrubbed.
func (e *eraser) adapters(t *tx, res *Erasure) error {
	platform, _ := bot.SplitID(e.user)
	b := t.bucket(bucketAdapters).Bucket([]byte(platform))
	if b == nil {
		return nil
	}
	var keys, values [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) != nil {
			return nil // not JSON: nothing this can read
		}
		c := 0
		doc = e.scrubJSON(doc, &c)
		if c == 0 {
			return nil
		}
		data, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		keys, values = append(keys, bytes.Clone(k)), append(values, data)
		res.Mentions += c
		return nil
	})
	if err != nil {
		return err
	}
	for i := range keys {
		if err := b.Put(keys[i], values[i]); err != nil {
			return fmt.Errorf("rewrite %s state: %w", platform, err)
		}
	}
	res.AdapterRecords += len(keys)
	return nil
}

func (e *eraser) scrubJSON(v any, c *int) any {
	switch v := v.(type) {
	case string:
		e.text(&v, "", c)
		return v
	case []any:
		for i := range v {
			v[i] = e.scrubJSON(v[i], c)
		}
		return v
	case map[string]any:
		if a, ok := v["author"].(string); ok && (a == e.user || a == e.bare) {
			v["author"] = erasedName
			for _, k := range []string{"text", "title"} {
				if _, ok := v[k].(string); ok {
					v[k] = erasedText
				}
			}
			*c++
		}
		for k := range v {
			v[k] = e.scrubJSON(v[k], c)
		}
		return v
	}
	return v
}
