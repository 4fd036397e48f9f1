package mcp

import "time"

// SetStreamRecheck sets how often an open stream's credential is checked
// again, until the test ends.
func SetStreamRecheck(d time.Duration) (restore func()) {
	old := streamRecheck.Swap(int64(d))
	return func() { streamRecheck.Store(old) }
}

// MaxSessionsPerCaller is how many 2025-era sessions of one caller a node
// keeps.
const MaxSessionsPerCaller = maxSessionsPerCaller
