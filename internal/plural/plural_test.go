package plural_test

import (
	"testing"

	"github.com/firstline-desk/firstline/internal/plural"
)

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0 entries"}, {1, "1 entry"}, {2, "2 entries"}, {-1, "-1 entries"}, {1 << 40, "1099511627776 entries"},
	} {
		if got := plural.Count(tt.n, "entry", "entries"); got != tt.want {
			t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := plural.Noun(uint8(1), "person", "people"); got != "person" {
		t.Errorf("Noun(1) = %q", got)
	}
}
