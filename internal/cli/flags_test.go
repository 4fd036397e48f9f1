package cli

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func envOf(m map[string]string) *Env {
	return &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(k string) string { return m[k] },
		LookupEnv: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func TestParse_Precedence(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		wantAddr string
		wantKey  string
		wantDur  time.Duration
	}{
		{"defaults", nil, nil, "127.0.0.1:8080", "", 15 * time.Second},
		{"environment", map[string]string{"PORTICO_ADDR": "127.0.0.1:9", "PORTICO_SHUTDOWN_TIMEOUT": "3s"}, nil, "127.0.0.1:9", "", 3 * time.Second},
		{"flag wins over environment", map[string]string{"PORTICO_ADDR": "127.0.0.1:9"}, []string{"--addr", "127.0.0.1:7"}, "127.0.0.1:7", "", 15 * time.Second},
		{"secret from file", map[string]string{"PORTICO_ENCRYPTION_KEY_FILE": keyFile}, nil, "127.0.0.1:8080", "from-file", 15 * time.Second},
		{"value wins over file", map[string]string{"PORTICO_ENCRYPTION_KEY": "direct", "PORTICO_ENCRYPTION_KEY_FILE": keyFile}, nil, "127.0.0.1:8080", "direct", 15 * time.Second},
		{"flag wins over a variable that does not parse", map[string]string{"PORTICO_SHUTDOWN_TIMEOUT": "soon"}, []string{"--shutdown-timeout", "2s"}, "127.0.0.1:8080", "", 2 * time.Second},
		{"flag wins over a missing file", map[string]string{"PORTICO_ADDR_FILE": "/nonexistent/addr"}, []string{"--addr", "127.0.0.1:7"}, "127.0.0.1:7", "", 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseServe(envOf(tc.env), tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Addr != tc.wantAddr || cfg.EncryptionKey != tc.wantKey || cfg.ShutdownTimeout != tc.wantDur {
				t.Fatalf("addr %q key %q shutdown %v", cfg.Addr, cfg.EncryptionKey, cfg.ShutdownTimeout)
			}
		})
	}
}

// TestParse_DefaultsAreServeDefaults: with neither a flag nor a variable,
// serve runs with serveDefaults, and a Config built in code gets the same
// periods and purge grace.
func TestParse_DefaultsAreServeDefaults(t *testing.T) {
	cfg, err := parseServe(envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(serveDefaults, cfg, cmpopts.IgnoreUnexported(Config{})); d != "" {
		t.Errorf("parsed defaults (-want +got):\n%s", d)
	}
	var built Config
	built.fillDefaults()
	if built.PurgeGrace != cfg.PurgeGrace || built.PurgeInterval != cfg.PurgeInterval ||
		built.RefreshInterval != cfg.RefreshInterval || built.RefreshWindow != cfg.RefreshWindow {
		t.Errorf("built in code: purge %v every %v, refresh %v within %v; parsed: %v, %v, %v, %v", built.PurgeGrace, built.PurgeInterval,
			built.RefreshInterval, built.RefreshWindow, cfg.PurgeGrace, cfg.PurgeInterval, cfg.RefreshInterval, cfg.RefreshWindow)
	}
}

// TestParse_ZeroPurgeGraceMeansNone: --purge-grace 0 (or
// PORTICO_PURGE_GRACE=0) is kept, not replaced by the default, and a zero
// period given the same way is refused by name.
func TestParse_ZeroPurgeGraceMeansNone(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flag", nil, []string{"--purge-grace", "0"}},
		{"env", map[string]string{"PORTICO_PURGE_GRACE": "0s"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseServe(envOf(tc.env), tc.args)
			if err != nil {
				t.Fatal(err)
			}
			cfg.fillDefaults()
			if cfg.PurgeGrace != 0 {
				t.Fatalf("purge grace %v, want 0", cfg.PurgeGrace)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("zero grace refused: %v", err)
			}
		})
	}
	// Refused while parsing, as misuse (exit 2).
	_, err := parseServe(envOf(nil), []string{"--purge-interval", "0"})
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--purge-interval must be positive") {
		t.Fatalf("--purge-interval 0: %v", err)
	}
	// A period under a second would keep a core busy.
	for _, flag := range []string{"--purge-interval", "--refresh-interval"} {
		_, err := parseServe(envOf(nil), []string{flag, "1ns"})
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "must be at least 1s") {
			t.Fatalf("%s 1ns: %v", flag, err)
		}
	}
}

