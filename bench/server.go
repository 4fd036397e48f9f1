package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/porticohq/portico/internal/cli"
)

// target is a server under test: its base URL and the process whose memory
// and CPU are read.
type target interface {
	URL() string
	PID() int
	Stop() error
}

// cluster is nodes serving one store. URL and PID are the first node's
// (its memory is the per-node figure); the load goes to all of them, and
// their CPU time is added up.
type cluster struct{ nodes []target }

func (c *cluster) URL() string { return c.nodes[0].URL() }
func (c *cluster) PID() int    { return c.nodes[0].PID() }

func (c *cluster) Stop() error {
	var first error
	for _, n := range c.nodes {
		if err := n.Stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// addrs are the nodes' host:port, for loadOpts.spread.
func (c *cluster) addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = strings.TrimPrefix(n.URL(), "http://")
	}
	return out
}

// pidsOf is every process of t.
func pidsOf(t target) []int {
	c, ok := t.(*cluster)
	if !ok {
		return []int{t.PID()}
	}
	out := make([]int, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.PID()
	}
	return out
}

// proc is a server running as a child process.
type proc struct {
	name string
	cmd  *exec.Cmd
	url  string
	log  *os.File
	done chan error
}

func (p *proc) URL() string { return p.url }
func (p *proc) PID() int    { return p.cmd.Process.Pid }

// Stop asks for a graceful stop (SIGTERM) and kills the process if it has
// not exited 20 s later.
func (p *proc) Stop() error {
	defer p.log.Close()
	p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(20 * time.Second)
	defer t.Stop()
	select {
	case err := <-p.done:
		return err
	case <-t.C:
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within 20 s after SIGTERM; killed", p.name)
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// startProc runs bin with args (which must make it listen on addr), sends
// its output to logPath and waits until GET /healthz answers.
func startProc(ctx context.Context, name, bin string, args, env []string, addr, logPath string) (*proc, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, url: "http://" + addr, log: lf, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	if err := waitReady(ctx, p.url, p.done); err != nil {
		p.cmd.Process.Kill()
		<-p.done
		lf.Close()
		return nil, fmt.Errorf("%s: %w (log: %s)", name, err, logPath)
	}
	return p, nil
}

// waitReady polls GET /healthz every 50 ms for at most 60 s.
func waitReady(ctx context.Context, base string, exited <-chan error) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before serving: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := c.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("not ready after 60 s")
}

// bareBody is the ceiling's fixed answer: a small JSON body.
var bareBody = []byte(`{"user":{"id":"usr_bare"},"session":{"id":"ses_bare","expires_at":"2030-01-01T00:00:00Z"}}` + "\n")

// runBareServer is the hidden -bare-server mode: a bare net/http handler
// returning a fixed small JSON body, with the same server timeouts as
// portico serve, until SIGTERM/SIGINT.
func runBareServer(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	clen := strconv.Itoa(len(bareBody))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Content-Type"] = []string{"application/json"}
			h["Content-Length"] = []string{clen}
			w.WriteHeader(http.StatusOK)
			w.Write(bareBody)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ctx, stop := signalContext()
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// inProc is a Portico server inside the bench process (for -cpuprofile).
type inProc struct {
	srv    *cli.Server
	cancel context.CancelFunc
	done   chan error
	log    *os.File
}

func (p *inProc) URL() string { return "http://" + p.srv.Addr() }
func (p *inProc) PID() int    { return os.Getpid() }

func (p *inProc) Stop() error {
	p.cancel()
	err := <-p.done
	return errors.Join(err, p.srv.Close(), p.log.Close())
}

// startInProc starts the same server as `portico serve` would, with the
// same flags, in this process.
func startInProc(ctx context.Context, e *engine, logPath string) (*inProc, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	var cfg cli.Config
	cfg.DataDir = e.dataDir
	cfg.DatabaseURL = e.dbURL
	cfg.EncryptionKey = e.encKey
	cfg.Addr = "127.0.0.1:0"
	cfg.LogFormat, cfg.LogLevel = "json", "info"
	cfg.RateLimitKey, cfg.RateLimitKeyBurst = 0, 200
	cfg.RateLimitIP, cfg.RateLimitIPBurst = 0, 100
	cfg.ShutdownTimeout = 15 * time.Second
	cfg.AllowPrivateUpstreams = true
	cfg.LogOutput = lf
	srv, err := cli.NewServer(ctx, cfg)
	if err != nil {
		lf.Close()
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	p := &inProc{srv: srv, cancel: cancel, done: make(chan error, 1), log: lf}
	go func() { p.done <- srv.Run(rctx) }()
	if err := waitReady(ctx, p.URL(), p.done); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// buildPortico compiles ./cmd/portico into dir.
func buildPortico(ctx context.Context, moduleRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "portico")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/portico")
	cmd.Dir = moduleRoot
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/portico: %v\n%s", err, out.String())
	}
	return bin, nil
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 64 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("go.mod not found above the working directory: run from inside the module")
}

// procStatus reads fields of /proc/<pid>/status in bytes (kB values).
func procStatus(pid int, fields ...string) map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for _, want := range fields {
			if k == want {
				v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					out[k] = n * 1024
				}
			}
		}
	}
	return out
}

