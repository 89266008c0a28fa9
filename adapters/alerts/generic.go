package alerts

// The generic shape, for monitors other than Alertmanager: one alert per notification, named by a key
// the monitor chooses (one ticket per key). docs/alerts.md documents it.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/firstline-desk/firstline/bot"
)

// genericAlert is Firstline's own alert shape.
type genericAlert struct {
	// Monitor names the sender, as the ticket shows its requester; keys are unique per monitor.
	Monitor string `json:"monitor"`
	// Key names the alert: every notification with the same key is about the same ticket.
	Key         string            `json:"key"`
	Status      string            `json:"status"`
	Summary     string            `json:"summary"`
	Description string            `json:"description"`
	RunbookURL  string            `json:"runbook_url"`
	URL         string            `json:"url"`
	Labels      map[string]string `json:"labels"`
	StartsAt    string            `json:"starts_at"`
	EndsAt      string            `json:"ends_at"`
}

// Bounds of the generic shape's texts.
const (
	maxMonitor = 80
	maxSummary = 300
)

// parseGeneric reads the generic shape into a notification of one alert.
func parseGeneric(body []byte) (*bot.AlertNotice, error) {
	var g genericAlert
	if err := decode(body, &g, true); err != nil {
		return nil, err
	}
	g.Monitor, g.Key, g.Summary = strings.TrimSpace(g.Monitor), strings.TrimSpace(g.Key), strings.TrimSpace(g.Summary)
	switch {
	case g.Key == "":
		return nil, errors.New("key is missing: it names the alert, and every notification with the same key is about the same ticket")
	case len(g.Key) > maxKey:
		return nil, fmt.Errorf("key: longer than %d bytes", maxKey)
	case len(g.Monitor) > maxMonitor:
		return nil, fmt.Errorf("monitor: longer than %d bytes", maxMonitor)
	case g.Status == "":
		return nil, fmt.Errorf("status is missing: %q or %q", bot.AlertFiring, bot.AlertResolved)
	case g.Status == bot.AlertFiring && g.Summary == "":
		return nil, errors.New("summary is missing: a firing alert says in a line what is wrong")
	case len(g.Summary) > maxSummary:
		return nil, fmt.Errorf("summary: longer than %d bytes (put the rest in description)", maxSummary)
	case len(g.Description) > 4*maxLabelValue || len(g.RunbookURL) > maxLabelValue || len(g.URL) > maxLabelValue:
		return nil, fmt.Errorf("description, runbook_url or url: too long (description at most %d bytes, the addresses %d)", 4*maxLabelValue, maxLabelValue)
	}
	if err := checkStatus("status", g.Status); err != nil {
		return nil, err
	}
	if err := checkLabels("labels", g.Labels, maxLabelValue); err != nil {
		return nil, err
	}
	starts, err := parseTime("starts_at", g.StartsAt)
	if err != nil {
		return nil, err
	}
	ends, err := parseTime("ends_at", g.EndsAt)
	if err != nil {
		return nil, err
	}
	ann := map[string]string{}
	for k, v := range map[string]string{"summary": g.Summary, "description": g.Description, "runbook_url": g.RunbookURL} {
		if v = strings.TrimSpace(v); v != "" {
			ann[k] = v
		}
	}
	labels := map[string]string{}
	for k, v := range g.Labels {
		labels[k] = v
	}
	monitor := g.Monitor
	if monitor == "" {
		monitor = "Monitor"
	}
	return &bot.AlertNotice{
		Source: "generic", GroupKey: monitor + "\x1f" + g.Key, Monitor: monitor, Status: g.Status,
		CommonLabels: labels, CommonAnnotations: ann,
		Alerts: []bot.Alert{{Status: g.Status, Labels: labels, Annotations: ann, StartsAt: starts, EndsAt: ends,
			GeneratorURL: strings.TrimSpace(g.URL), Fingerprint: fingerprint(g.Key)}},
	}, nil
}

// fingerprint identifies the generic alert of a key, as Alertmanager's fingerprint does its alert: a hash,
// kept as an identifier, so the key itself (free text) is not.
func fingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}
