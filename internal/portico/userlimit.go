package portico

import (
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// The per-user limit of performs (docs/activity-and-approvals.md): a
// token bucket per user of each app, refilled at the app's
// perform_rate_per_user per minute up to perform_burst_per_user, in the
// memory of each node. Every surface's calls go through Perform and spend
// from the same bucket; another user's bucket is never touched.

// RateLimited is the Err of the CodeRateLimited error Perform returns when
// the user's budget is spent: adapters reach it with errors.As.
type RateLimited struct {
	// RetryAfter is when the next call will be admitted.
	RetryAfter time.Duration
	// PerMinute and Burst are the app's settings that were applied.
	PerMinute, Burst int
}

func (e *RateLimited) Error() string {
	return fmt.Sprintf("user rate limit (%d per minute, burst %d) spent; retry in %s", e.PerMinute, e.Burst, e.RetryAfter)
}

type userLimiter struct {
	seed   maphash.Seed
	once   sync.Once
	shards [16]userLimitShard
}

type userLimitShard struct {
	mu      sync.Mutex
	buckets map[string]*userBucket
	sweep   time.Time
}

type userBucket struct {
	tokens float64
	last   time.Time
	// full is when the bucket is full again: from then on it carries no
	// state and may be forgotten.
	full time.Time
}

// take spends one call of the user named by user (or, for a user not
// created yet, by ref) at now.
func (l *userLimiter) take(app *App, user *User, ref UserRef, now time.Time) error {
	// A user is known by the same key whether the call names them by id,
	// external id or email, and before and after the call that creates
	// them: their external id, else their email, else their id.
	if user != nil {
		ref = UserRef{ID: &user.ID, ExternalID: user.ExternalID, Email: user.Email}
	}
	key := app.ID + "\x00"
	switch {
	case ref.ExternalID != nil:
		key += "x\x00" + *ref.ExternalID
	case ref.Email != nil:
		key += "e\x00" + *ref.Email
	case ref.ID != nil:
		key += *ref.ID
	}
	perMinute, burst := app.Settings.PerformRatePerUser, app.Settings.PerformBurstPerUser
	wait := l.spend(key, perMinute, burst, now)
	if wait == 0 {
		return nil
	}
	secs := RetrySeconds(wait)
	return &Error{Code: CodeRateLimited,
		Message:    fmt.Sprintf("This user made too many calls (the app allows %d per minute, %d at once); retry after %s.", perMinute, burst, HumanDuration(time.Duration(secs)*time.Second)),
		Details:    map[string]any{"retry_after_seconds": secs, "perform_rate_per_user": perMinute, "perform_burst_per_user": burst},
		RetryAfter: time.Duration(secs) * time.Second,
		Err:        &RateLimited{RetryAfter: time.Duration(secs) * time.Second, PerMinute: perMinute, Burst: burst}}
}

// spend takes one token from key's bucket, refilled at perMinute up to
// burst, and returns 0; when none is left it returns how long until one
// is, and takes nothing. A rate or burst below 1 is no limit.
func (l *userLimiter) spend(key string, perMinute, burst int, now time.Time) time.Duration {
	if perMinute < 1 || burst < 1 {
		return 0
	}
	l.once.Do(func() {
		l.seed = maphash.MakeSeed()
		for i := range l.shards {
			l.shards[i].buckets = map[string]*userBucket{}
		}
	})
	rate := float64(perMinute) / 60
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now.Sub(sh.sweep) > time.Minute {
		for k, b := range sh.buckets {
			if now.After(b.full) {
				delete(sh.buckets, k)
			}
		}
		sh.sweep = now
	}
	b, ok := sh.buckets[key]
	if !ok {
		b = &userBucket{tokens: float64(burst), last: now}
		sh.buckets[key] = b
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(burst), b.tokens+d.Seconds()*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		b.full = now.Add(time.Duration((float64(burst) - b.tokens) / rate * float64(time.Second)))
		return 0
	}
	return max(time.Nanosecond, time.Duration((1-b.tokens)/rate*float64(time.Second)))
}

// RetrySeconds is a wait as Retry-After gives it: whole seconds, rounded
// up, at least one.
func RetrySeconds(wait time.Duration) int {
	return max(1, int((wait+time.Second-1)/time.Second))
}
