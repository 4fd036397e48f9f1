package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A workload makes the requests of one worker. next is called by that worker
// only, in a closed loop: it may mutate and return the same *http.Request
// every time, because the previous response body is closed before it is
// called again.
type workload func(worker int) (next func() *http.Request)

// loadOpts configure one measured run.
type loadOpts struct {
	conns    int
	warmup   time.Duration
	duration time.Duration
	// onMeasure and onMeasured bracket the measured window (CPU profile,
	// CPU-time accounting).
	onMeasure  func()
	onMeasured func()
	// spread, when set, sends the connections to these addresses in
	// turn, whatever address a request names: the nodes of a cluster
	// behind no balancer, each taking half the connections of two.
	spread []string
}

// loadResult is what one run measured, over the measured window only.
type loadResult struct {
	requests int64 // completed inside the window, errors included
	errors   int64 // transport errors and non-2xx answers
	firstErr string
	elapsed  time.Duration
	p50, p99 time.Duration
	max      time.Duration
}

func (r loadResult) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// newTransport gives every worker its own keep-alive connection: at most
// conns connections, all kept idle between requests.
func newTransport(conns int, spread []string) *http.Transport {
	dial := (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if len(spread) > 0 {
		var n atomic.Int64
		plain := dial
		dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return plain(ctx, network, spread[int(n.Add(1)-1)%len(spread)])
		}
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		MaxConnsPerHost:       conns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

type workerStats struct {
	samples  []time.Duration
	errors   int64
	firstErr string
}

// runLoad drives w with o.conns workers in a closed loop: warm up, then
// measure for o.duration. Every request's latency in the window is kept;
// percentiles are exact.
func runLoad(ctx context.Context, o loadOpts, w workload) loadResult {
	tr := newTransport(o.conns, o.spread)
	defer tr.CloseIdleConnections()
	var phase atomic.Int32
	stats := make([]workerStats, o.conns)
	var wg sync.WaitGroup
	for i := range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := w(i)
			st := &stats[i]
			st.samples = make([]time.Duration, 0, 1<<14)
			// Bounded: the loop ends when the phase is stopped, which the
			// caller does after warmup+duration (or on cancellation).
			for {
				ph := phase.Load()
				if ph == phaseStop {
					return
				}
				req := next()
				t0 := time.Now()
				resp, err := tr.RoundTrip(req)
				status := 0
				if err == nil {
					status = resp.StatusCode
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(t0)
				if ph == phaseMeasure && phase.Load() == phaseMeasure {
					st.samples = append(st.samples, d)
					if err != nil || status < 200 || status > 299 {
						st.errors++
						if st.firstErr == "" {
							if err != nil {
								st.firstErr = err.Error()
							} else {
								st.firstErr = fmt.Sprintf("HTTP %d on %s %s", status, req.Method, req.URL.Path)
							}
						}
					}
				}
				if err != nil {
					// Do not spin on a refused connection.
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	sleep(ctx, o.warmup)
	phase.Store(phaseMeasure)
	if o.onMeasure != nil {
		o.onMeasure()
	}
	start := time.Now()
	sleep(ctx, o.duration)
	phase.Store(phaseStop)
	elapsed := time.Since(start)
	if o.onMeasured != nil {
		o.onMeasured()
	}
	wg.Wait()

	res := loadResult{elapsed: elapsed}
	var all []time.Duration
	for i := range stats {
		all = append(all, stats[i].samples...)
		res.errors += stats[i].errors
		if res.firstErr == "" {
			res.firstErr = stats[i].firstErr
		}
	}
	res.requests = int64(len(all))
	if len(all) > 0 {
		slices.Sort(all)
		res.p50 = percentile(all, 0.50)
		res.p99 = percentile(all, 0.99)
		res.max = all[len(all)-1]
	}
	return res
}

// percentile of sorted samples, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// replayBody is a request body that can be rewound and sent again without
// allocating.
type replayBody struct {
	b   []byte
	off int
}

func (r *replayBody) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func (r *replayBody) Close() error { return nil }
