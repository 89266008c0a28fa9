package hours_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	// The tests name real zones; the embedded database keeps them passing where /usr/share/zoneinfo is
	// missing (slim containers, Windows).
	_ "time/tzdata"

	"github.com/firstline-desk/firstline/hours"
)

// MustLoad returns the named zone or stops the test.
func MustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// MustParse parses a calendar or stops the test.
func MustParse(tb testing.TB, tz string, days []string, start, end string, holidays ...string) *hours.Calendar {
	tb.Helper()
	c, err := hours.ParseCalendar(tz, days, start, end, holidays)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri"}

// office is the desk most tests use: New York, 9–17 Monday to Friday, Thanksgiving (Thursday 26
// November 2026) and Christmas (Friday 25 December 2026) off.
func office(tb testing.TB) *hours.Calendar {
	return MustParse(tb, "America/New_York", weekdays, "09:00", "17:00", "2026-11-26", "2026-12-25")
}

func TestAdd(t *testing.T) {
	ny := MustLoad(t, "America/New_York")
	at := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, ny)
	}
	c := office(t)
	tests := []struct {
		name string
		from time.Time
		d    time.Duration
		want time.Time
	}{
		// Friday 16:00 leaves 1h on Friday; the other hour is Monday 09:00–10:00.
		{"friday afternoon", at(12, 4, 16, 0), 2 * time.Hour, at(12, 7, 10, 0)},
		// After hours on Friday: counting starts Monday 09:00.
		{"friday evening", at(12, 4, 18, 0), time.Hour, at(12, 7, 10, 0)},
		// Saturday counts nothing: Monday 09:00 + 3h.
		{"saturday start", at(12, 5, 11, 0), 3 * time.Hour, at(12, 7, 12, 0)},
		// The last hour of Friday is used up exactly at 17:00: due then, not Monday 09:00.
		{"exactly at end", at(12, 4, 16, 0), time.Hour, at(12, 4, 17, 0)},
		// 17:00 is already outside hours.
		{"from end", at(12, 4, 17, 0), time.Hour, at(12, 7, 10, 0)},
		// Before opening: counting starts at 09:00.
		{"before start", at(12, 7, 7, 0), 30 * time.Minute, at(12, 7, 9, 30)},
		{"within a day", at(12, 7, 9, 15), 7 * time.Hour, at(12, 7, 16, 15)},
		// Thursday 24th has 2h left; Friday 25th is Christmas, then the weekend; Monday 28th 09:00 + 2h.
		{"across a holiday", at(12, 24, 15, 0), 4 * time.Hour, at(12, 28, 11, 0)},
		// Wednesday 25th 1h, Thursday 26th is Thanksgiving, Friday 27th 09:00 + 1h.
		{"holiday midweek", at(11, 25, 16, 0), 2 * time.Hour, at(11, 27, 10, 0)},
		// Five whole days from Monday 09:00 end on Friday 17:00.
		{"a week", at(12, 7, 9, 0), 40 * time.Hour, at(12, 11, 17, 0)},
		// Ten working days from Monday 7th: 7–11 and 14–18 December.
		{"two weeks", at(12, 7, 9, 0), 80 * time.Hour, at(12, 18, 17, 0)},
		// Friday 18th and Monday–Thursday 21–24 are 40h; Christmas and the weekend are off, so the 41st
		// hour is Monday 28th 09:00–10:00.
		{"christmas week", at(12, 18, 9, 0), 41 * time.Hour, at(12, 28, 10, 0)},
		// Clocks go forward on Sunday 8 March; Monday starts at 09:00 EDT all the same.
		{"across spring forward", at(3, 6, 16, 0), 2 * time.Hour, at(3, 9, 10, 0)},
		// Clocks go back on Sunday 1 November.
		{"across fall back", at(10, 30, 16, 30), time.Hour, at(11, 2, 9, 30)},
		{"sub-second", at(12, 7, 16, 59), time.Minute + time.Nanosecond, at(12, 8, 9, 0).Add(time.Nanosecond)},
		{"zero", at(12, 5, 11, 0), 0, at(12, 5, 11, 0)},
		{"negative", at(12, 5, 11, 0), -time.Hour, at(12, 5, 11, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Add(tt.from, tt.d)
			if !got.Equal(tt.want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", tt.from, tt.d, got, tt.want)
			}
			if got.Location() != c.Location {
				t.Fatalf("Add returned a time in %s, want the calendar's location", got.Location())
			}
		})
	}
}

