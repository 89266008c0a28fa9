//go:build unix

package kbeval

import (
	"runtime"
	"syscall"
)

// maxRSSMB asks getrusage, where /proc is missing (macOS, the BSDs).
func maxRSSMB() (float64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss <= 0 {
		return 0, false
	}
	// ru_maxrss is in bytes on Apple systems and in kilobytes elsewhere.
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return float64(ru.Maxrss) / (1 << 20), true
	}
	return float64(ru.Maxrss) / 1024, true
}
