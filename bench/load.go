package main

import (
	"bufio"
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

// client is one worker's keep-alive connection, driven by the worker's
// goroutine alone: it writes a request and reads its answer itself, as wrk
// or pgbench's clients do, where an http.Transport hands every request to
// a writer and a reader goroutine of its own. On a 2-core machine those
// hand-offs cost the load generator more CPU than the server under test
// spends on a small answer (bench/README.md, "The load generator").
type client struct {
	addr string
	conn net.Conn
	bw   *bufio.Writer
	br   *bufio.Reader
}

// roundTrip sends req and reads its whole answer, returning its status.
// A transport error closes the connection; the next call dials again.
func (c *client) roundTrip(req *http.Request) (int, error) {
	if c.conn == nil {
		addr := c.addr
		if addr == "" {
			addr = req.URL.Host
		}
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.conn = conn
		c.bw, c.br = bufio.NewWriterSize(conn, 8<<10), bufio.NewReaderSize(conn, 32<<10)
	}
	status, err := c.exchange(req)
	if err != nil {
		c.close()
	}
	return status, err
}

func (c *client) exchange(req *http.Request) (int, error) {
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := req.Write(c.bw); err != nil {
		return 0, err
	}
	if err := c.bw.Flush(); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.Close {
		c.close()
	}
	return resp.StatusCode, err
}

func (c *client) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
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
	var phase atomic.Int32
	stats := make([]workerStats, o.conns)
	var wg sync.WaitGroup
	for i := range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := w(i)
			c := &client{}
			if len(o.spread) > 0 {
				c.addr = o.spread[i%len(o.spread)]
			}
			defer c.close()
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
				status, err := c.roundTrip(req)
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
