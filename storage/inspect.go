package storage

// A data file's structure, read without bbolt before bbolt maps it. bbolt trusts the file: it maps it
// without comparing its length with the meta page's high-water mark, and follows page ids and element
// offsets wherever they point. A file cut short (a copy or an rsync stopped early) or a flipped byte in a
// meta, freelist or branch page then crashes the process with SIGBUS, SIGSEGV, a stack overflow or a
// panic deep inside bbolt, at open or at the first read. inspect reads the same structures itself, with
// bounds-checked slices, so that every command refuses such a file with a sentence before bbolt sees it.
//
// The layout (go.etcd.io/bbolt/internal/common, format version 2, native byte order): pages of the meta's
// page size; each starts with a 16-byte header (id u64, flags u16, count u16, overflow u32). Pages 0 and 1
// are the meta pages; the newer valid one names the root bucket's page, the freelist page and the
// high-water mark (the number of pages in use). Branch and leaf pages hold count 16-byte element headers,
// each with an offset from the header itself to its key (and value). A leaf element flagged as a bucket
// holds the bucket's root page id and sequence, followed, when the root is 0, by an inline leaf page.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"

	"github.com/firstline-desk/firstline/internal/plural"
)

const (
	pageHeaderSize   = 16
	elementSize      = 16 // a branch element (pos, ksize, pgid) and a leaf element (flags, pos, ksize, vsize)
	bucketHeaderSize = 16 // root page id, sequence
	metaChecked      = 56 // magic .. txid: what the checksum covers
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	noFreelist       = ^uint64(0)
	flagBranch       = 0x01
	flagLeaf         = 0x02
	flagMeta         = 0x04
	flagFreelist     = 0x10
	leafIsBucket     = 0x01
	minPageSize      = 1024    // bbolt looks for the second meta page from 1 KB
	maxPageSize      = 1 << 24 // ... up to 16 MB
)

var native = binary.NativeEndian // bbolt writes its structures as they are in memory

// boltMeta is a meta page's content.
type boltMeta struct {
	magic, version, pageSize uint32
	root                     uint64 // the root bucket's page
	freelist, pgid, txid     uint64
	invalid                  string // why bbolt would not use it; "" when it would
}

func readMeta(page []byte) boltMeta {
	m := page[pageHeaderSize:]
	bm := boltMeta{
		magic:    native.Uint32(m[0:]),
		version:  native.Uint32(m[4:]),
		pageSize: native.Uint32(m[8:]),
		root:     native.Uint64(m[16:]),
		freelist: native.Uint64(m[32:]),
		pgid:     native.Uint64(m[40:]),
		txid:     native.Uint64(m[48:]),
	}
	h := fnv.New64a()
	h.Write(m[:metaChecked])
	switch {
	case bm.magic != boltMagic:
		bm.invalid = "not a bbolt meta page"
	case bm.version != boltVersion:
		bm.invalid = fmt.Sprintf("bbolt format version %d, not %d", bm.version, boltVersion)
	case native.Uint64(m[metaChecked:]) != h.Sum64():
		bm.invalid = "checksum mismatch"
	}
	return bm
}

// inspection is what inspect found that does not stop bbolt from reading the file: check reports it.
type inspection struct {
	warnings []string
}

// fileFault is why a file cannot be given to bbolt. notBolt: it is no bbolt file at all (nor a damaged
// one); otherwise it is a bbolt file that is damaged.
type fileFault struct {
	notBolt bool
	reason  string
}

func (f *fileFault) Error() string { return f.reason }

func damage(format string, args ...any) *fileFault {
	return &fileFault{reason: fmt.Sprintf(format, args...)}
}

