//go:build race

package redact_test

// raceEnabled makes the time limits of TestLongInput allow for the race detector's slowdown.
const raceEnabled = true