func TestParse_Errors(t *testing.T) {
	emptyFile, newlineFile, wordFile, minusFile := filepath.Join(t.TempDir(), "empty"), filepath.Join(t.TempDir(), "newline"), filepath.Join(t.TempDir(), "word"), filepath.Join(t.TempDir(), "minus")
	if os.WriteFile(emptyFile, nil, 0o600) != nil || os.WriteFile(newlineFile, []byte("\n"), 0o600) != nil || os.WriteFile(wordFile, []byte("soon\n"), 0o600) != nil ||
		os.WriteFile(minusFile, []byte("-1s\n"), 0o600) != nil {
		t.Fatal("write files")
	}
	// Files a setting cannot come from: a directory, a FIFO nobody writes
	// to (read without waiting), an endless device, a large file.
	dir := t.TempDir()
	fifo, big := filepath.Join(t.TempDir(), "fifo"), filepath.Join(t.TempDir(), "big")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if os.WriteFile(big, bytes.Repeat([]byte("1"), 65<<10), 0o600) != nil {
		t.Fatal("write big")
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad env value", map[string]string{"PORTICO_SHUTDOWN_TIMEOUT": "soon"}, nil, `PORTICO_SHUTDOWN_TIMEOUT holds "soon"; want a duration`},
		{"bad env boolean", map[string]string{"PORTICO_NO_MIGRATE": "yes"}, nil, `PORTICO_NO_MIGRATE holds "yes"; want true or false`},
		{"missing file", map[string]string{"PORTICO_ENCRYPTION_KEY_FILE": "/nonexistent/key"}, nil, "PORTICO_ENCRYPTION_KEY_FILE"},
		{"empty file", map[string]string{"PORTICO_ENCRYPTION_KEY_FILE": emptyFile}, nil, "PORTICO_ENCRYPTION_KEY_FILE: " + emptyFile + " is empty"},
		{"file of a newline", map[string]string{"PORTICO_DATA_DIR_FILE": newlineFile}, nil, "PORTICO_DATA_DIR_FILE: " + newlineFile + " is empty"},
		{"bad value in a file", map[string]string{"PORTICO_PURGE_GRACE_FILE": wordFile}, nil, "PORTICO_PURGE_GRACE_FILE (" + wordFile + `) holds "soon"; want a duration`},
		{"a directory", map[string]string{"PORTICO_ENCRYPTION_KEY_FILE": dir}, nil, "PORTICO_ENCRYPTION_KEY_FILE: " + dir + " is not a regular file"},
		{"a FIFO", map[string]string{"PORTICO_ENCRYPTION_KEY_FILE": fifo}, nil, "PORTICO_ENCRYPTION_KEY_FILE: " + fifo + " is not a regular file"},
		{"an endless device", map[string]string{"PORTICO_ADDR_FILE": "/dev/zero"}, nil, "PORTICO_ADDR_FILE: /dev/zero is not a regular file"},
		{"a large file", map[string]string{"PORTICO_SHUTDOWN_TIMEOUT_FILE": big}, nil, "PORTICO_SHUTDOWN_TIMEOUT_FILE: " + big + " is larger than 64 KiB"},
		{"key variable set but empty", map[string]string{"PORTICO_ENCRYPTION_KEY": ""}, nil, "PORTICO_ENCRYPTION_KEY is set but empty"},
		{"bad log level", nil, []string{"--log-level", "verbose"}, `--log-level must be debug, info, warn or error, not "verbose"`},
		{"bad log format", map[string]string{"PORTICO_LOG_FORMAT": "xml"}, nil, `PORTICO_LOG_FORMAT must be auto, json or text, not "xml"`},
		{"bad log level in the environment", map[string]string{"PORTICO_LOG_LEVEL": "verbose"}, nil, `PORTICO_LOG_LEVEL must be debug, info, warn or error, not "verbose"`},
		{"negative shutdown timeout", nil, []string{"--shutdown-timeout", "-5s"}, "--shutdown-timeout must be positive"},
		{"negative shutdown timeout in the environment", map[string]string{"PORTICO_SHUTDOWN_TIMEOUT": "-5s"}, nil, "PORTICO_SHUTDOWN_TIMEOUT must be positive"},
		{"negative grace in a file", map[string]string{"PORTICO_PURGE_GRACE_FILE": minusFile}, []string{"--purge-interval", "0"},
			"PORTICO_PURGE_GRACE_FILE (" + minusFile + ") must not be negative and --purge-interval must be positive"},
		{"unknown flag", nil, []string{"--nope"}, "usage"},
		{"stray argument", nil, []string{"extra"}, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseServe(envOf(tc.env), tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			// From a flag or from the environment, a value the command
			// cannot take is misuse: exit 2.
			if !errors.Is(err, errUsage) {
				t.Fatalf("err = %v: not a usage error (exit 2)", err)
			}
		})
	}
}

