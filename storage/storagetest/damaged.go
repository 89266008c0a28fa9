// Package storagetest makes damaged copies of a data file, for tests that no command crashes on one:
// files cut short at many offsets (a copy or an rsync stopped early), and bytes flipped or rewritten in
// the meta pages (with and without a checksum that matches), the freelist, and branch and leaf pages.
package storagetest

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Damaged is one damaged copy of a data file.
type Damaged struct {
	// Name says what was done to it: "cut at 12288 of 32768", "meta 1 byte 40 ^ 0x01", ...
	Name string
	Path string
	// CutShort is set for a copy cut below the file's high-water mark: bbolt would map past its end.
	CutShort bool
}

// The bbolt layout these copies damage (go.etcd.io/bbolt/internal/common), written down independently of
// the storage package's reader so that a mistake there is not repeated here.
const (
	pageHeader  = 16
	metaOffset  = pageHeader // a meta page's fields follow its header
	metaChecked = 56         // magic .. txid
)

var native = binary.NativeEndian

// Page is one page of a data file as bbolt describes it.
type Page struct {
	ID    int
	Type  string // "meta", "freelist", "branch", "leaf", "free"
	Count int    // its elements
}

// Layout reads a data file's page size, its high-water mark (pages in use), its pages, and which meta page
// is the newer, with bbolt. The file must not be held by a writer.
func Layout(tb testing.TB, path string) (pageSize, hwm int, pages []Page, newerMeta int) {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		pageSize = db.Info().PageSize
		newerMeta = int(tx.ID() % 2)
		for id := 0; ; id++ {
			info, err := tx.Page(id)
			if err != nil {
				return err
			}
			if info == nil {
				hwm = id
				return nil
			}
			pages = append(pages, Page{ID: id, Type: info.Type, Count: info.Count})
			id += info.OverflowCount
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return pageSize, hwm, pages, newerMeta
}

// Corpus writes damaged copies of the data file at path into dir, each as firstline.db in a directory of
// its own (a data directory), and returns them. every thins the single-byte flips (1: every byte); the
// cuts and the rewritten meta pages are always all there.
func Corpus(tb testing.TB, path, dir string, every int) []Damaged {
	tb.Helper()
	good, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	ps, hwm, pages, newer := Layout(tb, path)
	good = good[:hwm*ps] // what bbolt allocated beyond the high-water mark holds nothing
	var out []Damaged
	write := func(name string, data []byte, cutShort bool) {
		sub := filepath.Join(dir, fmt.Sprintf("%04d", len(out)))
		if err := os.Mkdir(sub, 0o700); err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(sub, "firstline.db")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			tb.Fatal(err)
		}
		out = append(out, Damaged{Name: name, Path: p, CutShort: cutShort})
	}
	edit := func(name string, fn func(b []byte)) {
		b := append([]byte(nil), good...)
		fn(b)
		write(name, b, false)
	}

	// Cut short: inside the first meta page, at and around every page boundary up to the high-water mark.
	cuts := []int{0, 1, 8, 15, 16, 20, 40, 79, 80, 100, ps / 2}
	for k := 1; k <= hwm; k++ {
		cuts = append(cuts, k*ps-1, k*ps, k*ps+1, k*ps+ps/2)
	}
	seen := map[int]bool{}
	for _, n := range cuts {
		if n < 0 || n >= hwm*ps || seen[n] {
			continue
		}
		seen[n] = true
		write(fmt.Sprintf("cut at %d of %d bytes", n, hwm*ps), good[:n], n > 0)
	}

	// Meta pages: every byte of the header and the fields, flipped one way and another; in the newer meta
	// page (bbolt falls back on the older) and at the same place in both.
	for _, x := range []byte{0x01, 0xff} {
		for off := 0; off < metaOffset+metaChecked+8; off += every {
			edit(fmt.Sprintf("meta %d byte %d ^ %#x", newer, off, x), func(b []byte) { b[newer*ps+off] ^= x })
			edit(fmt.Sprintf("both metas byte %d ^ %#x", off, x), func(b []byte) { b[off] ^= x; b[ps+off] ^= x })
		}
	}
	// The newer meta page rewritten with a checksum that matches: bbolt trusts every field of it.
	field := map[string]int{"page size": 8, "root": 16, "freelist": 32, "high-water mark": 40}
	root, freelist, pgid := func(b []byte) (uint64, uint64, uint64) {
		m := b[newer*ps+metaOffset:]
		return native.Uint64(m[16:]), native.Uint64(m[32:]), native.Uint64(m[40:])
	}(good)
	for _, c := range []struct {
		field string
		value uint64
	}{
		{"high-water mark", pgid * 4}, {"high-water mark", pgid + 1}, {"high-water mark", 1}, {"high-water mark", 1 << 60},
		{"root", 0}, {"root", 1}, {"root", freelist}, {"root", pgid}, {"root", pgid + 100}, {"root", 1 << 62},
		{"freelist", 0}, {"freelist", root}, {"freelist", pgid}, {"freelist", 1 << 62},
		{"page size", 0}, {"page size", 512}, {"page size", uint64(ps) * 2}, {"page size", 3000}, {"page size", 1 << 31},
	} {
		edit(fmt.Sprintf("meta %d %s = %d, checksum matching", newer, c.field, c.value), func(b []byte) {
			m := b[newer*ps+metaOffset:]
			if c.field == "page size" {
				native.PutUint32(m[field[c.field]:], uint32(c.value))
			} else {
				native.PutUint64(m[field[c.field]:], c.value)
			}
			h := fnv.New64a()
			h.Write(m[:metaChecked])
			native.PutUint64(m[metaChecked:], h.Sum64())
		})
	}

	// Pages: every byte of the freelist's header and first ids; of branch pages' headers and elements; and
	// of a few leaf pages' headers and elements.
	leaves := 0
	for _, p := range pages {
		var span, step int
		switch p.Type {
		case "freelist":
			span, step = pageHeader+8*8, every
		case "branch":
			span, step = pageHeader+16*p.Count, every
		case "leaf":
			if leaves++; leaves > 3 {
				continue
			}
			span, step = pageHeader+16*p.Count, every
		default:
			continue
		}
		for off := 0; off < min(span, ps); off += step {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				at := p.ID*ps + off
				edit(fmt.Sprintf("%s page %d byte %d ^ %#x", p.Type, p.ID, off, x), func(b []byte) { b[at] ^= x })
			}
		}
		if p.Type == "freelist" { // a count that says "look at the first id" and an id beyond the file
			at := p.ID * ps
			edit(fmt.Sprintf("freelist page %d count 0xffff, huge", p.ID), func(b []byte) {
				native.PutUint16(b[at+10:], 0xffff)
				native.PutUint64(b[at+pageHeader:], 1<<40)
			})
			edit(fmt.Sprintf("freelist page %d frees the root", p.ID), func(b []byte) {
				native.PutUint16(b[at+10:], 1)
				native.PutUint64(b[at+pageHeader:], root)
			})
		}
		if p.Type == "branch" { // a child that is the page itself: bbolt would descend forever
			at := p.ID*ps + pageHeader + 8
			edit(fmt.Sprintf("branch page %d points at itself", p.ID), func(b []byte) { native.PutUint64(b[at:], uint64(p.ID)) })
		}
	}
	return out
}
