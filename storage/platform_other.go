//go:build !unix

package storage

import (
	"io"
	"os"
)

// mapFile reads the first size bytes of f: without mmap here, a copy stands in for the mapping.
func mapFile(f *os.File, size int64) (data []byte, unmap func(), err error) {
	data = make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), data); err != nil {
		return nil, nil, err
	}
	return data, func() {}, nil
}

// tryLock does not lock here: bbolt takes its own lock when it opens the file, and refuses a file held
// by another process then.
func tryLock(*os.File, bool) (busy bool, err error) { return false, nil }