// inspect checks that bbolt can read the file f without crashing: both meta pages, the newer valid one's
// high-water mark against the file's size, and every page reachable from it (the freelist, and every
// bucket's tree, inline buckets included): each page within the high-water mark, of the right type,
// referenced once, its elements and their keys and values inside it, and no page both in use and free.
// It reads the file through its own read-only mapping with bounds-checked slices, and turns a fault
// (the file cut short while it reads) into an error. It returns a *fileFault for what bbolt must not
// open; other errors are I/O errors.
func inspect(f *os.File) (inspection, error) {
	st, err := f.Stat()
	if err != nil {
		return inspection{}, err
	}
	size := st.Size()
	head := make([]byte, pageHeaderSize+metaChecked+8)
	if n, err := f.ReadAt(head, 0); n < len(head) {
		if err != nil && err != io.EOF {
			return inspection{}, err
		}
		if startsLikeBolt(head[:n]) {
			return inspection{}, damage("cut short at %s, inside its first page", plural.Count(size, "byte", "bytes"))
		}
		return inspection{}, &fileFault{notBolt: true, reason: "not a bbolt file"}
	}
	m0 := readMeta(head)
	pageSize := uint64(0)
	if m0.invalid == "" {
		pageSize = uint64(m0.pageSize)
	} else if ps, ok := findSecondMeta(f, size); ok {
		pageSize = ps
	}
	if pageSize == 0 {
		if m0.magic == boltMagic {
			return inspection{}, damage("both meta pages are invalid: the first has a %s, the second cannot be found", m0.invalid)
		}
		return inspection{}, &fileFault{notBolt: true, reason: "not a bbolt file"}
	}
	if pageSize < minPageSize || pageSize > maxPageSize || pageSize&(pageSize-1) != 0 {
		return inspection{}, damage("its meta page gives a page size of %s", plural.Count(pageSize, "byte", "bytes"))
	}
	if uint64(size) < 2*pageSize {
		want := 2 * pageSize
		if m0.invalid == "" && m0.pgid <= maxMapPages(pageSize) {
			want = max(want, m0.pgid*pageSize)
		}
		return inspection{}, damage("cut short at %d of %s", size, plural.Count(want, "byte", "bytes"))
	}
	page1 := make([]byte, len(head))
	if _, err := f.ReadAt(page1, int64(pageSize)); err != nil {
		return inspection{}, err
	}
	m1 := readMeta(page1)
	var ins inspection
	// bbolt uses the valid meta page with the higher transaction id, else the other one.
	use, other, usedName, otherName := m0, m1, 0, 1
	if m1.txid > m0.txid {
		use, other, usedName, otherName = m1, m0, 1, 0
	}
	if use.invalid != "" {
		use, other, usedName, otherName = other, use, otherName, usedName
	}
	if use.invalid != "" {
		return inspection{}, damage("both meta pages are invalid (%s; %s)", m0.invalid, m1.invalid)
	}
	if other.invalid != "" {
		ins.warnings = append(ins.warnings, fmt.Sprintf("meta page %d is damaged (%s): the file is read as of meta page %d, one commit older than it may have been", otherName, other.invalid, usedName))
	}
	if uint64(use.pageSize) != pageSize {
		return inspection{}, damage("its meta pages disagree on the page size (%d and %d bytes)", pageSize, use.pageSize)
	}
	if use.pgid < 3 || use.pgid > uint64(maxMapPages(pageSize)) {
		return inspection{}, damage("meta page %d gives a high-water mark of %s", usedName, plural.Count(use.pgid, "page", "pages"))
	}
	if want := use.pgid * pageSize; uint64(size) < want {
		return inspection{}, damage("cut short at %d of %s", size, plural.Count(want, "byte", "bytes"))
	}
	if err := walkFile(f, size, pageSize, use); err != nil {
		return inspection{}, err
	}
	return ins, nil
}

// startsLikeBolt reports whether b is the beginning of a bbolt file, as far as it goes: the first page's
// header (page 0, a meta page), then the magic number and the version.
func startsLikeBolt(b []byte) bool {
	want := make([]byte, pageHeaderSize+8)
	native.PutUint16(want[8:], flagMeta)
	native.PutUint32(want[pageHeaderSize:], boltMagic)
	native.PutUint32(want[pageHeaderSize+4:], boltVersion)
	if len(b) > len(want) {
		b = b[:len(want)]
	}
	return len(b) > 0 && bytes.Equal(b, want[:len(b)])
}

