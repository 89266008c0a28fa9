package redact_test

import (
	"sync"
	"testing"

	"github.com/firstline-desk/firstline/redact"
)

const pw = "password: Tr0ub4dor&3x"

type label string

type inner struct {
	Text string
	ID   string `redact:"-"`
}

type node struct {
	Name string
	Next *node
}

type record struct {
	Text     string
	ID       string `redact:"-"`
	Kind     label
	Ptr      *string
	Inner    inner
	InnerPtr *inner
	Skipped  inner `redact:"-"`
	List     []string
	Inners   []inner
	Array    [2]string
	ByKey    map[string]string
	ByKeyIn  map[string]inner
	Any      any
	List2    [][]string
	Node     *node
	Number   int
	private  string
}

func TestFields(t *testing.T) {
	s := pw
	r := &record{
		Text: pw, ID: pw, Kind: label(pw), Ptr: &s,
		Inner: inner{Text: pw, ID: pw}, InnerPtr: &inner{Text: pw, ID: pw}, Skipped: inner{Text: pw},
		List: []string{"fine", pw}, Inners: []inner{{Text: pw, ID: pw}}, Array: [2]string{pw, "fine"},
		ByKey: map[string]string{pw: pw}, ByKeyIn: map[string]inner{"k": {Text: pw, ID: pw}},
		Any: pw, List2: [][]string{{pw}}, Node: &node{Name: "a", Next: &node{Name: pw}},
		Number: 4111, private: pw,
	}
	if !redact.Fields(r) {
		t.Fatal("Fields reported no change")
	}
	want := "password: [redacted password]"
	for name, got := range map[string]string{
		"Text": r.Text, "Kind": string(r.Kind), "Ptr": *r.Ptr, "Inner.Text": r.Inner.Text,
		"InnerPtr.Text": r.InnerPtr.Text, "List[1]": r.List[1], "Inners[0].Text": r.Inners[0].Text,
		"Array[0]": r.Array[0], "ByKey value": r.ByKey[pw], "ByKeyIn value": r.ByKeyIn["k"].Text,
		"Any": r.Any.(string), "List2": r.List2[0][0], "Node.Next.Name": r.Node.Next.Name,
	} {
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for name, got := range map[string]string{
		"ID": r.ID, "Inner.ID": r.Inner.ID, "InnerPtr.ID": r.InnerPtr.ID, "Skipped.Text": r.Skipped.Text,
		"Inners[0].ID": r.Inners[0].ID, "ByKeyIn ID": r.ByKeyIn["k"].ID, "private": r.private,
	} {
		if got != pw {
			t.Errorf("%s = %q, want it kept: %q", name, got, pw)
		}
	}
	if _, ok := r.ByKey[pw]; !ok {
		t.Errorf("a map key was changed: %v", r.ByKey)
	}
	if r.List[0] != "fine" || r.Number != 4111 {
		t.Errorf("untouched values changed: %q %d", r.List[0], r.Number)
	}
	if redact.Fields(r) {
		t.Error("a second pass reported a change")
	}
}

func TestFieldsLeavesOtherValuesAlone(t *testing.T) {
	var nilRecord *record
	s := pw
	for _, v := range []any{nil, nilRecord, s, record{Text: pw}, 42} {
		if redact.Fields(v) {
			t.Errorf("Fields(%T) changed something", v)
		}
	}
}

// TestFieldsWritesNothingClean: clean strings are not set, so values that share constant data (the
// same slice of button labels in every post) can be redacted from several goroutines (run with -race).
func TestFieldsWritesNothingClean(t *testing.T) {
	shared := []inner{{Text: "Solved"}, {Text: "Not helpful"}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &record{Text: pw, Inners: shared}
			redact.Fields(r)
			if r.Text == pw {
				t.Error("not redacted")
			}
		}()
	}
	wg.Wait()
}

func BenchmarkFields(b *testing.B) {
	base := record{Text: "my vpn is broken", List: []string{"one", "two"}, Inners: make([]inner, 50)}
	for i := range base.Inners {
		base.Inners[i] = inner{Text: "It says error 809 when I connect from the hotel", ID: "console:alice"}
	}
	b.ReportAllocs()
	for b.Loop() {
		r := base
		redact.Fields(&r)
	}
}

// TestCache: a cache gives what Text and Fields give, the first time and every time after, from several
// goroutines, with more texts than it holds.
func TestCache(t *testing.T) {
	var texts []string
	for _, c := range readCorpus(t, "testdata/secrets.txt", true) {
		texts = append(texts, c.text)
	}
	for _, c := range readCorpus(t, "testdata/lookalikes.txt", false) {
		texts = append(texts, c.text)
	}
	cache := redact.NewCache(50)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 3 {
				for i, s := range texts {
					if (i+g+round)%2 == 0 {
						s = "\u202E" + s
					}
					if got, want := cache.Text(s), redact.Text(s); got != want {
						t.Errorf("Cache.Text(%q) = %q, want %q", s, got, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	r := &record{Text: pw, List: []string{pw}}
	if !cache.Fields(r) || r.Text != "password: [redacted password]" || r.List[0] != r.Text || cache.Fields(r) {
		t.Fatalf("Cache.Fields: %+v", r)
	}
}
