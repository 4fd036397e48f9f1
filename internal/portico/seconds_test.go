package portico_test

import (
	"math"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want time.Duration
	}{
		{0, 0},
		{1, time.Second},
		{3600, time.Hour},
		{-1, 0},
		{math.MinInt64, 0},
		// The largest count that fits, and the first that does not.
		{math.MaxInt64 / int64(time.Second), time.Duration(math.MaxInt64/int64(time.Second)) * time.Second},
		{math.MaxInt64/int64(time.Second) + 1, math.MaxInt64},
		// The ttl_seconds of the extend overflow: multiplied unchecked, it
		// wraps to about -8.5e18 ns, an expiry in the year 1737.
		{9300000000, math.MaxInt64},
		{math.MaxInt64, math.MaxInt64},
	} {
		if got := portico.Seconds(tc.n); got != tc.want {
			t.Errorf("Seconds(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
	// A saturated duration still lands after any limit measured in years.
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := now.Add(portico.Seconds(9300000000)); !got.After(now.AddDate(290, 0, 0)) {
		t.Errorf("now + Seconds(9300000000) = %v, want beyond 290 years from now", got)
	}
}
