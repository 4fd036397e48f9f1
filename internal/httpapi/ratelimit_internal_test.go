package httpapi

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLimiter_BurstRefillAndIsolation(t *testing.T) {
	clk := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(2, 3, clk.now) // 2 tokens/s, burst 3
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("a: request %d of the burst refused", i)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("a over the burst: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	// Another key has its own full bucket.
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("b"); !ok {
			t.Fatalf("b: request %d refused while a is limited", i)
		}
	}
	// Refused attempts cost nothing: after 500ms exactly one token is back.
	clk.advance(500 * time.Millisecond)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("a refused after refilling one token")
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("a allowed twice after refilling one token")
	}
	// The bucket never holds more than the burst.
	clk.advance(time.Hour)
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("a after an hour: request %d refused", i)
		}
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("a's bucket grew past the burst")
	}
}

func TestLimiter_PeekDoesNotSpend(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	l := newLimiter(1, 1, clk.now)
	for i := 0; i < 5; i++ {
		if ok, _ := l.peek("ip"); !ok {
			t.Fatal("peek on an unused key refused")
		}
	}
	if ok, _ := l.allow("ip"); !ok {
		t.Fatal("allow after peeks refused")
	}
	ok, wait := l.peek("ip")
	if ok || wait != time.Second {
		t.Fatalf("peek on an empty bucket: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.peek("other"); !ok {
		t.Fatal("another key's peek refused")
	}
}

func TestLimiter_Disabled(t *testing.T) {
	var nilLimiter *limiter
	off := newLimiter(0, 0, time.Now)
	for i := 0; i < 1000; i++ {
		if ok, _ := off.allow("k"); !ok {
			t.Fatal("rate 0 limited")
		}
		if ok, _ := nilLimiter.allow("k"); !ok {
			t.Fatal("nil limiter limited")
		}
	}
}

func TestLimiter_SweepForgetsOnlyFullBuckets(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	l := newLimiter(1, 2, clk.now)
	for i := 0; i < 100; i++ {
		l.allow(fmt.Sprint("idle-", i))
	}
	l.allow("busy")
	l.allow("busy")
	clk.advance(2 * time.Minute) // every bucket has refilled
	l.allow("busy")              // triggers a sweep of its shard
	l.allow("busy")
	if ok, _ := l.allow("busy"); ok {
		t.Fatal("a sweep reset an active bucket")
	}
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].buckets)
		l.shards[i].mu.Unlock()
	}
	if n > 101 {
		t.Fatalf("%d buckets kept", n)
	}
	// Sweep every shard by touching keys until all idle ones are gone.
	for i := 0; i < 1000; i++ {
		l.peek(fmt.Sprint("probe-", i))
	}
	n = 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].buckets)
		l.shards[i].mu.Unlock()
	}
	if n != 1 {
		t.Fatalf("%d buckets kept after sweeping every shard, want only busy", n)
	}
}

// Many goroutines on many keys: no race, and no key gets more than its
// burst when the clock stands still.
func TestLimiter_Concurrent(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	l := newLimiter(1, 5, clk.now)
	var mu sync.Mutex
	allowed := map[string]int{}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				k := fmt.Sprint("key-", i%20)
				if ok, _ := l.allow(k); ok {
					mu.Lock()
					allowed[k]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 20; i++ {
		if n := allowed[fmt.Sprint("key-", i)]; n != 5 {
			t.Errorf("key-%d allowed %d times, want its burst of 5", i, n)
		}
	}
}
