package kbeval

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// PeakRSSMB returns the process's peak resident memory in MB (2^20 bytes) and whether the platform
// says. It is the whole process's high-water mark: the loaded corpus, the index, the garbage not yet
// collected and the runtime, which is what a machine must have to run the desk on this knowledge
// base.
func PeakRSSMB() (float64, bool) {
	// Linux says it in /proc, in kB, without a system call that needs cgo or build tags.
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		if kib, ok := statusKB(b, "VmHWM:"); ok {
			return float64(kib) / 1024, true
		}
	}
	return maxRSSMB()
}

// statusKB finds a "Key:   123 kB" line of /proc/self/status.
func statusKB(status []byte, key string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(key))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil || (len(fields) > 1 && string(fields[1]) != "kB") {
			return 0, false
		}
		return n, true
	}
	return 0, false
}
