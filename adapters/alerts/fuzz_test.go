package alerts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/firstline-desk/firstline/bot"
)

// FuzzParse: whatever a caller sends, the parsers return a notification the engine can take (a group
// key, a known status, at least one alert, each with a known status) or a refusal; they never panic.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"alertmanager-firing.json", "alertmanager-repeat.json", "alertmanager-resolved.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"monitor":"m","key":"k","status":"firing","summary":"s","labels":{"a":"b"},"starts_at":"2026-11-02T08:58:00Z"}`))
	f.Add([]byte(`{"version":"4","status":"resolved","alerts":[{"status":"resolved","labels":{"a":"b"},"fingerprint":"f"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, parse := range []func([]byte) (*bot.AlertNotice, error){parseAlertmanager, parseGeneric} {
			n, err := parse(body)
			if err != nil {
				if n != nil {
					t.Fatal("a refusal with a notification")
				}
				continue
			}
			if n.GroupKey == "" || (n.Status != bot.AlertFiring && n.Status != bot.AlertResolved) || len(n.Alerts) == 0 {
				t.Fatalf("accepted a notification the engine refuses: %+v", n)
			}
			for _, a := range n.Alerts {
				if a.Status != bot.AlertFiring && a.Status != bot.AlertResolved {
					t.Fatalf("accepted an alert with status %q", a.Status)
				}
			}
		}
	})
}
