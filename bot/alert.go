package bot

// Alerts: a monitor (Prometheus Alertmanager, or any other through a small generic shape) tells the desk
// about an alert group, and each group is one ticket, worked from a card in a tier channel like any
// escalated ticket. A notification arrives as an EventAlert from an HTTP receiver outside the engine
// (adapters/alerts), which checks the caller and the payload; the engine routes it (alertroute.go) and
// opens, updates, reopens or resolves the group's ticket (alertflow.go) in the event's one transaction.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// EventAlert is a monitor's notification about an alert group: Event.Alert holds it, Platform is
// AlertPlatform and User the monitor ("alerts:alertmanager"). It has no ID: a notification sent again
// (Alertmanager retries one its receiver did not answer, and each peer of a cluster may send it) is
// recognised by its content (AlertNotice.Digest), against what the group's ticket last took.
const EventAlert EventKind = "alert"

// AlertPlatform is the platform of alert events and of their tickets' conversations. A monitor has no
// chat: nothing addressed to it is posted (enqueue drops it), so its ticket is worked from its card alone.
const AlertPlatform = "alerts"

// The statuses of an alert, and of an alert group: firing while one of its alerts fires.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// AlertNotice is one notification about an alert group, in Alertmanager's terms (webhook payload
// version 4), which the generic shape is translated into.
type AlertNotice struct {
	// Source is the kind of monitor ("alertmanager", "generic"); GroupKey is unique within it and
	// names the group: one ticket per group.
	Source   string `json:"source" redact:"-"`
	GroupKey string `json:"group_key"`
	// Monitor is who sent it, as the ticket shows its requester ("Alertmanager", "Uptime Kuma").
	Monitor string `json:"monitor"`
	// Receiver is Alertmanager's receiver the notification was sent for.
	Receiver string `json:"receiver,omitempty"`
	// Status is the group's: firing while one of its alerts fires, resolved when all are.
	Status            string            `json:"status" redact:"-"`
	GroupLabels       map[string]string `json:"group_labels,omitempty"`
	CommonLabels      map[string]string `json:"common_labels,omitempty"`
	CommonAnnotations map[string]string `json:"common_annotations,omitempty"`
	// ExternalURL is the monitor's own page (Alertmanager's URL).
	ExternalURL string  `json:"external_url,omitempty"`
	Alerts      []Alert `json:"alerts"`
	// Truncated is how many alerts the monitor left out (Alertmanager's max_alerts).
	Truncated int `json:"truncated,omitempty"`
}

// Alert is one alert of a group.
type Alert struct {
	Status      string            `json:"status" redact:"-"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// StartsAt is when it started firing; EndsAt when it stopped (zero while it fires).
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at,omitzero"`
	GeneratorURL string    `json:"generator_url,omitempty"`
	// Fingerprint identifies the alert (its labels) within its group; with StartsAt, one firing of it.
	Fingerprint string `json:"fingerprint,omitempty" redact:"-"`
}

// AlertGroup is what the ticket of an alert group knows of it: what the latest notification said, and
// what the route chose when the ticket was opened. Labels and annotations are text, redacted like any.
type AlertGroup struct {
	Source string `json:"source" redact:"-"`
	// Route is the name of the route that chose the ticket's tier and priority.
	Route string `json:"route" redact:"-"`
	// Status is the group's, as last said: firing or resolved.
	Status string `json:"status" redact:"-"`
	// Labels are the labels every alert of the group shares; Annotations the annotations they share
	// (summary, description, runbook_url).
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Alerts are the group's alerts as last said (at most maxAlertsKept, firing first); Firing and
	// Resolved count all of them, Truncated those the monitor left out.
	Alerts      []Alert `json:"alerts,omitempty"`
	Firing      int     `json:"firing"`
	Resolved    int     `json:"resolved,omitempty"`
	Truncated   int     `json:"truncated,omitempty"`
	ExternalURL string  `json:"external_url,omitempty"`
	// Actions are the actions the route suggests on the card; Resolve: a resolved notification resolves
	// the ticket (else it only adds a note).
	Actions []string `json:"actions,omitempty" redact:"-"`
	Resolve bool     `json:"resolve,omitempty"`
	// FiredAt is when the group started firing (its earliest alert): the SLA clocks start there.
	FiredAt time.Time `json:"fired_at"`
	// LastAt is when the latest notification arrived; Notices counts them; Digest is the latest's
	// content, to know one sent again.
	LastAt  time.Time `json:"last_at"`
	Notices int       `json:"notices"`
	Digest  string    `json:"digest" redact:"-"`
	// Held: the route's flood limit held back the ticket's card or its update; the group's next
	// notification the limit lets through posts it.
	Held bool `json:"held,omitempty"`
}

// maxAlertsKept bounds the alerts a ticket keeps of its group: a group of thousands (a whole fleet down)
// keeps the first hundred, firing first, and counts the rest.
const maxAlertsKept = 100

// fromMonitor reports whether the ticket was opened by a monitor: its requester reads nothing.
func (t *Ticket) fromMonitor() bool {
	return t.Alert != nil || t.Conversation.Platform == AlertPlatform
}

// labels are the labels routes match: those every alert of the group shares, with the group's own
// (Alertmanager's commonLabels include its groupLabels; a sender may give only one of them). A group of
// one alert that says neither shares all of that alert's.
func (n *AlertNotice) labels() map[string]string {
	out := map[string]string{}
	if len(n.CommonLabels) == 0 && len(n.GroupLabels) == 0 && len(n.Alerts) == 1 {
		maps.Copy(out, n.Alerts[0].Labels)
	}
	maps.Copy(out, n.GroupLabels)
	maps.Copy(out, n.CommonLabels)
	return out
}

