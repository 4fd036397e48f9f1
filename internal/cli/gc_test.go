package cli

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC_DefaultsUnlessTheEnvironmentSetsThem(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	for _, c := range []struct {
		env     map[string]string
		percent int
		limit   int64
	}{
		{env: map[string]string{}, percent: gcPercent, limit: memoryLimit},
		{env: map[string]string{"GOGC": "50"}, percent: 100, limit: memoryLimit},
		{env: map[string]string{"GOMEMLIMIT": "1GiB"}, percent: gcPercent, limit: 1 << 40},
		{env: map[string]string{"GOGC": "off", "GOMEMLIMIT": "off"}, percent: 100, limit: 1 << 40},
	} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(1 << 40)
		tuneGC(&Env{Getenv: func(k string) string { return c.env[k] }})
		if got := debug.SetGCPercent(100); got != c.percent {
			t.Errorf("env %v: GC percent %d, want %d", c.env, got, c.percent)
		}
		if got := debug.SetMemoryLimit(1 << 40); got != c.limit {
			t.Errorf("env %v: memory limit %d, want %d", c.env, got, c.limit)
		}
	}
}
