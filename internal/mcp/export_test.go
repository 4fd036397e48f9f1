package mcp

import "time"

// SetStreamRecheck sets how often an open stream's credential is checked
// again, until the test ends.
func SetStreamRecheck(d time.Duration) (restore func()) {
	old := streamRecheck.Swap(int64(d))
	return func() { streamRecheck.Store(old) }
}
