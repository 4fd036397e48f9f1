package cli_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
)

// health runs `portico health` with the given environment and returns its
// exit code, standard output and standard error.
func health(env map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := cli.RunEnv(context.Background(), append([]string{"health"}, args...),
		&cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

// oneLine fails the test unless s is exactly one line holding want.
func oneLine(t *testing.T, s, want string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") || !strings.Contains(s, want) {
		t.Fatalf("want one line with %q, got %q", want, s)
	}
}

func TestHealth(t *testing.T) {
	w := newLeakWatch(t)
	s := startServer(t, w, storetest.Engines(t)[0], nil)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ready by --url", func(t *testing.T) {
		code, out, errOut := health(nil, "--url", s.URL+"/")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		oneLine(t, out, "ready: GET "+s.URL+"/readyz answered 200")
	})
	t.Run("URL from the environment", func(t *testing.T) {
		code, out, _ := health(map[string]string{"PORTICO_URL": s.URL})
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		oneLine(t, out, s.URL+"/readyz")
	})
	t.Run("address from PORTICO_ADDR", func(t *testing.T) {
		// The container listens on 0.0.0.0: the check asks loopback.
		for _, addr := range []string{"127.0.0.1:" + port, "0.0.0.0:" + port, ":" + port} {
			code, out, errOut := health(map[string]string{"PORTICO_ADDR": addr})
			if code != 0 {
				t.Fatalf("PORTICO_ADDR=%s: exit %d, %s", addr, code, errOut)
			}
			oneLine(t, out, "http://127.0.0.1:"+port+"/readyz")
		}
	})
	t.Run("not 200", func(t *testing.T) {
		// The server's 404 for /v1/readyz stands for any answer but 200.
		code, out, errOut := health(nil, "--url", s.URL+"/v1")
		if code != 1 || out != "" {
			t.Fatalf("exit %d, stdout %q", code, out)
		}
		oneLine(t, errOut, "portico health: not ready: GET "+s.URL+"/v1/readyz answered 404 not_found: ")
	})
	t.Run("no answer in time", func(t *testing.T) {
		// A listener that accepts and never answers.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		start := time.Now()
		code, _, errOut := health(nil, "--url", "http://"+ln.Addr().String(), "--timeout", "200ms")
		if code != 1 || time.Since(start) > 5*time.Second {
			t.Fatalf("exit %d after %v", code, time.Since(start))
		}
		oneLine(t, errOut, "context deadline exceeded")
	})
	t.Run("usage", func(t *testing.T) {
		// A wrong value is a usage error too (README): a misconfigured
		// health check must not look like a server that is not ready.
		for _, args := range [][]string{{"--url", "ftp://x"}, {"--addr", "nope"}, {"--timeout", "0s"}} {
			code, _, errOut := health(nil, args...)
			if code != 2 || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("%v: exit %d, %q", args, code, errOut)
			}
		}
		if code, _, _ := health(nil, "--bogus"); code != 2 {
			t.Fatalf("unknown flag: exit %d, want 2", code)
		}
		// The same values from the environment, named by their variable.
		for v, want := range map[string]string{"banana": `PORTICO_TIMEOUT holds "banana"`, "0s": "PORTICO_TIMEOUT must be positive"} {
			code, _, errOut := health(map[string]string{"PORTICO_TIMEOUT": v})
			if code != 2 {
				t.Fatalf("PORTICO_TIMEOUT=%s: exit %d, want 2: %q", v, code, errOut)
			}
			oneLine(t, errOut, want)
		}
	})
	t.Run("stopped server", func(t *testing.T) {
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := health(nil, "--url", s.URL)
		if code != 1 || out != "" {
			t.Fatalf("exit %d, stdout %q", code, out)
		}
		oneLine(t, errOut, "connection refused")
	})
}

// A damaged key file in the data dir is named in the error of the commands
// that read it.
func TestKeyFile_DamagedIsNamed(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := cli.RunEnv(context.Background(), args, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		return code, errOut.String()
	}
	db, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	file := filepath.Join(dir, "encryption.key")
	if err := os.WriteFile(file, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"encryption", "rotate", "--data-dir", dir}, {"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}} {
		if code, errOut := run(args...); code != 1 || !strings.Contains(errOut, "the key file "+file+": ") {
			t.Errorf("%v: exit %d: %s", args[:2], code, errOut)
		}
	}
}
