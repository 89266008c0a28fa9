package hours_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/hours"
)

// fuzzZones are zones with the transitions that make business time hard: DST both ways, half-hour and
// 45-minute offsets, a 30-minute DST, a negative DST, a skipped calendar day (Apia, 2011-12-30), and
// zones whose rules changed often. A fuzzed zone index picks one, since mutating a zone name rarely finds
// another valid one.
var fuzzZones = []string{
	"UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "America/St_Johns",
	"Asia/Kolkata", "Antarctica/Troll", "Europe/Dublin", "Pacific/Chatham", "America/Santiago", "Africa/Casablanca",
	"Asia/Kathmandu", "America/Sao_Paulo",
}

// FuzzParseCalendar reads [business_hours] as a config file may write it, then checks the calendar: a
// refused one names every bad value; an accepted one is valid, has the days and hours written, and keeps
// the package's promise that Between(a, Add(a, d)) == d, Add being the earliest such instant, from any
// start between 1990 and 2100 (d up to about 45 days).
func FuzzParseCalendar(f *testing.F) {
	type seed struct {
		tz, days, start, end, holidays string
		zone                           uint8
		from                           int64
		minutes                        uint16
	}
	for _, s := range []seed{
		{"Europe/London", "mon,tue,wed,thu,fri", "09:00", "17:30", "2026-12-25,2026-12-28", 0, 1798761600, 240},
		{"", "Monday, tuesday , WED", "9:00", "24:00", "", 0, 0, 60 * 24},
		{"", "mon,tue,wed,thu,fri", "01:00", "04:00", "", 3, 1772953200, 600},  // New York, spring forward
		{"", "sat,sun", "00:00", "24:00", "", 5, 1324900000, 3000},             // Apia skips a Friday
		{"", "mon,wed,fri", "02:15", "02:45", "2040-12-31", 3, 2240000000, 90}, // golang/go#81583 in 2040
		{"", "sun,mon,tue,wed,thu,fri,sat", "00:00", "00:30", "", 8, 1000000000, 65535},
		{"Local", "funday,mon,mon", "9", "25:00", "2026-02-30,tomorrow", 0, 0, 1},
		{"../../etc/passwd", "", "17:00", "09:00", " 2026-12-25 ", 0, 0, 0},
		{"Mars/Olympus", "thu", "+9:00", "17:60", "", 0, -1, 10},
	} {
		f.Add(s.tz, s.days, s.start, s.end, s.holidays, s.zone, s.from, s.minutes)
	}
	f.Fuzz(func(t *testing.T, tz, days, start, end, holidays string, zone uint8, from int64, minutes uint16) {
		if zone > 0 {
			tz = fuzzZones[int(zone)%len(fuzzZones)]
		}
		dayList, holidayList := fuzzList(days), fuzzList(holidays)
		c, err := hours.ParseCalendar(tz, dayList, start, end, holidayList)
		if err != nil {
			if c != nil {
				t.Fatalf("ParseCalendar returned a calendar with the error %v", err)
			}
			msg := err.Error()
			for _, s := range dayList {
				if _, ok := fuzzWeekdays[strings.ToLower(strings.TrimSpace(s))]; !ok && !strings.Contains(msg, strconv.Quote(s)) {
					t.Fatalf("error %q does not name the bad day %q", msg, s)
				}
			}
			for _, s := range holidayList {
				if _, perr := hours.ParseDate(strings.TrimSpace(s)); perr != nil && !strings.Contains(msg, strconv.Quote(s)) {
					t.Fatalf("error %q does not name the bad holiday %q", msg, s)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseCalendar accepted a calendar Validate refuses: %v", err)
		}
		var want [7]bool
		for _, s := range dayList {
			want[fuzzWeekdays[strings.ToLower(strings.TrimSpace(s))]] = true
		}
		if c.Days != want {
			t.Fatalf("days %q read as %v", dayList, c.Days)
		}
		if s, ok := fuzzClock(start); !ok || s != c.Start {
			t.Fatalf("start %q read as %s", start, c.Start)
		}
		if e, ok := fuzzClock(end); !ok || e != c.End {
			t.Fatalf("end %q read as %s", end, c.End)
		}

		a := time.Unix(631152000+fuzzMod(from, 110*365*86400), fuzzMod(from, 1e9))
		d := time.Duration(minutes) * time.Minute
		z := c.Add(a, d)
		if got := c.Between(a, z); got != d {
			t.Fatalf("%+v: Between(%s, Add(%s)) = %s, want %s (z = %s)", c, a, d, got, d, z)
		}
		if z.Location() != c.Location {
			t.Fatalf("Add returned a time in %s, not %s", z.Location(), c.Location)
		}
		if d > 0 {
			if c.Between(a, z.Add(-time.Nanosecond)) >= d || !c.Working(z.Add(-time.Nanosecond)) {
				t.Fatalf("%+v: Add(%s, %s) = %s is not the earliest instant", c, a, d, z)
			}
		}
	})
}

var fuzzWeekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday, "mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday, "wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday, "fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// fuzzClock reads "H:MM" or "HH:MM" by hand, so the test does not trust the parser it tests.
func fuzzClock(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, ':')
	if i < 1 || i > 2 || len(s)-i-1 != 2 {
		return 0, false
	}
	h, m := 0, 0
	for _, c := range s[:i] {
		if c < '0' || c > '9' {
			return 0, false
		}
		h = h*10 + int(c-'0')
	}
	for _, c := range s[i+1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		m = m*10 + int(c-'0')
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// fuzzList splits a comma-separated list as a TOML array would hold it; "" is no values.
func fuzzList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// fuzzMod is x mod m in [0, m).
func fuzzMod(x, m int64) int64 {
	r := x % m
	if r < 0 {
		r += m
	}
	return r
}