func TestAddReturnsCalendarLocation(t *testing.T) {
	c := office(t)
	from := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC) // Friday 16:00 in New York
	got := c.Add(from, 2*time.Hour)
	if want := "2026-12-07 10:00:00 -0500 EST"; got.String() != want {
		t.Fatalf("Add = %s, want %s", got, want)
	}
	if got := c.Add(from, 0); got.Location() != c.Location || !got.Equal(from) {
		t.Fatalf("Add(from, 0) = %s, want the same instant in the calendar's location", got)
	}
}

func TestAlwaysOn(t *testing.T) {
	c := hours.AlwaysOn()
	ny := MustLoad(t, "America/New_York")
	// Saturday night before the clocks go forward: 24×7 is plain elapsed time, weekend and DST alike.
	from := time.Date(2026, 3, 7, 12, 0, 0, 0, ny)
	tests := []struct {
		name string
		d    time.Duration
	}{
		{"minutes", 90 * time.Minute},
		{"across DST", 24 * time.Hour},
		{"ten years", 10 * 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Add(from, tt.d)
			if want := from.Add(tt.d); !got.Equal(want) {
				t.Fatalf("Add = %s, want %s", got, want)
			}
			if got.Location() != time.UTC {
				t.Fatalf("Add returned a time in %s, want UTC", got.Location())
			}
			if got := c.Between(from, from.Add(tt.d)); got != tt.d {
				t.Fatalf("Between = %s, want %s", got, tt.d)
			}
			if !c.Working(from.Add(tt.d)) {
				t.Fatal("Working = false, want always true")
			}
		})
	}
	// Holidays and days are ignored when AlwaysOn is set.
	c = &hours.Calendar{AlwaysOn: true, Holidays: map[hours.Date]bool{{2026, 3, 7}: true}}
	if got := c.Between(from, from.Add(time.Hour)); got != time.Hour {
		t.Fatalf("Between on a holiday = %s, want 1h", got)
	}
}