// maxMapPages bounds a high-water mark to what a 64-bit process can map (bbolt's limit is 256 TB).
func maxMapPages(pageSize uint64) uint64 { return (1 << 48) / pageSize }

// findSecondMeta looks for a valid meta page at the offsets bbolt tries when the first is invalid.
func findSecondMeta(f *os.File, size int64) (uint64, bool) {
	buf := make([]byte, pageHeaderSize+metaChecked+8)
	for i := 0; i <= 14; i++ {
		pos := int64(minPageSize) << i
		if pos+int64(len(buf)) > size {
			break
		}
		if _, err := f.ReadAt(buf, pos); err != nil {
			break
		}
		if m := readMeta(buf); m.invalid == "" && int64(m.pageSize) == pos {
			return uint64(m.pageSize), true
		}
	}
	return 0, false
}

// walkFile maps the file read-only and walks every page reachable from meta.
func walkFile(f *os.File, size int64, pageSize uint64, meta boltMeta) (err error) {
	data, unmap, err := mapFile(f, size)
	if err != nil {
		return fmt.Errorf("map the data file to check it: %w", err)
	}
	defer unmap()
	// A file truncated by another process while this reads it faults (SIGBUS): a panic here, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = damage("it changed size while it was read (%v)", r)
		}
	}()
	w := &walker{data: data, pageSize: pageSize, hwm: meta.pgid, used: newBitset(meta.pgid)}
	var free []uint64
	if meta.freelist != noFreelist {
		if free, err = w.freelist(meta.freelist); err != nil {
			return err
		}
	}
	if err := w.tree(meta.root, 0); err != nil {
		return err
	}
	freed := newBitset(meta.pgid)
	for _, id := range free {
		switch {
		case id < 2 || id >= meta.pgid:
			return damage("its freelist holds page %d, outside the file's %s", id, plural.Count(meta.pgid, "page", "pages"))
		case w.used.has(id):
			return damage("page %d is both in use and in the freelist", id)
		case freed.has(id):
			return damage("page %d is twice in the freelist", id)
		}
		freed.set(id)
	}
	return nil
}

// walker reads pages of a mapped file, each at most once.
type walker struct {
	data     []byte
	pageSize uint64
	hwm      uint64 // pages in use: the meta's high-water mark
	used     bitset // pages reached so far
}

// page returns page id with its overflow pages, checking its header and that nothing reached it before.
func (w *walker) page(id uint64, what string) (span []byte, flags, count uint16, err error) {
	if id < 2 || id >= w.hwm {
		return nil, 0, 0, damage("%s points at page %d, outside the file's %s", what, id, plural.Count(w.hwm, "page", "pages"))
	}
	start := id * w.pageSize
	h := w.data[start : start+pageHeaderSize]
	if got := native.Uint64(h); got != id {
		return nil, 0, 0, damage("page %d (%s) says it is page %d", id, what, got)
	}
	flags, count = native.Uint16(h[8:]), native.Uint16(h[10:])
	overflow := uint64(native.Uint32(h[12:]))
	if id+overflow >= w.hwm {
		return nil, 0, 0, damage("page %d (%s) runs past the file's %s", id, what, plural.Count(w.hwm, "page", "pages"))
	}
	for p := id; p <= id+overflow; p++ {
		if w.used.has(p) {
			return nil, 0, 0, damage("page %d (%s) is reached twice", p, what)
		}
		w.used.set(p)
	}
	return w.data[start : (id+overflow+1)*w.pageSize], flags, count, nil
}

