package health

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Probe asks the /healthz at url, as a container's health check does, and returns its report and HTTP
// status. A desk that does not answer, or answers with something that is not a report, is an error.
func Probe(ctx context.Context, url string) (Report, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Report{}, 0, fmt.Errorf("health check %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Report{}, 0, fmt.Errorf("health check %s: %w", url, err)
	}
	defer resp.Body.Close()
	var rep Report
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&rep); err != nil || rep.Status == "" {
		return Report{}, resp.StatusCode, fmt.Errorf("health check %s: HTTP %d, not a Firstline health report", url, resp.StatusCode)
	}
	return rep, resp.StatusCode, nil
}