func TestBetween(t *testing.T) {
	ny := MustLoad(t, "America/New_York")
	at := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, ny)
	}
	c := office(t)
	tests := []struct {
		name string
		a, b time.Time
		want time.Duration
	}{
		// Friday 16:00–17:00 and Monday 09:00–10:00.
		{"over a weekend", at(12, 4, 16, 0), at(12, 7, 10, 0), 2 * time.Hour},
		// Friday 17:00 to Monday 09:00 never touches working hours.
		{"outside hours", at(12, 4, 17, 0), at(12, 7, 9, 0), 0},
		{"weekend only", at(12, 5, 0, 0), at(12, 6, 23, 59), 0},
		{"overnight", at(12, 7, 20, 0), at(12, 8, 8, 0), 0},
		{"within a day", at(12, 7, 10, 0), at(12, 7, 12, 30), 2*time.Hour + 30*time.Minute},
		{"a week", at(12, 7, 0, 0), at(12, 14, 0, 0), 40 * time.Hour},
		// Christmas week: four working days.
		{"week with a holiday", at(12, 21, 0, 0), at(12, 28, 0, 0), 32 * time.Hour},
		// The Monday after Thanksgiving minus Wednesday's last hour: Wed 1h + Fri 8h + Mon 1h.
		{"across thanksgiving", at(11, 25, 16, 0), at(11, 30, 10, 0), 10 * time.Hour},
		// Friday 6 March 16:00 EST to Monday 9 March 10:00 EDT: 2h, not the 65h of real time.
		{"across spring forward", at(3, 6, 16, 0), at(3, 9, 10, 0), 2 * time.Hour},
		{"equal", at(12, 7, 10, 0), at(12, 7, 10, 0), 0},
		{"reversed", at(12, 7, 12, 0), at(12, 7, 10, 0), 0},
		// 2027 has 261 weekdays; the 2026 holidays are not in it.
		{"a year", time.Date(2027, 1, 1, 0, 0, 0, 0, ny), time.Date(2028, 1, 1, 0, 0, 0, 0, ny), 261 * 8 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Between(tt.a, tt.b); got != tt.want {
				t.Fatalf("Between(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestWorking(t *testing.T) {
	ny := MustLoad(t, "America/New_York")
	at := func(month time.Month, day, hour, min, sec int) time.Time {
		return time.Date(2026, month, day, hour, min, sec, 0, ny)
	}
	c := office(t)
	small := MustParse(t, "America/New_York", []string{"sun"}, "01:00", "04:00")
	tests := []struct {
		name string
		c    *hours.Calendar
		t    time.Time
		want bool
	}{
		{"at start", c, at(12, 7, 9, 0, 0), true},
		{"just before start", c, at(12, 7, 8, 59, 59), false},
		{"just before end", c, at(12, 7, 16, 59, 59), true},
		{"at end", c, at(12, 7, 17, 0, 0), false},
		{"saturday", c, at(12, 5, 12, 0, 0), false},
		{"holiday", c, at(12, 25, 12, 0, 0), false},
		{"other zone", c, time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC), true}, // 09:00 EST
		// 01:30 happens twice on 1 November, first at 05:30 UTC (EDT), then 06:30 UTC (EST): both count.
		{"repeated hour, first", small, time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), true},
		{"repeated hour, second", small, time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), true},
		// 07:00 UTC on 8 March is 03:00 EDT: the first instant after the skipped hour.
		{"after skipped hour", small, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), true},
		{"after hours on switch day", small, time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC), false}, // 04:00 EDT
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Working(tt.t); got != tt.want {
				t.Fatalf("Working(%s) = %t, want %t", tt.t, got, tt.want)
			}
		})
	}
}

