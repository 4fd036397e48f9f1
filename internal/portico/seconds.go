package portico

import (
	"math"
	"time"
)

// maxSeconds is the largest whole number of seconds a time.Duration holds
// (about 292 years).
const maxSeconds = math.MaxInt64 / int64(time.Second)

// Seconds converts a count of seconds to a Duration, saturating: below zero
// is 0, beyond what a Duration holds is the largest Duration. Every count of
// seconds that comes from outside — a request's ttl_seconds, a provider's
// expires_in, a stored setting — goes through it: time.Duration(n) *
// time.Second wraps around for n above about 9.2e9 and turns a far future
// into a distant past. A saturated value is still above every limit the
// callers compare it with, so a caller that checks its result against a
// limit refuses a huge count instead of accepting its wrapped remainder.
func Seconds(n int64) time.Duration {
	switch {
	case n <= 0:
		return 0
	case n > maxSeconds:
		return math.MaxInt64
	}
	return time.Duration(n) * time.Second
}
