package cli

import (
	"io"
	"sync"
	"time"
)

// maxPendingLog bounds the log lines waiting in memory: a logger that gets
// that far ahead of its file waits for it.
const maxPendingLog = 1 << 20

// logLinger is how long the writing goroutine gathers lines after a write
// before it writes again: a busy server's lines go out together, at most
// this late.
const logLinger = 10 * time.Millisecond

// lineBatcher writes log lines to a file from one goroutine. After each
// write it gathers lines for logLinger, so that a busy server, which logs a
// line per request, writes many lines per system call rather than one (on
// two cores a write was free again before the next line came, and each line
// cost a write and a wake-up); a line logged after a quiet spell is written
// at once (docs/operations.md, "Logs").
type lineBatcher struct {
	w       io.Writer
	mu      sync.Mutex
	drained sync.Cond // pending was taken by the writing goroutine
	pending []byte
	closed  bool
	wake    chan struct{} // holds a signal while pending is not empty
	stop    chan struct{} // closed by Close: the linger ends
	done    chan struct{}
}

func newLineBatcher(w io.Writer) *lineBatcher {
	b := &lineBatcher{w: w, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	b.drained.L = &b.mu
	go b.run()
	return b
}

// Write queues p, which the logger passes whole and does not reuse before
// Write returns; after Close it writes p directly.
func (b *lineBatcher) Write(p []byte) (int, error) {
	b.mu.Lock()
	for len(b.pending) >= maxPendingLog && !b.closed {
		b.drained.Wait()
	}
	if b.closed {
		b.mu.Unlock()
		<-b.done
		return b.w.Write(p)
	}
	if len(b.pending) == 0 {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	b.pending = append(b.pending, p...)
	b.mu.Unlock()
	return len(p), nil
}

func (b *lineBatcher) run() {
	defer close(b.done)
	var out []byte
	linger := time.NewTimer(logLinger)
	linger.Stop()
	for range b.wake {
		b.mu.Lock()
		out, b.pending = b.pending, out[:0]
		b.drained.Broadcast()
		b.mu.Unlock()
		// A failed write loses its lines, as it would unbatched: the logger
		// has nowhere to report it.
		_, _ = b.w.Write(out)
		linger.Reset(logLinger)
		select {
		case <-linger.C:
		case <-b.stop:
			linger.Stop()
		}
	}
}

// Close writes the lines still waiting and returns once they are written.
func (b *lineBatcher) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.stop)
		close(b.wake)
		b.drained.Broadcast()
	}
	b.mu.Unlock()
	<-b.done
	return nil
}
