package cli

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowWriter records each write and takes a while over it, as a file on a
// busy disk or a pipe to a slow reader would.
type slowWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	delay  time.Duration
}

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(w.delay)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

func (w *slowWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestLineBatcher_EveryLineOnceInOrderAndBatchedUnderLoad(t *testing.T) {
	w := &slowWriter{delay: time.Millisecond}
	b := newLineBatcher(w)
	const goroutines, lines = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range lines {
				if _, err := fmt.Fprintf(b, "g%d line %d\n", g, i); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(got) != goroutines*lines {
		t.Fatalf("%d lines written, want %d", len(got), goroutines*lines)
	}
	next := make([]int, goroutines)
	for _, l := range got {
		var g, i int
		if _, err := fmt.Sscanf(l, "g%d line %d", &g, &i); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d after line %d", g, i, next[g]-1)
		}
		next[g]++
	}
	if w.writes > goroutines*lines/4 {
		t.Errorf("%d lines took %d writes; lines logged during a write should share the next one", len(got), w.writes)
	}
}

// A line with no other after it is written, not held for company.
func TestLineBatcher_ALoneLineIsWritten(t *testing.T) {
	w := &slowWriter{}
	b := newLineBatcher(w)
	defer b.Close()
	for i := range 3 {
		line := fmt.Sprintf("line %d\n", i)
		if _, err := b.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.HasSuffix(w.String(), line) {
			if time.Now().After(deadline) {
				t.Fatalf("%q not written 5 s after it was logged, with nothing else to write", line)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestLineBatcher_CloseWritesWhatIsLeftThenWritesDirectly(t *testing.T) {
	w := &slowWriter{delay: 20 * time.Millisecond}
	b := newLineBatcher(w)
	for i := range 5 {
		fmt.Fprintf(b, "before %d\n", i)
	}
	b.Close()
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	want := "before 0\nbefore 1\nbefore 2\nbefore 3\nbefore 4\n"
	if got := w.String(); got != want {
		t.Fatalf("after Close the file holds %q, want %q", got, want)
	}
	fmt.Fprintf(b, "after\n")
	if got := w.String(); got != want+"after\n" {
		t.Fatalf("a line logged after Close: the file holds %q", got)
	}
}

func TestLineBatcher_ALoggerFarAheadWaits(t *testing.T) {
	w := &slowWriter{delay: 50 * time.Millisecond}
	b := newLineBatcher(w)
	line := bytes.Repeat([]byte("x"), 64<<10)
	line[len(line)-1] = '\n'
	for range 40 {
		b.Write(line)
		b.mu.Lock()
		n := len(b.pending)
		b.mu.Unlock()
		if n > maxPendingLog+len(line) {
			t.Fatalf("%d bytes wait in memory, over the bound of %d", n, maxPendingLog)
		}
	}
	b.Close()
	if got := len(w.String()); got != 40*len(line) {
		t.Fatalf("%d bytes written, want %d", got, 40*len(line))
	}
}

// A busy server's lines, each logged while the file is free, still share
// writes: one per logLinger at most, not one per line.
func TestLineBatcher_SteadyLinesShareWrites(t *testing.T) {
	w := &slowWriter{}
	b := newLineBatcher(w)
	start := time.Now()
	n := 0
	for time.Since(start) < 20*logLinger {
		fmt.Fprintf(b, "line %d\n", n)
		n++
		time.Sleep(50 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.Close()
	if got := strings.Count(w.String(), "\n"); got != n {
		t.Fatalf("%d lines written, want %d", got, n)
	}
	if most := int(elapsed/logLinger) + 2; w.writes > most {
		t.Errorf("%d lines over %v took %d writes, want at most %d (one per %v)", n, elapsed, w.writes, most, logLinger)
	}
}
