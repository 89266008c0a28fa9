package main

// What the commands print with: JSON, counts, sizes, one-line cells.

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/firstline-desk/firstline/internal/plural"
)

func ticketCount(n int) string { return plural.Count(n, "ticket", "tickets") }

func list(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ": " + strings.Join(ids, ", ")
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return plural.Count(n, "byte", "bytes")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// flat joins s onto one line with single spaces.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }
