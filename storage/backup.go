package storage

// Backups (online through a running DB, or of a file no process holds), restore and compaction. Files are
// replaced only by renaming a complete, fsync'd, verified copy.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/firstline-desk/firstline/bot"
)

// FileInfo describes a data file, or a backup of one, that passed verification.
type FileInfo struct {
	Path    string
	Size    int64
	Tickets int
	Schema  int
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

// VerifyFile opens a data file or a backup read-only and checks it: its structure as bbolt will read it
// (see inspect), every bbolt page (Tx.Check), a Firstline schema version, and one not newer than this
// build. It changes nothing. Its errors name the file without saying what to do: that depends on what the
// file was for (a backup to restore, a backup just written, a compacted copy).
func VerifyFile(path string, opts Options) (FileInfo, error) {
	b, _, err := openBolt(path, roleBackup, bolt.Options{Timeout: opts.LockTimeout, ReadOnly: true})
	if err != nil {
		return FileInfo{}, err
	}
	defer b.Close()
	info := FileInfo{Path: path}
	err = guard(path, roleBackup, func() error {
		return b.View(func(btx *bolt.Tx) error {
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
	b, _, err := openRaw(src, true, opts.LockTimeout)
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
	err = guard(src, roleData, func() error {
		return b.View(func(btx *bolt.Tx) error {
			if _, err := btx.WriteTo(ctxWriter{ctx: ctx, w: tmp}); err != nil {
				return err
			}
			info.Size = btx.Size()
			info.Schema, _ = schemaOf(btx)
			info.Tickets = countTickets(btx)
			return nil
		})
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
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := copyInto(out, src); err != nil {
		os.Remove(dst)
		return err
	}
	return nil
}

// copyInto copies src into out, fsyncs and closes out.
func copyInto(out *os.File, src string) error {
	in, err := os.Open(src)
	if err != nil {
		out.Close()
		return err
	}
	defer in.Close()
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return syncClose(out)
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
// a moment without a data file) and the copy is renamed over it. The backup itself is left as it was. The
// data file is never opened with bbolt, only locked: whatever it holds (it may be cut short or damaged,
// which is when one restores) cannot stop or crash the restore.
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
		return RestoreResult{}, restate(err, "the backup cannot be restored: %s: restore another backup")
	}
	if err := ctx.Err(); err != nil {
		return RestoreResult{}, err
	}
	dir := filepath.Dir(dataPath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return RestoreResult{}, fmt.Errorf("create data directory: %w", err)
	}
	// A name no one can plant a file or a link at beforehand (CreateTemp creates it, O_EXCL).
	out, err := os.CreateTemp(dir, "."+filepath.Base(dataPath)+".restore-*")
	if nw := notWritable(dataPath, err); err != nil && nw != nil {
		return RestoreResult{}, nw
	}
	if err != nil {
		return RestoreResult{}, fmt.Errorf("copy the backup next to the data file: %w", err)
	}
	tmp := out.Name()
	defer os.Remove(tmp) // gone after the rename
	if err := copyInto(out, backupPath); err != nil {
		return RestoreResult{}, fmt.Errorf("copy the backup next to the data file: %w", err)
	}
	info, err := VerifyFile(tmp, opts)
	if err != nil {
		return RestoreResult{}, restate(err, "the copy of the backup does not verify: %s")
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

// restate puts a domain error's message into format (one %s), keeping its code: the sentence a user sees
// is the message alone, so context must be in it.
func restate(err error, format string) error {
	var be *bot.Error
	if errors.As(err, &be) {
		return bot.WrapError(err, be.Code, format, be.Message)
	}
	return fmt.Errorf(format, err)
}

// lockData takes the data file's lock for a restore (the lock bbolt's writers take), without opening the
// file with bbolt: nil when there is no file to lock; an error when a process holds it.
func lockData(path string, opts Options) (*os.File, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = defaultLockTimeout
	}
	f, err := lockFile(path, true, timeout)
	switch {
	case err == nil:
		return f, nil
	case errors.Is(err, fs.ErrNotExist):
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
	src, _, err := openRaw(path, false, opts.LockTimeout)
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
	dir, base := filepath.Dir(path), filepath.Base(path)
	removeLeftovers(dir, "."+base+".compact-*") // of an interrupted compaction: this one holds the lock now
	// The copy is created here (O_EXCL, a random name) and handed to bbolt open: no file or link planted
	// in the directory can receive it.
	out, err := os.CreateTemp(dir, "."+base+".compact-*")
	if err != nil {
		return 0, 0, fmt.Errorf("create the compacted copy in %s: %w", dir, err)
	}
	tmp := out.Name()
	defer os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: opts.LockTimeout,
		OpenFile: func(string, int, os.FileMode) (*os.File, error) { return out, nil }})
	if err != nil {
		out.Close()
		return 0, 0, fmt.Errorf("create %s: %w", tmp, err)
	}
	if err := guard(path, roleData, func() error { return bolt.Compact(dst, src, compactTxSize) }); err != nil {
		dst.Close()
		return 0, 0, restate(err, "compact: %s")
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
		return 0, 0, restate(err, "the compacted copy does not verify, the data file is unchanged: %s")
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, 0, fmt.Errorf("move the compacted file into place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return 0, 0, err
	}
	return st.Size(), info.Size, nil
}

// removeLeftovers removes the regular files in dir matching pattern.
func removeLeftovers(dir, pattern string) {
	names, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, name := range names {
		if fi, err := os.Lstat(name); err == nil && fi.Mode().IsRegular() {
			os.Remove(name)
		}
	}
}
