package hours

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseCalendar builds a calendar from its configuration: an IANA time zone ("Europe/London"; "" is
// UTC), working days ("mon".."sun" or "monday".."sunday", any case), working hours as "09:00" and
// "17:30" (end may be "24:00"), and holidays as "2026-12-25". It reports every bad value at once, each
// named.
func ParseCalendar(tz string, days []string, start, end string, holidays []string) (*Calendar, error) {
	var errs []error
	c := &Calendar{}

	if tz == "Local" {
		// Local is whatever the server happens to be set to; a desk's hours must not move with a host.
		errs = append(errs, errors.New(`time zone "Local" depends on the server: name the zone, like "Europe/London"`))
	} else if loc, err := time.LoadLocation(tz); err != nil {
		errs = append(errs, fmt.Errorf("time zone %q is not a known zone name like \"Europe/London\"", tz))
	} else {
		c.Location = loc
	}

	if len(days) == 0 {
		errs = append(errs, errors.New("no working days"))
	}
	for _, s := range days {
		wd, ok := weekdays[strings.ToLower(strings.TrimSpace(s))]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("working day %q is not a weekday like \"mon\" or \"monday\"", s))
		case c.Days[wd]:
			// Harmless to the arithmetic, but usually a typo for the day that is missing.
			errs = append(errs, fmt.Errorf("working day %q is listed twice", s))
		default:
			c.Days[wd] = true
		}
	}

	var startOK, endOK bool
	c.Start, startOK = clock(start, false)
	if !startOK {
		errs = append(errs, fmt.Errorf("start %q is not a time of day like \"09:00\"", start))
	}
	c.End, endOK = clock(end, true)
	if !endOK {
		errs = append(errs, fmt.Errorf("end %q is not a time of day like \"17:30\" (or \"24:00\")", end))
	}
	if startOK && endOK && c.End <= c.Start {
		errs = append(errs, fmt.Errorf("end %q is not after start %q (overnight shifts are not supported)", end, start))
	}

	for _, s := range holidays {
		d, err := ParseDate(strings.TrimSpace(s))
		if err != nil {
			errs = append(errs, fmt.Errorf("holiday %q is not a date like 2026-12-25", s))
			continue
		}
		// Duplicates are accepted: holiday lists are often national and regional ones put together.
		if c.Holidays == nil {
			c.Holidays = make(map[Date]bool)
		}
		c.Holidays[d] = true
	}

	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// clock parses "HH:MM" (or "H:MM") as an offset from midnight; "24:00" only when end is true.
func clock(s string, end bool) (time.Duration, bool) {
	hs, ms, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 || !digits(hs) || !digits(ms) {
		return 0, false
	}
	h, _ := strconv.Atoi(hs)
	m, _ := strconv.Atoi(ms)
	if m > 59 {
		return 0, false
	}
	if h > 23 && !(end && h == 24 && m == 0) {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// digits reports whether s is all ASCII digits; strconv.Atoi alone would also take "+9".
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
