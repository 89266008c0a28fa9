package hours_test

import (
	"fmt"
	"testing"
	"time"
)

// The benchmarks use a DST zone and a holiday list, the slow path: ten years of New York office hours
// cross twenty offset changes and about 2,600 working days.
func BenchmarkAdd(b *testing.B) {
	c := office(b)
	from := time.Date(2026, 12, 4, 16, 0, 0, 0, c.Location)
	for _, span := range []struct {
		name string
		d    time.Duration
	}{
		{"4h", 4 * time.Hour},
		{"1week", 40 * time.Hour},
		{"10years", 10 * 52 * 40 * time.Hour},
	} {
		b.Run(span.name, func(b *testing.B) {
			for b.Loop() {
				c.Add(from, span.d)
			}
		})
	}
}

func BenchmarkBetween(b *testing.B) {
	c := office(b)
	from := time.Date(2026, 12, 4, 16, 0, 0, 0, c.Location)
	for _, years := range []int{0, 1, 10} {
		to := from.AddDate(years, 0, 3)
		b.Run(fmt.Sprintf("%dyears", years), func(b *testing.B) {
			for b.Loop() {
				c.Between(from, to)
			}
		})
	}
}
