// Package clitest starts whole Portico servers for tests of other
// packages: the server `portico serve` runs, on a loopback port.
package clitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
)

// Start runs a server with cfg until the test ends. At cleanup it cancels
// the server and waits for Run to return, failing the test when Run
// returns an error or does not return within the shutdown timeout and
// five seconds.
func Start(t testing.TB, cfg cli.Config) *cli.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := cli.NewServer(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("NewServer: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		err := srv.Run(ctx)
		srv.Close()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(cfg.ShutdownTimeout + 5*time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return srv
}

// Browser is an HTTP client with a cookie jar that does not follow
// redirects, so that a test looks at each answer.
func Browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Get fetches u with c and returns the response and its body.
func Get(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// LogBuffer holds a server's log output (Config.LogOutput), written from
// many goroutines and read by the test.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
