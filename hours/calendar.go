// Package hours is the desk's business-hours calendar: business-time arithmetic for SLA clocks, such as
// when a target of "4 working hours" falls due and how much working time a ticket has used. The SLA rules
// themselves (when a clock starts, stops, pauses, warns and breaches) belong to package bot; this package
// only measures time.
//
// # What counts as working time
//
// An instant is working time when the desk's local wall clock shows a working date (a working weekday
// that is not a holiday) and a time of day in [Start, End). Everything else follows from that one rule,
// including daylight saving time:
//
//   - A working day with hours outside the switch (9:00–17:00 on a day the clocks change at 02:00) is
//     the usual 8 hours.
//   - The hour the clocks skip never shows on the wall, so it is never working time: hours of
//     01:00–04:00 on the spring-forward day in America/New_York are 2 hours long.
//   - The hour the clocks repeat shows twice, and both times count: the same hours on the fall-back day
//     are 4 hours long. The clocks measure elapsed time, and a technician on duty through the repeated
//     hour really is on duty twice as long.
//
// Durations are elapsed (real) time inside working time, so Between(a, Add(a, d)) == d always holds.
package hours

import (
	"errors"
	"fmt"
	"time"
)

// Calendar is when the service desk works. Build one with ParseCalendar from configuration, or fill in
// the fields and call Validate.
type Calendar struct {
	// Location is the desk's time zone; nil means UTC.
	Location *time.Location
	// Days are the working weekdays, indexed by time.Weekday.
	Days [7]bool
	// Start and End are the working hours as wall-clock offsets from local midnight, e.g. 9h and
	// 17h30m: 0 <= Start < End <= 24h. Overnight shifts (End before Start) are not supported; a desk
	// working 22:00–06:00 is two ranges, which this type does not model.
	Start, End time.Duration
	// Holidays are local dates off. A holiday on a working weekday removes the whole day; one on a
	// non-working day changes nothing.
	Holidays map[Date]bool
	// AlwaysOn makes every instant count (24×7, e.g. for P1): Days, hours and Holidays are ignored.
	AlwaysOn bool
}

// AlwaysOn returns a 24×7 calendar in UTC: business time is plain elapsed time.
func AlwaysOn() *Calendar {
	return &Calendar{Location: time.UTC, AlwaysOn: true}
}

// Validate reports every problem that would make the calendar meaningless, at once.
func (c *Calendar) Validate() error {
	if c.AlwaysOn {
		return nil
	}
	var errs []error
	if c.Days == [7]bool{} {
		errs = append(errs, errors.New("no working days"))
	}
	if c.Start < 0 || c.Start >= 24*time.Hour {
		errs = append(errs, fmt.Errorf("start %s is not within a day (0 to 24h)", c.Start))
	}
	if c.End <= 0 || c.End > 24*time.Hour {
		errs = append(errs, fmt.Errorf("end %s is not within a day (0 to 24h)", c.End))
	}
	if c.End <= c.Start {
		errs = append(errs, fmt.Errorf("end %s is not after start %s (overnight shifts are not supported)", c.End, c.Start))
	}
	return errors.Join(errs...)
}

// Working reports whether t is within working time.
func (c *Calendar) Working(t time.Time) bool {
	if c.AlwaysOn {
		return true
	}
	_, off := t.In(c.loc()).Zone()
	p := toWall(t, off)
	return c.workingDay(p.day) && c.Start <= p.ns && p.ns < c.End
}

// Add returns the earliest instant at which d of business time has elapsed since from. Counting starts
// at the first working moment at or after from, so from may be outside working hours. Because the
// instant is the earliest, a target that uses up a day exactly falls due at that day's End, not at the
// next day's Start. d <= 0 returns from. The result is in the calendar's location.
//
// Add panics if the calendar has no working time at all (see Validate): it could never return.
func (c *Calendar) Add(from time.Time, d time.Duration) time.Time {
	loc := c.loc()
	if d <= 0 {
		return from.In(loc)
	}
	if c.AlwaysOn {
		return from.Add(d).In(loc)
	}
	if err := c.Validate(); err != nil {
		panic("hours: Add on an invalid calendar: " + err.Error())
	}
	// Walk the spans of constant UTC offset. Inside one, the wall clock runs in step with real time, so
	// the business time in it is that of a calendar without DST, counted on wall-clock readings. A span
	// of 10 years holds about 20 such spans in a DST zone.
	u := from.In(loc)
	for {
		_, off := u.Zone()
		next := zoneEnd(u)
		x := toWall(u, off)
		y := wall{day: maxDay}
		if !next.IsZero() {
			y = toWall(next, off)
		}
		if z, ok := c.advance(x, y, &d); ok {
			return z.instant(off).In(loc)
		}
		u = next.In(loc)
	}
}

