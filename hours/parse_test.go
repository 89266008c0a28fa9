package hours_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firstline-desk/firstline/hours"
)

func TestParseCalendar(t *testing.T) {
	c, err := hours.ParseCalendar("Europe/London", []string{"Mon", "tuesday", " wed ", "THU", "fri"}, "9:00", "17:30", []string{"2026-12-25", "2026-12-28", "2026-12-25"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Location.String() != "Europe/London" {
		t.Errorf("Location = %s, want Europe/London", c.Location)
	}
	if want := [7]bool{false, true, true, true, true, true, false}; c.Days != want {
		t.Errorf("Days = %v, want %v", c.Days, want)
	}
	if c.Start != 9*time.Hour || c.End != 17*time.Hour+30*time.Minute {
		t.Errorf("hours = %s–%s, want 9h0m0s–17h30m0s", c.Start, c.End)
	}
	if len(c.Holidays) != 2 || !c.Holidays[hours.Date{Year: 2026, Month: 12, Day: 28}] {
		t.Errorf("Holidays = %v, want 2026-12-25 and 2026-12-28", c.Holidays)
	}
	if c.AlwaysOn {
		t.Error("AlwaysOn = true")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}

	c, err = hours.ParseCalendar("", []string{"sun"}, "00:00", "24:00", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Location != time.UTC || c.End != 24*time.Hour {
		t.Errorf("got %s until %s, want UTC until 24h", c.Location, c.End)
	}
}

func TestParseCalendarErrors(t *testing.T) {
	week := []string{"mon", "tue", "wed", "thu", "fri"}
	tests := []struct {
		name       string
		tz         string
		days       []string
		start, end string
		holidays   []string
		want       []string // each must appear in the error
	}{
		{"unknown zone", "Mars/Olympus", week, "09:00", "17:00", nil, []string{`time zone "Mars/Olympus"`}},
		{"local zone", "Local", week, "09:00", "17:00", nil, []string{`"Local" depends on the server`}},
		{"bad day", "UTC", []string{"mon", "funday"}, "09:00", "17:00", nil, []string{`working day "funday"`}},
		{"duplicate day", "UTC", []string{"mon", "Monday"}, "09:00", "17:00", nil, []string{`working day "Monday" is listed twice`}},
		{"no days", "UTC", nil, "09:00", "17:00", nil, []string{"no working days"}},
		{"hour too big", "UTC", week, "25:00", "26:00", nil, []string{`start "25:00"`, `end "26:00"`}},
		{"24:00 start", "UTC", week, "24:00", "24:00", nil, []string{`start "24:00"`}},
		{"minutes", "UTC", week, "09:60", "17:5", nil, []string{`start "09:60"`, `end "17:5"`}},
		{"no colon", "UTC", week, "0900", "17:00", nil, []string{`start "0900"`}},
		{"signed", "UTC", week, "+9:00", "17:-1", nil, []string{`start "+9:00"`, `end "17:-1"`}},
		{"empty", "UTC", week, "", "17:00", nil, []string{`start ""`}},
		{"overnight", "UTC", week, "22:00", "06:00", nil, []string{`end "06:00" is not after start "22:00"`, "overnight"}},
		{"equal", "UTC", week, "09:00", "09:00", nil, []string{`end "09:00" is not after start "09:00"`}},
		{"bad holiday", "UTC", week, "09:00", "17:00", []string{"2026-12-25", "25/12/2026", "2026-02-30"}, []string{`holiday "25/12/2026"`, `holiday "2026-02-30"`}},
		// Every problem is reported at once.
		{"many", "Nowhere", []string{"xyz"}, "9", "5pm", []string{"soon"}, []string{`"Nowhere"`, `"xyz"`, `start "9"`, `end "5pm"`, `holiday "soon"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := hours.ParseCalendar(tt.tz, tt.days, tt.start, tt.end, tt.holidays)
			if err == nil {
				t.Fatalf("ParseCalendar = %+v, want an error", c)
			}
			if c != nil {
				t.Errorf("ParseCalendar returned a calendar with the error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	mon := [7]bool{time.Monday: true}
	tests := []struct {
		name string
		c    hours.Calendar
		want string // "" for valid
	}{
		{"valid", hours.Calendar{Days: mon, Start: 9 * time.Hour, End: 17 * time.Hour}, ""},
		{"whole day", hours.Calendar{Days: mon, End: 24 * time.Hour}, ""},
		{"always on needs nothing", hours.Calendar{AlwaysOn: true}, ""},
		{"no days", hours.Calendar{Start: 9 * time.Hour, End: 17 * time.Hour}, "no working days"},
		{"overnight", hours.Calendar{Days: mon, Start: 22 * time.Hour, End: 6 * time.Hour}, "is not after start"},
		{"negative start", hours.Calendar{Days: mon, Start: -time.Hour, End: 6 * time.Hour}, "start -1h0m0s"},
		{"end past midnight", hours.Calendar{Days: mon, Start: time.Hour, End: 25 * time.Hour}, "end 25h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	d, err := hours.ParseDate("2028-02-29")
	if err != nil {
		t.Fatal(err)
	}
	if want := (hours.Date{Year: 2028, Month: time.February, Day: 29}); d != want || d.String() != "2028-02-29" {
		t.Fatalf("ParseDate = %v (%s), want %v", d, d, want)
	}
	if _, err := hours.ParseDate("2027-02-29"); err == nil || !strings.Contains(err.Error(), `"2027-02-29"`) {
		t.Fatalf("ParseDate(2027-02-29) error = %v, want one naming the date", err)
	}
}