func (w *walker) freelist(id uint64) ([]uint64, error) {
	span, flags, count, err := w.page(id, "the freelist")
	if err != nil {
		return nil, err
	}
	if flags != flagFreelist {
		return nil, damage("page %d should be the freelist but is of type %#x", id, flags)
	}
	room := uint64(len(span)-pageHeaderSize) / 8
	first, n := uint64(0), uint64(count)
	if count == 0xFFFF { // the real count is the first id's slot
		first, n = 1, native.Uint64(span[pageHeaderSize:])
	}
	if n > room-first {
		return nil, damage("the freelist (page %d) claims %s, more than it can hold", id, plural.Count(n, "page", "pages"))
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = native.Uint64(span[pageHeaderSize+(first+uint64(i))*8:])
	}
	return ids, nil
}

// maxDepth bounds the nesting of buckets and trees: bbolt's own are a few levels deep.
const maxDepth = 64

// tree walks the B+tree rooted at page id.
func (w *walker) tree(id uint64, depth int) error {
	if depth > maxDepth {
		return damage("its trees are nested more than %d deep", maxDepth)
	}
	span, flags, count, err := w.page(id, "a bucket")
	if err != nil {
		return err
	}
	switch flags {
	case flagBranch:
		return w.branch(id, span, count, depth)
	case flagLeaf:
		return w.leaf(fmt.Sprintf("page %d", id), span, count, depth)
	}
	return damage("page %d should be a branch or leaf page but is of type %#x", id, flags)
}

func (w *walker) branch(id uint64, span []byte, count uint16, depth int) error {
	if count == 0 { // bbolt would descend through element 0 all the same, into whatever the page holds
		return damage("page %d is a branch page without elements", id)
	}
	if pageHeaderSize+int(count)*elementSize > len(span) {
		return damage("page %d claims %s, more than it holds", id, plural.Count(count, "element", "elements"))
	}
	for i := range int(count) {
		at := pageHeaderSize + i*elementSize
		e := span[at:]
		pos, ksize, child := uint64(native.Uint32(e)), uint64(native.Uint32(e[4:])), native.Uint64(e[8:])
		if uint64(at)+pos+ksize > uint64(len(span)) {
			return damage("page %d: element %d's key lies outside the page", id, i)
		}
		if err := w.tree(child, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// leaf checks a leaf page (span is the page, or an inline bucket's page) and the buckets it holds.
func (w *walker) leaf(name string, span []byte, count uint16, depth int) error {
	if pageHeaderSize+int(count)*elementSize > len(span) {
		return damage("%s claims %s, more than it holds", name, plural.Count(count, "element", "elements"))
	}
	for i := range int(count) {
		at := pageHeaderSize + i*elementSize
		e := span[at:]
		flags, pos := native.Uint32(e), uint64(native.Uint32(e[4:]))
		ksize, vsize := uint64(native.Uint32(e[8:])), uint64(native.Uint32(e[12:]))
		end := uint64(at) + pos + ksize + vsize
		if end > uint64(len(span)) {
			return damage("%s: element %d's key or value lies outside the page", name, i)
		}
		if flags&leafIsBucket == 0 {
			continue
		}
		value := span[end-vsize : end]
		if len(value) < bucketHeaderSize {
			return damage("%s: bucket %d is too short to be one", name, i)
		}
		if root := native.Uint64(value); root != 0 {
			if err := w.tree(root, depth+1); err != nil {
				return err
			}
			continue
		}
		inline := value[bucketHeaderSize:]
		if len(inline) < pageHeaderSize {
			return damage("%s: inline bucket %d is too short to be one", name, i)
		}
		if f := native.Uint16(inline[8:]); f != flagLeaf {
			return damage("%s: inline bucket %d is of type %#x, not a leaf", name, i, f)
		}
		if depth+1 > maxDepth {
			return damage("its buckets are nested more than %d deep", maxDepth)
		}
		if err := w.leaf(fmt.Sprintf("%s, inline bucket %d", name, i), inline, native.Uint16(inline[10:]), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// bitset is a set of page ids below a high-water mark.
type bitset []uint64

func newBitset(n uint64) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i uint64)      { b[i/64] |= 1 << (i % 64) }