// annotations are the annotations the group shares, or, for a group of one alert, that alert's.
func (n *AlertNotice) annotations() map[string]string {
	out := map[string]string{}
	if len(n.Alerts) == 1 {
		maps.Copy(out, n.Alerts[0].Annotations)
	}
	maps.Copy(out, n.CommonAnnotations)
	return out
}

// conversation is the group's place in the store: its ticket is found by it, as a requester's
// conversation finds theirs. The group key can be long (Alertmanager writes the route's matchers into
// it), so the thread is a hash of it.
func (n *AlertNotice) conversation() Conversation {
	sum := sha256.Sum256([]byte(n.Source + "\x1f" + n.GroupKey))
	return Conversation{Platform: AlertPlatform, Channel: n.Source, Thread: hex.EncodeToString(sum[:16])}
}

// digest identifies what the notification says, whatever its JSON's spacing or key order: the same
// notification sent again has the same digest.
func (n *AlertNotice) digest() string {
	b, _ := json.Marshal(n) // maps marshal with sorted keys; nothing here fails to marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// check refuses a notification the engine cannot take (the receiver checks the payload's own rules).
func (n *AlertNotice) check() error {
	switch {
	case n.Source == "" || strings.TrimSpace(n.GroupKey) == "":
		return Errorf(EINVALID, "an alert notification needs a source and a group key")
	case n.Status != AlertFiring && n.Status != AlertResolved:
		return Errorf(EINVALID, "an alert group's status is %q or %q, not %q", AlertFiring, AlertResolved, n.Status)
	case len(n.Alerts) == 0:
		return Errorf(EINVALID, "an alert notification needs at least one alert")
	}
	for i, a := range n.Alerts {
		if a.Status != AlertFiring && a.Status != AlertResolved {
			return Errorf(EINVALID, "alert %d: status is %q or %q, not %q", i+1, AlertFiring, AlertResolved, a.Status)
		}
	}
	return nil
}

// firedAt is when the group started firing: its earliest firing alert's start (or, when none fires,
// its earliest alert's), never later than now (a monitor's clock may run ahead), and now when no alert
// says.
func (n *AlertNotice) firedAt(now time.Time) time.Time {
	at := now
	firing := n.Status == AlertFiring
	for _, a := range n.Alerts {
		if firing && a.Status != AlertFiring {
			continue
		}
		if !a.StartsAt.IsZero() && a.StartsAt.Before(at) {
			at = a.StartsAt
		}
	}
	return at
}

// subject names the group's ticket: its alert name and summary.
func (n *AlertNotice) subject() string {
	labels, ann := n.labels(), n.annotations()
	name := labels["alertname"]
	if name == "" && len(n.Alerts) > 0 {
		name = n.Alerts[0].Labels["alertname"]
	}
	summary := firstLine(ann["summary"])
	if summary == "" && len(n.Alerts) > 0 {
		summary = firstLine(n.Alerts[0].Annotations["summary"])
	}
	s := summary
	switch {
	case name != "" && summary == "":
		s = name + " " + labelText(labels, "alertname")
	case name != "" && !strings.Contains(strings.ToLower(summary), strings.ToLower(name)):
		s = name + ": " + summary
	}
	if s = strings.TrimSpace(s); s == "" {
		s = "Alert from " + monitorName(n.Monitor)
	}
	return clip(strings.Join(strings.Fields(s), " "), 120)
}

// labelText writes labels as "k=v k=v", sorted, leaving out the keys in skip.
func labelText(labels map[string]string, skip ...string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if !slices.Contains(skip, k) {
			parts = append(parts, k+"="+labels[k])
		}
	}
	return strings.Join(parts, " ")
}

// group is what a ticket keeps of the notification: its alerts firing first, at most maxAlertsKept.
func (n *AlertNotice) group(route AlertRoute, now time.Time, digest string) *AlertGroup {
	g := &AlertGroup{Source: n.Source, Route: route.Name, Status: n.Status, Labels: n.labels(), Annotations: n.annotations(),
		Truncated: n.Truncated, ExternalURL: n.ExternalURL, Actions: route.Actions, Resolve: route.Resolve,
		FiredAt: n.firedAt(now), LastAt: now, Notices: 1, Digest: digest}
	alerts := slices.Clone(n.Alerts)
	slices.SortStableFunc(alerts, func(a, b Alert) int {
		if (a.Status == AlertFiring) != (b.Status == AlertFiring) {
			if a.Status == AlertFiring {
				return -1
			}
			return 1
		}
		return a.StartsAt.Compare(b.StartsAt)
	})
	for _, a := range alerts {
		if a.Status == AlertFiring {
			g.Firing++
		} else {
			g.Resolved++
		}
	}
	if len(alerts) > maxAlertsKept {
		alerts = alerts[:maxAlertsKept]
	}
	g.Alerts = alerts
	return g
}

// firingAlerts are the fingerprints (with their start: one firing of an alert) of the group's firing
// alerts as kept.
func (g *AlertGroup) firingAlerts() map[string]bool {
	out := map[string]bool{}
	for _, a := range g.Alerts {
		if a.Status == AlertFiring {
			out[alertID(a)] = true
		}
	}
	return out
}

// alertID names one firing of an alert: its fingerprint (or its labels) and when it started.
func alertID(a Alert) string {
	id := a.Fingerprint
	if id == "" {
		id = labelText(a.Labels)
	}
	return id + "@" + a.StartsAt.UTC().Format(time.RFC3339Nano)
}
