package storage

// The one way a file is given to bbolt: every command that opens the data file, a backup or a copy comes
// through openBolt, which refuses what bbolt would crash on or would adopt as its own (an empty file, a
// file cut short or damaged, another program's bbolt file), each with the sentence a user acts on.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/firstline-desk/firstline/bot"
)

// fileRole is what a file is to the command opening it, for what its errors tell the user to do.
type fileRole int

const (
	// roleData is the desk's data file: what repairs it is a backup.
	roleData fileRole = iota
	// roleBackup is a backup, or a copy being verified: the caller says what it was for.
	roleBackup
)

// refusal is the error for a file that is not (or no longer) a Firstline data file.
func refusal(path string, role fileRole, f *fileFault) error {
	if f.notBolt {
		if role == roleData {
			return bot.Errorf(bot.EINVALID, "%s is not a Firstline data file (nor any bbolt file): point -data at Firstline's data directory, or restore a backup", path)
		}
		return bot.Errorf(bot.EINVALID, "%s is not a Firstline data file (nor any bbolt file)", path)
	}
	if role == roleData {
		return bot.Errorf(bot.EINVALID, "%s is damaged (%s): restore a backup", path, f.reason)
	}
	return bot.Errorf(bot.EINVALID, "%s is damaged (%s)", path, f.reason)
}

func emptyFile(path string, role fileRole) error {
	if role == roleData {
		return bot.Errorf(bot.EINVALID, "%s is empty (0 bytes), not a Firstline data file: restore a backup, or remove it to start a new one", path)
	}
	return bot.Errorf(bot.EINVALID, "%s is empty (0 bytes), not a Firstline data file", path)
}

func foreignFile(path string, role fileRole) error {
	if role == roleData {
		return bot.Errorf(bot.EINVALID, "%s is not a Firstline data file (it is a bbolt file without Firstline's schema version, another program's): point -data at Firstline's data directory", path)
	}
	return bot.Errorf(bot.EINVALID, "%s is not a Firstline data file (it is a bbolt file without Firstline's schema version, another program's)", path)
}

// openBolt opens the file at path with bbolt once it has passed inspect, read under a shared lock so
// that no writer changes it meanwhile. It creates a file that does not exist (unless readOnly) but never
// adopts an existing file that is not Firstline's: a zero-byte file (a copy cut short at nothing, or a
// desk that crashed while creating it) and another program's bbolt file are refused, unchanged. A bbolt
// file without any bucket is Firstline's, made by a desk that stopped before its first migration. It
// returns what inspect noticed without refusing the file. A file held by another process fails after
// timeout with EUNAVAILABLE.
func openBolt(path string, role fileRole, bopts bolt.Options) (*bolt.DB, inspection, error) {
	if bopts.Timeout <= 0 {
		bopts.Timeout = defaultLockTimeout
	}
	ins, err := inspectPath(path, role, bopts.ReadOnly, bopts.Timeout)
	if err != nil {
		return nil, ins, err
	}
	var b *bolt.DB
	err = guard(path, role, func() (err error) {
		b, err = bolt.Open(path, 0o600, &bopts)
		return err
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, ins, bot.WrapError(err, bot.EUNAVAILABLE, errDataFileInUseFmt, path)
	}
	if err != nil && !bopts.ReadOnly {
		if nw := notWritable(path, err); nw != nil {
			return nil, ins, nw // not "not a data file": the file may be fine
		}
	}
	if err != nil {
		return nil, ins, fmt.Errorf("open %s: %w", path, err)
	}
	var foreign bool
	if err := guard(path, role, func() error {
		return b.View(func(btx *bolt.Tx) error { foreign = isForeign(btx); return nil })
	}); err != nil {
		b.Close()
		return nil, ins, err
	}
	if foreign {
		b.Close()
		return nil, ins, foreignFile(path, role)
	}
	return b, ins, nil
}

// isForeign reports whether btx is another program's: buckets, but no Firstline schema version.
func isForeign(btx *bolt.Tx) bool {
	if _, ok := schemaOf(btx); ok {
		return false
	}
	k, _ := btx.Cursor().First()
	return k != nil
}

// inspectPath inspects the file at path, if there is one, under a shared lock.
func inspectPath(path string, role fileRole, readOnly bool, timeout time.Duration) (inspection, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !readOnly:
		return inspection{}, nil // bbolt creates it
	case errors.Is(err, fs.ErrNotExist):
		return inspection{}, bot.Errorf(bot.ENOTFOUND, "there is no data file at %s", path)
	case err != nil:
		return inspection{}, fmt.Errorf("open %s: %w", path, err)
	case st.IsDir():
		return inspection{}, bot.Errorf(bot.EINVALID, "%s is a directory, not a Firstline data file", path)
	case st.Size() == 0:
		return inspection{}, emptyFile(path, role)
	}
	f, err := lockFile(path, false, timeout)
	if err != nil {
		return inspection{}, err
	}
	defer f.Close() // and the lock with it
	ins, err := inspect(f)
	var fault *fileFault
	if errors.As(err, &fault) {
		return ins, refusal(path, role, fault)
	}
	if err != nil {
		return ins, fmt.Errorf("read %s: %w", path, err)
	}
	return ins, nil
}

// lockFile opens the file at path and takes bbolt's lock on it (flock: shared for a reader, or
// exclusive for a writer, which opens it for writing, as bbolt's writers do), waiting up to timeout; it
// fails with EUNAVAILABLE when a process keeps holding it. Closing the file releases the lock.
func lockFile(path string, exclusive bool, timeout time.Duration) (*os.File, error) {
	flag := os.O_RDONLY
	if exclusive {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if exclusive {
		if nw := notWritable(path, err); err != nil && nw != nil {
			return nil, nw
		}
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("cannot read the data file %s: Firstline must be able to read and write it (owned by another user?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		busy, err := tryLock(f, exclusive)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !busy {
			return f, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, bot.Errorf(bot.EUNAVAILABLE, errDataFileInUseFmt, path)
		}
		time.Sleep(50 * time.Millisecond) // as bbolt polls its own lock
	}
}

// openRaw opens a data file at the bbolt level without migrating it: maintenance works on a file of any
// schema this build understands and must not change a file it was only asked to copy or check. A file held
// by another process fails after the lock timeout with an EUNAVAILABLE error.
func openRaw(path string, readOnly bool, timeout time.Duration) (*bolt.DB, inspection, error) {
	return openBolt(path, roleData, bolt.Options{Timeout: timeout, ReadOnly: readOnly})
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
