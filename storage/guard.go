package storage

// The storage boundary: every use of bbolt runs inside guard, so that a page damaged after the file was
// opened (inspect checked it then: another process wrote into it, or the disk returned garbage) ends the
// transaction with an error instead of the process. bbolt follows page ids into its memory map: a bad one
// faults (SIGSEGV, SIGBUS: fatal in Go unless the goroutine asked for a panic instead) or trips one of
// bbolt's assertions (a panic).

import (
	"runtime"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// guard runs fn, which uses bbolt on the file at path, and returns a panic raised by bbolt or by this
// package's own reading of the file as the "damaged: restore a backup" error. A panic raised anywhere
// else (a bug in a caller's transaction function) is not the file's fault and goes on.
func guard(path string, role fileRole, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if !raisedByStorage() {
			panic(r)
		}
		err = refusal(path, role, damage("reading it failed: %v", r))
	}()
	return fn()
}

// The packages whose panics are the file's fault.
const (
	boltPackage    = "go.etcd.io/bbolt"
	storagePackage = "github.com/firstline-desk/firstline/storage."
)

// raisedByStorage reports whether the panic being recovered was raised in bbolt or in this package: the
// first frame below the panic that is not the standard library's (the runtime's fault handler, bytes,
// sort) is theirs. Called from guard's deferred function.
func raisedByStorage() bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs) // runtime.Callers, this function, guard's deferred function
	frames := runtime.CallersFrames(pcs[:n])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case !panicking:
			panicking = f.Function == "runtime.gopanic"
		case !standardLibrary(f.Function):
			return strings.HasPrefix(f.Function, boltPackage) || strings.HasPrefix(f.Function, storagePackage)
		}
		if !more {
			return false
		}
	}
}

// standardLibrary reports whether a function (as runtime.Frame names it: "bytes.Compare",
// "encoding/json.(*decodeState).object", "go.etcd.io/bbolt.(*Cursor).search") is the standard library's:
// the first element of its import path has no dot, and it is not the main package.
func standardLibrary(function string) bool {
	if first, _, ok := strings.Cut(function, "/"); ok {
		return !strings.Contains(first, ".")
	}
	return !strings.HasPrefix(function, "main.")
}

// view and update are bbolt's View and Update inside guard.
func (db *DB) view(fn func(*bolt.Tx) error) error {
	return guard(db.path, roleData, func() error { return db.bolt.View(fn) })
}

func (db *DB) update(fn func(*bolt.Tx) error) error {
	err := guard(db.path, roleData, func() error { return db.bolt.Update(fn) })
	if err == nil {
		db.counts.commits.Add(1)
	}
	return err
}