// Between returns the business time between a and b; 0 if b is not after a.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.AlwaysOn {
		return b.Sub(a)
	}
	loc := c.loc()
	var total time.Duration
	for u := a.In(loc); u.Before(b); {
		_, off := u.Zone()
		next := zoneEnd(u)
		if next.IsZero() || next.After(b) {
			next = b
		}
		total += c.between(toWall(u, off), toWall(next, off))
		u = next.In(loc)
	}
	return total
}

// zoneEnd returns the first instant after u at which u's zone offset may change, or the zero time if
// it never does.
func zoneEnd(u time.Time) time.Time {
	_, end := u.ZoneBounds()
	if end.IsZero() || end.After(u) {
		return end
	}
	// golang/go#81583: in the last UTC day of a leap year covered by a zone's TZ footer rule (2040 in
	// New York), ZoneBounds returns an end at or before u, and walking from it never moves on. The rule
	// splits its spans at UTC year ends, so the span runs to the next UTC midnight unless the offset
	// changes first; offsets do not change and change back within a day.
	_, off := u.Zone()
	hi := u.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).In(u.Location())
	if _, o := hi.Zone(); o == off {
		return hi
	}
	lo := u
	for hi.Sub(lo) > 1 {
		mid := lo.Add(hi.Sub(lo) / 2)
		if _, o := mid.Zone(); o == off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func (c *Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// wall is a wall-clock reading: a local date as days since 1970-01-01 and the time of day. It is kept
// apart from time.Time because it has no zone: comparing and stepping readings must not move them.
type wall struct {
	day int64
	ns  time.Duration // since local midnight, in [0, 24h)
}

// maxDay stands for "no end": a wall reading no real instant reaches.
const maxDay = 1 << 40

const secondsPerDay = 24 * 60 * 60

// toWall reads the wall clock at t in a zone offset off seconds east of UTC.
func toWall(t time.Time, off int) wall {
	s := t.Unix() + int64(off)
	day := s / secondsPerDay
	if s%secondsPerDay < 0 {
		day--
	}
	return wall{day: day, ns: time.Duration(s-day*secondsPerDay)*time.Second + time.Duration(t.Nanosecond())}
}

// instant is the real instant at which a clock off seconds east of UTC reads w.
func (w wall) instant(off int) time.Time {
	return time.Unix(w.day*secondsPerDay+int64(w.ns/time.Second)-int64(off), int64(w.ns%time.Second))
}

// hours returns the working part of [lo, hi) on day, both offsets from its midnight.
func (c *Calendar) hours(day int64, lo, hi time.Duration) time.Duration {
	lo, hi = max(lo, c.Start), min(hi, c.End)
	if hi <= lo || !c.workingDay(day) {
		return 0
	}
	return hi - lo
}

// between is the working time from wall reading x to y on a clock without DST.
func (c *Calendar) between(x, y wall) time.Duration {
	if x.day == y.day {
		return c.hours(x.day, x.ns, y.ns)
	}
	total := c.hours(x.day, x.ns, 24*time.Hour)
	for day := x.day + 1; day < y.day; day++ {
		total += c.hours(day, 0, 24*time.Hour)
	}
	return total + c.hours(y.day, 0, y.ns)
}

// advance walks from wall reading x towards y on a clock without DST, spending *d. It returns the
// reading at which *d is used up, or false with *d reduced by the working time up to y.
func (c *Calendar) advance(x, y wall, d *time.Duration) (wall, bool) {
	for day := x.day; day <= y.day; day++ {
		lo, hi := time.Duration(0), 24*time.Hour
		if day == x.day {
			lo = x.ns
		}
		if day == y.day {
			hi = y.ns
		}
		avail := c.hours(day, lo, hi)
		if avail == 0 {
			continue
		}
		if *d <= avail {
			return wall{day: day, ns: max(lo, c.Start) + *d}, true
		}
		*d -= avail
	}
	return wall{}, false
}

// workingDay reports whether the local date day days after 1970-01-01 is a working day.
func (c *Calendar) workingDay(day int64) bool {
	// 1970-01-01 was a Thursday.
	wd := (day + int64(time.Thursday)) % 7
	if wd < 0 {
		wd += 7
	}
	if !c.Days[wd] {
		return false
	}
	return len(c.Holidays) == 0 || !c.Holidays[dateOf(day)]
}
