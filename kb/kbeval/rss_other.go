//go:build !unix

package kbeval

// maxRSSMB has no portable source here (Windows would need its process API): the figure is unknown.
func maxRSSMB() (float64, bool) { return 0, false }