// rss is RssAnon of pid: heap and stacks, the memory the targets cap.
func rss(pid int) int64 { return procStatus(pid, "RssAnon")["RssAnon"] }

// rssFile is RssFile of pid: pages of files it maps (its binary; the
// SQLite store, whose lookups read it memory-mapped), which are the OS page
// cache: reported, not capped.
func rssFile(pid int) int64 { return procStatus(pid, "RssFile")["RssFile"] }

// cpuTime is the user+system CPU time the process has used so far.
func cpuTime(pid int) time.Duration {
	_, d := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	return d
}

// minorFaults is the number of minor page faults pid has taken so far.
func minorFaults(pid int) int64 {
	_, f := statFields(fmt.Sprintf("/proc/%d/stat", pid))
	if len(f) < 8 {
		return 0
	}
	n, _ := strconv.ParseInt(f[7], 10, 64) // field 10, minflt
	return n
}

// lookupPageReads is the sum of a Portico server's
// portico_sqlite_lookup_page_reads_total series (pages its SQLite token
// lookups read past their caches), or -1 when it has none (PostgreSQL, the
// bare handler) or /metrics cannot be read.
func lookupPageReads(base string) float64 {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	n, found := 0.0, false
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "portico_sqlite_lookup_page_reads_total{")
		if !ok {
			continue
		}
		_, v, _ := strings.Cut(line, "} ")
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return -1
		}
		n, found = n+f, true
	}
	if sc.Err() != nil || res.StatusCode != http.StatusOK || !found {
		return -1
	}
	return n
}

// postgresCPU is the CPU time used so far by every process named
// "postgres" on this machine: the local PostgreSQL server's backends,
// which do the work of the postgres engine's queries.
func postgresCPU() time.Duration {
	_, cpu := postgresStat()
	return cpu
}

// postgresStat counts the local PostgreSQL server's processes (those that
// exited and were not yet waited for included) and sums their CPU time as
// postgresCPU does.
func postgresStat() (procs int, cpu time.Duration) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		// A backend that exits (pgbench's, at its end) moves its time to
		// the postmaster's children time: counted there.
		if comm, own, children := procStatChildren("/proc/" + e.Name() + "/stat"); comm == "postgres" {
			procs++
			cpu += own + children
		}
	}
	return procs, cpu
}

// procStat reads a /proc/<pid>/stat file: the command name and the user +
// system CPU time.
func procStat(path string) (string, time.Duration) {
	comm, own, _ := procStatChildren(path)
	return comm, own
}

// procStatChildren is procStat, plus the CPU time of the process's
// children that exited and were waited for.
func procStatChildren(path string) (string, time.Duration, time.Duration) {
	comm, f := statFields(path)
	// utime is field 14, stime field 15, cutime and cstime fields 16 and 17.
	if len(f) < 15 {
		return comm, 0, 0
	}
	var v [4]int64
	for k := range v {
		v[k], _ = strconv.ParseInt(f[11+k], 10, 64)
	}
	const clkTck = 100 // USER_HZ on Linux
	return comm, time.Duration(v[0]+v[1]) * time.Second / clkTck, time.Duration(v[2]+v[3]) * time.Second / clkTck
}

// statFields reads a /proc/<pid>/stat file: the command name, and the
// fields after it, from field 3 (state) on.
func statFields(path string) (string, []string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil
	}
	// The command name is in parentheses and may hold spaces: fields
	// count from after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	j := strings.IndexByte(s, '(')
	if i < 0 || j < 0 || j > i {
		return "", nil
	}
	return s[j+1 : i], strings.Fields(s[i+1:])
}

// systemBusy is the CPU time all processes have used so far (every core,
// without idle and iowait), from /proc/stat.
func systemBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is already in user
			continue
		}
		busy += n
	}
	const clkTck = 100
	return time.Duration(busy) * time.Second / clkTck
}

// rssSampler records the highest RssAnon and RssFile of pid, sampled
// every 100 ms.
type rssSampler struct {
	mu       sync.Mutex
	peak     int64
	peakFile int64
	stop     chan struct{}
	done     chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			v, f := rss(pid), rssFile(pid)
			s.mu.Lock()
			s.peak, s.peakFile = max(s.peak, v), max(s.peakFile, f)
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the peaks of RssAnon and RssFile.
func (s *rssSampler) Stop() (int64, int64) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.peakFile
}
