package hours

import (
	"testing"
	"time"
)

// TestDateOf compares the hand-rolled day-to-date conversion with the time package's, across leap
// years, century rules and dates before 1970.
func TestDateOf(t *testing.T) {
	first := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
	last := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
	for day := first; day <= last; day++ {
		want := DateOf(time.Unix(day*secondsPerDay, 0).UTC())
		if got := dateOf(day); got != want {
			t.Fatalf("dateOf(%d) = %s, want %s", day, got, want)
		}
	}
}

func TestToWall(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		off  int
		want wall
	}{
		{"epoch", time.Unix(0, 0), 0, wall{0, 0}},
		{"east", time.Unix(0, 5), 3600, wall{0, time.Hour + 5}},
		// 1969-12-31 23:00 local: the day before the epoch, not day 0 at -1h.
		{"west", time.Unix(0, 0), -3600, wall{-1, 23 * time.Hour}},
		{"before epoch", time.Unix(-1, 999_999_999), 0, wall{-1, 24*time.Hour - 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toWall(tt.t, tt.off)
			if got != tt.want {
				t.Fatalf("toWall = %+v, want %+v", got, tt.want)
			}
			if back := got.instant(tt.off); !back.Equal(tt.t) {
				t.Fatalf("instant = %s, want %s", back, tt.t)
			}
		})
	}
}