// TestDST counts single working days on which the clocks change. The calendar works only on the
// weekday of the switch, so the business time in the week around it is that one day's.
func TestDST(t *testing.T) {
	tests := []struct {
		name       string
		zone       string
		date       string // the switch day
		start, end string
		want       time.Duration
	}{
		// Switches at 02:00, outside 9–17: the day is 8 hours either way.
		{"new york spring, office hours", "America/New_York", "2026-03-08", "09:00", "17:00", 8 * time.Hour},
		{"new york fall, office hours", "America/New_York", "2026-11-01", "09:00", "17:00", 8 * time.Hour},
		{"london spring, office hours", "Europe/London", "2026-03-29", "09:00", "17:00", 8 * time.Hour},
		{"london fall, office hours", "Europe/London", "2026-10-25", "09:00", "17:00", 8 * time.Hour},
		// 01:00–04:00 around the switch: 02:00–03:00 never shows on the wall in spring, so 2 hours;
		// 01:00–02:00 shows twice in the fall, so 4 hours. An ordinary day is 3.
		{"new york spring, night", "America/New_York", "2026-03-08", "01:00", "04:00", 2 * time.Hour},
		{"new york fall, night", "America/New_York", "2026-11-01", "01:00", "04:00", 4 * time.Hour},
		{"new york ordinary, night", "America/New_York", "2026-03-01", "01:00", "04:00", 3 * time.Hour},
		// Starting inside the skipped hour: working time begins when the clock jumps to 03:00 EDT.
		{"new york spring, start skipped", "America/New_York", "2026-03-08", "02:30", "04:00", time.Hour},
		// After the fall-back, 02:30–04:00 EST happens once.
		{"new york fall, start after repeat", "America/New_York", "2026-11-01", "02:30", "04:00", 90 * time.Minute},
		// Hours entirely inside the repeated hour: 01:30–02:00 EDT and 01:30–02:00 EST.
		{"new york fall, inside repeat", "America/New_York", "2026-11-01", "01:30", "02:00", time.Hour},
		{"new york spring, end skipped", "America/New_York", "2026-03-08", "01:30", "02:30", 30 * time.Minute},
		// London skips 01:00–02:00 GMT: 00:30–01:00 GMT and 02:00–03:00 BST.
		{"london spring, night", "Europe/London", "2026-03-29", "00:30", "03:00", 90 * time.Minute},
		// London repeats 01:00–02:00: 00:30–02:00 BST and 01:00–03:00 GMT.
		{"london fall, night", "Europe/London", "2026-10-25", "00:30", "03:00", 210 * time.Minute},
		// Santiago changes at midnight. Saturday 4 April runs to 24:00 -03, then 23:00–24:00 -04 again.
		{"santiago fall, whole day", "America/Santiago", "2026-04-04", "00:00", "24:00", 25 * time.Hour},
		// Ending at 23:30 the working time is two pieces: 00:00–23:30 -03 and 23:00–23:30 -04.
		{"santiago fall, split day", "America/Santiago", "2026-04-04", "00:00", "23:30", 24 * time.Hour},
		// Sunday 6 September starts at 01:00 -03: 00:00–01:00 never shows.
		{"santiago spring, whole day", "America/Santiago", "2026-09-06", "00:00", "24:00", 23 * time.Hour},
		// Lord Howe moves by half an hour: 01:30–02:00 repeats in April, 02:00–02:30 is skipped in October.
		{"lord howe fall", "Australia/Lord_Howe", "2026-04-05", "01:00", "03:00", 150 * time.Minute},
		{"lord howe spring", "Australia/Lord_Howe", "2026-10-04", "01:00", "03:00", 90 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := MustLoad(t, tt.zone)
			d, err := hours.ParseDate(tt.date)
			if err != nil {
				t.Fatal(err)
			}
			// Noon, because midnight may not exist on a switch day.
			day := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, loc)
			wd := []string{day.Weekday().String()}
			c := MustParse(t, tt.zone, wd, tt.start, tt.end)
			a, b := day.AddDate(0, 0, -3), day.AddDate(0, 0, 3)
			if got := c.Between(a, b); got != tt.want {
				t.Fatalf("Between = %s, want %s", got, tt.want)
			}
			// The whole day is used up at its end, which is the switch day's last working instant.
			end := c.Add(a, tt.want)
			if got := c.Between(a, end); got != tt.want {
				t.Fatalf("Between(a, Add(a, %s)) = %s", tt.want, got)
			}
			if !c.Working(end.Add(-time.Nanosecond)) || c.Working(end) {
				t.Fatalf("Add(a, %s) = %s is not the end of the working day", tt.want, end)
			}
			if next := c.Add(a, tt.want+time.Nanosecond); next.Sub(b) < 0 {
				t.Fatalf("Add past the day's working time = %s, want a week later", next)
			}
		})
	}
}

// TestAddInRepeatedHour pins which of two equal wall-clock readings Add returns.
func TestAddInRepeatedHour(t *testing.T) {
	ny := MustLoad(t, "America/New_York")
	c := MustParse(t, "America/New_York", []string{"sun"}, "01:00", "04:00")
	tests := []struct {
		name string
		from time.Time
		d    time.Duration
		want time.Time // in UTC, since wall readings are ambiguous
	}{
		// 1 November: 01:00 EDT is 05:00 UTC; 01:00 EST is 06:00 UTC; 04:00 EST is 09:00 UTC.
		{"first 01:30", time.Date(2026, 11, 1, 0, 0, 0, 0, ny), 30 * time.Minute, time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"second 01:30", time.Date(2026, 11, 1, 0, 0, 0, 0, ny), 90 * time.Minute, time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)},
		{"fall end", time.Date(2026, 11, 1, 0, 0, 0, 0, ny), 4 * time.Hour, time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)},
		// 8 March: 01:00 EST is 06:00 UTC and the clocks jump at 07:00 UTC, so the first hour ends
		// exactly at the jump (shown as 03:00 EDT).
		{"spring first hour", time.Date(2026, 3, 8, 0, 0, 0, 0, ny), time.Hour, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
		{"spring after jump", time.Date(2026, 3, 8, 0, 0, 0, 0, ny), 90 * time.Minute, time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)},
		// From inside the repeated hour (01:15 EST, second time round): 45 minutes to 02:00 EST.
		{"from second pass", time.Date(2026, 11, 1, 6, 15, 0, 0, time.UTC), 45 * time.Minute, time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Add(tt.from, tt.d); !got.Equal(tt.want) {
				t.Fatalf("Add = %s (%s), want %s", got, got.UTC(), tt.want)
			}
		})
	}
}

