package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
)

// TestDurability_SIGKILLLosesNoAcknowledgedUser runs the real binary on
// SQLite, creates users from concurrent clients as fast as it can, kills
// the process with SIGKILL in the middle of the stream, restarts it on the
// same data dir and checks that every user whose creation was acknowledged
// with a 2xx is there (README, Operations: a 2xx means committed).
func TestDurability_SIGKILLLosesNoAcknowledgedUser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped with -short")
	}
	bin := buildPortico(t)
	w := newLeakWatch(t)
	dir := t.TempDir()

	first := startProcess(t, w, bin, nil, "--data-dir", dir)
	create := exec.Command(bin, "app", "create", "--name", "durable", "--json", "--data-dir", dir)
	create.Env, create.Stderr = cleanEnv(), w.log("stderr of portico app create")
	out, err := create.Output()
	if err != nil {
		t.Fatalf("app create: %v", err)
	}
	var app struct {
		AppID  string `json:"app_id"`
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(out, &app); err != nil || app.APIKey == "" {
		t.Fatalf("app create --json: %v: %s", err, out)
	}
	w.secret(app.APIKey)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer hc.CloseIdleConnections()

	const writers = 8
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		acked    []string
		failures atomic.Int64
	)
	c := client.New(first.url, client.WithAPIKey(app.APIKey), client.WithHTTPClient(hc))
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("w%d-%07d", g, i)
				if _, _, err := c.CreateUser(context.Background(), api.UserCreate{ExternalID: &id}); err != nil {
					var e *client.Error
					if errors.As(err, &e) {
						t.Errorf("create %s: %v", id, err) // an answer, but not a 2xx
						return
					}
					failures.Add(1) // the connection died with the process
					continue
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Second)
	first.kill()
	stop.Store(true)
	wg.Wait()
	hc.CloseIdleConnections()
	// A binary built with -race writes an order of magnitude slower; a few
	// dozen writes in flight at the kill are still the point of the test.
	if len(acked) < 20 {
		t.Fatalf("only %d users were acknowledged before the kill", len(acked))
	}
	t.Logf("%d users acknowledged in ~1 s; %d requests failed when the process was killed", len(acked), failures.Load())

	second := startProcess(t, w, bin, nil, "--data-dir", dir)
	c = client.New(second.url, client.WithAPIKey(app.APIKey), client.WithHTTPClient(hc))
	ids := make(chan string)
	var missing atomic.Int64
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				l, err := c.ListUsers(context.Background(), client.ListUsersParams{ExternalID: id})
				switch {
				case err != nil:
					t.Errorf("find %s: %v", id, err)
				case len(l.Data) != 1 || l.Data[0].ExternalID == nil || *l.Data[0].ExternalID != id:
					if missing.Add(1) <= 10 {
						t.Errorf("user %s was acknowledged but is gone after SIGKILL: %+v", id, l.Data)
					}
				}
			}
		}()
	}
	for _, id := range acked {
		ids <- id
	}
	close(ids)
	wg.Wait()
	if n := missing.Load(); n > 0 {
		t.Fatalf("%d of %d acknowledged users lost", n, len(acked))
	}
	second.terminate()
}

// raceEnabled is set by race_test.go when the tests run with -race.
var raceEnabled bool

// buildPortico builds cmd/portico into a temporary directory with the race
// detector when the tests run with it: the binary then reuses the packages
// the test binary was compiled from instead of compiling them all again
// (the pure-Go SQLite alone takes minutes on a cold cache).
func buildPortico(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "portico")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goBin, append(args, "./cmd/portico")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// process is a `portico serve` subprocess.
type process struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

// startProcess runs `portico serve` with the store args (--data-dir DIR or
// --database-url URL …) and the PORTICO_ variables of env at a port of the
// system's choosing, and returns once it logs the URL it serves. Its output
// goes to the leak watch.
func startProcess(t *testing.T, w *leakWatch, bin string, env []string, storeArgs ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0",
		"--log-format", "json", "--rate-limit-key", "0", "--rate-limit-ip", "0"}, storeArgs...)...)
	cmd.Env = append(cleanEnv(), env...)
	logs := w.log("stderr of portico serve")
	cmd.Stdout = logs
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		close(p.exited)
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				select {
				case urls <- line.URL:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(p.kill)
	select {
	case p.url = <-urls:
	case <-p.exited:
		t.Fatalf("portico serve exited at start: %v\n%s", p.err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("portico serve did not log its URL within 30 s:\n%s", logs)
	}
	return p
}

// kill ends the process with SIGKILL and waits for it.
func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// terminate sends SIGTERM and checks that the process drains and exits 0.
func (p *process) terminate() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			p.t.Errorf("portico serve after SIGTERM: %v, want exit 0", p.err)
		}
	case <-time.After(20 * time.Second):
		p.t.Errorf("portico serve did not exit within 20 s of SIGTERM")
	}
}

// cleanEnv is the test's environment without PORTICO_* variables, which
// would configure the subprocess.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTICO_") {
			env = append(env, kv)
		}
	}
	return env
}
