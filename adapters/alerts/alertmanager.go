package alerts

// Prometheus Alertmanager's webhook: the JSON its webhook_config POSTs, payload version 4 (Alertmanager's
// notify/webhook Message: template.Data with version, groupKey and truncatedAlerts).

import (
	"errors"
	"fmt"
	"strings"

	"github.com/firstline-desk/firstline/bot"
)

// amMessage is Alertmanager's webhook payload. Times are read as strings, so a bad one is said by name.
type amMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   uint64            `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []amAlert         `json:"alerts"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// alertmanagerVersion is the payload version this reads.
const alertmanagerVersion = "4"

// parseAlertmanager reads Alertmanager's webhook payload into a notification.
func parseAlertmanager(body []byte) (*bot.AlertNotice, error) {
	var m amMessage
	if err := decode(body, &m, false); err != nil {
		return nil, err
	}
	switch {
	case m.Version == "":
		return nil, errors.New("version is missing: this is not an Alertmanager webhook payload (version 4)")
	case m.Version != alertmanagerVersion:
		return nil, fmt.Errorf("version %q is not supported: Firstline reads Alertmanager's webhook payload version %s", clipName(m.Version), alertmanagerVersion)
	}
	if err := checkStatus("status", m.Status); err != nil {
		return nil, err
	}
	if len(m.Alerts) == 0 {
		return nil, errors.New("alerts: a notification has at least one alert")
	}
	if len(m.Alerts) > maxAlerts {
		return nil, fmt.Errorf("alerts: %d alerts; at most %d in one notification (set max_alerts in the webhook_config)", len(m.Alerts), maxAlerts)
	}
	for field, labels := range map[string]map[string]string{"groupLabels": m.GroupLabels, "commonLabels": m.CommonLabels} {
		if err := checkLabels(field, labels, maxLabelValue); err != nil {
			return nil, err
		}
	}
	if err := checkLabels("commonAnnotations", m.CommonAnnotations, 4*maxLabelValue); err != nil {
		return nil, err
	}
	n := &bot.AlertNotice{Source: "alertmanager", GroupKey: m.GroupKey, Monitor: "Alertmanager", Receiver: m.Receiver, Status: m.Status,
		GroupLabels: m.GroupLabels, CommonLabels: m.CommonLabels, CommonAnnotations: m.CommonAnnotations, ExternalURL: m.ExternalURL,
		Truncated: int(min(m.TruncatedAlerts, 1<<31-1))}
	for i, a := range m.Alerts {
		field := fmt.Sprintf("alerts[%d]", i)
		if err := checkStatus(field+".status", a.Status); err != nil {
			return nil, err
		}
		if len(a.Labels) == 0 {
			return nil, fmt.Errorf("%s.labels: an alert has labels (at least its alertname)", field)
		}
		if err := checkLabels(field+".labels", a.Labels, maxLabelValue); err != nil {
			return nil, err
		}
		if err := checkLabels(field+".annotations", a.Annotations, 4*maxLabelValue); err != nil {
			return nil, err
		}
		starts, err := parseTime(field+".startsAt", a.StartsAt)
		if err != nil {
			return nil, err
		}
		ends, err := parseTime(field+".endsAt", a.EndsAt)
		if err != nil {
			return nil, err
		}
		n.Alerts = append(n.Alerts, bot.Alert{Status: a.Status, Labels: a.Labels, Annotations: a.Annotations, StartsAt: starts,
			EndsAt: ends, GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint})
	}
	if strings.TrimSpace(n.GroupKey) == "" {
		// Alertmanager always sends one; another sender may not: a group of one alert is that alert.
		if len(n.Alerts) != 1 || n.Alerts[0].Fingerprint == "" {
			return nil, errors.New("groupKey is missing: it names the alert group (one ticket per group)")
		}
		n.GroupKey = "fingerprint:" + n.Alerts[0].Fingerprint
	}
	if len(n.GroupKey) > maxKey {
		return nil, fmt.Errorf("groupKey: longer than %d bytes", maxKey)
	}
	return n, nil
}

// checkStatus refuses a status that is neither firing nor resolved.
func checkStatus(field, s string) error {
	if s != bot.AlertFiring && s != bot.AlertResolved {
		return fmt.Errorf("%s: must be %q or %q", field, bot.AlertFiring, bot.AlertResolved)
	}
	return nil
}
