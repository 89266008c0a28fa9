package kbeval

import "testing"

func TestStatusKB(t *testing.T) {
	status := []byte("Name:\tkbeval.test\nVmPeak:\t 1234567 kB\nVmHWM:\t   52340 kB\nVmRSS:\t   50000 kB\n")
	tests := []struct {
		key  string
		want int64
		ok   bool
	}{
		{"VmHWM:", 52340, true},
		{"VmPeak:", 1234567, true},
		{"VmSwap:", 0, false},
		{"Name:", 0, false}, // not a number
	}
	for _, tt := range tests {
		if got, ok := statusKB(status, tt.key); got != tt.want || ok != tt.ok {
			t.Errorf("statusKB(%q) = %d, %v; want %d, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}