func TestAddInvalidCalendarPanics(t *testing.T) {
	tests := []struct {
		name string
		c    *hours.Calendar
	}{
		{"no days", &hours.Calendar{Start: 9 * time.Hour, End: 17 * time.Hour}},
		{"no hours", &hours.Calendar{Days: [7]bool{time.Monday: true}, Start: 9 * time.Hour, End: 9 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.c.Validate() == nil {
				t.Fatal("Validate = nil, want an error")
			}
			defer func() {
				if recover() == nil {
					t.Fatal("Add did not panic")
				}
			}()
			tt.c.Add(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour)
		})
	}
}

// TestBetweenMatchesWorking counts working minutes one by one around each switch and compares them
// with Between, which walks whole days: two ways to the same number. Between finds the switches with
// Time.ZoneBounds and Working does not, so the years include 2040: the leap year's last UTC day is
// where ZoneBounds goes wrong (golang/go#81583) for zones whose rules come from the TZ footer.
func TestBetweenMatchesWorking(t *testing.T) {
	hours := [][2]string{{"09:00", "17:00"}, {"00:00", "24:00"}, {"01:00", "04:00"}, {"00:30", "03:00"}, {"01:30", "02:00"}, {"22:00", "23:30"}}
	for _, zone := range []string{"America/New_York", "Europe/London", "America/Santiago", "Australia/Lord_Howe"} {
		loc := MustLoad(t, zone)
		for _, h := range hours {
			c := MustParse(t, zone, []string{"mon", "tue", "wed", "fri", "sat", "sun"}, h[0], h[1], "2026-04-05")
			points := append(transitions(loc, 2026), transitions(loc, 2040)...)
			points = append(points, time.Date(2041, 1, 1, 0, 0, 0, 0, time.UTC))
			for _, switchAt := range points {
				name := fmt.Sprintf("%s %s-%s %s", zone, h[0], h[1], switchAt.UTC().Format(time.DateOnly))
				t.Run(name, func(t *testing.T) {
					a := switchAt.Add(-50 * time.Hour).Truncate(time.Minute)
					b := switchAt.Add(50 * time.Hour)
					var want time.Duration
					for m := a; m.Before(b); m = m.Add(time.Minute) {
						if c.Working(m) {
							want += time.Minute
						}
					}
					if got := c.Between(a, b); got != want {
						t.Fatalf("Between = %s, counting minutes = %s", got, want)
					}
				})
			}
		}
	}
}

// transitions returns the instants at which loc changes offset in year, found by probing every hour
// (not with ZoneBounds, which Between uses).
func transitions(loc *time.Location, year int) []time.Time {
	var out []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	_, off := t.Zone()
	for ; t.Year() == year; t = t.Add(time.Hour) {
		if _, o := t.Zone(); o != off {
			out = append(out, t)
			off = o
		}
	}
	return out
}

// TestLongSpan checks ten years of Between against an independent count of weekdays and holidays.
func TestLongSpan(t *testing.T) {
	holidays := []string{"2027-01-01", "2028-12-25", "2030-07-04", "2031-07-05" /* Saturday */}
	c := MustParse(t, "Europe/London", weekdays, "09:00", "17:30", holidays...)
	loc := c.Location
	a := time.Date(2026, 6, 1, 12, 0, 0, 0, loc) // Monday: 12:00–17:30 counts
	b := time.Date(2036, 6, 2, 10, 0, 0, 0, loc) // Monday: 09:00–10:00 counts
	off := map[string]bool{}
	for _, h := range holidays {
		off[h] = true
	}
	want := 5*time.Hour + 30*time.Minute + time.Hour
	for d := a.AddDate(0, 0, 1); d.Before(time.Date(2036, 6, 2, 0, 0, 0, 0, loc)); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday && !off[d.Format(time.DateOnly)] {
			want += 8*time.Hour + 30*time.Minute
		}
	}
	if got := c.Between(a, b); got != want {
		t.Fatalf("Between = %s, want %s", got, want)
	}
	if got := c.Add(a, want); !got.Equal(b) {
		t.Fatalf("Add = %s, want %s", got, b)
	}
}

// TestRoundTrip is the property Add and Between are built for: Between(a, Add(a, d)) == d, and Add
// returns the earliest such instant, over random calendars, zones and starting points.
func TestRoundTrip(t *testing.T) {
	zones := []string{"UTC", "America/New_York", "Europe/London", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"}
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3000 {
		c := randomCalendar(t, rng, zones[i%len(zones)])
		// Starting points are anywhere, to the nanosecond; half start on a working instant.
		a := base.Add(time.Duration(rng.Int64N(int64(6 * 365 * 24 * time.Hour))))
		if i%2 == 0 {
			a = c.Add(a, time.Duration(rng.Int64N(int64(100*time.Hour)))+1)
			a = a.Add(-time.Nanosecond) // the last counted instant: inside working time
			if !c.Working(a) {
				t.Fatalf("%+v: Working(%s) = false just before a deadline", c, a)
			}
		}
		var d time.Duration
		switch rng.IntN(3) {
		case 0:
			d = time.Duration(rng.Int64N(int64(time.Hour))) + 1
		case 1:
			d = time.Duration(rng.Int64N(int64(200*time.Hour))) + 1
		default:
			d = time.Duration(rng.Int64N(int64(3000 * time.Hour)))
		}
		z := c.Add(a, d)
		if got := c.Between(a, z); got != d {
			t.Fatalf("%d: %+v: Between(%s, Add(%s)) = %s, want %s (z = %s)", i, c, a, d, got, d, z)
		}
		if d > 0 {
			if got := c.Between(a, z.Add(-time.Nanosecond)); got >= d {
				t.Fatalf("%d: %+v: Add(%s, %s) = %s is not the earliest instant", i, c, a, d, z)
			}
			if !c.Working(z.Add(-time.Nanosecond)) {
				t.Fatalf("%d: %+v: the instant before Add(%s, %s) = %s is not working time", i, c, a, d, z)
			}
		}
		if z.Location() != c.Location {
			t.Fatalf("Add returned a time in %s", z.Location())
		}
		// Between is additive over any split point.
		m := a.Add(time.Duration(rng.Int64N(int64(z.Sub(a)) + 1)))
		if got, want := c.Between(a, m)+c.Between(m, z), d; got != want {
			t.Fatalf("%d: %+v: Between split at %s = %s, want %s", i, c, m, got, want)
		}
	}
}

func randomCalendar(tb testing.TB, rng *rand.Rand, zone string) *hours.Calendar {
	if rng.IntN(8) == 0 {
		c := hours.AlwaysOn()
		c.Location = MustLoad(tb, zone)
		return c
	}
	loc := MustLoad(tb, zone)
	c := &hours.Calendar{Location: loc, Holidays: map[hours.Date]bool{}}
	for c.Days == [7]bool{} {
		for d := range c.Days {
			c.Days[d] = rng.IntN(2) == 0
		}
	}
	// Hours on a 15-minute grid, so some start or end inside skipped and repeated hours.
	s, e := rng.IntN(97), rng.IntN(97)
	for s == e {
		e = rng.IntN(97)
	}
	c.Start, c.End = time.Duration(min(s, e))*15*time.Minute, time.Duration(max(s, e))*15*time.Minute
	for range rng.IntN(40) {
		day := time.Date(2025, 1, 1+rng.IntN(7*365), 0, 0, 0, 0, time.UTC)
		c.Holidays[hours.DateOf(day)] = true
	}
	return c
}
