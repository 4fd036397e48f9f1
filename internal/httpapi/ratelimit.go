package httpapi

import (
	"hash/maphash"
	"sync"
	"time"
)

// limiter is a set of token buckets keyed by a string (an API key id, a
// client IP). Rate 0 disables it. Idle buckets are forgotten.
type limiter struct {
	rate   float64 // tokens per second
	burst  float64
	now    func() time.Time
	seed   maphash.Seed
	shards [16]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	l := &limiter{rate: rate, burst: float64(burst), now: now, seed: maphash.MakeSeed()}
	if l.burst < 1 {
		l.burst = 1
	}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

// allow spends one token for key; when none is left it reports how long
// until one is.
func (l *limiter) allow(key string) (bool, time.Duration) { return l.take(key, 1) }

// peek reports whether key has a token left without spending it.
func (l *limiter) peek(key string) (bool, time.Duration) { return l.take(key, 0) }

func (l *limiter) take(key string, n float64) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	now := l.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now.Sub(sh.sweep) > time.Minute {
		// A bucket idle long enough to be full again carries no state.
		full := time.Duration(l.burst / l.rate * float64(time.Second))
		for k, b := range sh.buckets {
			if now.Sub(b.last) > full {
				delete(sh.buckets, k)
			}
		}
		sh.sweep = now
	}
	b, ok := sh.buckets[key]
	if !ok {
		if n == 0 {
			return true, 0
		}
		b = &bucket{tokens: l.burst, last: now}
		sh.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if n == 0 {
		if b.tokens >= 1 {
			return true, 0
		}
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	if b.tokens < n {
		return false, time.Duration((n - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens -= n
	return true, 0
}