// TestConfig_ValidateRefusesWhatCannotWork: a public URL with a path
// (Portico's redirects start at the root) or with user info (a credential
// in every link), and a rate that is not a number.
func TestConfig_ValidateRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"a path", func(c *Config) { c.PublicURL = "https://example.com/base/" }, "--public-url"},
		{"user info", func(c *Config) { c.PublicURL = "https://admin:s3cret@example.com" }, "--public-url"},
		{"NaN rate", func(c *Config) { c.RateLimitIP = math.NaN() }, "rate limits"},
		{"infinite rate", func(c *Config) { c.RateLimitKey = math.Inf(1) }, "rate limits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseServe(envOf(nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg.fillDefaults()
			tc.edit(&cfg)
			err = cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("err = %v, want one about %s that shows no credential", err, tc.want)
			}
		})
	}
	cfg, _ := parseServe(envOf(nil), []string{"--public-url", "https://portico.example.com/"})
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("an origin with a trailing slash: %v", err)
	}
}

func TestConfig_ValidateReportsEveryProblem(t *testing.T) {
	cfg := Config{Addr: "nope", PublicURL: "ftp://x", RateLimitKey: -1, ShutdownTimeout: 0, PurgeInterval: time.Second,
		TrustedProxies: "10.0.0.0/8, lb.internal"}
	cfg.DatabaseURL = "mysql://x"
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"--database-url", "--addr", "--public-url", "rate limits", "--shutdown-timeout", "--trusted-proxies"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestRun_ExitCodes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2}, {[]string{"help"}, 0}, {[]string{"frobnicate"}, 2}, {[]string{"version"}, 0},
		{[]string{"app", "create"}, 2}, {[]string{"key", "revoke"}, 2}, {[]string{"serve", "-h"}, 0},
		// Values no flag accepts are misuse too, as unknown flags are.
		{[]string{"serve", "--shutdown-timeout", "-5s"}, 2}, {[]string{"serve", "--public-url", "ftp://x"}, 2},
		{[]string{"serve", "--log-level", "verbose"}, 2}, {[]string{"serve", "--rate-limit-ip", "-1"}, 2},
	} {
		if got := RunEnv(ctx, tc.args, envOf(nil)); got != tc.code {
			t.Errorf("portico %v: exit %d, want %d", tc.args, got, tc.code)
		}
	}
	// Help is help, whatever the environment holds.
	if got := RunEnv(ctx, []string{"serve", "-h"}, envOf(map[string]string{"PORTICO_PURGE_GRACE": "bogus"})); got != 0 {
		t.Errorf("serve -h with a variable that does not parse: exit %d", got)
	}
}

func TestServe_RefusesWithoutKeyOnPostgresAndWithWrongKey(t *testing.T) {
	ctx := context.Background()
	var cfg Config
	cfg.DatabaseURL, cfg.Addr, cfg.ShutdownTimeout, cfg.LogOutput = "postgres://127.0.0.1:1/x", "127.0.0.1:0", time.Second, &bytes.Buffer{}
	if _, err := NewServer(ctx, cfg); err == nil || !strings.Contains(err.Error(), "encryption key is required") {
		t.Fatalf("postgres without a key: %v", err)
	}
	dir := t.TempDir()
	cfg = Config{Addr: "127.0.0.1:0", ShutdownTimeout: time.Second, LogOutput: &bytes.Buffer{}}
	cfg.DataDir = dir
	srv, err := NewServer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	st, err := os.Stat(filepath.Join(dir, "encryption.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v %v", st, err)
	}
	cfg.EncryptionKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	if _, err := NewServer(ctx, cfg); err == nil || !strings.Contains(err.Error(), "cannot decrypt") {
		t.Fatalf("wrong key: %v", err)
	}
	// The key file of a store that sealed data is lost: serve says so, and
	// does not put a new key in its place.
	cfg.EncryptionKey = ""
	if err := os.Remove(filepath.Join(dir, "encryption.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := NewServer(ctx, cfg); err == nil || !strings.Contains(err.Error(), "key file") || !strings.Contains(err.Error(), "is missing") {
		t.Fatalf("a lost key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "encryption.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a key file was made in place of the lost one: %v", err)
	}
}
